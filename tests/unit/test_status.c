/*
 * test_status.c - the status commands' JSON (ldmsctl --json) and the
 * set_stats / set_info commands.
 *
 * Every JSON reply goes through a strict recursive-descent parser
 * (json_check.c: trailing commas, bad escapes, raw control characters,
 * unbalanced brackets, duplicate keys and trailing garbage are errors), then
 * its keys and values are checked against what ldmsctl(8) documents.  A sampler
 * daemon (test_sampler from VIGIL_PLUGIN_PATH) gives the local sets; an
 * aggregator pulling from a producer in this process (a vg_server over its
 * own loop) gives a mirror.  Both loops are driven with vg_loop_run_once().
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/proto.h"
#include "core/schema.h"
#include "core/set.h"
#include "core/setdir.h"
#include "daemon/cmd.h"
#include "daemon/daemon.h"
#include "daemon/json.h"
#include "daemon/prdcr.h"
#include "daemon/server.h"
#include "tests/unit/cu_main.h"
#include "tests/unit/json_check.h"

/* ------------------------------------------------------------------ the parser itself */

static void test_parser_strict(void)
{
	static const char *const good[] = {
		"{}", "[]", "0", "-0.5e+3", "\"\"", "[[[[]]]]", " {\"a\" : [1, -0.5E-3, true, "
		"false, null, \"\\u00e9\\\"\\/\\b\\f\\n\\r\\t\"] } \n", "{\"a\":{\"a\":1}}",
	};
	static const char *const bad[] = {
		"", " ", "{", "}", "[1,]", "{\"a\":1,}", "[1 2]", "{\"a\" 1}", "{a:1}", "'x'",
		"\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", "\"a\nb\"", "\"a\tb\"", "[01]", "[1.]",
		"[.5]", "[-]", "[1e]", "tru", "nul", "[1]]", "[[1]", "{} {}", "{\"a\":1,\"a\":2}",
		"[1,,2]", "[,1]", "\"abc", "NaN", "[Infinity]", "[+1]", "{\"a\":}", "[\"\\u0000\"]",
		"{\"a\":1]", "[1}",
	};
	for (size_t i = 0; i < VG_ARRAY_LEN(good); i++) {
		struct jv *v = jparse(good[i]);
		if (!v)
			fprintf(stderr, "rejected good JSON: %s\n", good[i]);
		CU_ASSERT_PTR_NOT_NULL(v);
		jfree(v);
	}
	for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++) {
		struct jv *v = jparse(bad[i]);
		if (v)
			fprintf(stderr, "accepted bad JSON: %s\n", bad[i]);
		CU_ASSERT_PTR_NULL(v);
		jfree(v);
	}
	struct jv *v = jparse("{\"k\":\"\\u00e9\\\"x\"}");
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_STRING_EQUAL(jstr(v, "k"), "\xc3\xa9\"x");
	jfree(v);
}

/* ------------------------------------------------------------------ json.c */

static void test_writer_shape(void)
{
	struct vg_strbuf sb;
	vg_strbuf_init(&sb);
	struct json j;
	json_init(&j, &sb);
	json_obj_begin(&j);
	json_key(&j, "a");
	json_arr_begin(&j);
	json_u64(&j, 1);
	json_i64(&j, -2);
	json_bool(&j, true);
	json_null(&j);
	json_str(&j, "x");
	json_str(&j, NULL);
	json_arr_end(&j);
	json_key(&j, "b");
	json_obj_begin(&j);
	json_obj_end(&j);
	json_key(&j, "c");
	json_arr_begin(&j);
	json_obj_begin(&j);
	json_key_u64(&j, "n", UINT64_MAX);
	json_obj_end(&j);
	json_obj_begin(&j);
	json_obj_end(&j);
	json_arr_end(&j);
	json_key_dbl(&j, "d", 1.5);
	json_key_dbl(&j, "inf", INFINITY);
	json_key_dbl(&j, "nan", NAN);
	json_key_bool(&j, "f", false);
	json_obj_end(&j);
	CU_ASSERT_STRING_EQUAL(vg_strbuf_str(&sb),
			       "{\"a\":[1,-2,true,null,\"x\",null],\"b\":{},\"c\":[{\"n\":"
			       "18446744073709551615},{}],\"d\":1.5,\"inf\":null,\"nan\":null,"
			       "\"f\":false}");
	struct jv *v = jparse(vg_strbuf_str(&sb));
	CU_ASSERT_PTR_NOT_NULL(v);
	jfree(v);
	vg_strbuf_free(&sb);
}

static void test_writer_doubles(void)
{
	static const double vals[] = {3.606, 0.1, 10.0, 1.0 / 3.0, 1e300, -2.5e-7, 0.0};
	static const char *const texts[] = {"3.606", "0.1", "10", NULL, "1e+300",
					    "-2.5e-07", "0"};
	for (size_t i = 0; i < VG_ARRAY_LEN(vals); i++) {
		struct vg_strbuf sb;
		vg_strbuf_init(&sb);
		struct json j;
		json_init(&j, &sb);
		json_dbl(&j, vals[i]);
		if (texts[i])
			CU_ASSERT_STRING_EQUAL(vg_strbuf_str(&sb), texts[i]);
		struct jv *v = jparse(vg_strbuf_str(&sb));
		CU_ASSERT_PTR_NOT_NULL_FATAL(v);
		CU_ASSERT_EQUAL(v->num, vals[i]); /* exact round trip */
		jfree(v);
		vg_strbuf_free(&sb);
	}
}

static void test_writer_escapes(void)
{
	/* every control character, quote, backslash, and UTF-8 passed through */
	char raw[64];
	size_t n = 0;
	for (int c = 1; c < 0x20; c++)
		raw[n++] = (char)c;
	memcpy(raw + n, "\"\\/\x7f\xc3\xa9", 7);
	n += 7;
	raw[n] = '\0';
	struct vg_strbuf sb;
	vg_strbuf_init(&sb);
	struct json j;
	json_init(&j, &sb);
	json_obj_begin(&j);
	json_key_str(&j, "k\"\\\n", raw);
	json_obj_end(&j);
	const char *out = vg_strbuf_str(&sb);
	/* no raw control character survives */
	for (const char *p = out; *p; p++)
		CU_ASSERT((unsigned char)*p >= 0x20);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "{\"k\\\"\\\\\\n\":\""));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\\u0001\\u0002"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\\u0008\\t\\n\\u000b\\u000c\\r\\u000e"));
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\\u001f\\\"\\\\/\x7f\xc3\xa9\"}"));
	struct jv *v = jparse(out);
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	CU_ASSERT_STRING_EQUAL(jstr(v, "k\"\\\n"), raw); /* decodes back to the same bytes */
	jfree(v);
	vg_strbuf_free(&sb);
}

/* ------------------------------------------------------------------ running commands */

static struct vg_strbuf reply;
static struct vg_err err;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int runf(struct ldmsd *d, unsigned flags, const char *fmt, va_list ap)
{
	char line[512];
	vsnprintf(line, sizeof(line), fmt, ap);
	vg_strbuf_reset(&reply);
	vg_err_clear(&err);
	int rc = ldmsd_run_line_flags(d, line, "test", flags, &reply, &err);
	if (rc)
		fprintf(stderr, "'%s': %d %s\n", line, rc, err.msg);
	return rc;
}

static int run(struct ldmsd *d, const char *fmt, ...) VG_PRINTF(2, 3);
static int run(struct ldmsd *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = runf(d, 0, fmt, ap);
	va_end(ap);
	return rc;
}

/* Run a status command with --json; its reply parsed (one object and a newline), or NULL. */
static struct jv *run_json(struct ldmsd *d, const char *fmt, ...) VG_PRINTF(2, 3);
static struct jv *run_json(struct ldmsd *d, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = runf(d, VG_CMD_F_JSON, fmt, ap);
	va_end(ap);
	CU_ASSERT_EQUAL(rc, 0);
	const char *text = vg_strbuf_str(&reply);
	size_t len = strlen(text);
	CU_ASSERT(len >= 3 && text[0] == '{' && text[len - 2] == '}' && text[len - 1] == '\n');
	struct jv *v = jparse(text);
	if (!v || v->t != J_OBJ)
		fprintf(stderr, "not a JSON object: %s\n", text);
	CU_ASSERT(v && v->t == J_OBJ);
	return v && v->t == J_OBJ ? v : (jfree(v), NULL);
}

/* ------------------------------------------------------------------ a sampler daemon */

static void sampler_daemon(struct ldmsd *d)
{
	CU_ASSERT_EQUAL_FATAL(ldmsd_init(d, &err), 0);
	d->set_memory = 4u << 20;
	d->name = strdup("node1");
	CU_ASSERT_EQUAL_FATAL(ldmsd_start_core(d, &err), 0);
	CU_ASSERT_EQUAL_FATAL(run(d, "load name=ts plugin=test_sampler"), 0);
	CU_ASSERT_EQUAL_FATAL(run(d, "config name=ts action=default base=ts num_sets=2 "
				     "num_metrics=8 producer=node1"), 0);
	CU_ASSERT_EQUAL_FATAL(run(d, "start name=ts interval=100ms"), 0);
	/* two samples of each set */
	uint64_t end = now_ms() + 10000;
	struct vg_set *s0 = vg_setdir_find(d->dir, "ts_0"), *s1 = vg_setdir_find(d->dir, "ts_1");
	CU_ASSERT_PTR_NOT_NULL_FATAL(s0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s1);
	while ((vg_set_data_gn(s0) < 2 || vg_set_data_gn(s1) < 2) && now_ms() < end)
		vg_loop_run_once(d->loop, 20);
	CU_ASSERT_FATAL(vg_set_data_gn(s1) >= 2);
}

static void test_set_stats_local(void)
{
	struct ldmsd d;
	sampler_daemon(&d);
	struct jv *v = run_json(&d, "set_stats");
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	const struct jv *sets = jget(v, "sets"), *total = jget(v, "total");
	CU_ASSERT_EQUAL_FATAL(jlen(sets), 2);
	double sum_load = 0, sum_data = 0;
	for (size_t i = 0; i < 2; i++) {
		const struct jv *r = jat(sets, i);
		static const char *const keys[] = {"instance", "schema", "producer", "flags",
						   "plugin", "prdcr", "meta_bytes", "data_bytes",
						   "update_rate", "rate_source", "load", NULL};
		jkeys(r, keys);
		CU_ASSERT_STRING_EQUAL(jstr(r, "instance"), i ? "ts_1" : "ts_0");
		CU_ASSERT_STRING_EQUAL(jstr(r, "schema"), "my_schema");
		CU_ASSERT_STRING_EQUAL(jstr(r, "producer"), "node1");
		CU_ASSERT_EQUAL(jlen(jget(r, "flags")), 1);
		CU_ASSERT_STRING_EQUAL(jat(jget(r, "flags"), 0)->str, "local");
		CU_ASSERT_STRING_EQUAL(jstr(r, "plugin"), "ts");
		CU_ASSERT(jis(r, "prdcr", J_NULL));
		CU_ASSERT(jint(r, "meta_bytes") && jnum(r, "meta_bytes") > 0);
		CU_ASSERT(jint(r, "data_bytes") && jnum(r, "data_bytes") >= 8 * 8);
		CU_ASSERT_EQUAL(jnum(r, "data_bytes"),
				(double)vg_set_data_size(vg_setdir_find(d.dir, jstr(r, "instance"))));
		CU_ASSERT_EQUAL(jnum(r, "update_rate"), 10.0);
		CU_ASSERT_STRING_EQUAL(jstr(r, "rate_source"), "schedule");
		CU_ASSERT_EQUAL(jnum(r, "load"), jnum(r, "data_bytes") * 10.0);
		sum_load += jnum(r, "load");
		sum_data += jnum(r, "data_bytes");
	}
	CU_ASSERT_EQUAL(jnum(total, "sets"), 2);
	CU_ASSERT_EQUAL(jnum(total, "data_bytes"), sum_data);
	CU_ASSERT_EQUAL(jnum(total, "update_rate"), 20.0);
	CU_ASSERT_EQUAL(jnum(total, "load"), sum_load);
	jfree(v);

	/* name= is a regex over instance names */
	v = run_json(&d, "set_stats name=_1$");
	CU_ASSERT_EQUAL(jlen(jget(v, "sets")), 1);
	CU_ASSERT_STRING_EQUAL(jstr(jat(jget(v, "sets"), 0), "instance"), "ts_1");
	CU_ASSERT_EQUAL(jnum(jget(v, "total"), "sets"), 1);
	jfree(v);
	CU_ASSERT_EQUAL(run(&d, "set_stats name=(ts"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "'(ts'"));

	/* the table: a header, a rule, a row per set and a totals line, all aligned */
	CU_ASSERT_EQUAL_FATAL(run(&d, "set_stats"), 0);
	char *text = strdup(vg_strbuf_str(&reply));
	CU_ASSERT_EQUAL(strncmp(text, "Instance ", 9), 0);
	size_t lines = 0, width = 0;
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		if (!width)
			width = strlen(l);
		CU_ASSERT_EQUAL(strlen(l), width);
		if (lines == 2)
			CU_ASSERT_EQUAL(strncmp(l, "ts_0 ", 5), 0);
		if (lines == 4)
			CU_ASSERT_EQUAL(strncmp(l, "Total: 2 sets ", 14), 0);
		lines++;
	}
	CU_ASSERT_EQUAL(lines, 5);
	free(text);
	CU_ASSERT_PTR_NOT_NULL(strstr(vg_strbuf_str(&reply), " 10.00 "));

	/* a stopped sampler's sets are not updated */
	CU_ASSERT_EQUAL(run(&d, "stop name=ts"), 0);
	v = run_json(&d, "set_stats");
	CU_ASSERT_EQUAL(jnum(jat(jget(v, "sets"), 0), "update_rate"), 0.0);
	CU_ASSERT_EQUAL(jnum(jat(jget(v, "sets"), 0), "load"), 0.0);
	CU_ASSERT_STRING_EQUAL(jstr(jat(jget(v, "sets"), 0), "rate_source"), "none");
	CU_ASSERT_EQUAL(jnum(jget(v, "total"), "load"), 0.0);
	jfree(v);
	ldmsd_shutdown(&d);
}

static void test_set_info_local(void)
{
	struct ldmsd d;
	sampler_daemon(&d);
	struct vg_set *s0 = vg_setdir_find(d.dir, "ts_0");
	/* a value that needs escaping comes back unchanged */
	const char *note = "q\"b\\s\n\x01\x1f \xc3\xa9";
	CU_ASSERT_EQUAL(vg_set_info_set(s0, "note", note), 0);
	struct jv *v = run_json(&d, "set_info name=ts_0");
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	static const char *const keys[] = {
		"instance", "producer", "schema", "uid", "gid", "perm", "perm_octal", "flags",
		"card", "meta_bytes", "data_bytes", "meta_gn", "data_gn", "consistent",
		"timestamp_us", "duration_us", "update_rate", "rate_source", "load", "plugin",
		"prdcr", "info", NULL};
	jkeys(v, keys);
	CU_ASSERT_STRING_EQUAL(jstr(v, "instance"), "ts_0");
	CU_ASSERT_STRING_EQUAL(jstr(v, "producer"), "node1");
	CU_ASSERT_STRING_EQUAL(jstr(v, "schema"), "my_schema");
	CU_ASSERT_EQUAL(jnum(v, "perm"), 0440);
	CU_ASSERT_STRING_EQUAL(jstr(v, "perm_octal"), "0440");
	CU_ASSERT_EQUAL(jnum(v, "uid"), vg_set_uid(s0));
	CU_ASSERT_EQUAL(jnum(v, "card"), vg_set_card(s0));
	CU_ASSERT_EQUAL(jnum(v, "card"), 8);
	CU_ASSERT_STRING_EQUAL(jat(jget(v, "flags"), 0)->str, "local");
	CU_ASSERT_EQUAL(jnum(v, "meta_bytes"), (double)vg_set_meta_size(s0));
	CU_ASSERT_EQUAL(jnum(v, "data_bytes"), (double)vg_set_data_size(s0));
	CU_ASSERT(jnum(v, "data_gn") >= 2);
	CU_ASSERT_EQUAL(jnum(v, "data_gn"), (double)vg_set_data_gn(s0));
	CU_ASSERT_EQUAL(jnum(v, "meta_gn"), (double)vg_set_meta_gn(s0));
	CU_ASSERT(jis(v, "consistent", J_BOOL) && jget(v, "consistent")->b);
	struct vg_timestamp ts = vg_set_timestamp(s0);
	CU_ASSERT_EQUAL(jnum(v, "timestamp_us"), (double)ts.sec * 1e6 + ts.usec);
	CU_ASSERT(jnum(v, "timestamp_us") > 1e15); /* after 2001 */
	CU_ASSERT(jint(v, "duration_us"));
	CU_ASSERT_EQUAL(jnum(v, "update_rate"), 10.0);
	CU_ASSERT_EQUAL(jnum(v, "load"), jnum(v, "data_bytes") * 10.0);
	CU_ASSERT_STRING_EQUAL(jstr(v, "plugin"), "ts");
	CU_ASSERT(jis(v, "prdcr", J_NULL));
	const struct jv *info = jget(v, "info");
	CU_ASSERT_STRING_EQUAL(jstr(info, "updt_hint_us"), "100000:0");
	CU_ASSERT_STRING_EQUAL(jstr(info, "note"), note);
	jfree(v);

	CU_ASSERT_EQUAL(run(&d, "set_info name=ts_0"), 0);
	const char *t = vg_strbuf_str(&reply);
	CU_ASSERT_EQUAL(strncmp(t, "Instance:     ts_0\n", 19), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "perm 0440 (-r--r-----)"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "Update rate:  10.00/s (schedule)\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(t, "Info:         updt_hint_us=100000:0\n"));

	CU_ASSERT_EQUAL(run(&d, "set_info name=nope/x"), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "'nope/x'"));
	CU_ASSERT_EQUAL(run(&d, "set_info"), -EINVAL);
	ldmsd_shutdown(&d);
}

static void test_daemon_and_plugin_json(void)
{
	struct ldmsd d;
	sampler_daemon(&d);
	struct jv *v = run_json(&d, "daemon_status");
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	static const char *const dkeys[] = {
		"state", "name", "version", "pid", "start_time_us", "uptime_us", "set_memory",
		"sets", "plugins_loaded", "plugins_running", "producers", "updaters",
		"storage_policies", "listeners", "connections", NULL};
	jkeys(v, dkeys);
	CU_ASSERT_STRING_EQUAL(jstr(v, "state"), "ready");
	CU_ASSERT_STRING_EQUAL(jstr(v, "name"), "node1");
	CU_ASSERT_STRING_EQUAL(jstr(v, "version"), VIGIL_VERSION);
	CU_ASSERT_EQUAL(jnum(v, "pid"), getpid());
	CU_ASSERT_EQUAL(jnum(v, "sets"), 2);
	CU_ASSERT_EQUAL(jnum(v, "plugins_loaded"), 1);
	CU_ASSERT_EQUAL(jnum(v, "plugins_running"), 1);
	CU_ASSERT_EQUAL(jnum(v, "producers"), 0);
	CU_ASSERT_EQUAL(jnum(jget(v, "set_memory"), "size_bytes"), 4u << 20);
	CU_ASSERT(jnum(jget(v, "set_memory"), "used_bytes") > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(jstr(jget(v, "set_memory"), "path"), "vigil."));
	CU_ASSERT_EQUAL(jlen(jget(v, "listeners")), 0);
	CU_ASSERT_EQUAL(jnum(v, "connections"), 0);
	jfree(v);

	v = run_json(&d, "plugn_status");
	CU_ASSERT_EQUAL_FATAL(jlen(jget(v, "plugins")), 1);
	const struct jv *p = jat(jget(v, "plugins"), 0);
	static const char *const pkeys[] = {
		"name", "plugin", "type", "state", "interval_us", "offset_us", "samples",
		"sample_errors", "last_sample_us", "avg_sample_us", "total_sample_us", "set_count",
		"path", NULL};
	jkeys(p, pkeys);
	CU_ASSERT_STRING_EQUAL(jstr(p, "name"), "ts");
	CU_ASSERT_STRING_EQUAL(jstr(p, "plugin"), "test_sampler");
	CU_ASSERT_STRING_EQUAL(jstr(p, "type"), "sampler");
	CU_ASSERT_STRING_EQUAL(jstr(p, "state"), "running");
	CU_ASSERT_EQUAL(jnum(p, "interval_us"), 100000);
	CU_ASSERT_EQUAL(jnum(p, "offset_us"), 0);
	CU_ASSERT(jint(p, "samples") && jnum(p, "samples") >= 2);
	CU_ASSERT_EQUAL(jnum(p, "sample_errors"), 0);
	CU_ASSERT(jnum(p, "avg_sample_us") >= 0);
	CU_ASSERT_EQUAL(jnum(p, "set_count"), 2);
	jfree(v);
	v = run_json(&d, "plugn_status name=ts");
	CU_ASSERT_EQUAL(jlen(jget(v, "plugins")), 1);
	jfree(v);
	CU_ASSERT_EQUAL(run(&d, "plugn_status name=other"), -ENOENT);

	v = run_json(&d, "plugn_sets");
	p = jat(jget(v, "plugins"), 0);
	CU_ASSERT_STRING_EQUAL(jstr(p, "name"), "ts");
	CU_ASSERT_EQUAL_FATAL(jlen(jget(p, "sets")), 2);
	CU_ASSERT_STRING_EQUAL(jat(jget(p, "sets"), 0)->str, "ts_0");
	CU_ASSERT_STRING_EQUAL(jat(jget(p, "sets"), 1)->str, "ts_1");
	jfree(v);

	v = run_json(&d, "version");
	CU_ASSERT_STRING_EQUAL(jstr(v, "name"), "vigil");
	CU_ASSERT_STRING_EQUAL(jstr(v, "version"), VIGIL_VERSION);
	CU_ASSERT_EQUAL(jnum(v, "protocol"), VG_PROTO_VERSION);
	CU_ASSERT(jint(v, "plugin_api"));
	jfree(v);

	v = run_json(&d, "usage name=ts");
	CU_ASSERT_STRING_EQUAL(jstr(v, "plugin"), "test_sampler");
	CU_ASSERT_PTR_NOT_NULL(strstr(jstr(v, "usage"), "action=default"));
	jfree(v);

	v = run_json(&d, "help command=set_info");
	CU_ASSERT_EQUAL_FATAL(jlen(jget(v, "commands")), 1);
	const struct jv *c = jat(jget(v, "commands"), 0);
	CU_ASSERT_STRING_EQUAL(jstr(c, "name"), "set_info");
	CU_ASSERT(jget(c, "status") && jget(c, "status")->b);
	CU_ASSERT_STRING_EQUAL(jstr(jat(jget(c, "attrs"), 0), "name"), "name");
	CU_ASSERT(jget(jat(jget(c, "attrs"), 0), "required")->b);
	jfree(v);
	ldmsd_shutdown(&d);
}

/* Every status row of the table answers JSON, and text without the flag. */
static void test_every_status_command(void)
{
	static const struct {
		const char *cmd, *args;
	} needs[] = {{"usage", "name=ts"}, {"set_info", "name=ts_1"}};
	struct ldmsd d;
	sampler_daemon(&d);
	size_t n = 0;
	for (const struct vg_cmd *c = vg_cmd_table; c->name; c++) {
		if (!(c->flags & VG_CMD_STATUS))
			continue;
		const char *args = "";
		for (size_t i = 0; i < VG_ARRAY_LEN(needs); i++)
			if (strcmp(needs[i].cmd, c->name) == 0)
				args = needs[i].args;
		for (int i = 0; !args[0] && c->attrs[i].name; i++)
			if (c->attrs[i].flags & VG_A_REQUIRED) {
				fprintf(stderr, "status command %s: add its arguments to this test\n",
					c->name);
				CU_FAIL("a status command without arguments in this test");
			}
		struct jv *v = run_json(&d, "%s %s", c->name, args);
		if (!v)
			fprintf(stderr, "%s: no JSON object\n", c->name);
		CU_ASSERT_PTR_NOT_NULL(v);
		jfree(v);
		CU_ASSERT_EQUAL(run(&d, "%s %s", c->name, args), 0);
		CU_ASSERT_NOT_EQUAL(vg_strbuf_str(&reply)[0], '{');
		CU_ASSERT_NOT_EQUAL(vg_strbuf_str(&reply)[0], '\0');
		n++;
	}
	CU_ASSERT(n >= 11);
	/* the LDMS text is untouched by the JSON work */
	CU_ASSERT_EQUAL(run(&d, "daemon_status"), 0);
	CU_ASSERT_EQUAL(strncmp(vg_strbuf_str(&reply), "Daemon State: ready\n", 20), 0);
	CU_ASSERT_EQUAL(run(&d, "plugn_sets"), 0);
	CU_ASSERT_STRING_EQUAL(vg_strbuf_str(&reply), "ts:\n   ts_0\n   ts_1\n");
	ldmsd_shutdown(&d);
}

/* ------------------------------------------------------------------ an aggregator */

struct producer {
	struct vg_loop *loop;
	struct vg_setdir *dir;
	struct vg_server *srv;
	struct vg_schema *schema;
	struct vg_set *set;
	uint16_t port;
};

static void producer_start(struct producer *pr)
{
	memset(pr, 0, sizeof(*pr));
	pr->loop = vg_loop_new(&err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pr->loop);
	pr->dir = vg_setdir_new();
	pr->srv = vg_server_new(pr->loop, pr->dir, NULL, NULL, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pr->srv);
	CU_ASSERT_EQUAL_FATAL(vg_server_listen(pr->srv, "sock", "127.0.0.1", 0, 0, &err), 0);
	pr->port = vg_server_port(pr->srv, 0);
	pr->schema = vg_schema_new("agg_schema");
	CU_ASSERT_FATAL(vg_schema_meta_add(pr->schema, "component_id", VG_T_U64) >= 0);
	CU_ASSERT_FATAL(vg_schema_metric_add(pr->schema, "v", VG_T_U64) >= 0);
	CU_ASSERT_FATAL(vg_schema_metric_add(pr->schema, "w", VG_T_U64) >= 0);
	pr->set = vg_set_new(NULL, pr->schema, "prod/s1", "prod", 0, 0, 0440, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pr->set);
	vg_set_info_set(pr->set, "updt_hint_us", "100000:0");
	CU_ASSERT_EQUAL_FATAL(vg_setdir_add(pr->dir, pr->set), 0);
}

static void producer_close(struct producer *pr)
{
	if (pr->srv)
		vg_server_free(pr->srv);
	pr->srv = NULL;
}

static void producer_free(struct producer *pr)
{
	producer_close(pr);
	vg_setdir_free(pr->dir);
	vg_set_put(pr->set);
	vg_schema_free(pr->schema);
	vg_loop_free(pr->loop);
}

/* Run both loops until cond(arg) or the deadline. */
static bool pump(struct ldmsd *a, struct producer *pr, bool (*cond)(void *), void *arg, int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;
	while (!(cond && cond(arg)) && now_ms() < end) {
		vg_loop_run_once(pr->loop, 2);
		vg_loop_run_once(a->loop, 2);
	}
	return cond && cond(arg);
}

static struct prdcr_set *the_pset(struct ldmsd *a)
{
	struct ldmsd_prdcr *p = prdcr_find(a, "p");
	for (uint32_t s = 0; p && s < p->nslots; s++)
		if (p->sets[s])
			return p->sets[s];
	return NULL;
}

static bool mirror_ready(void *arg)
{
	struct prdcr_set *ps = the_pset(arg);
	return ps && ps->state == PSET_READY && ps->mirror;
}

static bool two_updates(void *arg)
{
	struct prdcr_set *ps = the_pset(arg);
	return ps && ps->updates >= 2;
}

static bool mirror_stale(void *arg)
{
	struct vg_set *m = vg_setdir_find(((struct ldmsd *)arg)->dir, "prod/s1");
	return m && (vg_set_flags(m) & VG_SET_F_STALE);
}

static const struct jv *first_set(const struct jv *v)
{
	return jat(jget(v, "sets"), 0);
}

static void test_aggregator(void)
{
	struct producer pr;
	producer_start(&pr);
	struct ldmsd a;
	CU_ASSERT_EQUAL_FATAL(ldmsd_init(&a, &err), 0);
	a.set_memory = 4u << 20;
	CU_ASSERT_EQUAL_FATAL(ldmsd_start_core(&a, &err), 0);
	CU_ASSERT_EQUAL(run(&a, "prdcr_add name=p host=127.0.0.1 port=%u xprt=sock type=active "
				"reconnect=100ms", pr.port), 0);
	CU_ASSERT_EQUAL(run(&a, "prdcr_start name=p"), 0);
	CU_ASSERT_EQUAL(run(&a, "updtr_add name=u interval=100ms"), 0);
	CU_ASSERT_EQUAL(run(&a, "updtr_prdcr_add name=u regex=^p$"), 0);
	CU_ASSERT_EQUAL(run(&a, "updtr_start name=u"), 0);
	CU_ASSERT_FATAL(pump(&a, &pr, mirror_ready, &a, 10000));
	struct prdcr_set *ps = the_pset(&a);

	/* not updated twice yet: the updater's schedule */
	ps->updates = 0;
	ps->first_update_us = ps->last_update_us = 0;
	struct jv *v = run_json(&a, "set_stats");
	CU_ASSERT_EQUAL_FATAL(jlen(jget(v, "sets")), 1);
	const struct jv *r = first_set(v);
	CU_ASSERT_STRING_EQUAL(jstr(r, "instance"), "prod/s1");
	CU_ASSERT_STRING_EQUAL(jstr(r, "producer"), "prod");
	CU_ASSERT_EQUAL(jlen(jget(r, "flags")), 1);
	CU_ASSERT_STRING_EQUAL(jat(jget(r, "flags"), 0)->str, "mirror");
	CU_ASSERT(jis(r, "plugin", J_NULL));
	CU_ASSERT_STRING_EQUAL(jstr(r, "prdcr"), "p");
	CU_ASSERT_EQUAL(jnum(r, "data_bytes"), (double)vg_set_data_size(pr.set));
	CU_ASSERT_EQUAL(jnum(r, "update_rate"), 10.0);
	CU_ASSERT_STRING_EQUAL(jstr(r, "rate_source"), "updater");
	CU_ASSERT_EQUAL(jnum(r, "load"), jnum(r, "data_bytes") * 10.0);
	jfree(v);

	/* samples on the producer reach the mirror; then the measured rate counts */
	uint64_t end = now_ms() + 10000;
	while (!two_updates(&a) && now_ms() < end) {
		vg_set_begin(pr.set);
		vg_set_u64(pr.set, 1, vg_get_u64(pr.set, 1) + 1);
		vg_set_end(pr.set);
		pump(&a, &pr, NULL, NULL, 120);
	}
	CU_ASSERT_FATAL(ps->updates >= 2);
	ps->updates = 11;
	ps->first_update_us = 5000000;
	ps->last_update_us = 6000000;
	v = run_json(&a, "set_stats");
	CU_ASSERT_EQUAL(jnum(first_set(v), "update_rate"), 10.0);
	CU_ASSERT_STRING_EQUAL(jstr(first_set(v), "rate_source"), "measured");
	jfree(v);
	ps->last_update_us = 5500000; /* 10 in 0.5 s */
	v = run_json(&a, "set_stats");
	CU_ASSERT_EQUAL(jnum(first_set(v), "update_rate"), 20.0);
	CU_ASSERT_EQUAL(jnum(jget(v, "total"), "load"), 20.0 * (double)vg_set_data_size(pr.set));
	jfree(v);

	v = run_json(&a, "set_info name=prod/s1");
	CU_ASSERT_STRING_EQUAL(jat(jget(v, "flags"), 0)->str, "mirror");
	CU_ASSERT_STRING_EQUAL(jstr(v, "schema"), "agg_schema");
	CU_ASSERT_EQUAL(jnum(v, "card"), 3);
	CU_ASSERT(jis(v, "plugin", J_NULL));
	const struct jv *pj = jget(v, "prdcr");
	CU_ASSERT_STRING_EQUAL(jstr(pj, "name"), "p");
	CU_ASSERT_STRING_EQUAL(jstr(pj, "state"), "CONNECTED");
	CU_ASSERT_STRING_EQUAL(jstr(pj, "set_state"), "READY");
	CU_ASSERT_EQUAL(jnum(pj, "updates"), 11);
	CU_ASSERT_STRING_EQUAL(jstr(jget(v, "info"), "updt_hint_us"), "100000:0");
	CU_ASSERT(jnum(v, "data_gn") >= 2);
	jfree(v);

	v = run_json(&a, "prdcr_status");
	CU_ASSERT_EQUAL_FATAL(jlen(jget(v, "producers")), 1);
	const struct jv *p = jat(jget(v, "producers"), 0);
	static const char *const pkeys[] = {
		"name", "host", "port", "xprt", "type", "state", "auth", "reconnect_us",
		"connect_attempts", "connect_failures", "disconnects", "last_error", "set_count",
		"sets", NULL};
	jkeys(p, pkeys);
	CU_ASSERT_STRING_EQUAL(jstr(p, "name"), "p");
	CU_ASSERT_STRING_EQUAL(jstr(p, "host"), "127.0.0.1");
	CU_ASSERT_EQUAL(jnum(p, "port"), pr.port);
	CU_ASSERT_STRING_EQUAL(jstr(p, "xprt"), "sock");
	CU_ASSERT_STRING_EQUAL(jstr(p, "type"), "active");
	CU_ASSERT_STRING_EQUAL(jstr(p, "state"), "CONNECTED");
	CU_ASSERT_EQUAL(jnum(p, "reconnect_us"), 100000);
	CU_ASSERT(jnum(p, "connect_attempts") >= 1);
	CU_ASSERT_EQUAL(jnum(p, "set_count"), 1);
	const struct jv *s = jat(jget(p, "sets"), 0);
	static const char *const skeys[] = {"instance", "schema", "state", "push", "updates",
					    "reads", "skipped", "torn", "first_update_us",
					    "last_update_us", NULL};
	jkeys(s, skeys);
	CU_ASSERT_STRING_EQUAL(jstr(s, "instance"), "prod/s1");
	CU_ASSERT_STRING_EQUAL(jstr(s, "schema"), "agg_schema");
	CU_ASSERT_STRING_EQUAL(jstr(s, "state"), "READY");
	CU_ASSERT_EQUAL(jnum(s, "updates"), 11);
	CU_ASSERT(jnum(s, "reads") >= 2);
	CU_ASSERT_EQUAL(jnum(s, "last_update_us"), 5500000);
	jfree(v);
	CU_ASSERT_EQUAL(run(&a, "prdcr_status name=q"), -ENOENT);

	v = run_json(&a, "updtr_status");
	CU_ASSERT_EQUAL_FATAL(jlen(jget(v, "updaters")), 1);
	const struct jv *u = jat(jget(v, "updaters"), 0);
	static const char *const ukeys[] = {
		"name", "interval_us", "offset_us", "mode", "auto_interval", "state",
		"current_interval_us", "current_offset_us", "ticks", "tick_time_total_us",
		"producer_regexes", "set_matches", "producers", NULL};
	jkeys(u, ukeys);
	CU_ASSERT_STRING_EQUAL(jstr(u, "name"), "u");
	CU_ASSERT_EQUAL(jnum(u, "interval_us"), 100000);
	CU_ASSERT_EQUAL(jnum(u, "current_interval_us"), 100000);
	CU_ASSERT_STRING_EQUAL(jstr(u, "mode"), "pull");
	CU_ASSERT_STRING_EQUAL(jstr(u, "state"), "RUNNING");
	CU_ASSERT(jnum(u, "ticks") >= 1);
	CU_ASSERT_STRING_EQUAL(jat(jget(u, "producer_regexes"), 0)->str, "^p$");
	CU_ASSERT_EQUAL(jlen(jget(u, "set_matches")), 0);
	CU_ASSERT_STRING_EQUAL(jstr(jat(jget(u, "producers"), 0), "name"), "p");
	CU_ASSERT_STRING_EQUAL(jstr(jat(jget(u, "producers"), 0), "state"), "CONNECTED");
	jfree(v);

	CU_ASSERT_EQUAL(run(&a, "load name=store_csv"), 0);
	CU_ASSERT_EQUAL(run(&a, "strgp_add name=s plugin=store_csv container=c schema=agg_schema"),
			0);
	CU_ASSERT_EQUAL(run(&a, "strgp_prdcr_add name=s regex=^p"), 0);
	CU_ASSERT_EQUAL(run(&a, "strgp_metric_add name=s metric=v"), 0);
	v = run_json(&a, "strgp_status");
	CU_ASSERT_EQUAL_FATAL(jlen(jget(v, "storage_policies")), 1);
	const struct jv *g = jat(jget(v, "storage_policies"), 0);
	static const char *const gkeys[] = {
		"name", "plugin", "container", "schema", "flush_us", "state", "open",
		"producer_regexes", "metrics", "columns", "stored", "store_errors",
		"skipped_layout", NULL};
	jkeys(g, gkeys);
	CU_ASSERT_STRING_EQUAL(jstr(g, "name"), "s");
	CU_ASSERT_STRING_EQUAL(jstr(g, "plugin"), "store_csv");
	CU_ASSERT_STRING_EQUAL(jstr(g, "container"), "c");
	CU_ASSERT_STRING_EQUAL(jstr(g, "schema"), "agg_schema");
	CU_ASSERT_STRING_EQUAL(jstr(g, "state"), "STOPPED");
	CU_ASSERT_STRING_EQUAL(jat(jget(g, "producer_regexes"), 0)->str, "^p");
	CU_ASSERT_STRING_EQUAL(jat(jget(g, "metrics"), 0)->str, "v");
	CU_ASSERT_EQUAL(jnum(g, "stored"), 0);
	CU_ASSERT_EQUAL(jnum(g, "store_errors"), 0);
	CU_ASSERT(jget(g, "open") && !jget(g, "open")->b);
	jfree(v);

	/* a push updater: the sampler's advertised schedule; no updater at all: no rate */
	CU_ASSERT_EQUAL(run(&a, "updtr_stop name=u"), 0);
	CU_ASSERT_EQUAL(run(&a, "updtr_add name=pu interval=1s push=onchange"), 0);
	CU_ASSERT_EQUAL(run(&a, "updtr_prdcr_add name=pu regex=.*"), 0);
	CU_ASSERT_EQUAL(run(&a, "updtr_start name=pu"), 0);
	ps->updates = 1;
	v = run_json(&a, "set_stats");
	CU_ASSERT_EQUAL(jnum(first_set(v), "update_rate"), 10.0);
	CU_ASSERT_STRING_EQUAL(jstr(first_set(v), "rate_source"), "updater");
	jfree(v);
	v = run_json(&a, "updtr_status name=pu");
	CU_ASSERT_STRING_EQUAL(jstr(jat(jget(v, "updaters"), 0), "mode"), "push_onchange");
	jfree(v);
	CU_ASSERT_EQUAL(run(&a, "updtr_stop name=pu"), 0);
	v = run_json(&a, "set_stats");
	CU_ASSERT_EQUAL(jnum(first_set(v), "update_rate"), 0.0);
	CU_ASSERT_STRING_EQUAL(jstr(first_set(v), "rate_source"), "none");
	jfree(v);

	/* the producer goes away: the mirror stays, marked stale */
	producer_close(&pr);
	CU_ASSERT(pump(&a, &pr, mirror_stale, &a, 10000));
	v = run_json(&a, "set_stats");
	r = first_set(v);
	CU_ASSERT_EQUAL(jlen(jget(r, "flags")), 2);
	CU_ASSERT_STRING_EQUAL(jat(jget(r, "flags"), 1)->str, "stale");
	jfree(v);
	v = run_json(&a, "prdcr_status");
	p = jat(jget(v, "producers"), 0);
	CU_ASSERT_STRING_NOT_EQUAL(jstr(p, "state"), "CONNECTED");
	CU_ASSERT_STRING_EQUAL(jstr(jat(jget(p, "sets"), 0), "state"), "STALE");
	jfree(v);
	CU_ASSERT_EQUAL(run(&a, "set_stats"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(vg_strbuf_str(&reply), " mirror,stale "));

	ldmsd_shutdown(&a);
	producer_free(&pr);
}

static void test_zz_cleanup(void)
{
	vg_strbuf_free(&reply);
}

static const struct cu_test tests[] = {
	{"the test's JSON parser is strict", test_parser_strict},
	{"json.c: commas and nesting", test_writer_shape},
	{"json.c: doubles round-trip in their shortest form", test_writer_doubles},
	{"json.c: escapes quotes, backslashes, control characters", test_writer_escapes},
	{"set_stats: local sets, rate from the schedule, load, totals, table", test_set_stats_local},
	{"set_info: a local set; unknown set is ENOENT", test_set_info_local},
	{"daemon_status, plugn_*, version, usage, help in JSON", test_daemon_and_plugin_json},
	{"every status command answers JSON and text", test_every_status_command},
	{"aggregator: prdcr/updtr/strgp status, mirror rates, stale", test_aggregator},
	{"cleanup", test_zz_cleanup},
	{NULL, NULL},
};

CU_MAIN("status", tests)
