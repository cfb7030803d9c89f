/*
 * test_util.c - value parsers, error reports, string buffers, log levels and
 * rate-limited complaints.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/opts.h"
#include "core/util.h"
#include "tests/unit/cu_main.h"

static void test_duration(void)
{
	static const struct {
		const char *in;
		int rc;
		int64_t us;
	} cases[] = {
		{"1000000", 0, 1000000}, {"1s", 0, 1000000},	 {"1.0s", 0, 1000000},
		{"500ms", 0, 500000},	 {"250us", 0, 250},	 {"1.5s", 0, 1500000},
		{"2m", 0, 120000000},	 {"1h", 0, 3600000000LL}, {"1d", 0, 86400000000LL},
		{"-100ms", 0, -100000},	 {"0", 0, 0},		 {" 3s ", 0, 3000000},
		{"", -EINVAL, 0},	 {"s", -EINVAL, 0},	 {"1x", -EINVAL, 0},
		{"1 s s", -EINVAL, 0},	 {"inf", -EINVAL, 0},	 {"nan", -EINVAL, 0},
		{"0x10", -EINVAL, 0},	 {"99999999999999999999999d", -ERANGE, 0},
		{"1.1s", 0, 1100000},	 {".5s", 0, 500000},	 {"0.000001s", 0, 1},
		{"2.5ms", 0, 2500},	 {"1.s", 0, 1000000},	 {".", -EINVAL, 0},
		{"1.2.3s", -EINVAL, 0},	 {"--1s", -EINVAL, 0},	 {"1.5", 0, 2},
	};
	for (size_t i = 0; i < VG_ARRAY_LEN(cases); i++) {
		int64_t v = -7;
		int rc = vg_parse_duration_us(cases[i].in, &v);
		CU_ASSERT_EQUAL(rc, cases[i].rc);
		if (rc != cases[i].rc)
			fprintf(stderr, "duration '%s': rc %d\n", cases[i].in, rc);
		if (cases[i].rc == 0)
			CU_ASSERT_EQUAL(v, cases[i].us);
	}
	CU_ASSERT_EQUAL(vg_parse_duration_us(NULL, &(int64_t){0}), -EINVAL);
}

static void test_size(void)
{
	static const struct {
		const char *in;
		int rc;
		uint64_t bytes;
	} cases[] = {
		{"512K", 0, 512 * 1024},   {"512kB", 0, 512 * 1024},	    {"512kb", 0, 512 * 1024},
		{"2M", 0, 2 << 20},	   {"2mb", 0, 2 << 20},		    {"2MiB", 0, 2 << 20},
		{"1GB", 0, 1ull << 30},	   {"1.5M", 0, 3 << 19},	    {"65536", 0, 65536},
		{"20B", 0, 20},		   {"1T", 0, 1ull << 40},	    {"", -EINVAL, 0},
		{"K", -EINVAL, 0},	   {"-1M", -EINVAL, 0},		    {"2X", -EINVAL, 0},
		{"2 M", -EINVAL, 0},	   {"2MBB", -EINVAL, 0},	    {"1e3", -EINVAL, 0},
	};
	for (size_t i = 0; i < VG_ARRAY_LEN(cases); i++) {
		uint64_t v = 7;
		int rc = vg_parse_size(cases[i].in, &v);
		CU_ASSERT_EQUAL(rc, cases[i].rc);
		if (rc != cases[i].rc)
			fprintf(stderr, "size '%s': rc %d\n", cases[i].in, rc);
		if (cases[i].rc == 0)
			CU_ASSERT_EQUAL(v, cases[i].bytes);
	}
}

static void test_numbers_bool_perm(void)
{
	uint64_t u;
	int64_t i;
	bool b;
	uint32_t perm;
	CU_ASSERT_EQUAL(vg_parse_u64("42", 10, &u), 0);
	CU_ASSERT_EQUAL(u, 42);
	CU_ASSERT_EQUAL(vg_parse_u64("0100", 0, &u), 0);
	CU_ASSERT_EQUAL(u, 64);
	CU_ASSERT_EQUAL(vg_parse_u64("0x10", 0, &u), 0);
	CU_ASSERT_EQUAL(u, 16);
	CU_ASSERT_EQUAL(vg_parse_u64("-1", 10, &u), -EINVAL);
	CU_ASSERT_EQUAL(vg_parse_u64("12a", 10, &u), -EINVAL);
	CU_ASSERT_EQUAL(vg_parse_u64("99999999999999999999999", 10, &u), -ERANGE);
	CU_ASSERT_EQUAL(vg_parse_u64("18446744073709551615", 10, &u), 0);
	CU_ASSERT_EQUAL(u, UINT64_MAX);
	CU_ASSERT_EQUAL(vg_parse_u64("18446744073709551616", 10, &u), -ERANGE);
	CU_ASSERT_EQUAL(vg_parse_u64("0x1F", 0, &u), 0);
	CU_ASSERT_EQUAL(u, 31);
	CU_ASSERT_EQUAL(vg_parse_u64("08", 0, &u), -EINVAL);
	CU_ASSERT_EQUAL(vg_parse_u64("0", 0, &u), 0);
	CU_ASSERT_EQUAL(u, 0);
	CU_ASSERT_EQUAL(vg_parse_i64("-9223372036854775808", 10, &i), 0);
	CU_ASSERT_EQUAL(i, INT64_MIN);
	CU_ASSERT_EQUAL(vg_parse_i64("9223372036854775808", 10, &i), -ERANGE);
	CU_ASSERT_EQUAL(vg_parse_i64(" +7 ", 10, &i), 0);
	CU_ASSERT_EQUAL(i, 7);
	CU_ASSERT_EQUAL(vg_parse_i64("-5", 10, &i), 0);
	CU_ASSERT_EQUAL(i, -5);
	CU_ASSERT_EQUAL(vg_parse_bool("Yes", &b), 0);
	CU_ASSERT_TRUE(b);
	CU_ASSERT_EQUAL(vg_parse_bool("off", &b), 0);
	CU_ASSERT_FALSE(b);
	CU_ASSERT_EQUAL(vg_parse_bool("maybe", &b), -EINVAL);
	CU_ASSERT_EQUAL(vg_parse_perm("0640", &perm), 0);
	CU_ASSERT_EQUAL(perm, 0640);
	CU_ASSERT_EQUAL(vg_parse_perm("0o777", &perm), 0);
	CU_ASSERT_EQUAL(perm, 0777);
	CU_ASSERT_EQUAL(vg_parse_perm("440", &perm), 0);
	CU_ASSERT_EQUAL(perm, 0440);
	CU_ASSERT_EQUAL(vg_parse_perm("0988", &perm), -EINVAL);
	CU_ASSERT_EQUAL(vg_parse_perm("077777", &perm), -ERANGE);
	char buf[16];
	CU_ASSERT_STRING_EQUAL(vg_format_perm(0440, buf), "-r--r-----");
	CU_ASSERT_STRING_EQUAL(vg_format_perm(0755, buf), "-rwxr-xr-x");
	CU_ASSERT_STRING_EQUAL(vg_format_size(512 * 1024, buf, sizeof(buf)), "512 KiB");
	CU_ASSERT_STRING_EQUAL(vg_format_size(4u << 20, buf, sizeof(buf)), "4 MiB");
	CU_ASSERT_STRING_EQUAL(vg_format_size(1000, buf, sizeof(buf)), "1000 B");
}

static void test_err_and_strbuf(void)
{
	struct vg_err e;
	CU_ASSERT_EQUAL(vg_errf(&e, ENOENT, "set %s missing", "a/b"), -ENOENT);
	CU_ASSERT_EQUAL(e.code, ENOENT);
	CU_ASSERT_STRING_EQUAL(e.msg, "set a/b missing");
	vg_err_prefix(&e, "file:%d", 7);
	CU_ASSERT_STRING_EQUAL(e.msg, "file:7: set a/b missing");
	CU_ASSERT_EQUAL(vg_errf(NULL, EINVAL, "x"), -EINVAL);
	CU_ASSERT_EQUAL(vg_errf(&e, -EIO, "negative codes are normalised"), -EIO);
	CU_ASSERT_EQUAL(e.code, EIO);

	struct vg_strbuf sb;
	vg_strbuf_init(&sb);
	CU_ASSERT_STRING_EQUAL(vg_strbuf_str(&sb), "");
	for (int i = 0; i < 1000; i++)
		vg_strbuf_printf(&sb, "%d,", i);
	CU_ASSERT_EQUAL(strncmp(vg_strbuf_str(&sb), "0,1,2,", 6), 0);
	CU_ASSERT_EQUAL(sb.len, strlen(sb.buf));
	vg_strbuf_reset(&sb);
	CU_ASSERT_EQUAL(sb.len, 0);
	vg_strbuf_puts(&sb, "abc");
	CU_ASSERT_STRING_EQUAL(vg_strbuf_str(&sb), "abc");
	vg_strbuf_free(&sb);

	char small[4];
	CU_ASSERT_EQUAL(vg_strlcpy(small, "abcdef", sizeof(small)), 6);
	CU_ASSERT_STRING_EQUAL(small, "abc");
}

static uint64_t frozen_now;
static uint64_t fake_now(void)
{
	return frozen_now;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	static char buf[65536];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int count(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void test_log_levels_and_complaints(void)
{
	enum vg_log_level l;
	CU_ASSERT_EQUAL(vg_log_level_parse("warn", &l), 0);
	CU_ASSERT_EQUAL(l, VG_LOG_WARNING);
	CU_ASSERT_EQUAL(vg_log_level_parse("ALL", &l), 0);
	CU_ASSERT_EQUAL(l, VG_LOG_DEBUG);
	CU_ASSERT_EQUAL(vg_log_level_parse("crit", &l), 0);
	CU_ASSERT_EQUAL(l, VG_LOG_CRITICAL);
	CU_ASSERT_EQUAL(vg_log_level_parse("loud", &l), -EINVAL);

	char path[] = "/tmp/vigil-test-log-XXXXXX";
	int fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	CU_ASSERT_EQUAL(vg_log_open(path, NULL), 0);
	vg_log_set_level(VG_LOG_WARNING);
	vg_log(VG_LOG_INFO, "t", "hidden");
	vg_log(VG_LOG_ERROR, "t", "shown %d\n", 1);

	/* a condition repeating every second for a minute is logged a handful of times */
	vg_clock_fake(fake_now);
	frozen_now = 1000000000ull * 1000000u;
	struct vg_complaint c = VG_COMPLAINT_INIT;
	for (int i = 0; i < 60; i++) {
		vg_complain(&c, VG_LOG_ERROR, "t", "peer down");
		frozen_now += 1000000;
	}
	vg_complaint_clear(&c, VG_LOG_ERROR, "t", "peer back");
	vg_complaint_clear(&c, VG_LOG_ERROR, "t", "not logged twice");
	vg_clock_fake(NULL);
	vg_log_close();

	const char *text = slurp(path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_EQUAL(count(text, "hidden"), 0);
	CU_ASSERT_EQUAL(count(text, "ERROR "), count(text, "\n"));
	CU_ASSERT_EQUAL(count(text, "t: shown 1\n"), 1);
	int lines = count(text, "peer down");
	CU_ASSERT(lines >= 2 && lines <= 4); /* at 0 s, 10 s, 30 s (intervals double) */
	CU_ASSERT_EQUAL(count(text, "repeated"), lines - 1);
	CU_ASSERT_EQUAL(count(text, "peer back"), 1);
	CU_ASSERT_EQUAL(count(text, "not logged twice"), 0);
	unlink(path);
	vg_log_set_level(VG_LOG_ERROR);
}

static void test_options(void)
{
	static const struct vg_option opts[] = {
		{1, 'x', NULL, true}, {2, 'F', NULL, false}, {3, 'v', "log_level", true},
		{4, 0, "remote-control", false}, {5, 'h', "help", false}, {0, 0, NULL, false},
	};
	char *argv[] = {"ldmsd", "-x", "sock:1", "-xsock:2", "-Fh", "--log_level=INFO",
			"--log_level", "DEBUG", "--remote-control", "-Fv", "ERROR", "--", "-x", NULL};
	int argc = 13;
	struct vg_opt_state st;
	vg_opt_init(&st, argc, argv);
	static const struct {
		int id;
		const char *arg;
	} want[] = {{1, "sock:1"}, {1, "sock:2"}, {2, NULL}, {5, NULL}, {3, "INFO"}, {3, "DEBUG"},
		    {4, NULL},	    {2, NULL},	    {3, "ERROR"}};
	for (size_t i = 0; i < VG_ARRAY_LEN(want); i++) {
		CU_ASSERT_EQUAL(vg_opt_next(&st, opts), want[i].id);
		if (want[i].arg) {
			CU_ASSERT_STRING_EQUAL(st.arg, want[i].arg);
		} else {
			CU_ASSERT_PTR_NULL(st.arg);
		}
	}
	CU_ASSERT_EQUAL(vg_opt_next(&st, opts), 0);
	CU_ASSERT_EQUAL(st.index, 12); /* "--" consumed; "-x" is an operand */

	static const struct {
		const char *words[3];
		const char *error;
	} bad[] = {
		{{"-q", NULL}, "unknown option '-q'"},
		{{"--nope", NULL}, "unknown option '--nope'"},
		{{"--nope=1", NULL}, "unknown option '--nope'"},
		{{"-x", NULL}, "option '-x' needs a value"},
		{{"--log_level", NULL}, "needs a value"},
		{{"--help=yes", NULL}, "takes no value"},
		{{"-Fq", NULL}, "unknown option '-q'"},
	};
	for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++) {
		char *av[4] = {"ldmsd", (char *)bad[i].words[0], (char *)bad[i].words[1], NULL};
		vg_opt_init(&st, bad[i].words[1] ? 3 : 2, av);
		int rc;
		while ((rc = vg_opt_next(&st, opts)) > 0)
			;
		CU_ASSERT_EQUAL(rc, -1);
		CU_ASSERT_PTR_NOT_NULL(strstr(st.error, bad[i].error));
	}
	/* an operand stops parsing */
	char *av2[] = {"ldmsd", "file", "-F", NULL};
	vg_opt_init(&st, 3, av2);
	CU_ASSERT_EQUAL(vg_opt_next(&st, opts), 0);
	CU_ASSERT_EQUAL(st.index, 1);
}

static const struct cu_test tests[] = {
	{"command-line options", test_options},
	{"durations", test_duration},
	{"sizes", test_size},
	{"numbers, booleans, permissions", test_numbers_bool_perm},
	{"errors and string buffers", test_err_and_strbuf},
	{"log levels and rate-limited complaints", test_log_levels_and_complaints},
	{NULL, NULL},
};

CU_MAIN("util", tests)
