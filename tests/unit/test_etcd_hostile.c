/*
 * test_etcd_hostile.c - the etcd client against a fake server's replies:
 * truncated, not HTTP, not JSON, not etcd's JSON, oversized, badly framed,
 * etcd's error replies, silence.  Each must give the documented error (and
 * never a crash or an over-read: run under ASan), and the same handle must
 * work again with the next good reply.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "balancer/etcd.h"
#include "tests/unit/etcd_fixture.h"

#define GOOD_RANGE \
	"{\"header\":{\"revision\":\"5\"},\"kvs\":[{\"key\":\"aw==\",\"create_revision\":\"2\"," \
	"\"mod_revision\":\"5\",\"version\":\"1\",\"value\":\"dg==\"}],\"count\":\"1\"}"
#define CAP 65536

enum op { OP_GET, OP_PUT, OP_KEEPALIVE };

/* A reply with a status line, extra headers and a Content-Length body. */
static char *reply(const char *status, const char *headers, const char *body)
{
	char *out = NULL;
	if (asprintf(&out, "HTTP/1.1 %s\r\n%sContent-Length: %zu\r\n\r\n%s", status, headers,
		     strlen(body), body) < 0)
		return NULL;
	return out;
}

static int run_op(struct vg_etcd *e, enum op op, struct vg_err *err)
{
	char buf[16];
	size_t len = sizeof(buf);
	unsigned ttl;
	switch (op) {
	case OP_GET:
		return vg_etcd_get(e, "k", buf, &len, NULL, err);
	case OP_PUT:
		return vg_etcd_put(e, "k", "v", 1, 0, err);
	default:
		return vg_etcd_lease_keepalive(e, 42, &ttl, err);
	}
}

/* The handle works again: a good reply on a kept-alive connection. */
static void check_recovers(struct fake_http *f, struct vg_etcd *e, const char *name)
{
	char *good = reply("200 OK", "", GOOD_RANGE);
	fake_script(f, good, strlen(good), false);
	free(good);
	struct vg_err err = {0};
	char buf[16];
	size_t len = sizeof(buf);
	int64_t rev = 0;
	int rc = vg_etcd_get(e, "k", buf, &len, &rev, &err);
	if (rc != 0)
		fprintf(stderr, "after '%s': %s\n", name, err.msg);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(len, 1);
	CU_ASSERT_EQUAL(buf[0], 'v');
	CU_ASSERT_EQUAL(rev, 5);
}

static void expect(struct fake_http *f, struct vg_etcd *e, const char *name, const char *bytes,
		   size_t len, bool close_after, enum op op, int want, const char *msg)
{
	fake_script(f, bytes, len, close_after);
	struct vg_err err = {0};
	int rc = run_op(e, op, &err);
	if (getenv("VIGIL_TEST_VERBOSE"))
		printf("\n    %-24s %d %s", name, rc, err.msg);
	if (rc != want || (msg && !strstr(err.msg, msg)))
		fprintf(stderr, "case '%s': got %d '%s', want %d '%s'\n", name, rc, err.msg, want,
			msg ? msg : "");
	CU_ASSERT_EQUAL(rc, want);
	if (want < 0) {
		CU_ASSERT_EQUAL(err.code, -want);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, f->endpoint));
		if (msg)
			CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, msg));
	}
	check_recovers(f, e, name);
}

/* A reply made by reply(), checked, freed. */
static void expect_reply(struct fake_http *f, struct vg_etcd *e, const char *name,
			 const char *status, const char *headers, const char *body, enum op op,
			 int want, const char *msg)
{
	char *r = reply(status, headers, body);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	expect(f, e, name, r, strlen(r), false, op, want, msg);
	free(r);
}

#define RAW(name, text, close, op, want, msg) \
	expect(&f, e, name, text, sizeof(text) - 1, close, op, want, msg)

static struct vg_etcd *open_fake(struct fake_http *f, unsigned timeout_ms)
{
	struct vg_err err = {0};
	struct vg_etcd *e = vg_etcd_open(f->endpoint, timeout_ms, &err);
	if (e)
		vg_etcd_set_max_reply(e, CAP);
	return e;
}

void test_hostile(void)
{
	struct fake_http f;
	CU_ASSERT_TRUE_FATAL(fake_start(&f));
	struct vg_etcd *e = open_fake(&f, 2000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	check_recovers(&f, e, "start");

	/* cut short */
	RAW("truncated body", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"header\":", true,
	    OP_GET, -ECONNRESET, "middle of the reply");
	RAW("truncated headers", "HTTP/1.1 200 OK\r\nContent-Le", true, OP_GET, -ECONNRESET,
	    "middle of the reply");
	RAW("closed without a reply", "", true, OP_GET, -ECONNRESET, "before any reply");
	RAW("truncated chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n40\r\n{\"he",
	    true, OP_GET, -ECONNRESET, NULL);

	/* not HTTP, or HTTP badly framed */
	RAW("not HTTP", "SSH-2.0-OpenSSH_9.2p1\r\n\r\n", false, OP_GET, -EPROTO,
	    "bad HTTP reply: status line 'SSH-2.0-OpenSSH_9.2p1'");
	RAW("bad status", "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n", false, OP_GET, -EPROTO,
	    NULL);
	RAW("HTTP/2 status", "HTTP/2 200\r\n\r\n", false, OP_GET, -EPROTO, NULL);
	RAW("folded header", "HTTP/1.1 200 OK\r\nX-A: b\r\n folded\r\nContent-Length: 0\r\n\r\n",
	    false, OP_GET, -EPROTO, NULL);
	RAW("negative length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", false, OP_GET,
	    -EPROTO, NULL);
	RAW("20-digit length", "HTTP/1.1 200 OK\r\nContent-Length: 18446744073709551617\r\n\r\n",
	    false, OP_GET, -EPROTO, "Content-Length: 1844");
	RAW("two lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
	    false, OP_GET, -EPROTO, "two different");
	RAW("length and chunked",
	    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}", false,
	    OP_GET, -EPROTO, NULL);
	RAW("gzip", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", false, OP_GET, -EPROTO,
	    "unsupported 'Transfer-Encoding: gzip'");
	RAW("bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n",
	    false, OP_GET, -EPROTO, "chunk size 'zz'");
	RAW("chunk without CRLF",
	    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}xx\r\n0\r\n\r\n", false,
	    OP_GET, -EPROTO, "no CRLF after a chunk");

	/* oversized */
	RAW("huge length", "HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n{", false,
	    OP_GET, -EMSGSIZE, "body over the limit");
	RAW("huge chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "fffffffffffffffffff\r\n{", false, OP_GET, -EMSGSIZE, NULL);
	size_t big = 3 * 30000 + 512;
	char *chunks = malloc(big);
	CU_ASSERT_PTR_NOT_NULL_FATAL(chunks);
	size_t n = (size_t)sprintf(chunks, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
	for (int i = 0; i < 3; i++) {
		n += (size_t)sprintf(chunks + n, "7530\r\n");
		memset(chunks + n, 'a', 30000);
		n += 30000;
		n += (size_t)sprintf(chunks + n, "\r\n");
	}
	n += (size_t)sprintf(chunks + n, "0\r\n\r\n");
	expect(&f, e, "chunks over the cap", chunks, n, false, OP_GET, -EMSGSIZE,
	       "body over the limit");
	free(chunks);
	size_t hdr = 70000;
	char *head = malloc(hdr + 64);
	CU_ASSERT_PTR_NOT_NULL_FATAL(head);
	n = (size_t)sprintf(head, "HTTP/1.1 200 OK\r\n");
	while (n < hdr)
		n += (size_t)sprintf(head + n, "X-Junk: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n");
	expect(&f, e, "endless header", head, n, false, OP_GET, -EMSGSIZE, "header over the limit");
	free(head);

	/* HTTP, but not etcd's JSON */
	expect_reply(&f, e, "bad JSON", "200 OK", "", "{\"header\":{}", OP_GET, -EPROTO,
		     "not etcd's JSON");
	expect_reply(&f, e, "HTML", "200 OK", "", "<html>hello</html>", OP_GET, -EPROTO, "<html>");
	expect_reply(&f, e, "empty body", "200 OK", "", "", OP_GET, -EPROTO, NULL);
	expect_reply(&f, e, "no header", "200 OK", "", "{}", OP_GET, -EPROTO, "'header'");
	expect_reply(&f, e, "kvs not an array", "200 OK", "", "{\"header\":{},\"kvs\":{\"a\":1}}",
		     OP_GET, -EPROTO, "'kvs'");
	expect_reply(&f, e, "kv without revisions", "200 OK", "",
		     "{\"header\":{},\"kvs\":[{\"key\":\"aw==\",\"value\":\"dg==\"}]}", OP_GET,
		     -EPROTO, "revision");
	expect_reply(&f, e, "revision not a number", "200 OK", "",
		     "{\"header\":{},\"kvs\":[{\"key\":\"aw==\",\"value\":\"dg==\","
		     "\"create_revision\":\"1\",\"mod_revision\":\"x1\"}]}",
		     OP_GET, -EPROTO, "mod_revision");
	expect_reply(&f, e, "value not base64", "200 OK", "",
		     "{\"header\":{},\"kvs\":[{\"key\":\"aw==\",\"value\":\"d*==\","
		     "\"create_revision\":\"1\",\"mod_revision\":\"1\"}]}",
		     OP_GET, -EPROTO, "base64");
	expect_reply(&f, e, "value not a string", "200 OK", "",
		     "{\"header\":{},\"kvs\":[{\"key\":\"aw==\",\"value\":5,"
		     "\"create_revision\":\"1\",\"mod_revision\":\"1\"}]}",
		     OP_GET, -EPROTO, "value");
	expect_reply(&f, e, "another key", "200 OK", "",
		     "{\"header\":{},\"kvs\":[{\"key\":\"bm90\",\"value\":\"dg==\","
		     "\"create_revision\":\"1\",\"mod_revision\":\"1\"}]}",
		     OP_GET, -EPROTO, "another key");
	char deep[5001];
	memset(deep, '[', sizeof(deep) - 1);
	deep[sizeof(deep) - 1] = '\0';
	expect_reply(&f, e, "deep nesting", "200 OK", "", deep, OP_GET, -EPROTO, NULL);
	static const char nul_body[] = "HTTP/1.1 200 OK\r\nContent-Length: 14\r\n\r\n{\"header\":{}\0}";
	expect(&f, e, "NUL in JSON", nul_body, sizeof(nul_body) - 1, false, OP_GET, -EPROTO, NULL);

	/* etcd's own errors and other statuses */
	expect_reply(&f, e, "etcd 503", "503 Service Unavailable", "",
		     "{\"error\":\"etcdserver: request timed out\",\"message\":\"etcdserver: "
		     "request timed out\",\"code\":14}", OP_PUT, -EAGAIN, "request timed out");
	expect_reply(&f, e, "etcd 400", "400 Bad Request", "",
		     "{\"error\":\"etcdserver: key is not provided\",\"code\":3}", OP_PUT, -EINVAL,
		     "key is not provided");
	expect_reply(&f, e, "error field in a 200", "200 OK", "",
		     "{\"header\":{},\"error\":\"boom\"}", OP_PUT, -EIO, "boom");
	expect_reply(&f, e, "plain 404", "404 Not Found", "", "404 page not found", OP_GET,
		     -EPROTO, "HTTP 404");
	expect_reply(&f, e, "plain 503", "503 Service Unavailable", "", "busy", OP_GET, -EIO,
		     "HTTP 503");
	RAW("stream error", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
	    "46\r\n{\"error\":{\"grpc_code\":5,\"http_code\":404,\"message\":\"lease not found\"}}\n\r\n"
	    "0\r\n\r\n", false, OP_KEEPALIVE, -ENOENT, "lease not found");

	/* odd but valid */
	char *interim = NULL;
	CU_ASSERT(asprintf(&interim, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"
			   "Content-Length: %zu\r\n\r\n%s", strlen(GOOD_RANGE), GOOD_RANGE) > 0);
	expect(&f, e, "1xx first", interim, strlen(interim), false, OP_GET, 0, NULL);
	free(interim);
	char *until_close = NULL;
	CU_ASSERT(asprintf(&until_close, "HTTP/1.0 200 OK\r\n\r\n%s", GOOD_RANGE) > 0);
	expect(&f, e, "HTTP/1.0 until close", until_close, strlen(until_close), true, OP_GET, 0,
	       NULL);
	free(until_close);
	char *trailing = reply("200 OK", "", GOOD_RANGE);
	char *garbage = NULL;
	CU_ASSERT(asprintf(&garbage, "%sHTTP/1.1 200 OK\r\n\r\n", trailing) > 0);
	expect(&f, e, "bytes after the reply", garbage, strlen(garbage), false, OP_GET, 0, NULL);
	free(trailing);
	free(garbage);

	/* a lost reply: reads are repeated on a new connection, writes are not */
	int req0, acc0, req1, acc1;
	check_recovers(&f, e, "before lost reply");
	fake_counts(&f, &req0, &acc0);
	RAW("lost write", "", true, OP_PUT, -ECONNRESET, "the write may have been applied");
	fake_counts(&f, &req1, &acc1);
	CU_ASSERT_EQUAL(req1 - req0, 2);  /* the put, then check_recovers' get */
	check_recovers(&f, e, "before lost read");
	fake_counts(&f, &req0, &acc0);
	RAW("lost read", "", true, OP_GET, -ECONNRESET, "before any reply");
	fake_counts(&f, &req1, &acc1);
	CU_ASSERT_EQUAL(req1 - req0, 3);  /* the get twice, then check_recovers' get */

	/* good replies share one connection */
	fake_counts(&f, &req0, &acc0);
	for (int i = 0; i < 5; i++)
		check_recovers(&f, e, "keep-alive");
	fake_counts(&f, &req1, &acc1);
	CU_ASSERT_EQUAL(req1 - req0, 5);
	CU_ASSERT_EQUAL(acc1 - acc0, 0);

	vg_etcd_close(e);
	fake_stop(&f);
}

/*
 * Good replies with bytes flipped, inserted or cut, served once each and
 * closed: every call returns 0 or an error with a message, and ASan sees
 * no read outside the buffers.  A fixed seed keeps failures reproducible.
 */
void test_fuzz(void)
{
	struct fake_http f;
	CU_ASSERT_TRUE_FATAL(fake_start(&f));
	struct vg_etcd *e = open_fake(&f, 2000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	char *plain = reply("200 OK", "", GOOD_RANGE);
	char *chunked = NULL;
	CU_ASSERT_FATAL(asprintf(&chunked, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
				 "%zx\r\n%s\r\n0\r\nX-T: 1\r\n\r\n", strlen(GOOD_RANGE),
				 GOOD_RANGE) > 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(plain);
	const char *seeds[] = {plain, chunked};
	unsigned state = 12345;
	int ok = 0, failed = 0;
	char buf[512];
	for (int i = 0; i < 400; i++) {
		const char *seed = seeds[i % 2];
		size_t len = strlen(seed);
		memcpy(buf, seed, len);
		for (int m = 0; m < 1 + i % 4; m++) {
			state = state * 1103515245 + 12345;
			size_t at = (state >> 8) % len;
			switch ((state >> 4) % 4) {
			case 0:  /* flip */
				buf[at] = (char)(state >> 16);
				break;
			case 1:  /* cut */
				len = at;
				break;
			case 2:  /* a structural byte somewhere */
				buf[at] = "{}[]\",:\\\r\n0"[(state >> 16) % 11];
				break;
			default:  /* duplicate a stretch */
				if (len + 8 < sizeof(buf) && at + 8 <= len) {
					memmove(buf + at + 8, buf + at, len - at);
					len += 8;
				}
			}
			if (len == 0)
				break;
		}
		fake_script(&f, buf, len, true);
		struct vg_err err = {0};
		char value[16];
		size_t vlen = sizeof(value);
		int rc = vg_etcd_get(e, "k", value, &vlen, NULL, &err);
		CU_ASSERT(rc <= 0);
		if (rc < 0) {
			CU_ASSERT_EQUAL(err.code, -rc);
			CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, f.endpoint));
			failed++;
		} else {
			CU_ASSERT(vlen <= sizeof(value));
			ok++;
		}
	}
	CU_ASSERT(failed > 100);  /* the mutations do bite */
	CU_ASSERT(ok > 0);        /* and some leave a valid reply */
	free(plain);
	free(chunked);
	vg_etcd_close(e);
	fake_stop(&f);
}

void test_chunked(void)
{
	struct fake_http f;
	CU_ASSERT_TRUE_FATAL(fake_start(&f));
	struct vg_etcd *e = open_fake(&f, 2000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	/* a range reply in three chunks (one with an extension), then trailers */
	const char *body = GOOD_RANGE;
	size_t len = strlen(body), a = 10, b = 50;
	char *r = NULL;
	CU_ASSERT(asprintf(&r, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
			   "Trailer: Grpc-Trailer-Content-Type\r\n\r\n"
			   "%zx\r\n%.*s\r\n%zX;ext=1\r\n%.*s\r\n%zx\r\n%s\r\n0\r\n"
			   "Grpc-Trailer-Content-Type: application/grpc\r\n\r\n",
			   a, (int)a, body, b, (int)b, body + a, len - a - b, body + a + b) > 0);
	expect(&f, e, "chunked range", r, strlen(r), false, OP_GET, 0, NULL);
	free(r);

	/* etcd's keepalive: one streamed message in a "result" */
	struct vg_err err = {0};
	static const char alive[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		"3b\r\n{\"result\":{\"header\":{\"revision\":\"9\"},\"ID\":\"42\",\"TTL\":\"7\"}}\n\r\n"
		"0\r\n\r\n";
	fake_script(&f, alive, sizeof(alive) - 1, false);
	unsigned ttl = 0;
	CU_ASSERT_EQUAL(vg_etcd_lease_keepalive(e, 42, &ttl, &err), 0);
	CU_ASSERT_EQUAL(ttl, 7);
	static const char expired[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		"31\r\n{\"result\":{\"header\":{\"revision\":\"9\"},\"ID\":\"42\"}}\n\r\n0\r\n\r\n";
	fake_script(&f, expired, sizeof(expired) - 1, false);
	CU_ASSERT_EQUAL(vg_etcd_lease_keepalive(e, 42, &ttl, &err), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "lease 2a has expired"));
	vg_etcd_close(e);
	fake_stop(&f);
}

void test_silent(void)
{
	struct fake_http f;
	CU_ASSERT_TRUE_FATAL(fake_start(&f));
	struct vg_etcd *e = open_fake(&f, 300);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	fake_script(&f, NULL, 0, false);
	struct vg_err err = {0};
	char buf[16];
	size_t len = sizeof(buf);
	uint64_t t0 = vg_mono_us();
	CU_ASSERT_EQUAL(vg_etcd_get(e, "k", buf, &len, NULL, &err), -ETIMEDOUT);
	uint64_t took = vg_mono_us() - t0;
	CU_ASSERT(took >= 290000 && took < 3000000);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "no reply"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "300 ms"));
	check_recovers(&f, e, "silence");
	vg_etcd_close(e);
	fake_stop(&f);
}
