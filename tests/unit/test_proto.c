/*
 * test_proto.c - the bounded codec and the protocol messages: headers,
 * directory entries and lookup replies round-trip; truncated, oversized and
 * random input is rejected without reading out of bounds (run under ASan).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/proto.h"
#include "core/set.h"
#include "core/wire.h"
#include "tests/unit/cu_main.h"

static void test_wbuf_rbuf(void)
{
	struct vg_wbuf w;
	vg_wbuf_init(&w, 64);
	vg_wbuf_u8(&w, 0xab);
	vg_wbuf_u16(&w, 0x1234);
	vg_wbuf_u32(&w, 0xdeadbeef);
	vg_wbuf_u64(&w, 0x0102030405060708ull);
	vg_wbuf_str(&w, "node1/meminfo");
	CU_ASSERT_TRUE(vg_wbuf_ok(&w));
	/* little-endian on the wire whatever the host */
	CU_ASSERT_EQUAL(w.buf[1], 0x34);
	CU_ASSERT_EQUAL(w.buf[2], 0x12);
	CU_ASSERT_EQUAL(w.buf[3], 0xef);

	struct vg_rbuf r;
	vg_rbuf_init(&r, w.buf, w.len);
	CU_ASSERT_EQUAL(vg_rbuf_u8(&r), 0xab);
	CU_ASSERT_EQUAL(vg_rbuf_u16(&r), 0x1234);
	CU_ASSERT_EQUAL(vg_rbuf_u32(&r), 0xdeadbeef);
	CU_ASSERT_EQUAL(vg_rbuf_u64(&r), 0x0102030405060708ull);
	char s[32];
	vg_rbuf_str(&r, s, sizeof(s));
	CU_ASSERT_STRING_EQUAL(s, "node1/meminfo");
	CU_ASSERT_TRUE(vg_rbuf_ok(&r));
	CU_ASSERT_EQUAL(vg_rbuf_remaining(&r), 0);
	/* reading past the end fails and stays failed */
	CU_ASSERT_EQUAL(vg_rbuf_u32(&r), 0);
	CU_ASSERT_FALSE(vg_rbuf_ok(&r));
	CU_ASSERT_PTR_NULL(vg_rbuf_bytes(&r, 1));

	/* a string that does not fit the destination fails instead of truncating */
	vg_rbuf_init(&r, w.buf, w.len);
	vg_rbuf_bytes(&r, 15);
	vg_rbuf_str(&r, s, 5);
	CU_ASSERT_FALSE(vg_rbuf_ok(&r));
	CU_ASSERT_STRING_EQUAL(s, "");

	/* the writer refuses to grow past its limit */
	vg_wbuf_reset(&w);
	char big[100];
	memset(big, 'x', sizeof(big));
	vg_wbuf_bytes(&w, big, sizeof(big));
	CU_ASSERT_FALSE(vg_wbuf_ok(&w));
	vg_wbuf_free(&w);

	/* a string with an embedded NUL is not a name */
	const uint8_t nul[] = {3, 0, 'a', 0, 'b'};
	vg_rbuf_init(&r, nul, sizeof(nul));
	vg_rbuf_str(&r, s, sizeof(s));
	CU_ASSERT_FALSE(vg_rbuf_ok(&r));
	/* a blob whose length exceeds the input */
	const uint8_t blob[] = {0xff, 0xff, 0xff, 0xff, 1, 2};
	size_t n = 99;
	vg_rbuf_init(&r, blob, sizeof(blob));
	CU_ASSERT_PTR_NULL(vg_rbuf_blob(&r, &n));
	CU_ASSERT_EQUAL(n, 0);
}

static void test_header(void)
{
	struct vg_wbuf w;
	vg_wbuf_init(&w, VG_MSG_MAX);
	vg_msg_begin(&w, VG_MSG_DIR_REQ, 77);
	vg_wbuf_u32(&w, VG_DIR_F_NOTIFY);
	CU_ASSERT_EQUAL(vg_msg_finish(&w), 0);
	CU_ASSERT_EQUAL(w.len, VG_MSG_HDR_SIZE + 4);

	struct vg_msg_hdr h;
	struct vg_rbuf body;
	struct vg_err err;
	CU_ASSERT_EQUAL(vg_msg_parse(w.buf, w.len, &h, &body, &err), 0);
	CU_ASSERT_EQUAL(h.type, VG_MSG_DIR_REQ);
	CU_ASSERT_EQUAL(h.req_id, 77);
	CU_ASSERT_EQUAL(h.length, w.len);
	CU_ASSERT_EQUAL(vg_rbuf_u32(&body), VG_DIR_F_NOTIFY);

	/* shorter than a header, wrong version, unknown type, length mismatch */
	CU_ASSERT_EQUAL(vg_msg_parse(w.buf, 10, &h, &body, &err), -EPROTO);
	uint8_t bad[64];
	memcpy(bad, w.buf, w.len);
	bad[0] = 9;
	CU_ASSERT_EQUAL(vg_msg_parse(bad, w.len, &h, &body, &err), -EPROTO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "version"));
	memcpy(bad, w.buf, w.len);
	bad[2] = 200;
	CU_ASSERT_EQUAL(vg_msg_parse(bad, w.len, &h, &body, &err), -EPROTO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "type"));
	memcpy(bad, w.buf, w.len);
	bad[2] = 0;
	CU_ASSERT_EQUAL(vg_msg_parse(bad, w.len, &h, &body, &err), -EPROTO);
	CU_ASSERT_EQUAL(vg_msg_parse(w.buf, w.len - 1, &h, &body, &err), -EPROTO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "bytes"));
	vg_wbuf_free(&w);
}

static struct vg_set *make_set(void)
{
	struct vg_schema *sc = vg_schema_new("tsmix");
	vg_schema_add(sc, "component_id", VG_T_U64, 1, "", VG_METRIC_META);
	vg_schema_add(sc, "a", VG_T_U64, 1, "", VG_METRIC_DATA);
	vg_schema_add(sc, "arr", VG_T_U64_ARRAY, 3, NULL, VG_METRIC_DATA);
	vg_schema_add(sc, "d", VG_T_D64, 1, NULL, VG_METRIC_DATA);
	vg_schema_add(sc, "s", VG_T_CHAR_ARRAY, 8, NULL, VG_METRIC_DATA);
	struct vg_err err;
	struct vg_set *set = vg_set_new(NULL, sc, "node-1/tsmix", "node-1", 0, 0, 0440, &err);
	vg_schema_free(sc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	vg_set_u64(set, 0, 7);
	vg_set_begin(set);
	vg_set_u64(set, 1, 7);
	for (uint32_t i = 0; i < 3; i++)
		vg_set_array_u64(set, 2, i, 7);
	vg_set_d64(set, 3, 7.0);
	vg_set_str(set, 4, "hhhhhhh");
	vg_set_end(set);
	vg_set_info_set(set, "updt_hint_us", "1000000:0");
	return set;
}

static void test_dir_entry(void)
{
	struct vg_set *set = make_set();
	struct vg_wbuf w;
	vg_wbuf_init(&w, 4096);
	vg_proto_put_dir_entry(&w, set, vg_proto_set_flags(set));
	CU_ASSERT_TRUE(vg_wbuf_ok(&w));
	struct vg_rbuf r;
	struct vg_dir_entry e;
	vg_rbuf_init(&r, w.buf, w.len);
	vg_proto_get_dir_entry(&r, &e);
	CU_ASSERT_TRUE(vg_rbuf_ok(&r));
	CU_ASSERT_STRING_EQUAL(e.instance, "node-1/tsmix");
	CU_ASSERT_STRING_EQUAL(e.schema, "tsmix");
	CU_ASSERT_STRING_EQUAL(e.producer, "node-1");
	CU_ASSERT_EQUAL(e.perm, 0440);
	CU_ASSERT_EQUAL(e.card, 5);
	CU_ASSERT_EQUAL(e.set_flags, VG_SETF_CONSISTENT | VG_SETF_LOCAL);
	CU_ASSERT_EQUAL(e.meta_size, vg_set_meta_size(set));
	/* every truncation is detected */
	for (size_t cut = 0; cut < w.len; cut++) {
		vg_rbuf_init(&r, w.buf, cut);
		vg_proto_get_dir_entry(&r, &e);
		CU_ASSERT_FALSE(vg_rbuf_ok(&r));
	}
	vg_wbuf_free(&w);
	vg_set_put(set);
}

/* Parse a LOOKUP_REPLY message and build the mirror a client would build. */
static int mirror_from_reply(const uint8_t *msg, size_t len, struct vg_set **out)
{
	struct vg_msg_hdr h;
	struct vg_rbuf body;
	struct vg_err err;
	*out = NULL;
	int rc = vg_msg_parse(msg, len, &h, &body, &err);
	if (rc)
		return rc;
	if (h.type != VG_MSG_LOOKUP_REPLY)
		return -EPROTO;
	int32_t status = (int32_t)vg_rbuf_u32(&body);
	if (!vg_rbuf_ok(&body) || status)
		return -EPROTO;
	struct vg_lookup_view v;
	rc = vg_proto_get_lookup_reply(&body, &v);
	if (rc)
		return rc;
	struct vg_set *m = vg_set_mirror_new(NULL, v.meta, v.meta_len, &err);
	if (!m)
		return -EPROTO;
	rc = vg_proto_apply_info(&v, m);
	if (!rc)
		rc = vg_set_data_apply(m, v.data, v.data_len, &err);
	if (rc) {
		vg_set_put(m);
		return rc;
	}
	*out = m;
	return 0;
}

static void test_lookup_reply_roundtrip(void)
{
	struct vg_set *set = make_set();
	struct vg_wbuf w;
	vg_wbuf_init(&w, VG_MSG_MAX);
	uint8_t rkey[32];
	for (int i = 0; i < 32; i++)
		rkey[i] = (uint8_t)i;
	vg_proto_put_lookup_reply(&w, 5, set, vg_proto_set_flags(set), rkey,
				  vg_set_data_offset(set), false);
	CU_ASSERT_EQUAL_FATAL(vg_msg_finish(&w), 0);

	struct vg_set *m;
	CU_ASSERT_EQUAL_FATAL(mirror_from_reply(w.buf, w.len, &m), 0);
	CU_ASSERT_STRING_EQUAL(vg_set_instance(m), "node-1/tsmix");
	CU_ASSERT_EQUAL(vg_get_u64(m, 0), 7);
	CU_ASSERT_EQUAL(vg_get_array_u64(m, 2, 2), 7);
	CU_ASSERT_EQUAL(vg_get_d64(m, 3), 7.0);
	CU_ASSERT_STRING_EQUAL(vg_get_str(m, 4), "hhhhhhh");
	CU_ASSERT_STRING_EQUAL(vg_set_info_get(m, "updt_hint_us"), "1000000:0");
	CU_ASSERT_TRUE(vg_set_is_consistent(m));
	CU_ASSERT_EQUAL(vg_set_data_gn(m), vg_set_data_gn(set));
	vg_set_put(m);

	/* every truncated reply is refused */
	for (size_t cut = 0; cut < w.len; cut++) {
		uint8_t *copy = malloc(cut ? cut : 1);
		memcpy(copy, w.buf, cut);
		/* keep the header consistent with the cut so that the body parser is exercised */
		if (cut >= VG_MSG_HDR_SIZE) {
			copy[4] = (uint8_t)cut;
			copy[5] = (uint8_t)(cut >> 8);
			copy[6] = (uint8_t)(cut >> 16);
			copy[7] = (uint8_t)(cut >> 24);
		}
		CU_ASSERT_NOT_EQUAL(mirror_from_reply(copy, cut, &m), 0);
		CU_ASSERT_PTR_NULL(m);
		free(copy);
	}

	/* random corruption of the body never crashes and never yields a bad mirror */
	srand(12345);
	for (int iter = 0; iter < 20000; iter++) {
		uint8_t *copy = malloc(w.len);
		memcpy(copy, w.buf, w.len);
		int flips = 1 + rand() % 4;
		for (int f = 0; f < flips; f++)
			copy[VG_MSG_HDR_SIZE + (size_t)rand() % (w.len - VG_MSG_HDR_SIZE)] =
				(uint8_t)rand();
		if (mirror_from_reply(copy, w.len, &m) == 0) {
			/* accepted: then every accessor must stay in bounds */
			for (int i = 0; i < vg_set_card(m); i++) {
				(void)vg_set_metric_name(m, i);
				for (uint32_t e = 0; e < vg_set_metric_count(m, i) && e < 64; e++)
					(void)vg_get_as_u64(m, i, e);
			}
			vg_set_put(m);
		}
		free(copy);
	}
	vg_wbuf_free(&w);
	vg_set_put(set);
}

static void test_random_messages(void)
{
	srand(777);
	uint8_t buf[256];
	int parsed = 0;
	for (int iter = 0; iter < 100000; iter++) {
		size_t len = (size_t)rand() % sizeof(buf);
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rand();
		if (len >= 8 && rand() % 2) {
			/* make the header plausible to get past it more often */
			buf[0] = VG_PROTO_VERSION;
			buf[1] = 0;
			buf[2] = (uint8_t)(1 + rand() % VG_MSG_TYPE_MAX);
			buf[3] = 0;
			buf[4] = (uint8_t)len;
			buf[5] = buf[6] = buf[7] = 0;
		}
		struct vg_msg_hdr h;
		struct vg_rbuf body;
		if (vg_msg_parse(buf, len, &h, &body, NULL))
			continue;
		parsed++;
		struct vg_dir_entry e;
		struct vg_lookup_view v;
		switch (h.type) {
		case VG_MSG_DIR_NOTIFY:
			vg_rbuf_u32(&body);
			vg_proto_get_dir_entry(&body, &e);
			break;
		case VG_MSG_LOOKUP_REPLY:
			vg_rbuf_u32(&body);
			vg_proto_get_lookup_reply(&body, &v);
			break;
		default:
			break;
		}
	}
	/* the plausible headers got through, so the body parsers were exercised (under ASan) */
	CU_ASSERT(parsed > 10000);
}

static const struct cu_test tests[] = {
	{"bounded writer and reader", test_wbuf_rbuf},
	{"message header", test_header},
	{"directory entry", test_dir_entry},
	{"lookup reply round trip, truncation and corruption", test_lookup_reply_roundtrip},
	{"random messages", test_random_messages},
	{NULL, NULL},
};

CU_MAIN("proto", tests)
