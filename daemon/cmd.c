/*
 * cmd.c - parse a config line against the command table, run it, and render
 * the table as help text and as a man page section.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd.h"
#include "core/log.h"
#include "daemon/json.h"

const struct vg_cmd *vg_cmd_find(const char *name)
{
	for (const struct vg_cmd *c = vg_cmd_table; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

static int attr_index(const struct vg_cmd *cmd, const char *name)
{
	for (int i = 0; cmd->attrs[i].name; i++)
		if (strcmp(cmd->attrs[i].name, name) == 0)
			return i;
	return -1;
}

/*
 * LDMS's other spellings of an attribute, accepted wherever the command has
 * the attribute they stand for (LDMS's global attribute table gives
 * interval_us the same id as interval).
 */
static const struct {
	const char *alias, *name;
} attr_aliases[] = {
	{"interval_us", "interval"},
	{"interval", "reconnect"}, /* prdcr_add/prdcr_start: LDMS's older name */
	{"interval_us", "reconnect"},
};

static int attr_index_or_alias(const struct vg_cmd *cmd, const char *name)
{
	int idx = attr_index(cmd, name);
	for (size_t i = 0; idx < 0 && i < VG_ARRAY_LEN(attr_aliases); i++)
		if (strcmp(attr_aliases[i].alias, name) == 0)
			idx = attr_index(cmd, attr_aliases[i].name);
	return idx;
}

static void list_attrs(const struct vg_cmd *cmd, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	for (int i = 0; cmd->attrs[i].name && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? ", " : "", cmd->attrs[i].name);
	if (!cmd->attrs[0].name)
		snprintf(buf, len, "no attributes");
}

static const char *type_expectation(enum vg_attr_type t)
{
	switch (t) {
	case VG_A_U64: return "a whole number";
	case VG_A_DURATION: return "a duration such as 1000000 (microseconds), 1s or 500ms";
	case VG_A_SIZE: return "a size such as 512K, 2M or 1GB";
	case VG_A_BOOL: return "true or false";
	case VG_A_PORT: return "a port number from 1 to 65535";
	case VG_A_LEVEL: return "DEBUG, INFO, WARNING, ERROR, CRITICAL or QUIET";
	case VG_A_NAME: return "a name without '/' or spaces";
	default: return "a non-empty string";
	}
}

/* Check and convert one value; false if it does not fit its type. */
static bool convert(const struct vg_attr_spec *a, const char *s, struct vg_cmd_args *args,
		    int idx)
{
	switch (a->type) {
	case VG_A_STR:
	case VG_A_PATH:
		return s[0] != '\0';
	case VG_A_NAME:
		if (!s[0])
			return false;
		for (const char *p = s; *p; p++)
			if (*p == '/' || isspace((unsigned char)*p) || iscntrl((unsigned char)*p))
				return false;
		return true;
	case VG_A_U64:
		return vg_parse_u64(s, 0, &args->vals[idx].v.u) == 0;
	case VG_A_DURATION:
		return vg_parse_duration_us(s, &args->vals[idx].v.i) == 0;
	case VG_A_SIZE:
		return vg_parse_size(s, &args->vals[idx].v.u) == 0;
	case VG_A_BOOL:
		return vg_parse_bool(s, &args->vals[idx].v.b) == 0;
	case VG_A_PORT:
		return vg_parse_u64(s, 10, &args->vals[idx].v.u) == 0 && args->vals[idx].v.u >= 1 &&
		       args->vals[idx].v.u <= 65535;
	case VG_A_LEVEL: {
		enum vg_log_level l;
		if (vg_log_level_parse(s, &l))
			return false;
		args->vals[idx].v.u = (uint64_t)l;
		return true;
	}
	}
	return false;
}

void vg_cmd_args_free(struct vg_cmd_args *args)
{
	free(args->storage);
	free(args->extra_items);
	args->storage = NULL;
	args->extra_items = NULL;
	args->extra.items = NULL;
	args->extra.count = 0;
}

/*
 * The next whitespace-separated token, NUL-terminated in place.  A $(...)
 * command substitution (env values, as in LDMS) is one token even if the
 * command has spaces.
 */
static char *next_token(char **cursor)
{
	char *p = *cursor;
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	if (!*p) {
		*cursor = p;
		return NULL;
	}
	char *start = p;
	int depth = 0;
	for (; *p; p++) {
		if (p[0] == '$' && p[1] == '(') {
			depth++;
			p++;
		} else if (*p == '(' && depth > 0) {
			depth++; /* parentheses inside the command */
		} else if (*p == ')' && depth > 0) {
			depth--;
		} else if (depth == 0 && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
			break;
		}
	}
	if (*p)
		*p++ = '\0';
	*cursor = p;
	return start;
}

int vg_cmd_parse(const char *line, struct vg_cmd_args *args, struct vg_err *err)
{
	struct vg_err local;
	if (!err)
		err = &local;
	memset(args, 0, sizeof(*args));
	args->storage = strdup(line);
	if (!args->storage)
		return vg_errf(err, ENOMEM, "out of memory");
	char *cursor = args->storage;
	char *verb = next_token(&cursor);
	if (!verb) {
		vg_cmd_args_free(args);
		return 0;
	}
	const struct vg_cmd *cmd = vg_cmd_find(verb);
	if (!cmd) {
		vg_errf(err, ENOSYS, "unknown command '%s' (ldmsd --help lists the commands)", verb);
		goto fail;
	}
	args->cmd = cmd;
	if (cmd->flags & VG_CMD_PASS_EXTRA) {
		/* a line of n bytes holds at most n/2 attributes */
		args->extra_items = calloc(strlen(line) / 2 + 1, sizeof(*args->extra_items));
		if (!args->extra_items) {
			vg_errf(err, ENOMEM, "out of memory");
			goto fail;
		}
	}
	char *tok;
	while ((tok = next_token(&cursor))) {
		char *eq = strchr(tok, '=');
		if (!eq || eq == tok) {
			vg_errf(err, EINVAL, "%s: expected attribute=value, got '%s'", cmd->name, tok);
			goto fail;
		}
		*eq = '\0';
		const char *key = tok, *value = eq + 1;
		int idx = attr_index_or_alias(cmd, key);
		if (idx < 0) {
			if (!(cmd->flags & VG_CMD_PASS_EXTRA)) {
				char names[512];
				list_attrs(cmd, names, sizeof(names));
				vg_errf(err, EINVAL, "%s: unknown attribute '%s' (%s takes %s)", cmd->name,
					key, cmd->name, names);
				goto fail;
			}
			args->extra_items[args->extra.count].key = key;
			args->extra_items[args->extra.count].value = value;
			args->extra.count++;
			continue;
		}
		if (args->vals[idx].str) {
			vg_errf(err, EINVAL, "%s: attribute '%s' given twice", cmd->name,
				cmd->attrs[idx].name);
			goto fail;
		}
		if (!convert(&cmd->attrs[idx], value, args, idx)) {
			if (!value[0])
				vg_errf(err, EINVAL, "%s: empty value for '%s'", cmd->name, key);
			else
				vg_errf(err, EINVAL, "%s: bad value '%s' for %s: expected %s", cmd->name,
					value, key, type_expectation(cmd->attrs[idx].type));
			goto fail;
		}
		args->vals[idx].str = value;
	}
	args->extra.items = args->extra_items;
	for (int i = 0; cmd->attrs[i].name; i++) {
		if ((cmd->attrs[i].flags & VG_A_REQUIRED) && !args->vals[i].str) {
			vg_errf(err, EINVAL, "%s: missing required attribute '%s' (%s)", cmd->name,
				cmd->attrs[i].name, cmd->attrs[i].help);
			goto fail;
		}
	}
	return 1;
fail:
	vg_cmd_args_free(args);
	args->cmd = NULL;
	return -err->code;
}

int vg_cmd_exec(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	const struct vg_cmd *cmd = args->cmd;
	if (!ctx->startup && (cmd->flags & VG_CMD_STARTUP_ONLY))
		return vg_errf(ctx->err, EPERM,
			       "%s can only be given at startup (in a -c file or on the command line)",
			       cmd->name);
	return cmd->handler(ctx, args);
}

/* ------------------------------------------------------------------ typed access */

static int must_index(const struct vg_cmd_args *args, const char *name)
{
	int idx = attr_index(args->cmd, name);
	if (idx < 0) {
		/* a handler asked for an attribute its own row lacks: a programming error */
		vg_log(VG_LOG_CRITICAL, "cmd", "%s: handler asked for undeclared attribute '%s'",
		       args->cmd->name, name);
		abort();
	}
	return idx;
}

bool vg_arg_has(const struct vg_cmd_args *args, const char *name)
{
	return args->vals[must_index(args, name)].str != NULL;
}

const char *vg_arg_str(const struct vg_cmd_args *args, const char *name)
{
	int i = must_index(args, name);
	return args->vals[i].str ? args->vals[i].str : args->cmd->attrs[i].def;
}

/* The value given, or the row's default converted the same way. */
static const struct vg_cmd_args *with_default(const struct vg_cmd_args *args, int i,
					      struct vg_cmd_args *tmp)
{
	if (args->vals[i].str || !args->cmd->attrs[i].def)
		return args;
	tmp->cmd = args->cmd;
	if (!convert(&args->cmd->attrs[i], args->cmd->attrs[i].def, tmp, i))
		memset(&tmp->vals[i], 0, sizeof(tmp->vals[i]));
	return tmp;
}

uint64_t vg_arg_u64(const struct vg_cmd_args *args, const char *name)
{
	int i = must_index(args, name);
	struct vg_cmd_args tmp;
	memset(&tmp, 0, sizeof(tmp));
	return with_default(args, i, &tmp)->vals[i].v.u;
}

int64_t vg_arg_i64(const struct vg_cmd_args *args, const char *name)
{
	int i = must_index(args, name);
	struct vg_cmd_args tmp;
	memset(&tmp, 0, sizeof(tmp));
	return with_default(args, i, &tmp)->vals[i].v.i;
}

bool vg_arg_bool(const struct vg_cmd_args *args, const char *name)
{
	int i = must_index(args, name);
	struct vg_cmd_args tmp;
	memset(&tmp, 0, sizeof(tmp));
	return with_default(args, i, &tmp)->vals[i].v.b;
}

/* ------------------------------------------------------------------ help */

static const char *type_word(enum vg_attr_type t)
{
	switch (t) {
	case VG_A_U64: return "NUM";
	case VG_A_DURATION: return "TIME";
	case VG_A_SIZE: return "SIZE";
	case VG_A_BOOL: return "BOOL";
	case VG_A_PORT: return "PORT";
	case VG_A_LEVEL: return "LEVEL";
	case VG_A_PATH: return "PATH";
	case VG_A_NAME: return "NAME";
	default: return "STRING";
	}
}

static void synopsis(struct vg_strbuf *out, const struct vg_cmd *c)
{
	vg_strbuf_puts(out, c->name);
	for (int i = 0; c->attrs[i].name; i++) {
		const struct vg_attr_spec *a = &c->attrs[i];
		bool req = a->flags & VG_A_REQUIRED;
		vg_strbuf_printf(out, " %s%s=%s%s", req ? "" : "[", a->name, type_word(a->type),
				 req ? "" : "]");
	}
	if (c->flags & VG_CMD_PASS_EXTRA)
		vg_strbuf_puts(out, " [ATTR=VALUE ...]");
}

void vg_cmd_help(struct vg_strbuf *out, const char *name)
{
	for (const struct vg_cmd *c = vg_cmd_table; c->name; c++) {
		if (name && strcmp(name, c->name) != 0)
			continue;
		vg_strbuf_puts(out, "  ");
		synopsis(out, c);
		vg_strbuf_printf(out, "\n      %s\n", c->summary);
		if (!name)
			continue;
		if (c->help)
			vg_strbuf_printf(out, "      %s\n", c->help);
		for (int i = 0; c->attrs[i].name; i++) {
			const struct vg_attr_spec *a = &c->attrs[i];
			vg_strbuf_printf(out, "      %-14s %s%s%s%s\n", a->name, a->help,
					 (a->flags & VG_A_REQUIRED) ? " (required)" : "",
					 a->def ? " Default: " : "", a->def ? a->def : "");
		}
	}
}

/* For ldmsctl and the balancer: the table itself, so that clients need no copy of it. */
void vg_cmd_help_json(struct vg_strbuf *out, const char *name)
{
	struct json j;
	json_init(&j, out);
	json_obj_begin(&j);
	json_key(&j, "commands");
	json_arr_begin(&j);
	for (const struct vg_cmd *c = vg_cmd_table; c->name; c++) {
		if (name && strcmp(name, c->name) != 0)
			continue;
		json_obj_begin(&j);
		json_key_str(&j, "name", c->name);
		json_key_str(&j, "summary", c->summary);
		json_key_str(&j, "help", c->help);
		json_key_bool(&j, "status", c->flags & VG_CMD_STATUS);
		json_key_bool(&j, "startup_only", c->flags & VG_CMD_STARTUP_ONLY);
		json_key_bool(&j, "extra_attrs", c->flags & VG_CMD_PASS_EXTRA);
		json_key(&j, "attrs");
		json_arr_begin(&j);
		for (int i = 0; c->attrs[i].name; i++) {
			const struct vg_attr_spec *a = &c->attrs[i];
			json_obj_begin(&j);
			json_key_str(&j, "name", a->name);
			json_key_str(&j, "type", type_word(a->type));
			json_key_bool(&j, "required", a->flags & VG_A_REQUIRED);
			json_key_str(&j, "default", a->def);
			json_key_str(&j, "help", a->help);
			json_obj_end(&j);
		}
		json_arr_end(&j);
		json_obj_end(&j);
	}
	json_arr_end(&j);
	json_obj_end(&j);
	vg_strbuf_puts(out, "\n");
}

/* roff needs leading dots and backslashes escaped; hyphens stay minus signs. */
static void roff_text(struct vg_strbuf *out, const char *s)
{
	for (const char *p = s; *p; p++) {
		if (*p == '\\')
			vg_strbuf_puts(out, "\\e");
		else if (*p == '-')
			vg_strbuf_puts(out, "\\-");
		else
			vg_strbuf_append(out, p, 1);
	}
}

void vg_cmd_dump_man(struct vg_strbuf *out)
{
	vg_strbuf_puts(out, ".SH COMMANDS\n"
			    ".\\\" Generated from ldmsd's command table (daemon/cmd_table.c).\n");
	for (const struct vg_cmd *c = vg_cmd_table; c->name; c++) {
		vg_strbuf_printf(out, ".SS %s\n.B ", c->name);
		struct vg_strbuf syn;
		vg_strbuf_init(&syn);
		synopsis(&syn, c);
		roff_text(out, vg_strbuf_str(&syn));
		vg_strbuf_free(&syn);
		vg_strbuf_puts(out, "\n.PP\n");
		roff_text(out, c->summary);
		vg_strbuf_puts(out, "\n");
		if (c->help) {
			vg_strbuf_puts(out, ".PP\n");
			roff_text(out, c->help);
			vg_strbuf_puts(out, "\n");
		}
		for (int i = 0; c->attrs[i].name; i++) {
			const struct vg_attr_spec *a = &c->attrs[i];
			vg_strbuf_printf(out, ".TP\n.BI %s= %s\n", a->name, type_word(a->type));
			roff_text(out, a->help);
			if (a->flags & VG_A_REQUIRED)
				vg_strbuf_puts(out, " Required.");
			if (a->def) {
				vg_strbuf_puts(out, " Default: ");
				roff_text(out, a->def);
				vg_strbuf_puts(out, ".");
			}
			vg_strbuf_puts(out, "\n");
		}
		if (c->flags & VG_CMD_STARTUP_ONLY)
			vg_strbuf_puts(out, ".PP\nOnly at startup; refused at runtime.\n");
	}
}
