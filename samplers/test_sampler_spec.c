/*
 * test_sampler_spec.c - test_sampler's add_schema action: the metrics=
 * specs (name:kind:type:init:length:unit), the num_metrics= form, type names
 * in LDMS's and vigil's spelling, and initial values as LDMS reads them.
 * The rest of the plugin is in test_sampler.c.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "plugins/plugin.h"
#include "samplers/test_sampler.h"

/* ------------------------------------------------------------------ values */

static bool type_signed(enum vg_type elem)
{
	return elem == VG_T_S8 || elem == VG_T_S16 || elem == VG_T_S32 || elem == VG_T_S64;
}

static bool type_float(enum vg_type elem)
{
	return elem == VG_T_F32 || elem == VG_T_D64;
}

/*
 * An initial value as LDMS reads it: the first character for char and
 * char[], decimal for unsigned, C notation (0x, leading 0) for signed.
 */
static int init_parse(const char *text, enum vg_type type, union ts_init *out)
{
	enum vg_type elem = vg_type_elem(type);
	size_t bits = vg_type_elem_size(type) * 8;
	if (!text[0])
		return -EINVAL;
	if (elem == VG_T_CHAR) {
		out->u = (unsigned char)text[0];
	} else if (type_float(elem)) {
		char *end;
		errno = 0;
		out->d = strtod(text, &end);
		if (*end || end == text || errno)
			return -EINVAL;
	} else if (type_signed(elem)) {
		int64_t max = bits == 64 ? INT64_MAX : (int64_t)((1ull << (bits - 1)) - 1);
		if (vg_parse_i64(text, 0, &out->s) < 0 || out->s > max || out->s < -max - 1)
			return -EINVAL;
	} else {
		uint64_t max = bits == 64 ? UINT64_MAX : (1ull << bits) - 1;
		if (vg_parse_u64(text, 10, &out->u) < 0 || out->u > max)
			return -EINVAL;
	}
	return 0;
}

union ts_init ts_init_from_u64(enum vg_type type, uint64_t v)
{
	union ts_init init;
	enum vg_type elem = vg_type_elem(type);
	if (type_float(elem))
		init.d = (double)v;
	else if (type_signed(elem))
		init.s = (int64_t)v;
	else
		init.u = v;
	return init;
}

/* ------------------------------------------------------------------ attributes */

int ts_parse_count(const char *attr, const char *value, uint64_t min, uint64_t max,
		   uint64_t *out, struct vg_err *err)
{
	if (vg_parse_u64(value, 10, out) < 0 || *out < min || *out > max)
		return vg_errf(err, EINVAL, "%s=%s is not valid: give a whole number from %llu to %llu",
			       attr, value, (unsigned long long)min, (unsigned long long)max);
	return 0;
}

/* The type of type=/metrics=, in LDMS's spelling (U64_ARRAY) or vigil's (u64[]). */
static int type_parse(const char *what, const char *text, enum vg_type *out, struct vg_err *err)
{
	*out = vg_type_from_name(text);
	if (*out != VG_T_NONE)
		return 0;
	if (!strcasecmp(text, "list") || !strncasecmp(text, "record", 6))
		return vg_errf(err, EINVAL, "%s: type '%s' is not supported: vigil sets hold no lists or "
					    "records; use a scalar or array type",
			       what, text);
	return vg_errf(err, EINVAL, "%s: unknown type '%s': use char, u8, s8, u16, s16, u32, s32, u64, "
				    "s64, f32, d64 or an array such as u64_array (u64[])",
		       what, text);
}

/* ------------------------------------------------------------------ add_schema */

/* Fields of one metrics= entry: name:kind:type:init:length:unit (length, unit optional). */
static int spec_add(struct vg_schema *s, char *spec, char delim, int n, union ts_init *init,
		    struct vg_err *err)
{
	char *field[7] = {0};
	int nfields = 0;
	char whole[128];
	snprintf(whole, sizeof(whole), "%s", spec);
	if (!spec[0])
		return vg_errf(err, EINVAL, "metrics=: entry %d is empty: remove the extra ','", n + 1);
	for (char *f = spec; f && nfields < 7; nfields++) {
		field[nfields] = f;
		f = strchr(f, delim);
		if (f)
			*f++ = '\0';
	}
	if (nfields < 4 || nfields > 6 || !field[0][0] || !field[1][0] || !field[2][0] ||
	    !field[3][0])
		return vg_errf(err, EINVAL, "metrics=: entry '%s' is not name%cmeta|data%ctype%cinit"
					    "[%clength[%cunit]]",
			       whole, delim, delim, delim, delim, delim);
	const char *name = field[0], *kind_text = field[1];
	const char *len_text = nfields > 4 ? field[4] : "";
	const char *unit = nfields > 5 ? field[5] : "";
	enum vg_metric_kind kind;
	if (!strcasecmp(kind_text, "data") || !strcasecmp(kind_text, "d"))
		kind = VG_METRIC_DATA;
	else if (!strcasecmp(kind_text, "meta") || !strcasecmp(kind_text, "m"))
		kind = VG_METRIC_META;
	else
		return vg_errf(err, EINVAL, "metrics=: metric '%s' has kind '%s': use meta or data",
			       name, kind_text);
	char what[VG_NAME_MAX + 32];
	snprintf(what, sizeof(what), "metrics=: metric '%s'", name);
	enum vg_type type;
	int rc = type_parse(what, field[2], &type, err);
	if (rc < 0)
		return rc;
	uint64_t count = 1;
	if (len_text[0] && vg_parse_u64(len_text, 10, &count) < 0)
		count = 0;
	if (vg_type_is_array(type) ? count < 1 || count > VG_ARRAY_MAX : count != 1)
		return vg_errf(err, EINVAL, "metrics=: metric '%s' has length '%s': %s", name, len_text,
			       vg_type_is_array(type) ? "give the number of elements, at least 1"
						      : "a scalar has length 1 (or leave it empty)");
	if (init_parse(field[3], type, init) < 0)
		return vg_errf(err, EINVAL, "metrics=: metric '%s' has initial value '%s', which is not "
					    "a %s value",
			       name, field[3], vg_type_name(vg_type_elem(type)));
	if (!vg_name_valid(name) || !vg_unit_valid(unit))
		return vg_errf(err, EINVAL, "metrics=: metric '%s' (unit '%s'): names are 1 to %d "
					    "characters without spaces, units at most %d",
			       name, unit, VG_NAME_MAX, VG_UNIT_MAX);
	rc = vg_schema_add(s, name, type, (uint32_t)count, unit, kind);
	if (rc == -EEXIST)
		return vg_errf(err, EINVAL, "metrics=: metric '%s' is given twice", name);
	if (rc < 0)
		return vg_errf(err, -rc, "metrics=: cannot add metric '%s': %s", name, strerror(-rc));
	return 0;
}

static int schema_from_spec(struct vg_schema *s, const char *metrics, const char *delim_attr,
			    union ts_init **init_out, struct vg_err *err)
{
	char delim = ':';
	if (delim_attr) {
		if (strlen(delim_attr) != 1 || delim_attr[0] == ',')
			return vg_errf(err, EINVAL, "delim=%s is not valid: give one character other "
						    "than ','",
				       delim_attr);
		delim = delim_attr[0];
	}
	if (strpbrk(metrics, "[]{}"))
		return vg_errf(err, EINVAL, "metrics=: list and record metrics ('[...]', '{...}') are "
					    "not supported: use scalars and arrays");
	size_t n = 1;
	for (const char *c = metrics; *c; c++)
		n += *c == ',';
	if (n > VG_CARD_MAX)
		return vg_errf(err, EINVAL, "metrics= lists %zu metrics; at most %d are allowed", n,
			       VG_CARD_MAX);
	char *copy = strdup(metrics);
	union ts_init *init = calloc(n, sizeof(*init));
	int rc = 0;
	if (!copy || !init) {
		rc = vg_errf(err, ENOMEM, "out of memory parsing metrics=");
		goto out;
	}
	char *entry = copy;
	for (size_t i = 0; i < n && rc == 0; i++) {
		char *comma = strchr(entry, ',');
		if (comma)
			*comma = '\0';
		rc = spec_add(s, entry, delim, (int)i, &init[i], err);
		if (comma)
			entry = comma + 1;
	}
out:
	free(copy);
	if (rc < 0)
		free(init);
	else
		*init_out = init;
	return rc;
}

/* metric_0 .. metric_{n-1}, data, all of one type, unit and initial value. */
int ts_schema_numbered(struct vg_schema *s, uint64_t n, enum vg_type type, const char *unit,
		       union ts_init value, union ts_init **init_out, struct vg_err *err)
{
	union ts_init *init = calloc(n, sizeof(*init));
	if (!init)
		return vg_errf(err, ENOMEM, "out of memory for %llu metrics", (unsigned long long)n);
	for (uint64_t i = 0; i < n; i++) {
		char name[32];
		snprintf(name, sizeof(name), "metric_%llu", (unsigned long long)i);
		int rc = vg_schema_add(s, name, type, 1, unit, VG_METRIC_DATA);
		if (rc < 0) {
			free(init);
			return vg_errf(err, -rc, "cannot add metric '%s' to schema '%s': %s", name,
				       vg_schema_name(s), strerror(-rc));
		}
		init[i] = value;
	}
	*init_out = init;
	return 0;
}

struct vg_schema *ts_schema_new(struct ts_ctx *c, const char *name, struct vg_err *err)
{
	if (!name || !name[0]) {
		vg_errf(err, EINVAL, "the attribute 'schema' is required: name the schema, e.g. "
				     "schema=ts3");
		return NULL;
	}
	if (ts_schema_find(c, name)) {
		vg_errf(err, EEXIST, "schema '%s' already exists: give another schema= name", name);
		return NULL;
	}
	struct vg_schema *s = vg_name_valid(name) ? vg_schema_new(name) : NULL;
	if (!s)
		vg_errf(err, EINVAL, "schema=%s is not a valid name (1 to %d characters, no spaces) "
				     "or memory is short",
			name, VG_NAME_MAX);
	return s;
}

int ts_act_add_schema(struct vg_plugin *p, struct ts_ctx *c, const struct vg_kvlist *kv,
		      struct vg_err *err)
{
	(void)p;
	const char *metrics = vg_kv_get(kv, "metrics");
	const char *num = vg_kv_get(kv, "num_metrics");
	const char *card = vg_kv_get(kv, "set_array_card");
	uint64_t n, ignored;
	int rc;
	/* set_array_card: vigil keeps one copy of the data; checked, then ignored. */
	if (card && (rc = ts_parse_count("set_array_card", card, 1, 65535, &ignored, err)) < 0)
		return rc;
	if (!metrics == !num)
		return vg_errf(err, EINVAL, "give either metrics=<name:meta|data:type:init:len:unit,...> "
					    "or num_metrics=<N>%s",
			       metrics ? ", not both" : "");
	if (metrics && (vg_kv_get(kv, "type") || vg_kv_get(kv, "init_value")))
		return vg_errf(err, EINVAL, "type= and init_value= go with num_metrics=; with metrics= "
					    "each entry has its own type and initial value");
	if (num && vg_kv_get(kv, "delim"))
		return vg_errf(err, EINVAL, "delim= goes with metrics=, not num_metrics=");
	struct vg_schema *s = ts_schema_new(c, vg_kv_get(kv, "schema"), err);
	if (!s)
		return -err->code;
	union ts_init *init = NULL;
	if (metrics) {
		rc = schema_from_spec(s, metrics, vg_kv_get(kv, "delim"), &init, err);
	} else {
		const char *type_text = vg_kv_get(kv, "type");
		const char *init_text = vg_kv_get(kv, "init_value");
		enum vg_type type = VG_T_U64;
		union ts_init value;
		if ((rc = ts_parse_count("num_metrics", num, 1, VG_CARD_MAX, &n, err)) < 0 ||
		    (type_text && (rc = type_parse("type=", type_text, &type, err)) < 0))
			goto fail;
		if (!init_text)
			init_text = "0";
		if (init_parse(init_text, type, &value) < 0) {
			rc = vg_errf(err, EINVAL, "init_value=%s is not a %s value", init_text,
				     vg_type_name(vg_type_elem(type)));
			goto fail;
		}
		/* No unit at all, as LDMS (ldms_ls prints no trailing space). */
		rc = ts_schema_numbered(s, n, type, NULL, value, &init, err);
	}
	if (rc < 0)
		goto fail;
	return ts_schema_register(c, s, init, err);
fail:
	vg_schema_free(s);
	return rc;
}
