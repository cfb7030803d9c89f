/*
 * test_test_sampler.c - the test_sampler plugin: schemas and sets built from
 * config lines, the values each sample gives, and the sets LDMS 4.4.6's
 * test_sampler produced (tests/fixtures/ldms44/ls_l.txt, and the store_csv
 * rows quoted below).
 *
 * Needs VIGIL_PLUGIN_PATH and VIGIL_FIXTURES, as make check sets them.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "core/set.h"
#include "core/setdir.h"
#include "plugins/host.h"
#include "tests/unit/cu_main.h"

#include "tests/unit/alloc_counter.h"

/* ------------------------------------------------------------------ harness */

struct env {
	struct vg_pool *pool;
	struct vg_setdir *dir;
	struct vg_plugin_host host;
	struct vg_plugin *p;
};

static void env_init(struct env *e)
{
	struct vg_err err = {0};
	e->pool = vg_pool_create(NULL, 4u << 20, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e->pool);
	e->dir = vg_setdir_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(e->dir);
	e->host = (struct vg_plugin_host){e->pool, e->dir, NULL};
	CU_ASSERT_EQUAL_FATAL(vg_plugin_load(&e->host, "ts", "test_sampler", &e->p, &err), 0);
}

static void env_fini(struct env *e)
{
	vg_plugin_unload(e->p);
	CU_ASSERT_EQUAL(vg_setdir_count(e->dir), 0);
	CU_ASSERT_EQUAL(vg_pool_used(e->pool), 0);
	vg_setdir_free(e->dir);
	vg_pool_destroy(e->pool);
}

/* One config line, "k=v k=v ..." (values hold no spaces); err may be NULL. */
static int cfg(struct env *e, const char *line, struct vg_err *err)
{
	char text[1024];
	struct vg_kv items[32];
	struct vg_kvlist kv = {0, items};
	struct vg_err local = {0};
	snprintf(text, sizeof(text), "%s", line);
	char *save = NULL;
	for (char *tok = strtok_r(text, " ", &save); tok && kv.count < 32;
	     tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '=');
		if (eq)
			*eq = '\0';
		items[kv.count++] = (struct vg_kv){tok, eq ? eq + 1 : ""};
	}
	if (!err)
		err = &local;
	memset(err, 0, sizeof(*err));
	int rc = vg_plugin_configure(e->p, &kv, err);
	if (rc < 0 && err == &local)
		fprintf(stderr, "config %s: %s\n", line, err->msg);
	return rc;
}

static struct vg_set *set_of(struct env *e, const char *instance)
{
	struct vg_set *s = vg_setdir_find(e->dir, instance);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	return s;
}

static int idx_of(struct vg_set *s, const char *metric)
{
	int idx = vg_set_metric_find(s, metric);
	CU_ASSERT_TRUE_FATAL(idx >= 0);
	return idx;
}

static void sample_n(struct env *e, int n)
{
	for (int i = 0; i < n; i++)
		CU_ASSERT_EQUAL(vg_plugin_sample(e->p), 0);
}

/* ------------------------------------------------------------------ layouts */

static void test_num_metrics(void)
{
	struct env e;
	env_init(&e);
	CU_ASSERT_EQUAL(cfg(&e, "action=add_schema schema=ts3 num_metrics=3", NULL), 0);
	CU_ASSERT_EQUAL(cfg(&e, "action=add_set instance=n1/ts3 schema=ts3 producer=n1", NULL), 0);
	struct vg_set *s = set_of(&e, "n1/ts3");
	CU_ASSERT_STRING_EQUAL(vg_set_schema_name(s), "ts3");
	CU_ASSERT_STRING_EQUAL(vg_set_producer(s), "n1");
	CU_ASSERT_EQUAL(vg_set_perm(s), 0440);
	CU_ASSERT_EQUAL(vg_set_card(s), 3); /* no component_id or job_id */
	for (int i = 0; i < 3; i++) {
		char name[16];
		snprintf(name, sizeof(name), "metric_%d", i);
		CU_ASSERT_STRING_EQUAL(vg_set_metric_name(s, i), name);
		CU_ASSERT_EQUAL(vg_set_metric_type(s, i), VG_T_U64);
		CU_ASSERT_FALSE(vg_set_metric_is_meta(s, i));
		CU_ASSERT_PTR_NULL(vg_set_metric_unit(s, i)); /* LDMS: no unit at all */
		CU_ASSERT_EQUAL(vg_get_u64(s, i), 0);
	}
	CU_ASSERT_FALSE(vg_set_is_consistent(s));
	sample_n(&e, 2);
	CU_ASSERT_TRUE(vg_set_is_consistent(s));
	CU_ASSERT_EQUAL(vg_set_data_gn(s), 2);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(vg_get_u64(s, i), 2);
	env_fini(&e);
}

/* type= takes every scalar type, in LDMS's and vigil's spelling. */
static void test_every_type(void)
{
	static const struct {
		const char *type;
		enum vg_type expect;
		const char *init;
	} cases[] = {
		{"u8", VG_T_U8, "5"},         {"S8", VG_T_S8, "-7"},      {"u16", VG_T_U16, "5"},
		{"s16", VG_T_S16, "0x10"},    {"U32", VG_T_U32, "5"},     {"s32", VG_T_S32, "-1"},
		{"u64", VG_T_U64, "5"},       {"s64", VG_T_S64, "-100"},  {"f32", VG_T_F32, "1.5"},
		{"D64", VG_T_D64, "-2.5"},    {"char", VG_T_CHAR, "x"},   {"u64_array", VG_T_U64_ARRAY, "5"},
		{"s32[]", VG_T_S32_ARRAY, "-3"},
	};
	struct env e;
	env_init(&e);
	for (size_t i = 0; i < VG_ARRAY_LEN(cases); i++) {
		char line[256];
		snprintf(line, sizeof(line), "action=add_schema schema=t%zu num_metrics=2 type=%s "
					     "init_value=%s",
			 i, cases[i].type, cases[i].init);
		CU_ASSERT_EQUAL(cfg(&e, line, NULL), 0);
		snprintf(line, sizeof(line), "action=add_set schema=t%zu instance=set%zu producer=p", i,
			 i);
		CU_ASSERT_EQUAL(cfg(&e, line, NULL), 0);
	}
	sample_n(&e, 2);
	for (size_t i = 0; i < VG_ARRAY_LEN(cases); i++) {
		char inst[16];
		snprintf(inst, sizeof(inst), "set%zu", i);
		struct vg_set *s = set_of(&e, inst);
		CU_ASSERT_EQUAL(vg_set_card(s), 2);
		CU_ASSERT_EQUAL(vg_set_metric_type(s, 1), cases[i].expect);
		CU_ASSERT_EQUAL(vg_set_metric_count(s, 1), 1);
	}
	CU_ASSERT_EQUAL(vg_get_u8(set_of(&e, "set0"), 1), 7);
	CU_ASSERT_EQUAL(vg_get_s8(set_of(&e, "set1"), 1), -5);
	CU_ASSERT_EQUAL(vg_get_s16(set_of(&e, "set3"), 0), 18); /* signed init in C notation */
	CU_ASSERT_EQUAL(vg_get_s32(set_of(&e, "set5"), 1), 1);
	CU_ASSERT_EQUAL(vg_get_s64(set_of(&e, "set7"), 1), -98);
	CU_ASSERT_DOUBLE_EQUAL(vg_get_f32(set_of(&e, "set8"), 1), 3.0, 1e-9); /* 1.5 -> 2 -> 3 */
	CU_ASSERT_DOUBLE_EQUAL(vg_get_d64(set_of(&e, "set9"), 1), 0.0, 1e-9); /* -2.5 -> -1 -> 0 */
	CU_ASSERT_EQUAL(vg_get_char(set_of(&e, "set10"), 1), 'l'); /* 'x' -> 'r' -> 'l' */
	CU_ASSERT_EQUAL(vg_get_array_u64(set_of(&e, "set11"), 1, 0), 7);
	CU_ASSERT_EQUAL(vg_get_array_s32(set_of(&e, "set12"), 1, 0), -1);
	env_fini(&e);
}

static void test_metrics_spec(void)
{
	struct env e;
	env_init(&e);
	CU_ASSERT_EQUAL(cfg(&e, "action=add_schema schema=mix metrics=component_id:meta:u64:7:1:,"
				"job_id:m:U64:0,t:data:s16:-3::C,sz:d:u32_array:9:4:B,"
				"name:meta:char_array:q:8:,s:data:CHAR_ARRAY:x:8:,f:data:f32:1.5",
			    NULL),
			0);
	CU_ASSERT_EQUAL(cfg(&e, "action=add_set instance=m schema=mix producer=p component_id=node42 "
				"job_id=0x10 uid=0100 gid=0 perm=0400 push=2",
			    NULL),
			0);
	struct vg_set *s = set_of(&e, "m");
	CU_ASSERT_EQUAL(vg_set_card(s), 7);
	CU_ASSERT_EQUAL(vg_set_uid(s), 64);
	CU_ASSERT_EQUAL(vg_set_gid(s), 0);
	CU_ASSERT_EQUAL(vg_set_perm(s), 0400);
	int cid = idx_of(s, "component_id"), job = idx_of(s, "job_id"), t = idx_of(s, "t");
	int sz = idx_of(s, "sz"), name = idx_of(s, "name"), str = idx_of(s, "s"), f = idx_of(s, "f");
	CU_ASSERT_TRUE(vg_set_metric_is_meta(s, cid));
	CU_ASSERT_TRUE(vg_set_metric_is_meta(s, job));
	CU_ASSERT_TRUE(vg_set_metric_is_meta(s, name));
	CU_ASSERT_FALSE(vg_set_metric_is_meta(s, t));
	CU_ASSERT_EQUAL(vg_set_metric_type(s, t), VG_T_S16);
	CU_ASSERT_EQUAL(vg_set_metric_type(s, sz), VG_T_U32_ARRAY);
	CU_ASSERT_EQUAL(vg_set_metric_count(s, sz), 4);
	CU_ASSERT_EQUAL(vg_set_metric_type(s, str), VG_T_CHAR_ARRAY);
	CU_ASSERT_EQUAL(vg_set_metric_count(s, str), 8);
	CU_ASSERT_STRING_EQUAL(vg_set_metric_unit(s, cid), "");
	CU_ASSERT_STRING_EQUAL(vg_set_metric_unit(s, t), "C");
	CU_ASSERT_STRING_EQUAL(vg_set_metric_unit(s, sz), "B");
	/* initial values, with component_id= and job_id= written over the spec's */
	CU_ASSERT_EQUAL(vg_get_u64(s, cid), 42);
	CU_ASSERT_EQUAL(vg_get_u64(s, job), 16);
	CU_ASSERT_EQUAL(vg_get_s16(s, t), -3);
	for (uint32_t i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(vg_get_array_u32(s, sz, i), 9);
	CU_ASSERT_STRING_EQUAL(vg_get_str(s, name), "q"); /* one character, as LDMS */
	CU_ASSERT_STRING_EQUAL(vg_get_str(s, str), "x");
	uint64_t meta_gn = vg_set_meta_gn(s);

	sample_n(&e, 2);
	CU_ASSERT_EQUAL(vg_get_u64(s, cid), 42); /* meta: untouched */
	CU_ASSERT_EQUAL(vg_get_u64(s, job), 16);
	CU_ASSERT_STRING_EQUAL(vg_get_str(s, name), "q");
	CU_ASSERT_EQUAL(vg_set_meta_gn(s), meta_gn);
	CU_ASSERT_EQUAL(vg_get_s16(s, t), -1);
	for (uint32_t i = 0; i < 4; i++)
		CU_ASSERT_EQUAL(vg_get_array_u32(s, sz, i), 11);
	CU_ASSERT_STRING_EQUAL(vg_get_str(s, str), "lllllll"); /* x -> rrrrrrr -> lllllll */
	CU_ASSERT_DOUBLE_EQUAL(vg_get_f32(s, f), 3.0, 1e-9);

	/* delim= for units that contain ':' */
	CU_ASSERT_EQUAL(cfg(&e, "action=add_schema schema=d metrics=a;data;u8;250;;h:m delim=;", NULL),
			0);
	CU_ASSERT_EQUAL(cfg(&e, "action=add_set instance=dset schema=d producer=p", NULL), 0);
	struct vg_set *ds = set_of(&e, "dset");
	CU_ASSERT_STRING_EQUAL(vg_set_metric_unit(ds, 0), "h:m");
	sample_n(&e, 6);
	CU_ASSERT_EQUAL(vg_get_u8(ds, 0), 0); /* 250 + 6 wraps */
	env_fini(&e);
}

/* ------------------------------------------------------------------ LDMS equivalence */

/* Columns as store_csv writes them: arrays expanded (except char[]), d64 %.17g. */
static void csv_of(struct vg_set *s, char *header, char *row, size_t len)
{
	size_t h = 0, r = 0;
	for (int i = 0; i < vg_set_card(s); i++) {
		enum vg_type t = vg_set_metric_type(s, i);
		const char *name = vg_set_metric_name(s, i);
		uint32_t n = t == VG_T_CHAR_ARRAY ? 1 : vg_set_metric_count(s, i);
		for (uint32_t k = 0; k < n; k++) {
			const char *sep = h ? "," : "";
			if (vg_type_is_array(t) && t != VG_T_CHAR_ARRAY)
				h += (size_t)snprintf(header + h, len - h, "%s%s%u", sep, name, k);
			else
				h += (size_t)snprintf(header + h, len - h, "%s%s", sep, name);
			if (t == VG_T_CHAR_ARRAY)
				r += (size_t)snprintf(row + r, len - r, "%s%s", sep, vg_get_str(s, i));
			else if (vg_type_elem(t) == VG_T_D64)
				r += (size_t)snprintf(row + r, len - r, "%s%.17g", sep,
						      vg_get_as_d64(s, i, k));
			else
				r += (size_t)snprintf(row + r, len - r, "%s%" PRIu64, sep,
						      vg_get_as_u64(s, i, k));
		}
	}
}

/* The value as ldms_ls -l prints it for the types of the ts3 and tsmix sets. */
static void ls_value(struct vg_set *s, int idx, char *buf, size_t len)
{
	enum vg_type t = vg_set_metric_type(s, idx);
	if (t == VG_T_CHAR_ARRAY) {
		snprintf(buf, len, "\"%s\"", vg_get_str(s, idx));
		return;
	}
	size_t off = 0;
	for (uint32_t i = 0; i < vg_set_metric_count(s, idx) && off < len; i++) {
		if (vg_type_elem(t) == VG_T_D64)
			off += (size_t)snprintf(buf + off, len - off, "%s%f", i ? "," : "",
						vg_get_as_d64(s, idx, i));
		else
			off += (size_t)snprintf(buf + off, len - off, "%s%" PRIu64, i ? "," : "",
						vg_get_as_u64(s, idx, i));
	}
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	static char buf[1 << 16];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* Compare with the set's block in LDMS 4.4.6's ldms_ls -l capture: M/D, type, name, unit, value. */
static void assert_ldms_listing(struct vg_set *s)
{
	char path[4096];
	const char *root = getenv("VIGIL_FIXTURES");
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	snprintf(path, sizeof(path), "%s/ldms44/ls_l.txt", root);
	char *text = slurp(path);
	char head[300];
	snprintf(head, sizeof(head), "\n%s: consistent", vg_set_instance(s));
	char *line = strstr(text, head);
	CU_ASSERT_PTR_NOT_NULL_FATAL(line);
	line = strchr(line + 1, '\n') + 1;
	int idx = 0;
	for (; *line && *line != '\n'; idx++) {
		char *eol = strchr(line, '\n');
		*eol = '\0';
		char kind, type[32], name[256], value[256], got[256];
		CU_ASSERT_EQUAL_FATAL(sscanf(line, "%c %31s %255s %255s", &kind, type, name, value), 4);
		CU_ASSERT_TRUE_FATAL(idx < vg_set_card(s));
		CU_ASSERT_STRING_EQUAL(vg_set_metric_name(s, idx), name);
		CU_ASSERT_EQUAL(vg_set_metric_is_meta(s, idx), kind == 'M');
		CU_ASSERT_STRING_EQUAL(vg_type_name(vg_set_metric_type(s, idx)), type);
		ls_value(s, idx, got, sizeof(got));
		CU_ASSERT_STRING_EQUAL(got, value);
		/* ldms_ls prints a trailing space for a unit, even an empty one */
		CU_ASSERT_EQUAL(vg_set_metric_unit(s, idx) != NULL, eol[-1] == ' ');
		line = eol + 1;
	}
	CU_ASSERT_EQUAL(idx, vg_set_card(s));
}

/*
 * The two test_sampler sets of the LDMS capture.  After 6 samples they must
 * give store_csv's first rows (shared/ldms-compat/store_csv/csv1__def_ts3 and
 * csv1__def_tsmix), after 7 the ldms_ls -l listing.  The capture's initial
 * character of s is not recorded; 'x' (as '*', 'D' or '^') gives nnnnnnn
 * after 6 samples and hhhhhhh after 7.
 */
static void test_ldms_capture(void)
{
	struct env e;
	env_init(&e);
	CU_ASSERT_EQUAL(cfg(&e, "action=add_schema schema=ts3 num_metrics=3", NULL), 0);
	CU_ASSERT_EQUAL(cfg(&e, "action=add_schema schema=tsmix metrics=component_id:meta:u64:7:1:,"
				"a:data:u64:0:1:,arr:data:u64_array:0:3:,d:data:d64:0:1:,"
				"s:data:char_array:x:8:",
			    NULL),
			0);
	CU_ASSERT_EQUAL(cfg(&e, "action=add_set instance=node-1/tsmix schema=tsmix producer=node-1 "
				"component_id=7",
			    NULL),
			0);
	CU_ASSERT_EQUAL(cfg(&e, "action=add_set instance=node-1/ts3 schema=ts3 producer=node-1",
			    NULL),
			0);
	struct vg_set *mix = set_of(&e, "node-1/tsmix"), *ts3 = set_of(&e, "node-1/ts3");
	char header[512], row[512];
	sample_n(&e, 6);
	csv_of(mix, header, row, sizeof(header));
	CU_ASSERT_STRING_EQUAL(header, "component_id,a,arr0,arr1,arr2,d,s");
	CU_ASSERT_STRING_EQUAL(row, "7,6,6,6,6,6,nnnnnnn");
	csv_of(ts3, header, row, sizeof(header));
	CU_ASSERT_STRING_EQUAL(header, "metric_0,metric_1,metric_2");
	CU_ASSERT_STRING_EQUAL(row, "6,6,6");
	sample_n(&e, 1);
	csv_of(mix, header, row, sizeof(header));
	CU_ASSERT_STRING_EQUAL(row, "7,7,7,7,7,7,hhhhhhh");
	assert_ldms_listing(mix);
	assert_ldms_listing(ts3);
	CU_ASSERT_EQUAL(vg_set_perm(mix), 0440); /* ls_v: -r--r----- */
	env_fini(&e);
}

/* ------------------------------------------------------------------ default and sampling */

static void test_default(void)
{
	struct env e;
	struct vg_err err;
	env_init(&e);
	CU_ASSERT_EQUAL(cfg(&e, "action=default base=b num_sets=2 num_metrics=4 producer=p", NULL), 0);
	CU_ASSERT_EQUAL(vg_setdir_count(e.dir), 2);
	for (int i = 0; i < 2; i++) {
		struct vg_set *s = set_of(&e, i ? "b_1" : "b_0");
		CU_ASSERT_STRING_EQUAL(vg_set_schema_name(s), "my_schema");
		CU_ASSERT_STRING_EQUAL(vg_set_producer(s), "p");
		CU_ASSERT_EQUAL(vg_set_card(s), 4);
		CU_ASSERT_STRING_EQUAL(vg_set_metric_name(s, 3), "metric_3");
		CU_ASSERT_STRING_EQUAL(vg_set_metric_unit(s, 3), "unit");
		CU_ASSERT_EQUAL(vg_get_u64(s, 3), 1); /* values start at 1 */
	}
	sample_n(&e, 1);
	CU_ASSERT_EQUAL(vg_get_u64(set_of(&e, "b_1"), 0), 2);

	/* its schema takes more sets; the same schema name twice is refused */
	CU_ASSERT_EQUAL(cfg(&e, "action=add_set instance=more schema=my_schema producer=q", NULL), 0);
	CU_ASSERT_EQUAL(cfg(&e, "action=default base=c", &err), -EEXIST);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "schema 'my_schema' already exists"));

	/* all or nothing: c_1 exists, so neither c_0 nor schema s2 may remain */
	CU_ASSERT_EQUAL(cfg(&e, "action=add_set instance=c_1 schema=my_schema producer=q", NULL), 0);
	CU_ASSERT_EQUAL(cfg(&e, "action=default base=c schema=s2 num_sets=3", &err), -EEXIST);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "c_1"));
	CU_ASSERT_PTR_NULL(vg_setdir_find(e.dir, "c_0"));
	CU_ASSERT_EQUAL(vg_setdir_count(e.dir), 4);
	CU_ASSERT_EQUAL(cfg(&e, "action=add_set instance=x schema=s2 producer=q", &err), -ENOENT);

	/* defaults: my_set_0 with 10 metrics, the host name as producer */
	CU_ASSERT_EQUAL(cfg(&e, "action=default schema=s3", NULL), 0);
	struct vg_set *s = set_of(&e, "my_set_0");
	CU_ASSERT_EQUAL(vg_set_card(s), 10);
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	CU_ASSERT_STRING_EQUAL(vg_set_producer(s), host);
	/* num_sets=0 gives the schema only, as LDMS 4.4.6 */
	CU_ASSERT_EQUAL(cfg(&e, "action=default schema=s4 num_sets=0", NULL), 0);
	CU_ASSERT_EQUAL(cfg(&e, "action=add_set instance=y schema=s4 producer=q", NULL), 0);
	CU_ASSERT_EQUAL(vg_set_card(set_of(&e, "y")), 10);
	env_fini(&e);
}

static void test_sample_transactions(void)
{
	struct env e;
	env_init(&e);
	CU_ASSERT_EQUAL(cfg(&e, "action=add_schema schema=a num_metrics=2", NULL), 0);
	CU_ASSERT_EQUAL(cfg(&e, "action=add_schema schema=b metrics=x:data:d64_array:0.5:100:,"
				"c:data:char_array:a:64:",
			    NULL),
			0);
	const char *names[] = {"a1", "a2", "b1"};
	CU_ASSERT_EQUAL(cfg(&e, "action=add_set instance=a1 schema=a producer=p", NULL), 0);
	CU_ASSERT_EQUAL(cfg(&e, "action=add_set instance=a2 schema=a producer=p", NULL), 0);
	CU_ASSERT_EQUAL(cfg(&e, "action=add_set instance=b1 schema=b producer=p", NULL), 0);
	alloc_calls = 0;
	counting = 1;
	sample_n(&e, 3);
	counting = 0;
	CU_ASSERT_EQUAL(alloc_calls, 0);
	for (int i = 0; i < 3; i++) {
		struct vg_set *s = set_of(&e, names[i]);
		CU_ASSERT_EQUAL(vg_set_data_gn(s), 3); /* one transaction per set per sample */
		CU_ASSERT_TRUE(vg_set_is_consistent(s));
		CU_ASSERT_TRUE(vg_set_timestamp(s).sec > 0);
	}
	struct vg_set *b = set_of(&e, "b1");
	for (uint32_t i = 0; i < 100; i++)
		CU_ASSERT_DOUBLE_EQUAL(vg_get_array_d64(b, 0, i), 3.0, 1e-9);
	const char *str = vg_get_str(b, 1);
	CU_ASSERT_EQUAL(strlen(str), 63);
	CU_ASSERT_EQUAL(strspn(str, "i"), 63); /* a -> u -> o -> i */
	CU_ASSERT_EQUAL(vg_get_u64(set_of(&e, "a2"), 1), 3);
	env_fini(&e);
}

/* A second instance has its own schemas; unloading deletes the sets. */
static void test_instances(void)
{
	struct env e;
	struct vg_err err = {0};
	env_init(&e);
	struct vg_plugin *p2;
	CU_ASSERT_EQUAL_FATAL(vg_plugin_load(&e.host, "ts2", "test_sampler", &p2, &err), 0);
	CU_ASSERT_EQUAL(cfg(&e, "action=add_schema schema=s num_metrics=1", NULL), 0);
	struct vg_plugin *first = e.p;
	e.p = p2;
	CU_ASSERT_EQUAL(cfg(&e, "action=add_set instance=i schema=s producer=p", &err), -ENOENT);
	CU_ASSERT_EQUAL(cfg(&e, "action=add_schema schema=s num_metrics=2", NULL), 0);
	CU_ASSERT_EQUAL(cfg(&e, "action=add_set instance=i2 schema=s producer=p", NULL), 0);
	vg_plugin_unload(p2);
	CU_ASSERT_EQUAL(vg_setdir_count(e.dir), 0);
	e.p = first;
	CU_ASSERT_TRUE(first->ops->usage && strstr(first->ops->usage(), "action=add_schema"));
	env_fini(&e);
}

/* ------------------------------------------------------------------ errors */

static void test_errors(void)
{
	static const struct {
		const char *line;
		int rc;
		const char *msg;
	} cases[] = {
		{"schema=s num_metrics=1", -EINVAL, "'action' is required"},
		{"action=bogus", -EINVAL, "action=bogus is unknown"},
		{"action=add_lists schema=s", -EINVAL, "action=add_lists is not supported"},
		{"action=add_schema num_metrics=1", -EINVAL, "'schema' is required"},
		{"action=add_schema schema=s", -EINVAL, "give either metrics="},
		{"action=add_schema schema=s num_metrics=1 metrics=a:data:u64:0", -EINVAL, "not both"},
		{"action=add_schema schema=s num_metrics=0", -EINVAL, "num_metrics=0 is not valid"},
		{"action=add_schema schema=s num_metrics=abc", -EINVAL, "num_metrics=abc"},
		{"action=add_schema schema=s num_metrics=70000", -EINVAL, "from 1 to 65535"},
		{"action=add_schema schema=s num_metrics=2 type=u65", -EINVAL, "unknown type 'u65'"},
		{"action=add_schema schema=s num_metrics=2 type=list", -EINVAL, "'list' is not supported"},
		{"action=add_schema schema=s num_metrics=2 init_value=x", -EINVAL, "init_value=x is not a u64"},
		{"action=add_schema schema=s num_metrics=2 type=u8 init_value=256", -EINVAL, "init_value=256"},
		{"action=add_schema schema=s num_metrics=2 type=s8 init_value=-129", -EINVAL, "init_value=-129"},
		{"action=add_schema schema=s num_metrics=2 set_array_card=0", -EINVAL, "set_array_card=0"},
		{"action=add_schema schema=s metrics=a:data:u64:0 type=u8", -EINVAL, "type= and init_value="},
		{"action=add_schema schema=s metrics=a:data", -EINVAL, "entry 'a:data' is not"},
		{"action=add_schema schema=s metrics=a:dada:u64:0", -EINVAL, "kind 'dada'"},
		{"action=add_schema schema=s metrics=a:data:u64:", -EINVAL, "entry 'a:data:u64:' is not"},
		{"action=add_schema schema=s metrics=a:data:u64:0:1:u:extra", -EINVAL, "is not name"},
		{"action=add_schema schema=s metrics=a:data:u64_array:0:0:", -EINVAL, "length '0'"},
		{"action=add_schema schema=s metrics=a:data:u64:0:3:", -EINVAL, "a scalar has length 1"},
		{"action=add_schema schema=s metrics=a:data:f32:1.5x", -EINVAL, "initial value '1.5x'"},
		{"action=add_schema schema=s metrics=l:data:list:[u64:0:1]:4:", -EINVAL, "list and record"},
		{"action=add_schema schema=s metrics=a:data:u64:0,a:meta:u8:1", -EINVAL, "'a' is given twice"},
		{"action=add_schema schema=s metrics=a:data:u64:0,", -EINVAL, "entry 2 is empty"},
		{"action=add_schema schema=s metrics=a:data:u64:0 delim=::", -EINVAL, "delim=::"},
		{"action=add_schema schema=s num_metrics=1 instance=x", -EINVAL,
		 "instance= does not apply to action=add_schema"},
		{"action=add_schema schema=dup num_metrics=1", -EEXIST, "schema 'dup' already exists"},
		{"action=add_set instance=i schema=nosuch producer=p", -ENOENT, "schema 'nosuch' does not exist"},
		{"action=add_set schema=dup producer=p", -EINVAL, "'instance' is required"},
		{"action=add_set instance=i schema=dup", -EINVAL, "'producer' is required"},
		{"action=add_set instance=taken schema=dup producer=p", -EEXIST, "set 'taken' already exists"},
		{"action=add_set instance=i schema=dup producer=p perm=0999", -EINVAL, "perm=0999"},
		{"action=add_set instance=i schema=dup producer=p job_id=x", -EINVAL, "job_id=x"},
		{"action=add_set instance=i schema=dup producer=p component_id=node", -EINVAL,
		 "component_id=node is not a number"},
		{"action=add_set instance=i schema=dup producer=p uid=nosuchuser_xyz", -EINVAL,
		 "uid=nosuchuser_xyz: no such user"},
		{"action=add_set instance=i schema=dup producer=p num_metrics=3", -EINVAL,
		 "num_metrics= does not apply to action=add_set"},
		{"action=default num_sets=x", -EINVAL, "num_sets=x"},
		{"action=add_set instance=i schema=dup producer=p bogus=1", -EINVAL,
		 "unknown attribute 'bogus' (test_sampler takes action, schema,"},
	};
	struct env e;
	struct vg_err err;
	env_init(&e);
	CU_ASSERT_EQUAL(cfg(&e, "action=add_schema schema=dup num_metrics=1", NULL), 0);
	CU_ASSERT_EQUAL(cfg(&e, "action=add_set instance=taken schema=dup producer=p", NULL), 0);
	size_t used = vg_pool_used(e.pool);
	for (size_t i = 0; i < VG_ARRAY_LEN(cases); i++) {
		int rc = cfg(&e, cases[i].line, &err);
		if (rc != cases[i].rc || (cases[i].msg && !strstr(err.msg, cases[i].msg)))
			fprintf(stderr, "\n'%s': %d '%s'\n", cases[i].line, rc, err.msg);
		CU_ASSERT_EQUAL(rc, cases[i].rc);
		CU_ASSERT_EQUAL(err.code, -cases[i].rc);
		if (cases[i].msg)
			CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, cases[i].msg));
	}
	/* nothing was left behind by the failed lines: "s" is still free */
	CU_ASSERT_EQUAL(vg_setdir_count(e.dir), 1);
	CU_ASSERT_EQUAL(vg_pool_used(e.pool), used);
	CU_ASSERT_EQUAL(cfg(&e, "action=add_schema schema=s num_metrics=1", NULL), 0);
	env_fini(&e);
}

static const struct cu_test tests[] = {
	{"num_metrics: metric_N, u64 data, no unit", test_num_metrics},
	{"type=: every scalar and array type counts up", test_every_type},
	{"metrics=: meta/data, arrays, char[], units, ids, owner", test_metrics_spec},
	{"ts3 and tsmix equal LDMS 4.4.6's csv rows and ls -l", test_ldms_capture},
	{"action=default: schema, sets, all or nothing", test_default},
	{"sample: one transaction per set, no allocation", test_sample_transactions},
	{"instances have their own schemas", test_instances},
	{"errors name the attribute, value and fix", test_errors},
	{NULL, NULL},
};

CU_MAIN("test_sampler", tests)
