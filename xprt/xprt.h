/*
 * xprt.h - one transport interface, several drivers (sock, fabric, rdma),
 * chosen by name like LDMS's zap or Redis's ConnectionType.
 *
 * The interface has RDMA semantics: besides two-sided messages, a side may
 * register memory and hand its peer a remote key (struct vg_rkey) with which
 * the peer reads that memory one-sidedly.  This is how an aggregator updates
 * a set without the sampler's CPU on the RDMA drivers.  The sock driver
 * emulates the read with a request/response served by its own event handler,
 * so the layers above are the same on every transport.
 *
 * Endpoints (struct vg_ep) are listeners or connections.  Every event about
 * an endpoint goes to its callback, on the thread of the loop its transport
 * was opened on; every call must be made from that thread.
 *
 * Lifetime: vg_ep_new() and an ACCEPTED event each give the application one
 * reference, released with vg_ep_put().  A connection's last event is
 * exactly one of REJECTED (a connect that never completed) or DISCONNECTED;
 * outstanding reads complete with an error status before it.  The driver
 * holds its own reference until that last event has been delivered, so
 * putting the application's reference inside any callback is safe.
 */
#ifndef VIGIL_XPRT_H
#define VIGIL_XPRT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "core/loop.h"
#include "core/util.h"

#define VG_XPRT_API_VERSION 1

/* Default largest message (a lookup reply of a large set must fit). */
#define VG_XPRT_MAX_MSG_DEFAULT (16u << 20)
/* Default limit of bytes queued for sending on one connection. */
#define VG_XPRT_MAX_QUEUED_DEFAULT (64u << 20)
/* Seconds a peer has to complete the transport handshake. */
#define VG_XPRT_HANDSHAKE_TIMEOUT_MS 10000

struct vg_xprt;
struct vg_ep;
struct vg_mr;

/* A driver's description of registered memory, sent to a peer; opaque bytes. */
struct vg_rkey {
	uint8_t bytes[32];
};

enum vg_ep_event_type {
	VG_EP_ACCEPTED = 1,  /* listener: new_ep is a connection that completed the handshake */
	VG_EP_CONNECTED,     /* vg_ep_connect() completed */
	VG_EP_REJECTED,      /* vg_ep_connect() failed: status, reason */
	VG_EP_DISCONNECTED,  /* the connection is gone: status, reason; the last event */
	VG_EP_RECV,          /* a message: data/len valid during the callback only */
	VG_EP_READ_DONE,     /* a vg_ep_read() finished: ctx, status (0 or -errno) */
};

struct vg_ep_event {
	enum vg_ep_event_type type;
	int status;          /* 0 or a negative errno */
	const char *reason;  /* human-readable cause for REJECTED/DISCONNECTED, may be NULL */
	const void *data;    /* RECV */
	size_t len;          /* RECV */
	void *ctx;           /* READ_DONE */
	struct vg_ep *new_ep;/* ACCEPTED */
};

typedef void (*vg_ep_cb)(struct vg_ep *ep, const struct vg_ep_event *ev, void *arg);

/* ------------------------------------------------------------------ drivers */

/*
 * What a driver implements.  Versioned like sqlite3_vfs: api_version first,
 * new operations only appended.  Drivers embed struct vg_ep at the start of
 * their own endpoint struct (ep_size tells the generic layer how much to
 * allocate).
 */
struct vg_xprt_ops {
	uint32_t api_version;  /* VG_XPRT_API_VERSION */
	const char *name;      /* "sock" */
	size_t ep_size;        /* sizeof the driver's endpoint struct */

	int (*open)(struct vg_xprt *x, struct vg_err *err);
	void (*close)(struct vg_xprt *x);

	int (*listen)(struct vg_ep *ep, const char *host, uint16_t port, struct vg_err *err);
	int (*connect)(struct vg_ep *ep, const char *host, uint16_t port, struct vg_err *err);
	int (*sendv)(struct vg_ep *ep, const struct iovec *iov, int iovcnt);
	int (*read)(struct vg_ep *ep, const struct vg_rkey *rkey, uint64_t offset, void *dst,
		    size_t len, void *ctx);
	void (*shutdown)(struct vg_ep *ep);  /* start closing; DISCONNECTED follows */
	void (*free_ep)(struct vg_ep *ep);   /* release driver resources of ep */

	/* The struct vg_mr a driver returns starts with a pointer to its ops (vg_mr_rkey needs it). */
	int (*mem_register)(struct vg_xprt *x, void *addr, size_t len, struct vg_mr **mr);
	void (*mem_deregister)(struct vg_xprt *x, struct vg_mr *mr);
	void (*mem_rkey)(const struct vg_mr *mr, struct vg_rkey *rkey);
};

int vg_xprt_register(const struct vg_xprt_ops *ops);
const struct vg_xprt_ops *vg_xprt_find(const char *name);
/* Names of registered drivers, comma-separated, for messages. */
const char *vg_xprt_names(void);

/* The generic parts of a transport instance and an endpoint; drivers extend them. */
struct vg_xprt {
	const struct vg_xprt_ops *ops;
	struct vg_loop *loop;
	size_t max_msg;
	size_t max_queued;
	void *priv;           /* the driver's */
};

enum vg_ep_state {
	VG_EP_IDLE = 0,
	VG_EP_LISTENING,
	VG_EP_CONNECTING,
	VG_EP_CONNECTED_STATE,
	VG_EP_CLOSING,
	VG_EP_CLOSED,
};

struct vg_ep {
	struct vg_xprt *xprt;
	enum vg_ep_state state;
	int refcount;
	vg_ep_cb cb;
	void *cb_arg;
	void *ctx;            /* the application's */
	bool is_listener;
	uint16_t port;        /* local port for listeners (after bind), peer port for connections */
	char local[64];       /* "127.0.0.1:411", "[::1]:411", "/run/ldmsd.sock" */
	char peer[64];        /* "127.0.0.1:43210", "unix" */
	uint64_t bytes_in, bytes_out, msgs_in, msgs_out;
	/* connections: who may read what of ours (vg_ep_set_read_allow) */
	bool (*read_allow)(struct vg_ep *ep, void *owner, void *arg);
	void *read_allow_arg;
};

/* For drivers: deliver an event to ep's callback, holding a reference meanwhile. */
void vg_ep_deliver(struct vg_ep *ep, const struct vg_ep_event *ev);
/* For drivers: allocate an endpoint for an accepted connection (refcount 1, no callback). */
struct vg_ep *vg_ep_alloc(struct vg_xprt *x);

/* ------------------------------------------------------------------ applications */

/* A transport instance of driver name on loop. */
struct vg_xprt *vg_xprt_open(struct vg_loop *loop, const char *name, struct vg_err *err);
void vg_xprt_close(struct vg_xprt *x);
const char *vg_xprt_name(const struct vg_xprt *x);

struct vg_ep *vg_ep_new(struct vg_xprt *x, vg_ep_cb cb, void *arg);
void vg_ep_set_cb(struct vg_ep *ep, vg_ep_cb cb, void *arg);
struct vg_ep *vg_ep_get(struct vg_ep *ep);
void vg_ep_put(struct vg_ep *ep);

/*
 * Listen on host:port.  host NULL or "" binds every address (IPv6 and IPv4
 * when the host has IPv6); a host starting with '/' is a UNIX socket path
 * (created mode 0600, port ignored).  port 0 picks a free port: read it back
 * with vg_ep_port().
 */
int vg_ep_listen(struct vg_ep *ep, const char *host, uint16_t port, struct vg_err *err);

/*
 * Connect; completes with CONNECTED or REJECTED.  host may be a name, an
 * IPv4 or IPv6 address, or a UNIX socket path.  Name resolution may block.
 */
int vg_ep_connect(struct vg_ep *ep, const char *host, uint16_t port, struct vg_err *err);

/*
 * Send one message (copied or sent before returning).  Errors: -ENOTCONN,
 * -EMSGSIZE (larger than the transport's max_msg), -ENOBUFS (the peer is not
 * reading and too much is queued; the connection is being closed).
 */
int vg_ep_send(struct vg_ep *ep, const void *msg, size_t len);
int vg_ep_sendv(struct vg_ep *ep, const struct iovec *iov, int iovcnt);

/*
 * Read len bytes at offset within the peer's region rkey into dst (which must
 * stay valid until READ_DONE).  Errors are reported now (-ENOTCONN, -EINVAL)
 * or in READ_DONE's status (-ENOENT: region gone, -ERANGE: out of bounds,
 * -ECONNRESET: connection lost).
 */
int vg_ep_read(struct vg_ep *ep, const struct vg_rkey *rkey, uint64_t offset, void *dst,
	       size_t len, void *ctx);

/* Close (idempotent); DISCONNECTED (or REJECTED) is delivered later, from the loop. */
void vg_ep_close(struct vg_ep *ep);

void vg_ep_set_ctx(struct vg_ep *ep, void *ctx);
void *vg_ep_ctx(const struct vg_ep *ep);
uint16_t vg_ep_port(const struct vg_ep *ep);
const char *vg_ep_peer(const struct vg_ep *ep);
const char *vg_ep_local(const struct vg_ep *ep);
bool vg_ep_connected(const struct vg_ep *ep);

/*
 * Every driver's struct vg_mr begins with these fields, in this order, so
 * that the generic layer can reach the driver and the registration's owner.
 */
struct vg_mr_head {
	const struct vg_xprt_ops *ops;
	void *owner;
};

/* The owner of a registration (e.g. the set whose memory it is), for read checks. */
void vg_mr_owner_set(struct vg_mr *mr, void *owner);
void *vg_mr_owner(const struct vg_mr *mr);

/*
 * Decide each one-sided read a connection's peer asks of us: fn(ep, owner
 * of the registration, arg) returns true to serve it.  A refused read fails
 * at the peer with -ENOENT, as for a region that does not exist, so that it
 * learns nothing.  Without a filter every registered region may be read.
 * (The sock driver serves reads itself.)  The fabric and rdma drivers
 * cannot: fi_read and an RDMA READ are served by the provider or the NIC
 * without them, so they ignore the filter and rely on keys a peer must be
 * told (fabric: random 64-bit keys where the provider lets us choose; rdma:
 * the device's 32-bit rkeys, which are not secret against a determined
 * peer) and on the server registering only the sets it exports; any peer
 * holding an rkey may read that region until it is deregistered.
 */
void vg_ep_set_read_allow(struct vg_ep *ep, bool (*fn)(struct vg_ep *ep, void *owner, void *arg),
			  void *arg);

/* Register memory peers may read; *mr is released with vg_xprt_mem_deregister. */
int vg_xprt_mem_register(struct vg_xprt *x, void *addr, size_t len, struct vg_mr **mr);
void vg_xprt_mem_deregister(struct vg_xprt *x, struct vg_mr *mr);
void vg_mr_rkey(const struct vg_mr *mr, struct vg_rkey *rkey);

/* The sock driver; registered by vg_xprt_init(). */
extern const struct vg_xprt_ops vg_sock_ops;
/* The libfabric driver ("fabric"): exists and is registered only when built with libfabric. */
extern const struct vg_xprt_ops vg_fabric_ops;
/* The verbs driver ("rdma"): exists and is registered only when built with ibverbs + rdmacm. */
extern const struct vg_xprt_ops vg_rdma_ops;
/* Register the built-in drivers. Idempotent. */
void vg_xprt_init(void);

/*
 * Parse "xprt:port[:host]" as ldmsd -x takes it (host may itself contain ':'
 * for IPv6, or be in brackets).  Writes into the caller's buffers.
 */
int vg_xprt_parse_endpoint(const char *spec, char *xprt, size_t xprt_len, uint16_t *port,
			   char *host, size_t host_len, struct vg_err *err);

#endif /* VIGIL_XPRT_H */
