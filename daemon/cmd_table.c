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
	{"xprt", VG_A_NAME, REQ, NULL, "Transport: sock."},
	{"port", VG_A_PORT, 0, "411", "Port to listen on."},
	{"host", VG_A_STR, 0, NULL,
	 "Address to bind (a name, an IPv4 or IPv6 address); default: every address."},
	{"auth", VG_A_NAME, 0, "DEFAULT",
	 "Authentication domain; DEFAULT (the -a of the command line, 'none' in this version) "
	 "is the only one until auth_add exists."},
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
	{"listen", listen_attrs, 0, "Listen for connections (like ldmsd -x xprt:port:host).", NULL,
	 h_listen},
	{"set_memory", set_memory_attrs, VG_CMD_EARLY | VG_CMD_STARTUP_ONLY,
	 "Size the set memory pool.", NULL, h_set_memory},
	{"loglevel", loglevel_attrs, VG_CMD_EARLY, "Change the log level.", NULL, h_loglevel},
	{"logrotate", no_attrs, 0, "Reopen the log file (as SIGHUP does).", NULL, h_logrotate},
	{"daemon_status", no_attrs, VG_CMD_STATUS,
	 "Show the daemon's state, listeners, set memory and plugins.", NULL, h_daemon_status},
	{"daemon_exit", no_attrs, 0, "Shut the daemon down cleanly.", NULL, h_daemon_exit},
	{"env", no_attrs, VG_CMD_PASS_EXTRA, "Set environment variables: env NAME=VALUE ...",
	 "In a config file the variables are set while the file is read, so that later lines can "
	 "use them as ${NAME}.",
	 h_env},
	{"include", include_attrs, 0, "Read another config file in place.",
	 "Every command of the included file runs (LDMS runs only a few of them).", h_include},
	{"version", no_attrs, VG_CMD_STATUS, "Show vigil's version.", NULL, h_version},
	{"help", help_attrs, VG_CMD_STATUS, "List the commands, or one command's attributes.", NULL,
	 h_help},
	{NULL, NULL, 0, NULL, NULL, NULL},
};
