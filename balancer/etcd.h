/*
 * etcd.h - a small blocking etcd v3 client for the balancer's shared state:
 * the assignment, the membership and a leader lease, so that two balancers
 * run with one leader.
 *
 * It speaks etcd's gRPC-gateway JSON API (etcd >= 3.4: POST /v3/kv/...,
 * /v3/lease/...) over plain HTTP/1.1 on one kept-alive TCP connection; no
 * gRPC, TLS or authentication.  Keys are C strings; values are bytes.
 *
 *     struct vg_err err;
 *     struct vg_etcd *e = vg_etcd_open("127.0.0.1:2379", 1000, &err);
 *     int64_t lease;
 *     unsigned ttl;
 *     vg_etcd_lease_grant(e, 3, &lease, &ttl, &err);
 *     struct vg_etcd_term term;
 *     if (vg_etcd_campaign(e, "/vigil/leader", "bal-a", 5, lease, &term, &err) == 1)
 *         ... lead; every ttl/3 s: vg_etcd_lease_keepalive(e, lease, &ttl, &err)
 *     else
 *         ... follow term.holder; campaign again when the lease of the holder lapses
 *
 * Calls block for at most the timeout given to vg_etcd_open() (name
 * resolution aside), connecting first if needed.  A failed call closes the
 * connection and the next call opens a new one, so a restarted etcd is
 * picked up without the caller doing anything; an idle connection that etcd
 * closed is noticed before use.  A write whose reply was lost (etcd died
 * mid-call) is never resent, since it may have been applied: the caller gets
 * the error and decides (campaign is safe to repeat; a repeated cas_put whose
 * first try was applied gets -ESTALE, and a re-read shows the value).
 *
 * Every function returns 0 (or a count), or a negative errno with one
 * sentence in err that starts "etcd HOST:PORT: " and names the cause, e.g.
 * "etcd 127.0.0.1:2379: connection refused: is etcd running?".  Codes:
 *   -ECONNREFUSED, -EHOSTUNREACH  cannot connect
 *   -ETIMEDOUT                    no (complete) reply within the timeout
 *   -ECONNRESET                   the connection closed before the reply ended
 *   -EPROTO                       the reply is not etcd's HTTP/JSON
 *   -EMSGSIZE                     the reply exceeds the cap (vg_etcd_set_max_reply)
 *   -ENOENT                       no such key or lease (as documented per call)
 *   others                        etcd's own errors (gRPC code mapped: INVALID_ARGUMENT
 *                                 -EINVAL, RESOURCE_EXHAUSTED -ENOSPC, UNAVAILABLE
 *                                 -EAGAIN, PERMISSION_DENIED -EACCES, ...)
 *
 * Threads: a handle is used by one thread at a time (it owns one connection
 * and its buffers); use one handle per thread.  Replies are decoded into
 * buffers kept in the handle, so steady-state calls do not allocate.
 */
#ifndef VIGIL_ETCD_H
#define VIGIL_ETCD_H

#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

struct vg_etcd;

/* Default cap on a reply body (a prefix listing is the only big one);
 * decoding a reply takes up to about 8 times its size. */
#define VG_ETCD_MAX_REPLY (16u << 20)
/* The longest holder value vg_etcd_campaign() reports. */
#define VG_ETCD_HOLDER_MAX 512

/*
 * A client of the etcd at endpoint "host:port" ("[v6addr]:port", an
 * "http://" prefix is accepted), each call bounded by timeout_ms (> 0).
 * Checks the syntax and resolves the name, but does not connect: etcd may
 * start later.  NULL on error (bad endpoint, unknown host, no memory).
 */
struct vg_etcd *vg_etcd_open(const char *endpoint, unsigned timeout_ms, struct vg_err *err);
void vg_etcd_close(struct vg_etcd *e);

/* "host:port" as given, for messages. */
const char *vg_etcd_endpoint(const struct vg_etcd *e);
/* Change the per-call timeout. */
void vg_etcd_set_timeout(struct vg_etcd *e, unsigned timeout_ms);
/* Change the reply body cap (default VG_ETCD_MAX_REPLY). */
void vg_etcd_set_max_reply(struct vg_etcd *e, size_t bytes);

/* ------------------------------------------------------------------ keys */

/*
 * Set key to len bytes of value, attached to lease_id (0: none; the key
 * then disappears with the lease).  -ENOENT if the lease does not exist.
 */
int vg_etcd_put(struct vg_etcd *e, const char *key, const void *value, size_t len,
		int64_t lease_id, struct vg_err *err);

/*
 * Read key into buf: *len is buf's size on entry and the value's length on
 * return (also when it does not fit: -ENOBUFS, buf untouched).  mod_revision
 * (may be NULL) receives the revision of the key's last write, the token
 * vg_etcd_cas_put() expects.  -ENOENT if there is no such key.
 */
int vg_etcd_get(struct vg_etcd *e, const char *key, void *buf, size_t *len,
		int64_t *mod_revision, struct vg_err *err);

/* One key of a listing; pointers are valid during the callback only. */
struct vg_etcd_kv {
	const char *key;    /* NUL-terminated (etcd keys may hold NULs: see key_len) */
	size_t key_len;
	const void *value;  /* followed by a NUL, for text values */
	size_t value_len;
	int64_t create_revision, mod_revision;
	int64_t lease;      /* 0: none */
};

/*
 * Nonzero stops the listing; a negative value is returned by
 * vg_etcd_get_prefix() as is (put a message in err yourself).
 */
typedef int (*vg_etcd_kv_fn)(void *arg, const struct vg_etcd_kv *kv);

/*
 * Call fn for every key that starts with prefix ("" lists all), in key
 * order, all read at one revision: the number of keys, or a negative errno.
 */
int vg_etcd_get_prefix(struct vg_etcd *e, const char *prefix, vg_etcd_kv_fn fn, void *arg,
		       struct vg_err *err);

/* Delete key / every key under prefix: the number deleted (0 if none). */
int vg_etcd_delete(struct vg_etcd *e, const char *key, struct vg_err *err);
int vg_etcd_delete_prefix(struct vg_etcd *e, const char *prefix, struct vg_err *err);

/* ------------------------------------------------------------------ leases */

/*
 * A new lease of ttl_s seconds: its id in *lease_id, the TTL etcd granted
 * in *granted_ttl_s (may be NULL; etcd raises small TTLs to its minimum,
 * about 2 s with default settings).
 */
int vg_etcd_lease_grant(struct vg_etcd *e, unsigned ttl_s, int64_t *lease_id,
			unsigned *granted_ttl_s, struct vg_err *err);

/*
 * Renew the lease: the seconds it now has left in *ttl_s (may be NULL).
 * -ENOENT once it has expired or been revoked (its keys are gone then).
 */
int vg_etcd_lease_keepalive(struct vg_etcd *e, int64_t lease_id, unsigned *ttl_s,
			    struct vg_err *err);

/* End the lease now, deleting its keys.  -ENOENT if it does not exist. */
int vg_etcd_lease_revoke(struct vg_etcd *e, int64_t lease_id, struct vg_err *err);

/* ------------------------------------------------------------------ leadership */

/* Who holds a leader key, and since when. */
struct vg_etcd_term {
	/* The leader key's create revision: unique to this term, since a key
	 * recreated after its lease lapsed gets a new one.  The guard of
	 * vg_etcd_cas_put(). */
	int64_t create_revision;
	int64_t lease;    /* the holder's lease */
	size_t holder_len;
	char holder[VG_ETCD_HOLDER_MAX];  /* the holder's value, NUL-terminated */
};

/*
 * Become leader iff key does not exist: in one etcd transaction, create key
 * with value and lease_id (nonzero) if it has no create revision, else read
 * it.  1 if this caller leads (also when key already holds lease_id: a
 * repeated campaign, e.g. after a lost reply, is harmless), 0 if another
 * does; term (may be NULL) describes the holder either way.  -EMSGSIZE if
 * the holder's value is over VG_ETCD_HOLDER_MAX - 1 bytes.
 * Leadership lasts while the lease is kept alive; a follower campaigns again
 * to take over when the key disappears with the leader's lease.
 */
int vg_etcd_campaign(struct vg_etcd *e, const char *key, const void *value, size_t len,
		     int64_t lease_id, struct vg_etcd_term *term, struct vg_err *err);

/* The leader key and term a write depends on (see vg_etcd_cas_put). */
struct vg_etcd_guard {
	const char *key;          /* the leader key */
	int64_t create_revision;  /* vg_etcd_term.create_revision when this caller won */
};

/*
 * Compare-and-set: write value to key only if its mod revision is still
 * *mod_revision (0: key must not exist) and, with a guard, only if the
 * leader key still exists with the guard's create revision.  Both checks
 * and the write are one etcd transaction, applied at one revision of the
 * linearizable store: a balancer that lost its lease (paused, partitioned,
 * slow) cannot overwrite the assignment written by its successor, and a
 * write based on a stale read is refused.  It does not fence side effects
 * outside etcd: commands already sent to aggregators are the caller's to
 * reconcile.
 * 0 when written, with the new mod revision in *mod_revision;
 * -ESTALE if key changed, with its current mod revision in *mod_revision
 * (0: deleted), so the caller can re-read and retry;
 * -EPERM if the guard failed (leadership lost), *mod_revision unchanged.
 */
int vg_etcd_cas_put(struct vg_etcd *e, const char *key, const void *value, size_t len,
		    int64_t *mod_revision, const struct vg_etcd_guard *guard,
		    struct vg_err *err);

#endif /* VIGIL_ETCD_H */
