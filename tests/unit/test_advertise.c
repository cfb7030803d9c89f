/*
 * test_advertise.c - advertisement: the ADVERTISE / ADVERTISE_REPLY codec
 * against hostile input, the CIDR matcher, and an advertiser and a
 * prdcr_listen in this process (an aggregator daemon and a sampler-like
 * daemon, each on its own loop, driven with vg_loop_run_once()): accepted,
 * refused with the reason, refused before authentication, and the status
 * commands' JSON.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/proto.h"
#include "core/setdir.h"
#include "core/wire.h"
#include "daemon/advertise.h"
#include "daemon/daemon.h"
#include "daemon/prdcr.h"
#include "daemon/server.h"
#include "tests/unit/cu_main.h"
#include "tests/unit/json_check.h"
#include "xprt/xprt.h"

/* ------------------------------------------------------------------ codec */

static const struct vg_advertise good_adv = {
	.producer = "adv-1", .host = "node-1.example", .port = 10001, .xprt = "sock"};

/* Parse body bytes (after the header) as an ADVERTISE. */
static int parse_adv_body(const void *p, size_t n, struct vg_advertise *a)
{
	struct vg_rbuf r;
	vg_rbuf_init(&r, p, n);
	return vg_proto_get_advertise(&r, a, NULL);
}

static void test_advertise_roundtrip(void)
{
	struct vg_wbuf w;
	vg_wbuf_init(&w, 4096);
	vg_proto_put_advertise(&w, 7, &good_adv);
	CU_ASSERT_EQUAL_FATAL(vg_msg_finish(&w), 0);
	struct vg_msg_hdr h;
	struct vg_rbuf body;
	struct vg_err err;
	CU_ASSERT_EQUAL_FATAL(vg_msg_parse(w.buf, w.len, &h, &body, &err), 0);
	CU_ASSERT_EQUAL(h.type, VG_MSG_ADVERTISE);
	CU_ASSERT_EQUAL(h.req_id, 7);
	CU_ASSERT_STRING_EQUAL(vg_msg_type_name(VG_MSG_ADVERTISE), "ADVERTISE");
	CU_ASSERT_STRING_EQUAL(vg_msg_type_name(VG_MSG_ADVERTISE_REPLY), "ADVERTISE_REPLY");
	struct vg_advertise a;
	CU_ASSERT_EQUAL_FATAL(vg_proto_get_advertise(&body, &a, &err), 0);
	CU_ASSERT_STRING_EQUAL(a.producer, "adv-1");
	CU_ASSERT_STRING_EQUAL(a.host, "node-1.example");
	CU_ASSERT_EQUAL(a.port, 10001);
	CU_ASSERT_STRING_EQUAL(a.xprt, "sock");
	/* the body is exactly: str, str, u16, str */
	CU_ASSERT_EQUAL(w.len, VG_MSG_HDR_SIZE + 2 + 5 + 2 + 14 + 2 + 2 + 4);

	/* every truncation is refused, and so is one trailing byte */
	const uint8_t *b = w.buf + VG_MSG_HDR_SIZE;
	size_t blen = w.len - VG_MSG_HDR_SIZE;
	for (size_t n = 0; n < blen; n++)
		CU_ASSERT_EQUAL(parse_adv_body(b, n, &a), -EPROTO);
	uint8_t longer[256];
	memcpy(longer, b, blen);
	longer[blen] = 0;
	CU_ASSERT_EQUAL(parse_adv_body(longer, blen + 1, &a), -EPROTO);
	CU_ASSERT_STRING_EQUAL(a.producer, ""); /* nothing half-parsed is left behind */
	vg_wbuf_free(&w);
}

/* Encode fields as given (no validation on this side), then parse. */
static int craft(const char *producer, size_t plen, const char *host, uint16_t port,
		 const char *xprt, struct vg_err *err)
{
	struct vg_wbuf w;
	vg_wbuf_init(&w, 1 << 17);
	vg_wbuf_u16(&w, (uint16_t)plen);
	vg_wbuf_bytes(&w, producer, plen);
	vg_wbuf_str(&w, host);
	vg_wbuf_u16(&w, port);
	vg_wbuf_str(&w, xprt);
	CU_ASSERT_FATAL(vg_wbuf_ok(&w));
	struct vg_rbuf r;
	vg_rbuf_init(&r, w.buf, w.len);
	struct vg_advertise a;
	vg_err_clear(err);
	int rc = vg_proto_get_advertise(&r, &a, err);
	vg_wbuf_free(&w);
	return rc;
}

static void test_advertise_hostile(void)
{
	struct vg_err err;
	CU_ASSERT_EQUAL(craft("adv-1", 5, "", 1, "sock", &err), 0); /* host may be empty */
	CU_ASSERT_EQUAL(craft("a\0b", 3, "h", 1, "sock", &err), -EPROTO);
	CU_ASSERT_EQUAL(craft("", 0, "h", 1, "sock", &err), -EPROTO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "producer name"));
	CU_ASSERT_EQUAL(craft("a/b", 3, "h", 1, "sock", &err), -EPROTO);
	CU_ASSERT_EQUAL(craft("a b", 3, "h", 1, "sock", &err), -EPROTO);
	CU_ASSERT_EQUAL(craft("a\nb", 3, "h", 1, "sock", &err), -EPROTO);
	char name[VG_PRODUCER_MAX + 2];
	memset(name, 'n', sizeof(name));
	CU_ASSERT_EQUAL(craft(name, VG_PRODUCER_MAX, "h", 1, "sock", &err), 0);
	CU_ASSERT_EQUAL(craft(name, VG_PRODUCER_MAX + 1, "h", 1, "sock", &err), -EPROTO);
	/* a u16 length far beyond the bytes present */
	uint8_t lie[8] = {0x60, 0xea, 'a', 'b', 'c', 'd', 'e', 'f'};
	struct vg_advertise parsed;
	CU_ASSERT_EQUAL(parse_adv_body(lie, sizeof(lie), &parsed), -EPROTO);
	CU_ASSERT_EQUAL(craft("p", 1, "h st", 1, "sock", &err), -EPROTO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "host"));
	CU_ASSERT_EQUAL(craft("p", 1, "/tmp/sock", 1, "sock", &err), -EPROTO);
	CU_ASSERT_EQUAL(craft("p", 1, "h\r\n", 1, "sock", &err), -EPROTO);
	CU_ASSERT_EQUAL(craft("p", 1, "fe80::1%eth0", 1, "sock", &err), 0);
	char host[400];
	memset(host, 'h', sizeof(host));
	host[VG_ADV_HOST_MAX] = '\0';
	CU_ASSERT_EQUAL(craft("p", 1, host, 1, "sock", &err), 0);
	host[VG_ADV_HOST_MAX] = 'h';
	host[VG_ADV_HOST_MAX + 1] = '\0';
	CU_ASSERT_EQUAL(craft("p", 1, host, 1, "sock", &err), -EPROTO);
	CU_ASSERT_EQUAL(craft("p", 1, "h", 0, "sock", &err), -EPROTO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "port 0"));
	CU_ASSERT_EQUAL(craft("p", 1, "h", 1, "", &err), -EPROTO);
	CU_ASSERT_EQUAL(craft("p", 1, "h", 1, "SOCK", &err), -EPROTO);
	CU_ASSERT_EQUAL(craft("p", 1, "h", 1, "a-b", &err), -EPROTO);
	CU_ASSERT_EQUAL(craft("p", 1, "h", 1, "abcdefghijklmnop", &err), -EPROTO);

	/* random bodies: refused, or a valid advertisement; never a read out of bounds */
	srand(8);
	for (int i = 0; i < 20000; i++) {
		uint8_t buf[64];
		size_t n = (size_t)(rand() % (int)sizeof(buf));
		for (size_t k = 0; k < n; k++)
			buf[k] = (uint8_t)rand();
		/* plausible lengths now and then, so that parsing gets past the first field */
		if (n > 2 && rand() % 2) {
			buf[0] = (uint8_t)(rand() % 8);
			buf[1] = 0;
		}
		struct vg_advertise a;
		uint8_t *copy = malloc(n ? n : 1); /* exact size: ASan sees any overrun */
		memcpy(copy, buf, n);
		int rc = parse_adv_body(copy, n, &a);
		free(copy);
		CU_ASSERT(rc == 0 || rc == -EPROTO);
		if (rc == 0)
			CU_ASSERT(vg_proto_advertise_valid(&a, NULL));
	}
}

static void test_reply_codec(void)
{
	struct vg_wbuf w;
	vg_wbuf_init(&w, 1 << 16);
	vg_proto_put_advertise_reply(&w, 1, -EACCES, "no\nlistener\x1b[31m here");
	CU_ASSERT_EQUAL_FATAL(vg_msg_finish(&w), 0);
	struct vg_msg_hdr h;
	struct vg_rbuf body;
	struct vg_err err;
	CU_ASSERT_EQUAL_FATAL(vg_msg_parse(w.buf, w.len, &h, &body, &err), 0);
	CU_ASSERT_EQUAL(h.type, VG_MSG_ADVERTISE_REPLY);
	int32_t status;
	char msg[VG_ADV_MSG_MAX + 1];
	CU_ASSERT_EQUAL_FATAL(vg_proto_get_advertise_reply(&body, &status, msg, sizeof(msg), &err),
			      0);
	CU_ASSERT_EQUAL(status, -EACCES);
	/* the peer's text cannot break our log lines */
	CU_ASSERT_STRING_EQUAL(msg, "no?listener?[31m here");

	/* a long reason is cut to VG_ADV_MSG_MAX bytes when sent */
	char big[3000];
	memset(big, 'r', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	vg_proto_put_advertise_reply(&w, 1, 0, big);
	CU_ASSERT_EQUAL_FATAL(vg_msg_finish(&w), 0);
	CU_ASSERT_EQUAL(w.len, VG_MSG_HDR_SIZE + 4 + 2 + VG_ADV_MSG_MAX);
	struct vg_rbuf r;
	vg_rbuf_init(&r, w.buf + VG_MSG_HDR_SIZE, w.len - VG_MSG_HDR_SIZE);
	CU_ASSERT_EQUAL(vg_proto_get_advertise_reply(&r, &status, msg, sizeof(msg), &err), 0);
	CU_ASSERT_EQUAL(strlen(msg), VG_ADV_MSG_MAX);

	/* a hostile one longer than that, truncated, with trailing bytes, or a NUL: refused */
	struct vg_wbuf raw;
	vg_wbuf_init(&raw, 1 << 16);
	vg_wbuf_u32(&raw, 0);
	vg_wbuf_u16(&raw, VG_ADV_MSG_MAX + 1);
	vg_wbuf_bytes(&raw, big, VG_ADV_MSG_MAX + 1);
	vg_rbuf_init(&r, raw.buf, raw.len);
	CU_ASSERT_EQUAL(vg_proto_get_advertise_reply(&r, &status, msg, sizeof(msg), &err), -EPROTO);
	CU_ASSERT_STRING_EQUAL(msg, "");
	vg_wbuf_reset(&raw);
	vg_wbuf_u32(&raw, 0);
	vg_wbuf_str(&raw, "ok");
	for (size_t n = 0; n < raw.len; n++) {
		vg_rbuf_init(&r, raw.buf, n);
		CU_ASSERT_EQUAL(vg_proto_get_advertise_reply(&r, &status, msg, sizeof(msg), &err),
				-EPROTO);
	}
	vg_wbuf_u8(&raw, 0);
	vg_rbuf_init(&r, raw.buf, raw.len);
	CU_ASSERT_EQUAL(vg_proto_get_advertise_reply(&r, &status, msg, sizeof(msg), &err), -EPROTO);
	vg_wbuf_reset(&raw);
	vg_wbuf_u32(&raw, 0);
	vg_wbuf_u16(&raw, 3);
	vg_wbuf_bytes(&raw, "a\0b", 3);
	vg_rbuf_init(&r, raw.buf, raw.len);
	CU_ASSERT_EQUAL(vg_proto_get_advertise_reply(&r, &status, msg, sizeof(msg), &err), -EPROTO);
	vg_wbuf_free(&raw);
	vg_wbuf_free(&w);
}

/* ------------------------------------------------------------------ CIDR */

static bool in(const char *cidr, const char *addr)
{
	struct adv_cidr c;
	struct vg_err err;
	CU_ASSERT_EQUAL_FATAL(adv_cidr_parse(cidr, &c, &err), 0);
	return adv_cidr_match(&c, addr);
}

static void test_cidr_parse(void)
{
	struct adv_cidr c;
	struct vg_err err;
	CU_ASSERT_EQUAL(adv_cidr_parse("10.0.0.0/8", &c, &err), 0);
	CU_ASSERT_EQUAL(c.family, 4);
	CU_ASSERT_EQUAL(c.bits, 8);
	CU_ASSERT_EQUAL(adv_cidr_parse("127.0.0.1", &c, &err), 0);
	CU_ASSERT_EQUAL(c.bits, 32);
	CU_ASSERT_EQUAL(adv_cidr_parse("::1/128", &c, &err), 0);
	CU_ASSERT_EQUAL(c.family, 6);
	CU_ASSERT_EQUAL(c.bits, 128);
	CU_ASSERT_EQUAL(c.addr[15], 1);
	/* host bits are cleared: 10.1.2.3/12 is 10.0.0.0/12 */
	CU_ASSERT_EQUAL(adv_cidr_parse("10.31.2.3/12", &c, &err), 0);
	CU_ASSERT_EQUAL(c.addr[0], 10);
	CU_ASSERT_EQUAL(c.addr[1], 16);
	CU_ASSERT_EQUAL(c.addr[2], 0);
	CU_ASSERT_EQUAL(c.addr[3], 0);
	static const char *const bad[] = {
		"", "/8", "10.0.0.0/", "10.0.0.0/33", "::1/129", "10.0.0/8", "10.0.0.256/8",
		"abc", "10.0.0.0/8x", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/08000",
		"10.0.0.0/8/8", "fe80::1%eth0/64", "1:2:3:4:5:6:7:8:9/64",
		"0123456789012345678901234567890123456789012345678901234567890123456789/8",
	};
	for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++) {
		vg_err_clear(&err);
		int rc = adv_cidr_parse(bad[i], &c, &err);
		if (rc != -EINVAL)
			fprintf(stderr, "accepted bad prefix '%s'\n", bad[i]);
		CU_ASSERT_EQUAL(rc, -EINVAL);
		/* the message names what was given */
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "ip="));
	}
	vg_err_clear(&err);
	adv_cidr_parse("10.0.0.0/33", &c, &err);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "10.0.0.0/33"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "0 to 32"));
}

static void test_cidr_match(void)
{
	CU_ASSERT_TRUE(in("10.0.0.0/8", "10.255.1.2"));
	CU_ASSERT_TRUE(in("10.0.0.0/8", "10.0.0.0"));
	CU_ASSERT_FALSE(in("10.0.0.0/8", "11.0.0.1"));
	CU_ASSERT_FALSE(in("10.0.0.0/8", "9.255.255.255"));
	CU_ASSERT_TRUE(in("127.0.0.1/32", "127.0.0.1"));
	CU_ASSERT_FALSE(in("127.0.0.1/32", "127.0.0.2"));
	CU_ASSERT_TRUE(in("127.0.0.0/8", "127.0.0.1"));
	CU_ASSERT_TRUE(in("172.16.0.0/12", "172.31.255.255"));
	CU_ASSERT_FALSE(in("172.16.0.0/12", "172.32.0.0"));
	CU_ASSERT_FALSE(in("172.16.0.0/12", "172.15.255.255"));
	CU_ASSERT_TRUE(in("0.0.0.0/0", "203.0.113.9"));
	CU_ASSERT_TRUE(in("::1/128", "::1"));
	CU_ASSERT_FALSE(in("::1/128", "::2"));
	CU_ASSERT_FALSE(in("::1/128", "127.0.0.1"));
	CU_ASSERT_TRUE(in("2001:db8::/32", "2001:db8:1::5"));
	CU_ASSERT_FALSE(in("2001:db8::/32", "2001:db9::5"));
	CU_ASSERT_TRUE(in("fe80::/10", "fe80::1%eth0"));
	CU_ASSERT_TRUE(in("fe80::/10", "febf::1"));
	CU_ASSERT_FALSE(in("fe80::/10", "fec0::1"));
	/* IPv4 in IPv6 terms, both ways */
	CU_ASSERT_TRUE(in("::ffff:10.0.0.0/104", "10.1.1.1"));
	CU_ASSERT_FALSE(in("::ffff:10.0.0.0/104", "11.1.1.1"));
	CU_ASSERT_TRUE(in("::/0", "10.1.1.1"));
	CU_ASSERT_TRUE(in("10.0.0.0/8", "::ffff:10.1.2.3"));
	CU_ASSERT_FALSE(in("10.0.0.0/8", "::10.1.2.3"));
	CU_ASSERT_FALSE(in("0.0.0.0/0", "::1"));
	/* not an address: never inside */
	CU_ASSERT_FALSE(in("0.0.0.0/0", "unix"));
	CU_ASSERT_FALSE(in("::/0", ""));
	CU_ASSERT_FALSE(in("0.0.0.0/0", "10.0.0.1:411"));
}

static void test_peer_addr(void)
{
	char a[64];
	CU_ASSERT_EQUAL(adv_peer_addr("127.0.0.1:43210", a, sizeof(a)), 0);
	CU_ASSERT_STRING_EQUAL(a, "127.0.0.1");
	CU_ASSERT_EQUAL(adv_peer_addr("[::1]:5", a, sizeof(a)), 0);
	CU_ASSERT_STRING_EQUAL(a, "::1");
	CU_ASSERT_EQUAL(adv_peer_addr("[2001:db8::1]:411", a, sizeof(a)), 0);
	CU_ASSERT_STRING_EQUAL(a, "2001:db8::1");
	CU_ASSERT_EQUAL(adv_peer_addr("unix", a, sizeof(a)), -EINVAL);
	CU_ASSERT_EQUAL(adv_peer_addr("[::1", a, sizeof(a)), -EINVAL);
	CU_ASSERT_EQUAL(adv_peer_addr("[]:5", a, sizeof(a)), -EINVAL);
	CU_ASSERT_EQUAL(adv_peer_addr(":5", a, sizeof(a)), -EINVAL);
	CU_ASSERT_EQUAL(adv_peer_addr("", a, sizeof(a)), -EINVAL);
	CU_ASSERT_EQUAL(adv_peer_addr("127.0.0.1:1", a, 9), -EINVAL); /* does not fit */
}

/* ------------------------------------------------------------------ two daemons */

static struct vg_strbuf reply;
static struct vg_err err;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int run(struct ldmsd *d, unsigned flags, const char *fmt, ...) VG_PRINTF(3, 4);
static int run(struct ldmsd *d, unsigned flags, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	vg_strbuf_reset(&reply);
	vg_err_clear(&err);
	return ldmsd_run_line_flags(d, line, "test", flags, &reply, &err);
}

/* An aggregator: a full daemon (set memory, directory, server) listening on a free port. */
static uint16_t aggregator(struct ldmsd *d, const char *name)
{
	CU_ASSERT_EQUAL_FATAL(ldmsd_init(d, &err), 0);
	d->set_memory = 1u << 20;
	d->name = strdup(name);
	CU_ASSERT_EQUAL_FATAL(ldmsd_start_core(d, &err), 0);
	CU_ASSERT_EQUAL_FATAL(vg_server_listen(d->server, "sock", "127.0.0.1", 0, 0, &err), 0);
	return vg_server_port(d->server, 0);
}

/*
 * A sampler: a daemon with a directory and a listener but no set memory
 * (a process has one set memory file, and the aggregator has it).
 */
static void sampler(struct ldmsd *d, const char *name)
{
	CU_ASSERT_EQUAL_FATAL(ldmsd_init(d, &err), 0);
	d->name = strdup(name);
	d->dir = vg_setdir_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(d->dir);
	d->server = vg_server_new(d->loop, d->dir, NULL, NULL, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(d->server);
	CU_ASSERT_EQUAL_FATAL(vg_server_listen(d->server, "sock", "127.0.0.1", 0, 0, &err), 0);
}

/* Drive both loops until cond holds or 10 s pass. */
static bool pump(struct ldmsd *a, struct ldmsd *b, bool (*cond)(void *), void *arg)
{
	uint64_t end = now_ms() + 10000;
	while (!cond(arg) && now_ms() < end) {
		vg_loop_run_once(a->loop, 5);
		if (b)
			vg_loop_run_once(b->loop, 5);
	}
	return cond(arg);
}

static bool adv_settled(void *arg)
{
	const struct ldmsd_advertiser *a = arg;
	return a->state == ADV_ADVERTISED || a->state == ADV_REJECTED;
}

struct want_prdcr {
	struct ldmsd *d;
	const char *name;
};

static bool prdcr_connected(void *arg)
{
	struct want_prdcr *w = arg;
	struct ldmsd_prdcr *p = prdcr_find(w->d, w->name);
	return p && p->state == PRDCR_CONNECTED;
}

static void test_accept_and_refuse(void)
{
	struct ldmsd agg, s1, s2;
	uint16_t port = aggregator(&agg, "agg-a");
	sampler(&s1, "adv-1");
	sampler(&s2, "other-1");
	CU_ASSERT_EQUAL(run(&agg, 0, "prdcr_listen_add name=pl regex=^adv-.* ip=127.0.0.0/8,::1/128 "
				     "reconnect=100ms"), 0);
	CU_ASSERT_EQUAL(run(&agg, 0, "prdcr_listen_start name=pl"), 0);
	/* a bad prefix is a config error naming it */
	CU_ASSERT_EQUAL(run(&agg, 0, "prdcr_listen_add name=bad ip=10.0.0.0/33"), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "10.0.0.0/33"));
	CU_ASSERT_EQUAL(run(&agg, 0, "prdcr_listen_add name=bad type=passive"), -EINVAL);
	CU_ASSERT_EQUAL(run(&agg, 0, "prdcr_listen_add name=bad regex=a("), -EINVAL);
	CU_ASSERT_PTR_NULL(prdcr_listen_find(&agg, "bad"));

	CU_ASSERT_EQUAL(run(&s1, 0, "advertiser_add name=up xprt=sock host=127.0.0.1 port=%u "
				    "reconnect=100ms", port), 0);
	CU_ASSERT_EQUAL(run(&s1, 0, "advertiser_add name=up xprt=sock host=h port=1"), -EEXIST);
	CU_ASSERT_EQUAL(run(&s1, 0, "advertiser_add name=x xprt=sock host=h port=1 my_host=a/b"),
			-EINVAL);
	CU_ASSERT_EQUAL(run(&s1, 0, "advertiser_start name=up"), 0);
	struct ldmsd_advertiser *a1 = advertiser_find(&s1, "up");
	CU_ASSERT_PTR_NOT_NULL_FATAL(a1);
	CU_ASSERT_FATAL(pump(&agg, &s1, adv_settled, a1));
	CU_ASSERT_EQUAL(a1->state, ADV_ADVERTISED);
	CU_ASSERT_STRING_EQUAL(a1->sent.producer, "adv-1");
	CU_ASSERT_EQUAL(a1->sent.port, vg_server_port(s1.server, 0));
	CU_ASSERT_STRING_EQUAL(a1->sent.host, "");
	/* the aggregator connects back to the sampler's listener */
	struct want_prdcr w = {&agg, "adv-1"};
	CU_ASSERT_FATAL(pump(&agg, &s1, prdcr_connected, &w));
	struct ldmsd_prdcr *p = prdcr_find(&agg, "adv-1");
	CU_ASSERT_STRING_EQUAL(p->host, "127.0.0.1");
	CU_ASSERT_EQUAL(p->port, vg_server_port(s1.server, 0));
	CU_ASSERT_EQUAL(p->reconnect_us, 100000);

	/* other-1 does not match the regex: refused with the reason, no producer */
	CU_ASSERT_EQUAL(run(&s2, 0, "advertiser_add name=up xprt=sock host=127.0.0.1 port=%u "
				    "reconnect=10s", port), 0);
	CU_ASSERT_EQUAL(run(&s2, 0, "advertiser_start name=up"), 0);
	struct ldmsd_advertiser *a2 = advertiser_find(&s2, "up");
	CU_ASSERT_FATAL(pump(&agg, &s2, adv_settled, a2));
	CU_ASSERT_EQUAL(a2->state, ADV_REJECTED);
	CU_ASSERT_EQUAL(a2->rejections, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(a2->last_error, "agg-a"));
	CU_ASSERT_PTR_NOT_NULL(strstr(a2->last_error, "other-1"));
	CU_ASSERT_PTR_NOT_NULL(strstr(a2->last_error, "regex=^adv-.*"));
	CU_ASSERT_PTR_NOT_NULL(strstr(a2->last_error, "the name does not match"));
	CU_ASSERT_PTR_NULL(prdcr_find(&agg, "other-1"));
	CU_ASSERT_EQUAL(agg.nprdcrs, 1);

	/* status: text and JSON on both sides */
	CU_ASSERT_EQUAL(run(&s2, 0, "advertiser_status"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(vg_strbuf_str(&reply), "REJECTED"));
	CU_ASSERT_EQUAL(run(&s1, VG_CMD_F_JSON, "advertiser_status name=up"), 0);
	struct jv *v = jparse(vg_strbuf_str(&reply));
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	const struct jv *e = jat(jget(v, "advertisers"), 0);
	CU_ASSERT_STRING_EQUAL(jstr(e, "state"), "ADVERTISED");
	CU_ASSERT_STRING_EQUAL(jstr(e, "producer"), "adv-1");
	CU_ASSERT_EQUAL(jnum(e, "port"), port);
	CU_ASSERT_EQUAL(jnum(e, "accepts"), 1);
	jfree(v);
	CU_ASSERT_EQUAL(run(&agg, VG_CMD_F_JSON, "prdcr_listen_status"), 0);
	v = jparse(vg_strbuf_str(&reply));
	CU_ASSERT_PTR_NOT_NULL_FATAL(v);
	e = jat(jget(v, "prdcr_listeners"), 0);
	CU_ASSERT_STRING_EQUAL(jstr(e, "name"), "pl");
	CU_ASSERT_STRING_EQUAL(jstr(e, "state"), "RUNNING");
	CU_ASSERT_STRING_EQUAL(jstr(e, "regex"), "^adv-.*");
	CU_ASSERT_EQUAL(jlen(jget(e, "ip")), 2);
	const struct jv *ip1 = jat(jget(e, "ip"), 1);
	CU_ASSERT(ip1 && ip1->t == J_STR && strcmp(ip1->str, "::1/128") == 0);
	CU_ASSERT_EQUAL(jlen(jget(e, "producers")), 1);
	CU_ASSERT_STRING_EQUAL(jstr(jat(jget(e, "producers"), 0), "name"), "adv-1");
	CU_ASSERT_STRING_EQUAL(jstr(jat(jget(e, "producers"), 0), "state"), "CONNECTED");
	jfree(v);
	CU_ASSERT_EQUAL(run(&agg, 0, "prdcr_listen_status"), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(vg_strbuf_str(&reply), "adv-1"));

	/* the listener cannot go while started; stopped, it refuses everyone */
	CU_ASSERT_EQUAL(run(&agg, 0, "prdcr_listen_del name=pl"), -EBUSY);
	CU_ASSERT_EQUAL(run(&agg, 0, "prdcr_listen_stop name=pl"), 0);
	CU_ASSERT_EQUAL(run(&s1, 0, "advertiser_del name=up"), -EBUSY);
	CU_ASSERT_EQUAL(run(&s1, 0, "advertiser_stop name=up"), 0);
	CU_ASSERT_EQUAL(run(&s1, 0, "advertiser_start name=up"), -EBUSY); /* STOPPING */
	CU_ASSERT_EQUAL(run(&agg, 0, "prdcr_listen_del name=pl"), 0);

	ldmsd_shutdown(&s2);
	ldmsd_shutdown(&s1);
	ldmsd_shutdown(&agg);
}

/* A sampler that restarts on another port: the existing producer takes it and retries now. */
static void test_readvertise_updates(void)
{
	struct ldmsd agg, s1;
	uint16_t port = aggregator(&agg, "agg-b");
	sampler(&s1, "adv-2");
	CU_ASSERT_EQUAL(run(&agg, 0, "prdcr_listen_add name=pl reconnect=1h"), 0);
	CU_ASSERT_EQUAL(run(&agg, 0, "prdcr_listen_start name=pl"), 0);
	/* the producer exists and points at a dead port, waiting an hour for its retry */
	CU_ASSERT_EQUAL(run(&agg, 0, "prdcr_add name=adv-2 host=127.0.0.1 port=1 xprt=sock "
				     "type=active reconnect=1h"), 0);
	CU_ASSERT_EQUAL(run(&agg, 0, "prdcr_start name=adv-2"), 0);
	struct ldmsd_prdcr *p = prdcr_find(&agg, "adv-2");
	CU_ASSERT_EQUAL(run(&s1, 0, "advertiser_add name=up xprt=sock host=localhost port=%u "
				    "my_host=127.0.0.1", port), 0);
	CU_ASSERT_EQUAL(run(&s1, 0, "advertiser_start name=up"), 0);
	struct want_prdcr w = {&agg, "adv-2"};
	CU_ASSERT_FATAL(pump(&agg, &s1, prdcr_connected, &w));
	CU_ASSERT_EQUAL(p->port, vg_server_port(s1.server, 0));
	CU_ASSERT_EQUAL(agg.nprdcrs, 1);
	ldmsd_shutdown(&s1);
	ldmsd_shutdown(&agg);
}

/* ------------------------------------------------------------------ the auth gate */

struct raw {
	struct vg_ep *ep;
	bool challenged, result, closed;
	int32_t status;
};

static void raw_cb(struct vg_ep *ep, const struct vg_ep_event *ev, void *arg)
{
	struct raw *r = arg;
	if (ev->type == VG_EP_DISCONNECTED || ev->type == VG_EP_REJECTED) {
		r->closed = true;
		return;
	}
	if (ev->type != VG_EP_RECV)
		return;
	struct vg_msg_hdr h;
	struct vg_rbuf body;
	struct vg_err e;
	if (vg_msg_parse(ev->data, ev->len, &h, &body, &e))
		return;
	if (h.type == VG_MSG_AUTH_CHALLENGE && !r->challenged) {
		/* advertise instead of answering the challenge */
		r->challenged = true;
		struct vg_wbuf w;
		vg_wbuf_init(&w, 4096);
		vg_proto_put_advertise(&w, 1, &good_adv);
		vg_msg_finish(&w);
		vg_ep_send(ep, w.buf, w.len);
		vg_wbuf_free(&w);
	} else if (h.type == VG_MSG_AUTH_RESULT) {
		r->result = true;
		r->status = (int32_t)vg_rbuf_u32(&body);
	}
}

static bool raw_closed(void *arg)
{
	return ((struct raw *)arg)->closed;
}

static void test_no_advertise_before_auth(void)
{
	struct ldmsd agg;
	uint16_t port = aggregator(&agg, "agg-c");
	CU_ASSERT_EQUAL(run(&agg, 0, "prdcr_listen_add name=pl"), 0);
	CU_ASSERT_EQUAL(run(&agg, 0, "prdcr_listen_start name=pl"), 0);
	struct vg_xprt *x = vg_xprt_open(agg.loop, "sock", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(x);
	struct raw r = {0};
	r.ep = vg_ep_new(x, raw_cb, &r);
	CU_ASSERT_EQUAL_FATAL(vg_ep_connect(r.ep, "127.0.0.1", port, &err), 0);
	CU_ASSERT_FATAL(pump(&agg, NULL, raw_closed, &r));
	CU_ASSERT_TRUE(r.challenged);
	CU_ASSERT_TRUE(r.result);
	CU_ASSERT(r.status < 0);
	CU_ASSERT_EQUAL(agg.nprdcrs, 0);
	CU_ASSERT_PTR_NULL(prdcr_find(&agg, "adv-1"));
	vg_ep_put(r.ep);
	vg_xprt_close(x);
	ldmsd_shutdown(&agg);
}

static const struct cu_test tests[] = {
	{"ADVERTISE round-trips; truncated or longer bodies are refused", test_advertise_roundtrip},
	{"hostile ADVERTISE fields are refused, random bodies never overrun", test_advertise_hostile},
	{"ADVERTISE_REPLY: reasons cut, control characters masked, bad input refused",
	 test_reply_codec},
	{"CIDR prefixes parse; bad ones are errors naming them", test_cidr_parse},
	{"CIDR matching: IPv4, IPv6, odd prefix lengths, mapped addresses", test_cidr_match},
	{"the address of a peer string", test_peer_addr},
	{"a matching sampler becomes a connected producer; another is refused with the reason",
	 test_accept_and_refuse},
	{"a re-advertisement updates a disconnected producer and retries it now",
	 test_readvertise_updates},
	{"an unauthenticated peer cannot advertise", test_no_advertise_before_auth},
	{NULL, NULL},
};

CU_MAIN("advertise", tests)
