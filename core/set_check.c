/*
 * set_check.c - what a peer sends: validation of a meta part, and acceptance
 * of a data part into a mirror.
 *
 * Everything vg_set_mirror_new() and the accessors later trust is checked
 * here once, with 64-bit arithmetic on the 32-bit fields so that nothing
 * wraps.  Beyond bounds, set_format.h's order (header, descriptors, meta
 * values, strings) is enforced: then writing a meta value can never
 * overwrite a descriptor or a string terminator, and a string stays
 * terminated for the life of the mirror.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "set.h"
#include "set_format.h"

/* Parts larger than this are refused (no schema can build one: see schema.c). */
#define PART_MAX (1u << 30)

struct meta_check {
	const uint8_t *m;
	size_t size;
	size_t desc_end;
	size_t str_min;         /* lowest string offset seen */
	size_t meta_values_end; /* highest end of a meta value */
	size_t data_values_end; /* highest end of a data value */
	size_t data_packed;     /* room the data values need packed, each 8-aligned */
};

/* A NUL-terminated string of at most max bytes, inside the string area. */
static const char *meta_string(struct meta_check *c, uint32_t off, size_t max)
{
	if (off < c->desc_end || off >= c->size)
		return NULL;
	size_t room = c->size - off;
	if (room > max + 1)
		room = max + 1;
	const char *p = (const char *)c->m + off;
	if (!memchr(p, '\0', room))
		return NULL;
	if (off < c->str_min)
		c->str_min = off;
	return p;
}

#define REJECT(...) vg_errf(err, EPROTO, "meta part rejected: " __VA_ARGS__)

static int validate_desc(struct meta_check *c, const struct vg_meta_hdr *h, uint32_t i,
			 struct vg_err *err)
{
	struct vg_metric_desc d;
	memcpy(&d, c->m + h->desc_off + (size_t)i * sizeof(d), sizeof(d));
	const char *name = meta_string(c, d.name_off, VG_NAME_MAX);
	if (!name || !vg_name_valid(name))
		return REJECT("metric %" PRIu32 ": name offset %" PRIu32
			      " is outside the strings, unterminated or not a valid name",
			      i, d.name_off);
	if (d.flags & VG_MDESC_HAS_UNIT) {
		const char *unit = meta_string(c, d.unit_off, VG_UNIT_MAX);
		if (!unit || !vg_unit_valid(unit))
			return REJECT("metric '%s': unit offset %" PRIu32
				      " is outside the strings, unterminated or unprintable",
				      name, d.unit_off);
	}
	enum vg_type t = (enum vg_type)d.type;
	if (!vg_type_valid(t))
		return REJECT("metric '%s': type %u is not a metric type", name, d.type);
	if (d.count < 1 || d.count > VG_ARRAY_MAX || (!vg_type_is_array(t) && d.count != 1))
		return REJECT("metric '%s': count %" PRIu32 " is invalid for type %s", name,
			      d.count, vg_type_name(t));
	size_t esize = vg_type_elem_size(t);
	uint64_t end = (uint64_t)d.value_off + (uint64_t)d.count * esize;
	if (d.value_off % esize)
		return REJECT("metric '%s': value offset %" PRIu32 " is not aligned to %zu bytes",
			      name, d.value_off, esize);
	if (d.flags & VG_MDESC_META) {
		if (d.value_off < c->desc_end || end > c->size)
			return REJECT("metric '%s': meta value [%" PRIu32 ", %" PRIu64
				      ") is outside the meta values",
				      name, d.value_off, end);
		if (end > c->meta_values_end)
			c->meta_values_end = (size_t)end;
	} else if (d.value_off < sizeof(struct vg_data_hdr) ||
		   end > h->data_size - sizeof(uint64_t)) {
		return REJECT("metric '%s': data value [%" PRIu32 ", %" PRIu64
			      ") is outside the data values (%zu..%" PRIu32 ")",
			      name, d.value_off, end, sizeof(struct vg_data_hdr),
			      h->data_size - (uint32_t)sizeof(uint64_t));
	} else {
		if (end > c->data_values_end)
			c->data_values_end = (size_t)end;
		c->data_packed += VG_ALIGN_UP((size_t)d.count * esize, 8);
	}
	return 0;
}

int vg_set_meta_validate(const void *meta, size_t meta_len, struct vg_err *err)
{
	struct vg_meta_hdr hdr, *h = &hdr;
	if (!meta || meta_len < sizeof(*h))
		return REJECT("%zu bytes is shorter than the %zu-byte header", meta_len,
			      sizeof(*h));
	memcpy(h, meta, sizeof(*h));
	if (h->magic != VG_SET_MAGIC)
		return REJECT("bad magic 0x%08" PRIx32 " (not a vigil set)", h->magic);
	if (h->format != VG_SET_FORMAT)
		return REJECT("set format %u, this build reads format %u: upgrade the older side",
			      h->format, VG_SET_FORMAT);
	if (h->meta_size != meta_len || h->meta_size % 64 || h->meta_size > PART_MAX)
		return REJECT("meta_size %" PRIu32 " does not match the %zu bytes received or is "
			      "not a multiple of 64",
			      h->meta_size, meta_len);
	if (h->data_size % 8 || h->data_size < sizeof(struct vg_data_hdr) + sizeof(uint64_t) ||
	    h->data_size > PART_MAX)
		return REJECT("data_size %" PRIu32 " is not a multiple of 8 between %zu and %u",
			      h->data_size, sizeof(struct vg_data_hdr) + sizeof(uint64_t),
			      PART_MAX);
	if (h->card > VG_CARD_MAX)
		return REJECT("%" PRIu32 " metrics, more than %d", h->card, VG_CARD_MAX);
	uint64_t desc_end = (uint64_t)h->desc_off + (uint64_t)h->card * sizeof(struct vg_metric_desc);
	if (h->desc_off < sizeof(*h) || h->desc_off % 8 || desc_end > h->meta_size)
		return REJECT("metric descriptors at %" PRIu32 " (%" PRIu32
			      " of them) do not fit the meta part",
			      h->desc_off, h->card);

	struct meta_check c = {.m = meta,
				.size = meta_len,
				.desc_end = (size_t)desc_end,
				.str_min = meta_len,
				.meta_values_end = (size_t)desc_end,
				.data_values_end = sizeof(struct vg_data_hdr),
				.data_packed = 0};
	const char *instance = meta_string(&c, h->instance_off, VG_NAME_MAX);
	if (!instance || !vg_name_valid(instance))
		return REJECT("instance name at %" PRIu32 " is out of bounds, unterminated or invalid",
			      h->instance_off);
	const char *producer = meta_string(&c, h->producer_off, VG_PRODUCER_MAX);
	if (!producer || !vg_producer_valid(producer))
		return REJECT("producer name of set '%s' is out of bounds, unterminated or invalid",
			      instance);
	const char *schema = meta_string(&c, h->schema_off, VG_NAME_MAX);
	if (!schema || !vg_name_valid(schema))
		return REJECT("schema name of set '%s' is out of bounds, unterminated or invalid",
			      instance);

	for (uint32_t i = 0; i < h->card; i++) {
		int rc = validate_desc(&c, h, i, err);
		if (rc) {
			vg_err_prefix(err, "set '%s'", instance);
			return rc;
		}
	}
	/* set_format.h's order: a meta value written later must not touch a string */
	if (c.meta_values_end > c.str_min)
		return REJECT("set '%s': meta values end at %zu, after the strings start at %zu",
			      instance, c.meta_values_end, c.str_min);
	/*
	 * A few hundred bytes of meta must not make us allocate a gigabyte: the
	 * data values may not leave more room unused than alignment explains.
	 */
	if (c.data_values_end > sizeof(struct vg_data_hdr) + c.data_packed)
		return REJECT("set '%s': its data values end at %zu but need only %zu bytes packed",
			      instance, c.data_values_end,
			      sizeof(struct vg_data_hdr) + c.data_packed);
	size_t data_need = VG_ALIGN_UP(c.data_values_end, 8) + sizeof(uint64_t);
	if (h->data_size != data_need)
		return REJECT("set '%s': data_size %" PRIu32 " but its values need %zu bytes",
			      instance, h->data_size, data_need);
	return 0;
}

/* ------------------------------------------------------------------ data parts */

static int data_validate(const struct vg_set *s, const uint8_t *data, size_t len,
			 struct vg_err *err)
{
	const char *instance = vg_set_instance(s);
	uint64_t meta_gn = vg_set_meta_gn(s);
	if (!(vg_set_flags(s) & VG_SET_F_MIRROR))
		return vg_errf(err, EINVAL,
			       "set '%s' is local: only a mirror takes data from a peer",
			       instance);
	if (!data || len != vg_set_data_size(s))
		return vg_errf(err, EPROTO,
			       "set '%s': received a data part of %zu bytes, expected %zu",
			       instance, len, vg_set_data_size(s));
	struct vg_data_hdr h;
	uint64_t tail;
	memcpy(&h, data, sizeof(h));
	memcpy(&tail, data + len - sizeof(tail), sizeof(tail));
	if (h.meta_gn != meta_gn)
		return vg_errf(err, ESTALE,
			       "set '%s' changed on its producer (meta generation %" PRIu64
			       ", ours %" PRIu64 "): look it up again",
			       instance, h.meta_gn, meta_gn);
	if (!(h.flags & VG_DATA_CONSISTENT))
		return vg_errf(err, EAGAIN,
			       "set '%s' was copied in the middle of a sample: retry at the next "
			       "update",
			       instance);
	if (h.data_gn != tail)
		return vg_errf(err, EAGAIN,
			       "set '%s': torn copy (data generation %" PRIu64 " at the head, %" PRIu64
			       " at the tail): retry at the next update",
			       instance, h.data_gn, tail);
	return 0;
}

int vg_set_data_apply(struct vg_set *s, const void *data, size_t len, struct vg_err *err)
{
	int rc = data_validate(s, data, len, err);
	if (rc)
		return rc;
	memcpy((uint8_t *)vg_set_mem(s, NULL) + vg_set_data_offset(s), data, len);
	return 0;
}

int vg_set_data_check(struct vg_set *s, struct vg_err *err)
{
	size_t len;
	const void *staging = vg_set_data_buf(s, &len);
	return vg_set_data_apply(s, staging, len, err);
}
