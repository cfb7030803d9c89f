/*
 * test_store_csv.c - the store_csv plugin's formats against LDMS 4.4.6's
 * real output (FORMATS.md (a); the expected texts below are copied from the
 * captured files in the shared ldms-compat/store_csv folder): headers, rows,
 * .HEADER and .KIND files, every type, the array options and quoting.
 *
 * Files, rollover, options and failures are in test_store_csv_files.c; the
 * fixture shared by both is tests/unit/store_csv_util.h.  Sets are built
 * with the schema API and a fake wall clock, so the transaction timestamps
 * are those of the LDMS capture.  Needs VIGIL_PLUGIN_PATH (make check sets it).
 */
#include "config.h"

#include <inttypes.h>

#include "tests/unit/store_csv_util.h"

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

static const struct cu_test tests[] = {
	{"test_sampler layout is byte-identical to LDMS, modes 0750/0600", test_ts3_ldms},
	{"tsmix expanded and expand_array=false match LDMS", test_tsmix_ldms},
	{"meminfo: header, row, altheader, time_format=1, .KIND 1 and 2 match LDMS",
	 test_meminfo_ldms},
	{"procstat: arrays, expand_array=0, userdata+ietfcsv+typeheader=2 match LDMS",
	 test_procstat_ldms},
	{"every type, array options and ietfcsv quoting", test_types_and_array_options},
	{"integers of every width format as printf does", test_integer_widths},
	{NULL, NULL},
};

CU_MAIN("store_csv", tests)
