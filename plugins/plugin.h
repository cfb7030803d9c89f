/*
 * plugin.h - what a plugin sees of vigil.
 *
 * A plugin is one file that exports one versioned struct, `vigil_plugin`,
 * and knows nothing of sockets, config files or the daemon's internals
 * (collectd's plugin discipline; sqlite3_vfs's versioning).  The daemon calls
 *
 *     config(p, attributes)   once, with the attributes of the `config` line
 *     sample(p)               every interval, between `start` and `stop`
 *     term(p)                 once, before unloading
 *
 * and the plugin calls back only the vg_plugin_* services below.  State lives
 * in a per-instance context (vg_plugin_ctx_set), never in file globals, so
 * two instances of a plugin (`load name=mem2 plugin=meminfo`) run side by side.
 *
 * A sampler's sample() must allocate nothing: size every buffer in config().
 *
 * Threads: the daemon never calls one instance from two threads at once.
 */
#ifndef VIGIL_PLUGIN_H
#define VIGIL_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/log.h"
#include "core/schema.h"
#include "core/set.h"
#include "core/util.h"

#define VG_PLUGIN_API_VERSION 1
#define VG_PLUGIN_SYMBOL "vigil_plugin"

enum vg_plugin_type {
	VG_PLUGIN_SAMPLER = 1,
	VG_PLUGIN_STORE = 2,
	VG_PLUGIN_AUTH = 3,
};

struct vg_plugin; /* one loaded instance; opaque to plugins */
struct vg_loop;

/*
 * What a storage policy asks a store to write, fixed when the store opens a
 * handle.  The strings and arrays are valid during open() only: copy them.
 */
struct vg_store_layout {
	const char *strgp;        /* storage policy name, for messages */
	const char *container;
	const char *schema;
	const struct vg_set *set; /* a set of this layout: names, types, counts, units */
	const int *metrics;       /* the columns: metric indices of set, ascending */
	size_t nmetrics;
};

/* The attributes of a config line, in the order given. */
struct vg_kv {
	const char *key;
	const char *value;
};
struct vg_kvlist {
	size_t count;
	const struct vg_kv *items;
};

/* The value of key, or NULL (the last one wins if a key repeats). */
const char *vg_kv_get(const struct vg_kvlist *kv, const char *key);

struct vg_plugin_ops {
	uint32_t api_version; /* VG_PLUGIN_API_VERSION */
	uint32_t size;        /* sizeof(struct vg_plugin_ops) the plugin was built with */
	const char *name;     /* the plugin's name, e.g. "meminfo" */
	enum vg_plugin_type type;
	const char *summary;  /* one line for plugn_status and --help */

	/* Attribute help, as printed by `usage name=X` and ldmsd -u. */
	const char *(*usage)(void);
	/*
	 * Apply the config line.  On failure return a negative errno and say why
	 * in err (the daemon adds the plugin's name).  May be called again to
	 * reconfigure if the plugin supports it, otherwise return -EBUSY.
	 */
	int (*config)(struct vg_plugin *p, const struct vg_kvlist *kv, struct vg_err *err);
	/* Sampler: take one sample. Returns 0 or a negative errno (logged, rate-limited). */
	int (*sample)(struct vg_plugin *p);
	/* Release everything the instance holds. */
	void (*term)(struct vg_plugin *p);
	/*
	 * The attribute names config() accepts, NULL-terminated, or NULL to take
	 * anything.  The daemon refuses a config line with any other attribute,
	 * naming it and listing these: a typo such as componentid= is an error,
	 * not a silently ignored setting (LDMS ignores it).
	 */
	const char *const *attrs;

	/*
	 * Store plugins (type VG_PLUGIN_STORE).  A storage policy opens one
	 * handle per container/schema it writes, stores every consistent update
	 * whose data generation changed (never the same sample twice), flushes on
	 * its flush interval and closes the handle when it stops or when the
	 * set's layout changes (then it opens a new one).  Everything runs on the
	 * daemon's loop thread.  store() allocates nothing per row.
	 */
	void *(*open)(struct vg_plugin *p, const struct vg_store_layout *layout,
		      struct vg_err *err);
	/* One row: set has the layout of h. 0 or -errno with err naming the file. */
	int (*store)(void *h, const struct vg_set *set, struct vg_err *err);
	int (*flush)(void *h, struct vg_err *err);
	void (*close)(void *h);

	/*
	 * Authentication plugins (type VG_PLUGIN_AUTH).  An instance configured
	 * with `auth_add name=DOMAIN plugin=P opts...` (or ldmsd -a P -A k=v) is an
	 * authentication domain.  The exchange, carried by the protocol's AUTH
	 * messages (core/proto.h), is one round:
	 *
	 *   server -> client  method name + a fresh random nonce (VG_AUTH_NONCE_LEN)
	 *   client -> server  auth_respond(nonce) -> a credential blob
	 *   server            auth_verify(nonce, blob) -> the peer's uid and gid
	 *
	 * The nonce makes every credential good for one connection only (no
	 * replay).  Both calls may block briefly (e.g. munge's socket); they run
	 * once per connection, never per update.  Errors name the cause and the
	 * fix (e.g. "munged is not running on /run/munge/munge.socket.2: start it
	 * with systemctl start munge").
	 */
	/* Client side: write the credential for nonce into out (at most out_cap bytes). */
	int (*auth_respond)(struct vg_plugin *p, const uint8_t *nonce, size_t nonce_len,
			    uint8_t *out, size_t out_cap, size_t *out_len, struct vg_err *err);
	/* Server side: check blob against nonce; on success set *uid and *gid. -EACCES etc. */
	int (*auth_verify)(struct vg_plugin *p, const uint8_t *nonce, size_t nonce_len,
			   const uint8_t *blob, size_t blob_len, uint32_t *uid, uint32_t *gid,
			   struct vg_err *err);
};

/* Minimum ops->size of a store plugin (all four store operations present). */
#define VG_PLUGIN_OPS_STORE_SIZE (offsetof(struct vg_plugin_ops, close) + sizeof(void (*)(void *)))
/* Minimum ops->size of an auth plugin. */
#define VG_PLUGIN_OPS_AUTH_SIZE \
	(offsetof(struct vg_plugin_ops, auth_verify) + sizeof(void (*)(void)))

/* Nonce bytes of an authentication challenge; largest credential blob. */
#define VG_AUTH_NONCE_LEN 32
#define VG_AUTH_BLOB_MAX 4096

/* ------------------------------------------------------------------ services */

void vg_plugin_ctx_set(struct vg_plugin *p, void *ctx);
void *vg_plugin_ctx(const struct vg_plugin *p);
/* The instance name (the `name=` of load), for messages and defaults. */
const char *vg_plugin_name(const struct vg_plugin *p);

void vg_plugin_log(const struct vg_plugin *p, enum vg_log_level level, const char *fmt, ...)
	VG_PRINTF(3, 4);

/*
 * Create a set in the daemon's set memory and publish it.  Errors as
 * vg_set_new(), plus -EEXIST when another set already has that instance name.
 */
struct vg_set *vg_plugin_set_new(struct vg_plugin *p, const struct vg_schema *schema,
				 const char *instance, const char *producer, uint32_t uid,
				 uint32_t gid, uint32_t perm, struct vg_err *err);
/* Unpublish and delete a set made by vg_plugin_set_new. */
void vg_plugin_set_delete(struct vg_plugin *p, struct vg_set *set);
/* A published set of this daemon by instance name (e.g. a job_set), or NULL. */
struct vg_set *vg_plugin_set_find(struct vg_plugin *p, const char *instance);
/* Changes whenever sets are published or removed: re-find cached sets when it moves. */
uint64_t vg_plugin_set_generation(struct vg_plugin *p);

/*
 * The daemon's event loop, for plugins that need timers of their own (e.g.
 * store_csv's time-based rollover).  Timers must be stopped in term().
 */
struct vg_loop *vg_plugin_loop(struct vg_plugin *p);

/*
 * Where samplers read kernel files: "/proc" unless the VIGIL_PROC_ROOT
 * environment variable names another directory (tests feed recorded files).
 */
const char *vg_plugin_proc_root(void);

#endif /* VIGIL_PLUGIN_H */
