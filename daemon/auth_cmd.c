/*
 * auth_cmd.c - authentication domains: auth_add, the DEFAULT domain of
 * ldmsd -a/-A, and their lookup by listeners and producers.
 *
 * A domain is an auth plugin instance configured with the domain's options
 * (plugins/plugin.h).  The built-in `none` needs no plugin file: a domain of
 * plugin none without options, and DEFAULT without -a, are that (NULL).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "daemon/daemon.h"
#include "daemon/handlers.h"
#include "plugins/host.h"

static struct ldmsd_auth *find(struct ldmsd *d, const char *name)
{
	for (size_t i = 0; i < d->nauths; i++)
		if (strcmp(d->auths[i].name, name) == 0)
			return &d->auths[i];
	return NULL;
}

struct vg_plugin *ldmsd_auth_find(struct ldmsd *d, const char *name)
{
	struct ldmsd_auth *a = name ? find(d, name) : NULL;
	return a ? a->plugin : NULL;
}

bool ldmsd_auth_exists(struct ldmsd *d, const char *name)
{
	return strcmp(name, "DEFAULT") == 0 || strcmp(name, "none") == 0 || find(d, name);
}

int ldmsd_auth_add(struct ldmsd *d, const char *name, const char *plugin,
		   const struct vg_kvlist *opts, struct vg_err *err)
{
	if (find(d, name))
		return vg_errf(err, EEXIST, "authentication domain '%s' already exists", name);
	struct vg_plugin *p = NULL;
	if (strcmp(plugin, "none") != 0 || opts->count) {
		char inst[VG_NAME_MAX + 1];
		snprintf(inst, sizeof(inst), "auth.%s", name);
		int rc = vg_plugin_load(&d->host, inst, plugin, &p, err);
		if (rc)
			return rc;
		if (p->ops->type != VG_PLUGIN_AUTH) {
			vg_plugin_unload(p);
			return vg_errf(err, EINVAL, "plugin '%s' is not an authentication plugin",
				       plugin);
		}
		rc = vg_plugin_configure(p, opts, err);
		if (rc) {
			vg_err_prefix(err, "authentication domain '%s' (plugin %s)", name, plugin);
			vg_plugin_unload(p);
			return rc;
		}
	}
	struct ldmsd_auth *na = realloc(d->auths, (d->nauths + 1) * sizeof(*na));
	char *n = strdup(name);
	if (!na || !n) {
		if (na)
			d->auths = na;
		free(n);
		if (p)
			vg_plugin_unload(p);
		return vg_errf(err, ENOMEM, "out of memory");
	}
	d->auths = na;
	d->auths[d->nauths].name = n;
	d->auths[d->nauths].plugin = p;
	d->nauths++;
	vg_log(VG_LOG_INFO, "ldmsd", "authentication domain %s uses %s", name, plugin);
	return 0;
}

void ldmsd_auth_free_all(struct ldmsd *d)
{
	for (size_t i = 0; i < d->nauths; i++) {
		if (d->auths[i].plugin)
			vg_plugin_unload(d->auths[i].plugin);
		free(d->auths[i].name);
	}
	free(d->auths);
	d->auths = NULL;
	d->nauths = 0;
}

int h_auth_add(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	const char *name = vg_arg_str(args, "name");
	const char *plugin = vg_arg_str(args, "plugin");
	return ldmsd_auth_add(ctx->d, name, plugin ? plugin : name, &args->extra, ctx->err);
}
