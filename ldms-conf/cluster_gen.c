/*
 * cluster_gen.c - one daemon's ldmsd config from the cluster, and the
 * summary `ldms-conf check` prints.
 *
 * Order of the lines: environment, daemon options, auth domains, listeners,
 * samplers, advertisers, producers, producer listeners, updaters,
 * subscriptions, stores.  Every duration is written in microseconds.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ldms-conf/cluster_int.h"

struct gen {
	const struct vg_cluster *c;
	const struct cluster_priv *p;
	const struct vg_cluster_daemon *d;
	struct vg_strbuf *out;
	struct vg_err *err;
	struct vg_names seen;   /* auth domains added, plugin instances loaded */
};

static bool in_names(const struct vg_names *names, const char *s)
{
	for (size_t i = 0; i < names->n; i++)
		if (strcmp(names->v[i], s) == 0)
			return true;
	return false;
}

static bool in_array(char *const *v, size_t n, const char *s, size_t *index)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(v[i], s) == 0) {
			if (index)
				*index = i;
			return true;
		}
	}
	return false;
}

/* The daemon's position in group g, if it is one of its aggregators. */
static bool aggregates(const struct vg_cluster_group *g, const char *daemon, size_t *index)
{
	return in_array(g->aggregators, g->naggregators, daemon, index);
}

static bool adds_producer(const struct vg_cluster_group *g, size_t agg,
			  const struct vg_cluster_producer *p)
{
	return g->balanced || p->block == agg;
}

/* ---------------------------------------------------------------- auth */

static int add_auth(struct gen *g, const char *name)
{
	char key[300];
	if (!name)
		return 0;
	snprintf(key, sizeof(key), "auth:%s", name);
	if (in_names(&g->seen, key))
		return 0;
	const struct cl_authdom *a = cl_auth_find(g->p, name);
	if (!a)
		return vg_errf(g->err, ENOENT, "auth domain %s is not defined", name);
	vg_strbuf_printf(g->out, "auth_add name=%s plugin=%s", a->name, a->plugin);
	for (size_t i = 0; i < a->nconf; i++)
		vg_strbuf_printf(g->out, " %s=%s", a->conf[i].key, a->conf[i].value);
	vg_strbuf_puts(g->out, "\n");
	return vg_names_add(&g->seen, key) ? vg_errf(g->err, ENOMEM, "out of memory") : 0;
}

static int gen_auth(struct gen *g)
{
	int rc = 0;
	for (size_t e = 0; e < g->d->nendpoints && !rc; e++)
		rc = add_auth(g, g->d->endpoints[e].auth.name);
	for (size_t i = 0; i < g->p->nadverts && !rc; i++)
		if (in_names(&g->p->adverts[i].daemons, g->d->name))
			rc = add_auth(g, g->p->adverts[i].auth);
	for (size_t gi = 0; gi < g->c->ngroups && !rc; gi++) {
		const struct vg_cluster_group *grp = &g->c->groups[gi];
		size_t a;
		if (!aggregates(grp, g->d->name, &a))
			continue;
		for (size_t k = 0; k < grp->nproducers && !rc; k++)
			if (adds_producer(grp, a, &grp->producers[k]))
				rc = add_auth(g, grp->producers[k].auth);
	}
	return rc;
}

/* ---------------------------------------------------------------- samplers */

/* Does a "k=v k=v" line set key? */
static bool line_has(const char *line, const char *key)
{
	size_t len = strlen(key);
	for (const char *p = line; p && *p; p = strchr(p, ' ')) {
		while (*p == ' ')
			p++;
		if (strncmp(p, key, len) == 0 && p[len] == '=')
			return true;
	}
	return false;
}

static void gen_load(struct gen *g, const struct cl_plugin *pl)
{
	if (strcmp(pl->instance, pl->plugin))
		vg_strbuf_printf(g->out, "load name=%s plugin=%s\n", pl->instance, pl->plugin);
	else
		vg_strbuf_printf(g->out, "load name=%s\n", pl->instance);
}

/*
 * producer= and instance= default to the daemon's name and NAME/INSTANCE in
 * the first config line (LDMS takes the host name of the machine that runs
 * its parser, which names every set of the cluster after that one machine).
 */
static void gen_sampler_plugin(struct gen *g, const struct cl_plugin *pl)
{
	gen_load(g, pl);
	size_t nlines = pl->nconfig ? pl->nconfig : 1;
	for (size_t i = 0; i < nlines; i++) {
		const char *line = pl->nconfig ? pl->config[i] : "";
		vg_strbuf_printf(g->out, "config name=%s", pl->instance);
		if (i == 0 && !line_has(line, "producer"))
			vg_strbuf_printf(g->out, " producer=%s", g->d->name);
		if (i == 0 && !line_has(line, "instance"))
			vg_strbuf_printf(g->out, " instance=%s/%s", g->d->name, pl->instance);
		vg_strbuf_printf(g->out, "%s%s\n", line[0] ? " " : "", line);
	}
	vg_strbuf_printf(g->out, "start name=%s interval=%" PRIu64, pl->instance, pl->interval_us);
	if (pl->has_offset)
		vg_strbuf_printf(g->out, " offset=%" PRId64, pl->offset_us);
	vg_strbuf_puts(g->out, "\n");
}

static int gen_samplers(struct gen *g)
{
	for (size_t i = 0; i < g->p->nsamplers; i++) {
		const struct cl_sampler *s = &g->p->samplers[i];
		if (!in_names(&s->daemons, g->d->name))
			continue;
		for (size_t k = 0; k < s->nplugins; k++) {
			char key[300];
			snprintf(key, sizeof(key), "plugin:%s", s->plugins[k].instance);
			if (in_names(&g->seen, key))
				return vg_errf(g->err, EEXIST,
					       "%s: samplers[%zu] loads plugin instance %s on %s, "
					       "which an earlier samplers entry loads already: name "
					       "instances apart under plugins:",
					       g->c->path, i, s->plugins[k].instance, g->d->name);
			if (vg_names_add(&g->seen, key))
				return vg_errf(g->err, ENOMEM, "out of memory");
			gen_sampler_plugin(g, &s->plugins[k]);
		}
	}
	return 0;
}

static void gen_advertisers(struct gen *g)
{
	for (size_t i = 0; i < g->p->nadverts; i++) {
		const struct cl_advertise *a = &g->p->adverts[i];
		if (!in_names(&a->daemons, g->d->name))
			continue;
		for (size_t t = 0; t < a->ntargets; t++) {
			const struct cl_target *tg = &a->targets[t];
			vg_strbuf_printf(g->out,
					 "advertiser_add name=%s-%s xprt=%s host=%s port=%u "
					 "reconnect=%" PRIu64,
					 g->d->name, tg->name, tg->xprt, tg->host, tg->port,
					 a->reconnect_us);
			if (a->auth)
				vg_strbuf_printf(g->out, " auth=%s", a->auth);
			vg_strbuf_printf(g->out, "\nadvertiser_start name=%s-%s\n", g->d->name, tg->name);
		}
	}
}

/* ---------------------------------------------------------------- aggregators */

static void put_escaped(struct vg_strbuf *out, const char *name)
{
	for (const char *p = name; *p; p++) {
		if (strchr(".[]()*+?{}|^$\\", *p))
			vg_strbuf_puts(out, "\\");
		vg_strbuf_append(out, p, 1);
	}
}

static bool covers(const struct vg_cluster_producer *p, size_t u)
{
	return p->nupdaters && u >= p->updater && u < p->updater + p->nupdaters;
}

/* How many producers this daemon adds in all its groups, and whether it has listeners. */
static size_t count_producers(const struct gen *g, bool *listens)
{
	size_t n = 0;
	*listens = false;
	for (size_t gi = 0; gi < g->c->ngroups; gi++) {
		const struct vg_cluster_group *grp = &g->c->groups[gi];
		size_t a;
		if (!aggregates(grp, g->d->name, &a))
			continue;
		*listens = *listens || g->p->groups[gi].nlistens > 0;
		for (size_t k = 0; k < grp->nproducers; k++)
			n += adds_producer(grp, a, &grp->producers[k]);
	}
	return n;
}

static void gen_updater(struct gen *g, const struct vg_cluster_group *grp,
			const struct cl_group *cg, size_t agg, size_t u, size_t total, bool listens)
{
	const struct vg_cluster_updater *up = &grp->updaters[u];
	const struct cl_updtr *cu = &cg->updtrs[u];
	size_t mine = 0;
	for (size_t k = 0; k < grp->nproducers; k++)
		mine += adds_producer(grp, agg, &grp->producers[k]) && covers(&grp->producers[k], u);
	if (!mine && !cu->listen && !cu->producers)
		return; /* nothing of this daemon to update */
	vg_strbuf_printf(g->out, "updtr_add name=%s interval=%" PRIu64, cu->name, up->interval_us);
	if (up->offset_us)
		vg_strbuf_printf(g->out, " offset=%" PRId64, up->offset_us);
	if (strcmp(up->mode, "push") == 0)
		vg_strbuf_puts(g->out, " push=true");
	else if (strcmp(up->mode, "onchange") == 0)
		vg_strbuf_puts(g->out, " push=onchange");
	else if (strcmp(up->mode, "auto_interval") == 0)
		vg_strbuf_puts(g->out, " auto_interval=true");
	vg_strbuf_puts(g->out, "\n");
	if (cu->producers || cu->listen) {
		vg_strbuf_printf(g->out, "updtr_prdcr_add name=%s regex=%s\n", cu->name,
				 cu->producers ? cu->producers : cu->listen_regex);
	} else if (mine == total && !listens) {
		vg_strbuf_printf(g->out, "updtr_prdcr_add name=%s regex=.*\n", cu->name);
	} else {
		for (size_t k = 0; k < grp->nproducers; k++) {
			const struct vg_cluster_producer *p = &grp->producers[k];
			if (!adds_producer(grp, agg, p) || !covers(p, u))
				continue;
			vg_strbuf_printf(g->out, "updtr_prdcr_add name=%s regex=^", cu->name);
			put_escaped(g->out, p->name);
			vg_strbuf_puts(g->out, "$\n");
		}
	}
	for (size_t s = 0; s < up->nsets; s++)
		vg_strbuf_printf(g->out, "updtr_match_add name=%s regex=%s match=%s\n", cu->name,
				 up->sets[s].regex, up->sets[s].field);
	vg_strbuf_printf(g->out, "updtr_start name=%s\n", cu->name);
}

/*
 * In a balanced group every aggregator adds every producer: its own block
 * plainly, the others as hot standbys the balancer can activate.
 */
static void gen_group(struct gen *g, size_t gi, size_t agg, size_t total, bool listens)
{
	const struct vg_cluster_group *grp = &g->c->groups[gi];
	const struct cl_group *cg = &g->p->groups[gi];
	for (size_t k = 0; k < grp->nproducers; k++) {
		const struct vg_cluster_producer *p = &grp->producers[k];
		if (!adds_producer(grp, agg, p))
			continue;
		vg_strbuf_printf(g->out,
				 "prdcr_add name=%s host=%s port=%u xprt=%s type=%s reconnect=%" PRIu64,
				 p->name, p->host, p->port, p->xprt, p->type, p->reconnect_us);
		if (p->auth)
			vg_strbuf_printf(g->out, " auth=%s", p->auth);
		if (p->block != agg)
			vg_strbuf_puts(g->out, " standby=true");
		vg_strbuf_printf(g->out, "\nprdcr_start name=%s\n", p->name);
	}
	for (size_t l = 0; l < cg->nlistens; l++) {
		const struct cl_listen *ls = &cg->listens[l];
		vg_strbuf_printf(g->out, "prdcr_listen_add name=%s", ls->name);
		if (ls->regex)
			vg_strbuf_printf(g->out, " regex=%s", ls->regex);
		if (ls->ip)
			vg_strbuf_printf(g->out, " ip=%s", ls->ip);
		if (ls->has_reconnect)
			vg_strbuf_printf(g->out, " reconnect=%" PRIu64, ls->reconnect_us);
		vg_strbuf_printf(g->out, "\nprdcr_listen_start name=%s\n", ls->name);
	}
	for (size_t u = 0; u < grp->nupdaters; u++)
		gen_updater(g, grp, cg, agg, u, total, listens);
	for (size_t s = 0; s < cg->nsubs; s++)
		vg_strbuf_printf(g->out, "prdcr_subscribe regex=%s stream=%s\n",
				 cg->subs[s].regex ? cg->subs[s].regex : ".*", cg->subs[s].stream);
}

/* ---------------------------------------------------------------- stores */

static bool same_plugin(const struct cl_plugin *a, const struct cl_plugin *b)
{
	if (strcmp(a->plugin, b->plugin) || a->nconfig != b->nconfig)
		return false;
	for (size_t i = 0; i < a->nconfig; i++)
		if (strcmp(a->config[i], b->config[i]))
			return false;
	return true;
}

static int gen_stores(struct gen *g)
{
	for (size_t i = 0; i < g->p->nstores; i++) {
		const struct cl_store *s = &g->p->stores[i];
		if (!in_names(&s->daemons, g->d->name))
			continue;
		const struct cl_plugin *pl = &s->plugin;
		bool loaded = false;
		for (size_t k = 0; k < i && !loaded; k++) {
			const struct cl_store *o = &g->p->stores[k];
			if (!in_names(&o->daemons, g->d->name) ||
			    strcmp(o->plugin.instance, pl->instance))
				continue;
			if (!same_plugin(&o->plugin, pl))
				return vg_errf(g->err, EEXIST,
					       "%s: stores %s (line %d) and %s (line %d) configure "
					       "plugin %s differently on %s: give them the same "
					       "config, or separate instances under plugins:",
					       g->c->path, o->name, o->line, s->name, s->line,
					       pl->instance, g->d->name);
			loaded = true;
		}
		if (!loaded) {
			gen_load(g, pl);
			for (size_t k = 0; k < pl->nconfig; k++)
				vg_strbuf_printf(g->out, "config name=%s %s\n", pl->instance,
						 pl->config[k]);
		}
		vg_strbuf_printf(g->out, "strgp_add name=%s plugin=%s container=%s schema=%s",
				 s->name, pl->instance, s->container, s->schema);
		if (s->has_flush)
			vg_strbuf_printf(g->out, " flush=%" PRIu64, s->flush_us);
		vg_strbuf_printf(g->out, "\nstrgp_prdcr_add name=%s regex=.*\nstrgp_start name=%s\n",
				 s->name, s->name);
	}
	return 0;
}

/* ---------------------------------------------------------------- the whole config */

static void gen_listeners(struct gen *g)
{
	for (size_t e = 0; e < g->d->nendpoints; e++) {
		const struct vg_cluster_endpoint *ep = &g->d->endpoints[e];
		vg_strbuf_printf(g->out, "listen xprt=%s port=%u", ep->xprt, ep->port);
		if (ep->host && !ep->bind_all)
			vg_strbuf_printf(g->out, " host=%s", ep->host);
		if (ep->auth.name)
			vg_strbuf_printf(g->out, " auth=%s", ep->auth.name);
		if (ep->maestro_comm)
			vg_strbuf_puts(g->out, " control=true");
		vg_strbuf_puts(g->out, "\n");
	}
}

int vg_cluster_gen(const struct vg_cluster *c, const char *daemon, struct vg_strbuf *out,
		   struct vg_err *err)
{
	struct gen g = {c, c->priv, vg_cluster_daemon_find(c, daemon), out, err, {0}};
	if (!g.d) {
		char list[200] = "";
		size_t pos = 0;
		for (size_t i = 0; i < c->ndaemons && pos < sizeof(list); i++)
			pos += (size_t)snprintf(list + pos, sizeof(list) - pos, "%s%s", i ? ", " : "",
						c->daemons[i].name);
		return vg_errf(err, ENOENT, "%s has no daemon named \"%s\" (its daemons: %s)",
			       c->path, daemon, list);
	}
	size_t di = (size_t)(g.d - c->daemons);
	for (size_t i = 0; i < g.d->nenvironment; i++)
		vg_strbuf_printf(out, "env %s=%s\n", g.d->environment[i].key,
				 g.d->environment[i].value);
	if (g.p->daemons[di].set_memory)
		vg_strbuf_printf(out, "set_memory size=%s\n", g.p->daemons[di].set_memory);
	if (g.p->daemons[di].log_level)
		vg_strbuf_printf(out, "loglevel level=%s\n", g.p->daemons[di].log_level);
	int rc = gen_auth(&g);
	if (!rc) {
		gen_listeners(&g);
		rc = gen_samplers(&g);
	}
	if (!rc) {
		gen_advertisers(&g);
		bool listens;
		size_t total = count_producers(&g, &listens);
		for (size_t gi = 0; gi < c->ngroups; gi++) {
			size_t a;
			if (aggregates(&c->groups[gi], daemon, &a))
				gen_group(&g, gi, a, total, listens);
		}
		rc = gen_stores(&g);
	}
	vg_names_free(&g.seen);
	if (!rc && out->oom)
		rc = vg_errf(err, ENOMEM, "out of memory");
	return rc;
}

/* ---------------------------------------------------------------- summary */

static const char *fmt_us(uint64_t us, char *buf, size_t len)
{
	if (us % 1000000 == 0)
		snprintf(buf, len, "%" PRIu64 "s", us / 1000000);
	else if (us % 1000 == 0)
		snprintf(buf, len, "%" PRIu64 "ms", us / 1000);
	else
		snprintf(buf, len, "%" PRIu64 "us", us);
	return buf;
}

/* "N producers (a, b, ...)" of aggregator agg, plain or standby. */
static void list_producers(struct vg_strbuf *out, const struct vg_cluster_group *grp, size_t agg,
			   bool standby)
{
	size_t n = 0;
	for (size_t k = 0; k < grp->nproducers; k++)
		n += standby ? grp->balanced && grp->producers[k].block != agg
			     : grp->producers[k].block == agg;
	vg_strbuf_printf(out, "%zu %s%s", n, standby ? "standby" : "producer",
			 n == 1 || standby ? "" : "s");
	size_t shown = 0;
	for (size_t k = 0; k < grp->nproducers && n; k++) {
		bool mine = grp->producers[k].block == agg;
		if (standby == mine || (standby && !grp->balanced))
			continue;
		if (shown == 6) {
			vg_strbuf_puts(out, ", ...");
			break;
		}
		vg_strbuf_printf(out, "%s%s", shown++ ? ", " : " (", grp->producers[k].name);
	}
	if (shown)
		vg_strbuf_puts(out, ")");
}

void vg_cluster_summary(const struct vg_cluster *c, struct vg_strbuf *out)
{
	const struct cluster_priv *p = c->priv;
	bool *sampler = calloc(c->ndaemons + 1, sizeof(*sampler));
	bool *agg = calloc(c->ndaemons + 1, sizeof(*agg));
	size_t nsamplers = 0, naggs = 0, ninstances = 0;
	for (size_t i = 0; sampler && i < p->nsamplers; i++) {
		for (size_t k = 0; k < p->samplers[i].daemons.n; k++) {
			const struct vg_cluster_daemon *d =
				vg_cluster_daemon_find(c, p->samplers[i].daemons.v[k]);
			size_t di = (size_t)(d - c->daemons);
			nsamplers += !sampler[di];
			sampler[di] = true;
		}
		ninstances += p->samplers[i].nplugins * p->samplers[i].daemons.n;
	}
	for (size_t gi = 0; agg && gi < c->ngroups; gi++) {
		for (size_t k = 0; k < c->groups[gi].naggregators; k++) {
			const struct vg_cluster_daemon *d =
				vg_cluster_daemon_find(c, c->groups[gi].aggregators[k]);
			size_t di = (size_t)(d - c->daemons);
			naggs += !agg[di];
			agg[di] = true;
		}
	}
	free(sampler);
	free(agg);
	vg_strbuf_printf(out, "%s: %zu daemon%s, %zu sampler%s (%zu plugin instances), %zu "
			 "aggregator%s in %zu group%s, %zu store%s\n",
			 c->path, c->ndaemons, c->ndaemons == 1 ? "" : "s", nsamplers,
			 nsamplers == 1 ? "" : "s", ninstances, naggs, naggs == 1 ? "" : "s",
			 c->ngroups, c->ngroups == 1 ? "" : "s", p->nstores,
			 p->nstores == 1 ? "" : "s");
	for (size_t gi = 0; gi < c->ngroups; gi++) {
		const struct vg_cluster_group *grp = &c->groups[gi];
		vg_strbuf_printf(out, "group %s%s: %zu producer%s, %zu updater%s\n", grp->name,
				 grp->balanced ? " (balanced)" : "", grp->nproducers,
				 grp->nproducers == 1 ? "" : "s", grp->nupdaters,
				 grp->nupdaters == 1 ? "" : "s");
		for (size_t a = 0; a < grp->naggregators; a++) {
			vg_strbuf_printf(out, "  %s: ", grp->aggregators[a]);
			list_producers(out, grp, a, false);
			if (grp->balanced && grp->naggregators > 1) {
				vg_strbuf_puts(out, ", ");
				list_producers(out, grp, a, true);
			}
			vg_strbuf_puts(out, "\n");
		}
	}
	for (size_t i = 0; i < p->nstores; i++) {
		const struct cl_store *s = &p->stores[i];
		vg_strbuf_printf(out, "store %s: %s, container %s, schema %s, on %zu daemon%s\n",
				 s->name, s->plugin.plugin, s->container, s->schema, s->daemons.n,
				 s->daemons.n == 1 ? "" : "s");
	}
	if (c->balancer.present) {
		const struct vg_cluster_balancer *b = &c->balancer;
		char hb[32], st[32], ls[32];
		vg_strbuf_printf(out, "balancer: heartbeat %s, misses %u, stuck %s, threshold %g, "
				 "lease %s%s%s%s%s\n",
				 fmt_us(b->heartbeat_us, hb, sizeof(hb)), b->misses,
				 fmt_us(b->stuck_us, st, sizeof(st)), b->threshold,
				 fmt_us(b->lease_us, ls, sizeof(ls)), b->etcd ? ", etcd " : "",
				 b->etcd ? b->etcd : "", b->state_file ? ", state file " : "",
				 b->state_file ? b->state_file : "");
	}
}
