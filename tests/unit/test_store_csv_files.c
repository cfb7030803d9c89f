/*
 * test_store_csv_files.c - the store_csv plugin's files and options: a
 * restart appends, a new layout moves the old file aside, files shared by
 * two policies, rollover by records, bytes and time, renames and modes,
 * invalid configs and opt_file, write errors, buffering, and the cost of
 * store().
 *
 * The LDMS format tests are in test_store_csv.c; the fixture shared by both
 * is tests/unit/store_csv_util.h.  Needs VIGIL_PLUGIN_PATH (make check sets it).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <time.h>

#include "tests/unit/store_csv_util.h"

#include "tests/unit/alloc_counter.h"

/* ------------------------------------------------------------------ helpers */

static void restart(struct fx *x)
{
	vg_plugin_unload(x->p);
	x->p = NULL;
}

static size_t count_lines(const char *text, char first)
{
	size_t n = 0;
	for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		n += *l == first || first == 0;
	return n;
}

/* Names in dir starting with prefix, sorted, joined by spaces. */
static void list_dir(const char *dir, const char *prefix, char *out, size_t len)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, alphasort);
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (strncmp(names[i]->d_name, prefix, strlen(prefix)) == 0) {
			strncat(out, out[0] ? " " : "", len - strlen(out) - 1);
			strncat(out, names[i]->d_name, len - strlen(out) - 1);
		}
		free(names[i]);
	}
	if (n >= 0)
		free(names);
}

/* ------------------------------------------------------------------ restarts */

/* A restart appends under an identical header; other columns move the old file aside. */
static void test_restart_and_layout_change(void)
{
	struct fx x;
	fx_init(&x);
	struct vg_err err = {0};
	struct vg_set *set = ts3_set();
	for (int run = 0; run < 2; run++) {
		CU_ASSERT_EQUAL(cfg(&x, &err, "path=%s", x.dir), 0);
		sample_u64(set, (uint64_t)run + 1, 1795620388000000ull + (uint64_t)run);
		store_one(&x, set, "c");
		restart(&x);
	}
	const char *two = "#Time,Time_usec,ProducerName,metric_0,metric_1,metric_2\n"
			  "1795620388.000000,0,node-1,1,1,1\n1795620388.000001,1,node-1,2,2,2\n";
	EXPECT_FILE(two, "%s/c/ts3", x.dir);
	/* the same schema name with a fourth metric */
	const struct mdef four[] = {TS3[0], TS3[1], TS3[2], {"metric_3", VG_T_U64, 1, false}};
	struct vg_set *set4 = make_set("ts3", four, 4, "node-1");
	sample_u64(set4, 9, 1795620399000000ull);
	CU_ASSERT_EQUAL(cfg(&x, &err, "path=%s", x.dir), 0);
	store_one(&x, set4, "c");
	EXPECT_FILE(two, "%s/c/ts3.1795620399", x.dir);
	EXPECT_FILE("#Time,Time_usec,ProducerName,metric_0,metric_1,metric_2,metric_3\n"
		    "1795620399.000000,0,node-1,9,9,9,9\n",
		    "%s/c/ts3", x.dir);
	vg_set_put(set);
	vg_set_put(set4);
	fx_fini(&x);
}

/* Two policies on one path share the file; other columns on that path are EBUSY. */
static void test_shared_file(void)
{
	struct fx x;
	fx_init(&x);
	struct vg_err err = {0};
	CU_ASSERT_EQUAL(cfg(&x, &err, "path=%s", x.dir), 0);
	struct vg_set *a = ts3_set(), *b = make_set("ts3", TS3, 3, "node-2");
	void *ha = open_store(&x, a, "c", &err), *hb = open_store(&x, b, "c", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ha);
	CU_ASSERT_PTR_NOT_NULL_FATAL(hb);
	const struct mdef other[] = {TS3[0], TS3[2]};
	struct vg_set *c = make_set("ts3", other, 2, "node-3");
	CU_ASSERT_PTR_NULL(open_store(&x, c, "c", &err));
	CU_ASSERT_EQUAL(err.code, EBUSY);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "/c/ts3"));
	sample_u64(a, 1, 1795620388000000ull);
	sample_u64(b, 2, 1795620388000000ull);
	CU_ASSERT_EQUAL(store(&x, ha, a), 0);
	CU_ASSERT_EQUAL(store(&x, hb, b), 0);
	x.p->ops->close(ha);
	CU_ASSERT_EQUAL(store(&x, hb, b), 0);
	x.p->ops->close(hb);
	EXPECT_FILE("#Time,Time_usec,ProducerName,metric_0,metric_1,metric_2\n"
		    "1795620388.000000,0,node-1,1,1,1\n1795620388.000000,0,node-2,2,2,2\n"
		    "1795620388.000000,0,node-2,2,2,2\n",
		    "%s/c/ts3", x.dir);
	/* a set of another layout handed to an open handle is refused, not misread */
	void *h = open_store(&x, a, "c", &err);
	CU_ASSERT_EQUAL(x.p->ops->store(h, c, &err), -EINVAL);
	x.p->ops->close(h);
	vg_set_put(a);
	vg_set_put(b);
	vg_set_put(c);
	fx_fini(&x);
}

/* ------------------------------------------------------------------ rollover */

#define TS3_HEADER "#Time,Time_usec,ProducerName,metric_0,metric_1,metric_2\n"

/* Rows of every file named prefix* in dir: each starts with the header, values in order. */
static size_t check_roll_files(const char *dir, const char *prefix, size_t max_bytes,
			       size_t *nfiles)
{
	char names[4096], path[1024];
	list_dir(dir, prefix, names, sizeof(names));
	size_t rows = 0;
	*nfiles = 0;
	char *save = NULL;
	for (char *n = strtok_r(names, " ", &save); n; n = strtok_r(NULL, " ", &save)) {
		snprintf(path, sizeof(path), "%s/%s", dir, n);
		char *text = slurp("%s", path);
		CU_ASSERT_PTR_NOT_NULL_FATAL(text);
		CU_ASSERT_EQUAL(strncmp(text, TS3_HEADER, strlen(TS3_HEADER)), 0);
		CU_ASSERT_EQUAL(count_lines(text, '#'), 1);
		if (max_bytes)
			CU_ASSERT_TRUE(strlen(text) <= max_bytes);
		for (char *l = strchr(text, '\n') + 1; *l; l = strchr(l, '\n') + 1) {
			unsigned long v = 0;
			CU_ASSERT_EQUAL(sscanf(l, "%*[^,],%*[^,],node-1,%lu,", &v), 1);
			CU_ASSERT_EQUAL(v, ++rows); /* no row lost, none twice */
		}
		(*nfiles)++;
		free(text);
	}
	return rows;
}

static void test_roll_records(void)
{
	struct fx x;
	fx_init(&x);
	struct vg_err err = {0};
	CU_ASSERT_EQUAL(cfg(&x, &err, "path=%s rollover=3 rolltype=3", x.dir), 0);
	struct vg_set *set = ts3_set();
	void *h = open_store(&x, set, "c", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	for (uint64_t i = 1; i <= 10; i++) {
		sample_u64(set, i, 1795620388000000ull); /* every roll in the same second */
		CU_ASSERT_EQUAL(store(&x, h, set), 0);
	}
	x.p->ops->close(h);
	char dir[300], names[1024];
	snprintf(dir, sizeof(dir), "%s/c", x.dir);
	list_dir(dir, "ts3", names, sizeof(names));
	CU_ASSERT_STRING_EQUAL(names, "ts3.1795620388 ts3.1795620388.1 ts3.1795620388.2 "
				      "ts3.1795620388.3");
	size_t nfiles;
	CU_ASSERT_EQUAL(check_roll_files(dir, "ts3", 0, &nfiles), 10);
	char *last = slurp("%s/ts3.1795620388.3", dir);
	CU_ASSERT_EQUAL(count_lines(last, 0), 2); /* 3, 3, 3 and 1 rows */
	free(last);
	vg_set_put(set);
	fx_fini(&x);
}

static void test_roll_bytes(void)
{
	struct fx x;
	fx_init(&x);
	struct vg_err err = {0};
	CU_ASSERT_EQUAL(cfg(&x, &err, "path=%s rollover=1024 rolltype=4 altheader=0", x.dir), 0);
	struct vg_set *set = ts3_set();
	void *h = open_store(&x, set, "c", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	for (uint64_t i = 1; i <= 100; i++) {
		sample_u64(set, i, 1795620388000000ull + i * 1000000);
		fake_now_us = 1795620388000000ull + i * 1000000;
		CU_ASSERT_EQUAL(store(&x, h, set), 0);
	}
	x.p->ops->close(h);
	char dir[300];
	snprintf(dir, sizeof(dir), "%s/c", x.dir);
	size_t nfiles;
	CU_ASSERT_EQUAL(check_roll_files(dir, "ts3", 1024, &nfiles), 100);
	CU_ASSERT_TRUE(nfiles >= 4 && nfiles <= 6); /* ~45-byte rows, 56-byte header */
	vg_set_put(set);
	fx_fini(&x);
}

/* rolltype=1 on the loop's timer, with the test-only short second (10 s = 10 ms). */
static void test_roll_time(void)
{
	struct fx x;
	fx_init(&x);
	struct vg_err err = {0};
	setenv("VIGIL_STORE_CSV_TEST_SECOND_US", "1000", 1);
	CU_ASSERT_EQUAL(cfg(&x, &err, "path=%s rollover=10 rolltype=1 altheader=1", x.dir), 0);
	struct vg_set *set = ts3_set();
	void *h = open_store(&x, set, "c", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	sample_u64(set, 1, 1795620388000000ull);
	CU_ASSERT_EQUAL(store(&x, h, set), 0);
	fake_now_us = 1795620398000000ull; /* the next file's name */
	char path[400];
	snprintf(path, sizeof(path), "%s/c/ts3.1795620398", x.dir);
	uint64_t deadline = vg_mono_us() + 5000000;
	while (access(path, F_OK) != 0 && vg_mono_us() < deadline)
		vg_loop_run_once(x.loop, 20);
	CU_ASSERT_EQUAL(access(path, F_OK), 0);
	sample_u64(set, 2, 1795620398000000ull);
	CU_ASSERT_EQUAL(store(&x, h, set), 0);
	x.p->ops->close(h);
	EXPECT_FILE("1795620388.000000,0,node-1,1,1,1\n", "%s/c/ts3.1795620388", x.dir);
	EXPECT_FILE(TS3_HEADER, "%s/c/ts3.HEADER.1795620388", x.dir);
	EXPECT_FILE("1795620398.000000,0,node-1,2,2,2\n", "%s/c/ts3.1795620398", x.dir);
	EXPECT_FILE(TS3_HEADER, "%s/c/ts3.HEADER.1795620398", x.dir);
	restart(&x);
	/* rollempty=0: a file without rows is not rolled */
	fake_now_us = 1795620500000000ull;
	CU_ASSERT_EQUAL(cfg(&x, &err, "path=%s rollover=10 rolltype=1 rollempty=0", x.dir), 0);
	h = open_store(&x, set, "e", &err);
	fake_now_us += 100000000;
	for (int i = 0; i < 5; i++)
		vg_loop_run_once(x.loop, 20);
	char names[256], dir[300];
	snprintf(dir, sizeof(dir), "%s/e", x.dir);
	list_dir(dir, "ts3", names, sizeof(names));
	CU_ASSERT_STRING_EQUAL(names, "ts3.1795620500");
	x.p->ops->close(h);
	unsetenv("VIGIL_STORE_CSV_TEST_SECOND_US");
	vg_set_put(set);
	fx_fini(&x);
}

/* rename_template on roll and on close, with create_perm and create_uid. */
static void test_rename_and_perms(void)
{
	struct fx x;
	fx_init(&x);
	struct vg_err err = {0};
	setenv("VIGIL_CSV_TAG", "t1", 1);
	CU_ASSERT_EQUAL(cfg(&x, &err, "path=%s rollover=3 rolltype=3 altheader=1 typeheader=1 "
				      "create_perm=0640 create_uid=%u create_gid=%u "
				      "rename_template=%%D/done/%%{VIGIL_CSV_TAG}-%%C-%%S-%%T-%%s",
			    x.dir, (unsigned)geteuid(), (unsigned)getegid()),
			0);
	struct vg_set *set = ts3_set();
	void *h = open_store(&x, set, "c", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	for (uint64_t i = 1; i <= 4; i++) {
		sample_u64(set, i, 1795620388000000ull);
		CU_ASSERT_EQUAL(store(&x, h, set), 0);
	}
	CU_ASSERT_EQUAL(mode_of(x.dir, "c/ts3.1795620388.1"), 0640);
	CU_ASSERT_EQUAL(mode_of(x.dir, "c"), 0750);
	x.p->ops->close(h);
	char names[1024], dir[300];
	snprintf(dir, sizeof(dir), "%s/c/done", x.dir);
	list_dir(dir, "t1", names, sizeof(names));
	CU_ASSERT_STRING_EQUAL(names, "t1-c-ts3-DATA-1795620388 t1-c-ts3-DATA-1795620388.1 "
				      "t1-c-ts3-HEADER-1795620388 t1-c-ts3-HEADER-1795620388.1 "
				      "t1-c-ts3-KIND-1795620388 t1-c-ts3-KIND-1795620388.1");
	snprintf(dir, sizeof(dir), "%s/c", x.dir);
	list_dir(dir, "ts3", names, sizeof(names));
	CU_ASSERT_STRING_EQUAL(names, "");
	EXPECT_FILE("1795620388.000000,0,node-1,4,4,4\n", "%s/c/done/t1-c-ts3-DATA-1795620388.1",
		    x.dir);
	unsetenv("VIGIL_CSV_TAG");
	vg_set_put(set);
	fx_fini(&x);
}

/* ------------------------------------------------------------------ errors */

static void test_config_errors(void)
{
	struct fx x;
	fx_init(&x);
	struct vg_err err = {0};
	static const struct {
		const char *attrs; /* after "path=<dir> " unless it starts with '!' */
		int code;
		const char *says;
	} cases[] = {
		{"!", EINVAL, "path is required"},
		{"bogus=1", EINVAL, "unknown attribute 'bogus'"},
		{"array_expand=false", EINVAL, "expand_array"}, /* the list of accepted names */
		{"action=init", EINVAL, "No longer supported 'action=init'"},
		{"idpos=1", EINVAL, "No longer supported"},
		{"id_pos=1", EINVAL, "No longer supported"},
		{"transportdata=1", EINVAL, "No longer supported"},
		{"altheader=2", EINVAL, "altheader=2"},
		{"userdata=maybe", EINVAL, "userdata=maybe"},
		{"rollempty=x", EINVAL, "rollempty=x"},
		{"typeheader=3", EINVAL, "typeheader=3"},
		{"time_format=2", EINVAL, "time_format=2"},
		{"rolltype=1", EINVAL, "needs rollover"},
		{"rolltype=6 rollover=10", EINVAL, "rolltype=6"},
		{"rolltype=0 rollover=10", EINVAL, "rolltype=0"},
		{"rolltype=1 rollover=5", EINVAL, ">= 10"},
		{"rolltype=2 rollover=86400", EINVAL, "< 86400"},
		{"rolltype=3 rollover=2", EINVAL, ">= 3"},
		{"rolltype=4 rollover=1000", EINVAL, ">= 1024"},
		{"rolltype=5 rollover=100 rollagain=50", EINVAL, "rollagain >= rollover"},
		{"rolltype=5 rollover=5 rollagain=8", EINVAL, ">= 10"},
		{"rollover=10", EINVAL, "without rolltype"},
		{"rollover=-1 rolltype=3", EINVAL, "rollover=-1"},
		{"buffertype=3", EINVAL, "needs buffer"},
		{"buffer=5", EINVAL, "needs buffertype"},
		{"buffer=1 buffertype=3", EINVAL, "buffertype"},
		{"buffer=x", EINVAL, "buffer=x"},
		{"buffer=5 buffertype=5", EINVAL, "buffertype=5"},
		{"create_perm=9", EINVAL, "create_perm=9"},
		{"rename_perm=0", EINVAL, "rename_perm=0"},
		{"create_uid=no-such-user-here", EINVAL, "create_uid"},
		{"rename_template=%Q", EINVAL, "rename_template"},
		{"rename_template=x", EINVAL, "rename_template"},
		{"rename_template=%{HOME", EINVAL, "rename_template"},
		{"array_sep=ab", EINVAL, "array_sep=ab"},
		{"opt_file=/nonexistent/opts", EINVAL, "Cannot open attrs file"},
		{"!container=c", EINVAL, "together"},
		{"!container=c schema=s path=/x", EINVAL, "defaults must be configured before"},
	};
	for (size_t i = 0; i < VG_ARRAY_LEN(cases); i++) {
		int rc = cases[i].attrs[0] == '!'
				 ? cfg(&x, &err, "%s", cases[i].attrs + 1)
				 : cfg(&x, &err, "path=%s %s", x.dir, cases[i].attrs);
		if (rc != -cases[i].code || !strstr(err.msg, cases[i].says))
			fprintf(stderr, "\ncase '%s': rc %d, '%s'\n", cases[i].attrs, rc, err.msg);
		CU_ASSERT_EQUAL(rc, -cases[i].code);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, cases[i].says));
	}
	/* none of those half-applied: the defaults can still be given, once */
	CU_ASSERT_EQUAL(cfg(&x, &err, "path=%s", x.dir), 0);
	CU_ASSERT_EQUAL(cfg(&x, &err, "path=%s", x.dir), -EBUSY); /* plugin.h: no reconfig */
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "cannot be repeated"));
	CU_ASSERT_EQUAL(cfg(&x, &err, "container=c schema=s rollover=10"), -EINVAL);
	CU_ASSERT_EQUAL(cfg(&x, &err, "container=c schema=s opt_file=/x"), -EINVAL);
	CU_ASSERT_EQUAL(cfg(&x, &err, "container=c schema=s userdata=2"), -EINVAL);
	CU_ASSERT_EQUAL(cfg(&x, &err, "container=c schema=s buffer=4"), -EINVAL);
	CU_ASSERT_EQUAL(cfg(&x, &err, "container=c schema=s buffer=4 buffertype=3"), 0);
	CU_ASSERT_EQUAL(cfg(&x, &err, "container=c schema=s userdata=1"), -EEXIST);
	fx_fini(&x);
}

static void test_opt_file(void)
{
	struct fx x;
	fx_init(&x);
	struct vg_err err = {0};
	char file[400];
	snprintf(file, sizeof(file), "%s/opts", x.dir);
	FILE *f = fopen(file, "w");
	fprintf(f, "# store_csv options\nstore_csv path=%s \\\n    ietfcsv=1\n\n"
		   "container=plain schema=ts3 ietfcsv=0 # no quotes here\n", x.dir);
	fclose(f);
	CU_ASSERT_EQUAL(cfg(&x, &err, "opt_file=%s time_format=1", file), 0);
	struct vg_set *set = ts3_set();
	sample_u64(set, 5, 1795620388001127ull);
	store_one(&x, set, "plain");
	store_one(&x, set, "quoted");
	EXPECT_FILE("#Time_msec,Time_usec,ProducerName,metric_0,metric_1,metric_2\n"
		    "1795620388001,127,node-1,5,5,5\n", "%s/plain/ts3", x.dir);
	EXPECT_FILE("#\"Time_msec\",\"Time_usec\",\"ProducerName\",\"metric_0\",\"metric_1\","
		    "\"metric_2\"\n1795620388001,127,node-1,5,5,5\n", "%s/quoted/ts3", x.dir);
	static const char *const bad[] = {
		"config name=store_csv path=/x\n",
		"store_csv path=/x\ncontainer=a rollover=3\n",
		"store_csv path=/x\ncontainer=a schema=b rollover=3 rolltype=3\n",
		"store_csv path=/x\nstore_csv path=/y\n",
		"path=/x\n",
		"store_csv path=/x frobnicate=1\n",
	};
	for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++) {
		restart(&x);
		f = fopen(file, "w");
		fputs(bad[i], f);
		fclose(f);
		CU_ASSERT_EQUAL(cfg(&x, &err, "opt_file=%s", file), -EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "line"));
	}
	vg_set_put(set);
	fx_fini(&x);
}

/* open() on a directory the daemon cannot create names the path. */
static void test_unwritable_directory(void)
{
	struct fx x;
	fx_init(&x);
	struct vg_err err = {0};
	char blocker[400];
	/* root ignores directory modes: a file in the way fails for everyone */
	snprintf(blocker, sizeof(blocker), "%s/%s", x.dir, geteuid() ? "ro" : "blocker");
	if (geteuid()) {
		CU_ASSERT_EQUAL(mkdir(blocker, 0500), 0);
	} else {
		fclose(fopen(blocker, "w"));
	}
	CU_ASSERT_EQUAL(cfg(&x, &err, "path=%s/out", blocker), 0);
	struct vg_set *set = ts3_set();
	CU_ASSERT_PTR_NULL(open_store(&x, set, "c", &err));
	CU_ASSERT_TRUE(err.code == EACCES || err.code == ENOTDIR);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, blocker));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "path="));
	vg_set_put(set);
	chmod(blocker, 0700);
	fx_fini(&x);
}

/* A failing write returns -errno naming the file; the next row reopens and succeeds. */
static void test_write_error_and_retry(void)
{
	struct fx x;
	fx_init(&x);
	struct vg_err err = {0};
	char dir[300], link[400];
	snprintf(dir, sizeof(dir), "%s/c", x.dir);
	snprintf(link, sizeof(link), "%s/ts3", dir);
	CU_ASSERT_EQUAL(mkdir(dir, 0750), 0);
	if (access("/dev/full", W_OK) != 0) { /* nothing to fail on */
		fx_fini(&x);
		return;
	}
	CU_ASSERT_EQUAL(symlink("/dev/full", link), 0);
	CU_ASSERT_EQUAL(cfg(&x, &err, "path=%s buffer=0", x.dir), 0);
	struct vg_set *set = ts3_set();
	void *h = open_store(&x, set, "c", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	sample_u64(set, 1, 1795620388000000ull);
	CU_ASSERT_EQUAL(x.p->ops->store(h, set, &err), -ENOSPC);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, link));
	CU_ASSERT_EQUAL(x.p->ops->store(h, set, &err), -ENOSPC); /* still failing, no crash */
	CU_ASSERT_EQUAL(unlink(link), 0);
	sample_u64(set, 2, 1795620389000000ull);
	CU_ASSERT_EQUAL(store(&x, h, set), 0);
	/* buffer=0: the row is in the file before any flush */
	EXPECT_FILE(TS3_HEADER "1795620389.000000,0,node-1,2,2,2\n", "%s", link);
	x.p->ops->close(h);
	vg_set_put(set);
	fx_fini(&x);
}

/* buffer=1 (default) keeps rows in stdio until flush; buffertype=3 flushes every N rows. */
static void test_buffering(void)
{
	struct fx x;
	fx_init(&x);
	struct vg_err err = {0};
	CU_ASSERT_EQUAL(cfg(&x, &err, "path=%s", x.dir), 0);
	CU_ASSERT_EQUAL(cfg(&x, &err, "container=n schema=ts3 buffer=2 buffertype=3"), 0);
	CU_ASSERT_EQUAL(cfg(&x, &err, "container=z schema=ts3 buffer=0"), 0);
	struct vg_set *set = ts3_set();
	void *h = open_store(&x, set, "c", &err), *hn = open_store(&x, set, "n", &err);
	void *hz = open_store(&x, set, "z", &err);
	sample_u64(set, 1, 1795620388000000ull);
	CU_ASSERT_EQUAL(store(&x, h, set), 0);
	CU_ASSERT_EQUAL(store(&x, hn, set), 0);
	CU_ASSERT_EQUAL(store(&x, hz, set), 0);
	EXPECT_FILE("", "%s/c/ts3", x.dir);
	EXPECT_FILE("", "%s/n/ts3", x.dir);
	EXPECT_FILE(TS3_HEADER "1795620388.000000,0,node-1,1,1,1\n", "%s/z/ts3", x.dir);
	x.p->ops->close(hz);
	CU_ASSERT_EQUAL(x.p->ops->flush(h, &err), 0);
	CU_ASSERT_EQUAL(store(&x, hn, set), 0);
	char *c = slurp("%s/c/ts3", x.dir), *n = slurp("%s/n/ts3", x.dir);
	CU_ASSERT_EQUAL(count_lines(c, 0), 2);
	CU_ASSERT_EQUAL(count_lines(n, 0), 3);
	free(c);
	free(n);
	x.p->ops->close(h);
	x.p->ops->close(hn);
	vg_set_put(set);
	fx_fini(&x);
}

/* store() allocates nothing per row; prints the cost of a 50-u64 row. */
static void test_store_cost(void)
{
	struct fx x;
	fx_init(&x);
	struct vg_err err = {0};
	struct mdef defs[50];
	char names[50][16];
	for (int i = 0; i < 50; i++) {
		snprintf(names[i], sizeof(names[i]), "m%d", i);
		defs[i] = (struct mdef){names[i], VG_T_U64, 1, false};
	}
	CU_ASSERT_EQUAL(cfg(&x, &err, "path=%s", x.dir), 0);
	struct vg_set *set = make_set("wide", defs, 50, "node-1");
	void *h = open_store(&x, set, "c", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	sample_u64(set, 1234567890123ull, 1795620388000000ull);
	CU_ASSERT_EQUAL(store(&x, h, set), 0); /* stdio's buffer is allocated here */
	enum { ROWS = 20000 };
	struct timespec t0, t1;
	alloc_calls = 0;
	counting = 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int failures = 0;
	for (int i = 0; i < ROWS; i++)
		failures += x.p->ops->store(h, set, &err) != 0;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	counting = 0;
	CU_ASSERT_EQUAL(failures, 0);
	CU_ASSERT_EQUAL(alloc_calls, 0);
	double us = ((double)(t1.tv_sec - t0.tv_sec) * 1e6 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e3);
	fprintf(stderr, "\n  store_csv: %.3f us/row (50 u64, buffered, %d rows)\n", us / ROWS,
		ROWS);
	x.p->ops->close(h);
	vg_set_put(set);
	fx_fini(&x);
}

static const struct cu_test tests[] = {
	{"restart appends without a second header; new columns move it aside",
	 test_restart_and_layout_change},
	{"two policies share a file; other columns are EBUSY", test_shared_file},
	{"rollover by records: 3,3,3,1 rows, each with a header", test_roll_records},
	{"rollover by bytes: no file over the limit, no row lost", test_roll_bytes},
	{"rollover by time on the loop, rollempty=0", test_roll_time},
	{"rename_template on roll and close; create_perm/uid", test_rename_and_perms},
	{"invalid configs fail with EINVAL and say why", test_config_errors},
	{"opt_file defaults, overrides, comments and errors", test_opt_file},
	{"unwritable directory: open fails naming the path", test_unwritable_directory},
	{"write error returns -errno, next row retries", test_write_error_and_retry},
	{"buffer=0 writes at once, 1 holds rows until flush, 3 every N", test_buffering},
	{"store allocates nothing per row (and its cost)", test_store_cost},
	{NULL, NULL},
};

CU_MAIN("store_csv_files", tests)
