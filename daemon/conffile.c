/*
 * conffile.c - config files: logical lines, ${VAR} expansion, validation.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "core/log.h"
#include "daemon/conffile.h"

#define CONFIG_FILE_MAX (16u << 20)
#define INCLUDE_DEPTH_MAX 16

void vg_config_init(struct vg_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
}

void vg_config_free(struct vg_config *cfg)
{
	for (size_t i = 0; i < cfg->n; i++) {
		free(cfg->lines[i].where);
		vg_cmd_args_free(&cfg->lines[i].args);
	}
	free(cfg->lines);
	vg_config_init(cfg);
}

int vg_config_expand(const char *line, const char *where, struct vg_strbuf *out)
{
	vg_strbuf_reset(out);
	const char *p = line;
	while (*p) {
		const char *start = strstr(p, "${");
		if (!start) {
			vg_strbuf_puts(out, p);
			break;
		}
		const char *q = start + 2;
		while (isalnum((unsigned char)*q) || *q == '_')
			q++;
		if (*q != '}' || q == start + 2) {
			/* not a reference: keep "${" literally and go on after it */
			vg_strbuf_append(out, p, (size_t)(start + 2 - p));
			p = start + 2;
			continue;
		}
		vg_strbuf_append(out, p, (size_t)(start - p));
		char name[256];
		size_t n = (size_t)(q - start - 2);
		if (n >= sizeof(name))
			n = sizeof(name) - 1;
		memcpy(name, start + 2, n);
		name[n] = '\0';
		const char *value = getenv(name);
		if (value)
			vg_strbuf_puts(out, value);
		else if (where)
			vg_log(VG_LOG_WARNING, "config",
			       "%s: ${%s} is not set in the environment; using an empty value", where,
			       name);
		p = q + 1;
	}
	return out->oom ? -ENOMEM : 0;
}

int vg_config_subst_cmd(const char *value, struct vg_strbuf *out, struct vg_err *err)
{
	vg_strbuf_reset(out);
	const char *p = value;
	const char *start;
	while ((start = strstr(p, "$("))) {
		vg_strbuf_append(out, p, (size_t)(start - p));
		int depth = 1;
		const char *q = start + 2;
		for (; *q && depth; q++) {
			if (q[0] == '$' && q[1] == '(') {
				depth++;
				q++;
			} else if (*q == '(') {
				depth++;
			} else if (*q == ')') {
				depth--;
			}
		}
		if (depth)
			return vg_errf(err, EINVAL, "unterminated $( in '%s'", value);
		char *cmd = strndup(start + 2, (size_t)(q - 1 - (start + 2)));
		if (!cmd)
			return vg_errf(err, ENOMEM, "out of memory");
		FILE *f = popen(cmd, "re");
		if (!f) {
			int rc = vg_errf(err, errno, "cannot run $(%s): %s", cmd, strerror(errno));
			free(cmd);
			return rc;
		}
		char buf[4096];
		size_t n, before = out->len;
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			vg_strbuf_append(out, buf, n);
		int status = pclose(f);
		while (out->len > before && out->buf[out->len - 1] == '\n')
			out->buf[--out->len] = '\0';
		if (status != 0) {
			int rc = vg_errf(err, EINVAL, "$(%s) failed (exit status %d)", cmd,
					 WIFEXITED(status) ? WEXITSTATUS(status) : -1);
			free(cmd);
			return rc;
		}
		free(cmd);
		p = q;
	}
	vg_strbuf_puts(out, p);
	return out->oom ? vg_errf(err, ENOMEM, "out of memory") : 0;
}

int vg_config_env(const struct vg_kvlist *kv, struct vg_err *err)
{
	struct vg_strbuf value;
	vg_strbuf_init(&value);
	int rc = 0;
	for (size_t i = 0; i < kv->count && rc == 0; i++) {
		rc = vg_config_subst_cmd(kv->items[i].value, &value, err);
		if (rc == 0 && setenv(kv->items[i].key, vg_strbuf_str(&value), 1))
			rc = vg_errf(err, errno, "env %s: %s", kv->items[i].key, strerror(errno));
	}
	vg_strbuf_free(&value);
	return rc;
}

/* Cut a comment: '#' at the start or after whitespace (LDMS's rule). */
static void strip_comment(char *s)
{
	for (char *p = s; *p; p++) {
		if (*p == '#' && (p == s || isspace((unsigned char)p[-1]))) {
			*p = '\0';
			return;
		}
	}
}

static bool blank(const char *s)
{
	for (; *s; s++)
		if (!isspace((unsigned char)*s))
			return false;
	return true;
}

int vg_config_lines(const char *text, int (*fn)(const char *line, int lineno, void *arg),
		    void *arg)
{
	struct vg_strbuf logical;
	vg_strbuf_init(&logical);
	int lineno = 0, first = 0, rc = 0;
	const char *p = text;
	while (*p && rc == 0) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		lineno++;
		if (logical.len == 0)
			first = lineno;
		size_t l = len;
		if (l && p[l - 1] == '\r')
			l--;
		bool cont = l && p[l - 1] == '\\';
		if (vg_strbuf_append(&logical, p, cont ? l - 1 : l)) {
			rc = -ENOMEM;
			break;
		}
		p = nl ? nl + 1 : p + len;
		if (cont && *p)
			continue;
		char *s = logical.buf ? logical.buf : (char *)"";
		strip_comment(s);
		if (!blank(s))
			rc = fn(s, first, arg);
		vg_strbuf_reset(&logical);
	}
	vg_strbuf_free(&logical);
	return rc;
}

struct read_state {
	struct vg_config *cfg;
	const char *path;
	int depth;
	struct vg_err *err;
	struct vg_strbuf expanded;
};

static int read_file(struct vg_config *cfg, const char *path, int depth, struct vg_err *err);

static int append_line(struct vg_config *cfg, const char *where, struct vg_cmd_args *args)
{
	if (cfg->n == cfg->cap) {
		size_t cap = cfg->cap ? cfg->cap * 2 : 32;
		struct vg_config_line *nl = realloc(cfg->lines, cap * sizeof(*nl));
		if (!nl)
			return -ENOMEM;
		cfg->lines = nl;
		cfg->cap = cap;
	}
	char *w = strdup(where);
	if (!w)
		return -ENOMEM;
	cfg->lines[cfg->n].where = w;
	cfg->lines[cfg->n].args = *args;
	cfg->n++;
	return 0;
}

static int on_line(const char *line, int lineno, void *arg)
{
	struct read_state *st = arg;
	char where[4096 + 16];
	snprintf(where, sizeof(where), "%s:%d", st->path, lineno);
	if (vg_config_expand(line, where, &st->expanded))
		return vg_errf(st->err, ENOMEM, "%s: out of memory", where);
	struct vg_cmd_args args;
	struct vg_err perr;
	int rc = vg_cmd_parse(vg_strbuf_str(&st->expanded), &args, &perr);
	if (rc < 0)
		return vg_errf(st->err, -rc, "%s: %s", where, perr.msg);
	if (rc == 0)
		return 0;
	const char *verb = args.cmd->name;
	if (strcmp(verb, "env") == 0) {
		/* applied now so that the following lines can use the variables */
		struct vg_err eerr;
		rc = vg_config_env(&args.extra, &eerr);
		vg_cmd_args_free(&args);
		return rc ? vg_errf(st->err, -rc, "%s: %s", where, eerr.msg) : 0;
	}
	if (strcmp(verb, "include") == 0) {
		char *inc = strdup(vg_arg_str(&args, "path"));
		vg_cmd_args_free(&args);
		if (!inc)
			return vg_errf(st->err, ENOMEM, "%s: out of memory", where);
		if (st->depth >= INCLUDE_DEPTH_MAX) {
			rc = vg_errf(st->err, ELOOP, "%s: include %s: more than %d nested includes",
				     where, inc, INCLUDE_DEPTH_MAX);
		} else {
			rc = read_file(st->cfg, inc, st->depth + 1, st->err);
			if (rc)
				vg_err_prefix(st->err, "%s: in file included here", where);
		}
		free(inc);
		return rc;
	}
	rc = append_line(st->cfg, where, &args);
	if (rc) {
		vg_cmd_args_free(&args);
		return vg_errf(st->err, ENOMEM, "%s: out of memory", where);
	}
	return 0;
}

static int read_text(struct vg_config *cfg, const char *path, const char *text, int depth,
		     struct vg_err *err)
{
	struct read_state st = {cfg, path, depth, err, {0}};
	vg_strbuf_init(&st.expanded);
	/* an editor's UTF-8 byte-order mark is not part of the first command */
	if (strncmp(text, "\xef\xbb\xbf", 3) == 0)
		text += 3;
	int rc = vg_config_lines(text, on_line, &st);
	vg_strbuf_free(&st.expanded);
	return rc;
}

static int read_file(struct vg_config *cfg, const char *path, int depth, struct vg_err *err)
{
	struct vg_strbuf text;
	vg_strbuf_init(&text);
	int rc = vg_read_file(path, "config file", CONFIG_FILE_MAX, &text, err);
	if (!rc && memchr(vg_strbuf_str(&text), '\0', text.len))
		rc = vg_errf(err, EINVAL, "config file %s contains a NUL byte: is it a text file?",
			     path);
	if (!rc)
		rc = read_text(cfg, path, vg_strbuf_str(&text), depth, err);
	vg_strbuf_free(&text);
	return rc;
}

int vg_config_read_text(struct vg_config *cfg, const char *name, const char *text,
			struct vg_err *err)
{
	return read_text(cfg, name, text, 0, err);
}

int vg_config_read(struct vg_config *cfg, const char *path, struct vg_err *err)
{
	return read_file(cfg, path, 0, err);
}
