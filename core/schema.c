/*
 * schema.c - metric types, schemas and the layout rule of their sets.
 *
 * The schema decides where every value goes when a set is created from it
 * (vg_schema_metric_offset), so the sizes reported here and the layout
 * vg_set_new() builds cannot drift apart.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "schema.h"
#include "set_format.h"
#include "util.h"

/* ------------------------------------------------------------------ types */

struct type_info {
	const char *name;  /* LDMS's spelling */
	const char *alias; /* "u64_array" style, matched case-insensitively */
	size_t elem_size;
	enum vg_type elem;
};

static const struct type_info types[] = {
	[VG_T_CHAR] = {"char", "char", 1, VG_T_CHAR},
	[VG_T_U8] = {"u8", "u8", 1, VG_T_U8},
	[VG_T_S8] = {"s8", "s8", 1, VG_T_S8},
	[VG_T_U16] = {"u16", "u16", 2, VG_T_U16},
	[VG_T_S16] = {"s16", "s16", 2, VG_T_S16},
	[VG_T_U32] = {"u32", "u32", 4, VG_T_U32},
	[VG_T_S32] = {"s32", "s32", 4, VG_T_S32},
	[VG_T_U64] = {"u64", "u64", 8, VG_T_U64},
	[VG_T_S64] = {"s64", "s64", 8, VG_T_S64},
	[VG_T_F32] = {"f32", "f32", 4, VG_T_F32},
	[VG_T_D64] = {"d64", "d64", 8, VG_T_D64},
	[VG_T_CHAR_ARRAY] = {"char[]", "char_array", 1, VG_T_CHAR},
	[VG_T_U8_ARRAY] = {"u8[]", "u8_array", 1, VG_T_U8},
	[VG_T_S8_ARRAY] = {"s8[]", "s8_array", 1, VG_T_S8},
	[VG_T_U16_ARRAY] = {"u16[]", "u16_array", 2, VG_T_U16},
	[VG_T_S16_ARRAY] = {"s16[]", "s16_array", 2, VG_T_S16},
	[VG_T_U32_ARRAY] = {"u32[]", "u32_array", 4, VG_T_U32},
	[VG_T_S32_ARRAY] = {"s32[]", "s32_array", 4, VG_T_S32},
	[VG_T_U64_ARRAY] = {"u64[]", "u64_array", 8, VG_T_U64},
	[VG_T_S64_ARRAY] = {"s64[]", "s64_array", 8, VG_T_S64},
	[VG_T_F32_ARRAY] = {"f32[]", "f32_array", 4, VG_T_F32},
	[VG_T_D64_ARRAY] = {"d64[]", "d64_array", 8, VG_T_D64},
};

bool vg_type_valid(enum vg_type t)
{
	return t > VG_T_NONE && t <= VG_T_LAST;
}

const char *vg_type_name(enum vg_type t)
{
	return vg_type_valid(t) ? types[t].name : NULL;
}

enum vg_type vg_type_from_name(const char *name)
{
	if (!name)
		return VG_T_NONE;
	for (int t = VG_T_CHAR; t <= VG_T_LAST; t++) {
		if (!strcasecmp(name, types[t].name) || !strcasecmp(name, types[t].alias))
			return (enum vg_type)t;
	}
	return VG_T_NONE;
}

bool vg_type_is_array(enum vg_type t)
{
	return t >= VG_T_CHAR_ARRAY && t <= VG_T_LAST;
}

enum vg_type vg_type_elem(enum vg_type t)
{
	return vg_type_valid(t) ? types[t].elem : VG_T_NONE;
}

size_t vg_type_elem_size(enum vg_type t)
{
	return vg_type_valid(t) ? types[t].elem_size : 0;
}

/* ------------------------------------------------------------------ names */

static bool printable_byte(unsigned char c)
{
	return c >= 0x20 && c != 0x7f;
}

bool vg_name_valid(const char *name)
{
	if (!name || !name[0])
		return false;
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++, n++) {
		if (n >= VG_NAME_MAX || !printable_byte(*p) || *p == ' ')
			return false;
	}
	return true;
}

bool vg_producer_valid(const char *name)
{
	return name && (!name[0] || vg_name_valid(name)) && strlen(name) <= VG_PRODUCER_MAX;
}

bool vg_unit_valid(const char *unit)
{
	if (!unit)
		return false;
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)unit; *p; p++, n++) {
		if (n >= VG_UNIT_MAX || !printable_byte(*p))
			return false;
	}
	return true;
}

/* ------------------------------------------------------------------ schema */

/*
 * A part may not exceed 1 GiB: offsets in the set format are 32-bit, and no
 * sane set comes near this.
 */
#define PART_MAX (1u << 30)

struct metric {
	char *name;
	char *unit; /* NULL: no unit */
	enum vg_type type;
	uint32_t count;
	enum vg_metric_kind kind;
	/* meta: from the start of the meta values; data: from the data part */
	uint32_t off;
};

struct vg_schema {
	char *name;
	struct metric *m;
	int card;
	int cap;
	size_t meta_values; /* bytes of meta values, each 8-aligned */
	size_t data_end;    /* end of the data values within the data part */
	size_t strings;     /* bytes of metric names and units with their NULs */
	/* open addressing, index + 1 (0 = empty), so that adding 10k metrics is not quadratic */
	int *hash;
	size_t hash_cap;
};

static uint32_t name_hash(const char *name)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

static size_t hash_slot(const struct vg_schema *s, const char *name)
{
	size_t mask = s->hash_cap - 1;
	size_t i = name_hash(name) & mask;
	while (s->hash[i] && strcmp(s->m[s->hash[i] - 1].name, name))
		i = (i + 1) & mask;
	return i;
}

static int hash_grow(struct vg_schema *s)
{
	size_t cap = s->hash_cap ? s->hash_cap * 2 : 64;
	int *h = calloc(cap, sizeof(*h));
	if (!h)
		return -ENOMEM;
	free(s->hash);
	s->hash = h;
	s->hash_cap = cap;
	for (int i = 0; i < s->card; i++)
		s->hash[hash_slot(s, s->m[i].name)] = i + 1;
	return 0;
}

struct vg_schema *vg_schema_new(const char *name)
{
	if (!vg_name_valid(name)) {
		errno = EINVAL;
		return NULL;
	}
	struct vg_schema *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->name = strdup(name);
	s->data_end = sizeof(struct vg_data_hdr);
	if (!s->name || hash_grow(s)) {
		vg_schema_free(s);
		errno = ENOMEM;
		return NULL;
	}
	return s;
}

void vg_schema_free(struct vg_schema *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->card; i++) {
		free(s->m[i].name);
		free(s->m[i].unit);
	}
	free(s->m);
	free(s->hash);
	free(s->name);
	free(s);
}

int vg_schema_add(struct vg_schema *s, const char *name, enum vg_type type, uint32_t count,
		  const char *unit, enum vg_metric_kind kind)
{
	if (!s || !vg_name_valid(name) || !vg_type_valid(type))
		return -EINVAL;
	if (kind != VG_METRIC_DATA && kind != VG_METRIC_META)
		return -EINVAL;
	if (vg_type_is_array(type) ? (count < 1 || count > VG_ARRAY_MAX) : count != 1)
		return -EINVAL;
	if (unit && !vg_unit_valid(unit))
		return -EINVAL;
	if (s->hash[hash_slot(s, name)])
		return -EEXIST;
	if (s->card >= VG_CARD_MAX)
		return -E2BIG;

	size_t esize = vg_type_elem_size(type);
	size_t bytes = (size_t)count * esize;
	size_t meta_values = s->meta_values, data_end = s->data_end, off;
	if (kind == VG_METRIC_META) {
		off = meta_values;
		meta_values += VG_ALIGN_UP(bytes, 8);
	} else {
		off = VG_ALIGN_UP(data_end, esize);
		data_end = off + bytes;
	}
	size_t strings = s->strings + strlen(name) + 1 + (unit ? strlen(unit) + 1 : 0);
	size_t descs = (size_t)(s->card + 1) * sizeof(struct vg_metric_desc);
	if (descs + meta_values + strings > PART_MAX / 2 || data_end > PART_MAX / 2)
		return -E2BIG;

	if (s->card == s->cap) {
		int cap = s->cap ? s->cap * 2 : 16;
		struct metric *m = realloc(s->m, (size_t)cap * sizeof(*m));
		if (!m)
			return -ENOMEM;
		s->m = m;
		s->cap = cap;
	}
	if ((size_t)(s->card + 1) * 2 > s->hash_cap && hash_grow(s))
		return -ENOMEM;
	struct metric *m = &s->m[s->card];
	m->name = strdup(name);
	m->unit = unit ? strdup(unit) : NULL;
	if (!m->name || (unit && !m->unit)) {
		free(m->name);
		free(m->unit);
		return -ENOMEM;
	}
	m->type = type;
	m->count = count;
	m->kind = kind;
	m->off = (uint32_t)off;
	s->hash[hash_slot(s, name)] = s->card + 1;
	s->meta_values = meta_values;
	s->data_end = data_end;
	s->strings = strings;
	return s->card++;
}

int vg_schema_meta_add(struct vg_schema *s, const char *name, enum vg_type type)
{
	return vg_schema_add(s, name, type, 1, NULL, VG_METRIC_META);
}

int vg_schema_metric_add(struct vg_schema *s, const char *name, enum vg_type type)
{
	return vg_schema_add(s, name, type, 1, NULL, VG_METRIC_DATA);
}

const char *vg_schema_name(const struct vg_schema *s)
{
	return s->name;
}

int vg_schema_card(const struct vg_schema *s)
{
	return s->card;
}

int vg_schema_find(const struct vg_schema *s, const char *name)
{
	if (!s || !name)
		return -ENOENT;
	int i = s->hash[hash_slot(s, name)];
	return i ? i - 1 : -ENOENT;
}

static const struct metric *metric_at(const struct vg_schema *s, int idx)
{
	return (s && idx >= 0 && idx < s->card) ? &s->m[idx] : NULL;
}

const char *vg_schema_metric_name(const struct vg_schema *s, int idx)
{
	const struct metric *m = metric_at(s, idx);
	return m ? m->name : NULL;
}

const char *vg_schema_metric_unit(const struct vg_schema *s, int idx)
{
	const struct metric *m = metric_at(s, idx);
	return m ? m->unit : NULL;
}

enum vg_type vg_schema_metric_type(const struct vg_schema *s, int idx)
{
	const struct metric *m = metric_at(s, idx);
	return m ? m->type : VG_T_NONE;
}

uint32_t vg_schema_metric_count(const struct vg_schema *s, int idx)
{
	const struct metric *m = metric_at(s, idx);
	return m ? m->count : 0;
}

enum vg_metric_kind vg_schema_metric_kind(const struct vg_schema *s, int idx)
{
	const struct metric *m = metric_at(s, idx);
	return m ? m->kind : VG_METRIC_DATA;
}

/* The meta values follow the header and the descriptor array. */
static size_t meta_values_start(const struct vg_schema *s)
{
	return VG_ALIGN_UP(sizeof(struct vg_meta_hdr) +
				   (size_t)s->card * sizeof(struct vg_metric_desc), 8);
}

uint32_t vg_schema_metric_offset(const struct vg_schema *s, int idx)
{
	const struct metric *m = metric_at(s, idx);
	if (!m)
		return 0;
	if (m->kind == VG_METRIC_META)
		return (uint32_t)(meta_values_start(s) + m->off);
	return m->off;
}

size_t vg_schema_meta_size(const struct vg_schema *s, const char *instance,
			   const char *producer)
{
	size_t strings = s->strings + strlen(s->name) + 1;
	strings += (instance ? strlen(instance) : 0) + 1;
	strings += (producer ? strlen(producer) : 0) + 1;
	return VG_ALIGN_UP(meta_values_start(s) + s->meta_values + strings, 64);
}

size_t vg_schema_data_size(const struct vg_schema *s)
{
	return VG_ALIGN_UP(s->data_end, 8) + sizeof(uint64_t);
}
