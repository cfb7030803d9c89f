/*
 * proc_floor.c - the floor of the sampler benchmark: what reading and
 * parsing /proc/meminfo, /proc/vmstat and /proc/stat costs with nothing
 * around it (no sets, no plugins, no libvigil).
 *
 *     proc_floor [iterations [interval_us]]     (defaults: 60, 0 = back to back)
 *
 * Each file is opened once; every iteration preads each from offset 0 to
 * the end and parses every number of every line into a u64 array, with the
 * same kind of hand-written parser the samplers use.  CPU time is the sum of
 * /proc/self/task/<tid>/schedstat's first field (ns on cpu) before and after,
 * so it counts kernel time spent generating the files, as the daemon's does.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_VALUES 65536

struct source {
	const char *path;
	int fd;
	char *buf;
	size_t bufsize;
	uint64_t *values;
	size_t nvalues;
};

static ssize_t read_whole(struct source *s)
{
	for (;;) {
		size_t len = 0;
		while (len < s->bufsize) {
			ssize_t n = pread(s->fd, s->buf + len, s->bufsize - len, (off_t)len);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				return -1;
			}
			if (n == 0)
				return (ssize_t)len;
			len += (size_t)n;
		}
		char *buf = realloc(s->buf, s->bufsize * 2);
		if (!buf)
			return -1;
		s->buf = buf;
		s->bufsize *= 2;
	}
}

/* Every run of digits on every line becomes one value. */
static size_t parse_all(const char *p, const char *end, uint64_t *values, size_t max)
{
	size_t n = 0;
	while (p < end) {
		if ((unsigned)(*p - '0') >= 10) {
			p++;
			continue;
		}
		uint64_t v = 0;
		while (p < end && (unsigned)(*p - '0') < 10)
			v = v * 10 + (uint64_t)(*p++ - '0');
		if (n < max)
			values[n++] = v;
	}
	return n;
}

/* Skip the key, so digits inside names ("cpu0", "pgalloc_dma32") are not counted. */
static size_t parse_lines(const char *p, const char *end, uint64_t *values, size_t max)
{
	size_t n = 0;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		while (p < eol && *p != ' ' && *p != '\t')
			p++;
		n += parse_all(p, eol, values + n, max - n);
		p = eol + 1;
	}
	return n;
}

/*
 * The kernel folds a running task's time into schedstat only when it is
 * scheduled; yielding first makes the figure current, not a tick old.
 */
static uint64_t cpu_ns(void)
{
	sched_yield();
	uint64_t total = 0;
	DIR *d = opendir("/proc/self/task");
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char path[300];
		snprintf(path, sizeof(path), "/proc/self/task/%s/schedstat", de->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		unsigned long long ns;
		if (fscanf(f, "%llu", &ns) == 1)
			total += ns;
		fclose(f);
	}
	closedir(d);
	return total;
}

static int source_open(struct source *s, const char *path)
{
	s->path = path;
	s->fd = open(path, O_RDONLY | O_CLOEXEC);
	s->bufsize = 4096;
	s->buf = malloc(s->bufsize);
	s->values = malloc(MAX_VALUES * sizeof(*s->values));
	if (s->fd < 0 || !s->buf || !s->values) {
		fprintf(stderr, "proc_floor: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	ssize_t len = read_whole(s);
	if (len < 0) {
		fprintf(stderr, "proc_floor: cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	/* Sized as the samplers size theirs: twice the file, at least 4 KiB. */
	if ((size_t)len * 2 > s->bufsize) {
		s->bufsize = (size_t)len * 2;
		s->buf = realloc(s->buf, s->bufsize);
		if (!s->buf)
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	long iterations = argc > 1 ? strtol(argv[1], NULL, 0) : 60;
	long interval_us = argc > 2 ? strtol(argv[2], NULL, 0) : 0;
	if (iterations <= 0 || interval_us < 0) {
		fprintf(stderr, "usage: proc_floor [iterations (60)] [interval_us (0)]\n");
		return 2;
	}
	struct source src[3] = {{0}};
	static const char *const paths[3] = {"/proc/meminfo", "/proc/vmstat", "/proc/stat"};
	for (int i = 0; i < 3; i++)
		if (source_open(&src[i], paths[i]) < 0)
			return 1;

	uint64_t checksum = 0;
	uint64_t before = cpu_ns();
	for (long it = 0; it < iterations; it++) {
		for (int i = 0; i < 3; i++) {
			ssize_t len = read_whole(&src[i]);
			if (len < 0) {
				fprintf(stderr, "proc_floor: cannot read %s: %s\n", src[i].path,
					strerror(errno));
				return 1;
			}
			src[i].nvalues =
				parse_lines(src[i].buf, src[i].buf + len, src[i].values, MAX_VALUES);
			checksum += src[i].values[0] + src[i].nvalues;
		}
		if (interval_us > 0) {
			struct timespec ts = {interval_us / 1000000, (interval_us % 1000000) * 1000};
			while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
				;
		}
	}
	uint64_t after = cpu_ns();

	printf("floor: %ld iterations, %.2f µs CPU per iteration\n", iterations,
	       (double)(after - before) / 1000.0 / (double)iterations);
	/* Keeps the parse from being optimised away; also a sanity line. */
	fprintf(stderr, "proc_floor: %zu + %zu + %zu values per iteration (checksum %" PRIu64 ")\n",
		src[0].nvalues, src[1].nvalues, src[2].nvalues, checksum);
	for (int i = 0; i < 3; i++) {
		close(src[i].fd);
		free(src[i].buf);
		free(src[i].values);
	}
	return 0;
}
