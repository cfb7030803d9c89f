/*
 * store_csv_util.h - helpers of the store_csv tests: a fixture (temporary
 * directory, loop, fake wall clock, the plugin configured from "k=v k=v"
 * text), sets built with the schema API and stamped at chosen times, the
 * plugin's open/store/close, and reading back the files it wrote.
 *
 * Included once, by each of test_store_csv.c and test_store_csv_files.c
 * (static functions, like cu_main.h); both use every helper here, so
 * -Wunused-function stays quiet.  Needs VIGIL_PLUGIN_PATH (make check sets it).
 */
#ifndef VIGIL_TEST_STORE_CSV_UTIL_H
#define VIGIL_TEST_STORE_CSV_UTIL_H

#include <ftw.h>
#include <stdarg.h>
#include <sys/stat.h>

#include "core/loop.h"
#include "core/set.h"
#include "plugins/host.h"
#include "tests/unit/cu_main.h"

/* ------------------------------------------------------------------ fixture */

static uint64_t fake_now_us;
static uint64_t fake_clock(void)
{
	return fake_now_us;
}

struct fx {
	char dir[256];
	struct vg_loop *loop;
	struct vg_plugin_host host;
	struct vg_plugin *p;
};

static void fx_init(struct fx *x)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(x->dir, sizeof(x->dir), "%s/vigil-csv-XXXXXX", tmp ? tmp : "/tmp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(x->dir));
	struct vg_err err = {0};
	x->loop = vg_loop_new(&err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x->loop);
	x->host = (struct vg_plugin_host){NULL, NULL, x->loop};
	x->p = NULL;
	fake_now_us = 1795620388001127ull;
	vg_clock_fake(fake_clock);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void fx_fini(struct fx *x)
{
	if (x->p)
		vg_plugin_unload(x->p);
	vg_loop_free(x->loop);
	nftw(x->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	vg_clock_fake(NULL);
}

/* Configure instance x->p (loaded on first use) with printf-formatted "k=v k=v". */
static int cfg(struct fx *x, struct vg_err *err, const char *fmt, ...) VG_PRINTF(3, 4);
static int cfg(struct fx *x, struct vg_err *err, const char *fmt, ...)
{
	static char text[2048];
	static struct vg_kv items[48];
	if (!x->p)
		CU_ASSERT_EQUAL_FATAL(vg_plugin_load(&x->host, "store_csv", NULL, &x->p, err), 0);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	struct vg_kvlist list = {0, items};
	char *save = NULL;
	for (char *t = strtok_r(text, " ", &save); t && list.count < 48;
	     t = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(t, '=');
		if (eq)
			*eq = '\0';
		items[list.count++] = (struct vg_kv){t, eq ? eq + 1 : ""};
	}
	vg_err_clear(err);
	return vg_plugin_configure(x->p, &list, err);
}

/* ------------------------------------------------------------------ sets */

struct mdef {
	const char *name;
	enum vg_type type;
	uint32_t count;
	bool meta;
};

static struct vg_set *make_set(const char *schema_name, const struct mdef *defs, size_t n,
			       const char *producer)
{
	struct vg_schema *s = vg_schema_new(schema_name);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	for (size_t i = 0; i < n; i++)
		CU_ASSERT_TRUE_FATAL(vg_schema_add(s, defs[i].name, defs[i].type,
						   defs[i].count ? defs[i].count : 1, NULL,
						   defs[i].meta ? VG_METRIC_META : VG_METRIC_DATA) >= 0);
	char inst[300];
	snprintf(inst, sizeof(inst), "%s/%s", producer, schema_name);
	struct vg_err err = {0};
	struct vg_set *set = vg_set_new(NULL, s, inst, producer, 0, 0, 0440, &err);
	vg_schema_free(s);
	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	return set;
}

static const struct mdef TS3[] = {
	{"metric_0", VG_T_U64, 1, false},
	{"metric_1", VG_T_U64, 1, false},
	{"metric_2", VG_T_U64, 1, false},
};

static struct vg_set *ts3_set(void)
{
	return make_set("ts3", TS3, 3, "node-1");
}

/* Every u64 element = v, stamped at t_us. */
static void sample_u64(struct vg_set *set, uint64_t v, uint64_t t_us)
{
	vg_set_begin(set);
	for (int m = 0; m < vg_set_card(set); m++)
		for (uint32_t i = 0; i < vg_set_metric_count(set, m); i++)
			vg_set_array_u64(set, m, i, v);
	fake_now_us = t_us;
	vg_set_end(set);
}

static void *open_store(struct fx *x, struct vg_set *set, const char *container,
			struct vg_err *err)
{
	static int metrics[1024];
	size_t n = (size_t)vg_set_card(set);
	for (size_t i = 0; i < n; i++)
		metrics[i] = (int)i;
	struct vg_store_layout layout = {"policy", container, vg_set_schema_name(set), set,
					 metrics, n};
	vg_err_clear(err);
	return x->p->ops->open(x->p, &layout, err);
}

static int store(struct fx *x, void *h, struct vg_set *set)
{
	struct vg_err err = {0};
	int rc = x->p->ops->store(h, set, &err);
	if (rc)
		fprintf(stderr, "store: %s\n", err.msg);
	return rc;
}

/* ------------------------------------------------------------------ files */

static char *slurp(const char *fmt, ...) VG_PRINTF(1, 2);
static char *slurp(const char *fmt, ...)
{
	char path[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(path, sizeof(path), fmt, ap);
	va_end(ap);
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *buf = calloc(1, 1 << 20);
	size_t n = fread(buf, 1, (1 << 20) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

#define EXPECT_FILE(expected, ...)                                                      \
	do {                                                                            \
		char *got_ = slurp(__VA_ARGS__);                                        \
		CU_ASSERT_PTR_NOT_NULL(got_);                                           \
		if (got_ && strcmp(got_, (expected)) != 0)                              \
			fprintf(stderr, "\n%s:%d: got\n%s\nexpected\n%s\n", __FILE__,   \
				__LINE__, got_, (expected));                            \
		CU_ASSERT_STRING_EQUAL(got_ ? got_ : "", (expected));                   \
		free(got_);                                                             \
	} while (0)

static unsigned mode_of(const char *dir, const char *rel)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	struct stat st;
	return stat(path, &st) == 0 ? (unsigned)(st.st_mode & 07777) : 01000000;
}

/* One row of set into <container>/<schema>; the handle is closed. */
static void store_one(struct fx *x, struct vg_set *set, const char *container)
{
	struct vg_err err = {0};
	void *h = open_store(x, set, container, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_EQUAL(store(x, h, set), 0);
	x->p->ops->close(h);
}

#endif
