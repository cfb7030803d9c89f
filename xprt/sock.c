/*
 * sock.c - the TCP / UNIX socket driver.
 *
 * Sockets are non-blocking and watched by the transport's loop (one vg_io
 * per socket).  TCP_NODELAY on every TCP connection, SO_REUSEADDR on
 * listeners.  A listener with no host binds "::" with IPV6_V6ONLY off, so it
 * serves IPv4 too, falling back to 0.0.0.0 where IPv6 is missing; a named
 * host goes through getaddrinfo.  A host starting with '/' is a UNIX socket
 * path: a stale socket file (nobody accepts on it) is removed first, the new
 * one is made mode 0600.
 *
 * Wire format: frames of a 16-byte little-endian header {u8 kind; u8
 * version = 1; u16 flags; u32 payload_len; u64 id} and the payload.
 *   HELLO     (1)  16 bytes: "VIGILSK1", u32 protocol version, u32 max message size
 *   MSG       (2)  one application message, delivered as one VG_EP_RECV
 *   READ_REQ  (3)  {u8 rkey[32]; u64 offset; u32 len; u32 pad}, id = requester's read id
 *   READ_RESP (4)  {i32 status; u32 pad} then len bytes when status == 0; id echoed
 * Both sides send HELLO once TCP is up.  A connector reports CONNECTED and a
 * listener ACCEPTED only when the peer's valid HELLO has arrived, so an HTTP
 * client or an LDMS peer never reaches the application; a peer silent for
 * VG_XPRT_HANDSHAKE_TIMEOUT_MS (connect included) is dropped.  A frame that
 * does not fit (version, kind, length, READ sizes, unknown read id) is checked
 * from its header before anything is allocated, and closes that connection
 * with one WARNING line, rate-limited per listener.
 *
 * Buffers: the receive buffer starts at 16 KiB and grows to the current
 * frame, up to max_msg.  Sends go out with sendmsg at once; what the kernel
 * does not take is copied to a per-connection queue drained on writability.
 * Past max_queued bytes the send fails with -ENOBUFS and the connection is
 * closed.
 *
 * One-sided reads are emulated: registered regions sit in a table of the
 * transport instance; an rkey is {u32 slot; u32 gen; u64 key; u64 len; u64
 * reserved}.  The driver itself serves READ_REQ on the loop (gen and random
 * key must match, else -ENOENT; offset + len must fit, else -ERANGE), sending
 * straight from the region.  Deregistering bumps gen so old rkeys fail.  The
 * requester keeps outstanding reads in a per-connection table, grown only
 * when full; READ_RESP copies into dst and completes READ_DONE.
 *
 * Closing: the last event (DISCONNECTED, or REJECTED for a connect that never
 * completed) comes from a deferred call, never from inside vg_ep_close, after
 * outstanding reads failed with -ECONNRESET; then the driver's reference is
 * released.  Closing a listener delivers no event.  An unresolvable host or a
 * failure to create the socket is returned by vg_ep_connect with err; every
 * later failure (refused, unreachable, timeout, bad handshake) is REJECTED.
 *
 * Files: sock.c (this one) runs the endpoints' life cycle and memory
 * registration, sock_wire.c the frames on the stream, sock_net.c the socket
 * plumbing (resolution, listening sockets, address strings).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xprt/sock_int.h"

#define ACCEPT_BACKOFF_US 100000u

static struct sock_xprt *sx_of(struct sock_ep *s)
{
	return s->ep.xprt->priv;
}

/* ------------------------------------------------------------------ closing */

static void sock_init(struct sock_ep *s, vg_io_cb cb);
static void timer_cb(struct vg_timer *t, void *arg);

/* Deferred: the last event, then the driver's reference goes. */
static void finish_close(void *arg)
{
	struct sock_ep *s = arg;
	if (s->announced) {
		sock_fail_reads(s);
		struct vg_ep_event ev = {
			.type = s->last_event, .status = s->final_status, .reason = s->reason};
		vg_ep_deliver(&s->ep, &ev);
	}
	s->ep.state = VG_EP_CLOSED;
	if (s->listener && !s->announced)
		vg_ep_put(&s->ep);  /* the reference ACCEPTED would have handed over */
	vg_ep_put(&s->ep);
}

static void close_fd(struct sock_ep *s)
{
	vg_io_stop(&s->io);
	vg_timer_stop(&s->timer);
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

/* Accepted connections in their handshake hang on the listener, which fails them when it closes. */
static void pending_add(struct sock_ep *l, struct sock_ep *s)
{
	s->pend_prev = NULL;
	s->pend_next = l->pending;
	if (l->pending)
		l->pending->pend_prev = s;
	l->pending = s;
}

static void pending_remove(struct sock_ep *s)
{
	struct sock_ep *l = s->listener;
	if (!l || (!s->pend_prev && l->pending != s))
		return;
	if (s->pend_prev)
		s->pend_prev->pend_next = s->pend_next;
	else
		l->pending = s->pend_next;
	if (s->pend_next)
		s->pend_next->pend_prev = s->pend_prev;
	s->pend_prev = s->pend_next = NULL;
}

void sock_conn_fail(struct sock_ep *s, int status, const char *reason)
{
	if (!sock_live(s))
		return;
	pending_remove(s);
	s->last_event = s->ep.state == VG_EP_CONNECTED_STATE ? VG_EP_DISCONNECTED : VG_EP_REJECTED;
	s->ep.state = VG_EP_CLOSING;
	s->final_status = status;
	vg_strlcpy(s->reason, reason, sizeof(s->reason));
	close_fd(s);
	vg_loop_defer(s->ep.xprt->loop, &s->finish, finish_close, s);
}

/* A peer that broke the protocol: one rate-limited line, then the connection goes. */
void sock_drop_peer(struct sock_ep *s, int status, const char *reason)
{
	struct vg_complaint *c = s->listener ? &s->listener->complaint : &sx_of(s)->complaint;
	vg_complain(c, VG_LOG_WARNING, "sock", "dropping connection %s %s: %s",
		    s->listener ? "from" : "to", s->ep.peer, reason);
	sock_conn_fail(s, status, reason);
}

void sock_handshake_done(struct sock_ep *s, uint32_t peer_max_msg)
{
	pending_remove(s);
	s->peer_max_msg = peer_max_msg;
	s->hello_rcvd = true;
	vg_timer_stop(&s->timer);
	s->ep.state = VG_EP_CONNECTED_STATE;
	if (!s->listener) {
		struct vg_ep_event ev = {.type = VG_EP_CONNECTED};
		vg_ep_deliver(&s->ep, &ev);
		return;
	}
	/* nobody to take the connection: it goes quietly, its references with it */
	if (s->listener->ep.state != VG_EP_LISTENING || !s->listener->ep.cb) {
		sock_conn_fail(s, -ECONNABORTED, "the listener was closed");
		return;
	}
	s->announced = true;
	struct vg_ep_event ev = {.type = VG_EP_ACCEPTED, .new_ep = &s->ep};
	vg_ep_deliver(&s->listener->ep, &ev);
}

/* ------------------------------------------------------------------ connections */

/* TCP is up: say HELLO and wait for the peer's. */
static void conn_established(struct sock_ep *s)
{
	s->tcp_connecting = false;
	sock_local_name(s->fd, s->ep.local, sizeof(s->ep.local));
	int rc = vg_io_start(s->ep.xprt->loop, &s->io, VG_IO_READ);
	if (rc == 0)
		rc = sock_send_hello(s);
	if (rc < 0 && sock_live(s))
		sock_conn_fail(s, rc, "cannot start the connection");
}

static void conn_io_cb(struct vg_io *io, uint32_t events, void *arg);

static void connect_next(struct sock_ep *s)
{
	char why[200] = "no address to connect to";
	int status = -EHOSTUNREACH;
	while (s->next_addr < s->addrs.n) {
		int i = s->next_addr++;
		struct sockaddr_storage *ss = &s->addrs.addr[i];
		if (ss->ss_family != AF_UNIX)
			sock_format_addr(ss, s->ep.peer, sizeof(s->ep.peer));
		int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd >= 0) {
			sock_set_nodelay(fd, ss->ss_family);
			s->fd = fd;
			vg_io_init(&s->io, fd, conn_io_cb, s);
			if (connect(fd, (struct sockaddr *)ss, s->addrs.len[i]) == 0) {
				conn_established(s);
				return;
			}
			if (errno == EINPROGRESS) {
				s->tcp_connecting = true;
				if (vg_io_start(s->ep.xprt->loop, &s->io, VG_IO_WRITE) == 0)
					return;
			}
		}
		status = -errno;
		snprintf(why, sizeof(why), "connect to %s failed: %s", s->ep.peer, strerror(errno));
		vg_io_stop(&s->io);
		if (fd >= 0)
			close(fd);
		s->fd = -1;
	}
	sock_conn_fail(s, status, why);
}

static void conn_io_cb(struct vg_io *io, uint32_t events, void *arg)
{
	(void)io;
	struct sock_ep *s = arg;
	if (s->tcp_connecting) {
		int soerr = 0;
		socklen_t len = sizeof(soerr);
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
			soerr = errno;
		if (soerr == 0) {
			conn_established(s);
			return;
		}
		/* try the next address; its failure (or this one) becomes REJECTED */
		vg_io_stop(&s->io);
		close(s->fd);
		s->fd = -1;
		if (s->next_addr < s->addrs.n) {
			connect_next(s);
			return;
		}
		char why[200];
		snprintf(why, sizeof(why), "connect to %s failed: %s", s->ep.peer, strerror(soerr));
		sock_conn_fail(s, -soerr, why);
		return;
	}
	if ((events & VG_IO_WRITE) && sock_flush(s) < 0)
		return;
	if (sock_live(s) && (events & VG_IO_WRITE))
		sock_resume(s);
	if (sock_live(s) && (events & (VG_IO_READ | VG_IO_ERROR)))
		sock_on_readable(s);
}

static int sock_connect(struct vg_ep *ep, const char *host, uint16_t port, struct vg_err *err)
{
	struct sock_ep *s = sock_of(ep);
	sock_init(s, conn_io_cb);
	int rc = sock_resolve(host, port, &s->addrs, err);
	if (rc < 0)
		return rc;
	if (host[0] == '/') {
		vg_strlcpy(ep->peer, host, sizeof(ep->peer));
		vg_strlcpy(ep->local, "unix", sizeof(ep->local));
	} else {
		snprintf(ep->peer, sizeof(ep->peer), "%s:%u", host, port);
	}
	if (sock_conn_buffers(s) < 0)
		return vg_errf(err, ENOMEM, "cannot connect to %s: out of memory", ep->peer);
	ep->port = port;
	ep->state = VG_EP_CONNECTING;
	s->announced = true;
	vg_ep_get(ep);  /* the driver's, until the last event */
	vg_timer_start(ep->xprt->loop, &s->timer, (uint64_t)VG_XPRT_HANDSHAKE_TIMEOUT_MS * 1000);
	connect_next(s);
	return 0;
}

/* ------------------------------------------------------------------ listeners */

static void accept_one(struct sock_ep *l, int fd, const struct sockaddr_storage *ss)
{
	struct vg_ep *ep = vg_ep_alloc(l->ep.xprt);
	if (!ep) {
		close(fd);
		return;
	}
	struct sock_ep *s = sock_of(ep);
	sock_init(s, conn_io_cb);
	s->fd = fd;
	vg_io_init(&s->io, fd, conn_io_cb, s);
	s->listener = l;
	vg_ep_get(&l->ep);
	vg_ep_get(ep);  /* the driver's; the first one goes to the application with ACCEPTED */
	sock_format_addr(ss, ep->peer, sizeof(ep->peer));
	ep->port = sock_addr_port(ss);
	ep->state = VG_EP_CONNECTING;
	sock_set_nodelay(fd, ss->ss_family);
	if (sock_conn_buffers(s) < 0) {
		sock_conn_fail(s, -ENOMEM, "out of memory");
		return;
	}
	pending_add(l, s);
	vg_timer_start(ep->xprt->loop, &s->timer, (uint64_t)VG_XPRT_HANDSHAKE_TIMEOUT_MS * 1000);
	conn_established(s);
}

static void listener_io_cb(struct vg_io *io, uint32_t events, void *arg)
{
	(void)events;
	struct sock_ep *l = arg;
	for (int i = 0; i < 64 && l->ep.state == VG_EP_LISTENING; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = accept4(io->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			accept_one(l, fd, &ss);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		struct sock_xprt *sx = sx_of(l);
		if ((errno == EMFILE || errno == ENFILE) && sx->spare_fd >= 0) {
			/*
			 * Out of descriptors: the spare one makes room to accept the
			 * newcomer and close it at once, so that the listener drains
			 * instead of spinning, and the client learns it at once
			 * instead of waiting for a timeout.
			 */
			int e = errno;
			close(sx->spare_fd);
			int dropped = accept4(io->fd, NULL, NULL, SOCK_CLOEXEC);
			if (dropped >= 0)
				close(dropped);
			sx->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
			vg_complain(&l->complaint, VG_LOG_ERROR, "sock",
				    "refusing connections on %s: %s (raise the open files limit, ulimit -n)",
				    l->ep.local, strerror(e));
			if (dropped >= 0)
				continue;
		}
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			/* the listener stays readable: pause it rather than spin */
			vg_complain(&l->complaint, VG_LOG_ERROR, "sock",
				    "cannot accept connections on %s: %s (raise ulimit -n)", l->ep.local,
				    strerror(errno));
			vg_io_start(l->ep.xprt->loop, &l->io, 0);
			vg_timer_start(l->ep.xprt->loop, &l->timer, ACCEPT_BACKOFF_US);
		}
		return;
	}
}

static void timer_cb(struct vg_timer *t, void *arg)
{
	(void)t;
	struct sock_ep *s = arg;
	char why[200];
	if (s->peer_done) {
		snprintf(why, sizeof(why), "connection closed by %s before it took its replies",
			 s->ep.peer);
		sock_conn_fail(s, 0, why);
		return;
	}
	if (s->ep.is_listener) {
		if (s->ep.state == VG_EP_LISTENING)
			vg_io_start(s->ep.xprt->loop, &s->io, VG_IO_READ);
	} else if (s->listener) {
		snprintf(why, sizeof(why), "no handshake within %d ms", VG_XPRT_HANDSHAKE_TIMEOUT_MS);
		sock_drop_peer(s, -ETIMEDOUT, why);
	} else {
		snprintf(why, sizeof(why), "connect to %s timed out after %d ms", s->ep.peer,
			 VG_XPRT_HANDSHAKE_TIMEOUT_MS);
		sock_conn_fail(s, -ETIMEDOUT, why);
	}
}

static int sock_listen(struct vg_ep *ep, const char *host, uint16_t port, struct vg_err *err)
{
	struct sock_ep *s = sock_of(ep);
	sock_init(s, listener_io_cb);
	struct sock_listening l;
	int rc = sock_listen_open(host, port, &l, err);
	if (rc < 0)
		return rc;
	s->fd = l.fd;
	ep->port = l.port;
	vg_strlcpy(ep->local, l.local, sizeof(ep->local));
	vg_strlcpy(s->unix_path, l.unix_path, sizeof(s->unix_path));
	vg_io_init(&s->io, s->fd, listener_io_cb, s);
	rc = vg_io_start(ep->xprt->loop, &s->io, VG_IO_READ);
	if (rc < 0) {
		close_fd(s);
		if (s->unix_path[0])
			unlink(s->unix_path);
		return vg_errf(err, -rc, "cannot listen on %s: epoll: %s", ep->local, strerror(-rc));
	}
	ep->state = VG_EP_LISTENING;
	vg_ep_get(ep);  /* the driver's, until the listener is closed */
	return 0;
}

/* ------------------------------------------------------------------ closing and freeing */

static void sock_shutdown(struct vg_ep *ep)
{
	struct sock_ep *s = sock_of(ep);
	if (ep->is_listener) {
		if (ep->state != VG_EP_LISTENING)
			return;
		while (s->pending)
			sock_conn_fail(s->pending, -ECONNABORTED, "the listener was closed");
		close_fd(s);
		if (s->unix_path[0])
			unlink(s->unix_path);
		ep->state = VG_EP_CLOSING;
		vg_loop_defer(ep->xprt->loop, &s->finish, finish_close, s);
		return;
	}
	if (ep->state == VG_EP_CONNECTED_STATE) {
		/* what is queued gets one last chance to leave */
		if (s->ohead < s->otail)
			sock_flush(s);
		sock_conn_fail(s, 0, "closed locally");
	} else {
		sock_conn_fail(s, -ECANCELED, "connect canceled");
	}
}

static void sock_free_ep(struct vg_ep *ep)
{
	struct sock_ep *s = sock_of(ep);
	if (!s->inited)
		return;
	close_fd(s);
	free(s->rbuf);
	free(s->obuf);
	free(s->reads);
	if (s->listener)
		vg_ep_put(&s->listener->ep);
}

static void sock_init(struct sock_ep *s, vg_io_cb cb)
{
	s->inited = true;
	s->fd = -1;
	vg_io_init(&s->io, -1, cb, s);
	vg_timer_init(&s->timer, timer_cb, s);
	s->peer_max_msg = UINT32_MAX;
}

/* ------------------------------------------------------------------ memory registration */

static int sock_mem_register(struct vg_xprt *x, void *addr, size_t len, struct vg_mr **out)
{
	struct sock_xprt *sx = x->priv;
	uint32_t slot = 0;
	while (slot < sx->nregions && sx->regions[slot].mr)
		slot++;
	if (slot == sx->nregions) {
		uint32_t n = sx->nregions ? sx->nregions * 2 : 16;
		struct region *r = realloc(sx->regions, n * sizeof(*r));
		if (!r)
			return -ENOMEM;
		memset(r + sx->nregions, 0, (n - sx->nregions) * sizeof(*r));
		sx->regions = r;
		sx->nregions = n;
	}
	struct sock_mr *mr = calloc(1, sizeof(*mr));
	if (!mr)
		return -ENOMEM;
	/* an unguessable key: a peer cannot read a region it was not handed */
	if (getrandom(&mr->key, sizeof(mr->key), GRND_NONBLOCK) != sizeof(mr->key))
		mr->key = vg_mono_us() * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)addr;
	mr->ops = &vg_sock_ops;
	mr->slot = slot;
	mr->gen = sx->regions[slot].gen;
	mr->addr = addr;
	mr->len = len;
	sx->regions[slot].mr = mr;
	*out = (struct vg_mr *)mr;
	return 0;
}

static void sock_mem_deregister(struct vg_xprt *x, struct vg_mr *vmr)
{
	struct sock_xprt *sx = x->priv;
	struct sock_mr *mr = (struct sock_mr *)vmr;
	sx->regions[mr->slot].mr = NULL;
	sx->regions[mr->slot].gen++;
	free(mr);
}

static void sock_mem_rkey(const struct vg_mr *vmr, struct vg_rkey *rkey)
{
	const struct sock_mr *mr = (const struct sock_mr *)vmr;
	memset(rkey, 0, sizeof(*rkey));
	put_u32(rkey->bytes, mr->slot);
	put_u32(rkey->bytes + 4, mr->gen);
	put_u64(rkey->bytes + 8, mr->key);
	put_u64(rkey->bytes + 16, mr->len);
}

/* ------------------------------------------------------------------ the driver */

static int sock_open(struct vg_xprt *x, struct vg_err *err)
{
	struct sock_xprt *sx = calloc(1, sizeof(*sx));
	if (!sx)
		return vg_errf(err, ENOMEM, "cannot open transport sock: out of memory");
	sx->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	x->priv = sx;
	return 0;
}

static void sock_close(struct vg_xprt *x)
{
	struct sock_xprt *sx = x->priv;
	for (uint32_t i = 0; i < sx->nregions; i++)
		free(sx->regions[i].mr);
	free(sx->regions);
	if (sx->spare_fd >= 0)
		close(sx->spare_fd);
	free(sx);
	x->priv = NULL;
}

const struct vg_xprt_ops vg_sock_ops = {
	.api_version = VG_XPRT_API_VERSION,
	.name = "sock",
	.ep_size = sizeof(struct sock_ep),
	.open = sock_open,
	.close = sock_close,
	.listen = sock_listen,
	.connect = sock_connect,
	.sendv = sock_sendv,
	.read = sock_read,
	.shutdown = sock_shutdown,
	.free_ep = sock_free_ep,
	.mem_register = sock_mem_register,
	.mem_deregister = sock_mem_deregister,
	.mem_rkey = sock_mem_rkey,
};
