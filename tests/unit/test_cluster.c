/*
 * test_cluster.c - the cluster YAML model (ldms-conf/cluster.h): ranges,
 * durations, anchors, ${VAR}, stores in both forms, updater modes, the
 * contiguous split of producers, balanced groups, exact generated configs,
 * and every class of error with its file:line:col and key path.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ldms-conf/cluster.h"
#include "ldms-conf/range.h"
#include "tests/unit/cu_main.h"

static char tmpdir[64];
static char path[128];

static void cleanup(void)
{
	if (!tmpdir[0])
		return;
	unlink(path);
	rmdir(tmpdir);
}

static void write_yaml(const char *text)
{
	if (!tmpdir[0]) {
		strcpy(tmpdir, "/tmp/test_cluster.XXXXXX");
		CU_ASSERT_FATAL(mkdtemp(tmpdir) != NULL);
		snprintf(path, sizeof(path), "%s/c.yaml", tmpdir);
		atexit(cleanup);
	}
	FILE *f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs(text, f);
	fclose(f);
}

static struct vg_cluster *load(const char *text)
{
	write_yaml(text);
	struct vg_cluster *c = NULL;
	struct vg_err err;
	vg_err_clear(&err);
	int rc = vg_cluster_load(path, &c, &err);
	if (rc)
		fprintf(stderr, "\nunexpected error: %s\n", err.msg);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	return c;
}

/* The load fails with "<path>:" followed by want exactly. */
static void expect_error(const char *text, const char *want)
{
	write_yaml(text);
	struct vg_cluster *c = NULL;
	struct vg_err err;
	vg_err_clear(&err);
	int rc = vg_cluster_load(path, &c, &err);
	CU_ASSERT(rc < 0);
	CU_ASSERT_PTR_NULL(c);
	char full[700];
	snprintf(full, sizeof(full), "%s:%s", path, want);
	if (strcmp(err.msg, full))
		fprintf(stderr, "\n got: %s\nwant: %s\n", err.msg, full);
	CU_ASSERT_STRING_EQUAL(err.msg, full);
}

static char *gen(const struct vg_cluster *c, const char *daemon)
{
	struct vg_strbuf sb;
	struct vg_err err;
	vg_strbuf_init(&sb);
	int rc = vg_cluster_gen(c, daemon, &sb, &err);
	if (rc)
		fprintf(stderr, "\ngen %s: %s\n", daemon, err.msg);
	CU_ASSERT_EQUAL(rc, 0);
	char *s = strdup(vg_strbuf_str(&sb));
	vg_strbuf_free(&sb);
	return s;
}

static size_t count(const char *hay, const char *needle)
{
	size_t n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

#define ASSERT_HAS(text, line)                                                        \
	do {                                                                          \
		if (!strstr(text, line))                                              \
			fprintf(stderr, "\nmissing: %s\nin:\n%s", line, text);       \
		CU_ASSERT_PTR_NOT_NULL(strstr(text, line));                           \
	} while (0)

/* ---------------------------------------------------------------- ranges */

static void expect_names(const char *spec, size_t n, const char *const *want)
{
	struct vg_names names = {0};
	char why[256];
	int rc = vg_range_expand(spec, &names, why, sizeof(why));
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(names.n, n);
	for (size_t i = 0; i < n && i < names.n; i++)
		CU_ASSERT_STRING_EQUAL(names.v[i], want[i]);
	vg_names_free(&names);
}

static void test_ranges(void)
{
	const char *const ten[] = {"node-1", "node-2", "node-3", "node-4", "node-5",
				   "node-6", "node-7", "node-8", "node-9", "node-10"};
	expect_names("node-[1-10]", 10, ten);
	const char *const padded[] = {"node-01", "node-02", "node-03"};
	expect_names("node-[01-03]", 3, padded);
	const char *const two[] = {"node-11-10101", "node-12-10101", "node-13-10101",
				   "node-14-10101"};
	expect_names("node-[11-14]-[10101]", 4, two);
	const char *const ports[] = {"10001", "10002", "10003"};
	expect_names("[10001-10003]", 3, ports);
	const char *const list[] = {"a", "b", "node-3", "node-4"};
	expect_names("a, b,node-[3-4]", 4, list);
	const char *const product[] = {"n1-7", "n1-8", "n2-7", "n2-8"};
	expect_names("n[1-2]-[7,8]", 4, product);
	const char *const commas[] = {"agg-21", "agg-22", "agg-30"};
	expect_names("agg-[21,22,30]", 3, commas);
	const char *const plain[] = {"sampler"};
	expect_names("sampler", 1, plain);
}

static void expect_bad_range(const char *spec, const char *why_want)
{
	struct vg_names names = {0};
	char why[256] = "";
	CU_ASSERT_EQUAL(vg_range_expand(spec, &names, why, sizeof(why)), -EINVAL);
	if (why_want) {
		if (strcmp(why, why_want))
			fprintf(stderr, "\n%s: got '%s', want '%s'\n", spec, why, why_want);
		CU_ASSERT_STRING_EQUAL(why, why_want);
	}
	vg_names_free(&names);
}

static void test_bad_ranges(void)
{
	expect_bad_range("node-[1-", "unclosed \"[\" in \"node-[1-\"");
	expect_bad_range("node-[5-3]", "\"5-3\" goes backwards (write [3-5])");
	expect_bad_range("node-[a-b]", "\"a-b\" is not a number range (write [1-10] or [1,3,5])");
	expect_bad_range("node-[x]", "\"x\" is not a number (write [1-10] or [1,3,5])");
	expect_bad_range("node-1]", "\"]\" without \"[\" in \"node-1]\"");
	expect_bad_range("n[[1]]", "nested \"[\" in \"n[[1]]\"");
	expect_bad_range("a,,b", "empty name in \"a,,b\"");
	expect_bad_range("n[]", "empty element in \"[]\"");
	expect_bad_range("n[1-2000000]", NULL);
	/* a product that explodes is refused before anything is built */
	expect_bad_range("n[1-1000]-[1-1000]-[1-1000]", NULL);
}

/* ---------------------------------------------------------------- a base file */

/* 8 samplers on n-1..n-8 and 3 aggregators on h; lines 1-11. */
#define BASE                                         \
	"daemons:\n"                                 \
	"  - names: \"s-[1-8]\"\n"                   \
	"    hosts: \"n-[1-8]\"\n"                   \
	"    endpoints:\n"                           \
	"      - names: \"s-[1-8]-ep\"\n"            \
	"        ports: 10001\n"                     \
	"  - names: \"a-[1-3]\"\n"                   \
	"    hosts: h\n"                             \
	"    endpoints:\n"                           \
	"      - names: \"a-[1-3]-ep\"\n"            \
	"        ports: \"[20001-20003]\"\n"

static void test_durations_and_modes(void)
{
	struct vg_cluster *c = load(BASE "aggregators:\n"
					 "  - daemons: \"a-[1-3]\"\n"
					 "    peers:\n"
					 "      - daemons: \"s-[1-8]\"\n"
					 "        reconnect: 1.5s\n"
					 "        updaters:\n"
					 "          - interval: \"1.0s\"\n"
					 "            offset: -100ms\n"
					 "          - interval: 500ms\n"
					 "            offset: 250000\n"
					 "            mode: push\n"
					 "          - interval: 20s\n"
					 "            mode: onchange\n"
					 "          - interval: 2s\n"
					 "            mode: auto\n"
					 "          - interval: 3s\n"
					 "            mode: pull\n");
	CU_ASSERT_EQUAL(c->ndaemons, 11);
	CU_ASSERT_EQUAL(c->ngroups, 1);
	const struct vg_cluster_group *g = &c->groups[0];
	CU_ASSERT_STRING_EQUAL(g->name, "aggregators[0]");
	CU_ASSERT_EQUAL(g->nproducers, 8);
	CU_ASSERT_EQUAL(g->producers[0].reconnect_us, 1500000);
	CU_ASSERT_EQUAL(g->producers[0].updater, 0);
	CU_ASSERT_EQUAL(g->producers[0].nupdaters, 5);
	CU_ASSERT_EQUAL(g->nupdaters, 5);
	CU_ASSERT_EQUAL(g->updaters[0].interval_us, 1000000);
	CU_ASSERT_EQUAL(g->updaters[0].offset_us, -100000);
	CU_ASSERT_STRING_EQUAL(g->updaters[0].mode, "pull"); /* missing mode: plain pull */
	CU_ASSERT_EQUAL(g->updaters[1].interval_us, 500000);
	CU_ASSERT_EQUAL(g->updaters[1].offset_us, 250000);
	CU_ASSERT_STRING_EQUAL(g->updaters[1].mode, "push");
	CU_ASSERT_EQUAL(g->updaters[2].interval_us, 20000000);
	CU_ASSERT_STRING_EQUAL(g->updaters[2].mode, "onchange");
	CU_ASSERT_STRING_EQUAL(g->updaters[3].mode, "auto_interval");
	CU_ASSERT_STRING_EQUAL(g->updaters[4].mode, "pull");
	char *a1 = gen(c, "a-1");
	/* pull (written or not) is a plain updater: not LDMS's auto_interval=True */
	ASSERT_HAS(a1, "updtr_add name=updtr_0 interval=1000000 offset=-100000\n");
	ASSERT_HAS(a1, "updtr_add name=updtr_1 interval=500000 offset=250000 push=true\n");
	ASSERT_HAS(a1, "updtr_add name=updtr_2 interval=20000000 push=onchange\n");
	ASSERT_HAS(a1, "updtr_add name=updtr_3 interval=2000000 auto_interval=true\n");
	ASSERT_HAS(a1, "updtr_add name=updtr_4 interval=3000000\n");
	CU_ASSERT_EQUAL(count(a1, "auto_interval"), 1);
	CU_ASSERT_EQUAL(count(a1, "updtr_prdcr_add name=updtr_0 regex=.*\n"), 1);
	free(a1);
	vg_cluster_free(c);

	expect_error(BASE "aggregators:\n"
			  "  - daemons: \"a-[1-3]\"\n"
			  "    peers:\n"
			  "      - daemons: \"s-[1-8]\"\n"
			  "        reconnect: 5x\n",
		     "16:20: aggregators[0].peers[0].reconnect: \"5x\" is not a duration (use "
		     "500ms, 1s, 1.5s)");
	expect_error(BASE "aggregators:\n"
			  "  - daemons: \"a-[1-3]\"\n"
			  "    peers:\n"
			  "      - daemons: \"s-[1-8]\"\n"
			  "        updaters:\n"
			  "          - interval: 1s\n"
			  "            mode: sometimes\n",
		     "18:19: aggregators[0].peers[0].updaters[0].mode: \"sometimes\" is not an "
		     "updater mode (use pull, push, onchange or auto_interval)");
}

/* 8 producers over 3 aggregators: contiguous blocks of 3, 3 and 2, as LDMS splits them. */
static void test_block_split(void)
{
	struct vg_cluster *c = load(BASE "aggregators:\n"
					 "  - daemons: \"a-[1-3]\"\n"
					 "    peers:\n"
					 "      - daemons: \"s-[1-8]\"\n"
					 "        updaters: [{interval: 1s}]\n");
	const struct vg_cluster_group *g = &c->groups[0];
	const size_t want[8] = {0, 0, 0, 1, 1, 1, 2, 2};
	for (size_t i = 0; i < 8; i++) {
		CU_ASSERT_STRING_EQUAL(g->producers[i].name, c->daemons[i].name);
		CU_ASSERT_EQUAL(g->producers[i].block, want[i]);
	}
	CU_ASSERT_STRING_EQUAL(g->producers[6].host, "n-7");
	CU_ASSERT_EQUAL(g->producers[6].port, 10001);
	CU_ASSERT_STRING_EQUAL(g->producers[6].type, "active");
	CU_ASSERT_EQUAL(g->producers[6].reconnect_us, 20000000);
	char *a3 = gen(c, "a-3");
	CU_ASSERT_EQUAL(count(a3, "\nprdcr_add "), 2);
	ASSERT_HAS(a3, "prdcr_add name=s-7 host=n-7 port=10001 xprt=sock type=active "
		       "reconnect=20000000\nprdcr_start name=s-7\n");
	ASSERT_HAS(a3, "listen xprt=sock port=20003\n");
	CU_ASSERT_PTR_NULL(strstr(a3, "standby"));
	CU_ASSERT_PTR_NULL(strstr(a3, "name=s-6 "));
	free(a3);
	char *a1 = gen(c, "a-1");
	CU_ASSERT_EQUAL(count(a1, "\nprdcr_add "), 3);
	free(a1);
	vg_cluster_free(c);
}

/* balance: true gives every aggregator every producer, the others' blocks as standbys. */
static void test_balanced(void)
{
	struct vg_cluster *c = load(BASE "aggregators:\n"
					 "  - daemons: \"a-[1-3]\"\n"
					 "    name: l1\n"
					 "    balance: true\n"
					 "    peers:\n"
					 "      - daemons: \"s-[1-8]\"\n"
					 "        updaters: [{interval: 1s}]\n");
	const struct vg_cluster_group *g = &c->groups[0];
	CU_ASSERT(g->balanced);
	CU_ASSERT_STRING_EQUAL(g->name, "l1");
	CU_ASSERT_EQUAL(g->producers[3].block, 1);
	char *a1 = gen(c, "a-1");
	CU_ASSERT_EQUAL(count(a1, "\nprdcr_add "), 8);
	CU_ASSERT_EQUAL(count(a1, "prdcr_start "), 8);
	CU_ASSERT_EQUAL(count(a1, " standby=true\n"), 5);
	ASSERT_HAS(a1, "prdcr_add name=s-1 host=n-1 port=10001 xprt=sock type=active "
		       "reconnect=20000000\n");
	ASSERT_HAS(a1, "prdcr_add name=s-4 host=n-4 port=10001 xprt=sock type=active "
		       "reconnect=20000000 standby=true\n");
	ASSERT_HAS(a1, "updtr_prdcr_add name=updtr_0 regex=.*\n");
	free(a1);
	char *a3 = gen(c, "a-3");
	CU_ASSERT_EQUAL(count(a3, " standby=true\n"), 6);
	ASSERT_HAS(a3, "prdcr_add name=s-8 host=n-8 port=10001 xprt=sock type=active "
		       "reconnect=20000000\n");
	free(a3);
	vg_cluster_free(c);
}

/* ---------------------------------------------------------------- YAML features */

static void test_anchors_and_aliases(void)
{
	struct vg_cluster *c = load("daemons:\n"
				    "  - names: &smp \"s-[1-2]\"\n"
				    "    hosts: \"n-[1-2]\"\n"
				    "    endpoints:\n"
				    "      - &ep\n"
				    "        names: \"s-[1-2]-ep\"\n"
				    "        ports: 10001\n"
				    "        xprt: fabric\n"
				    "  - names: agg\n"
				    "    hosts: n-9\n"
				    "    endpoints:\n"
				    "      - <<: *ep\n"
				    "        names: agg-ep\n"
				    "        ports: 10101\n"
				    "        maestro_comm: true\n"
				    "      - names: agg-data\n"
				    "        ports: 10102\n"
				    "samplers:\n"
				    "  - daemons: *smp\n"
				    "    plugins: [meminfo1]\n"
				    "plugins:\n"
				    "  meminfo1:\n"
				    "    name: meminfo\n"
				    "    interval: 2s\n"
				    "    config: [{schema: meminfo}]\n"
				    "aggregators:\n"
				    "  - daemons: agg\n"
				    "    peers:\n"
				    "      - daemons: *smp\n"
				    "        updaters: [{interval: 1s}]\n");
	const struct vg_cluster_daemon *agg = vg_cluster_daemon_find(c, "agg");
	CU_ASSERT_PTR_NOT_NULL_FATAL(agg);
	CU_ASSERT_EQUAL(agg->nendpoints, 2);
	/* merged from &ep: xprt; its own keys win */
	CU_ASSERT_STRING_EQUAL(agg->endpoints[0].xprt, "fabric");
	CU_ASSERT_STRING_EQUAL(agg->endpoints[0].name, "agg-ep");
	CU_ASSERT_EQUAL(agg->endpoints[0].port, 10101);
	CU_ASSERT_STRING_EQUAL(agg->endpoints[1].xprt, "sock");
	CU_ASSERT_PTR_EQUAL(vg_cluster_control_endpoint(agg), &agg->endpoints[0]);
	const struct vg_cluster_group *g = &c->groups[0];
	CU_ASSERT_EQUAL(g->nproducers, 2);
	CU_ASSERT_STRING_EQUAL(g->producers[1].name, "s-2");
	CU_ASSERT_STRING_EQUAL(g->producers[1].host, "n-2");
	CU_ASSERT_STRING_EQUAL(g->producers[1].xprt, "fabric");
	char *s2 = gen(c, "s-2");
	CU_ASSERT_STRING_EQUAL(s2, "listen xprt=fabric port=10001\n"
				   "load name=meminfo1 plugin=meminfo\n"
				   "config name=meminfo1 producer=s-2 instance=s-2/meminfo1 "
				   "schema=meminfo\n"
				   "start name=meminfo1 interval=2000000\n");
	free(s2);
	vg_cluster_free(c);

	expect_error("daemons:\n"
		     "  - names: a\n"
		     "    hosts: *nope\n",
		     "3:12: *nope: no anchor of that name is defined above");
	expect_error("daemons:\n"
		     "  - names: a\n"
		     "    names: b\n",
		     "3:5: duplicate key \"names\" (first at line 2)");
}

static void test_env_vars(void)
{
	setenv("TEST_CLUSTER_HOST", "node-77", 1);
	setenv("TEST_CLUSTER_PORT", "12345", 1);
	const char *text = "daemons:\n"
			   "  - names: s-1\n"
			   "    hosts: \"${TEST_CLUSTER_HOST}\"\n"
			   "    environment:\n"
			   "      COMPID: \"7\"\n"
			   "    endpoints:\n"
			   "      - names: s-1-ep\n"
			   "        ports: \"${TEST_CLUSTER_PORT}\"\n"
			   "samplers:\n"
			   "  - daemons: s-1\n"
			   "    plugins:\n"
			   "      - name: meminfo\n"
			   "        config: \"component_id=${COMPID} schema=mem\"\n";
	struct vg_cluster *c = load(text);
	CU_ASSERT_STRING_EQUAL(c->daemons[0].host, "node-77");
	CU_ASSERT_EQUAL(c->daemons[0].endpoints[0].port, 12345);
	CU_ASSERT_EQUAL(c->daemons[0].nenvironment, 1);
	/* ${COMPID} stays: each daemon expands it in its own environment (env COMPID=7 first) */
	char *s = gen(c, "s-1");
	CU_ASSERT_STRING_EQUAL(s, "env COMPID=7\n"
				  "listen xprt=sock port=12345\n"
				  "load name=meminfo\n"
				  "config name=meminfo producer=s-1 instance=s-1/meminfo "
				  "component_id=${COMPID} schema=mem\n"
				  "start name=meminfo interval=1000000\n");
	free(s);
	vg_cluster_free(c);
	unsetenv("TEST_CLUSTER_PORT");
	expect_error(text, "8:16: daemons[0].endpoints[0].ports: uses ${TEST_CLUSTER_PORT}, which "
			   "is not set in the environment (export it, or write the value)");
	unsetenv("TEST_CLUSTER_HOST");
}

/* ---------------------------------------------------------------- stores */

#define ONE_AGG                          \
	"daemons:\n"                     \
	"  - names: agg\n"               \
	"    hosts: h\n"                 \
	"    endpoints:\n"               \
	"      - names: agg-ep\n"        \
	"        ports: 10101\n"

static const char stores_gen[] = "listen xprt=sock port=10101\n"
				 "load name=store_csv\n"
				 "config name=store_csv path=/tmp/x\n"
				 "strgp_add name=csv-mem plugin=store_csv container=c schema=meminfo\n"
				 "strgp_prdcr_add name=csv-mem regex=.*\n"
				 "strgp_start name=csv-mem\n"
				 "strgp_add name=csv-vm plugin=store_csv container=c schema=vmstat "
				 "flush=1000000\n"
				 "strgp_prdcr_add name=csv-vm regex=.*\n"
				 "strgp_start name=csv-vm\n";

static void test_stores_map_and_list(void)
{
	/* LDMS 4.4's form: a mapping of store name to store */
	struct vg_cluster *c = load(ONE_AGG "stores:\n"
					    "  csv-mem:\n"
					    "    daemons: agg\n"
					    "    container: c\n"
					    "    schema: meminfo\n"
					    "    plugin: {name: store_csv, config: {path: /tmp/x}}\n"
					    "  csv-vm:\n"
					    "    daemons: agg\n"
					    "    container: c\n"
					    "    schema: vmstat\n"
					    "    flush: 1s\n"
					    "    plugin: {name: store_csv, config: {path: /tmp/x}}\n");
	char *s = gen(c, "agg");
	CU_ASSERT_STRING_EQUAL(s, stores_gen);
	free(s);
	vg_cluster_free(c);
	/* Maestro's examples: a list with name: (LDMS 4.4 rejects it; we take both) */
	c = load(ONE_AGG "stores:\n"
			 "  - name: csv-mem\n"
			 "    daemons: agg\n"
			 "    container: c\n"
			 "    schema: meminfo\n"
			 "    plugin: {name: store_csv, config: {path: /tmp/x}}\n"
			 "  - name: csv-vm\n"
			 "    daemons: agg\n"
			 "    container: c\n"
			 "    schema: vmstat\n"
			 "    flush: 1s\n"
			 "    plugin: {name: store_csv, config: [{path: /tmp/x}]}\n");
	s = gen(c, "agg");
	CU_ASSERT_STRING_EQUAL(s, stores_gen);
	free(s);
	vg_cluster_free(c);
	/* the plugin as an instance of the top-level plugins mapping */
	c = load(ONE_AGG "plugins:\n"
			 "  csv1: {name: store_csv, config: [{path: /tmp/y}]}\n"
			 "stores:\n"
			 "  - name: csv-mem\n"
			 "    daemons: agg\n"
			 "    container: c\n"
			 "    schema: meminfo\n"
			 "    plugin: csv1\n");
	s = gen(c, "agg");
	ASSERT_HAS(s, "load name=csv1 plugin=store_csv\nconfig name=csv1 path=/tmp/y\n"
		      "strgp_add name=csv-mem plugin=csv1 container=c schema=meminfo\n");
	free(s);
	vg_cluster_free(c);
	expect_error(ONE_AGG "stores:\n"
			     "  - name: a\n"
			     "    daemons: agg\n"
			     "    container: c\n"
			     "    schema: meminfo\n"
			     "    plugin: {name: store_csv}\n"
			     "  - name: a\n"
			     "    daemons: agg\n"
			     "    container: c\n"
			     "    schema: vmstat\n"
			     "    plugin: {name: store_csv}\n",
		     "13:11: stores[1]: store \"a\" is defined twice (first at line 8)");
}

/* ---------------------------------------------------------------- exact config */

static void test_exact_generation(void)
{
	struct vg_cluster *c = load("daemons:\n"
				    "  - names: \"sampler-[1-2]\"\n"
				    "    hosts: \"node-[1-2]\"\n"
				    "    endpoints:\n"
				    "      - names: \"sampler-[1-2]-ep\"\n"
				    "        ports: 10001\n"
				    "        maestro_comm: true\n"
				    "  - names: agg\n"
				    "    hosts: node-9\n"
				    "    endpoints:\n"
				    "      - names: agg-ep\n"
				    "        ports: 10101\n"
				    "        auth: {name: m1, plugin: munge, conf: {socket: /run/m.sock}}\n"
				    "samplers:\n"
				    "  - daemons: \"sampler-[1-2]\"\n"
				    "    plugins:\n"
				    "      - name: meminfo\n"
				    "        interval: 1s\n"
				    "        offset: 0ms\n"
				    "        config: {component_id: \"${COMPID}\"}\n"
				    "aggregators:\n"
				    "  - daemons: agg\n"
				    "    peers:\n"
				    "      - daemons: \"sampler-[1-2]\"\n"
				    "        endpoints: \"sampler-[1-2]-ep\"\n"
				    "        reconnect: 2s\n"
				    "        type: active\n"
				    "        updaters:\n"
				    "          - mode: pull\n"
				    "            interval: 1s\n"
				    "            offset: 100ms\n"
				    "            sets: [{regex: \"mem.*\", field: schema}]\n"
				    "stores:\n"
				    "  csv:\n"
				    "    daemons: agg\n"
				    "    container: c1\n"
				    "    schema: meminfo\n"
				    "    flush: 10s\n"
				    "    plugin: {name: store_csv, config: {path: /tmp/x, buffer: 0}}\n");
	char *s = gen(c, "sampler-1");
	CU_ASSERT_STRING_EQUAL(s, "listen xprt=sock port=10001 control=true\n"
				  "load name=meminfo\n"
				  "config name=meminfo producer=sampler-1 instance=sampler-1/meminfo "
				  "component_id=${COMPID}\n"
				  "start name=meminfo interval=1000000 offset=0\n");
	free(s);
	s = gen(c, "agg");
	CU_ASSERT_STRING_EQUAL(s, "auth_add name=m1 plugin=munge socket=/run/m.sock\n"
				  "listen xprt=sock port=10101 auth=m1\n"
				  "prdcr_add name=sampler-1 host=node-1 port=10001 xprt=sock "
				  "type=active reconnect=2000000\n"
				  "prdcr_start name=sampler-1\n"
				  "prdcr_add name=sampler-2 host=node-2 port=10001 xprt=sock "
				  "type=active reconnect=2000000\n"
				  "prdcr_start name=sampler-2\n"
				  "updtr_add name=updtr_0 interval=1000000 offset=100000\n"
				  "updtr_prdcr_add name=updtr_0 regex=.*\n"
				  "updtr_match_add name=updtr_0 regex=mem.* match=schema\n"
				  "updtr_start name=updtr_0\n"
				  "load name=store_csv\n"
				  "config name=store_csv path=/tmp/x buffer=0\n"
				  "strgp_add name=csv plugin=store_csv container=c1 schema=meminfo "
				  "flush=10000000\n"
				  "strgp_prdcr_add name=csv regex=.*\n"
				  "strgp_start name=csv\n");
	free(s);
	const struct vg_cluster_daemon *agg = vg_cluster_daemon_find(c, "agg");
	CU_ASSERT_STRING_EQUAL(agg->endpoints[0].auth.plugin, "munge");
	CU_ASSERT_EQUAL(agg->endpoints[0].auth.nconf, 1);
	CU_ASSERT_STRING_EQUAL(agg->endpoints[0].auth.conf[0].value, "/run/m.sock");
	struct vg_strbuf sb;
	struct vg_err err;
	vg_strbuf_init(&sb);
	CU_ASSERT_EQUAL(vg_cluster_gen(c, "sampler-10", &sb, &err), -ENOENT);
	vg_strbuf_free(&sb);
	vg_cluster_free(c);
}

/* Advertisement and producer listeners (vigil generates LDMS's commands for both). */
static void test_advertise_and_listen(void)
{
	struct vg_cluster *c = load("daemons:\n"
				    "  - names: \"s-[1-2]\"\n"
				    "    hosts: \"n-[1-2]\"\n"
				    "    endpoints: [{names: \"s-[1-2]-ep\", ports: 10001}]\n"
				    "  - names: l1\n"
				    "    hosts: h1\n"
				    "    endpoints: [{names: l1-ep, ports: 10401}]\n"
				    "samplers:\n"
				    "  - daemons: \"s-[1-2]\"\n"
				    "    plugins: [{name: meminfo}]\n"
				    "    advertise: {to: l1, reconnect: 2s}\n"
				    "aggregators:\n"
				    "  - daemons: l1\n"
				    "    prdcr_listen:\n"
				    "      - name: all\n"
				    "        regex: \"s-.*\"\n"
				    "        ip: 10.0.0.0/8\n"
				    "        reconnect: 1s\n"
				    "        updaters: [{interval: 1s, offset: 200ms}]\n");
	char *s = gen(c, "s-2");
	ASSERT_HAS(s, "advertiser_add name=s-2-l1 xprt=sock host=h1 port=10401 "
		      "reconnect=2000000\nadvertiser_start name=s-2-l1\n");
	free(s);
	s = gen(c, "l1");
	CU_ASSERT_STRING_EQUAL(s, "listen xprt=sock port=10401\n"
				  "prdcr_listen_add name=all regex=s-.* ip=10.0.0.0/8 reconnect=1000000\n"
				  "prdcr_listen_start name=all\n"
				  "updtr_add name=updtr_0 interval=1000000 offset=200000\n"
				  "updtr_prdcr_add name=updtr_0 regex=s-.*\n"
				  "updtr_start name=updtr_0\n");
	free(s);
	vg_cluster_free(c);
}

/* ---------------------------------------------------------------- errors */

static void test_error_classes(void)
{
	/* unknown key, with the closest one */
	expect_error("daemons:\n"
		     "  - names: a\n"
		     "    hosts: h\n"
		     "    endpoint:\n"
		     "      - names: a-ep\n"
		     "        ports: 1\n",
		     "4:5: daemons[0].endpoint: unknown key; did you mean \"endpoints\"? (keys "
		     "here: names, hosts, endpoints, environment, set_memory, log_level, "
		     "stream_enable, msg_enable)");
	expect_error("daemons:\n"
		     "  - names: a\n"
		     "    hosts: h\n"
		     "    endpoints: [{names: a-ep, ports: 1}]\n"
		     "aggregator:\n",
		     "5:1: aggregator: unknown key; did you mean \"aggregators\"? (keys here: "
		     "daemons, aggregators, samplers, plugins, stores, balancer)");
	/* bad range */
	expect_error("daemons:\n"
		     "  - names: \"node-[5-3]\"\n",
		     "2:12: daemons[0].names: bad range \"node-[5-3]\": \"5-3\" goes backwards "
		     "(write [3-5])");
	/* wrong types: a mapping for a list, a value for a mapping, a mapping for a name */
	expect_error("daemons:\n"
		     "  - names: a\n"
		     "    hosts: h\n"
		     "    endpoints:\n"
		     "      names: a-ep\n"
		     "      ports: 1\n",
		     "5:7: daemons[0].endpoints: expected a list (lines starting with \"- \"), got a "
		     "mapping");
	expect_error("daemons:\n"
		     "  - names: a\n"
		     "    hosts: h\n"
		     "    endpoints:\n"
		     "      - names: a-ep\n"
		     "        ports: 1\n"
		     "        auth: munge\n",
		     "7:15: daemons[0].endpoints[0].auth: expected a mapping (key: value lines), "
		     "got a value");
	expect_error("daemons:\n"
		     "  - names: a\n"
		     "    hosts: {x: y}\n",
		     "3:12: daemons[0].hosts: expected a name range such as \"node-[1-8]\" or a "
		     "list of them, got a mapping");
	/* missing host, missing ports */
	expect_error("daemons:\n"
		     "  - names: a\n"
		     "    endpoints:\n"
		     "      - names: a-ep\n"
		     "        ports: 1\n",
		     "2:5: daemons[0]: missing \"hosts\" (e.g. hosts: \"node-[1-8]\")");
	expect_error("daemons:\n"
		     "  - names: a\n"
		     "    hosts: h\n"
		     "    endpoints:\n"
		     "      - names: a-ep\n",
		     "5:9: daemons[0].endpoints[0]: missing \"ports\" (e.g. ports: 10001 or "
		     "ports: \"[10001-10008]\")");
	/* more hosts than daemons */
	expect_error("daemons:\n"
		     "  - names: a\n"
		     "    hosts: \"h[1-2]\"\n",
		     "3:12: daemons[0].hosts: gives 2 hosts for 1 daemons: give one host per "
		     "daemon, or a number of hosts that divides 1");
	/* a peer that is not a daemon */
	expect_error("daemons:\n"
		     "  - names: \"s-[1-2]\"\n"
		     "    hosts: h\n"
		     "    endpoints:\n"
		     "      - names: \"s-[1-2]-ep\"\n"
		     "        ports: \"[1-2]\"\n"
		     "  - names: agg\n"
		     "    hosts: h\n"
		     "    endpoints:\n"
		     "      - names: agg-ep\n"
		     "        ports: 3\n"
		     "aggregators:\n"
		     "  - daemons: agg\n"
		     "    peers:\n"
		     "      - daemons: s-3\n",
		     "15:18: aggregators[0].peers[0].daemons: \"s-3\" is not a daemon of this "
		     "file; did you mean \"s-1\"? (daemons are defined under daemons:)");
	/* duplicate daemon names */
	expect_error("daemons:\n"
		     "  - names: a\n"
		     "    hosts: h\n"
		     "    endpoints: [{names: a-ep, ports: 1}]\n"
		     "  - names: \"b,a\"\n"
		     "    hosts: h\n"
		     "    endpoints: [{names: \"e-[1-2]\", ports: 2}]\n",
		     "5:12: daemons[1].names: daemon \"a\" is defined twice (first at line 2): names "
		     "must be unique");
	/* a port that is not one */
	expect_error("daemons:\n"
		     "  - names: a\n"
		     "    hosts: h\n"
		     "    endpoints: [{names: a-ep, ports: 70000}]\n",
		     "4:38: daemons[0].endpoints[0].ports: \"70000\" is not a port (1 to 65535)");
	/* a YAML syntax error names its place too */
	write_yaml("daemons:\n  - names: a\n   hosts: h\n");
	struct vg_cluster *c = NULL;
	struct vg_err err;
	CU_ASSERT(vg_cluster_load(path, &c, &err) < 0);
	char prefix[200];
	snprintf(prefix, sizeof(prefix), "%s:3:", path);
	CU_ASSERT_EQUAL(strncmp(err.msg, prefix, strlen(prefix)), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "YAML syntax error"));
	/* an empty file */
	write_yaml("");
	CU_ASSERT_EQUAL(vg_cluster_load(path, &c, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "the file is empty"));
}

/* ---------------------------------------------------------------- balancer, this host */

static void test_balancer(void)
{
	struct vg_cluster *c = load(ONE_AGG);
	CU_ASSERT_FALSE(c->balancer.present);
	CU_ASSERT_EQUAL(c->balancer.heartbeat_us, 500000);
	CU_ASSERT_EQUAL(c->balancer.misses, 2);
	CU_ASSERT_EQUAL(c->balancer.stuck_us, 3000000);
	CU_ASSERT_DOUBLE_EQUAL(c->balancer.threshold, 1.25, 1e-9);
	CU_ASSERT_EQUAL(c->balancer.lease_us, 2000000);
	CU_ASSERT_PTR_NULL(c->balancer.etcd);
	vg_cluster_free(c);
	c = load(ONE_AGG "balancer:\n"
			 "  heartbeat: 250ms\n"
			 "  misses: 3\n"
			 "  stuck: 2s\n"
			 "  threshold: 1.5\n"
			 "  state_file: /tmp/bal.state\n"
			 "  etcd: 127.0.0.1:2379\n"
			 "  lease: 4s\n"
			 "  auth: {plugin: munge, conf: {socket: /run/m.sock}}\n");
	const struct vg_cluster_balancer *b = &c->balancer;
	CU_ASSERT(b->present);
	CU_ASSERT_EQUAL(b->heartbeat_us, 250000);
	CU_ASSERT_EQUAL(b->misses, 3);
	CU_ASSERT_EQUAL(b->stuck_us, 2000000);
	CU_ASSERT_DOUBLE_EQUAL(b->threshold, 1.5, 1e-9);
	CU_ASSERT_STRING_EQUAL(b->state_file, "/tmp/bal.state");
	CU_ASSERT_STRING_EQUAL(b->etcd, "127.0.0.1:2379");
	CU_ASSERT_EQUAL(b->lease_us, 4000000);
	CU_ASSERT_STRING_EQUAL(b->auth_plugin, "munge");
	CU_ASSERT_EQUAL(b->nauth_conf, 1);
	CU_ASSERT_STRING_EQUAL(b->auth_conf[0].key, "socket");
	vg_cluster_free(c);
	expect_error(ONE_AGG "balancer:\n"
			     "  misses: 0\n",
		     "8:11: balancer.misses: \"0\" is not a number of at least 1");
	expect_error(ONE_AGG "balancer:\n"
			     "  etcd: nohost\n",
		     "8:9: balancer.etcd: \"nohost\" is not host:port (e.g. 127.0.0.1:2379)");
	expect_error(ONE_AGG "balancer:\n"
			     "  heartbeat: soon\n",
		     "8:14: balancer.heartbeat: \"soon\" is not a duration (use 500ms, 1s, 1.5s)");
}

static void test_default_daemon(void)
{
	struct vg_cluster *c = load("daemons:\n"
				    "  - names: here\n"
				    "    hosts: localhost\n"
				    "    endpoints: [{names: here-ep, ports: 1}]\n"
				    "  - names: there\n"
				    "    hosts: no-such-host.invalid\n"
				    "    endpoints: [{names: there-ep, ports: 1}]\n");
	const char *name = NULL;
	struct vg_err err;
	CU_ASSERT_EQUAL(vg_cluster_default_daemon(c, &name, &err), 0);
	CU_ASSERT_STRING_EQUAL(name, "here");
	CU_ASSERT(vg_cluster_host_is_local("127.0.0.1"));
	CU_ASSERT_FALSE(vg_cluster_host_is_local("no-such-host.invalid"));
	vg_cluster_free(c);
	c = load("daemons:\n"
		 "  - names: \"x-[1-2]\"\n"
		 "    hosts: localhost\n"
		 "    endpoints: [{names: \"x-[1-2]-ep\", ports: \"[1-2]\"}]\n");
	CU_ASSERT_EQUAL(vg_cluster_default_daemon(c, &name, &err), -EEXIST);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "x-1, x-2"));
	vg_cluster_free(c);
	c = load("daemons:\n"
		 "  - names: there\n"
		 "    hosts: no-such-host.invalid\n"
		 "    endpoints: [{names: there-ep, ports: 1}]\n");
	CU_ASSERT_EQUAL(vg_cluster_default_daemon(c, &name, &err), -ENOENT);
	vg_cluster_free(c);
}

/* The example installed with vigil passes its own check. */
static void test_example_file(void)
{
	const char *srcdir = getenv("top_srcdir");
	char example[4096];
	snprintf(example, sizeof(example), "%s/ldms-conf/examples/cluster.yaml",
		 srcdir ? srcdir : ".");
	struct vg_cluster *c = NULL;
	struct vg_err err;
	int rc = vg_cluster_load(example, &c, &err);
	if (rc)
		fprintf(stderr, "\n%s\n", err.msg);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	CU_ASSERT_EQUAL(c->ndaemons, 5);
	CU_ASSERT_EQUAL(c->ngroups, 2);
	CU_ASSERT(c->groups[0].balanced);
	CU_ASSERT(c->balancer.present);
	for (size_t i = 0; i < c->ndaemons; i++)
		free(gen(c, c->daemons[i].name));
	vg_cluster_free(c);
}

static const struct cu_test tests[] = {
	{"ranges expand in order, padded, as products and lists", test_ranges},
	{"bad ranges are refused with the reason", test_bad_ranges},
	{"durations in us, updater modes mapped (pull is plain pull)", test_durations_and_modes},
	{"8 producers over 3 aggregators split 3, 3, 2", test_block_split},
	{"balanced groups: every producer everywhere, others standby", test_balanced},
	{"anchors, aliases and merge keys", test_anchors_and_aliases},
	{"${VAR} in values; plugin config kept for the daemon", test_env_vars},
	{"stores as a mapping and as a list", test_stores_map_and_list},
	{"exact config lines of a small file", test_exact_generation},
	{"advertise and prdcr_listen", test_advertise_and_listen},
	{"each error class with file:line:col and key path", test_error_classes},
	{"balancer keys and defaults", test_balancer},
	{"the default daemon of this host", test_default_daemon},
	{"the example file checks", test_example_file},
	{NULL, NULL},
};

CU_MAIN("cluster", tests)
