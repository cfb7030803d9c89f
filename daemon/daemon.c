/*
 * daemon.c - ldmsd's state, its life cycle, and the daemon-wide commands.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "core/log.h"
#include "core/proto.h"
#include "daemon/advertise.h"
#include "daemon/conffile.h"
#include "daemon/daemon.h"
#include "daemon/prdcr.h"
#include "daemon/strgp.h"
#include "daemon/updtr.h"
#include "xprt/xprt.h"
#include "daemon/handlers.h"
#include "daemon/json.h"
#include "daemon/server.h"

int ldmsd_init(struct ldmsd *d, struct vg_err *err)
{
	memset(d, 0, sizeof(*d));
	d->start_us = vg_now_us();
	vg_xprt_init();
	d->loop = vg_loop_new(err);
	return d->loop ? 0 : -err->code;
}

static int server_cmd(void *arg, const char *line, const char *where, unsigned flags,
		      struct vg_strbuf *reply, struct vg_err *err)
{
	return ldmsd_run_line_flags(arg, line, where, flags, reply, err);
}

int ldmsd_start_core(struct ldmsd *d, struct vg_err *err)
{
	int swept = vg_pool_sweep_stale("vigil.");
	if (swept > 0)
		vg_log(VG_LOG_INFO, "ldmsd", "removed %d set memory file(s) of dead daemons", swept);
	char pool_name[64];
	snprintf(pool_name, sizeof(pool_name), "vigil.%ld.sets", (long)getpid());
	uint64_t size = d->set_memory ? d->set_memory : VG_POOL_DEFAULT_SIZE;
	/* tmpfs takes any size and kills the writer with SIGBUS when it runs out */
	struct statvfs fs;
	if (statvfs("/dev/shm", &fs) == 0 && size > (uint64_t)fs.f_bavail * fs.f_frsize) {
		char want[32], have[32];
		vg_log(VG_LOG_WARNING, "ldmsd",
		       "set memory of %s is more than the %s free in /dev/shm: sets beyond that "
		       "will fail; lower -m or grow /dev/shm",
		       vg_format_size(size, want, sizeof(want)),
		       vg_format_size((uint64_t)fs.f_bavail * fs.f_frsize, have, sizeof(have)));
	}
	d->pool = vg_pool_create(pool_name, (size_t)size, err);
	if (!d->pool)
		return -err->code;
	d->dir = vg_setdir_new();
	if (!d->dir)
		return vg_errf(err, ENOMEM, "out of memory");
	d->host.pool = d->pool;
	d->host.dir = d->dir;
	d->host.loop = d->loop;
	d->server = vg_server_new(d->loop, d->dir, server_cmd, d, err);
	if (d->server) {
		vg_server_set_status_public(d->server, d->status_public);
		vg_server_set_advertise(d->server, prdcr_listen_advertised, d);
	}
	return d->server ? 0 : -err->code;
}

int ldmsd_array_add(void ***arr, size_t *n, void *ptr)
{
	void **na = realloc(*arr, (*n + 1) * sizeof(*na));
	if (!na)
		return -ENOMEM;
	na[(*n)++] = ptr;
	*arr = na;
	return 0;
}

void ldmsd_array_del(void **arr, size_t *n, void *ptr)
{
	for (size_t i = 0; i < *n; i++) {
		if (arr[i] == ptr) {
			memmove(&arr[i], &arr[i + 1], (*n - i - 1) * sizeof(*arr));
			(*n)--;
			return;
		}
	}
}

void ldmsd_shutdown(struct ldmsd *d)
{
	/* no advertisement may create a producer while the producers are freed */
	prdcr_listen_free_all(d);
	advertiser_shutdown_all(d);
	/* stores first (they flush and close files), then the connections they fed on */
	strgp_free_all(d);
	updtr_free_all(d);
	if (d->loop)
		prdcr_shutdown_all(d);
	ldmsd_plugins_unload_all(d);
	vg_server_free(d->server);
	d->server = NULL;
	ldmsd_auth_free_all(d);
	vg_server_free(d->server);
	d->server = NULL;
	if (d->dir)
		vg_setdir_free(d->dir);
	d->dir = NULL;
	if (d->pool)
		vg_pool_destroy(d->pool);
	d->pool = NULL;
	for (size_t i = 0; i < LDMSD_MAX_CLIENT_XPRTS; i++)
		if (d->client_xprts[i])
			vg_xprt_close(d->client_xprts[i]);
	if (d->loop)
		vg_loop_free(d->loop);
	d->loop = NULL;
	free(d->name);
	free(d->pidfile);
	free(d->control_path);
	d->name = d->pidfile = d->control_path = NULL;
}

int ldmsd_run_line(struct ldmsd *d, const char *line, const char *where, struct vg_strbuf *reply,
		   struct vg_err *err)
{
	return ldmsd_run_line_flags(d, line, where, 0, reply, err);
}

int ldmsd_run_line_flags(struct ldmsd *d, const char *line, const char *where, unsigned flags,
			 struct vg_strbuf *reply, struct vg_err *err)
{
	struct vg_strbuf expanded;
	vg_strbuf_init(&expanded);
	int rc = vg_config_expand(line, where, &expanded);
	if (rc) {
		vg_strbuf_free(&expanded);
		return vg_errf(err, ENOMEM, "out of memory");
	}
	struct vg_cmd_args args;
	rc = vg_cmd_parse(vg_strbuf_str(&expanded), &args, err);
	vg_strbuf_free(&expanded);
	if (rc <= 0)
		return rc;
	if ((flags & VG_CMD_F_STATUS_ONLY) && !(args.cmd->flags & VG_CMD_STATUS)) {
		rc = vg_errf(err, EPERM,
			     "%s changes the daemon: only its owner (uid %u) or root may run it; "
			     "others may run status commands",
			     args.cmd->name, (unsigned)geteuid());
		vg_cmd_args_free(&args);
		return rc;
	}
	struct vg_cmd_ctx ctx = {d, reply, err, false, where, (flags & VG_CMD_F_JSON) != 0};
	rc = vg_cmd_exec(&ctx, &args);
	if (rc == 0 && !(args.cmd->flags & VG_CMD_STATUS))
		vg_log(VG_LOG_INFO, "ldmsd", "%s: %s", where, line);
	vg_cmd_args_free(&args);
	return rc;
}

struct vg_xprt *ldmsd_client_xprt(struct ldmsd *d, const char *name, struct vg_err *err)
{
	for (size_t i = 0; i < LDMSD_MAX_CLIENT_XPRTS; i++) {
		if (!d->client_xprts[i]) {
			d->client_xprts[i] = vg_xprt_open(d->loop, name, err);
			return d->client_xprts[i];
		}
		if (strcmp(vg_xprt_name(d->client_xprts[i]), name) == 0)
			return d->client_xprts[i];
	}
	vg_errf(err, ENOSPC, "too many transports");
	return NULL;
}

/* ------------------------------------------------------------------ handlers */

int h_listen(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	struct ldmsd *d = ctx->d;
	const char *auth = vg_arg_str(args, "auth");
	if (!ldmsd_auth_exists(d, auth))
		return vg_errf(ctx->err, ENOENT,
			       "listen: authentication domain '%s' does not exist (auth_add it "
			       "before listen)",
			       auth);
	unsigned flags = d->remote_control || vg_arg_bool(args, "control") ? VG_LISTEN_CONTROL : 0;
	return vg_server_listen_auth(d->server, vg_arg_str(args, "xprt"), vg_arg_str(args, "host"),
				     (uint16_t)vg_arg_u64(args, "port"), flags,
				     ldmsd_auth_find(d, auth), ctx->err);
}

int h_set_memory(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	struct ldmsd *d = ctx->d;
	if (d->pool)
		return vg_errf(ctx->err, EBUSY, "set memory already exists; set_memory must come "
						"before the daemon starts");
	if (d->set_memory_cli) {
		vg_log(VG_LOG_WARNING, "ldmsd", "%s: set_memory ignored: -m was given on the command "
		       "line", ctx->where);
		return 0;
	}
	d->set_memory = vg_arg_u64(args, "size");
	return 0;
}

int h_loglevel(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	vg_log_set_level((enum vg_log_level)vg_arg_u64(args, "level"));
	return 0;
}

int h_logrotate(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	int rc = vg_log_reopen();
	if (rc)
		return vg_errf(ctx->err, -rc, "cannot reopen the log file: %s", strerror(-rc));
	return 0;
}

static void daemon_status_json(struct ldmsd *d, struct vg_strbuf *out, size_t running)
{
	struct json j;
	json_init(&j, out);
	json_obj_begin(&j);
	json_key_str(&j, "state", "ready");
	json_key_str(&j, "name", d->name ? d->name : "");
	json_key_str(&j, "version", VIGIL_VERSION);
	json_key_i64(&j, "pid", (int64_t)getpid());
	json_key_u64(&j, "start_time_us", d->start_us);
	json_key_u64(&j, "uptime_us", vg_now_us() - d->start_us);
	json_key(&j, "set_memory");
	if (d->pool) {
		json_obj_begin(&j);
		json_key_str(&j, "path", vg_pool_path(d->pool));
		json_key_u64(&j, "size_bytes", vg_pool_size(d->pool));
		json_key_u64(&j, "used_bytes", vg_pool_used(d->pool));
		json_obj_end(&j);
	} else {
		json_null(&j);
	}
	json_key_u64(&j, "sets", d->dir ? vg_setdir_count(d->dir) : 0);
	json_key_u64(&j, "plugins_loaded", d->nplugins);
	json_key_u64(&j, "plugins_running", running);
	json_key_u64(&j, "producers", d->nprdcrs);
	json_key_u64(&j, "updaters", d->nupdtrs);
	json_key_u64(&j, "storage_policies", d->nstrgps);
	json_key(&j, "listeners");
	json_arr_begin(&j);
	const char *xprt, *addr;
	unsigned flags;
	for (size_t i = 0; d->server && vg_server_listener(d->server, i, &xprt, &addr, &flags); i++) {
		json_obj_begin(&j);
		json_key_str(&j, "xprt", xprt);
		json_key_str(&j, "address", addr);
		json_key_bool(&j, "control", flags & VG_LISTEN_CONTROL);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_key_u64(&j, "connections", d->server ? vg_server_conn_count(d->server) : 0);
	json_obj_end(&j);
	vg_strbuf_puts(out, "\n");
}

int h_daemon_status(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	struct ldmsd *d = ctx->d;
	struct vg_strbuf *out = ctx->reply;
	char used[32], total[32];
	size_t running = 0;
	for (size_t i = 0; i < d->nplugins; i++)
		running += d->plugins[i]->state == VG_PLUGIN_RUNNING;
	if (ctx->json) {
		daemon_status_json(d, out, running);
		return 0;
	}
	/* the first line is LDMS's, which scripts look for */
	vg_strbuf_printf(out, "Daemon State: ready\n");
	vg_strbuf_printf(out, "Name: %s\n", d->name ? d->name : "");
	vg_strbuf_printf(out, "Version: vigil %s\n", VIGIL_VERSION);
	vg_strbuf_printf(out, "PID: %ld\n", (long)getpid());
	vg_strbuf_printf(out, "Uptime: %" PRIu64 " s\n", (vg_now_us() - d->start_us) / 1000000u);
	if (d->pool)
		vg_strbuf_printf(out, "Set memory: %s used of %s (%s)\n",
				 vg_format_size(vg_pool_used(d->pool), used, sizeof(used)),
				 vg_format_size(vg_pool_size(d->pool), total, sizeof(total)),
				 vg_pool_path(d->pool));
	vg_strbuf_printf(out, "Sets: %zu\n", d->dir ? vg_setdir_count(d->dir) : (size_t)0);
	vg_strbuf_printf(out, "Plugins: %zu loaded, %zu running\n", d->nplugins, running);
	if (d->server)
		vg_server_status(d->server, out);
	return 0;
}

int h_daemon_exit(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	vg_log(VG_LOG_INFO, "ldmsd", "%s: daemon_exit: shutting down", ctx->where);
	vg_loop_stop(ctx->d->loop);
	return 0;
}

int h_env(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	return vg_config_env(&args->extra, ctx->err);
}

int h_include(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	/* at startup the config reader expands includes in place; this is the runtime path */
	struct vg_config cfg;
	vg_config_init(&cfg);
	int rc = vg_config_read(&cfg, vg_arg_str(args, "path"), ctx->err);
	for (size_t i = 0; rc == 0 && i < cfg.n; i++) {
		struct vg_cmd_ctx sub = *ctx;
		sub.where = cfg.lines[i].where;
		rc = vg_cmd_exec(&sub, &cfg.lines[i].args);
		if (rc && ctx->err)
			vg_err_prefix(ctx->err, "%s", cfg.lines[i].where);
	}
	vg_config_free(&cfg);
	return rc;
}

int h_version(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	if (ctx->json) {
		struct json j;
		json_init(&j, ctx->reply);
		json_obj_begin(&j);
		json_key_str(&j, "name", "vigil");
		json_key_str(&j, "version", VIGIL_VERSION);
		json_key_u64(&j, "protocol", VG_PROTO_VERSION);
		json_key_u64(&j, "plugin_api", VG_PLUGIN_API_VERSION);
		json_obj_end(&j);
		vg_strbuf_puts(ctx->reply, "\n");
		return 0;
	}
	vg_strbuf_printf(ctx->reply, "vigil %s (protocol %d, plugin API %d)\n", VIGIL_VERSION,
			 VG_PROTO_VERSION, VG_PLUGIN_API_VERSION);
	return 0;
}

int h_help(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	const char *name = vg_arg_str(args, "command");
	if (name && !vg_cmd_find(name))
		return vg_errf(ctx->err, ENOENT, "no command '%s'", name);
	if (ctx->json)
		vg_cmd_help_json(ctx->reply, name);
	else
		vg_cmd_help(ctx->reply, name);
	return 0;
}
