/*
 * conffile.h - reading ldmsd config files.
 *
 * LDMS v4's syntax: one command per line, `verb attr=value ...`; `#` at the
 * start of a line or after whitespace begins a comment (so `name=a#b`
 * keeps its '#'); a trailing backslash joins the next line; `${NAME}` is
 * replaced by the environment variable NAME (unset: empty, with a warning
 * naming the line, where LDMS says nothing).  `env NAME=VALUE` lines take
 * effect while the file is read, so later lines see them; `include
 * path=FILE` reads FILE in place (all of its commands, where LDMS runs only
 * a few of them).
 *
 * A whole file is read and validated before any command runs: the first bad
 * line is reported as `file:line: message` and nothing is applied.
 */
#ifndef VIGIL_CONFFILE_H
#define VIGIL_CONFFILE_H

#include <stddef.h>

#include "cmd.h"
#include "core/util.h"

struct vg_config_line {
	char *where; /* "file:line" */
	struct vg_cmd_args args;
};

struct vg_config {
	struct vg_config_line *lines;
	size_t n;
	size_t cap;
};

void vg_config_init(struct vg_config *cfg);
void vg_config_free(struct vg_config *cfg);

/* Read, expand and validate path (and what it includes), appending to cfg. */
int vg_config_read(struct vg_config *cfg, const char *path, struct vg_err *err);
/*
 * The same for config text that is not a file (ldmsd -y generates it);
 * name stands for the file in messages ("name:line: ...").
 */
int vg_config_read_text(struct vg_config *cfg, const char *name, const char *text,
			struct vg_err *err);

/*
 * Expand ${NAME} references in line.  where names the line for the warning
 * about unset variables (may be NULL: no warning).
 */
int vg_config_expand(const char *line, const char *where, struct vg_strbuf *out);

/*
 * Replace each $(command) in an env value by the command's output (through
 * /bin/sh, trailing newlines removed), as LDMS does: e.g.
 * env COMPONENT_ID=$(cat /proc/cray_xt/nid).  A command that fails is an
 * error naming it.
 */
int vg_config_subst_cmd(const char *value, struct vg_strbuf *out, struct vg_err *err);

/* Apply `env NAME=VALUE ...` (with command substitution) to the environment. */
int vg_config_env(const struct vg_kvlist *kv, struct vg_err *err);

/*
 * Split text into logical lines (continuations joined, comments removed)
 * and call fn for each non-empty one with its first physical line number.
 * Stops at the first non-zero return and returns it.
 */
int vg_config_lines(const char *text, int (*fn)(const char *line, int lineno, void *arg),
		    void *arg);

#endif /* VIGIL_CONFFILE_H */
