/*
 * test_fabric.c - the libfabric transport on loopback with the tcp provider
 * (FI_PROVIDER=tcp unless the environment names another): the same
 * behaviour as test_sock asks of the sock driver.  Skipped (exit 77) with a
 * printed reason when vigil was built without libfabric or no provider
 * offers connected endpoints with RMA.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>

#include "tests/unit/sock_fixture.h"

static void fab_env_open(struct env *e)
{
	memset(e, 0, sizeof(*e));
	struct vg_err err = {0};
	e->loop = vg_loop_new(&err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e->loop);
	e->x = vg_xprt_open(e->loop, "fabric", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e->x);
	e->lrec.child = &e->srec;
}

static void connected_pair(struct env *e)
{
	fab_env_open(e);
	CU_ASSERT_EQUAL_FATAL(env_listen(e, "127.0.0.1"), 0);
	CU_ASSERT_NOT_EQUAL(vg_ep_port(e->listener), 0);
	env_connect(e, "127.0.0.1");
}

static void test_handshake(void)
{
	struct env e;
	connected_pair(&e);
	CU_ASSERT_STRING_EQUAL(e.crec.log, "C");
	CU_ASSERT_STRING_EQUAL(e.lrec.log, "A");
	CU_ASSERT_TRUE(vg_ep_connected(e.client));
	CU_ASSERT_TRUE(vg_ep_connected(e.lrec.conns[0]));
	CU_ASSERT_PTR_NOT_NULL(strstr(vg_ep_peer(e.lrec.conns[0]), "127.0.0.1:"));
	char want[32];
	snprintf(want, sizeof(want), "127.0.0.1:%u", vg_ep_port(e.listener));
	CU_ASSERT_STRING_EQUAL(vg_ep_peer(e.client), want);
	env_close(&e);
}

static uint8_t *pattern(size_t len, unsigned seed)
{
	uint8_t *p = malloc(len ? len : 1);
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)((i * 31 + seed) ^ (i >> 11));
	return p;
}

/* One message from one side to the other, checked byte for byte. */
static void one_way(struct env *e, struct vg_ep *from, struct rec *to, size_t len, unsigned seed)
{
	uint8_t *msg = pattern(len, seed);
	int before = to->recv;
	CU_ASSERT_EQUAL(vg_ep_send(from, msg, len), 0);
	CU_ASSERT_TRUE(wait_for(e, &to->recv, before + 1));
	CU_ASSERT_EQUAL(to->msg_len, len);
	if (to->msg_len == len)
		CU_ASSERT_EQUAL(memcmp(to->msg, msg, len), 0);
	free(msg);
}

static void test_messages(void)
{
	struct env e;
	connected_pair(&e);
	struct vg_ep *server = e.lrec.conns[0];
	static const size_t sizes[] = {1, 0, 64 << 10, (64 << 10) - 16, (64 << 10) + 1, 4 << 20};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		one_way(&e, e.client, &e.srec, sizes[i], (unsigned)i);
		one_way(&e, server, &e.crec, sizes[i], (unsigned)i + 100);
	}
	/* a vector is one message */
	struct iovec iov[3] = {{"wor", 3}, {"", 0}, {"ld!", 3}};
	int before = e.srec.recv;
	CU_ASSERT_EQUAL(vg_ep_sendv(e.client, iov, 3), 0);
	CU_ASSERT_TRUE(wait_for(&e, &e.srec.recv, before + 1));
	CU_ASSERT_EQUAL(e.srec.msg_len, 6);
	CU_ASSERT_EQUAL(memcmp(e.srec.msg, "world!", 6), 0);
	/* larger than max_msg: refused at once */
	CU_ASSERT_EQUAL(vg_ep_send(e.client, "x", e.x->max_msg + 1), -EMSGSIZE);
	env_close(&e);
}

/* Far more messages than credits, both ways at once, several large ones among them. */
static void test_many_messages(void)
{
	struct env e;
	connected_pair(&e);
	struct vg_ep *server = e.lrec.conns[0];
	e.srec.seq_mode = e.crec.seq_mode = true;
	e.srec.seq_ok = e.crec.seq_ok = true;
	for (uint32_t i = 0; i < 2000; i++) {
		CU_ASSERT_EQUAL(vg_ep_send(e.client, &i, sizeof(i)), 0);
		CU_ASSERT_EQUAL(vg_ep_send(server, &i, sizeof(i)), 0);
	}
	CU_ASSERT_TRUE(wait_for(&e, &e.srec.recv, 2000));
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.recv, 2000));
	CU_ASSERT_TRUE(e.srec.seq_ok);
	CU_ASSERT_TRUE(e.crec.seq_ok);
	e.srec.seq_mode = e.crec.seq_mode = false;
	/* three 4 MiB messages queued back to back: the last one arrives intact */
	uint8_t *big = pattern(4 << 20, 7);
	for (int i = 0; i < 3; i++) {
		big[0] = (uint8_t)i;
		CU_ASSERT_EQUAL(vg_ep_send(e.client, big, 4 << 20), 0);
	}
	CU_ASSERT_TRUE(wait_for(&e, &e.srec.recv, 2003));
	CU_ASSERT_EQUAL(e.srec.msg_len, 4u << 20);
	if (e.srec.msg_len == 4u << 20)
		CU_ASSERT_EQUAL(memcmp(e.srec.msg, big, 4 << 20), 0);
	free(big);
	env_close(&e);
}

static void test_read(void)
{
	struct env e;
	connected_pair(&e);
	size_t len = 1 << 20;
	uint8_t *region = pattern(len, 3), *dst = calloc(1, len);
	struct vg_mr *mr = NULL;
	CU_ASSERT_EQUAL_FATAL(vg_xprt_mem_register(e.x, region, len, &mr), 0);
	int owner;
	vg_mr_owner_set(mr, &owner);
	CU_ASSERT_PTR_EQUAL(vg_mr_owner(mr), &owner);
	struct vg_rkey rkey;
	vg_mr_rkey(mr, &rkey);

	CU_ASSERT_EQUAL(vg_ep_read(e.client, &rkey, 0, dst, len, (void *)1), 0);
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.reads, 1));
	CU_ASSERT_EQUAL(e.crec.read_status[0], 0);
	CU_ASSERT_PTR_EQUAL(e.crec.read_ctx[0], (void *)1);
	CU_ASSERT_EQUAL(memcmp(dst, region, len), 0);
	memset(dst, 0, len);
	CU_ASSERT_EQUAL(vg_ep_read(e.client, &rkey, 100003, dst, 5000, (void *)2), 0);
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.reads, 2));
	CU_ASSERT_EQUAL(e.crec.read_status[1], 0);
	CU_ASSERT_EQUAL(memcmp(dst, region + 100003, 5000), 0);
	CU_ASSERT_EQUAL(dst[5000], 0);

	/* out of bounds, including an offset that would overflow: not sent */
	CU_ASSERT_EQUAL(vg_ep_read(e.client, &rkey, len - 10, dst, 20, (void *)3), 0);
	CU_ASSERT_EQUAL(vg_ep_read(e.client, &rkey, UINT64_MAX - 4, dst, 20, (void *)4), 0);
	CU_ASSERT_EQUAL(e.crec.reads, 2);  /* never from inside the call */
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.reads, 4));
	CU_ASSERT_EQUAL(e.crec.read_status[2], -ERANGE);
	CU_ASSERT_EQUAL(e.crec.read_status[3], -ERANGE);

	/* more reads in flight than the table starts with */
	int base = e.crec.reads;
	memset(dst, 0, len);
	for (int i = 0; i < 40; i++)
		CU_ASSERT_EQUAL(vg_ep_read(e.client, &rkey, (uint64_t)i * 1000, dst + i * 1000, 1000,
					   (void *)(intptr_t)(100 + i)), 0);
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.reads, base + 40));
	int ok = 0;
	for (int i = 0; i < 40; i++)
		ok += e.crec.read_status[base + i] == 0;
	CU_ASSERT_EQUAL(ok, 40);
	CU_ASSERT_EQUAL(memcmp(dst, region, 40000), 0);

	/* far more reads than the provider's queues take at once: the rest wait their turn */
	base = e.crec.reads;
	memset(dst, 0, len);
	for (int i = 0; i < 1000; i++)
		CU_ASSERT_EQUAL(vg_ep_read(e.client, &rkey, (uint64_t)i * 1000, dst + i * 1000, 1000,
					   NULL), 0);
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.reads, base + 1000));
	CU_ASSERT_EQUAL(memcmp(dst, region, 1000000), 0);
	e.crec.reads = 0;  /* the recorder keeps the first 64 statuses */

	/* a forged key fails at the peer, which drops the connection (as RDMA does) */
	base = e.crec.reads;
	struct vg_rkey forged = rkey;
	forged.bytes[3] ^= 0x40;
	CU_ASSERT_EQUAL(vg_ep_read(e.client, &forged, 0, dst, 8, (void *)5), 0);
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.reads, base + 1));
	CU_ASSERT_EQUAL(e.crec.read_status[base], -ENOENT);
	CU_ASSERT_PTR_EQUAL(e.crec.read_ctx[base], (void *)5);
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.disconnected, 1));
	CU_ASSERT_TRUE(wait_for(&e, &e.srec.disconnected, 1));
	CU_ASSERT_EQUAL(e.crec.reads, base + 1);

	/* a new connection reads again; a deregistered key is refused the same way */
	vg_ep_put(e.client);
	memset(&e.crec, 0, sizeof(e.crec));
	env_connect(&e, "127.0.0.1");
	CU_ASSERT_TRUE(wait_for(&e, &e.lrec.accepted, 2));
	CU_ASSERT_EQUAL(vg_ep_read(e.client, &rkey, 8, dst, 8, (void *)7), 0);
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.reads, 1));
	CU_ASSERT_EQUAL(e.crec.read_status[0], 0);
	CU_ASSERT_EQUAL(memcmp(dst, region + 8, 8), 0);
	vg_xprt_mem_deregister(e.x, mr);
	CU_ASSERT_EQUAL(vg_ep_read(e.client, &rkey, 0, dst, 8, (void *)6), 0);
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.reads, 2));
	CU_ASSERT_EQUAL(e.crec.read_status[1], -ENOENT);
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.disconnected, 1));
	CU_ASSERT_STRING_EQUAL(e.crec.log, "CrrD");
	CU_ASSERT_EQUAL(vg_ep_read(e.client, &rkey, 0, dst, 8, NULL), -ENOTCONN);
	free(region);
	free(dst);
	env_close(&e);
}

static void test_connect_refused(void)
{
	struct env e;
	fab_env_open(&e);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t slen = sizeof(sin);
	CU_ASSERT_EQUAL_FATAL(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	CU_ASSERT_EQUAL(getsockname(fd, (struct sockaddr *)&sin, &slen), 0);
	close(fd);
	uint16_t port = ntohs(sin.sin_port);

	struct vg_err err = {0};
	e.client = vg_ep_new(e.x, on_event, &e.crec);
	CU_ASSERT_EQUAL_FATAL(vg_ep_connect(e.client, "127.0.0.1", port, &err), 0);
	CU_ASSERT_EQUAL(e.crec.rejected, 0);
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.rejected, 1));
	CU_ASSERT_EQUAL(e.crec.status, -ECONNREFUSED);
	char want[96];
	snprintf(want, sizeof(want), "connect to 127.0.0.1:%u failed: Connection refused", port);
	CU_ASSERT_STRING_EQUAL(e.crec.reason, want);
	CU_ASSERT_STRING_EQUAL(e.crec.log, "J");
	vg_ep_close(e.client);
	for (int i = 0; i < 3; i++)
		vg_loop_run_once(e.loop, 0);
	CU_ASSERT_STRING_EQUAL(e.crec.log, "J");
	vg_ep_put(e.client);

	/* UNIX paths are the sock driver's */
	struct vg_ep *ep = vg_ep_new(e.x, on_event, &e.crec);
	CU_ASSERT(vg_ep_connect(ep, "/run/ldmsd.sock", 0, &err) < 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "use sock"));
	vg_ep_put(ep);

	/* canceling a connect in progress: REJECTED, later, once */
	CU_ASSERT_EQUAL_FATAL(env_listen(&e, "127.0.0.1"), 0);
	ep = vg_ep_new(e.x, on_event, &e.crec);
	CU_ASSERT_EQUAL(vg_ep_connect(ep, "127.0.0.1", vg_ep_port(e.listener), &err), 0);
	vg_ep_close(ep);
	vg_ep_close(ep);
	CU_ASSERT_EQUAL(e.crec.rejected, 1);
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.rejected, 2));
	CU_ASSERT_EQUAL(e.crec.status, -ECANCELED);
	vg_ep_put(ep);
	e.client = NULL;
	env_close(&e);
}

static void test_peer_close(void)
{
	struct env e;
	connected_pair(&e);
	uint8_t region[256], dst[3][16];
	struct vg_mr *mr = NULL;
	CU_ASSERT_EQUAL_FATAL(vg_xprt_mem_register(e.x, region, sizeof(region), &mr), 0);
	struct vg_rkey rkey;
	vg_mr_rkey(mr, &rkey);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(vg_ep_read(e.client, &rkey, 0, dst[i], 16, NULL), 0);
	struct vg_ep *s = e.lrec.conns[0];
	vg_ep_close(s);
	vg_ep_close(s);
	CU_ASSERT_EQUAL(e.srec.disconnected, 0);
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.disconnected, 1));
	CU_ASSERT_TRUE(wait_for(&e, &e.srec.disconnected, 1));
	/* every read completes, before DISCONNECTED (some may have been served in time) */
	CU_ASSERT_STRING_EQUAL(e.crec.log, "CrrrD");
	for (int i = 0; i < 3; i++)
		CU_ASSERT(e.crec.read_status[i] == 0 || e.crec.read_status[i] == -ECONNRESET ||
			  e.crec.read_status[i] == -ENOENT);
	CU_ASSERT_EQUAL(e.srec.status, 0);
	CU_ASSERT_STRING_EQUAL(e.srec.reason, "closed locally");
	CU_ASSERT_PTR_NOT_NULL(strstr(e.crec.reason, vg_ep_peer(e.client)));
	CU_ASSERT_EQUAL(vg_ep_send(e.client, "x", 1), -ENOTCONN);
	for (int i = 0; i < 5; i++)
		vg_loop_run_once(e.loop, 0);
	CU_ASSERT_EQUAL(e.crec.disconnected, 1);
	CU_ASSERT_EQUAL(e.srec.disconnected, 1);
	vg_xprt_mem_deregister(e.x, mr);
	env_close(&e);
}

/* What was sent before a close arrives before DISCONNECTED. */
static void test_send_then_close(void)
{
	struct env e;
	connected_pair(&e);
	struct vg_ep *server = e.lrec.conns[0];
	uint8_t *msg = pattern(1 << 20, 5);
	CU_ASSERT_EQUAL(vg_ep_send(server, "bye", 3), 0);
	CU_ASSERT_EQUAL(vg_ep_send(server, msg, 1 << 20), 0);
	vg_ep_close(server);
	vg_ep_close(server);
	CU_ASSERT_EQUAL(vg_ep_send(server, "x", 1), -ENOTCONN);
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.disconnected, 1));
	CU_ASSERT_TRUE(wait_for(&e, &e.srec.disconnected, 1));
	CU_ASSERT_STRING_EQUAL(e.srec.reason, "closed locally");
	CU_ASSERT_EQUAL(e.srec.status, 0);
	CU_ASSERT_STRING_EQUAL(e.crec.log, "CRRD");
	CU_ASSERT_EQUAL(e.crec.msg_len, 1u << 20);
	if (e.crec.msg_len == 1u << 20)
		CU_ASSERT_EQUAL(memcmp(e.crec.msg, msg, 1 << 20), 0);
	free(msg);
	env_close(&e);
}

/* A TCP client that is not a vigil fabric peer never reaches the application. */
static void test_foreign_client(void)
{
	struct env e;
	fab_env_open(&e);
	CU_ASSERT_EQUAL_FATAL(env_listen(&e, "127.0.0.1"), 0);
	int fd = raw_connect(vg_ep_port(e.listener));
	CU_ASSERT_EQUAL(send(fd, "GET / HTTP/1.0\r\n\r\n", 18, MSG_NOSIGNAL), 18);
	CU_ASSERT_TRUE(dropped(&e, fd));
	close(fd);
	CU_ASSERT_EQUAL(e.lrec.accepted, 0);
	env_connect(&e, "127.0.0.1");  /* the listener still serves */
	env_close(&e);
}

/* Transports do not mix: a fabric client and a sock listener fail cleanly on both sides. */
static void test_sock_listener(void)
{
	struct env e;
	fab_env_open(&e);
	struct vg_err err = {0};
	struct vg_xprt *sx = vg_xprt_open(e.loop, "sock", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sx);
	e.listener = vg_ep_new(sx, on_event, &e.lrec);
	CU_ASSERT_EQUAL_FATAL(vg_ep_listen(e.listener, "127.0.0.1", 0, &err), 0);
	e.client = vg_ep_new(e.x, on_event, &e.crec);
	CU_ASSERT_EQUAL_FATAL(vg_ep_connect(e.client, "127.0.0.1", vg_ep_port(e.listener), &err), 0);
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.rejected, 1));
	CU_ASSERT(e.crec.status < 0);
	CU_ASSERT_STRING_EQUAL(e.crec.log, "J");
	CU_ASSERT_EQUAL(e.lrec.accepted, 0);
	vg_ep_put(e.client);
	e.client = NULL;
	/* and a sock client to a fabric listener */
	struct env f;
	fab_env_open(&f);
	CU_ASSERT_EQUAL_FATAL(env_listen(&f, "127.0.0.1"), 0);
	struct vg_ep *c = vg_ep_new(sx, on_event, &e.crec);
	CU_ASSERT_EQUAL(vg_ep_connect(c, "127.0.0.1", vg_ep_port(f.listener), &err), 0);
	uint64_t deadline = vg_mono_us() + WAIT_MS * 1000ull;
	while (e.crec.rejected < 2 && vg_mono_us() < deadline) {
		vg_loop_run_once(e.loop, 5);
		vg_loop_run_once(f.loop, 5);
	}
	CU_ASSERT_EQUAL(e.crec.rejected, 2);
	CU_ASSERT_EQUAL(f.lrec.accepted, 0);
	vg_ep_put(c);
	env_close(&f);
	vg_xprt_close(sx);  /* freed with its last endpoint, in env_close */
	env_close(&e);
}

/* Without wait fds the driver polls every millisecond: the same behaviour. */
static void test_polling(void)
{
	setenv("VIGIL_FABRIC_POLL", "1", 1);
	struct env e;
	connected_pair(&e);
	unsetenv("VIGIL_FABRIC_POLL");
	struct vg_ep *server = e.lrec.conns[0];
	one_way(&e, e.client, &e.srec, 1, 1);
	one_way(&e, server, &e.crec, 4 << 20, 2);
	one_way(&e, e.client, &e.srec, 4 << 20, 3);
	uint8_t region[4096], dst[100];
	for (size_t i = 0; i < sizeof(region); i++)
		region[i] = (uint8_t)(i * 7);
	struct vg_mr *mr = NULL;
	CU_ASSERT_EQUAL_FATAL(vg_xprt_mem_register(e.x, region, sizeof(region), &mr), 0);
	struct vg_rkey rkey;
	vg_mr_rkey(mr, &rkey);
	CU_ASSERT_EQUAL(vg_ep_read(e.client, &rkey, 3000, dst, sizeof(dst), NULL), 0);
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.reads, 1));
	CU_ASSERT_EQUAL(e.crec.read_status[0], 0);
	CU_ASSERT_EQUAL(memcmp(dst, region + 3000, sizeof(dst)), 0);
	vg_ep_close(server);
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.disconnected, 1));
	CU_ASSERT_STRING_EQUAL(e.crec.log, "CRrD");
	vg_xprt_mem_deregister(e.x, mr);
	env_close(&e);
}

static void test_names(void)
{
	vg_xprt_init();
	CU_ASSERT_PTR_NOT_NULL_FATAL(vg_xprt_find("fabric"));
	CU_ASSERT_STRING_EQUAL(vg_xprt_find("fabric")->name, "fabric");
	CU_ASSERT_PTR_NOT_NULL(strstr(vg_xprt_names(), "fabric"));
	char xprt[16], host[64];
	uint16_t port = 0;
	struct vg_err err = {0};
	CU_ASSERT_EQUAL(vg_xprt_parse_endpoint("fabric:411", xprt, sizeof(xprt), &port, host,
					       sizeof(host), &err), 0);
	CU_ASSERT_STRING_EQUAL(xprt, "fabric");
	CU_ASSERT_EQUAL(port, 411);
	CU_ASSERT_STRING_EQUAL(host, "");
}

static const struct cu_test tests[] = {
	{"driver registered; fabric:411 parses", test_names},
	{"connect, accept, peer names", test_handshake},
	{"messages both ways: 1 B to 4 MiB", test_messages},
	{"thousands of messages both ways: credits, order", test_many_messages},
	{"one-sided reads: slices, -ERANGE, 1000 in flight, bad key -ENOENT", test_read},
	{"connect failures: refused, UNIX path, canceled", test_connect_refused},
	{"peer close: reads complete, then DISCONNECTED once", test_peer_close},
	{"messages sent before a close arrive before DISCONNECTED", test_send_then_close},
	{"a foreign TCP client is dropped", test_foreign_client},
	{"fabric and sock do not mix: both sides fail cleanly", test_sock_listener},
	{"without wait fds: polling every millisecond", test_polling},
	{NULL, NULL},
};

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
#ifndef HAVE_LIBFABRIC
	(void)tests;
	printf("SKIP: vigil was built without libfabric (install libfabric-dev and re-run "
	       "configure)\n");
	return 77;
#else
	setenv("FI_PROVIDER", "tcp", 0);
	struct vg_err err = {0};
	struct vg_loop *loop = vg_loop_new(&err);
	struct vg_xprt *x = loop ? vg_xprt_open(loop, "fabric", &err) : NULL;
	if (!x) {
		printf("SKIP: no usable libfabric provider (FI_PROVIDER=%s): %s\n",
		       getenv("FI_PROVIDER"), err.msg);
		vg_loop_free(loop);
		return 77;
	}
	vg_xprt_close(x);
	vg_loop_free(loop);
	return cu_run("fabric", tests, argc, argv);
#endif
}
