/*
 * cluster.c - loading a cluster file: the daemons and their endpoints, the
 * order of the sections, lookups, freeing; this host's daemons.
 *
 * Everything is attached to the cluster as soon as it is allocated, so that
 * vg_cluster_free() cleans up after an error at any point.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ldms-conf/cluster_int.h"


static const char *const top_keys[] = {"daemons", "aggregators", "samplers", "plugins",
				       "stores", "balancer", NULL};
static const char *const daemon_keys[] = {"names", "hosts", "endpoints", "environment",
					  "set_memory", "log_level", "stream_enable",
					  "msg_enable", NULL};
static const char *const endpoint_keys[] = {"names", "ports", "hosts", "xprt", "maestro_comm",
					    "bind_all", "auth", "rail", "quota", "rx_rate", NULL};


/* ---------------------------------------------------------------- lookups */

static int ref_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cl_epref *)a)->name, ((const struct cl_epref *)b)->name);
}

const struct cl_epref *cl_ref_find(const struct cl_epref *refs, size_t n, const char *name)
{
	if (!refs)
		return NULL;
	struct cl_epref key = {.name = name};
	return bsearch(&key, refs, n, sizeof(*refs), ref_cmp);
}

const struct vg_cluster_daemon *vg_cluster_daemon_find(const struct vg_cluster *c,
							const char *name)
{
	const struct cluster_priv *p = c->priv;
	if (p && p->by_name) {
		const struct cl_epref *r = cl_ref_find(p->by_name, c->ndaemons, name);
		return r ? &c->daemons[r->daemon] : NULL;
	}
	for (size_t i = 0; i < c->ndaemons; i++)
		if (c->daemons[i].name && strcmp(c->daemons[i].name, name) == 0)
			return &c->daemons[i];
	return NULL;
}

const struct vg_cluster_endpoint *vg_cluster_control_endpoint(const struct vg_cluster_daemon *d)
{
	for (size_t i = 0; i < d->nendpoints; i++)
		if (d->endpoints[i].maestro_comm)
			return &d->endpoints[i];
	return d->nendpoints ? &d->endpoints[0] : NULL;
}

/* Sort the names of daemons (and of endpoints): lookups, and one error per duplicate. */
static int index_names(struct cl_ctx *x)
{
	struct vg_cluster *c = x->c;
	struct cluster_priv *p = x->p;
	size_t neps = 0;
	for (size_t i = 0; i < c->ndaemons; i++)
		neps += c->daemons[i].nendpoints;
	p->by_name = calloc(c->ndaemons + 1, sizeof(*p->by_name));
	p->eps = calloc(neps + 1, sizeof(*p->eps));
	if (!p->by_name || !p->eps)
		return cl_oom(x);
	for (size_t i = 0; i < c->ndaemons; i++) {
		const struct vg_cluster_daemon *d = &c->daemons[i];
		p->by_name[i] = (struct cl_epref){d->name, i, 0, p->daemons[i].line, p->daemons[i].col};
		for (size_t e = 0; e < d->nendpoints; e++)
			p->eps[p->neps++] = (struct cl_epref){d->endpoints[e].name, i, e,
							      p->daemons[i].line, p->daemons[i].col};
	}
	qsort(p->by_name, c->ndaemons, sizeof(*p->by_name), ref_cmp);
	qsort(p->eps, p->neps, sizeof(*p->eps), ref_cmp);
	for (int pass = 0; pass < 2; pass++) {
		const struct cl_epref *r = pass ? p->eps : p->by_name;
		size_t n = pass ? p->neps : c->ndaemons;
		for (size_t i = 1; i < n; i++) {
			if (strcmp(r[i].name, r[i - 1].name))
				continue;
			/* report the later definition */
			const struct cl_epref *a = &r[i - 1], *b = &r[i];
			if (b->line < a->line || (b->line == a->line && b->col < a->col)) {
				const struct cl_epref *t = a;
				a = b;
				b = t;
			}
			struct ynode at = {.line = b->line, .col = b->col};
			char where[CL_PATH_MAX];
			cl_sub(where, "daemons[%zu]%s", p->daemons[b->daemon].entry,
			       pass ? ".endpoints" : ".names");
			return cl_error(x, &at, where,
					"%s \"%s\" is defined twice (first at line %d): names must be "
					"unique",
					pass ? "endpoint" : "daemon", b->name, a->line);
		}
	}
	return 0;
}

/* ---------------------------------------------------------------- daemons */

struct ep_spec {
	struct vg_names names, ports, hosts;
	size_t per_daemon;
	char *xprt, *auth;
	bool maestro_comm, bind_all;
	uint16_t *port_numbers;
};

static void ep_spec_free(struct ep_spec *s)
{
	vg_names_free(&s->names);
	vg_names_free(&s->ports);
	vg_names_free(&s->hosts);
	free(s->xprt);
	free(s->auth);
	free(s->port_numbers);
}

/* "x" gives N names for M daemons: N must be a multiple of M (or divide it, for hosts). */
static int load_endpoint_spec(struct cl_ctx *x, const struct ynode *n, const char *path,
			      size_t ndaemons, struct ep_spec *s)
{
	struct ynode *v;
	char sub[CL_PATH_MAX];
	int rc = cl_check_map(x, n, path, endpoint_keys);
	if (!rc)
		rc = cl_require(x, n, "names", path, "names: \"node-[1-8]-10001\"", &v);
	cl_sub(sub, "%s.names", path);
	if (!rc)
		rc = cl_names(x, v, sub, &s->names);
	if (!rc && s->names.n % ndaemons)
		return cl_error(x, v, sub,
				"gives %zu endpoint names for %zu daemons: give each daemon the same "
				"number of endpoints (%zu, %zu, ...)",
				s->names.n, ndaemons, ndaemons, 2 * ndaemons);
	if (rc)
		return rc;
	s->per_daemon = s->names.n / ndaemons;
	rc = cl_require(x, n, "ports", path, "ports: 10001 or ports: \"[10001-10008]\"", &v);
	cl_sub(sub, "%s.ports", path);
	if (!rc)
		rc = cl_names(x, v, sub, &s->ports);
	if (!rc && s->names.n % s->ports.n)
		return cl_error(x, v, sub,
				"gives %zu ports for %zu endpoints: give one port, one per endpoint, "
				"or a number that divides %zu",
				s->ports.n, s->names.n, s->names.n);
	if (!rc && !(s->port_numbers = calloc(s->ports.n, sizeof(*s->port_numbers))))
		return cl_oom(x);
	for (size_t i = 0; !rc && i < s->ports.n; i++) {
		uint64_t port;
		if (vg_parse_u64(s->ports.v[i], 10, &port) || port == 0 || port > 65535)
			return cl_error(x, v, sub, "\"%s\" is not a port (1 to 65535)", s->ports.v[i]);
		s->port_numbers[i] = (uint16_t)port;
	}
	v = ymap_get(n, "hosts");
	if (!rc && v && !ynode_is_null(v)) {
		cl_sub(sub, "%s.hosts", path);
		rc = cl_names(x, v, sub, &s->hosts);
		if (!rc && (s->hosts.n > s->names.n || s->names.n % s->hosts.n))
			return cl_error(x, v, sub,
					"gives %zu hosts for %zu endpoints: give one per endpoint or "
					"a number that divides %zu",
					s->hosts.n, s->names.n, s->names.n);
	}
	if (!rc)
		rc = cl_opt_string(x, n, "xprt", path, &s->xprt);
	if (!rc && !s->xprt && !(s->xprt = strdup("sock")))
		return cl_oom(x);
	if (!rc)
		rc = cl_check_token(x, ymap_get(n, "xprt") ? ymap_get(n, "xprt") : n, path, s->xprt);
	if (!rc)
		rc = cl_opt_bool(x, n, "maestro_comm", path, false, &s->maestro_comm);
	if (!rc)
		rc = cl_opt_bool(x, n, "bind_all", path, false, &s->bind_all);
	v = ymap_get(n, "auth");
	if (!rc && v && !ynode_is_null(v)) {
		cl_sub(sub, "%s.auth", path);
		rc = cl_auth(x, v, sub, &s->auth);
	}
	return rc;
}

static int copy_auth(struct cl_ctx *x, const char *name, struct vg_cluster_auth *a)
{
	if (!name)
		return 0;
	const struct cl_authdom *d = cl_auth_find(x->p, name);
	a->name = strdup(d->name);
	a->plugin = strdup(d->plugin);
	a->conf = calloc(d->nconf + 1, sizeof(*a->conf));
	if (!a->name || !a->plugin || !a->conf)
		return cl_oom(x);
	for (size_t i = 0; i < d->nconf; i++) {
		a->conf[i].key = strdup(d->conf[i].key);
		a->conf[i].value = strdup(d->conf[i].value);
		a->nconf++;
		if (!a->conf[i].key || !a->conf[i].value)
			return cl_oom(x);
	}
	return 0;
}

static int fill_daemon(struct cl_ctx *x, struct vg_cluster_daemon *d, size_t i,
		       const struct vg_names *hosts, size_t ndaemons, struct ep_spec *specs,
		       size_t nspecs)
{
	size_t per_host = ndaemons / hosts->n;
	d->host = strdup(hosts->v[i / per_host]);
	size_t total = 0;
	for (size_t j = 0; j < nspecs; j++)
		total += specs[j].per_daemon;
	d->endpoints = calloc(total + 1, sizeof(*d->endpoints));
	if (!d->host || !d->endpoints)
		return cl_oom(x);
	for (size_t j = 0; j < nspecs; j++) {
		struct ep_spec *s = &specs[j];
		for (size_t t = 0; t < s->per_daemon; t++) {
			size_t idx = i * s->per_daemon + t;
			struct vg_cluster_endpoint *e = &d->endpoints[d->nendpoints++];
			e->name = strdup(s->names.v[idx]);
			e->xprt = strdup(s->xprt);
			e->port = s->port_numbers[idx % s->ports.n];
			e->maestro_comm = s->maestro_comm;
			e->bind_all = s->bind_all;
			if (s->hosts.n)
				e->host = strdup(s->hosts.v[idx / (s->names.n / s->hosts.n)]);
			if (!e->name || !e->xprt || (s->hosts.n && !e->host))
				return cl_oom(x);
			int rc = copy_auth(x, s->auth, &e->auth);
			if (rc)
				return rc;
		}
	}
	return 0;
}

static int load_environment(struct cl_ctx *x, const struct ynode *n, const char *path,
			    struct vg_cluster_daemon *d)
{
	if (n->kind != YN_MAP)
		return cl_error(x, n, path, "expected a mapping of NAME: value, got %s",
				ynode_kind_name(n->kind));
	d->environment = calloc(n->n + 1, sizeof(*d->environment));
	if (!d->environment)
		return cl_oom(x);
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *k = ymap_key(n, i), *v = ymap_value(n, i);
		char sub[CL_PATH_MAX];
		cl_sub(sub, "%s.%s", path, k->str);
		if (v->kind != YN_SCALAR)
			return cl_error(x, v, sub, "expected a value, got %s", ynode_kind_name(v->kind));
		/* ${VAR} stays for the daemon to expand, in its own environment */
		int rc = cl_check_token(x, v, sub, v->str);
		if (!rc)
			rc = cl_check_token(x, k, sub, k->str);
		if (rc)
			return rc;
		d->environment[i].key = strdup(k->str);
		d->environment[i].value = strdup(v->str);
		d->nenvironment++;
		if (!d->environment[i].key || !d->environment[i].value)
			return cl_oom(x);
	}
	return 0;
}

static int load_daemon_options(struct cl_ctx *x, const struct ynode *n, const char *path,
			       struct cl_daemon *cd)
{
	int rc = cl_opt_string(x, n, "set_memory", path, &cd->set_memory);
	uint64_t size;
	char sub[CL_PATH_MAX];
	cl_sub(sub, "%s.set_memory", path);
	if (!rc && cd->set_memory && vg_parse_size(cd->set_memory, &size))
		return cl_error(x, ymap_get(n, "set_memory"), sub,
				"\"%s\" is not a size (e.g. 512K, 2M)", cd->set_memory);
	if (!rc)
		rc = cl_opt_string(x, n, "log_level", path, &cd->log_level);
	static const char *const levels[] = {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL",
					     "QUIET"};
	bool ok = !cd->log_level;
	for (size_t i = 0; !ok && i < VG_ARRAY_LEN(levels); i++)
		ok = strcasecmp(cd->log_level, levels[i]) == 0;
	cl_sub(sub, "%s.log_level", path);
	if (!rc && !ok)
		return cl_error(x, ymap_get(n, "log_level"), sub,
				"\"%s\" is not one of DEBUG, INFO, WARNING, ERROR, CRITICAL, QUIET",
				cd->log_level);
	return rc;
}

static int load_daemon_entry(struct cl_ctx *x, const struct ynode *n, const char *path)
{
	struct vg_names names = {0}, hosts = {0};
	struct ep_spec *specs = NULL;
	size_t nspecs = 0;
	struct ynode *v, *eps = NULL;
	char sub[CL_PATH_MAX];
	int rc = cl_check_map(x, n, path, daemon_keys);
	if (!rc)
		rc = cl_require(x, n, "names", path, "names: \"sampler-[1-8]\"", &v);
	cl_sub(sub, "%s.names", path);
	const struct ynode *names_node = v;
	if (!rc)
		rc = cl_names(x, v, sub, &names);
	if (!rc)
		rc = cl_require(x, n, "hosts", path, "hosts: \"node-[1-8]\"", &v);
	cl_sub(sub, "%s.hosts", path);
	if (!rc)
		rc = cl_names(x, v, sub, &hosts);
	if (!rc && (hosts.n > names.n || names.n % hosts.n))
		rc = cl_error(x, v, sub,
			      "gives %zu hosts for %zu daemons: give one host per daemon, or a "
			      "number of hosts that divides %zu",
			      hosts.n, names.n, names.n);
	if (!rc)
		rc = cl_require(x, n, "endpoints", path,
				"endpoints: [{names: \"node-[1-8]-10001\", ports: 10001}]", &eps);
	cl_sub(sub, "%s.endpoints", path);
	if (!rc)
		rc = cl_check_seq(x, eps, sub);
	if (!rc && eps->n == 0)
		rc = cl_error(x, eps, sub, "the list is empty: a daemon needs an endpoint");
	if (!rc && !(specs = calloc(eps->n, sizeof(*specs))))
		rc = cl_oom(x);
	for (size_t j = 0; !rc && j < eps->n; j++) {
		cl_sub(sub, "%s.endpoints[%zu]", path, j);
		nspecs++;
		rc = load_endpoint_spec(x, eps->items[j], sub, names.n, &specs[j]);
	}
	struct cl_daemon opts = {0};
	if (!rc)
		rc = load_daemon_options(x, n, path, &opts);
	struct vg_cluster *c = x->c;
	size_t first = c->ndaemons;
	if (!rc) {
		struct vg_cluster_daemon *nd = realloc(c->daemons, (first + names.n) * sizeof(*nd));
		struct cl_daemon *pd = nd ? realloc(x->p->daemons, (first + names.n) * sizeof(*pd))
					  : NULL;
		if (nd)
			c->daemons = nd;
		if (pd)
			x->p->daemons = pd;
		if (!nd || !pd)
			rc = cl_oom(x);
	}
	for (size_t i = 0; !rc && i < names.n; i++) {
		struct vg_cluster_daemon *d = &c->daemons[first + i];
		struct cl_daemon *cd = &x->p->daemons[first + i];
		memset(d, 0, sizeof(*d));
		memset(cd, 0, sizeof(*cd));
		c->ndaemons++;
		d->name = names.v[i];
		names.v[i] = NULL;
		d->line = names_node->line;
		cd->line = names_node->line;
		cd->col = names_node->col;
		cd->entry = x->entry;
		rc = cl_check_token(x, names_node, path, d->name);
		if (!rc)
			rc = fill_daemon(x, d, i, &hosts, names.n, specs, nspecs);
		if (!rc && opts.set_memory && !(cd->set_memory = strdup(opts.set_memory)))
			rc = cl_oom(x);
		if (!rc && opts.log_level && !(cd->log_level = strdup(opts.log_level)))
			rc = cl_oom(x);
		v = ymap_get(n, "environment");
		cl_sub(sub, "%s.environment", path);
		if (!rc && v && !ynode_is_null(v))
			rc = load_environment(x, v, sub, d);
	}
	free(opts.set_memory);
	free(opts.log_level);
	for (size_t j = 0; j < nspecs; j++)
		ep_spec_free(&specs[j]);
	free(specs);
	vg_names_free(&names);
	vg_names_free(&hosts);
	return rc;
}

/* ---------------------------------------------------------------- load and free */

static int load_list(struct cl_ctx *x, const struct ynode *root, const char *key, bool required,
		     int (*fn)(struct cl_ctx *, const struct ynode *, const char *))
{
	const struct ynode *list = ymap_get(root, key);
	if (!list || ynode_is_null(list)) {
		if (required)
			return cl_error(x, root, "", "missing \"%s\": the file defines no daemons "
					"(e.g. daemons: [{names: sampler-1, hosts: node-1, endpoints: "
					"[{names: node-1-10001, ports: 10001}]}])",
					key);
		return 0;
	}
	int rc = cl_check_seq(x, list, key);
	for (size_t i = 0; !rc && i < list->n; i++) {
		char path[CL_PATH_MAX];
		cl_sub(path, "%s[%zu]", key, i);
		x->entry = i;
		rc = fn(x, list->items[i], path);
	}
	return rc;
}

int vg_cluster_load(const char *path, struct vg_cluster **out, struct vg_err *err)
{
	*out = NULL;
	struct ytree tree;
	int rc = ytree_load(path, &tree, err);
	if (rc)
		return rc;
	struct vg_cluster *c = calloc(1, sizeof(*c));
	struct cluster_priv *p = calloc(1, sizeof(*p));
	if (!c || !p || !(c->path = strdup(path))) {
		free(c);
		free(p);
		ytree_free(&tree);
		return vg_errf(err, ENOMEM, "out of memory");
	}
	c->priv = p;
	struct cl_ctx x = {path, err, c, p, NULL, 0};
	const struct ynode *root = tree.root;
	if (!root || ynode_is_null(root))
		rc = vg_errf(err, EINVAL, "%s: the file is empty (expected daemons:, aggregators:, "
			     "samplers:, stores:)", path);
	else
		rc = cl_check_map(&x, root, "", top_keys);
	if (!rc) {
		x.plugins = ymap_get(root, "plugins");
		if (x.plugins && ynode_is_null(x.plugins))
			x.plugins = NULL;
		if (x.plugins && x.plugins->kind != YN_MAP)
			rc = cl_error(&x, x.plugins, "plugins",
				      "expected a mapping of instance name to plugin, got %s",
				      ynode_kind_name(x.plugins->kind));
	}
	if (!rc)
		rc = load_list(&x, root, "daemons", true, load_daemon_entry);
	if (!rc)
		rc = index_names(&x);
	if (!rc)
		rc = load_list(&x, root, "aggregators", false, cl_load_aggregator);
	if (!rc && ymap_get(root, "samplers"))
		rc = cl_load_samplers(&x, ymap_get(root, "samplers"));
	if (!rc && ymap_get(root, "stores"))
		rc = cl_load_stores(&x, ymap_get(root, "stores"));
	if (!rc)
		rc = cl_check_plugins(&x);
	if (!rc)
		rc = cl_load_balancer(&x, ymap_get(root, "balancer"));
	ytree_free(&tree);
	if (rc) {
		vg_cluster_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

static void free_auth(struct vg_cluster_auth *a)
{
	free(a->name);
	free(a->plugin);
	cl_kv_free(a->conf, a->nconf);
}

static void free_group(struct vg_cluster_group *g, struct cl_group *cg)
{
	free(g->name);
	for (size_t i = 0; i < g->naggregators; i++)
		free(g->aggregators[i]);
	free(g->aggregators);
	for (size_t i = 0; i < g->nproducers; i++) {
		struct vg_cluster_producer *p = &g->producers[i];
		free(p->name);
		free(p->host);
		free(p->xprt);
		free(p->auth);
		free(p->type);
	}
	free(g->producers);
	for (size_t i = 0; i < g->nupdaters; i++) {
		struct vg_cluster_updater *u = &g->updaters[i];
		free(u->mode);
		for (size_t s = 0; s < u->nsets; s++) {
			free(u->sets[s].regex);
			free(u->sets[s].field);
		}
		free(u->sets);
		if (cg && cg->updtrs) {
			free(cg->updtrs[i].name);
			free(cg->updtrs[i].producers);
			free(cg->updtrs[i].listen_regex);
		}
	}
	free(g->updaters);
	if (!cg)
		return;
	free(cg->updtrs);
	for (size_t i = 0; i < cg->nlistens; i++) {
		free(cg->listens[i].name);
		free(cg->listens[i].regex);
		free(cg->listens[i].ip);
	}
	free(cg->listens);
	for (size_t i = 0; i < cg->nsubs; i++) {
		free(cg->subs[i].stream);
		free(cg->subs[i].regex);
	}
	free(cg->subs);
}

void vg_cluster_free(struct vg_cluster *c)
{
	if (!c)
		return;
	struct cluster_priv *p = c->priv;
	for (size_t i = 0; i < c->ndaemons; i++) {
		struct vg_cluster_daemon *d = &c->daemons[i];
		free(d->name);
		free(d->host);
		for (size_t e = 0; e < d->nendpoints; e++) {
			free(d->endpoints[e].name);
			free(d->endpoints[e].xprt);
			free(d->endpoints[e].host);
			free_auth(&d->endpoints[e].auth);
		}
		free(d->endpoints);
		cl_kv_free(d->environment, d->nenvironment);
		if (p && p->daemons) {
			free(p->daemons[i].set_memory);
			free(p->daemons[i].log_level);
		}
	}
	free(c->daemons);
	for (size_t i = 0; i < c->ngroups; i++)
		free_group(&c->groups[i], p && p->groups ? &p->groups[i] : NULL);
	free(c->groups);
	free(c->balancer.state_file);
	free(c->balancer.etcd);
	free(c->balancer.auth_plugin);
	cl_kv_free(c->balancer.auth_conf, c->balancer.nauth_conf);
	if (p) {
		cl_free_parts(p);
		free(p->daemons);
		free(p->groups);
		free(p->by_name);
		free(p->eps);
		for (size_t i = 0; i < p->nauths; i++) {
			free(p->auths[i].name);
			free(p->auths[i].plugin);
			cl_kv_free(p->auths[i].conf, p->auths[i].nconf);
		}
		free(p->auths);
		free(p);
	}
	free(c->path);
	free(c);
}

/* ---------------------------------------------------------------- this host */

bool vg_cluster_host_is_local(const char *host)
{
	if (!strcasecmp(host, "localhost") || !strcmp(host, "127.0.0.1") || !strcmp(host, "::1"))
		return true;
	char name[256] = "";
	if (gethostname(name, sizeof(name) - 1))
		return false;
	if (!strcasecmp(host, name))
		return true;
	size_t short_len = strcspn(name, ".");
	if (strlen(host) == short_len && !strncasecmp(host, name, short_len))
		return true;
	/* the fully qualified name, when the resolver knows one */
	struct addrinfo hints = {.ai_flags = AI_CANONNAME, .ai_family = AF_UNSPEC};
	struct addrinfo *ai = NULL;
	bool local = false;
	if (strchr(host, '.') && getaddrinfo(name, NULL, &hints, &ai) == 0) {
		local = ai->ai_canonname && !strcasecmp(ai->ai_canonname, host);
		freeaddrinfo(ai);
	}
	return local;
}

int vg_cluster_default_daemon(const struct vg_cluster *c, const char **name, struct vg_err *err)
{
	const char *found = NULL;
	size_t nfound = 0;
	char list[256] = "";
	size_t pos = 0;
	for (size_t i = 0; i < c->ndaemons; i++) {
		if (!vg_cluster_host_is_local(c->daemons[i].host))
			continue;
		found = c->daemons[i].name;
		if (pos < sizeof(list))
			pos += (size_t)snprintf(list + pos, sizeof(list) - pos, "%s%s",
						nfound ? ", " : "", found);
		nfound++;
	}
	if (nfound == 1) {
		*name = found;
		return 0;
	}
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	if (nfound == 0)
		return vg_errf(err, ENOENT,
			       "%s: no daemon runs on this host (%s): give its name with -n NAME",
			       c->path, host);
	return vg_errf(err, EEXIST,
		       "%s: %zu daemons run on this host (%s): choose one with -n NAME", c->path,
		       nfound, list);
}
