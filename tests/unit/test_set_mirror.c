/*
 * test_set_mirror.c - mirrors of a peer's set: equality with the local set,
 * stale and torn updates, one-sided reads, malformed meta parts and a fuzz
 * of the meta part (run under ASan, it proves no access leaves the set).
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pool.h"
#include "core/set_format.h"
#include "tests/unit/set_fixture.h"

#include <CUnit/CUnit.h>

/* ------------------------------------------------------------------ mirrors */

static struct vg_set *mirror_of(const struct vg_set *local)
{
	size_t mlen;
	const void *meta = vg_set_meta_bytes(local, &mlen);
	struct vg_err err = {0};
	struct vg_set *m = vg_set_mirror_new(NULL, meta, mlen, &err);
	if (!m)
		fprintf(stderr, "mirror: %s\n", err.msg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	return m;
}

static int apply_from(struct vg_set *m, const struct vg_set *local, struct vg_err *err)
{
	size_t dlen;
	const void *data = vg_set_data_bytes(local, &dlen);
	return vg_set_data_apply(m, data, dlen, err);
}

static void check_same(const struct vg_set *a, const struct vg_set *b)
{
	CU_ASSERT_STRING_EQUAL(vg_set_instance(a), vg_set_instance(b));
	CU_ASSERT_STRING_EQUAL(vg_set_producer(a), vg_set_producer(b));
	CU_ASSERT_STRING_EQUAL(vg_set_schema_name(a), vg_set_schema_name(b));
	CU_ASSERT_EQUAL(vg_set_uid(a), vg_set_uid(b));
	CU_ASSERT_EQUAL(vg_set_gid(a), vg_set_gid(b));
	CU_ASSERT_EQUAL(vg_set_perm(a), vg_set_perm(b));
	CU_ASSERT_EQUAL(vg_set_meta_gn(a), vg_set_meta_gn(b));
	CU_ASSERT_EQUAL(vg_set_data_gn(a), vg_set_data_gn(b));
	CU_ASSERT_EQUAL(vg_set_is_consistent(a), vg_set_is_consistent(b));
	CU_ASSERT_EQUAL(vg_set_timestamp(a).sec, vg_set_timestamp(b).sec);
	CU_ASSERT_EQUAL(vg_set_timestamp(a).usec, vg_set_timestamp(b).usec);
	CU_ASSERT_EQUAL(vg_set_card(a), vg_set_card(b));
	for (int i = 0; i < vg_set_card(a); i++) {
		CU_ASSERT_STRING_EQUAL(vg_set_metric_name(a, i), vg_set_metric_name(b, i));
		const char *ua = vg_set_metric_unit(a, i), *ub = vg_set_metric_unit(b, i);
		CU_ASSERT_EQUAL(!ua, !ub);
		if (ua && ub)
			CU_ASSERT_STRING_EQUAL(ua, ub);
		CU_ASSERT_EQUAL(vg_set_metric_type(a, i), vg_set_metric_type(b, i));
		CU_ASSERT_EQUAL(vg_set_metric_count(a, i), vg_set_metric_count(b, i));
		CU_ASSERT_EQUAL(vg_set_metric_is_meta(a, i), vg_set_metric_is_meta(b, i));
		CU_ASSERT_EQUAL(vg_set_metric_udata(a, i), vg_set_metric_udata(b, i));
		size_t bytes = vg_set_metric_count(a, i) * vg_type_elem_size(vg_set_metric_type(a, i));
		CU_ASSERT_EQUAL(memcmp(vg_set_value_cptr(a, i), vg_set_value_cptr(b, i), bytes), 0);
		for (uint32_t e = 0; e < vg_set_metric_count(a, i); e++)
			CU_ASSERT_EQUAL(vg_get_as_s64(a, i, e), vg_get_as_s64(b, i, e));
	}
}

void test_mirror_equal(void)
{
	struct all_idx ix;
	struct vg_set *local = all_types_set(&ix);
	vg_set_metric_udata_set(local, ix.scalar[VG_T_U32], 77);
	fill_values(local, &ix, 0);
	struct vg_set *m = mirror_of(local);
	CU_ASSERT_EQUAL(vg_set_flags(m), VG_SET_F_MIRROR);
	CU_ASSERT_FALSE(vg_set_is_consistent(m));
	CU_ASSERT_EQUAL(vg_set_data_size(m), vg_set_data_size(local));
	struct vg_err err = {0};
	CU_ASSERT_EQUAL(apply_from(m, local, &err), 0);
	check_same(local, m);
	check_values(m, &ix, 0);
	fill_values(local, &ix, 1);
	CU_ASSERT_EQUAL(apply_from(m, local, &err), 0);
	check_values(m, &ix, 1);
	check_same(local, m);
	/* a local udata change on a mirror does not break its updates */
	vg_set_metric_udata_set(m, 0, 5);
	CU_ASSERT_EQUAL(apply_from(m, local, &err), 0);
	vg_set_put(m);

	/* a mirror in a pool */
	struct vg_pool *pool = vg_pool_create(NULL, 1 << 20, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(pool);
	size_t mlen;
	const void *meta = vg_set_meta_bytes(local, &mlen);
	m = vg_set_mirror_new(pool, meta, mlen, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT(vg_pool_used(pool) > 0);
	CU_ASSERT_EQUAL(apply_from(m, local, &err), 0);
	check_same(local, m);
	vg_set_put(m);
	CU_ASSERT_EQUAL(vg_pool_used(pool), 0);
	vg_pool_destroy(pool);
	vg_set_put(local);
}

void test_mirror_stale(void)
{
	struct all_idx ix;
	struct vg_set *local = all_types_set(&ix);
	fill_values(local, &ix, 0);
	struct vg_set *m = mirror_of(local);
	struct vg_err err = {0};
	CU_ASSERT_EQUAL(apply_from(m, local, &err), 0);
	vg_set_access_set(local, 5, 5, 0400);
	fill_values(local, &ix, 1);
	CU_ASSERT_EQUAL(apply_from(m, local, &err), -ESTALE);
	CU_ASSERT_EQUAL(err.code, ESTALE);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "node1/alltypes"));
	check_values(m, &ix, 0); /* unchanged */
	vg_set_put(m);
	vg_set_put(local);
}

void test_mirror_torn(void)
{
	struct all_idx ix;
	struct vg_set *local = all_types_set(&ix);
	fill_values(local, &ix, 0);
	struct vg_set *m = mirror_of(local);
	struct vg_err err = {0};
	CU_ASSERT_EQUAL(apply_from(m, local, &err), 0);
	fill_values(local, &ix, 1);

	size_t dlen;
	uint8_t buf[4096];
	const void *src = vg_set_data_bytes(local, &dlen);
	memcpy(buf, src, dlen);
	uint64_t bad = vg_set_data_gn(local) - 1;
	memcpy(buf + dlen - 8, &bad, 8); /* tail from the previous transaction */
	CU_ASSERT_EQUAL(vg_set_data_apply(m, buf, dlen, &err), -EAGAIN);
	CU_ASSERT_EQUAL(err.code, EAGAIN);
	check_values(m, &ix, 0);

	vg_set_begin(local); /* copied mid-sample */
	CU_ASSERT_EQUAL(apply_from(m, local, &err), -EAGAIN);
	check_values(m, &ix, 0);
	vg_set_end(local);

	CU_ASSERT_EQUAL(vg_set_data_apply(m, vg_set_data_bytes(local, &dlen), dlen - 8, &err),
			-EPROTO);
	CU_ASSERT_EQUAL(vg_set_data_apply(m, NULL, 0, &err), -EPROTO);
	CU_ASSERT_EQUAL(apply_from(local, m, &err), -EINVAL); /* local sets take no data */
	check_values(m, &ix, 0);
	CU_ASSERT_EQUAL(apply_from(m, local, &err), 0);
	check_values(m, &ix, 1);
	vg_set_put(m);
	vg_set_put(local);
}

void test_mirror_staging(void)
{
	struct all_idx ix;
	struct vg_set *local = all_types_set(&ix);
	fill_values(local, &ix, 0);
	struct vg_set *m = mirror_of(local);
	size_t len, dlen, memlen;
	CU_ASSERT_PTR_NULL(vg_set_data_buf(local, &len));
	uint8_t *buf = vg_set_data_buf(m, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	CU_ASSERT_EQUAL(len, vg_set_data_size(m));
	CU_ASSERT(buf != vg_set_data_bytes(m, &dlen));
	/* inside the set's memory, so one registration covers it */
	uint8_t *mem = vg_set_mem(m, &memlen);
	CU_ASSERT(buf >= mem && buf + len <= mem + memlen);
	const void *src = vg_set_data_bytes(local, &dlen);
	memcpy(buf, src, dlen);
	struct vg_err err = {0};
	CU_ASSERT_EQUAL(vg_set_data_check(m, &err), 0);
	check_values(m, &ix, 0);
	fill_values(local, &ix, 1);
	memcpy(buf, src, dlen);
	buf[dlen - 1] ^= 1;
	CU_ASSERT_EQUAL(vg_set_data_check(m, &err), -EAGAIN);
	check_values(m, &ix, 0);
	vg_set_put(m);
	vg_set_put(local);
}

/* A valid meta part in 8-aligned memory, to be damaged by a test. */
struct meta_copy {
	uint64_t words[1024];
	size_t len;
	struct vg_meta_hdr *h;
	uint8_t *b;
};

static void meta_copy_of(const struct vg_set *s, struct meta_copy *c)
{
	const void *meta = vg_set_meta_bytes(s, &c->len);
	CU_ASSERT_FATAL(c->len <= sizeof(c->words));
	memcpy(c->words, meta, c->len);
	c->b = (uint8_t *)c->words;
	c->h = (struct vg_meta_hdr *)c->words;
}

static struct vg_metric_desc *desc_of(struct meta_copy *c, int idx)
{
	return (struct vg_metric_desc *)(c->b + c->h->desc_off) + idx;
}

/* From an exact-size heap copy, so that ASan sees any read past the end. */
static struct vg_set *mirror_exact(const void *meta, size_t len, struct vg_err *err)
{
	void *exact = malloc(len ? len : 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(exact);
	memcpy(exact, meta, len);
	struct vg_set *m = vg_set_mirror_new(NULL, exact, len, err);
	free(exact);
	return m;
}

static void expect_reject(struct meta_copy *c, size_t len, const char *what)
{
	struct vg_err err = {0};
	struct vg_set *m = mirror_exact(c->b, len, &err);
	CU_ASSERT_EQUAL(vg_set_meta_validate(c->b, len, NULL), -EPROTO);
	if (m || err.code != EPROTO)
		fprintf(stderr, "case '%s' not rejected (%s)\n", what, err.msg);
	CU_ASSERT_PTR_NULL(m);
	CU_ASSERT_EQUAL(err.code, EPROTO);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "rejected"));
	vg_set_put(m);
}

void test_mirror_rejects(void)
{
	struct all_idx ix;
	struct vg_set *local = all_types_set(&ix);
	struct meta_copy c;
	int u64 = ix.scalar[VG_T_U64], u32 = ix.scalar[VG_T_U32], arr = ix.array[VG_T_U64_ARRAY];

#define CASE(what, stmt, len)              \
	do {                               \
		meta_copy_of(local, &c);   \
		stmt;                      \
		expect_reject(&c, len, what); \
	} while (0)
	CASE("short", (void)0, 10);
	CASE("magic", c.h->magic ^= 1, c.len);
	CASE("format", c.h->format = 2, c.len);
	CASE("truncated", (void)0, c.len - 64);
	CASE("meta_size mismatch", c.h->meta_size += 64, c.len);
	CASE("meta_size not 64", c.h->meta_size -= 8, c.len - 8);
	CASE("data_size odd", c.h->data_size = 7, c.len);
	CASE("data_size huge", c.h->data_size = 0xfffffff8u, c.len);
	CASE("data_size larger than values", c.h->data_size += 8, c.len);
	CASE("data_size smaller", c.h->data_size -= 8, c.len);
	CASE("card too big", c.h->card = VG_CARD_MAX + 1, c.len);
	CASE("card max", c.h->card = 0xffffffffu, c.len);
	CASE("card beyond part", c.h->card += 20, c.len);
	CASE("desc_off end", c.h->desc_off = (uint32_t)c.len - 16, c.len);
	CASE("desc_off in header", c.h->desc_off = 8, c.len);
	CASE("desc_off misaligned", c.h->desc_off += 4, c.len);
	CASE("instance off end", c.h->instance_off = (uint32_t)c.len, c.len);
	CASE("instance off huge", c.h->instance_off = 0xffffffffu, c.len);
	CASE("instance in header", c.h->instance_off = 0, c.len);
	CASE("unterminated", memset(c.b + c.h->instance_off, 'A', c.len - c.h->instance_off),
	     c.len);
	CASE("unterminated at the end",
	     (c.h->schema_off = (uint32_t)c.len - 3, memset(c.b + c.len - 3, 'A', 3)), c.len);
	CASE("schema name empty", c.h->schema_off = (uint32_t)c.len - 1, c.len);
	CASE("type 0", desc_of(&c, u64)->type = 0, c.len);
	CASE("type 23", desc_of(&c, u64)->type = 23, c.len);
	CASE("scalar count 2", desc_of(&c, u64)->count = 2, c.len);
	CASE("array count 0", desc_of(&c, arr)->count = 0, c.len);
	CASE("array count huge", desc_of(&c, arr)->count = 0xffffffffu, c.len);
	CASE("value on trailer", desc_of(&c, u64)->value_off = c.h->data_size - 8, c.len);
	CASE("value in data header", desc_of(&c, u64)->value_off = 8, c.len);
	CASE("value off overflow", desc_of(&c, u64)->value_off = 0xfffffff8u, c.len);
	CASE("value misaligned", desc_of(&c, u32)->value_off += 2, c.len);
	/* one u64 far out, data_size to match: a small meta must not cost a huge data part */
	CASE("data values with a gap",
	     (desc_of(&c, u64)->value_off = 512u << 20, c.h->data_size = (512u << 20) + 16), c.len);
	CASE("meta value in header", desc_of(&c, ix.meta_u64)->value_off = 0, c.len);
	CASE("meta value on descs", desc_of(&c, ix.meta_u64)->value_off = c.h->desc_off, c.len);
	CASE("meta value on strings",
	     desc_of(&c, ix.meta_u64)->value_off = VG_ALIGN_UP(c.h->instance_off, 8), c.len);
	CASE("meta value past end", desc_of(&c, ix.meta_u64)->value_off = (uint32_t)c.len - 4,
	     c.len);
	CASE("name control char", c.b[desc_of(&c, u64)->name_off] = '\n', c.len);
	CASE("name off end", desc_of(&c, u64)->name_off = (uint32_t)c.len, c.len);
	CASE("unit off end", desc_of(&c, ix.meta_s16)->unit_off = (uint32_t)c.len + 100, c.len);
	CASE("unit flag without unit",
	     (desc_of(&c, ix.scalar[VG_T_U8])->flags |= VG_MDESC_HAS_UNIT,
	      desc_of(&c, ix.scalar[VG_T_U8])->unit_off = 0xfff0),
	     c.len);
#undef CASE
	struct vg_err err = {0};
	CU_ASSERT_PTR_NULL(vg_set_mirror_new(NULL, NULL, 0, &err));
	CU_ASSERT_EQUAL(err.code, EPROTO);
	/* the copy itself is fine */
	meta_copy_of(local, &c);
	CU_ASSERT_EQUAL(vg_set_meta_validate(c.b, c.len, &err), 0);
	struct vg_set *m = vg_set_mirror_new(NULL, c.b, c.len, &err);
	CU_ASSERT_PTR_NOT_NULL(m);
	vg_set_put(m);
	vg_set_put(local);
}

void test_mirror_hostile_str(void)
{
	struct all_idx ix;
	struct vg_set *local = all_types_set(&ix);
	fill_values(local, &ix, 0);
	struct meta_copy c;
	meta_copy_of(local, &c);
	/* a meta char array without a terminator */
	memset(c.b + desc_of(&c, ix.meta_str)->value_off, 'B', 13);
	struct vg_err err = {0};
	struct vg_set *m = vg_set_mirror_new(NULL, c.b, c.len, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_STRING_EQUAL(vg_get_str(m, ix.meta_str), "");
	/* a data char array without a terminator */
	size_t dlen;
	uint8_t buf[4096];
	const void *src = vg_set_data_bytes(local, &dlen);
	memcpy(buf, src, dlen);
	memset(buf + desc_of(&c, ix.array[VG_T_CHAR_ARRAY])->value_off, 'C', 5);
	CU_ASSERT_EQUAL(vg_set_data_apply(m, buf, dlen, &err), 0);
	CU_ASSERT_STRING_EQUAL(vg_get_str(m, ix.array[VG_T_CHAR_ARRAY]), "");
	CU_ASSERT_EQUAL(vg_get_array_char(m, ix.array[VG_T_CHAR_ARRAY], 4), 'C');
	vg_set_put(m);
	vg_set_put(local);
}

/* xorshift64*: deterministic, so a failure replays */
static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

/* Use every accessor of an accepted mirror; ASan turns any stray access into a failure. */
static void exercise(struct vg_set *m)
{
	size_t memlen;
	const uint8_t *mem = vg_set_mem(m, &memlen);
	CU_ASSERT(strlen(vg_set_instance(m)) <= VG_NAME_MAX);
	CU_ASSERT(strlen(vg_set_producer(m)) <= VG_PRODUCER_MAX);
	CU_ASSERT(strlen(vg_set_schema_name(m)) <= VG_NAME_MAX);
	int card = vg_set_card(m);
	for (int i = -1; i <= card; i++) {
		const char *name = vg_set_metric_name(m, i);
		const char *unit = vg_set_metric_unit(m, i);
		uint32_t count = vg_set_metric_count(m, i);
		CU_ASSERT_EQUAL(!name, i < 0 || i >= card);
		if (name) {
			CU_ASSERT(strlen(name) >= 1 && strlen(name) <= VG_NAME_MAX);
			int f = vg_set_metric_find(m, name);
			CU_ASSERT(f >= 0 && f <= i);
		}
		if (unit)
			CU_ASSERT(strlen(unit) <= VG_UNIT_MAX);
		const uint8_t *p = vg_set_value_ptr(m, i);
		size_t bytes = count * vg_type_elem_size(vg_set_metric_type(m, i));
		if (p)
			CU_ASSERT(p >= mem && p + bytes <= mem + memlen);
		size_t sl = strlen(vg_get_str(m, i));
		CU_ASSERT(!name || sl < bytes);
		const uint32_t elems[] = {0, count ? count - 1 : 0, count, UINT32_MAX};
		for (size_t e = 0; e < VG_ARRAY_LEN(elems); e++) {
			(void)vg_get_as_u64(m, i, elems[e]);
			(void)vg_get_as_s64(m, i, elems[e]);
			(void)vg_get_as_d64(m, i, elems[e]);
			(void)vg_get_array_u64(m, i, elems[e]);
			(void)vg_get_array_d64(m, i, elems[e]);
			(void)vg_get_array_u8(m, i, elems[e]);
			vg_set_array_u64(m, i, elems[e], rnd());
			vg_set_array_s16(m, i, elems[e], -1);
			vg_set_array_u8(m, i, elems[e], 0xff);
		}
		vg_set_str(m, i, "a hostile peer's string");
		vg_set_metric_udata_set(m, i, rnd());
		(void)vg_set_metric_udata(m, i);
		(void)vg_set_metric_is_meta(m, i);
	}
	/* an update with random values, then every string again */
	size_t dlen;
	uint8_t *buf = vg_set_data_buf(m, &dlen);
	CU_ASSERT_FATAL(buf && dlen == vg_set_data_size(m));
	for (size_t i = 0; i < dlen; i++)
		buf[i] = (uint8_t)rnd();
	struct vg_data_hdr h;
	memcpy(&h, buf, sizeof(h));
	h.meta_gn = vg_set_meta_gn(m);
	h.flags = VG_DATA_CONSISTENT;
	memcpy(buf, &h, sizeof(h));
	memcpy(buf + dlen - 8, &h.data_gn, 8);
	CU_ASSERT_EQUAL(vg_set_data_check(m, NULL), 0);
	for (int i = 0; i < card; i++) {
		size_t bytes = vg_set_metric_count(m, i) * vg_type_elem_size(vg_set_metric_type(m, i));
		CU_ASSERT(strlen(vg_get_str(m, i)) < bytes);
		(void)vg_get_as_d64(m, i, 0);
	}
}

void test_mirror_fuzz(void)
{
	struct all_idx ix;
	struct vg_set *local = all_types_set(&ix);
	fill_values(local, &ix, 0);
	vg_set_info_set(local, "k", "v");
	struct meta_copy base, c;
	meta_copy_of(local, &base);
	const uint32_t extremes[] = {0, 1, 2, 7, 8, 31, 32, 33, 63, 64, 88,
				     (uint32_t)base.len - 1, (uint32_t)base.len,
				     (uint32_t)base.len + 1, base.h->data_size - 8,
				     base.h->data_size, 0x7fffffff, 0x80000000u, 0xfffffff8u,
				     0xffffffffu, VG_ARRAY_MAX, VG_CARD_MAX};
	int accepted = 0, rejected = 0;
	for (int iter = 0; iter < 20000; iter++) {
		c = base;
		c.b = (uint8_t *)c.words;
		c.h = (struct vg_meta_hdr *)c.words;
		size_t len = c.len;
		int n = 1 + (int)(rnd() % 3);
		for (int k = 0; k < n; k++) {
			switch (rnd() % 5) {
			case 0: /* random bytes */
				if (len)
					c.b[rnd() % len] = (uint8_t)rnd();
				break;
			case 1: { /* a header field to an extreme */
				uint32_t v = extremes[rnd() % VG_ARRAY_LEN(extremes)];
				memcpy(c.b + 8 + 4 * (rnd() % 14), &v, 4);
				break;
			}
			case 2: { /* a descriptor field to an extreme or a random value */
				uint32_t v = rnd() % 4 ? extremes[rnd() % VG_ARRAY_LEN(extremes)]
						       : (uint32_t)rnd();
				size_t d = base.h->desc_off +
					   (rnd() % base.h->card) * sizeof(struct vg_metric_desc);
				memcpy(c.b + d + 4 * (rnd() % 6), &v, 4);
				break;
			}
			case 3: /* a small shift of an offset or count */
				c.b[base.h->desc_off + (rnd() % (base.h->card * 32))] += (uint8_t)(rnd() % 9 - 4);
				break;
			default: /* truncation, sometimes with a matching meta_size */
				len = 64 * (rnd() % (len / 64 + 1)) + (rnd() % 2 ? 0 : rnd() % 64);
				if (len > c.len)
					len = c.len;
				if (rnd() % 2)
					c.h->meta_size = (uint32_t)len;
				break;
			}
		}
		struct vg_err err = {0};
		struct vg_set *m = mirror_exact(c.b, len, &err);
		if (!m) {
			rejected++;
			CU_ASSERT_EQUAL(err.code, EPROTO);
			continue;
		}
		accepted++;
		exercise(m);
		vg_set_put(m);
	}
	CU_ASSERT(accepted > 100);
	CU_ASSERT(rejected > 100);
	fprintf(stderr, "\n    fuzz: %d accepted, %d rejected ", accepted, rejected);
	vg_set_put(local);
}
