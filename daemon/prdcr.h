/*
 * prdcr.h - producers: the daemons an aggregator pulls sets from.
 *
 * A producer is a connection to another ldmsd (a sampler or a lower-tier
 * aggregator), kept up by itself: a producer that was never reachable,
 * whose host does not resolve, or that disconnects is retried every
 * `reconnect` interval, forever, with one log line per change of condition
 * (repeats are counted, not logged).
 *
 * Once connected it lists the peer's directory and follows its changes
 * (DIR_NOTIFY).  Each listed set is a struct prdcr_set; it is looked up when
 * an updater wants it, which creates a mirror in this daemon's set memory and
 * publishes it in this daemon's directory, so that the next tier pulls it
 * from here exactly as we pull it from the producer.
 *
 * When the connection drops, the mirrors stay published, marked stale
 * (ldms_ls -v, prdcr_status); after the reconnect each is looked up again and
 * kept if its meta part is unchanged, or replaced (a new schema: stores then
 * start a new file) if not.
 *
 * Updates: updaters call prdcr_set_update() (a one-sided read of the data
 * part into the mirror's staging buffer) or subscribe the set to pushes.
 * Every update whose data generation or timestamp differs from the last one
 * delivered goes to the storage policies (strgp_deliver) and to this
 * daemon's own push subscribers: a store never sees the same sample twice,
 * even across reconnects of either tier.
 *
 * Threads: the daemon's loop thread.
 */
#ifndef VIGIL_PRDCR_H
#define VIGIL_PRDCR_H

#include <stdbool.h>
#include <stdint.h>

#include "core/loop.h"
#include "core/proto.h"
#include "core/set.h"
#include "core/util.h"
#include "core/wire.h"
#include "xprt/xprt.h"

struct json;
struct ldmsd;
struct ldmsd_prdcr;

enum prdcr_state {
	PRDCR_STOPPED = 0,
	PRDCR_DISCONNECTED, /* waiting for the next reconnect attempt */
	PRDCR_CONNECTING,
	PRDCR_CONNECTED,
	PRDCR_STOPPING,     /* closing; STOPPED when the transport says it is closed */
};

enum pset_state {
	PSET_LISTED = 0,    /* in the producer's directory, not looked up (or to look up again) */
	PSET_LOOKUP,        /* lookup outstanding */
	PSET_READY,         /* mirror valid: updates possible */
	PSET_ERROR,         /* lookup failed (logged); retried at the next updater tick */
};

struct prdcr_set {
	struct ldmsd_prdcr *prdcr;
	uint32_t slot;                    /* index in prdcr->sets; part of request ids */
	uint32_t req_gen;                 /* of the latest request (0: none): stale replies are ignored */
	uint32_t name_hash;               /* of instance, for prdcr->index */
	char instance[VG_NAME_MAX + 1];
	char schema[VG_NAME_MAX + 1];
	enum pset_state state;
	bool listed;                      /* in the producer's latest directory */
	bool reading;                     /* a one-sided read is outstanding */
	bool deleted;                     /* gone from the producer; freed when the read is done */
	bool lookup_push;                 /* the outstanding lookup also subscribes to pushes */
	bool shadow;                      /* another producer owns this set's mirror (prdcr_move.c) */
	bool published;                   /* the mirror is the one in this daemon's directory */
	bool after_move;                  /* came from another producer: skip samples not newer */
	uint8_t retries;                  /* immediate re-reads of a torn copy */
	struct vg_set *mirror;            /* published here once looked up; kept while stale */
	struct vg_rkey rkey;
	uint64_t data_offset;
	uint64_t lookup_req_id;
	uint64_t push_req_id;             /* non-zero: the producer pushes this set to us */
	uint64_t layout_seq;              /* changes when the columns (names, types) change */
	uint64_t columns_hash;

	/* the last update delivered to stores: never deliver it twice */
	uint64_t last_gn;
	struct vg_timestamp last_ts;

	/* statistics (set_stats, prdcr_status) */
	uint64_t updates;                 /* new samples received */
	uint64_t reads;
	uint64_t skipped;                 /* tick while the previous read was outstanding */
	uint64_t torn;                    /* copies taken mid-transaction */
	uint64_t first_update_us, last_update_us;
};

struct ldmsd_prdcr {
	struct ldmsd *d;
	char *name;
	char *host;
	char *xprt;
	char *auth;
	uint16_t port;
	bool passive;
	bool standby;                     /* hot standby: sets looked up, not updated nor re-exported */
	uint64_t reconnect_us;
	enum prdcr_state state;

	struct vg_ep *ep;
	struct vg_timer reconnect_timer;
	struct vg_wbuf out;               /* requests are built here (no allocation per request) */
	bool dir_complete;                /* the first full DIR_REPLY has arrived */

	struct prdcr_set **sets;          /* by slot; NULL slots are free */
	uint32_t nslots, slots_cap;
	uint32_t nsets;
	uint32_t free_hint;               /* every slot below it is in use */
	uint32_t *index;                  /* instance name -> slot + 1 (hash, linear probing) */
	uint32_t index_cap;               /* a power of two, at least twice nsets */
	uint32_t req_seq;                 /* request generations: unique across slot reuse */

	/* one log line per condition, then counts */
	struct vg_complaint conn_complaint;
	struct vg_complaint set_complaint;
	uint64_t connect_attempts, connect_failures, disconnects;
	char last_error[160];
};

/* What prdcr_add (or an accepted advertisement) creates a producer from. */
struct prdcr_spec {
	const char *name, *host, *xprt;
	const char *auth;                 /* NULL: DEFAULT */
	uint16_t port;
	bool passive;
	bool standby;
	uint64_t reconnect_us;            /* 0: the default (20 s) */
};

struct vg_cmd_ctx;
struct vg_cmd_args;
/* reconnect= of a command if given (else *us unchanged); below 1ms is refused (a busy loop). */
int prdcr_reconnect_arg(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args, uint64_t *us);

/* Create a stopped producer; -EEXIST, -EINVAL (unknown xprt), -ENOENT (unknown auth). */
int prdcr_create(struct ldmsd *d, const struct prdcr_spec *spec, struct ldmsd_prdcr **out,
		 struct vg_err *err);

/* Start connecting (reconnect_us 0: keep the configured interval); -EBUSY if not stopped. */
int prdcr_start(struct ldmsd_prdcr *p, uint64_t reconnect_us);
/* Close the connection and drop its sets; STOPPED once the transport closed. -EALREADY. */
int prdcr_stop(struct ldmsd_prdcr *p);
/* Free a stopped producer. */
void prdcr_free(struct ldmsd_prdcr *p);

/*
 * Hot standby (the balancer's moves): a standby producer stays connected
 * and its sets looked up, but they are neither updated nor published to the
 * next tier; switching it active publishes the mirrors and updates them at
 * once, so a move costs no reconnect and no lookup.
 */
void prdcr_set_standby(struct ldmsd_prdcr *p, bool standby);

/* Find a producer by name, or NULL. */
struct ldmsd_prdcr *prdcr_find(struct ldmsd *d, const char *name);

/* Look the set up (again) now if the producer is connected and no lookup is outstanding. */
void prdcr_set_lookup(struct prdcr_set *ps);
/* Read the set's data part from the producer (pull); counts a skip if one is outstanding. */
void prdcr_set_update(struct prdcr_set *ps);
/* Ask the producer to push the set after every transaction (or stop: on = false). */
void prdcr_set_push(struct prdcr_set *ps, bool on);

const char *prdcr_state_name(enum prdcr_state st);
/* One producer line of LDMS's status tables (pad: the State column padded as prdcr_status does). */
void prdcr_status_line(const struct ldmsd_prdcr *p, struct vg_strbuf *out, bool pad);
const char *pset_state_name(const struct prdcr_set *ps);
/*
 * A producer as a JSON object of prdcr_status (ldmsctl(8) JSON OUTPUT);
 * without with_sets only its identity and state (updtr_status's list).
 */
void prdcr_json(const struct ldmsd_prdcr *p, struct json *j, bool with_sets);

/* Stop every producer and wait (bounded) for their connections to close; free them. */
void prdcr_shutdown_all(struct ldmsd *d);

#endif /* VIGIL_PRDCR_H */
