/*
 * bench/assign.c - the balancer's assignment computation: 10,000 producers
 * over 100 aggregators (weights spread over three orders of magnitude, as
 * set sizes x rates are): full assignment, failover of one aggregator,
 * rebalance when it returns.  Prints times and the heaviest load against
 * the lower bound.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "balancer/assign.h"

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double ratio(struct bal_item *it, size_t n, struct bal_bin *b, size_t m)
{
	bal_loads(it, n, b, m);
	return bal_max_load(b, m) / bal_lower_bound(it, n, b, m);
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000;
	size_t m = argc > 2 ? strtoul(argv[2], NULL, 10) : 100;
	struct bal_item *it = calloc(n, sizeof(*it));
	struct bal_bin *b = calloc(m, sizeof(*b));
	if (!it || !b)
		return 1;
	uint32_t s = 1;
	for (size_t i = 0; i < n; i++) {
		s = s * 1664525u + 1013904223u;
		/* 400 B .. 400 kB per second: small and big sets, 1 s and 100 ms intervals */
		it[i] = (struct bal_item){400.0 * (1 + (s >> 8) % 1000), -1};
	}
	for (size_t a = 0; a < m; a++)
		b[a].alive = true;
	double t0 = now_ms();
	long changed = bal_assign_all(it, n, b, m);
	double t1 = now_ms();
	printf("assign %zu producers over %zu aggregators: %.2f ms, %ld placed, heaviest/bound %.4f\n",
	       n, m, t1 - t0, changed, ratio(it, n, b, m));
	b[m / 2].alive = false;
	t0 = now_ms();
	long moved = bal_place_orphans(it, n, b, m);
	t1 = now_ms();
	printf("failover of one aggregator: %.3f ms, %ld producers moved, heaviest/bound %.4f\n",
	       t1 - t0, moved, ratio(it, n, b, m));
	b[m / 2].alive = true;
	t0 = now_ms();
	moved = bal_rebalance(it, n, b, m, 1.25, n);
	t1 = now_ms();
	printf("it returns (threshold 1.25): %.3f ms, %ld producers moved back, heaviest/bound %.4f\n",
	       t1 - t0, moved, ratio(it, n, b, m));
	t0 = now_ms();
	moved = bal_rebalance(it, n, b, m, 1.0, n);
	t1 = now_ms();
	printf("full rebalance (threshold 1.0): %.3f ms, %ld producers moved, heaviest/bound %.4f\n",
	       t1 - t0, moved, ratio(it, n, b, m));
	free(it);
	free(b);
	return 0;
}
