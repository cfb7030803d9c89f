/*
 * test_rdma.c - the verbs transport.  What needs no device runs everywhere:
 * VIGIL_RDMA_OPTS parsing, rkeys, connection parameters, chunk headers and
 * reassembly, credits, the read bounce ring, reads refused before posting,
 * and open failing with -ENODEV on a host without RDMA.  With a device
 * (Soft-RoCE will do; VIGIL_RDMA_TEST_HOST names an address on it, default
 * 127.0.0.1) the driver also runs on loopback: connect, messages, reads.
 */
#include "config.h"

#include <infiniband/verbs.h>
#include <stdint.h>
#include <stdio.h>

#include "tests/unit/sock_fixture.h"
#include "xprt/rdma_int.h"

static int device_count(void)
{
	int n = 0;
	struct ibv_device **list = ibv_get_device_list(&n);
	if (list)
		ibv_free_device_list(list);
	return list ? n : 0;
}

/* ------------------------------------------------------------------ options */

static void test_opts_defaults(void)
{
	struct rd_opts o;
	struct vg_err err = {0};
	const char *empty[] = {NULL, "", " ", ",,"};
	for (size_t i = 0; i < VG_ARRAY_LEN(empty); i++) {
		CU_ASSERT_EQUAL(rd_opts_parse(empty[i], &o, &err), 0);
		CU_ASSERT_EQUAL(o.credits, 16);
		CU_ASSERT_EQUAL(o.chunk, 65536);
		CU_ASSERT_EQUAL(o.reads, 64);
		CU_ASSERT_EQUAL(o.read_buf, 256u << 10);
		CU_ASSERT_EQUAL(o.inline_max, 64);
		CU_ASSERT_EQUAL(o.cq_depth, (16 + RD_RESERVE) * 2 + 64);
		CU_ASSERT_STRING_EQUAL(o.dev, "");
	}
	CU_ASSERT_EQUAL(rd_opts_parse("credits=8, chunk=128K,reads=4,read_buf=0,inline=0,"
				      "cq_depth=4096,dev=rxe0,", &o, &err), 0);
	CU_ASSERT_EQUAL(o.credits, 8);
	CU_ASSERT_EQUAL(o.chunk, 128u << 10);
	CU_ASSERT_EQUAL(o.reads, 4);
	CU_ASSERT_EQUAL(o.read_buf, 0);
	CU_ASSERT_EQUAL(o.inline_max, 0);
	CU_ASSERT_EQUAL(o.cq_depth, 4096);
	CU_ASSERT_STRING_EQUAL(o.dev, "rxe0");
	/* the automatic depth follows credits and reads; the bounds are inclusive */
	CU_ASSERT_EQUAL(rd_opts_parse("credits=1,reads=1", &o, &err), 0);
	CU_ASSERT_EQUAL(o.cq_depth, (1 + RD_RESERVE) * 2 + 1);
	CU_ASSERT_EQUAL(rd_opts_parse("credits=1024,chunk=16M,reads=4096,inline=4096", &o, &err), 0);
	CU_ASSERT_EQUAL(rd_opts_parse("credits=4,reads=2,cq_depth=16", &o, &err), 0);
	CU_ASSERT_EQUAL(o.cq_depth, 16);
}

static void test_opts_bad(void)
{
	static const struct {
		const char *spec, *msg;
	} bad[] = {
		{"credits=0", "VIGIL_RDMA_OPTS: credits=0 is out of range (credits: 1 to 1024)"},
		{"credits=1025", "VIGIL_RDMA_OPTS: credits=1025 is out of range (credits: 1 to 1024)"},
		{"chunk=4095", "VIGIL_RDMA_OPTS: chunk=4095 is out of range (chunk: 4096 to 16777216)"},
		{"chunk=32M", "VIGIL_RDMA_OPTS: chunk=32M is out of range (chunk: 4096 to 16777216)"},
		{"chunk=big", "VIGIL_RDMA_OPTS: chunk=big is not a number (chunk: 4096 to 16777216)"},
		{"reads=0", "VIGIL_RDMA_OPTS: reads=0 is out of range (reads: 1 to 4096)"},
		{"read_buf=2G", "VIGIL_RDMA_OPTS: read_buf=2G is out of range (read_buf: 0 to 1073741824)"},
		{"inline=-1", "VIGIL_RDMA_OPTS: inline=-1 is not a number (inline: 0 to 4096)"},
		{"inline=4097", "VIGIL_RDMA_OPTS: inline=4097 is out of range (inline: 0 to 4096)"},
		{"cq_depth=10", "VIGIL_RDMA_OPTS: cq_depth=10 is out of range (cq_depth: 102 to 4194304 "
				"with credits=16 and reads=64)"},
		{"cq_depth=5000000", "VIGIL_RDMA_OPTS: cq_depth=5000000 is out of range (cq_depth: 0 "
				     "to 4194304)"},
		{"credits", "VIGIL_RDMA_OPTS: 'credits' needs a value (credits=1 to 1024)"},
		{"chunk=", "VIGIL_RDMA_OPTS: 'chunk' needs a value (chunk=4096 to 16777216)"},
		{"colour=red", "VIGIL_RDMA_OPTS: unknown option 'colour' (options: credits, chunk, reads, "
			       "read_buf, inline, cq_depth, dev)"},
		{"credits=8,depth=3", "VIGIL_RDMA_OPTS: unknown option 'depth'"},
		{"dev=", "VIGIL_RDMA_OPTS: dev= needs a device name of 1 to 63 characters"},
	};
	for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++) {
		struct rd_opts o;
		struct vg_err err = {0};
		CU_ASSERT_EQUAL(rd_opts_parse(bad[i].spec, &o, &err), -EINVAL);
		CU_ASSERT_EQUAL(err.code, EINVAL);
		if (strncmp(err.msg, bad[i].msg, strlen(bad[i].msg)) != 0) {
			printf("\n  %s: got '%s'\n  want '%s'\n", bad[i].spec, err.msg, bad[i].msg);
			CU_FAIL("message");
		}
	}
	/* the dev= name fits 63 characters, not 64 */
	char spec[80] = "dev=";
	memset(spec + 4, 'x', 64);
	struct rd_opts o;
	CU_ASSERT_EQUAL(rd_opts_parse(spec, &o, NULL), -EINVAL);
	spec[4 + 63] = '\0';
	CU_ASSERT_EQUAL(rd_opts_parse(spec, &o, NULL), 0);
	CU_ASSERT_EQUAL(strlen(o.dev), 63);
}

/* ------------------------------------------------------------------ opening without a device */

#define NO_DEVICE "rdma: no RDMA device on this host (ibv_get_device_list found none): "

static void test_open(void)
{
	vg_xprt_init();
	CU_ASSERT_PTR_NOT_NULL_FATAL(vg_xprt_find("rdma"));
	CU_ASSERT_PTR_NOT_NULL(strstr(vg_xprt_names(), "rdma"));
	struct vg_err err = {0};
	struct vg_loop *loop = vg_loop_new(&err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(loop);
	/* a bad option is reported first, device or not */
	setenv("VIGIL_RDMA_OPTS", "credits=0", 1);
	CU_ASSERT_PTR_NULL(vg_xprt_open(loop, "rdma", &err));
	CU_ASSERT_EQUAL(err.code, EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "credits=0 is out of range (credits: 1 to 1024)"));
	unsetenv("VIGIL_RDMA_OPTS");
	vg_err_clear(&err);
	struct vg_xprt *x = vg_xprt_open(loop, "rdma", &err);
	if (device_count() == 0) {
		CU_ASSERT_PTR_NULL(x);
		CU_ASSERT_EQUAL(err.code, ENODEV);
		CU_ASSERT_EQUAL(strncmp(err.msg, NO_DEVICE, strlen(NO_DEVICE)), 0);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "use -x sock"));
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "(Soft-RoCE: rdma link add rxe0 type rxe "
						       "netdev eth0)"));
		CU_ASSERT_PTR_NULL(strchr(err.msg, '\n'));
		/* the driver's open says the same, with its errno */
		CU_ASSERT_EQUAL(vg_rdma_ops.open(&(struct vg_xprt){.ops = &vg_rdma_ops, .loop = loop},
						 NULL), -ENODEV);
	} else {
		CU_ASSERT_PTR_NOT_NULL(x);
		vg_xprt_close(x);
	}
	vg_loop_free(loop);
}

/* ------------------------------------------------------------------ rkeys */

static void test_rkey(void)
{
	struct rd_rkey k = {.addr = 0x7f0012345000ull, .len = 1 << 20, .rkey = 0xabcd1234u}, out;
	struct vg_rkey bytes;
	rd_rkey_encode(&k, &bytes);
	CU_ASSERT_EQUAL(rd_rkey_decode(&bytes, &out), 0);
	CU_ASSERT_EQUAL(out.addr, k.addr);
	CU_ASSERT_EQUAL(out.len, k.len);
	CU_ASSERT_EQUAL(out.rkey, k.rkey);
	CU_ASSERT_EQUAL(rd_get_u32(bytes.bytes), RD_RKEY_MAGIC);
	/* any byte changed, anywhere: not ours */
	int refused = 0;
	for (int i = 0; i < 32; i++) {
		for (int bit = 0; bit < 8; bit++) {
			struct vg_rkey forged = bytes;
			forged.bytes[i] ^= (uint8_t)(1u << bit);
			refused += rd_rkey_decode(&forged, &out) == -ENOENT;
		}
	}
	CU_ASSERT_EQUAL(refused, 32 * 8);
	/* truncated: only the first n bytes arrived */
	for (int n = 0; n < 32; n++) {
		struct vg_rkey cut = {{0}};
		memcpy(cut.bytes, bytes.bytes, (size_t)n);
		CU_ASSERT_EQUAL(rd_rkey_decode(&cut, &out), -ENOENT);
	}
	/* another driver's key (fabric puts "FAB1" at 24) and garbage */
	struct vg_rkey other = {{0}};
	rd_put_u32(other.bytes + 24, 0x31424146u);
	CU_ASSERT_EQUAL(rd_rkey_decode(&other, &out), -ENOENT);
	memset(other.bytes, 0xff, sizeof(other.bytes));
	CU_ASSERT_EQUAL(rd_rkey_decode(&other, &out), -ENOENT);
	/* well formed but empty or wrapping around the address space */
	struct rd_rkey empty = {.addr = 4096, .len = 0, .rkey = 1};
	rd_rkey_encode(&empty, &other);
	CU_ASSERT_EQUAL(rd_rkey_decode(&other, &out), -ENOENT);
	struct rd_rkey wrap = {.addr = UINT64_MAX - 10, .len = 20, .rkey = 1};
	rd_rkey_encode(&wrap, &other);
	CU_ASSERT_EQUAL(rd_rkey_decode(&other, &out), -ENOENT);
	/* bounds */
	uint64_t raddr = 0;
	CU_ASSERT_EQUAL(rd_rkey_span(&k, 0, k.len, &raddr), 0);
	CU_ASSERT_EQUAL(raddr, k.addr);
	CU_ASSERT_EQUAL(rd_rkey_span(&k, 100003, 5000, &raddr), 0);
	CU_ASSERT_EQUAL(raddr, k.addr + 100003);
	CU_ASSERT_EQUAL(rd_rkey_span(&k, k.len, 0, &raddr), 0);
	CU_ASSERT_EQUAL(rd_rkey_span(&k, k.len - 10, 20, &raddr), -ERANGE);
	CU_ASSERT_EQUAL(rd_rkey_span(&k, k.len + 1, 0, &raddr), -ERANGE);
	CU_ASSERT_EQUAL(rd_rkey_span(&k, 0, k.len + 1, &raddr), -ERANGE);
	CU_ASSERT_EQUAL(rd_rkey_span(&k, UINT64_MAX - 4, 20, &raddr), -ERANGE);
	CU_ASSERT_EQUAL(rd_rkey_span(&k, 8, UINT64_MAX, &raddr), -ERANGE);
}

/*
 * Reads refused by the rkey check complete with READ_DONE from the loop,
 * never inside the call, and post nothing: the endpoint here has no queue
 * pair, so a post would crash.
 */
static void test_reads_refused(void)
{
	struct vg_err err = {0};
	struct vg_loop *loop = vg_loop_new(&err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(loop);
	struct rd_xprt rx = {0};
	CU_ASSERT_EQUAL(rd_opts_parse(NULL, &rx.opts, NULL), 0);
	struct vg_xprt x = {.ops = &vg_rdma_ops, .loop = loop, .max_msg = VG_XPRT_MAX_MSG_DEFAULT,
			    .priv = &rx};
	struct rd_ep *r = calloc(1, sizeof(*r));
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	struct rec rec = {0};
	r->ep.xprt = &x;
	r->ep.refcount = 1;
	r->ep.state = VG_EP_CONNECTED_STATE;
	r->ep.cb = on_event;
	r->ep.cb_arg = &rec;
	r->free_read = r->wait_head = r->wait_tail = r->done_head = r->done_tail = RD_NONE;
	uint8_t dst[64];
	struct rd_rkey k = {.addr = 0x10000, .len = 4096, .rkey = 77};
	struct vg_rkey good, forged;
	rd_rkey_encode(&k, &good);
	forged = good;
	forged.bytes[5] ^= 1;
	CU_ASSERT_EQUAL(rd_ep_read(&r->ep, &good, 4090, dst, 20, (void *)1), 0);
	CU_ASSERT_EQUAL(rd_ep_read(&r->ep, &good, UINT64_MAX - 4, dst, 20, (void *)2), 0);
	CU_ASSERT_EQUAL(rd_ep_read(&r->ep, &forged, 0, dst, 8, (void *)3), 0);
	CU_ASSERT_EQUAL(rd_ep_read(&r->ep, &good, 4096, dst, 0, (void *)4), 0);
	/* more than the table starts with */
	for (int i = 0; i < 40; i++)
		CU_ASSERT_EQUAL(rd_ep_read(&r->ep, &good, 4096, dst, 1, (void *)(intptr_t)(10 + i)),
				0);
	CU_ASSERT_EQUAL(rec.reads, 0);
	CU_ASSERT_EQUAL(r->nposted, 0);
	CU_ASSERT_EQUAL(r->wait_head, RD_NONE);
	for (int i = 0; i < 3 && rec.reads < 44; i++)
		vg_loop_run_once(loop, 0);
	CU_ASSERT_EQUAL(rec.reads, 44);
	CU_ASSERT_EQUAL(rec.read_status[0], -ERANGE);
	CU_ASSERT_EQUAL(rec.read_status[1], -ERANGE);
	CU_ASSERT_EQUAL(rec.read_status[2], -ENOENT);
	CU_ASSERT_EQUAL(rec.read_status[3], 0);
	CU_ASSERT_PTR_EQUAL(rec.read_ctx[0], (void *)1);
	CU_ASSERT_PTR_EQUAL(rec.read_ctx[3], (void *)4);
	int in_order = 0;
	for (int i = 0; i < 40; i++)
		in_order += rec.read_status[4 + i] == -ERANGE &&
			    rec.read_ctx[4 + i] == (void *)(intptr_t)(10 + i);
	CU_ASSERT_EQUAL(in_order, 40);
	CU_ASSERT_EQUAL(r->ep.refcount, 1);
	free(r->reads);
	free(r);
	vg_loop_free(loop);
}

/* ------------------------------------------------------------------ connection parameters */

static void test_param(void)
{
	uint8_t p[64] = {0};
	struct rd_param in = {.max_msg = 16u << 20, .chunk = 65536, .credits = 16}, out;
	rd_param_put(p, &in);
	CU_ASSERT_EQUAL(rd_param_get(p, RD_PARAM_LEN, &out), 0);
	CU_ASSERT_EQUAL(out.max_msg, in.max_msg);
	CU_ASSERT_EQUAL(out.chunk, in.chunk);
	CU_ASSERT_EQUAL(out.credits, in.credits);
	CU_ASSERT_EQUAL(rd_param_get(p, 56, &out), 0);  /* IB CM pads a REQ's private data */
	CU_ASSERT_EQUAL(rd_param_get(p, RD_PARAM_LEN - 1, &out), -EPROTO);
	CU_ASSERT_EQUAL(rd_param_get(NULL, 0, &out), -EPROTO);
	uint8_t q[64];
	memcpy(q, p, sizeof(q));
	memcpy(q, "VIGILFB1", 8);  /* a fabric peer */
	CU_ASSERT_EQUAL(rd_param_get(q, RD_PARAM_LEN, &out), -EPROTO);
	static const struct {
		size_t at;
		uint32_t value;
	} bad[] = {{8, 2}, {12, 1000}, {16, 100}, {16, 32u << 20}, {20, 0}, {20, 5000}};
	for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++) {
		memcpy(q, p, sizeof(q));
		rd_put_u32(q + bad[i].at, bad[i].value);
		CU_ASSERT_EQUAL(rd_param_get(q, RD_PARAM_LEN, &out), -EPROTO);
	}
}

/* ------------------------------------------------------------------ chunks */

static int add(struct rd_asm *a, uint8_t flags, uint32_t total, const uint8_t *payload,
	       size_t plen, const void **msg, size_t *len)
{
	struct rd_hdr h = {.kind = RD_K_DATA, .flags = flags, .total = total};
	return rd_asm_add(a, &h, payload, plen, 1u << 20, msg, len);
}

static void test_chunk_headers(void)
{
	uint8_t p[RD_HDR + 8];
	struct rd_hdr h = {.kind = RD_K_DATA, .flags = RD_F_FIRST | RD_F_LAST, .credits = 7,
			   .total = 8}, out;
	rd_hdr_put(p, &h);
	CU_ASSERT_EQUAL(rd_hdr_get(p, sizeof(p), &out), 0);
	CU_ASSERT_EQUAL(out.kind, RD_K_DATA);
	CU_ASSERT_EQUAL(out.flags, RD_F_FIRST | RD_F_LAST);
	CU_ASSERT_EQUAL(out.credits, 7);
	CU_ASSERT_EQUAL(out.total, 8);
	CU_ASSERT_EQUAL(rd_hdr_get(p, RD_HDR - 1, &out), -EPROTO);
	uint8_t q[RD_HDR + 8];
	static const size_t spots[] = {2, 3, 12, 15};
	for (size_t i = 0; i < VG_ARRAY_LEN(spots); i++) {
		memcpy(q, p, sizeof(q));
		q[spots[i]] = 1;  /* reserved bytes */
		CU_ASSERT_EQUAL(rd_hdr_get(q, sizeof(q), &out), -EPROTO);
	}
	memcpy(q, p, sizeof(q));
	q[0] = 9;
	CU_ASSERT_EQUAL(rd_hdr_get(q, sizeof(q), &out), -EPROTO);
	q[0] = RD_K_DATA;
	q[1] = 4;
	CU_ASSERT_EQUAL(rd_hdr_get(q, sizeof(q), &out), -EPROTO);
	/* credit-only chunks: a header and nothing else */
	struct rd_hdr c = {.kind = RD_K_CREDIT, .credits = 3};
	rd_hdr_put(q, &c);
	CU_ASSERT_EQUAL(rd_hdr_get(q, RD_HDR, &out), 0);
	CU_ASSERT_EQUAL(out.credits, 3);
	CU_ASSERT_EQUAL(rd_hdr_get(q, RD_HDR + 1, &out), -EPROTO);
	q[1] = RD_F_FIRST;
	CU_ASSERT_EQUAL(rd_hdr_get(q, RD_HDR, &out), -EPROTO);
}

/* A message cut the way rd_pump cuts it, reassembled byte for byte. */
static void test_reassembly(void)
{
	struct rd_asm a = {0};
	const void *msg = NULL;
	size_t len = 0;
	uint8_t one[5] = "hello";
	CU_ASSERT_EQUAL(add(&a, RD_F_FIRST | RD_F_LAST, 5, one, 5, &msg, &len), 1);
	CU_ASSERT_PTR_EQUAL(msg, one);  /* one chunk: no copy */
	CU_ASSERT_EQUAL(len, 5);
	CU_ASSERT_EQUAL(add(&a, RD_F_FIRST | RD_F_LAST, 0, one, 0, &msg, &len), 1);
	CU_ASSERT_EQUAL(len, 0);
	static const size_t sizes[] = {4096 - RD_HDR + 1, 3 * (4096 - RD_HDR), 1u << 20};
	for (size_t s = 0; s < VG_ARRAY_LEN(sizes); s++) {
		size_t total = sizes[s], payload_max = 4096 - RD_HDR, off = 0;
		uint8_t *src = malloc(total);
		for (size_t i = 0; i < total; i++)
			src[i] = (uint8_t)(i * 13 + s);
		int rc = 0, chunks = 0;
		while (off < total) {
			size_t plen = total - off < payload_max ? total - off : payload_max;
			uint8_t flags = (uint8_t)((off == 0 ? RD_F_FIRST : 0) |
						  (off + plen == total ? RD_F_LAST : 0));
			rc = add(&a, flags, (uint32_t)total, src + off, plen, &msg, &len);
			off += plen;
			chunks++;
			if (off < total)
				CU_ASSERT_EQUAL(rc, 0);
		}
		CU_ASSERT_EQUAL(rc, 1);
		CU_ASSERT_EQUAL(chunks, (int)((total + payload_max - 1) / payload_max));
		CU_ASSERT_EQUAL(len, total);
		CU_ASSERT_EQUAL(memcmp(msg, src, total), 0);
		free(src);
	}
	CU_ASSERT(a.cap >= 1u << 20);
	rd_asm_trim(&a, 1u << 16);
	CU_ASSERT_PTR_NULL(a.buf);
	CU_ASSERT_EQUAL(a.cap, 0);

	uint8_t b[100] = {0};
	/* a middle or last chunk with no first */
	CU_ASSERT_EQUAL(add(&a, 0, 300, b, 100, &msg, &len), -EPROTO);
	CU_ASSERT_EQUAL(add(&a, RD_F_LAST, 300, b, 100, &msg, &len), -EPROTO);
	/* one-chunk messages must be whole */
	CU_ASSERT_EQUAL(add(&a, RD_F_FIRST | RD_F_LAST, 101, b, 100, &msg, &len), -EPROTO);
	/* larger than max_msg */
	CU_ASSERT_EQUAL(add(&a, RD_F_FIRST, (1u << 20) + 1, b, 100, &msg, &len), -EPROTO);
	/* a first chunk as long as the whole message, or empty */
	CU_ASSERT_EQUAL(add(&a, RD_F_FIRST, 100, b, 100, &msg, &len), -EPROTO);
	CU_ASSERT_EQUAL(add(&a, RD_F_FIRST, 100, b, 0, &msg, &len), -EPROTO);
	/* started: then a second first, an empty middle, another total, too much, too little */
	CU_ASSERT_EQUAL(add(&a, RD_F_FIRST, 300, b, 100, &msg, &len), 0);
	CU_ASSERT_EQUAL(add(&a, RD_F_FIRST, 300, b, 100, &msg, &len), -EPROTO);
	CU_ASSERT_EQUAL(add(&a, RD_F_FIRST | RD_F_LAST, 100, b, 100, &msg, &len), -EPROTO);
	CU_ASSERT_EQUAL(add(&a, 0, 300, b, 0, &msg, &len), -EPROTO);
	CU_ASSERT_EQUAL(add(&a, 0, 400, b, 100, &msg, &len), -EPROTO);
	CU_ASSERT_EQUAL(add(&a, RD_F_LAST, 300, b, 50, &msg, &len), -EPROTO);
	CU_ASSERT_EQUAL(add(&a, 0, 300, b, 100, &msg, &len), 0);
	CU_ASSERT_EQUAL(add(&a, 0, 300, b, 100, &msg, &len), -EPROTO);  /* complete but not last */
	CU_ASSERT_EQUAL(add(&a, RD_F_LAST, 300, b, 100, &msg, &len), 1);
	CU_ASSERT_EQUAL(len, 300);
	rd_asm_free(&a);
}

/* ------------------------------------------------------------------ credits */

static void test_credits(void)
{
	struct rd_credits c;
	rd_credits_init(&c, 4, 6);
	for (int i = 0; i < 4; i++)
		CU_ASSERT_TRUE(rd_credits_take(&c));
	CU_ASSERT_FALSE(rd_credits_take(&c));
	CU_ASSERT_EQUAL(rd_credits_returned(&c, 5), -EPROTO);
	CU_ASSERT_EQUAL(rd_credits_returned(&c, 3), 0);
	CU_ASSERT_EQUAL(c.avail, 3);
	CU_ASSERT_EQUAL(rd_credits_returned(&c, 2), -EPROTO);
	CU_ASSERT_EQUAL(rd_credits_returned(&c, 1), 0);
	CU_ASSERT_EQUAL(rd_credits_returned(&c, 0), 0);
	CU_ASSERT_EQUAL(c.avail, 4);
	/* receiving: never more than granted between two returns; alone from half on */
	CU_ASSERT_FALSE(rd_credits_send_alone(&c, false));
	for (int i = 0; i < 2; i++)
		CU_ASSERT_EQUAL(rd_credits_received(&c), 0);
	CU_ASSERT_FALSE(rd_credits_send_alone(&c, false));
	CU_ASSERT_EQUAL(rd_credits_received(&c), 0);
	CU_ASSERT_TRUE(rd_credits_send_alone(&c, false));
	CU_ASSERT_FALSE(rd_credits_send_alone(&c, true));  /* a data chunk will carry them */
	for (int i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(rd_credits_received(&c), 0);
	CU_ASSERT_EQUAL(rd_credits_received(&c), -EPROTO);
	CU_ASSERT_EQUAL(rd_credits_collect(&c), 6);
	CU_ASSERT_EQUAL(rd_credits_collect(&c), 0);
	CU_ASSERT_EQUAL(rd_credits_received(&c), 0);
	rd_credits_init(&c, 1, 1);
	CU_ASSERT_EQUAL(rd_credits_received(&c), 0);
	CU_ASSERT_TRUE(rd_credits_send_alone(&c, false));
}

/*
 * Two sides exchanging chunks in random order with the driver's rules: what
 * lands at a side never exceeds its posted receives (credits + RD_RESERVE),
 * every side always makes progress, and no credit is lost.
 */
struct side {
	struct rd_credits cr;
	uint32_t inbox[4096];     /* chunks in flight toward this side: credits carried, +1 if data */
	size_t in_head, in_tail;  /* circular */
	uint64_t data_sent, data_recv;
	bool busy;                /* has data to send */
};

static void sim_send(struct side *from, struct side *to, bool data)
{
	uint32_t carried = rd_credits_collect(&from->cr);
	to->inbox[to->in_tail++ % 4096] = carried << 1 | (data ? 1u : 0u);
	from->data_sent += data;
}

static void sim_pump(struct side *s, struct side *peer)
{
	while (s->busy && rd_credits_take(&s->cr))
		sim_send(s, peer, true);
	if (rd_credits_send_alone(&s->cr, s->busy && s->cr.avail))
		sim_send(s, peer, false);
}

static bool sim_receive(struct side *s, struct side *peer)
{
	if (s->in_head == s->in_tail)
		return true;
	uint32_t v = s->inbox[s->in_head++ % 4096];
	bool ok = rd_credits_returned(&s->cr, v >> 1) == 0;
	if (v & 1) {
		s->data_recv++;
		ok = ok && rd_credits_received(&s->cr) == 0;
	}
	sim_pump(s, peer);
	return ok;
}

static void test_credit_flow(void)
{
	static const uint32_t windows[][2] = {{1, 1}, {2, 3}, {3, 3}, {16, 16}, {16, 5}, {7, 64}};
	unsigned seed = 12345;
	for (size_t w = 0; w < VG_ARRAY_LEN(windows); w++) {
		struct side *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));
		uint32_t ca = windows[w][0], cb = windows[w][1];  /* what a and b grant */
		rd_credits_init(&a->cr, cb, ca);
		rd_credits_init(&b->cr, ca, cb);
		size_t max_a = 0, max_b = 0;
		bool ok = true;
		for (int step = 0; step < 200000 && ok; step++) {
			seed = seed * 1103515245u + 12345u;
			unsigned pick = seed >> 16;
			if (step % 1000 == 0) {
				a->busy = pick & 1;
				b->busy = (pick >> 1) & 1;
			}
			if (pick % 3 == 0)
				sim_pump(pick & 8 ? a : b, pick & 8 ? b : a);
			else if (pick % 3 == 1)
				ok = sim_receive(a, b);
			else
				ok = sim_receive(b, a);
			size_t na = a->in_tail - a->in_head, nb = b->in_tail - b->in_head;
			max_a = na > max_a ? na : max_a;
			max_b = nb > max_b ? nb : max_b;
		}
		CU_ASSERT_TRUE(ok);
		CU_ASSERT(max_a <= ca + RD_RESERVE);
		CU_ASSERT(max_b <= cb + RD_RESERVE);
		CU_ASSERT(a->data_recv > 1000);
		CU_ASSERT(b->data_recv > 1000);
		/* quiet both and let everything land: all credits come home */
		a->busy = b->busy = false;
		for (int i = 0; i < 100; i++) {
			sim_receive(a, b);
			sim_receive(b, a);
		}
		CU_ASSERT_EQUAL(a->data_recv, b->data_sent);
		CU_ASSERT_EQUAL(b->data_recv, a->data_sent);
		CU_ASSERT(a->cr.avail + a->cr.window / 2 + 1 >= a->cr.window);
		if (max_a > ca + RD_RESERVE || max_b > cb + RD_RESERVE)
			printf("\n  windows %u/%u: inbox peaks %zu, %zu\n", ca, cb, max_a, max_b);
		free(a);
		free(b);
	}
}

/* ------------------------------------------------------------------ the bounce ring */

static void test_ring(void)
{
	struct rd_ring r;
	rd_ring_init(&r, 1000);
	uint64_t off[4], end[4];
	CU_ASSERT_EQUAL(rd_ring_alloc(&r, 1001, &off[0], &end[0]), -E2BIG);
	CU_ASSERT_EQUAL(rd_ring_alloc(&r, 400, &off[0], &end[0]), 0);
	CU_ASSERT_EQUAL(off[0], 0);
	CU_ASSERT_EQUAL(rd_ring_alloc(&r, 397, &off[1], &end[1]), 0);  /* rounded up to 400 */
	CU_ASSERT_EQUAL(off[1], 400);
	CU_ASSERT_EQUAL(rd_ring_alloc(&r, 400, &off[2], &end[2]), -EAGAIN);
	rd_ring_release(&r, end[0]);
	/* 200 left at the end: a read never wraps, so it goes to the start */
	CU_ASSERT_EQUAL(rd_ring_alloc(&r, 400, &off[2], &end[2]), 0);
	CU_ASSERT_EQUAL(off[2], 0);
	CU_ASSERT_EQUAL(rd_ring_alloc(&r, 8, &off[3], &end[3]), -EAGAIN);
	rd_ring_release(&r, end[1]);
	rd_ring_release(&r, end[1]);  /* twice: nothing more */
	/* the skipped tail counts as used until the read placed after it is released */
	CU_ASSERT_EQUAL(rd_ring_alloc(&r, 408, &off[3], &end[3]), -EAGAIN);
	CU_ASSERT_EQUAL(rd_ring_alloc(&r, 400, &off[3], &end[3]), 0);
	CU_ASSERT_EQUAL(off[3], 400);
	rd_ring_release(&r, end[2]);
	rd_ring_release(&r, end[3]);
	CU_ASSERT_EQUAL(rd_ring_alloc(&r, 1000, &off[0], &end[0]), 0);  /* empty: from 0 again */
	CU_ASSERT_EQUAL(off[0], 0);
	rd_ring_release(&r, end[0]);

	/* random FIFO traffic: live allocations stay inside and never overlap */
	struct rd_ring big;
	rd_ring_init(&big, 65536);
	struct {
		uint64_t off, len, end;
	} live[64];
	size_t head = 0, tail = 0;
	unsigned seed = 7;
	int ok = 1, allocated = 0;
	for (int step = 0; step < 20000; step++) {
		seed = seed * 1103515245u + 12345u;
		uint64_t len = 1 + (seed >> 8) % 20000;
		if ((seed & 1) && tail - head < 64) {
			uint64_t o, e;
			if (rd_ring_alloc(&big, len, &o, &e) == 0) {
				ok &= o + len <= 65536;
				for (size_t i = head; i < tail; i++) {
					uint64_t lo = live[i % 64].off, hi = lo + live[i % 64].len;
					ok &= o + len <= lo || o >= hi;
				}
				live[tail % 64].off = o;
				live[tail % 64].len = len;
				live[tail % 64].end = e;
				tail++;
				allocated++;
			}
		} else if (head < tail) {
			rd_ring_release(&big, live[head % 64].end);
			head++;
		}
	}
	CU_ASSERT_TRUE(ok);
	CU_ASSERT(allocated > 1000);
}

/* ------------------------------------------------------------------ loopback (needs a device) */

static const char *test_host(void)
{
	const char *h = getenv("VIGIL_RDMA_TEST_HOST");
	return h && h[0] ? h : "127.0.0.1";
}

static void rd_env_open(struct env *e)
{
	memset(e, 0, sizeof(*e));
	struct vg_err err = {0};
	e->loop = vg_loop_new(&err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e->loop);
	e->x = vg_xprt_open(e->loop, "rdma", &err);
	if (!e->x)
		printf("\n  rdma open: %s\n", err.msg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e->x);
	e->lrec.child = &e->srec;
}

static void connected_pair(struct env *e)
{
	rd_env_open(e);
	CU_ASSERT_EQUAL_FATAL(env_listen(e, test_host()), 0);
	CU_ASSERT_NOT_EQUAL(vg_ep_port(e->listener), 0);
	env_connect(e, test_host());
}

static uint8_t *pattern(size_t len, unsigned seed)
{
	uint8_t *p = malloc(len ? len : 1);
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)((i * 31 + seed) ^ (i >> 11));
	return p;
}

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

static void test_loop_messages(void)
{
	struct env e;
	connected_pair(&e);
	CU_ASSERT_STRING_EQUAL(e.crec.log, "C");
	CU_ASSERT_STRING_EQUAL(e.lrec.log, "A");
	struct vg_ep *server = e.lrec.conns[0];
	static const size_t sizes[] = {1, 0, 64 << 10, (64 << 10) - 16, (64 << 10) + 1, 4 << 20};
	for (size_t i = 0; i < VG_ARRAY_LEN(sizes); i++) {
		one_way(&e, e.client, &e.srec, sizes[i], (unsigned)i);
		one_way(&e, server, &e.crec, sizes[i], (unsigned)i + 100);
	}
	e.srec.seq_mode = e.crec.seq_mode = true;
	e.srec.seq_ok = e.crec.seq_ok = true;
	int base_s = e.srec.recv, base_c = e.crec.recv;
	e.srec.next_seq = e.crec.next_seq = 0;
	for (uint32_t i = 0; i < 2000; i++) {
		CU_ASSERT_EQUAL(vg_ep_send(e.client, &i, sizeof(i)), 0);
		CU_ASSERT_EQUAL(vg_ep_send(server, &i, sizeof(i)), 0);
	}
	CU_ASSERT_TRUE(wait_for(&e, &e.srec.recv, base_s + 2000));
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.recv, base_c + 2000));
	CU_ASSERT_TRUE(e.srec.seq_ok);
	CU_ASSERT_TRUE(e.crec.seq_ok);
	e.srec.seq_mode = e.crec.seq_mode = false;
	CU_ASSERT_EQUAL(vg_ep_send(e.client, "x", e.x->max_msg + 1), -EMSGSIZE);
	env_close(&e);
}

static void test_loop_reads(void)
{
	struct env e;
	connected_pair(&e);
	size_t len = 1 << 20;  /* larger than read_buf: registers dst; slices use the ring */
	uint8_t *region = pattern(len, 3), *dst = calloc(1, len);
	struct vg_mr *mr = NULL;
	CU_ASSERT_EQUAL_FATAL(vg_xprt_mem_register(e.x, region, len, &mr), 0);
	struct vg_rkey rkey;
	vg_mr_rkey(mr, &rkey);
	CU_ASSERT_EQUAL(vg_ep_read(e.client, &rkey, 0, dst, len, (void *)1), 0);
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.reads, 1));
	CU_ASSERT_EQUAL(e.crec.read_status[0], 0);
	CU_ASSERT_EQUAL(memcmp(dst, region, len), 0);
	memset(dst, 0, len);
	CU_ASSERT_EQUAL(vg_ep_read(e.client, &rkey, 100003, dst, 5000, (void *)2), 0);
	CU_ASSERT_EQUAL(vg_ep_read(e.client, &rkey, len - 10, dst, 20, (void *)3), 0);
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.reads, 3));
	CU_ASSERT_EQUAL(e.crec.read_status[1], 0);
	CU_ASSERT_EQUAL(memcmp(dst, region + 100003, 5000), 0);
	CU_ASSERT_EQUAL(e.crec.read_status[2], -ERANGE);
	/* far more than `reads` and the ring hold at once: the rest wait their turn */
	int base = e.crec.reads;
	memset(dst, 0, len);
	for (int i = 0; i < 1000; i++)
		CU_ASSERT_EQUAL(vg_ep_read(e.client, &rkey, (uint64_t)i * 1000, dst + i * 1000, 1000,
					   NULL), 0);
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.reads, base + 1000));
	CU_ASSERT_EQUAL(memcmp(dst, region, 1000000), 0);
	e.crec.reads = 0;
	/* a deregistered key is refused by the peer's NIC: -ENOENT, then the connection goes */
	vg_xprt_mem_deregister(e.x, mr);
	CU_ASSERT_EQUAL(vg_ep_read(e.client, &rkey, 0, dst, 8, (void *)5), 0);
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.reads, 1));
	CU_ASSERT_EQUAL(e.crec.read_status[0], -ENOENT);
	CU_ASSERT_TRUE(wait_for(&e, &e.crec.disconnected, 1));
	CU_ASSERT_EQUAL(vg_ep_read(e.client, &rkey, 0, dst, 8, NULL), -ENOTCONN);
	free(region);
	free(dst);
	env_close(&e);
}

static void test_loop_close(void)
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
	CU_ASSERT_STRING_EQUAL(e.crec.log, "CRRD");
	CU_ASSERT_EQUAL(e.crec.msg_len, 1u << 20);
	if (e.crec.msg_len == 1u << 20)
		CU_ASSERT_EQUAL(memcmp(e.crec.msg, msg, 1 << 20), 0);
	free(msg);
	/* UNIX paths are the sock driver's */
	struct vg_err err = {0};
	struct vg_ep *ep = vg_ep_new(e.x, on_event, &e.crec);
	CU_ASSERT(vg_ep_connect(ep, "/run/ldmsd.sock", 0, &err) < 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "use sock"));
	vg_ep_put(ep);
	env_close(&e);
}

/* ------------------------------------------------------------------ main */

static const struct cu_test unit_tests[] = {
	{"VIGIL_RDMA_OPTS: defaults and good values", test_opts_defaults},
	{"VIGIL_RDMA_OPTS: each bad option named with its range", test_opts_bad},
	{"open: registered; bad options first; no device -ENODEV, one line", test_open},
	{"rkeys: round trip, forged and truncated refused, bounds", test_rkey},
	{"reads refused before posting: -ERANGE, -ENOENT, from the loop", test_reads_refused},
	{"connection parameters: round trip, foreign refused", test_param},
	{"chunk headers: round trip, malformed refused", test_chunk_headers},
	{"reassembly: whole messages, chunks that do not add up", test_reassembly},
	{"credits: window, returns, when to send alone", test_credits},
	{"credits: two sides at random stay within their receives", test_credit_flow},
	{"read bounce ring: FIFO, no wrap inside a read, no overlap", test_ring},
	{NULL, NULL},
};

static const struct cu_test loopback_tests[] = {
	{"loopback: connect, messages 1 B to 4 MiB, thousands in order", test_loop_messages},
	{"loopback: reads, -ERANGE, 1000 queued, refused key -ENOENT", test_loop_reads},
	{"loopback: sent before a close arrives before DISCONNECTED", test_loop_close},
	{NULL, NULL},
};

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	struct cu_test all[VG_ARRAY_LEN(unit_tests) + VG_ARRAY_LEN(loopback_tests)];
	size_t n = 0;
	for (const struct cu_test *t = unit_tests; t->name; t++)
		all[n++] = *t;
	if (device_count() > 0) {
		for (const struct cu_test *t = loopback_tests; t->name; t++)
			all[n++] = *t;
	} else {
		printf("SKIP rdma loopback: no RDMA device on this host\n");
	}
	all[n] = (struct cu_test){NULL, NULL};
	return cu_run("rdma", all, argc, argv);
}
