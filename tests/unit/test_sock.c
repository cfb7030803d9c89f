/*
 * test_sock.c - the sock transport on real loopback sockets: handshake,
 * messages, one-sided reads, connect failures, closing, hostile peers,
 * IPv6, UNIX sockets and endpoint strings.  Client and server share one
 * loop, driven with vg_loop_run_once() until a condition holds.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/log.h"
#include "core/loop.h"
#include "xprt/sock_net.h"
#include "xprt/xprt.h"
#include "tests/unit/cu_main.h"
#include "tests/unit/sock_fixture.h"

/* ------------------------------------------------------------------ tests */

static void test_handshake(void)
{
	struct env e;
	env_open(&e);
	CU_ASSERT_PTR_NOT_NULL(strstr(vg_xprt_names(), "sock"));
	CU_ASSERT_STRING_EQUAL(vg_xprt_name(e.x), "sock");
	struct vg_err err = {0};
	CU_ASSERT_PTR_NULL(vg_xprt_open(e.loop, "carrier-pigeon", &err));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "carrier-pigeon"));

	CU_ASSERT_EQUAL_FATAL(env_listen(&e, "127.0.0.1"), 0);
	uint16_t port = vg_ep_port(e.listener);
	CU_ASSERT(port != 0);
	char want[64];
	snprintf(want, sizeof(want), "127.0.0.1:%u", port);
	CU_ASSERT_STRING_EQUAL(vg_ep_local(e.listener), want);
	CU_ASSERT_EQUAL(vg_ep_listen(e.listener, "127.0.0.1", 0, &err), -EINVAL);

	env_connect(&e, "127.0.0.1");
	CU_ASSERT_STRING_EQUAL(vg_ep_peer(e.client), want);
	CU_ASSERT_TRUE(vg_ep_connected(e.client));
	struct vg_ep *s = e.lrec.conns[0];
	CU_ASSERT_TRUE(vg_ep_connected(s));
	/* each side sees the other's address */
	CU_ASSERT_STRING_EQUAL(vg_ep_peer(s), vg_ep_local(e.client));
	CU_ASSERT_STRING_EQUAL(vg_ep_local(s), want);
	CU_ASSERT_EQUAL(vg_ep_port(e.client), port);
	const char *client_port = strrchr(vg_ep_local(e.client), ':');
	CU_ASSERT_PTR_NOT_NULL_FATAL(client_port);
	CU_ASSERT_EQUAL(vg_ep_port(s), atoi(client_port + 1));
	CU_ASSERT_STRING_EQUAL(e.crec.log, "C");
	CU_ASSERT_STRING_EQUAL(e.lrec.log, "A");
	vg_ep_set_ctx(s, &e);
	CU_ASSERT_PTR_EQUAL(vg_ep_ctx(s), &e);

	/* an endpoint that never connected refuses to send or read */
	struct vg_ep *idle = vg_ep_new(e.x, on_event, &e.crec);
	struct vg_rkey rkey = {{0}};
	char byte;
	CU_ASSERT_EQUAL(vg_ep_send(idle, "x", 1), -ENOTCONN);
	CU_ASSERT_EQUAL(vg_ep_read(idle, &rkey, 0, &byte, 1, NULL), -ENOTCONN);
	vg_ep_close(idle);
	vg_ep_put(idle);
	env_close(&e);
}

static void test_messages(void)
{
	struct env e;
	env_open(&e);
	CU_ASSERT_EQUAL_FATAL(env_listen(&e, "127.0.0.1"), 0);
	env_connect(&e, "localhost");
	struct vg_ep *s = e.lrec.conns[0];

	CU_ASSERT_EQUAL(vg_ep_send(e.client, "hello", 5), 0);
	CU_ASSERT_TRUE(wait_for(&e, &e.srec.recv, 1));
	CU_ASSERT_EQUAL(e.srec.msg_len, 5);
	CU_ASSERT_EQUAL(memcmp(e.srec.msg, "hello", 5), 0);

	struct iovec iov[3] = {{"wor", 3}, {"", 0}, {"ld!", 3}};
	CU_ASSERT_EQUAL(vg_ep_sendv(s, iov, 3), 0);
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.recv, 1));
	CU_ASSERT_EQUAL(e.crec.msg_len, 6);
	CU_ASSERT_EQUAL(memcmp(e.crec.msg, "world!", 6), 0);

	/* an empty message is a message */
	CU_ASSERT_EQUAL(vg_ep_send(e.client, NULL, 0), 0);
	CU_ASSERT_TRUE(wait_for(&e, &e.srec.recv, 2));
	CU_ASSERT_EQUAL(e.srec.msg_len, 0);

	/* several MiB each way: queued, drained on writability, delivered whole */
	size_t big = (6u << 20) + 123;
	uint8_t *buf = malloc(big);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	for (size_t i = 0; i < big; i++)
		buf[i] = (uint8_t)(i * 7 + (i >> 13));
	CU_ASSERT_EQUAL(vg_ep_send(e.client, buf, big), 0);
	CU_ASSERT_EQUAL(vg_ep_send(s, buf, big), 0);
	CU_ASSERT_TRUE(wait_for(&e, &e.srec.recv, 3));
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.recv, 2));
	CU_ASSERT_EQUAL_FATAL(e.srec.msg_len, big);
	CU_ASSERT_EQUAL(memcmp(e.srec.msg, buf, big), 0);
	CU_ASSERT_EQUAL_FATAL(e.crec.msg_len, big);
	CU_ASSERT_EQUAL(memcmp(e.crec.msg, buf, big), 0);

	/* larger than the transport's limit */
	size_t saved = e.x->max_msg;
	e.x->max_msg = 1u << 20;
	CU_ASSERT_EQUAL(vg_ep_send(e.client, buf, (1u << 20) + 1), -EMSGSIZE);
	e.x->max_msg = saved;
	free(buf);
	CU_ASSERT(e.client->msgs_out >= 3 && e.client->bytes_out > big);
	CU_ASSERT_STRING_EQUAL(e.srec.log, "RRR");
	env_close(&e);
}

static void test_many_small(void)
{
	struct env e;
	env_open(&e);
	CU_ASSERT_EQUAL_FATAL(env_listen(&e, "127.0.0.1"), 0);
	env_connect(&e, "127.0.0.1");
	e.srec.seq_mode = true;
	e.srec.seq_ok = true;
	enum { N = 20000 };
	for (uint32_t i = 0; i < N; i++) {
		CU_ASSERT_EQUAL_FATAL(vg_ep_send(e.client, &i, sizeof(i)), 0);
		if (i % 1000 == 0)
			vg_loop_run_once(e.loop, 0);
	}
	CU_ASSERT_TRUE(wait_for(&e, &e.srec.recv, N));
	CU_ASSERT_EQUAL(e.srec.recv, N);
	CU_ASSERT_TRUE(e.srec.seq_ok);
	env_close(&e);
}

static void test_read(void)
{
	struct env e;
	env_open(&e);
	CU_ASSERT_EQUAL_FATAL(env_listen(&e, "127.0.0.1"), 0);
	env_connect(&e, "127.0.0.1");
	size_t len = 64 << 10;
	uint8_t *region = malloc(len), *dst = calloc(1, len);
	for (size_t i = 0; i < len; i++)
		region[i] = (uint8_t)(i ^ (i >> 8));
	struct vg_mr *mr = NULL;
	CU_ASSERT_EQUAL_FATAL(vg_xprt_mem_register(e.x, region, len, &mr), 0);
	struct vg_rkey rkey;
	vg_mr_rkey(mr, &rkey);

	/* whole region and a slice */
	CU_ASSERT_EQUAL(vg_ep_read(e.client, &rkey, 0, dst, len, (void *)1), 0);
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.reads, 1));
	CU_ASSERT_EQUAL(e.crec.read_status[0], 0);
	CU_ASSERT_PTR_EQUAL(e.crec.read_ctx[0], (void *)1);
	CU_ASSERT_EQUAL(memcmp(dst, region, len), 0);
	memset(dst, 0, len);
	CU_ASSERT_EQUAL(vg_ep_read(e.client, &rkey, 100, dst, 5000, (void *)2), 0);
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.reads, 2));
	CU_ASSERT_EQUAL(e.crec.read_status[1], 0);
	CU_ASSERT_EQUAL(memcmp(dst, region + 100, 5000), 0);
	CU_ASSERT_EQUAL(dst[5000], 0);

	/* out of bounds, including an offset that would overflow */
	CU_ASSERT_EQUAL(vg_ep_read(e.client, &rkey, len - 10, dst, 20, (void *)3), 0);
	CU_ASSERT_EQUAL(vg_ep_read(e.client, &rkey, UINT64_MAX - 4, dst, 20, (void *)4), 0);
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.reads, 4));
	CU_ASSERT_EQUAL(e.crec.read_status[2], -ERANGE);
	CU_ASSERT_EQUAL(e.crec.read_status[3], -ERANGE);

	/* a forged key */
	struct vg_rkey forged = rkey;
	forged.bytes[9] ^= 0x40;
	CU_ASSERT_EQUAL(vg_ep_read(e.client, &forged, 0, dst, 8, (void *)5), 0);
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.reads, 5));
	CU_ASSERT_EQUAL(e.crec.read_status[4], -ENOENT);

	/* more reads in flight than the table starts with: it grows, every one completes */
	int base = e.crec.reads;
	for (int i = 0; i < 40; i++)
		CU_ASSERT_EQUAL(vg_ep_read(e.client, &rkey, (uint64_t)i * 1000, dst + i * 1000, 1000,
					   (void *)(intptr_t)(100 + i)), 0);
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.reads, base + 40));
	for (int i = 0; i < 40; i++) {
		CU_ASSERT_EQUAL(e.crec.read_status[base + i], 0);
		CU_ASSERT_PTR_EQUAL(e.crec.read_ctx[base + i], (void *)(intptr_t)(100 + i));
	}
	CU_ASSERT_EQUAL(memcmp(dst, region, 40000), 0);

	/* after deregistration the old key is refused, even if the slot is reused */
	vg_xprt_mem_deregister(e.x, mr);
	struct vg_mr *mr2 = NULL;
	CU_ASSERT_EQUAL(vg_xprt_mem_register(e.x, region, len, &mr2), 0);
	CU_ASSERT_EQUAL(vg_ep_read(e.client, &rkey, 0, dst, 8, (void *)6), 0);
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.reads, 46));
	CU_ASSERT_EQUAL(e.crec.read_status[45], -ENOENT);
	vg_xprt_mem_deregister(e.x, mr2);
	CU_ASSERT_EQUAL(vg_ep_read(e.client, &rkey, 0, NULL, 8, NULL), -EINVAL);
	free(region);
	free(dst);
	env_close(&e);
}

static void test_connect_refused(void)
{
	struct env e;
	env_open(&e);
	/* a port nobody listens on: bound then closed */
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
	CU_ASSERT_EQUAL(e.crec.rejected, 0); /* never from inside the call */
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.rejected, 1));
	CU_ASSERT_EQUAL(e.crec.status, -ECONNREFUSED);
	char want[96];
	snprintf(want, sizeof(want), "connect to 127.0.0.1:%u failed: Connection refused", port);
	CU_ASSERT_STRING_EQUAL(e.crec.reason, want);
	CU_ASSERT_STRING_EQUAL(e.crec.log, "J");
	vg_ep_close(e.client); /* after the last event: nothing more */
	for (int i = 0; i < 3; i++)
		vg_loop_run_once(e.loop, 0);
	CU_ASSERT_STRING_EQUAL(e.crec.log, "J");
	vg_ep_put(e.client);

	/* an unresolvable name is reported by the call itself */
	struct vg_ep *ep = vg_ep_new(e.x, on_event, &e.crec);
	CU_ASSERT(vg_ep_connect(ep, "no-such-host.invalid", 411, &err) < 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "no-such-host.invalid"));
	vg_ep_put(ep);

	/* a UNIX path with nobody behind it */
	ep = vg_ep_new(e.x, on_event, &e.crec);
	CU_ASSERT_EQUAL(vg_ep_connect(ep, "/nonexistent/vigil.sock", 0, &err), 0);
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.rejected, 2));
	CU_ASSERT_EQUAL(e.crec.status, -ENOENT);
	vg_ep_put(ep);

	/* canceling a connect in progress: REJECTED, later, once */
	CU_ASSERT_EQUAL_FATAL(env_listen(&e, "127.0.0.1"), 0);
	ep = vg_ep_new(e.x, on_event, &e.crec);
	CU_ASSERT_EQUAL(vg_ep_connect(ep, "127.0.0.1", vg_ep_port(e.listener), &err), 0);
	vg_ep_close(ep);
	vg_ep_close(ep);
	CU_ASSERT_EQUAL(e.crec.rejected, 2);
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.rejected, 3));
	CU_ASSERT_EQUAL(e.crec.status, -ECANCELED);
	vg_ep_put(ep);
	e.client = NULL;
	env_close(&e);
}

static void test_peer_close(void)
{
	struct env e;
	env_open(&e);
	CU_ASSERT_EQUAL_FATAL(env_listen(&e, "127.0.0.1"), 0);
	env_connect(&e, "127.0.0.1");
	uint8_t region[256], dst[3][16];
	struct vg_mr *mr = NULL;
	CU_ASSERT_EQUAL_FATAL(vg_xprt_mem_register(e.x, region, sizeof(region), &mr), 0);
	struct vg_rkey rkey;
	vg_mr_rkey(mr, &rkey);
	/* reads in flight when the server goes: they fail before DISCONNECTED */
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(vg_ep_read(e.client, &rkey, 0, dst[i], 16, NULL), 0);
	struct vg_ep *s = e.lrec.conns[0];
	vg_ep_close(s);
	vg_ep_close(s);
	CU_ASSERT_EQUAL(e.srec.disconnected, 0); /* delivered from the loop, not from close */
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.disconnected, 1));
	CU_ASSERT_TRUE(wait_for(&e, &e.srec.disconnected, 1));
	CU_ASSERT_STRING_EQUAL(e.crec.log, "CrrrD");
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(e.crec.read_status[i], -ECONNRESET);
	CU_ASSERT_EQUAL(e.srec.status, 0);
	/* the server closed with requests unread, so the client may see a reset or an EOF */
	CU_ASSERT(e.crec.status == 0 || e.crec.status == -ECONNRESET);
	CU_ASSERT_PTR_NOT_NULL(strstr(e.crec.reason, vg_ep_peer(e.client)));
	CU_ASSERT_STRING_EQUAL(e.srec.reason, "closed locally");
	CU_ASSERT_EQUAL(vg_ep_send(e.client, "x", 1), -ENOTCONN);
	for (int i = 0; i < 5; i++)
		vg_loop_run_once(e.loop, 0);
	CU_ASSERT_EQUAL(e.crec.disconnected, 1);
	CU_ASSERT_EQUAL(e.srec.disconnected, 1);
	vg_xprt_mem_deregister(e.x, mr);
	env_close(&e);
}

/* A peer that does not read: past max_queued the send fails and the connection goes. */
static void test_send_queue_limit(void)
{
	struct env e;
	env_open(&e);
	CU_ASSERT_EQUAL_FATAL(env_listen(&e, "127.0.0.1"), 0);
	env_connect(&e, "127.0.0.1");
	e.x->max_queued = 1u << 20;
	size_t len = 512u << 10;
	uint8_t *buf = calloc(1, len);
	int rc = 0, sent = 0;
	/* the server's loop does not run, so nothing is read; kernel buffers fill first */
	while (rc == 0 && sent < 400) {
		rc = vg_ep_send(e.client, buf, len);
		sent++;
	}
	CU_ASSERT_EQUAL(rc, -ENOBUFS);
	CU_ASSERT_FALSE(vg_ep_connected(e.client));
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.disconnected, 1));
	CU_ASSERT_EQUAL(e.crec.status, -ENOBUFS);
	free(buf);
	env_close(&e);
}

/* ------------------------------------------------------------------ hostile peers */

static int count_lines(const char *path, const char *needle)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	char line[1024];
	int n = 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, needle))
			n++;
	fclose(f);
	return n;
}

static void test_hostile_clients(void)
{
	char logpath[] = "/tmp/vigil-test-sock-log-XXXXXX";
	int logfd = mkstemp(logpath);
	CU_ASSERT_FATAL(logfd >= 0);
	close(logfd);
	enum vg_log_level saved_level = vg_log_get_level();
	CU_ASSERT_EQUAL_FATAL(vg_log_open(logpath, NULL), 0);
	vg_log_set_level(VG_LOG_WARNING);
	struct env e;
	env_open(&e);
	CU_ASSERT_EQUAL_FATAL(env_listen(&e, NULL), 0);
	env_connect(&e, "127.0.0.1");
	uint16_t port = vg_ep_port(e.listener);

	/* an HTTP client */
	int fd = raw_connect(port);
	const char *http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	CU_ASSERT_EQUAL(send(fd, http, strlen(http), 0), (ssize_t)strlen(http));
	CU_ASSERT_TRUE(dropped(&e, fd));
	close(fd);

	/* a HELLO with the wrong magic */
	uint8_t msg[64];
	frame(msg, 1, 16);
	memcpy(msg + 16, "LDMSSOCK\x01\0\0\0\0\0\0\x01", 16);
	fd = raw_connect(port);
	CU_ASSERT_EQUAL(send(fd, msg, 32, 0), 32);
	CU_ASSERT_TRUE(dropped(&e, fd));
	close(fd);
	/* neither reached the application */
	CU_ASSERT_EQUAL(e.lrec.accepted, 1);

	/* from here on a valid HELLO makes a vigil peer (ACCEPTED), dropped at its bad frame */
	/* a message header claiming 4 GiB */
	memcpy(msg + 16, "VIGILSK1", 8);
	frame(msg + 32, 2, 0xfffffff0u);
	fd = raw_connect(port);
	CU_ASSERT_EQUAL(send(fd, msg, 48, 0), 48);
	CU_ASSERT_TRUE(dropped(&e, fd));
	close(fd);

	/* a READ response nobody asked for */
	frame(msg + 32, 4, 8);
	memset(msg + 48, 0, 8);
	fd = raw_connect(port);
	CU_ASSERT_EQUAL(send(fd, msg, 56, 0), 56);
	CU_ASSERT_TRUE(dropped(&e, fd));
	close(fd);

	/* a READ request of the wrong size */
	frame(msg + 32, 3, 4);
	fd = raw_connect(port);
	CU_ASSERT_EQUAL(send(fd, msg, 52, 0), 52);
	CU_ASSERT_TRUE(dropped(&e, fd));
	close(fd);

	/* each was dropped after its HELLO: accepted, then disconnected with -EPROTO */
	CU_ASSERT_EQUAL(e.lrec.accepted, 4);
	CU_ASSERT_TRUE(wait_for(&e, &e.srec.disconnected, 3));
	CU_ASSERT_EQUAL(e.srec.status, -EPROTO);
	/* five bad clients, one log line: the rest are counted by the listener's complaint */
	CU_ASSERT_EQUAL(count_lines(logpath, "dropping connection from 127.0.0.1:"), 1);
	CU_ASSERT_EQUAL(count_lines(logpath, "not a vigil sock peer"), 1);
	vg_log_open(NULL, NULL);
	vg_log_set_level(saved_level);
	unlink(logpath);

	/* the well-behaved client still works */
	CU_ASSERT_EQUAL(vg_ep_send(e.client, "still here", 10), 0);
	CU_ASSERT_TRUE(wait_for(&e, &e.srec.recv, 1));
	CU_ASSERT_EQUAL(e.srec.msg_len, 10);
	CU_ASSERT_EQUAL(vg_ep_send(e.lrec.conns[0], "ok", 2), 0);
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.recv, 1));
	env_close(&e);
}

/* ------------------------------------------------------------------ addresses */

static void test_ipv6(void)
{
	struct env e;
	env_open(&e);
	if (env_listen(&e, "::1") < 0) {
		printf("\n  NOTE: IPv6 case skipped: %s\n", listen_err.msg);
		env_close(&e);
		return;
	}
	char want[64];
	snprintf(want, sizeof(want), "[::1]:%u", vg_ep_port(e.listener));
	CU_ASSERT_STRING_EQUAL(vg_ep_local(e.listener), want);
	env_connect(&e, "::1");
	CU_ASSERT_STRING_EQUAL(vg_ep_peer(e.client), want);
	CU_ASSERT_EQUAL(strncmp(vg_ep_peer(e.lrec.conns[0]), "[::1]:", 6), 0);
	CU_ASSERT_EQUAL(vg_ep_send(e.client, "v6", 2), 0);
	CU_ASSERT_TRUE(wait_for(&e, &e.srec.recv, 1));
	env_close(&e);
}

/* A listener on every address serves IPv4 clients and names them as IPv4. */
static void test_any_address(void)
{
	struct env e;
	env_open(&e);
	CU_ASSERT_EQUAL_FATAL(env_listen(&e, ""), 0);
	env_connect(&e, "127.0.0.1");
	CU_ASSERT_EQUAL(strncmp(vg_ep_peer(e.lrec.conns[0]), "127.0.0.1:", 10), 0);
	env_close(&e);
}

static void test_unix(void)
{
	char dir[] = "/tmp/vigil-test-sock-XXXXXX";
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof(path), "%s/ldmsd.sock", dir);
	struct env e;
	env_open(&e);
	CU_ASSERT_EQUAL_FATAL(env_listen(&e, path), 0);
	struct stat st;
	CU_ASSERT_EQUAL_FATAL(stat(path, &st), 0);
	CU_ASSERT_TRUE(S_ISSOCK(st.st_mode));
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
	CU_ASSERT_STRING_EQUAL(vg_ep_local(e.listener), path);
	CU_ASSERT_EQUAL(vg_ep_port(e.listener), 0);

	/* a second listener on a live path is refused */
	struct vg_err err = {0};
	struct vg_ep *other = vg_ep_new(e.x, on_event, &e.lrec);
	CU_ASSERT_EQUAL(vg_ep_listen(other, path, 0, &err), -EADDRINUSE);
	vg_ep_put(other);

	env_connect(&e, path);
	CU_ASSERT_STRING_EQUAL(vg_ep_peer(e.lrec.conns[0]), "unix");
	CU_ASSERT_EQUAL(vg_ep_send(e.client, "unix", 4), 0);
	CU_ASSERT_TRUE(wait_for(&e, &e.srec.recv, 1));
	CU_ASSERT_EQUAL(memcmp(e.srec.msg, "unix", 4), 0);
	env_close(&e);
	CU_ASSERT_NOT_EQUAL(access(path, F_OK), 0); /* removed at close */

	/* a stale socket file (its process gone) is replaced */
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	vg_strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	CU_ASSERT_EQUAL(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	close(fd);
	env_open(&e);
	CU_ASSERT_EQUAL(env_listen(&e, path), 0);
	env_close(&e);

	/* a regular file is not ours to remove */
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	env_open(&e);
	CU_ASSERT_EQUAL(env_listen(&e, path), -EEXIST);
	CU_ASSERT_PTR_NOT_NULL(strstr(listen_err.msg, "not a socket"));
	env_close(&e);
	unlink(path);
	rmdir(dir);
}

static void test_parse_endpoint(void)
{
	static const struct {
		const char *spec;
		int rc;
		const char *xprt;
		uint16_t port;
		const char *host;
	} cases[] = {
		{"sock:411", 0, "sock", 411, ""},
		{"sock:411:localhost", 0, "sock", 411, "localhost"},
		{"sock:411:::1", 0, "sock", 411, "::1"},
		{"sock:411:[::1]", 0, "sock", 411, "::1"},
		{"rdma:10001:192.168.1.5", 0, "rdma", 10001, "192.168.1.5"},
		{"sock:0", 0, "sock", 0, ""},
		{"sock:65535:/run/ldmsd.sock", 0, "sock", 65535, "/run/ldmsd.sock"},
		{"sock", -EINVAL, NULL, 0, NULL},
		{"sock:", -EINVAL, NULL, 0, NULL},
		{"sock::localhost", -EINVAL, NULL, 0, NULL},
		{"sock:abc", -EINVAL, NULL, 0, NULL},
		{"sock:65536", -EINVAL, NULL, 0, NULL},
		{"sock:-1", -EINVAL, NULL, 0, NULL},
		{"sock:411x", -EINVAL, NULL, 0, NULL},
		{":411", -EINVAL, NULL, 0, NULL},
		{"sock:411:[::1", -EINVAL, NULL, 0, NULL},
		{"sock:411:[]", -EINVAL, NULL, 0, NULL},
	};
	for (size_t i = 0; i < VG_ARRAY_LEN(cases); i++) {
		char xprt[16] = "", host[64] = "";
		uint16_t port = 1;
		struct vg_err err = {0};
		int rc = vg_xprt_parse_endpoint(cases[i].spec, xprt, sizeof(xprt), &port, host,
						sizeof(host), &err);
		CU_ASSERT_EQUAL(rc, cases[i].rc);
		if (rc != cases[i].rc)
			printf("\n  case '%s': rc %d\n", cases[i].spec, rc);
		if (rc == 0 && cases[i].rc == 0) {
			CU_ASSERT_STRING_EQUAL(xprt, cases[i].xprt);
			CU_ASSERT_EQUAL(port, cases[i].port);
			CU_ASSERT_STRING_EQUAL(host, cases[i].host);
		} else if (rc < 0) {
			char want[128];
			snprintf(want, sizeof(want), "bad endpoint '%s': expected XPRT:PORT[:HOST]",
				 cases[i].spec);
			CU_ASSERT_STRING_EQUAL(err.msg, want);
		}
	}
	/* a host longer than the caller's buffer */
	char xprt[16], host[4];
	uint16_t port;
	CU_ASSERT_EQUAL(vg_xprt_parse_endpoint("sock:1:localhost", xprt, sizeof(xprt), &port, host,
					       sizeof(host), NULL), -EINVAL);
}

static const char *fmt6(const char *text, uint16_t port)
{
	static char buf[80];
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons(port);
	CU_ASSERT_EQUAL_FATAL(inet_pton(AF_INET6, text, &in6->sin6_addr), 1);
	sock_format_addr(&ss, buf, sizeof(buf));
	return buf;
}

/* Our own address formatting (no inet_ntop in the daemon) against RFC 5952 and glibc. */
static void test_format_addr(void)
{
	CU_ASSERT_STRING_EQUAL(fmt6("::1", 411), "[::1]:411");
	CU_ASSERT_STRING_EQUAL(fmt6("::", 0), "[::]:0");
	CU_ASSERT_STRING_EQUAL(fmt6("2001:db8::1", 5), "[2001:db8::1]:5");
	CU_ASSERT_STRING_EQUAL(fmt6("2001:db8:0:0:1:0:0:1", 5), "[2001:db8::1:0:0:1]:5");
	CU_ASSERT_STRING_EQUAL(fmt6("2001:0db8:0:1:1:1:1:1", 5), "[2001:db8:0:1:1:1:1:1]:5");
	CU_ASSERT_STRING_EQUAL(fmt6("1::", 5), "[1::]:5");
	CU_ASSERT_STRING_EQUAL(fmt6("fe80::1:0:0:0", 5), "[fe80::1:0:0:0]:5"); /* a tie: the first run */
	CU_ASSERT_STRING_EQUAL(fmt6("fe80:0:0:1::", 5), "[fe80:0:0:1::]:5");
	CU_ASSERT_STRING_EQUAL(fmt6("::ffff:10.1.2.3", 7), "10.1.2.3:7");
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	in->sin_family = AF_INET;
	in->sin_port = htons(65535);
	in->sin_addr.s_addr = htonl(0xc0a80001);
	char buf[64];
	sock_format_addr(&ss, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "192.168.0.1:65535");

	/* random addresses with runs of zero groups print as glibc's inet_ntop does */
	srand(99);
	for (int iter = 0; iter < 20000; iter++) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		memset(&ss, 0, sizeof(ss));
		a->sin6_family = AF_INET6;
		for (int g = 0; g < 8; g++) {
			uint16_t v = rand() % 3 ? 0 : (uint16_t)rand();
			a->sin6_addr.s6_addr[2 * g] = (uint8_t)(v >> 8);
			a->sin6_addr.s6_addr[2 * g + 1] = (uint8_t)v;
		}
		/* glibc writes ::a.b.c.d forms for addresses starting with 5-6 zero groups */
		bool v4ish = true;
		for (int b = 0; b < 10; b++)
			v4ish &= a->sin6_addr.s6_addr[b] == 0;
		if (v4ish)
			continue;
		char want[64], ip[INET6_ADDRSTRLEN];
		inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
		snprintf(want, sizeof(want), "[%s]:0", ip);
		sock_format_addr(&ss, buf, sizeof(buf));
		if (strcmp(want, buf) != 0)
			fprintf(stderr, "formatted %s, inet_ntop says %s\n", buf, want);
		CU_ASSERT_STRING_EQUAL(buf, want);
	}
}

static const struct cu_test tests[] = {
	{"address strings (RFC 5952, as inet_ntop)", test_format_addr},
	{"connect, accept and handshake", test_handshake},
	{"messages both ways, empty and several MiB", test_messages},
	{"many small messages arrive in order", test_many_small},
	{"one-sided reads: contents, -ERANGE, -ENOENT, many in flight", test_read},
	{"connect failures: refused, unresolvable, canceled", test_connect_refused},
	{"peer close: pending reads fail, then DISCONNECTED once", test_peer_close},
	{"a peer that does not read: -ENOBUFS past max_queued", test_send_queue_limit},
	{"hostile clients dropped, a good client unaffected", test_hostile_clients},
	{"IPv6 on ::1", test_ipv6},
	{"listening on every address serves IPv4", test_any_address},
	{"UNIX socket: mode 0600, stale file, removal", test_unix},
	{"vg_xprt_parse_endpoint", test_parse_endpoint},
	{NULL, NULL},
};

CU_MAIN("sock", tests)
