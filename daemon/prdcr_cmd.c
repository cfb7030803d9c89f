/*
 * prdcr_cmd.c - the prdcr_* commands and prdcr_status.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "daemon/daemon.h"
#include "daemon/handlers.h"
#include "daemon/json.h"
#include "daemon/match.h"
#include "daemon/prdcr.h"
#include "daemon/updtr.h"
#include "xprt/xprt.h"

const char *prdcr_state_name(enum prdcr_state st)
{
	switch (st) {
	case PRDCR_STOPPED: return "STOPPED";
	case PRDCR_DISCONNECTED: return "DISCONNECTED";
	case PRDCR_CONNECTING: return "CONNECTING";
	case PRDCR_CONNECTED: return "CONNECTED";
	case PRDCR_STOPPING: return "STOPPING";
	}
	return "?";
}

const char *pset_state_name(const struct prdcr_set *ps)
{
	if (ps->mirror && (vg_set_flags(ps->mirror) & VG_SET_F_STALE))
		return "STALE";
	switch (ps->state) {
	case PSET_LISTED: return "START";
	case PSET_LOOKUP: return "LOOKUP";
	case PSET_READY: return "READY";
	case PSET_ERROR: return "ERROR";
	}
	return "?";
}

struct ldmsd_prdcr *prdcr_find(struct ldmsd *d, const char *name)
{
	for (size_t i = 0; i < d->nprdcrs; i++)
		if (strcmp(d->prdcrs[i]->name, name) == 0)
			return d->prdcrs[i];
	return NULL;
}

#define PRDCR_DEFAULT_RECONNECT_US 20000000u

static struct ldmsd_prdcr *must_find(struct vg_cmd_ctx *ctx, const char *name)
{
	struct ldmsd_prdcr *p = prdcr_find(ctx->d, name);
	if (!p)
		vg_errf(ctx->err, ENOENT, "producer '%s' does not exist (prdcr_add it first)", name);
	return p;
}

/* reconnect= if given (else *us unchanged): below 1ms a dead producer is retried in a busy loop. */
int prdcr_reconnect_arg(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args, uint64_t *us)
{
	if (!vg_arg_has(args, "reconnect"))
		return 0;
	int64_t v = vg_arg_i64(args, "reconnect");
	if (v < 1000)
		return vg_errf(ctx->err, EINVAL,
			       "reconnect=%" PRId64 "us: the retry interval must be at least 1ms", v);
	*us = (uint64_t)v;
	return 0;
}

int prdcr_create(struct ldmsd *d, const struct prdcr_spec *spec, struct ldmsd_prdcr **out,
		 struct vg_err *err)
{
	if (prdcr_find(d, spec->name))
		return vg_errf(err, EEXIST, "producer '%s' already exists", spec->name);
	if (!vg_xprt_find(spec->xprt))
		return vg_errf(err, EINVAL, "xprt=%s: unknown transport (this ldmsd has: %s)",
			       spec->xprt, vg_xprt_names());
	if (spec->auth && !ldmsd_auth_exists(d, spec->auth))
		return vg_errf(err, ENOENT,
			       "auth=%s: no such authentication domain (auth_add it first)", spec->auth);
	if (spec->reconnect_us && spec->reconnect_us < 1000)
		return vg_errf(err, EINVAL, "reconnect=%" PRIu64 "us: the reconnect interval must be "
			       "at least 1ms", spec->reconnect_us);
	struct ldmsd_prdcr *p = calloc(1, sizeof(*p));
	if (!p)
		return vg_errf(err, ENOMEM, "out of memory");
	p->d = d;
	p->name = strdup(spec->name);
	p->host = strdup(spec->host);
	p->xprt = strdup(spec->xprt);
	p->auth = strdup(spec->auth ? spec->auth : "DEFAULT");
	p->port = spec->port;
	p->passive = spec->passive;
	p->standby = spec->standby;
	p->reconnect_us = spec->reconnect_us ? spec->reconnect_us : PRDCR_DEFAULT_RECONNECT_US;
	vg_wbuf_init(&p->out, 64u << 10);
	vg_timer_init(&p->reconnect_timer, NULL, NULL);
	if (!p->name || !p->host || !p->xprt || !p->auth ||
	    ldmsd_array_add((void ***)&d->prdcrs, &d->nprdcrs, p)) {
		prdcr_free(p);
		return vg_errf(err, ENOMEM, "out of memory");
	}
	if (out)
		*out = p;
	return 0;
}

int h_prdcr_add(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	const char *type = vg_arg_str(args, "type");
	if (strcmp(type, "active") != 0 && strcmp(type, "passive") != 0)
		return vg_errf(ctx->err, EINVAL,
			       "type=%s: a producer is 'active' (we connect to it) or 'passive' "
			       "(it connects to us)",
			       type);
	struct prdcr_spec spec = {
		.name = vg_arg_str(args, "name"),
		.host = vg_arg_str(args, "host"),
		.xprt = vg_arg_str(args, "xprt"),
		.auth = vg_arg_str(args, "auth"),
		.port = (uint16_t)vg_arg_u64(args, "port"),
		.passive = strcmp(type, "passive") == 0,
		.standby = vg_arg_bool(args, "standby"),
		.reconnect_us = PRDCR_DEFAULT_RECONNECT_US,
	};
	if (prdcr_reconnect_arg(ctx, args, &spec.reconnect_us))
		return -EINVAL;
	return prdcr_create(ctx->d, &spec, NULL, ctx->err);
}

int h_prdcr_start(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	struct ldmsd_prdcr *p = must_find(ctx, vg_arg_str(args, "name"));
	if (!p)
		return -ENOENT;
	uint64_t reconnect = 0;
	if (prdcr_reconnect_arg(ctx, args, &reconnect))
		return -EINVAL;
	if (prdcr_start(p, reconnect))
		return vg_errf(ctx->err, EBUSY, "producer '%s' is already started (%s)", p->name,
			       prdcr_state_name(p->state));
	return 0;
}

int h_prdcr_stop(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	struct ldmsd_prdcr *p = must_find(ctx, vg_arg_str(args, "name"));
	if (!p)
		return -ENOENT;
	if (prdcr_stop(p))
		return vg_errf(ctx->err, EBUSY, "producer '%s' is already stopped", p->name);
	return 0;
}

static int start_one(struct ldmsd_prdcr *p, uint64_t reconnect)
{
	return prdcr_start(p, reconnect);
}

static int stop_one(struct ldmsd_prdcr *p, uint64_t reconnect)
{
	(void)reconnect;
	return prdcr_stop(p);
}

/*
 * fn on every producer whose name matches regex=.  LDMS's *_regex commands
 * act on every match and do not fail on those already in that state.
 */
static int foreach_regex(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args,
			 int (*fn)(struct ldmsd_prdcr *p, uint64_t reconnect), uint64_t reconnect)
{
	regex_t re;
	if (match_compile(&re, vg_arg_str(args, "regex"), ctx->err))
		return -EINVAL;
	for (size_t i = 0; i < ctx->d->nprdcrs; i++)
		if (regexec(&re, ctx->d->prdcrs[i]->name, 0, NULL, 0) == 0)
			fn(ctx->d->prdcrs[i], reconnect);
	regfree(&re);
	return 0;
}

int h_prdcr_start_regex(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	uint64_t reconnect = 0;
	if (prdcr_reconnect_arg(ctx, args, &reconnect))
		return -EINVAL;
	return foreach_regex(ctx, args, start_one, reconnect);
}

int h_prdcr_stop_regex(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	return foreach_regex(ctx, args, stop_one, 0);
}

/* name= or regex= (or both): every producer named. */
static int standby_cmd(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args, bool standby)
{
	const char *name = vg_arg_str(args, "name"), *rx = vg_arg_str(args, "regex");
	if (!name && !rx)
		return vg_errf(ctx->err, EINVAL, "give name=PRODUCER or regex=REGEX");
	if (name) {
		struct ldmsd_prdcr *p = must_find(ctx, name);
		if (!p)
			return -ENOENT;
		prdcr_set_standby(p, standby);
	}
	if (!rx)
		return 0;
	regex_t re;
	if (match_compile(&re, rx, ctx->err))
		return -EINVAL;
	for (size_t i = 0; i < ctx->d->nprdcrs; i++)
		if (regexec(&re, ctx->d->prdcrs[i]->name, 0, NULL, 0) == 0)
			prdcr_set_standby(ctx->d->prdcrs[i], standby);
	regfree(&re);
	return 0;
}

int h_prdcr_activate(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	return standby_cmd(ctx, args, false);
}

int h_prdcr_standby(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	return standby_cmd(ctx, args, true);
}

/*
 * A producer's weight for the balancer: data bytes x updates per second of
 * its sets, by schedule (a standby producer is not updated, so a measured
 * rate would make it weigh nothing where it waits): the updaters' interval,
 * or the sampler's if that is longer (reading faster brings no new samples).
 */
static double prdcr_weight(struct ldmsd *d, const struct ldmsd_prdcr *p, uint64_t *last_update,
			   uint64_t *updates, uint64_t *interval)
{
	double load = 0;
	for (uint32_t s = 0; s < p->nslots; s++) {
		const struct prdcr_set *ps = p->sets[s];
		if (!ps || !ps->mirror || ps->shadow)
			continue;
		uint64_t iv = updtr_interval_for(d, ps), sampled = updtr_sample_interval(ps);
		if (iv && sampled > iv)
			iv = sampled;
		if (iv)
			load += (double)vg_set_data_size(ps->mirror) * 1e6 / (double)iv;
		if (iv && (!*interval || iv < *interval))
			*interval = iv;
		if (ps->last_update_us > *last_update)
			*last_update = ps->last_update_us;
		*updates += ps->updates;
	}
	return load;
}

/* The balancer's heartbeat: one short line (or object) per producer. */
int h_prdcr_load(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	(void)args;
	struct ldmsd *d = ctx->d;
	struct vg_strbuf *out = ctx->reply;
	uint64_t now = vg_now_us();
	struct json j;
	if (ctx->json) {
		json_init(&j, out);
		json_obj_begin(&j);
		json_key_u64(&j, "now_us", now);
		json_key(&j, "producers");
		json_arr_begin(&j);
	} else {
		vg_strbuf_printf(out, "%-16s %-12s %-7s %5s %12s %10s %12s %12s\n", "Name", "State",
				 "Mode", "Sets", "Load(B/s)", "Updates", "LastUpd(ms)", "Interval(ms)");
	}
	for (size_t i = 0; i < d->nprdcrs; i++) {
		const struct ldmsd_prdcr *p = d->prdcrs[i];
		uint64_t last = 0, updates = 0, interval = 0;
		double load = prdcr_weight(d, p, &last, &updates, &interval);
		const char *mode = p->standby ? "standby" : "active";
		if (ctx->json) {
			json_obj_begin(&j);
			json_key_str(&j, "name", p->name);
			json_key_str(&j, "state", prdcr_state_name(p->state));
			json_key_bool(&j, "standby", p->standby);
			json_key_u64(&j, "sets", p->nsets);
			json_key_dbl(&j, "load", load);
			json_key_u64(&j, "updates", updates);
			json_key_u64(&j, "last_update_us", last);
			json_key_u64(&j, "interval_us", interval);
			json_obj_end(&j);
		} else {
			char age[24] = "-";
			if (last)
				snprintf(age, sizeof(age), "%" PRIu64, (now - last) / 1000);
			vg_strbuf_printf(out, "%-16s %-12s %-7s %5u %12.0f %10" PRIu64 " %12s %12" PRIu64
					 "\n", p->name, prdcr_state_name(p->state), mode, p->nsets, load,
					 updates, age, interval / 1000);
		}
	}
	if (ctx->json) {
		json_arr_end(&j);
		json_obj_end(&j);
		vg_strbuf_puts(out, "\n");
	}
	return 0;
}

int h_prdcr_del(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	struct ldmsd_prdcr *p = must_find(ctx, vg_arg_str(args, "name"));
	if (!p)
		return -ENOENT;
	if (p->state != PRDCR_STOPPED)
		return vg_errf(ctx->err, EBUSY,
			       "producer '%s' is %s: stop it first (prdcr_stop name=%s)", p->name,
			       prdcr_state_name(p->state), p->name);
	ldmsd_array_del((void **)ctx->d->prdcrs, &ctx->d->nprdcrs, p);
	prdcr_free(p);
	return 0;
}

/* LDMS 4.4's prdcr_status layout (ldms-compat/ldmsctl/ctl_prdcr_status.txt). */
void prdcr_status_line(const struct ldmsd_prdcr *p, struct vg_strbuf *out, bool pad)
{
	vg_strbuf_printf(out, "%-16s %-16s %-12u%-12s %-*s\n", p->name, p->host, p->port, p->xprt,
			 pad ? 12 : 0, prdcr_state_name(p->state));
}

static void pset_json(const struct prdcr_set *ps, struct json *j)
{
	json_obj_begin(j);
	json_key_str(j, "instance", ps->instance);
	json_key_str(j, "schema", ps->schema);
	json_key_str(j, "state", pset_state_name(ps));
	json_key_bool(j, "push", ps->push_req_id != 0);
	json_key_u64(j, "updates", ps->updates);
	json_key_u64(j, "reads", ps->reads);
	json_key_u64(j, "skipped", ps->skipped);
	json_key_u64(j, "torn", ps->torn);
	json_key_u64(j, "first_update_us", ps->first_update_us);
	json_key_u64(j, "last_update_us", ps->last_update_us);
	json_obj_end(j);
}

void prdcr_json(const struct ldmsd_prdcr *p, struct json *j, bool with_sets)
{
	json_obj_begin(j);
	json_key_str(j, "name", p->name);
	json_key_str(j, "host", p->host);
	json_key_u64(j, "port", p->port);
	json_key_str(j, "xprt", p->xprt);
	json_key_str(j, "type", p->passive ? "passive" : "active");
	json_key_str(j, "state", prdcr_state_name(p->state));
	if (with_sets) {
		json_key_str(j, "auth", p->auth);
		json_key_u64(j, "reconnect_us", p->reconnect_us);
		json_key_u64(j, "connect_attempts", p->connect_attempts);
		json_key_u64(j, "connect_failures", p->connect_failures);
		json_key_u64(j, "disconnects", p->disconnects);
		json_key_str(j, "last_error", p->last_error[0] ? p->last_error : NULL);
		json_key_u64(j, "set_count", p->nsets);
		json_key(j, "sets");
		json_arr_begin(j);
		for (uint32_t s = 0; s < p->nslots; s++)
			if (p->sets[s])
				pset_json(p->sets[s], j);
		json_arr_end(j);
	}
	json_obj_end(j);
}

static void prdcr_status_json(struct ldmsd *d, const char *name, struct vg_strbuf *out)
{
	struct json j;
	json_init(&j, out);
	json_obj_begin(&j);
	json_key(&j, "producers");
	json_arr_begin(&j);
	for (size_t i = 0; i < d->nprdcrs; i++)
		if (!name || strcmp(name, d->prdcrs[i]->name) == 0)
			prdcr_json(d->prdcrs[i], &j, true);
	json_arr_end(&j);
	json_obj_end(&j);
	vg_strbuf_puts(out, "\n");
}

int h_prdcr_status(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	const char *name = vg_arg_str(args, "name");
	if (name && !must_find(ctx, name))
		return -ENOENT;
	struct vg_strbuf *out = ctx->reply;
	if (ctx->json) {
		prdcr_status_json(ctx->d, name, out);
		return 0;
	}
	vg_strbuf_printf(out, "%-16s %-16s %-12s %-12s %s\n", "Name", "Host", "Port", "Transport",
			 "State");
	vg_strbuf_printf(out, "---------------- ---------------- ------------ ------------ "
			      "------------\n");
	for (size_t i = 0; i < ctx->d->nprdcrs; i++) {
		const struct ldmsd_prdcr *p = ctx->d->prdcrs[i];
		if (name && strcmp(name, p->name) != 0)
			continue;
		prdcr_status_line(p, out, true);
		if (p->connect_failures && p->state != PRDCR_CONNECTED)
			vg_strbuf_printf(out,
					 "    # %" PRIu64 " failed connection attempts; last: %s\n",
					 p->connect_failures, p->last_error);
		for (uint32_t s = 0; s < p->nslots; s++) {
			const struct prdcr_set *ps = p->sets[s];
			if (ps)
				vg_strbuf_printf(out, "    %-16s %-16s %s\n", ps->instance, ps->schema,
						 pset_state_name(ps));
		}
	}
	return 0;
}
