/*
 * set.c - metric sets: creation from a schema, mirrors of a peer's set,
 * value accessors, transactions and set info.
 *
 * Safety of mirrors rests on one rule: everything that later code trusts
 * (offsets, counts, types, strings) is checked once by vg_set_meta_validate()
 * (set_check.c), and the layout is then frozen in our own copy.  Only the
 * char arrays' contents come from the peer again at every update, so
 * vg_get_str() checks for a terminator at each call.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "set.h"
#include "set_format.h"

struct info_pair {
	char *key;
	char *value;
};

struct vg_set {
	uint8_t *mem; /* meta part, data part, and for mirrors the staging copy */
	size_t mem_len;
	struct vg_pool *pool; /* NULL: mem is heap memory */
	struct vg_meta_hdr *meta;
	struct vg_metric_desc *desc;
	struct vg_data_hdr *data;
	uint8_t *data_part; /* == data, as bytes */
	uint64_t *trailer;  /* the trailing copy of data_gn */
	uint8_t *staging;   /* mirrors: target of one-sided reads */
	size_t meta_size;
	size_t data_size;
	uint32_t card;
	uint32_t flags;
	const char *instance;
	const char *producer;
	const char *schema;
	void *owner;
	atomic_int refcount;
	uint64_t begin_us;
	struct info_pair *info;
	size_t info_count;
	size_t info_cap;
};

static size_t page_size(void)
{
	long p = sysconf(_SC_PAGESIZE);
	return p > 0 ? (size_t)p : 4096;
}

static void *set_mem_alloc(struct vg_pool *pool, size_t len)
{
	if (pool)
		return vg_pool_alloc(pool, len);
	void *p = NULL;
	if (posix_memalign(&p, page_size(), len))
		return NULL;
	memset(p, 0, len);
	return p;
}

static int set_mem_fail(struct vg_pool *pool, const char *what, const char *instance,
			size_t len, struct vg_err *err)
{
	char need[32], size[32], avail[32];
	vg_format_size(len, need, sizeof(need));
	if (!pool)
		return vg_errf(err, ENOMEM, "out of memory creating %s '%s' (%s)", what, instance,
			       need);
	vg_format_size(vg_pool_size(pool), size, sizeof(size));
	vg_format_size(vg_pool_size(pool) - vg_pool_used(pool), avail, sizeof(avail));
	return vg_errf(err, ENOMEM,
		       "set memory exhausted creating %s '%s' (%s): raise ldmsd -m "
		       "(set memory is %s, %s free)",
		       what, instance, need, size, avail);
}

/* Point the process-local fields at the parts of s->mem. */
static void set_bind(struct vg_set *s)
{
	s->meta = (struct vg_meta_hdr *)s->mem;
	s->desc = (struct vg_metric_desc *)(s->mem + s->meta->desc_off);
	s->meta_size = s->meta->meta_size;
	s->data_size = s->meta->data_size;
	s->card = s->meta->card;
	s->data_part = s->mem + s->meta_size;
	s->data = (struct vg_data_hdr *)s->data_part;
	s->trailer = (uint64_t *)(s->data_part + s->data_size - sizeof(uint64_t));
	s->instance = (const char *)s->mem + s->meta->instance_off;
	s->producer = (const char *)s->mem + s->meta->producer_off;
	s->schema = (const char *)s->mem + s->meta->schema_off;
}

static struct vg_set *set_alloc(struct vg_pool *pool, size_t len)
{
	struct vg_set *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->mem = set_mem_alloc(pool, len);
	if (!s->mem) {
		free(s);
		return NULL;
	}
	s->mem_len = len;
	s->pool = pool;
	atomic_init(&s->refcount, 1);
	return s;
}

static uint32_t put_string(uint8_t *meta, size_t *pos, const char *str)
{
	size_t n = strlen(str) + 1;
	uint32_t off = (uint32_t)*pos;
	memcpy(meta + off, str, n);
	*pos += n;
	return off;
}

struct vg_set *vg_set_new(struct vg_pool *pool, const struct vg_schema *schema,
			  const char *instance, const char *producer, uint32_t uid, uint32_t gid,
			  uint32_t perm, struct vg_err *err)
{
	int rc;
	if (!producer)
		producer = "";
	if (!schema) {
		rc = vg_errf(err, EINVAL, "set '%s' needs a schema", instance ? instance : "");
		goto fail;
	}
	if (!vg_name_valid(instance)) {
		rc = vg_errf(err, EINVAL,
			"set instance name '%s' is invalid: use 1..%d characters without spaces "
			"or control characters",
			instance ? instance : "", VG_NAME_MAX);
		goto fail;
	}
	if (!vg_producer_valid(producer)) {
		rc = vg_errf(err, EINVAL,
			"producer name '%s' of set '%s' is invalid: use at most %d characters "
			"without spaces or control characters",
			producer, instance, VG_PRODUCER_MAX);
		goto fail;
	}
	size_t meta_size = vg_schema_meta_size(schema, instance, producer);
	size_t data_size = vg_schema_data_size(schema);
	size_t len = VG_ALIGN_UP(meta_size + data_size, page_size());
	struct vg_set *s = set_alloc(pool, len);
	if (!s) {
		rc = set_mem_fail(pool, "set", instance, len, err);
		goto fail;
	}

	int card = vg_schema_card(schema);
	struct vg_meta_hdr *h = (struct vg_meta_hdr *)s->mem;
	h->magic = VG_SET_MAGIC;
	h->format = VG_SET_FORMAT;
	h->meta_gn = 1;
	h->meta_size = (uint32_t)meta_size;
	h->data_size = (uint32_t)data_size;
	h->card = (uint32_t)card;
	h->uid = uid;
	h->gid = gid;
	h->perm = perm;
	h->desc_off = sizeof(*h);

	/* strings go after the last meta value */
	struct vg_metric_desc *desc = (struct vg_metric_desc *)(s->mem + h->desc_off);
	size_t pos = VG_ALIGN_UP(h->desc_off + (size_t)card * sizeof(*desc), 8);
	for (int i = 0; i < card; i++) {
		if (vg_schema_metric_kind(schema, i) != VG_METRIC_META)
			continue;
		size_t bytes = (size_t)vg_schema_metric_count(schema, i) *
			       vg_type_elem_size(vg_schema_metric_type(schema, i));
		size_t end = vg_schema_metric_offset(schema, i) + VG_ALIGN_UP(bytes, 8);
		if (end > pos)
			pos = end;
	}
	h->instance_off = put_string(s->mem, &pos, instance);
	h->producer_off = put_string(s->mem, &pos, producer);
	h->schema_off = put_string(s->mem, &pos, vg_schema_name(schema));
	for (int i = 0; i < card; i++) {
		struct vg_metric_desc *d = &desc[i];
		const char *unit = vg_schema_metric_unit(schema, i);
		d->name_off = put_string(s->mem, &pos, vg_schema_metric_name(schema, i));
		if (unit) {
			d->unit_off = put_string(s->mem, &pos, unit);
			d->flags |= VG_MDESC_HAS_UNIT;
		}
		d->type = (uint8_t)vg_schema_metric_type(schema, i);
		d->count = vg_schema_metric_count(schema, i);
		d->value_off = vg_schema_metric_offset(schema, i);
		if (vg_schema_metric_kind(schema, i) == VG_METRIC_META)
			d->flags |= VG_MDESC_META;
	}
	set_bind(s);
	s->data->meta_gn = h->meta_gn;
	s->flags = VG_SET_F_LOCAL;
	return s;
fail:
	errno = -rc;
	return NULL;
}

/* ------------------------------------------------------------------ mirrors */

struct vg_set *vg_set_mirror_new(struct vg_pool *pool, const void *meta, size_t meta_len,
				 struct vg_err *err)
{
	if (vg_set_meta_validate(meta, meta_len, err)) {
		errno = EPROTO;
		return NULL;
	}
	struct vg_meta_hdr h;
	memcpy(&h, meta, sizeof(h));
	/* the staging copy shares the allocation, so one registration covers it */
	size_t staging_off = VG_ALIGN_UP((size_t)h.meta_size + h.data_size, 64);
	size_t len = VG_ALIGN_UP(staging_off + h.data_size, page_size());
	struct vg_set *s = set_alloc(pool, len);
	if (!s) {
		const char *instance = (const char *)meta + h.instance_off;
		set_mem_fail(pool, "mirror of set", instance, len, err);
		errno = ENOMEM;
		return NULL;
	}
	memcpy(s->mem, meta, meta_len);
	set_bind(s);
	s->staging = s->mem + staging_off;
	s->flags = VG_SET_F_MIRROR;
	return s;
}

void *vg_set_data_buf(struct vg_set *s, size_t *len)
{
	if (len)
		*len = s->staging ? s->data_size : 0;
	return s->staging;
}

/* ------------------------------------------------------------------ lifetime */

static void set_free(struct vg_set *s)
{
	for (size_t i = 0; i < s->info_count; i++) {
		free(s->info[i].key);
		free(s->info[i].value);
	}
	free(s->info);
	if (s->pool)
		vg_pool_free(s->pool, s->mem, s->mem_len);
	else
		free(s->mem);
	free(s);
}

/*
 * Drops the caller's reference, like vg_set_put(): with a reference still held
 * elsewhere (the directory, a reply in flight) freeing now would leave that
 * holder with a dangling pointer.
 */
void vg_set_delete(struct vg_set *s)
{
	vg_set_put(s);
}

struct vg_set *vg_set_get(struct vg_set *s)
{
	if (s)
		atomic_fetch_add(&s->refcount, 1);
	return s;
}

void vg_set_put(struct vg_set *s)
{
	if (s && atomic_fetch_sub(&s->refcount, 1) == 1)
		set_free(s);
}

/* ------------------------------------------------------------------ identity */

const char *vg_set_instance(const struct vg_set *s)
{
	return s->instance;
}

const char *vg_set_producer(const struct vg_set *s)
{
	return s->producer;
}

const char *vg_set_schema_name(const struct vg_set *s)
{
	return s->schema;
}

uint32_t vg_set_uid(const struct vg_set *s)
{
	return s->meta->uid;
}

uint32_t vg_set_gid(const struct vg_set *s)
{
	return s->meta->gid;
}

uint32_t vg_set_perm(const struct vg_set *s)
{
	return s->meta->perm;
}

/*
 * A mirror's meta_gn is the producer's: bumping it for a local change would
 * make every later update fail with -ESTALE.
 */
static void meta_changed(struct vg_set *s)
{
	if (s->flags & VG_SET_F_MIRROR)
		return;
	s->meta->meta_gn++;
	s->data->meta_gn = s->meta->meta_gn;
}

void vg_set_access_set(struct vg_set *s, uint32_t uid, uint32_t gid, uint32_t perm)
{
	s->meta->uid = uid;
	s->meta->gid = gid;
	s->meta->perm = perm;
	meta_changed(s);
}

uint32_t vg_set_flags(const struct vg_set *s)
{
	return s->flags;
}

void vg_set_stale_set(struct vg_set *s, bool stale)
{
	if (stale)
		s->flags |= VG_SET_F_STALE;
	else
		s->flags &= ~VG_SET_F_STALE;
}

void vg_set_owner_set(struct vg_set *s, void *owner)
{
	s->owner = owner;
}

void *vg_set_owner(const struct vg_set *s)
{
	return s->owner;
}

/* ------------------------------------------------------------------ layout */

static const struct vg_metric_desc *desc_at(const struct vg_set *s, int idx)
{
	return (idx >= 0 && (uint32_t)idx < s->card) ? &s->desc[idx] : NULL;
}

int vg_set_card(const struct vg_set *s)
{
	return (int)s->card;
}

int vg_set_metric_find(const struct vg_set *s, const char *name)
{
	if (!name)
		return -ENOENT;
	for (uint32_t i = 0; i < s->card; i++) {
		if (!strcmp((const char *)s->mem + s->desc[i].name_off, name))
			return (int)i;
	}
	return -ENOENT;
}

const char *vg_set_metric_name(const struct vg_set *s, int idx)
{
	const struct vg_metric_desc *d = desc_at(s, idx);
	return d ? (const char *)s->mem + d->name_off : NULL;
}

const char *vg_set_metric_unit(const struct vg_set *s, int idx)
{
	const struct vg_metric_desc *d = desc_at(s, idx);
	if (!d || !(d->flags & VG_MDESC_HAS_UNIT))
		return NULL;
	return (const char *)s->mem + d->unit_off;
}

enum vg_type vg_set_metric_type(const struct vg_set *s, int idx)
{
	const struct vg_metric_desc *d = desc_at(s, idx);
	return d ? (enum vg_type)d->type : VG_T_NONE;
}

uint32_t vg_set_metric_count(const struct vg_set *s, int idx)
{
	const struct vg_metric_desc *d = desc_at(s, idx);
	return d ? d->count : 0;
}

bool vg_set_metric_is_meta(const struct vg_set *s, int idx)
{
	const struct vg_metric_desc *d = desc_at(s, idx);
	return d && (d->flags & VG_MDESC_META);
}

uint64_t vg_set_metric_udata(const struct vg_set *s, int idx)
{
	const struct vg_metric_desc *d = desc_at(s, idx);
	return d ? d->udata : 0;
}

void vg_set_metric_udata_set(struct vg_set *s, int idx, uint64_t udata)
{
	if (!desc_at(s, idx))
		return;
	s->desc[idx].udata = udata;
	meta_changed(s);
}

/* Bytes of metric idx's value (all elements). */
static size_t value_extent(const struct vg_metric_desc *d)
{
	return (size_t)d->count * vg_type_elem_size((enum vg_type)d->type);
}

/*
 * Address of the i-th sz-byte element of metric idx, or NULL when that
 * element lies outside the metric: an accessor of the wrong type stays
 * inside the metric's own bytes.
 */
static uint8_t *value_at(const struct vg_set *s, int idx, uint32_t i, size_t sz)
{
	const struct vg_metric_desc *d = desc_at(s, idx);
	if (!d)
		return NULL;
	size_t extent = value_extent(d);
	if (sz > extent || i > (extent - sz) / sz)
		return NULL;
	uint8_t *base = (d->flags & VG_MDESC_META) ? s->mem : s->data_part;
	return base + d->value_off + (size_t)i * sz;
}

/* A meta value is part of the meta part: readers must fetch it again. */
static void value_written(struct vg_set *s, int idx)
{
	if (s->desc[idx].flags & VG_MDESC_META)
		meta_changed(s);
}

void *vg_set_value_ptr(struct vg_set *s, int idx)
{
	return value_at(s, idx, 0, 1);
}

const void *vg_set_value_cptr(const struct vg_set *s, int idx)
{
	return value_at(s, idx, 0, 1);
}

/* ------------------------------------------------------------------ values */

/*
 * memcpy: a mismatched accessor may be misaligned, and this compiles to one
 * move.  Writing the value already there changes nothing, so a sampler that
 * sets component_id at every sample does not make every reader look it up again.
 */
#define SCALAR_ACCESSORS(tname, ctype)                                                    \
	void vg_set_array_##tname(struct vg_set *s, int idx, uint32_t i, ctype v)         \
	{                                                                                 \
		uint8_t *p = value_at(s, idx, i, sizeof(ctype));                          \
		if (p && memcmp(p, &v, sizeof(v))) {                                      \
			memcpy(p, &v, sizeof(v));                                         \
			value_written(s, idx);                                            \
		}                                                                         \
	}                                                                                 \
	ctype vg_get_array_##tname(const struct vg_set *s, int idx, uint32_t i)           \
	{                                                                                 \
		ctype v = 0;                                                              \
		const uint8_t *p = value_at(s, idx, i, sizeof(ctype));                    \
		if (p)                                                                    \
			memcpy(&v, p, sizeof(v));                                         \
		return v;                                                                 \
	}                                                                                 \
	void vg_set_##tname(struct vg_set *s, int idx, ctype v)                           \
	{                                                                                 \
		vg_set_array_##tname(s, idx, 0, v);                                       \
	}                                                                                 \
	ctype vg_get_##tname(const struct vg_set *s, int idx)                             \
	{                                                                                 \
		return vg_get_array_##tname(s, idx, 0);                                   \
	}

SCALAR_ACCESSORS(char, char)
SCALAR_ACCESSORS(u8, uint8_t)
SCALAR_ACCESSORS(s8, int8_t)
SCALAR_ACCESSORS(u16, uint16_t)
SCALAR_ACCESSORS(s16, int16_t)
SCALAR_ACCESSORS(u32, uint32_t)
SCALAR_ACCESSORS(s32, int32_t)
SCALAR_ACCESSORS(u64, uint64_t)
SCALAR_ACCESSORS(s64, int64_t)
SCALAR_ACCESSORS(f32, float)
SCALAR_ACCESSORS(d64, double)
#undef SCALAR_ACCESSORS

void vg_set_str(struct vg_set *s, int idx, const char *str)
{
	uint8_t *p = value_at(s, idx, 0, 1);
	if (!p || !str)
		return;
	size_t extent = value_extent(&s->desc[idx]);
	size_t n = strnlen(str, extent - 1);
	bool same = !memcmp(p, str, n);
	for (size_t i = n; same && i < extent; i++)
		same = !p[i];
	if (same)
		return;
	memcpy(p, str, n);
	memset(p + n, 0, extent - n);
	value_written(s, idx);
}

/*
 * A mirror's char array comes from the peer at every update and may lack a
 * terminator: then, and for a bad index, the answer is "" rather than a
 * pointer that would run past the metric.
 */
const char *vg_get_str(const struct vg_set *s, int idx)
{
	const uint8_t *p = value_at(s, idx, 0, 1);
	if (!p || !memchr(p, '\0', value_extent(&s->desc[idx])))
		return "";
	return (const char *)p;
}

/* One element read with its own type; false for a bad index or element. */
struct number {
	enum { NUM_U, NUM_S, NUM_D } kind;
	uint64_t u;
	int64_t i;
	double d;
};

static bool number_at(const struct vg_set *s, int idx, uint32_t elem, struct number *n)
{
	const struct vg_metric_desc *d = desc_at(s, idx);
	if (!d)
		return false;
	enum vg_type t = vg_type_elem((enum vg_type)d->type);
	size_t esize = vg_type_elem_size(t);
	const uint8_t *p = value_at(s, idx, elem, esize);
	if (!p)
		return false;
	union {
		uint8_t u8;
		int8_t s8;
		uint16_t u16;
		int16_t s16;
		uint32_t u32;
		int32_t s32;
		uint64_t u64;
		int64_t s64;
		float f32;
		double d64;
	} v;
	memcpy(&v, p, esize);
	switch (t) {
	case VG_T_CHAR:
	case VG_T_U8:
		*n = (struct number){.kind = NUM_U, .u = v.u8};
		return true;
	case VG_T_U16:
		*n = (struct number){.kind = NUM_U, .u = v.u16};
		return true;
	case VG_T_U32:
		*n = (struct number){.kind = NUM_U, .u = v.u32};
		return true;
	case VG_T_U64:
		*n = (struct number){.kind = NUM_U, .u = v.u64};
		return true;
	case VG_T_S8:
		*n = (struct number){.kind = NUM_S, .i = v.s8};
		return true;
	case VG_T_S16:
		*n = (struct number){.kind = NUM_S, .i = v.s16};
		return true;
	case VG_T_S32:
		*n = (struct number){.kind = NUM_S, .i = v.s32};
		return true;
	case VG_T_S64:
		*n = (struct number){.kind = NUM_S, .i = v.s64};
		return true;
	case VG_T_F32:
		*n = (struct number){.kind = NUM_D, .d = v.f32};
		return true;
	case VG_T_D64:
		*n = (struct number){.kind = NUM_D, .d = v.d64};
		return true;
	default:
		return false;
	}
}

/* Out-of-range and NaN doubles saturate instead of being undefined casts. */
uint64_t vg_get_as_u64(const struct vg_set *s, int idx, uint32_t elem)
{
	struct number n;
	if (!number_at(s, idx, elem, &n))
		return 0;
	switch (n.kind) {
	case NUM_U: return n.u;
	case NUM_S: return (uint64_t)n.i;
	default:
		if (!(n.d > 0))
			return 0;
		return n.d >= 18446744073709551616.0 ? UINT64_MAX : (uint64_t)n.d;
	}
}

int64_t vg_get_as_s64(const struct vg_set *s, int idx, uint32_t elem)
{
	struct number n;
	if (!number_at(s, idx, elem, &n))
		return 0;
	switch (n.kind) {
	case NUM_U: return (int64_t)n.u;
	case NUM_S: return n.i;
	default:
		if (isnan(n.d))
			return 0;
		if (n.d >= 9223372036854775808.0)
			return INT64_MAX;
		if (n.d < -9223372036854775808.0)
			return INT64_MIN;
		return (int64_t)n.d;
	}
}

double vg_get_as_d64(const struct vg_set *s, int idx, uint32_t elem)
{
	struct number n;
	if (!number_at(s, idx, elem, &n))
		return 0;
	switch (n.kind) {
	case NUM_U: return (double)n.u;
	case NUM_S: return (double)n.i;
	default: return n.d;
	}
}

/* ------------------------------------------------------------------ transactions */

/*
 * The fences order the flag against the values for readers in other
 * processes (shared memory) and one-sided reads; on x86 they only stop the
 * compiler from reordering.
 */
void vg_set_begin(struct vg_set *s)
{
	s->begin_us = vg_now_us();
	s->data->flags &= ~VG_DATA_CONSISTENT;
	atomic_thread_fence(memory_order_release);
}

void vg_set_end(struct vg_set *s)
{
	uint64_t now = vg_now_us();
	uint64_t dur = (s->begin_us && now > s->begin_us) ? now - s->begin_us : 0;
	atomic_thread_fence(memory_order_release);
	uint64_t gn = s->data->data_gn + 1;
	s->data->data_gn = gn;
	s->data->meta_gn = s->meta->meta_gn;
	s->data->ts_sec = (uint32_t)(now / 1000000);
	s->data->ts_usec = (uint32_t)(now % 1000000);
	s->data->dur_usec = dur > UINT32_MAX ? UINT32_MAX : (uint32_t)dur;
	*s->trailer = gn;
	atomic_thread_fence(memory_order_release);
	s->data->flags |= VG_DATA_CONSISTENT;
	s->begin_us = 0;
}

bool vg_set_is_consistent(const struct vg_set *s)
{
	return s->data->flags & VG_DATA_CONSISTENT;
}

struct vg_timestamp vg_set_timestamp(const struct vg_set *s)
{
	struct vg_timestamp ts = {s->data->ts_sec, s->data->ts_usec};
	return ts;
}

struct vg_timestamp vg_set_duration(const struct vg_set *s)
{
	struct vg_timestamp ts = {s->data->dur_usec / 1000000, s->data->dur_usec % 1000000};
	return ts;
}

uint64_t vg_set_meta_gn(const struct vg_set *s)
{
	return s->meta->meta_gn;
}

uint64_t vg_set_data_gn(const struct vg_set *s)
{
	return s->data->data_gn;
}

/* ------------------------------------------------------------------ raw parts */

const void *vg_set_meta_bytes(const struct vg_set *s, size_t *len)
{
	if (len)
		*len = s->meta_size;
	return s->mem;
}

const void *vg_set_data_bytes(const struct vg_set *s, size_t *len)
{
	if (len)
		*len = s->data_size;
	return s->data_part;
}

size_t vg_set_meta_size(const struct vg_set *s)
{
	return s->meta_size;
}

size_t vg_set_data_size(const struct vg_set *s)
{
	return s->data_size;
}

/* The whole allocation: whole pages, and for a mirror its staging copy too. */
void *vg_set_mem(const struct vg_set *s, size_t *len)
{
	if (len)
		*len = s->mem_len;
	return s->mem;
}

size_t vg_set_data_offset(const struct vg_set *s)
{
	return s->meta_size;
}

/* ------------------------------------------------------------------ set info */

static struct info_pair *info_find(const struct vg_set *s, const char *key)
{
	for (size_t i = 0; i < s->info_count; i++) {
		if (!strcmp(s->info[i].key, key))
			return &s->info[i];
	}
	return NULL;
}

int vg_set_info_set(struct vg_set *s, const char *key, const char *value)
{
	if (!key || !key[0] || !value)
		return -EINVAL;
	char *v = strdup(value);
	if (!v)
		return -ENOMEM;
	struct info_pair *p = info_find(s, key);
	if (p) {
		free(p->value);
		p->value = v;
		return 0;
	}
	if (s->info_count == s->info_cap) {
		size_t cap = s->info_cap ? s->info_cap * 2 : 4;
		struct info_pair *n = realloc(s->info, cap * sizeof(*n));
		if (!n) {
			free(v);
			return -ENOMEM;
		}
		s->info = n;
		s->info_cap = cap;
	}
	char *k = strdup(key);
	if (!k) {
		free(v);
		return -ENOMEM;
	}
	s->info[s->info_count].key = k;
	s->info[s->info_count].value = v;
	s->info_count++;
	return 0;
}

const char *vg_set_info_get(const struct vg_set *s, const char *key)
{
	const struct info_pair *p = key ? info_find(s, key) : NULL;
	return p ? p->value : NULL;
}

int vg_set_info_unset(struct vg_set *s, const char *key)
{
	struct info_pair *p = key ? info_find(s, key) : NULL;
	if (!p)
		return -ENOENT;
	free(p->key);
	free(p->value);
	size_t i = (size_t)(p - s->info);
	memmove(p, p + 1, (s->info_count - i - 1) * sizeof(*p));
	s->info_count--;
	return 0;
}

size_t vg_set_info_count(const struct vg_set *s)
{
	return s->info_count;
}

bool vg_set_info_at(const struct vg_set *s, size_t i, const char **key, const char **value)
{
	if (i >= s->info_count)
		return false;
	if (key)
		*key = s->info[i].key;
	if (value)
		*value = s->info[i].value;
	return true;
}
