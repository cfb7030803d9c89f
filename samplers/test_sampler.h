/*
 * test_sampler.h - the private parts of the test_sampler plugin, shared by
 * its two files:
 *
 *   test_sampler.c       the plugin: context, add_set and default, sample, term
 *   test_sampler_spec.c  add_schema: metrics= specs, types, initial values
 *
 * Not installed; nothing outside the plugin includes it.
 */
#ifndef VIGIL_SAMPLERS_TEST_SAMPLER_H
#define VIGIL_SAMPLERS_TEST_SAMPLER_H

#include <stdint.h>

#include "plugins/plugin.h"

/* A metric's initial value, in the member its element type uses. */
union ts_init {
	uint64_t u; /* unsigned integers and char (the character's code) */
	int64_t s;
	double d;
};

struct ts_ctx;    /* the plugin instance's schemas and sets (test_sampler.c) */
struct ts_schema; /* a schema with the initial value of each metric */

/* ------------------------------------------------------------------ test_sampler.c */

/* The schema of that name made by an earlier line, or NULL. */
struct ts_schema *ts_schema_find(struct ts_ctx *c, const char *name);

/* Take ownership of schema and init; on failure both are freed. */
int ts_schema_register(struct ts_ctx *c, struct vg_schema *schema, union ts_init *init,
		       struct vg_err *err);

/* ------------------------------------------------------------------ test_sampler_spec.c */

/* v (component_id=, job_id=) in the member of type's element. */
union ts_init ts_init_from_u64(enum vg_type type, uint64_t v);

/* attr=value as a decimal number from min to max; -EINVAL naming both otherwise. */
int ts_parse_count(const char *attr, const char *value, uint64_t min, uint64_t max,
		   uint64_t *out, struct vg_err *err);

/* metric_0 .. metric_{n-1}, data, all of one type, unit and initial value. */
int ts_schema_numbered(struct vg_schema *s, uint64_t n, enum vg_type type, const char *unit,
		       union ts_init value, union ts_init **init_out, struct vg_err *err);

/* A new, empty schema; NULL with -EINVAL or -EEXIST in err if name is missing or taken. */
struct vg_schema *ts_schema_new(struct ts_ctx *c, const char *name, struct vg_err *err);

/* action=add_schema: num_metrics= or metrics= (with delim=); all or nothing. */
int ts_act_add_schema(struct vg_plugin *p, struct ts_ctx *c, const struct vg_kvlist *kv,
		      struct vg_err *err);

#endif
