/*
 * cluster.h - a whole cluster described by one Maestro-format YAML file:
 * the model ldms-conf, `ldmsd -y` and the balancer share.
 *
 * vg_cluster_load() reads the file (libyaml), expands host/port/name ranges
 * ("node-[1-10]", "[10001-10010]"), anchors and aliases, ${VAR} from the
 * environment and durations ("1.0s", "500ms", "20s"), and checks it: every
 * error names file:line:col and the key path (aggregators[1].peers[0].reconnect).
 *
 * The result is plain data: arrays with counts, every string owned by the
 * cluster, freed by vg_cluster_free().  Durations are in microseconds.
 */
#ifndef VIGIL_CLUSTER_H
#define VIGIL_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

struct vg_cluster_kv {
	char *key, *value;
};

struct vg_cluster_auth {
	char *name;                   /* auth_add name= (NULL: the daemon's DEFAULT) */
	char *plugin;                 /* none, ovis, munge */
	struct vg_cluster_kv *conf;   /* plugin options */
	size_t nconf;
};

struct vg_cluster_endpoint {
	char *name;                   /* endpoint name after range expansion */
	char *xprt;                   /* sock, fabric, rdma */
	uint16_t port;
	bool maestro_comm;            /* the control endpoint (ldmsctl, balancer) */
	bool bind_all;
	struct vg_cluster_auth auth;  /* auth.plugin NULL: none */
	char *host;                   /* the endpoint's own host (endpoints' hosts:), or NULL:
				       * the daemon's */
};

struct vg_cluster_daemon {
	char *name;                   /* "sampler-3" */
	char *host;                   /* "node-3" */
	struct vg_cluster_endpoint *endpoints;
	size_t nendpoints;
	struct vg_cluster_kv *environment;
	size_t nenvironment;
	int line;                     /* where it was defined, for messages */
};

struct vg_cluster_set_match {
	char *regex;
	char *field;                  /* "inst" or "schema" */
};

struct vg_cluster_updater {
	char *mode;                   /* pull, push, onchange, auto_interval */
	uint64_t interval_us;
	int64_t offset_us;
	struct vg_cluster_set_match *sets;
	size_t nsets;
};

/* One producer an aggregator group pulls: a daemon's endpoint. */
struct vg_cluster_producer {
	char *name;                   /* producer name = the peer daemon's name */
	char *host;
	uint16_t port;
	char *xprt;
	char *auth;                   /* auth domain name at the aggregator, NULL: DEFAULT */
	char *type;                   /* active | passive */
	uint64_t reconnect_us;
	size_t updater;               /* index in the group's updaters */
	size_t nupdaters;             /* its peers entry's updaters: updater .. updater+nupdaters-1
				       * (0: the entry has none, updater is then SIZE_MAX) */
	size_t block;                 /* index in group->aggregators of its initial aggregator */
};

/* One entry of `aggregators`: the daemons it names and the producers they share. */
struct vg_cluster_group {
	char *name;                   /* "aggregators[0]" unless the entry has name: */
	char **aggregators;           /* daemon names, in order */
	size_t naggregators;
	struct vg_cluster_producer *producers;
	size_t nproducers;
	struct vg_cluster_updater *updaters;
	size_t nupdaters;
	bool balanced;                /* `balance: true`: every producer on every aggregator */
	/* prdcr_listen entries, subscribe etc. are generated into the config only */
};

struct vg_cluster_balancer {
	bool present;                 /* the file has a `balancer:` key */
	uint64_t heartbeat_us;        /* default 500 ms */
	unsigned misses;              /* heartbeats missed before dead; default 2 */
	uint64_t stuck_us;            /* sets not advancing for this long: stuck; default 3 s */
	double threshold;             /* move back when heaviest/lower bound exceeds it; default 1.25 */
	char *state_file;             /* default: NULL (the balancer picks one) */
	char *etcd;                   /* "host:port" or NULL */
	uint64_t lease_us;            /* etcd leader lease; default 2 s */
	char *auth_plugin;            /* how the balancer authenticates to aggregators */
	struct vg_cluster_kv *auth_conf;
	size_t nauth_conf;
};

struct vg_cluster {
	char *path;
	struct vg_cluster_daemon *daemons;
	size_t ndaemons;
	struct vg_cluster_group *groups;
	size_t ngroups;
	struct vg_cluster_balancer balancer;
	void *priv;                   /* samplers, stores, ... as the generator needs them */
};

int vg_cluster_load(const char *path, struct vg_cluster **out, struct vg_err *err);
void vg_cluster_free(struct vg_cluster *c);

const struct vg_cluster_daemon *vg_cluster_daemon_find(const struct vg_cluster *c,
							const char *name);
/* The endpoint to send commands to (maestro_comm, else the first one), or NULL. */
const struct vg_cluster_endpoint *vg_cluster_control_endpoint(const struct vg_cluster_daemon *d);

/*
 * The ldmsd config lines of one daemon (appended to out, one command per
 * line, LDMS v4 words).  -ENOENT if the file has no such daemon.
 */
int vg_cluster_gen(const struct vg_cluster *c, const char *daemon, struct vg_strbuf *out,
		   struct vg_err *err);

/*
 * The daemon this host runs when `ldmsd -y FILE` is given no -n: the one
 * whose host is this machine's name (short or fully qualified), if exactly
 * one; else an error listing the candidates.
 */
int vg_cluster_default_daemon(const struct vg_cluster *c, const char **name, struct vg_err *err);

/* host names this machine: localhost, 127.0.0.1, ::1, or its name (short or fully qualified). */
bool vg_cluster_host_is_local(const char *host);

/*
 * What `ldms-conf check` prints: the daemons, samplers, stores, each group
 * with its aggregators and the producers of each (own block and standbys).
 */
void vg_cluster_summary(const struct vg_cluster *c, struct vg_strbuf *out);

#endif /* VIGIL_CLUSTER_H */
