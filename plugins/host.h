/*
 * host.h - the daemon's side of plugins: finding and loading a plugin module,
 * the per-instance record, and the services of plugin.h behind it.
 *
 * Plugins are libtool modules (<name>.so) searched in the directories of
 * VIGIL_PLUGIN_PATH (colon-separated), then in the install directory
 * ($libdir/vigil).  A plugin that cannot be found, opened, or whose
 * vigil_plugin struct has another API version gives an error naming the
 * plugin, the file and the reason; nothing else is affected.
 *
 * Threads: the daemon's loop thread.
 */
#ifndef VIGIL_PLUGIN_HOST_H
#define VIGIL_PLUGIN_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "core/loop.h"
#include "core/pool.h"
#include "core/setdir.h"
#include "plugins/plugin.h"

/* What the daemon lends its plugins. */
struct vg_plugin_host {
	struct vg_pool *pool;
	struct vg_setdir *dir;
	struct vg_loop *loop;
};

enum vg_plugin_state {
	VG_PLUGIN_LOADED = 0,   /* loaded, not configured */
	VG_PLUGIN_CONFIGURED,   /* config() succeeded */
	VG_PLUGIN_RUNNING,      /* sampling on a timer */
};

struct vg_plugin {
	char *name;                    /* instance name (load name=) */
	char *plugin;                  /* module name (load plugin=, default name) */
	char *path;                    /* the file it came from */
	void *dl;                      /* dlopen handle */
	const struct vg_plugin_ops *ops;
	struct vg_plugin_host *host;
	void *ctx;                     /* the plugin's per-instance context */
	enum vg_plugin_state state;

	/* sampler schedule (the daemon's) */
	struct vg_timer timer;
	uint64_t interval_us;
	int64_t offset_us;

	/* statistics for plugn_status */
	uint64_t samples;
	uint64_t sample_errors;
	uint64_t last_sample_ns;       /* duration of the last sample() */
	uint64_t total_sample_ns;
	struct vg_complaint sample_complaint;

	/* sets this instance published (for plugn_sets and cleanup) */
	struct vg_set **sets;
	size_t nsets, sets_cap;
};

/*
 * Load module plugin (default: name) as instance name.  Errors: -ENOENT (no
 * such module in the search path, with the directories searched), -ELIBBAD
 * (not a vigil plugin, or another API version), -ENOMEM.
 */
int vg_plugin_load(struct vg_plugin_host *host, const char *name, const char *plugin,
		   struct vg_plugin **out, struct vg_err *err);
/* term() if configured, delete the instance's remaining sets, dlclose. */
void vg_plugin_unload(struct vg_plugin *p);

/*
 * Call the plugin's config(); on success the state becomes CONFIGURED.  On
 * failure err says why, without the instance name: the caller adds it.
 */
int vg_plugin_configure(struct vg_plugin *p, const struct vg_kvlist *kv, struct vg_err *err);
/* One sample(), timed and counted; failures are logged rate-limited. */
int vg_plugin_sample(struct vg_plugin *p);

/* The search path actually used, for messages ("dir1:dir2:/usr/lib/vigil"). */
const char *vg_plugin_search_path(void);

#endif /* VIGIL_PLUGIN_HOST_H */
