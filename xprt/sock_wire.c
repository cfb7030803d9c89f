/*
 * sock_wire.c - the sock driver's frames on the byte stream: the send path
 * (sendmsg first, a copy queue for the rest), the receive buffer and frame
 * checks, the HELLO check and the emulated one-sided reads.  The format is
 * described at the top of sock.c.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "xprt/sock_int.h"

#define FRAME_HDR 16u
#define FRAME_VERSION 1u
#define PROTO_VERSION 1u
#define HELLO_LEN 16u
#define READ_REQ_LEN 48u
#define READ_RESP_HDR 8u
#define RBUF_INITIAL (16u << 10)
#define BUF_KEEP_MAX (1u << 20)  /* larger buffers are given back once empty */
#define READS_INITIAL 16u
#define MAX_IOV 32
/*
 * Backpressure on accepted connections: past this many bytes queued for a
 * client, its requests are no longer read until the queue drains, so a
 * client that asks and never reads costs at most this plus one reply, not
 * max_queued.  Connectors never pause: of the two ends of a connection only
 * one ever stops reading, so two busy peers cannot wait on each other.
 */
#define PAUSE_READING_AT (1u << 20)
/* A peer that cannot take messages of this size is not a vigil peer. */
#define PEER_MAX_MSG_MIN (64u << 10)
/* How long a peer that closed its side has to take the replies still queued. */
#define PEER_DONE_TIMEOUT_US (10u * 1000000u)

enum frame_kind { F_HELLO = 1, F_MSG, F_READ_REQ, F_READ_RESP };

static void bad_peer(struct sock_ep *s, const char *reason)
{
	sock_drop_peer(s, -EPROTO, reason);
}

/* ------------------------------------------------------------------ sending */

int sock_flush(struct sock_ep *s)
{
	while (s->ohead < s->otail) {
		ssize_t n = send(s->fd, s->obuf + s->ohead, s->otail - s->ohead,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		if (n < 0) {
			int e = errno;
			char why[200];
			snprintf(why, sizeof(why), "send to %s failed: %s", s->ep.peer, strerror(e));
			sock_conn_fail(s, -e, why);
			return -ENOTCONN;
		}
		s->ohead += (size_t)n;
		s->ep.bytes_out += (uint64_t)n;
	}
	s->ohead = s->otail = 0;
	if (s->ocap > BUF_KEEP_MAX) {
		free(s->obuf);
		s->obuf = NULL;
		s->ocap = 0;
	}
	s->paused = false;
	if (s->peer_done) {
		char why[200];
		snprintf(why, sizeof(why), "connection closed by %s", s->ep.peer);
		sock_conn_fail(s, 0, why);
		return -ENOTCONN;
	}
	return vg_io_start(s->ep.xprt->loop, &s->io, VG_IO_READ);
}

static int queue_append(struct sock_ep *s, const struct iovec *iov, int iovcnt, size_t skip,
			size_t need)
{
	if (s->otail - s->ohead + need > s->ep.xprt->max_queued) {
		char why[200];
		snprintf(why, sizeof(why), "the peer is not reading: more than %zu bytes queued for it",
			 s->ep.xprt->max_queued);
		sock_drop_peer(s, -ENOBUFS, why);
		return -ENOBUFS;
	}
	if (s->ocap - s->otail < need && s->ohead) {
		memmove(s->obuf, s->obuf + s->ohead, s->otail - s->ohead);
		s->otail -= s->ohead;
		s->ohead = 0;
	}
	if (s->ocap - s->otail < need) {
		size_t cap = s->ocap ? s->ocap * 2 : RBUF_INITIAL;
		while (cap < s->otail + need)
			cap *= 2;
		uint8_t *buf = realloc(s->obuf, cap);
		if (!buf) {
			/* part of the frame may be out already: the stream cannot go on */
			sock_conn_fail(s, -ENOMEM, "out of memory for the send queue");
			return -ENOMEM;
		}
		s->obuf = buf;
		s->ocap = cap;
	}
	for (int i = 0; i < iovcnt; i++) {
		size_t len = iov[i].iov_len;
		if (skip >= len) {
			skip -= len;
			continue;
		}
		memcpy(s->obuf + s->otail, (const uint8_t *)iov[i].iov_base + skip, len - skip);
		s->otail += len - skip;
		skip = 0;
	}
	if (s->listener && s->otail - s->ohead > PAUSE_READING_AT)
		s->paused = true;
	return vg_io_start(s->ep.xprt->loop, &s->io,
			   (s->paused || s->peer_done) ? VG_IO_WRITE : VG_IO_READ | VG_IO_WRITE);
}

/* Header and body go out in one sendmsg, straight from the caller's memory. */
static int send_frame(struct sock_ep *s, uint8_t kind, uint64_t id, const struct iovec *body,
		      int bodycnt)
{
	if (bodycnt > MAX_IOV - 1)
		return -EINVAL;
	uint8_t hdr[FRAME_HDR] = {kind, FRAME_VERSION, 0, 0};
	struct iovec iov[MAX_IOV];
	size_t total = FRAME_HDR;
	iov[0].iov_base = hdr;
	iov[0].iov_len = FRAME_HDR;
	for (int i = 0; i < bodycnt; i++) {
		iov[i + 1] = body[i];
		total += body[i].iov_len;
	}
	put_u32(hdr + 4, (uint32_t)(total - FRAME_HDR));
	put_u64(hdr + 8, id);
	size_t sent = 0;
	if (s->ohead == s->otail) {
		struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)bodycnt + 1};
		ssize_t n;
		do
			n = sendmsg(s->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		while (n < 0 && errno == EINTR);
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
			int e = errno;
			char why[200];
			snprintf(why, sizeof(why), "send to %s failed: %s", s->ep.peer, strerror(e));
			sock_conn_fail(s, -e, why);
			return -ENOTCONN;
		}
		sent = n > 0 ? (size_t)n : 0;
		s->ep.bytes_out += sent;
	}
	if (sent == total)
		return 0;
	return queue_append(s, iov, bodycnt + 1, sent, total - sent);
}

int sock_send_hello(struct sock_ep *s)
{
	uint8_t payload[HELLO_LEN];
	memcpy(payload, "VIGILSK1", 8);
	put_u32(payload + 8, PROTO_VERSION);
	size_t max = s->ep.xprt->max_msg;
	put_u32(payload + 12, max > UINT32_MAX ? UINT32_MAX : (uint32_t)max);
	struct iovec iov = {.iov_base = payload, .iov_len = sizeof(payload)};
	return send_frame(s, F_HELLO, 0, &iov, 1);
}

int sock_sendv(struct vg_ep *ep, const struct iovec *iov, int iovcnt)
{
	struct sock_ep *s = sock_of(ep);
	size_t total = 0;
	for (int i = 0; i < iovcnt; i++)
		total += iov[i].iov_len;
	if (total > s->peer_max_msg)
		return -EMSGSIZE;
	int rc = send_frame(s, F_MSG, 0, iov, iovcnt);
	if (rc == 0)
		ep->msgs_out++;
	return rc;
}

/* ------------------------------------------------------------------ one-sided reads */

static int reads_grow(struct sock_ep *s)
{
	uint32_t cap = s->reads_cap ? s->reads_cap * 2 : READS_INITIAL;
	struct pending_read *reads = realloc(s->reads, cap * sizeof(*reads));
	if (!reads)
		return -ENOMEM;
	for (uint32_t i = s->reads_cap; i < cap; i++)
		reads[i] = (struct pending_read){.id = 0, .next_free = i + 1 < cap ? i + 1 : UINT32_MAX};
	s->free_read = s->reads_cap;
	s->reads = reads;
	s->reads_cap = cap;
	return 0;
}

static void read_release(struct sock_ep *s, uint32_t slot)
{
	s->reads[slot].id = 0;
	s->reads[slot].next_free = s->free_read;
	s->free_read = slot;
}

int sock_read(struct vg_ep *ep, const struct vg_rkey *rkey, uint64_t offset, void *dst,
	      size_t len, void *ctx)
{
	struct sock_ep *s = sock_of(ep);
	if (s->free_read == UINT32_MAX && reads_grow(s) < 0)
		return -ENOMEM;
	uint32_t slot = s->free_read;
	struct pending_read *r = &s->reads[slot];
	s->free_read = r->next_free;
	/* ids never repeat soon and are never 0: a late or forged response finds no match */
	if (++s->read_seq == 0)
		s->read_seq = 1;
	r->id = (uint64_t)s->read_seq << 32 | slot;
	r->dst = dst;
	r->len = (uint32_t)len;
	r->ctx = ctx;
	uint8_t req[READ_REQ_LEN] = {0};
	memcpy(req, rkey->bytes, sizeof(rkey->bytes));
	put_u64(req + 32, offset);
	put_u32(req + 40, (uint32_t)len);
	struct iovec iov = {.iov_base = req, .iov_len = sizeof(req)};
	int rc = send_frame(s, F_READ_REQ, r->id, &iov, 1);
	if (rc < 0 && s->reads[slot].id)
		read_release(s, slot);
	return rc;
}

static void serve_read(struct sock_ep *s, uint64_t id, const uint8_t *req)
{
	struct sock_xprt *sx = ((struct sock_xprt *)s->ep.xprt->priv);
	uint32_t slot = get_u32(req), gen = get_u32(req + 4);
	uint64_t key = get_u64(req + 8), offset = get_u64(req + 32);
	uint32_t len = get_u32(req + 40);
	int status = 0;
	struct sock_mr *mr = slot < sx->nregions ? sx->regions[slot].mr : NULL;
	if (!mr || mr->gen != gen || mr->key != key ||
	    (s->ep.read_allow && !s->ep.read_allow(&s->ep, mr->owner, s->ep.read_allow_arg)))
		status = -ENOENT;
	else if (offset > mr->len || len > mr->len - offset)
		status = -ERANGE;
	else if (len > s->ep.xprt->max_msg || len > s->peer_max_msg)
		status = -EMSGSIZE;
	uint8_t hdr[READ_RESP_HDR] = {0};
	put_u32(hdr, (uint32_t)status);
	struct iovec iov[2] = {{hdr, sizeof(hdr)}, {NULL, 0}};
	if (status == 0) {
		iov[1].iov_base = mr->addr + offset;
		iov[1].iov_len = len;
	}
	(void)send_frame(s, F_READ_RESP, id, iov, status == 0 ? 2 : 1);
}

static void complete_read(struct sock_ep *s, uint64_t id, const uint8_t *p, uint32_t plen)
{
	uint32_t slot = (uint32_t)id;
	char why[160];
	if (slot >= s->reads_cap || !s->reads[slot].id || s->reads[slot].id != id) {
		snprintf(why, sizeof(why), "READ response for unknown request %#llx",
			 (unsigned long long)id);
		bad_peer(s, why);
		return;
	}
	struct pending_read r = s->reads[slot];
	int32_t status = (int32_t)get_u32(p);
	bool fits = status == 0 ? plen == READ_RESP_HDR + r.len
				: plen == READ_RESP_HDR && status < 0 && status > -4096;
	if (!fits) {
		snprintf(why, sizeof(why), "READ response of %u bytes with status %d for a read of %u bytes",
			 plen, status, r.len);
		bad_peer(s, why);
		return;
	}
	if (status == 0 && r.len)
		memcpy(r.dst, p + READ_RESP_HDR, r.len);
	read_release(s, slot);
	struct vg_ep_event ev = {.type = VG_EP_READ_DONE, .status = status, .ctx = r.ctx};
	vg_ep_deliver(&s->ep, &ev);
}

void sock_fail_reads(struct sock_ep *s)
{
	for (uint32_t i = 0; i < s->reads_cap; i++) {
		struct pending_read *r = &s->reads[i];
		if (!r->id)
			continue;
		r->id = 0;
		struct vg_ep_event ev = {.type = VG_EP_READ_DONE, .status = -ECONNRESET, .ctx = r->ctx};
		vg_ep_deliver(&s->ep, &ev);
	}
}

/* ------------------------------------------------------------------ receiving */

static void handle_hello(struct sock_ep *s, const uint8_t *p)
{
	char why[160];
	if (memcmp(p, "VIGILSK1", 8) != 0) {
		bad_peer(s, "bad HELLO magic: not a vigil sock peer");
		return;
	}
	uint32_t version = get_u32(p + 8);
	if (version != PROTO_VERSION) {
		snprintf(why, sizeof(why),
			 "peer speaks sock protocol %u, this side speaks %u: run the same vigil version",
			 version, PROTO_VERSION);
		bad_peer(s, why);
		return;
	}
	uint32_t peer_max = get_u32(p + 12);
	if (peer_max < PEER_MAX_MSG_MIN) {
		snprintf(why, sizeof(why), "peer takes messages of at most %u bytes, below %u",
			 peer_max, PEER_MAX_MSG_MIN);
		bad_peer(s, why);
		return;
	}
	sock_handshake_done(s, peer_max);
}

/* Judge a frame from its header alone, before its payload is read or room made for it. */
static bool header_fits(struct sock_ep *s, const uint8_t *h, char *why, size_t size)
{
	uint8_t kind = h[0];
	uint32_t plen = get_u32(h + 4);
	size_t max = s->ep.xprt->max_msg;
	if (!s->hello_rcvd && (kind != F_HELLO || h[1] != FRAME_VERSION))
		snprintf(why, size, "not a vigil sock peer (its first frame is not a HELLO)");
	else if (h[1] != FRAME_VERSION)
		snprintf(why, size, "frame version %u, expected %u", h[1], FRAME_VERSION);
	else if (kind == F_HELLO && s->hello_rcvd)
		snprintf(why, size, "second HELLO");
	else if (kind == F_HELLO && plen != HELLO_LEN)
		snprintf(why, size, "HELLO of %u bytes, expected %u", plen, HELLO_LEN);
	else if (kind == F_MSG && plen > max)
		snprintf(why, size, "message of %u bytes exceeds the limit of %zu bytes", plen, max);
	else if (kind == F_READ_REQ && plen != READ_REQ_LEN)
		snprintf(why, size, "READ request of %u bytes, expected %u", plen, READ_REQ_LEN);
	else if (kind == F_READ_RESP && (plen < READ_RESP_HDR || plen - READ_RESP_HDR > max))
		snprintf(why, size, "READ response of %u bytes (limit %zu)", plen, max);
	else if (kind < F_HELLO || kind > F_READ_RESP)
		snprintf(why, size, "unknown frame kind %u", kind);
	else
		return true;
	return false;
}

static void handle_frame(struct sock_ep *s, const uint8_t *h, const uint8_t *payload)
{
	uint32_t plen = get_u32(h + 4);
	uint64_t id = get_u64(h + 8);
	switch (h[0]) {
	case F_HELLO:
		handle_hello(s, payload);
		break;
	case F_MSG: {
		s->ep.msgs_in++;
		struct vg_ep_event ev = {.type = VG_EP_RECV, .data = payload, .len = plen};
		vg_ep_deliver(&s->ep, &ev);
		break;
	}
	case F_READ_REQ:
		serve_read(s, id, payload);
		break;
	case F_READ_RESP:
		complete_read(s, id, payload, plen);
		break;
	}
}

static int rbuf_reserve(struct sock_ep *s, size_t need)
{
	if (need <= s->rcap)
		return 0;
	size_t cap = s->rcap * 2 > need ? s->rcap * 2 : need;
	uint8_t *buf = realloc(s->rbuf, cap);
	if (!buf) {
		sock_conn_fail(s, -ENOMEM, "out of memory for the receive buffer");
		return -ENOMEM;
	}
	s->rbuf = buf;
	s->rcap = cap;
	return 0;
}

/* Handle every complete frame in rbuf; -1 once the connection is gone. */
static int process_frames(struct sock_ep *s)
{
	size_t pos = 0;
	while (s->rlen - pos >= FRAME_HDR && !s->paused) {
		const uint8_t *h = s->rbuf + pos;
		char why[160];
		if (!header_fits(s, h, why, sizeof(why))) {
			bad_peer(s, why);
			return -1;
		}
		size_t total = FRAME_HDR + get_u32(h + 4);
		if (s->rlen - pos < total) {
			memmove(s->rbuf, s->rbuf + pos, s->rlen - pos);
			s->rlen -= pos;
			return rbuf_reserve(s, total) < 0 ? -1 : 0;
		}
		handle_frame(s, h, h + FRAME_HDR);
		if (!sock_live(s))
			return -1;
		pos += total;
	}
	memmove(s->rbuf, s->rbuf + pos, s->rlen - pos);
	s->rlen -= pos;
	if (s->rlen == 0 && s->rcap > BUF_KEEP_MAX) {
		uint8_t *buf = realloc(s->rbuf, RBUF_INITIAL);
		if (buf) {
			s->rbuf = buf;
			s->rcap = RBUF_INITIAL;
		}
	}
	return 0;
}

/*
 * Until the peer's HELLO a connection holds room for that one frame only, so
 * a crowd of silent or foreign clients costs little; the working buffers
 * come with the handshake.
 */
int sock_conn_buffers(struct sock_ep *s)
{
	s->rbuf = malloc(FRAME_HDR + HELLO_LEN);
	if (!s->rbuf)
		return -ENOMEM;
	s->rcap = FRAME_HDR + HELLO_LEN;
	s->free_read = UINT32_MAX;
	return 0;
}

static int conn_buffers_grow(struct sock_ep *s)
{
	if (rbuf_reserve(s, RBUF_INITIAL) < 0)
		return -ENOMEM;
	if (!s->reads_cap && reads_grow(s) < 0) {
		sock_conn_fail(s, -ENOMEM, "out of memory for the read table");
		return -ENOMEM;
	}
	return 0;
}

void sock_resume(struct sock_ep *s)
{
	if (s->hello_rcvd && !s->paused && s->rlen >= FRAME_HDR)
		process_frames(s);
}

void sock_on_readable(struct sock_ep *s)
{
	/* a few reads per wakeup, then let other connections have their turn */
	for (int round = 0; round < 8 && !s->paused && !s->peer_done; round++) {
		if (s->hello_rcvd && s->rcap < RBUF_INITIAL && conn_buffers_grow(s) < 0)
			return;
		ssize_t n = recv(s->fd, s->rbuf + s->rlen, s->rcap - s->rlen, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n == 0 && s->ohead < s->otail && s->ep.state == VG_EP_CONNECTED_STATE) {
			/*
			 * The peer is done sending but may still read: its replies
			 * go out first, then the connection closes (sock_flush).
			 */
			s->peer_done = true;
			vg_io_start(s->ep.xprt->loop, &s->io, VG_IO_WRITE);
			vg_timer_start(s->ep.xprt->loop, &s->timer, PEER_DONE_TIMEOUT_US);
			return;
		}
		if (n <= 0) {
			char why[200];
			int status = n == 0 ? 0 : -errno;
			if (n == 0)
				snprintf(why, sizeof(why), "connection closed by %s", s->ep.peer);
			else
				snprintf(why, sizeof(why), "receive from %s failed: %s", s->ep.peer,
					 strerror(errno));
			sock_conn_fail(s, status, why);
			return;
		}
		s->rlen += (size_t)n;
		s->ep.bytes_in += (uint64_t)n;
		if (process_frames(s) < 0)
			return;
	}
}
