/*
 * schema.h - metric types and schemas.
 *
 * A schema is an ordered list of typed, named metrics; each is either meta
 * (set once, e.g. component_id) or data (changes every sample).  A schema is
 * a template: sets (set.h) are created from it and keep their own copy of
 * the layout, so a schema may be freed once its sets exist.
 *
 * The type numbers are part of the set format and the wire protocol and
 * follow LDMS's enum ldms_value_type; they never change
 * (tests/unit/test_wire_enums.c checks them against a frozen list).
 */
#ifndef VIGIL_SCHEMA_H
#define VIGIL_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum vg_type {
	VG_T_NONE = 0,
	VG_T_CHAR = 1,
	VG_T_U8 = 2,
	VG_T_S8 = 3,
	VG_T_U16 = 4,
	VG_T_S16 = 5,
	VG_T_U32 = 6,
	VG_T_S32 = 7,
	VG_T_U64 = 8,
	VG_T_S64 = 9,
	VG_T_F32 = 10,
	VG_T_D64 = 11,
	VG_T_CHAR_ARRAY = 12,
	VG_T_U8_ARRAY = 13,
	VG_T_S8_ARRAY = 14,
	VG_T_U16_ARRAY = 15,
	VG_T_S16_ARRAY = 16,
	VG_T_U32_ARRAY = 17,
	VG_T_S32_ARRAY = 18,
	VG_T_U64_ARRAY = 19,
	VG_T_S64_ARRAY = 20,
	VG_T_F32_ARRAY = 21,
	VG_T_D64_ARRAY = 22,
	VG_T_LAST = VG_T_D64_ARRAY,
};

/* LDMS's names: "u64", "char[]", "d64[]", ... ; NULL for an invalid type. */
const char *vg_type_name(enum vg_type t);
/* Accepts LDMS's names and, case-insensitively, "u64_array" style aliases. */
enum vg_type vg_type_from_name(const char *name);
bool vg_type_valid(enum vg_type t);
bool vg_type_is_array(enum vg_type t);
/* The scalar type of an array's elements (CHAR for CHAR_ARRAY); t itself for scalars. */
enum vg_type vg_type_elem(enum vg_type t);
/* Bytes of one element: 1 for char/u8/s8 ... 8 for u64/s64/d64; 0 if invalid. */
size_t vg_type_elem_size(enum vg_type t);

enum vg_metric_kind {
	VG_METRIC_DATA = 0,
	VG_METRIC_META = 1,
};

#define VG_NAME_MAX 255          /* metric, schema and instance names, without the NUL */
#define VG_PRODUCER_MAX 63       /* LDMS_PRODUCER_NAME_MAX - 1 */
#define VG_UNIT_MAX 63
#define VG_ARRAY_MAX (1u << 20)  /* elements of one array metric */
#define VG_CARD_MAX 65535        /* metrics in one schema */

struct vg_schema;

struct vg_schema *vg_schema_new(const char *name);
void vg_schema_free(struct vg_schema *s);

/*
 * Append a metric.  count is the array length for array types (>= 1;
 * for CHAR_ARRAY the number of bytes including room for the NUL) and must be
 * 1 for scalars.  unit may be NULL (no unit) or a string (LDMS prints an
 * empty unit as a trailing space, a NULL one as nothing).  Returns the
 * metric's index (>= 0) or -EINVAL (bad name, type or count), -EEXIST (name
 * already in the schema), -E2BIG (too many metrics), -ENOMEM.
 */
int vg_schema_add(struct vg_schema *s, const char *name, enum vg_type type, uint32_t count,
		  const char *unit, enum vg_metric_kind kind);

/* Shorthands for scalars. */
int vg_schema_meta_add(struct vg_schema *s, const char *name, enum vg_type type);
int vg_schema_metric_add(struct vg_schema *s, const char *name, enum vg_type type);

const char *vg_schema_name(const struct vg_schema *s);
int vg_schema_card(const struct vg_schema *s);
int vg_schema_find(const struct vg_schema *s, const char *name);

/*
 * Metric idx of the schema (for set creation and generic consumers).  A bad
 * index gives NULL / VG_T_NONE / 0.  The unit is NULL when none was given.
 */
const char *vg_schema_metric_name(const struct vg_schema *s, int idx);
const char *vg_schema_metric_unit(const struct vg_schema *s, int idx);
enum vg_type vg_schema_metric_type(const struct vg_schema *s, int idx);
uint32_t vg_schema_metric_count(const struct vg_schema *s, int idx);
enum vg_metric_kind vg_schema_metric_kind(const struct vg_schema *s, int idx);
/*
 * Where a set of this schema keeps metric idx's value: the offset within the
 * meta part (meta metrics) or the data part (data metrics), as
 * set_format.h lays it out.  0 for a bad index.
 */
uint32_t vg_schema_metric_offset(const struct vg_schema *s, int idx);

/*
 * The rule for metric, schema and instance names: 1..VG_NAME_MAX bytes, no
 * control characters or whitespace (LDMS names like "Active(anon)" are fine).
 */
bool vg_name_valid(const char *name);
/* Producer names: 0..VG_PRODUCER_MAX bytes, same characters as names. */
bool vg_producer_valid(const char *name);
/* Units: 0..VG_UNIT_MAX bytes, spaces allowed, no control characters. */
bool vg_unit_valid(const char *unit);

/* Sizes of the meta and data parts a set of this schema will have. */
size_t vg_schema_meta_size(const struct vg_schema *s, const char *instance,
			   const char *producer);
size_t vg_schema_data_size(const struct vg_schema *s);

#endif /* VIGIL_SCHEMA_H */
