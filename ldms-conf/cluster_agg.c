/*
 * cluster_agg.c - loading the aggregators section: groups, their peers
 * (producers), updaters, producer listeners and subscriptions, and the
 * contiguous split of a group's producers among its aggregators.
 */
#include "config.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ldms-conf/cluster_int.h"

#define DEFAULT_RECONNECT_US 20000000 /* prdcr_add's default */

static const char *const agg_keys[] = {"daemons", "name", "balance", "peers", "prdcr_listen",
				       "subscribe", "advertise", NULL};
static const char *const peer_keys[] = {"daemons", "endpoints", "reconnect", "type", "updaters",
					"perm", "rail", "quota", "rx_rate", "cache_ip", NULL};
static const char *const updtr_keys[] = {"mode", "interval", "offset", "sets", "producers",
					 "perm", NULL};
static const char *const set_keys[] = {"regex", "field", NULL};
static const char *const listen_keys[] = {"name", "regex", "ip", "reconnect", "updaters",
					  "type", "disable_start", "auth", "rail", "quota",
					  "rx_rate", "advertiser_xprt", "advertiser_port", NULL};
static const char *const sub_keys[] = {"stream", "regex", "rx_rate", NULL};

static const char *mode_of(const char *m)
{
	if (!m || strcmp(m, "pull") == 0)
		return "pull";
	if (strcmp(m, "push") == 0)
		return "push";
	if (strcmp(m, "onchange") == 0)
		return "onchange";
	if (strcmp(m, "auto_interval") == 0 || strcmp(m, "auto") == 0)
		return "auto_interval";
	return NULL;
}

static int check_regex(struct cl_ctx *x, const struct ynode *n, const char *path, const char *re)
{
	regex_t r;
	int rc = regcomp(&r, re, REG_EXTENDED | REG_NOSUB);
	if (rc) {
		char why[128];
		regerror(rc, &r, why, sizeof(why));
		return cl_error(x, n, path, "\"%s\" is not a regular expression: %s", re, why);
	}
	regfree(&r);
	return cl_check_token(x, n, path, re);
}

static int load_sets(struct cl_ctx *x, const struct ynode *n, const char *path,
		     struct vg_cluster_updater *u)
{
	int rc = cl_check_seq(x, n, path);
	if (!rc && !(u->sets = calloc(n->n + 1, sizeof(*u->sets))))
		rc = cl_oom(x);
	for (size_t i = 0; !rc && i < n->n; i++) {
		char sub[CL_PATH_MAX];
		cl_sub(sub, "%s[%zu]", path, i);
		const struct ynode *s = n->items[i];
		struct vg_cluster_set_match *m = &u->sets[u->nsets++];
		struct ynode *v;
		rc = cl_check_map(x, s, sub, set_keys);
		if (!rc)
			rc = cl_require(x, s, "regex", sub, "regex: \".*\"", &v);
		if (!rc)
			rc = cl_opt_string(x, s, "regex", sub, &m->regex);
		if (!rc)
			rc = check_regex(x, v, sub, m->regex);
		if (!rc)
			rc = cl_opt_string(x, s, "field", sub, &m->field);
		if (!rc && !m->field && !(m->field = strdup("inst")))
			rc = cl_oom(x);
		char key[CL_PATH_MAX];
		cl_sub(key, "%s.field", sub);
		if (!rc && strcmp(m->field, "inst") && strcmp(m->field, "schema"))
			rc = cl_error(x, ymap_get(s, "field"), key, "\"%s\" is not inst or schema",
				      m->field);
	}
	return rc;
}

/* The updaters of one peers (or prdcr_listen) entry, appended to the group's. */
static int load_updaters(struct cl_ctx *x, struct vg_cluster_group *g, struct cl_group *cg,
			 const struct ynode *n, const char *path, const char *listen_regex,
			 size_t *first, size_t *count)
{
	*first = SIZE_MAX;
	*count = 0;
	if (!n || ynode_is_null(n))
		return 0;
	int rc = cl_check_seq(x, n, path);
	for (size_t i = 0; !rc && i < n->n; i++) {
		char sub[CL_PATH_MAX];
		cl_sub(sub, "%s[%zu]", path, i);
		const struct ynode *un = n->items[i];
		rc = cl_check_map(x, un, sub, updtr_keys);
		if (rc)
			break;
		struct vg_cluster_updater *nu = cl_grow(g->updaters, g->nupdaters, sizeof(*nu));
		struct cl_updtr *ncu = nu ? cl_grow(cg->updtrs, g->nupdaters, sizeof(*ncu)) : NULL;
		if (nu)
			g->updaters = nu;
		if (ncu)
			cg->updtrs = ncu;
		if (!nu || !ncu)
			return cl_oom(x);
		if (*first == SIZE_MAX)
			*first = g->nupdaters;
		struct vg_cluster_updater *u = &g->updaters[g->nupdaters];
		struct cl_updtr *cu = &cg->updtrs[g->nupdaters++];
		(*count)++;
		char name[32];
		snprintf(name, sizeof(name), "updtr_%zu", x->p->nupdtrs++);
		cu->name = strdup(name);
		cu->listen = listen_regex != NULL;
		if (!cu->name || (listen_regex && !(cu->listen_regex = strdup(listen_regex))))
			return cl_oom(x);
		char *mode;
		rc = cl_opt_string(x, un, "mode", sub, &mode);
		if (rc)
			break;
		const char *m = mode_of(mode);
		char key[CL_PATH_MAX];
		cl_sub(key, "%s.mode", sub);
		if (!m)
			rc = cl_error(x, ymap_get(un, "mode"), key,
				      "\"%s\" is not an updater mode (use pull, push, onchange or "
				      "auto_interval)",
				      mode);
		free(mode);
		if (!rc && !(u->mode = strdup(m)))
			rc = cl_oom(x);
		int64_t v;
		struct ynode *iv;
		if (!rc)
			rc = cl_require(x, un, "interval", sub, "interval: 1s", &iv);
		if (!rc)
			rc = cl_opt_duration(x, un, "interval", sub, 0, false, &v, NULL);
		cl_sub(key, "%s.interval", sub);
		if (!rc && v == 0)
			rc = cl_error(x, iv, key, "must be more than 0");
		u->interval_us = (uint64_t)v;
		if (!rc)
			rc = cl_opt_duration(x, un, "offset", sub, 0, true, &u->offset_us, NULL);
		if (!rc)
			rc = cl_opt_string(x, un, "producers", sub, &cu->producers);
		if (!rc && cu->producers)
			rc = check_regex(x, ymap_get(un, "producers"), sub, cu->producers);
		const struct ynode *sets = ymap_get(un, "sets");
		snprintf(sub + strlen(sub), sizeof(sub) - strlen(sub), ".sets");
		if (!rc && sets && !ynode_is_null(sets))
			rc = load_sets(x, sets, sub, u);
	}
	return rc;
}

/* Per daemon index, while an aggregators entry loads: lookups without quadratic scans. */
struct peer_scratch {
	unsigned char *in_group;   /* already a producer of the group */
	unsigned char *in_entry;   /* named by the peers entry being loaded */
	size_t *endpoint;          /* its endpoint listed by that entry, + 1; 0: none */
};

/* Each listed endpoint must be of a daemon of the entry, one per daemon. */
static int map_endpoints(struct cl_ctx *x, const struct ynode *en, const char *epath,
			 const struct vg_names *eps, struct peer_scratch *ps)
{
	for (size_t i = 0; i < eps->n; i++) {
		const struct cl_epref *r = cl_ref_find(x->p->eps, x->p->neps, eps->v[i]);
		if (!r)
			return cl_error(x, en, epath, "\"%s\" is not an endpoint of any daemon",
					eps->v[i]);
		const struct vg_cluster_daemon *d = &x->c->daemons[r->daemon];
		if (!ps->in_entry[r->daemon])
			return cl_error(x, en, epath,
					"\"%s\" is an endpoint of \"%s\", which is not in this entry's "
					"daemons",
					eps->v[i], d->name);
		if (ps->endpoint[r->daemon])
			return cl_error(x, en, epath,
					"lists two endpoints of daemon \"%s\" (%s, %s): list one, as "
					"producers are named after their daemon",
					d->name, d->endpoints[ps->endpoint[r->daemon] - 1].name,
					eps->v[i]);
		ps->endpoint[r->daemon] = r->endpoint + 1;
	}
	return 0;
}

static int load_peer(struct cl_ctx *x, struct vg_cluster_group *g, struct cl_group *cg,
		     const struct ynode *n, const char *path, struct peer_scratch *ps)
{
	struct vg_names dnames = {0}, eps = {0};
	struct ynode *dn;
	char sub[CL_PATH_MAX], *type = NULL;
	size_t nd = x->c->ndaemons;
	memset(ps->in_entry, 0, nd);
	memset(ps->endpoint, 0, nd * sizeof(*ps->endpoint));
	int rc = cl_check_map(x, n, path, peer_keys);
	if (!rc)
		rc = cl_require(x, n, "daemons", path, "daemons: \"sampler-[1-8]\"", &dn);
	cl_sub(sub, "%s.daemons", path);
	if (!rc)
		rc = cl_names(x, dn, sub, &dnames);
	if (!rc)
		rc = cl_check_daemons(x, dn, sub, &dnames);
	for (size_t i = 0; !rc && i < dnames.n; i++)
		ps->in_entry[vg_cluster_daemon_find(x->c, dnames.v[i]) - x->c->daemons] = 1;
	const struct ynode *en = ymap_get(n, "endpoints");
	char epath[CL_PATH_MAX];
	cl_sub(epath, "%s.endpoints", path);
	if (en && ynode_is_null(en))
		en = NULL;
	if (!rc && en)
		rc = cl_names(x, en, epath, &eps);
	if (!rc && en)
		rc = map_endpoints(x, en, epath, &eps, ps);
	int64_t reconnect;
	if (!rc)
		rc = cl_opt_duration(x, n, "reconnect", path, DEFAULT_RECONNECT_US, false, &reconnect,
				     NULL);
	if (!rc)
		rc = cl_opt_string(x, n, "type", path, &type);
	cl_sub(sub, "%s.type", path);
	if (!rc && type && strcmp(type, "active") && strcmp(type, "passive"))
		rc = cl_error(x, ymap_get(n, "type"), sub, "\"%s\" is not active or passive", type);
	size_t ufirst = SIZE_MAX, ucount = 0;
	cl_sub(sub, "%s.updaters", path);
	if (!rc)
		rc = load_updaters(x, g, cg, ymap_get(n, "updaters"), sub, NULL, &ufirst, &ucount);
	for (size_t i = 0; !rc && i < dnames.n; i++) {
		const struct vg_cluster_daemon *d = vg_cluster_daemon_find(x->c, dnames.v[i]);
		size_t di = (size_t)(d - x->c->daemons);
		cl_sub(sub, "%s.daemons", path);
		if (ps->in_group[di]) {
			rc = cl_error(x, dn, sub, "daemon \"%s\" is a peer of this group twice",
				      d->name);
			break;
		}
		ps->in_group[di] = 1;
		if (en && !ps->endpoint[di]) {
			rc = cl_error(x, en, epath,
				      "lists no endpoint of peer daemon \"%s\" (its endpoints: %s%s)",
				      d->name, d->endpoints[0].name, d->nendpoints > 1 ? ", ..." : "");
			break;
		}
		const struct vg_cluster_endpoint *ep = &d->endpoints[en ? ps->endpoint[di] - 1 : 0];
		struct vg_cluster_producer *np = cl_grow(g->producers, g->nproducers, sizeof(*np));
		if (!np) {
			rc = cl_oom(x);
			break;
		}
		g->producers = np;
		struct vg_cluster_producer *p = &np[g->nproducers++];
		p->name = strdup(d->name);
		p->host = strdup(ep->host ? ep->host : d->host);
		p->port = ep->port;
		p->xprt = strdup(ep->xprt);
		p->auth = ep->auth.name ? strdup(ep->auth.name) : NULL;
		p->type = strdup(type ? type : "active");
		p->reconnect_us = (uint64_t)reconnect;
		p->updater = ufirst;
		p->nupdaters = ucount;
		if (!p->name || !p->host || !p->xprt || !p->type || (ep->auth.name && !p->auth))
			rc = cl_oom(x);
	}
	free(type);
	vg_names_free(&dnames);
	vg_names_free(&eps);
	return rc;
}

static int load_listen(struct cl_ctx *x, struct vg_cluster_group *g, struct cl_group *cg,
		       const struct ynode *n, const char *path)
{
	int rc = cl_check_map(x, n, path, listen_keys);
	struct cl_listen *nl = rc ? NULL : cl_grow(cg->listens, cg->nlistens, sizeof(*nl));
	if (rc || !nl)
		return rc ? rc : cl_oom(x);
	cg->listens = nl;
	struct cl_listen *l = &nl[cg->nlistens++];
	struct ynode *v;
	rc = cl_require(x, n, "name", path, "name: l1-listen", &v);
	if (!rc)
		rc = cl_opt_string(x, n, "name", path, &l->name);
	if (!rc)
		rc = cl_check_token(x, v, path, l->name);
	if (!rc)
		rc = cl_opt_string(x, n, "regex", path, &l->regex);
	if (!rc && l->regex)
		rc = check_regex(x, ymap_get(n, "regex"), path, l->regex);
	if (!rc)
		rc = cl_opt_string(x, n, "ip", path, &l->ip);
	if (!rc && l->ip)
		rc = cl_check_token(x, ymap_get(n, "ip"), path, l->ip);
	int64_t reconnect;
	if (!rc)
		rc = cl_opt_duration(x, n, "reconnect", path, 0, false, &reconnect,
				     &l->has_reconnect);
	l->reconnect_us = (uint64_t)reconnect;
	char sub[CL_PATH_MAX];
	cl_sub(sub, "%s.updaters", path);
	size_t first, count;
	if (!rc)
		rc = load_updaters(x, g, cg, ymap_get(n, "updaters"), sub,
				   l->regex ? l->regex : ".*", &first, &count);
	return rc;
}

static int load_subscribe(struct cl_ctx *x, struct cl_group *cg, const struct ynode *n,
			  const char *path)
{
	int rc = cl_check_map(x, n, path, sub_keys);
	struct cl_subscribe *ns = rc ? NULL : cl_grow(cg->subs, cg->nsubs, sizeof(*ns));
	if (rc || !ns)
		return rc ? rc : cl_oom(x);
	cg->subs = ns;
	struct cl_subscribe *s = &ns[cg->nsubs++];
	struct ynode *v;
	rc = cl_require(x, n, "stream", path, "stream: kokkos-perf-data", &v);
	if (!rc)
		rc = cl_opt_string(x, n, "stream", path, &s->stream);
	if (!rc)
		rc = cl_check_token(x, v, path, s->stream);
	if (!rc)
		rc = cl_opt_string(x, n, "regex", path, &s->regex);
	if (!rc && s->regex)
		rc = check_regex(x, ymap_get(n, "regex"), path, s->regex);
	return rc;
}

/* Contiguous blocks, as LDMS splits peers: 8 producers over 3 aggregators are 3, 3, 2. */
static void assign_blocks(struct vg_cluster_group *g)
{
	size_t m = g->naggregators, n = g->nproducers;
	if (!m)
		return;
	size_t q = n / m, r = n % m, p = 0;
	for (size_t a = 0; a < m; a++) {
		size_t size = q + (a < r ? 1 : 0);
		for (size_t k = 0; k < size; k++)
			g->producers[p++].block = a;
	}
}

int cl_load_aggregator(struct cl_ctx *x, const struct ynode *n, const char *path)
{
	int rc = cl_check_map(x, n, path, agg_keys);
	if (rc)
		return rc;
	struct vg_cluster *c = x->c;
	struct vg_cluster_group *ng = cl_grow(c->groups, c->ngroups, sizeof(*ng));
	if (ng)
		c->groups = ng;
	struct cl_group *ncg = ng ? cl_grow(x->p->groups, c->ngroups, sizeof(*ncg)) : NULL;
	if (ncg)
		x->p->groups = ncg;
	if (!ng || !ncg)
		return cl_oom(x);
	struct vg_cluster_group *g = &c->groups[c->ngroups];
	struct cl_group *cg = &x->p->groups[c->ngroups++];
	struct vg_names aggs = {0};
	struct ynode *dn;
	char sub[CL_PATH_MAX];
	rc = cl_require(x, n, "daemons", path, "daemons: \"l1-agg-[1-3]\"", &dn);
	cl_sub(sub, "%s.daemons", path);
	if (!rc)
		rc = cl_names(x, dn, sub, &aggs);
	if (!rc)
		rc = cl_check_daemons(x, dn, sub, &aggs);
	for (size_t i = 0; !rc && i < aggs.n; i++)
		for (size_t k = 0; k < i; k++)
			if (strcmp(aggs.v[i], aggs.v[k]) == 0)
				rc = cl_error(x, dn, sub, "names \"%s\" twice", aggs.v[i]);
	if (!rc) {
		g->aggregators = aggs.v;
		g->naggregators = aggs.n;
		memset(&aggs, 0, sizeof(aggs));
	}
	vg_names_free(&aggs);
	if (!rc)
		rc = cl_opt_string(x, n, "name", path, &g->name);
	if (!rc && !g->name && !(g->name = strdup(path)))
		rc = cl_oom(x);
	if (!rc)
		rc = cl_opt_bool(x, n, "balance", path, false, &g->balanced);
	size_t nd = c->ndaemons + 1;
	struct peer_scratch ps = {calloc(nd, 1), calloc(nd, 1), calloc(nd, sizeof(size_t))};
	if (!rc && (!ps.in_group || !ps.in_entry || !ps.endpoint))
		rc = cl_oom(x);
	static const char *const lists[] = {"peers", "prdcr_listen", "subscribe"};
	for (size_t l = 0; l < VG_ARRAY_LEN(lists) && !rc; l++) {
		const struct ynode *list = ymap_get(n, lists[l]);
		if (!list || ynode_is_null(list))
			continue;
		cl_sub(sub, "%s.%s", path, lists[l]);
		rc = cl_check_seq(x, list, sub);
		for (size_t i = 0; !rc && i < list->n; i++) {
			char item[CL_PATH_MAX];
			cl_sub(item, "%s[%zu]", sub, i);
			if (l == 0)
				rc = load_peer(x, g, cg, list->items[i], item, &ps);
			else if (l == 1)
				rc = load_listen(x, g, cg, list->items[i], item);
			else
				rc = load_subscribe(x, cg, list->items[i], item);
		}
	}
	free(ps.in_group);
	free(ps.in_entry);
	free(ps.endpoint);
	const struct ynode *adv = ymap_get(n, "advertise");
	cl_sub(sub, "%s.advertise", path);
	if (!rc && adv && !ynode_is_null(adv)) {
		struct vg_names names = {.v = g->aggregators, .n = g->naggregators};
		rc = cl_load_advertise(x, adv, sub, &names);
	}
	if (!rc)
		assign_blocks(g);
	return rc;
}

