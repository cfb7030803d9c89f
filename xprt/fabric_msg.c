/*
 * fabric_msg.c - the fabric driver's completion queue: messages in chunks
 * with credits, and one-sided reads.
 *
 * Messages: every connection posts FAB_NRX receive buffers of FAB_CHUNK (64
 * KiB) before it connects.  A message travels as chunks of a 16-byte header
 * {u8 kind; u8 flags (1 first, 2 last); u16 0; u32 credits returned; u32
 * message length; u32 0} and up to 64 KiB - 16 of payload; a one-chunk
 * message is delivered straight from the posted buffer, a longer one (a
 * lookup reply of a large set, up to max_msg) is reassembled in a buffer
 * grown to its announced length, which is checked against our max_msg
 * first.  Chunks rather than a rendezvous fi_read: the peer needs no
 * registration per message and the order of messages is the order of sends.
 *
 * Credits: a side may have FAB_CREDITS data chunks in flight; each receive
 * reposted gives one back, piggybacked on the next data chunk, or sent
 * alone (kind CREDIT) once half of them are owed.  CREDIT chunks cost no
 * credit: they land in FAB_RESERVE extra receives, and at most two can be
 * in flight (each returns at least half of the peer's credits, and the peer
 * cannot send more before it has read them).  Messages wait in a
 * per-connection queue (bounded by max_queued: past it -ENOBUFS and the
 * connection closes) until credits and send buffers allow.
 *
 * Reads: the rkey carries the region's length, so an out-of-bounds read
 * fails with -ERANGE without touching the network; a key the peer does not
 * know (a deregistered or forged one) completes with a provider error,
 * reported as -ENOENT, and on the tcp provider (as with a remote access
 * error on verbs) the provider then drops the connection: the other
 * outstanding reads fail too (-ENOENT, the cause the provider reports for
 * the whole connection, or -ECONNRESET) and DISCONNECTED follows.  Outstanding
 * reads live in a per-connection table grown when full (the completion
 * context is the slot number, so growing it is safe); a read the provider
 * cannot take now (-FI_EAGAIN) waits in a queue retried from the timer and
 * after completions.  With FI_MR_LOCAL the destination is registered for
 * the duration of the read.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xprt/fabric_int.h"

enum { OP_RECV = 0, OP_SEND = 1, OP_READ = 2 };
enum { K_DATA = 1, K_CREDIT = 2 };
#define F_FIRST 1u
#define F_LAST 2u
#define READS_INITIAL 16u
#define BUF_KEEP_MAX (1u << 20)

static void *op_ctx(unsigned kind, uint32_t idx)
{
	return (void *)(((uintptr_t)idx + 1) << 2 | kind);
}

static void retry_later(struct fab_ep *f)
{
	f->retry = true;
	vg_timer_start(f->ep.xprt->loop, &f->timer, 1000);
}

static void lost(struct fab_ep *f, const char *what, int fi_err)
{
	char why[200];
	snprintf(why, sizeof(why), "connection %s %s lost: %s: %s", f->listener ? "from" : "to",
		 f->ep.peer, what, fi_strerror(fi_err < 0 ? -fi_err : fi_err));
	fab_conn_fail(f, -ECONNRESET, why);
}

/* ------------------------------------------------------------------ buffers */

static int post_rx(struct fab_ep *f, uint32_t i)
{
	void *desc = f->rx_mr ? fi_mr_desc(f->rx_mr) : NULL;
	return (int)fi_recv(f->fep, f->rx + (size_t)i * FAB_CHUNK, FAB_CHUNK, desc, 0,
			    op_ctx(OP_RECV, i));
}

int fab_conn_buffers(struct fab_ep *f)
{
	struct fab_xprt *fx = fx_of(f);
	if (posix_memalign((void **)&f->rx, 4096, (size_t)FAB_NRX * FAB_CHUNK) != 0 ||
	    posix_memalign((void **)&f->tx, 4096, (size_t)FAB_NTX * FAB_CHUNK) != 0)
		return -ENOMEM;
	if (fx->local_mr) {
		int rc = fab_reg(fx, f->rx, (size_t)FAB_NRX * FAB_CHUNK, FI_RECV, &f->rx_mr);
		if (rc == 0)
			rc = fab_reg(fx, f->tx, (size_t)FAB_NTX * FAB_CHUNK, FI_SEND, &f->tx_mr);
		if (rc < 0)
			return rc;
	}
	for (uint32_t i = 0; i < FAB_NTX; i++)
		f->tx_free[i] = i;
	f->ntx_free = FAB_NTX;
	f->credits = FAB_CREDITS;
	f->free_read = f->wait_head = f->wait_tail = f->done_head = f->done_tail = FAB_NONE;
	for (uint32_t i = 0; i < FAB_NRX; i++) {
		int rc = post_rx(f, i);
		if (rc < 0)
			return rc;
	}
	return 0;
}

void fab_conn_release(struct fab_ep *f)
{
	if (f->rx_mr)
		fi_close(&f->rx_mr->fid);
	if (f->tx_mr)
		fi_close(&f->tx_mr->fid);
	f->rx_mr = f->tx_mr = NULL;
	free(f->rx);
	free(f->tx);
	free(f->q);
	free(f->asm_buf);
	f->rx = f->tx = f->q = f->asm_buf = NULL;
	f->qcap = f->qhead = f->qtail = f->qoff = 0;
	f->asm_cap = f->asm_len = f->asm_want = 0;
}

/* ------------------------------------------------------------------ sending */

static int post_tx(struct fab_ep *f, uint8_t kind, uint8_t flags, uint32_t total,
		   const uint8_t *payload, size_t plen)
{
	uint32_t idx = f->tx_free[f->ntx_free - 1];
	uint8_t *p = f->tx + (size_t)idx * FAB_CHUNK;
	memset(p, 0, FAB_HDR);
	p[0] = kind;
	p[1] = flags;
	fab_put_u32(p + 4, f->to_return);
	fab_put_u32(p + 8, total);
	if (plen)
		memcpy(p + FAB_HDR, payload, plen);
	void *desc = f->tx_mr ? fi_mr_desc(f->tx_mr) : NULL;
	int rc = (int)fi_send(f->fep, p, FAB_HDR + plen, desc, 0, op_ctx(OP_SEND, idx));
	if (rc == 0) {
		f->ntx_free--;
		f->to_return = 0;
	}
	return rc;
}

static int post_read(struct fab_ep *f, uint32_t idx);

void fab_pump(struct fab_ep *f)
{
	while (fab_active(f) && f->wait_head != FAB_NONE) {
		uint32_t idx = f->wait_head;
		int rc = post_read(f, idx);
		if (rc == -FI_EAGAIN) {
			retry_later(f);
			break;
		}
		f->wait_head = f->reads[idx].next;
		if (f->wait_head == FAB_NONE)
			f->wait_tail = FAB_NONE;
		if (rc < 0) {
			lost(f, "cannot post a read", rc);
			return;
		}
	}
	while (fab_active(f) && f->qhead < f->qtail && f->ntx_free &&
	       f->credits) {
		uint32_t msg_len = fab_get_u32(f->q + f->qhead);
		size_t plen = msg_len - f->qoff < FAB_PAYLOAD ? msg_len - f->qoff : FAB_PAYLOAD;
		uint8_t flags = (uint8_t)((f->qoff == 0 ? F_FIRST : 0) |
					  (f->qoff + plen == msg_len ? F_LAST : 0));
		int rc = post_tx(f, K_DATA, flags, msg_len, f->q + f->qhead + 4 + f->qoff, plen);
		if (rc == -FI_EAGAIN) {
			retry_later(f);
			break;
		}
		if (rc < 0) {
			lost(f, "cannot send", rc);
			return;
		}
		f->credits--;
		f->qoff += plen;
		f->ep.bytes_out += plen;
		if (f->qoff == msg_len) {
			f->qhead += 4 + msg_len;
			f->qoff = 0;
			f->ep.msgs_out++;
		}
	}
	if (f->qhead == f->qtail) {
		f->qhead = f->qtail = 0;
		if (f->qcap > BUF_KEEP_MAX) {
			free(f->q);
			f->q = NULL;
			f->qcap = 0;
		}
	}
	/* owed credits that no data chunk will carry soon go alone */
	if (fab_active(f) && f->to_return >= FAB_CREDITS / 2 &&
	    f->ntx_free && !(f->qhead < f->qtail && f->credits)) {
		int rc = post_tx(f, K_CREDIT, 0, 0, NULL, 0);
		if (rc == -FI_EAGAIN)
			retry_later(f);
		else if (rc < 0)
			lost(f, "cannot send", rc);
	}
}

int fab_sendv(struct vg_ep *ep, const struct iovec *iov, int iovcnt)
{
	struct fab_ep *f = fab_of(ep);
	size_t total = 0;
	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (total > f->peer_max_msg)
		return -EMSGSIZE;
	size_t queued = f->qtail - f->qhead;
	if (queued + 4 + total > ep->xprt->max_queued) {
		char why[200];
		snprintf(why, sizeof(why), "%s does not take its messages: %zu bytes queued",
			 ep->peer, queued);
		fab_conn_fail(f, -ENOBUFS, why);
		return -ENOBUFS;
	}
	if (f->qhead && f->qtail + 4 + total > f->qcap) {
		memmove(f->q, f->q + f->qhead, queued);
		f->qtail = queued;
		f->qhead = 0;
	}
	if (f->qtail + 4 + total > f->qcap) {
		size_t cap = f->qcap ? f->qcap : 64u << 10;
		while (cap < f->qtail + 4 + total)
			cap *= 2;
		uint8_t *q = realloc(f->q, cap);
		if (!q)
			return -ENOMEM;
		f->q = q;
		f->qcap = cap;
	}
	fab_put_u32(f->q + f->qtail, (uint32_t)total);
	f->qtail += 4;
	for (int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len)
			memcpy(f->q + f->qtail, iov[i].iov_base, iov[i].iov_len);
		f->qtail += iov[i].iov_len;
	}
	fab_pump(f);
	return f->ep.state == VG_EP_CONNECTED_STATE ? 0 : -ENOTCONN;
}

/* ------------------------------------------------------------------ receiving */

static void deliver(struct fab_ep *f, const void *data, size_t len)
{
	f->ep.msgs_in++;
	struct vg_ep_event ev = {.type = VG_EP_RECV, .data = data, .len = len};
	vg_ep_deliver(&f->ep, &ev);
}

/* One chunk in receive buffer i; false if the connection is gone. */
static bool on_chunk(struct fab_ep *f, uint32_t i, size_t len)
{
	const uint8_t *p = f->rx + (size_t)i * FAB_CHUNK;
	if (len < FAB_HDR || len > FAB_CHUNK) {
		fab_drop_peer(f, "a chunk of impossible length");
		return false;
	}
	uint32_t credits = fab_get_u32(p + 4), total = fab_get_u32(p + 8);
	if (credits > FAB_CREDITS - f->credits) {
		fab_drop_peer(f, "more credits returned than were lent");
		return false;
	}
	f->credits += credits;
	if (p[0] != K_DATA && !(p[0] == K_CREDIT && len == FAB_HDR)) {
		fab_drop_peer(f, "a chunk of unknown kind");
		return false;
	}
	/* credit-only chunks, and anything once we closed, only give their buffer back */
	if (p[0] == K_CREDIT || f->draining) {
		int rc = post_rx(f, i);
		if (rc < 0)
			lost(f, "cannot post a receive", rc);
		return rc == 0;
	}
	const uint8_t *payload = p + FAB_HDR;
	size_t plen = len - FAB_HDR;
	f->ep.bytes_in += plen;
	bool first = p[1] & F_FIRST, last = p[1] & F_LAST;
	if (first && (f->asm_want || total > f->ep.xprt->max_msg ||
		      (last ? plen != total : plen >= total))) {
		fab_drop_peer(f, "a message whose chunks do not add up");
		return false;
	}
	if (!first && (!f->asm_want || plen > f->asm_want - f->asm_len ||
		       (last && f->asm_len + plen != f->asm_want))) {
		fab_drop_peer(f, "a message whose chunks do not add up");
		return false;
	}
	if (first && last) {
		deliver(f, payload, plen);
	} else {
		if (first) {
			if (f->asm_cap < total) {
				free(f->asm_buf);
				f->asm_buf = malloc(total);
				f->asm_cap = f->asm_buf ? total : 0;
				if (!f->asm_buf) {
					fab_conn_fail(f, -ENOMEM, "out of memory for a message");
					return false;
				}
			}
			f->asm_want = total;
			f->asm_len = 0;
		}
		memcpy(f->asm_buf + f->asm_len, payload, plen);
		f->asm_len += plen;
		if (last) {
			f->asm_want = 0;
			deliver(f, f->asm_buf, f->asm_len);
			if (f->asm_cap > BUF_KEEP_MAX && f->ep.state == VG_EP_CONNECTED_STATE) {
				free(f->asm_buf);
				f->asm_buf = NULL;
				f->asm_cap = 0;
			}
		}
	}
	if (!fab_active(f))
		return false;
	int rc = post_rx(f, i);
	if (rc < 0) {
		lost(f, "cannot post a receive", rc);
		return false;
	}
	f->to_return++;
	return true;
}

/* ------------------------------------------------------------------ reads */

static void read_free(struct fab_ep *f, uint32_t idx)
{
	struct fab_read *r = &f->reads[idx];
	if (r->local_mr)
		fi_close(&r->local_mr->fid);
	memset(r, 0, sizeof(*r));
	r->next = f->free_read;
	f->free_read = idx;
}

static void read_complete(struct fab_ep *f, uint32_t idx, int status)
{
	void *ctx = f->reads[idx].ctx;
	read_free(f, idx);
	struct vg_ep_event ev = {.type = VG_EP_READ_DONE, .status = status, .ctx = ctx};
	vg_ep_deliver(&f->ep, &ev);
}

static void deliver_done(struct fab_ep *f)
{
	while (f->done_head != FAB_NONE) {
		uint32_t idx = f->done_head;
		f->done_head = f->reads[idx].next;
		if (f->done_head == FAB_NONE)
			f->done_tail = FAB_NONE;
		read_complete(f, idx, f->reads[idx].status);
	}
}

static void done_cb(void *arg)
{
	struct fab_ep *f = arg;
	f->done_queued = false;
	deliver_done(f);
	vg_ep_put(&f->ep);
}

/* A read that fails (or, empty, succeeds) before the network: its READ_DONE comes from the loop. */
static void read_done_later(struct fab_ep *f, uint32_t idx, int status)
{
	f->reads[idx].status = status;
	f->reads[idx].next = FAB_NONE;
	if (f->done_tail != FAB_NONE)
		f->reads[f->done_tail].next = idx;
	else
		f->done_head = idx;
	f->done_tail = idx;
	if (!f->done_queued) {
		f->done_queued = true;
		vg_ep_get(&f->ep);
		vg_loop_defer(f->ep.xprt->loop, &f->reads_done, done_cb, f);
	}
}

void fab_fail_reads(struct fab_ep *f)
{
	deliver_done(f);
	f->wait_head = f->wait_tail = FAB_NONE;
	for (uint32_t i = 0; i < f->nreads; i++)
		if (f->reads[i].used)
			read_complete(f, i, -ECONNRESET);
}

static int post_read(struct fab_ep *f, uint32_t idx)
{
	struct fab_read *r = &f->reads[idx];
	void *desc = r->local_mr ? fi_mr_desc(r->local_mr) : NULL;
	int rc = (int)fi_read(f->fep, r->dst, r->len, desc, 0, r->raddr, r->key,
			      op_ctx(OP_READ, idx));
	if (rc == 0)
		r->posted = true;
	return rc;
}

static int read_slot(struct fab_ep *f, uint32_t *out)
{
	if (f->free_read == FAB_NONE) {
		uint32_t n = f->nreads ? f->nreads * 2 : READS_INITIAL;
		struct fab_read *r = realloc(f->reads, n * sizeof(*r));
		if (!r)
			return -ENOMEM;
		memset(r + f->nreads, 0, (n - f->nreads) * sizeof(*r));
		for (uint32_t i = n; i-- > f->nreads;) {
			r[i].next = f->free_read;
			f->free_read = i;
		}
		f->reads = r;
		f->nreads = n;
	}
	*out = f->free_read;
	f->free_read = f->reads[*out].next;
	f->reads[*out].used = true;
	f->reads[*out].next = FAB_NONE;
	return 0;
}

int fab_read(struct vg_ep *ep, const struct vg_rkey *rkey, uint64_t offset, void *dst, size_t len,
	     void *ctx)
{
	struct fab_ep *f = fab_of(ep);
	uint32_t idx;
	if (read_slot(f, &idx) < 0)
		return -ENOMEM;
	struct fab_read *r = &f->reads[idx];
	r->ctx = ctx;
	r->dst = dst;
	r->len = (uint32_t)len;
	r->key = fab_get_u64(rkey->bytes);
	uint64_t base = fab_get_u64(rkey->bytes + 8), rlen = fab_get_u64(rkey->bytes + 16);
	r->raddr = base + offset;
	if (fab_get_u32(rkey->bytes + 24) != FAB_RKEY_MAGIC) {
		read_done_later(f, idx, -ENOENT);
		return 0;
	}
	if (offset > rlen || len > rlen - offset) {
		read_done_later(f, idx, -ERANGE);
		return 0;
	}
	if (len == 0) {
		read_done_later(f, idx, 0);
		return 0;
	}
	if (fx_of(f)->local_mr) {
		int rc = fab_reg(fx_of(f), dst, len, FI_READ, &r->local_mr);
		if (rc < 0) {
			read_free(f, idx);
			return rc;
		}
	}
	int rc = f->wait_head == FAB_NONE ? post_read(f, idx) : -FI_EAGAIN;
	if (rc == -FI_EAGAIN) {
		if (f->wait_tail != FAB_NONE)
			f->reads[f->wait_tail].next = idx;
		else
			f->wait_head = idx;
		f->wait_tail = idx;
		retry_later(f);
		return 0;
	}
	if (rc < 0) {
		read_free(f, idx);
		return rc;
	}
	return 0;
}

/* ------------------------------------------------------------------ the completion queue */

/* Did the peer refuse this read (key, range), or did the connection go under it? */
static int read_error_status(const struct fi_cq_err_entry *e)
{
	bool conn = e->err == FI_ECANCELED || e->err == FI_ECONNRESET || e->err == FI_ENOTCONN ||
		    e->err == FI_ECONNABORTED || e->err == EPIPE || e->err == FI_ESHUTDOWN;
	/* the tcp provider cancels the read with the peer's errno (ENOENT: unknown key) */
	if (conn && e->prov_errno != ENOENT && e->prov_errno != EACCES && e->prov_errno != EINVAL)
		return -ECONNRESET;
	return -ENOENT;
}

static void on_error(struct fab_ep *f)
{
	struct fi_cq_err_entry e = {0};
	if (fi_cq_readerr(f->cq, &e, 0) < 0)
		return;
	uintptr_t c = (uintptr_t)e.op_context;
	unsigned kind = c & 3;
	uint32_t idx = (uint32_t)((c >> 2) - 1);
	if (kind == OP_READ && idx < f->nreads && f->reads[idx].used) {
		read_complete(f, idx, read_error_status(&e));
		return;
	}
	if (kind == OP_SEND && idx < FAB_NTX)
		f->tx_free[f->ntx_free++] = idx;
	/*
	 * We read the queue only while connected and close the endpoint before
	 * anything of ours is canceled: a failed or canceled send or receive
	 * means the provider gave up the connection (a refused read does that
	 * on the tcp provider, as a remote access error does on verbs).
	 */
	lost(f, kind == OP_SEND ? "send failed" : "receive failed", e.err);
}

void fab_cq_drain(struct fab_ep *f)
{
	struct fi_cq_msg_entry ents[16];
	vg_ep_get(&f->ep);
	while (f->cq && fab_active(f)) {
		ssize_t n = fi_cq_read(f->cq, ents, 16);
		if (n == -FI_EAGAIN)
			break;
		if (n == -FI_EAVAIL) {
			on_error(f);
			continue;
		}
		if (n < 0) {
			lost(f, "cannot read the completion queue", (int)n);
			break;
		}
		for (ssize_t i = 0; i < n && fab_active(f); i++) {
			uintptr_t c = (uintptr_t)ents[i].op_context;
			uint32_t idx = (uint32_t)((c >> 2) - 1);
			switch (c & 3) {
			case OP_RECV:
				if (idx < FAB_NRX)
					on_chunk(f, idx, ents[i].len);
				break;
			case OP_SEND:
				if (idx < FAB_NTX)
					f->tx_free[f->ntx_free++] = idx;
				break;
			case OP_READ:
				if (idx < f->nreads && f->reads[idx].used)
					read_complete(f, idx, 0);
				break;
			}
		}
	}
	if (fab_active(f))
		fab_pump(f);
	fab_drain_check(f);
	vg_ep_put(&f->ep);
}

void fab_cq_io_cb(struct vg_io *io, uint32_t events, void *arg)
{
	(void)events;
	struct fab_ep *f = arg;
	vg_ep_get(&f->ep);
	if (f->ep.state == VG_EP_CONNECTING) {
		/* the connection event may sit in the other queue: it comes first */
		fab_eq_drain(f);
		if (f->ep.state == VG_EP_CONNECTING)
			vg_io_start(f->ep.xprt->loop, io, 0);
		vg_ep_put(&f->ep);
		return;
	}
	int i = 0;
	for (; i < 8 && fab_active(f); i++) {
		fab_cq_drain(f);
		if (!f->cq)
			break;
		struct fid *fids[1] = {&f->cq->fid};
		if (fi_trywait(fx_of(f)->fabric, fids, 1) != -FI_EAGAIN)
			break;
	}
	if (i == 8 && fab_active(f))
		retry_later(f);
	vg_ep_put(&f->ep);
}
