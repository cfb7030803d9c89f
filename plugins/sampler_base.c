/*
 * sampler_base.c - the common attributes and metrics of every sampler, with
 * LDMS 4.4's semantics (see sampler_base.h).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugins/sampler_base.h"

/* The job set's metrics we copy from, in this order. */
enum { JOB_ID, JOB_APP_ID, JOB_START, JOB_END, JOB_NMETRICS };
static const char *const job_metric_names[JOB_NMETRICS] = {"job_id", "app_id", "job_start",
							    "job_end"};

struct vg_sampler_base {
	struct vg_plugin *p;
	char *producer;
	char *instance;
	char *schema;
	char *job_set_name;
	uint64_t component_id;
	uint32_t uid, gid, perm;

	struct vg_set *set;
	uint64_t *job_id;  /* our set's job_id value */
	uint64_t *app_id;

	/* The job set is re-found only when the directory changed. */
	uint64_t job_gen;
	bool job_gen_valid;
	struct vg_set *job_set; /* NULL: none, or unusable */
	int job_idx[JOB_NMETRICS];
};

static int dup_attr(char **dst, const char *value, const char *attr, size_t max,
		    struct vg_err *err)
{
	if (strlen(value) > max)
		return vg_errf(err, EINVAL, "%s= is %zu characters long; at most %zu are allowed",
			       attr, strlen(value), max);
	*dst = strdup(value);
	if (!*dst)
		return vg_errf(err, ENOMEM, "out of memory copying %s=", attr);
	return 0;
}

/* uid= and gid=: a number (C's base prefixes, as LDMS: "0100" is 64) or a name. */
static int parse_owner(const char *value, bool group, uint32_t *out, struct vg_err *err)
{
	const char *attr = group ? "gid" : "uid";
	if (isdigit((unsigned char)value[0])) {
		uint64_t v;
		if (vg_parse_u64(value, 0, &v) || v > UINT32_MAX - 1)
			return vg_errf(err, EINVAL,
				       "%s=%s is not a valid %s: give a number (0100 is octal) or "
				       "a %s name",
				       attr, value, group ? "group id" : "user id",
				       group ? "group" : "user");
		*out = (uint32_t)v;
		return 0;
	}
	int rc = vg_name_to_id(value, group, out);
	if (rc == 0)
		return 0;
	if (rc != -ENOENT)
		return vg_errf(err, EINVAL, "%s=%s: cannot look up the %s name: %s", attr, value,
			       group ? "group" : "user", strerror(-rc));
	return vg_errf(err, EINVAL, "%s=%s: no such %s on this host: give an existing name or a "
				    "number",
		       attr, value, group ? "group" : "user");
}

static int parse_perm(const char *value, uint32_t *out, struct vg_err *err)
{
	uint32_t perm = 0;
	if (vg_parse_perm(value, &perm) < 0 || perm == 0 || perm > 0777)
		return vg_errf(err, EINVAL,
			       "perm=%s is not valid: give octal permission bits between 1 and "
			       "0777, e.g. perm=0440",
			       value);
	*out = perm;
	return 0;
}

/* LDMS skips leading non-digits, then reads decimal digits: "node042" is 42. */
static uint64_t parse_component_id(const char *value)
{
	while (*value && !isdigit((unsigned char)*value))
		value++;
	uint64_t v = 0;
	for (; isdigit((unsigned char)*value); value++) {
		uint64_t d = (uint64_t)(*value - '0');
		if (v > (UINT64_MAX - d) / 10)
			return UINT64_MAX;
		v = v * 10 + d;
	}
	return v;
}

int vg_base_config(struct vg_plugin *p, const struct vg_kvlist *kv, const char *default_schema,
		   struct vg_sampler_base **out, struct vg_err *err)
{
	const char *inst = vg_plugin_name(p);
	if (vg_kv_get(kv, "set"))
		return vg_errf(err, EINVAL,
			       "config argument set= is no longer supported; use instance=");
	const char *producer = vg_kv_get(kv, "producer");
	const char *instance = vg_kv_get(kv, "instance");
	if (!producer || !*producer)
		return vg_errf(err, EINVAL,
			       "the attribute 'producer' is required: give the producer name "
			       "stored in the set, e.g. producer=node1");
	if (!instance || !*instance)
		return vg_errf(err, EINVAL,
			       "the attribute 'instance' is required: give the set's instance "
			       "name, e.g. instance=%s/%s",
			       producer, default_schema);

	struct vg_sampler_base *b = calloc(1, sizeof(*b));
	if (!b)
		return vg_errf(err, ENOMEM, "out of memory configuring %s", inst);
	b->p = p;
	b->uid = (uint32_t)geteuid();
	b->gid = (uint32_t)getegid();
	b->perm = VG_BASE_DEFAULT_PERM;

	int rc;
	const char *v;
	const char *schema = vg_kv_get(kv, "schema");
	const char *job_set = vg_kv_get(kv, "job_set");
	if ((rc = dup_attr(&b->producer, producer, "producer", VG_PRODUCER_MAX, err)) < 0 ||
	    (rc = dup_attr(&b->instance, instance, "instance", VG_NAME_MAX, err)) < 0 ||
	    (rc = dup_attr(&b->schema, schema && *schema ? schema : default_schema, "schema",
			   VG_NAME_MAX, err)) < 0 ||
	    (rc = dup_attr(&b->job_set_name,
			   job_set && *job_set ? job_set : VG_BASE_DEFAULT_JOB_SET, "job_set",
			   VG_NAME_MAX, err)) < 0)
		goto fail;
	if ((v = vg_kv_get(kv, "component_id")))
		b->component_id = parse_component_id(v);
	if ((v = vg_kv_get(kv, "uid")) && (rc = parse_owner(v, false, &b->uid, err)) < 0)
		goto fail;
	if ((v = vg_kv_get(kv, "gid")) && (rc = parse_owner(v, true, &b->gid, err)) < 0)
		goto fail;
	if ((v = vg_kv_get(kv, "perm")) && (rc = parse_perm(v, &b->perm, err)) < 0)
		goto fail;
	/* set_array_card= is accepted and ignored: one set per instance. */
	*out = b;
	return 0;
fail:
	vg_base_free(b);
	return rc;
}

struct vg_schema *vg_base_schema_new(struct vg_sampler_base *b, struct vg_err *err)
{
	struct vg_schema *s = vg_schema_new(b->schema);
	if (!s) {
		vg_errf(err, EINVAL,
			"cannot create schema '%s': the name is invalid or memory is short",
			b->schema);
		return NULL;
	}
	int rc;
	if ((rc = vg_schema_add(s, "component_id", VG_T_U64, 1, "", VG_METRIC_META)) < 0 ||
	    (rc = vg_schema_add(s, "job_id", VG_T_U64, 1, "", VG_METRIC_DATA)) < 0 ||
	    (rc = vg_schema_add(s, "app_id", VG_T_U64, 1, "", VG_METRIC_DATA)) < 0) {
		vg_errf(err, -rc, "cannot build schema '%s': %s", b->schema, strerror(-rc));
		vg_schema_free(s);
		return NULL;
	}
	return s;
}

struct vg_set *vg_base_set_new(struct vg_sampler_base *b, const struct vg_schema *schema,
			       struct vg_err *err)
{
	struct vg_set *set = vg_plugin_set_new(b->p, schema, b->instance, b->producer, b->uid,
					       b->gid, b->perm, err);
	if (!set)
		return NULL;
	vg_set_u64(set, VG_BASE_COMPONENT_ID, b->component_id);
	b->job_id = vg_set_value_ptr(set, VG_BASE_JOB_ID);
	b->app_id = vg_set_value_ptr(set, VG_BASE_APP_ID);
	b->set = set;
	b->job_gen_valid = false;
	return set;
}

struct vg_set *vg_base_set(const struct vg_sampler_base *b)
{
	return b->set;
}

const char *vg_base_instance(const struct vg_sampler_base *b)
{
	return b->instance;
}

const char *vg_base_producer(const struct vg_sampler_base *b)
{
	return b->producer;
}

static bool job_metric_usable(const struct vg_set *js, int idx)
{
	if (idx < 0)
		return false;
	enum vg_type t = vg_set_metric_type(js, idx);
	return vg_type_valid(t) && !vg_type_is_array(t) && t != VG_T_CHAR;
}

/* Find the job set and its metric indices; without all four it is ignored. */
static void job_set_lookup(struct vg_sampler_base *b)
{
	b->job_set = NULL;
	struct vg_set *js = vg_plugin_set_find(b->p, b->job_set_name);
	if (!js || js == b->set)
		return;
	for (int i = 0; i < JOB_NMETRICS; i++) {
		b->job_idx[i] = vg_set_metric_find(js, job_metric_names[i]);
		if (!job_metric_usable(js, b->job_idx[i])) {
			vg_plugin_log(b->p, VG_LOG_WARNING,
				      "job set '%s' has no numeric '%s' metric: job_id and app_id "
				      "of '%s' stay 0",
				      b->job_set_name, job_metric_names[i], b->instance);
			return;
		}
	}
	b->job_set = js;
}

void vg_base_sample_begin(struct vg_sampler_base *b)
{
	vg_set_begin(b->set);
	uint64_t gen = vg_plugin_set_generation(b->p);
	if (!b->job_gen_valid || gen != b->job_gen) {
		job_set_lookup(b);
		b->job_gen = gen;
		b->job_gen_valid = true;
	}
	uint64_t job_id = 0, app_id = 0;
	if (b->job_set) {
		const struct vg_set *js = b->job_set;
		uint64_t now_sec = vg_now_us() / 1000000u;
		uint64_t start = vg_get_as_u64(js, b->job_idx[JOB_START], 0);
		uint64_t end = vg_get_as_u64(js, b->job_idx[JOB_END], 0);
		if (start <= now_sec && (end == 0 || now_sec <= end)) {
			job_id = vg_get_as_u64(js, b->job_idx[JOB_ID], 0);
			app_id = vg_get_as_u64(js, b->job_idx[JOB_APP_ID], 0);
		}
	}
	*b->job_id = job_id;
	*b->app_id = app_id;
}

void vg_base_sample_end(struct vg_sampler_base *b)
{
	vg_set_end(b->set);
}

void vg_base_free(struct vg_sampler_base *b)
{
	if (!b)
		return;
	if (b->set)
		vg_plugin_set_delete(b->p, b->set);
	free(b->producer);
	free(b->instance);
	free(b->schema);
	free(b->job_set_name);
	free(b);
}
