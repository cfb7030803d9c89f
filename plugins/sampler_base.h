/*
 * sampler_base.h - what every sampler shares, as LDMS's sampler_base does:
 * the common config attributes, the component_id/job_id/app_id metrics that
 * open every set, and the transaction bracket around a sample.
 *
 * Common attributes (LDMS 4.4 semantics):
 *   producer=     required; the producer name stored in the set
 *   instance=     required; the set's instance name
 *   component_id= optional; leading non-digits skipped ("node042" -> 42)
 *   schema=       optional; default the plugin's schema name
 *   job_set=      optional; instance name of the job set (default "job_info")
 *   uid=, gid=    optional; numeric (strtol base 0, so 0100 is octal) or a name
 *   perm=         optional; octal, 1..0777, default 0440
 *   set_array_card= accepted for compatibility, ignored
 * The deprecated `set=` is an error.  Other attributes are left to the plugin
 * (LDMS ignores unknown ones; so do we).
 *
 * job_id/app_id come from the job set when it exists and has job_id, app_id,
 * job_start and job_end metrics and the sample time is within the job;
 * otherwise they are 0.
 */
#ifndef VIGIL_SAMPLER_BASE_H
#define VIGIL_SAMPLER_BASE_H

#include <stdint.h>

#include "plugins/plugin.h"

/*
 * The common attributes, for a sampler's vg_plugin_ops.attrs:
 *   static const char *const attrs[] = {VG_BASE_ATTRS, "maxcpu", NULL};
 * "set" is listed so that the base can say it is obsolete, rather than the
 * daemon calling it unknown.
 */
#define VG_BASE_ATTRS                                                                   \
	"producer", "instance", "component_id", "schema", "job_set", "uid", "gid", "perm", \
		"set_array_card", "set"

#define VG_BASE_DEFAULT_PERM 0440
#define VG_BASE_DEFAULT_JOB_SET "job_info"

/* Indices of the common metrics in every base schema. */
#define VG_BASE_COMPONENT_ID 0
#define VG_BASE_JOB_ID 1
#define VG_BASE_APP_ID 2

struct vg_sampler_base;

/*
 * Parse the common attributes.  Errors: -EINVAL with a message naming the
 * attribute (missing producer/instance, bad uid/perm, deprecated set=).
 */
int vg_base_config(struct vg_plugin *p, const struct vg_kvlist *kv, const char *default_schema,
		   struct vg_sampler_base **out, struct vg_err *err);

/* A new schema named as configured, holding component_id (meta), job_id, app_id. */
struct vg_schema *vg_base_schema_new(struct vg_sampler_base *b, struct vg_err *err);

/* Create and publish the set from schema; component_id is filled in. */
struct vg_set *vg_base_set_new(struct vg_sampler_base *b, const struct vg_schema *schema,
			       struct vg_err *err);

struct vg_set *vg_base_set(const struct vg_sampler_base *b);
const char *vg_base_instance(const struct vg_sampler_base *b);
const char *vg_base_producer(const struct vg_sampler_base *b);

/* vg_set_begin() plus job_id/app_id. */
void vg_base_sample_begin(struct vg_sampler_base *b);
/* vg_set_end(). */
void vg_base_sample_end(struct vg_sampler_base *b);

/* Delete the set (if any) and free b. */
void vg_base_free(struct vg_sampler_base *b);

#endif /* VIGIL_SAMPLER_BASE_H */
