/*
 * balancer.h - the balancer's state, shared by its decision loop
 * (balancer.c), its persistence (bal_state.c: state file, status file,
 * etcd) and its command line (bal_main.c).
 *
 * One struct bal_group per balanced `aggregators` entry of the cluster
 * file: its aggregators (a link each), its producers (a struct bal_item
 * each: weight and the aggregator that should update it), and the latest
 * view of every aggregator.  Only the main thread touches it.
 */
#ifndef VIGIL_BALANCER_H
#define VIGIL_BALANCER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "balancer/agg_link.h"
#include "balancer/assign.h"
#include "ldms-conf/cluster.h"

enum agg_health { AGG_UNKNOWN = 0, AGG_ALIVE, AGG_STUCK, AGG_DEAD };

struct bal_agg {
	struct agg_link link;
	enum agg_health health;
	const char *why;            /* of the latest change of health */
	uint64_t seen_seq;          /* link snapshot already taken */
	uint64_t since_us;          /* of the current health */
	bool updating;              /* some producer it updates advanced within `stuck` */
	bool stalled;               /* it updates connected producers, and none advanced */
	uint64_t stalled_since_us;
	enum agg_health shared;     /* health last written to etcd (members/NAME) */
};

/* What one aggregator said about one producer in its latest answered poll. */
struct bal_obs {
	bool known, connected, active;
	double load;
	int64_t age_ms;
	uint64_t interval_ms;
	uint64_t cmd_us;            /* when we last asked it to change this producer's mode */
	uint64_t unreachable_us;    /* since when its producer is not connected here (0: it is) */
};

struct bal_group {
	const struct vg_cluster_group *g;
	struct bal_agg *aggs;
	size_t naggs;
	struct bal_item *items;     /* by producer index of g */
	struct bal_bin *bins;
	struct bal_obs *obs;        /* [agg * nproducers + producer] */
	size_t nprods;
	size_t *sorted_index;
	bool assigned;              /* items[].agg is a decision (state, or computed) */
	bool membership_changed;
	uint64_t last_rebalance_us;
	uint64_t moves;             /* producers moved since start */
};

struct balancer {
	struct vg_cluster *cluster;
	struct bal_group *groups;
	size_t ngroups;
	uint64_t heartbeat_us;
	unsigned misses;
	uint64_t stuck_us;
	double threshold;
	char *state_path;
	char *status_path;
	char *etcd;                 /* host:port or NULL */
	uint64_t lease_us;
	uint64_t start_us;
	bool leader;                /* with etcd: this balancer decides */
	bool dirty;                 /* the assignment changed and is not saved yet */
	struct bal_etcd *etcd_state;
};

/* balancer.c */
int bal_init(struct balancer *b, struct vg_cluster *c, struct vg_err *err);
void bal_tick(struct balancer *b);
void bal_fini(struct balancer *b);
const char *bal_health_name(enum agg_health h);
/* Index of producer name in g, or -1. */
long bal_prod_index(const struct bal_group *g, const char *name);
size_t bal_agg_index_by_name(const struct bal_group *g, const char *name);

/* bal_state.c */
#define STATE_MAGIC "vigil-balancer-state 1"
/* Take an assignment in the state file's format (from the file or etcd). */
int bal_state_parse(struct balancer *b, const char *text, const char *source,
		    struct vg_err *err);
/* Load the assignment saved by an earlier run; 0 (also when there is none) or -errno. */
int bal_state_load(struct balancer *b, struct vg_err *err);
int bal_state_save(struct balancer *b, struct vg_err *err);
int bal_status_write(struct balancer *b, struct vg_err *err);
/* The text of the status file (shared with `ldms-balancer status`). */
void bal_status_text(struct balancer *b, struct vg_strbuf *out);

#endif /* VIGIL_BALANCER_H */
