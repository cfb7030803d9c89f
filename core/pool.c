/*
 * pool.c - the set memory: one shared memory object carved into pages.
 *
 * A bitmap with one bit per page (set = in use) and first fit.  Scanning
 * goes a word at a time, so a pool of a few hundred thousand pages with
 * thousands of sets still allocates in microseconds.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pool.h"

#define SHM_DIR "/dev/shm"
#define WORD_BITS 64

struct vg_pool {
	uint8_t *base;
	size_t size;
	size_t page;
	size_t npages;
	size_t used_pages;
	uint64_t *bitmap;
	bool shared;
	int fd;       /* kept open, with a shared flock: "this set memory is alive" */
	char name[NAME_MAX + 1];
	char path[sizeof(SHM_DIR) + NAME_MAX + 1];
};

static bool page_used(const struct vg_pool *p, size_t i)
{
	return p->bitmap[i / WORD_BITS] >> (i % WORD_BITS) & 1;
}

static void pages_mark(struct vg_pool *p, size_t first, size_t n, bool used)
{
	for (size_t i = first; i < first + n; i++) {
		uint64_t bit = (uint64_t)1 << (i % WORD_BITS);
		if (used)
			p->bitmap[i / WORD_BITS] |= bit;
		else
			p->bitmap[i / WORD_BITS] &= ~bit;
	}
}

/*
 * The first page at or after i whose state is `used`, or npages.  Pages past
 * npages in the last word are marked used at creation, so searching for a
 * free page never runs off the end.
 */
static size_t page_find(const struct vg_pool *p, size_t i, bool used)
{
	size_t nwords = (p->npages + WORD_BITS - 1) / WORD_BITS;
	while (i < p->npages) {
		size_t w = i / WORD_BITS;
		uint64_t word = used ? p->bitmap[w] : ~p->bitmap[w];
		word &= ~(uint64_t)0 << (i % WORD_BITS);
		if (word) {
			size_t found = w * WORD_BITS + (size_t)__builtin_ctzll(word);
			return found < p->npages ? found : p->npages;
		}
		if (w + 1 >= nwords)
			break;
		i = (w + 1) * WORD_BITS;
	}
	return p->npages;
}

struct vg_pool *vg_pool_create(const char *name, size_t size, struct vg_err *err)
{
	char have[32], min[32];
	if (size < VG_POOL_MIN_SIZE) {
		vg_errf(err, EINVAL, "set memory of %s is too small: -m must be at least %s",
			vg_format_size(size, have, sizeof(have)),
			vg_format_size(VG_POOL_MIN_SIZE, min, sizeof(min)));
		errno = EINVAL;
		return NULL;
	}
	if (name && (!name[0] || strchr(name, '/') || strlen(name) > NAME_MAX)) {
		vg_errf(err, EINVAL,
			"set memory name '%s' is invalid: use a file name without '/' of at most "
			"%d bytes",
			name, NAME_MAX);
		errno = EINVAL;
		return NULL;
	}
	struct vg_pool *p = calloc(1, sizeof(*p));
	if (!p) {
		vg_errf(err, ENOMEM, "out of memory creating the set memory");
		errno = ENOMEM;
		return NULL;
	}
	p->fd = -1;
	long ps = sysconf(_SC_PAGESIZE);
	p->page = ps > 0 ? (size_t)ps : 4096;
	p->size = VG_ALIGN_UP(size, p->page);
	p->npages = p->size / p->page;
	size_t nwords = (p->npages + WORD_BITS - 1) / WORD_BITS;
	p->bitmap = calloc(nwords, sizeof(uint64_t));
	if (!p->bitmap) {
		free(p);
		vg_errf(err, ENOMEM, "out of memory creating the set memory");
		errno = ENOMEM;
		return NULL;
	}
	if (p->npages % WORD_BITS)
		p->bitmap[nwords - 1] = ~(uint64_t)0 << (p->npages % WORD_BITS);

	int rc = 0;
	if (!name) {
		snprintf(p->path, sizeof(p->path), "(anonymous)");
		p->base = mmap(NULL, p->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);
		if (p->base == MAP_FAILED)
			rc = vg_errf(err, errno, "cannot map %zu bytes of set memory: %s", p->size,
				     strerror(errno));
	} else {
		vg_strlcpy(p->name, name, sizeof(p->name));
		snprintf(p->path, sizeof(p->path), SHM_DIR "/%s", name);
		char shm_name[NAME_MAX + 2];
		snprintf(shm_name, sizeof(shm_name), "/%s", name);
		int fd = shm_open(shm_name, O_CREAT | O_EXCL | O_RDWR, 0644);
		if (fd < 0) {
			if (errno == EEXIST)
				rc = vg_errf(err, EEXIST,
					     "set memory %s already exists: another daemon uses this "
					     "name, or a dead one left it (remove the file)",
					     p->path);
			else
				rc = vg_errf(err, errno, "cannot create set memory %s: %s", p->path,
					     strerror(errno));
		} else {
			p->shared = true;
			/* fchmod: the umask must not hide sets from local readers */
			if (fchmod(fd, 0644) || ftruncate(fd, (off_t)p->size)) {
				rc = vg_errf(err, errno, "cannot size set memory %s to %zu bytes: %s",
					     p->path, p->size, strerror(errno));
			} else {
				p->base = mmap(NULL, p->size, PROT_READ | PROT_WRITE, MAP_SHARED,
					       fd, 0);
				if (p->base == MAP_FAILED)
					rc = vg_errf(err, errno, "cannot map set memory %s: %s",
						     p->path, strerror(errno));
			}
			/*
			 * The lock tells vg_pool_sweep_stale() the file is in use even
			 * when our pid means nothing to the sweeper (another PID
			 * namespace sharing /dev/shm).
			 */
			if (rc == 0 && flock(fd, LOCK_SH | LOCK_NB) == 0)
				p->fd = fd;
			else
				close(fd);
		}
	}
	if (rc) {
		if (p->base == MAP_FAILED)
			p->base = NULL;
		vg_pool_destroy(p);
		errno = -rc;
		return NULL;
	}
	return p;
}

void vg_pool_destroy(struct vg_pool *pool)
{
	if (!pool)
		return;
	if (pool->base)
		munmap(pool->base, pool->size);
	if (pool->shared) {
		char shm_name[NAME_MAX + 2];
		snprintf(shm_name, sizeof(shm_name), "/%s", pool->name);
		shm_unlink(shm_name);
	}
	if (pool->fd >= 0)
		close(pool->fd);
	free(pool->bitmap);
	free(pool);
}

void *vg_pool_alloc(struct vg_pool *pool, size_t len)
{
	if (!pool || !len || len > pool->size) {
		errno = len ? ENOMEM : EINVAL;
		return NULL;
	}
	size_t n = (len + pool->page - 1) / pool->page;
	size_t i = page_find(pool, 0, false);
	while (i < pool->npages) {
		size_t end = page_find(pool, i, true);
		if (end - i >= n) {
			pages_mark(pool, i, n, true);
			pool->used_pages += n;
			uint8_t *ptr = pool->base + i * pool->page;
			/* freed pages keep the old set's bytes */
			memset(ptr, 0, n * pool->page);
			return ptr;
		}
		i = page_find(pool, end, false);
	}
	errno = ENOMEM;
	return NULL;
}

void vg_pool_free(struct vg_pool *pool, void *ptr, size_t len)
{
	if (!pool || !ptr || !len)
		return;
	uint8_t *p = ptr;
	if (p < pool->base || p >= pool->base + pool->size ||
	    (size_t)(p - pool->base) % pool->page)
		return;
	size_t first = (size_t)(p - pool->base) / pool->page;
	size_t n = (len + pool->page - 1) / pool->page;
	if (n > pool->npages - first)
		n = pool->npages - first;
	for (size_t i = first; i < first + n; i++) {
		if (page_used(pool, i))
			pool->used_pages--;
	}
	pages_mark(pool, first, n, false);
}

size_t vg_pool_size(const struct vg_pool *pool)
{
	return pool->size;
}

size_t vg_pool_used(const struct vg_pool *pool)
{
	return pool->used_pages * pool->page;
}

size_t vg_pool_largest_free(const struct vg_pool *pool)
{
	size_t best = 0;
	size_t i = page_find(pool, 0, false);
	while (i < pool->npages) {
		size_t end = page_find(pool, i, true);
		if (end - i > best)
			best = end - i;
		i = page_find(pool, end, false);
	}
	return best * pool->page;
}

const char *vg_pool_path(const struct vg_pool *pool)
{
	return pool->path;
}

void *vg_pool_base(const struct vg_pool *pool)
{
	return pool->base;
}

/* "<prefix><pid>.<anything>" → pid, or 0 when the name does not have that shape. */
static pid_t stale_pid(const char *name, const char *prefix)
{
	size_t plen = strlen(prefix);
	if (strncmp(name, prefix, plen))
		return 0;
	const char *p = name + plen;
	long pid = 0;
	if (!isdigit((unsigned char)*p))
		return 0;
	while (isdigit((unsigned char)*p)) {
		pid = pid * 10 + (*p++ - '0');
		if (pid > INT_MAX)
			return 0;
	}
	return *p == '.' ? (pid_t)pid : 0;
}

int vg_pool_sweep_stale(const char *prefix)
{
	if (!prefix || !prefix[0])
		prefix = "vigil.";
	DIR *d = opendir(SHM_DIR);
	if (!d)
		return -errno;
	int removed = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		pid_t pid = stale_pid(e->d_name, prefix);
		/* EPERM means the process exists under another user: keep its sets */
		if (pid <= 0 || kill(pid, 0) == 0 || errno != ESRCH)
			continue;
		/* a pid from another PID namespace looks dead: the owner's lock says otherwise */
		char path[sizeof(SHM_DIR) + NAME_MAX + 2];
		snprintf(path, sizeof(path), SHM_DIR "/%s", e->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			continue;
		bool in_use = flock(fd, LOCK_EX | LOCK_NB) != 0;
		close(fd);
		if (in_use)
			continue;
		char shm_name[NAME_MAX + 2];
		snprintf(shm_name, sizeof(shm_name), "/%s", e->d_name);
		if (shm_unlink(shm_name) == 0)
			removed++;
	}
	closedir(d);
	return removed;
}
