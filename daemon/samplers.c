/*
 * samplers.c - plugin instances: load, config, start, stop, term and their
 * status commands.  Sampling runs from each instance's aligned timer.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "daemon/daemon.h"
#include "daemon/strgp.h"
#include "daemon/handlers.h"
#include "daemon/json.h"

/* Below this a sampler busy-loops a core: almost always a unit mistake. */
#define VG_SAMPLE_INTERVAL_MIN_US 1000

static const char *state_name(const struct vg_plugin *p)
{
	switch (p->state) {
	case VG_PLUGIN_LOADED: return "loaded";
	case VG_PLUGIN_CONFIGURED: return "configured";
	case VG_PLUGIN_RUNNING: return "running";
	}
	return "?";
}

static const char *type_name(const struct vg_plugin *p)
{
	switch (p->ops->type) {
	case VG_PLUGIN_SAMPLER: return "sampler";
	case VG_PLUGIN_STORE: return "store";
	case VG_PLUGIN_AUTH: return "auth";
	}
	return "?";
}

struct vg_plugin *ldmsd_plugin_find(const struct ldmsd *d, const char *name)
{
	for (size_t i = 0; i < d->nplugins; i++)
		if (strcmp(d->plugins[i]->name, name) == 0)
			return d->plugins[i];
	return NULL;
}

static struct vg_plugin *must_find(struct vg_cmd_ctx *ctx, const char *name)
{
	struct vg_plugin *p = ldmsd_plugin_find(ctx->d, name);
	if (!p)
		vg_errf(ctx->err, ENOENT, "plugin '%s' is not loaded (load name=%s first)", name,
			name);
	return p;
}

static void forget(struct ldmsd *d, struct vg_plugin *p)
{
	for (size_t i = 0; i < d->nplugins; i++) {
		if (d->plugins[i] == p) {
			memmove(&d->plugins[i], &d->plugins[i + 1],
				(d->nplugins - i - 1) * sizeof(*d->plugins));
			d->nplugins--;
			return;
		}
	}
}

static void unload(struct ldmsd *d, struct vg_plugin *p)
{
	vg_timer_stop(&p->timer);
	forget(d, p);
	vg_plugin_unload(p);
}

void ldmsd_plugins_unload_all(struct ldmsd *d)
{
	while (d->nplugins)
		unload(d, d->plugins[d->nplugins - 1]);
	free(d->plugins);
	d->plugins = NULL;
	d->plugins_cap = 0;
}

static void on_sample_timer(struct vg_timer *t, void *arg)
{
	vg_plugin_sample(arg);
}

int h_load(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	struct ldmsd *d = ctx->d;
	const char *name = vg_arg_str(args, "name");
	if (ldmsd_plugin_find(d, name))
		return vg_errf(ctx->err, EEXIST, "plugin '%s' is already loaded", name);
	if (d->nplugins == d->plugins_cap) {
		size_t cap = d->plugins_cap ? d->plugins_cap * 2 : 8;
		struct vg_plugin **np = realloc(d->plugins, cap * sizeof(*np));
		if (!np)
			return vg_errf(ctx->err, ENOMEM, "out of memory loading %s", name);
		d->plugins = np;
		d->plugins_cap = cap;
	}
	struct vg_plugin *p;
	int rc = vg_plugin_load(&d->host, name, vg_arg_str(args, "plugin"), &p, ctx->err);
	if (rc)
		return rc;
	vg_timer_init(&p->timer, on_sample_timer, p);
	d->plugins[d->nplugins++] = p;
	vg_log(VG_LOG_INFO, "ldmsd", "loaded plugin %s from %s", name, p->path);
	return 0;
}

int h_config(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	struct vg_plugin *p = must_find(ctx, vg_arg_str(args, "name"));
	if (!p)
		return -ENOENT;
	int rc = vg_plugin_configure(p, &args->extra, ctx->err);
	if (rc)
		vg_err_prefix(ctx->err, "%s", p->name);
	return rc;
}

static void set_update_hint(struct vg_plugin *p)
{
	char hint[64];
	snprintf(hint, sizeof(hint), "%" PRIu64 ":%" PRId64, p->interval_us, p->offset_us);
	for (size_t i = 0; i < p->nsets; i++)
		vg_set_info_set(p->sets[i], "updt_hint_us", hint);
}

int h_start(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	struct vg_plugin *p = must_find(ctx, vg_arg_str(args, "name"));
	if (!p)
		return -ENOENT;
	if (p->ops->type != VG_PLUGIN_SAMPLER || !p->ops->sample)
		return vg_errf(ctx->err, EINVAL, "plugin '%s' is a %s, not a sampler", p->name,
			       type_name(p));
	if (p->state == VG_PLUGIN_RUNNING)
		return vg_errf(ctx->err, EBUSY, "sampler '%s' is already running (stop name=%s first)",
			       p->name, p->name);
	if (p->state != VG_PLUGIN_CONFIGURED)
		return vg_errf(ctx->err, EINVAL,
			       "sampler '%s' is not configured (config name=%s ... first)", p->name,
			       p->name);
	int64_t interval = vg_arg_i64(args, "interval");
	int64_t offset = vg_arg_i64(args, "offset");
	if (interval < VG_SAMPLE_INTERVAL_MIN_US)
		return vg_errf(ctx->err, EINVAL,
			       "start %s: interval %" PRId64 " us is below %d ms (a plain number is "
			       "microseconds: write the unit, e.g. interval=1s or interval=100ms)",
			       p->name, interval, VG_SAMPLE_INTERVAL_MIN_US / 1000);
	if (offset > interval / 2 || offset < -(interval / 2))
		return vg_errf(ctx->err, EINVAL,
			       "start %s: offset %" PRId64 " us is incompatible with interval %" PRId64
			       " us: |offset| must be at most interval/2",
			       p->name, offset, interval);
	p->interval_us = (uint64_t)interval;
	p->offset_us = offset;
	int rc = vg_timer_start_aligned(ctx->d->loop, &p->timer, p->interval_us, p->offset_us);
	if (rc)
		return vg_errf(ctx->err, -rc, "start %s: %s", p->name, strerror(-rc));
	set_update_hint(p);
	p->state = VG_PLUGIN_RUNNING;
	vg_log(VG_LOG_INFO, "ldmsd", "started %s every %" PRId64 " us at offset %" PRId64 " us",
	       p->name, interval, offset);
	return 0;
}

int h_stop(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	struct vg_plugin *p = must_find(ctx, vg_arg_str(args, "name"));
	if (!p)
		return -ENOENT;
	if (p->state != VG_PLUGIN_RUNNING)
		return vg_errf(ctx->err, EBUSY, "sampler '%s' is not running", p->name);
	vg_timer_stop(&p->timer);
	p->state = VG_PLUGIN_CONFIGURED;
	vg_log(VG_LOG_INFO, "ldmsd", "stopped %s", p->name);
	return 0;
}

int h_term(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	struct vg_plugin *p = must_find(ctx, vg_arg_str(args, "name"));
	if (!p)
		return -ENOENT;
	if (p->state == VG_PLUGIN_RUNNING)
		return vg_errf(ctx->err, EBUSY, "plugin '%s' is running (stop name=%s first)", p->name,
			       p->name);
	const char *strgp;
	if (strgp_uses_plugin(ctx->d, p, &strgp))
		return vg_errf(ctx->err, EBUSY,
			       "store '%s' is used by storage policy '%s' (strgp_stop name=%s first)",
			       p->name, strgp, strgp);
	vg_log(VG_LOG_INFO, "ldmsd", "unloading %s", p->name);
	unload(ctx->d, p);
	return 0;
}

int h_usage(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	const char *name = vg_arg_str(args, "name");
	struct vg_plugin *p = ldmsd_plugin_find(ctx->d, name);
	struct vg_plugin *tmp = NULL;
	if (!p) {
		/* not loaded: load it just to ask, as `ldmsd -u NAME` would */
		int rc = vg_plugin_load(&ctx->d->host, name, NULL, &tmp, ctx->err);
		if (rc)
			return rc;
		p = tmp;
	}
	const char *u = p->ops->usage ? p->ops->usage() : NULL;
	if (ctx->json) {
		struct json j;
		json_init(&j, ctx->reply);
		json_obj_begin(&j);
		json_key_str(&j, "name", p->name);
		json_key_str(&j, "plugin", p->plugin);
		json_key_str(&j, "type", type_name(p));
		json_key_str(&j, "summary", p->ops->summary);
		json_key_str(&j, "usage", u);
		json_obj_end(&j);
		vg_strbuf_puts(ctx->reply, "\n");
	} else {
		vg_strbuf_printf(ctx->reply, "%s: %s\n%s", p->name,
				 p->ops->summary ? p->ops->summary : "",
				 u ? u : "(this plugin documents no attributes)\n");
	}
	if (tmp)
		vg_plugin_unload(tmp);
	return 0;
}

static double avg_sample_us(const struct vg_plugin *p)
{
	return p->samples ? (double)p->total_sample_ns / (double)p->samples / 1000.0 : 0.0;
}

static void plugn_status_json(struct ldmsd *d, const char *only, struct vg_strbuf *out)
{
	struct json j;
	json_init(&j, out);
	json_obj_begin(&j);
	json_key(&j, "plugins");
	json_arr_begin(&j);
	for (size_t i = 0; i < d->nplugins; i++) {
		const struct vg_plugin *p = d->plugins[i];
		if (only && strcmp(only, p->name) != 0)
			continue;
		json_obj_begin(&j);
		json_key_str(&j, "name", p->name);
		json_key_str(&j, "plugin", p->plugin);
		json_key_str(&j, "type", type_name(p));
		json_key_str(&j, "state", state_name(p));
		json_key_u64(&j, "interval_us", p->interval_us);
		json_key_i64(&j, "offset_us", p->offset_us);
		json_key_u64(&j, "samples", p->samples);
		json_key_u64(&j, "sample_errors", p->sample_errors);
		json_key_dbl(&j, "last_sample_us", (double)p->last_sample_ns / 1000.0);
		json_key_dbl(&j, "avg_sample_us", avg_sample_us(p));
		json_key_u64(&j, "total_sample_us", p->total_sample_ns / 1000u);
		json_key_u64(&j, "set_count", p->nsets);
		json_key_str(&j, "path", p->path);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	vg_strbuf_puts(out, "\n");
}

int h_plugn_status(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	const char *only = vg_arg_str(args, "name");
	if (only && !must_find(ctx, only))
		return -ENOENT;
	struct vg_strbuf *out = ctx->reply;
	if (ctx->json) {
		plugn_status_json(ctx->d, only, out);
		return 0;
	}
	vg_strbuf_printf(out, "%-16s %-12s %-8s %-10s %12s %10s %10s %8s %10s %5s\n", "Name",
			 "Plugin", "Type", "State", "Interval", "Offset", "Samples", "Errors",
			 "Avg(us)", "Sets");
	vg_strbuf_printf(out, "%s\n",
			 "---------------- ------------ -------- ---------- ------------ ---------- "
			 "---------- -------- ---------- -----");
	for (size_t i = 0; i < ctx->d->nplugins; i++) {
		const struct vg_plugin *p = ctx->d->plugins[i];
		if (only && strcmp(only, p->name) != 0)
			continue;
		char interval[24] = "-", offset[24] = "-";
		if (p->state == VG_PLUGIN_RUNNING) {
			snprintf(interval, sizeof(interval), "%" PRIu64, p->interval_us);
			snprintf(offset, sizeof(offset), "%" PRId64, p->offset_us);
		}
		vg_strbuf_printf(out, "%-16s %-12s %-8s %-10s %12s %10s %10" PRIu64 " %8" PRIu64
				 " %10.1f %5zu\n",
				 p->name, p->plugin, type_name(p), state_name(p), interval, offset,
				 p->samples, p->sample_errors, avg_sample_us(p), p->nsets);
	}
	return 0;
}

static void plugn_sets_json(struct ldmsd *d, const char *only, struct vg_strbuf *out)
{
	struct json j;
	json_init(&j, out);
	json_obj_begin(&j);
	json_key(&j, "plugins");
	json_arr_begin(&j);
	for (size_t i = 0; i < d->nplugins; i++) {
		const struct vg_plugin *p = d->plugins[i];
		if (only && strcmp(only, p->name) != 0)
			continue;
		json_obj_begin(&j);
		json_key_str(&j, "name", p->name);
		json_key(&j, "sets");
		json_arr_begin(&j);
		for (size_t k = 0; k < p->nsets; k++)
			json_str(&j, vg_set_instance(p->sets[k]));
		json_arr_end(&j);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	vg_strbuf_puts(out, "\n");
}

int h_plugn_sets(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	const char *only = vg_arg_str(args, "name");
	if (only && !must_find(ctx, only))
		return -ENOENT;
	if (ctx->json) {
		plugn_sets_json(ctx->d, only, ctx->reply);
		return 0;
	}
	for (size_t i = 0; i < ctx->d->nplugins; i++) {
		const struct vg_plugin *p = ctx->d->plugins[i];
		if (only && strcmp(only, p->name) != 0)
			continue;
		vg_strbuf_printf(ctx->reply, "%s:\n", p->name);
		for (size_t j = 0; j < p->nsets; j++)
			vg_strbuf_printf(ctx->reply, "   %s\n", vg_set_instance(p->sets[j]));
	}
	return 0;
}
