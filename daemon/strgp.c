/*
 * strgp.c - storage policies: deliver producers' updates to store plugins;
 * the strgp_* commands.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "daemon/daemon.h"
#include "daemon/handlers.h"
#include "daemon/json.h"
#include "daemon/prdcr.h"
#include "daemon/strgp.h"
#include "plugins/host.h"

static bool wants(const struct ldmsd_strgp *s, const struct prdcr_set *ps)
{
	return s->running && strcmp(vg_set_schema_name(ps->mirror), s->schema) == 0 &&
	       (s->prdcrs.n == 0 || match_any(&s->prdcrs, 0, ps->prdcr->name));
}

static void columns_free(struct ldmsd_strgp *s)
{
	for (size_t i = 0; i < s->ncolumns; i++)
		free(s->columns[i]);
	free(s->columns);
	s->columns = NULL;
	s->ncolumns = 0;
}

static void handle_close(struct ldmsd_strgp *s)
{
	if (s->handle)
		s->plugin->ops->close(s->handle);
	s->handle = NULL;
	columns_free(s);
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* The columns of set: the chosen metrics in set order, or all of them. */
static int choose_columns(struct ldmsd_strgp *s, const struct vg_set *set, int *idx, size_t *n,
			  struct vg_err *err)
{
	*n = 0;
	if (!s->nmetrics) {
		for (int i = 0; i < vg_set_card(set); i++)
			idx[(*n)++] = i;
		return 0;
	}
	for (size_t i = 0; i < s->nmetrics; i++) {
		int k = vg_set_metric_find(set, s->metrics[i]);
		if (k < 0)
			return vg_errf(err, ENOENT,
				       "metric '%s' (strgp_metric_add) is not in set %s of schema %s",
				       s->metrics[i], vg_set_instance(set), s->schema);
		idx[(*n)++] = k;
	}
	qsort(idx, *n, sizeof(*idx), cmp_int);
	return 0;
}

static int handle_open(struct ldmsd_strgp *s, const struct prdcr_set *ps)
{
	const struct vg_set *set = ps->mirror;
	struct vg_err err;
	vg_err_clear(&err);
	int card = vg_set_card(set);
	int *idx = malloc((size_t)(card > 0 ? card : 1) * sizeof(*idx));
	size_t n = 0;
	if (!idx) {
		vg_errf(&err, ENOMEM, "out of memory");
	} else if (choose_columns(s, set, idx, &n, &err) == 0) {
		struct vg_store_layout layout = {s->name, s->container, s->schema, set, idx, n};
		s->handle = s->plugin->ops->open(s->plugin, &layout, &err);
		if (s->handle && !err.msg[0])
			vg_err_clear(&err);
	}
	if (!s->handle) {
		free(idx);
		s->store_errors++;
		vg_complain(&s->complaint, VG_LOG_ERROR, s->name,
			    "storage policy %s: store %s cannot open container %s schema %s: %s "
			    "(retrying at every update)",
			    s->name, s->plugin->name, s->container, s->schema,
			    err.msg[0] ? err.msg : "unknown error");
		return -1;
	}
	s->layout_seq = ps->layout_seq;
	s->columns_hash = ps->columns_hash;
	s->columns = calloc(n ? n : 1, sizeof(*s->columns));
	for (size_t i = 0; s->columns && i < n; i++) {
		s->columns[i] = strdup(vg_set_metric_name(set, idx[i]));
		s->ncolumns = i + 1;
	}
	free(idx);
	return 0;
}

void strgp_deliver(struct ldmsd *d, struct prdcr_set *ps)
{
	for (size_t i = 0; i < d->nstrgps; i++) {
		struct ldmsd_strgp *s = d->strgps[i];
		if (!wants(s, ps))
			continue;
		if (s->handle && ps->columns_hash != s->columns_hash) {
			if (ps->layout_seq > s->layout_seq) {
				vg_log(VG_LOG_INFO, s->name,
				       "storage policy %s: set %s changed its metrics; reopening the "
				       "store with the new columns",
				       s->name, ps->instance);
				handle_close(s);
			} else {
				s->skipped_layout++;
				vg_complain(&s->complaint, VG_LOG_WARNING, s->name,
					    "storage policy %s: set %s has other metrics than the "
					    "store's columns (schema %s changed elsewhere); not stored",
					    s->name, ps->instance, s->schema);
				continue;
			}
		}
		if (!s->handle && handle_open(s, ps))
			continue;
		struct vg_err err;
		vg_err_clear(&err);
		int rc = s->plugin->ops->store(s->handle, ps->mirror, &err);
		if (rc) {
			s->store_errors++;
			vg_complain(&s->complaint, VG_LOG_ERROR, s->name,
				    "storage policy %s: storing set %s failed: %s (retrying)", s->name,
				    ps->instance, err.msg[0] ? err.msg : strerror(-rc));
			continue;
		}
		s->stored++;
		if (s->complaint.active)
			vg_complaint_clear(&s->complaint, VG_LOG_INFO, s->name,
					   "storage policy %s stores again", s->name);
	}
}

static void on_flush(struct vg_timer *t, void *arg)
{
	struct ldmsd_strgp *s = arg;
	(void)t;
	struct vg_err err;
	vg_err_clear(&err);
	if (s->handle && s->plugin->ops->flush && s->plugin->ops->flush(s->handle, &err))
		vg_complain(&s->complaint, VG_LOG_ERROR, s->name, "storage policy %s: flush failed: %s",
			    s->name, err.msg);
}

static void strgp_stop(struct ldmsd_strgp *s)
{
	vg_timer_stop(&s->flush_timer);
	handle_close(s);
	s->running = false;
	s->plugin = NULL;
}

static void strgp_free(struct ldmsd_strgp *s)
{
	if (s->running)
		strgp_stop(s);
	match_free(&s->prdcrs);
	for (size_t i = 0; i < s->nmetrics; i++)
		free(s->metrics[i]);
	free(s->metrics);
	free(s->name);
	free(s->plugin_name);
	free(s->container);
	free(s->schema);
	free(s);
}

void strgp_free_all(struct ldmsd *d)
{
	for (size_t i = 0; i < d->nstrgps; i++)
		strgp_free(d->strgps[i]);
	free(d->strgps);
	d->strgps = NULL;
	d->nstrgps = 0;
}

bool strgp_uses_plugin(struct ldmsd *d, const struct vg_plugin *p, const char **strgp_name)
{
	for (size_t i = 0; i < d->nstrgps; i++) {
		if (d->strgps[i]->running && d->strgps[i]->plugin == p) {
			*strgp_name = d->strgps[i]->name;
			return true;
		}
	}
	return false;
}

/* ------------------------------------------------------------------ commands */

static struct ldmsd_strgp *find(struct ldmsd *d, const char *name)
{
	for (size_t i = 0; i < d->nstrgps; i++)
		if (strcmp(d->strgps[i]->name, name) == 0)
			return d->strgps[i];
	return NULL;
}

static struct ldmsd_strgp *must_find(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args,
				     bool stopped)
{
	const char *name = vg_arg_str(args, "name");
	struct ldmsd_strgp *s = find(ctx->d, name);
	if (!s)
		vg_errf(ctx->err, ENOENT, "storage policy '%s' does not exist (strgp_add it first)",
			name);
	else if (stopped && s->running) {
		vg_errf(ctx->err, EBUSY,
			"storage policy '%s' is running: stop it first (strgp_stop name=%s)", name,
			name);
		return NULL;
	}
	return s;
}

static struct vg_plugin *store_plugin(struct vg_cmd_ctx *ctx, const char *name)
{
	struct vg_plugin *p = ldmsd_plugin_find(ctx->d, name);
	if (!p) {
		vg_errf(ctx->err, ENOENT, "the plugin %s is not loaded: load name=%s first", name,
			name);
		return NULL;
	}
	if (p->ops->type != VG_PLUGIN_STORE) {
		vg_errf(ctx->err, EINVAL, "plugin %s is not a store (it is a sampler)", name);
		return NULL;
	}
	return p;
}

int h_strgp_add(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	struct ldmsd *d = ctx->d;
	const char *name = vg_arg_str(args, "name");
	if (find(d, name))
		return vg_errf(ctx->err, EEXIST, "storage policy '%s' already exists", name);
	if (!store_plugin(ctx, vg_arg_str(args, "plugin")))
		return -ctx->err->code;
	if (vg_arg_has(args, "regex") || vg_arg_has(args, "decomposition"))
		return vg_errf(ctx->err, ENOTSUP,
			       "regex= and decomposition= are not supported yet: give schema= "
			       "(one storage policy per schema)");
	if (!vg_arg_has(args, "schema"))
		return vg_errf(ctx->err, EINVAL, "the attribute 'schema' is required");
	struct ldmsd_strgp *s = calloc(1, sizeof(*s));
	if (!s)
		return vg_errf(ctx->err, ENOMEM, "out of memory");
	s->d = d;
	s->name = strdup(name);
	s->plugin_name = strdup(vg_arg_str(args, "plugin"));
	s->container = strdup(vg_arg_str(args, "container"));
	s->schema = strdup(vg_arg_str(args, "schema"));
	s->flush_us = vg_arg_has(args, "flush") ? (uint64_t)vg_arg_i64(args, "flush") : 0;
	vg_timer_init(&s->flush_timer, on_flush, s);
	if (!s->name || !s->plugin_name || !s->container || !s->schema ||
	    ldmsd_array_add((void ***)&d->strgps, &d->nstrgps, s)) {
		strgp_free(s);
		return vg_errf(ctx->err, ENOMEM, "out of memory");
	}
	return 0;
}

int h_strgp_prdcr_add(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	struct ldmsd_strgp *s = must_find(ctx, args, true);
	return s ? match_add(&s->prdcrs, vg_arg_str(args, "regex"), 0, ctx->err) : -ctx->err->code;
}

int h_strgp_prdcr_del(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	struct ldmsd_strgp *s = must_find(ctx, args, true);
	return s ? match_del(&s->prdcrs, vg_arg_str(args, "regex"), 0, ctx->err) : -ctx->err->code;
}

int h_strgp_metric_add(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	struct ldmsd_strgp *s = must_find(ctx, args, true);
	if (!s)
		return -ctx->err->code;
	const char *m = vg_arg_str(args, "metric");
	for (size_t i = 0; i < s->nmetrics; i++)
		if (strcmp(s->metrics[i], m) == 0)
			return vg_errf(ctx->err, EEXIST, "metric '%s' is already in the list", m);
	char **nm = realloc(s->metrics, (s->nmetrics + 1) * sizeof(*nm));
	if (!nm)
		return vg_errf(ctx->err, ENOMEM, "out of memory");
	s->metrics = nm;
	if (!(s->metrics[s->nmetrics] = strdup(m)))
		return vg_errf(ctx->err, ENOMEM, "out of memory");
	s->nmetrics++;
	return 0;
}

int h_strgp_metric_del(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	struct ldmsd_strgp *s = must_find(ctx, args, true);
	if (!s)
		return -ctx->err->code;
	const char *m = vg_arg_str(args, "metric");
	for (size_t i = 0; i < s->nmetrics; i++) {
		if (strcmp(s->metrics[i], m) == 0) {
			free(s->metrics[i]);
			memmove(&s->metrics[i], &s->metrics[i + 1],
				(s->nmetrics - i - 1) * sizeof(*s->metrics));
			s->nmetrics--;
			return 0;
		}
	}
	return vg_errf(ctx->err, ENOENT, "metric '%s' is not in the list", m);
}

int h_strgp_start(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	struct ldmsd_strgp *s = must_find(ctx, args, true);
	if (!s)
		return -ctx->err->code;
	s->plugin = store_plugin(ctx, s->plugin_name);
	if (!s->plugin)
		return -ctx->err->code;
	if (s->flush_us)
		vg_timer_start_periodic(ctx->d->loop, &s->flush_timer, s->flush_us);
	s->running = true;
	return 0;
}

int h_strgp_stop(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	struct ldmsd_strgp *s = must_find(ctx, args, false);
	if (!s)
		return -ENOENT;
	if (!s->running)
		return vg_errf(ctx->err, EBUSY, "storage policy '%s' is already stopped", s->name);
	strgp_stop(s);
	return 0;
}

int h_strgp_del(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	struct ldmsd_strgp *s = must_find(ctx, args, true);
	if (!s)
		return -ctx->err->code;
	ldmsd_array_del((void **)ctx->d->strgps, &ctx->d->nstrgps, s);
	strgp_free(s);
	return 0;
}

/* LDMS 4.4's layout (ldms-compat/ldmsctl/ctl_strgp_status.txt). */
static void strgp_json(const struct ldmsd_strgp *s, struct json *j)
{
	json_obj_begin(j);
	json_key_str(j, "name", s->name);
	json_key_str(j, "plugin", s->plugin_name);
	json_key_str(j, "container", s->container);
	json_key_str(j, "schema", s->schema);
	json_key_u64(j, "flush_us", s->flush_us);
	json_key_str(j, "state", s->running ? "RUNNING" : "STOPPED");
	json_key_bool(j, "open", s->handle != NULL);
	json_key(j, "producer_regexes");
	json_arr_begin(j);
	for (size_t k = 0; k < s->prdcrs.n; k++)
		json_str(j, s->prdcrs.items[k].text);
	json_arr_end(j);
	json_key(j, "metrics");
	json_arr_begin(j);
	for (size_t k = 0; k < s->nmetrics; k++)
		json_str(j, s->metrics[k]);
	json_arr_end(j);
	json_key(j, "columns");
	json_arr_begin(j);
	for (size_t k = 0; k < s->ncolumns; k++)
		json_str(j, s->columns[k]);
	json_arr_end(j);
	json_key_u64(j, "stored", s->stored);
	json_key_u64(j, "store_errors", s->store_errors);
	json_key_u64(j, "skipped_layout", s->skipped_layout);
	json_obj_end(j);
}

int h_strgp_status(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	const char *name = vg_arg_str(args, "name");
	if (name && !find(ctx->d, name))
		return vg_errf(ctx->err, ENOENT, "storage policy '%s' does not exist", name);
	struct vg_strbuf *out = ctx->reply;
	if (ctx->json) {
		struct json j;
		json_init(&j, out);
		json_obj_begin(&j);
		json_key(&j, "storage_policies");
		json_arr_begin(&j);
		for (size_t i = 0; i < ctx->d->nstrgps; i++)
			if (!name || strcmp(name, ctx->d->strgps[i]->name) == 0)
				strgp_json(ctx->d->strgps[i], &j);
		json_arr_end(&j);
		json_obj_end(&j);
		vg_strbuf_puts(out, "\n");
		return 0;
	}
	vg_strbuf_printf(out, "%-16s %-16s %-16s %-16s %-16s %-12s %-10s %s\n", "Name", "Container",
			 "Schema", "Regex", "Plugin", "Flush(sec)", "State", "Decomposition");
	vg_strbuf_printf(out, "---------------- ---------------- ---------------- ---------------- "
			      "---------------- ------------ ---------- --------------------- \n");
	for (size_t i = 0; i < ctx->d->nstrgps; i++) {
		const struct ldmsd_strgp *s = ctx->d->strgps[i];
		if (name && strcmp(name, s->name) != 0)
			continue;
		vg_strbuf_printf(out, "%-16s %-16s %-16s %-16s %-16s %-12f %-10s %s\n", s->name,
				 s->container, s->schema, "-", s->plugin_name,
				 (double)s->flush_us / 1e6, s->running ? "RUNNING" : "STOPPED", "-");
		vg_strbuf_puts(out, "    producers:");
		for (size_t k = 0; k < s->prdcrs.n; k++)
			vg_strbuf_printf(out, " %s", s->prdcrs.items[k].text);
		vg_strbuf_puts(out, "\n     metrics:");
		if (s->nmetrics)
			for (size_t k = 0; k < s->nmetrics; k++)
				vg_strbuf_printf(out, " %s", s->metrics[k]);
		else
			for (size_t k = 0; k < s->ncolumns; k++)
				vg_strbuf_printf(out, " %s", s->columns[k]);
		vg_strbuf_puts(out, "\n");
	}
	return 0;
}
