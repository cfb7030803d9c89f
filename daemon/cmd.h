/*
 * cmd.h - the one command table of ldmsd's config language.
 *
 * A command is a row: its name, its attributes (name, type, required,
 * default, help), flags, a summary and a handler.  The same row serves the
 * config file (-c), runtime control (ldmsctl), `ldmsd --help`, and the man
 * page's attribute lists (`ldmsd --dump-commands=man`), so a command's name,
 * arguments and help are written exactly once (the lesson of LDMS's
 * ldmsd_request.c, where each verb is spelled in four places).
 *
 * The parser validates everything a row says before a handler runs: unknown
 * command, unknown or repeated attribute, missing required attribute, a
 * value that is not of the attribute's type.  Handlers receive typed values
 * and stay short.
 *
 * Threads: the daemon's loop thread.
 */
#ifndef VIGIL_CMD_H
#define VIGIL_CMD_H

#include <stdbool.h>
#include <stdint.h>

#include "core/util.h"
#include "plugins/plugin.h"

enum vg_attr_type {
	VG_A_STR,      /* any non-empty string */
	VG_A_NAME,     /* a name: no '/' or whitespace (plugin and object names) */
	VG_A_U64,      /* unsigned integer, base 0 (0x.., 0...) */
	VG_A_DURATION, /* µs, or with a unit: 1s, 500ms, 1.5m */
	VG_A_SIZE,     /* bytes, or with a unit: 512K, 2MB */
	VG_A_BOOL,     /* true/false, yes/no, 1/0, on/off */
	VG_A_PORT,     /* 1..65535 */
	VG_A_LEVEL,    /* a log level name */
	VG_A_PATH,     /* a file path */
};

#define VG_A_REQUIRED 0x1u

struct vg_attr_spec {
	const char *name;
	enum vg_attr_type type;
	unsigned flags;
	const char *def;   /* default shown in help (and used if the handler asks), or NULL */
	const char *help;
};

struct vg_cmd;
struct vg_cmd_ctx;

#define VG_CMD_MAX_ATTRS 16

/* The parsed, validated arguments of one command line. */
struct vg_cmd_args {
	const struct vg_cmd *cmd;
	struct {
		const char *str; /* NULL if not given */
		union {
			uint64_t u;
			int64_t i;
			bool b;
		} v;
	} vals[VG_CMD_MAX_ATTRS];
	/* commands with VG_CMD_PASS_EXTRA: attributes not in the row, in order */
	struct vg_kvlist extra;
	/* owned heap memory (so that a struct vg_cmd_args may be copied by value) */
	char *storage;          /* the line's tokens */
	struct vg_kv *extra_items;
};

/* Command flags. */
#define VG_CMD_PASS_EXTRA 0x1u   /* unknown attributes go to args->extra (config) */
#define VG_CMD_EARLY 0x2u        /* runs before set memory and listeners exist (set_memory, loglevel) */
#define VG_CMD_STARTUP_ONLY 0x4u /* refused at runtime */
#define VG_CMD_STATUS 0x8u       /* read-only: reports, changes nothing */

typedef int (*vg_cmd_handler)(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);

struct vg_cmd {
	const char *name;
	const struct vg_attr_spec *attrs; /* terminated by {NULL} */
	unsigned flags;
	const char *summary;              /* one line */
	const char *help;                 /* a paragraph for the man page, or NULL */
	vg_cmd_handler handler;
};

/* What a handler works with. */
struct vg_cmd_ctx {
	struct ldmsd *d;
	struct vg_strbuf *reply; /* text for the requester */
	struct vg_err *err;      /* on failure: what went wrong */
	bool startup;            /* from a -c file at startup, not from ldmsctl */
	const char *where;       /* "file:line" or "ldmsctl", for messages */
	bool json;               /* VG_CMD_STATUS commands: answer in JSON (ldmsctl --json) */
};

/* The table (daemon/cmd_table.c), terminated by {NULL}. */
extern const struct vg_cmd vg_cmd_table[];

const struct vg_cmd *vg_cmd_find(const char *name);

/*
 * Parse one logical line (comments and continuations already removed,
 * ${VAR} already expanded).  Returns 1 and fills args for a command, 0 for
 * a blank line, or a negative errno with a message in err.  Free with
 * vg_cmd_args_free().
 */
int vg_cmd_parse(const char *line, struct vg_cmd_args *args, struct vg_err *err);
void vg_cmd_args_free(struct vg_cmd_args *args);

/* Run a parsed command; handler result (0 or -errno). */
int vg_cmd_exec(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args);

/* Typed access to attributes by name (the name must be in the row). */
bool vg_arg_has(const struct vg_cmd_args *args, const char *name);
const char *vg_arg_str(const struct vg_cmd_args *args, const char *name);
uint64_t vg_arg_u64(const struct vg_cmd_args *args, const char *name);
int64_t vg_arg_i64(const struct vg_cmd_args *args, const char *name); /* DURATION */
bool vg_arg_bool(const struct vg_cmd_args *args, const char *name);

/* Human-readable help: every command (name NULL) or one. */
void vg_cmd_help(struct vg_strbuf *out, const char *name);
/* The same as JSON: {"commands":[{name, summary, attrs:[{name, type, ...}]}]} (ldmsctl(8)). */
void vg_cmd_help_json(struct vg_strbuf *out, const char *name);
/* The COMMANDS section of ldmsd.conf(5), in roff. */
void vg_cmd_dump_man(struct vg_strbuf *out);

#endif /* VIGIL_CMD_H */
