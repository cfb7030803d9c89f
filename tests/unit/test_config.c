/*
 * test_config.c - the config language: the command table's parser (table
 * driven, after collectd's cmds_test.c), config files (comments,
 * continuations, ${VAR}, env, include, line numbers in errors), and the
 * plugin commands run against a real daemon core.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/cmd.h"
#include "daemon/conffile.h"
#include "daemon/daemon.h"
#include "tests/unit/cu_main.h"

static void test_parse_table(void)
{
	static const struct {
		const char *line;
		int rc;
		const char *msg_part; /* expected in the error, or NULL */
	} cases[] = {
		{"", 0, NULL},
		{"   \t ", 0, NULL},
		{"load name=meminfo", 1, NULL},
		{"load name=mem2 plugin=meminfo", 1, NULL},
		{"bogus_cmd name=x", -ENOSYS, "unknown command 'bogus_cmd'"},
		{"load", -EINVAL, "missing required attribute 'name'"},
		{"load name=a name=b", -EINVAL, "given twice"},
		{"load name=a foo=1", -EINVAL, "unknown attribute 'foo'"},
		{"load name=", -EINVAL, "empty value for 'name'"},
		{"load name=a/b", -EINVAL, "bad value 'a/b' for name"},
		{"load meminfo", -EINVAL, "expected attribute=value"},
		{"load =x", -EINVAL, "expected attribute=value"},
		{"start name=m interval=1s", 1, NULL},
		{"start name=m interval=1000000 offset=-100ms", 1, NULL},
		{"start name=m interval=soon", -EINVAL, "bad value 'soon' for interval"},
		{"start name=m", -EINVAL, "missing required attribute 'interval'"},
		{"listen xprt=sock port=70000", -EINVAL, "bad value '70000' for port"},
		{"listen xprt=sock port=0", -EINVAL, "port"},
		{"listen xprt=sock port=411 host=::1", 1, NULL},
		{"set_memory size=2M", 1, NULL},
		{"set_memory size=lots", -EINVAL, "a size such as"},
		{"loglevel level=debug", 1, NULL},
		{"loglevel level=chatty", -EINVAL, "bad value 'chatty'"},
		{"config name=meminfo producer=n1 instance=n1/meminfo bogus=1", 1, NULL},
		{"daemon_status", 1, NULL},
		{"daemon_status verbose=1", -EINVAL, "unknown attribute"},
		{"start name=m interval_us=1000000", 1, NULL},
		{"start name=m interval=1s interval_us=2s", -EINVAL, "'interval' given twice"},
		{"listen xprt=sock port=411 auth=DEFAULT", 1, NULL},
		{"env X=$(echo a b) Y=1", 1, NULL},
	};
	for (size_t i = 0; i < VG_ARRAY_LEN(cases); i++) {
		struct vg_cmd_args args;
		struct vg_err err;
		vg_err_clear(&err);
		int rc = vg_cmd_parse(cases[i].line, &args, &err);
		if (rc != cases[i].rc)
			fprintf(stderr, "'%s': rc %d, expected %d (%s)\n", cases[i].line, rc,
				cases[i].rc, err.msg);
		CU_ASSERT_EQUAL(rc, cases[i].rc);
		if (cases[i].msg_part) {
			if (!strstr(err.msg, cases[i].msg_part))
				fprintf(stderr, "'%s': message '%s' lacks '%s'\n", cases[i].line,
					err.msg, cases[i].msg_part);
			CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, cases[i].msg_part));
		}
		if (rc > 0)
			vg_cmd_args_free(&args);
	}
}

static void test_typed_values(void)
{
	struct vg_cmd_args args;
	CU_ASSERT_EQUAL_FATAL(vg_cmd_parse("start name=m interval=2s offset=-250ms", &args, NULL), 1);
	CU_ASSERT_STRING_EQUAL(vg_arg_str(&args, "name"), "m");
	CU_ASSERT_EQUAL(vg_arg_i64(&args, "interval"), 2000000);
	CU_ASSERT_EQUAL(vg_arg_i64(&args, "offset"), -250000);
	vg_cmd_args_free(&args);
	/* a default from the table applies when the attribute is absent */
	CU_ASSERT_EQUAL_FATAL(vg_cmd_parse("start name=m interval=1s", &args, NULL), 1);
	CU_ASSERT_FALSE(vg_arg_has(&args, "offset"));
	CU_ASSERT_EQUAL(vg_arg_i64(&args, "offset"), 0);
	vg_cmd_args_free(&args);
	CU_ASSERT_EQUAL_FATAL(vg_cmd_parse("listen xprt=sock", &args, NULL), 1);
	CU_ASSERT_EQUAL(vg_arg_u64(&args, "port"), 411);
	CU_ASSERT_PTR_NULL(vg_arg_str(&args, "host"));
	vg_cmd_args_free(&args);
	/* config passes everything but name= through, in order */
	CU_ASSERT_EQUAL_FATAL(
		vg_cmd_parse("config name=meminfo producer=n1 instance=n1/meminfo x=a=b", &args, NULL),
		1);
	CU_ASSERT_EQUAL(args.extra.count, 3);
	CU_ASSERT_STRING_EQUAL(args.extra.items[0].key, "producer");
	CU_ASSERT_STRING_EQUAL(args.extra.items[1].value, "n1/meminfo");
	CU_ASSERT_STRING_EQUAL(args.extra.items[2].key, "x");
	CU_ASSERT_STRING_EQUAL(args.extra.items[2].value, "a=b");
	CU_ASSERT_STRING_EQUAL(vg_kv_get(&args.extra, "producer"), "n1");
	vg_cmd_args_free(&args);
	/* LDMS's interval_us is interval */
	CU_ASSERT_EQUAL_FATAL(vg_cmd_parse("start name=m interval_us=250000", &args, NULL), 1);
	CU_ASSERT_EQUAL(vg_arg_i64(&args, "interval"), 250000);
	vg_cmd_args_free(&args);
	/* a command substitution with spaces is one token */
	CU_ASSERT_EQUAL_FATAL(vg_cmd_parse("env A=$(echo x y) B=$(printf '(%s)' z) C=3", &args, NULL),
			      1);
	CU_ASSERT_EQUAL(args.extra.count, 3);
	CU_ASSERT_STRING_EQUAL(vg_kv_get(&args.extra, "A"), "$(echo x y)");
	CU_ASSERT_STRING_EQUAL(vg_kv_get(&args.extra, "B"), "$(printf '(%s)' z)");
	CU_ASSERT_STRING_EQUAL(vg_kv_get(&args.extra, "C"), "3");
	vg_cmd_args_free(&args);
}

static void test_help_and_man(void)
{
	struct vg_strbuf sb;
	vg_strbuf_init(&sb);
	vg_cmd_help(&sb, NULL);
	vg_cmd_dump_man(&sb);
	const char *text = vg_strbuf_str(&sb);
	/* every command and every attribute appears in the help and the man page */
	for (const struct vg_cmd *c = vg_cmd_table; c->name; c++) {
		char needle[64];
		snprintf(needle, sizeof(needle), ".SS %s\n", c->name);
		CU_ASSERT_PTR_NOT_NULL(strstr(text, needle));
		snprintf(needle, sizeof(needle), "  %s", c->name);
		CU_ASSERT_PTR_NOT_NULL(strstr(text, needle));
		for (int i = 0; c->attrs[i].name; i++) {
			snprintf(needle, sizeof(needle), ".BI %s= ", c->attrs[i].name);
			CU_ASSERT_PTR_NOT_NULL(strstr(text, needle));
		}
	}
	vg_strbuf_reset(&sb);
	vg_cmd_help(&sb, "start");
	CU_ASSERT_PTR_NOT_NULL(strstr(vg_strbuf_str(&sb), "offset"));
	CU_ASSERT_PTR_NULL(strstr(vg_strbuf_str(&sb), "  load"));
	vg_strbuf_free(&sb);
}

/* ------------------------------------------------------------------ files */

static char tmpdir[] = "/tmp/vigil-test-config-XXXXXX";

static const char *write_file(const char *name, const char *text)
{
	static char path[512];
	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	FILE *f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void test_file_syntax(void)
{
	setenv("VIGIL_TEST_PRODUCER", "node7", 1);
	unsetenv("VIGIL_TEST_UNSET");
	const char *path = write_file("a.conf",
				      "# a comment\n"
				      "\n"
				      "load name=meminfo   # trailing comment\n"
				      "config name=meminfo producer=${VIGIL_TEST_PRODUCER} \\\n"
				      "       instance=${VIGIL_TEST_PRODUCER}/meminfo tag=a#b\n"
				      "env VIGIL_TEST_IV=2s\n"
				      "start name=meminfo interval=${VIGIL_TEST_IV} offset=0\r\n"
				      "config name=meminfo x=${VIGIL_TEST_UNSET}y\n");
	struct vg_config cfg;
	struct vg_err err;
	vg_config_init(&cfg);
	CU_ASSERT_EQUAL_FATAL(vg_config_read(&cfg, path, &err), 0);
	CU_ASSERT_EQUAL_FATAL(cfg.n, 4);
	CU_ASSERT_STRING_EQUAL(cfg.lines[0].args.cmd->name, "load");
	CU_ASSERT_PTR_NOT_NULL(strstr(cfg.lines[0].where, "a.conf:3"));
	/* continuation joined, ${VAR} expanded, '#' inside a value kept */
	const struct vg_kvlist *kv = &cfg.lines[1].args.extra;
	CU_ASSERT_STRING_EQUAL(vg_kv_get(kv, "producer"), "node7");
	CU_ASSERT_STRING_EQUAL(vg_kv_get(kv, "instance"), "node7/meminfo");
	CU_ASSERT_STRING_EQUAL(vg_kv_get(kv, "tag"), "a#b");
	CU_ASSERT_PTR_NOT_NULL(strstr(cfg.lines[1].where, "a.conf:4"));
	/* env applied while reading: the next line sees it */
	CU_ASSERT_EQUAL(vg_arg_i64(&cfg.lines[2].args, "interval"), 2000000);
	CU_ASSERT_PTR_NOT_NULL(strstr(cfg.lines[2].where, "a.conf:7"));
	/* an unset variable is empty */
	CU_ASSERT_STRING_EQUAL(vg_kv_get(&cfg.lines[3].args.extra, "x"), "y");
	vg_config_free(&cfg);

	/* env runs $(command) as LDMS does, before the next line reads the variable */
	path = write_file("cmd.conf", "\xef\xbb\xbf# an editor's byte-order mark first\n"
				      "env VIGIL_TEST_CMD=$(echo node 42 | tr ' ' -)\n"
				      "load name=x${VIGIL_TEST_CMD}\n");
	vg_config_init(&cfg);
	CU_ASSERT_EQUAL_FATAL(vg_config_read(&cfg, path, &err), 0);
	CU_ASSERT_EQUAL_FATAL(cfg.n, 1);
	CU_ASSERT_STRING_EQUAL(vg_arg_str(&cfg.lines[0].args, "name"), "xnode-42");
	vg_config_free(&cfg);
	path = write_file("badcmd.conf", "load name=a\nenv X=$(exit 3)\n");
	vg_config_init(&cfg);
	CU_ASSERT_EQUAL(vg_config_read(&cfg, path, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "badcmd.conf:2: $(exit 3) failed (exit status 3)"));
	vg_config_free(&cfg);
	vg_config_init(&cfg);
	CU_ASSERT_EQUAL(vg_config_read(&cfg, tmpdir, &err), -EISDIR);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "is a directory"));
	vg_config_free(&cfg);
}

static void test_file_errors(void)
{
	/* the error at line 7 is reported as file:7: and nothing is kept */
	const char *path = write_file("bad.conf",
				      "load name=meminfo\n"
				      "config name=meminfo producer=a \\\n"
				      "  instance=a/meminfo\n"
				      "# comment\n"
				      "\n"
				      "start name=meminfo interval=1s\n"
				      "start name=meminfo interval=fast\n"
				      "load name=vmstat\n");
	struct vg_config cfg;
	struct vg_err err;
	vg_config_init(&cfg);
	int rc = vg_config_read(&cfg, path, &err);
	CU_ASSERT_EQUAL(rc, -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "bad.conf:7: "));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "interval"));
	vg_config_free(&cfg);

	vg_config_init(&cfg);
	rc = vg_config_read(&cfg, "/nonexistent/ldmsd.conf", &err);
	CU_ASSERT_EQUAL(rc, -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "/nonexistent/ldmsd.conf"));
	vg_config_free(&cfg);

	/* include reads in place and reports the included file's line */
	char inc_line[600];
	const char *inc = write_file("inc.conf", "load name=vmstat\nfrobnicate\n");
	snprintf(inc_line, sizeof(inc_line), "load name=meminfo\ninclude path=%s\n", inc);
	path = write_file("top.conf", inc_line);
	vg_config_init(&cfg);
	rc = vg_config_read(&cfg, path, &err);
	CU_ASSERT_EQUAL(rc, -ENOSYS);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "inc.conf:2: unknown command 'frobnicate'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "top.conf:2"));
	vg_config_free(&cfg);

	/* an include loop ends with an error, not a stack overflow */
	char self[600];
	snprintf(self, sizeof(self), "include path=%s/loop.conf\n", tmpdir);
	path = write_file("loop.conf", self);
	vg_config_init(&cfg);
	rc = vg_config_read(&cfg, path, &err);
	CU_ASSERT_EQUAL(rc, -ELOOP);
	vg_config_free(&cfg);
}

/* ------------------------------------------------------------------ handlers */

static int run(struct ldmsd *d, const char *line, struct vg_strbuf *reply, struct vg_err *err)
{
	vg_strbuf_reset(reply);
	vg_err_clear(err);
	return ldmsd_run_line(d, line, "test", reply, err);
}

static void test_plugin_commands(void)
{
	setenv("VIGIL_PROC_ROOT", "/proc", 1);
	struct ldmsd d;
	struct vg_err err;
	struct vg_strbuf reply;
	vg_strbuf_init(&reply);
	CU_ASSERT_EQUAL_FATAL(ldmsd_init(&d, &err), 0);
	d.set_memory = 1 << 20;
	CU_ASSERT_EQUAL_FATAL(ldmsd_start_core(&d, &err), 0);

	CU_ASSERT_EQUAL(run(&d, "load name=nosuchplugin", &reply, &err), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "nosuchplugin"));
	CU_ASSERT_EQUAL(d.nplugins, 0);

	CU_ASSERT_EQUAL(run(&d, "start name=meminfo interval=1s", &reply, &err), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "not loaded"));
	CU_ASSERT_EQUAL_FATAL(run(&d, "load name=meminfo", &reply, &err), 0);
	CU_ASSERT_EQUAL(run(&d, "load name=meminfo", &reply, &err), -EEXIST);
	CU_ASSERT_EQUAL(run(&d, "start name=meminfo interval=1s", &reply, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "not configured"));
	CU_ASSERT_NOT_EQUAL(run(&d, "config name=meminfo instance=x/meminfo", &reply, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "producer"));
	CU_ASSERT_EQUAL_FATAL(
		run(&d, "config name=meminfo producer=x instance=x/meminfo", &reply, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(vg_setdir_find(d.dir, "x/meminfo"));
	CU_ASSERT_EQUAL(run(&d, "start name=meminfo interval=1s offset=600ms", &reply, &err),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "interval/2"));
	CU_ASSERT_EQUAL(run(&d, "stop name=meminfo", &reply, &err), -EBUSY);
	CU_ASSERT_EQUAL(run(&d, "start name=meminfo interval=1", &reply, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "write the unit, e.g. interval=1s"));
	CU_ASSERT_EQUAL(run(&d, "config name=meminfo perm=9", &reply, &err), -EBUSY);
	CU_ASSERT_EQUAL(strncmp(err.msg, "meminfo: ", 9), 0); /* the instance is always named */
	CU_ASSERT_EQUAL(run(&d, "listen xprt=sock port=1 auth=munge", &reply, &err), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "authentication domain 'munge'"));
	CU_ASSERT_EQUAL(run(&d, "start name=meminfo interval=1s offset=100ms", &reply, &err), 0);
	CU_ASSERT_STRING_EQUAL(vg_set_info_get(vg_setdir_find(d.dir, "x/meminfo"), "updt_hint_us"),
			       "1000000:100000");
	CU_ASSERT_EQUAL(run(&d, "start name=meminfo interval=1s", &reply, &err), -EBUSY);
	CU_ASSERT_EQUAL(run(&d, "term name=meminfo", &reply, &err), -EBUSY);
	CU_ASSERT_EQUAL(run(&d, "plugn_status", &reply, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(vg_strbuf_str(&reply), "running"));
	CU_ASSERT_EQUAL(run(&d, "plugn_sets", &reply, &err), 0);
	CU_ASSERT_STRING_EQUAL(vg_strbuf_str(&reply), "meminfo:\n   x/meminfo\n");
	CU_ASSERT_EQUAL(run(&d, "daemon_status", &reply, &err), 0);
	CU_ASSERT_EQUAL(strncmp(vg_strbuf_str(&reply), "Daemon State: ready\n", 20), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(vg_strbuf_str(&reply), "Sets: 1\n"));
	CU_ASSERT_EQUAL(run(&d, "set_memory size=8M", &reply, &err), -EPERM);
	CU_ASSERT_EQUAL(run(&d, "stop name=meminfo", &reply, &err), 0);
	CU_ASSERT_EQUAL(run(&d, "term name=meminfo", &reply, &err), 0);
	CU_ASSERT_PTR_NULL(vg_setdir_find(d.dir, "x/meminfo"));
	CU_ASSERT_EQUAL(d.nplugins, 0);

	/* a second instance of a module under another name */
	CU_ASSERT_EQUAL(run(&d, "load name=mem2 plugin=meminfo", &reply, &err), 0);
	CU_ASSERT_EQUAL(run(&d, "config name=mem2 producer=x instance=x/mem2", &reply, &err), 0);
	CU_ASSERT_EQUAL(run(&d, "usage name=mem2", &reply, &err), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(vg_strbuf_str(&reply), "producer"));

	vg_strbuf_free(&reply);
	ldmsd_shutdown(&d);
}

static void setup_tmpdir(void)
{
	if (!mkdtemp(tmpdir))
		abort();
}

static void test_zz_cleanup(void)
{
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	CU_ASSERT_EQUAL(system(cmd), 0);
}

static const struct cu_test tests[] = {
	{"parser: table of good and bad lines", test_parse_table},
	{"parser: typed values, defaults, pass-through", test_typed_values},
	{"help and man page come from the table", test_help_and_man},
	{"files: comments, continuation, ${VAR}, env", test_file_syntax},
	{"files: errors name file and line; include", test_file_errors},
	{"plugin commands against a daemon core", test_plugin_commands},
	{"cleanup", test_zz_cleanup},
	{NULL, NULL},
};

int main(int argc, char **argv)
{
	setup_tmpdir();
	return cu_run("config", tests, argc, argv);
}
