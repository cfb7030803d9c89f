/*
 * fabric_int.h - what the two halves of the fabric driver share: fabric.c
 * (the transport's fabric and domain, connection management on event
 * queues, memory registration) and fabric_msg.c (completion queues: chunked
 * messages with credits, one-sided reads).  Internal to xprt/.
 */
#ifndef VIGIL_FABRIC_INT_H
#define VIGIL_FABRIC_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <rdma/fabric.h>
#include <rdma/fi_cm.h>
#include <rdma/fi_domain.h>
#include <rdma/fi_endpoint.h>
#include <rdma/fi_eq.h>
#include <rdma/fi_errno.h>
#include <rdma/fi_rma.h>

#include "core/log.h"
#include "xprt/xprt.h"

#define FAB_CHUNK (64u << 10)   /* one posted buffer: header + payload */
#define FAB_HDR 16u
#define FAB_PAYLOAD (FAB_CHUNK - FAB_HDR)
#define FAB_CREDITS 8u          /* data chunks a side may have in flight toward its peer */
#define FAB_RESERVE 3u          /* extra receives for credit-only messages */
#define FAB_NRX (FAB_CREDITS + FAB_RESERVE)
#define FAB_NTX (FAB_CREDITS + FAB_RESERVE)
#define FAB_RKEY_MAGIC 0x31424146u  /* "FAB1" */

struct fab_xprt {
	struct fi_info *info;        /* what the domain was opened with; hints for connections */
	struct fid_fabric *fabric;
	struct fid_domain *domain;
	uint64_t mr_mode;
	bool local_mr;               /* FI_MR_LOCAL: our buffers need descriptors */
	bool prov_key;               /* FI_MR_PROV_KEY: the provider picks keys */
	bool virt_addr;              /* FI_MR_VIRT_ADDR: remote addresses are virtual */
	bool force_poll;             /* VIGIL_FABRIC_POLL set: no wait fds (tests the fallback) */
	struct vg_complaint complaint;
};

struct fab_mr {
	const struct vg_xprt_ops *ops;  /* first: struct vg_mr_head */
	void *owner;
	struct fid_mr *mr;
	uint64_t key, base, len;
};

struct fab_read {
	void *ctx;
	uint8_t *dst;
	uint64_t raddr, key;
	uint32_t len;
	int status;
	bool used, posted;
	uint32_t next;                /* free list, or the queue of reads waiting to be posted */
	struct fid_mr *local_mr;      /* FI_MR_LOCAL: dst registered for this read */
};

struct fab_ep {
	struct vg_ep ep;
	bool inited, announced;
	struct fid_pep *pep;         /* listeners */
	struct fid_ep *fep;          /* connections */
	struct fid_eq *eq;
	struct fid_cq *cq;
	struct vg_io eq_io, cq_io;
	bool polling;                /* no wait fds: the timer polls every millisecond */
	struct vg_timer timer;       /* connect deadline; polling; retry after -FI_EAGAIN */
	uint64_t deadline_us;        /* connecting: when to give up (0: connected) */
	bool retry;                  /* a send or read met -FI_EAGAIN: try again from the timer */
	bool draining;               /* closed locally: sending what is queued, then shutting down */
	struct vg_deferred finish, reads_done;
	struct fab_ep *listener;
	struct fab_ep *pend_prev, *pend_next, *pending;
	enum vg_ep_event_type last_event;
	int final_status;
	char reason[200];
	uint32_t peer_max_msg;
	/* messages */
	uint8_t *rx, *tx;            /* FAB_NRX / FAB_NTX chunks */
	struct fid_mr *rx_mr, *tx_mr;
	uint32_t tx_free[FAB_NTX], ntx_free;
	uint32_t credits;            /* data chunks we may still send */
	uint32_t to_return;          /* receives reposted since we last told the peer */
	uint8_t *q;                  /* queued messages: {u32 len; bytes} each */
	size_t qcap, qhead, qtail, qoff;  /* qoff: bytes of the head message already sent */
	uint8_t *asm_buf;            /* a message arriving in chunks */
	size_t asm_cap, asm_len, asm_want;
	/* reads */
	struct fab_read *reads;
	uint32_t nreads, free_read, wait_head, wait_tail, done_head, done_tail;
	bool done_queued;
};

#define FAB_NONE UINT32_MAX

static inline struct fab_ep *fab_of(struct vg_ep *ep)
{
	return (struct fab_ep *)ep;
}

static inline struct fab_xprt *fx_of(const struct fab_ep *f)
{
	return f->ep.xprt->priv;
}

static inline bool fab_live(const struct fab_ep *f)
{
	return f->ep.state == VG_EP_CONNECTING || f->ep.state == VG_EP_CONNECTED_STATE;
}

/* Connected, or closed locally and still sending what was queued. */
static inline bool fab_active(const struct fab_ep *f)
{
	return f->ep.state == VG_EP_CONNECTED_STATE || f->draining;
}

static inline void fab_put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void fab_put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t fab_get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t fab_get_u64(const uint8_t *p)
{
	return (uint64_t)fab_get_u32(p) | (uint64_t)fab_get_u32(p + 4) << 32;
}

/* fabric.c */
void fab_conn_fail(struct fab_ep *f, int status, const char *reason);
void fab_drop_peer(struct fab_ep *f, const char *reason);
/* Register addr with access flags, under a random key unless the provider picks keys. */
int fab_reg(struct fab_xprt *fx, void *addr, size_t len, uint64_t access, struct fid_mr **mr);
/* Handle what the event queue holds (also called before reading the CQ of a connecting ep). */
void fab_eq_drain(struct fab_ep *f);
/* Draining and everything sent: shut the connection down. */
void fab_drain_check(struct fab_ep *f);

/* fabric_msg.c */
int fab_conn_buffers(struct fab_ep *f);
void fab_conn_release(struct fab_ep *f);
void fab_cq_drain(struct fab_ep *f);
void fab_pump(struct fab_ep *f);
void fab_fail_reads(struct fab_ep *f);
int fab_sendv(struct vg_ep *ep, const struct iovec *iov, int iovcnt);
int fab_read(struct vg_ep *ep, const struct vg_rkey *rkey, uint64_t offset, void *dst, size_t len,
	     void *ctx);
void fab_cq_io_cb(struct vg_io *io, uint32_t events, void *arg);

#endif /* VIGIL_FABRIC_INT_H */
