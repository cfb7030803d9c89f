/*
 * set.h - metric sets: an instance of a schema, named (node1/meminfo), with a
 * producer name, owner, group and permission bits, and two contiguous parts,
 * meta and data, laid out as set_format.h describes.
 *
 * Two kinds of set share this type:
 *   local  - created from a schema by a sampler (vg_set_new); its memory is
 *            in the daemon's pool, i.e. in shared memory;
 *   mirror - created from a meta part received from a peer
 *            (vg_set_mirror_new), whose data part is refreshed by updates
 *            (vg_set_data_apply after a copy, or a one-sided read straight
 *            into vg_set_data_buf() followed by vg_set_data_check()).
 * Everything received from a peer is validated before use: a hostile or
 * corrupt meta part gives -EPROTO and a message, never an out-of-bounds access.
 *
 * Writers bracket every sample with vg_set_begin()/vg_set_end().  Readers in
 * other processes or peers detect torn copies as set_format.h describes.
 *
 * Value accessors do not check the metric type (that is the caller's
 * contract, like LDMS); they do check the index, and an out-of-range index
 * is a no-op / returns 0.  Hot paths should take vg_set_value_ptr() once at
 * configuration time and write through it.
 *
 * Threads: a set is not locked; its owner serialises writers.
 */
#ifndef VIGIL_SET_H
#define VIGIL_SET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pool.h"
#include "schema.h"
#include "util.h"

struct vg_set;

/* Flags of the process-local set (not stored in the set memory). */
#define VG_SET_F_LOCAL 0x1u  /* created here by a sampler */
#define VG_SET_F_MIRROR 0x2u /* a copy of a peer's set */
#define VG_SET_F_STALE 0x4u  /* a mirror whose producer is unreachable: values are old */

struct vg_timestamp {
	uint32_t sec;
	uint32_t usec;
};

/*
 * Create a local set in pool (NULL: ordinary memory).  The meta values are
 * zero, the data part zero and not consistent until the first vg_set_end().
 * Errors: -EINVAL (bad name), -ENOMEM with a message naming the set, its
 * size, and the -m option with the pool's current size and free space.
 */
struct vg_set *vg_set_new(struct vg_pool *pool, const struct vg_schema *schema,
			  const char *instance, const char *producer, uint32_t uid, uint32_t gid,
			  uint32_t perm, struct vg_err *err);

/*
 * Create a mirror of a peer's set from its meta part (meta_len bytes, as
 * received).  The whole meta part is validated.  Errors: -EPROTO (malformed,
 * with a message saying what), -ENOMEM.
 */
struct vg_set *vg_set_mirror_new(struct vg_pool *pool, const void *meta, size_t meta_len,
				 struct vg_err *err);

/*
 * Check a meta part received from a peer against everything a mirror relies
 * on (bounds, types, strings, alignment, set_format.h's order), without
 * allocating.  0, or -EPROTO with a message saying which check failed.
 */
int vg_set_meta_validate(const void *meta, size_t meta_len, struct vg_err *err);

/*
 * Free the set's memory (back to its pool).  This drops the caller's
 * reference like vg_set_put(): if another holder (the directory, a reply in
 * flight) still has one, the memory goes back when that one is dropped.
 */
void vg_set_delete(struct vg_set *s);

/* Reference counting for sets shared between owners (directory, clients). */
struct vg_set *vg_set_get(struct vg_set *s);
void vg_set_put(struct vg_set *s); /* deletes at zero; vg_set_new returns one reference */

/* ------------------------------------------------------------------ identity */

const char *vg_set_instance(const struct vg_set *s);
const char *vg_set_producer(const struct vg_set *s);
const char *vg_set_schema_name(const struct vg_set *s);
uint32_t vg_set_uid(const struct vg_set *s);
uint32_t vg_set_gid(const struct vg_set *s);
uint32_t vg_set_perm(const struct vg_set *s);
/*
 * Change owner/permission (bumps meta_gn).  Writing a meta metric's value
 * through the setters bumps meta_gn too.  A mirror's meta_gn is the
 * producer's and never bumped by such local changes.
 */
void vg_set_access_set(struct vg_set *s, uint32_t uid, uint32_t gid, uint32_t perm);
uint32_t vg_set_flags(const struct vg_set *s);
/* Mark a mirror stale (its producer is gone) or fresh again. */
void vg_set_stale_set(struct vg_set *s, bool stale);

/* Opaque pointer for the owner (e.g. the plugin that created the set). */
void vg_set_owner_set(struct vg_set *s, void *owner);
void *vg_set_owner(const struct vg_set *s);

/* ------------------------------------------------------------------ layout */

int vg_set_card(const struct vg_set *s);
/* Index of the metric called name, or -ENOENT. */
int vg_set_metric_find(const struct vg_set *s, const char *name);
const char *vg_set_metric_name(const struct vg_set *s, int idx);
/* NULL when the metric has no unit (not the same as ""). */
const char *vg_set_metric_unit(const struct vg_set *s, int idx);
enum vg_type vg_set_metric_type(const struct vg_set *s, int idx);
uint32_t vg_set_metric_count(const struct vg_set *s, int idx);
bool vg_set_metric_is_meta(const struct vg_set *s, int idx);
uint64_t vg_set_metric_udata(const struct vg_set *s, int idx);
void vg_set_metric_udata_set(struct vg_set *s, int idx, uint64_t udata); /* bumps meta_gn */

/* Address of a metric's value (first element for arrays), or NULL for a bad index. */
void *vg_set_value_ptr(struct vg_set *s, int idx);
const void *vg_set_value_cptr(const struct vg_set *s, int idx);

/* ------------------------------------------------------------------ values */

#define VG_SET_SCALAR_ACCESSORS(tname, ctype)                                          \
	void vg_set_##tname(struct vg_set *s, int idx, ctype v);                       \
	ctype vg_get_##tname(const struct vg_set *s, int idx);                         \
	void vg_set_array_##tname(struct vg_set *s, int idx, uint32_t i, ctype v);     \
	ctype vg_get_array_##tname(const struct vg_set *s, int idx, uint32_t i);

VG_SET_SCALAR_ACCESSORS(char, char)
VG_SET_SCALAR_ACCESSORS(u8, uint8_t)
VG_SET_SCALAR_ACCESSORS(s8, int8_t)
VG_SET_SCALAR_ACCESSORS(u16, uint16_t)
VG_SET_SCALAR_ACCESSORS(s16, int16_t)
VG_SET_SCALAR_ACCESSORS(u32, uint32_t)
VG_SET_SCALAR_ACCESSORS(s32, int32_t)
VG_SET_SCALAR_ACCESSORS(u64, uint64_t)
VG_SET_SCALAR_ACCESSORS(s64, int64_t)
VG_SET_SCALAR_ACCESSORS(f32, float)
VG_SET_SCALAR_ACCESSORS(d64, double)
#undef VG_SET_SCALAR_ACCESSORS

/* A char array as a string: copied truncated to count-1 bytes and NUL-padded. */
void vg_set_str(struct vg_set *s, int idx, const char *str);
/*
 * The char array's bytes (NUL-terminated within count, even for a hostile
 * mirror): "" when the bytes hold no NUL (a peer's bad data) or idx is bad.
 */
const char *vg_get_str(const struct vg_set *s, int idx);

/*
 * Any numeric element as u64/s64/double regardless of its type, for generic
 * consumers (stores, ls).  elem is 0 for scalars.
 */
uint64_t vg_get_as_u64(const struct vg_set *s, int idx, uint32_t elem);
int64_t vg_get_as_s64(const struct vg_set *s, int idx, uint32_t elem);
double vg_get_as_d64(const struct vg_set *s, int idx, uint32_t elem);

/* ------------------------------------------------------------------ transactions */

/* Start a sample: the data part is marked inconsistent. */
void vg_set_begin(struct vg_set *s);
/* End it: data_gn++, timestamp = now (vg_now_us), duration, consistent. */
void vg_set_end(struct vg_set *s);

bool vg_set_is_consistent(const struct vg_set *s);
struct vg_timestamp vg_set_timestamp(const struct vg_set *s);
struct vg_timestamp vg_set_duration(const struct vg_set *s);
uint64_t vg_set_meta_gn(const struct vg_set *s);
uint64_t vg_set_data_gn(const struct vg_set *s);

/* ------------------------------------------------------------------ raw parts */

/* The meta part as it is sent in a lookup reply. */
const void *vg_set_meta_bytes(const struct vg_set *s, size_t *len);
/* The data part as it is sent in an update. */
const void *vg_set_data_bytes(const struct vg_set *s, size_t *len);
size_t vg_set_meta_size(const struct vg_set *s);
size_t vg_set_data_size(const struct vg_set *s);
/* The whole set memory (meta part then data part), for memory registration. */
void *vg_set_mem(const struct vg_set *s, size_t *len);
/* Offset of the data part within vg_set_mem(). */
size_t vg_set_data_offset(const struct vg_set *s);

/*
 * Mirrors: copy a received data part in.  Errors: -EPROTO (wrong size or
 * malformed: the mirror is left unchanged), -ESTALE (the peer's meta_gn
 * differs from ours: look the set up again), -EAGAIN (torn or inconsistent
 * copy: retry later; the mirror keeps its previous values).
 */
int vg_set_data_apply(struct vg_set *s, const void *data, size_t len, struct vg_err *err);

/*
 * Mirrors updated by a one-sided read: read data_size bytes into the buffer
 * returned here (a staging copy, never the live values), then call
 * vg_set_data_check(), which validates and publishes it with the same
 * result codes as vg_set_data_apply().
 */
void *vg_set_data_buf(struct vg_set *s, size_t *len);
int vg_set_data_check(struct vg_set *s, struct vg_err *err);

/* ------------------------------------------------------------------ set info */

/*
 * Key/value strings attached to a set and sent with lookups and directory
 * entries (LDMS's set info, e.g. "updt_hint_us" = "1000000:0").  Kept in
 * process memory, not in the set memory.
 */
int vg_set_info_set(struct vg_set *s, const char *key, const char *value);
const char *vg_set_info_get(const struct vg_set *s, const char *key);
int vg_set_info_unset(struct vg_set *s, const char *key);
size_t vg_set_info_count(const struct vg_set *s);
/* The i-th pair in insertion order; returns false past the end. */
bool vg_set_info_at(const struct vg_set *s, size_t i, const char **key, const char **value);

#endif /* VIGIL_SET_H */
