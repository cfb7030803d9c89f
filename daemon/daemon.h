/*
 * daemon.h - ldmsd's state and the life cycle around it.
 *
 * Start-up order (ldmsd.c): options -> every -c file read and validated
 * whole (a bad line stops the daemon before anything starts) -> EARLY
 * commands (loglevel, set_memory) -> set memory, directory, server ->
 * -x listeners and the -S control socket -> the remaining commands in file
 * order -> the event loop.  Runtime commands arrive through the server's
 * control endpoints and run the same handlers.
 *
 * Threads: everything here runs on the daemon's one loop thread.  Sampling
 * is cheap and short (tens of microseconds), so samplers, the transport and
 * control share that thread; a worker pool can take the samplers later
 * without changing the plugin API.
 */
#ifndef VIGIL_DAEMON_H
#define VIGIL_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "core/log.h"
#include "core/loop.h"
#include "core/pool.h"
#include "core/setdir.h"
#include "core/util.h"
#include "plugins/host.h"

struct vg_server;
struct vg_xprt;
struct ldmsd_prdcr;
struct ldmsd_updtr;
struct ldmsd_strgp;
struct ldmsd_advertiser;
struct ldmsd_prdcr_listen;

#define LDMSD_MAX_CLIENT_XPRTS 4

#define LDMSD_DEFAULT_PORT 411

struct ldmsd {
	struct vg_loop *loop;
	struct vg_pool *pool;
	struct vg_setdir *dir;
	struct vg_plugin_host host;
	struct vg_server *server;

	/* options */
	uint64_t set_memory;     /* bytes; -m, LDMSD_MEM_SZ or set_memory */
	bool set_memory_cli;     /* given on the command line: wins over set_memory */
	char *name;              /* -n; default: the host name */
	bool foreground;
	char *pidfile;
	char *control_path;      /* -S */
	bool remote_control;     /* --remote-control: allow commands on -x endpoints */
	bool status_public;      /* --status-public: non-owners may run status commands */

	/* loaded plugin instances, in load order */
	struct vg_plugin **plugins;
	size_t nplugins;
	size_t plugins_cap;

	/* aggregation: producers, updaters, storage policies (in creation order) */
	struct ldmsd_prdcr **prdcrs;
	size_t nprdcrs;
	struct ldmsd_updtr **updtrs;
	size_t nupdtrs;
	struct ldmsd_strgp **strgps;
	size_t nstrgps;
	struct vg_xprt *client_xprts[LDMSD_MAX_CLIENT_XPRTS]; /* for producer connections */
	uint64_t layout_seq;     /* source of prdcr_set.layout_seq */

	/* advertisement (daemon/advertise.h): ours to aggregators, theirs to us */
	struct ldmsd_advertiser **advertisers;
	size_t nadvertisers;
	struct ldmsd_prdcr_listen **prdcr_listens;
	size_t nprdcr_listens;
	struct vg_complaint adv_refused; /* advertisements no prdcr_listen accepted */
	/* sets moving between producers (prdcr_move.c) */
	size_t nshadows;         /* producer sets waiting to take over a set another one owns */
	struct prdcr_tomb *tombs;/* the last sample delivered of recently deleted sets */

	/* authentication domains (auth_add; DEFAULT from -a/-A); plugin NULL: built-in none */
	struct ldmsd_auth {
		char *name;
		struct vg_plugin *plugin;
	} *auths;
	size_t nauths;

	uint64_t start_us;       /* wall clock at start */
	int exit_status;
};

/* Create the loop (first step; options may then be filled in). */
int ldmsd_init(struct ldmsd *d, struct vg_err *err);
/* Create set memory, directory and server (after the EARLY commands). */
int ldmsd_start_core(struct ldmsd *d, struct vg_err *err);
/* Stop samplers, unload plugins, close the server, unlink the set memory. */
void ldmsd_shutdown(struct ldmsd *d);

/* Sampler plugin instances (daemon/samplers.c). */
struct vg_plugin *ldmsd_plugin_find(const struct ldmsd *d, const char *name);
void ldmsd_plugins_unload_all(struct ldmsd *d);

/*
 * The plugin of authentication domain name (NULL for the built-in none, and
 * for DEFAULT when ldmsd runs without -a).  Unknown names resolve to NULL
 * too: commands check names with ldmsd_auth_exists() when they are given.
 */
struct vg_plugin *ldmsd_auth_find(struct ldmsd *d, const char *name);
bool ldmsd_auth_exists(struct ldmsd *d, const char *name);
/* Create domain name of auth plugin with its options (auth_add, -a/-A). */
int ldmsd_auth_add(struct ldmsd *d, const char *name, const char *plugin,
		   const struct vg_kvlist *opts, struct vg_err *err);
void ldmsd_auth_free_all(struct ldmsd *d);

/*
 * The transport instance this daemon's outgoing connections (producers,
 * advertisers) use for name: one per transport, opened on first use.
 */
struct vg_xprt *ldmsd_client_xprt(struct ldmsd *d, const char *name, struct vg_err *err);

/* Append ptr to a daemon object array (*arr, *n); -ENOMEM. */
int ldmsd_array_add(void ***arr, size_t *n, void *ptr);
/* Remove ptr from it (keeps order). */
void ldmsd_array_del(void **arr, size_t *n, void *ptr);

/* As ldmsd_run_line, with the CMD_REQ flags (VG_CMD_F_JSON). */
int ldmsd_run_line_flags(struct ldmsd *d, const char *line, const char *where, unsigned flags,
			 struct vg_strbuf *reply, struct vg_err *err);

/* Run one command line at runtime (ldmsctl); the reply text goes to reply. */
int ldmsd_run_line(struct ldmsd *d, const char *line, const char *where, struct vg_strbuf *reply,
		   struct vg_err *err);

#endif /* VIGIL_DAEMON_H */
