/*
 * test_etcd.c - the balancer's etcd client against a real etcd on loopback
 * (keys, leases, campaigns, compare-and-set, etcd killed and restarted);
 * the fake server's hostile replies are in test_etcd_hostile.c.  Without an etcd binary the fake
 * server cases still run and the program exits 77 (skip), unless
 * VIGIL_REQUIRE_ETCD=1 makes that a failure.
 */
#include "config.h"

#include "tests/unit/cu_main.h"
#include "tests/unit/etcd_fixture.h"

#include "balancer/base64.h"
#include "balancer/etcd.h"
#include "balancer/json_read.h"

static struct etcd_srv srv;
static bool have_etcd;

#define NEED_ETCD()                   \
	do {                          \
		if (!have_etcd)       \
			return;       \
	} while (0)

static struct vg_etcd *open_srv(unsigned timeout_ms)
{
	struct vg_err err = {0};
	struct vg_etcd *e = vg_etcd_open(srv.endpoint, timeout_ms, &err);
	if (!e)
		fprintf(stderr, "open: %s\n", err.msg);
	return e;
}

/* ------------------------------------------------------------------ codecs */

static void test_codecs(void)
{
	struct vg_strbuf sb;
	vg_strbuf_init(&sb);
	uint8_t in[10], out[16];
	for (size_t n = 0; n <= sizeof(in); n++) {
		for (size_t i = 0; i < n; i++)
			in[i] = (uint8_t)(0xf7 + i * 37);
		vg_strbuf_reset(&sb);
		CU_ASSERT_EQUAL(b64_append(&sb, in, n), 0);
		CU_ASSERT_EQUAL(sb.len, B64_ENCODED_LEN(n));
		CU_ASSERT_EQUAL(b64_decode(sb.buf ? sb.buf : "", sb.len, out, sizeof(out)), (long)n);
		CU_ASSERT_EQUAL(memcmp(in, out, n), 0);
	}
	vg_strbuf_free(&sb);
	CU_ASSERT_EQUAL(b64_decode("Zm9v", 4, out, sizeof(out)), 3);
	CU_ASSERT_EQUAL(b64_decode("Zm8", 3, out, sizeof(out)), 2);     /* unpadded */
	CU_ASSERT_EQUAL(b64_decode("_-8=", 4, out, sizeof(out)), 2);    /* URL-safe */
	CU_ASSERT_EQUAL(b64_decode("Zm9v", 4, out, 2), -ENOBUFS);
	const char *bad[] = {"Z", "Zm9=v", "Zm*v", "Zm9vZ", "Zm===", "Zn==", "=", "Zm9v\n"};
	for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++)
		CU_ASSERT_EQUAL(b64_decode(bad[i], strlen(bad[i]), out, sizeof(out)), -EINVAL);

	struct jr_doc d;
	jr_init(&d);
	const char *doc = " {\"a\":{\"b\":[1,\"-42\",{\"c\":null}]},\"s\":\"x\\u00e9\\ud83d\\ude00\\n\\\"\","
			  "\"big\":\"9223372036854775807\",\"over\":9223372036854775808,\"f\":1.5,"
			  "\"min\":-9223372036854775808,\"lone\":\"\\ud800z\",\"k\\u0065y\":true} ";
	CU_ASSERT_EQUAL_FATAL(jr_parse(&d, doc, strlen(doc)), 0);
	int64_t v;
	CU_ASSERT_EQUAL(jr_count(&d, jr_path(&d, 0, "a.b")), 3);
	CU_ASSERT_EQUAL(jr_i64(&d, jr_at(&d, jr_path(&d, 0, "a.b"), 0), &v), 0);
	CU_ASSERT_EQUAL(v, 1);
	CU_ASSERT_EQUAL(jr_i64(&d, jr_at(&d, jr_path(&d, 0, "a.b"), 1), &v), 0);
	CU_ASSERT_EQUAL(v, -42);
	CU_ASSERT_EQUAL(jr_type(&d, jr_get(&d, jr_at(&d, jr_path(&d, 0, "a.b"), 2), "c")), JR_NULL);
	CU_ASSERT_EQUAL(jr_at(&d, jr_path(&d, 0, "a.b"), 3), -1);
	CU_ASSERT_EQUAL(jr_i64(&d, jr_get(&d, 0, "big"), &v), 0);
	CU_ASSERT_EQUAL(v, INT64_MAX);
	CU_ASSERT_EQUAL(jr_i64(&d, jr_get(&d, 0, "min"), &v), 0);
	CU_ASSERT_EQUAL(v, INT64_MIN);
	CU_ASSERT_EQUAL(jr_i64(&d, jr_get(&d, 0, "over"), &v), -ERANGE);
	CU_ASSERT_EQUAL(jr_i64(&d, jr_get(&d, 0, "f"), &v), -EINVAL);
	CU_ASSERT_EQUAL(jr_i64(&d, jr_get(&d, 0, "nope"), &v), -ENOENT);
	char s[32];
	CU_ASSERT_EQUAL(jr_str(&d, jr_get(&d, 0, "s"), s, sizeof(s)), 9);
	CU_ASSERT_STRING_EQUAL(s, "x\xc3\xa9\xf0\x9f\x98\x80\n\"");
	CU_ASSERT_EQUAL(jr_str(&d, jr_get(&d, 0, "s"), s, 9), -ENOBUFS);
	CU_ASSERT_EQUAL(jr_str(&d, jr_get(&d, 0, "lone"), s, sizeof(s)), 4);
	CU_ASSERT_STRING_EQUAL(s, "\xef\xbf\xbdz");
	CU_ASSERT_EQUAL(jr_type(&d, jr_get(&d, 0, "key")), JR_TRUE);  /* escaped key */
	CU_ASSERT_EQUAL(jr_path(&d, -1, "a"), -1);

	const char *bad_json[] = {"", "{", "{\"a\":1,}", "[1,]", "{\"a\" 1}", "01", "1.", "-",
				  "\"\\x\"", "\"\\u12g4\"", "\"a\nb\"", "tru", "nul", "{} {}",
				  "{\"a\":1}x", "[1 2]", "{1:2}", "\"abc", "+1", ".5"};
	for (size_t i = 0; i < VG_ARRAY_LEN(bad_json); i++)
		CU_ASSERT_EQUAL(jr_parse(&d, bad_json[i], strlen(bad_json[i])), -EINVAL);
	char deep[200];
	memset(deep, '[', 100);
	memset(deep + 100, ']', 100);
	CU_ASSERT_EQUAL(jr_parse(&d, deep, sizeof(deep)), -E2BIG);
	CU_ASSERT_EQUAL(jr_parse(&d, deep + 100 - JR_MAX_DEPTH, 2 * JR_MAX_DEPTH), 0);
	d.max_tok = 4;
	CU_ASSERT_EQUAL(jr_parse(&d, "[1,2,3]", 7), 0);
	CU_ASSERT_EQUAL(jr_parse(&d, "[1,2,3,4]", 9), -E2BIG);
	d.max_tok = 0;
	/* not NUL-terminated: the length bounds every read */
	CU_ASSERT_EQUAL(jr_parse(&d, "[1,2]xyz", 5), 0);
	CU_ASSERT_EQUAL(jr_parse(&d, "\"ab", 2), -EINVAL);
	jr_free(&d);
}

/* ------------------------------------------------------------------ keys */

static void test_roundtrip(void)
{
	NEED_ETCD();
	struct vg_etcd *e = open_srv(3000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	struct vg_err err = {0};
	uint8_t bin[256];
	for (int i = 0; i < 256; i++)
		bin[i] = (uint8_t)(255 - i);
	const char *key = "/t/rt/bin \"q\" \xc3\xa9";
	CU_ASSERT_EQUAL(vg_etcd_put(e, key, bin, sizeof(bin), 0, &err), 0);
	uint8_t got[300];
	size_t len = sizeof(got);
	int64_t rev1 = 0, rev2 = 0;
	CU_ASSERT_EQUAL(vg_etcd_get(e, key, got, &len, &rev1, &err), 0);
	CU_ASSERT_EQUAL(len, sizeof(bin));
	CU_ASSERT_EQUAL(memcmp(got, bin, sizeof(bin)), 0);
	CU_ASSERT(rev1 > 0);

	/* an empty value, then a big one; each write moves the revision on */
	CU_ASSERT_EQUAL(vg_etcd_put(e, key, "", 0, 0, &err), 0);
	len = sizeof(got);
	CU_ASSERT_EQUAL(vg_etcd_get(e, key, got, &len, &rev2, &err), 0);
	CU_ASSERT_EQUAL(len, 0);
	CU_ASSERT(rev2 > rev1);
	size_t big_len = 200000;
	uint8_t *big = malloc(big_len), *back = malloc(big_len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	CU_ASSERT_PTR_NOT_NULL_FATAL(back);
	for (size_t i = 0; i < big_len; i++)
		big[i] = (uint8_t)(i * 7 + i / 251);
	CU_ASSERT_EQUAL(vg_etcd_put(e, "/t/rt/big", big, big_len, 0, &err), 0);
	len = big_len;
	CU_ASSERT_EQUAL(vg_etcd_get(e, "/t/rt/big", back, &len, NULL, &err), 0);
	CU_ASSERT_EQUAL(len, big_len);
	CU_ASSERT_EQUAL(memcmp(big, back, big_len), 0);

	/* too small a buffer: the length needed, the buffer untouched */
	memset(got, 0xaa, sizeof(got));
	len = 10;
	CU_ASSERT_EQUAL(vg_etcd_get(e, "/t/rt/big", got, &len, NULL, &err), -ENOBUFS);
	CU_ASSERT_EQUAL(len, big_len);
	CU_ASSERT_EQUAL(got[0], 0xaa);
	free(big);
	free(back);
	vg_etcd_close(e);
}

static void test_get_missing(void)
{
	NEED_ETCD();
	struct vg_etcd *e = open_srv(3000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	struct vg_err err = {0};
	char buf[8];
	size_t len = sizeof(buf);
	int64_t rev = 77;
	CU_ASSERT_EQUAL(vg_etcd_get(e, "/t/missing/key", buf, &len, &rev, &err), -ENOENT);
	CU_ASSERT_EQUAL(err.code, ENOENT);
	CU_ASSERT_EQUAL(rev, 77);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, srv.endpoint));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "/t/missing/key"));
	vg_etcd_close(e);
}

struct listing {
	int calls;
	int stop_after;
	char keys[8][32];
	char values[8][16];
	int64_t revs[8];
};

static int collect(void *arg, const struct vg_etcd_kv *kv)
{
	struct listing *l = arg;
	if (l->calls < 8) {
		snprintf(l->keys[l->calls], sizeof(l->keys[0]), "%s", kv->key);
		snprintf(l->values[l->calls], sizeof(l->values[0]), "%.*s", (int)kv->value_len,
			 (const char *)kv->value);
		l->revs[l->calls] = kv->mod_revision;
	}
	l->calls++;
	if (l->stop_after && l->calls == l->stop_after)
		return l->stop_after > 0 ? 1 : -1;
	return 0;
}

static int fail_fn(void *arg, const struct vg_etcd_kv *kv)
{
	(void)arg;
	(void)kv;
	return -EINTR;
}

static void test_prefix(void)
{
	NEED_ETCD();
	struct vg_etcd *e = open_srv(3000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	struct vg_err err = {0};
	const char *keys[] = {"/t/pfx/b", "/t/pfx/a", "/t/pfx/c/d", "/t/pfy", "/t/pf", "/t/pfx"};
	for (size_t i = 0; i < VG_ARRAY_LEN(keys); i++)
		CU_ASSERT_EQUAL(vg_etcd_put(e, keys[i], keys[i] + 3, strlen(keys[i] + 3), 0, &err), 0);
	struct listing l = {0};
	CU_ASSERT_EQUAL(vg_etcd_get_prefix(e, "/t/pfx/", collect, &l, &err), 3);
	CU_ASSERT_EQUAL(l.calls, 3);
	CU_ASSERT_STRING_EQUAL(l.keys[0], "/t/pfx/a");
	CU_ASSERT_STRING_EQUAL(l.keys[1], "/t/pfx/b");
	CU_ASSERT_STRING_EQUAL(l.keys[2], "/t/pfx/c/d");
	CU_ASSERT_STRING_EQUAL(l.values[2], "pfx/c/d");
	CU_ASSERT(l.revs[0] > 0);
	/* prefixes of every length mod 3 (range_end is encoded in two parts) */
	memset(&l, 0, sizeof(l));
	CU_ASSERT_EQUAL(vg_etcd_get_prefix(e, "/t/pf", collect, &l, &err), 6);
	memset(&l, 0, sizeof(l));
	CU_ASSERT_EQUAL(vg_etcd_get_prefix(e, "/t/pfx", collect, &l, &err), 4);
	memset(&l, 0, sizeof(l));
	CU_ASSERT_EQUAL(vg_etcd_get_prefix(e, "/t/p", collect, &l, &err), 6);
	memset(&l, 0, sizeof(l));
	CU_ASSERT_EQUAL(vg_etcd_get_prefix(e, "/t/none/", collect, &l, &err), 0);
	CU_ASSERT_EQUAL(l.calls, 0);
	/* a prefix ending in 0xff bytes: the range ends after the byte below */
	const char *ff[] = {"/t/q\xff", "/t/q\xff\xff", "/t/q\xff\x01", "/t/r", "/t/q\xfe"};
	for (size_t i = 0; i < VG_ARRAY_LEN(ff); i++)
		CU_ASSERT_EQUAL(vg_etcd_put(e, ff[i], "x", 1, 0, &err), 0);
	memset(&l, 0, sizeof(l));
	CU_ASSERT_EQUAL(vg_etcd_get_prefix(e, "/t/q\xff", collect, &l, &err), 3);
	memset(&l, 0, sizeof(l));
	CU_ASSERT(vg_etcd_get_prefix(e, "", collect, &l, &err) >= 11);  /* everything */
	/* the callback stops the listing, or fails it */
	memset(&l, 0, sizeof(l));
	l.stop_after = 1;
	CU_ASSERT_EQUAL(vg_etcd_get_prefix(e, "/t/pfx/", collect, &l, &err), 3);
	CU_ASSERT_EQUAL(l.calls, 1);
	CU_ASSERT_EQUAL(vg_etcd_get_prefix(e, "/t/pfx/", fail_fn, NULL, &err), -EINTR);
	vg_etcd_close(e);
}

static void test_delete(void)
{
	NEED_ETCD();
	struct vg_etcd *e = open_srv(3000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	struct vg_err err = {0};
	const char *keys[] = {"/t/del/a", "/t/del/b", "/t/del/c", "/t/delx"};
	for (size_t i = 0; i < VG_ARRAY_LEN(keys); i++)
		CU_ASSERT_EQUAL(vg_etcd_put(e, keys[i], "v", 1, 0, &err), 0);
	CU_ASSERT_EQUAL(vg_etcd_delete(e, "/t/del/a", &err), 1);
	CU_ASSERT_EQUAL(vg_etcd_delete(e, "/t/del/a", &err), 0);
	char buf[8];
	size_t len = sizeof(buf);
	CU_ASSERT_EQUAL(vg_etcd_get(e, "/t/del/a", buf, &len, NULL, &err), -ENOENT);
	CU_ASSERT_EQUAL(vg_etcd_delete_prefix(e, "/t/del/", &err), 2);
	CU_ASSERT_EQUAL(vg_etcd_delete_prefix(e, "/t/del/", &err), 0);
	len = sizeof(buf);
	CU_ASSERT_EQUAL(vg_etcd_get(e, "/t/delx", buf, &len, NULL, &err), 0);
	vg_etcd_close(e);
}

/* ------------------------------------------------------------------ leases */

static bool key_gone(struct vg_etcd *e, const char *key, unsigned ms)
{
	struct vg_err err;
	uint64_t deadline = vg_mono_us() + (uint64_t)ms * 1000;
	while (vg_mono_us() < deadline) {
		char buf[16];
		size_t len = sizeof(buf);
		if (vg_etcd_get(e, key, buf, &len, NULL, &err) == -ENOENT)
			return true;
		sleep_ms(100);
	}
	return false;
}

static void test_lease(void)
{
	NEED_ETCD();
	struct vg_etcd *e = open_srv(3000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	struct vg_err err = {0};
	int64_t id = 0;
	unsigned granted = 0, left = 0;
	CU_ASSERT_EQUAL(vg_etcd_lease_grant(e, 0, &id, &granted, &err), -EINVAL);

	/* kept alive, the key outlives several TTLs; revoked, it goes at once */
	CU_ASSERT_EQUAL_FATAL(vg_etcd_lease_grant(e, 2, &id, &granted, &err), 0);
	CU_ASSERT(id != 0);
	CU_ASSERT(granted >= 2);
	CU_ASSERT_EQUAL(vg_etcd_put(e, "/t/lease/kept", "k", 1, id, &err), 0);
	uint64_t until = vg_mono_us() + (uint64_t)granted * 1500000;
	while (vg_mono_us() < until) {
		CU_ASSERT_EQUAL_FATAL(vg_etcd_lease_keepalive(e, id, &left, &err), 0);
		CU_ASSERT(left >= 1 && left <= granted);
		sleep_ms(300);
	}
	char buf[8];
	size_t len = sizeof(buf);
	CU_ASSERT_EQUAL(vg_etcd_get(e, "/t/lease/kept", buf, &len, NULL, &err), 0);
	CU_ASSERT_EQUAL(vg_etcd_lease_revoke(e, id, &err), 0);
	len = sizeof(buf);
	CU_ASSERT_EQUAL(vg_etcd_get(e, "/t/lease/kept", buf, &len, NULL, &err), -ENOENT);
	CU_ASSERT_EQUAL(vg_etcd_lease_revoke(e, id, &err), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "lease not found"));
	CU_ASSERT_EQUAL(vg_etcd_lease_keepalive(e, id, &left, &err), -ENOENT);

	/* left alone, it expires and takes its key along */
	CU_ASSERT_EQUAL_FATAL(vg_etcd_lease_grant(e, 1, &id, &granted, &err), 0);
	CU_ASSERT_EQUAL(vg_etcd_put(e, "/t/lease/short", "s", 1, id, &err), 0);
	CU_ASSERT_TRUE(key_gone(e, "/t/lease/short", 15000));
	CU_ASSERT_EQUAL(vg_etcd_lease_keepalive(e, id, &left, &err), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "expired"));
	CU_ASSERT_EQUAL(vg_etcd_put(e, "/t/lease/short", "s", 1, id, &err), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "lease not found"));
	vg_etcd_close(e);
}

/* ------------------------------------------------------------------ leadership */

static void test_campaign(void)
{
	NEED_ETCD();
	struct vg_etcd *a = open_srv(3000), *b = open_srv(3000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	struct vg_err err = {0};
	int64_t la, lb;
	CU_ASSERT_EQUAL_FATAL(vg_etcd_lease_grant(a, 30, &la, NULL, &err), 0);
	CU_ASSERT_EQUAL_FATAL(vg_etcd_lease_grant(b, 30, &lb, NULL, &err), 0);
	const char *key = "/t/camp/leader";
	struct vg_etcd_term ta, tb;
	CU_ASSERT_EQUAL(vg_etcd_campaign(a, key, "bal-a", 5, 0, &ta, &err), -EINVAL);
	CU_ASSERT_EQUAL(vg_etcd_campaign(a, key, "bal-a", 5, la, &ta, &err), 1);
	CU_ASSERT(ta.create_revision > 0);
	CU_ASSERT_STRING_EQUAL(ta.holder, "bal-a");
	CU_ASSERT_EQUAL(ta.lease, la);

	CU_ASSERT_EQUAL(vg_etcd_campaign(b, key, "bal-b", 5, lb, &tb, &err), 0);
	CU_ASSERT_STRING_EQUAL(tb.holder, "bal-a");
	CU_ASSERT_EQUAL(tb.holder_len, 5);
	CU_ASSERT_EQUAL(tb.lease, la);
	CU_ASSERT_EQUAL(tb.create_revision, ta.create_revision);

	/* campaigning again with the lease that holds the key: still leader */
	struct vg_etcd_term again;
	CU_ASSERT_EQUAL(vg_etcd_campaign(a, key, "bal-a", 5, la, &again, &err), 1);
	CU_ASSERT_EQUAL(again.create_revision, ta.create_revision);

	/* the leader's lease ends: the key goes with it, the follower takes over */
	CU_ASSERT_EQUAL(vg_etcd_lease_revoke(a, la, &err), 0);
	CU_ASSERT_EQUAL(vg_etcd_campaign(b, key, "bal-b", 5, lb, &tb, &err), 1);
	CU_ASSERT_STRING_EQUAL(tb.holder, "bal-b");
	CU_ASSERT(tb.create_revision > ta.create_revision);
	CU_ASSERT_EQUAL(vg_etcd_campaign(a, key, "bal-a", 5, la, &ta, &err), 0);
	CU_ASSERT_STRING_EQUAL(ta.holder, "bal-b");
	CU_ASSERT_EQUAL(vg_etcd_lease_revoke(b, lb, &err), 0);
	vg_etcd_close(a);
	vg_etcd_close(b);
}

static void test_cas_put(void)
{
	NEED_ETCD();
	struct vg_etcd *e = open_srv(3000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	struct vg_err err = {0};
	const char *key = "/t/cas/assign";
	int64_t rev = 0, first, stale;
	CU_ASSERT_EQUAL(vg_etcd_cas_put(e, key, "v1", 2, &rev, NULL, &err), 0);  /* create */
	CU_ASSERT(rev > 0);
	first = rev;
	stale = 0;
	CU_ASSERT_EQUAL(vg_etcd_cas_put(e, key, "v0", 2, &stale, NULL, &err), -ESTALE);
	CU_ASSERT_EQUAL(stale, first);
	CU_ASSERT_EQUAL(vg_etcd_cas_put(e, key, "v2", 2, &rev, NULL, &err), 0);
	CU_ASSERT(rev > first);
	stale = first;
	CU_ASSERT_EQUAL(vg_etcd_cas_put(e, key, "v3", 2, &stale, NULL, &err), -ESTALE);
	CU_ASSERT_EQUAL(err.code, ESTALE);
	CU_ASSERT_EQUAL(stale, rev);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, key));
	char buf[8];
	size_t len = sizeof(buf);
	int64_t got_rev;
	CU_ASSERT_EQUAL(vg_etcd_get(e, key, buf, &len, &got_rev, &err), 0);
	CU_ASSERT_EQUAL(len, 2);
	CU_ASSERT_EQUAL(memcmp(buf, "v2", 2), 0);
	CU_ASSERT_EQUAL(got_rev, rev);

	/* guarded by a leader term: written while it lasts, refused after */
	int64_t lease, other;
	CU_ASSERT_EQUAL_FATAL(vg_etcd_lease_grant(e, 30, &lease, NULL, &err), 0);
	struct vg_etcd_term term;
	CU_ASSERT_EQUAL_FATAL(vg_etcd_campaign(e, "/t/cas/leader", "me", 2, lease, &term, &err), 1);
	struct vg_etcd_guard guard = {"/t/cas/leader", term.create_revision};
	CU_ASSERT_EQUAL(vg_etcd_cas_put(e, key, "g1", 2, &rev, &guard, &err), 0);
	CU_ASSERT_EQUAL(vg_etcd_lease_revoke(e, lease, &err), 0);
	int64_t before = rev;
	CU_ASSERT_EQUAL(vg_etcd_cas_put(e, key, "g2", 2, &rev, &guard, &err), -EPERM);
	CU_ASSERT_EQUAL(rev, before);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "leadership lost"));
	/* a successor's term does not revive the old guard */
	CU_ASSERT_EQUAL_FATAL(vg_etcd_lease_grant(e, 30, &other, NULL, &err), 0);
	CU_ASSERT_EQUAL(vg_etcd_campaign(e, "/t/cas/leader", "next", 4, other, &term, &err), 1);
	CU_ASSERT_EQUAL(vg_etcd_cas_put(e, key, "g2", 2, &rev, &guard, &err), -EPERM);
	guard.create_revision = term.create_revision;
	CU_ASSERT_EQUAL(vg_etcd_cas_put(e, key, "g3", 2, &rev, &guard, &err), 0);
	len = sizeof(buf);
	CU_ASSERT_EQUAL(vg_etcd_get(e, key, buf, &len, NULL, &err), 0);
	CU_ASSERT_EQUAL(memcmp(buf, "g3", 2), 0);
	/* deleted under us: stale, and the current revision is 0 */
	CU_ASSERT_EQUAL(vg_etcd_delete(e, key, &err), 1);
	CU_ASSERT_EQUAL(vg_etcd_cas_put(e, key, "g4", 2, &rev, NULL, &err), -ESTALE);
	CU_ASSERT_EQUAL(rev, 0);
	CU_ASSERT_EQUAL(vg_etcd_lease_revoke(e, other, &err), 0);
	vg_etcd_close(e);
}

/* ------------------------------------------------------------------ failures */

static void test_refused(void)
{
	struct vg_err err = {0};
	int port = free_port();
	char ep[64], want[160];
	snprintf(ep, sizeof(ep), "127.0.0.1:%d", port);
	struct vg_etcd *e = vg_etcd_open(ep, 1000, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	char buf[8];
	size_t len = sizeof(buf);
	CU_ASSERT_EQUAL(vg_etcd_get(e, "/k", buf, &len, NULL, &err), -ECONNREFUSED);
	snprintf(want, sizeof(want), "etcd %s: connection refused: is etcd running?", ep);
	CU_ASSERT_STRING_EQUAL(err.msg, want);
	CU_ASSERT_EQUAL(vg_etcd_put(e, "/k", "v", 1, 0, &err), -ECONNREFUSED);
	vg_etcd_close(e);

	const char *bad[] = {"", "localhost", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
			     "127.0.0.1:2x", ":2379", "https://127.0.0.1:2379", "::1:2379"};
	for (size_t i = 0; i < VG_ARRAY_LEN(bad); i++) {
		CU_ASSERT_PTR_NULL(vg_etcd_open(bad[i], 1000, &err));
		CU_ASSERT_EQUAL(err.code, EINVAL);
	}
	CU_ASSERT_PTR_NULL(vg_etcd_open("127.0.0.1:2379", 0, &err));
	e = vg_etcd_open("http://[::1]:2379/", 1000, &err);
	CU_ASSERT_PTR_NOT_NULL(e);
	if (e)
		CU_ASSERT_STRING_EQUAL(vg_etcd_endpoint(e), "[::1]:2379");
	vg_etcd_close(e);
}

/* Read key through e until it answers or ms pass: the last return code. */
static int get_until_ok(struct vg_etcd *e, const char *key, char *buf, size_t *len, unsigned ms)
{
	struct vg_err err;
	uint64_t deadline = vg_mono_us() + (uint64_t)ms * 1000;
	size_t cap = *len;
	int rc;
	do {
		*len = cap;
		rc = vg_etcd_get(e, key, buf, len, NULL, &err);
		if (rc == 0)
			break;
		sleep_ms(100);
	} while (vg_mono_us() < deadline);
	return rc;
}

static void test_etcd_restart(void)
{
	NEED_ETCD();
	struct vg_etcd *e = open_srv(1000);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e);
	struct vg_err err = {0};
	CU_ASSERT_EQUAL(vg_etcd_put(e, "/t/restart/k", "before", 6, 0, &err), 0);

	/* stopped: the call gives up after its timeout, then works once resumed */
	vg_etcd_set_timeout(e, 300);
	kill(srv.pid, SIGSTOP);
	int status = 0;  /* the stop is asynchronous: wait until every thread is stopped */
	CU_ASSERT_EQUAL_FATAL(waitpid(srv.pid, &status, WUNTRACED), srv.pid);
	CU_ASSERT_TRUE(WIFSTOPPED(status));
	char buf[16];
	size_t len = sizeof(buf);
	uint64_t t0 = vg_mono_us();
	CU_ASSERT_EQUAL(vg_etcd_get(e, "/t/restart/k", buf, &len, NULL, &err), -ETIMEDOUT);
	CU_ASSERT(vg_mono_us() - t0 < 3000000);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "300 ms"));
	kill(srv.pid, SIGCONT);
	vg_etcd_set_timeout(e, 1000);
	len = sizeof(buf);
	CU_ASSERT_EQUAL(get_until_ok(e, "/t/restart/k", buf, &len, 10000), 0);

	/* killed: calls fail naming the endpoint; restarted: the same handle
	 * reconnects by itself and finds the data */
	etcd_stop(&srv, SIGKILL);
	len = sizeof(buf);
	int rc = vg_etcd_get(e, "/t/restart/k", buf, &len, NULL, &err);
	CU_ASSERT(rc == -ECONNREFUSED || rc == -ECONNRESET);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, srv.endpoint));
	CU_ASSERT_EQUAL(vg_etcd_put(e, "/t/restart/k", "during", 6, 0, &err), -ECONNREFUSED);
	CU_ASSERT_TRUE_FATAL(etcd_restart(&srv));
	len = sizeof(buf);
	CU_ASSERT_EQUAL(get_until_ok(e, "/t/restart/k", buf, &len, 30000), 0);
	CU_ASSERT_EQUAL(len, 6);
	CU_ASSERT_EQUAL(memcmp(buf, "before", 6), 0);
	CU_ASSERT_EQUAL(vg_etcd_put(e, "/t/restart/k", "after", 5, 0, &err), 0);
	vg_etcd_close(e);
}

static const struct cu_test tests[] = {
	{"base64 and the JSON reader take only what is well formed", test_codecs},
	{"put/get round trip of binary, empty and big values", test_roundtrip},
	{"get of a missing key is -ENOENT naming the key", test_get_missing},
	{"prefix listing in key order, stopped or failed by the callback", test_prefix},
	{"delete and delete_prefix count what they removed", test_delete},
	{"lease: kept alive outlives its TTL, revoked or expired takes its keys", test_lease},
	{"campaign: first wins, second follows, takes over after revoke", test_campaign},
	{"cas_put: right revision writes, stale refused, guard lost refused", test_cas_put},
	{"connection refused and bad endpoints give clear errors", test_refused},
	{"hostile replies give errors and the handle recovers", test_hostile},
	{"chunked replies with trailers are decoded", test_chunked},
	{"a silent server times out", test_silent},
	{"fuzzed replies give 0 or an error, never a bad read", test_fuzz},
	{"etcd stopped, killed and restarted: errors, then recovery", test_etcd_restart},
	{NULL, NULL}
};

static void on_fatal_signal(int sig)
{
	etcd_cleanup(&srv);
	signal(sig, SIG_DFL);
	raise(sig);
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	const char *require = getenv("VIGIL_REQUIRE_ETCD");
	have_etcd = etcd_path() != NULL;
	if (!have_etcd && require && strcmp(require, "1") == 0) {
		fprintf(stderr, "FAIL: etcd not installed but VIGIL_REQUIRE_ETCD=1 "
			"(apt-get install etcd-server)\n");
		return 1;
	}
	if (have_etcd) {
		signal(SIGALRM, on_fatal_signal);  /* cu_run's alarm: a hang */
		signal(SIGTERM, on_fatal_signal);
		signal(SIGINT, on_fatal_signal);
		if (!etcd_start(&srv)) {
			fprintf(stderr, "FAIL: etcd did not start on loopback (log above)\n");
			etcd_cleanup(&srv);
			return 1;
		}
	}
	int rc = cu_run("etcd", tests, argc, argv);
	etcd_cleanup(&srv);
	if (rc == 0 && !have_etcd) {
		printf("SKIP: etcd not installed (apt-get install etcd-server)\n");
		return 77;
	}
	return rc;
}
