/*
 * test_sock_limits.c - the sock transport under peers that do not play
 * along: a client that asks and never reads (backpressure), a client that
 * closes its side and still wants its replies, a HELLO announcing a tiny
 * message limit, connections still in their handshake when the listener
 * closes, and a daemon out of file descriptors.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/log.h"
#include "tests/unit/cu_main.h"
#include "tests/unit/sock_fixture.h"

/* A HELLO frame a raw client sends, announcing max_msg. */
static size_t hello(uint8_t *p, uint32_t max_msg)
{
	frame(p, 1, 16);
	memcpy(p + 16, "VIGILSK1", 8);
	uint32_t v = 1;
	memcpy(p + 24, &v, 4);
	memcpy(p + 28, &max_msg, 4);
	return 32;
}

/* The server side answers every message with a 1 MB reply. */
static uint8_t reply[1000000];
static void echo_big(struct vg_ep *ep, const struct vg_ep_event *ev, void *arg)
{
	struct rec *r = arg;
	if (ev->type == VG_EP_RECV) {
		r->recv++;
		CU_ASSERT_EQUAL(vg_ep_send(ep, reply, sizeof(reply)), 0);
	}
	if (ev->type == VG_EP_DISCONNECTED)
		r->disconnected++;
}

static void big_replier(struct vg_ep *ep, const struct vg_ep_event *ev, void *arg)
{
	struct rec *r = arg;
	if (ev->type == VG_EP_ACCEPTED) {
		r->accepted++;
		if (r->nconns < 8)
			r->conns[r->nconns++] = ev->new_ep;
		vg_ep_set_cb(ev->new_ep, echo_big, r->child);
	}
}

static void run_for(struct env *e, int ms)
{
	uint64_t end = vg_mono_us() + (uint64_t)ms * 1000;
	while (vg_mono_us() < end)
		vg_loop_run_once(e->loop, 10);
}

/* Read everything fd has for us within ms; returns the byte count. */
static size_t drain(struct env *e, int fd, int ms)
{
	size_t total = 0;
	uint64_t end = vg_mono_us() + (uint64_t)ms * 1000;
	static uint8_t buf[1 << 16];
	while (vg_mono_us() < end) {
		vg_loop_run_once(e->loop, 1);
		ssize_t n;
		while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
			total += (size_t)n;
		if (n == 0)
			break;
	}
	return total;
}

#define NREQ 300

static void test_backpressure(void)
{
	struct env e;
	env_open(&e);
	e.listener = vg_ep_new(e.x, big_replier, &e.lrec);
	CU_ASSERT_EQUAL_FATAL(vg_ep_listen(e.listener, "127.0.0.1", 0, &listen_err), 0);
	int fd = raw_connect(vg_ep_port(e.listener));
	uint8_t buf[32 + 16 * NREQ];
	size_t n = hello(buf, 1u << 24);
	for (int i = 0; i < NREQ; i++) {
		frame(buf + n, 2, 0); /* an empty message: one reply each */
		n += 16;
	}
	CU_ASSERT_EQUAL(send(fd, buf, n, 0), (ssize_t)n);
	run_for(&e, 500);
	/*
	 * The client reads nothing: the server stops reading its requests once
	 * about 1 MB is queued (plus what the kernel buffers, a few MB), instead
	 * of queueing 300 MB of replies (or dropping the client at max_queued).
	 */
	int seen = e.srec.recv;
	fprintf(stderr, "the server handled %d of %d requests from a client that does not read\n",
		seen, NREQ);
	CU_ASSERT(seen >= 1 && seen < NREQ / 3);
	/* once the client reads, every request is answered */
	size_t got = 0;
	uint64_t deadline = vg_mono_us() + 4 * WAIT_MS * 1000ull;
	while (e.srec.recv < NREQ && vg_mono_us() < deadline)
		got += drain(&e, fd, 20);
	got += drain(&e, fd, 200);
	CU_ASSERT_EQUAL(e.srec.recv, NREQ);
	CU_ASSERT_EQUAL(e.srec.disconnected, 0);
	CU_ASSERT_EQUAL(got, 32 + NREQ * (16 + sizeof(reply)));
	close(fd);
	CU_ASSERT_TRUE(wait_for(&e, &e.srec.disconnected, 1));
	env_close(&e);
}

static void test_half_close(void)
{
	struct env e;
	env_open(&e);
	e.listener = vg_ep_new(e.x, big_replier, &e.lrec);
	CU_ASSERT_EQUAL_FATAL(vg_ep_listen(e.listener, "127.0.0.1", 0, &listen_err), 0);
	int fd = raw_connect(vg_ep_port(e.listener));
	uint8_t buf[32 + 16 * 8];
	size_t n = hello(buf, 1u << 24);
	for (int i = 0; i < 8; i++) {
		frame(buf + n, 2, 0);
		n += 16;
	}
	CU_ASSERT_EQUAL(send(fd, buf, n, 0), (ssize_t)n);
	/* done sending, still reading: all 8 replies (8 MB) arrive, then the end */
	CU_ASSERT_EQUAL(shutdown(fd, SHUT_WR), 0);
	run_for(&e, 200);
	size_t got = drain(&e, fd, WAIT_MS);
	CU_ASSERT_EQUAL(got, 32 + 8 * (16 + sizeof(reply)));
	CU_ASSERT_TRUE(wait_for(&e, &e.srec.disconnected, 1));
	close(fd);
	env_close(&e);
}

static void test_small_hello(void)
{
	struct env e;
	env_open(&e);
	CU_ASSERT_EQUAL_FATAL(env_listen(&e, "127.0.0.1"), 0);
	int fd = raw_connect(vg_ep_port(e.listener));
	uint8_t buf[32];
	hello(buf, 100); /* every reply would be refused with -EMSGSIZE */
	CU_ASSERT_EQUAL(send(fd, buf, sizeof(buf), 0), 32);
	CU_ASSERT_TRUE(dropped(&e, fd));
	CU_ASSERT_EQUAL(e.lrec.accepted, 0);
	close(fd);
	env_close(&e);
}

static void test_listener_closed_mid_handshake(void)
{
	struct env e;
	env_open(&e);
	CU_ASSERT_EQUAL_FATAL(env_listen(&e, "127.0.0.1"), 0);
	int fds[3];
	for (int i = 0; i < 3; i++)
		fds[i] = raw_connect(vg_ep_port(e.listener));
	run_for(&e, 100); /* accepted by the transport, no HELLO yet */
	vg_ep_close(e.listener);
	vg_ep_put(e.listener);
	e.listener = NULL;
	/* the pending connections are closed with it (LeakSanitizer checks nothing is left) */
	for (int i = 0; i < 3; i++) {
		CU_ASSERT_TRUE(dropped(&e, fds[i]));
		close(fds[i]);
	}
	CU_ASSERT_EQUAL(e.lrec.accepted, 0);
	env_close(&e);
}

static void test_out_of_descriptors(void)
{
	struct env e;
	env_open(&e);
	CU_ASSERT_EQUAL_FATAL(env_listen(&e, "127.0.0.1"), 0);
	struct rlimit saved;
	CU_ASSERT_EQUAL_FATAL(getrlimit(RLIMIT_NOFILE, &saved), 0);
	/* use up the descriptors, leaving none for the next accept */
	int hog[256], nhog = 0;
	int probe = dup(0);
	struct rlimit low = {(rlim_t)probe + 4, saved.rlim_max};
	close(probe);
	CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_NOFILE, &low), 0);
	int fd;
	while (nhog < 256 && (fd = dup(0)) >= 0)
		hog[nhog++] = fd;
	/* the client's socket needs a descriptor too: give one back for it */
	close(hog[--nhog]);
	int client = raw_connect(vg_ep_port(e.listener));
	/* the listener cannot accept it: it is refused at once, not left hanging */
	CU_ASSERT_TRUE(dropped(&e, client));
	close(client);
	/* with descriptors back, connections are accepted again */
	while (nhog)
		close(hog[--nhog]);
	CU_ASSERT_EQUAL(setrlimit(RLIMIT_NOFILE, &saved), 0);
	env_connect(&e, "127.0.0.1");
	CU_ASSERT_EQUAL(e.lrec.accepted, 1);
	env_close(&e);
}

static const struct cu_test tests[] = {
	{"a client that does not read: requests paused, all answered later", test_backpressure},
	{"a client that closes its side still gets its replies", test_half_close},
	{"a HELLO with a tiny message limit is refused", test_small_hello},
	{"connections in their handshake close with the listener", test_listener_closed_mid_handshake},
	{"out of file descriptors: newcomers refused, service resumes", test_out_of_descriptors},
	{NULL, NULL},
};

int main(int argc, char **argv)
{
	vg_log_set_level(VG_LOG_CRITICAL);
	return cu_run("sock_limits", tests, argc, argv);
}
