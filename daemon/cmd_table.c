/*
 * cmd_table.c - every config command ldmsd knows, once.
 *
 * Names and attributes follow LDMS v4 so that existing configs carry over.
 * Adding a command: a row here, a handler in handlers.h; --help, ldmsctl's
 * help and ldmsd.conf(5) pick it up from this table.
 */
#include "config.h"

#include "cmd.h"
#include "handlers.h"

#define END {NULL, VG_A_STR, 0, NULL, NULL}
#define REQ VG_A_REQUIRED

static const struct vg_attr_spec load_attrs[] = {
	{"name", VG_A_NAME, REQ, NULL, "Instance name; also the plugin module unless plugin= is given."},
	{"plugin", VG_A_NAME, 0, NULL,
	 "Plugin module to load (e.g. meminfo), so that one module can run as several instances."},
	END,
};

static const struct vg_attr_spec config_attrs[] = {
	{"name", VG_A_NAME, REQ, NULL, "Instance name given to load."},
	END,
};

static const struct vg_attr_spec start_attrs[] = {
	{"name", VG_A_NAME, REQ, NULL, "Instance name of a configured sampler."},
	{"interval", VG_A_DURATION, REQ, NULL,
	 "Sampling interval: microseconds, or with a unit (1s, 500ms); at least 1ms. "
	 "LDMS's interval_us= is accepted too."},
	{"offset", VG_A_DURATION, 0, "0",
	 "Offset from the interval boundary on the wall clock; |offset| <= interval/2. "
	 "Samples are always aligned to interval boundaries, so that nodes sample in phase."},
	END,
};

static const struct vg_attr_spec name_only_attrs[] = {
	{"name", VG_A_NAME, REQ, NULL, "Instance name."},
	END,
};

static const struct vg_attr_spec name_optional_attrs[] = {
	{"name", VG_A_NAME, 0, NULL, "Report only this instance."},
	END,
};

static const struct vg_attr_spec listen_attrs[] = {
	{"xprt", VG_A_NAME, REQ, NULL, "Transport: sock, fabric or rdma."},
	{"port", VG_A_PORT, 0, "411", "Port to listen on."},
	{"host", VG_A_STR, 0, NULL,
	 "Address to bind (a name, an IPv4 or IPv6 address); default: every address."},
	{"auth", VG_A_NAME, 0, "DEFAULT",
	 "Authentication domain (auth_add); DEFAULT is ldmsd's -a/-A (none without -a)."},
	{"control", VG_A_BOOL, 0, "false",
	 "Also take commands (ldmsctl, the balancer) on this listener, as --remote-control does "
	 "for every -x listener: from the daemon's uid or root."},
	END,
};

static const struct vg_attr_spec set_memory_attrs[] = {
	{"size", VG_A_SIZE, REQ, NULL,
	 "Size of the set memory pool, e.g. 512K, 2M, 1G (same as ldmsd -m, which wins if given)."},
	END,
};

static const struct vg_attr_spec loglevel_attrs[] = {
	{"level", VG_A_LEVEL, REQ, NULL,
	 "DEBUG, INFO, WARNING, ERROR, CRITICAL or QUIET (case-insensitive)."},
	END,
};

static const struct vg_attr_spec include_attrs[] = {
	{"path", VG_A_PATH, REQ, NULL, "Config file to read in place."},
	END,
};

static const struct vg_attr_spec help_attrs[] = {
	{"command", VG_A_NAME, 0, NULL, "Show the attributes of this command."},
	END,
};

/* ---------------------------------------------------------------- aggregation */

static const struct vg_attr_spec prdcr_add_attrs[] = {
	{"name", VG_A_NAME, REQ, NULL, "Producer name (used by updtr_prdcr_add and strgp_prdcr_add regexes)."},
	{"host", VG_A_STR, REQ, NULL,
	 "Host name or address of the producer's ldmsd; a name that does not resolve yet is "
	 "retried like a refused connection."},
	{"port", VG_A_PORT, REQ, NULL, "Port of the producer's listener."},
	{"xprt", VG_A_NAME, REQ, NULL, "Transport: sock, fabric or rdma."},
	{"type", VG_A_STR, REQ, NULL, "active (we connect to it) or passive (it connects to us)."},
	{"reconnect", VG_A_DURATION, 0, "20s",
	 "Retry interval after a failed connect or a disconnect (LDMS's interval= is accepted)."},
	{"auth", VG_A_NAME, 0, "DEFAULT", "Authentication domain (auth_add; DEFAULT: ldmsd's -a)."},
	{"standby", VG_A_BOOL, 0, "false",
	 "Hot standby: connect and look the sets up, but neither update nor re-export them until "
	 "prdcr_activate (the balancer's moves: no reconnect, no lookup)."},
	{"perm", VG_A_STR, 0, "0770", "Accepted for LDMS compatibility."},
	{"cache_ip", VG_A_BOOL, 0, "true", "Accepted for LDMS compatibility."},
	{"uid", VG_A_STR, 0, NULL, "Accepted and ignored, as in LDMS."},
	{"gid", VG_A_STR, 0, NULL, "Accepted and ignored, as in LDMS."},
	END,
};

static const struct vg_attr_spec name_or_regex_attrs[] = {
	{"name", VG_A_NAME, 0, NULL, "A producer name."},
	{"regex", VG_A_STR, 0, NULL, "Extended regular expression over producer names."},
	END,
};

static const struct vg_attr_spec prdcr_start_attrs[] = {
	{"name", VG_A_NAME, REQ, NULL, "Producer name."},
	{"reconnect", VG_A_DURATION, 0, NULL, "New retry interval (default: the one of prdcr_add)."},
	END,
};

static const struct vg_attr_spec regex_reconnect_attrs[] = {
	{"regex", VG_A_STR, REQ, NULL, "Extended regular expression over producer names."},
	{"reconnect", VG_A_DURATION, 0, NULL, "New retry interval."},
	END,
};

static const struct vg_attr_spec regex_attrs[] = {
	{"regex", VG_A_STR, REQ, NULL, "Extended regular expression over producer names."},
	END,
};

static const struct vg_attr_spec updtr_add_attrs[] = {
	{"name", VG_A_NAME, REQ, NULL, "Updater name."},
	{"interval", VG_A_DURATION, REQ, NULL, "Update interval, e.g. 1s."},
	{"offset", VG_A_DURATION, 0, "0",
	 "Wall-clock offset of the updates within the interval, e.g. 100ms so that an aggregator "
	 "reads just after samplers at offset 0 wrote; |offset| <= interval/2."},
	{"push", VG_A_STR, 0, NULL,
	 "onchange or true: producers push each set when a sample ends instead of being read."},
	{"auto_interval", VG_A_BOOL, 0, "false",
	 "Follow the schedule the samplers advertise (set info updt_hint_us), plus offset."},
	{"perm", VG_A_STR, 0, "0770", "Accepted for LDMS compatibility."},
	END,
};

static const struct vg_attr_spec updtr_regex_attrs[] = {
	{"name", VG_A_NAME, REQ, NULL, "Updater name."},
	{"regex", VG_A_STR, REQ, NULL, "Extended regular expression over producer names."},
	END,
};

static const struct vg_attr_spec updtr_match_attrs[] = {
	{"name", VG_A_NAME, REQ, NULL, "Updater name."},
	{"regex", VG_A_STR, REQ, NULL, "Extended regular expression over set names."},
	{"match", VG_A_STR, 0, "inst", "What the regex is matched with: inst or schema."},
	END,
};

static const struct vg_attr_spec updtr_start_attrs[] = {
	{"name", VG_A_NAME, REQ, NULL, "Updater name."},
	{"interval", VG_A_DURATION, 0, NULL, "New interval."},
	{"offset", VG_A_DURATION, 0, NULL, "New offset."},
	{"auto_interval", VG_A_BOOL, 0, NULL, "New auto_interval."},
	END,
};

static const struct vg_attr_spec strgp_add_attrs[] = {
	{"name", VG_A_NAME, REQ, NULL, "Storage policy name."},
	{"plugin", VG_A_NAME, REQ, NULL, "A loaded store plugin instance, e.g. store_csv."},
	{"container", VG_A_NAME, REQ, NULL, "Container (for store_csv: a directory under path=)."},
	{"schema", VG_A_NAME, 0, NULL, "Schema of the sets to store (required)."},
	{"regex", VG_A_STR, 0, NULL, "Not supported yet (LDMS: a schema regex with decomposition)."},
	{"decomposition", VG_A_PATH, 0, NULL, "Not supported yet."},
	{"flush", VG_A_DURATION, 0, "0", "Flush the store this often (0: the store decides)."},
	{"perm", VG_A_STR, 0, "0770", "Accepted for LDMS compatibility."},
	END,
};

static const struct vg_attr_spec strgp_regex_attrs[] = {
	{"name", VG_A_NAME, REQ, NULL, "Storage policy name."},
	{"regex", VG_A_STR, REQ, NULL,
	 "Extended regular expression over producer names (none added: every producer)."},
	END,
};

static const struct vg_attr_spec strgp_metric_attrs[] = {
	{"name", VG_A_NAME, REQ, NULL, "Storage policy name."},
	{"metric", VG_A_STR, REQ, NULL, "Metric name (none added: every metric, in set order)."},
	END,
};

static const struct vg_attr_spec set_stats_attrs[] = {
	{"name", VG_A_STR, 0, NULL,
	 "Extended regular expression over set instance names: report only the matching sets."},
	END,
};

static const struct vg_attr_spec set_info_attrs[] = {
	{"name", VG_A_STR, REQ, NULL, "Instance name of a set in this daemon's directory."},
	END,
};

static const struct vg_attr_spec auth_add_attrs[] = {
	{"name", VG_A_NAME, REQ, NULL, "Domain name, for listen auth= and prdcr_add auth=."},
	{"plugin", VG_A_NAME, 0, NULL,
	 "Authentication plugin: none, ovis or munge (default: the name, so auth_add name=munge "
	 "works). Other attributes are the plugin's options, e.g. socket= (munge), conf= (ovis)."},
	END,
};

/* ---------------------------------------------------------------- advertisement */

static const struct vg_attr_spec advertiser_add_attrs[] = {
	{"name", VG_A_NAME, REQ, NULL, "Advertiser name (one per aggregator to announce to)."},
	{"xprt", VG_A_NAME, REQ, NULL, "Transport to the aggregator: sock, fabric or rdma."},
	{"host", VG_A_STR, REQ, NULL, "Host name or address of the aggregator."},
	{"port", VG_A_PORT, REQ, NULL, "Port of the aggregator's listener."},
	{"auth", VG_A_NAME, 0, "DEFAULT",
	 "Authentication domain to present to the aggregator (auth_add; DEFAULT: ldmsd's -a)."},
	{"reconnect", VG_A_DURATION, 0, "20s",
	 "Retry interval after a failed connection, a lost one, or a refusal."},
	{"my_host", VG_A_STR, 0, NULL,
	 "Host name or address the aggregator connects back to (default: the address this "
	 "daemon's connection comes from)."},
	{"my_port", VG_A_PORT, 0, NULL,
	 "Port the aggregator connects back to (default: this daemon's first network listener)."},
	{"my_xprt", VG_A_NAME, 0, NULL,
	 "Transport the aggregator connects back with (default: that of the first listener)."},
	END,
};

static const struct vg_attr_spec advertiser_start_attrs[] = {
	{"name", VG_A_NAME, REQ, NULL, "Advertiser name."},
	{"reconnect", VG_A_DURATION, 0, NULL, "New retry interval (default: advertiser_add's)."},
	END,
};

static const struct vg_attr_spec prdcr_listen_add_attrs[] = {
	{"name", VG_A_NAME, REQ, NULL, "Listener name."},
	{"regex", VG_A_STR, 0, NULL,
	 "Extended regular expression the advertised producer name must match (default: any)."},
	{"ip", VG_A_STR, 0, NULL,
	 "Address prefixes the advertisement must come from, comma-separated: 10.0.0.0/8, "
	 "127.0.0.1/32, ::1/128 (default: any)."},
	{"reconnect", VG_A_DURATION, 0, "20s", "Reconnect interval of the producers it creates."},
	{"type", VG_A_STR, 0, "active",
	 "Type of the producers it creates: active (the aggregator connects back)."},
	{"disable_start", VG_A_BOOL, 0, "false",
	 "Create the producers stopped (prdcr_start them later)."},
	{"auth", VG_A_NAME, 0, "DEFAULT",
	 "Authentication domain the producers connect back with (auth_add; DEFAULT: ldmsd's -a)."},
	{"xprt", VG_A_NAME, 0, NULL,
	 "Transport the producers connect back with (default: the one advertised)."},
	END,
};

static const struct vg_attr_spec no_attrs[] = {
	END,
};

const struct vg_cmd vg_cmd_table[] = {
	{"load", load_attrs, 0, "Load a plugin.", NULL, h_load},
	{"config", config_attrs, VG_CMD_PASS_EXTRA, "Configure a loaded plugin.",
	 "Every attribute other than name= is passed to the plugin; see its man page, e.g. "
	 "Plugin_meminfo(7), or `usage name=NAME`.",
	 h_config},
	{"start", start_attrs, 0, "Start sampling at a fixed interval.", NULL, h_start},
	{"stop", name_only_attrs, 0, "Stop sampling; the sets stay published with their last values.",
	 NULL, h_stop},
	{"term", name_only_attrs, 0, "Unload a stopped plugin and delete its sets.", NULL, h_term},
	{"usage", name_only_attrs, VG_CMD_STATUS, "Show a plugin's configuration attributes.", NULL,
	 h_usage},
	{"plugn_status", name_optional_attrs, VG_CMD_STATUS,
	 "Show each plugin instance: state, schedule, samples, errors, sample time.", NULL,
	 h_plugn_status},
	{"plugn_sets", name_optional_attrs, VG_CMD_STATUS, "Show the sets of each plugin instance.",
	 NULL, h_plugn_sets},
	{"auth_add", auth_add_attrs, VG_CMD_PASS_EXTRA | VG_CMD_EARLY,
	 "Create an authentication domain.",
	 "Every connection to a listener of the domain must authenticate with its plugin before "
	 "anything else; peers see only the sets their uid/gid may read (set uid, gid, perm).",
	 h_auth_add},
	{"listen", listen_attrs, 0, "Listen for connections (like ldmsd -x xprt:port:host).", NULL,
	 h_listen},
	{"set_memory", set_memory_attrs, VG_CMD_EARLY | VG_CMD_STARTUP_ONLY,
	 "Size the set memory pool.", NULL, h_set_memory},
	{"loglevel", loglevel_attrs, VG_CMD_EARLY, "Change the log level.", NULL, h_loglevel},
	{"logrotate", no_attrs, 0, "Reopen the log file (as SIGHUP does).", NULL, h_logrotate},
	{"daemon_status", no_attrs, VG_CMD_STATUS,
	 "Show the daemon's state, listeners, set memory and plugins.", NULL, h_daemon_status},
	{"daemon_exit", no_attrs, 0, "Shut the daemon down cleanly.", NULL, h_daemon_exit},
	{"shutdown", no_attrs, 0, "Shut the daemon down cleanly (same as daemon_exit).", NULL,
	 h_daemon_exit},
	{"env", no_attrs, VG_CMD_PASS_EXTRA, "Set environment variables: env NAME=VALUE ...",
	 "In a config file the variables are set while the file is read, so that later lines can "
	 "use them as ${NAME}.",
	 h_env},
	{"include", include_attrs, 0, "Read another config file in place.",
	 "Every command of the included file runs (LDMS runs only a few of them).", h_include},
	{"prdcr_add", prdcr_add_attrs, 0, "Add a producer: a daemon whose sets this one pulls.",
	 "A started producer is connected and retried every reconnect interval for ever; its "
	 "sets stay listed, marked stale, while it is unreachable.",
	 h_prdcr_add},
	{"prdcr_start", prdcr_start_attrs, 0, "Start connecting to a producer.", NULL, h_prdcr_start},
	{"prdcr_start_regex", regex_reconnect_attrs, 0, "Start every producer whose name matches.",
	 NULL, h_prdcr_start_regex},
	{"prdcr_stop", name_only_attrs, 0, "Disconnect a producer and drop its sets.", NULL,
	 h_prdcr_stop},
	{"prdcr_stop_regex", regex_attrs, 0, "Stop every producer whose name matches.", NULL,
	 h_prdcr_stop_regex},
	{"prdcr_del", name_only_attrs, 0, "Delete a stopped producer.", NULL, h_prdcr_del},
	{"prdcr_activate", name_or_regex_attrs, 0,
	 "Switch standby producers active: publish their sets to the next tier and update them "
	 "now (the balancer moves producers with this and prdcr_standby).",
	 NULL, h_prdcr_activate},
	{"prdcr_standby", name_or_regex_attrs, 0,
	 "Put producers on hot standby: stay connected with sets looked up, but stop updating "
	 "them and withdraw them from the next tier.",
	 NULL, h_prdcr_standby},
	{"prdcr_load", no_attrs, VG_CMD_STATUS,
	 "One line per producer: state, active/standby, sets, load (data bytes x updates/s by "
	 "the updaters' schedule), updates and the age of the last one (the balancer's heartbeat).",
	 NULL, h_prdcr_load},
	{"prdcr_status", name_optional_attrs, VG_CMD_STATUS,
	 "Show producers, their connection state and their sets.", NULL, h_prdcr_status},
	{"updtr_add", updtr_add_attrs, 0, "Add an updater: when to refresh which producers' sets.",
	 NULL, h_updtr_add},
	{"updtr_prdcr_add", updtr_regex_attrs, 0, "Let an updater refresh the matching producers.",
	 NULL, h_updtr_prdcr_add},
	{"updtr_prdcr_del", updtr_regex_attrs, 0, "Remove a producer regex from an updater.", NULL,
	 h_updtr_prdcr_del},
	{"updtr_match_add", updtr_match_attrs, 0,
	 "Restrict an updater to sets whose instance or schema name matches.", NULL,
	 h_updtr_match_add},
	{"updtr_match_del", updtr_match_attrs, 0, "Remove a set regex from an updater.", NULL,
	 h_updtr_match_del},
	{"updtr_start", updtr_start_attrs, 0, "Start an updater.", NULL, h_updtr_start},
	{"updtr_stop", name_only_attrs, 0, "Stop an updater.", NULL, h_updtr_stop},
	{"updtr_del", name_only_attrs, 0, "Delete a stopped updater.", NULL, h_updtr_del},
	{"updtr_status", name_optional_attrs, VG_CMD_STATUS, "Show updaters and their producers.",
	 NULL, h_updtr_status},
	{"strgp_add", strgp_add_attrs, 0, "Add a storage policy: which sets a store writes.",
	 "Each consistent sample is stored once: a sample already stored (same data generation "
	 "and timestamp) is never stored again, across reconnects of either tier.",
	 h_strgp_add},
	{"strgp_prdcr_add", strgp_regex_attrs, 0, "Store only the matching producers' sets.", NULL,
	 h_strgp_prdcr_add},
	{"strgp_prdcr_del", strgp_regex_attrs, 0, "Remove a producer regex from a storage policy.",
	 NULL, h_strgp_prdcr_del},
	{"strgp_metric_add", strgp_metric_attrs, 0, "Store only the listed metrics.", NULL,
	 h_strgp_metric_add},
	{"strgp_metric_del", strgp_metric_attrs, 0, "Remove a metric from a storage policy.", NULL,
	 h_strgp_metric_del},
	{"strgp_start", name_only_attrs, 0, "Start a storage policy.", NULL, h_strgp_start},
	{"strgp_stop", name_only_attrs, 0, "Stop a storage policy and close its store.", NULL,
	 h_strgp_stop},
	{"strgp_del", name_only_attrs, 0, "Delete a stopped storage policy.", NULL, h_strgp_del},
	{"strgp_status", name_optional_attrs, VG_CMD_STATUS, "Show storage policies.", NULL,
	 h_strgp_status},
	{"advertiser_add", advertiser_add_attrs, 0,
	 "Add an advertiser: announce this daemon to an aggregator, which then pulls from it.",
	 "A started advertiser connects to the aggregator, authenticates, and advertises this "
	 "daemon's name (ldmsd -n) and where to reach it (my_host, my_port, my_xprt). An "
	 "aggregator whose prdcr_listen matches creates a producer of that name and connects "
	 "back. The connection is kept: if it drops, or the aggregator refuses, the advertiser "
	 "tries again every reconnect interval.",
	 h_advertiser_add},
	{"advertiser_start", advertiser_start_attrs, 0, "Start advertising to an aggregator.", NULL,
	 h_advertiser_start},
	{"advertiser_stop", name_only_attrs, 0,
	 "Stop advertising and close the connection to the aggregator.",
	 "The aggregator's producer of this daemon is not affected.", h_advertiser_stop},
	{"advertiser_del", name_only_attrs, 0, "Delete a stopped advertiser.", NULL,
	 h_advertiser_del},
	{"advertiser_status", name_optional_attrs, VG_CMD_STATUS,
	 "Show advertisers: aggregator, state, what was advertised, failures and refusals.", NULL,
	 h_advertiser_status},
	{"prdcr_listen_add", prdcr_listen_add_attrs, 0,
	 "Accept advertisements: create producers for the samplers that announce themselves.",
	 "An advertisement is accepted by the first started listener whose regex matches the "
	 "advertised name and whose ip= prefixes hold the address it comes from; the producer "
	 "created (or, if it exists and is not connected, updated) then behaves as one added with "
	 "prdcr_add. An advertisement no listener accepts is refused with the reason.",
	 h_prdcr_listen_add},
	{"prdcr_listen_start", name_only_attrs, 0, "Start accepting advertisements.", NULL,
	 h_prdcr_listen_start},
	{"prdcr_listen_stop", name_only_attrs, 0,
	 "Stop accepting advertisements; the producers created stay.", NULL, h_prdcr_listen_stop},
	{"prdcr_listen_del", name_only_attrs, 0, "Delete a stopped listener.", NULL,
	 h_prdcr_listen_del},
	{"prdcr_listen_status", name_optional_attrs, VG_CMD_STATUS,
	 "Show advertisement listeners, their filters and the producers they created.", NULL,
	 h_prdcr_listen_status},
	{"set_stats", set_stats_attrs, VG_CMD_STATUS,
	 "Show each set's size, update rate and load (data bytes x updates per second), and totals.",
	 "The rate of a local set is its sampler's schedule; that of a mirror is measured from its "
	 "updates, or before two updates the schedule of the updaters that want it. The load is "
	 "the weight by which producers are balanced (LDMS's set_load).",
	 h_set_stats},
	{"set_info", set_info_attrs, VG_CMD_STATUS,
	 "Show everything about one set: owner, sizes, generations, timestamps, set info, producer.",
	 NULL, h_set_info},
	{"version", no_attrs, VG_CMD_STATUS, "Show vigil's version.", NULL, h_version},
	{"help", help_attrs, VG_CMD_STATUS, "List the commands, or one command's attributes.", NULL,
	 h_help},
	{NULL, NULL, 0, NULL, NULL, NULL},
};
