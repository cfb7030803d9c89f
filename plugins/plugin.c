/*
 * plugin.c - the host side of plugins: finding and loading modules, calling
 * them, and the services of plugin.h that plugins call back.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "plugins/host.h"

#ifndef VIGIL_PLUGIN_DIR
#define VIGIL_PLUGIN_DIR "/usr/local/lib/vigil"
#endif

#define PLUGIN_SUFFIX ".so"

/* ------------------------------------------------------------------ kv */

const char *vg_kv_get(const struct vg_kvlist *kv, const char *key)
{
	if (!kv || !key)
		return NULL;
	for (size_t i = kv->count; i-- > 0;)
		if (kv->items[i].key && strcmp(kv->items[i].key, key) == 0)
			return kv->items[i].value;
	return NULL;
}

/* ------------------------------------------------------------------ services */

void vg_plugin_ctx_set(struct vg_plugin *p, void *ctx)
{
	p->ctx = ctx;
}

void *vg_plugin_ctx(const struct vg_plugin *p)
{
	return p->ctx;
}

const char *vg_plugin_name(const struct vg_plugin *p)
{
	return p->name;
}

void vg_plugin_log(const struct vg_plugin *p, enum vg_log_level level, const char *fmt, ...)
{
	if (!vg_log_enabled(level))
		return;
	va_list ap;
	va_start(ap, fmt);
	vg_vlog(level, p->name, fmt, ap);
	va_end(ap);
}

struct vg_loop *vg_plugin_loop(struct vg_plugin *p)
{
	return p->host->loop;
}

const char *vg_plugin_proc_root(void)
{
	const char *root = getenv("VIGIL_PROC_ROOT");
	return root && *root ? root : "/proc";
}

static int sets_reserve(struct vg_plugin *p)
{
	if (p->nsets < p->sets_cap)
		return 0;
	size_t cap = p->sets_cap ? p->sets_cap * 2 : 4;
	struct vg_set **sets = realloc(p->sets, cap * sizeof(*sets));
	if (!sets)
		return -ENOMEM;
	p->sets = sets;
	p->sets_cap = cap;
	return 0;
}

struct vg_set *vg_plugin_set_new(struct vg_plugin *p, const struct vg_schema *schema,
				 const char *instance, const char *producer, uint32_t uid,
				 uint32_t gid, uint32_t perm, struct vg_err *err)
{
	/* Reserve the record first so that nothing can fail after publishing. */
	if (sets_reserve(p) < 0) {
		vg_errf(err, ENOMEM, "out of memory recording set '%s' of plugin instance '%s'",
			instance, p->name);
		return NULL;
	}
	struct vg_set *set =
		vg_set_new(p->host->pool, schema, instance, producer, uid, gid, perm, err);
	if (!set)
		return NULL;
	vg_set_owner_set(set, p);
	if (p->host->dir) {
		int rc = vg_setdir_add(p->host->dir, set);
		if (rc < 0) {
			vg_set_put(set);
			if (rc == -EEXIST)
				vg_errf(err, EEXIST,
					"set '%s' already exists: give this instance another "
					"instance= name",
					instance);
			else
				vg_errf(err, -rc, "cannot publish set '%s': %s", instance,
					strerror(-rc));
			errno = -rc;
			return NULL;
		}
	}
	p->sets[p->nsets++] = set;
	return set;
}

static void set_unpublish(struct vg_plugin *p, struct vg_set *set)
{
	if (p->host->dir)
		vg_setdir_remove(p->host->dir, set);
	vg_set_put(set);
}

void vg_plugin_set_delete(struct vg_plugin *p, struct vg_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < p->nsets; i++) {
		if (p->sets[i] != set)
			continue;
		memmove(&p->sets[i], &p->sets[i + 1], (p->nsets - i - 1) * sizeof(*p->sets));
		p->nsets--;
		set_unpublish(p, set);
		return;
	}
	/* Not ours: deleting it would pull a set from under its real owner. */
	vg_log(VG_LOG_ERROR, p->name, "asked to delete set '%s', which this instance did not create",
	       vg_set_instance(set));
}

struct vg_set *vg_plugin_set_find(struct vg_plugin *p, const char *instance)
{
	if (!p->host->dir || !instance)
		return NULL;
	return vg_setdir_find(p->host->dir, instance);
}

uint64_t vg_plugin_set_generation(struct vg_plugin *p)
{
	return p->host->dir ? vg_setdir_generation(p->host->dir) : 0;
}

/* ------------------------------------------------------------------ loader */

const char *vg_plugin_search_path(void)
{
	/* Rebuilt at each call: tests and the daemon may change the environment. */
	static char path[8192];
	const char *env = getenv("VIGIL_PLUGIN_PATH");
	if (env && *env)
		snprintf(path, sizeof(path), "%s:%s", env, VIGIL_PLUGIN_DIR);
	else
		snprintf(path, sizeof(path), "%s", VIGIL_PLUGIN_DIR);
	return path;
}

/* Only these characters, so that a name can never leave the search path. */
static bool plugin_name_valid(const char *name)
{
	if (!name || !*name || strlen(name) > VG_NAME_MAX)
		return false;
	for (const char *c = name; *c; c++) {
		bool ok = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
			  (*c >= '0' && *c <= '9') || *c == '_' || *c == '.' || *c == '-';
		if (!ok)
			return false;
	}
	return true;
}

/*
 * Try dir/<plugin>.so.  Returns 1 and the path when the file exists, 0 when it
 * does not (keep searching), -ENAMETOOLONG for an absurd directory.
 */
static int plugin_file(const char *dir, size_t dirlen, const char *plugin, char *path,
		       size_t pathlen)
{
	if (dirlen == 0)
		return 0;
	int n = snprintf(path, pathlen, "%.*s/%s" PLUGIN_SUFFIX, (int)dirlen, dir, plugin);
	if (n < 0 || (size_t)n >= pathlen)
		return -ENAMETOOLONG;
	return access(path, F_OK) == 0 ? 1 : 0;
}

static int plugin_find(const char *plugin, char *path, size_t pathlen)
{
	const char *env = getenv("VIGIL_PLUGIN_PATH");
	if (env) {
		for (const char *dir = env; *dir;) {
			const char *colon = strchr(dir, ':');
			size_t len = colon ? (size_t)(colon - dir) : strlen(dir);
			int rc = plugin_file(dir, len, plugin, path, pathlen);
			if (rc > 0)
				return 0;
			if (!colon)
				break;
			dir = colon + 1;
		}
	}
	int rc = plugin_file(VIGIL_PLUGIN_DIR, strlen(VIGIL_PLUGIN_DIR), plugin, path, pathlen);
	return rc > 0 ? 0 : -ENOENT;
}

/* The ops must be usable: right version, large enough, and the calls we make. */
static int ops_check(const struct vg_plugin_ops *ops, const char *plugin, const char *path,
		     struct vg_err *err)
{
	size_t need = offsetof(struct vg_plugin_ops, term) + sizeof(ops->term);
	if (ops->api_version != VG_PLUGIN_API_VERSION)
		return vg_errf(err, ELIBBAD,
			       "plugin '%s': %s was built for plugin API version %u, this vigil "
			       "uses version %u: rebuild the plugin against this vigil",
			       plugin, path, ops->api_version, VG_PLUGIN_API_VERSION);
	if (ops->size < need)
		return vg_errf(err, ELIBBAD,
			       "plugin '%s': %s has a truncated vigil_plugin struct (%u bytes, "
			       "need %zu): rebuild the plugin against this vigil",
			       plugin, path, ops->size, need);
	if (ops->type == VG_PLUGIN_STORE &&
	    (ops->size < VG_PLUGIN_OPS_STORE_SIZE || !ops->open || !ops->store || !ops->close))
		return vg_errf(err, ELIBBAD,
			       "plugin '%s': %s declares itself a store but lacks open(), store() "
			       "or close(): rebuild it against this vigil",
			       plugin, path);
	if (ops->type == VG_PLUGIN_AUTH &&
	    (ops->size < VG_PLUGIN_OPS_AUTH_SIZE || !ops->auth_respond || !ops->auth_verify))
		return vg_errf(err, ELIBBAD,
			       "plugin '%s': %s declares itself an authentication plugin but lacks "
			       "auth_respond() or auth_verify(): rebuild it against this vigil",
			       plugin, path);
	if (!ops->config || (ops->type == VG_PLUGIN_SAMPLER && !ops->sample))
		return vg_errf(err, ELIBBAD,
			       "plugin '%s': %s lacks a %s() operation: it is not a usable %s",
			       plugin, path, ops->config ? "sample" : "config",
			       ops->type == VG_PLUGIN_SAMPLER ? "sampler" : "plugin");
	return 0;
}

int vg_plugin_load(struct vg_plugin_host *host, const char *name, const char *plugin,
		   struct vg_plugin **out, struct vg_err *err)
{
	if (!plugin)
		plugin = name;
	if (!plugin_name_valid(name))
		return vg_errf(err, EINVAL,
			       "invalid plugin instance name '%s': use letters, digits, '_', '.' "
			       "and '-' only",
			       name ? name : "");
	if (!plugin_name_valid(plugin))
		return vg_errf(err, EINVAL,
			       "invalid plugin name '%s': use letters, digits, '_', '.' and '-' "
			       "only",
			       plugin);

	char path[4096];
	if (plugin_find(plugin, path, sizeof(path)) < 0) {
		const char *env = getenv("VIGIL_PLUGIN_PATH");
		if (env && *env)
			return vg_errf(err, ENOENT,
				       "plugin '%s' not found in VIGIL_PLUGIN_PATH=%s:%s (looked "
				       "for %s" PLUGIN_SUFFIX ")",
				       plugin, env, VIGIL_PLUGIN_DIR, plugin);
		return vg_errf(err, ENOENT,
			       "plugin '%s' not found in %s (looked for %s" PLUGIN_SUFFIX
			       "; set VIGIL_PLUGIN_PATH to search other directories)",
			       plugin, VIGIL_PLUGIN_DIR, plugin);
	}

	void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		const char *why = dlerror();
		return vg_errf(err, ELIBBAD, "plugin '%s': cannot load %s: %s", plugin, path,
			       why ? why : "unknown dlopen error");
	}
	dlerror();
	const struct vg_plugin_ops *ops = dlsym(dl, VG_PLUGIN_SYMBOL);
	if (!ops) {
		dlclose(dl);
		return vg_errf(err, ELIBBAD,
			       "plugin '%s': %s is not a vigil plugin (no '" VG_PLUGIN_SYMBOL
			       "' symbol)",
			       plugin, path);
	}
	int rc = ops_check(ops, plugin, path, err);
	if (rc < 0) {
		dlclose(dl);
		return rc;
	}

	struct vg_plugin *p = calloc(1, sizeof(*p));
	if (p) {
		p->name = strdup(name);
		p->plugin = strdup(plugin);
		p->path = strdup(path);
	}
	if (!p || !p->name || !p->plugin || !p->path) {
		if (p) {
			free(p->name);
			free(p->plugin);
			free(p->path);
			free(p);
		}
		dlclose(dl);
		return vg_errf(err, ENOMEM, "out of memory loading plugin '%s' as '%s'", plugin,
			       name);
	}
	p->dl = dl;
	p->ops = ops;
	p->host = host;
	p->state = VG_PLUGIN_LOADED;
	*out = p;
	return 0;
}

void vg_plugin_unload(struct vg_plugin *p)
{
	if (!p)
		return;
	/* A failed config may have left a context behind: term() gets to free it. */
	if (p->ops->term && (p->state != VG_PLUGIN_LOADED || p->ctx))
		p->ops->term(p);
	while (p->nsets > 0) {
		struct vg_set *set = p->sets[--p->nsets];
		set_unpublish(p, set);
	}
	free(p->sets);
	dlclose(p->dl);
	free(p->name);
	free(p->plugin);
	free(p->path);
	free(p);
}

int vg_plugin_configure(struct vg_plugin *p, const struct vg_kvlist *kv, struct vg_err *err)
{
	struct vg_err local;
	if (!err)
		err = &local;
	vg_err_clear(err);
	static const struct vg_kvlist none = {0, NULL};
	if (!kv)
		kv = &none;
	const char *const *known = p->ops->size >= offsetof(struct vg_plugin_ops, attrs) +
							  sizeof(p->ops->attrs)
					   ? p->ops->attrs
					   : NULL;
	for (size_t i = 0; known && i < kv->count; i++) {
		size_t k = 0;
		while (known[k] && strcmp(known[k], kv->items[i].key) != 0)
			k++;
		if (known[k])
			continue;
		char list[512] = "";
		size_t n = 0;
		for (k = 0; known[k] && n < sizeof(list); k++)
			if (strcmp(known[k], "set") != 0 && strcmp(known[k], "metrics_type") != 0)
				n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", n ? ", " : "",
						      known[k]);
		return vg_errf(err, EINVAL, "unknown attribute '%s' (%s takes %s)", kv->items[i].key,
			       p->plugin, list);
	}
	int rc = p->ops->config(p, kv, err);
	if (rc < 0) {
		if (!err->msg[0])
			vg_errf(err, -rc, "%s", strerror(-rc));
		err->code = -rc;
		return rc; /* the caller adds the instance name (plugin.h) */
	}
	if (p->state == VG_PLUGIN_LOADED)
		p->state = VG_PLUGIN_CONFIGURED;
	return 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int vg_plugin_sample(struct vg_plugin *p)
{
	if (!p->ops->sample)
		return -ENOTSUP;
	uint64_t start = mono_ns();
	int rc = p->ops->sample(p);
	uint64_t took = mono_ns() - start;
	p->samples++;
	p->last_sample_ns = took;
	p->total_sample_ns += took;
	/* a transaction ended on each set: push subscribers are served from here */
	for (size_t i = 0; p->host->dir && i < p->nsets; i++)
		vg_setdir_updated(p->host->dir, p->sets[i]);
	if (rc < 0) {
		p->sample_errors++;
		vg_complain(&p->sample_complaint, VG_LOG_ERROR, p->name,
			    "sample of plugin instance '%s' (%s) failed: %s (%llu of %llu samples "
			    "failed so far)",
			    p->name, p->plugin, strerror(-rc), (unsigned long long)p->sample_errors,
			    (unsigned long long)p->samples);
	} else if (p->sample_complaint.active) {
		vg_complaint_clear(&p->sample_complaint, VG_LOG_INFO, p->name,
				   "plugin instance '%s' (%s) samples again", p->name, p->plugin);
	}
	return rc;
}
