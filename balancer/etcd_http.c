/*
 * etcd_http.c - a blocking HTTP/1.1 client for etcd's JSON gateway.
 *
 * Every wait is a poll() bounded by the caller's deadline, so no call
 * blocks longer than its timeout whatever the peer does (name resolution
 * aside).  Input is consumed incrementally from one buffer and the body is
 * decoded into another, so a reply of many tiny chunks costs no more memory
 * than its body.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "balancer/etcd_http.h"

#define MAX_LINE 8192  /* a chunk-size or trailer line */
#define READ_CHUNK 65536

/* Fail with "etcd ENDPOINT: " before the message. */
static int herr(struct etcd_http *h, struct vg_err *err, int code, const char *fmt, ...)
	VG_PRINTF(4, 5);
static int herr(struct etcd_http *h, struct vg_err *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vg_verrf(err, code, fmt, ap);
	va_end(ap);
	vg_err_prefix(err, "etcd %s", h->endpoint);
	return rc;
}

char *http_excerpt(const char *s, size_t n, char *out, size_t cap)
{
	size_t w = 0;
	if (cap < 4) {
		if (cap)
			out[0] = '\0';
		return out;
	}
	for (size_t i = 0; i < n; i++) {
		if (w + 1 >= cap || (i + 1 < n && w + 4 >= cap)) {
			memcpy(out + (w + 4 <= cap ? w : cap - 4), "...", 4);
			return out;
		}
		unsigned char c = (unsigned char)s[i];
		out[w++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	out[w] = '\0';
	return out;
}

/* ------------------------------------------------------------------ setup */

static int resolve(struct etcd_http *h, struct addrinfo **res, struct vg_err *err)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				 .ai_flags = AI_NUMERICSERV};
	int rc = getaddrinfo(h->host, h->port, &hints, res);
	if (rc == 0)
		return 0;
	if (rc == EAI_SYSTEM)
		return herr(h, err, errno, "cannot resolve '%s': %s", h->host, strerror(errno));
	return herr(h, err, rc == EAI_AGAIN ? EAGAIN : EHOSTUNREACH,
		    "cannot resolve '%s': %s: check the host name", h->host, gai_strerror(rc));
}

int http_init(struct etcd_http *h, const char *endpoint, unsigned timeout_ms,
	      struct vg_err *err)
{
	memset(h, 0, sizeof(*h));
	h->fd = -1;
	h->timeout_ms = timeout_ms;
	if (!endpoint || !*endpoint)
		return vg_errf(err, EINVAL, "etcd endpoint is empty: give host:port");
	if (strncmp(endpoint, "http://", 7) == 0)
		endpoint += 7;
	else if (strstr(endpoint, "://"))
		return vg_errf(err, EINVAL, "etcd endpoint '%.200s': only http:// is supported "
			       "(no TLS): give host:port", endpoint);
	size_t n = strlen(endpoint);
	if (n && endpoint[n - 1] == '/')
		n--;
	if (n >= sizeof(h->endpoint))
		return vg_errf(err, EINVAL, "etcd endpoint '%.200s...' is too long", endpoint);
	memcpy(h->endpoint, endpoint, n);
	h->endpoint[n] = '\0';

	const char *colon = strrchr(h->endpoint, ':');
	const char *host = h->endpoint;
	size_t host_len = colon ? (size_t)(colon - host) : 0;
	if (host_len >= 2 && host[0] == '[' && host[host_len - 1] == ']') {
		host++;
		host_len -= 2;
	} else if (colon && memchr(host, ':', host_len)) {
		colon = NULL;  /* a bare IPv6 address needs brackets */
	}
	const char *port = colon ? colon + 1 : "";
	size_t port_len = strlen(port);
	bool digits = port_len > 0 && port_len < 6 && strspn(port, "0123456789") == port_len;
	if (!colon || host_len == 0 || !digits || atoi(port) < 1 || atoi(port) > 65535)
		return vg_errf(err, EINVAL, "etcd endpoint '%s' is not host:port "
			       "(e.g. 127.0.0.1:2379 or [::1]:2379)", h->endpoint);
	if (host_len >= sizeof(h->host))
		return vg_errf(err, EINVAL, "etcd endpoint '%s': host name too long", h->endpoint);
	memcpy(h->host, host, host_len);
	h->host[host_len] = '\0';
	memcpy(h->port, port, port_len + 1);

	struct addrinfo *res;
	int rc = resolve(h, &res, err);
	if (rc < 0)
		return rc;
	freeaddrinfo(res);
	return 0;
}

void http_disconnect(struct etcd_http *h)
{
	if (h->fd >= 0)
		close(h->fd);
	h->fd = -1;
	h->served = false;
	h->in_pos = h->in_len = 0;
}

void http_fini(struct etcd_http *h)
{
	http_disconnect(h);
	free(h->in);
	free(h->body);
	h->in = h->body = NULL;
}

/* ------------------------------------------------------------------ waiting */

static int wait_fd(int fd, short events, uint64_t deadline_us)
{
	for (;;) {
		uint64_t now = vg_mono_us();
		if (now >= deadline_us)
			return -ETIMEDOUT;
		uint64_t left_ms = (deadline_us - now + 999) / 1000;
		struct pollfd p = {.fd = fd, .events = events};
		int n = poll(&p, 1, left_ms > 60000 ? 60000 : (int)left_ms);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

/* An idle kept-alive connection is usable if it has nothing to read: EOF
 * means the server closed it (etcd restarted), data means it is confused. */
static bool idle_conn_usable(int fd)
{
	char c;
	ssize_t n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

static int connect_one(const struct addrinfo *ai, uint64_t deadline_us)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			ai->ai_protocol);
	if (fd < 0)
		return -errno;
	int rc = 0;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		rc = errno == EINPROGRESS ? 0 : -errno;
		if (rc == 0)
			rc = wait_fd(fd, POLLOUT, deadline_us);
		if (rc == 0) {
			int soerr = 0;
			socklen_t len = sizeof(soerr);
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0)
				soerr = errno;
			rc = -soerr;
		}
	}
	if (rc < 0) {
		close(fd);
		return rc;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int do_connect(struct etcd_http *h, uint64_t deadline_us, struct vg_err *err)
{
	struct addrinfo *res;
	int rc = resolve(h, &res, err);
	if (rc < 0)
		return rc;
	rc = -EHOSTUNREACH;
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		rc = connect_one(ai, deadline_us);
		if (rc >= 0 || rc == -ETIMEDOUT)
			break;
	}
	freeaddrinfo(res);
	if (rc >= 0) {
		h->fd = rc;
		h->served = false;
		h->in_pos = h->in_len = 0;
		return 0;
	}
	switch (-rc) {
	case ECONNREFUSED:
		return herr(h, err, -rc, "connection refused: is etcd running?");
	case ETIMEDOUT:
		return herr(h, err, -rc, "no answer to connect within %u ms: "
			    "is the host up and the port open?", h->timeout_ms);
	case EHOSTUNREACH:
	case ENETUNREACH:
		return herr(h, err, -rc, "%s: check the address and the network", strerror(-rc));
	default:
		return herr(h, err, -rc, "cannot connect: %s", strerror(-rc));
	}
}

/* ------------------------------------------------------------------ sending */

static int send_all(struct etcd_http *h, struct iovec *iov, int iovcnt, uint64_t deadline_us)
{
	while (iovcnt > 0) {
		struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)iovcnt};
		ssize_t n = sendmsg(h->fd, &msg, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -errno;
			int rc = wait_fd(h->fd, POLLOUT, deadline_us);
			if (rc < 0)
				return rc;
			continue;
		}
		while (iovcnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			iovcnt--;
		}
		if (iovcnt > 0) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

static int send_request(struct etcd_http *h, const char *path, const char *body, size_t len,
			uint64_t deadline_us)
{
	char head[1024];
	int n = snprintf(head, sizeof(head),
			 "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\n\r\n", path, h->endpoint, len);
	if (n < 0 || (size_t)n >= sizeof(head))
		return -ENAMETOOLONG;
	struct iovec iov[2] = {{head, (size_t)n}, {(void *)body, len}};
	return send_all(h, iov, len ? 2 : 1, deadline_us);
}

/* ------------------------------------------------------------------ reading */

/* Refuse a reply as code (-EPROTO, -EMSGSIZE), saying what was wrong with it:
 * what, then n bytes of text as printable ASCII. */
static int refuse(struct etcd_http *h, int code, const char *what, const char *text, size_t n)
{
	char shown[64];
	if (text)
		snprintf(h->detail, sizeof(h->detail), "%s '%s'", what,
			 http_excerpt(text, n, shown, sizeof(shown)));
	else
		snprintf(h->detail, sizeof(h->detail), "%s", what);
	return code;
}

/* Read more bytes into h->in: the count, 0 at EOF, or a negative errno. */
static int fill(struct etcd_http *h, uint64_t deadline_us)
{
	if (h->in_pos == h->in_len) {
		h->in_pos = h->in_len = 0;
	} else if (h->in_pos > 0 && h->in_cap - h->in_len < READ_CHUNK / 4) {
		memmove(h->in, h->in + h->in_pos, h->in_len - h->in_pos);
		h->in_len -= h->in_pos;
		h->in_pos = 0;
	}
	if (h->in_cap - h->in_len < READ_CHUNK / 4) {
		/* only a header or a line can grow it: both are capped by the caller */
		size_t cap = h->in_cap ? h->in_cap * 2 : READ_CHUNK;
		char *p = realloc(h->in, cap);
		if (!p)
			return -ENOMEM;
		h->in = p;
		h->in_cap = cap;
	}
	for (;;) {
		ssize_t n = recv(h->fd, h->in + h->in_len, h->in_cap - h->in_len, MSG_DONTWAIT);
		if (n >= 0) {
			h->in_len += (size_t)n;
			return (int)n;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return errno == ECONNRESET ? 0 : -errno;
		int rc = wait_fd(h->fd, POLLIN, deadline_us);
		if (rc < 0)
			return rc;
	}
}

/* Read until the unconsumed input holds the text up to and including end
 * (within max bytes): the length through end, or a negative errno. */
static long read_through(struct etcd_http *h, const char *end, size_t max, uint64_t deadline_us)
{
	size_t end_len = strlen(end), searched = 0;
	for (;;) {
		size_t avail = h->in_len - h->in_pos;
		const char *base = h->in + h->in_pos;
		size_t from = searched > end_len ? searched - end_len : 0;
		const char *hit = avail > from ? memmem(base + from, avail - from, end, end_len) : NULL;
		if (hit)
			return (long)(hit - base + (long)end_len);
		searched = avail;
		if (avail > max)
			return refuse(h, -EMSGSIZE, max == HTTP_MAX_HEADER ? "header over the limit"
				      : "line over the limit", NULL, 0);
		int n = fill(h, deadline_us);
		if (n < 0)
			return n;
		if (n == 0)
			return -ECONNRESET;
	}
}

static int body_reserve(struct etcd_http *h, size_t len)
{
	if (len + 1 <= h->body_cap)
		return 0;
	size_t cap = h->body_cap ? h->body_cap : 4096;
	while (cap < len + 1)
		cap *= 2;
	char *p = realloc(h->body, cap);
	if (!p)
		return -ENOMEM;
	h->body = p;
	h->body_cap = cap;
	return 0;
}

/* Move n body bytes from the socket to h->body; n == SIZE_MAX: until EOF. */
static int read_body_bytes(struct etcd_http *h, size_t n, uint64_t deadline_us)
{
	bool to_eof = n == SIZE_MAX;
	while (n > 0) {
		size_t avail = h->in_len - h->in_pos;
		if (avail == 0) {
			int got = fill(h, deadline_us);
			if (got < 0)
				return got;
			if (got == 0)
				return to_eof ? 0 : -ECONNRESET;
			continue;
		}
		size_t take = avail < n ? avail : n;
		if (h->body_len + take > h->max_body)
			return refuse(h, -EMSGSIZE, "body over the limit", NULL, 0);
		int rc = body_reserve(h, h->body_len + take);
		if (rc < 0)
			return rc;
		memcpy(h->body + h->body_len, h->in + h->in_pos, take);
		h->body_len += take;
		h->in_pos += take;
		if (!to_eof)
			n -= take;
	}
	return 0;
}

static int read_chunked(struct etcd_http *h, uint64_t deadline_us)
{
	for (;;) {
		long line = read_through(h, "\r\n", MAX_LINE, deadline_us);
		if (line < 0)
			return (int)line;
		const char *s = h->in + h->in_pos;
		size_t size = 0, i = 0;
		for (; i < (size_t)line - 2; i++) {
			int d = s[i] >= '0' && s[i] <= '9' ? s[i] - '0'
				: s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10
				: s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 10 : -1;
			if (d < 0)
				break;
			if (size > (SIZE_MAX >> 4))
				return refuse(h, -EMSGSIZE, "chunk over the limit, size", s,
					      (size_t)line - 2);
			size = size << 4 | (size_t)d;
		}
		if (i == 0 || (i < (size_t)line - 2 && s[i] != ';' && s[i] != ' '))
			return refuse(h, -EPROTO, "chunk size", s, (size_t)line - 2);
		h->in_pos += (size_t)line;
		if (size == 0)
			break;
		if (size > h->max_body - h->body_len)
			return refuse(h, -EMSGSIZE, "body over the limit", NULL, 0);
		int rc = read_body_bytes(h, size, deadline_us);
		if (rc < 0)
			return rc;
		line = read_through(h, "\r\n", 2, deadline_us);
		if (line == -EMSGSIZE || line > 2)
			return refuse(h, -EPROTO, "no CRLF after a chunk", NULL, 0);
		if (line < 0)
			return (int)line;
		h->in_pos += 2;
	}
	/* trailers (etcd sends Grpc-Trailer-*), then an empty line */
	for (size_t total = 0;;) {
		long line = read_through(h, "\r\n", MAX_LINE, deadline_us);
		if (line < 0)
			return (int)line;
		h->in_pos += (size_t)line;
		total += (size_t)line;
		if (line == 2)
			return 0;
		if (total > HTTP_MAX_HEADER)
			return refuse(h, -EMSGSIZE, "trailers over the limit", NULL, 0);
	}
}

struct head {
	bool chunked, has_length, close;
	size_t length;
};

static bool header_is(const char *line, size_t n, const char *name, const char **value,
		      size_t *value_len)
{
	size_t k = strlen(name);
	if (n <= k || line[k] != ':' || strncasecmp(line, name, k) != 0)
		return false;
	const char *v = line + k + 1, *end = line + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*value = v;
	*value_len = (size_t)(end - v);
	return true;
}

/* Parse the status line and headers in text (len bytes, CRLF CRLF at the end). */
static int parse_head(struct etcd_http *h, const char *text, size_t len, struct head *hd)
{
	const char *eol = memmem(text, len, "\r\n", 2);
	size_t n = (size_t)(eol - text);
	if (n < 12 || memcmp(text, "HTTP/1.", 7) != 0 || (text[7] != '0' && text[7] != '1') ||
	    text[8] != ' ' || text[9] < '1' || text[9] > '5' || text[10] < '0' || text[10] > '9' ||
	    text[11] < '0' || text[11] > '9' || (n > 12 && text[12] != ' '))
		return refuse(h, -EPROTO, "status line", text, n);
	h->status = (text[9] - '0') * 100 + (text[10] - '0') * 10 + (text[11] - '0');
	http_excerpt(text + (n > 13 ? 13 : n), n > 13 ? n - 13 : 0, h->reason, sizeof(h->reason));
	memset(hd, 0, sizeof(*hd));
	hd->close = text[7] == '0';
	for (const char *line = eol + 2; line < text + len - 2;) {
		eol = memmem(line, (size_t)(text + len - line), "\r\n", 2);
		n = (size_t)(eol - line);
		const char *v;
		size_t vn;
		if (header_is(line, n, "Content-Length", &v, &vn)) {
			size_t value = 0;
			if (vn == 0 || vn > 18 || strspn(v, "0123456789") < vn)
				return refuse(h, -EPROTO, "header", line, n);
			for (size_t i = 0; i < vn; i++)
				value = value * 10 + (size_t)(v[i] - '0');
			if (hd->has_length && value != hd->length)
				return refuse(h, -EPROTO, "two different Content-Length", NULL, 0);
			hd->has_length = true;
			hd->length = value;
		} else if (header_is(line, n, "Transfer-Encoding", &v, &vn)) {
			if (vn != 7 || strncasecmp(v, "chunked", 7) != 0)
				return refuse(h, -EPROTO, "unsupported", line, n);
			hd->chunked = true;
		} else if (header_is(line, n, "Connection", &v, &vn)) {
			if (vn == 5 && strncasecmp(v, "close", 5) == 0)
				hd->close = true;
		} else if (n == 0 || line[0] == ' ' || line[0] == '\t' || !memchr(line, ':', n)) {
			return refuse(h, -EPROTO, "header", line, n);  /* folded, or not one */
		}
		line = eol + 2;
	}
	/* both framings at once is how requests get smuggled: refuse */
	if (hd->chunked && hd->has_length)
		return refuse(h, -EPROTO, "both Content-Length and chunked", NULL, 0);
	return 0;
}

static int read_reply(struct etcd_http *h, uint64_t deadline_us, bool *got_any)
{
	struct head hd;
	*got_any = false;
	h->body_len = 0;
	for (;;) {
		long len = read_through(h, "\r\n\r\n", HTTP_MAX_HEADER, deadline_us);
		*got_any = *got_any || h->in_len > h->in_pos;
		if (len < 0)
			return (int)len;
		int rc = parse_head(h, h->in + h->in_pos, (size_t)len, &hd);
		if (rc < 0)
			return rc;
		h->in_pos += (size_t)len;
		if (h->status >= 200)
			break;  /* else an interim 1xx reply, then the real one */
	}
	h->chunked = hd.chunked;
	int rc = 0;
	if (h->status == 204 || h->status == 304) {
		rc = 0;
	} else if (hd.chunked) {
		rc = read_chunked(h, deadline_us);
	} else if (hd.has_length) {
		rc = hd.length > h->max_body ? refuse(h, -EMSGSIZE, "body over the limit", NULL, 0)
					     : read_body_bytes(h, hd.length, deadline_us);
	} else {
		hd.close = true;
		rc = read_body_bytes(h, SIZE_MAX, deadline_us);
	}
	if (rc == 0)
		rc = body_reserve(h, h->body_len);
	if (rc < 0)
		return rc;
	h->body[h->body_len] = '\0';
	/* leftover bytes would be the answer to nothing: start clean */
	if (hd.close || h->in_pos != h->in_len)
		http_disconnect(h);
	else
		h->served = true;
	return 0;
}

static int reply_error(struct etcd_http *h, const char *path, int rc, bool got_any,
		       bool idempotent, struct vg_err *err)
{
	http_disconnect(h);
	switch (-rc) {
	case ETIMEDOUT:
		return herr(h, err, -rc, "no reply to %s within %u ms: etcd overloaded or "
			    "stuck? (raise the timeout)", path, h->timeout_ms);
	case ECONNRESET:
		return herr(h, err, -rc, "%s: connection closed %s: did etcd %s?%s", path,
			    got_any ? "in the middle of the reply" : "before any reply",
			    got_any ? "crash" : "restart, or is this not etcd",
			    idempotent ? "" : " (the write may have been applied)");
	case EPROTO:
		return herr(h, err, -rc, "%s: bad HTTP reply: %s: is this etcd's client port?",
			    path, h->detail);
	case EMSGSIZE:
		return herr(h, err, -rc, "%s: reply %s (limits: %zu-byte body, %u-byte header): "
			    "ask for fewer keys", path, h->detail, h->max_body, HTTP_MAX_HEADER);
	default:
		return herr(h, err, -rc, "%s: %s", path, strerror(-rc));
	}
}

int http_post(struct etcd_http *h, const char *path, const char *body, size_t len,
	      uint64_t deadline_us, bool idempotent, struct vg_err *err)
{
	for (int attempt = 0;; attempt++) {
		if (h->fd >= 0 && !idle_conn_usable(h->fd))
			http_disconnect(h);
		bool reused = h->fd >= 0 && h->served;
		if (h->fd < 0) {
			int rc = do_connect(h, deadline_us, err);
			if (rc < 0)
				return rc;
		}
		int rc = send_request(h, path, body, len, deadline_us);
		if (rc < 0) {
			http_disconnect(h);
			if (reused && attempt == 0 && rc != -ETIMEDOUT)
				continue;  /* it died idle: the request never arrived */
			if (rc == -ETIMEDOUT)
				return herr(h, err, ETIMEDOUT, "%s: could not send the request within "
					    "%u ms: etcd not reading?", path, h->timeout_ms);
			return herr(h, err, -rc, "%s: sending the request: %s", path, strerror(-rc));
		}
		bool got_any;
		rc = read_reply(h, deadline_us, &got_any);
		if (rc == 0)
			return 0;
		if (rc == -ECONNRESET && !got_any && reused && idempotent && attempt == 0) {
			http_disconnect(h);
			continue;
		}
		return reply_error(h, path, rc, got_any, idempotent, err);
	}
}
