/*
 * cluster_parts.c - the parts of a cluster file that only the generator
 * reads: sampler plugins, stores, advertisement, and the balancer's keys.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ldms-conf/cluster_int.h"

#define DEFAULT_INTERVAL_US 1000000     /* LDMS's default sampler interval */
#define DEFAULT_RECONNECT_US 20000000

static const char *const plugin_keys[] = {"name", "interval", "offset", "config", "perm", NULL};
static const char *const sampler_keys[] = {"daemons", "plugins", "advertise", NULL};
static const char *const store_keys[] = {"name", "daemons", "container", "schema", "flush",
					 "plugin", "perm", "regex", "decomposition", NULL};
static const char *const advertise_keys[] = {"names", "to", "hosts", "xprt", "port",
					     "reconnect", "auth", "perm", "rail", "quota",
					     "rx_rate", NULL};
static const char *const balancer_keys[] = {"heartbeat", "misses", "stuck", "threshold",
					    "state_file", "etcd", "lease", "auth", NULL};
static const char *const balancer_auth_keys[] = {"plugin", "conf", NULL};


/* ---------------------------------------------------------------- plugins */

static int add_line(struct cl_ctx *x, struct cl_plugin *pl, struct vg_strbuf *sb)
{
	char **nc = realloc(pl->config, (pl->nconfig + 1) * sizeof(*nc));
	if (!nc)
		return cl_oom(x);
	pl->config = nc;
	if (sb->oom || !(nc[pl->nconfig] = strdup(vg_strbuf_str(sb))))
		return cl_oom(x);
	pl->nconfig++;
	return 0;
}

/*
 * One config line from a mapping (k: v; a list value repeats k) or a
 * "k=v k=v" string.  Values stay as written, ${VAR} included: the daemon
 * expands them in its own environment.
 */
static int config_line(struct cl_ctx *x, const struct ynode *n, const char *path,
		       struct cl_plugin *pl)
{
	struct vg_strbuf sb;
	vg_strbuf_init(&sb);
	int rc = 0;
	if (n->kind == YN_MAP) {
		for (size_t i = 0; i < n->n && !rc; i++) {
			const struct ynode *k = ymap_key(n, i), *v = ymap_value(n, i);
			char sub[CL_PATH_MAX];
			cl_sub(sub, "%s.%s", path, k->str);
			size_t count = v->kind == YN_SEQ ? v->n : 1;
			rc = cl_check_token(x, k, sub, k->str);
			for (size_t j = 0; j < count && !rc; j++) {
				const struct ynode *item = v->kind == YN_SEQ ? v->items[j] : v;
				if (item->kind != YN_SCALAR)
					rc = cl_error(x, item, sub, "expected a value, got %s",
						      ynode_kind_name(item->kind));
				else if (ynode_is_null(item))
					rc = cl_error(x, item, sub, "needs a value (%s=VALUE)", k->str);
				else
					rc = cl_check_token(x, item, sub, item->str);
				if (!rc)
					vg_strbuf_printf(&sb, "%s%s=%s", sb.len ? " " : "", k->str,
							 item->str);
			}
		}
	} else if (n->kind == YN_SCALAR && !ynode_is_null(n)) {
		char *copy = strdup(n->str), *save = NULL;
		if (!copy)
			rc = cl_oom(x);
		for (char *tok = copy ? strtok_r(copy, " \t\n", &save) : NULL; tok && !rc;
		     tok = strtok_r(NULL, " \t\n", &save)) {
			char *eq = strchr(tok, '=');
			if (!eq || eq == tok)
				rc = cl_error(x, n, path, "\"%s\" is not name=value", tok);
			else
				vg_strbuf_printf(&sb, "%s%s", sb.len ? " " : "", tok);
		}
		free(copy);
	} else {
		rc = cl_error(x, n, path, "expected a mapping of options or a \"name=value ...\" "
			      "string, got %s",
			      ynode_is_null(n) ? "nothing" : ynode_kind_name(n->kind));
	}
	if (!rc)
		rc = add_line(x, pl, &sb);
	vg_strbuf_free(&sb);
	return rc;
}

static int load_plugin_spec(struct cl_ctx *x, const struct ynode *n, const char *path,
			    const char *instance, struct cl_plugin *pl)
{
	struct ynode *v;
	int rc = cl_check_map(x, n, path, plugin_keys);
	if (!rc)
		rc = cl_require(x, n, "name", path, "name: meminfo", &v);
	if (!rc)
		rc = cl_opt_string(x, n, "name", path, &pl->plugin);
	if (!rc)
		rc = cl_check_token(x, v, path, pl->plugin);
	if (!rc && strchr(pl->plugin, '/'))
		rc = cl_error(x, v, path, "\"%s\": a plugin name has no '/'", pl->plugin);
	if (!rc && !(pl->instance = strdup(instance ? instance : pl->plugin)))
		rc = cl_oom(x);
	pl->line = n->line;
	int64_t iv;
	if (!rc)
		rc = cl_opt_duration(x, n, "interval", path, DEFAULT_INTERVAL_US, false, &iv, NULL);
	pl->interval_us = (uint64_t)iv;
	char key[CL_PATH_MAX];
	cl_sub(key, "%s.interval", path);
	if (!rc && iv == 0)
		rc = cl_error(x, ymap_get(n, "interval"), key, "must be more than 0");
	if (!rc)
		rc = cl_opt_duration(x, n, "offset", path, 0, true, &pl->offset_us, &pl->has_offset);
	const struct ynode *cfg = ymap_get(n, "config");
	char sub[CL_PATH_MAX];
	cl_sub(sub, "%s.config", path);
	if (!rc && cfg && !ynode_is_null(cfg)) {
		if (cfg->kind == YN_SEQ) {
			for (size_t i = 0; i < cfg->n && !rc; i++) {
				char item[CL_PATH_MAX];
				cl_sub(item, "%s[%zu]", sub, i);
				rc = config_line(x, cfg->items[i], item, pl);
			}
		} else {
			rc = config_line(x, cfg, sub, pl);
		}
	}
	return rc;
}

/* A plugin given by instance key (LDMS: the top-level plugins mapping) or inline (Maestro). */
static int load_plugin_ref(struct cl_ctx *x, const struct ynode *n, const char *path,
			   struct cl_plugin *pl)
{
	if (n->kind == YN_MAP)
		return load_plugin_spec(x, n, path, NULL, pl);
	char *key;
	int rc = cl_string(x, n, path, &key);
	if (rc)
		return rc;
	const struct ynode *spec = ymap_get(x->plugins, key);
	if (!spec) {
		rc = cl_error(x, n, path,
			      "plugin instance \"%s\" is not defined under the top-level "
			      "plugins: (or write the plugin here: {name: meminfo, interval: 1s, "
			      "config: ...})",
			      key);
	} else {
		char sub[CL_PATH_MAX];
		cl_sub(sub, "plugins.%s", key);
		rc = cl_check_token(x, n, path, key);
		if (!rc)
			rc = load_plugin_spec(x, spec, sub, key, pl);
	}
	free(key);
	return rc;
}

void cl_plugin_free(struct cl_plugin *pl)
{
	free(pl->instance);
	free(pl->plugin);
	for (size_t i = 0; i < pl->nconfig; i++)
		free(pl->config[i]);
	free(pl->config);
}

/* ---------------------------------------------------------------- samplers */

static int load_sampler(struct cl_ctx *x, const struct ynode *n, const char *path)
{
	int rc = cl_check_map(x, n, path, sampler_keys);
	if (rc)
		return rc;
	struct cl_sampler *ns = cl_grow(x->p->samplers, x->p->nsamplers, sizeof(*ns));
	if (!ns)
		return cl_oom(x);
	x->p->samplers = ns;
	struct cl_sampler *s = &ns[x->p->nsamplers++];
	struct ynode *dn, *pn;
	char sub[CL_PATH_MAX];
	rc = cl_require(x, n, "daemons", path, "daemons: \"sampler-[1-8]\"", &dn);
	cl_sub(sub, "%s.daemons", path);
	if (!rc)
		rc = cl_names(x, dn, sub, &s->daemons);
	if (!rc)
		rc = cl_check_daemons(x, dn, sub, &s->daemons);
	if (!rc)
		rc = cl_require(x, n, "plugins", path, "plugins: [meminfo1] or plugins: [{name: "
				"meminfo, interval: 1s}]", &pn);
	cl_sub(sub, "%s.plugins", path);
	if (!rc)
		rc = cl_check_seq(x, pn, sub);
	if (!rc && !(s->plugins = calloc(pn->n + 1, sizeof(*s->plugins))))
		rc = cl_oom(x);
	for (size_t i = 0; !rc && i < pn->n; i++) {
		char item[CL_PATH_MAX];
		cl_sub(item, "%s[%zu]", sub, i);
		struct cl_plugin *pl = &s->plugins[s->nplugins++];
		rc = load_plugin_ref(x, pn->items[i], item, pl);
		for (size_t k = 0; !rc && k + 1 < s->nplugins; k++)
			if (strcmp(s->plugins[k].instance, pl->instance) == 0)
				rc = cl_error(x, pn->items[i], item,
					      "plugin instance \"%s\" is loaded twice: give the second "
					      "its own instance name under plugins:",
					      pl->instance);
	}
	const struct ynode *adv = ymap_get(n, "advertise");
	cl_sub(sub, "%s.advertise", path);
	if (!rc && adv && !ynode_is_null(adv))
		rc = cl_load_advertise(x, adv, sub, &s->daemons);
	return rc;
}

int cl_load_samplers(struct cl_ctx *x, const struct ynode *seq)
{
	if (ynode_is_null(seq))
		return 0;
	int rc = cl_check_seq(x, seq, "samplers");
	for (size_t i = 0; !rc && i < seq->n; i++) {
		char path[CL_PATH_MAX];
		cl_sub(path, "samplers[%zu]", i);
		rc = load_sampler(x, seq->items[i], path);
	}
	return rc;
}

/* Every entry of the top-level plugins: is checked, used or not. */
int cl_check_plugins(struct cl_ctx *x)
{
	int rc = 0;
	for (size_t i = 0; !rc && x->plugins && i < x->plugins->n; i++) {
		struct cl_plugin tmp = {0};
		char path[CL_PATH_MAX];
		cl_sub(path, "plugins.%s", ymap_key(x->plugins, i)->str);
		rc = load_plugin_spec(x, ymap_value(x->plugins, i), path,
				      ymap_key(x->plugins, i)->str, &tmp);
		cl_plugin_free(&tmp);
	}
	return rc;
}

/* ---------------------------------------------------------------- stores */

static int load_store(struct cl_ctx *x, const struct ynode *n, const char *path,
		      const struct ynode *key)
{
	int rc = cl_check_map(x, n, path, store_keys);
	if (rc)
		return rc;
	struct cl_store *ns = cl_grow(x->p->stores, x->p->nstores, sizeof(*ns));
	if (!ns)
		return cl_oom(x);
	x->p->stores = ns;
	struct cl_store *s = &ns[x->p->nstores++];
	s->line = n->line;
	struct ynode *v;
	char sub[CL_PATH_MAX];
	if (key) {
		cl_sub(sub, "%s.name", path);
		if (ymap_get(n, "name"))
			return cl_error(x, ymap_get(n, "name"), sub,
					"not needed: the key of this entry is its name (%s)", key->str);
		rc = cl_string(x, key, path, &s->name);
	} else {
		rc = cl_require(x, n, "name", path, "name: csv-meminfo", &v);
		if (!rc)
			rc = cl_opt_string(x, n, "name", path, &s->name);
	}
	if (!rc)
		rc = cl_check_token(x, key ? key : ymap_get(n, "name"), path, s->name);
	for (size_t i = 0; !rc && i + 1 < x->p->nstores; i++)
		if (strcmp(x->p->stores[i].name, s->name) == 0)
			rc = cl_error(x, key ? key : ymap_get(n, "name"), path,
				      "store \"%s\" is defined twice (first at line %d)", s->name,
				      x->p->stores[i].line);
	static const char *const unsupported[] = {"regex", "decomposition"};
	for (size_t i = 0; !rc && i < VG_ARRAY_LEN(unsupported); i++)
		if (ymap_get(n, unsupported[i])) {
			cl_sub(sub, "%s.%s", path, unsupported[i]);
			rc = cl_error(x, ymap_get(n, unsupported[i]), sub,
				      "not supported by vigil yet: store one schema per entry "
				      "(schema: meminfo)");
		}
	if (!rc)
		rc = cl_require(x, n, "daemons", path, "daemons: l2-agg", &v);
	cl_sub(sub, "%s.daemons", path);
	if (!rc)
		rc = cl_names(x, v, sub, &s->daemons);
	if (!rc)
		rc = cl_check_daemons(x, v, sub, &s->daemons);
	static const char *const tokens[] = {"container", "schema"};
	for (size_t i = 0; !rc && i < VG_ARRAY_LEN(tokens); i++) {
		char **dst = i ? &s->schema : &s->container;
		rc = cl_require(x, n, tokens[i], path, i ? "schema: meminfo" : "container: csv", &v);
		if (!rc)
			rc = cl_opt_string(x, n, tokens[i], path, dst);
		if (!rc)
			rc = cl_check_token(x, v, path, *dst);
	}
	int64_t flush;
	if (!rc)
		rc = cl_opt_duration(x, n, "flush", path, 0, false, &flush, &s->has_flush);
	s->flush_us = (uint64_t)flush;
	if (!rc)
		rc = cl_require(x, n, "plugin", path,
				"plugin: {name: store_csv, config: {path: /var/lib/ldms}}", &v);
	cl_sub(sub, "%s.plugin", path);
	if (!rc)
		rc = load_plugin_ref(x, v, sub, &s->plugin);
	return rc;
}

/* LDMS 4.4 wants a mapping of store name to spec; Maestro's examples use a list with name:. */
int cl_load_stores(struct cl_ctx *x, const struct ynode *stores)
{
	if (ynode_is_null(stores))
		return 0;
	int rc = 0;
	if (stores->kind == YN_MAP) {
		for (size_t i = 0; !rc && i < stores->n; i++) {
			char path[CL_PATH_MAX];
			cl_sub(path, "stores.%s", ymap_key(stores, i)->str);
			rc = load_store(x, ymap_value(stores, i), path, ymap_key(stores, i));
		}
		return rc;
	}
	if (stores->kind != YN_SEQ)
		return cl_error(x, stores, "stores",
				"expected a list of stores (- name: ...) or a mapping of store "
				"name to store, got a value");
	for (size_t i = 0; !rc && i < stores->n; i++) {
		char path[CL_PATH_MAX];
		cl_sub(path, "stores[%zu]", i);
		rc = load_store(x, stores->items[i], path, NULL);
	}
	return rc;
}

/* ---------------------------------------------------------------- advertise */

static int add_target(struct cl_ctx *x, struct cl_advertise *a, const char *name,
		      const char *host, uint16_t port, const char *xprt)
{
	struct cl_target *nt = cl_grow(a->targets, a->ntargets, sizeof(*nt));
	if (!nt)
		return cl_oom(x);
	a->targets = nt;
	struct cl_target *t = &nt[a->ntargets++];
	t->name = strdup(name);
	t->host = strdup(host);
	t->xprt = strdup(xprt);
	t->port = port;
	return t->name && t->host && t->xprt ? 0 : cl_oom(x);
}

/*
 * advertise: {to: DAEMONS} (vigil: the aggregators' hosts and ports come from
 * their endpoints) or {hosts: HOSTS, port: P, xprt: X} (LDMS).
 */
int cl_load_advertise(struct cl_ctx *x, const struct ynode *n, const char *path,
		      const struct vg_names *daemons)
{
	int rc = cl_check_map(x, n, path, advertise_keys);
	if (rc)
		return rc;
	struct cl_advertise *na = cl_grow(x->p->adverts, x->p->nadverts, sizeof(*na));
	if (!na)
		return cl_oom(x);
	x->p->adverts = na;
	struct cl_advertise *a = &na[x->p->nadverts++];
	for (size_t i = 0; i < daemons->n; i++)
		if (vg_names_add(&a->daemons, daemons->v[i]))
			return cl_oom(x);
	char sub[CL_PATH_MAX], *xprt = NULL;
	struct vg_names names = {0}, targets = {0};
	const struct ynode *v = ymap_get(n, "names");
	cl_sub(sub, "%s.names", path);
	if (v && !ynode_is_null(v)) {
		rc = cl_names(x, v, sub, &names);
		if (!rc && names.n != daemons->n)
			rc = cl_error(x, v, sub, "gives %zu names for %zu daemons: give one per daemon",
				      names.n, daemons->n);
	}
	int64_t port = 0, reconnect;
	const struct ynode *pn = ymap_get(n, "port");
	if (!rc && pn && !ynode_is_null(pn)) {
		char *ps = NULL;
		uint64_t pv = 0;
		cl_sub(sub, "%s.port", path);
		rc = cl_string(x, pn, sub, &ps);
		if (!rc && (vg_parse_u64(ps, 10, &pv) || pv == 0 || pv > 65535))
			rc = cl_error(x, pn, sub, "\"%s\" is not a port (1 to 65535)", ps);
		free(ps);
		port = (int64_t)pv;
	}
	if (!rc)
		rc = cl_opt_string(x, n, "xprt", path, &xprt);
	if (!rc && xprt)
		rc = cl_check_token(x, ymap_get(n, "xprt"), path, xprt);
	if (!rc)
		rc = cl_opt_duration(x, n, "reconnect", path, DEFAULT_RECONNECT_US, false, &reconnect,
				     NULL);
	a->reconnect_us = (uint64_t)reconnect;
	const struct ynode *auth = ymap_get(n, "auth");
	cl_sub(sub, "%s.auth", path);
	if (!rc && auth && !ynode_is_null(auth))
		rc = cl_auth(x, auth, sub, &a->auth);
	const struct ynode *to = ymap_get(n, "to"), *hosts = ymap_get(n, "hosts");
	if (!rc && !!to == !!hosts)
		rc = cl_error(x, n, path, "give either to: (the aggregator daemons) or hosts: and "
			      "port: (where they listen)");
	if (!rc && to) {
		cl_sub(sub, "%s.to", path);
		rc = cl_names(x, to, sub, &targets);
		if (!rc)
			rc = cl_check_daemons(x, to, sub, &targets);
		for (size_t i = 0; !rc && i < targets.n; i++) {
			const struct vg_cluster_daemon *d = vg_cluster_daemon_find(x->c, targets.v[i]);
			const struct vg_cluster_endpoint *ep = port ? NULL : &d->endpoints[0];
			for (size_t e = 0; !ep && e < d->nendpoints; e++)
				if (d->endpoints[e].port == port)
					ep = &d->endpoints[e];
			if (!ep)
				rc = cl_error(x, pn, path, "daemon \"%s\" has no endpoint on port %lld",
					      d->name, (long long)port);
			else
				rc = add_target(x, a, d->name, ep->host ? ep->host : d->host, ep->port,
						xprt ? xprt : ep->xprt);
		}
	} else if (!rc) {
		cl_sub(sub, "%s.hosts", path);
		rc = cl_names(x, hosts, sub, &targets);
		if (!rc && !port)
			rc = cl_error(x, n, path, "missing \"port\": where the hosts listen (e.g. "
				      "port: 10401)");
		for (size_t i = 0; !rc && i < targets.n; i++)
			rc = add_target(x, a, targets.v[i], targets.v[i], (uint16_t)port,
					xprt ? xprt : "sock");
	}
	free(xprt);
	vg_names_free(&names);
	vg_names_free(&targets);
	return rc;
}

/* ---------------------------------------------------------------- balancer */

static int load_number(struct cl_ctx *x, const struct ynode *map, const char *key,
		       const char *path, double min, double *out)
{
	const struct ynode *v = ymap_get(map, key);
	if (!v || ynode_is_null(v))
		return 0;
	char sub[CL_PATH_MAX], *s, *end;
	cl_sub(sub, "%s.%s", path, key);
	int rc = cl_string(x, v, sub, &s);
	if (rc)
		return rc;
	double d = strtod(s, &end);
	if (end == s || *end || !(d >= min) || d > 1e9)
		rc = cl_error(x, v, sub, "\"%s\" is not a number of at least %g", s, min);
	else
		*out = d;
	free(s);
	return rc;
}

int cl_load_balancer(struct cl_ctx *x, const struct ynode *n)
{
	struct vg_cluster_balancer *b = &x->c->balancer;
	b->heartbeat_us = 500000;
	b->misses = 2;
	b->stuck_us = 3000000;
	b->threshold = 1.25;
	b->lease_us = 2000000;
	if (!n)
		return 0;
	b->present = true;
	if (ynode_is_null(n))
		return 0;
	int rc = cl_check_map(x, n, "balancer", balancer_keys);
	int64_t v;
	if (!rc)
		rc = cl_opt_duration(x, n, "heartbeat", "balancer", 500000, false, &v, NULL);
	b->heartbeat_us = (uint64_t)v;
	if (!rc && v == 0)
		rc = cl_error(x, ymap_get(n, "heartbeat"), "balancer.heartbeat", "must be more than 0");
	if (!rc)
		rc = cl_opt_duration(x, n, "stuck", "balancer", 3000000, false, &v, NULL);
	b->stuck_us = (uint64_t)v;
	if (!rc)
		rc = cl_opt_duration(x, n, "lease", "balancer", 2000000, false, &v, NULL);
	b->lease_us = (uint64_t)v;
	double misses = 2;
	if (!rc)
		rc = load_number(x, n, "misses", "balancer", 1, &misses);
	if (!rc && misses != (double)(unsigned)misses)
		rc = cl_error(x, ymap_get(n, "misses"), "balancer.misses", "must be a whole number");
	b->misses = (unsigned)misses;
	if (!rc)
		rc = load_number(x, n, "threshold", "balancer", 1.0, &b->threshold);
	if (!rc)
		rc = cl_opt_string(x, n, "state_file", "balancer", &b->state_file);
	if (!rc)
		rc = cl_opt_string(x, n, "etcd", "balancer", &b->etcd);
	if (!rc && b->etcd) {
		const char *colon = strrchr(b->etcd, ':');
		uint64_t port;
		if (!colon || colon == b->etcd || vg_parse_u64(colon + 1, 10, &port) || !port ||
		    port > 65535)
			rc = cl_error(x, ymap_get(n, "etcd"), "balancer.etcd",
				      "\"%s\" is not host:port (e.g. 127.0.0.1:2379)", b->etcd);
	}
	const struct ynode *auth = ymap_get(n, "auth");
	if (!rc && auth && !ynode_is_null(auth)) {
		rc = cl_check_map(x, auth, "balancer.auth", balancer_auth_keys);
		if (!rc)
			rc = cl_opt_string(x, auth, "plugin", "balancer.auth", &b->auth_plugin);
		if (!rc && !b->auth_plugin)
			rc = cl_error(x, auth, "balancer.auth", "missing \"plugin\" (e.g. plugin: munge)");
		const struct ynode *conf = ymap_get(auth, "conf");
		if (!rc && conf && !ynode_is_null(conf))
			rc = cl_auth_conf(x, conf, "balancer.auth.conf", &b->auth_conf, &b->nauth_conf);
	}
	return rc;
}

void cl_free_parts(struct cluster_priv *p)
{
	for (size_t i = 0; i < p->nsamplers; i++) {
		vg_names_free(&p->samplers[i].daemons);
		for (size_t k = 0; k < p->samplers[i].nplugins; k++)
			cl_plugin_free(&p->samplers[i].plugins[k]);
		free(p->samplers[i].plugins);
	}
	free(p->samplers);
	for (size_t i = 0; i < p->nstores; i++) {
		struct cl_store *s = &p->stores[i];
		free(s->name);
		vg_names_free(&s->daemons);
		free(s->container);
		free(s->schema);
		cl_plugin_free(&s->plugin);
	}
	free(p->stores);
	for (size_t i = 0; i < p->nadverts; i++) {
		struct cl_advertise *a = &p->adverts[i];
		vg_names_free(&a->daemons);
		for (size_t t = 0; t < a->ntargets; t++) {
			free(a->targets[t].name);
			free(a->targets[t].host);
			free(a->targets[t].xprt);
		}
		free(a->targets);
		free(a->auth);
	}
	free(p->adverts);
}
