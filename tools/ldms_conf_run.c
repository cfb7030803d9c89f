/*
 * ldms_conf_run.c - ldms-conf up and down: the daemons of this host, started
 * in the background with pid files and logs in a run directory.
 *
 * A daemon is up when its pid file names it: ldmsd writes the file only
 * after its listeners are open and its whole config has run, so a daemon
 * that fails (a port in use, a bad line) exits instead and up reports why.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tools/ldms_conf.h"

struct run {
	const struct vg_cluster_daemon *d;
	char pidfile[4200], logfile[4200], outfile[4200];
	pid_t pid;
	int state; /* 0: waiting, 1: up, -1: failed or gone */
};

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void nap_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static pid_t read_pidfile(const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	long pid = 0;
	if (fscanf(f, "%ld", &pid) != 1)
		pid = 0;
	fclose(f);
	return pid > 0 && pid <= INT_MAX ? (pid_t)pid : 0;
}

/* Is pid a running ldmsd (and not a recycled pid of something else)? */
static bool is_ldmsd(pid_t pid)
{
	if (pid <= 0 || (kill(pid, 0) && errno != EPERM))
		return false;
	char path[64], cmd[4096];
	snprintf(path, sizeof(path), "/proc/%ld/cmdline", (long)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, cmd, sizeof(cmd) - 1);
	close(fd);
	if (n <= 0)
		return false; /* a zombie has no command line */
	cmd[n] = '\0';
	for (ssize_t i = 0; i < n; i++)
		if (cmd[i] == '\0')
			cmd[i] = ' ';
	return strstr(cmd, "ldmsd") != NULL;
}

static void set_paths(struct run *r, const char *dir)
{
	snprintf(r->pidfile, sizeof(r->pidfile), "%s/%s.pid", dir, r->d->name);
	snprintf(r->logfile, sizeof(r->logfile), "%s/%s.log", dir, r->d->name);
	snprintf(r->outfile, sizeof(r->outfile), "%s/%s.out", dir, r->d->name);
}

/* VIGIL_LDMSD, else the ldmsd installed with us (bin/ or ../sbin/), else $PATH's. */
static const char *find_ldmsd(char *buf, size_t len)
{
	const char *env = getenv("VIGIL_LDMSD");
	if (env && env[0])
		return env;
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			static const char *const rel[] = {"/ldmsd", "/../sbin/ldmsd"};
			for (size_t i = 0; i < VG_ARRAY_LEN(rel); i++) {
				if (strlen(self) + strlen(rel[i]) >= len)
					continue;
				strcpy(buf, self);
				strcat(buf, rel[i]);
				if (access(buf, X_OK) == 0)
					return buf;
			}
		}
	}
	return "ldmsd";
}

/* The last lines a failed daemon printed, for the report. */
static void print_tail(const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	char buf[2048];
	if (fseek(f, -(long)(sizeof(buf) - 1), SEEK_END))
		rewind(f);
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *save = NULL;
	for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		fprintf(stderr, "    %s\n", line);
}

static pid_t spawn(struct run *r, const char *ldmsd, const char *file)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	/* the child: its own session, so it outlives ldms-conf and its terminal */
	setsid();
	int out = open(r->outfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (out >= 0) {
		dup2(out, STDOUT_FILENO);
		dup2(out, STDERR_FILENO);
	}
	if (null >= 0)
		dup2(null, STDIN_FILENO);
	char *argv[] = {(char *)ldmsd, "-y", (char *)file, "-n", r->d->name, "-F", "-r",
			r->pidfile, "-l", r->logfile, NULL};
	execvp(ldmsd, argv);
	fprintf(stderr, "cannot run %s: %s\n", ldmsd, strerror(errno));
	_exit(127);
}

static void report_up(const struct run *r)
{
	printf("%s: up, pid %ld, listening on", r->d->name, (long)r->pid);
	for (size_t e = 0; e < r->d->nendpoints; e++)
		printf("%s %s:%u", e ? "," : "", r->d->endpoints[e].xprt, r->d->endpoints[e].port);
	printf(" (log %s)\n", r->logfile);
}

static int local_daemons(const struct vg_cluster *c, const char *dir, struct run **out)
{
	struct run *runs = calloc(c->ndaemons + 1, sizeof(*runs));
	size_t n = 0;
	for (size_t i = 0; runs && i < c->ndaemons; i++) {
		if (!vg_cluster_host_is_local(c->daemons[i].host))
			continue;
		runs[n].d = &c->daemons[i];
		set_paths(&runs[n++], dir);
	}
	*out = runs;
	if (!runs) {
		fprintf(stderr, "ldms-conf: out of memory\n");
		return -1;
	}
	if (n == 0)
		fprintf(stderr, "ldms-conf: no daemon of %s runs on this host (hosts: localhost, its "
				"name, or its fully qualified name)\n",
			c->path);
	return (int)n;
}

int ldms_conf_up(const struct vg_cluster *c, const char *run_dir)
{
	struct run *runs;
	int n = local_daemons(c, run_dir, &runs);
	if (n <= 0) {
		free(runs);
		return 1;
	}
	char file[PATH_MAX], buf[4096];
	if (!realpath(c->path, file))
		snprintf(file, sizeof(file), "%s", c->path);
	const char *ldmsd = find_ldmsd(buf, sizeof(buf));
	int pending = 0;
	for (int i = 0; i < n; i++) {
		struct run *r = &runs[i];
		pid_t old = read_pidfile(r->pidfile);
		if (is_ldmsd(old)) {
			printf("%s: already running, pid %ld\n", r->d->name, (long)old);
			r->state = 1;
			r->pid = 0; /* not ours to wait for */
			continue;
		}
		unlink(r->pidfile);
		r->pid = spawn(r, ldmsd, file);
		if (r->pid < 0) {
			fprintf(stderr, "ldms-conf: %s: fork: %s\n", r->d->name, strerror(errno));
			r->state = -1;
			continue;
		}
		pending++;
	}
	uint64_t deadline = mono_ms() + LDMS_CONF_UP_TIMEOUT_S * 1000;
	while (pending > 0 && mono_ms() < deadline) {
		nap_ms(50);
		for (int i = 0; i < n; i++) {
			struct run *r = &runs[i];
			if (r->state != 0)
				continue;
			int status;
			if (waitpid(r->pid, &status, WNOHANG) == r->pid) {
				fprintf(stderr, "%s: failed: ldmsd exited with status %d; its output (%s):\n",
					r->d->name, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
					r->outfile);
				print_tail(r->outfile);
				r->state = -1;
				pending--;
			} else if (read_pidfile(r->pidfile) == r->pid) {
				report_up(r);
				r->state = 1;
				pending--;
			}
		}
	}
	int failed = 0;
	for (int i = 0; i < n; i++) {
		if (runs[i].state == 0)
			fprintf(stderr, "%s: not up after %d s (pid %ld, log %s); it keeps running: "
					"ldms-conf down stops it\n",
				runs[i].d->name, LDMS_CONF_UP_TIMEOUT_S, (long)runs[i].pid,
				runs[i].logfile);
		failed += runs[i].state != 1;
	}
	printf("%d of %d daemons up (run directory %s)\n", n - failed, n, run_dir);
	fflush(stdout);
	free(runs);
	return failed ? 1 : 0;
}

int ldms_conf_down(const struct vg_cluster *c, const char *run_dir)
{
	struct run *runs;
	int n = local_daemons(c, run_dir, &runs);
	if (n <= 0) {
		free(runs);
		return 1;
	}
	int running = 0;
	for (int i = 0; i < n; i++) {
		struct run *r = &runs[i];
		r->pid = read_pidfile(r->pidfile);
		if (!is_ldmsd(r->pid)) {
			printf("%s: not running\n", r->d->name);
			if (r->pid)
				unlink(r->pidfile); /* stale */
			r->state = 1;
			continue;
		}
		if (kill(r->pid, SIGTERM)) {
			fprintf(stderr, "%s: cannot stop pid %ld: %s\n", r->d->name, (long)r->pid,
				strerror(errno));
			r->state = -1;
			continue;
		}
		running++;
	}
	uint64_t deadline = mono_ms() + LDMS_CONF_DOWN_TIMEOUT_S * 1000;
	bool killed = false;
	while (running > 0) {
		nap_ms(50);
		for (int i = 0; i < n; i++) {
			struct run *r = &runs[i];
			if (r->state != 0 || is_ldmsd(r->pid))
				continue;
			printf("%s: stopped (pid %ld)%s\n", r->d->name, (long)r->pid,
			       killed ? " with SIGKILL" : "");
			if (read_pidfile(r->pidfile) == r->pid)
				unlink(r->pidfile);
			r->state = 1;
			running--;
		}
		if (running > 0 && !killed && mono_ms() >= deadline) {
			for (int i = 0; i < n; i++) {
				if (runs[i].state == 0) {
					fprintf(stderr, "%s: still running %d s after SIGTERM: SIGKILL\n",
						runs[i].d->name, LDMS_CONF_DOWN_TIMEOUT_S);
					kill(runs[i].pid, SIGKILL);
				}
			}
			killed = true;
			deadline = mono_ms() + 5000;
		} else if (running > 0 && killed && mono_ms() >= deadline) {
			break;
		}
	}
	int failed = 0;
	for (int i = 0; i < n; i++)
		failed += runs[i].state != 1;
	free(runs);
	return failed ? 1 : 0;
}
