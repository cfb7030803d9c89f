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
 *
 * This file holds the plugin: its context, the add_set and default actions,
 * sample and term; test_sampler_spec.c parses add_schema (metrics= specs,
 * types, initial values).  test_sampler.h joins the two.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugins/plugin.h"
#include "samplers/test_sampler.h"

#define TS_DEFAULT_SCHEMA "my_schema"
#define TS_DEFAULT_BASE "my_set"
#define TS_DEFAULT_NUM_METRICS 10
#define TS_MAX_SETS 65535
#define TS_DEFAULT_PERM 0440

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

struct ts_schema *ts_schema_find(struct ts_ctx *c, const char *name)
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
int ts_schema_register(struct ts_ctx *c, struct vg_schema *schema, union ts_init *init,
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
	if (vg_name_to_id(value, group, out) == 0)
		return 0;
	return vg_errf(err, EINVAL, "%s=%s: no such %s on this host: give an existing name or a number",
		       attr, value, group ? "group" : "user");
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
	metric_store(set, idx, ts_init_from_u64(vg_set_metric_type(set, idx), v));
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
	const struct ts_schema *ts = ts_schema_find(c, schema);
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
	if ((v = vg_kv_get(kv, "push")) &&
	    (rc = ts_parse_count("push", v, 0, INT32_MAX, &push, err)) < 0)
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
	    (rc = ts_parse_count("num_sets", v, 0, TS_MAX_SETS, &nsets, err)) < 0)
		return rc;
	if ((v = vg_kv_get(kv, "num_metrics")) &&
	    (rc = ts_parse_count("num_metrics", v, 1, VG_CARD_MAX, &nmetrics, err)) < 0)
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

	struct vg_schema *s = ts_schema_new(c, schema ? schema : TS_DEFAULT_SCHEMA, err);
	if (!s)
		return -err->code;
	union ts_init *init = NULL;
	union ts_init one = {.u = 1};
	if ((rc = ts_schema_numbered(s, nmetrics, VG_T_U64, "unit", one, &init, err)) < 0) {
		vg_schema_free(s);
		return rc;
	}
	if ((rc = ts_schema_register(c, s, init, err)) < 0)
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
	{"add_schema", ts_act_add_schema, schema_attrs},
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
