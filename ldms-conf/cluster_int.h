/*
 * cluster_int.h - what the loader (cluster.c, cluster_parts.c) and the
 * generator (cluster_gen.c) share beyond cluster.h: the parts of the file
 * only the generator needs, and the loader's helpers.
 */
#ifndef VIGIL_CLUSTER_INT_H
#define VIGIL_CLUSTER_INT_H

#include "ldms-conf/cluster.h"
#include "ldms-conf/range.h"
#include "ldms-conf/yaml_tree.h"

#define CL_PATH_MAX 256

/* A sampler or store plugin instance. */
struct cl_plugin {
	char *instance;        /* load name= */
	char *plugin;          /* the module */
	uint64_t interval_us;  /* samplers: start interval= */
	int64_t offset_us;
	bool has_offset;
	char **config;         /* one "k=v k=v" per config line, as written (${VAR} kept) */
	size_t nconfig;
	int line;
};

/* Where one daemon advertises itself (advertiser_add). */
struct cl_target {
	char *name;            /* advertiser name */
	char *host;
	uint16_t port;
	char *xprt;
};

struct cl_advertise {
	struct vg_names daemons;
	struct cl_target *targets;
	size_t ntargets;
	uint64_t reconnect_us;
	char *auth;            /* domain name or NULL */
};

struct cl_sampler {
	struct vg_names daemons;
	struct cl_plugin *plugins;
	size_t nplugins;
};

struct cl_store {
	char *name;
	struct vg_names daemons;
	char *container, *schema;
	uint64_t flush_us;
	bool has_flush;
	struct cl_plugin plugin;
	int line;
};

struct cl_listen {
	char *name, *regex, *ip;
	uint64_t reconnect_us;
	bool has_reconnect;
};

struct cl_subscribe {
	char *stream, *regex;
};

/* Per updater of a group (parallel to group->updaters). */
struct cl_updtr {
	char *name;            /* updtr_N, unique in the file */
	char *producers;       /* the `producers` regex given, or NULL */
	bool listen;           /* of a prdcr_listen entry: its regex selects the producers */
	char *listen_regex;
};

struct cl_group {
	struct cl_listen *listens;
	size_t nlistens;
	struct cl_subscribe *subs;
	size_t nsubs;
	struct cl_updtr *updtrs;
};

struct cl_daemon {
	char *set_memory;
	char *log_level;
	int line, col;                   /* of its names: */
	size_t entry;                    /* its daemons[entry] */
};

struct cl_authdom {
	char *name, *plugin;
	struct vg_cluster_kv *conf;
	size_t nconf;
	int line, col;
};

/* A daemon or an endpoint by name (sorted arrays, for lookups and duplicate checks). */
struct cl_epref {
	const char *name;
	size_t daemon, endpoint;
	int line, col;
};

struct cluster_priv {
	struct cl_daemon *daemons;       /* parallel to c->daemons */
	struct cl_epref *by_name;        /* every daemon, sorted by name */
	struct cl_epref *eps;            /* every endpoint, sorted by name */
	size_t neps;
	struct cl_group *groups;         /* parallel to c->groups */
	struct cl_sampler *samplers;
	size_t nsamplers;
	struct cl_store *stores;
	size_t nstores;
	struct cl_advertise *adverts;
	size_t nadverts;
	struct cl_authdom *auths;
	size_t nauths;
	size_t nupdtrs;                  /* for updtr_N names */
};

/* ---------------------------------------------------------------- loader helpers */

struct cl_ctx {
	const char *file;
	struct vg_err *err;
	struct vg_cluster *c;
	struct cluster_priv *p;
	const struct ynode *plugins;     /* the top-level `plugins` mapping, or NULL */
	size_t entry;                    /* the index of the list entry being loaded */
};

/* A key path into dst (CL_PATH_MAX bytes), cut if too long. */
void cl_sub(char *dst, const char *fmt, ...) VG_PRINTF(2, 3);
/* "file:line:col: path: message" for node n; returns -EINVAL. */
int cl_error(struct cl_ctx *x, const struct ynode *n, const char *path, const char *fmt, ...)
	VG_PRINTF(4, 5);
/* n must be a mapping whose keys are all in allowed (NULL-terminated). */
int cl_check_map(struct cl_ctx *x, const struct ynode *n, const char *path,
		 const char *const *allowed);
/* n must be a list. */
int cl_check_seq(struct cl_ctx *x, const struct ynode *n, const char *path);
/* A required key's value, or an error naming the key and an example. */
int cl_require(struct cl_ctx *x, const struct ynode *map, const char *key, const char *path,
	       const char *example, struct ynode **out);

/* A scalar with ${VAR} expanded from the environment (unset: an error). */
int cl_string(struct cl_ctx *x, const struct ynode *n, const char *path, char **out);
/* The same for an optional key (NULL if absent). */
int cl_opt_string(struct cl_ctx *x, const struct ynode *map, const char *key, const char *path,
		  char **out);
/* A duration key: "500ms", "1.5s", a number of µs; def if absent. */
int cl_opt_duration(struct cl_ctx *x, const struct ynode *map, const char *key,
		    const char *path, int64_t def, bool allow_negative, int64_t *out, bool *given);
int cl_opt_bool(struct cl_ctx *x, const struct ynode *map, const char *key, const char *path,
		bool def, bool *out);
/* A range string, or a list of them, expanded. */
int cl_names(struct cl_ctx *x, const struct ynode *n, const char *path, struct vg_names *out);
/* Every name must be a daemon of the file. */
int cl_check_daemons(struct cl_ctx *x, const struct ynode *n, const char *path,
		     const struct vg_names *names);
/* Values written into config lines may not hold spaces (the line format has no quoting). */
int cl_check_token(struct cl_ctx *x, const struct ynode *n, const char *path, const char *v);

/* auth: {name, plugin, conf}: registers the domain, *name = its name (NULL: DEFAULT). */
int cl_auth(struct cl_ctx *x, const struct ynode *n, const char *path, char **name);
/* An auth conf: a mapping, "k=v k=v", or a bare path (conf=PATH, ovis's secret file). */
int cl_auth_conf(struct cl_ctx *x, const struct ynode *n, const char *path,
		 struct vg_cluster_kv **kv, size_t *nkv);
const struct cl_authdom *cl_auth_find(const struct cluster_priv *p, const char *name);

const struct cl_epref *cl_ref_find(const struct cl_epref *refs, size_t n, const char *name);
int cl_oom(struct cl_ctx *x);
/* arr (of n elements of size sz) grown by one zeroed element, or NULL. */
void *cl_grow(void *arr, size_t n, size_t sz);

/* cluster_agg.c: one entry of aggregators. */
int cl_load_aggregator(struct cl_ctx *x, const struct ynode *n, const char *path);

/* cluster_parts.c: samplers, plugins, stores, advertise, balancer. */
int cl_load_samplers(struct cl_ctx *x, const struct ynode *seq);
int cl_load_stores(struct cl_ctx *x, const struct ynode *stores);
int cl_check_plugins(struct cl_ctx *x);
int cl_load_advertise(struct cl_ctx *x, const struct ynode *adv, const char *path,
		      const struct vg_names *daemons);
int cl_load_balancer(struct cl_ctx *x, const struct ynode *map);
void cl_free_parts(struct cluster_priv *p);
void cl_plugin_free(struct cl_plugin *pl);
void cl_kv_free(struct vg_cluster_kv *kv, size_t n);

#endif /* VIGIL_CLUSTER_INT_H */
