/*
 * test_assign.c - the balancer's assignment functions (balancer/assign.h)
 * and its prdcr_load parser (balancer/agg_link.h).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "balancer/agg_link.h"
#include "balancer/assign.h"
#include "tests/unit/cu_main.h"

/* A deterministic pseudo-random sequence (no libc state, same on every run). */
static uint32_t lcg(uint32_t *s)
{
	*s = *s * 1664525u + 1013904223u;
	return *s >> 8;
}

static double max_over_bound(struct bal_item *items, size_t n, struct bal_bin *bins, size_t m)
{
	bal_loads(items, n, bins, m);
	return bal_max_load(bins, m) / bal_lower_bound(items, n, bins, m);
}

static void test_lower_bound(void)
{
	struct bal_item items[] = {{10, -1}, {2, -1}, {2, -1}};
	struct bal_bin bins[3] = {{true, 0, 0}, {true, 0, 0}, {false, 0, 0}};
	/* heaviest item dominates the average (14 / 2 = 7) */
	CU_ASSERT_DOUBLE_EQUAL(bal_lower_bound(items, 3, bins, 3), 10, 1e-9);
	items[0].weight = 4; /* now the average: 8 / 2 */
	CU_ASSERT_DOUBLE_EQUAL(bal_lower_bound(items, 3, bins, 3), 4, 1e-9);
	bins[0].alive = bins[1].alive = false;
	CU_ASSERT_DOUBLE_EQUAL(bal_lower_bound(items, 3, bins, 3), 0, 1e-9);
	CU_ASSERT_EQUAL(bal_assign_all(items, 3, bins, 3), -1);
	CU_ASSERT_EQUAL(bal_place_orphans(items, 3, bins, 3), -1);
}

/* 30 producers of unequal weight over 3 aggregators: within 10 % of the bound (the test). */
static void test_assign_all_quality(void)
{
	uint32_t seed = 7;
	for (int trial = 0; trial < 50; trial++) {
		struct bal_item items[30];
		struct bal_bin bins[3] = {{true, 0, 0}, {true, 0, 0}, {true, 0, 0}};
		for (size_t i = 0; i < 30; i++)
			items[i] = (struct bal_item){(double)(400 + lcg(&seed) % 9600), -1};
		long changed = bal_assign_all(items, 30, bins, 3);
		CU_ASSERT_EQUAL(changed, 30);
		for (size_t i = 0; i < 30; i++)
			CU_ASSERT(items[i].agg >= 0 && items[i].agg < 3);
		CU_ASSERT(max_over_bound(items, 30, bins, 3) <= 1.10);
	}
}

/* Only the dead aggregator's producers move, to the least loaded survivors. */
static void test_orphans_only(void)
{
	struct bal_item items[9];
	struct bal_bin bins[3] = {{true, 0, 0}, {true, 0, 0}, {true, 0, 0}};
	for (size_t i = 0; i < 9; i++)
		items[i] = (struct bal_item){(double)(i + 1), (int)(i % 3)};
	bins[1].alive = false;
	int before[9];
	for (size_t i = 0; i < 9; i++)
		before[i] = items[i].agg;
	long moved = bal_place_orphans(items, 9, bins, 3);
	CU_ASSERT_EQUAL(moved, 3);
	for (size_t i = 0; i < 9; i++) {
		if (before[i] == 1) {
			CU_ASSERT(items[i].agg == 0 || items[i].agg == 2);
		} else {
			CU_ASSERT_EQUAL(items[i].agg, before[i]);
		}
	}
	/* loads: 0 had 1+4+7=12, 2 had 3+6+9=18; orphans 8,5,2 heaviest first: 8->0 (20), 5->2 (23), 2->0 (22) */
	CU_ASSERT_DOUBLE_EQUAL(bins[0].load, 22, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(bins[2].load, 23, 1e-9);
	/* nothing to place: nothing moves */
	CU_ASSERT_EQUAL(bal_place_orphans(items, 9, bins, 3), 0);
}

/* Hysteresis: below the threshold nothing moves; above it, moves until balanced. */
static void test_rebalance_threshold(void)
{
	struct bal_item items[8];
	struct bal_bin bins[2] = {{true, 0, 0}, {true, 0, 0}};
	for (size_t i = 0; i < 8; i++)
		items[i] = (struct bal_item){10, i < 5 ? 0 : 1}; /* 50 vs 30: bound 40, ratio 1.25 */
	CU_ASSERT_EQUAL(bal_rebalance(items, 8, bins, 2, 1.3, 100), 0);
	CU_ASSERT_EQUAL(items[0].agg, 0);
	CU_ASSERT_EQUAL(bal_rebalance(items, 8, bins, 2, 1.2, 100), 1);
	bal_loads(items, 8, bins, 2);
	CU_ASSERT_DOUBLE_EQUAL(bins[0].load, 40, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(bins[1].load, 40, 1e-9);
	/* an aggregator returns empty: work comes back to it, at most max_moves at a time */
	for (size_t i = 0; i < 8; i++)
		items[i].agg = 0;
	struct bal_bin three[3] = {{true, 0, 0}, {true, 0, 0}, {false, 0, 0}};
	three[1].alive = true;
	CU_ASSERT_EQUAL(bal_rebalance(items, 8, three, 3, 1.25, 2), 2);
	CU_ASSERT_EQUAL(bal_rebalance(items, 8, three, 3, 1.25, 100), 2);
	bal_loads(items, 8, three, 3);
	CU_ASSERT_DOUBLE_EQUAL(three[0].load, 40, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(three[1].load, 40, 1e-9);
}

/* A swap fixes what no single move can: {6,4} vs {5,3} -> 10 vs 8, best 9 vs 9. */
static void test_swap(void)
{
	struct bal_item items[] = {{6, 0}, {4, 0}, {5, 1}, {3, 1}};
	struct bal_bin bins[2] = {{true, 0, 0}, {true, 0, 0}};
	CU_ASSERT_EQUAL(bal_rebalance(items, 4, bins, 2, 1.0, 10), 2);
	bal_loads(items, 4, bins, 2);
	CU_ASSERT_DOUBLE_EQUAL(bins[0].load, 9, 1e-9);
	CU_ASSERT_DOUBLE_EQUAL(bins[1].load, 9, 1e-9);
}

/* Producers of unknown weight (0, before their sets are looked up) spread by count. */
static void test_zero_weights_spread(void)
{
	struct bal_item items[6];
	struct bal_bin bins[3] = {{true, 0, 0}, {true, 0, 0}, {true, 0, 0}};
	for (size_t i = 0; i < 6; i++)
		items[i] = (struct bal_item){0, -1};
	CU_ASSERT_EQUAL(bal_place_orphans(items, 6, bins, 3), 6);
	CU_ASSERT_EQUAL(bins[0].count, 2);
	CU_ASSERT_EQUAL(bins[1].count, 2);
	CU_ASSERT_EQUAL(bins[2].count, 2);
}

/* Large: 10,000 producers over 100 aggregators, close to the bound. */
static void test_large(void)
{
	size_t n = 10000, m = 100;
	struct bal_item *items = calloc(n, sizeof(*items));
	struct bal_bin *bins = calloc(m, sizeof(*bins));
	CU_ASSERT_FATAL(items && bins);
	uint32_t seed = 11;
	for (size_t i = 0; i < n; i++)
		items[i] = (struct bal_item){(double)(100 + lcg(&seed) % 100000), -1};
	for (size_t b = 0; b < m; b++)
		bins[b].alive = true;
	CU_ASSERT_EQUAL(bal_assign_all(items, n, bins, m), (long)n);
	CU_ASSERT(max_over_bound(items, n, bins, m) <= 1.01);
	free(items);
	free(bins);
}

static void test_parse_load(void)
{
	struct link_prdcr rows[4];
	const char *text =
		"Name             State        Mode     Sets    Load(B/s)    Updates  LastUpd(ms) Interval(ms)\n"
		"node-1           CONNECTED    active      2          800         17           12         1000\n"
		"node-2           DISCONNECTED standby     0            0          0            -            0\n";
	CU_ASSERT_EQUAL(link_parse_load(text, rows, 4), 2);
	CU_ASSERT_STRING_EQUAL(rows[0].name, "node-1");
	CU_ASSERT(rows[0].connected && !rows[0].standby);
	CU_ASSERT_EQUAL(rows[0].sets, 2);
	CU_ASSERT_DOUBLE_EQUAL(rows[0].load, 800, 1e-9);
	CU_ASSERT_EQUAL(rows[0].updates, 17);
	CU_ASSERT_EQUAL(rows[0].age_ms, 12);
	CU_ASSERT_EQUAL(rows[0].interval_ms, 1000);
	CU_ASSERT(!rows[1].connected && rows[1].standby);
	CU_ASSERT_EQUAL(rows[1].age_ms, -1);
	/* more rows than room, a short row, no header: errors */
	CU_ASSERT_EQUAL(link_parse_load(text, rows, 1), -EPROTO);
	CU_ASSERT_EQUAL(link_parse_load("Name x\nnode-1 CONNECTED\n", rows, 4), -EPROTO);
	CU_ASSERT_EQUAL(link_parse_load("garbage\n", rows, 4), -EPROTO);
	CU_ASSERT_EQUAL(link_parse_load("Name only a header\n", rows, 4), 0);
}

static const struct cu_test tests[] = {
	{"lower bound", test_lower_bound},
	{"assign all: 30 unequal producers within 10 % of the bound", test_assign_all_quality},
	{"failover moves only the dead aggregator's producers", test_orphans_only},
	{"rebalance has hysteresis", test_rebalance_threshold},
	{"swap", test_swap},
	{"unknown weights spread by count", test_zero_weights_spread},
	{"10,000 producers over 100 aggregators", test_large},
	{"prdcr_load parser", test_parse_load},
	{NULL, NULL},
};

CU_MAIN("assign", tests)
