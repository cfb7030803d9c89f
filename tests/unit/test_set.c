/*
 * test_set.c - schemas, local sets and transactions; the mirror tests are in
 * test_set_mirror.c (same program).
 */
#include "config.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "core/set_format.h"
#include "tests/unit/cu_main.h"
#include "tests/unit/set_fixture.h"

/* ------------------------------------------------------------------ helpers */

static uint64_t fake_now;
static uint64_t fake_clock(void)
{
	return fake_now;
}

struct vg_schema *all_types_schema(struct all_idx *ix)
{
	struct vg_schema *sc = vg_schema_new("alltypes");
	CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
	ix->meta_u64 = vg_schema_meta_add(sc, "component_id", VG_T_U64);
	ix->meta_str = vg_schema_add(sc, "label", VG_T_CHAR_ARRAY, 13, "", VG_METRIC_META);
	ix->meta_s16 = vg_schema_add(sc, "m_s16", VG_T_S16, 1, "K", VG_METRIC_META);
	ix->meta_d64_arr = vg_schema_add(sc, "m_d64s", VG_T_D64_ARRAY, 3, NULL, VG_METRIC_META);
	char name[32];
	for (int t = VG_T_CHAR; t <= VG_T_D64; t++) {
		snprintf(name, sizeof(name), "s_%s", vg_type_name((enum vg_type)t));
		ix->scalar[t] = vg_schema_add(sc, name, (enum vg_type)t, 1,
					      t % 2 ? "unit" : NULL, VG_METRIC_DATA);
		CU_ASSERT(ix->scalar[t] >= 0);
	}
	for (int t = VG_T_CHAR_ARRAY; t <= VG_T_LAST; t++) {
		snprintf(name, sizeof(name), "a_%s", vg_type_name((enum vg_type)t));
		ix->array[t] = vg_schema_add(sc, name, (enum vg_type)t, 5, "", VG_METRIC_DATA);
		CU_ASSERT(ix->array[t] >= 0);
	}
	CU_ASSERT(ix->meta_u64 >= 0 && ix->meta_str >= 0 && ix->meta_s16 >= 0 &&
		  ix->meta_d64_arr >= 0);
	return sc;
}

struct vg_set *all_types_set(struct all_idx *ix)
{
	struct vg_schema *sc = all_types_schema(ix);
	struct vg_err err = {0};
	struct vg_set *s = vg_set_new(NULL, sc, "node1/alltypes", "node1", 1000, 100, 0440, &err);
	vg_schema_free(sc); /* the set keeps its own layout */
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	vg_set_u64(s, ix->meta_u64, 4242);
	vg_set_str(s, ix->meta_str, "meta-label");
	vg_set_s16(s, ix->meta_s16, -1234);
	for (uint32_t i = 0; i < 3; i++)
		vg_set_array_d64(s, ix->meta_d64_arr, i, 0.1 * (i + 1));
	return s;
}

/* Fill every data metric with distinctive values (the meta ones are set at creation). */
void fill_values(struct vg_set *s, const struct all_idx *ix, int seed)
{
	vg_set_begin(s);
	vg_set_char(s, ix->scalar[VG_T_CHAR], 'x');
	vg_set_u8(s, ix->scalar[VG_T_U8], 250);
	vg_set_s8(s, ix->scalar[VG_T_S8], -128);
	vg_set_u16(s, ix->scalar[VG_T_U16], 65535);
	vg_set_s16(s, ix->scalar[VG_T_S16], -32768);
	vg_set_u32(s, ix->scalar[VG_T_U32], 4000000000u + (uint32_t)seed);
	vg_set_s32(s, ix->scalar[VG_T_S32], INT32_MIN);
	vg_set_u64(s, ix->scalar[VG_T_U64], UINT64_MAX - (uint64_t)seed);
	vg_set_s64(s, ix->scalar[VG_T_S64], INT64_MIN);
	vg_set_f32(s, ix->scalar[VG_T_F32], 3.14159274f);
	vg_set_d64(s, ix->scalar[VG_T_D64], 2.718281828459045);
	vg_set_str(s, ix->array[VG_T_CHAR_ARRAY], "abcd");
	for (uint32_t i = 0; i < 5; i++) {
		vg_set_array_u8(s, ix->array[VG_T_U8_ARRAY], i, (uint8_t)(200 + i));
		vg_set_array_s8(s, ix->array[VG_T_S8_ARRAY], i, (int8_t)(-100 - (int)i));
		vg_set_array_u16(s, ix->array[VG_T_U16_ARRAY], i, (uint16_t)(60000 + i));
		vg_set_array_s16(s, ix->array[VG_T_S16_ARRAY], i, (int16_t)(-30000 - (int)i));
		vg_set_array_u32(s, ix->array[VG_T_U32_ARRAY], i, 4000000000u + i);
		vg_set_array_s32(s, ix->array[VG_T_S32_ARRAY], i, -2000000000 - (int32_t)i);
		vg_set_array_u64(s, ix->array[VG_T_U64_ARRAY], i, UINT64_MAX - i);
		vg_set_array_s64(s, ix->array[VG_T_S64_ARRAY], i, INT64_MIN + (int64_t)i);
		vg_set_array_f32(s, ix->array[VG_T_F32_ARRAY], i, 1.5f * (float)i - 0.1f);
		vg_set_array_d64(s, ix->array[VG_T_D64_ARRAY], i, -1e300 * (double)i + 0.3);
	}
	vg_set_end(s);
}

void check_values(const struct vg_set *s, const struct all_idx *ix, int seed)
{
	CU_ASSERT_EQUAL(vg_get_u64(s, ix->meta_u64), 4242);
	CU_ASSERT_STRING_EQUAL(vg_get_str(s, ix->meta_str), "meta-label");
	CU_ASSERT_EQUAL(vg_get_s16(s, ix->meta_s16), -1234);
	for (uint32_t i = 0; i < 3; i++)
		CU_ASSERT(vg_get_array_d64(s, ix->meta_d64_arr, i) == 0.1 * (i + 1));
	CU_ASSERT_EQUAL(vg_get_char(s, ix->scalar[VG_T_CHAR]), 'x');
	CU_ASSERT_EQUAL(vg_get_u8(s, ix->scalar[VG_T_U8]), 250);
	CU_ASSERT_EQUAL(vg_get_s8(s, ix->scalar[VG_T_S8]), -128);
	CU_ASSERT_EQUAL(vg_get_u16(s, ix->scalar[VG_T_U16]), 65535);
	CU_ASSERT_EQUAL(vg_get_s16(s, ix->scalar[VG_T_S16]), -32768);
	CU_ASSERT_EQUAL(vg_get_u32(s, ix->scalar[VG_T_U32]), 4000000000u + (uint32_t)seed);
	CU_ASSERT_EQUAL(vg_get_s32(s, ix->scalar[VG_T_S32]), INT32_MIN);
	CU_ASSERT_EQUAL(vg_get_u64(s, ix->scalar[VG_T_U64]), UINT64_MAX - (uint64_t)seed);
	CU_ASSERT_EQUAL(vg_get_s64(s, ix->scalar[VG_T_S64]), INT64_MIN);
	CU_ASSERT(vg_get_f32(s, ix->scalar[VG_T_F32]) == 3.14159274f);
	CU_ASSERT(vg_get_d64(s, ix->scalar[VG_T_D64]) == 2.718281828459045);
	CU_ASSERT_STRING_EQUAL(vg_get_str(s, ix->array[VG_T_CHAR_ARRAY]), "abcd");
	for (uint32_t i = 0; i < 5; i++) {
		CU_ASSERT_EQUAL(vg_get_array_u8(s, ix->array[VG_T_U8_ARRAY], i), 200 + i);
		CU_ASSERT_EQUAL(vg_get_array_s8(s, ix->array[VG_T_S8_ARRAY], i), -100 - (int)i);
		CU_ASSERT_EQUAL(vg_get_array_u16(s, ix->array[VG_T_U16_ARRAY], i), 60000 + i);
		CU_ASSERT_EQUAL(vg_get_array_s16(s, ix->array[VG_T_S16_ARRAY], i), -30000 - (int)i);
		CU_ASSERT_EQUAL(vg_get_array_u32(s, ix->array[VG_T_U32_ARRAY], i), 4000000000u + i);
		CU_ASSERT_EQUAL(vg_get_array_s32(s, ix->array[VG_T_S32_ARRAY], i),
				-2000000000 - (int32_t)i);
		CU_ASSERT_EQUAL(vg_get_array_u64(s, ix->array[VG_T_U64_ARRAY], i), UINT64_MAX - i);
		CU_ASSERT_EQUAL(vg_get_array_s64(s, ix->array[VG_T_S64_ARRAY], i),
				INT64_MIN + (int64_t)i);
		CU_ASSERT(vg_get_array_f32(s, ix->array[VG_T_F32_ARRAY], i) ==
			  1.5f * (float)i - 0.1f);
		CU_ASSERT(vg_get_array_d64(s, ix->array[VG_T_D64_ARRAY], i) ==
			  -1e300 * (double)i + 0.3);
	}
}

/* ------------------------------------------------------------------ types and schemas */

static void test_types(void)
{
	static const char *const names[] = {
		NULL, "char", "u8", "s8", "u16", "s16", "u32", "s32", "u64", "s64", "f32", "d64",
		"char[]", "u8[]", "s8[]", "u16[]", "s16[]", "u32[]", "s32[]", "u64[]", "s64[]",
		"f32[]", "d64[]"};
	static const size_t sizes[] = {0, 1, 1, 1, 2, 2, 4, 4, 8, 8, 4, 8,
				       1, 1, 1, 2, 2, 4, 4, 8, 8, 4, 8};
	for (int t = VG_T_CHAR; t <= VG_T_LAST; t++) {
		CU_ASSERT_STRING_EQUAL(vg_type_name((enum vg_type)t), names[t]);
		CU_ASSERT_EQUAL((int)vg_type_from_name(names[t]), t);
		CU_ASSERT_EQUAL(vg_type_elem_size((enum vg_type)t), sizes[t]);
		CU_ASSERT_EQUAL(vg_type_is_array((enum vg_type)t), t >= VG_T_CHAR_ARRAY);
		CU_ASSERT(vg_type_valid((enum vg_type)t));
	}
	CU_ASSERT_EQUAL(vg_type_elem(VG_T_CHAR_ARRAY), VG_T_CHAR);
	CU_ASSERT_EQUAL(vg_type_elem(VG_T_D64_ARRAY), VG_T_D64);
	CU_ASSERT_EQUAL(vg_type_elem(VG_T_S16), VG_T_S16);
	CU_ASSERT_EQUAL(vg_type_from_name("U64_ARRAY"), VG_T_U64_ARRAY);
	CU_ASSERT_EQUAL(vg_type_from_name("char_array"), VG_T_CHAR_ARRAY);
	CU_ASSERT_EQUAL(vg_type_from_name("D64"), VG_T_D64);
	CU_ASSERT_EQUAL(vg_type_from_name("u128"), VG_T_NONE);
	CU_ASSERT_EQUAL(vg_type_from_name(NULL), VG_T_NONE);
	CU_ASSERT_PTR_NULL(vg_type_name(VG_T_NONE));
	CU_ASSERT_PTR_NULL(vg_type_name((enum vg_type)23));
	CU_ASSERT_FALSE(vg_type_valid((enum vg_type)23));
	CU_ASSERT_EQUAL(vg_type_elem_size((enum vg_type)99), 0);
}

static void test_schema_rules(void)
{
	CU_ASSERT_PTR_NULL(vg_schema_new(""));
	CU_ASSERT_PTR_NULL(vg_schema_new("has space"));
	struct vg_schema *sc = vg_schema_new("meminfo");
	CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
	CU_ASSERT_STRING_EQUAL(vg_schema_name(sc), "meminfo");
	CU_ASSERT_EQUAL(vg_schema_metric_add(sc, "Active(anon)", VG_T_U64), 0);
	CU_ASSERT_EQUAL(vg_schema_metric_add(sc, "Active(anon)", VG_T_U64), -EEXIST);
	CU_ASSERT_EQUAL(vg_schema_metric_add(sc, "", VG_T_U64), -EINVAL);
	CU_ASSERT_EQUAL(vg_schema_metric_add(sc, "a b", VG_T_U64), -EINVAL);
	CU_ASSERT_EQUAL(vg_schema_metric_add(sc, "a\tb", VG_T_U64), -EINVAL);
	CU_ASSERT_EQUAL(vg_schema_metric_add(sc, "a\nb", VG_T_U64), -EINVAL);
	CU_ASSERT_EQUAL(vg_schema_metric_add(sc, NULL, VG_T_U64), -EINVAL);
	char longname[VG_NAME_MAX + 2];
	memset(longname, 'n', sizeof(longname));
	longname[VG_NAME_MAX + 1] = '\0';
	CU_ASSERT_EQUAL(vg_schema_metric_add(sc, longname, VG_T_U64), -EINVAL);
	longname[VG_NAME_MAX] = '\0';
	CU_ASSERT_EQUAL(vg_schema_metric_add(sc, longname, VG_T_U64), 1);
	CU_ASSERT_EQUAL(vg_schema_metric_add(sc, "badtype", VG_T_NONE), -EINVAL);
	CU_ASSERT_EQUAL(vg_schema_metric_add(sc, "badtype", (enum vg_type)23), -EINVAL);
	CU_ASSERT_EQUAL(vg_schema_add(sc, "scalar2", VG_T_U32, 2, NULL, VG_METRIC_DATA), -EINVAL);
	CU_ASSERT_EQUAL(vg_schema_add(sc, "arr0", VG_T_U32_ARRAY, 0, NULL, VG_METRIC_DATA),
			-EINVAL);
	CU_ASSERT_EQUAL(vg_schema_add(sc, "arrbig", VG_T_U32_ARRAY, VG_ARRAY_MAX + 1, NULL,
				      VG_METRIC_DATA),
			-EINVAL);
	CU_ASSERT_EQUAL(vg_schema_add(sc, "badunit", VG_T_U32, 1, "k\x01", VG_METRIC_DATA),
			-EINVAL);
	CU_ASSERT_EQUAL(vg_schema_add(sc, "arr", VG_T_U32_ARRAY, 4, "kB", VG_METRIC_DATA), 2);
	CU_ASSERT_EQUAL(vg_schema_card(sc), 3);
	CU_ASSERT_EQUAL(vg_schema_find(sc, "arr"), 2);
	CU_ASSERT_EQUAL(vg_schema_find(sc, "nope"), -ENOENT);
	CU_ASSERT_STRING_EQUAL(vg_schema_metric_unit(sc, 2), "kB");
	CU_ASSERT_PTR_NULL(vg_schema_metric_unit(sc, 0));
	CU_ASSERT_EQUAL(vg_schema_metric_count(sc, 2), 4);
	CU_ASSERT_PTR_NULL(vg_schema_metric_name(sc, 3));
	CU_ASSERT_TRUE(vg_name_valid("node1/meminfo"));
	CU_ASSERT_FALSE(vg_name_valid("node1/mem info"));
	vg_schema_free(sc);

	/* thousands of metrics: find stays exact */
	sc = vg_schema_new("big");
	char name[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(name, sizeof(name), "m%d", i);
		CU_ASSERT_EQUAL(vg_schema_metric_add(sc, name, VG_T_U64), i);
	}
	for (int i = 0; i < 5000; i += 7) {
		snprintf(name, sizeof(name), "m%d", i);
		CU_ASSERT_EQUAL(vg_schema_find(sc, name), i);
	}
	vg_schema_free(sc);
}

/* ------------------------------------------------------------------ local sets */

static void test_roundtrip(void)
{
	struct all_idx ix;
	struct vg_set *s = all_types_set(&ix);
	fill_values(s, &ix, 0);
	check_values(s, &ix, 0);

	/* char arrays: truncated to count-1 and NUL-padded */
	int ca = ix.array[VG_T_CHAR_ARRAY];
	vg_set_str(s, ca, "overlong string");
	CU_ASSERT_STRING_EQUAL(vg_get_str(s, ca), "over");
	vg_set_str(s, ca, "z");
	const uint8_t *raw = vg_set_value_cptr(s, ca);
	CU_ASSERT_EQUAL(memcmp(raw, "z\0\0\0\0", 5), 0);
	vg_set_str(s, ix.meta_str, "twelve chars");
	CU_ASSERT_STRING_EQUAL(vg_get_str(s, ix.meta_str), "twelve chars");
	vg_set_str(s, ix.meta_str, "thirteen char");
	CU_ASSERT_STRING_EQUAL(vg_get_str(s, ix.meta_str), "thirteen cha");

	/* f32/d64 exact, special values */
	vg_set_f32(s, ix.scalar[VG_T_F32], FLT_MIN);
	CU_ASSERT(vg_get_f32(s, ix.scalar[VG_T_F32]) == FLT_MIN);
	vg_set_d64(s, ix.scalar[VG_T_D64], -DBL_MAX);
	CU_ASSERT(vg_get_d64(s, ix.scalar[VG_T_D64]) == -DBL_MAX);
	vg_set_d64(s, ix.scalar[VG_T_D64], INFINITY);
	CU_ASSERT(isinf(vg_get_d64(s, ix.scalar[VG_T_D64])));

	/* identity */
	CU_ASSERT_STRING_EQUAL(vg_set_instance(s), "node1/alltypes");
	CU_ASSERT_STRING_EQUAL(vg_set_producer(s), "node1");
	CU_ASSERT_STRING_EQUAL(vg_set_schema_name(s), "alltypes");
	CU_ASSERT_EQUAL(vg_set_uid(s), 1000);
	CU_ASSERT_EQUAL(vg_set_gid(s), 100);
	CU_ASSERT_EQUAL(vg_set_perm(s), 0440);
	CU_ASSERT_EQUAL(vg_set_flags(s), VG_SET_F_LOCAL);
	CU_ASSERT_EQUAL(vg_set_metric_find(s, "s_u64"), ix.scalar[VG_T_U64]);
	CU_ASSERT_EQUAL(vg_set_metric_find(s, "nope"), -ENOENT);
	CU_ASSERT_STRING_EQUAL(vg_set_metric_unit(s, ix.scalar[VG_T_CHAR]), "unit");
	CU_ASSERT_PTR_NULL(vg_set_metric_unit(s, ix.scalar[VG_T_U8]));
	CU_ASSERT_STRING_EQUAL(vg_set_metric_unit(s, ix.meta_str), "");
	CU_ASSERT_EQUAL(vg_set_metric_type(s, ix.array[VG_T_S16_ARRAY]), VG_T_S16_ARRAY);
	CU_ASSERT_EQUAL(vg_set_metric_count(s, ix.array[VG_T_S16_ARRAY]), 5);
	CU_ASSERT_EQUAL(vg_set_metric_count(s, ix.meta_str), 13);
	int owner;
	vg_set_owner_set(s, &owner);
	CU_ASSERT_PTR_EQUAL(vg_set_owner(s), &owner);
	vg_set_put(s);
}

static void test_get_as(void)
{
	struct all_idx ix;
	struct vg_set *s = all_types_set(&ix);
	fill_values(s, &ix, 0);
	CU_ASSERT_EQUAL(vg_get_as_s64(s, ix.scalar[VG_T_S8], 0), -128);
	CU_ASSERT_EQUAL(vg_get_as_s64(s, ix.scalar[VG_T_S32], 0), INT32_MIN);
	CU_ASSERT_EQUAL(vg_get_as_u64(s, ix.scalar[VG_T_U16], 0), 65535);
	CU_ASSERT_EQUAL(vg_get_as_u64(s, ix.scalar[VG_T_U64], 0), UINT64_MAX);
	CU_ASSERT(vg_get_as_d64(s, ix.scalar[VG_T_F32], 0) == (double)3.14159274f);
	CU_ASSERT_EQUAL(vg_get_as_s64(s, ix.scalar[VG_T_D64], 0), 2);
	CU_ASSERT_EQUAL(vg_get_as_u64(s, ix.array[VG_T_U32_ARRAY], 4), 4000000004u);
	CU_ASSERT_EQUAL(vg_get_as_s64(s, ix.array[VG_T_S16_ARRAY], 2), -30002);
	CU_ASSERT(vg_get_as_d64(s, ix.array[VG_T_S64_ARRAY], 0) == (double)INT64_MIN);
	CU_ASSERT_EQUAL(vg_get_as_u64(s, ix.array[VG_T_U8_ARRAY], 5), 0); /* past the end */
	CU_ASSERT_EQUAL(vg_get_as_u64(s, ix.array[VG_T_CHAR_ARRAY], 0), 'a');
	/* out-of-range doubles saturate */
	vg_set_d64(s, ix.scalar[VG_T_D64], 1e300);
	CU_ASSERT_EQUAL(vg_get_as_s64(s, ix.scalar[VG_T_D64], 0), INT64_MAX);
	CU_ASSERT_EQUAL(vg_get_as_u64(s, ix.scalar[VG_T_D64], 0), UINT64_MAX);
	vg_set_d64(s, ix.scalar[VG_T_D64], -1e300);
	CU_ASSERT_EQUAL(vg_get_as_s64(s, ix.scalar[VG_T_D64], 0), INT64_MIN);
	CU_ASSERT_EQUAL(vg_get_as_u64(s, ix.scalar[VG_T_D64], 0), 0);
	vg_set_d64(s, ix.scalar[VG_T_D64], NAN);
	CU_ASSERT_EQUAL(vg_get_as_s64(s, ix.scalar[VG_T_D64], 0), 0);
	vg_set_put(s);
}

static void test_bad_index(void)
{
	struct all_idx ix;
	struct vg_set *s = all_types_set(&ix);
	size_t dlen;
	const uint8_t *data = vg_set_data_bytes(s, &dlen);
	uint8_t before[4096];
	CU_ASSERT_FATAL(dlen <= sizeof(before));
	memcpy(before, data, dlen);
	int card = vg_set_card(s);
	vg_set_u64(s, -1, 1);
	vg_set_u64(s, card, 1);
	vg_set_array_u64(s, ix.array[VG_T_U64_ARRAY], 5, 1);
	vg_set_array_u64(s, ix.array[VG_T_U64_ARRAY], UINT32_MAX, 1);
	vg_set_array_u8(s, ix.array[VG_T_U8_ARRAY], 5, 1);
	/* a wider accessor than the metric stays inside the metric */
	vg_set_u64(s, ix.scalar[VG_T_U8], UINT64_MAX);
	vg_set_array_u32(s, ix.array[VG_T_U16_ARRAY], 3, 7); /* bytes 12..15 of 10 */
	vg_set_str(s, card, "x");
	CU_ASSERT_EQUAL(memcmp(before, data, dlen), 0);
	CU_ASSERT_EQUAL(vg_get_u64(s, -1), 0);
	CU_ASSERT_EQUAL(vg_get_u64(s, card), 0);
	CU_ASSERT_EQUAL(vg_get_array_s64(s, ix.array[VG_T_S64_ARRAY], 5), 0);
	CU_ASSERT_STRING_EQUAL(vg_get_str(s, card), "");
	CU_ASSERT_PTR_NULL(vg_set_value_ptr(s, card));
	CU_ASSERT_PTR_NULL(vg_set_metric_name(s, -1));
	CU_ASSERT_PTR_NULL(vg_set_metric_unit(s, card));
	CU_ASSERT_EQUAL(vg_set_metric_type(s, card), VG_T_NONE);
	CU_ASSERT_EQUAL(vg_set_metric_count(s, -5), 0);
	CU_ASSERT_FALSE(vg_set_metric_is_meta(s, card));
	uint64_t gn = vg_set_meta_gn(s);
	vg_set_metric_udata_set(s, card, 5);
	CU_ASSERT_EQUAL(vg_set_meta_gn(s), gn);
	vg_set_put(s);
}

static void test_meta_vs_data(void)
{
	struct all_idx ix;
	struct vg_set *s = all_types_set(&ix);
	size_t mlen, dlen, memlen;
	const uint8_t *meta = vg_set_meta_bytes(s, &mlen);
	const uint8_t *data = vg_set_data_bytes(s, &dlen);
	uint8_t *mem = vg_set_mem(s, &memlen);
	CU_ASSERT_PTR_EQUAL(mem, meta);
	CU_ASSERT_PTR_EQUAL(data, mem + vg_set_data_offset(s));
	CU_ASSERT_EQUAL(vg_set_data_offset(s), mlen);
	CU_ASSERT(memlen >= mlen + dlen && memlen % 4096 == 0);
	CU_ASSERT_EQUAL((uintptr_t)mem % 4096, 0);
	for (int i = 0; i < vg_set_card(s); i++) {
		const uint8_t *p = vg_set_value_cptr(s, i);
		size_t bytes = vg_set_metric_count(s, i) *
			       vg_type_elem_size(vg_set_metric_type(s, i));
		bool is_meta = vg_set_metric_is_meta(s, i);
		CU_ASSERT_EQUAL(is_meta, i == ix.meta_u64 || i == ix.meta_str ||
						 i == ix.meta_s16 || i == ix.meta_d64_arr);
		if (is_meta) {
			CU_ASSERT(p >= meta + sizeof(struct vg_meta_hdr) && p + bytes <= meta + mlen);
		} else {
			CU_ASSERT(p >= data + sizeof(struct vg_data_hdr) &&
				  p + bytes <= data + dlen - 8);
		}
		/* naturally aligned */
		CU_ASSERT_EQUAL((uintptr_t)p % vg_type_elem_size(vg_set_metric_type(s, i)), 0);
	}
	/* a meta write changes only the meta part, a data write only the data part */
	uint8_t before[4096];
	memcpy(before, data, dlen);
	vg_set_u64(s, ix.meta_u64, 99); /* bumps the data header's meta_gn copy, nothing else */
	CU_ASSERT_EQUAL(memcmp(before + 32, data + 32, dlen - 32), 0);
	memcpy(before, meta, mlen);
	vg_set_u64(s, ix.scalar[VG_T_U64], 77);
	CU_ASSERT_EQUAL(memcmp(before, meta, mlen), 0);
	vg_set_put(s);
}

static void test_sizes(void)
{
	struct all_idx ix;
	struct vg_schema *sc = all_types_schema(&ix);
	struct vg_set *s = vg_set_new(NULL, sc, "a/b", NULL, 0, 0, 0444, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_EQUAL(vg_set_meta_size(s), vg_schema_meta_size(sc, "a/b", NULL));
	CU_ASSERT_EQUAL(vg_set_data_size(s), vg_schema_data_size(sc));
	CU_ASSERT_EQUAL(vg_set_meta_size(s) % 64, 0);
	CU_ASSERT_EQUAL(vg_set_data_size(s) % 8, 0);
	CU_ASSERT_STRING_EQUAL(vg_set_producer(s), "");
	/* the data part: 32-byte header, values, 8-byte trailer */
	size_t values = 1 + 1 + 1 + 2 + 2 + 4 + 4 + 8 + 8 + 4 + 8 + 5 * (1 + 1 + 1 + 2 + 2 + 4 + 4 +
								    8 + 8 + 4 + 8);
	CU_ASSERT(vg_set_data_size(s) >= 32 + values + 8);
	CU_ASSERT(vg_set_data_size(s) <= 32 + values + 8 + 64); /* alignment padding only */
	vg_set_put(s);

	/* an empty schema still has a header and trailer */
	struct vg_schema *empty = vg_schema_new("empty");
	CU_ASSERT_EQUAL(vg_schema_data_size(empty), 40);
	CU_ASSERT_EQUAL(vg_schema_meta_size(empty, "x", "y") % 64, 0);
	s = vg_set_new(NULL, empty, "x", "y", 0, 0, 0, NULL);
	CU_ASSERT_PTR_NOT_NULL(s);
	CU_ASSERT_EQUAL(vg_set_card(s), 0);
	vg_set_put(s);
	vg_schema_free(empty);

	/* bad names */
	struct vg_err err = {0};
	CU_ASSERT_PTR_NULL(vg_set_new(NULL, sc, "bad name", NULL, 0, 0, 0, &err));
	CU_ASSERT_EQUAL(err.code, EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "bad name"));
	CU_ASSERT_PTR_NULL(vg_set_new(NULL, sc, "", NULL, 0, 0, 0, &err));
	CU_ASSERT_PTR_NULL(vg_set_new(NULL, sc, "ok", "pro ducer", 0, 0, 0, &err));
	CU_ASSERT_EQUAL(err.code, EINVAL);
	vg_schema_free(sc);
}

static void test_transactions(void)
{
	struct all_idx ix;
	struct vg_schema *sc = all_types_schema(&ix);
	struct vg_set *s = vg_set_new(NULL, sc, "node1/tx", "node1", 0, 0, 0440, NULL);
	vg_schema_free(sc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	CU_ASSERT_FALSE(vg_set_is_consistent(s));
	CU_ASSERT_EQUAL(vg_set_data_gn(s), 0);
	CU_ASSERT_EQUAL(vg_set_meta_gn(s), 1);
	struct vg_timestamp ts = vg_set_timestamp(s);
	CU_ASSERT(ts.sec == 0 && ts.usec == 0);

	vg_clock_fake(fake_clock);
	fake_now = 1700000000ull * 1000000 + 123456;
	vg_set_begin(s);
	CU_ASSERT_FALSE(vg_set_is_consistent(s));
	fake_now += 2500123; /* 2.500123 s */
	vg_set_end(s);
	CU_ASSERT_TRUE(vg_set_is_consistent(s));
	CU_ASSERT_EQUAL(vg_set_data_gn(s), 1);
	ts = vg_set_timestamp(s);
	CU_ASSERT_EQUAL(ts.sec, 1700000002u);
	CU_ASSERT_EQUAL(ts.usec, 623579u);
	struct vg_timestamp dur = vg_set_duration(s);
	CU_ASSERT_EQUAL(dur.sec, 2);
	CU_ASSERT_EQUAL(dur.usec, 500123);

	/* head and trailing data_gn agree, and the header carries meta_gn */
	size_t dlen;
	const uint8_t *data = vg_set_data_bytes(s, &dlen);
	struct vg_data_hdr h;
	uint64_t tail;
	memcpy(&h, data, sizeof(h));
	memcpy(&tail, data + dlen - 8, 8);
	CU_ASSERT_EQUAL(h.data_gn, 1);
	CU_ASSERT_EQUAL(tail, 1);
	CU_ASSERT_EQUAL(h.meta_gn, 1);
	CU_ASSERT_EQUAL(h.flags & VG_DATA_CONSISTENT, VG_DATA_CONSISTENT);

	vg_set_begin(s);
	CU_ASSERT_FALSE(vg_set_is_consistent(s));
	vg_set_end(s);
	CU_ASSERT_EQUAL(vg_set_data_gn(s), 2);
	memcpy(&tail, data + dlen - 8, 8);
	CU_ASSERT_EQUAL(tail, 2);
	dur = vg_set_duration(s);
	CU_ASSERT(dur.sec == 0 && dur.usec == 0);

	/* meta changes bump meta_gn and its copy in the data header */
	vg_set_access_set(s, 1, 2, 0600);
	CU_ASSERT_EQUAL(vg_set_meta_gn(s), 2);
	CU_ASSERT_EQUAL(vg_set_perm(s), 0600);
	vg_set_metric_udata_set(s, ix.scalar[VG_T_U64], 0xabcdef);
	CU_ASSERT_EQUAL(vg_set_meta_gn(s), 3);
	CU_ASSERT_EQUAL(vg_set_metric_udata(s, ix.scalar[VG_T_U64]), 0xabcdef);
	memcpy(&h, data, sizeof(h));
	CU_ASSERT_EQUAL(h.meta_gn, 3);
	/* so do meta values (LDMS does the same); data values do not */
	vg_set_u64(s, ix.meta_u64, 1);
	CU_ASSERT_EQUAL(vg_set_meta_gn(s), 4);
	vg_set_str(s, ix.meta_str, "x");
	CU_ASSERT_EQUAL(vg_set_meta_gn(s), 5);
	vg_set_array_d64(s, ix.meta_d64_arr, 2, 1.0);
	CU_ASSERT_EQUAL(vg_set_meta_gn(s), 6);
	vg_set_array_d64(s, ix.meta_d64_arr, 3, 1.0); /* past the end: nothing changes */
	vg_set_u64(s, ix.meta_u64, 1);                /* the same value: nothing changes */
	vg_set_str(s, ix.meta_str, "x");
	vg_set_u64(s, ix.scalar[VG_T_U64], 1);
	vg_set_str(s, ix.array[VG_T_CHAR_ARRAY], "x");
	CU_ASSERT_EQUAL(vg_set_meta_gn(s), 6);
	memcpy(&h, data, sizeof(h));
	CU_ASSERT_EQUAL(h.meta_gn, 6);
	vg_clock_fake(NULL);
	vg_set_put(s);
}

static void test_info(void)
{
	struct all_idx ix;
	struct vg_set *s = all_types_set(&ix);
	CU_ASSERT_EQUAL(vg_set_info_count(s), 0);
	CU_ASSERT_EQUAL(vg_set_info_set(s, "updt_hint_us", "1000000:0"), 0);
	CU_ASSERT_EQUAL(vg_set_info_set(s, "b", "2"), 0);
	CU_ASSERT_EQUAL(vg_set_info_set(s, "a", "1"), 0);
	CU_ASSERT_EQUAL(vg_set_info_set(s, "b", "two"), 0);
	CU_ASSERT_EQUAL(vg_set_info_set(s, "", "x"), -EINVAL);
	CU_ASSERT_EQUAL(vg_set_info_set(s, "k", NULL), -EINVAL);
	CU_ASSERT_EQUAL(vg_set_info_count(s), 3);
	CU_ASSERT_STRING_EQUAL(vg_set_info_get(s, "b"), "two");
	CU_ASSERT_PTR_NULL(vg_set_info_get(s, "zz"));
	const char *k, *v;
	CU_ASSERT_TRUE(vg_set_info_at(s, 0, &k, &v));
	CU_ASSERT_STRING_EQUAL(k, "updt_hint_us");
	CU_ASSERT_STRING_EQUAL(v, "1000000:0");
	CU_ASSERT_TRUE(vg_set_info_at(s, 1, &k, &v));
	CU_ASSERT_STRING_EQUAL(k, "b");
	CU_ASSERT_STRING_EQUAL(v, "two");
	CU_ASSERT_FALSE(vg_set_info_at(s, 3, &k, &v));
	CU_ASSERT_EQUAL(vg_set_info_unset(s, "b"), 0);
	CU_ASSERT_EQUAL(vg_set_info_unset(s, "b"), -ENOENT);
	CU_ASSERT_TRUE(vg_set_info_at(s, 1, &k, &v));
	CU_ASSERT_STRING_EQUAL(k, "a");
	CU_ASSERT_EQUAL(vg_set_info_count(s), 2);
	vg_set_put(s);
}

static const struct cu_test tests[] = {
	{"types", test_types},
	{"schema rules", test_schema_rules},
	{"every type round-trips", test_roundtrip},
	{"get_as converts", test_get_as},
	{"bad index and element", test_bad_index},
	{"meta and data parts", test_meta_vs_data},
	{"sizes", test_sizes},
	{"transactions", test_transactions},
	{"set info", test_info},
	{"mirror equals local", test_mirror_equal},
	{"mirror stale", test_mirror_stale},
	{"mirror torn or inconsistent", test_mirror_torn},
	{"mirror one-sided read", test_mirror_staging},
	{"mirror rejects malformed meta", test_mirror_rejects},
	{"mirror hostile strings", test_mirror_hostile_str},
	{"mirror fuzz", test_mirror_fuzz},
	{NULL, NULL},
};
CU_MAIN("set", tests)
