/*
 * assign.h - which aggregator of a group updates which producer.
 *
 * Pure functions over arrays (no I/O, no clock), so that the balancer's
 * decisions are unit-tested and timed on their own.  A producer's weight is
 * the load it puts on an aggregator: data bytes x updates per second of its
 * sets (prdcr_load).  The quality measure is the heaviest aggregator's load
 * against the lower bound of any assignment, max(heaviest producer,
 * total / live aggregators).
 */
#ifndef VIGIL_ASSIGN_H
#define VIGIL_ASSIGN_H

#include <stdbool.h>
#include <stddef.h>

struct bal_item {
	double weight;
	int agg;          /* index of the aggregator updating it; -1: none */
};

struct bal_bin {
	bool alive;
	double load;      /* computed by bal_loads() */
	size_t count;     /* items on it, likewise: ties of load go to the bin with fewer */
};

/* Recompute every live bin's load from the items assigned to it. */
void bal_loads(const struct bal_item *items, size_t n, struct bal_bin *bins, size_t m);
/* max(heaviest item, total / live bins); 0 without live bins. */
double bal_lower_bound(const struct bal_item *items, size_t n, const struct bal_bin *bins,
		       size_t m);
/* The heaviest live bin's load. */
double bal_max_load(const struct bal_bin *bins, size_t m);

/*
 * A whole new assignment: longest processing time first, then moves from the
 * heaviest bin while they lower it.  O(n log n + n m).  Returns the number of
 * items whose bin changed.  -1 without live bins.
 */
long bal_assign_all(struct bal_item *items, size_t n, struct bal_bin *bins, size_t m);

/*
 * Items on dead bins (or on none) go to the least loaded live bins, heaviest
 * first; no other item moves.  Returns how many moved; -1 without live bins.
 */
long bal_place_orphans(struct bal_item *items, size_t n, struct bal_bin *bins, size_t m);

/*
 * When the heaviest bin exceeds threshold x the lower bound, move single
 * items from the heaviest to the lightest bin while that lowers the
 * heaviest, at most max_moves of them (hysteresis: nothing moves below the
 * threshold, so a returning aggregator does not make loads flap).
 */
long bal_rebalance(struct bal_item *items, size_t n, struct bal_bin *bins, size_t m,
		   double threshold, size_t max_moves);

#endif /* VIGIL_ASSIGN_H */
