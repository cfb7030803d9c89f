/*
 * set_fixture.h - what the two sources of the test_set program share: a schema
 * with a metric of every type, values to fill it with, and the mirror tests
 * (test_set_mirror.c) listed in test_set.c's table.
 */
#ifndef VIGIL_SET_FIXTURE_H
#define VIGIL_SET_FIXTURE_H

#include "core/schema.h"
#include "core/set.h"

/* One metric of every scalar type and every array type, data and meta. */
struct all_idx {
	int scalar[VG_T_D64 + 1]; /* data scalars by type */
	int array[VG_T_LAST + 1]; /* data arrays (count 5) by type */
	int meta_u64, meta_str, meta_s16, meta_d64_arr;
};

struct vg_schema *all_types_schema(struct all_idx *ix);
/* "node1/alltypes" with its meta values set; the caller owns one reference. */
struct vg_set *all_types_set(struct all_idx *ix);
/* One transaction writing distinctive data values (seed varies some of them). */
void fill_values(struct vg_set *s, const struct all_idx *ix, int seed);
void check_values(const struct vg_set *s, const struct all_idx *ix, int seed);

void test_mirror_equal(void);
void test_mirror_stale(void);
void test_mirror_torn(void);
void test_mirror_staging(void);
void test_mirror_rejects(void);
void test_mirror_hostile_str(void);
void test_mirror_fuzz(void);

#endif /* VIGIL_SET_FIXTURE_H */
