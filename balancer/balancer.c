/*
 * balancer.c - the balancer's decisions: who is alive, who updates what.
 *
 * Every tick (a fraction of the heartbeat) for each balanced group:
 *  1. take each aggregator's latest poll (agg_link) into the group's view;
 *  2. judge each aggregator: dead when its connection broke or it missed
 *     `misses` heartbeats; stuck when it answers but none of the producers
 *     it updates has advanced for `stuck` (a gray failure: alive to a ping,
 *     useless to its upper tier); alive otherwise;
 *  3. producers of a dead or stuck aggregator go to the least loaded live
 *     ones, heaviest first; no other producer moves;
 *  4. when an aggregator comes back, or every 10 s, producers move back
 *     only if the heaviest aggregator exceeds threshold x the lower bound;
 *  5. reconcile: an aggregator that should update a producer but has it on
 *     standby is told prdcr_activate; one that has it active but should
 *     not is told prdcr_standby once the right one reports it active (so a
 *     move never leaves a gap).  Every command's reply is checked; the next
 *     poll shows whether it took, and a command that did not is sent again
 *     after a second.
 * A move is a mode switch on aggregators that are already connected to the
 * producer with its sets looked up (hot standby, prdcr_activate): the new
 * aggregator's first update is immediate.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balancer/bal_etcd.h"
#include "balancer/balancer.h"
#include "core/log.h"

#define REBALANCE_EVERY_US (10u * 1000000u)
#define CMD_RETRY_US 1000000u

const char *bal_health_name(enum agg_health h)
{
	switch (h) {
	case AGG_UNKNOWN: return "unknown";
	case AGG_ALIVE: return "alive";
	case AGG_STUCK: return "stuck";
	case AGG_DEAD: return "dead";
	}
	return "?";
}

/* ------------------------------------------------------------------ names */

static const struct vg_cluster_group *sort_group; /* for qsort's comparator only */

static int cmp_index_by_name(const void *a, const void *b)
{
	const size_t *x = a, *y = b;
	return strcmp(sort_group->producers[*x].name, sort_group->producers[*y].name);
}

long bal_prod_index(const struct bal_group *g, const char *name)
{
	size_t lo = 0, hi = g->nprods;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, g->g->producers[g->sorted_index[mid]].name);
		if (!c)
			return (long)g->sorted_index[mid];
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

size_t bal_agg_index_by_name(const struct bal_group *g, const char *name)
{
	for (size_t a = 0; a < g->naggs; a++)
		if (strcmp(g->aggs[a].link.name, name) == 0)
			return a;
	return SIZE_MAX;
}

/* ------------------------------------------------------------------ setup */

static int link_init(struct balancer *b, struct bal_agg *agg, const char *name,
		     struct vg_err *err)
{
	const struct vg_cluster_daemon *d = vg_cluster_daemon_find(b->cluster, name);
	const struct vg_cluster_endpoint *ep = d ? vg_cluster_control_endpoint(d) : NULL;
	if (!ep)
		return vg_errf(err, ENOENT,
			       "%s: aggregator %s has no endpoint to send commands to (give one "
			       "endpoint maestro_comm: true)",
			       b->cluster->path, name);
	struct agg_link *l = &agg->link;
	vg_strlcpy(l->name, name, sizeof(l->name));
	vg_strlcpy(l->host, d->host, sizeof(l->host));
	vg_strlcpy(l->xprt, ep->xprt ? ep->xprt : "sock", sizeof(l->xprt));
	l->port = ep->port;
	l->heartbeat_ms = (unsigned)(b->heartbeat_us / 1000u);
	const struct vg_cluster_balancer *cb = &b->cluster->balancer;
	if (cb->auth_plugin) {
		l->auth.plugin = cb->auth_plugin;
		for (size_t i = 0; i < cb->nauth_conf && i < VG_ARRAY_LEN(l->auth.kv); i++)
			l->auth.kv[l->auth.n++] = (struct vg_kv){cb->auth_conf[i].key,
								 cb->auth_conf[i].value};
	} else if (ep->auth.plugin) {
		l->auth.plugin = ep->auth.plugin;
		for (size_t i = 0; i < ep->auth.nconf && i < VG_ARRAY_LEN(l->auth.kv); i++)
			l->auth.kv[l->auth.n++] = (struct vg_kv){ep->auth.conf[i].key,
								 ep->auth.conf[i].value};
	}
	return 0;
}

static int group_init(struct balancer *b, struct bal_group *g, const struct vg_cluster_group *cg,
		      struct vg_err *err)
{
	g->g = cg;
	g->naggs = cg->naggregators;
	g->nprods = cg->nproducers;
	g->aggs = calloc(g->naggs ? g->naggs : 1, sizeof(*g->aggs));
	g->items = calloc(g->nprods ? g->nprods : 1, sizeof(*g->items));
	g->bins = calloc(g->naggs ? g->naggs : 1, sizeof(*g->bins));
	g->obs = calloc(g->naggs * g->nprods + 1, sizeof(*g->obs));
	g->sorted_index = calloc(g->nprods + 1, sizeof(*g->sorted_index));
	if (!g->aggs || !g->items || !g->bins || !g->obs || !g->sorted_index)
		return vg_errf(err, ENOMEM, "out of memory");
	for (size_t p = 0; p < g->nprods; p++) {
		g->sorted_index[p] = p;
		g->items[p].agg = -1;
	}
	sort_group = cg;
	qsort(g->sorted_index, g->nprods, sizeof(*g->sorted_index), cmp_index_by_name);
	for (size_t a = 0; a < g->naggs; a++) {
		int rc = link_init(b, &g->aggs[a], cg->aggregators[a], err);
		if (rc)
			return rc;
	}
	return 0;
}

int bal_init(struct balancer *b, struct vg_cluster *c, struct vg_err *err)
{
	b->cluster = c;
	b->start_us = link_now_us();
	size_t n = 0;
	for (size_t i = 0; i < c->ngroups; i++)
		n += c->groups[i].balanced;
	if (!n)
		return vg_errf(err, EINVAL,
			       "%s: no aggregator group to balance (give an aggregators entry "
			       "`balance: true`)",
			       c->path);
	b->groups = calloc(n, sizeof(*b->groups));
	if (!b->groups)
		return vg_errf(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < c->ngroups; i++) {
		if (!c->groups[i].balanced)
			continue;
		int rc = group_init(b, &b->groups[b->ngroups++], &c->groups[i], err);
		if (rc)
			return rc;
	}
	int rc = bal_state_load(b, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < b->ngroups; i++)
		for (size_t a = 0; a < b->groups[i].naggs; a++) {
			rc = link_start(&b->groups[i].aggs[a].link);
			if (rc)
				return vg_errf(err, -rc, "cannot start a thread: %s", strerror(-rc));
		}
	return 0;
}

void bal_fini(struct balancer *b)
{
	for (size_t i = 0; i < b->ngroups; i++) {
		struct bal_group *g = &b->groups[i];
		for (size_t a = 0; a < g->naggs; a++)
			if (g->aggs[a].link.thread)
				link_stop(&g->aggs[a].link);
		free(g->aggs);
		free(g->items);
		free(g->bins);
		free(g->obs);
		free(g->sorted_index);
	}
	free(b->groups);
	b->groups = NULL;
}

/* ------------------------------------------------------------------ observe */

static struct bal_obs *obs_at(struct bal_group *g, size_t a, size_t p)
{
	return &g->obs[a * g->nprods + p];
}

static void set_health(struct bal_group *g, size_t a, enum agg_health h, const char *why,
		       uint64_t now)
{
	struct bal_agg *agg = &g->aggs[a];
	if (agg->health == h)
		return;
	enum vg_log_level lvl = h == AGG_ALIVE ? VG_LOG_INFO : VG_LOG_WARNING;
	vg_log(lvl, "balancer", "aggregator %s is %s (%s)", agg->link.name, bal_health_name(h),
	       why);
	bool was_up = agg->health == AGG_ALIVE;
	agg->health = h;
	agg->why = why;
	agg->since_us = now;
	if (was_up != (h == AGG_ALIVE))
		g->membership_changed = true;
}

/* Take the link's latest poll; judge the aggregator. */
static void observe(struct balancer *b, struct bal_group *g, size_t a, uint64_t now)
{
	struct bal_agg *agg = &g->aggs[a];
	struct agg_link *l = &agg->link;
	pthread_mutex_lock(&l->lock);
	bool dropped = l->dropped;
	uint64_t last_ok = l->last_ok_us;
	if (l->snapshot_seq != agg->seen_seq) {
		agg->seen_seq = l->snapshot_seq;
		for (size_t p = 0; p < g->nprods; p++)
			obs_at(g, a, p)->known = false;
		for (size_t i = 0; i < l->nprdcrs; i++) {
			const struct link_prdcr *r = &l->prdcrs[i];
			long p = bal_prod_index(g, r->name);
			if (p < 0)
				continue; /* not a producer of this group: none of our business */
			struct bal_obs *o = obs_at(g, a, (size_t)p);
			o->known = true;
			o->connected = r->connected;
			o->active = !r->standby;
			o->load = r->load;
			o->age_ms = r->age_ms;
			o->interval_ms = r->interval_ms;
		}
	}
	pthread_mutex_unlock(&l->lock);

	uint64_t deadline = b->heartbeat_us * (b->misses + 1u);
	agg->updating = agg->stalled = false;
	if (!last_ok) {
		/* never answered: dead once the others had time to be seen */
		if (now - b->start_us > deadline)
			set_health(g, a, AGG_DEAD, "never answered", now);
		return;
	}
	if (dropped) {
		set_health(g, a, AGG_DEAD, "control connection lost", now);
		return;
	}
	if (now - last_ok > deadline) {
		set_health(g, a, AGG_DEAD, "missed heartbeats", now);
		return;
	}
	/* stuck or not is judged against the others (judge_stuck) */
	bool any = false;
	for (size_t p = 0; p < g->nprods; p++) {
		const struct bal_obs *o = obs_at(g, a, p);
		if (!o->known || !o->active || !o->connected || o->age_ms < 0)
			continue;
		any = true;
		/* a producer sampled every minute is not late after `stuck` seconds */
		uint64_t late_us = 2 * o->interval_ms * 1000u + b->heartbeat_us;
		if (late_us < b->stuck_us)
			late_us = b->stuck_us;
		if ((uint64_t)o->age_ms * 1000u < late_us)
			agg->updating = true;
	}
	agg->stalled = any && !agg->updating;
	if (agg->health != AGG_STUCK)
		set_health(g, a, AGG_ALIVE, "answering", now);
}

/*
 * Stuck: it answers, yet none of the producers it updates advances while
 * another aggregator's do (if none advance anywhere, the samplers are the
 * ones in trouble: moving producers would not help).  A stuck one stays so
 * for 10 x `stuck` after its producers left (it cannot show it recovered
 * without any), so that work does not flap back and forth.
 */
static void judge_stuck(struct balancer *b, struct bal_group *g, uint64_t now)
{
	bool others_updating = false;
	for (size_t a = 0; a < g->naggs; a++)
		others_updating |= g->aggs[a].health == AGG_ALIVE && g->aggs[a].updating;
	for (size_t a = 0; a < g->naggs; a++) {
		struct bal_agg *agg = &g->aggs[a];
		if (agg->health == AGG_ALIVE && agg->stalled && others_updating) {
			if (!agg->stalled_since_us)
				agg->stalled_since_us = now;
			if (now - agg->stalled_since_us >= b->stuck_us)
				set_health(g, a, AGG_STUCK,
					   "answers, but its producers' sets stopped advancing", now);
			continue;
		}
		if (!agg->stalled)
			agg->stalled_since_us = 0;
		if (agg->health == AGG_STUCK &&
		    (agg->updating || now - agg->since_us >= 10 * b->stuck_us)) {
			agg->stalled_since_us = 0;
			set_health(g, a, AGG_ALIVE, "answering and advancing again", now);
		}
	}
}

/* ------------------------------------------------------------------ decide */

static void update_weights(struct bal_group *g)
{
	for (size_t p = 0; p < g->nprods; p++) {
		double w = 0;
		for (size_t a = 0; a < g->naggs; a++) {
			const struct bal_obs *o = obs_at(g, a, p);
			if (o->known && o->load > w)
				w = o->load;
		}
		if (w > 0)
			g->items[p].weight = w;
	}
	for (size_t a = 0; a < g->naggs; a++)
		g->bins[a].alive = g->aggs[a].health == AGG_ALIVE;
}

static void log_moves(struct bal_group *g, const int *before, const char *why)
{
	for (size_t p = 0; p < g->nprods; p++) {
		int to = g->items[p].agg;
		if (to == before[p] || to < 0)
			continue;
		g->moves++;
		vg_log(VG_LOG_INFO, "balancer", "producer %s: %s -> %s (%s)", g->g->producers[p].name,
		       before[p] >= 0 ? g->aggs[before[p]].link.name : "-", g->aggs[to].link.name,
		       why);
	}
}

/* The first decision: where producers are now, improved; LPT if that is clearly better. */
static void initial_assignment(struct bal_group *g)
{
	for (size_t p = 0; p < g->nprods; p++) {
		g->items[p].agg = -1;
		for (size_t a = 0; a < g->naggs && g->items[p].agg < 0; a++) {
			const struct bal_obs *o = obs_at(g, a, p);
			if (g->bins[a].alive && o->known && o->active)
				g->items[p].agg = (int)a;
		}
	}
	bal_place_orphans(g->items, g->nprods, g->bins, g->naggs);
	bal_rebalance(g->items, g->nprods, g->bins, g->naggs, 1.0, 4 * g->nprods);
	double kept = bal_max_load(g->bins, g->naggs);
	struct bal_item *lpt = malloc((g->nprods ? g->nprods : 1) * sizeof(*lpt));
	struct bal_bin *bins = malloc((g->naggs ? g->naggs : 1) * sizeof(*bins));
	if (lpt && bins) {
		memcpy(lpt, g->items, g->nprods * sizeof(*lpt));
		memcpy(bins, g->bins, g->naggs * sizeof(*bins));
		bal_assign_all(lpt, g->nprods, bins, g->naggs);
		if (bal_max_load(bins, g->naggs) < 0.97 * kept) {
			memcpy(g->items, lpt, g->nprods * sizeof(*lpt));
			memcpy(g->bins, bins, g->naggs * sizeof(*bins));
		}
	}
	free(lpt);
	free(bins);
	g->assigned = true;
}

static bool judged(const struct bal_group *g)
{
	for (size_t a = 0; a < g->naggs; a++)
		if (g->aggs[a].health == AGG_UNKNOWN)
			return false;
	return true;
}

static bool ready_to_assign(const struct bal_group *g)
{
	for (size_t a = 0; a < g->naggs; a++)
		if (g->aggs[a].health == AGG_ALIVE)
			return true;
	return false;
}

/*
 * A producer its aggregator cannot reach (a cut link, a producer stopped
 * there) while another live aggregator can: move it to the least loaded of
 * those.  Producers just placed go there at once; others after twice their
 * reconnect interval, so that the aggregators reconnecting at different
 * moments after a sampler restart do not make it move.
 */
static const char *follow_reachability(struct balancer *b, struct bal_group *g, uint64_t now,
				       const int *before)
{
	const char *why = NULL;
	for (size_t p = 0; p < g->nprods; p++) {
		int a = g->items[p].agg;
		if (a < 0)
			continue;
		struct bal_obs *o = obs_at(g, (size_t)a, p);
		if (!o->known || o->connected) {
			o->unreachable_us = 0;
			continue;
		}
		if (!o->unreachable_us)
			o->unreachable_us = now;
		uint64_t grace = 2 * g->g->producers[p].reconnect_us + b->heartbeat_us;
		if (a == before[p] && now - o->unreachable_us < grace)
			continue;
		int best = -1;
		for (size_t c = 0; c < g->naggs; c++) {
			const struct bal_obs *oc = obs_at(g, c, p);
			if ((int)c != a && g->bins[c].alive && oc->known && oc->connected &&
			    (best < 0 || g->bins[c].load < g->bins[best].load))
				best = (int)c;
		}
		if (best < 0)
			continue; /* nobody reaches it: where it is is as good as anywhere */
		g->bins[a].load -= g->items[p].weight;
		g->bins[best].load += g->items[p].weight;
		g->items[p].agg = best;
		o->unreachable_us = 0;
		why = "its aggregator cannot reach it";
	}
	return why;
}

static bool decide(struct balancer *b, struct bal_group *g, uint64_t now)
{
	int *before = malloc((g->nprods ? g->nprods : 1) * sizeof(*before));
	if (!before)
		return false;
	for (size_t p = 0; p < g->nprods; p++)
		before[p] = g->items[p].agg;
	const char *why = NULL;
	if (!g->assigned) {
		if (ready_to_assign(g)) {
			initial_assignment(g);
			why = "initial assignment";
		}
	} else if (bal_place_orphans(g->items, g->nprods, g->bins, g->naggs) > 0) {
		why = "its aggregator failed";
	} else if (g->membership_changed || now - g->last_rebalance_us > REBALANCE_EVERY_US) {
		g->last_rebalance_us = now;
		if (bal_rebalance(g->items, g->nprods, g->bins, g->naggs, b->threshold,
				  g->nprods) > 0)
			why = "rebalance";
	}
	g->membership_changed = false;
	if (g->assigned) {
		bal_loads(g->items, g->nprods, g->bins, g->naggs);
		const char *moved = follow_reachability(b, g, now, before);
		why = why ? why : moved;
	}
	bool changed = false;
	for (size_t p = 0; p < g->nprods; p++)
		changed |= g->items[p].agg != before[p];
	if (changed)
		log_moves(g, before, why ? why : "assignment");
	free(before);
	bal_loads(g->items, g->nprods, g->bins, g->naggs);
	return changed;
}

/* ------------------------------------------------------------------ act */

static void command(struct bal_group *g, size_t a, size_t p, const char *verb, uint64_t now)
{
	struct bal_obs *o = obs_at(g, a, p);
	if (o->cmd_us && now - o->cmd_us < CMD_RETRY_US)
		return; /* sent recently: the next poll will tell whether it took */
	char line[2 * LINK_NAME_MAX];
	snprintf(line, sizeof(line), "%s name=%s", verb, g->g->producers[p].name);
	if (link_send(&g->aggs[a].link, line))
		o->cmd_us = now;
}

static void reconcile(struct bal_group *g, uint64_t now)
{
	for (size_t p = 0; p < g->nprods; p++) {
		int want = g->items[p].agg;
		bool want_active = false;
		if (want >= 0) {
			struct bal_obs *o = obs_at(g, (size_t)want, p);
			want_active = o->known && o->active;
			if (o->known && !o->active)
				command(g, (size_t)want, p, "prdcr_activate", now);
			else if (want_active)
				o->cmd_us = 0;
		}
		for (size_t a = 0; a < g->naggs; a++) {
			if ((int)a == want || g->aggs[a].health == AGG_DEAD)
				continue;
			struct bal_obs *o = obs_at(g, a, p);
			if (!o->known || !o->active) {
				if (o->known)
					o->cmd_us = 0;
				continue;
			}
			/* a stuck one is switched off at once: it serves nobody anyway */
			if (want_active || g->aggs[a].health == AGG_STUCK)
				command(g, a, p, "prdcr_standby", now);
		}
	}
}

void bal_tick(struct balancer *b)
{
	uint64_t now = link_now_us();
	bool changed = false;
	for (size_t i = 0; i < b->ngroups; i++) {
		struct bal_group *g = &b->groups[i];
		for (size_t a = 0; a < g->naggs; a++)
			observe(b, g, a, now);
		judge_stuck(b, g, now);
		update_weights(g);
		/* decide nothing before every aggregator was seen or given up on (restart: no moves) */
		if (!b->leader || !judged(g))
			continue;
		if (b->etcd_state && !bal_etcd_holding(b))
			continue;
		changed |= decide(b, g, now);
		if (g->assigned)
			reconcile(g, now);
	}
	b->dirty |= changed;
	if (!b->dirty || !b->leader)
		return;
	struct vg_err err;
	vg_err_clear(&err);
	if (bal_state_save(b, &err)) /* kept dirty: tried again at the next tick */
		vg_log(VG_LOG_ERROR, "balancer", "%s", err.msg);
	else
		b->dirty = false;
}
