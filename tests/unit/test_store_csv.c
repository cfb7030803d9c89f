/*
 * test_store_csv.c - the store_csv plugin against LDMS 4.4.6's real output
 * (FORMATS.md (a); the expected texts below are copied from the captured
 * files in the shared ldms-compat/store_csv folder), and its options,
 * files, modes, rollover and failures.
 *
 * Sets are built here with the schema API and a fake wall clock, so the
 * transaction timestamps are those of the LDMS capture.  Needs
 * VIGIL_PLUGIN_PATH (make check sets it).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <inttypes.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <time.h>

#include "core/loop.h"
#include "core/set.h"
#include "plugins/host.h"
#include "tests/unit/cu_main.h"

/* ------------------------------------------------------------------ allocation counter */

/* As in test_samplers.c: glibc's allocator wrapped; ASan builds skip the count. */
static unsigned long alloc_calls;
static int counting;
#if !defined(__SANITIZE_ADDRESS__)
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
void *malloc(size_t size)
{
	alloc_calls += counting;
	return __libc_malloc(size);
}
void *calloc(size_t n, size_t size)
{
	alloc_calls += counting;
	return __libc_calloc(n, size);
}
void *realloc(void *ptr, size_t size)
{
	alloc_calls += counting;
	return __libc_realloc(ptr, size);
}
#endif

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

static void restart(struct fx *x)
{
	vg_plugin_unload(x->p);
	x->p = NULL;
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

/* ------------------------------------------------------------------ LDMS 4.4.6 captures */

/* csv1__def_meminfo, csv1__*_procstat (row 2 of each), the .KIND files, verbatim. */
static const char MEM_HEADER[] =
	"#Time,Time_usec,ProducerName,component_id,job_id,app_id,MemTotal,MemFree,MemAvailable,Buff"
	"ers,Cached,SwapCached,Active,Inactive,Active(anon),Inactive(anon),Active(file),Inactive(fi"
	"le),Unevictable,Mlocked,SwapTotal,SwapFree,Zswap,Zswapped,Dirty,Writeback,AnonPages,Mapped"
	",Shmem,KReclaimable,Slab,SReclaimable,SUnreclaim,KernelStack,PageTables,SecPageTables,NFS_"
	"Unstable,Bounce,WritebackTmp,CommitLimit,Committed_AS,VmallocTotal,VmallocUsed,VmallocChun"
	"k,Percpu,AnonHugePages,ShmemHugePages,ShmemPmdMapped,FileHugePages,FilePmdMapped,Balloon,H"
	"ugePages_Total,HugePages_Free,HugePages_Rsvd,HugePages_Surp,Hugepagesize,Hugetlb,DirectMap"
	"4k,DirectMap2M,DirectMap1G";
static const char MEM_ROW[] =
	"1795620389.001327,1327,node-1,7,0,0,24684096,24320364,24327280,2504,128628,0,75680,63284,1"
	"576,15044,74104,48240,14344,13456,0,0,0,0,688,0,22164,15672,8788,135504,163540,135504,2803"
	"6,2188,2352,0,0,0,0,12342048,859636,34359738367,14972,0,1024,0,0,0,0,0,0,0,0,0,0,2048,0,30"
	"720,2066432,25165824";
static const char MEM_KIND1[] =
	"#!ldms-kinds!timestamp,u64,char[]64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u6"
	"4,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,"
	"u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64";
static const char MEM_KIND2[] =
	"#!ldms-array-kinds!timestamp,u64,char[]64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,"
	"u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u6"
	"4,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64";
static const char PROC_HEADER[] =
	"#Time,Time_usec,ProducerName,component_id,job_id,app_id,cores_up,cpu_enabled,user,nice,sys"
	",idle,iowait,irq,softirq,steal,guest,guest_nice,hwintr_count,context_switches,processes,pr"
	"ocs_running,procs_blocked,softirq_count,per_core_cpu_enabled0,per_core_cpu_enabled1,per_co"
	"re_user0,per_core_user1,per_core_nice0,per_core_nice1,per_core_sys0,per_core_sys1,per_core"
	"_idle0,per_core_idle1,per_core_iowait0,per_core_iowait1,per_core_irq0,per_core_irq1,per_co"
	"re_softirqd0,per_core_softirqd1,per_core_steal0,per_core_steal1,per_core_guest0,per_core_g"
	"uest1,per_core_guest_nice0,per_core_guest_nice1";
static const char PROC_ROW[] =
	"1795620389.001356,1356,node-1,7,0,0,2,1,10075,0,11198,199398,1676,0,257,12,0,0,918771,2070"
	"933,79557,1,0,774000,1,1,4642,5432,0,0,4764,6433,101894,97503,120,1556,0,0,57,199,4,7,0,0,"
	"0,0";
static const char NOEXP_HEADER[] =
	"#Time,Time_usec,ProducerName,component_id,job_id,app_id,cores_up,cpu_enabled,user,nice,sys"
	",idle,iowait,irq,softirq,steal,guest,guest_nice,hwintr_count,context_switches,processes,pr"
	"ocs_running,procs_blocked,softirq_count,per_core_cpu_enabled,per_core_user,per_core_nice,p"
	"er_core_sys,per_core_idle,per_core_iowait,per_core_irq,per_core_softirqd,per_core_steal,pe"
	"r_core_guest,per_core_guest_nice";
static const char NOEXP_ROW[] =
	"1795620389.001356,1356,node-1,7,0,0,2,1,10075,0,11198,199398,1676,0,257,12,0,0,918771,2070"
	"933,79557,1,0,774000,\"1:1\",\"4642:5432\",\"0:0\",\"4764:6433\",\"101894:97503\",\"120:15"
	"56\",\"0:0\",\"57:199\",\"4:7\",\"0:0\",\"0:0\"";
static const char UDATA_HEADER[] =
	"#\"Time\",\"Time_usec\",\"ProducerName\",\"component_id.userdata\",\"component_id.value\","
	"\"job_id.userdata\",\"job_id.value\",\"app_id.userdata\",\"app_id.value\",\"cores_up.userd"
	"ata\",\"cores_up.value\",\"cpu_enabled.userdata\",\"cpu_enabled.value\",\"user.userdata\","
	"\"user.value\",\"nice.userdata\",\"nice.value\",\"sys.userdata\",\"sys.value\",\"idle.user"
	"data\",\"idle.value\",\"iowait.userdata\",\"iowait.value\",\"irq.userdata\",\"irq.value\","
	"\"softirq.userdata\",\"softirq.value\",\"steal.userdata\",\"steal.value\",\"guest.userdata"
	"\",\"guest.value\",\"guest_nice.userdata\",\"guest_nice.value\",\"hwintr_count.userdata\","
	"\"hwintr_count.value\",\"context_switches.userdata\",\"context_switches.value\",\"processe"
	"s.userdata\",\"processes.value\",\"procs_running.userdata\",\"procs_running.value\",\"proc"
	"s_blocked.userdata\",\"procs_blocked.value\",\"softirq_count.userdata\",\"softirq_count.va"
	"lue\",\"per_core_cpu_enabled0.userdata\",\"per_core_cpu_enabled0.value\",\"per_core_cpu_en"
	"abled1.userdata\",\"per_core_cpu_enabled1.value\",\"per_core_user0.userdata\",\"per_core_u"
	"ser0.value\",\"per_core_user1.userdata\",\"per_core_user1.value\",\"per_core_nice0.userdat"
	"a\",\"per_core_nice0.value\",\"per_core_nice1.userdata\",\"per_core_nice1.value\",\"per_co"
	"re_sys0.userdata\",\"per_core_sys0.value\",\"per_core_sys1.userdata\",\"per_core_sys1.valu"
	"e\",\"per_core_idle0.userdata\",\"per_core_idle0.value\",\"per_core_idle1.userdata\",\"per"
	"_core_idle1.value\",\"per_core_iowait0.userdata\",\"per_core_iowait0.value\",\"per_core_io"
	"wait1.userdata\",\"per_core_iowait1.value\",\"per_core_irq0.userdata\",\"per_core_irq0.val"
	"ue\",\"per_core_irq1.userdata\",\"per_core_irq1.value\",\"per_core_softirqd0.userdata\",\""
	"per_core_softirqd0.value\",\"per_core_softirqd1.userdata\",\"per_core_softirqd1.value\",\""
	"per_core_steal0.userdata\",\"per_core_steal0.value\",\"per_core_steal1.userdata\",\"per_co"
	"re_steal1.value\",\"per_core_guest0.userdata\",\"per_core_guest0.value\",\"per_core_guest1"
	".userdata\",\"per_core_guest1.value\",\"per_core_guest_nice0.userdata\",\"per_core_guest_n"
	"ice0.value\",\"per_core_guest_nice1.userdata\",\"per_core_guest_nice1.value\"";
static const char UDATA_ROW[] =
	"1795620389.001356,1356,node-1,0,7,0,0,0,0,0,2,0,1,0,10075,0,0,0,11198,0,199398,0,1676,0,0,"
	"0,257,0,12,0,0,0,0,0,918771,0,2070933,0,79557,0,1,0,0,0,774000,0,1,0,1,0,4642,0,5432,0,0,0"
	",0,0,4764,0,6433,0,101894,0,97503,0,120,0,1556,0,0,0,0,0,57,0,199,0,4,0,7,0,0,0,0,0,0,0,0";
static const char UDATA_KIND[] =
	"#!ldms-array-kinds-udata!timestamp,u64,char[]64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u6"
	"4,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,"
	"u64,u64,u64,u64,u64,u64,u64,u64,u64,u64,u64[]2,u64,u64[]2,u64,u64[]2,u64,u64[]2,u64,u64[]2"
	",u64,u64[]2,u64,u64[]2,u64,u64[]2,u64,u64[]2,u64,u64[]2,u64,u64[]2";

/* ------------------------------------------------------------------ LDMS output */

/*
 * A set with the columns of an LDMS header ("per_core_*" are u64[2],
 * component_id is meta) and the producer, time and values of an LDMS row.
 */
static struct vg_set *set_from_ldms(const char *schema, const char *header, const char *row)
{
	struct mdef defs[128];
	size_t n = 0;
	char *names = strdup(header + strlen("#Time,Time_usec,ProducerName,"));
	char *values = strdup(row), *save = NULL;
	for (char *t = strtok_r(names, ",", &save); t && n < 128; t = strtok_r(NULL, ",", &save)) {
		bool array = strncmp(t, "per_core_", 9) == 0;
		defs[n++] = (struct mdef){t, array ? VG_T_U64_ARRAY : VG_T_U64, array ? 2 : 1,
					  strcmp(t, "component_id") == 0};
	}
	char *time_field = strtok_r(values, ",", &save);
	strtok_r(NULL, ",", &save);
	struct vg_set *set = make_set(schema, defs, n, strtok_r(NULL, ",", &save));
	vg_set_begin(set);
	for (int m = 0; m < vg_set_card(set); m++)
		for (uint32_t i = 0; i < vg_set_metric_count(set, m); i++)
			vg_set_array_u64(set, m, i, strtoull(strtok_r(NULL, ",", &save), NULL, 10));
	char *dot = strchr(time_field, '.');
	fake_now_us = strtoull(time_field, NULL, 10) * 1000000 + strtoull(dot + 1, NULL, 10);
	vg_set_end(set);
	free(names);
	free(values);
	return set;
}

/* The file holds line a and, unless b is "", line b. */
#define EXPECT_LINES(a, b, ...)                                                   \
	do {                                                                      \
		char *want_ = NULL;                                               \
		const char *b_ = (b);                                             \
		CU_ASSERT_TRUE_FATAL(                                             \
			asprintf(&want_, "%s\n%s%s", (a), b_, *b_ ? "\n" : "") > 0); \
		EXPECT_FILE(want_, __VA_ARGS__);                                  \
		free(want_);                                                      \
	} while (0)

/* One row of set into <container>/<schema>; the handle is closed. */
static void store_one(struct fx *x, struct vg_set *set, const char *container)
{
	struct vg_err err = {0};
	void *h = open_store(x, set, container, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_EQUAL(store(x, h, set), 0);
	x->p->ops->close(h);
}

static void test_ts3_ldms(void)
{
	struct fx x;
	fx_init(&x);
	struct vg_err err = {0};
	mode_t old = umask(077); /* modes must not depend on it */
	CU_ASSERT_EQUAL(cfg(&x, &err, "path=%s/out", x.dir), 0);
	struct vg_set *set = ts3_set();
	void *h = open_store(&x, set, "def", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	sample_u64(set, 6, 1795620388001127ull);
	CU_ASSERT_EQUAL(store(&x, h, set), 0);
	sample_u64(set, 7, 1795620389001487ull);
	CU_ASSERT_EQUAL(store(&x, h, set), 0);
	x.p->ops->close(h);
	umask(old);
	EXPECT_FILE("#Time,Time_usec,ProducerName,metric_0,metric_1,metric_2\n"
		    "1795620388.001127,1127,node-1,6,6,6\n"
		    "1795620389.001487,1487,node-1,7,7,7\n",
		    "%s/out/def/ts3", x.dir);
	CU_ASSERT_EQUAL(mode_of(x.dir, "out"), 0750);
	CU_ASSERT_EQUAL(mode_of(x.dir, "out/def"), 0750);
	CU_ASSERT_EQUAL(mode_of(x.dir, "out/def/ts3"), 0600);
	vg_set_put(set);
	fx_fini(&x);
}

static const struct mdef TSMIX[] = {
	{"component_id", VG_T_U64, 1, true}, {"a", VG_T_U64, 1, false},
	{"arr", VG_T_U64_ARRAY, 3, false},   {"d", VG_T_D64, 1, false},
	{"s", VG_T_CHAR_ARRAY, 8, false},
};

static void tsmix_sample(struct vg_set *set, uint64_t v, const char *s, uint64_t t_us)
{
	vg_set_begin(set);
	vg_set_u64(set, 0, 7);
	vg_set_u64(set, 1, v);
	for (uint32_t i = 0; i < 3; i++)
		vg_set_array_u64(set, 2, i, v);
	vg_set_d64(set, 3, (double)v);
	vg_set_str(set, 4, s);
	fake_now_us = t_us;
	vg_set_end(set);
}

/* Overrides per container: expand_array=false for noexp only. */
static void test_tsmix_ldms(void)
{
	struct fx x;
	fx_init(&x);
	struct vg_err err = {0};
	CU_ASSERT_EQUAL(cfg(&x, &err, "path=%s", x.dir), 0);
	CU_ASSERT_EQUAL(cfg(&x, &err, "container=noexp schema=tsmix expand_array=false"), 0);
	struct vg_set *set = make_set("tsmix", TSMIX, 5, "node-1");
	void *def = open_store(&x, set, "def", &err), *noexp = open_store(&x, set, "noexp", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(def);
	CU_ASSERT_PTR_NOT_NULL_FATAL(noexp);
	tsmix_sample(set, 6, "nnnnnnn", 1795620388001126ull);
	CU_ASSERT_EQUAL(store(&x, def, set), 0);
	CU_ASSERT_EQUAL(store(&x, noexp, set), 0);
	tsmix_sample(set, 7, "hhhhhhh", 1795620389001486ull);
	CU_ASSERT_EQUAL(store(&x, def, set), 0);
	CU_ASSERT_EQUAL(store(&x, noexp, set), 0);
	x.p->ops->close(def);
	x.p->ops->close(noexp);
	EXPECT_FILE("#Time,Time_usec,ProducerName,component_id,a,arr0,arr1,arr2,d,s\n"
		    "1795620388.001126,1126,node-1,7,6,6,6,6,6,nnnnnnn\n"
		    "1795620389.001486,1486,node-1,7,7,7,7,7,7,hhhhhhh\n",
		    "%s/def/tsmix", x.dir);
	EXPECT_FILE("#Time,Time_usec,ProducerName,component_id,a,arr,d,s\n"
		    "1795620388.001126,1126,node-1,7,6,\"6:6:6\",6,nnnnnnn\n"
		    "1795620389.001486,1486,node-1,7,7,\"7:7:7\",7,hhhhhhh\n",
		    "%s/noexp/tsmix", x.dir);
	vg_set_put(set);
	fx_fini(&x);
}

static void test_meminfo_ldms(void)
{
	struct fx x;
	fx_init(&x);
	struct vg_err err = {0};
	CU_ASSERT_EQUAL(cfg(&x, &err, "path=%s", x.dir), 0);
	CU_ASSERT_EQUAL(cfg(&x, &err, "container=alt schema=meminfo altheader=1 typeheader=1"), 0);
	CU_ASSERT_EQUAL(cfg(&x, &err, "container=msec schema=meminfo time_format=1"), 0);
	CU_ASSERT_EQUAL(cfg(&x, &err, "container=kind2 schema=meminfo typeheader=2"), 0);
	struct vg_set *set = set_from_ldms("meminfo", MEM_HEADER, MEM_ROW);
	const char *containers[] = {"def", "alt", "msec", "kind2"};
	for (int i = 0; i < 4; i++)
		store_one(&x, set, containers[i]);
	EXPECT_LINES(MEM_HEADER, MEM_ROW, "%s/def/meminfo", x.dir);
	EXPECT_LINES(MEM_HEADER, MEM_ROW, "%s/kind2/meminfo", x.dir);
	EXPECT_LINES(MEM_ROW, "", "%s/alt/meminfo", x.dir);
	EXPECT_LINES(MEM_HEADER, "", "%s/alt/meminfo.HEADER", x.dir);
	EXPECT_LINES(MEM_KIND1, "", "%s/alt/meminfo.KIND", x.dir);
	EXPECT_LINES(MEM_KIND2, "", "%s/kind2/meminfo.KIND", x.dir);
	CU_ASSERT_EQUAL(mode_of(x.dir, "alt/meminfo.HEADER"), 0600);
	CU_ASSERT_EQUAL(mode_of(x.dir, "alt/meminfo.KIND"), 0600);
	/* time_format=1: LDMS's msec file is the same but for the first two fields */
	char *msec = NULL;
	CU_ASSERT(asprintf(&msec, "#Time_msec%s\n1795620389001,327%s\n", MEM_HEADER + 5,
			   strchr(strchr(MEM_ROW, ',') + 1, ',')) > 0);
	EXPECT_FILE(msec, "%s/msec/meminfo", x.dir);
	free(msec);
	vg_set_put(set);
	fx_fini(&x);
}

static void test_procstat_ldms(void)
{
	struct fx x;
	fx_init(&x);
	struct vg_err err = {0};
	CU_ASSERT_EQUAL(cfg(&x, &err, "path=%s", x.dir), 0);
	CU_ASSERT_EQUAL(cfg(&x, &err, "container=noexp schema=procstat expand_array=0"), 0);
	CU_ASSERT_EQUAL(cfg(&x, &err, "container=udata schema=procstat userdata=1 ietfcsv=1 "
				      "typeheader=2"),
			0);
	struct vg_set *set = set_from_ldms("procstat", NOEXP_HEADER, PROC_ROW);
	store_one(&x, set, "def");
	store_one(&x, set, "noexp");
	store_one(&x, set, "udata");
	EXPECT_LINES(PROC_HEADER, PROC_ROW, "%s/def/procstat", x.dir);
	EXPECT_LINES(NOEXP_HEADER, NOEXP_ROW, "%s/noexp/procstat", x.dir);
	EXPECT_LINES(UDATA_HEADER, UDATA_ROW, "%s/udata/procstat", x.dir);
	EXPECT_LINES(UDATA_KIND, "", "%s/udata/procstat.KIND", x.dir);
	vg_set_put(set);
	fx_fini(&x);
}

static const struct mdef TYPES[] = {
	{"c", VG_T_CHAR, 1, false},	       {"u8", VG_T_U8, 1, false},
	{"s8", VG_T_S8, 1, false},	       {"u16", VG_T_U16, 1, false},
	{"s16", VG_T_S16, 1, false},	       {"u32", VG_T_U32, 1, false},
	{"s32", VG_T_S32, 1, false},	       {"u64", VG_T_U64, 1, false},
	{"s64", VG_T_S64, 1, false},	       {"f32", VG_T_F32, 1, false},
	{"d64", VG_T_D64, 1, false},	       {"sa", VG_T_S64_ARRAY, 2, false},
	{"fa", VG_T_F32_ARRAY, 2, false},      {"ua", VG_T_U8_ARRAY, 2, false},
	{"str", VG_T_CHAR_ARRAY, 8, false},
};

/* Every type's format; array options; ietfcsv quoting (LDMS's s64[] quirk not copied). */
static void test_types_and_array_options(void)
{
	struct fx x;
	fx_init(&x);
	struct vg_err err = {0};
	CU_ASSERT_EQUAL(cfg(&x, &err, "path=%s typeheader=1", x.dir), 0);
	CU_ASSERT_EQUAL(cfg(&x, &err, "container=q schema=types ietfcsv=1 expand_array=0 "
				      "array_sep=; array_lquote=[ array_rquote=]"),
			0);
	CU_ASSERT_EQUAL(cfg(&x, &err, "container=n schema=types expand_array=n array_lquote= "
				      "array_rquote="),
			0);
	struct vg_set *set = make_set("types", TYPES, 15, "node-1");
	vg_set_begin(set);
	vg_set_char(set, 0, 'x');
	vg_set_u8(set, 1, 255);
	vg_set_s8(set, 2, -128);
	vg_set_u16(set, 3, 65535);
	vg_set_s16(set, 4, -32768);
	vg_set_u32(set, 5, UINT32_MAX);
	vg_set_s32(set, 6, INT32_MIN);
	vg_set_u64(set, 7, UINT64_MAX);
	vg_set_s64(set, 8, INT64_MIN);
	vg_set_f32(set, 9, 0.1f);
	vg_set_d64(set, 10, 0.1);
	vg_set_array_s64(set, 11, 0, -1);
	vg_set_array_s64(set, 11, 1, 2);
	vg_set_array_f32(set, 12, 0, 1.5f);
	vg_set_array_f32(set, 12, 1, -2.25f);
	vg_set_array_u8(set, 13, 1, 200);
	vg_set_str(set, 14, "a\"b,c");
	fake_now_us = 1795620390000001ull;
	vg_set_end(set);
	store_one(&x, set, "e");
	store_one(&x, set, "q");
	store_one(&x, set, "n");
#define SCALARS "x,255,-128,65535,-32768,4294967295,-2147483648,18446744073709551615," \
		"-9223372036854775808,0.100000001,0.10000000000000001"
#define KINDS "#!ldms-kinds!timestamp,u64,char[]64,char,u8,s8,u16,s16,u32,s32,u64,s64,f32,d64"
	EXPECT_FILE("#Time,Time_usec,ProducerName,c,u8,s8,u16,s16,u32,s32,u64,s64,f32,d64,sa0,"
		    "sa1,fa0,fa1,ua0,ua1,str\n1795620390.000001,1,node-1," SCALARS
		    ",-1,2,1.5,-2.25,0,200,a\"b,c\n",
		    "%s/e/types", x.dir);
	EXPECT_FILE(KINDS ",s64,s64,f32,f32,u8,u8,char[]\n", "%s/e/types.KIND", x.dir);
	EXPECT_FILE("#\"Time\",\"Time_usec\",\"ProducerName\",\"c\",\"u8\",\"s8\",\"u16\","
		    "\"s16\",\"u32\",\"s32\",\"u64\",\"s64\",\"f32\",\"d64\",\"sa\",\"fa\",\"ua\","
		    "\"str\"\n1795620390.000001,1,node-1," SCALARS
		    ",[-1;2],[1.5;-2.25],[0;200],\"a\"\"b,c\"\n",
		    "%s/q/types", x.dir);
	EXPECT_FILE(KINDS ",s64[]2,f32[]2,u8[]2,char[]\n", "%s/q/types.KIND", x.dir);
	char *n = slurp("%s/n/types", x.dir);
	CU_ASSERT_PTR_NOT_NULL(strstr(n ? n : "", "0.10000000000000001,-1:2,1.5:-2.25,0:200,a\"b,c\n"));
	free(n);
	vg_set_put(set);
	fx_fini(&x);
}

/* The hand-written integer formatting at every digit count, against printf. */
static void test_integer_widths(void)
{
	struct fx x;
	fx_init(&x);
	struct vg_err err = {0};
	CU_ASSERT_EQUAL(cfg(&x, &err, "path=%s expand_array=0 array_lquote= array_rquote=",
			    x.dir), 0);
	const struct mdef v[] = {{"v", VG_T_U64_ARRAY, 40, false}};
	struct vg_set *set = make_set("digits", v, 1, "n");
	char want[1024];
	size_t n = (size_t)snprintf(want, sizeof(want), "1795620388.000000,0,n,");
	uint64_t p10 = 1;
	vg_set_begin(set);
	for (uint32_t i = 0; i < 40; i++) {
		uint64_t val = i == 0 ? 0 : i == 39 ? UINT64_MAX : i % 2 ? p10 * 10 - 1 : (p10 *= 10);
		vg_set_array_u64(set, 0, i, val);
		n += (size_t)snprintf(want + n, sizeof(want) - n, "%s%" PRIu64, i ? ":" : "", val);
	}
	fake_now_us = 1795620388000000ull;
	vg_set_end(set);
	store_one(&x, set, "c");
	char *got = slurp("%s/c/digits", x.dir);
	CU_ASSERT_PTR_NOT_NULL(got ? strstr(got, want) : NULL);
	free(got);
	vg_set_put(set);
	fx_fini(&x);
}

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
	{"test_sampler layout is byte-identical to LDMS, modes 0750/0600", test_ts3_ldms},
	{"tsmix expanded and expand_array=false match LDMS", test_tsmix_ldms},
	{"meminfo: header, row, altheader, time_format=1, .KIND 1 and 2 match LDMS",
	 test_meminfo_ldms},
	{"procstat: arrays, expand_array=0, userdata+ietfcsv+typeheader=2 match LDMS",
	 test_procstat_ldms},
	{"every type, array options and ietfcsv quoting", test_types_and_array_options},
	{"integers of every width format as printf does", test_integer_widths},
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

CU_MAIN("store_csv", tests)
