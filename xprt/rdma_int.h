/*
 * rdma_int.h - what the parts of the rdma driver share: rdma.c (device,
 * connection management), rdma_msg.c (the completion queue: chunked
 * messages with credits, RDMA READs, memory registration) and rdma_util.c (the logic
 * that needs no device: options, rkeys, chunk headers, reassembly, credits,
 * the read bounce ring; unit-tested on hosts without RDMA).  Internal to
 * xprt/.
 */
#ifndef VIGIL_RDMA_INT_H
#define VIGIL_RDMA_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <infiniband/verbs.h>
#include <rdma/rdma_cma.h>

#include "core/log.h"
#include "xprt/xprt.h"

#define RD_HDR 16u             /* chunk header: see rdma_msg.c */
#define RD_RESERVE 3u          /* receives beyond the credits, for credit-only chunks */
#define RD_RKEY_MAGIC 0x314d4452u  /* "RDM1" */
#define RD_PARAM_LEN 24u       /* connection private data */
#define RD_PROTO_VERSION 1u
#define RD_PEER_MAX_MSG_MIN (64u << 10)
#define RD_NONE UINT32_MAX

/* ------------------------------------------------------------------ options (VIGIL_RDMA_OPTS) */

struct rd_opts {
	uint32_t credits;     /* data chunks a peer may have in flight toward us */
	uint32_t chunk;       /* bytes of one posted buffer, header included */
	uint32_t reads;       /* RDMA READs posted at once on one connection */
	uint32_t read_buf;    /* bounce buffer per connection; larger reads register dst */
	uint32_t inline_max;  /* sends up to this size go inline (IBV_SEND_INLINE) */
	uint32_t cq_depth;    /* completion queue entries per connection */
	char dev[64];         /* device name; "" uses the first one */
};

#define RD_OPTS_NAMES "credits, chunk, reads, read_buf, inline, cq_depth, dev"

/*
 * Parse "credits=16,chunk=64K,..." (NULL or "" gives the defaults) into o.
 * A bad option fails with -EINVAL and a message naming it and its range.
 * Pure: reads no environment and touches no device.
 */
int rd_opts_parse(const char *spec, struct rd_opts *o, struct vg_err *err);

static inline uint32_t rd_nrx(const struct rd_opts *o)
{
	return o->credits + RD_RESERVE;
}

static inline uint32_t rd_ntx(const struct rd_opts *o)
{
	return o->credits + RD_RESERVE;
}

/* Completions one connection can have outstanding: every receive, send and read. */
static inline uint32_t rd_cq_need(const struct rd_opts *o)
{
	return rd_nrx(o) + rd_ntx(o) + o->reads;
}

/* ------------------------------------------------------------------ little-endian fields */

static inline void rd_put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void rd_put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t rd_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t rd_get_u64(const uint8_t *p)
{
	return (uint64_t)rd_get_u32(p) | (uint64_t)rd_get_u32(p + 4) << 32;
}

/* ------------------------------------------------------------------ rkeys */

struct rd_rkey {
	uint64_t addr, len;
	uint32_t rkey;
};

void rd_rkey_encode(const struct rd_rkey *k, struct vg_rkey *out);
/* -ENOENT if the bytes are not an rdma rkey (foreign, truncated, damaged). */
int rd_rkey_decode(const struct vg_rkey *in, struct rd_rkey *k);
/* The remote address of [offset, offset + len) within k, or -ERANGE. */
int rd_rkey_span(const struct rd_rkey *k, uint64_t offset, uint64_t len, uint64_t *raddr);

/* ------------------------------------------------------------------ connection parameters */

struct rd_param {
	uint32_t max_msg, chunk, credits;
};

void rd_param_put(uint8_t *p, const struct rd_param *prm);
/* -EPROTO unless p is a vigil rdma peer's (len may exceed RD_PARAM_LEN: CMs pad). */
int rd_param_get(const uint8_t *p, size_t len, struct rd_param *prm);

/* ------------------------------------------------------------------ chunks */

enum { RD_K_DATA = 1, RD_K_CREDIT = 2 };
#define RD_F_FIRST 1u
#define RD_F_LAST 2u

struct rd_hdr {
	uint8_t kind, flags;
	uint32_t credits;  /* receives the sender reposted: our credits back */
	uint32_t total;    /* DATA: length of the whole message */
};

void rd_hdr_put(uint8_t *p, const struct rd_hdr *h);
/* Decode the chunk of len bytes at p; -EPROTO if it is malformed. */
int rd_hdr_get(const uint8_t *p, size_t len, struct rd_hdr *h);

/* A message arriving in several chunks. */
struct rd_asm {
	uint8_t *buf;
	size_t cap, len, want;
};

/*
 * Add one DATA chunk.  1: a message is complete, in *msg (the payload itself
 * for a one-chunk message, else the reassembly buffer, valid until the next
 * call); 0: more chunks are due; -EPROTO: the chunks do not add up or the
 * message is larger than max_msg; -ENOMEM.
 */
int rd_asm_add(struct rd_asm *a, const struct rd_hdr *h, const uint8_t *payload,
		 size_t plen, size_t max_msg, const void **msg, size_t *msg_len);
/* Free the buffer if it grew beyond keep bytes and no message is in progress. */
void rd_asm_trim(struct rd_asm *a, size_t keep);
void rd_asm_free(struct rd_asm *a);

/* ------------------------------------------------------------------ credits */

struct rd_credits {
	uint32_t window;   /* the peer's receives for our data (its credits=) */
	uint32_t avail;    /* data chunks we may still send */
	uint32_t granted;  /* our receives for the peer's data (our credits=) */
	uint32_t owed;     /* of those, reposted since we last told the peer */
};

void rd_credits_init(struct rd_credits *c, uint32_t window, uint32_t granted);
/* Take one credit to send a data chunk; false if none is left. */
bool rd_credits_take(struct rd_credits *c);
/* The peer gave n back; -EPROTO if that is more than it was lent. */
int rd_credits_returned(struct rd_credits *c, uint32_t n);
/* A data chunk of the peer's was consumed and its receive reposted; -EPROTO past the window. */
int rd_credits_received(struct rd_credits *c);
/* What the next chunk we send returns to the peer (and is then no longer owed). */
uint32_t rd_credits_collect(struct rd_credits *c);
/* Should owed credits go in a chunk of their own (no data chunk will carry them now)? */
bool rd_credits_send_alone(const struct rd_credits *c, bool data_can_go);

/* ------------------------------------------------------------------ read bounce ring */

/* RC send queues complete in order, so a FIFO ring serves the reads' bounce space. */
struct rd_ring {
	uint64_t size, head, tail;  /* head, tail: running byte counts */
};

void rd_ring_init(struct rd_ring *r, uint64_t size);
/* Space for len bytes at *off; *end is what to release.  -E2BIG: never fits; -EAGAIN: not now. */
int rd_ring_alloc(struct rd_ring *r, uint64_t len, uint64_t *off, uint64_t *end);
/* Release the oldest allocation, which ended at end. */
void rd_ring_release(struct rd_ring *r, uint64_t end);

/* ------------------------------------------------------------------ the driver's state */

struct rd_xprt {
	struct rd_opts opts;
	struct ibv_context **devs;       /* rdma_get_devices() */
	struct ibv_context *ctx;         /* the device every endpoint and registration uses */
	struct ibv_pd *pd;
	struct rdma_event_channel *ech;  /* connection events of every endpoint */
	struct vg_io ech_io;
	uint8_t max_rd_atom, max_init_rd_atom;  /* RDMA READs the device serves / issues at once */
	struct vg_complaint complaint;
};

struct rd_mr {
	const struct vg_xprt_ops *ops;  /* first: struct vg_mr_head */
	void *owner;
	struct ibv_mr *mr;
	uint64_t addr, len;
};

struct rd_read {
	void *ctx;
	uint8_t *dst;
	uint64_t raddr, len;
	uint32_t rkey;
	int status;
	bool used, posted;
	uint32_t next;            /* free list, the queue waiting to be posted, or done list */
	struct ibv_mr *dst_mr;    /* larger than the bounce buffer: dst registered for this read */
	uint64_t boff, bend;      /* bounce space: offset, ring release mark */
};

struct rd_ep {
	struct vg_ep ep;
	bool inited, announced;
	struct rdma_cm_id *id;
	struct ibv_comp_channel *cch;
	struct ibv_cq *cq;
	struct vg_io cq_io;
	struct vg_timer timer;       /* connect deadline, drain deadline */
	uint64_t deadline_us;
	bool draining;               /* closed locally: sending what is queued, then disconnecting */
	struct vg_deferred finish, reads_done;
	struct rd_ep *listener;
	struct rd_ep *pend_prev, *pend_next, *pending;
	enum vg_ep_event_type last_event;
	int final_status;
	char reason[200];
	struct rd_param peer;      /* what the peer announced */
	uint32_t send_chunk;         /* min of ours and the peer's */
	uint32_t inline_max;         /* what the queue pair takes inline */
	/* messages */
	uint32_t nrx, ntx;
	uint8_t *rx, *tx;
	struct ibv_mr *rx_mr, *tx_mr;
	uint32_t *tx_free, ntx_free;
	struct rd_credits cr;
	uint8_t *q;                  /* queued messages: {u32 len; bytes} each */
	size_t qcap, qhead, qtail, qoff;
	struct rd_asm as;
	/* reads */
	uint8_t *rbuf;
	struct ibv_mr *rbuf_mr;
	struct rd_ring ring;
	struct rd_read *reads;
	uint32_t nreads, free_read, wait_head, wait_tail, done_head, done_tail, nposted;
	bool done_queued;
};

static inline struct rd_ep *rd_of(struct vg_ep *ep)
{
	return (struct rd_ep *)ep;
}

static inline struct rd_xprt *rdx_of(const struct rd_ep *r)
{
	return r->ep.xprt->priv;
}

static inline bool rd_live(const struct rd_ep *r)
{
	return r->ep.state == VG_EP_CONNECTING || r->ep.state == VG_EP_CONNECTED_STATE;
}

/* Connected, or closed locally and still sending what was queued. */
static inline bool rd_active(const struct rd_ep *r)
{
	return r->ep.state == VG_EP_CONNECTED_STATE || r->draining;
}

/* rdma.c */
void rd_conn_fail(struct rd_ep *r, int status, const char *reason);
void rd_drop_peer(struct rd_ep *r, const char *reason);
void rd_drain_check(struct rd_ep *r);

/* rdma_msg.c */
int rd_conn_buffers(struct rd_ep *r);
void rd_conn_release(struct rd_ep *r);
void rd_cq_drain(struct rd_ep *r);
void rd_pump(struct rd_ep *r);
void rd_fail_reads(struct rd_ep *r);
int rd_ep_sendv(struct vg_ep *ep, const struct iovec *iov, int iovcnt);
int rd_ep_read(struct vg_ep *ep, const struct vg_rkey *rkey, uint64_t offset, void *dst,
	       size_t len, void *ctx);
void rd_cq_io_cb(struct vg_io *io, uint32_t events, void *arg);
int rd_mem_register(struct vg_xprt *x, void *addr, size_t len, struct vg_mr **mr);
void rd_mem_deregister(struct vg_xprt *x, struct vg_mr *mr);
void rd_mem_rkey(const struct vg_mr *mr, struct vg_rkey *rkey);

#endif /* VIGIL_RDMA_INT_H */
