/*
 * assign.c - assignment of producers (items) to aggregators (bins).
 *
 * LPT (heaviest item to the lightest bin) is within 4/3 of the optimum and
 * usually far closer; a local search then moves or swaps single items off
 * the heaviest bin while that lowers it, which closes most of the rest on
 * the unequal weights of real clusters.  Moves are what failover and
 * rebalancing pay for, so every function changes as few items as it can.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "balancer/assign.h"

void bal_loads(const struct bal_item *items, size_t n, struct bal_bin *bins, size_t m)
{
	for (size_t b = 0; b < m; b++) {
		bins[b].load = 0;
		bins[b].count = 0;
	}
	for (size_t i = 0; i < n; i++) {
		int a = items[i].agg;
		if (a >= 0 && (size_t)a < m && bins[a].alive) {
			bins[a].load += items[i].weight;
			bins[a].count++;
		}
	}
}

double bal_lower_bound(const struct bal_item *items, size_t n, const struct bal_bin *bins,
		       size_t m)
{
	size_t live = 0;
	for (size_t b = 0; b < m; b++)
		live += bins[b].alive;
	if (!live)
		return 0;
	double total = 0, heaviest = 0;
	for (size_t i = 0; i < n; i++) {
		total += items[i].weight;
		if (items[i].weight > heaviest)
			heaviest = items[i].weight;
	}
	double avg = total / (double)live;
	return heaviest > avg ? heaviest : avg;
}

double bal_max_load(const struct bal_bin *bins, size_t m)
{
	double max = 0;
	for (size_t b = 0; b < m; b++)
		if (bins[b].alive && bins[b].load > max)
			max = bins[b].load;
	return max;
}

static int lightest(const struct bal_bin *bins, size_t m)
{
	int best = -1;
	for (size_t b = 0; b < m; b++)
		if (bins[b].alive &&
		    (best < 0 || bins[b].load < bins[best].load ||
		     (bins[b].load == bins[best].load && bins[b].count < bins[best].count)))
			best = (int)b;
	return best;
}

static int heaviest(const struct bal_bin *bins, size_t m)
{
	int best = -1;
	for (size_t b = 0; b < m; b++)
		if (bins[b].alive && (best < 0 || bins[b].load > bins[best].load))
			best = (int)b;
	return best;
}

/* Sort order: heaviest first (qsort_r is not C11: the weights travel with the index). */
struct by_weight {
	double w;
	size_t i;
};

static int cmp_weight_desc(const void *a, const void *b)
{
	const struct by_weight *x = a, *y = b;
	if (x->w != y->w)
		return x->w < y->w ? 1 : -1;
	return (x->i > y->i) - (x->i < y->i); /* stable: equal weights keep their order */
}

/* Place the chosen items (all if !only_orphans) heaviest first on the lightest live bins. */
static long place(struct bal_item *items, size_t n, struct bal_bin *bins, size_t m,
		  bool only_orphans)
{
	struct by_weight *order = malloc((n ? n : 1) * sizeof(*order));
	if (!order)
		return -1;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		int a = items[i].agg;
		bool orphan = a < 0 || (size_t)a >= m || !bins[a].alive;
		if (!only_orphans || orphan)
			order[k++] = (struct by_weight){items[i].weight, i};
	}
	qsort(order, k, sizeof(*order), cmp_weight_desc);
	if (only_orphans) {
		bal_loads(items, n, bins, m);
	} else {
		for (size_t b = 0; b < m; b++) {
			bins[b].load = 0;
			bins[b].count = 0;
		}
	}
	long moved = 0;
	for (size_t j = 0; j < k; j++) {
		struct bal_item *it = &items[order[j].i];
		int b = lightest(bins, m);
		moved += it->agg != b;
		it->agg = b;
		bins[b].load += it->weight;
		bins[b].count++;
	}
	free(order);
	return moved;
}

/*
 * One improving step off the heaviest bin: the single move or the swap with
 * the lightest bin that lowers the larger of the two loads most.  Returns the
 * number of items that changed bin (0: none improves).
 */
static int improve_once(struct bal_item *items, size_t n, struct bal_bin *bins, size_t m,
			size_t *on_h, size_t *on_l)
{
	int h = heaviest(bins, m), l = lightest(bins, m);
	if (h < 0 || h == l)
		return 0;
	size_t nh = 0, nl = 0;
	for (size_t i = 0; i < n; i++) {
		if (items[i].agg == h)
			on_h[nh++] = i;
		else if (items[i].agg == l)
			on_l[nl++] = i;
	}
	double H = bins[h].load, L = bins[l].load, gap = H - L;
	size_t best_i = SIZE_MAX, best_j = SIZE_MAX;
	double best_peak = H;
	for (size_t a = 0; a < nh; a++) {
		double w = items[on_h[a]].weight;
		/* a move: best with a weight close to gap / 2, strictly below gap */
		if (w > 0 && w < gap) {
			double peak = H - w > L + w ? H - w : L + w;
			if (peak < best_peak - 1e-9) {
				best_peak = peak;
				best_i = on_h[a];
				best_j = SIZE_MAX;
			}
		}
		/* a swap: this item for a lighter one of the lightest bin */
		for (size_t b = 0; b < nl; b++) {
			double d = w - items[on_l[b]].weight;
			if (d <= 0 || d >= gap)
				continue;
			double peak = H - d > L + d ? H - d : L + d;
			if (peak < best_peak - 1e-9) {
				best_peak = peak;
				best_i = on_h[a];
				best_j = on_l[b];
			}
		}
	}
	if (best_i == SIZE_MAX)
		return 0;
	items[best_i].agg = l;
	bins[h].load -= items[best_i].weight;
	bins[l].load += items[best_i].weight;
	if (best_j == SIZE_MAX) {
		bins[h].count--;
		bins[l].count++;
		return 1;
	}
	items[best_j].agg = h;
	bins[l].load -= items[best_j].weight;
	bins[h].load += items[best_j].weight;
	return 2;
}

/* Improving steps until none helps or max_moves items moved. */
static long improve(struct bal_item *items, size_t n, struct bal_bin *bins, size_t m,
		    size_t max_moves)
{
	size_t *scratch = malloc((n ? n : 1) * 2 * sizeof(*scratch));
	if (!scratch)
		return 0; /* the assignment stays valid, only less even */
	long moved = 0;
	while ((size_t)moved < max_moves) {
		int k = improve_once(items, n, bins, m, scratch, scratch + n);
		if (!k)
			break;
		moved += k;
	}
	free(scratch);
	return moved;
}

long bal_assign_all(struct bal_item *items, size_t n, struct bal_bin *bins, size_t m)
{
	if (lightest(bins, m) < 0)
		return -1;
	int *before = malloc((n ? n : 1) * sizeof(*before));
	if (!before)
		return -1;
	for (size_t i = 0; i < n; i++)
		before[i] = items[i].agg;
	if (place(items, n, bins, m, false) < 0) {
		free(before);
		return -1;
	}
	improve(items, n, bins, m, 2 * n);
	long changed = 0;
	for (size_t i = 0; i < n; i++)
		changed += items[i].agg != before[i];
	free(before);
	return changed;
}

long bal_place_orphans(struct bal_item *items, size_t n, struct bal_bin *bins, size_t m)
{
	if (lightest(bins, m) < 0)
		return -1;
	return place(items, n, bins, m, true);
}

long bal_rebalance(struct bal_item *items, size_t n, struct bal_bin *bins, size_t m,
		   double threshold, size_t max_moves)
{
	if (lightest(bins, m) < 0)
		return -1;
	bal_loads(items, n, bins, m);
	double lb = bal_lower_bound(items, n, bins, m);
	if (lb <= 0 || bal_max_load(bins, m) <= threshold * lb)
		return 0;
	return improve(items, n, bins, m, max_moves);
}
