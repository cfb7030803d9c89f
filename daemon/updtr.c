/*
 * updtr.c - updaters: wall-clock aligned ticks that pull (or subscribe to
 * pushes of) the sets of matching producers; the updtr_* commands.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>
#include <time.h>

#include "core/log.h"
#include "daemon/daemon.h"
#include "daemon/handlers.h"
#include "daemon/json.h"
#include "daemon/prdcr.h"
#include "daemon/updtr.h"

static bool has_kind(const struct ldmsd_updtr *u, unsigned kind)
{
	for (size_t i = 0; i < u->match.n; i++)
		if (u->match.items[i].kind == kind)
			return true;
	return false;
}

static bool wants_prdcr(const struct ldmsd_updtr *u, const struct ldmsd_prdcr *p)
{
	return match_any(&u->match, UPDTR_MATCH_PRDCR, p->name);
}

static bool wants_set(const struct ldmsd_updtr *u, const struct prdcr_set *ps)
{
	bool inst = has_kind(u, UPDTR_MATCH_INST), schema = has_kind(u, UPDTR_MATCH_SCHEMA);
	if (!inst && !schema)
		return true;
	return (inst && match_any(&u->match, UPDTR_MATCH_INST, ps->instance)) ||
	       (schema && match_any(&u->match, UPDTR_MATCH_SCHEMA, ps->schema));
}

bool updtr_wants(struct ldmsd *d, const struct prdcr_set *ps, bool *push)
{
	bool any = false;
	*push = false;
	for (size_t i = 0; i < d->nupdtrs; i++) {
		const struct ldmsd_updtr *u = d->updtrs[i];
		if (!u->running || !wants_prdcr(u, ps->prdcr) || !wants_set(u, ps))
			continue;
		any = true;
		if (u->push != UPDTR_PULL)
			*push = true;
	}
	return any;
}

/* The longest schedule a sampler may advertise: a hint is a peer's input. */
#define UPDTR_HINT_MAX_US (86400ull * 1000000u)

/* The schedule the sampler advertises (set info updt_hint_us), if it is a sane one. */
static bool set_hint(const struct prdcr_set *ps, unsigned long long *interval, long long *offset)
{
	const char *hint = ps->mirror ? vg_set_info_get(ps->mirror, "updt_hint_us") : NULL;
	return hint && sscanf(hint, "%llu:%lld", interval, offset) == 2 && *interval >= 1000 &&
	       *interval <= UPDTR_HINT_MAX_US;
}

uint64_t updtr_sample_interval(const struct prdcr_set *ps)
{
	unsigned long long interval;
	long long offset;
	return set_hint(ps, &interval, &offset) ? interval : 0;
}

/* auto_interval: follow the schedule the sampler advertises. */
static void follow_hint(struct ldmsd_updtr *u, const struct prdcr_set *ps)
{
	unsigned long long interval;
	long long offset;
	if (!set_hint(ps, &interval, &offset))
		return;
	/* each term within (-interval, interval): no overflow, never INT64_MIN % -1 */
	int64_t iv = (int64_t)interval;
	int64_t off = (offset % iv + u->offset_us % iv) % iv;
	/* compare with the timer's schedule: u's is the configured one, unchanged */
	if (u->timer.interval_us == interval && u->timer.offset_us == off)
		return;
	vg_timer_stop(&u->timer);
	if (vg_timer_start_aligned(u->d->loop, &u->timer, interval, off))
		vg_timer_start_aligned(u->d->loop, &u->timer, u->interval_us, u->offset_us);
}

/* Call fn for every set of a connected producer that u wants. */
static void foreach_wanted(struct ldmsd_updtr *u,
			   void (*fn)(struct ldmsd_updtr *u, struct prdcr_set *ps))
{
	struct ldmsd *d = u->d;
	for (size_t i = 0; i < d->nprdcrs; i++) {
		struct ldmsd_prdcr *p = d->prdcrs[i];
		if (p->state != PRDCR_CONNECTED || !wants_prdcr(u, p))
			continue;
		for (uint32_t s = 0; s < p->nslots; s++) {
			struct prdcr_set *ps = p->sets[s];
			if (ps && wants_set(u, ps))
				fn(u, ps);
		}
	}
}

static void tick_set(struct ldmsd_updtr *u, struct prdcr_set *ps)
{
	if (u->push == UPDTR_PULL)
		prdcr_set_update(ps);
	else if (ps->state == PSET_READY)
		prdcr_set_push(ps, true);
	else
		prdcr_set_lookup(ps);
	if (u->auto_interval && !u->hinted && ps->state == PSET_READY) {
		follow_hint(u, ps);
		u->hinted = true;
	}
}

static void on_tick(struct vg_timer *t, void *arg)
{
	struct ldmsd_updtr *u = arg;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	(void)t;
	u->ticks++;
	u->hinted = false;
	foreach_wanted(u, tick_set);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	u->tick_ns_total += (uint64_t)(t1.tv_sec - t0.tv_sec) * 1000000000u +
			    (uint64_t)(t1.tv_nsec - t0.tv_nsec);
}

uint64_t updtr_interval_for(struct ldmsd *d, const struct prdcr_set *ps)
{
	uint64_t best = 0;
	for (size_t i = 0; i < d->nupdtrs; i++) {
		const struct ldmsd_updtr *u = d->updtrs[i];
		if (!u->running || !wants_prdcr(u, ps->prdcr) || !wants_set(u, ps))
			continue;
		unsigned long long iv = u->interval_us;
		long long off;
		if (u->push != UPDTR_PULL) {
			/* pushed when the sampler's transaction ends: at the sampler's pace */
			if (!set_hint(ps, &iv, &off))
				continue;
		} else if (u->auto_interval && u->timer.interval_us) {
			iv = u->timer.interval_us;
		}
		if (iv && (!best || iv < best))
			best = iv;
	}
	return best;
}

static void kick_set(struct ldmsd_updtr *u, struct prdcr_set *ps)
{
	if (ps->state == PSET_LISTED || ps->state == PSET_ERROR)
		prdcr_set_lookup(ps);
	else if (ps->state == PSET_READY && u->push != UPDTR_PULL)
		prdcr_set_push(ps, true);
}

/* Look up what the updater wants now, rather than at its first tick. */
static void kick_lookups(struct ldmsd_updtr *u)
{
	foreach_wanted(u, kick_set);
}

/* Stop pushes nobody wants any more. */
static void drop_pushes(struct ldmsd *d)
{
	for (size_t i = 0; i < d->nprdcrs; i++) {
		struct ldmsd_prdcr *p = d->prdcrs[i];
		for (uint32_t s = 0; s < p->nslots; s++) {
			struct prdcr_set *ps = p->sets[s];
			bool push;
			if (ps && ps->push_req_id && !(updtr_wants(d, ps, &push) && push))
				prdcr_set_push(ps, false);
		}
	}
}

static void updtr_free(struct ldmsd_updtr *u)
{
	vg_timer_stop(&u->timer);
	match_free(&u->match);
	free(u->name);
	free(u);
}

void updtr_free_all(struct ldmsd *d)
{
	for (size_t i = 0; i < d->nupdtrs; i++)
		updtr_free(d->updtrs[i]);
	free(d->updtrs);
	d->updtrs = NULL;
	d->nupdtrs = 0;
}

/* ------------------------------------------------------------------ commands */

static struct ldmsd_updtr *find(struct ldmsd *d, const char *name)
{
	for (size_t i = 0; i < d->nupdtrs; i++)
		if (strcmp(d->updtrs[i]->name, name) == 0)
			return d->updtrs[i];
	return NULL;
}

static struct ldmsd_updtr *must_find(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args,
				     bool stopped)
{
	const char *name = vg_arg_str(args, "name");
	struct ldmsd_updtr *u = find(ctx->d, name);
	if (!u)
		vg_errf(ctx->err, ENOENT, "updater '%s' does not exist (updtr_add it first)", name);
	else if (stopped && u->running) {
		vg_errf(ctx->err, EBUSY,
			"updater '%s' is running: stop it first (updtr_stop name=%s)", name, name);
		return NULL;
	}
	return u;
}

static int check_schedule(struct vg_cmd_ctx *ctx, int64_t interval, int64_t offset)
{
	if (interval < 1000)
		return vg_errf(ctx->err, EINVAL, "interval=%" PRId64 "us: at least 1ms, e.g. 1s",
			       interval);
	if (offset > interval / 2 || offset < -(interval / 2))
		return vg_errf(ctx->err, EINVAL,
			       "offset=%" PRId64 "us: must be within half the interval (%" PRId64
			       "us) either way",
			       offset, interval / 2);
	return 0;
}

int h_updtr_add(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	struct ldmsd *d = ctx->d;
	const char *name = vg_arg_str(args, "name");
	if (find(d, name))
		return vg_errf(ctx->err, EEXIST, "updater '%s' already exists", name);
	int64_t interval = vg_arg_i64(args, "interval");
	int64_t offset = vg_arg_has(args, "offset") ? vg_arg_i64(args, "offset") : 0;
	if (check_schedule(ctx, interval, offset))
		return -EINVAL;
	enum updtr_push push = UPDTR_PULL;
	const char *pv = vg_arg_str(args, "push");
	if (pv) {
		if (strcasecmp(pv, "onchange") == 0)
			push = UPDTR_PUSH_ONCHANGE;
		else if (strcasecmp(pv, "true") == 0 || strcasecmp(pv, "yes") == 0)
			push = UPDTR_PUSH_ALWAYS;
		else if (strcasecmp(pv, "false") != 0 && strcasecmp(pv, "no") != 0)
			return vg_errf(ctx->err, EINVAL,
				       "push=%s: use onchange (or true) to have producers push, or "
				       "leave it out to pull",
				       pv);
	}
	bool auto_interval = vg_arg_has(args, "auto_interval") && vg_arg_bool(args, "auto_interval");
	if (auto_interval && push != UPDTR_PULL)
		return vg_errf(ctx->err, EINVAL,
			       "auto_interval=true and push= exclude each other: a pushed set has no "
			       "schedule to follow");
	struct ldmsd_updtr *u = calloc(1, sizeof(*u));
	if (!u || !(u->name = strdup(name)) ||
	    ldmsd_array_add((void ***)&d->updtrs, &d->nupdtrs, u)) {
		if (u)
			free(u->name);
		free(u);
		return vg_errf(ctx->err, ENOMEM, "out of memory");
	}
	u->d = d;
	u->interval_us = (uint64_t)interval;
	u->offset_us = offset;
	u->push = push;
	u->auto_interval = auto_interval;
	vg_timer_init(&u->timer, on_tick, u);
	return 0;
}

static int match_cmd(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args, unsigned kind,
		     bool add)
{
	struct ldmsd_updtr *u = must_find(ctx, args, true);
	if (!u)
		return -ctx->err->code;
	const char *re = vg_arg_str(args, "regex");
	return add ? match_add(&u->match, re, kind, ctx->err) : match_del(&u->match, re, kind, ctx->err);
}

int h_updtr_prdcr_add(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	return match_cmd(ctx, args, UPDTR_MATCH_PRDCR, true);
}

int h_updtr_prdcr_del(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	return match_cmd(ctx, args, UPDTR_MATCH_PRDCR, false);
}

static int match_kind(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args, unsigned *kind)
{
	const char *m = vg_arg_str(args, "match");
	if (!m || strcmp(m, "inst") == 0)
		*kind = UPDTR_MATCH_INST;
	else if (strcmp(m, "schema") == 0)
		*kind = UPDTR_MATCH_SCHEMA;
	else
		return vg_errf(ctx->err, EINVAL, "match=%s: use match=inst or match=schema", m);
	return 0;
}

int h_updtr_match_add(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	unsigned kind;
	return match_kind(ctx, args, &kind) ? -EINVAL : match_cmd(ctx, args, kind, true);
}

int h_updtr_match_del(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	unsigned kind;
	return match_kind(ctx, args, &kind) ? -EINVAL : match_cmd(ctx, args, kind, false);
}

int h_updtr_start(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	struct ldmsd_updtr *u = must_find(ctx, args, true);
	if (!u)
		return -ctx->err->code;
	int64_t interval = vg_arg_has(args, "interval") ? vg_arg_i64(args, "interval")
							: (int64_t)u->interval_us;
	int64_t offset = vg_arg_has(args, "offset") ? vg_arg_i64(args, "offset") : u->offset_us;
	if (check_schedule(ctx, interval, offset))
		return -EINVAL;
	if (vg_arg_has(args, "auto_interval"))
		u->auto_interval = vg_arg_bool(args, "auto_interval");
	u->interval_us = (uint64_t)interval;
	u->offset_us = offset;
	int rc = vg_timer_start_aligned(ctx->d->loop, &u->timer, u->interval_us, u->offset_us);
	if (rc)
		return vg_errf(ctx->err, -rc, "updater '%s': cannot start its timer: %s", u->name,
			       strerror(-rc));
	u->running = true;
	kick_lookups(u);
	return 0;
}

int h_updtr_stop(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	struct ldmsd_updtr *u = must_find(ctx, args, false);
	if (!u)
		return -ENOENT;
	if (!u->running)
		return vg_errf(ctx->err, EBUSY, "updater '%s' is already stopped", u->name);
	vg_timer_stop(&u->timer);
	u->running = false;
	drop_pushes(ctx->d);
	return 0;
}

int h_updtr_del(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	struct ldmsd_updtr *u = must_find(ctx, args, true);
	if (!u)
		return -ctx->err->code;
	ldmsd_array_del((void **)ctx->d->updtrs, &ctx->d->nupdtrs, u);
	updtr_free(u);
	return 0;
}

/* LDMS's words (ldmsd_request.c update_mode): only the push mode shows, auto_interval does not. */
static const char *mode_name(const struct ldmsd_updtr *u)
{
	switch (u->push) {
	case UPDTR_PUSH_ONCHANGE: return "Push on Change";
	case UPDTR_PUSH_ALWAYS: return "Push on Request";
	default: return "Pull";
	}
}

/* JSON's words: those of the config (push=onchange, push=true). */
static const char *mode_word(const struct ldmsd_updtr *u)
{
	switch (u->push) {
	case UPDTR_PUSH_ONCHANGE: return "push_onchange";
	case UPDTR_PUSH_ALWAYS: return "push_always";
	default: return "pull";
	}
}

static void updtr_json(struct ldmsd *d, const struct ldmsd_updtr *u, struct json *j)
{
	bool timer_on = u->running && u->timer.interval_us;
	json_obj_begin(j);
	json_key_str(j, "name", u->name);
	json_key_u64(j, "interval_us", u->interval_us);
	json_key_i64(j, "offset_us", u->offset_us);
	json_key_str(j, "mode", mode_word(u));
	json_key_bool(j, "auto_interval", u->auto_interval);
	json_key_str(j, "state", u->running ? "RUNNING" : "STOPPED");
	/* auto_interval: the schedule followed now, which the sampler's hint set */
	json_key_u64(j, "current_interval_us", timer_on ? u->timer.interval_us : u->interval_us);
	json_key_i64(j, "current_offset_us", timer_on ? u->timer.offset_us : u->offset_us);
	json_key_u64(j, "ticks", u->ticks);
	json_key_u64(j, "tick_time_total_us", u->tick_ns_total / 1000u);
	json_key(j, "producer_regexes");
	json_arr_begin(j);
	for (size_t k = 0; k < u->match.n; k++)
		if (u->match.items[k].kind == UPDTR_MATCH_PRDCR)
			json_str(j, u->match.items[k].text);
	json_arr_end(j);
	json_key(j, "set_matches");
	json_arr_begin(j);
	for (size_t k = 0; k < u->match.n; k++) {
		const struct match_item *m = &u->match.items[k];
		if (m->kind == UPDTR_MATCH_PRDCR)
			continue;
		json_obj_begin(j);
		json_key_str(j, "regex", m->text);
		json_key_str(j, "match", m->kind == UPDTR_MATCH_SCHEMA ? "schema" : "inst");
		json_obj_end(j);
	}
	json_arr_end(j);
	json_key(j, "producers");
	json_arr_begin(j);
	for (size_t p = 0; p < d->nprdcrs; p++)
		if (wants_prdcr(u, d->prdcrs[p]))
			prdcr_json(d->prdcrs[p], j, false);
	json_arr_end(j);
	json_obj_end(j);
}

/* LDMS 4.4's layout (ldms-compat/ldmsctl/ctl_updtr_status.txt); JSON as ldmsctl(8) documents. */
int h_updtr_status(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	const char *name = vg_arg_str(args, "name");
	if (name && !find(ctx->d, name))
		return vg_errf(ctx->err, ENOENT, "updater '%s' does not exist", name);
	struct vg_strbuf *out = ctx->reply;
	if (ctx->json) {
		struct json j;
		json_init(&j, out);
		json_obj_begin(&j);
		json_key(&j, "updaters");
		json_arr_begin(&j);
		for (size_t i = 0; i < ctx->d->nupdtrs; i++)
			if (!name || strcmp(name, ctx->d->updtrs[i]->name) == 0)
				updtr_json(ctx->d, ctx->d->updtrs[i], &j);
		json_arr_end(&j);
		json_obj_end(&j);
		vg_strbuf_puts(out, "\n");
		return 0;
	}
	vg_strbuf_printf(out, "%-16s %-12s %-12s %-15s %s\n", "Name", "Interval", "Offset", "Mode",
			 "State");
	vg_strbuf_printf(out, "---------------- ------------ ------------ --------------- "
			      "------------\n");
	for (size_t i = 0; i < ctx->d->nupdtrs; i++) {
		const struct ldmsd_updtr *u = ctx->d->updtrs[i];
		if (name && strcmp(name, u->name) != 0)
			continue;
		vg_strbuf_printf(out, "%-16s %-12" PRIu64 " %-12" PRId64 " %-15s %s\n", u->name,
				 u->interval_us, u->offset_us, mode_name(u),
				 u->running ? "RUNNING" : "STOPPED");
		for (size_t p = 0; p < ctx->d->nprdcrs; p++)
			if (wants_prdcr(u, ctx->d->prdcrs[p])) {
				vg_strbuf_puts(out, "    ");
				prdcr_status_line(ctx->d->prdcrs[p], out, false);
			}
	}
	return 0;
}
