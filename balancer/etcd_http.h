/*
 * etcd_http.h - the blocking HTTP/1.1 client under balancer/etcd.c: one
 * kept-alive TCP connection, POST with a JSON body, a bounded reply.
 *
 * Internal to the etcd client (not installed).  Replies are read with
 * Content-Length, chunked transfer encoding (etcd's streaming calls, with
 * trailers) or until the peer closes; headers are capped at
 * HTTP_MAX_HEADER bytes and the body at max_body, and a reply that breaks
 * the protocol closes the connection, so the next call starts clean.
 * Every message starts with "etcd HOST:PORT: ".
 */
#ifndef VIGIL_ETCD_HTTP_H
#define VIGIL_ETCD_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

#define HTTP_MAX_HEADER (64u << 10)

struct etcd_http {
	char host[256];      /* without brackets, for getaddrinfo() */
	char port[8];
	char endpoint[272];  /* "host:port" as given, for Host: and messages */
	unsigned timeout_ms; /* for messages; the caller passes the deadline */
	size_t max_body;
	int fd;              /* -1 when not connected */
	bool served;         /* fd has carried a whole reply: it may have gone stale */

	char *in;            /* bytes from the socket not yet consumed */
	size_t in_pos, in_len, in_cap;
	char *body;          /* the last reply's body, NUL-terminated */
	size_t body_len, body_cap;
	int status;          /* the last reply's HTTP status */
	char reason[64];     /* and its reason phrase, printable */
	bool chunked;        /* it came in chunks (etcd's streaming replies) */
	char detail[128];    /* what was wrong with a reply refused as -EPROTO/-EMSGSIZE */
};

/*
 * Parse endpoint "host:port", "[v6addr]:port" or the same after "http://",
 * and resolve it once so that a typo fails here: 0, -EINVAL, -EHOSTUNREACH.
 * Does not connect.
 */
int http_init(struct etcd_http *h, const char *endpoint, unsigned timeout_ms,
	      struct vg_err *err);
void http_fini(struct etcd_http *h);
void http_disconnect(struct etcd_http *h);

/*
 * POST body to path and read the reply before deadline_us (vg_mono_us()),
 * connecting first if needed.  0 with h->status, h->body and h->body_len
 * set (any status: the caller judges 4xx/5xx), or a negative errno:
 * -ECONNREFUSED, -ETIMEDOUT, -ECONNRESET (closed mid-reply), -EPROTO (not
 * HTTP as expected), -EMSGSIZE (over max_body), -ENOMEM, ...
 * A connection that was idle is checked before use; if it turns out dead
 * while the request is sent, the call reconnects once.  If it dies before
 * any byte of the reply, the call is repeated only when idempotent, since a
 * write may already have been applied.
 */
int http_post(struct etcd_http *h, const char *path, const char *body, size_t len,
	      uint64_t deadline_us, bool idempotent, struct vg_err *err);

/* Copy n bytes of s into out as printable ASCII, cut with "..." to fit. */
char *http_excerpt(const char *s, size_t n, char *out, size_t cap);

#endif /* VIGIL_ETCD_HTTP_H */
