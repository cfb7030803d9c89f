/*
 * test_sampler.c - LDMS's test_sampler: synthetic sets described on config
 * lines, for testing aggregation and storage without reading the kernel.
 *
 * Every config line is one action (LDMS 4.4 syntax):
 *   action=add_schema schema=S num_metrics=N [type=u64] [init_value=0]
 *   action=add_schema schema=S metrics=name:meta|data:type:init:len:unit,...
 *   action=add_set    instance=I schema=S producer=P [component_id=] [job_id=]
 *   action=default    [base=my_set] [schema=my_schema] [num_sets=1] [num_metrics=10]
 * and every sample sets each data metric (every element of an array) to its
 * first element + 1, one transaction per set.  Meta metrics never change.
 */
#include "config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "plugins/plugin.h"

#define TS_DEFAULT_SCHEMA "my_schema"
#define TS_DEFAULT_BASE "my_set"
#define TS_DEFAULT_NUM_METRICS 10
#define TS_MAX_SETS 65535
#define TS_DEFAULT_PERM 0440

/* A metric's initial value, in the member its element type uses. */
union ts_init {
	uint64_t u; /* unsigned integers and char (the character's code) */
	int64_t s;
	double d;
};

struct ts_schema {
	struct vg_schema *schema;
	union ts_init *init; /* one per metric */
};

/* A data metric of a set, located once so that sample() only writes. */
struct ts_value {
	void *ptr;
	enum vg_type type;
	uint32_t count;
};

struct ts_set {
	struct vg_set *set;
	struct ts_value *values;
	int nvalues;
};

struct ts_ctx {
	struct ts_schema *schemas;
	size_t nschemas, schemas_cap;
	struct ts_set *sets;
	size_t nsets, sets_cap;
};

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

static union ts_init init_from_u64(enum vg_type type, uint64_t v)
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

/* Write one element through the setters, which bump meta_gn for meta metrics. */
static void element_store(struct vg_set *set, int idx, uint32_t i, union ts_init v)
{
	switch (vg_type_elem(vg_set_metric_type(set, idx))) {
	case VG_T_CHAR: vg_set_array_char(set, idx, i, (char)v.u); break;
	case VG_T_U8: vg_set_array_u8(set, idx, i, (uint8_t)v.u); break;
	case VG_T_S8: vg_set_array_s8(set, idx, i, (int8_t)v.s); break;
	case VG_T_U16: vg_set_array_u16(set, idx, i, (uint16_t)v.u); break;
	case VG_T_S16: vg_set_array_s16(set, idx, i, (int16_t)v.s); break;
	case VG_T_U32: vg_set_array_u32(set, idx, i, (uint32_t)v.u); break;
	case VG_T_S32: vg_set_array_s32(set, idx, i, (int32_t)v.s); break;
	case VG_T_U64: vg_set_array_u64(set, idx, i, v.u); break;
	case VG_T_S64: vg_set_array_s64(set, idx, i, v.s); break;
	case VG_T_F32: vg_set_array_f32(set, idx, i, (float)v.d); break;
	case VG_T_D64: vg_set_array_d64(set, idx, i, v.d); break;
	default: break;
	}
}

/* A char[] starts as its one initial character, as LDMS copies a single char. */
static void metric_store(struct vg_set *set, int idx, union ts_init v)
{
	if (vg_set_metric_type(set, idx) == VG_T_CHAR_ARRAY) {
		char str[2] = {(char)v.u, '\0'};
		vg_set_str(set, idx, str);
		return;
	}
	uint32_t count = vg_set_metric_count(set, idx);
	for (uint32_t i = 0; i < count; i++)
		element_store(set, idx, i, v);
}

/*
 * LDMS computes (uint64_t)value + 1.  For a negative or huge float that cast
 * is undefined; here such values simply count on (-2.5 gives -1).
 */
static double float_next(double d)
{
	if (d > -9.2e18 && d < 9.2e18)
		return (double)((int64_t)d + 1);
	return d + 1;
}

#define BUMP_INT(ctype)                                                      \
	do {                                                                 \
		ctype *a = v->ptr;                                           \
		ctype next = (ctype)((uint64_t)a[0] + 1);                    \
		for (uint32_t i = 0; i < v->count; i++)                      \
			a[i] = next;                                         \
	} while (0)

#define BUMP_FLOAT(ctype)                                                    \
	do {                                                                 \
		ctype *a = v->ptr;                                           \
		ctype next = (ctype)float_next(a[0]);                        \
		for (uint32_t i = 0; i < v->count; i++)                      \
			a[i] = next;                                         \
	} while (0)

/*
 * LDMS's rule: every element becomes the first element + 1; characters
 * become 'a' + (code + 1) % 26 and a char[] keeps its last byte NUL.
 */
static void value_bump(const struct ts_value *v)
{
	switch (vg_type_elem(v->type)) {
	case VG_T_CHAR: {
		char *c = v->ptr;
		char next = (char)('a' + ((unsigned)(unsigned char)c[0] + 1) % 26);
		if (v->type == VG_T_CHAR) {
			c[0] = next;
		} else {
			memset(c, next, v->count - 1);
			c[v->count - 1] = '\0';
		}
		break;
	}
	case VG_T_U8: BUMP_INT(uint8_t); break;
	case VG_T_S8: BUMP_INT(int8_t); break;
	case VG_T_U16: BUMP_INT(uint16_t); break;
	case VG_T_S16: BUMP_INT(int16_t); break;
	case VG_T_U32: BUMP_INT(uint32_t); break;
	case VG_T_S32: BUMP_INT(int32_t); break;
	case VG_T_U64: BUMP_INT(uint64_t); break;
	case VG_T_S64: BUMP_INT(int64_t); break;
	case VG_T_F32: BUMP_FLOAT(float); break;
	case VG_T_D64: BUMP_FLOAT(double); break;
	default: break;
	}
}

/* ------------------------------------------------------------------ context */

static struct ts_ctx *ctx_of(struct vg_plugin *p, struct vg_err *err)
{
	struct ts_ctx *c = vg_plugin_ctx(p);
	if (c)
		return c;
	c = calloc(1, sizeof(*c));
	if (!c) {
		vg_errf(err, ENOMEM, "out of memory");
		return NULL;
	}
	vg_plugin_ctx_set(p, c);
	return c;
}

static struct ts_schema *schema_find(struct ts_ctx *c, const char *name)
{
	for (size_t i = 0; i < c->nschemas; i++)
		if (!strcmp(vg_schema_name(c->schemas[i].schema), name))
			return &c->schemas[i];
	return NULL;
}

static int grow(void **array, size_t *cap, size_t n, size_t elem)
{
	if (n < *cap)
		return 0;
	size_t ncap = *cap ? *cap * 2 : 4;
	void *a = realloc(*array, ncap * elem);
	if (!a)
		return -ENOMEM;
	*array = a;
	*cap = ncap;
	return 0;
}

/* Take ownership of schema and init; on failure both are freed. */
static int schema_register(struct ts_ctx *c, struct vg_schema *schema, union ts_init *init,
			   struct vg_err *err)
{
	if (grow((void **)&c->schemas, &c->schemas_cap, c->nschemas, sizeof(*c->schemas)) < 0) {
		vg_errf(err, ENOMEM, "out of memory adding schema '%s'", vg_schema_name(schema));
		vg_schema_free(schema);
		free(init);
		return -ENOMEM;
	}
	c->schemas[c->nschemas++] = (struct ts_schema){schema, init};
	return 0;
}

static void set_release(struct vg_plugin *p, struct ts_set *s)
{
	vg_plugin_set_delete(p, s->set);
	free(s->values);
}

/* ------------------------------------------------------------------ attributes */

static int parse_count(const char *attr, const char *value, uint64_t min, uint64_t max,
		       uint64_t *out, struct vg_err *err)
{
	if (vg_parse_u64(value, 10, out) < 0 || *out < min || *out > max)
		return vg_errf(err, EINVAL, "%s=%s is not valid: give a whole number from %llu to %llu",
			       attr, value, (unsigned long long)min, (unsigned long long)max);
	return 0;
}

/* uid=/gid=: a number (C notation, so 0100 is 64) or a user/group name. */
static int parse_owner(const char *attr, const char *value, bool group, uint32_t *out,
		       struct vg_err *err)
{
	uint64_t v;
	if (value[0] >= '0' && value[0] <= '9') {
		if (vg_parse_u64(value, 0, &v) < 0 || v >= UINT32_MAX)
			return vg_errf(err, EINVAL, "%s=%s is not a valid id: give a number or a name",
				       attr, value);
		*out = (uint32_t)v;
		return 0;
	}
	char buf[4096];
	if (group) {
		struct group gr, *res = NULL;
		if (getgrnam_r(value, &gr, buf, sizeof(buf), &res) == 0 && res) {
			*out = (uint32_t)gr.gr_gid;
			return 0;
		}
	} else {
		struct passwd pw, *res = NULL;
		if (getpwnam_r(value, &pw, buf, sizeof(buf), &res) == 0 && res) {
			*out = (uint32_t)pw.pw_uid;
			return 0;
		}
	}
	return vg_errf(err, EINVAL, "%s=%s: no such %s on this host: give an existing name or a number",
		       attr, value, group ? "group" : "user");
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
static int schema_numbered(struct vg_schema *s, uint64_t n, enum vg_type type, const char *unit,
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

static struct vg_schema *schema_new(struct ts_ctx *c, const char *name, struct vg_err *err)
{
	if (!name || !name[0]) {
		vg_errf(err, EINVAL, "the attribute 'schema' is required: name the schema, e.g. "
				     "schema=ts3");
		return NULL;
	}
	if (schema_find(c, name)) {
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

static int act_add_schema(struct vg_plugin *p, struct ts_ctx *c, const struct vg_kvlist *kv,
			  struct vg_err *err)
{
	(void)p;
	const char *metrics = vg_kv_get(kv, "metrics");
	const char *num = vg_kv_get(kv, "num_metrics");
	const char *card = vg_kv_get(kv, "set_array_card");
	uint64_t n, ignored;
	int rc;
	/* set_array_card: vigil keeps one copy of the data; checked, then ignored. */
	if (card && (rc = parse_count("set_array_card", card, 1, 65535, &ignored, err)) < 0)
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
	struct vg_schema *s = schema_new(c, vg_kv_get(kv, "schema"), err);
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
		if ((rc = parse_count("num_metrics", num, 1, VG_CARD_MAX, &n, err)) < 0 ||
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
		rc = schema_numbered(s, n, type, NULL, value, &init, err);
	}
	if (rc < 0)
		goto fail;
	return schema_register(c, s, init, err);
fail:
	vg_schema_free(s);
	return rc;
}

/* ------------------------------------------------------------------ add_set */

struct set_params {
	const char *instance;
	const char *producer;
	uint64_t component_id, job_id;
	uint32_t uid, gid, perm;
};

/* LDMS only writes a non-zero component_id/job_id, and only if the metric exists. */
static void id_store(struct vg_plugin *p, struct vg_set *set, const char *metric, uint64_t v)
{
	if (!v)
		return;
	int idx = vg_set_metric_find(set, metric);
	if (idx < 0) {
		vg_plugin_log(p, VG_LOG_WARNING,
			      "%s=%llu given for set '%s', whose schema '%s' has no '%s' metric: "
			      "ignored",
			      metric, (unsigned long long)v, vg_set_instance(set),
			      vg_set_schema_name(set), metric);
		return;
	}
	metric_store(set, idx, init_from_u64(vg_set_metric_type(set, idx), v));
}

static int set_create(struct vg_plugin *p, struct ts_ctx *c, const struct ts_schema *ts,
		      const struct set_params *sp, struct vg_err *err)
{
	if (grow((void **)&c->sets, &c->sets_cap, c->nsets, sizeof(*c->sets)) < 0)
		return vg_errf(err, ENOMEM, "out of memory adding set '%s'", sp->instance);
	int card = vg_schema_card(ts->schema);
	struct ts_set rec = {0};
	rec.values = calloc((size_t)card, sizeof(*rec.values));
	if (!rec.values)
		return vg_errf(err, ENOMEM, "out of memory adding set '%s'", sp->instance);
	rec.set = vg_plugin_set_new(p, ts->schema, sp->instance, sp->producer, sp->uid, sp->gid,
				    sp->perm, err);
	if (!rec.set) {
		free(rec.values);
		return -(err->code ? err->code : EINVAL);
	}
	for (int i = 0; i < card; i++) {
		metric_store(rec.set, i, ts->init[i]);
		if (vg_set_metric_is_meta(rec.set, i))
			continue;
		rec.values[rec.nvalues++] = (struct ts_value){
			vg_set_value_ptr(rec.set, i), vg_set_metric_type(rec.set, i),
			vg_set_metric_count(rec.set, i)};
	}
	id_store(p, rec.set, "component_id", sp->component_id);
	id_store(p, rec.set, "job_id", sp->job_id);
	c->sets[c->nsets++] = rec;
	return 0;
}

/* LDMS skips leading non-digits ("node042" is 42), then reads C notation. */
static int parse_id(const char *attr, const char *value, bool skip_prefix, uint64_t *out,
		    struct vg_err *err)
{
	const char *digits = value;
	while (skip_prefix && *digits && (*digits < '0' || *digits > '9'))
		digits++;
	if (vg_parse_u64(digits, 0, out) < 0)
		return vg_errf(err, EINVAL, "%s=%s is not a number%s", attr, value,
			       skip_prefix ? " (a prefix such as 'node' may come before the digits)"
					   : "");
	return 0;
}

static int act_add_set(struct vg_plugin *p, struct ts_ctx *c, const struct vg_kvlist *kv,
		       struct vg_err *err)
{
	struct set_params sp = {.uid = (uint32_t)geteuid(), .gid = (uint32_t)getegid(),
				.perm = TS_DEFAULT_PERM};
	const char *schema = vg_kv_get(kv, "schema");
	const char *v;
	uint64_t push;
	int rc;
	sp.instance = vg_kv_get(kv, "instance");
	sp.producer = vg_kv_get(kv, "producer");
	if (!sp.instance || !sp.instance[0])
		return vg_errf(err, EINVAL, "the attribute 'instance' is required: name the set, e.g. "
					    "instance=node1/ts");
	if (!schema || !schema[0])
		return vg_errf(err, EINVAL, "the attribute 'schema' is required: name a schema made "
					    "by action=add_schema");
	if (!sp.producer)
		return vg_errf(err, EINVAL, "the attribute 'producer' is required: give the producer "
					    "name stored in the set, e.g. producer=node1");
	const struct ts_schema *ts = schema_find(c, schema);
	if (!ts)
		return vg_errf(err, ENOENT, "schema '%s' does not exist: add it first with "
					    "action=add_schema schema=%s ...",
			       schema, schema);
	if ((v = vg_kv_get(kv, "component_id")) &&
	    (rc = parse_id("component_id", v, true, &sp.component_id, err)) < 0)
		return rc;
	if ((v = vg_kv_get(kv, "job_id")) && (rc = parse_id("job_id", v, false, &sp.job_id, err)) < 0)
		return rc;
	/* push=N: vigil pushes every transaction to push updaters; checked, then ignored. */
	if ((v = vg_kv_get(kv, "push")) && (rc = parse_count("push", v, 0, INT32_MAX, &push, err)) < 0)
		return rc;
	if ((v = vg_kv_get(kv, "uid")) && (rc = parse_owner("uid", v, false, &sp.uid, err)) < 0)
		return rc;
	if ((v = vg_kv_get(kv, "gid")) && (rc = parse_owner("gid", v, true, &sp.gid, err)) < 0)
		return rc;
	if ((v = vg_kv_get(kv, "perm")) &&
	    (vg_parse_perm(v, &sp.perm) < 0 || sp.perm == 0 || sp.perm > 0777))
		return vg_errf(err, EINVAL, "perm=%s is not valid: give octal permission bits from 1 to "
					    "0777, e.g. perm=0440",
			       v);
	return set_create(p, c, ts, &sp, err);
}

/* ------------------------------------------------------------------ default */

static int act_default(struct vg_plugin *p, struct ts_ctx *c, const struct vg_kvlist *kv,
		       struct vg_err *err)
{
	const char *schema = vg_kv_get(kv, "schema");
	const char *base = vg_kv_get(kv, "base");
	const char *v;
	uint64_t nsets = 1, nmetrics = TS_DEFAULT_NUM_METRICS;
	int rc;
	if ((v = vg_kv_get(kv, "num_sets")) &&
	    (rc = parse_count("num_sets", v, 0, TS_MAX_SETS, &nsets, err)) < 0)
		return rc;
	if ((v = vg_kv_get(kv, "num_metrics")) &&
	    (rc = parse_count("num_metrics", v, 1, VG_CARD_MAX, &nmetrics, err)) < 0)
		return rc;
	if (!base || !base[0])
		base = TS_DEFAULT_BASE;
	char host[VG_PRODUCER_MAX + 1] = "";
	struct set_params sp = {.producer = vg_kv_get(kv, "producer"), .uid = (uint32_t)geteuid(),
				.gid = (uint32_t)getegid(), .perm = TS_DEFAULT_PERM};
	if (!sp.producer) {
		if (gethostname(host, sizeof(host)) < 0)
			snprintf(host, sizeof(host), "localhost");
		host[VG_PRODUCER_MAX] = '\0';
		sp.producer = host;
	}

	struct vg_schema *s = schema_new(c, schema ? schema : TS_DEFAULT_SCHEMA, err);
	if (!s)
		return -err->code;
	union ts_init *init = NULL;
	union ts_init one = {.u = 1};
	if ((rc = schema_numbered(s, nmetrics, VG_T_U64, "unit", one, &init, err)) < 0) {
		vg_schema_free(s);
		return rc;
	}
	if ((rc = schema_register(c, s, init, err)) < 0)
		return rc;
	size_t first_set = c->nsets;
	for (uint64_t i = 0; i < nsets; i++) {
		char instance[VG_NAME_MAX + 32];
		snprintf(instance, sizeof(instance), "%s_%llu", base, (unsigned long long)i);
		sp.instance = instance;
		rc = set_create(p, c, &c->schemas[c->nschemas - 1], &sp, err);
		if (rc < 0)
			goto undo;
	}
	return 0;
undo:
	/* All or nothing: a failed line leaves no schema and no sets behind. */
	while (c->nsets > first_set)
		set_release(p, &c->sets[--c->nsets]);
	c->nschemas--;
	vg_schema_free(c->schemas[c->nschemas].schema);
	free(c->schemas[c->nschemas].init);
	return rc;
}

/* ------------------------------------------------------------------ plugin */

static const char *const schema_attrs[] = {"schema", "num_metrics", "type", "init_value",
					   "metrics", "delim", "set_array_card", NULL};
static const char *const set_attrs[] = {"instance", "schema", "producer", "component_id", "job_id",
					"push", "uid", "gid", "perm", NULL};
static const char *const default_attrs[] = {"base", "schema", "num_sets", "num_metrics",
					    "producer", NULL};

static const struct ts_action {
	const char *name;
	int (*fn)(struct vg_plugin *p, struct ts_ctx *c, const struct vg_kvlist *kv,
		  struct vg_err *err);
	const char *const *attrs;
} actions[] = {
	{"add_schema", act_add_schema, schema_attrs},
	{"add_set", act_add_set, set_attrs},
	{"default", act_default, default_attrs},
};

static const char *const attrs[] = {"action", "schema", "num_metrics", "type", "init_value",
				    "metrics", "delim", "set_array_card", "instance", "producer",
				    "component_id", "job_id", "push", "uid", "gid", "perm", "base",
				    "num_sets", NULL};

/* An attribute another action takes is most likely a mistake on this line. */
static int attrs_check(const struct ts_action *a, const struct vg_kvlist *kv, struct vg_err *err)
{
	for (size_t i = 0; i < kv->count; i++) {
		const char *key = kv->items[i].key;
		bool ok = !strcmp(key, "action");
		for (size_t k = 0; !ok && a->attrs[k]; k++)
			ok = !strcmp(key, a->attrs[k]);
		if (ok)
			continue;
		char list[256] = "";
		size_t n = 0;
		for (size_t k = 0; a->attrs[k] && n < sizeof(list); k++)
			n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", k ? ", " : "",
					      a->attrs[k]);
		return vg_errf(err, EINVAL, "%s= does not apply to action=%s (it takes %s)", key,
			       a->name, list);
	}
	return 0;
}

static int ts_config(struct vg_plugin *p, const struct vg_kvlist *kv, struct vg_err *err)
{
	const char *action = vg_kv_get(kv, "action");
	if (!action)
		return vg_errf(err, EINVAL, "the attribute 'action' is required: each config line is "
					    "one of action=add_schema, add_set or default");
	const struct ts_action *a = NULL;
	for (size_t i = 0; i < VG_ARRAY_LEN(actions); i++)
		if (!strcmp(action, actions[i].name))
			a = &actions[i];
	if (!a) {
		if (!strcmp(action, "add_lists") || !strcmp(action, "add_stream"))
			return vg_errf(err, EINVAL, "action=%s is not supported: vigil's test_sampler "
						    "makes no lists and publishes no streams",
				       action);
		return vg_errf(err, EINVAL, "action=%s is unknown: use add_schema, add_set or default",
			       action);
	}
	int rc = attrs_check(a, kv, err);
	if (rc < 0)
		return rc;
	struct ts_ctx *c = ctx_of(p, err);
	if (!c)
		return -ENOMEM;
	return a->fn(p, c, kv, err);
}

/* Each set in its own transaction, so a reader never waits on all of them. */
static int ts_sample(struct vg_plugin *p)
{
	struct ts_ctx *c = vg_plugin_ctx(p);
	for (size_t i = 0; c && i < c->nsets; i++) {
		const struct ts_set *s = &c->sets[i];
		vg_set_begin(s->set);
		for (int k = 0; k < s->nvalues; k++)
			value_bump(&s->values[k]);
		vg_set_end(s->set);
	}
	return 0;
}

static void ts_term(struct vg_plugin *p)
{
	struct ts_ctx *c = vg_plugin_ctx(p);
	if (!c)
		return;
	while (c->nsets > 0)
		set_release(p, &c->sets[--c->nsets]);
	for (size_t i = 0; i < c->nschemas; i++) {
		vg_schema_free(c->schemas[i].schema);
		free(c->schemas[i].init);
	}
	free(c->sets);
	free(c->schemas);
	free(c);
	vg_plugin_ctx_set(p, NULL);
}

static const char *ts_usage(void)
{
	return "config name=<instance> action=add_schema schema=<name> num_metrics=<N> "
	       "[type=u64] [init_value=0]\n"
	       "config name=<instance> action=add_schema schema=<name> "
	       "metrics=<name>:<meta|data>:<type>:<init>[:<length>[:<unit>]],... [delim=:]\n"
	       "config name=<instance> action=add_set instance=<set> schema=<name> producer=<name>\n"
	       "       [component_id=<n>] [job_id=<n>] [uid=<user>] [gid=<group>] [perm=0440] "
	       "[push=<n>]\n"
	       "config name=<instance> action=default [base=my_set] [schema=my_schema] "
	       "[num_sets=1] [num_metrics=10] [producer=<host name>]\n"
	       "    Each sample sets every data value (every array element) to the first\n"
	       "    element + 1; a char[] becomes 'a' + (code + 1) % 26 repeated.\n"
	       "    Types: char u8 s8 u16 s16 u32 s32 u64 s64 f32 d64 and arrays as\n"
	       "    U64_ARRAY (LDMS) or u64[] (vigil).\n";
}

const struct vg_plugin_ops vigil_plugin = {
	.api_version = VG_PLUGIN_API_VERSION,
	.size = sizeof(struct vg_plugin_ops),
	.name = "test_sampler",
	.type = VG_PLUGIN_SAMPLER,
	.summary = "synthetic sets whose values count up, for tests",
	.usage = ts_usage,
	.config = ts_config,
	.sample = ts_sample,
	.term = ts_term,
	.attrs = attrs,
};
