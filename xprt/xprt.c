/*
 * xprt.c - the generic transport layer: the driver registry, transport
 * instances, endpoint reference counting and the thin wrappers over the
 * driver operations.
 *
 * Lifetimes: an endpoint holds a reference on its transport, so a transport
 * closed with vg_xprt_close() is freed (driver close included) only when its
 * last endpoint has been released.  An endpoint whose last reference goes is
 * freed from a deferred call, because an event for it may still be pending
 * in the current epoll batch.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "xprt/xprt.h"

#define MAX_DRIVERS 8

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct vg_xprt_ops *drivers[MAX_DRIVERS];
static size_t ndrivers;
static char driver_names[MAX_DRIVERS * 16];

/* What the generic layer keeps beside the public struct vg_xprt. */
struct xprt_impl {
	struct vg_xprt pub;
	int refs;  /* the application's (until vg_xprt_close) + one per endpoint */
};

/* Placed after the driver's endpoint struct, whose size only the driver knows. */
struct ep_trailer {
	struct vg_deferred free_later;
};

/* ------------------------------------------------------------------ registry */

int vg_xprt_register(const struct vg_xprt_ops *ops)
{
	if (!ops || ops->api_version != VG_XPRT_API_VERSION || !ops->name || !ops->name[0] ||
	    strlen(ops->name) > 15 || ops->ep_size < sizeof(struct vg_ep) || !ops->open ||
	    !ops->close || !ops->listen || !ops->connect || !ops->sendv || !ops->read ||
	    !ops->shutdown || !ops->free_ep || !ops->mem_register || !ops->mem_deregister ||
	    !ops->mem_rkey)
		return -EINVAL;
	int rc = 0;
	pthread_mutex_lock(&registry_lock);
	for (size_t i = 0; i < ndrivers; i++) {
		if (strcmp(drivers[i]->name, ops->name) == 0) {
			rc = drivers[i] == ops ? 0 : -EEXIST;
			goto out;
		}
	}
	if (ndrivers == MAX_DRIVERS) {
		rc = -ENOSPC;
		goto out;
	}
	drivers[ndrivers++] = ops;
	driver_names[0] = '\0';
	for (size_t i = 0; i < ndrivers; i++) {
		if (i)
			strcat(driver_names, ",");
		strcat(driver_names, drivers[i]->name);
	}
out:
	pthread_mutex_unlock(&registry_lock);
	return rc;
}

const struct vg_xprt_ops *vg_xprt_find(const char *name)
{
	const struct vg_xprt_ops *found = NULL;
	pthread_mutex_lock(&registry_lock);
	for (size_t i = 0; i < ndrivers && name; i++)
		if (strcmp(drivers[i]->name, name) == 0)
			found = drivers[i];
	pthread_mutex_unlock(&registry_lock);
	return found;
}

const char *vg_xprt_names(void)
{
	return driver_names;
}

void vg_xprt_init(void)
{
	(void)vg_xprt_register(&vg_sock_ops);
#ifdef HAVE_LIBFABRIC
	(void)vg_xprt_register(&vg_fabric_ops);
#endif
#ifdef HAVE_RDMA
	(void)vg_xprt_register(&vg_rdma_ops);
#endif
}

/* ------------------------------------------------------------------ transports */

static struct xprt_impl *impl_of(struct vg_xprt *x)
{
	return (struct xprt_impl *)((char *)x - offsetof(struct xprt_impl, pub));
}

static void xprt_unref(struct vg_xprt *x)
{
	struct xprt_impl *xi = impl_of(x);
	if (--xi->refs > 0)
		return;
	x->ops->close(x);
	free(xi);
}

struct vg_xprt *vg_xprt_open(struct vg_loop *loop, const char *name, struct vg_err *err)
{
	vg_xprt_init();
	const struct vg_xprt_ops *ops = vg_xprt_find(name);
	if (!ops) {
		vg_errf(err, ENOENT, "unknown transport '%s': use one of %s", name ? name : "(null)",
			vg_xprt_names());
		return NULL;
	}
	struct xprt_impl *xi = calloc(1, sizeof(*xi));
	if (!xi) {
		vg_errf(err, ENOMEM, "cannot open transport %s: out of memory", ops->name);
		return NULL;
	}
	xi->refs = 1;
	xi->pub.ops = ops;
	xi->pub.loop = loop;
	xi->pub.max_msg = VG_XPRT_MAX_MSG_DEFAULT;
	xi->pub.max_queued = VG_XPRT_MAX_QUEUED_DEFAULT;
	if (ops->open(&xi->pub, err) < 0) {
		free(xi);
		return NULL;
	}
	return &xi->pub;
}

void vg_xprt_close(struct vg_xprt *x)
{
	if (x)
		xprt_unref(x);
}

const char *vg_xprt_name(const struct vg_xprt *x)
{
	return x->ops->name;
}

/* ------------------------------------------------------------------ endpoints */

static size_t trailer_offset(const struct vg_xprt *x)
{
	return VG_ALIGN_UP(x->ops->ep_size, alignof(max_align_t));
}

static struct ep_trailer *trailer_of(struct vg_ep *ep)
{
	return (struct ep_trailer *)((char *)ep + trailer_offset(ep->xprt));
}

struct vg_ep *vg_ep_alloc(struct vg_xprt *x)
{
	struct vg_ep *ep = calloc(1, trailer_offset(x) + sizeof(struct ep_trailer));
	if (!ep)
		return NULL;
	ep->xprt = x;
	ep->refcount = 1;
	ep->state = VG_EP_IDLE;
	impl_of(x)->refs++;
	return ep;
}

struct vg_ep *vg_ep_new(struct vg_xprt *x, vg_ep_cb cb, void *arg)
{
	struct vg_ep *ep = vg_ep_alloc(x);
	if (ep) {
		ep->cb = cb;
		ep->cb_arg = arg;
	}
	return ep;
}

void vg_ep_set_cb(struct vg_ep *ep, vg_ep_cb cb, void *arg)
{
	ep->cb = cb;
	ep->cb_arg = arg;
}

struct vg_ep *vg_ep_get(struct vg_ep *ep)
{
	ep->refcount++;
	return ep;
}

static void ep_free_now(void *arg)
{
	struct vg_ep *ep = arg;
	struct vg_xprt *x = ep->xprt;
	x->ops->free_ep(ep);
	free(ep);
	xprt_unref(x);
}

void vg_ep_put(struct vg_ep *ep)
{
	if (!ep || --ep->refcount > 0)
		return;
	vg_loop_defer(ep->xprt->loop, &trailer_of(ep)->free_later, ep_free_now, ep);
}

void vg_ep_deliver(struct vg_ep *ep, const struct vg_ep_event *ev)
{
	if (!ep->cb)
		return;
	vg_ep_get(ep);
	ep->cb(ep, ev, ep->cb_arg);
	vg_ep_put(ep);
}

int vg_ep_listen(struct vg_ep *ep, const char *host, uint16_t port, struct vg_err *err)
{
	if (ep->state != VG_EP_IDLE)
		return vg_errf(err, EINVAL, "cannot listen on %s:%u: the endpoint is already in use",
			       host && host[0] ? host : "*", port);
	ep->is_listener = true;
	return ep->xprt->ops->listen(ep, host, port, err);
}

int vg_ep_connect(struct vg_ep *ep, const char *host, uint16_t port, struct vg_err *err)
{
	if (ep->state != VG_EP_IDLE)
		return vg_errf(err, EINVAL, "cannot connect to %s:%u: the endpoint is already in use",
			       host ? host : "(null)", port);
	if (!host || !host[0])
		return vg_errf(err, EINVAL, "cannot connect: no host given");
	return ep->xprt->ops->connect(ep, host, port, err);
}

int vg_ep_sendv(struct vg_ep *ep, const struct iovec *iov, int iovcnt)
{
	if (ep->state != VG_EP_CONNECTED_STATE)
		return -ENOTCONN;
	if (iovcnt < 0 || (iovcnt > 0 && !iov))
		return -EINVAL;
	size_t total = 0;
	for (int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > ep->xprt->max_msg - total)
			return -EMSGSIZE;
		total += iov[i].iov_len;
	}
	return ep->xprt->ops->sendv(ep, iov, iovcnt);
}

int vg_ep_send(struct vg_ep *ep, const void *msg, size_t len)
{
	struct iovec iov = {.iov_base = (void *)msg, .iov_len = len};
	return vg_ep_sendv(ep, &iov, 1);
}

int vg_ep_read(struct vg_ep *ep, const struct vg_rkey *rkey, uint64_t offset, void *dst, size_t len,
	       void *ctx)
{
	if (ep->state != VG_EP_CONNECTED_STATE)
		return -ENOTCONN;
	if (!rkey || (!dst && len) || len > ep->xprt->max_msg)
		return -EINVAL;
	return ep->xprt->ops->read(ep, rkey, offset, dst, len, ctx);
}

void vg_ep_close(struct vg_ep *ep)
{
	if (!ep)
		return;
	if (ep->state == VG_EP_IDLE) {
		ep->state = VG_EP_CLOSED;
		return;
	}
	ep->xprt->ops->shutdown(ep);
}

void vg_ep_set_ctx(struct vg_ep *ep, void *ctx)
{
	ep->ctx = ctx;
}

void *vg_ep_ctx(const struct vg_ep *ep)
{
	return ep->ctx;
}

uint16_t vg_ep_port(const struct vg_ep *ep)
{
	return ep->port;
}

const char *vg_ep_peer(const struct vg_ep *ep)
{
	return ep->peer;
}

const char *vg_ep_local(const struct vg_ep *ep)
{
	return ep->local;
}

bool vg_ep_connected(const struct vg_ep *ep)
{
	return ep->state == VG_EP_CONNECTED_STATE;
}

/* ------------------------------------------------------------------ memory */

int vg_xprt_mem_register(struct vg_xprt *x, void *addr, size_t len, struct vg_mr **mr)
{
	if (!addr || !len || !mr)
		return -EINVAL;
	return x->ops->mem_register(x, addr, len, mr);
}

void vg_xprt_mem_deregister(struct vg_xprt *x, struct vg_mr *mr)
{
	if (mr)
		x->ops->mem_deregister(x, mr);
}

void vg_mr_rkey(const struct vg_mr *mr, struct vg_rkey *rkey)
{
	/* The mr knows its driver: every driver puts its ops pointer first. */
	const struct vg_xprt_ops *const *ops = (const struct vg_xprt_ops *const *)mr;
	(*ops)->mem_rkey(mr, rkey);
}

void vg_mr_owner_set(struct vg_mr *mr, void *owner)
{
	((struct vg_mr_head *)(void *)mr)->owner = owner;
}

void *vg_mr_owner(const struct vg_mr *mr)
{
	return ((const struct vg_mr_head *)(const void *)mr)->owner;
}

void vg_ep_set_read_allow(struct vg_ep *ep, bool (*fn)(struct vg_ep *ep, void *owner, void *arg),
			  void *arg)
{
	ep->read_allow = fn;
	ep->read_allow_arg = arg;
}

/* ------------------------------------------------------------------ endpoint strings */

static int bad_endpoint(struct vg_err *err, const char *spec)
{
	return vg_errf(err, EINVAL, "bad endpoint '%s': expected XPRT:PORT[:HOST]", spec);
}

int vg_xprt_parse_endpoint(const char *spec, char *xprt, size_t xprt_len, uint16_t *port,
			   char *host, size_t host_len, struct vg_err *err)
{
	if (!spec)
		return bad_endpoint(err, "");
	const char *colon = strchr(spec, ':');
	if (!colon || colon == spec || (size_t)(colon - spec) >= xprt_len)
		return bad_endpoint(err, spec);
	const char *p = colon + 1;
	unsigned long value = 0;
	const char *digits = p;
	while (*p >= '0' && *p <= '9') {
		value = value * 10 + (unsigned long)(*p - '0');
		if (value > 65535)
			return bad_endpoint(err, spec);
		p++;
	}
	if (p == digits || (*p && *p != ':'))
		return bad_endpoint(err, spec);
	const char *h = *p ? p + 1 : "";
	size_t hlen = strlen(h);
	if (hlen && h[0] == '[') {
		if (hlen < 3 || h[hlen - 1] != ']')
			return bad_endpoint(err, spec);
		h++;
		hlen -= 2;
	}
	if (hlen >= host_len)
		return bad_endpoint(err, spec);
	memcpy(xprt, spec, (size_t)(colon - spec));
	xprt[colon - spec] = '\0';
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port = (uint16_t)value;
	return 0;
}
