/*
 * test_pool.c - the set memory pool: page allocation, exhaustion messages,
 * the shm object's life and the sweep of objects left by dead daemons.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/pool.h"
#include "core/schema.h"
#include "core/set.h"
#include "tests/unit/cu_main.h"

static size_t page;

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (p[i])
			return false;
	}
	return true;
}

static void test_alloc_free(void)
{
	page = (size_t)sysconf(_SC_PAGESIZE);
	struct vg_err err = {0};
	struct vg_pool *pool = vg_pool_create(NULL, 64 * page, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
	CU_ASSERT_EQUAL(vg_pool_size(pool), 64 * page);
	CU_ASSERT_EQUAL(vg_pool_used(pool), 0);
	CU_ASSERT_EQUAL(vg_pool_largest_free(pool), 64 * page);
	CU_ASSERT_STRING_EQUAL(vg_pool_path(pool), "(anonymous)");
	uint8_t *base = vg_pool_base(pool);

	/* first fit, whole pages, page-aligned */
	uint8_t *a = vg_pool_alloc(pool, 1);
	uint8_t *b = vg_pool_alloc(pool, page + 1);
	uint8_t *c = vg_pool_alloc(pool, 3 * page);
	CU_ASSERT_PTR_EQUAL(a, base);
	CU_ASSERT_PTR_EQUAL(b, base + page);
	CU_ASSERT_PTR_EQUAL(c, base + 3 * page);
	CU_ASSERT_EQUAL(vg_pool_used(pool), 6 * page);
	CU_ASSERT_EQUAL(vg_pool_largest_free(pool), 58 * page);

	/* freed pages come back zeroed, and a hole is reused when it fits */
	memset(b, 0xab, 2 * page);
	vg_pool_free(pool, b, page + 1);
	CU_ASSERT_EQUAL(vg_pool_used(pool), 4 * page);
	uint8_t *d = vg_pool_alloc(pool, 3 * page); /* does not fit the 2-page hole */
	CU_ASSERT_PTR_EQUAL(d, base + 6 * page);
	uint8_t *e = vg_pool_alloc(pool, 2 * page);
	CU_ASSERT_PTR_EQUAL(e, base + page);
	CU_ASSERT_TRUE(all_zero(e, 2 * page));

	/* free and realloc around a word boundary of the bitmap */
	uint8_t *big = vg_pool_alloc(pool, 60 * page);
	CU_ASSERT_PTR_NULL(big);
	CU_ASSERT_EQUAL(errno, ENOMEM);
	big = vg_pool_alloc(pool, 55 * page);
	CU_ASSERT_PTR_EQUAL(big, base + 9 * page);
	CU_ASSERT_EQUAL(vg_pool_used(pool), 64 * page);
	CU_ASSERT_EQUAL(vg_pool_largest_free(pool), 0);
	CU_ASSERT_PTR_NULL(vg_pool_alloc(pool, 1));
	vg_pool_free(pool, big, 55 * page);
	vg_pool_free(pool, a, 1);
	vg_pool_free(pool, c, 3 * page);
	vg_pool_free(pool, d, 3 * page);
	vg_pool_free(pool, e, 2 * page);
	CU_ASSERT_EQUAL(vg_pool_used(pool), 0);
	CU_ASSERT_EQUAL(vg_pool_largest_free(pool), 64 * page);
	/* foreign pointers and double frees do not corrupt the counts */
	vg_pool_free(pool, a, page);
	vg_pool_free(pool, base + 1, page);
	vg_pool_free(pool, &err, page);
	CU_ASSERT_EQUAL(vg_pool_used(pool), 0);
	CU_ASSERT_PTR_NULL(vg_pool_alloc(pool, 0));
	vg_pool_destroy(pool);
}

static void test_fragmentation(void)
{
	/* 100 pages (not a multiple of 64): alternate pages used */
	struct vg_pool *pool = vg_pool_create(NULL, 100 * page, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
	uint8_t *p[100];
	for (int i = 0; i < 100; i++) {
		p[i] = vg_pool_alloc(pool, page);
		CU_ASSERT_PTR_NOT_NULL_FATAL(p[i]);
	}
	CU_ASSERT_PTR_NULL(vg_pool_alloc(pool, page));
	for (int i = 0; i < 100; i += 2)
		vg_pool_free(pool, p[i], page);
	CU_ASSERT_EQUAL(vg_pool_used(pool), 50 * page);
	CU_ASSERT_EQUAL(vg_pool_largest_free(pool), page);
	CU_ASSERT_PTR_NULL(vg_pool_alloc(pool, 2 * page)); /* free, but not contiguous */
	/* free the odd pages 61..69 too: pages 60..70 make an 11-page hole across a bitmap word */
	for (int i = 61; i < 70; i += 2)
		vg_pool_free(pool, p[i], page);
	CU_ASSERT_EQUAL(vg_pool_largest_free(pool), 11 * page);
	uint8_t *q = vg_pool_alloc(pool, 9 * page);
	CU_ASSERT_PTR_EQUAL(q, p[60]);
	CU_ASSERT_EQUAL(vg_pool_largest_free(pool), 2 * page); /* 69, 70 */
	/* the last page joins the free 98 */
	vg_pool_free(pool, p[99], page);
	CU_ASSERT_EQUAL(vg_pool_largest_free(pool), 2 * page);
	CU_ASSERT_PTR_EQUAL(vg_pool_alloc(pool, 2 * page), p[69]);
	CU_ASSERT_PTR_EQUAL(vg_pool_alloc(pool, 2 * page), p[98]);
	CU_ASSERT_EQUAL(vg_pool_largest_free(pool), page);
	vg_pool_destroy(pool);

	/* many small sets in a large pool stay quick and exact */
	pool = vg_pool_create(NULL, 16u << 20, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
	size_t n = (16u << 20) / page;
	for (size_t i = 0; i < n; i++) {
		if (!vg_pool_alloc(pool, page)) {
			CU_FAIL("allocation failed before the pool was full");
			break;
		}
	}
	CU_ASSERT_EQUAL(vg_pool_used(pool), 16u << 20);
	vg_pool_destroy(pool);
}

static void test_too_small(void)
{
	struct vg_err err = {0};
	CU_ASSERT_PTR_NULL(vg_pool_create(NULL, VG_POOL_MIN_SIZE - 1, &err));
	CU_ASSERT_EQUAL(err.code, EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "-m"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "64 KiB"));
	CU_ASSERT_PTR_NULL(vg_pool_create("a/b", VG_POOL_MIN_SIZE, &err));
	CU_ASSERT_EQUAL(err.code, EINVAL);
	/* 512K, LDMS's default, is fine; sizes round up to pages */
	struct vg_pool *pool = vg_pool_create(NULL, 512 * 1024 + 1, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
	CU_ASSERT_EQUAL(vg_pool_size(pool), 512 * 1024 + page);
	vg_pool_destroy(pool);
}

static void test_set_exhaustion(void)
{
	struct vg_pool *pool = vg_pool_create(NULL, VG_POOL_MIN_SIZE, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
	struct vg_schema *sc = vg_schema_new("meminfo");
	vg_schema_meta_add(sc, "component_id", VG_T_U64);
	vg_schema_add(sc, "values", VG_T_U64_ARRAY, 900, "kB", VG_METRIC_DATA); /* 2 pages */
	struct vg_set *sets[64];
	int n = 0;
	struct vg_err err = {0};
	char name[64];
	for (;;) {
		snprintf(name, sizeof(name), "node1/meminfo%d", n);
		struct vg_set *s = vg_set_new(pool, sc, name, "node1", 0, 0, 0440, &err);
		if (!s)
			break;
		CU_ASSERT(n < 64);
		if (n >= 64)
			break;
		sets[n++] = s;
	}
	CU_ASSERT_EQUAL(n, (int)(VG_POOL_MIN_SIZE / (2 * page)));
	CU_ASSERT_EQUAL(err.code, ENOMEM);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, name));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "-m"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "64 KiB"));
	/* one set freed: the next one fits again, in the same pages */
	void *mem = vg_set_mem(sets[3], NULL);
	vg_set_put(sets[3]);
	sets[3] = vg_set_new(pool, sc, "node1/again", "node1", 0, 0, 0440, &err);
	CU_ASSERT_PTR_EQUAL(vg_set_mem(sets[3], NULL), mem);
	CU_ASSERT_EQUAL(vg_get_array_u64(sets[3], 1, 0), 0); /* zeroed */
	for (int i = 0; i < n; i++)
		vg_set_put(sets[i]);
	CU_ASSERT_EQUAL(vg_pool_used(pool), 0);
	vg_schema_free(sc);
	vg_pool_destroy(pool);
}

static bool file_exists(const char *path, mode_t *mode)
{
	struct stat st;
	if (stat(path, &st))
		return false;
	if (mode)
		*mode = st.st_mode & 07777;
	return true;
}

static void test_shm_life(void)
{
	char name[64], path[96];
	snprintf(name, sizeof(name), "vigil-test.%d.sets", (int)getpid());
	snprintf(path, sizeof(path), "/dev/shm/%s", name);
	struct vg_err err = {0};
	struct vg_pool *pool = vg_pool_create(name, 256 * 1024, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
	CU_ASSERT_STRING_EQUAL(vg_pool_path(pool), path);
	mode_t mode = 0;
	CU_ASSERT_TRUE(file_exists(path, &mode));
	CU_ASSERT_EQUAL(mode, 0644);

	/* the same name twice is refused */
	CU_ASSERT_PTR_NULL(vg_pool_create(name, 256 * 1024, &err));
	CU_ASSERT_EQUAL(err.code, EEXIST);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, path));

	/* a local reader mapping the object sees what a set writes */
	uint64_t *p = vg_pool_alloc(pool, 100);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	p[3] = 0x1122334455667788ull;
	int fd = open(path, O_RDONLY);
	CU_ASSERT_FATAL(fd >= 0);
	const uint8_t *ro = mmap(NULL, 256 * 1024, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	CU_ASSERT_FATAL(ro != MAP_FAILED);
	size_t off = (size_t)((uint8_t *)p - (uint8_t *)vg_pool_base(pool));
	uint64_t v;
	memcpy(&v, ro + off + 24, 8);
	CU_ASSERT_EQUAL(v, 0x1122334455667788ull);
	munmap((void *)ro, 256 * 1024);

	vg_pool_destroy(pool);
	CU_ASSERT_FALSE(file_exists(path, NULL));
}

static void make_shm_file(const char *name)
{
	char path[128];
	snprintf(path, sizeof(path), "/dev/shm/%s", name);
	int fd = open(path, O_CREAT | O_WRONLY, 0600);
	CU_ASSERT(fd >= 0);
	if (fd >= 0)
		close(fd);
}

static void test_sweep(void)
{
	/* a pid that surely does not run: a child that has exited and been reaped */
	pid_t dead = fork();
	CU_ASSERT_FATAL(dead >= 0);
	if (dead == 0)
		_exit(0);
	waitpid(dead, NULL, 0);

	char prefix[64], dead_name[128], live_name[128], other_name[128];
	snprintf(prefix, sizeof(prefix), "vigiltest%d.", (int)getpid());
	snprintf(dead_name, sizeof(dead_name), "%s%d.sets", prefix, (int)dead);
	snprintf(live_name, sizeof(live_name), "%s%d.sets", prefix, (int)getpid());
	snprintf(other_name, sizeof(other_name), "%sabc.sets", prefix);
	make_shm_file(dead_name);
	make_shm_file(live_name);
	make_shm_file(other_name);

	CU_ASSERT_EQUAL(vg_pool_sweep_stale(prefix), 1);
	char path[160];
	snprintf(path, sizeof(path), "/dev/shm/%s", dead_name);
	CU_ASSERT_FALSE(file_exists(path, NULL));
	snprintf(path, sizeof(path), "/dev/shm/%s", live_name);
	CU_ASSERT_TRUE(file_exists(path, NULL));
	unlink(path);
	snprintf(path, sizeof(path), "/dev/shm/%s", other_name);
	CU_ASSERT_TRUE(file_exists(path, NULL));
	unlink(path);
	CU_ASSERT_EQUAL(vg_pool_sweep_stale(prefix), 0);

	/*
	 * A set memory whose pid looks dead but whose owner holds it (a daemon
	 * in another PID namespace sharing /dev/shm) is kept: a live pool holds a
	 * lock on its file.
	 */
	char pool_name[128];
	snprintf(pool_name, sizeof(pool_name), "%s%d.sets", prefix, (int)dead);
	struct vg_pool *pool = vg_pool_create(pool_name, 1 << 20, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
	CU_ASSERT_EQUAL(vg_pool_sweep_stale(prefix), 0);
	snprintf(path, sizeof(path), "/dev/shm/%s", pool_name);
	CU_ASSERT_TRUE(file_exists(path, NULL));
	vg_pool_destroy(pool);
	CU_ASSERT_FALSE(file_exists(path, NULL));
}

static const struct cu_test tests[] = {
	{"alloc and free", test_alloc_free},
	{"fragmentation and largest_free", test_fragmentation},
	{"too small", test_too_small},
	{"set memory exhausted", test_set_exhaustion},
	{"shm object lifetime", test_shm_life},
	{"sweep of stale objects", test_sweep},
	{NULL, NULL},
};
CU_MAIN("pool", tests)
