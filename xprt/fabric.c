/*
 * fabric.c - the libfabric driver ("fabric"): FI_EP_MSG endpoints with
 * FI_MSG | FI_RMA, so that an aggregator reads a sampler's sets with
 * one-sided fi_read.
 *
 * Provider: whatever fi_getinfo offers first for FI_EP_MSG with FI_MSG |
 * FI_RMA and no mode bits; FI_PROVIDER (libfabric's own variable) picks one,
 * e.g. FI_PROVIDER=tcp for Debian 12's libfabric 1.17.  The tcp provider
 * serves FI_EP_MSG itself: no ";ofi_rxm" utility layer is needed (rxm turns
 * MSG into RDM endpoints, which we do not use).  The deprecated "sockets"
 * provider is refused: it crashed in its progress thread while connecting.  One fabric and one domain
 * per transport instance, opened at vg_xprt_open; every endpoint lives in
 * that domain, so one registration serves every connection.
 *
 * Event loop: every connection has its own event queue (connection
 * management) and completion queue (sends, receives, reads), opened with
 * FI_WAIT_FD; fi_control(FI_GETWAIT) gives their fds, watched with vg_io.
 * After draining a queue, fi_trywait says whether the fd may be trusted to
 * wake us (it also lets the provider arm its own sockets); if it keeps
 * answering -FI_EAGAIN, or a provider cannot give fds at all, a 1 ms timer
 * polls instead (VIGIL_FABRIC_POLL=1 forces that, to test it).  Fds rather than a progress thread: completions are
 * handled on the loop thread, as the transport contract requires, with no
 * locking and no wakeups when idle.
 *
 * Connecting: the connect request carries 16 bytes {"VIGILFB1", u32
 * version, u32 max_msg}; a listener rejects anything else (an LDMS or
 * foreign peer never reaches the application), and its accept carries the
 * same back.  CONNECTED and ACCEPTED come from FI_CONNECTED; FI_SHUTDOWN or
 * a provider error ends the connection; a connect that does not complete
 * within VG_XPRT_HANDSHAKE_TIMEOUT_MS is REJECTED.  Receives are posted
 * before the connection is accepted or requested.  Closing a connection
 * first lets what is queued leave (DRAIN_TIMEOUT_US at most, nothing more
 * delivered meanwhile), then fi_shutdown; DISCONNECTED follows.  Listening
 * with no host binds what the provider picks for FI_SOURCE without a node
 * (0.0.0.0 with tcp: IPv4 only, unlike sock's dual-stack "::").  No UNIX
 * socket paths.
 *
 * Messages, credits and reads: see fabric_msg.c.
 *
 * Registration: fi_mr_reg with FI_REMOTE_READ of the caller's memory.  We
 * offer FI_MR_LOCAL | FI_MR_VIRT_ADDR | FI_MR_ALLOCATED and ask for a
 * random 64-bit key; FI_MR_PROV_KEY is offered only if the provider will not
 * work without it (then the provider picks the key).  Providers needing
 * FI_MR_ENDPOINT or raw keys longer than 8 bytes are refused at open.  The
 * rkey is {u64 key; u64 remote base (the address with FI_MR_VIRT_ADDR, else
 * 0); u64 len; u32 "FAB1"; u32 0}.
 *
 * Read access: a one-sided fi_read is served by the provider (or the NIC)
 * without us, so ep->read_allow cannot be consulted per read.  The driver
 * relies on unguessable keys (random requested keys; a provider-chosen key
 * may be guessable) and on the server registering only the sets it
 * exports.  A peer that learned an rkey can read that set until it is
 * deregistered, whatever connection it uses.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "xprt/fabric_int.h"
#include "xprt/sock_net.h"

#define FAB_API FI_VERSION(1, 9)
#define CONN_MAGIC "VIGILFB1"
#define CONN_PARAM_LEN 16u
#define PROTO_VERSION 1u
#define POLL_US 1000u
#define PEER_MAX_MSG_MIN (64u << 10)
#define DRAIN_TIMEOUT_US (2u * 1000000u)

/* ------------------------------------------------------------------ helpers */

static int neg_fi(int rc)
{
	return rc < 0 ? rc : -rc;  /* libfabric returns -FI_Exxx, which are errno values */
}

static void close_fid(void *fidp)
{
	struct fid **p = fidp;
	if (*p)
		fi_close(*p);
	*p = NULL;
}

static struct fi_info *fab_hints(const char *prov, uint64_t mr_mode)
{
	struct fi_info *h = fi_allocinfo();
	if (!h)
		return NULL;
	h->ep_attr->type = FI_EP_MSG;
	h->caps = FI_MSG | FI_RMA;
	h->mode = 0;
	h->domain_attr->mr_mode = (int)mr_mode;
	h->domain_attr->threading = FI_THREAD_DOMAIN;
	h->addr_format = FI_SOCKADDR;
	if (prov)
		h->fabric_attr->prov_name = strdup(prov);
	return h;
}

static int fab_getinfo(struct fab_xprt *fx, const char *node, const char *service, uint64_t flags,
		       struct fi_info **out)
{
	struct fi_info *h = fab_hints(fx->info->fabric_attr->prov_name, fx->mr_mode);
	if (!h)
		return -ENOMEM;
	int rc = fi_getinfo(FAB_API, node, service, flags, h, out);
	fi_freeinfo(h);
	return rc;
}

static void fmt_addr(const void *sa, size_t len, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, sa, len < sizeof(ss) ? len : sizeof(ss));
	sock_format_addr(&ss, buf, size);
}

static void io_cb_eq(struct vg_io *io, uint32_t events, void *arg);
static void fab_init(struct fab_ep *f);

/* Poll every millisecond if we must, else wake at the connect deadline. */
static void arm_timer(struct fab_ep *f)
{
	struct vg_loop *loop = f->ep.xprt->loop;
	if (f->polling || f->retry) {
		vg_timer_start(loop, &f->timer, POLL_US);
	} else if (f->deadline_us) {
		uint64_t now = vg_mono_us();
		vg_timer_start(loop, &f->timer, f->deadline_us > now ? f->deadline_us - now : 0);
	}
}

/* Wait fds for eq (and cq); without them the endpoint polls. */
static void watch(struct fab_ep *f)
{
	struct vg_loop *loop = f->ep.xprt->loop;
	int fd = -1;
	if (!f->polling && fi_control(&f->eq->fid, FI_GETWAIT, &fd) == 0 && fd >= 0) {
		vg_io_init(&f->eq_io, fd, io_cb_eq, f);
		f->polling = vg_io_start(loop, &f->eq_io, VG_IO_READ) < 0;
	} else {
		f->polling = true;
	}
	fd = -1;
	if (f->cq && !f->polling && fi_control(&f->cq->fid, FI_GETWAIT, &fd) == 0 && fd >= 0) {
		vg_io_init(&f->cq_io, fd, fab_cq_io_cb, f);
		f->polling = vg_io_start(loop, &f->cq_io, VG_IO_READ) < 0;
	} else if (f->cq) {
		f->polling = true;
	}
	arm_timer(f);
}

static int open_eq(struct fab_ep *f)
{
	struct fab_xprt *fx = fx_of(f);
	struct fi_eq_attr attr = {.size = 64, .wait_obj = f->polling ? FI_WAIT_NONE : FI_WAIT_FD};
	int rc = fi_eq_open(fx->fabric, &attr, &f->eq, f);
	if (rc == 0 || f->polling)
		return rc;
	attr.wait_obj = FI_WAIT_NONE;
	f->polling = true;
	return fi_eq_open(fx->fabric, &attr, &f->eq, f);
}

/* ------------------------------------------------------------------ closing */

static void finish_close(void *arg)
{
	struct fab_ep *f = arg;
	if (f->announced) {
		fab_fail_reads(f);
		struct vg_ep_event ev = {
			.type = f->last_event, .status = f->final_status, .reason = f->reason};
		vg_ep_deliver(&f->ep, &ev);
	}
	f->ep.state = VG_EP_CLOSED;
	if (f->listener && !f->announced)
		vg_ep_put(&f->ep);  /* the reference ACCEPTED would have handed over */
	vg_ep_put(&f->ep);
}

static void pending_remove(struct fab_ep *f)
{
	struct fab_ep *l = f->listener;
	if (!l || (!f->pend_prev && l->pending != f))
		return;
	if (f->pend_prev)
		f->pend_prev->pend_next = f->pend_next;
	else
		l->pending = f->pend_next;
	if (f->pend_next)
		f->pend_next->pend_prev = f->pend_prev;
	f->pend_prev = f->pend_next = NULL;
}

static void release_fids(struct fab_ep *f)
{
	vg_io_stop(&f->eq_io);
	vg_io_stop(&f->cq_io);
	vg_timer_stop(&f->timer);
	close_fid(&f->fep);
	close_fid(&f->pep);
	close_fid(&f->cq);
	close_fid(&f->eq);
	fab_conn_release(f);
}

void fab_conn_fail(struct fab_ep *f, int status, const char *reason)
{
	if (!fab_live(f) && !f->draining)
		return;
	pending_remove(f);
	f->last_event = f->ep.state == VG_EP_CONNECTED_STATE || f->draining ? VG_EP_DISCONNECTED
									     : VG_EP_REJECTED;
	f->draining = false;
	f->ep.state = VG_EP_CLOSING;
	f->final_status = status;
	vg_strlcpy(f->reason, reason, sizeof(f->reason));
	release_fids(f);
	vg_loop_defer(f->ep.xprt->loop, &f->finish, finish_close, f);
}

void fab_drop_peer(struct fab_ep *f, const char *reason)
{
	vg_complain(&fx_of(f)->complaint, VG_LOG_WARNING, "fabric", "dropping connection %s %s: %s",
		    f->listener ? "from" : "to", f->ep.peer, reason);
	fab_conn_fail(f, -EPROTO, reason);
}

/* ------------------------------------------------------------------ connection management */

static void put_param(uint8_t *p, size_t max_msg)
{
	memcpy(p, CONN_MAGIC, 8);
	fab_put_u32(p + 8, PROTO_VERSION);
	fab_put_u32(p + 12, max_msg > UINT32_MAX ? UINT32_MAX : (uint32_t)max_msg);
}

/* 0 and the peer's max_msg, or -EPROTO. */
static int check_param(const uint8_t *p, size_t len, uint32_t *max_msg)
{
	if (len < CONN_PARAM_LEN || memcmp(p, CONN_MAGIC, 8) != 0 ||
	    fab_get_u32(p + 8) != PROTO_VERSION || fab_get_u32(p + 12) < PEER_MAX_MSG_MIN)
		return -EPROTO;
	*max_msg = fab_get_u32(p + 12);
	return 0;
}

/* The endpoint, its queues and posted receives for info (a connect or an accepted request). */
static int conn_open(struct fab_ep *f, struct fi_info *info)
{
	struct fab_xprt *fx = fx_of(f);
	struct fi_cq_attr cq_attr = {.size = 1024, .format = FI_CQ_FORMAT_MSG,
				     .wait_obj = f->polling ? FI_WAIT_NONE : FI_WAIT_FD};
	int rc = open_eq(f);
	if (rc == 0)
		rc = fi_endpoint(fx->domain, info, &f->fep, f);
	if (rc == 0 && (rc = fi_cq_open(fx->domain, &cq_attr, &f->cq, f)) != 0 && !f->polling) {
		f->polling = true;
		cq_attr.wait_obj = FI_WAIT_NONE;
		rc = fi_cq_open(fx->domain, &cq_attr, &f->cq, f);
	}
	if (rc == 0)
		rc = fi_ep_bind(f->fep, &f->eq->fid, 0);
	if (rc == 0)
		rc = fi_ep_bind(f->fep, &f->cq->fid, FI_TRANSMIT | FI_RECV);
	if (rc == 0)
		rc = fi_enable(f->fep);
	if (rc == 0)
		rc = fab_conn_buffers(f);
	return neg_fi(rc);
}

static void connected(struct fab_ep *f, const uint8_t *data, size_t len)
{
	uint32_t peer_max = 0;
	if (!f->listener && check_param(data, len, &peer_max) < 0) {
		fab_drop_peer(f, "the peer is not a vigil fabric endpoint");
		return;
	}
	pending_remove(f);
	if (f->listener)
		peer_max = f->peer_max_msg;  /* from its request */
	f->peer_max_msg = peer_max;
	f->deadline_us = 0;
	f->ep.state = VG_EP_CONNECTED_STATE;
	if (!f->listener) {
		struct vg_ep_event ev = {.type = VG_EP_CONNECTED};
		vg_ep_deliver(&f->ep, &ev);
	} else if (f->listener->ep.state != VG_EP_LISTENING || !f->listener->ep.cb) {
		fab_conn_fail(f, -ECONNABORTED, "the listener was closed");
		return;
	} else {
		f->announced = true;
		struct vg_ep_event ev = {.type = VG_EP_ACCEPTED, .new_ep = &f->ep};
		vg_ep_deliver(&f->listener->ep, &ev);
	}
	/* completions that came with the connection wait for us */
	if (fab_live(f) && f->cq_io.fd >= 0)
		vg_io_start(f->ep.xprt->loop, &f->cq_io, VG_IO_READ);
	if (fab_live(f))
		fab_cq_drain(f);
}

static void accept_one(struct fab_ep *l, struct fi_eq_cm_entry *entry, size_t datalen)
{
	struct fi_info *info = entry->info;
	uint32_t peer_max = 0;
	if (check_param(entry->data, datalen, &peer_max) < 0) {
		fi_reject(l->pep, info->handle, NULL, 0);
		char peer[64] = "?";
		if (info->dest_addr)
			fmt_addr(info->dest_addr, info->dest_addrlen, peer, sizeof(peer));
		vg_complain(&fx_of(l)->complaint, VG_LOG_WARNING, "fabric",
			    "rejecting a connection from %s on %s: not a vigil fabric endpoint", peer,
			    l->ep.local);
		fi_freeinfo(info);
		return;
	}
	struct vg_ep *ep = vg_ep_alloc(l->ep.xprt);
	if (!ep) {
		fi_reject(l->pep, info->handle, NULL, 0);
		fi_freeinfo(info);
		return;
	}
	struct fab_ep *f = fab_of(ep);
	fab_init(f);
	f->listener = l;
	f->peer_max_msg = peer_max;
	vg_ep_get(&l->ep);
	vg_ep_get(ep);  /* the driver's; the first one goes to the application with ACCEPTED */
	if (info->dest_addr) {
		fmt_addr(info->dest_addr, info->dest_addrlen, ep->peer, sizeof(ep->peer));
		struct sockaddr_storage ss = {0};
		memcpy(&ss, info->dest_addr,
		       info->dest_addrlen < sizeof(ss) ? info->dest_addrlen : sizeof(ss));
		ep->port = sock_addr_port(&ss);
	}
	vg_strlcpy(ep->local, l->ep.local, sizeof(ep->local));
	ep->state = VG_EP_CONNECTING;
	f->pend_next = l->pending;
	if (l->pending)
		l->pending->pend_prev = f;
	l->pending = f;
	f->deadline_us = vg_mono_us() + (uint64_t)VG_XPRT_HANDSHAKE_TIMEOUT_MS * 1000;
	uint8_t param[CONN_PARAM_LEN];
	put_param(param, ep->xprt->max_msg);
	int rc = conn_open(f, info);
	if (rc == 0)
		rc = neg_fi(fi_accept(f->fep, param, sizeof(param)));
	if (rc < 0) {
		fi_reject(l->pep, info->handle, NULL, 0);
		fi_freeinfo(info);
		char why[200];
		snprintf(why, sizeof(why), "cannot accept: %s", fi_strerror(-rc));
		fab_conn_fail(f, rc, why);
		return;
	}
	fi_freeinfo(info);
	watch(f);
	if (f->cq_io.fd >= 0)
		vg_io_start(ep->xprt->loop, &f->cq_io, 0);  /* until FI_CONNECTED */
}

static void eq_error(struct fab_ep *f)
{
	struct fi_eq_err_entry e = {0};
	int err = ECONNRESET;
	if (fi_eq_readerr(f->eq, &e, 0) > 0 && e.err)
		err = e.err;
	char why[200];
	if (f->ep.state == VG_EP_CONNECTING && !f->listener)
		snprintf(why, sizeof(why), "connect to %s failed: %s", f->ep.peer, strerror(err));
	else
		snprintf(why, sizeof(why), "connection %s %s failed: %s", f->listener ? "from" : "to",
			 f->ep.peer, strerror(err));
	fab_conn_fail(f, -err, why);
}

void fab_drain_check(struct fab_ep *f)
{
	if (!f->draining || (vg_mono_us() < f->deadline_us &&
			     (f->qhead < f->qtail || f->ntx_free < FAB_NTX)))
		return;
	if (f->fep)
		fi_shutdown(f->fep, 0);
	fab_conn_fail(f, 0, "closed locally");
}

void fab_eq_drain(struct fab_ep *f)
{
	union {
		struct fi_eq_cm_entry entry;
		uint8_t bytes[sizeof(struct fi_eq_cm_entry) + 256];
	} buf;
	while (f->eq && (f->ep.state == VG_EP_LISTENING || fab_live(f) || f->draining)) {
		uint32_t event = 0;
		ssize_t n = fi_eq_read(f->eq, &event, &buf, sizeof(buf), 0);
		if (n == -FI_EAGAIN)
			return;
		if (n == -FI_EAVAIL) {
			if (f->ep.is_listener) {
				struct fi_eq_err_entry e = {0};
				fi_eq_readerr(f->eq, &e, 0);
				continue;
			}
			eq_error(f);
			return;
		}
		if (n < 0) {
			if (!f->ep.is_listener)
				fab_conn_fail(f, (int)n, "cannot read the connection's event queue");
			return;
		}
		size_t datalen = (size_t)n > sizeof(buf.entry) ? (size_t)n - sizeof(buf.entry) : 0;
		if (f->ep.is_listener) {
			if (event == FI_CONNREQ)
				accept_one(f, &buf.entry, datalen);
			continue;
		}
		if (f->draining && event == FI_SHUTDOWN) {
			fab_conn_fail(f, 0, "closed locally");
		} else if (event == FI_CONNECTED && f->ep.state == VG_EP_CONNECTING) {
			connected(f, buf.entry.data, datalen);
		} else if (event == FI_SHUTDOWN) {
			fab_cq_drain(f);  /* what arrived before the shutdown is delivered first */
			char why[200];
			snprintf(why, sizeof(why), "connection closed by %s", f->ep.peer);
			fab_conn_fail(f, 0, why);
		}
	}
}

static void io_cb_eq(struct vg_io *io, uint32_t events, void *arg)
{
	(void)io;
	(void)events;
	struct fab_ep *f = arg;
	vg_ep_get(&f->ep);
	for (int i = 0; i < 8; i++) {
		fab_eq_drain(f);
		if (!f->eq)
			break;
		struct fid *fids[1] = {&f->eq->fid};
		if (fi_trywait(fx_of(f)->fabric, fids, 1) != -FI_EAGAIN)
			break;
	}
	vg_ep_put(&f->ep);
}

static void timer_cb(struct vg_timer *t, void *arg)
{
	(void)t;
	struct fab_ep *f = arg;
	vg_ep_get(&f->ep);
	if (f->deadline_us && fab_live(f) && vg_mono_us() >= f->deadline_us) {
		char why[200];
		if (f->listener)
			snprintf(why, sizeof(why), "no handshake within %d ms",
				 VG_XPRT_HANDSHAKE_TIMEOUT_MS);
		else
			snprintf(why, sizeof(why), "connect to %s timed out after %d ms", f->ep.peer,
				 VG_XPRT_HANDSHAKE_TIMEOUT_MS);
		fab_conn_fail(f, -ETIMEDOUT, why);
	}
	if (f->polling || f->deadline_us)
		fab_eq_drain(f);
	if ((f->polling || f->retry || f->draining) && fab_active(f)) {
		f->retry = false;
		fab_cq_drain(f);  /* pumps, and ends a drain that is done or overdue */
	}
	if (f->ep.state == VG_EP_LISTENING || fab_live(f) || f->draining)
		arm_timer(f);
	vg_ep_put(&f->ep);
}

static void fab_init(struct fab_ep *f)
{
	f->inited = true;
	vg_io_init(&f->eq_io, -1, io_cb_eq, f);
	vg_io_init(&f->cq_io, -1, fab_cq_io_cb, f);
	vg_timer_init(&f->timer, timer_cb, f);
	f->peer_max_msg = UINT32_MAX;
	f->polling = fx_of(f)->force_poll;
}

static int fab_connect(struct vg_ep *ep, const char *host, uint16_t port, struct vg_err *err)
{
	struct fab_ep *f = fab_of(ep);
	fab_init(f);
	if (host[0] == '/')
		return vg_errf(err, EINVAL, "cannot connect to %s: the fabric transport has no UNIX "
				    "sockets (use sock)", host);
	char service[8];
	snprintf(service, sizeof(service), "%u", port);
	snprintf(ep->peer, sizeof(ep->peer), strchr(host, ':') ? "[%s]:%u" : "%s:%u", host, port);
	struct fi_info *info = NULL;
	int rc = fab_getinfo(fx_of(f), host, service, 0, &info);
	if (rc != 0)
		return vg_errf(err, -neg_fi(rc), "cannot connect to %s with fabric: %s", ep->peer,
			       fi_strerror(-neg_fi(rc)));
	rc = conn_open(f, info);
	uint8_t param[CONN_PARAM_LEN];
	put_param(param, ep->xprt->max_msg);
	if (rc == 0)
		rc = neg_fi(fi_connect(f->fep, info->dest_addr, param, sizeof(param)));
	fi_freeinfo(info);
	if (rc < 0) {
		release_fids(f);
		return vg_errf(err, -rc, "cannot connect to %s with fabric: %s", ep->peer,
			       fi_strerror(-rc));
	}
	ep->port = port;
	ep->state = VG_EP_CONNECTING;
	f->announced = true;
	vg_ep_get(ep);  /* the driver's, until the last event */
	f->deadline_us = vg_mono_us() + (uint64_t)VG_XPRT_HANDSHAKE_TIMEOUT_MS * 1000;
	watch(f);
	if (f->cq_io.fd >= 0)
		vg_io_start(ep->xprt->loop, &f->cq_io, 0);  /* until FI_CONNECTED */
	return 0;
}

static int fab_listen(struct vg_ep *ep, const char *host, uint16_t port, struct vg_err *err)
{
	struct fab_ep *f = fab_of(ep);
	struct fab_xprt *fx = fx_of(f);
	fab_init(f);
	if (host && host[0] == '/')
		return vg_errf(err, EINVAL, "cannot listen on %s: the fabric transport has no UNIX "
				    "sockets (use sock)", host);
	char service[8];
	snprintf(service, sizeof(service), "%u", port);
	const char *node = host && host[0] ? host : NULL;
	struct fi_info *info = NULL;
	int rc = fab_getinfo(fx, node, service, FI_SOURCE, &info);
	if (rc == 0)
		rc = open_eq(f);
	if (rc == 0)
		rc = fi_passive_ep(fx->fabric, info, &f->pep, f);
	if (rc == 0)
		rc = fi_pep_bind(f->pep, &f->eq->fid, 0);
	if (rc == 0)
		rc = fi_listen(f->pep);
	if (info)
		fi_freeinfo(info);
	struct sockaddr_storage ss = {0};
	size_t len = sizeof(ss);
	if (rc == 0)
		rc = fi_getname(&f->pep->fid, &ss, &len);
	if (rc != 0) {
		rc = neg_fi(rc);
		release_fids(f);
		return vg_errf(err, -rc, "cannot listen on %s:%u with fabric: %s",
			       node ? node : "*", port, fi_strerror(-rc));
	}
	sock_format_addr(&ss, ep->local, sizeof(ep->local));
	ep->port = sock_addr_port(&ss);
	ep->state = VG_EP_LISTENING;
	vg_ep_get(ep);  /* the driver's, until the listener is closed */
	watch(f);
	return 0;
}

static void fab_shutdown(struct vg_ep *ep)
{
	struct fab_ep *f = fab_of(ep);
	if (ep->is_listener) {
		if (ep->state != VG_EP_LISTENING)
			return;
		while (f->pending)
			fab_conn_fail(f->pending, -ECONNABORTED, "the listener was closed");
		release_fids(f);
		ep->state = VG_EP_CLOSING;
		vg_loop_defer(ep->xprt->loop, &f->finish, finish_close, f);
		return;
	}
	if (f->draining)
		return;  /* closing already */
	if (ep->state == VG_EP_CONNECTED_STATE) {
		/* what is queued leaves first, for DRAIN_TIMEOUT_US at most */
		ep->state = VG_EP_CLOSING;
		f->draining = true;
		f->deadline_us = vg_mono_us() + DRAIN_TIMEOUT_US;
		fab_pump(f);
		fab_drain_check(f);
		if (f->draining)
			arm_timer(f);
	} else {
		fab_conn_fail(f, -ECANCELED, "connect canceled");
	}
}

static void fab_free_ep(struct vg_ep *ep)
{
	struct fab_ep *f = fab_of(ep);
	if (!f->inited)
		return;
	release_fids(f);
	free(f->reads);
	if (f->listener)
		vg_ep_put(&f->listener->ep);
}

/* ------------------------------------------------------------------ memory registration */

int fab_reg(struct fab_xprt *fx, void *addr, size_t len, uint64_t access, struct fid_mr **out)
{
	int rc = -FI_ENOKEY;
	/* a random key is unguessable; a collision with another registration is retried */
	for (int tries = 0; tries < 4 && rc == -FI_ENOKEY; tries++) {
		uint64_t key = 0;
		if (!fx->prov_key &&
		    getrandom(&key, sizeof(key), GRND_NONBLOCK) != (ssize_t)sizeof(key))
			key = vg_mono_us() * 0x9e3779b97f4a7c15ull ^ (uint64_t)(uintptr_t)addr;
		rc = fi_mr_reg(fx->domain, addr, len, access, 0, key, 0, out, NULL);
		if (fx->prov_key)
			break;
	}
	return neg_fi(rc);
}

static int fab_mem_register(struct vg_xprt *x, void *addr, size_t len, struct vg_mr **out)
{
	struct fab_xprt *fx = x->priv;
	struct fab_mr *mr = calloc(1, sizeof(*mr));
	if (!mr)
		return -ENOMEM;
	int rc = fab_reg(fx, addr, len, FI_REMOTE_READ, &mr->mr);
	if (rc < 0) {
		free(mr);
		return rc;
	}
	mr->ops = x->ops;
	mr->key = fi_mr_key(mr->mr);
	mr->base = fx->virt_addr ? (uint64_t)(uintptr_t)addr : 0;
	mr->len = len;
	*out = (struct vg_mr *)mr;
	return 0;
}

static void fab_mem_deregister(struct vg_xprt *x, struct vg_mr *vmr)
{
	(void)x;
	struct fab_mr *mr = (struct fab_mr *)vmr;
	close_fid(&mr->mr);
	free(mr);
}

static void fab_mem_rkey(const struct vg_mr *vmr, struct vg_rkey *rkey)
{
	const struct fab_mr *mr = (const struct fab_mr *)vmr;
	memset(rkey, 0, sizeof(*rkey));
	fab_put_u64(rkey->bytes, mr->key);
	fab_put_u64(rkey->bytes + 8, mr->base);
	fab_put_u64(rkey->bytes + 16, mr->len);
	fab_put_u32(rkey->bytes + 24, FAB_RKEY_MAGIC);
}

/* ------------------------------------------------------------------ the driver */

static void fab_close(struct vg_xprt *x)
{
	struct fab_xprt *fx = x->priv;
	if (!fx)
		return;
	close_fid(&fx->domain);
	close_fid(&fx->fabric);
	if (fx->info)
		fi_freeinfo(fx->info);
	free(fx);
	x->priv = NULL;
}

static int fab_open(struct vg_xprt *x, struct vg_err *err)
{
	struct fab_xprt *fx = calloc(1, sizeof(*fx));
	if (!fx)
		return vg_errf(err, ENOMEM, "cannot open transport fabric: out of memory");
	x->priv = fx;
	/* random keys if the provider allows them, provider keys otherwise */
	static const uint64_t modes[] = {
		FI_MR_LOCAL | FI_MR_VIRT_ADDR | FI_MR_ALLOCATED,
		FI_MR_LOCAL | FI_MR_VIRT_ADDR | FI_MR_ALLOCATED | FI_MR_PROV_KEY,
	};
	int rc = -FI_ENODATA;
	for (size_t i = 0; i < 2 && rc != 0; i++) {
		struct fi_info *h = fab_hints(NULL, modes[i]);
		if (!h) {
			rc = -FI_ENOMEM;
			break;
		}
		rc = fi_getinfo(FAB_API, NULL, NULL, 0, h, &fx->info);
		fi_freeinfo(h);
	}
	const char *prov = getenv("FI_PROVIDER");
	if (rc != 0) {
		fab_close(x);
		return vg_errf(err, ENODEV, "cannot open transport fabric: no libfabric provider %s%s "
				    "offers connected endpoints with RMA (%s; see fi_info -t FI_EP_MSG)",
			       prov ? "matching FI_PROVIDER=" : "", prov ? prov : "", fi_strerror(-rc));
	}
	if (strcmp(fx->info->fabric_attr->prov_name, "sockets") == 0) {
		/* seen crashing in its own progress thread while connecting (libfabric 1.17) */
		vg_errf(err, ENOTSUP, "cannot open transport fabric: the 'sockets' provider is not "
				      "supported (use FI_PROVIDER=tcp)");
		fab_close(x);
		return -ENOTSUP;
	}
	fx->mr_mode = (uint64_t)fx->info->domain_attr->mr_mode;
	fx->local_mr = fx->mr_mode & FI_MR_LOCAL;
	fx->prov_key = fx->mr_mode & FI_MR_PROV_KEY;
	fx->virt_addr = fx->mr_mode & FI_MR_VIRT_ADDR;
	fx->force_poll = getenv("VIGIL_FABRIC_POLL") != NULL;
	if (fx->info->domain_attr->mr_key_size > 8) {
		vg_errf(err, ENOTSUP, "cannot open transport fabric: provider %s uses %zu-byte keys "
				      "(at most 8 supported)", fx->info->fabric_attr->prov_name,
			fx->info->domain_attr->mr_key_size);
		fab_close(x);
		return -ENOTSUP;
	}
	rc = fi_fabric(fx->info->fabric_attr, &fx->fabric, NULL);
	if (rc == 0)
		rc = fi_domain(fx->fabric, fx->info, &fx->domain, NULL);
	if (rc != 0) {
		vg_errf(err, -neg_fi(rc), "cannot open transport fabric: provider %s: %s",
			fx->info->fabric_attr->prov_name, fi_strerror(-neg_fi(rc)));
		fab_close(x);
		return neg_fi(rc);
	}
	vg_log(VG_LOG_DEBUG, "fabric", "provider %s, fabric %s, domain %s, mr_mode 0x%llx",
	       fx->info->fabric_attr->prov_name, fx->info->fabric_attr->name,
	       fx->info->domain_attr->name, (unsigned long long)fx->mr_mode);
	return 0;
}

const struct vg_xprt_ops vg_fabric_ops = {
	.api_version = VG_XPRT_API_VERSION,
	.name = "fabric",
	.ep_size = sizeof(struct fab_ep),
	.open = fab_open,
	.close = fab_close,
	.listen = fab_listen,
	.connect = fab_connect,
	.sendv = fab_sendv,
	.read = fab_read,
	.shutdown = fab_shutdown,
	.free_ep = fab_free_ep,
	.mem_register = fab_mem_register,
	.mem_deregister = fab_mem_deregister,
	.mem_rkey = fab_mem_rkey,
};
