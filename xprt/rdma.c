/*
 * rdma.c - the verbs driver ("rdma"): reliable-connected queue pairs set up
 * with librdmacm, so that an aggregator reads a sampler's sets with
 * one-sided RDMA READs served by the sampler's NIC.
 *
 * Device: every transport instance uses one device (the first librdmacm
 * knows, or VIGIL_RDMA_OPTS=dev=NAME) with one protection domain, so one
 * registration serves every connection.  A connection whose address maps to
 * another device is refused with a message naming both.  A host without an
 * RDMA device fails vg_xprt_open with -ENODEV and one line saying so.
 *
 * Event loop: connection management events of all endpoints come through
 * one rdma_event_channel per transport; each connection has a completion
 * channel for its CQ.  Both fds are non-blocking and watched with vg_io: a
 * CQ event is taken and acknowledged (ibv_get_cq_event, ibv_ack_cq_events),
 * the CQ re-armed (ibv_req_notify_cq), then drained with ibv_poll_cq, so
 * nothing that completed between the last poll and the re-arm is missed.
 * Fds rather than a progress thread: completions are handled on the loop
 * thread, as the transport contract requires, with no locking, no thread
 * per transport and no wakeups when idle.  A CM event is copied (with its
 * private data) and acknowledged before it is handled, so that handling it
 * may destroy its cm_id without waiting on itself.
 *
 * Connecting: resolve address, resolve route, connect.  The connect carries
 * 24 bytes of private data {"VIGILRD1", u32 version, u32 max_msg, u32
 * chunk, u32 credits}; a listener rejects anything else (an LDMS or foreign
 * peer never reaches the application), and its accept carries the same
 * back.  Each side sends chunks of at most the smaller chunk size and may
 * have as many in flight as the peer's credits.  The queue pair, CQ and
 * posted receives exist before the connect is sent or accepted.  A connect
 * that does not complete within VG_XPRT_HANDSHAKE_TIMEOUT_MS is REJECTED.
 * Closing first lets what is queued leave (DRAIN_TIMEOUT_US at most), then
 * rdma_disconnect; DISCONNECTED follows.  Listening with no host binds
 * 0.0.0.0 (IPv4 only, like fabric).  No UNIX socket paths.
 *
 * Messages, credits, reads and registration: see rdma_msg.c.  Options: VIGIL_RDMA_OPTS,
 * parsed by rd_opts_parse (rdma_util.c) at open; see ldmsd(8).
 *
 * Read access: an RDMA READ is served by the NIC without us, so
 * ep->read_allow cannot be consulted per read.  The driver relies on the
 * 32-bit rkeys the device assigns (not secret against a determined peer)
 * and on the server registering only the sets it exports.  A peer that
 * learned an rkey can read that set until it is deregistered, over any
 * connection to this transport.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xprt/rdma_int.h"
#include "xprt/sock_net.h"

#define RESOLVE_MS 2000
#define DRAIN_TIMEOUT_US (2u * 1000000u)
#define BACKLOG 128
#define EVENTS_PER_WAKEUP 64

#ifdef HAVE_LIBFABRIC
#define OTHER_XPRTS "use -x sock or -x fabric"
#else
#define OTHER_XPRTS "use -x sock"
#endif

/* A CM event, copied so that it can be acknowledged before it is handled. */
struct cm_ev {
	enum rdma_cm_event_type type;
	int status;
	struct rdma_cm_id *id, *listen_id;
	uint8_t data[256];
	size_t datalen;
	uint8_t responder_resources, initiator_depth;
};

/* ------------------------------------------------------------------ helpers */

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -errno : 0;
}

static int neg_errno(int fallback)
{
	return errno > 0 ? -errno : -fallback;
}

static void format_sa(const struct sockaddr *sa, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	if (sa)
		memcpy(&ss, sa, sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
							  : sizeof(struct sockaddr_in));
	vg_strlcpy(buf, "?", size);
	if (sa && (sa->sa_family == AF_INET || sa->sa_family == AF_INET6))
		sock_format_addr(&ss, buf, size);
}

static const char *dev_name(const struct ibv_context *ctx)
{
	return ctx && ctx->device ? ibv_get_device_name(ctx->device) : "?";
}

static void rd_init(struct rd_ep *r);

/* Wake at the connect or drain deadline. */
static void arm_timer(struct rd_ep *r)
{
	if (!r->deadline_us)
		return;
	uint64_t now = vg_mono_us();
	vg_timer_start(r->ep.xprt->loop, &r->timer,
		       r->deadline_us > now ? r->deadline_us - now : 0);
}

/* ------------------------------------------------------------------ closing */

static void finish_close(void *arg)
{
	struct rd_ep *r = arg;
	if (r->announced) {
		rd_fail_reads(r);
		struct vg_ep_event ev = {
			.type = r->last_event, .status = r->final_status, .reason = r->reason};
		vg_ep_deliver(&r->ep, &ev);
	}
	r->ep.state = VG_EP_CLOSED;
	if (r->listener && !r->announced)
		vg_ep_put(&r->ep);  /* the reference ACCEPTED would have handed over */
	vg_ep_put(&r->ep);
}

static void pending_remove(struct rd_ep *r)
{
	struct rd_ep *l = r->listener;
	if (!l || (!r->pend_prev && l->pending != r))
		return;
	if (r->pend_prev)
		r->pend_prev->pend_next = r->pend_next;
	else
		l->pending = r->pend_next;
	if (r->pend_next)
		r->pend_next->pend_prev = r->pend_prev;
	r->pend_prev = r->pend_next = NULL;
}

/* The queue pair goes before the memory it uses, the CQ after the QP, the id last. */
static void release_res(struct rd_ep *r)
{
	vg_io_stop(&r->cq_io);
	vg_timer_stop(&r->timer);
	if (r->id && r->id->qp) {
		if (r->ep.state == VG_EP_CONNECTED_STATE || r->draining)
			rdma_disconnect(r->id);
		rdma_destroy_qp(r->id);
	}
	rd_conn_release(r);
	if (r->cq)
		ibv_destroy_cq(r->cq);
	if (r->cch)
		ibv_destroy_comp_channel(r->cch);
	if (r->id)
		rdma_destroy_id(r->id);
	r->cq = NULL;
	r->cch = NULL;
	r->id = NULL;
}

void rd_conn_fail(struct rd_ep *r, int status, const char *reason)
{
	if (!rd_live(r) && !r->draining)
		return;
	pending_remove(r);
	bool was_up = r->ep.state == VG_EP_CONNECTED_STATE || r->draining;
	r->last_event = was_up ? VG_EP_DISCONNECTED : VG_EP_REJECTED;
	vg_strlcpy(r->reason, reason, sizeof(r->reason));
	r->final_status = status;
	release_res(r);  /* disconnects while the state still says connected */
	r->draining = false;
	r->ep.state = VG_EP_CLOSING;
	vg_loop_defer(r->ep.xprt->loop, &r->finish, finish_close, r);
}

void rd_drop_peer(struct rd_ep *r, const char *reason)
{
	vg_complain(&rdx_of(r)->complaint, VG_LOG_WARNING, "rdma", "dropping connection %s %s: %s",
		    r->listener ? "from" : "to", r->ep.peer, reason);
	rd_conn_fail(r, -EPROTO, reason);
}

void rd_drain_check(struct rd_ep *r)
{
	if (!r->draining || (vg_mono_us() < r->deadline_us &&
			     (r->qhead < r->qtail || r->ntx_free < r->ntx)))
		return;
	rd_conn_fail(r, 0, "closed locally");
}

/* ------------------------------------------------------------------ queue pair */

/* CQ, completion channel, queue pair and posted receives of a new connection. */
static int conn_open(struct rd_ep *r)
{
	struct rd_xprt *rx = rdx_of(r);
	const struct rd_opts *o = &rx->opts;
	r->cch = ibv_create_comp_channel(rx->ctx);
	if (!r->cch)
		return neg_errno(ENOMEM);
	int rc = set_nonblock(r->cch->fd);
	if (rc < 0)
		return rc;
	r->cq = ibv_create_cq(rx->ctx, (int)o->cq_depth, r, r->cch, 0);
	if (!r->cq)
		return neg_errno(ENOMEM);
	if ((rc = ibv_req_notify_cq(r->cq, 0)) != 0)
		return -rc;
	struct ibv_qp_init_attr qa = {
		.send_cq = r->cq,
		.recv_cq = r->cq,
		.qp_type = IBV_QPT_RC,
		.sq_sig_all = 1,
		.cap = {.max_send_wr = rd_ntx(o) + o->reads, .max_recv_wr = rd_nrx(o),
			.max_send_sge = 1, .max_recv_sge = 1, .max_inline_data = o->inline_max},
	};
	if (rdma_create_qp(r->id, rx->pd, &qa) != 0) {
		if (o->inline_max == 0)
			return neg_errno(EINVAL);
		/* some devices send nothing inline: still usable, a little slower */
		vg_complain(&rx->complaint, VG_LOG_WARNING, "rdma", "device %s refuses inline=%u "
			    "(VIGIL_RDMA_OPTS): sending without inline data", dev_name(rx->ctx),
			    o->inline_max);
		qa.cap.max_inline_data = 0;
		if (rdma_create_qp(r->id, rx->pd, &qa) != 0)
			return neg_errno(EINVAL);
	}
	r->inline_max = qa.cap.max_inline_data;
	vg_io_init(&r->cq_io, r->cch->fd, rd_cq_io_cb, r);
	return rd_conn_buffers(r);
}

static struct rd_param our_param(const struct rd_ep *r)
{
	const struct rd_opts *o = &rdx_of(r)->opts;
	size_t max = r->ep.xprt->max_msg;
	return (struct rd_param){.max_msg = max > UINT32_MAX ? UINT32_MAX : (uint32_t)max,
				 .chunk = o->chunk, .credits = o->credits};
}

/* The peer's parameters: what we may send it, and how much at once. */
static void take_param(struct rd_ep *r, const struct rd_param *peer)
{
	r->peer = *peer;
	uint32_t ours = rdx_of(r)->opts.chunk;
	r->send_chunk = peer->chunk < ours ? peer->chunk : ours;
	rd_credits_init(&r->cr, peer->credits, rdx_of(r)->opts.credits);
}

static void fill_conn_param(struct rdma_conn_param *cp, uint8_t *data, uint8_t resp, uint8_t init)
{
	memset(cp, 0, sizeof(*cp));
	cp->private_data = data;
	cp->private_data_len = RD_PARAM_LEN;
	cp->responder_resources = resp;
	cp->initiator_depth = init;
	cp->retry_count = 7;
	cp->rnr_retry_count = 7;  /* receives are reposted promptly: retry rather than fail */
}

static bool same_device(struct rd_ep *r, struct rdma_cm_id *id, char *why, size_t size)
{
	struct rd_xprt *rx = rdx_of(r);
	if (!id->verbs || id->verbs == rx->ctx ||
	    strcmp(dev_name(id->verbs), dev_name(rx->ctx)) == 0)
		return true;
	snprintf(why, size, "the address is on RDMA device %s but this transport uses %s (set "
			    "VIGIL_RDMA_OPTS=dev=%s)", dev_name(id->verbs), dev_name(rx->ctx),
		 dev_name(id->verbs));
	return false;
}

/* ------------------------------------------------------------------ connection events */

static void connected(struct rd_ep *r, const struct cm_ev *ev)
{
	if (!r->listener) {
		struct rd_param peer;
		if (rd_param_get(ev->data, ev->datalen, &peer) < 0) {
			rd_drop_peer(r, "the peer is not a vigil rdma endpoint");
			return;
		}
		take_param(r, &peer);
	}
	pending_remove(r);
	r->deadline_us = 0;
	vg_timer_stop(&r->timer);
	r->ep.state = VG_EP_CONNECTED_STATE;
	if (!r->listener) {
		struct vg_ep_event e = {.type = VG_EP_CONNECTED};
		vg_ep_deliver(&r->ep, &e);
	} else if (r->listener->ep.state != VG_EP_LISTENING || !r->listener->ep.cb) {
		rd_conn_fail(r, -ECONNABORTED, "the listener was closed");
		return;
	} else {
		r->announced = true;
		struct vg_ep_event e = {.type = VG_EP_ACCEPTED, .new_ep = &r->ep};
		vg_ep_deliver(&r->listener->ep, &e);
	}
	/* what arrived with the connection waits in the CQ (even if the callback closed it) */
	if (rd_active(r))
		vg_io_start(r->ep.xprt->loop, &r->cq_io, VG_IO_READ);
	if (rd_active(r))
		rd_cq_drain(r);
}

static void reject(struct rdma_cm_id *id)
{
	rdma_reject(id, NULL, 0);
	rdma_destroy_id(id);
}

static void accept_one(struct rd_ep *l, const struct cm_ev *ev)
{
	struct rd_xprt *rx = rdx_of(l);
	struct rdma_cm_id *id = ev->id;
	char peer[64], why[200];
	format_sa(rdma_get_peer_addr(id), peer, sizeof(peer));
	struct rd_param prm;
	bool vigil = rd_param_get(ev->data, ev->datalen, &prm) == 0;
	if (!vigil || !same_device(l, id, why, sizeof(why))) {
		if (!vigil)
			vg_strlcpy(why, "not a vigil rdma endpoint", sizeof(why));
		vg_complain(&rx->complaint, VG_LOG_WARNING, "rdma",
			    "rejecting a connection from %s on %s: %s", peer, l->ep.local, why);
		reject(id);
		return;
	}
	struct vg_ep *ep = vg_ep_alloc(l->ep.xprt);
	if (!ep) {
		reject(id);
		return;
	}
	struct rd_ep *r = rd_of(ep);
	rd_init(r);
	r->id = id;
	id->context = r;
	r->listener = l;
	take_param(r, &prm);
	vg_ep_get(&l->ep);
	vg_ep_get(ep);  /* the driver's; the first one goes to the application with ACCEPTED */
	vg_strlcpy(ep->peer, peer, sizeof(ep->peer));
	ep->port = ntohs(rdma_get_dst_port(id));
	vg_strlcpy(ep->local, l->ep.local, sizeof(ep->local));
	ep->state = VG_EP_CONNECTING;
	r->pend_next = l->pending;
	if (l->pending)
		l->pending->pend_prev = r;
	l->pending = r;
	r->deadline_us = vg_mono_us() + (uint64_t)VG_XPRT_HANDSHAKE_TIMEOUT_MS * 1000;
	uint8_t data[RD_PARAM_LEN];
	struct rd_param ours = our_param(r);
	rd_param_put(data, &ours);
	struct rdma_conn_param cp;
	/* serve as many reads at once as it will issue, issue as many as it serves */
	fill_conn_param(&cp, data, ev->initiator_depth < rx->max_rd_atom ? ev->initiator_depth
									  : rx->max_rd_atom,
			ev->responder_resources < rx->max_init_rd_atom ? ev->responder_resources
								       : rx->max_init_rd_atom);
	int rc = conn_open(r);
	if (rc == 0 && rdma_accept(id, &cp) != 0)
		rc = neg_errno(ECONNABORTED);
	if (rc < 0) {
		rdma_reject(id, NULL, 0);
		snprintf(why, sizeof(why), "cannot accept a connection from %s: %s", peer,
			 strerror(-rc));
		vg_complain(&rx->complaint, VG_LOG_WARNING, "rdma", "%s", why);
		rd_conn_fail(r, rc, why);
		return;
	}
	arm_timer(r);
}

/* The connect's address is resolved: now that the device is known, build the queue pair. */
static void addr_resolved(struct rd_ep *r)
{
	char why[200];
	if (!same_device(r, r->id, why, sizeof(why))) {
		char msg[300];
		snprintf(msg, sizeof(msg), "connect to %s failed: %s", r->ep.peer, why);
		rd_conn_fail(r, -ENODEV, msg);
		return;
	}
	int rc = conn_open(r);
	if (rc == 0 && rdma_resolve_route(r->id, RESOLVE_MS) != 0)
		rc = neg_errno(EHOSTUNREACH);
	if (rc < 0) {
		snprintf(why, sizeof(why), "connect to %s failed: %s", r->ep.peer, strerror(-rc));
		rd_conn_fail(r, rc, why);
	}
}

static void route_resolved(struct rd_ep *r)
{
	struct rd_xprt *rx = rdx_of(r);
	uint8_t data[RD_PARAM_LEN];
	struct rd_param ours = our_param(r);
	rd_param_put(data, &ours);
	struct rdma_conn_param cp;
	fill_conn_param(&cp, data, rx->max_rd_atom, rx->max_init_rd_atom);
	if (rdma_connect(r->id, &cp) != 0) {
		int rc = neg_errno(ECONNREFUSED);
		char why[200];
		snprintf(why, sizeof(why), "connect to %s failed: %s", r->ep.peer, strerror(-rc));
		rd_conn_fail(r, rc, why);
	}
}

static void connect_failed(struct rd_ep *r, const struct cm_ev *ev)
{
	int err = ev->type == RDMA_CM_EVENT_REJECTED ? ECONNREFUSED
		  : ev->status < 0                   ? -ev->status
		  : ev->type == RDMA_CM_EVENT_CONNECT_ERROR ? ECONNRESET : EHOSTUNREACH;
	char why[200];
	if (r->listener)
		snprintf(why, sizeof(why), "connection from %s failed: %s (%s)", r->ep.peer,
			 strerror(err), rdma_event_str(ev->type));
	else
		snprintf(why, sizeof(why), "connect to %s failed: %s", r->ep.peer, strerror(err));
	rd_conn_fail(r, -err, why);
}

static void on_cm_event(struct rd_ep *r, const struct cm_ev *ev)
{
	char why[200];
	switch (ev->type) {
	case RDMA_CM_EVENT_CONNECT_REQUEST:
		if (r->ep.state == VG_EP_LISTENING)
			accept_one(r, ev);
		else
			reject(ev->id);
		break;
	case RDMA_CM_EVENT_ADDR_RESOLVED:
		if (r->ep.state == VG_EP_CONNECTING)
			addr_resolved(r);
		break;
	case RDMA_CM_EVENT_ROUTE_RESOLVED:
		if (r->ep.state == VG_EP_CONNECTING)
			route_resolved(r);
		break;
	case RDMA_CM_EVENT_ESTABLISHED:
		if (r->ep.state == VG_EP_CONNECTING)
			connected(r, ev);
		break;
	case RDMA_CM_EVENT_ADDR_ERROR:
	case RDMA_CM_EVENT_ROUTE_ERROR:
	case RDMA_CM_EVENT_CONNECT_ERROR:
	case RDMA_CM_EVENT_UNREACHABLE:
	case RDMA_CM_EVENT_REJECTED:
		if (r->ep.state == VG_EP_CONNECTING)
			connect_failed(r, ev);
		else if (rd_active(r))
			rd_conn_fail(r, -ECONNRESET, rdma_event_str(ev->type));
		break;
	case RDMA_CM_EVENT_DISCONNECTED:
		if (r->draining) {
			rd_conn_fail(r, 0, "closed locally");
		} else if (r->ep.state == VG_EP_CONNECTED_STATE) {
			rd_cq_drain(r);  /* what arrived before the disconnect is delivered first */
			snprintf(why, sizeof(why), "connection closed by %s", r->ep.peer);
			rd_conn_fail(r, 0, why);
		} else if (r->ep.state == VG_EP_CONNECTING) {
			connect_failed(r, ev);
		}
		break;
	case RDMA_CM_EVENT_DEVICE_REMOVAL:
		snprintf(why, sizeof(why), "RDMA device %s was removed", dev_name(rdx_of(r)->ctx));
		rd_conn_fail(r, -ENODEV, why);
		break;
	default:
		break;  /* TIMEWAIT_EXIT, ADDR_CHANGE, ...: nothing to do */
	}
}

static void ech_cb(struct vg_io *io, uint32_t events, void *arg)
{
	(void)io;
	(void)events;
	struct rd_xprt *rx = arg;
	for (int i = 0; i < EVENTS_PER_WAKEUP; i++) {
		struct rdma_cm_event *e = NULL;
		if (rdma_get_cm_event(rx->ech, &e) != 0)
			return;  /* EAGAIN: nothing more */
		struct cm_ev ev = {.type = e->event, .status = e->status, .id = e->id,
				   .listen_id = e->listen_id};
		const struct rdma_conn_param *cp = &e->param.conn;
		if (cp->private_data && cp->private_data_len) {
			ev.datalen = cp->private_data_len;  /* a u8: ev.data holds it */
			memcpy(ev.data, cp->private_data, ev.datalen);
		}
		ev.responder_resources = cp->responder_resources;
		ev.initiator_depth = cp->initiator_depth;
		rdma_ack_cm_event(e);
		struct rdma_cm_id *owner = ev.type == RDMA_CM_EVENT_CONNECT_REQUEST ? ev.listen_id
										    : ev.id;
		struct rd_ep *r = owner ? owner->context : NULL;
		if (!r) {
			if (ev.type == RDMA_CM_EVENT_CONNECT_REQUEST)
				reject(ev.id);
			continue;
		}
		vg_ep_get(&r->ep);
		on_cm_event(r, &ev);
		vg_ep_put(&r->ep);
	}
}

static void timer_cb(struct vg_timer *t, void *arg)
{
	(void)t;
	struct rd_ep *r = arg;
	vg_ep_get(&r->ep);
	if (r->deadline_us && rd_live(r) && vg_mono_us() >= r->deadline_us) {
		char why[200];
		if (r->listener)
			snprintf(why, sizeof(why), "no handshake within %d ms",
				 VG_XPRT_HANDSHAKE_TIMEOUT_MS);
		else
			snprintf(why, sizeof(why), "connect to %s timed out after %d ms", r->ep.peer,
				 VG_XPRT_HANDSHAKE_TIMEOUT_MS);
		rd_conn_fail(r, -ETIMEDOUT, why);
	}
	if (r->draining)
		rd_cq_drain(r);  /* ends a drain that is done or overdue */
	if (rd_live(r) || r->draining)
		arm_timer(r);
	vg_ep_put(&r->ep);
}

static void rd_init(struct rd_ep *r)
{
	r->inited = true;
	/* empty read lists: a connect that fails early still runs rd_fail_reads */
	r->free_read = r->wait_head = r->wait_tail = r->done_head = r->done_tail = RD_NONE;
	vg_io_init(&r->cq_io, -1, rd_cq_io_cb, r);
	vg_timer_init(&r->timer, timer_cb, r);
}

/* ------------------------------------------------------------------ endpoints */

static int rd_connect(struct vg_ep *ep, const char *host, uint16_t port, struct vg_err *err)
{
	struct rd_ep *r = rd_of(ep);
	struct rd_xprt *rx = rdx_of(r);
	rd_init(r);
	if (host[0] == '/')
		return vg_errf(err, EINVAL, "cannot connect to %s: the rdma transport has no UNIX "
				    "sockets (use sock)", host);
	snprintf(ep->peer, sizeof(ep->peer), strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, port);
	struct sock_addrs addrs;
	int rc = sock_resolve(host, port, &addrs, err);
	if (rc < 0)
		return rc;
	if (rdma_create_id(rx->ech, &r->id, r, RDMA_PS_TCP) != 0)
		return vg_errf(err, -neg_errno(ENOMEM), "cannot connect to %s with rdma: "
			       "rdma_create_id: %s", ep->peer, strerror(errno));
	if (rdma_resolve_addr(r->id, NULL, (struct sockaddr *)&addrs.addr[0], RESOLVE_MS) != 0) {
		rc = neg_errno(EHOSTUNREACH);
		release_res(r);
		return vg_errf(err, -rc, "cannot connect to %s with rdma: %s", ep->peer,
			       strerror(-rc));
	}
	ep->port = port;
	ep->state = VG_EP_CONNECTING;
	r->announced = true;
	vg_ep_get(ep);  /* the driver's, until the last event */
	r->deadline_us = vg_mono_us() + (uint64_t)VG_XPRT_HANDSHAKE_TIMEOUT_MS * 1000;
	arm_timer(r);
	return 0;
}

static int rd_listen(struct vg_ep *ep, const char *host, uint16_t port, struct vg_err *err)
{
	struct rd_ep *r = rd_of(ep);
	struct rd_xprt *rx = rdx_of(r);
	rd_init(r);
	const char *node = host && host[0] ? host : NULL;
	if (node && node[0] == '/')
		return vg_errf(err, EINVAL, "cannot listen on %s: the rdma transport has no UNIX "
				    "sockets (use sock)", node);
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	if (node) {
		struct sock_addrs addrs;
		int rc = sock_resolve(node, port, &addrs, err);
		if (rc < 0)
			return rc;
		ss = addrs.addr[0];
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
	}
	char why[200] = "";
	int rc = 0;
	if (rdma_create_id(rx->ech, &r->id, r, RDMA_PS_TCP) != 0)
		rc = neg_errno(ENOMEM);
	else if (rdma_bind_addr(r->id, (struct sockaddr *)&ss) != 0)
		rc = neg_errno(EADDRNOTAVAIL);
	else if (!same_device(r, r->id, why, sizeof(why)))
		rc = -ENODEV;
	else if (rdma_listen(r->id, BACKLOG) != 0)
		rc = neg_errno(EADDRINUSE);
	if (rc < 0) {
		release_res(r);
		return vg_errf(err, -rc, "cannot listen on %s:%u with rdma: %s", node ? node : "*",
			       port, why[0] ? why : strerror(-rc));
	}
	format_sa(rdma_get_local_addr(r->id), ep->local, sizeof(ep->local));
	ep->port = ntohs(rdma_get_src_port(r->id));
	ep->state = VG_EP_LISTENING;
	vg_ep_get(ep);  /* the driver's, until the listener is closed */
	return 0;
}

static void rd_shutdown(struct vg_ep *ep)
{
	struct rd_ep *r = rd_of(ep);
	if (ep->is_listener) {
		if (ep->state != VG_EP_LISTENING)
			return;
		while (r->pending)
			rd_conn_fail(r->pending, -ECONNABORTED, "the listener was closed");
		release_res(r);
		ep->state = VG_EP_CLOSING;
		vg_loop_defer(ep->xprt->loop, &r->finish, finish_close, r);
		return;
	}
	if (r->draining)
		return;  /* closing already */
	if (ep->state == VG_EP_CONNECTED_STATE) {
		/* what is queued leaves first, for DRAIN_TIMEOUT_US at most */
		ep->state = VG_EP_CLOSING;
		r->draining = true;
		r->deadline_us = vg_mono_us() + DRAIN_TIMEOUT_US;
		rd_pump(r);
		rd_drain_check(r);
		if (r->draining)
			arm_timer(r);
	} else {
		rd_conn_fail(r, -ECANCELED, "connect canceled");
	}
}

static void rd_free_ep(struct vg_ep *ep)
{
	struct rd_ep *r = rd_of(ep);
	if (!r->inited)
		return;
	release_res(r);
	free(r->reads);
	if (r->listener)
		vg_ep_put(&r->listener->ep);
}

/* ------------------------------------------------------------------ the driver */

static void rd_close(struct vg_xprt *x)
{
	struct rd_xprt *rx = x->priv;
	if (!rx)
		return;
	vg_io_stop(&rx->ech_io);
	if (rx->ech)
		rdma_destroy_event_channel(rx->ech);
	if (rx->pd)
		ibv_dealloc_pd(rx->pd);
	if (rx->devs)
		rdma_free_devices(rx->devs);
	free(rx);
	x->priv = NULL;
}

/* The device of dev= (or the first), with a message listing what exists otherwise. */
static int pick_device(struct rd_xprt *rx, struct vg_err *err)
{
	int n = 0;
	rx->devs = rdma_get_devices(&n);
	char names[200] = "";
	for (int i = 0; rx->devs && i < n; i++) {
		const char *name = dev_name(rx->devs[i]);
		if (!rx->ctx && (!rx->opts.dev[0] || strcmp(name, rx->opts.dev) == 0))
			rx->ctx = rx->devs[i];
		size_t used = strlen(names);
		snprintf(names + used, sizeof(names) - used, "%s%s", used ? ", " : "", name);
	}
	if (rx->ctx)
		return 0;
	if (rx->opts.dev[0] && n > 0)
		return vg_errf(err, ENODEV, "rdma: no RDMA device '%s' (VIGIL_RDMA_OPTS=dev=): this "
				    "host has %s", rx->opts.dev, names);
	return vg_errf(err, ENODEV, "rdma: cannot open an RDMA device (rdma_get_devices: %s): %s",
		       strerror(errno ? errno : ENODEV), OTHER_XPRTS);
}

/* Queue sizes the options ask for, against what the device offers. */
static int check_device(struct rd_xprt *rx, struct vg_err *err)
{
	struct ibv_device_attr a;
	int rc = ibv_query_device(rx->ctx, &a);
	if (rc != 0)
		return vg_errf(err, rc, "rdma: cannot query device %s: %s", dev_name(rx->ctx),
			       strerror(rc));
	const struct rd_opts *o = &rx->opts;
	if (o->cq_depth > (uint32_t)a.max_cqe)
		return vg_errf(err, EINVAL, "VIGIL_RDMA_OPTS: cq_depth=%u is more than device %s "
					    "allows (%d): lower cq_depth, credits or reads",
			       o->cq_depth, dev_name(rx->ctx), a.max_cqe);
	if (rd_ntx(o) + o->reads > (uint32_t)a.max_qp_wr)
		return vg_errf(err, EINVAL, "VIGIL_RDMA_OPTS: credits=%u and reads=%u need %u send "
					    "queue entries; device %s allows %d", o->credits, o->reads,
			       rd_ntx(o) + o->reads, dev_name(rx->ctx), a.max_qp_wr);
	rx->max_rd_atom = (uint8_t)(a.max_qp_rd_atom > 255 ? 255 : a.max_qp_rd_atom);
	rx->max_init_rd_atom = (uint8_t)(a.max_qp_init_rd_atom > 255 ? 255 : a.max_qp_init_rd_atom);
	return 0;
}

static int rd_open(struct vg_xprt *x, struct vg_err *err)
{
	struct rd_opts opts;
	int rc = rd_opts_parse(getenv("VIGIL_RDMA_OPTS"), &opts, err);
	if (rc < 0)
		return rc;
	/* no device, no rdma: say so once, before librdmacm fails in its own words */
	int n = 0;
	struct ibv_device **list = ibv_get_device_list(&n);
	if (list)
		ibv_free_device_list(list);
	if (!list || n <= 0)
		return vg_errf(err, ENODEV, "rdma: no RDMA device on this host (ibv_get_device_list "
				    "found none): %s, or set up a device (Soft-RoCE: rdma link add "
				    "rxe0 type rxe netdev eth0)", OTHER_XPRTS);
	struct rd_xprt *rx = calloc(1, sizeof(*rx));
	if (!rx)
		return vg_errf(err, ENOMEM, "cannot open transport rdma: out of memory");
	x->priv = rx;
	rx->opts = opts;
	vg_io_init(&rx->ech_io, -1, ech_cb, rx);
	rc = pick_device(rx, err);
	if (rc == 0)
		rc = check_device(rx, err);
	if (rc == 0 && !(rx->pd = ibv_alloc_pd(rx->ctx)))
		rc = vg_errf(err, -neg_errno(ENOMEM), "rdma: cannot allocate a protection domain on "
			     "%s: %s", dev_name(rx->ctx), strerror(errno));
	if (rc == 0 && !(rx->ech = rdma_create_event_channel()))
		rc = vg_errf(err, -neg_errno(ENODEV), "rdma: cannot create an event channel: %s "
			     "(is rdma_ucm loaded?)", strerror(errno));
	if (rc == 0 && (rc = set_nonblock(rx->ech->fd)) < 0)
		vg_errf(err, -rc, "rdma: event channel: %s", strerror(-rc));
	if (rc == 0) {
		vg_io_init(&rx->ech_io, rx->ech->fd, ech_cb, rx);
		if ((rc = vg_io_start(x->loop, &rx->ech_io, VG_IO_READ)) < 0)
			vg_errf(err, -rc, "rdma: cannot watch the event channel: %s", strerror(-rc));
	}
	if (rc < 0) {
		rd_close(x);
		return rc;
	}
	vg_log(VG_LOG_DEBUG, "rdma", "device %s, credits %u, chunk %u, reads %u, read_buf %u, "
	       "inline %u, cq_depth %u", dev_name(rx->ctx), opts.credits, opts.chunk, opts.reads,
	       opts.read_buf, opts.inline_max, opts.cq_depth);
	return 0;
}

const struct vg_xprt_ops vg_rdma_ops = {
	.api_version = VG_XPRT_API_VERSION,
	.name = "rdma",
	.ep_size = sizeof(struct rd_ep),
	.open = rd_open,
	.close = rd_close,
	.listen = rd_listen,
	.connect = rd_connect,
	.sendv = rd_ep_sendv,
	.read = rd_ep_read,
	.shutdown = rd_shutdown,
	.free_ep = rd_free_ep,
	.mem_register = rd_mem_register,
	.mem_deregister = rd_mem_deregister,
	.mem_rkey = rd_mem_rkey,
};
