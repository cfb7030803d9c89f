/*
 * test_samplers.c - the plugin loader, the sampler base and the meminfo,
 * vmstat and procstat samplers, run on recorded /proc files.
 *
 * Needs VIGIL_PLUGIN_PATH (the build's .libs) and VIGIL_FIXTURES (the
 * absolute path of tests/fixtures), as make check sets them.  The node-1
 * fixture reproduces the files behind LDMS 4.4.6's `ldms_ls -l` capture in
 * tests/fixtures/node-1/ls_l.txt, and the tests compare our sets with it
 * metric by metric.
 */
#include "config.h"

#include <errno.h>
#include <malloc.h>

#include "tests/unit/sampler_util.h"

#include "tests/unit/alloc_counter.h"

#define NODE1 "producer=node-1 component_id=7 instance=node-1/"

static void check_ldms_listing(const char *plugin)
{
	struct env e;
	env_init(&e);
	use_proc(fixture("node-1"));
	struct vg_plugin *p;
	char attrs[256], inst[64];
	snprintf(attrs, sizeof(attrs), NODE1 "%s", plugin);
	snprintf(inst, sizeof(inst), "node-1/%s", plugin);
	CU_ASSERT_EQUAL_FATAL(start(&e, plugin, NULL, attrs, &p, NULL), 0);
	struct vg_set *set = set_of(&e, inst);
	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	CU_ASSERT_FALSE(vg_set_is_consistent(set));
	CU_ASSERT_EQUAL(vg_plugin_sample(p), 0);
	CU_ASSERT_TRUE(vg_set_is_consistent(set));
	CU_ASSERT_STRING_EQUAL(vg_set_schema_name(set), plugin);
	CU_ASSERT_STRING_EQUAL(vg_set_producer(set), "node-1");
	assert_matches_ldms(set);
	vg_plugin_unload(p);
	env_fini(&e);
}

static void test_meminfo_ldms(void)
{
	check_ldms_listing("meminfo");
}

static void test_vmstat_ldms(void)
{
	check_ldms_listing("vmstat");
}

static void test_procstat_ldms(void)
{
	check_ldms_listing("procstat");
}

/* ------------------------------------------------------------------ loader */

static void test_kv_get(void)
{
	struct kvbuf kb;
	const struct vg_kvlist *kv = kvl(&kb, "a=1 b=2 a=3 empty=");
	CU_ASSERT_STRING_EQUAL(vg_kv_get(kv, "a"), "3");
	CU_ASSERT_STRING_EQUAL(vg_kv_get(kv, "b"), "2");
	CU_ASSERT_STRING_EQUAL(vg_kv_get(kv, "empty"), "");
	CU_ASSERT_PTR_NULL(vg_kv_get(kv, "c"));
	CU_ASSERT_PTR_NULL(vg_kv_get(NULL, "a"));
}

static void test_load_errors(void)
{
	struct env e;
	env_init(&e);
	struct vg_plugin *p = NULL;
	struct vg_err err = {0};
	const char *path = getenv("VIGIL_PLUGIN_PATH");
	CU_ASSERT_PTR_NOT_NULL_FATAL(path);

	CU_ASSERT_EQUAL(vg_plugin_load(&e.host, "foo", "nosuch", &p, &err), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "plugin 'nosuch' not found"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, path));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "nosuch.so"));
	CU_ASSERT_PTR_NOT_NULL(strstr(vg_plugin_search_path(), path));

	/* A name cannot leave the search path. */
	CU_ASSERT_EQUAL(vg_plugin_load(&e.host, "x", "../meminfo", &p, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "../meminfo"));
	CU_ASSERT_EQUAL(vg_plugin_load(&e.host, "a/b", "meminfo", &p, &err), -EINVAL);
	CU_ASSERT_EQUAL(vg_plugin_load(&e.host, "", "meminfo", &p, &err), -EINVAL);

	/* libvigil.so is in the same directory and is no plugin. */
	CU_ASSERT_EQUAL(vg_plugin_load(&e.host, "lib", "libvigil", &p, &err), -ELIBBAD);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "libvigil.so is not a vigil plugin"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "'vigil_plugin'"));

	/* The module name defaults to the instance name. */
	CU_ASSERT_EQUAL(vg_plugin_load(&e.host, "vmstat", NULL, &p, &err), 0);
	CU_ASSERT_STRING_EQUAL(p->plugin, "vmstat");
	CU_ASSERT_STRING_EQUAL(p->ops->name, "vmstat");
	CU_ASSERT_EQUAL(p->state, VG_PLUGIN_LOADED);
	CU_ASSERT_TRUE(p->ops->usage && strstr(p->ops->usage(), "producer") != NULL);
	vg_plugin_unload(p); /* never configured: term() is not needed */
	env_fini(&e);
}

/* ------------------------------------------------------------------ base attributes */

static int config_error(const char *plugin, const char *attrs, struct vg_err *err)
{
	struct env e;
	env_init(&e);
	use_proc(fixture("node-1"));
	struct vg_plugin *p;
	memset(err, 0, sizeof(*err));
	int rc = start(&e, "inst1", plugin, attrs, &p, err);
	CU_ASSERT_EQUAL(p->state, rc == 0 ? VG_PLUGIN_CONFIGURED : VG_PLUGIN_LOADED);
	vg_plugin_unload(p);
	env_fini(&e);
	return rc;
}

static void test_required_attributes(void)
{
	struct vg_err err;
	CU_ASSERT_EQUAL(config_error("meminfo", "instance=a/meminfo", &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "'producer'"));
	CU_ASSERT_EQUAL(config_error("vmstat", "producer=a", &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "'instance'"));
	CU_ASSERT_EQUAL(config_error("procstat", "", &err), -EINVAL);
	CU_ASSERT_EQUAL(err.code, EINVAL);
}

static void test_set_is_fatal(void)
{
	struct vg_err err;
	static const char *const plugins[] = {"meminfo", "vmstat", "procstat"};
	for (size_t i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(config_error(plugins[i], "producer=a instance=a/x set=a/x", &err),
				-EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(
			err.msg, "config argument set= is no longer supported; use instance="));
	}
	CU_ASSERT_EQUAL(config_error("procstat", "producer=a instance=a/x metrics_type=1", &err),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "metrics_type="));
	CU_ASSERT_EQUAL(config_error("procstat", "producer=a instance=a/x maxcpu=0", &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "maxcpu=0"));
	CU_ASSERT_EQUAL(config_error("procstat", "producer=a instance=a/x maxcpu=x", &err), -EINVAL);
	/* Unknown attributes are refused by name (LDMS ignores them, typos included). */
	CU_ASSERT_EQUAL(config_error("meminfo", "producer=a instance=a/x maxcpu=4", &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "unknown attribute 'maxcpu' (meminfo takes producer,"));
	CU_ASSERT_EQUAL(config_error("vmstat", "producer=a instance=a/x componentid=5", &err),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "unknown attribute 'componentid'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "component_id"));
	CU_ASSERT_EQUAL(config_error("procstat", "producer=a instance=a/x maxcpu=4 job_set=j", &err),
			0);
	CU_ASSERT_EQUAL(config_error("procstat", "producer=a instance=a/x sc_clk_tck=2", &err),
			-EINVAL);
	/* the hint for a missing instance uses the producer given */
	CU_ASSERT_EQUAL(config_error("vmstat", "producer=node7", &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "e.g. instance=node7/vmstat"));
}

/* Configure meminfo with extra attributes; on success return the set's access. */
static int access_of(const char *attrs, uint32_t *uid, uint32_t *gid, uint32_t *perm,
		     struct vg_err *err)
{
	struct env e;
	env_init(&e);
	use_proc(fixture("node-1"));
	struct vg_plugin *p;
	char all[512];
	snprintf(all, sizeof(all), "producer=a instance=a/meminfo %s", attrs);
	memset(err, 0, sizeof(*err));
	int rc = start(&e, "mem", "meminfo", all, &p, err);
	if (rc == 0) {
		struct vg_set *s = set_of(&e, "a/meminfo");
		*uid = vg_set_uid(s);
		*gid = vg_set_gid(s);
		*perm = vg_set_perm(s);
	}
	vg_plugin_unload(p);
	env_fini(&e);
	return rc;
}

static void test_owner_and_perm(void)
{
	uint32_t uid, gid, perm;
	struct vg_err err;
	CU_ASSERT_EQUAL(access_of("", &uid, &gid, &perm, &err), 0);
	CU_ASSERT_EQUAL(uid, geteuid());
	CU_ASSERT_EQUAL(gid, getegid());
	CU_ASSERT_EQUAL(perm, 0440);

	CU_ASSERT_EQUAL(access_of("uid=0100 gid=0x20 perm=0640", &uid, &gid, &perm, &err), 0);
	CU_ASSERT_EQUAL(uid, 64);
	CU_ASSERT_EQUAL(gid, 32);
	CU_ASSERT_EQUAL(perm, 0640);
	CU_ASSERT_EQUAL(access_of("uid=1234 gid=99", &uid, &gid, &perm, &err), 0);
	CU_ASSERT_EQUAL(uid, 1234);
	CU_ASSERT_EQUAL(gid, 99);
	CU_ASSERT_EQUAL(access_of("uid=root gid=root perm=777", &uid, &gid, &perm, &err), 0);
	CU_ASSERT_EQUAL(uid, 0);
	CU_ASSERT_EQUAL(gid, 0);
	CU_ASSERT_EQUAL(perm, 0777);

	CU_ASSERT_EQUAL(access_of("perm=0", &uid, &gid, &perm, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "perm=0"));
	CU_ASSERT_EQUAL(access_of("perm=01000", &uid, &gid, &perm, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "perm=01000"));
	CU_ASSERT_EQUAL(access_of("perm=0898", &uid, &gid, &perm, &err), -EINVAL);
	CU_ASSERT_EQUAL(access_of("uid=no_such_user_vigil", &uid, &gid, &perm, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "no_such_user_vigil"));
	CU_ASSERT_EQUAL(access_of("gid=no_such_group_vigil", &uid, &gid, &perm, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "no_such_group_vigil"));
	CU_ASSERT_EQUAL(access_of("uid=12abc", &uid, &gid, &perm, &err), -EINVAL);
}

static void test_component_id(void)
{
	struct env e;
	env_init(&e);
	use_proc(fixture("node-1"));
	struct vg_plugin *p1, *p2, *p3;
	CU_ASSERT_EQUAL_FATAL(start(&e, "m1", "meminfo", "producer=a instance=a/1 component_id=node042",
				    &p1, NULL),
			      0);
	CU_ASSERT_EQUAL_FATAL(
		start(&e, "m2", "meminfo", "producer=a instance=a/2 component_id=12", &p2, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(start(&e, "m3", "meminfo", "producer=a instance=a/3", &p3, NULL), 0);
	CU_ASSERT_EQUAL(value_of(set_of(&e, "a/1"), "component_id"), 42);
	CU_ASSERT_EQUAL(value_of(set_of(&e, "a/2"), "component_id"), 12);
	CU_ASSERT_EQUAL(value_of(set_of(&e, "a/3"), "component_id"), 0);
	CU_ASSERT_TRUE(vg_set_metric_is_meta(set_of(&e, "a/1"), 0));
	vg_plugin_unload(p1);
	vg_plugin_unload(p2);
	vg_plugin_unload(p3);
	env_fini(&e);
}

/* ------------------------------------------------------------------ instances */

static void test_duplicate_instance(void)
{
	struct env e;
	env_init(&e);
	use_proc(fixture("node-1"));
	struct vg_plugin *p1, *p2;
	struct vg_err err = {0};
	CU_ASSERT_EQUAL_FATAL(start(&e, "mem1", "meminfo", "producer=a instance=a/mem", &p1, NULL),
			      0);
	CU_ASSERT_EQUAL(start(&e, "mem2", "meminfo", "producer=a instance=a/mem", &p2, &err),
			-EEXIST);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "set 'a/mem' already exists"));
	CU_ASSERT_EQUAL(p2->nsets, 0);
	/* The first instance's set is untouched. */
	CU_ASSERT_PTR_EQUAL(vg_set_owner(set_of(&e, "a/mem")), p1);
	CU_ASSERT_EQUAL(vg_plugin_sample(p1), 0);
	vg_plugin_unload(p2);
	CU_ASSERT_PTR_NOT_NULL(set_of(&e, "a/mem"));
	/* Configuring twice is refused: the set would be made again. */
	struct kvbuf kb;
	CU_ASSERT_EQUAL(vg_plugin_configure(p1, kvl(&kb, "producer=a instance=a/other"), &err),
			-EBUSY);
	CU_ASSERT_PTR_NULL(set_of(&e, "a/other"));
	vg_plugin_unload(p1);
	CU_ASSERT_PTR_NULL(set_of(&e, "a/mem"));
	env_fini(&e);
}

static void test_two_instances(void)
{
	struct env e;
	env_init(&e);
	struct tmpdir t;
	tmp_make(&t);
	copy_fixture("node-1", "meminfo", t.path);
	use_proc(t.path);
	struct vg_plugin *p1, *p2;
	CU_ASSERT_EQUAL_FATAL(
		start(&e, "mem1", "meminfo", "producer=a instance=a/mem1 component_id=1", &p1, NULL),
		0);
	CU_ASSERT_EQUAL_FATAL(
		start(&e, "mem2", "meminfo", "producer=b instance=b/mem2 component_id=2", &p2, NULL),
		0);
	CU_ASSERT_EQUAL(vg_setdir_count(e.dir), 2);
	CU_ASSERT_EQUAL(vg_plugin_sample(p1), 0);
	CU_ASSERT_EQUAL(vg_plugin_sample(p2), 0);
	struct vg_set *s1 = set_of(&e, "a/mem1"), *s2 = set_of(&e, "b/mem2");
	CU_ASSERT_EQUAL(value_of(s1, "MemTotal"), 24684096);
	CU_ASSERT_EQUAL(value_of(s2, "MemTotal"), 24684096);
	CU_ASSERT_EQUAL(value_of(s1, "component_id"), 1);
	CU_ASSERT_EQUAL(value_of(s2, "component_id"), 2);
	CU_ASSERT_STRING_EQUAL(vg_set_producer(s2), "b");
	CU_ASSERT_EQUAL(p1->nsets, 1);
	CU_ASSERT_PTR_EQUAL(p1->sets[0], s1);

	edit_file(t.path, "meminfo", "24684096", "11111111");
	vg_plugin_unload(p1);
	CU_ASSERT_PTR_NULL(set_of(&e, "a/mem1"));
	CU_ASSERT_EQUAL(vg_plugin_sample(p2), 0);
	CU_ASSERT_EQUAL(value_of(s2, "MemTotal"), 11111111);
	vg_plugin_unload(p2);
	env_fini(&e);
	tmp_remove(&t);
}

static void test_missing_proc_file(void)
{
	struct env e;
	env_init(&e);
	struct tmpdir t;
	tmp_make(&t);
	use_proc(t.path);
	static const char *const plugins[][2] = {
		{"meminfo", "meminfo"}, {"vmstat", "vmstat"}, {"procstat", "stat"}};
	for (size_t i = 0; i < 3; i++) {
		struct vg_plugin *p;
		struct vg_err err = {0};
		CU_ASSERT_EQUAL(start(&e, "x", plugins[i][0], "producer=a instance=a/x", &p, &err),
				-ENOENT);
		char path[512];
		snprintf(path, sizeof(path), "%s/%s", t.path, plugins[i][1]);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, path));
		CU_ASSERT_PTR_NULL(set_of(&e, "a/x"));
		vg_plugin_unload(p);
	}
	/* A file without a single "name value" line. */
	write_file(t.path, "meminfo", "nothing here\n\n");
	struct vg_plugin *p;
	struct vg_err err = {0};
	CU_ASSERT_EQUAL(start(&e, "x", "meminfo", "producer=a instance=a/x", &p, &err), -ENODATA);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "meminfo"));
	vg_plugin_unload(p);
	env_fini(&e);
	tmp_remove(&t);
}

/* ------------------------------------------------------------------ procstat */

static void test_procstat_maxcpu(void)
{
	struct env e;
	env_init(&e);
	use_proc(fixture("node-1"));
	struct vg_plugin *p;
	CU_ASSERT_EQUAL_FATAL(start(&e, "ps", "procstat", "producer=a instance=a/ps maxcpu=4", &p,
				    NULL),
			      0);
	CU_ASSERT_EQUAL(vg_plugin_sample(p), 0);
	struct vg_set *s = set_of(&e, "a/ps");
	CU_ASSERT_EQUAL(vg_set_metric_count(s, vg_set_metric_find(s, "per_core_user")), 4);
	CU_ASSERT_EQUAL(value_of(s, "cores_up"), 2);
	CU_ASSERT_EQUAL(value_of(s, "cpu_enabled"), 1);
	static const uint64_t enabled[4] = {1, 1, 0, 0}, user[4] = {4642, 5432, 0, 0},
			      idle[4] = {101894, 97503, 0, 0};
	for (uint32_t i = 0; i < 4; i++) {
		CU_ASSERT_EQUAL(elem_of(s, "per_core_cpu_enabled", i), enabled[i]);
		CU_ASSERT_EQUAL(elem_of(s, "per_core_user", i), user[i]);
		CU_ASSERT_EQUAL(elem_of(s, "per_core_idle", i), idle[i]);
	}
	vg_plugin_unload(p);

	/* maxcpu=1: cpu1 is beyond the arrays and ignored. */
	CU_ASSERT_EQUAL_FATAL(start(&e, "ps", "procstat", "producer=a instance=a/ps maxcpu=1", &p,
				    NULL),
			      0);
	CU_ASSERT_EQUAL(vg_plugin_sample(p), 0);
	s = set_of(&e, "a/ps");
	CU_ASSERT_EQUAL(vg_set_metric_count(s, vg_set_metric_find(s, "per_core_sys")), 1);
	CU_ASSERT_EQUAL(value_of(s, "cores_up"), 1);
	CU_ASSERT_EQUAL(elem_of(s, "per_core_sys", 0), 4764);
	CU_ASSERT_EQUAL(value_of(s, "sys"), 11198);
	vg_plugin_unload(p);
	env_fini(&e);
}

static void test_procstat_offline(void)
{
	struct env e;
	env_init(&e);
	/* A recorded file where cpu1 is offline, with maxcpu given. */
	use_proc(fixture("cpu1-offline"));
	struct vg_plugin *p;
	CU_ASSERT_EQUAL_FATAL(start(&e, "ps", "procstat", "producer=a instance=a/ps maxcpu=2", &p,
				    NULL),
			      0);
	CU_ASSERT_EQUAL(vg_plugin_sample(p), 0);
	struct vg_set *s = set_of(&e, "a/ps");
	CU_ASSERT_EQUAL(value_of(s, "cores_up"), 1);
	CU_ASSERT_EQUAL(value_of(s, "cpu_enabled"), 1);
	CU_ASSERT_EQUAL(elem_of(s, "per_core_cpu_enabled", 0), 1);
	CU_ASSERT_EQUAL(elem_of(s, "per_core_cpu_enabled", 1), 0);
	CU_ASSERT_EQUAL(elem_of(s, "per_core_user", 0), 4642);
	CU_ASSERT_EQUAL(elem_of(s, "per_core_user", 1), 0);
	vg_plugin_unload(p);

	/* cpu1 offline at config: the default maxcpu still reaches cpu2. */
	struct tmpdir t;
	tmp_make(&t);
	write_file(t.path, "stat", "cpu  9 9\ncpu0 1 2\ncpu2 5 6\nctxt 1\n");
	use_proc(t.path);
	CU_ASSERT_EQUAL_FATAL(start(&e, "ps", "procstat", "producer=a instance=a/ps", &p, NULL), 0);
	CU_ASSERT_EQUAL(vg_plugin_sample(p), 0);
	s = set_of(&e, "a/ps");
	CU_ASSERT_EQUAL(vg_set_metric_count(s, vg_set_metric_find(s, "per_core_user")), 3);
	CU_ASSERT_EQUAL(value_of(s, "cores_up"), 2);
	CU_ASSERT_EQUAL(elem_of(s, "per_core_cpu_enabled", 1), 0);
	CU_ASSERT_EQUAL(elem_of(s, "per_core_cpu_enabled", 2), 1);
	CU_ASSERT_EQUAL(elem_of(s, "per_core_nice", 2), 6);
	vg_plugin_unload(p);

	/* A cpu that goes offline after config: its values drop to 0. */
	copy_fixture("node-1", "stat", t.path);
	CU_ASSERT_EQUAL_FATAL(start(&e, "ps", "procstat", "producer=a instance=a/ps", &p, NULL), 0);
	CU_ASSERT_EQUAL(vg_plugin_sample(p), 0);
	s = set_of(&e, "a/ps");
	CU_ASSERT_EQUAL(vg_set_metric_count(s, vg_set_metric_find(s, "per_core_user")), 2);
	CU_ASSERT_EQUAL(elem_of(s, "per_core_steal", 1), 7);
	edit_file(t.path, "stat", "cpu1 5432 0 6433 97503 1556 0 199 7 0 0\n", "");
	CU_ASSERT_EQUAL(vg_plugin_sample(p), 0);
	CU_ASSERT_EQUAL(value_of(s, "cores_up"), 1);
	CU_ASSERT_EQUAL(elem_of(s, "per_core_cpu_enabled", 0), 1);
	CU_ASSERT_EQUAL(elem_of(s, "per_core_cpu_enabled", 1), 0);
	CU_ASSERT_EQUAL(elem_of(s, "per_core_steal", 1), 0);
	CU_ASSERT_EQUAL(elem_of(s, "per_core_user", 1), 0);
	CU_ASSERT_EQUAL(elem_of(s, "per_core_user", 0), 4642);
	/* No cpu lines at all: cpu_enabled 0. */
	edit_file(t.path, "stat", "cpu0 4642 0 4764 101894 120 0 57 4 0 0\n", "");
	CU_ASSERT_EQUAL(vg_plugin_sample(p), 0);
	CU_ASSERT_EQUAL(value_of(s, "cores_up"), 0);
	CU_ASSERT_EQUAL(value_of(s, "cpu_enabled"), 0);
	CU_ASSERT_EQUAL(elem_of(s, "per_core_user", 0), 0);
	vg_plugin_unload(p);
	env_fini(&e);
	tmp_remove(&t);
}

static void test_procstat_clk_tck(void)
{
	struct env e;
	env_init(&e);
	use_proc(fixture("node-1"));
	struct vg_plugin *p;
	CU_ASSERT_EQUAL_FATAL(start(&e, "ps", "procstat", "producer=a instance=a/ps sc_clk_tck=1",
				    &p, NULL),
			      0);
	struct vg_set *s = set_of(&e, "a/ps");
	int last = vg_set_card(s) - 1;
	CU_ASSERT_STRING_EQUAL(vg_set_metric_name(s, last), "sc_clk_tck");
	CU_ASSERT_TRUE(vg_set_metric_is_meta(s, last));
	CU_ASSERT_EQUAL(vg_get_as_u64(s, last, 0), (uint64_t)sysconf(_SC_CLK_TCK));
	CU_ASSERT_STRING_EQUAL(vg_set_metric_name(s, last - 1), "per_core_guest_nice");
	vg_plugin_unload(p);
	CU_ASSERT_EQUAL_FATAL(start(&e, "ps", "procstat", "producer=a instance=a/ps sc_clk_tck=0",
				    &p, NULL),
			      0);
	CU_ASSERT_EQUAL(vg_set_metric_find(set_of(&e, "a/ps"), "sc_clk_tck"), -ENOENT);
	vg_plugin_unload(p);
	env_fini(&e);
}

/* ------------------------------------------------------------------ sampling */

static void test_counters_advance(void)
{
	struct env e;
	env_init(&e);
	struct tmpdir t;
	tmp_make(&t);
	copy_fixture("node-1", "meminfo", t.path);
	copy_fixture("node-1", "vmstat", t.path);
	copy_fixture("node-1", "stat", t.path);
	use_proc(t.path);
	struct vg_plugin *pm, *pv, *ps;
	CU_ASSERT_EQUAL_FATAL(start(&e, "m", "meminfo", "producer=a instance=a/m", &pm, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(start(&e, "v", "vmstat", "producer=a instance=a/v", &pv, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(start(&e, "s", "procstat", "producer=a instance=a/s", &ps, NULL), 0);
	struct vg_set *sm = set_of(&e, "a/m"), *sv = set_of(&e, "a/v"), *ss = set_of(&e, "a/s");
	CU_ASSERT_EQUAL(vg_plugin_sample(pm), 0);
	CU_ASSERT_EQUAL(vg_plugin_sample(pv), 0);
	CU_ASSERT_EQUAL(vg_plugin_sample(ps), 0);
	uint64_t gm = vg_set_data_gn(sm), gv = vg_set_data_gn(sv), gs = vg_set_data_gn(ss);
	CU_ASSERT_EQUAL(value_of(sm, "MemFree"), 24320364);
	CU_ASSERT_EQUAL(value_of(sv, "pgfault"), 16780339);
	CU_ASSERT_EQUAL(value_of(ss, "context_switches"), 2070933);

	edit_file(t.path, "meminfo", "MemFree:        24320364 kB", "MemFree:        24000001 kB");
	edit_file(t.path, "meminfo", "DirectMap1G:    25165824 kB", "DirectMap1G:    25165825 kB");
	edit_file(t.path, "vmstat", "pgfault 16780339", "pgfault 16790000");
	edit_file(t.path, "vmstat", "nr_unstable 0", "nr_unstable 3");
	edit_file(t.path, "stat", "ctxt 2070933", "ctxt 2080000");
	edit_file(t.path, "stat", "cpu0 4642 ", "cpu0 4700 ");
	edit_file(t.path, "stat", "softirq 774000 ", "softirq 18446744073709551615 ");
	CU_ASSERT_EQUAL(vg_plugin_sample(pm), 0);
	CU_ASSERT_EQUAL(vg_plugin_sample(pv), 0);
	CU_ASSERT_EQUAL(vg_plugin_sample(ps), 0);
	CU_ASSERT_EQUAL(value_of(sm, "MemFree"), 24000001);
	CU_ASSERT_EQUAL(value_of(sm, "DirectMap1G"), 25165825);
	CU_ASSERT_EQUAL(value_of(sm, "MemTotal"), 24684096);
	CU_ASSERT_EQUAL(value_of(sv, "pgfault"), 16790000);
	CU_ASSERT_EQUAL(value_of(sv, "nr_unstable"), 3);
	CU_ASSERT_EQUAL(value_of(ss, "context_switches"), 2080000);
	CU_ASSERT_EQUAL(elem_of(ss, "per_core_user", 0), 4700);
	CU_ASSERT_EQUAL(value_of(ss, "softirq_count"), UINT64_MAX);
	CU_ASSERT_EQUAL(vg_set_data_gn(sm), gm + 1);
	CU_ASSERT_EQUAL(vg_set_data_gn(sv), gv + 1);
	CU_ASSERT_EQUAL(vg_set_data_gn(ss), gs + 1);
	CU_ASSERT_EQUAL(pm->samples, 2);
	CU_ASSERT_EQUAL(pm->sample_errors, 0);
	CU_ASSERT_TRUE(pm->total_sample_ns >= pm->last_sample_ns);
	vg_plugin_unload(pm);
	vg_plugin_unload(pv);
	vg_plugin_unload(ps);
	env_fini(&e);
	tmp_remove(&t);
}

/* Lines that move, vanish or appear after config are matched by name. */
static void test_lines_change(void)
{
	struct env e;
	env_init(&e);
	struct tmpdir t;
	tmp_make(&t);
	write_file(t.path, "meminfo", "A:  1 kB\nB:  2 kB\nC:  3 kB\nD:  4\n");
	write_file(t.path, "stat", "cpu  1 2\ncpu0 1 2\nctxt 5\nprocesses 6\nintr 7 0 0\n");
	use_proc(t.path);
	struct vg_plugin *pm, *ps;
	CU_ASSERT_EQUAL_FATAL(start(&e, "m", "meminfo", "producer=a instance=a/m", &pm, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(start(&e, "s", "procstat", "producer=a instance=a/s", &ps, NULL), 0);
	struct vg_set *sm = set_of(&e, "a/m"), *ss = set_of(&e, "a/s");
	CU_ASSERT_EQUAL(vg_set_card(sm), 7);
	CU_ASSERT_EQUAL(vg_plugin_sample(pm), 0);
	CU_ASSERT_EQUAL(value_of(sm, "D"), 4);
	/* procstat: only the lines present at config, in their order; short cpu lines pad 0. */
	CU_ASSERT_STRING_EQUAL(vg_set_metric_name(ss, 15), "context_switches");
	CU_ASSERT_STRING_EQUAL(vg_set_metric_name(ss, 16), "processes");
	CU_ASSERT_STRING_EQUAL(vg_set_metric_name(ss, 17), "hwintr_count");
	CU_ASSERT_STRING_EQUAL(vg_set_metric_name(ss, 18), "per_core_cpu_enabled");
	CU_ASSERT_EQUAL(vg_plugin_sample(ps), 0);
	CU_ASSERT_EQUAL(value_of(ss, "nice"), 2);
	CU_ASSERT_EQUAL(value_of(ss, "sys"), 0);
	CU_ASSERT_EQUAL(value_of(ss, "hwintr_count"), 7);

	write_file(t.path, "meminfo", "D:  40\nNew: 9 kB\n\nB:  20 kB\nA:  10 kB\n");
	write_file(t.path, "stat", "intr 70 1 1\nbtime 5\ncpu0 1 2 3\nprocesses 60\nctxt 50\n");
	CU_ASSERT_EQUAL(vg_plugin_sample(pm), 0);
	CU_ASSERT_EQUAL(value_of(sm, "A"), 10);
	CU_ASSERT_EQUAL(value_of(sm, "B"), 20);
	CU_ASSERT_EQUAL(value_of(sm, "C"), 3); /* gone: keeps its last value */
	CU_ASSERT_EQUAL(value_of(sm, "D"), 40);
	CU_ASSERT_EQUAL(vg_plugin_sample(ps), 0);
	CU_ASSERT_EQUAL(value_of(ss, "hwintr_count"), 70);
	CU_ASSERT_EQUAL(value_of(ss, "processes"), 60);
	CU_ASSERT_EQUAL(value_of(ss, "context_switches"), 50);
	CU_ASSERT_EQUAL(elem_of(ss, "per_core_sys", 0), 3);
	vg_plugin_unload(pm);
	vg_plugin_unload(ps);
	env_fini(&e);
	tmp_remove(&t);
}

/* A file that outgrows the buffer sized at config is still read whole. */
static void test_buffer_growth(void)
{
	struct env e;
	env_init(&e);
	struct tmpdir t;
	tmp_make(&t);
	write_file(t.path, "vmstat", "first 1\nsecond 2\nlast 3\n");
	use_proc(t.path);
	struct vg_plugin *p;
	CU_ASSERT_EQUAL_FATAL(start(&e, "v", "vmstat", "producer=a instance=a/v", &p, NULL), 0);
	size_t len = 64 * 1024;
	char *big = malloc(len), *at = big;
	at += sprintf(at, "first 10\nsecond 20\n");
	for (int i = 0; i < 2000; i++)
		at += sprintf(at, "padding_line_%d %d\n", i, i);
	sprintf(at, "last 30\n");
	CU_ASSERT_TRUE_FATAL(strlen(big) > 40000);
	write_file(t.path, "vmstat", big);
	free(big);
	CU_ASSERT_EQUAL(vg_plugin_sample(p), 0);
	struct vg_set *s = set_of(&e, "a/v");
	CU_ASSERT_EQUAL(vg_set_card(s), 6);
	CU_ASSERT_EQUAL(value_of(s, "first"), 10);
	CU_ASSERT_EQUAL(value_of(s, "second"), 20);
	CU_ASSERT_EQUAL(value_of(s, "last"), 30);
	vg_plugin_unload(p);
	env_fini(&e);
	tmp_remove(&t);
}

/* A malformed line fails the sample, but the transaction still ends. */
static void test_parse_error(void)
{
	struct env e;
	env_init(&e);
	struct tmpdir t;
	tmp_make(&t);
	copy_fixture("node-1", "meminfo", t.path);
	copy_fixture("node-1", "stat", t.path);
	use_proc(t.path);
	struct vg_plugin *pm, *ps;
	CU_ASSERT_EQUAL_FATAL(start(&e, "m", "meminfo", "producer=a instance=a/m", &pm, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(start(&e, "s", "procstat", "producer=a instance=a/s", &ps, NULL), 0);
	struct vg_set *sm = set_of(&e, "a/m"), *ss = set_of(&e, "a/s");
	CU_ASSERT_EQUAL(vg_plugin_sample(pm), 0);
	CU_ASSERT_EQUAL(vg_plugin_sample(ps), 0);
	uint64_t gm = vg_set_data_gn(sm), gs = vg_set_data_gn(ss);
	edit_file(t.path, "meminfo", "24320364 kB", "garbage kB");
	edit_file(t.path, "meminfo", "24684096", "24684000");
	edit_file(t.path, "stat", "ctxt 2070933", "ctxt x");
	edit_file(t.path, "stat", "processes 79557", "processes 80000");
	CU_ASSERT_EQUAL(vg_plugin_sample(pm), -EBADMSG);
	CU_ASSERT_EQUAL(vg_plugin_sample(ps), -EBADMSG);
	CU_ASSERT_TRUE(vg_set_is_consistent(sm));
	CU_ASSERT_TRUE(vg_set_is_consistent(ss));
	CU_ASSERT_EQUAL(vg_set_data_gn(sm), gm + 1);
	CU_ASSERT_EQUAL(vg_set_data_gn(ss), gs + 1);
	CU_ASSERT_EQUAL(value_of(sm, "MemFree"), 24320364);
	CU_ASSERT_EQUAL(value_of(sm, "MemTotal"), 24684000);
	CU_ASSERT_EQUAL(value_of(ss, "context_switches"), 2070933);
	CU_ASSERT_EQUAL(value_of(ss, "processes"), 80000);
	CU_ASSERT_EQUAL(pm->samples, 2);
	CU_ASSERT_EQUAL(pm->sample_errors, 1);
	vg_plugin_unload(pm);
	vg_plugin_unload(ps);
	env_fini(&e);
	tmp_remove(&t);
}

/* The samplers also read the real /proc of this machine. */
static void test_real_proc(void)
{
	struct env e;
	env_init(&e);
	unsetenv("VIGIL_PROC_ROOT");
	CU_ASSERT_STRING_EQUAL(vg_plugin_proc_root(), "/proc");
	struct vg_plugin *pm, *pv, *ps;
	CU_ASSERT_EQUAL_FATAL(start(&e, "m", "meminfo", "producer=a instance=a/m", &pm, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(start(&e, "v", "vmstat", "producer=a instance=a/v", &pv, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(start(&e, "s", "procstat", "producer=a instance=a/s", &ps, NULL), 0);
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_EQUAL(vg_plugin_sample(pm), 0);
		CU_ASSERT_EQUAL(vg_plugin_sample(pv), 0);
		CU_ASSERT_EQUAL(vg_plugin_sample(ps), 0);
	}
	CU_ASSERT_TRUE(value_of(set_of(&e, "a/m"), "MemTotal") > 0);
	CU_ASSERT_TRUE(value_of(set_of(&e, "a/v"), "pgfault") > 0);
	struct vg_set *ss = set_of(&e, "a/s");
	CU_ASSERT_TRUE(value_of(ss, "context_switches") > 0);
	CU_ASSERT_TRUE(value_of(ss, "cores_up") >= 1);
	CU_ASSERT_EQUAL(value_of(ss, "cpu_enabled"), 1);
	vg_plugin_unload(pm);
	vg_plugin_unload(pv);
	vg_plugin_unload(ps);
	env_fini(&e);
}

static void test_no_alloc_per_sample(void)
{
	struct env e;
	env_init(&e);
	use_proc(fixture("node-1"));
	struct vg_plugin *p[3];
	CU_ASSERT_EQUAL_FATAL(start(&e, "m", "meminfo", "producer=a instance=a/m", &p[0], NULL), 0);
	CU_ASSERT_EQUAL_FATAL(start(&e, "v", "vmstat", "producer=a instance=a/v", &p[1], NULL), 0);
	CU_ASSERT_EQUAL_FATAL(start(&e, "s", "procstat", "producer=a instance=a/s", &p[2], NULL), 0);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(vg_plugin_sample(p[i]), 0); /* warm up */
	size_t before = mallinfo2().uordblks;
	alloc_calls = 0;
	counting = 1;
	int failures = 0;
	for (int n = 0; n < 1000; n++)
		for (int i = 0; i < 3; i++)
			failures += vg_plugin_sample(p[i]) != 0;
	counting = 0;
	CU_ASSERT_EQUAL(failures, 0);
	CU_ASSERT_EQUAL(alloc_calls, 0);
	CU_ASSERT_TRUE(mallinfo2().uordblks <= before);
	for (int i = 0; i < 3; i++)
		vg_plugin_unload(p[i]);
	env_fini(&e);
}

/* ------------------------------------------------------------------ job set */

static struct vg_set *job_set_new(struct env *e, const char *name, bool with_end)
{
	struct vg_schema *s = vg_schema_new("jobinfo");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	vg_schema_metric_add(s, "job_id", VG_T_U64);
	vg_schema_metric_add(s, "app_id", VG_T_U64);
	vg_schema_metric_add(s, "job_start", VG_T_U32);
	if (with_end)
		vg_schema_metric_add(s, "job_end", VG_T_U32);
	struct vg_err err = {0};
	struct vg_set *js = vg_set_new(e->pool, s, name, "a", 0, 0, 0444, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(js);
	vg_schema_free(s);
	CU_ASSERT_EQUAL(vg_setdir_add(e->dir, js), 0);
	return js;
}

static void job_set_put(struct env *e, struct vg_set *js)
{
	CU_ASSERT_EQUAL(vg_setdir_remove(e->dir, js), 0);
	vg_set_put(js);
}

static void job_write(struct vg_set *js, uint64_t job, uint64_t app, uint32_t start,
		      uint32_t end)
{
	vg_set_begin(js);
	vg_set_u64(js, vg_set_metric_find(js, "job_id"), job);
	vg_set_u64(js, vg_set_metric_find(js, "app_id"), app);
	vg_set_u32(js, vg_set_metric_find(js, "job_start"), start);
	int idx = vg_set_metric_find(js, "job_end");
	if (idx >= 0)
		vg_set_u32(js, idx, end);
	vg_set_end(js);
}

static void test_job_set(void)
{
	struct env e;
	env_init(&e);
	use_proc(fixture("node-1"));
	struct vg_plugin *p, *q;
	CU_ASSERT_EQUAL_FATAL(start(&e, "m", "meminfo", "producer=a instance=a/m", &p, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(
		start(&e, "v", "vmstat", "producer=a instance=a/v job_set=a/jobs", &q, NULL), 0);
	struct vg_set *s = set_of(&e, "a/m"), *sv = set_of(&e, "a/v");
	CU_ASSERT_EQUAL(vg_plugin_sample(p), 0);
	CU_ASSERT_EQUAL(value_of(s, "job_id"), 0);

	/* Published after config: found through the directory's generation. */
	struct vg_set *js = job_set_new(&e, "job_info", true);
	uint32_t now = (uint32_t)(vg_now_us() / 1000000u);
	job_write(js, 1234, 56, now - 100, 0);
	CU_ASSERT_EQUAL(vg_plugin_sample(p), 0);
	CU_ASSERT_EQUAL(value_of(s, "job_id"), 1234);
	CU_ASSERT_EQUAL(value_of(s, "app_id"), 56);
	/* vmstat follows its own job_set= name, not job_info. */
	CU_ASSERT_EQUAL(vg_plugin_sample(q), 0);
	CU_ASSERT_EQUAL(value_of(sv, "job_id"), 0);

	job_write(js, 999, 7, now - 100, now + 1000); /* new values, same set */
	CU_ASSERT_EQUAL(vg_plugin_sample(p), 0);
	CU_ASSERT_EQUAL(value_of(s, "job_id"), 999);
	CU_ASSERT_EQUAL(value_of(s, "app_id"), 7);
	job_write(js, 999, 7, now - 100, now - 10); /* ended */
	CU_ASSERT_EQUAL(vg_plugin_sample(p), 0);
	CU_ASSERT_EQUAL(value_of(s, "job_id"), 0);
	CU_ASSERT_EQUAL(value_of(s, "app_id"), 0);
	job_write(js, 999, 7, now + 100, 0); /* not started yet */
	CU_ASSERT_EQUAL(vg_plugin_sample(p), 0);
	CU_ASSERT_EQUAL(value_of(s, "job_id"), 0);
	job_write(js, 42, 1, now - 1, 0);
	CU_ASSERT_EQUAL(vg_plugin_sample(p), 0);
	CU_ASSERT_EQUAL(value_of(s, "job_id"), 42);

	/* Removed: back to 0 (and no stale pointer is read). */
	job_set_put(&e, js);
	CU_ASSERT_EQUAL(vg_plugin_sample(p), 0);
	CU_ASSERT_EQUAL(value_of(s, "job_id"), 0);

	/* Without job_end the job set is ignored. */
	js = job_set_new(&e, "job_info", false);
	job_write(js, 77, 1, now - 1, 0);
	CU_ASSERT_EQUAL(vg_plugin_sample(p), 0);
	CU_ASSERT_EQUAL(value_of(s, "job_id"), 0);
	job_set_put(&e, js);

	js = job_set_new(&e, "a/jobs", true);
	job_write(js, 31, 2, now - 1, 0);
	CU_ASSERT_EQUAL(vg_plugin_sample(q), 0);
	CU_ASSERT_EQUAL(value_of(sv, "job_id"), 31);
	CU_ASSERT_EQUAL(value_of(sv, "app_id"), 2);
	job_set_put(&e, js);

	vg_plugin_unload(p);
	vg_plugin_unload(q);
	env_fini(&e);
}

static const struct cu_test tests[] = {
	{"vg_kv_get: the last value wins", test_kv_get},
	{"meminfo matches LDMS ldms_ls -l", test_meminfo_ldms},
	{"vmstat matches LDMS ldms_ls -l", test_vmstat_ldms},
	{"procstat matches LDMS ldms_ls -l", test_procstat_ldms},
	{"load errors name the plugin, file and search path", test_load_errors},
	{"producer and instance are required", test_required_attributes},
	{"set=, metrics_type= and bad maxcpu are fatal", test_set_is_fatal},
	{"uid, gid and perm", test_owner_and_perm},
	{"component_id skips leading non-digits", test_component_id},
	{"a duplicate instance name fails with EEXIST", test_duplicate_instance},
	{"two meminfo instances side by side", test_two_instances},
	{"a missing /proc file fails config naming it", test_missing_proc_file},
	{"procstat maxcpu pads and truncates", test_procstat_maxcpu},
	{"procstat offline cpus read 0", test_procstat_offline},
	{"procstat sc_clk_tck", test_procstat_clk_tck},
	{"counters advance between samples", test_counters_advance},
	{"lines that move or vanish are matched by name", test_lines_change},
	{"a file that outgrows its buffer", test_buffer_growth},
	{"a parse error fails the sample but ends it", test_parse_error},
	{"the real /proc", test_real_proc},
	{"sample() allocates nothing", test_no_alloc_per_sample},
	{"job_id and app_id follow the job set", test_job_set},
	{NULL, NULL},
};

CU_MAIN("samplers", tests)
