/*
 * sock_int.h - what the two halves of the sock driver share: sock.c (endpoint
 * life cycle: connect, accept, listen, close; memory registration) and
 * sock_wire.c (frames on the byte stream: send queue, receive buffer,
 * handshake checks, emulated one-sided reads).  Internal to xprt/.
 */
#ifndef VIGIL_SOCK_INT_H
#define VIGIL_SOCK_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/log.h"
#include "xprt/sock_net.h"
#include "xprt/xprt.h"

struct sock_mr {
	const struct vg_xprt_ops *ops;  /* first: vg_mr_rkey finds the driver through it */
	void *owner;                    /* second: struct vg_mr_head */
	uint32_t slot, gen;
	uint64_t key;
	uint8_t *addr;
	uint64_t len;
};

struct region {
	struct sock_mr *mr;  /* NULL: slot free */
	uint32_t gen;
};

struct sock_xprt {
	struct region *regions;
	uint32_t nregions;
	struct vg_complaint complaint;  /* bad servers, seen by connectors */
	int spare_fd;                   /* given up to accept-and-drop when out of fds */
};

struct pending_read {
	uint64_t id;  /* 0: slot free */
	uint8_t *dst;
	uint32_t len;
	uint32_t next_free;
	void *ctx;
};

struct sock_ep {
	struct vg_ep ep;
	bool inited, announced, hello_rcvd, tcp_connecting;
	bool paused;                 /* too much queued for the peer: not reading its requests */
	bool peer_done;              /* the peer closed its side: close once the queue drains */
	int fd;
	struct vg_io io;
	struct vg_timer timer;       /* handshake deadline; accept back-off on listeners */
	struct vg_deferred finish;
	struct sock_ep *listener;    /* accepted connections: where they came from */
	struct sock_ep *pend_prev, *pend_next; /* accepted, handshake pending: on the listener's list */
	struct sock_ep *pending;     /* listeners: connections still in their handshake */
	enum vg_ep_event_type last_event;
	int final_status;
	char reason[200];
	uint32_t peer_max_msg;
	struct sock_addrs addrs;     /* connectors: where to try, in order */
	int next_addr;
	uint8_t *rbuf;
	size_t rcap, rlen;
	uint8_t *obuf;
	size_t ocap, ohead, otail;
	struct pending_read *reads;
	uint32_t reads_cap, free_read;
	uint32_t read_seq;
	struct vg_complaint complaint;  /* listeners: bad clients */
	char unix_path[SOCK_PATH_MAX];
};

static inline struct sock_ep *sock_of(struct vg_ep *ep)
{
	return (struct sock_ep *)ep;
}

static inline bool sock_live(const struct sock_ep *s)
{
	return s->ep.state == VG_EP_CONNECTING || s->ep.state == VG_EP_CONNECTED_STATE;
}

/* Little-endian fields of frames and rkeys. */
static inline void put_u32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint64_t get_u64(const uint8_t *p)
{
	return (uint64_t)get_u32(p) | (uint64_t)get_u32(p + 4) << 32;
}

/* sock.c */
/* Close now, deliver the last event from a deferred call. No-op unless live. */
void sock_conn_fail(struct sock_ep *s, int status, const char *reason);
/* The same, after one rate-limited WARNING naming the peer and the reason. */
void sock_drop_peer(struct sock_ep *s, int status, const char *reason);
/* The peer's valid HELLO arrived: CONNECTED, or ACCEPTED on the listener. */
void sock_handshake_done(struct sock_ep *s, uint32_t peer_max_msg);

/* sock_wire.c */
int sock_conn_buffers(struct sock_ep *s);
int sock_send_hello(struct sock_ep *s);
/* Drain the send queue on writability; -ENOTCONN if the connection failed. */
int sock_flush(struct sock_ep *s);
/* After the queue drained: handle the requests left unread while paused. */
void sock_resume(struct sock_ep *s);
void sock_on_readable(struct sock_ep *s);
/* Complete every outstanding read with -ECONNRESET. */
void sock_fail_reads(struct sock_ep *s);
int sock_sendv(struct vg_ep *ep, const struct iovec *iov, int iovcnt);
int sock_read(struct vg_ep *ep, const struct vg_rkey *rkey, uint64_t offset, void *dst,
	      size_t len, void *ctx);

#endif /* VIGIL_SOCK_INT_H */
