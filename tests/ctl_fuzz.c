/*
 * ctl_fuzz.c - send ldmsd's control socket random command requests.
 *
 * Usage: ctl_fuzz SOCKET_PATH FRAMES [SEED]
 *
 * Every frame is a CMD_REQ on the control channel (ldmsd -S), of one of
 * these kinds, in turn: a random command line built from real command and
 * attribute names and random values; random bytes (NUL included); a blob
 * whose length lies; a line over the daemon's 64 KiB limit; unknown flags;
 * and a protocol header that lies about its type (which the daemon answers
 * by closing the connection: we reconnect).  Each connection first answers
 * the daemon's authentication challenge.  Every well-framed request must
 * get a CMD_REPLY with the same request id.  At the end, `daemon_status`
 * must still answer "Daemon State: ready".
 *
 * Prints what it sent and what came back; exits 0 only if every expected
 * reply arrived and the daemon answered at the end.
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

/* The sock transport's frame header and handshake (xprt/sock_wire.c). */
enum { K_HELLO = 1, K_MSG = 2 };
#define FRAME_HDR 16
#define MSG_HDR 16
#define CMD_REQ 7
#define CMD_REPLY 8
#define AUTH_CHALLENGE 11
#define AUTH_RESPONSE 12
#define AUTH_RESULT 13
#define LINE_MAX_DAEMON (64u << 10)

static uint8_t buf[(1u << 17) + 256];

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static int send_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int recv_all(int fd, uint8_t *p, size_t n, int ms)
{
	while (n) {
		struct pollfd pfd = {fd, POLLIN, 0};
		if (poll(&pfd, 1, ms) <= 0)
			return -1;
		ssize_t r = recv(fd, p, n, 0);
		if (r <= 0)
			return -1;
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

static size_t frame(uint16_t type, uint64_t id, size_t body_len);

/* Read one frame into buf; its message type, or -1. */
static int read_msg(int fd)
{
	uint8_t h[FRAME_HDR];
	if (recv_all(fd, h, FRAME_HDR, 5000))
		return -1;
	uint32_t len = (uint32_t)get_le(h + 4, 4);
	if (len > sizeof(buf) || recv_all(fd, buf, len, 5000) || len < MSG_HDR)
		return -1;
	return (int)get_le(buf + 2, 2);
}

/* The daemon's challenge, answered as the built-in 'none' method (we are who we are). */
static int authenticate(int fd)
{
	if (read_msg(fd) != AUTH_CHALLENGE)
		return -1;
	uint8_t *b = buf + FRAME_HDR + MSG_HDR;
	put_le(b, 4, 2);
	memcpy(b + 2, "none", 4);
	put_le(b + 6, 8, 4);
	put_le(b + 10, getuid(), 4);
	put_le(b + 14, getgid(), 4);
	size_t n = frame(AUTH_RESPONSE, 0, 18);
	if (send_all(fd, buf, n) || read_msg(fd) != AUTH_RESULT)
		return -1;
	return get_le(buf + MSG_HDR, 4) == 0 ? 0 : -1;
}

static int connect_ctl(const char *path)
{
	struct sockaddr_un sa = {0};
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	uint8_t h[FRAME_HDR + 16] = {K_HELLO, 1};
	put_le(h + 4, 16, 4);
	memcpy(h + FRAME_HDR, "VIGILSK1", 8);
	put_le(h + FRAME_HDR + 8, 1, 4);
	put_le(h + FRAME_HDR + 12, 1u << 24, 4);
	if (send_all(fd, h, sizeof(h)) || recv_all(fd, h, sizeof(h), 5000) || authenticate(fd)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A CMD_REQ around body (body_len bytes already at buf + FRAME_HDR + MSG_HDR). */
static size_t frame(uint16_t type, uint64_t id, size_t body_len)
{
	size_t msg = MSG_HDR + body_len;
	memset(buf, 0, FRAME_HDR);
	buf[0] = K_MSG;
	buf[1] = 1;
	put_le(buf + 4, msg, 4);
	uint8_t *m = buf + FRAME_HDR;
	put_le(m, 1, 2);
	put_le(m + 2, type, 2);
	put_le(m + 4, msg, 4);
	put_le(m + 8, id, 8);
	return FRAME_HDR + msg;
}

static const char *const words[] = {
	"load", "config", "start", "stop", "term", "usage", "plugn_status", "plugn_sets",
	"prdcr_add", "prdcr_start", "prdcr_stop", "prdcr_del", "prdcr_status", "updtr_add",
	"updtr_start", "updtr_status", "updtr_match_add", "strgp_add", "strgp_start",
	"strgp_status", "strgp_metric_add", "daemon_status", "version", "help", "loglevel",
	"set_stats", "set_info", "env", "prdcr_activate", "prdcr_standby", "prdcr_load",
	"advertiser_status", "prdcr_listen_add", "prdcr_listen_status", "bogus", "",
};
static const char *const keys[] = {
	"name", "plugin", "interval", "offset", "host", "port", "xprt", "type", "regex",
	"schema", "container", "level", "metric", "match", "push", "reconnect", "standby", "ip",
	"x", "",
};
static const char *const values[] = {
	"meminfo", "1s", "-5", "0", "99999999999999999999", "sock", "active", ".*", "((",
	"a{1,99999}", "$(true)", "${HOME}", "\\", "\"", "store_csv", "DEBUG", "inst", "=",
};

#define PICK(a) a[(size_t)rand() % (sizeof(a) / sizeof(a[0]))]

static size_t random_line(char *out, size_t cap)
{
	size_t n = (size_t)snprintf(out, cap, "%s", PICK(words));
	for (int i = rand() % 5; i > 0 && n < cap - 128; i--)
		n += (size_t)snprintf(out + n, cap - n, " %s=%s", PICK(keys), PICK(values));
	return n;
}

/* Build frame of kind k with request id; *expect_reply says whether one must come. */
static size_t build(int k, uint64_t id, int *expect_reply)
{
	uint8_t *body = buf + FRAME_HDR + MSG_HDR;
	size_t n = 0;
	*expect_reply = 1;
	switch (k) {
	case 0: /* a random command line */
		n = random_line((char *)body + 4, 4096);
		put_le(body, n, 4);
		n += 4;
		break;
	case 1: /* random bytes, NUL included */
		n = (size_t)rand() % 300;
		for (size_t i = 0; i < n; i++)
			body[4 + i] = (uint8_t)rand();
		put_le(body, n, 4);
		n += 4;
		break;
	case 2: /* a blob length that lies */
		n = 20;
		memset(body + 4, 'a', n);
		put_le(body, n + 1 + (size_t)rand() % 100000, 4);
		n += 4;
		break;
	case 3: /* over the line limit */
		n = LINE_MAX_DAEMON + 1 + (size_t)rand() % 1000;
		memset(body + 4, 'x', n);
		put_le(body, n, 4);
		n += 4;
		break;
	case 4: /* unknown flags */
		memcpy(body + 4, "version", 7);
		put_le(body, 7, 4);
		put_le(body + 11, 0x100u << (rand() % 8), 4);
		n = 15;
		break;
	default: /* a header whose type is not a request: the daemon hangs up */
		*expect_reply = 0;
		return frame((uint16_t)(11 + rand() % 1000), id, 0);
	}
	return frame(CMD_REQ, id, n);
}

/* Read frames until a CMD_REPLY for id; 1 found, 0 not (closed or timeout). */
static int await_reply(int fd, uint64_t id, char *text, size_t cap)
{
	for (;;) {
		uint8_t h[FRAME_HDR];
		if (recv_all(fd, h, FRAME_HDR, 10000))
			return 0;
		uint32_t len = (uint32_t)get_le(h + 4, 4);
		if (len > sizeof(buf))
			return 0;
		if (recv_all(fd, buf, len, 10000))
			return 0;
		if (h[0] != K_MSG || len < MSG_HDR + 8)
			continue;
		if (get_le(buf + 2, 2) != CMD_REPLY || get_le(buf + 8, 8) != id)
			continue;
		size_t tlen = (size_t)get_le(buf + MSG_HDR + 4, 4);
		if (tlen > len - MSG_HDR - 8)
			tlen = len - MSG_HDR - 8;
		if (text) {
			size_t c = tlen < cap - 1 ? tlen : cap - 1;
			memcpy(text, buf + MSG_HDR + 8, c);
			text[c] = '\0';
		}
		return 1;
	}
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s SOCKET_PATH FRAMES [SEED]\n", argv[0]);
		return 2;
	}
	long frames = atol(argv[2]);
	srand(argc > 3 ? (unsigned)atoi(argv[3]) : 1);
	long sent = 0, expected = 0, replies = 0, hangups = 0, conns = 0;
	int fd = -1;
	for (long i = 0; i < frames; i++) {
		if (fd < 0) {
			fd = connect_ctl(argv[1]);
			if (fd < 0) {
				fprintf(stderr, "ctl_fuzz: cannot connect to %s after %ld frames\n",
					argv[1], sent);
				return 1;
			}
			conns++;
		}
		int expect;
		uint64_t id = (uint64_t)i + 1;
		size_t n = build((int)(i % 6), id, &expect);
		if (send_all(fd, buf, n)) {
			close(fd);
			fd = -1;
			continue;
		}
		sent++;
		if (!expect) {
			/* the daemon closes on a protocol error: wait for it, then reconnect */
			char c;
			struct pollfd pfd = {fd, POLLIN, 0};
			if (poll(&pfd, 1, 5000) > 0 && recv(fd, &c, 1, 0) <= 0)
				hangups++;
			close(fd);
			fd = -1;
			continue;
		}
		expected++;
		if (await_reply(fd, id, NULL, 0)) {
			replies++;
		} else {
			close(fd);
			fd = -1;
		}
	}
	if (fd >= 0)
		close(fd);
	char text[256] = "";
	int alive = 0;
	fd = connect_ctl(argv[1]);
	if (fd >= 0) {
		memcpy(buf + FRAME_HDR + MSG_HDR + 4, "daemon_status", 13);
		put_le(buf + FRAME_HDR + MSG_HDR, 13, 4);
		size_t n = frame(CMD_REQ, 424242, 17);
		alive = send_all(fd, buf, n) == 0 && await_reply(fd, 424242, text, sizeof(text)) &&
			strstr(text, "Daemon State: ready") != NULL;
		close(fd);
	}
	printf("ctl_fuzz: %ld frames on %ld connections, %ld of %ld expected replies, %ld hang-ups "
	       "on bad headers; daemon_status afterwards: %s\n",
	       sent, conns, replies, expected, hangups, alive ? "ready" : "NO ANSWER");
	return (alive && replies == expected) ? 0 : 1;
}
