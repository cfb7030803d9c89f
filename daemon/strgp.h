/*
 * strgp.h - storage policies: which sets go to which store plugin.
 *
 * A policy names a loaded store plugin instance, a container and a schema;
 * optional regexes choose producers (all if none) and metric names choose
 * columns (all, in set order, if none).  Every update a producer delivers
 * (a consistent sample not delivered before) is handed to each running
 * policy whose schema it has.
 *
 * The store's handle is opened with the layout of the first set seen.  When
 * a producer's set is replaced with a different column layout (its schema
 * changed), the handle is closed and reopened with the new layout (store_csv
 * then starts a new file); sets that still have the old layout are skipped
 * with one warning.  Open and write failures are logged (rate-limited) with
 * the store's message and retried at the next update; other policies carry
 * on.
 *
 * Threads: the daemon's loop thread.
 */
#ifndef VIGIL_STRGP_H
#define VIGIL_STRGP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/log.h"
#include "core/loop.h"
#include "daemon/match.h"

struct ldmsd;
struct prdcr_set;
struct vg_plugin;

struct ldmsd_strgp {
	struct ldmsd *d;
	char *name;
	char *plugin_name;
	char *container;
	char *schema;
	uint64_t flush_us;
	bool running;
	struct match_list prdcrs;  /* producer name regexes; empty: all */
	char **metrics;            /* chosen metric names; none: all */
	size_t nmetrics;

	struct vg_plugin *plugin;  /* resolved at start */
	void *handle;              /* the store's, NULL until the first update */
	uint64_t layout_seq;       /* layout the handle was opened with */
	uint64_t columns_hash;
	char **columns;            /* names of the handle's columns, for strgp_status */
	size_t ncolumns;
	struct vg_timer flush_timer;

	uint64_t stored, store_errors, skipped_layout;
	struct vg_complaint complaint;
};

/* Hand one new update of ps to every running policy that wants it. */
void strgp_deliver(struct ldmsd *d, struct prdcr_set *ps);

/* Stop (closing handles) and free every policy. */
void strgp_free_all(struct ldmsd *d);

/* A store plugin instance is being unloaded: refuse if a policy uses it. */
bool strgp_uses_plugin(struct ldmsd *d, const struct vg_plugin *p, const char **strgp_name);

#endif /* VIGIL_STRGP_H */
