/*
 * rdma_msg.c - the rdma driver's completion queue: messages in chunks with
 * credits, RDMA READs, and the registrations they read.
 *
 * Messages: every connection posts credits + RD_RESERVE receive buffers of
 * `chunk` bytes before it connects, and registers as many send buffers.  A
 * message travels as chunks of a 16-byte header {u8 kind; u8 flags (1
 * first, 2 last); u16 0; u32 credits returned; u32 message length; u32 0}
 * and up to the smaller of both sides' chunk sizes less the header; a
 * one-chunk message is delivered straight from the receive buffer, a longer
 * one (a lookup reply of a large set, up to max_msg) is reassembled in a
 * buffer grown to its announced length, checked against our max_msg first
 * (rd_asm_add).  Chunks rather than a rendezvous RDMA READ: the peer needs
 * no registration per message and messages arrive in the order sent.  A
 * send no longer than the queue pair's inline size goes inline.
 *
 * Credits (rd_credits_*): a side may have as many data chunks in flight as
 * its peer announced credits; each receive reposted gives one back,
 * piggybacked on the next data chunk, or alone (kind CREDIT) once half of
 * them are owed and no data chunk can carry them.  CREDIT chunks cost no
 * credit: at most two are in flight, landing in the RD_RESERVE extra
 * receives.  Messages wait in a per-connection queue (bounded by
 * max_queued: past it -ENOBUFS and the connection closes) until credits and
 * send buffers allow.  Receiver-not-ready retries are infinite (rnr_retry
 * 7) as a safety net, never the plan.
 *
 * Reads: the rkey carries the region's length, so an out-of-bounds read
 * fails with -ERANGE and a foreign or damaged rkey with -ENOENT, both
 * without posting anything.  A read lands in a registered bounce buffer
 * (read_buf bytes per connection, a FIFO ring: an RC send queue completes
 * in order) and is copied to dst on completion.  Bounce and copy rather
 * than registering dst: registering costs a system call and page pinning
 * per read, and caching registrations of caller memory is unsafe when that
 * memory is freed and reused; a set's data is small, so the copy is cheap.
 * A read larger than read_buf registers dst for its duration instead.  At
 * most `reads` are posted at once; the rest, and those waiting for ring
 * space, wait in a FIFO queue posted from completions.  A key the peer's
 * NIC refuses (deregistered, forged) completes with a remote access error,
 * reported as -ENOENT; that error breaks the queue pair, so the other
 * outstanding reads fail with -ECONNRESET and DISCONNECTED follows.
 *
 * Registration: ibv_reg_mr with IBV_ACCESS_REMOTE_READ of the caller's
 * memory, in the transport's protection domain, so every connection reads
 * it.  The rkey is {u32 "RDM1"; u32 rkey; u64 address; u64 length; u32
 * check; u32 ~"RDM1"}; the reader checks both magics and the check word and
 * keeps reads within the length before posting anything.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xprt/rdma_int.h"

enum { OP_RECV = 0, OP_SEND = 1, OP_READ = 2 };
#define READS_INITIAL 16u
#define BUF_KEEP_MAX (1u << 20)

static uint64_t op_id(unsigned kind, uint32_t idx)
{
	return (uint64_t)idx << 2 | kind;
}

static void lost(struct rd_ep *r, const char *what, const char *detail)
{
	char why[200];
	snprintf(why, sizeof(why), "connection %s %s lost: %s: %s", r->listener ? "from" : "to",
		 r->ep.peer, what, detail);
	rd_conn_fail(r, -ECONNRESET, why);
}

/* ------------------------------------------------------------------ buffers */

static int post_rx(struct rd_ep *r, uint32_t i)
{
	uint32_t chunk = rdx_of(r)->opts.chunk;
	struct ibv_sge sge = {.addr = (uint64_t)(uintptr_t)(r->rx + (size_t)i * chunk),
			      .length = chunk, .lkey = r->rx_mr->lkey};
	struct ibv_recv_wr wr = {.wr_id = op_id(OP_RECV, i), .sg_list = &sge, .num_sge = 1};
	struct ibv_recv_wr *bad = NULL;
	return -ibv_post_recv(r->id->qp, &wr, &bad);
}

static struct ibv_mr *reg_local(struct rd_ep *r, void *addr, size_t len, int access)
{
	return ibv_reg_mr(rdx_of(r)->pd, addr, len, access);
}

int rd_conn_buffers(struct rd_ep *r)
{
	const struct rd_opts *o = &rdx_of(r)->opts;
	r->nrx = rd_nrx(o);
	r->ntx = rd_ntx(o);
	size_t rx_len = (size_t)r->nrx * o->chunk, tx_len = (size_t)r->ntx * o->chunk;
	if (posix_memalign((void **)&r->rx, 4096, rx_len) != 0 ||
	    posix_memalign((void **)&r->tx, 4096, tx_len) != 0 ||
	    !(r->tx_free = calloc(r->ntx, sizeof(*r->tx_free))))
		return -ENOMEM;
	if (o->read_buf && posix_memalign((void **)&r->rbuf, 4096, o->read_buf) != 0)
		return -ENOMEM;
	if (!(r->rx_mr = reg_local(r, r->rx, rx_len, IBV_ACCESS_LOCAL_WRITE)) ||
	    !(r->tx_mr = reg_local(r, r->tx, tx_len, 0)) ||
	    (r->rbuf && !(r->rbuf_mr = reg_local(r, r->rbuf, o->read_buf, IBV_ACCESS_LOCAL_WRITE))))
		return errno > 0 ? -errno : -ENOMEM;
	rd_ring_init(&r->ring, o->read_buf);
	for (uint32_t i = 0; i < r->ntx; i++)
		r->tx_free[i] = i;
	r->ntx_free = r->ntx;
	for (uint32_t i = 0; i < r->nrx; i++) {
		int rc = post_rx(r, i);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static void dereg(struct ibv_mr **mr)
{
	if (*mr)
		ibv_dereg_mr(*mr);
	*mr = NULL;
}

void rd_conn_release(struct rd_ep *r)
{
	dereg(&r->rx_mr);
	dereg(&r->tx_mr);
	dereg(&r->rbuf_mr);
	free(r->rx);
	free(r->tx);
	free(r->rbuf);
	free(r->tx_free);
	free(r->q);
	r->rx = r->tx = r->rbuf = r->q = NULL;
	r->tx_free = NULL;
	r->ntx_free = 0;
	r->qcap = r->qhead = r->qtail = r->qoff = 0;
	rd_asm_free(&r->as);
}

/* ------------------------------------------------------------------ sending */

static int post_tx(struct rd_ep *r, uint8_t kind, uint8_t flags, uint32_t total,
		   const uint8_t *payload, size_t plen)
{
	uint32_t idx = r->tx_free[r->ntx_free - 1];
	uint8_t *p = r->tx + (size_t)idx * rdx_of(r)->opts.chunk;
	uint32_t owed = rd_credits_collect(&r->cr);
	struct rd_hdr h = {.kind = kind, .flags = flags, .credits = owed, .total = total};
	rd_hdr_put(p, &h);
	if (plen)
		memcpy(p + RD_HDR, payload, plen);
	uint32_t len = RD_HDR + (uint32_t)plen;
	struct ibv_sge sge = {.addr = (uint64_t)(uintptr_t)p, .length = len,
			      .lkey = r->tx_mr->lkey};
	struct ibv_send_wr wr = {.wr_id = op_id(OP_SEND, idx), .sg_list = &sge, .num_sge = 1,
				 .opcode = IBV_WR_SEND, .send_flags = IBV_SEND_SIGNALED};
	if (len <= r->inline_max)
		wr.send_flags |= IBV_SEND_INLINE;
	struct ibv_send_wr *bad = NULL;
	int rc = ibv_post_send(r->id->qp, &wr, &bad);
	if (rc != 0) {
		r->cr.owed += owed;
		return -rc;
	}
	r->ntx_free--;
	return 0;
}

static int post_read(struct rd_ep *r, uint32_t idx);

void rd_pump(struct rd_ep *r)
{
	while (rd_active(r) && r->wait_head != RD_NONE && r->nposted < rdx_of(r)->opts.reads) {
		uint32_t idx = r->wait_head;
		int rc = post_read(r, idx);
		if (rc == -EAGAIN)
			break;  /* the bounce ring is full: a completion frees it */
		if (rc < 0) {
			lost(r, "cannot post a read", strerror(-rc));
			return;
		}
		r->wait_head = r->reads[idx].next;
		if (r->wait_head == RD_NONE)
			r->wait_tail = RD_NONE;
	}
	size_t payload_max = r->send_chunk - RD_HDR;
	while (rd_active(r) && r->qhead < r->qtail && r->ntx_free && rd_credits_take(&r->cr)) {
		uint32_t msg_len = rd_get_u32(r->q + r->qhead);
		size_t plen = msg_len - r->qoff < payload_max ? msg_len - r->qoff : payload_max;
		uint8_t flags = (uint8_t)((r->qoff == 0 ? RD_F_FIRST : 0) |
					  (r->qoff + plen == msg_len ? RD_F_LAST : 0));
		int rc = post_tx(r, RD_K_DATA, flags, msg_len, r->q + r->qhead + 4 + r->qoff, plen);
		if (rc < 0) {
			lost(r, "cannot send", strerror(-rc));
			return;
		}
		r->qoff += plen;
		r->ep.bytes_out += plen;
		if (r->qoff == msg_len) {
			r->qhead += 4 + msg_len;
			r->qoff = 0;
			r->ep.msgs_out++;
		}
	}
	if (r->qhead == r->qtail) {
		r->qhead = r->qtail = 0;
		if (r->qcap > BUF_KEEP_MAX) {
			free(r->q);
			r->q = NULL;
			r->qcap = 0;
		}
	}
	bool data_can_go = r->qhead < r->qtail && r->cr.avail;
	if (rd_active(r) && r->ntx_free && rd_credits_send_alone(&r->cr, data_can_go)) {
		int rc = post_tx(r, RD_K_CREDIT, 0, 0, NULL, 0);
		if (rc < 0)
			lost(r, "cannot send", strerror(-rc));
	}
}

int rd_ep_sendv(struct vg_ep *ep, const struct iovec *iov, int iovcnt)
{
	struct rd_ep *r = rd_of(ep);
	size_t total = 0;
	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (total > r->peer.max_msg)
		return -EMSGSIZE;
	size_t queued = r->qtail - r->qhead;
	if (queued + 4 + total > ep->xprt->max_queued) {
		char why[200];
		snprintf(why, sizeof(why), "%s does not take its messages: %zu bytes queued",
			 ep->peer, queued);
		rd_conn_fail(r, -ENOBUFS, why);
		return -ENOBUFS;
	}
	if (r->qhead && r->qtail + 4 + total > r->qcap) {
		memmove(r->q, r->q + r->qhead, queued);
		r->qtail = queued;
		r->qhead = 0;
	}
	if (r->qtail + 4 + total > r->qcap) {
		size_t cap = r->qcap ? r->qcap : 64u << 10;
		while (cap < r->qtail + 4 + total)
			cap *= 2;
		uint8_t *q = realloc(r->q, cap);
		if (!q)
			return -ENOMEM;
		r->q = q;
		r->qcap = cap;
	}
	rd_put_u32(r->q + r->qtail, (uint32_t)total);
	r->qtail += 4;
	for (int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len)
			memcpy(r->q + r->qtail, iov[i].iov_base, iov[i].iov_len);
		r->qtail += iov[i].iov_len;
	}
	rd_pump(r);
	return r->ep.state == VG_EP_CONNECTED_STATE ? 0 : -ENOTCONN;
}

/* ------------------------------------------------------------------ receiving */

/* Give receive buffer i back; count the credit once it is posted again. */
static bool repost(struct rd_ep *r, uint32_t i, bool data)
{
	int rc = post_rx(r, i);
	if (rc < 0) {
		lost(r, "cannot post a receive", strerror(-rc));
		return false;
	}
	if (data && rd_credits_received(&r->cr) < 0) {
		rd_drop_peer(r, "more chunks in flight than it has credits");
		return false;
	}
	return true;
}

static void on_chunk(struct rd_ep *r, uint32_t i, size_t len)
{
	uint32_t chunk = rdx_of(r)->opts.chunk;
	const uint8_t *p = r->rx + (size_t)i * chunk;
	struct rd_hdr h;
	if (len > chunk || rd_hdr_get(p, len, &h) < 0) {
		rd_drop_peer(r, "a malformed chunk");
		return;
	}
	if (rd_credits_returned(&r->cr, h.credits) < 0) {
		rd_drop_peer(r, "more credits returned than were lent");
		return;
	}
	/* credit-only chunks, and anything once we closed, only give their buffer back */
	if (h.kind == RD_K_CREDIT || r->draining) {
		repost(r, i, false);
		return;
	}
	size_t plen = len - RD_HDR;
	r->ep.bytes_in += plen;
	const void *msg = NULL;
	size_t msg_len = 0;
	int rc = rd_asm_add(&r->as, &h, p + RD_HDR, plen, r->ep.xprt->max_msg, &msg, &msg_len);
	if (rc == -ENOMEM) {
		rd_conn_fail(r, -ENOMEM, "out of memory for a message");
		return;
	}
	if (rc < 0) {
		rd_drop_peer(r, "a message whose chunks do not add up");
		return;
	}
	if (rc == 1) {
		r->ep.msgs_in++;
		struct vg_ep_event ev = {.type = VG_EP_RECV, .data = msg, .len = msg_len};
		vg_ep_deliver(&r->ep, &ev);
		if (r->ep.state == VG_EP_CONNECTED_STATE)
			rd_asm_trim(&r->as, BUF_KEEP_MAX);
	}
	if (rd_active(r))
		repost(r, i, true);
}

/* ------------------------------------------------------------------ reads */

static void read_free(struct rd_ep *r, uint32_t idx)
{
	struct rd_read *rr = &r->reads[idx];
	if (rr->dst_mr)
		ibv_dereg_mr(rr->dst_mr);
	memset(rr, 0, sizeof(*rr));
	rr->next = r->free_read;
	r->free_read = idx;
}

static void read_complete(struct rd_ep *r, uint32_t idx, int status)
{
	void *ctx = r->reads[idx].ctx;
	read_free(r, idx);
	struct vg_ep_event ev = {.type = VG_EP_READ_DONE, .status = status, .ctx = ctx};
	vg_ep_deliver(&r->ep, &ev);
}

static void deliver_done(struct rd_ep *r)
{
	while (r->done_head != RD_NONE) {
		uint32_t idx = r->done_head;
		r->done_head = r->reads[idx].next;
		if (r->done_head == RD_NONE)
			r->done_tail = RD_NONE;
		read_complete(r, idx, r->reads[idx].status);
	}
}

static void done_cb(void *arg)
{
	struct rd_ep *r = arg;
	r->done_queued = false;
	deliver_done(r);
	vg_ep_put(&r->ep);
}

/* A read that ends before the network: its READ_DONE comes from the loop, never the call. */
static void read_done_later(struct rd_ep *r, uint32_t idx, int status)
{
	r->reads[idx].status = status;
	r->reads[idx].next = RD_NONE;
	if (r->done_tail != RD_NONE)
		r->reads[r->done_tail].next = idx;
	else
		r->done_head = idx;
	r->done_tail = idx;
	if (!r->done_queued) {
		r->done_queued = true;
		vg_ep_get(&r->ep);
		vg_loop_defer(r->ep.xprt->loop, &r->reads_done, done_cb, r);
	}
}

void rd_fail_reads(struct rd_ep *r)
{
	deliver_done(r);
	r->wait_head = r->wait_tail = RD_NONE;
	r->nposted = 0;
	for (uint32_t i = 0; i < r->nreads; i++)
		if (r->reads[i].used)
			read_complete(r, i, -ECONNRESET);
}

static int post_read(struct rd_ep *r, uint32_t idx)
{
	struct rd_read *rr = &r->reads[idx];
	struct ibv_sge sge = {.length = (uint32_t)rr->len};
	if (rr->dst_mr) {
		sge.addr = (uint64_t)(uintptr_t)rr->dst;
		sge.lkey = rr->dst_mr->lkey;
	} else {
		int rc = rd_ring_alloc(&r->ring, rr->len, &rr->boff, &rr->bend);
		if (rc < 0)
			return -EAGAIN;  /* fits once earlier reads complete (len <= read_buf) */
		sge.addr = (uint64_t)(uintptr_t)(r->rbuf + rr->boff);
		sge.lkey = r->rbuf_mr->lkey;
	}
	struct ibv_send_wr wr = {.wr_id = op_id(OP_READ, idx), .sg_list = &sge, .num_sge = 1,
				 .opcode = IBV_WR_RDMA_READ, .send_flags = IBV_SEND_SIGNALED};
	wr.wr.rdma.remote_addr = rr->raddr;
	wr.wr.rdma.rkey = rr->rkey;
	struct ibv_send_wr *bad = NULL;
	int rc = ibv_post_send(r->id->qp, &wr, &bad);
	if (rc != 0)
		return -rc;
	rr->posted = true;
	r->nposted++;
	return 0;
}

static int read_slot(struct rd_ep *r, uint32_t *out)
{
	if (r->free_read == RD_NONE) {
		uint32_t n = r->nreads ? r->nreads * 2 : READS_INITIAL;
		struct rd_read *t = realloc(r->reads, n * sizeof(*t));
		if (!t)
			return -ENOMEM;
		memset(t + r->nreads, 0, (n - r->nreads) * sizeof(*t));
		for (uint32_t i = n; i-- > r->nreads;) {
			t[i].next = r->free_read;
			r->free_read = i;
		}
		r->reads = t;
		r->nreads = n;
	}
	*out = r->free_read;
	r->free_read = r->reads[*out].next;
	r->reads[*out].used = true;
	r->reads[*out].next = RD_NONE;
	return 0;
}

int rd_ep_read(struct vg_ep *ep, const struct vg_rkey *rkey, uint64_t offset, void *dst,
	       size_t len, void *ctx)
{
	struct rd_ep *r = rd_of(ep);
	uint32_t idx;
	if (read_slot(r, &idx) < 0)
		return -ENOMEM;
	struct rd_read *rr = &r->reads[idx];
	rr->ctx = ctx;
	rr->dst = dst;
	rr->len = len;
	struct rd_rkey k;
	if (rd_rkey_decode(rkey, &k) < 0) {
		read_done_later(r, idx, -ENOENT);
		return 0;
	}
	if (rd_rkey_span(&k, offset, len, &rr->raddr) < 0) {
		read_done_later(r, idx, -ERANGE);
		return 0;
	}
	if (len == 0) {
		read_done_later(r, idx, 0);
		return 0;
	}
	rr->rkey = k.rkey;
	if (len > rdx_of(r)->opts.read_buf &&
	    !(rr->dst_mr = ibv_reg_mr(rdx_of(r)->pd, dst, len, IBV_ACCESS_LOCAL_WRITE))) {
		int rc = errno > 0 ? -errno : -ENOMEM;
		read_free(r, idx);
		return rc;
	}
	if (r->wait_tail != RD_NONE)
		r->reads[r->wait_tail].next = idx;
	else
		r->wait_head = idx;
	r->wait_tail = idx;
	rd_pump(r);
	return 0;
}

/* ------------------------------------------------------------------ memory registration */

int rd_mem_register(struct vg_xprt *x, void *addr, size_t len, struct vg_mr **out)
{
	struct rd_xprt *rx = x->priv;
	struct rd_mr *mr = calloc(1, sizeof(*mr));
	if (!mr)
		return -ENOMEM;
	mr->mr = ibv_reg_mr(rx->pd, addr, len, IBV_ACCESS_REMOTE_READ);
	if (!mr->mr) {
		int rc = errno > 0 ? -errno : -ENOMEM;
		free(mr);
		return rc;
	}
	mr->ops = x->ops;
	mr->addr = (uint64_t)(uintptr_t)addr;
	mr->len = len;
	*out = (struct vg_mr *)mr;
	return 0;
}

void rd_mem_deregister(struct vg_xprt *x, struct vg_mr *vmr)
{
	(void)x;
	struct rd_mr *mr = (struct rd_mr *)vmr;
	ibv_dereg_mr(mr->mr);
	free(mr);
}

void rd_mem_rkey(const struct vg_mr *vmr, struct vg_rkey *rkey)
{
	const struct rd_mr *mr = (const struct rd_mr *)vmr;
	struct rd_rkey k = {.addr = mr->addr, .len = mr->len, .rkey = mr->mr->rkey};
	rd_rkey_encode(&k, rkey);
}

/* ------------------------------------------------------------------ the completion queue */

static void on_read_done(struct rd_ep *r, uint32_t idx)
{
	struct rd_read *rr = &r->reads[idx];
	r->nposted--;
	if (!rr->dst_mr) {
		memcpy(rr->dst, r->rbuf + rr->boff, rr->len);
		rd_ring_release(&r->ring, rr->bend);
	}
	read_complete(r, idx, 0);
}

/* Any failed work request leaves the queue pair in the error state: the connection is gone. */
static void on_error(struct rd_ep *r, const struct ibv_wc *wc)
{
	unsigned kind = wc->wr_id & 3;
	uint32_t idx = (uint32_t)(wc->wr_id >> 2);
	const char *what = kind == OP_SEND ? "send failed" : kind == OP_RECV ? "receive failed"
									     : "read failed";
	if (kind == OP_READ && idx < r->nreads && r->reads[idx].used && r->reads[idx].posted) {
		/* the peer's NIC refused the key or the range: that region is not there for us */
		bool refused = wc->status == IBV_WC_REM_ACCESS_ERR ||
			       wc->status == IBV_WC_REM_INV_REQ_ERR;
		r->nposted--;
		read_complete(r, idx, refused ? -ENOENT : -ECONNRESET);
	}
	if (rd_active(r))
		lost(r, what, ibv_wc_status_str(wc->status));
}

static void on_wc(struct rd_ep *r, const struct ibv_wc *wc)
{
	if (wc->status != IBV_WC_SUCCESS) {
		on_error(r, wc);
		return;
	}
	uint32_t idx = (uint32_t)(wc->wr_id >> 2);
	switch (wc->wr_id & 3) {
	case OP_RECV:
		if (idx < r->nrx)
			on_chunk(r, idx, wc->byte_len);
		break;
	case OP_SEND:
		if (idx < r->ntx && r->ntx_free < r->ntx)
			r->tx_free[r->ntx_free++] = idx;
		break;
	case OP_READ:
		if (idx < r->nreads && r->reads[idx].used && r->reads[idx].posted)
			on_read_done(r, idx);
		break;
	}
}

void rd_cq_drain(struct rd_ep *r)
{
	struct ibv_wc wc[16];
	vg_ep_get(&r->ep);
	while (r->cq && rd_active(r)) {
		int n = ibv_poll_cq(r->cq, 16, wc);
		if (n < 0) {
			lost(r, "cannot poll the completion queue", strerror(-n));
			break;
		}
		if (n == 0)
			break;
		for (int i = 0; i < n && rd_active(r); i++)
			on_wc(r, &wc[i]);
	}
	if (rd_active(r))
		rd_pump(r);
	rd_drain_check(r);
	vg_ep_put(&r->ep);
}

void rd_cq_io_cb(struct vg_io *io, uint32_t events, void *arg)
{
	(void)io;
	(void)events;
	struct rd_ep *r = arg;
	struct ibv_cq *cq;
	void *ctx;
	/* take every notification (the fd is level-triggered), re-arm, then poll */
	while (r->cch && ibv_get_cq_event(r->cch, &cq, &ctx) == 0)
		ibv_ack_cq_events(cq, 1);
	if (!r->cq || !rd_active(r))
		return;
	int rc = ibv_req_notify_cq(r->cq, 0);
	if (rc != 0) {
		lost(r, "cannot arm the completion queue", strerror(rc));
		return;
	}
	rd_cq_drain(r);
}
