/*
 * updtr.h - updaters: which producers' sets an aggregator refreshes, and
 * when.
 *
 * An updater fires on the wall clock at times T with T % interval == offset
 * (vg_timer_start_aligned), so an aggregator configured with the samplers'
 * interval and a small positive offset reads just after every node sampled,
 * and tiers stay in phase across nodes.  At each tick it reads the data part
 * of every ready set of every connected producer it matches (updtr_prdcr_add
 * regexes on producer names; updtr_match_add regexes on instance or schema
 * names, all sets if none), and looks up the sets not looked up yet.
 *
 * push=onchange|true: no reads; the producer sends the data part when its
 * transaction ends.  auto_interval=true: each set is read on the schedule
 * its sampler advertises (set info updt_hint_us), shifted by the offset.
 *
 * Threads: the daemon's loop thread.
 */
#ifndef VIGIL_UPDTR_H
#define VIGIL_UPDTR_H

#include <stdbool.h>
#include <stdint.h>

#include "core/loop.h"
#include "daemon/match.h"

struct ldmsd;
struct prdcr_set;
struct ldmsd_prdcr;

enum updtr_push { UPDTR_PULL = 0, UPDTR_PUSH_ONCHANGE, UPDTR_PUSH_ALWAYS };

#define UPDTR_MATCH_INST 1u
#define UPDTR_MATCH_SCHEMA 2u
#define UPDTR_MATCH_PRDCR 3u

struct ldmsd_updtr {
	struct ldmsd *d;
	char *name;
	uint64_t interval_us;
	int64_t offset_us;
	enum updtr_push push;
	bool auto_interval;
	bool running;
	struct vg_timer timer;
	struct match_list match; /* UPDTR_MATCH_PRDCR, _INST, _SCHEMA items */
	bool hinted;             /* auto_interval: this tick already followed a hint */
	uint64_t ticks;
	uint64_t tick_ns_total;  /* CPU-ish cost of ticks, for updtr_status */
};

/*
 * Does a running updater want this set?  *push tells whether one of them is
 * a push updater.  Producers call it when a set is listed or looked up.
 */
bool updtr_wants(struct ldmsd *d, const struct prdcr_set *ps, bool *push);

/*
 * How often the running updaters that want ps refresh it: the shortest
 * interval among them in µs (a push updater: the sampler's advertised
 * interval), or 0 if none does.  set_stats's rate of a mirror not updated
 * twice yet.
 */
uint64_t updtr_interval_for(struct ldmsd *d, const struct prdcr_set *ps);

/* The sampling interval the set's sampler advertises (µs), 0 if none. */
uint64_t updtr_sample_interval(const struct prdcr_set *ps);

/* Stop and free every updater. */
void updtr_free_all(struct ldmsd *d);

#endif /* VIGIL_UPDTR_H */
