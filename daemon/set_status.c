/*
 * set_status.c - set_stats and set_info: the sets of this daemon's
 * directory, their sizes, update rates and load.
 *
 * load = data bytes x updates per second (LDMS's set_load) is the weight
 * the balancer moves producers by, so the rate must be right for both kinds
 * of set:
 *   local  - its sampler's schedule (1 / interval while running, else 0);
 *   mirror - measured: (updates - 1) / (last - first update) once it has two
 *            updates; before that, the schedule of the updaters that want it;
 *            else 0.
 * The JSON shapes are documented in ldmsctl(8), JSON OUTPUT.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"
#include "daemon/handlers.h"
#include "daemon/json.h"
#include "daemon/match.h"
#include "daemon/prdcr.h"
#include "daemon/updtr.h"

/* Who keeps a set up to date: its sampler (local) or its producer record (mirror). */
struct set_keeper {
	const struct vg_set *set;
	const struct vg_plugin *plugin;
	const struct prdcr_set *ps;
};

struct keepers {
	struct set_keeper *items;
	size_t n, cap;
};

struct set_row {
	struct vg_set *set;
	const struct vg_plugin *plugin;
	const struct prdcr_set *ps;
	size_t meta_bytes, data_bytes;
	double rate; /* updates per second */
	const char *rate_source;
};

static int keeper_add(struct keepers *k, const struct vg_set *set, const struct vg_plugin *p,
		      const struct prdcr_set *ps)
{
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 64;
		struct set_keeper *ni = realloc(k->items, cap * sizeof(*ni));
		if (!ni)
			return -ENOMEM;
		k->items = ni;
		k->cap = cap;
	}
	k->items[k->n++] = (struct set_keeper){set, p, ps};
	return 0;
}

static int keeper_cmp(const void *a, const void *b)
{
	const struct set_keeper *x = a, *y = b;
	return (x->set > y->set) - (x->set < y->set);
}

/* Every sampler's and producer's sets, sorted by set, so that each directory entry is a bsearch. */
static int keepers_build(struct ldmsd *d, struct keepers *k)
{
	memset(k, 0, sizeof(*k));
	for (size_t i = 0; i < d->nplugins; i++) {
		const struct vg_plugin *p = d->plugins[i];
		for (size_t s = 0; s < p->nsets; s++)
			if (keeper_add(k, p->sets[s], p, NULL))
				return -ENOMEM;
	}
	for (size_t i = 0; i < d->nprdcrs; i++) {
		const struct ldmsd_prdcr *p = d->prdcrs[i];
		for (uint32_t s = 0; s < p->nslots; s++)
			if (p->sets[s] && p->sets[s]->mirror &&
			    keeper_add(k, p->sets[s]->mirror, NULL, p->sets[s]))
				return -ENOMEM;
	}
	if (k->n)
		qsort(k->items, k->n, sizeof(*k->items), keeper_cmp);
	return 0;
}

static const struct set_keeper *keeper_find(const struct keepers *k, const struct vg_set *set)
{
	struct set_keeper key = {set, NULL, NULL};
	return k->n ? bsearch(&key, k->items, k->n, sizeof(*k->items), keeper_cmp) : NULL;
}

static void row_fill(struct ldmsd *d, const struct keepers *k, struct vg_set *set,
		     struct set_row *r)
{
	const struct set_keeper *kp = keeper_find(k, set);
	memset(r, 0, sizeof(*r));
	r->set = set;
	r->plugin = kp ? kp->plugin : NULL;
	r->ps = kp ? kp->ps : NULL;
	r->meta_bytes = vg_set_meta_size(set);
	r->data_bytes = vg_set_data_size(set);
	r->rate_source = "none";
	const struct prdcr_set *ps = r->ps;
	if (r->plugin) {
		if (r->plugin->state == VG_PLUGIN_RUNNING && r->plugin->interval_us) {
			r->rate = 1e6 / (double)r->plugin->interval_us;
			r->rate_source = "schedule";
		}
	} else if (ps) {
		uint64_t iv;
		if (ps->updates >= 2 && ps->last_update_us > ps->first_update_us) {
			r->rate = (double)(ps->updates - 1) * 1e6 /
				  (double)(ps->last_update_us - ps->first_update_us);
			r->rate_source = "measured";
		} else if ((iv = updtr_interval_for(d, ps)) != 0) {
			r->rate = 1e6 / (double)iv;
			r->rate_source = "updater";
		}
	}
}

static double row_load(const struct set_row *r)
{
	return (double)r->data_bytes * r->rate;
}

static const struct {
	uint32_t bit;
	const char *word;
} flag_words[] = {
	{VG_SET_F_LOCAL, "local"},
	{VG_SET_F_MIRROR, "mirror"},
	{VG_SET_F_STALE, "stale"},
};

static void flags_text(uint32_t f, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < VG_ARRAY_LEN(flag_words); i++)
		if ((f & flag_words[i].bit) && used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "," : "",
						 flag_words[i].word);
	if (!buf[0])
		vg_strlcpy(buf, "-", len);
}

static void flags_json(struct json *j, uint32_t f)
{
	json_key(j, "flags");
	json_arr_begin(j);
	for (size_t i = 0; i < VG_ARRAY_LEN(flag_words); i++)
		if (f & flag_words[i].bit)
			json_str(j, flag_words[i].word);
	json_arr_end(j);
}

/* ------------------------------------------------------------------ set_stats */

struct stats_walk {
	struct ldmsd *d;
	const struct keepers *keepers;
	regex_t *re;
	struct vg_strbuf *out;
	struct json *j; /* NULL: the text table */
	size_t count, meta_bytes, data_bytes;
	double rate, load;
};

#define STATS_ROW "%-32s %-16s %-12s %10s %10s %10s %14s\n"
#define STATS_NUM "%-32s %-16s %-12s %10zu %10zu %10.2f %14.1f\n"

static int stats_one(struct vg_set *set, void *arg)
{
	struct stats_walk *w = arg;
	if (w->re && regexec(w->re, vg_set_instance(set), 0, NULL, 0) != 0)
		return 0;
	struct set_row r;
	row_fill(w->d, w->keepers, set, &r);
	w->count++;
	w->meta_bytes += r.meta_bytes;
	w->data_bytes += r.data_bytes;
	w->rate += r.rate;
	w->load += row_load(&r);
	uint32_t f = vg_set_flags(set);
	if (!w->j) {
		char flags[32];
		flags_text(f, flags, sizeof(flags));
		vg_strbuf_printf(w->out, STATS_NUM, vg_set_instance(set), vg_set_schema_name(set),
				 flags, r.meta_bytes, r.data_bytes, r.rate, row_load(&r));
		return 0;
	}
	struct json *j = w->j;
	json_obj_begin(j);
	json_key_str(j, "instance", vg_set_instance(set));
	json_key_str(j, "schema", vg_set_schema_name(set));
	json_key_str(j, "producer", vg_set_producer(set));
	flags_json(j, f);
	json_key_str(j, "plugin", r.plugin ? r.plugin->name : NULL);
	json_key_str(j, "prdcr", r.ps ? r.ps->prdcr->name : NULL);
	json_key_u64(j, "meta_bytes", r.meta_bytes);
	json_key_u64(j, "data_bytes", r.data_bytes);
	json_key_dbl(j, "update_rate", r.rate);
	json_key_str(j, "rate_source", r.rate_source);
	json_key_dbl(j, "load", row_load(&r));
	json_obj_end(j);
	return 0;
}

int h_set_stats(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	struct ldmsd *d = ctx->d;
	const char *pattern = vg_arg_str(args, "name");
	regex_t re;
	if (pattern && match_compile(&re, pattern, ctx->err)) {
		vg_err_prefix(ctx->err, "set_stats");
		return -EINVAL;
	}
	struct keepers k;
	if (keepers_build(d, &k)) {
		free(k.items);
		if (pattern)
			regfree(&re);
		return vg_errf(ctx->err, ENOMEM, "set_stats: out of memory");
	}
	struct json j;
	struct stats_walk w = {d, &k, pattern ? &re : NULL, ctx->reply, NULL, 0, 0, 0, 0, 0};
	if (ctx->json) {
		w.j = &j;
		json_init(&j, ctx->reply);
		json_obj_begin(&j);
		json_key(&j, "sets");
		json_arr_begin(&j);
	} else {
		vg_strbuf_printf(ctx->reply, STATS_ROW, "Instance", "Schema", "Flags", "Meta(B)",
				 "Data(B)", "Updates/s", "Load(B/s)");
		vg_strbuf_printf(ctx->reply, STATS_ROW, "--------------------------------",
				 "----------------", "------------", "----------", "----------",
				 "----------", "--------------");
	}
	if (d->dir)
		vg_setdir_foreach(d->dir, stats_one, &w);
	if (ctx->json) {
		json_arr_end(&j);
		json_key(&j, "total");
		json_obj_begin(&j);
		json_key_u64(&j, "sets", w.count);
		json_key_u64(&j, "meta_bytes", w.meta_bytes);
		json_key_u64(&j, "data_bytes", w.data_bytes);
		json_key_dbl(&j, "update_rate", w.rate);
		json_key_dbl(&j, "load", w.load);
		json_obj_end(&j);
		json_obj_end(&j);
		vg_strbuf_puts(ctx->reply, "\n");
	} else {
		char total[48];
		snprintf(total, sizeof(total), "Total: %zu set%s", w.count, w.count == 1 ? "" : "s");
		vg_strbuf_printf(ctx->reply, STATS_NUM, total, "", "", w.meta_bytes, w.data_bytes,
				 w.rate, w.load);
	}
	free(k.items);
	if (pattern)
		regfree(&re);
	return 0;
}

/* ------------------------------------------------------------------ set_info */

static void set_info_json(const struct set_row *r, struct vg_strbuf *out)
{
	const struct vg_set *s = r->set;
	struct vg_timestamp ts = vg_set_timestamp(s), dur = vg_set_duration(s);
	char octal[16];
	snprintf(octal, sizeof(octal), "%04o", (unsigned)vg_set_perm(s));
	struct json j;
	json_init(&j, out);
	json_obj_begin(&j);
	json_key_str(&j, "instance", vg_set_instance(s));
	json_key_str(&j, "producer", vg_set_producer(s));
	json_key_str(&j, "schema", vg_set_schema_name(s));
	json_key_u64(&j, "uid", vg_set_uid(s));
	json_key_u64(&j, "gid", vg_set_gid(s));
	json_key_u64(&j, "perm", vg_set_perm(s));
	json_key_str(&j, "perm_octal", octal);
	flags_json(&j, vg_set_flags(s));
	json_key_i64(&j, "card", vg_set_card(s));
	json_key_u64(&j, "meta_bytes", r->meta_bytes);
	json_key_u64(&j, "data_bytes", r->data_bytes);
	json_key_u64(&j, "meta_gn", vg_set_meta_gn(s));
	json_key_u64(&j, "data_gn", vg_set_data_gn(s));
	json_key_bool(&j, "consistent", vg_set_is_consistent(s));
	json_key_u64(&j, "timestamp_us", (uint64_t)ts.sec * 1000000u + ts.usec);
	json_key_u64(&j, "duration_us", (uint64_t)dur.sec * 1000000u + dur.usec);
	json_key_dbl(&j, "update_rate", r->rate);
	json_key_str(&j, "rate_source", r->rate_source);
	json_key_dbl(&j, "load", row_load(r));
	json_key_str(&j, "plugin", r->plugin ? r->plugin->name : NULL);
	json_key(&j, "prdcr");
	if (r->ps) {
		const struct prdcr_set *ps = r->ps;
		json_obj_begin(&j);
		json_key_str(&j, "name", ps->prdcr->name);
		json_key_str(&j, "state", prdcr_state_name(ps->prdcr->state));
		json_key_str(&j, "set_state", pset_state_name(ps));
		json_key_u64(&j, "updates", ps->updates);
		json_key_u64(&j, "reads", ps->reads);
		json_key_u64(&j, "skipped", ps->skipped);
		json_key_u64(&j, "torn", ps->torn);
		json_key_u64(&j, "first_update_us", ps->first_update_us);
		json_key_u64(&j, "last_update_us", ps->last_update_us);
		json_obj_end(&j);
	} else {
		json_null(&j);
	}
	json_key(&j, "info");
	json_obj_begin(&j);
	const char *key, *value;
	for (size_t i = 0; vg_set_info_at(s, i, &key, &value); i++)
		json_key_str(&j, key, value);
	json_obj_end(&j);
	json_obj_end(&j);
	vg_strbuf_puts(out, "\n");
}

static void set_info_text(const struct set_row *r, struct vg_strbuf *out)
{
	const struct vg_set *s = r->set;
	struct vg_timestamp ts = vg_set_timestamp(s), dur = vg_set_duration(s);
	char flags[32], perm[12];
	flags_text(vg_set_flags(s), flags, sizeof(flags));
	vg_strbuf_printf(out, "Instance:     %s\n", vg_set_instance(s));
	vg_strbuf_printf(out, "Producer:     %s\n", vg_set_producer(s));
	vg_strbuf_printf(out, "Schema:       %s\n", vg_set_schema_name(s));
	vg_strbuf_printf(out, "Owner:        uid %" PRIu32 " gid %" PRIu32 " perm %04o (%s)\n",
			 vg_set_uid(s), vg_set_gid(s), (unsigned)vg_set_perm(s),
			 vg_format_perm(vg_set_perm(s), perm));
	vg_strbuf_printf(out, "Flags:        %s\n", flags);
	if (r->plugin)
		vg_strbuf_printf(out, "Sampler:      %s (%s)\n", r->plugin->name,
				 r->plugin->state == VG_PLUGIN_RUNNING ? "running" : "not running");
	if (r->ps)
		vg_strbuf_printf(out, "Producer obj: %s (%s), set %s: %" PRIu64 " updates, %" PRIu64
				 " reads, %" PRIu64 " skipped, %" PRIu64 " torn\n",
				 r->ps->prdcr->name, prdcr_state_name(r->ps->prdcr->state),
				 pset_state_name(r->ps), r->ps->updates, r->ps->reads,
				 r->ps->skipped, r->ps->torn);
	vg_strbuf_printf(out, "Metrics:      %d\n", vg_set_card(s));
	vg_strbuf_printf(out, "Meta:         %zu B, generation %" PRIu64 "\n", r->meta_bytes,
			 vg_set_meta_gn(s));
	vg_strbuf_printf(out, "Data:         %zu B, generation %" PRIu64 ", %s\n", r->data_bytes,
			 vg_set_data_gn(s), vg_set_is_consistent(s) ? "consistent" : "inconsistent");
	vg_strbuf_printf(out, "Timestamp:    %" PRIu32 ".%06" PRIu32 "\n", ts.sec, ts.usec);
	vg_strbuf_printf(out, "Duration:     %" PRIu32 ".%06" PRIu32 "\n", dur.sec, dur.usec);
	vg_strbuf_printf(out, "Update rate:  %.2f/s (%s)\n", r->rate, r->rate_source);
	vg_strbuf_printf(out, "Load:         %.1f B/s\n", row_load(r));
	const char *key, *value;
	for (size_t i = 0; vg_set_info_at(s, i, &key, &value); i++)
		vg_strbuf_printf(out, "Info:         %s=%s\n", key, value);
}

int h_set_info(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	struct ldmsd *d = ctx->d;
	const char *name = vg_arg_str(args, "name");
	struct vg_set *set = d->dir ? vg_setdir_find(d->dir, name) : NULL;
	if (!set)
		return vg_errf(ctx->err, ENOENT,
			       "set '%s' is not in this daemon's directory (set_stats lists them)",
			       name);
	struct keepers k;
	if (keepers_build(d, &k)) {
		free(k.items);
		return vg_errf(ctx->err, ENOMEM, "set_info %s: out of memory", name);
	}
	struct set_row r;
	row_fill(d, &k, set, &r);
	free(k.items);
	if (ctx->json)
		set_info_json(&r, ctx->reply);
	else
		set_info_text(&r, ctx->reply);
	return 0;
}
