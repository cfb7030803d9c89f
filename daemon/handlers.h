/*
 * handlers.h - the handlers behind the rows of daemon/cmd_table.c.
 * Each receives validated, typed arguments (cmd.h) and is a few lines long.
 */
#ifndef VIGIL_HANDLERS_H
#define VIGIL_HANDLERS_H

#include "cmd.h"

/* daemon/samplers.c: plugin instances */
int h_load(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_config(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_start(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_stop(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_term(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_usage(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_plugn_status(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_plugn_sets(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);

/* daemon/daemon.c: the daemon itself */
int h_listen(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_set_memory(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_loglevel(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_logrotate(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_daemon_status(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_daemon_exit(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_env(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_include(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_version(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_help(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_auth_add(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);

/* daemon/prdcr_cmd.c, updtr.c, strgp.c: aggregation */
int h_prdcr_add(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_prdcr_start(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_prdcr_start_regex(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_prdcr_stop(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_prdcr_stop_regex(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_prdcr_del(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_prdcr_status(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_prdcr_activate(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_prdcr_standby(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_prdcr_load(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_updtr_add(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_updtr_prdcr_add(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_updtr_prdcr_del(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_updtr_match_add(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_updtr_match_del(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_updtr_start(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_updtr_stop(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_updtr_del(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_updtr_status(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_strgp_add(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_strgp_prdcr_add(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_strgp_prdcr_del(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_strgp_metric_add(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_strgp_metric_del(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_strgp_start(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_strgp_stop(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_strgp_del(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_strgp_status(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);

/* daemon/set_status.c: the sets of the directory */
int h_set_stats(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_set_info(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);

/* daemon/advertise.c, prdcr_listen.c: advertisement */
int h_advertiser_add(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_advertiser_start(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_advertiser_stop(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_advertiser_del(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_advertiser_status(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_prdcr_listen_add(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_prdcr_listen_start(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_prdcr_listen_stop(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_prdcr_listen_del(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);
int h_prdcr_listen_status(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);

#endif /* VIGIL_HANDLERS_H */
