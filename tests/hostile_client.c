/*
 * hostile_client.c - send ldmsd random, truncated and oversized frames.
 *
 * Usage: hostile_client HOST PORT FRAMES [SEED]
 *
 * Cycles through kinds of bad input, one connection each: raw garbage
 * instead of the transport handshake, a valid handshake followed by frames
 * of unknown kind, absurd lengths, random protocol messages, protocol
 * headers whose length lies, truncated frames, reads of made-up memory keys.
 * Prints how many frames it sent and how many connections the daemon closed
 * on it, and exits 0 if it could connect every time (the daemon stayed up).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* The sock transport's frame and handshake (xprt/sock.c). */
enum { K_HELLO = 1, K_MSG = 2, K_READ_REQ = 3 };
#define HDR 16

static void put_hdr(uint8_t *p, uint8_t kind, uint32_t len, uint64_t id)
{
	p[0] = kind;
	p[1] = 1;
	p[2] = p[3] = 0;
	for (int i = 0; i < 4; i++)
		p[4 + i] = (uint8_t)(len >> (8 * i));
	for (int i = 0; i < 8; i++)
		p[8 + i] = (uint8_t)(id >> (8 * i));
}

static size_t hello(uint8_t *p)
{
	put_hdr(p, K_HELLO, 16, 0);
	memcpy(p + HDR, "VIGILSK1", 8);
	uint32_t v = 1, max = 1u << 24;
	memcpy(p + HDR + 8, &v, 4);
	memcpy(p + HDR + 12, &max, 4);
	return HDR + 16;
}

static void fill_random(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)rand();
}

static int connect_to(const char *host, const char *port)
{
	struct addrinfo hints = {0}, *ai;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &ai))
		return -1;
	int fd = socket(ai->ai_family, SOCK_STREAM, 0);
	if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen)) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	return fd;
}

static void send_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w <= 0)
			return; /* the daemon closed on us: that is the point */
		p += w;
		n -= (size_t)w;
	}
}

/* Wait up to ms for the daemon to close the connection; true if it did. */
static int closed_by_peer(int fd, int ms)
{
	uint8_t buf[4096];
	for (;;) {
		struct pollfd pfd = {fd, POLLIN, 0};
		int rc = poll(&pfd, 1, ms);
		if (rc <= 0)
			return 0;
		ssize_t r = recv(fd, buf, sizeof(buf), 0);
		if (r == 0 || (r < 0 && errno == ECONNRESET))
			return 1;
		if (r < 0)
			return 0;
	}
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: %s HOST PORT FRAMES [SEED]\n", argv[0]);
		return 2;
	}
	long frames = atol(argv[3]);
	srand(argc > 4 ? (unsigned)atoi(argv[4]) : 1);
	static uint8_t buf[1 << 16];
	long sent = 0, conns = 0, dropped = 0, refused = 0;
	for (int kind = 0; sent < frames; kind = (kind + 1) % 8) {
		int fd = connect_to(argv[1], argv[2]);
		if (fd < 0) {
			refused++;
			if (refused > 20)
				break;
			usleep(100000);
			continue;
		}
		conns++;
		size_t n = 0;
		int frames_here = 1;
		switch (kind) {
		case 0: /* garbage instead of the handshake */
			n = 1 + (size_t)rand() % 2048;
			fill_random(buf, n);
			break;
		case 1: /* a frame of unknown kind */
			n = hello(buf);
			put_hdr(buf + n, (uint8_t)(5 + rand() % 250), (uint32_t)(rand() % 64), 0);
			n += HDR + 64;
			fill_random(buf + n - 64, 64);
			break;
		case 2: /* an absurd length */
			n = hello(buf);
			put_hdr(buf + n, K_MSG, 0xffffffffu - (uint32_t)(rand() % 16), 1);
			n += HDR;
			break;
		case 3: /* random bytes as a protocol message */
			n = hello(buf);
			for (int i = 0; i < 4; i++) {
				uint32_t len = (uint32_t)(rand() % 512);
				put_hdr(buf + n, K_MSG, len, 0);
				fill_random(buf + n + HDR, len);
				n += HDR + len;
			}
			frames_here = 4;
			break;
		case 4: { /* a protocol header whose length or type lies */
			n = hello(buf);
			uint32_t len = 16 + (uint32_t)(rand() % 64);
			put_hdr(buf + n, K_MSG, len, 0);
			uint8_t *m = buf + n + HDR;
			fill_random(m, len);
			m[0] = 1;
			m[1] = 0;
			m[2] = (uint8_t)(rand() % 12);
			m[3] = 0;
			n += HDR + len;
			break;
		}
		case 5: /* a truncated frame, then hang up */
			n = hello(buf);
			put_hdr(buf + n, K_MSG, 1000, 0);
			fill_random(buf + n + HDR, 10);
			n += HDR + 10;
			break;
		case 6: /* reads of made-up memory, then garbage */
			n = hello(buf);
			for (int i = 0; i < 8; i++) {
				put_hdr(buf + n, K_READ_REQ, 48, (uint64_t)i);
				fill_random(buf + n + HDR, 48);
				n += HDR + 48;
			}
			put_hdr(buf + n, 77, 0, 0);
			n += HDR;
			frames_here = 9;
			break;
		case 7: /* a read request of the wrong size */
			n = hello(buf);
			put_hdr(buf + n, K_READ_REQ, 7, 0);
			fill_random(buf + n + HDR, 7);
			n += HDR + 7;
			break;
		}
		send_all(fd, buf, n);
		sent += frames_here;
		if (kind != 5)
			dropped += closed_by_peer(fd, 2000);
		close(fd);
	}
	printf("hostile_client: %ld frames on %ld connections; the daemon closed %ld of them; "
	       "%ld connects refused\n",
	       sent, conns, dropped, refused);
	return refused > 20 ? 1 : 0;
}
