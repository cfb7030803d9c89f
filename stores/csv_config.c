/*
 * csv_config.c - store_csv's options, kept as LDMS keeps them: the defaults'
 * config line, the "store_csv" line of an opt_file, and per container/schema
 * lines (from config lines or the opt_file).  A lookup takes the first of:
 * the container/schema line, the config line, the opt_file's defaults line.
 *
 * Unlike LDMS, every value is checked when config runs (an invalid boolean,
 * a bad rollover combination or an unknown rename_template escape is a
 * config error, not a store that silently writes nothing or an abort).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "stores/csv.h"

#define OPT_FILE_MAX (1u << 20)
#define DAY_S 86400

struct csv_kv {
	const char *key, *value;
};

/* One line's attributes; every string lives in the same allocation. */
struct csv_layer {
	const char *origin; /* "the config line", "opt_file F line 3" */
	const char *container, *schema;
	size_t n;
	struct csv_kv kv[];
};

enum scope {
	S_ANY = 0,
	S_DEFAULTS, /* rollover settings: every file, so defaults only */
	S_LINE,     /* opt_file: the config line only */
	S_KEY,      /* container, schema */
};

static const struct {
	const char *name;
	enum scope scope;
} known[] = {
	{"path", S_ANY},	    {"container", S_KEY},	 {"schema", S_KEY},
	{"opt_file", S_LINE},	    {"userdata", S_ANY},	 {"rollagain", S_DEFAULTS},
	{"rollover", S_DEFAULTS},   {"rolltype", S_DEFAULTS},	 {"rollempty", S_DEFAULTS},
	{"ietfcsv", S_ANY},	    {"altheader", S_ANY},	 {"typeheader", S_ANY},
	{"time_format", S_ANY},	    {"buffer", S_ANY},		 {"buffertype", S_ANY},
	{"rename_template", S_ANY}, {"rename_uid", S_ANY},	 {"rename_gid", S_ANY},
	{"rename_perm", S_ANY},	    {"create_uid", S_ANY},	 {"create_gid", S_ANY},
	{"create_perm", S_ANY},	    {"expand_array", S_ANY},	 {"array_sep", S_ANY},
	{"array_lquote", S_ANY},    {"array_rquote", S_ANY},
};

/* Options of older LDMS versions that LDMS 4.4 refuses as well. */
static const struct {
	const char *name, *why;
} retired[] = {
	{"action", "remove action=: a line without container= and schema= sets the defaults, "
		   "container=C schema=S sets one pair's options"},
	{"idpos", "remove it: ProducerName is always the third column"},
	{"id_pos", "remove it: ProducerName is always the third column"},
	{"transportdata", "remove it"},
};

const char *csv_attr_list(void)
{
	static char list[512];
	if (!list[0]) {
		size_t n = 0;
		for (size_t i = 0; i < VG_ARRAY_LEN(known) && n < sizeof(list); i++)
			n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s", i ? ", " : "",
					      known[i].name);
	}
	return list;
}

/* ------------------------------------------------------------------ layers */

static struct csv_layer *layer_new(const char *origin, const char *container, const char *schema,
				   size_t n, const char *const *keys, const char *const *values)
{
	size_t strings = strlen(origin) + 1 + (container ? strlen(container) + 1 : 0) +
			 (schema ? strlen(schema) + 1 : 0);
	for (size_t i = 0; i < n; i++)
		strings += strlen(keys[i]) + strlen(values[i]) + 2;
	struct csv_layer *l = malloc(sizeof(*l) + n * sizeof(l->kv[0]) + strings);
	if (!l)
		return NULL;
	char *p = (char *)&l->kv[n];
#define COPY(dst, src)                          \
	do {                                    \
		size_t len_ = strlen(src) + 1;  \
		memcpy(p, src, len_);           \
		(dst) = p;                      \
		p += len_;                      \
	} while (0)
	COPY(l->origin, origin);
	l->container = l->schema = NULL;
	if (container)
		COPY(l->container, container);
	if (schema)
		COPY(l->schema, schema);
	for (size_t i = 0; i < n; i++) {
		COPY(l->kv[i].key, keys[i]);
		COPY(l->kv[i].value, values[i]);
	}
#undef COPY
	l->n = n;
	return l;
}

/* The last value of key in l (a repeated key: the last one wins). */
static const char *layer_get(const struct csv_layer *l, const char *key)
{
	if (!l)
		return NULL;
	for (size_t i = l->n; i-- > 0;)
		if (strcmp(l->kv[i].key, key) == 0)
			return l->kv[i].value;
	return NULL;
}

static const struct csv_layer *keyed_find(const struct csv_config *cfg, const char *container,
					  const char *schema)
{
	for (size_t i = 0; container && schema && i < cfg->nkeyed; i++)
		if (strcmp(cfg->keyed[i]->container, container) == 0 &&
		    strcmp(cfg->keyed[i]->schema, schema) == 0)
			return cfg->keyed[i];
	return NULL;
}

/* The value of attr for container/schema (NULL/NULL: the defaults), and where it was set. */
static const char *lookup(const struct csv_config *cfg, const char *container, const char *schema,
			  const char *attr, const char **origin)
{
	const struct csv_layer *order[] = {keyed_find(cfg, container, schema), cfg->line,
					   cfg->filedef};
	for (size_t i = 0; i < VG_ARRAY_LEN(order); i++) {
		const char *v = layer_get(order[i], attr);
		if (v) {
			*origin = order[i]->origin;
			return v;
		}
	}
	return NULL;
}

/* ------------------------------------------------------------------ names */

static int check_names(size_t n, const char *const *keys, const char *const *values,
		       enum scope where, const char *origin, struct vg_err *err)
{
	for (size_t i = 0; i < n; i++) {
		const char *k = keys[i];
		for (size_t r = 0; r < VG_ARRAY_LEN(retired); r++)
			if (strcmp(k, retired[r].name) == 0)
				return vg_errf(err, EINVAL,
					       "No longer supported '%s=%s' in %s: %s", k,
					       values[i], origin, retired[r].why);
		size_t a = 0;
		while (a < VG_ARRAY_LEN(known) && strcmp(known[a].name, k) != 0)
			a++;
		if (a == VG_ARRAY_LEN(known))
			return vg_errf(err, EINVAL,
				       "unknown attribute '%s' in %s (store_csv takes %s)", k,
				       origin, csv_attr_list());
		if (known[a].scope == S_DEFAULTS && where == S_KEY)
			return vg_errf(err, EINVAL,
				       "'%s' in %s: rollover, rolltype, rollagain and rollempty "
				       "apply to every file and may be given only with the "
				       "defaults (without container= and schema=)",
				       k, origin);
		if (known[a].scope == S_LINE && where != S_LINE)
			return vg_errf(err, EINVAL,
				       "'opt_file' in %s: an opt_file is named only on the "
				       "defaults' config line",
				       origin);
	}
	return 0;
}

/* ------------------------------------------------------------------ values */

/* LDMS's rule: only the first character counts; an empty value is true. */
static int parse_ldms_bool(const char *v, bool *out)
{
	switch (v[0]) {
	case '\0': case '1': case 't': case 'T': case 'y': case 'Y':
		*out = true;
		return 0;
	case '0': case 'f': case 'F': case 'n': case 'N':
		*out = false;
		return 0;
	default:
		return -EINVAL;
	}
}

/* An integer as LDMS reads it (strtoll base 0) within [lo, hi]. */
static int parse_int(const char *v, int64_t lo, int64_t hi, int64_t *out)
{
	int64_t x;
	if (vg_parse_i64(v, 0, &x) < 0 || x < lo || x > hi)
		return -EINVAL;
	*out = x;
	return 0;
}

static int parse_id(const char *v, bool group, uint32_t *out)
{
	int64_t x;
	if (parse_int(v, 0, INT32_MAX, &x) == 0) {
		*out = (uint32_t)x;
		return 0;
	}
	return vg_name_to_id(v, group, out) == 0 ? 0 : -EINVAL;
}

static int template_check(const char *t)
{
	if (strlen(t) < 2)
		return -EINVAL;
	for (const char *p = strchr(t, '%'); p; p = strchr(p, '%')) {
		p++;
		if (*p == '{') {
			const char *end = strchr(p, '}');
			if (!end || end == p + 1)
				return -EINVAL;
			p = end + 1;
		} else if (*p && strchr("PCSTBDs%", *p)) {
			p++;
		} else {
			return -EINVAL;
		}
	}
	return 0;
}

struct resolver {
	const struct csv_config *cfg;
	const char *container, *schema;
	struct vg_err *err;
	const char *origin; /* of the last value found */
};

static const char *val(struct resolver *r, const char *attr)
{
	return lookup(r->cfg, r->container, r->schema, attr, &r->origin);
}

static int bad(struct resolver *r, const char *attr, const char *v, const char *expect)
{
	return vg_errf(r->err, EINVAL, "invalid %s=%s in %s: expected %s", attr, v, r->origin,
		       expect);
}

static int get_bool(struct resolver *r, const char *attr, bool *out)
{
	const char *v = val(r, attr);
	if (v && parse_ldms_bool(v, out) < 0)
		return bad(r, attr, v, "a boolean (1, t, y, 0, f or n, or a word starting so)");
	return 0;
}

static int get_int(struct resolver *r, const char *attr, int64_t lo, int64_t hi, int *out,
		   const char *expect)
{
	const char *v = val(r, attr);
	int64_t x;
	if (!v)
		return 0;
	if (parse_int(v, lo, hi, &x) < 0)
		return bad(r, attr, v, expect);
	*out = (int)x;
	return 0;
}

static int get_char(struct resolver *r, const char *attr, char *out)
{
	const char *v = val(r, attr);
	if (!v)
		return 0;
	if (strlen(v) > 1 || v[0] == '\n' || v[0] == '\r')
		return bad(r, attr, v, "one character, or nothing");
	*out = v[0];
	return 0;
}

static int get_id(struct resolver *r, const char *attr, bool group, uint32_t *out)
{
	const char *v = val(r, attr);
	if (v && parse_id(v, group, out) < 0)
		return bad(r, attr, v,
			   group ? "a group name or a number from 0" : "a user name or a number from 0");
	return 0;
}

static int get_perm(struct resolver *r, const char *attr, uint32_t *out)
{
	const char *v = val(r, attr);
	if (v && (vg_parse_perm(v, out) < 0 || *out < 1 || *out > 04777))
		return bad(r, attr, v, "octal permission bits from 1 to 4777");
	return 0;
}

static int resolve_buffer(struct resolver *r, struct csv_opts *o)
{
	const char *b = val(r, "buffer");
	const char *bo = r->origin;
	const char *t = val(r, "buffertype");
	if (!b && !t)
		return 0;
	if (!b)
		return vg_errf(r->err, EINVAL,
			       "buffertype=%s in %s needs buffer=N with N > 1 (rows or KiB per "
			       "flush)",
			       t, r->origin);
	r->origin = bo;
	if (get_int(r, "buffer", 0, INT_MAX, &o->buffer, "0 (sync every row), 1 (stdio) or N > 1") <
	    0)
		return -EINVAL;
	if (o->buffer <= 1 && t)
		return vg_errf(r->err, EINVAL,
			       "buffertype=%s with buffer=%d: buffertype applies only to buffer=N "
			       "with N > 1; remove it",
			       t, o->buffer);
	if (o->buffer > 1) {
		if (!t)
			return vg_errf(r->err, EINVAL,
				       "buffer=%d needs buffertype=3 (flush every %d rows) or 4 "
				       "(every %d KiB)",
				       o->buffer, o->buffer, o->buffer);
		if (get_int(r, "buffertype", 3, 4, &o->buffertype, "3 (rows) or 4 (KiB)") < 0)
			return -EINVAL;
	}
	return 0;
}

int csv_config_resolve(const struct csv_config *cfg, const char *container, const char *schema,
		       struct csv_opts *o, struct vg_err *err)
{
	struct resolver r = {cfg, container, schema, err, NULL};
	*o = (struct csv_opts){
		.expand_array = true,
		.buffer = 1,
		.array_sep = ':',
		.array_lquote = '"',
		.array_rquote = '"',
		.rename_uid = CSV_ID_UNSET,
		.rename_gid = CSV_ID_UNSET,
		.create_uid = CSV_ID_UNSET,
		.create_gid = CSV_ID_UNSET,
	};
	o->path = val(&r, "path");
	if (!o->path || !o->path[0])
		return vg_errf(err, EINVAL,
			       "path is required: give config name=store_csv path=<directory> "
			       "(or path= on the store_csv line of the opt_file)");
	int rc = 0;
	rc = rc ? rc : get_bool(&r, "userdata", &o->userdata);
	rc = rc ? rc : get_bool(&r, "ietfcsv", &o->ietfcsv);
	rc = rc ? rc : get_bool(&r, "altheader", &o->altheader);
	rc = rc ? rc : get_bool(&r, "expand_array", &o->expand_array);
	rc = rc ? rc : get_int(&r, "typeheader", 0, 2, &o->typeheader, "0, 1 or 2");
	rc = rc ? rc : get_int(&r, "time_format", 0, 1, &o->time_format, "0 or 1");
	rc = rc ? rc : resolve_buffer(&r, o);
	rc = rc ? rc : get_char(&r, "array_sep", &o->array_sep);
	rc = rc ? rc : get_char(&r, "array_lquote", &o->array_lquote);
	rc = rc ? rc : get_char(&r, "array_rquote", &o->array_rquote);
	rc = rc ? rc : get_id(&r, "rename_uid", false, &o->rename_uid);
	rc = rc ? rc : get_id(&r, "rename_gid", true, &o->rename_gid);
	rc = rc ? rc : get_perm(&r, "rename_perm", &o->rename_perm);
	rc = rc ? rc : get_id(&r, "create_uid", false, &o->create_uid);
	rc = rc ? rc : get_id(&r, "create_gid", true, &o->create_gid);
	rc = rc ? rc : get_perm(&r, "create_perm", &o->create_perm);
	if (rc)
		return rc;
	o->rename_template = val(&r, "rename_template");
	if (o->rename_template && template_check(o->rename_template) < 0)
		return bad(&r, "rename_template", o->rename_template,
			   "a path of at least 2 characters using only %P %C %S %T %B %D %s "
			   "%{VAR} and %%");
	return 0;
}

/* rollover settings, from the defaults only. */
static int resolve_roll(const struct csv_config *cfg, struct csv_rollspec *roll,
			struct vg_err *err)
{
	struct resolver r = {cfg, NULL, NULL, err, NULL};
	int over = -1, again = 0, type = 0;
	*roll = (struct csv_rollspec){.empty = true};
	if (get_int(&r, "rollover", 0, INT32_MAX, &over, "a number >= 0") < 0 ||
	    get_int(&r, "rollagain", 0, INT32_MAX, &again, "a number >= 0") < 0 ||
	    get_int(&r, "rolltype", 1, 5, &type, "1 to 5 (see Plugin_store_csv(7))") < 0 ||
	    get_bool(&r, "rollempty", &roll->empty) < 0)
		return -EINVAL;
	if (type && over < 0)
		return vg_errf(err, EINVAL, "rolltype=%d needs rollover=N (%s)", type,
			       type == 3   ? "rows per file"
			       : type == 4 ? "bytes per file"
					   : "seconds");
	if (!type && over >= 0)
		return vg_errf(err, EINVAL,
			       "rollover=%d without rolltype does nothing: add rolltype=1..5 "
			       "or remove rollover",
			       over);
	switch (type) {
	case CSV_ROLL_INTERVAL:
		if (over < 10)
			return vg_errf(err, EINVAL, "rolltype=1 needs rollover >= 10 (seconds), "
				       "not %d", over);
		break;
	case CSV_ROLL_DAILY:
		if (over >= DAY_S)
			return vg_errf(err, EINVAL,
				       "rolltype=2 needs rollover < 86400 (seconds after "
				       "midnight), not %d",
				       over);
		break;
	case CSV_ROLL_RECORDS:
		if (over < 3)
			return vg_errf(err, EINVAL, "rolltype=3 needs rollover >= 3 (rows), "
				       "not %d", over);
		break;
	case CSV_ROLL_BYTES:
		if (over < 1024)
			return vg_errf(err, EINVAL, "rolltype=4 needs rollover >= 1024 (bytes), "
				       "not %d", over);
		break;
	case CSV_ROLL_AGAIN:
		if (over >= DAY_S || again < over || again < 10)
			return vg_errf(err, EINVAL,
				       "rolltype=5 needs rollover < 86400 (the first roll, in "
				       "seconds after midnight) and rollagain >= rollover and >= "
				       "10 (seconds between rolls); got rollover=%d rollagain=%d",
				       over, again);
		break;
	default:
		break;
	}
	roll->type = (enum csv_rolltype)type;
	roll->over = over;
	roll->again = again;
	return 0;
}

/* ------------------------------------------------------------------ opt_file */

static void free_layers(struct csv_layer **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static int push_layer(struct csv_layer ***v, size_t *n, struct csv_layer *l)
{
	struct csv_layer **nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	nv[(*n)++] = l;
	*v = nv;
	return 0;
}

/* Join "\<newline>" continuations and blank out "#" comments, in place. */
static void opt_file_canonical(char *text)
{
	char *w = text;
	bool comment = false, token_start = true;
	for (char *r = text; *r; r++) {
		if (r[0] == '\\' && r[1] == '\n') {
			r++;
			*w++ = ' ';
			token_start = true;
			continue;
		}
		if (*r == '\n')
			comment = false;
		else if (*r == '#' && token_start)
			comment = true;
		token_start = isspace((unsigned char)*r);
		if (!comment || *r == '\n')
			*w++ = *r;
	}
	*w = '\0';
}

#define LINE_TOKENS 64

static int opt_file_line(char *line, const char *file, unsigned lineno,
			 struct csv_layer **filedef, struct csv_layer ***keyed, size_t *nkeyed,
			 struct vg_err *err)
{
	const char *keys[LINE_TOKENS], *values[LINE_TOKENS];
	size_t n = 0;
	bool plugin_word = false;
	char origin[320];
	snprintf(origin, sizeof(origin), "opt_file %s line %u", file, lineno);
	char *save = NULL;
	for (char *tok = strtok_r(line, " \t\r\f\v", &save); tok;
	     tok = strtok_r(NULL, " \t\r\f\v", &save)) {
		char *eq = strchr(tok, '=');
		if (!eq) {
			if (strcmp(tok, CSV_PLUGIN) == 0) {
				plugin_word = true;
				continue;
			}
			if (strcmp(tok, "config") == 0)
				return vg_errf(err, EINVAL,
					       "%s starts with 'config': write only the "
					       "attributes (\"store_csv path=...\" or "
					       "\"container=C schema=S ...\")",
					       origin);
			return vg_errf(err, EINVAL,
				       "unexpected word '%s' in %s: lines hold k=v attributes, "
				       "and the defaults' line starts with the word store_csv",
				       tok, origin);
		}
		if (n == LINE_TOKENS)
			return vg_errf(err, EINVAL, "%s has more than %d attributes", origin,
				       LINE_TOKENS);
		*eq = '\0';
		keys[n] = tok;
		values[n++] = eq + 1;
	}
	if (n == 0 && !plugin_word)
		return 0;
	const char *c = NULL, *s = NULL;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(keys[i], "container") == 0)
			c = values[i];
		else if (strcmp(keys[i], "schema") == 0)
			s = values[i];
	}
	if (!c != !s)
		return vg_errf(err, EINVAL, "%s: container= and schema= go together", origin);
	if (!c && !plugin_word)
		return vg_errf(err, EINVAL,
			       "%s has neither the word store_csv (defaults) nor container= and "
			       "schema= (one pair's options)",
			       origin);
	int rc = check_names(n, keys, values, c ? S_KEY : S_DEFAULTS, origin, err);
	if (rc)
		return rc;
	if (c && keyed_find(&(struct csv_config){.keyed = *keyed, .nkeyed = *nkeyed}, c, s))
		return vg_errf(err, EINVAL, "%s repeats container=%s schema=%s", origin, c, s);
	if (!c && *filedef)
		return vg_errf(err, EINVAL, "%s repeats the store_csv defaults line", origin);
	struct csv_layer *l = layer_new(origin, c, s, n, keys, values);
	if (!l)
		return vg_errf(err, ENOMEM, "out of memory reading %s", origin);
	if (!c) {
		*filedef = l;
		return 0;
	}
	if (push_layer(keyed, nkeyed, l) < 0) {
		free(l);
		return vg_errf(err, ENOMEM, "out of memory reading %s", origin);
	}
	return 0;
}

static int opt_file_read(const char *file, struct csv_layer **filedef, struct csv_layer ***keyed,
			 size_t *nkeyed, struct vg_err *err)
{
	FILE *f = fopen(file, "r");
	if (!f)
		return vg_errf(err, EINVAL, "Cannot open attrs file opt_file=%s: %s", file,
			       strerror(errno));
	char *text = malloc(OPT_FILE_MAX + 1);
	size_t len = text ? fread(text, 1, OPT_FILE_MAX + 1, f) : 0;
	bool read_error = ferror(f);
	fclose(f);
	if (!text)
		return vg_errf(err, ENOMEM, "out of memory reading opt_file=%s", file);
	if (read_error || len > OPT_FILE_MAX) {
		free(text);
		return vg_errf(err, EINVAL, "cannot read opt_file=%s: %s", file,
			       read_error ? "read error" : "larger than 1 MiB");
	}
	text[len] = '\0';
	if (strlen(text) != len) {
		free(text);
		return vg_errf(err, EINVAL, "opt_file=%s is not a text file (it holds NUL bytes)",
			       file);
	}
	opt_file_canonical(text);
	int rc = 0;
	unsigned lineno = 1;
	for (char *line = text; line && !rc; lineno++) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		rc = opt_file_line(line, file, lineno, filedef, keyed, nkeyed, err);
		line = nl ? nl + 1 : NULL;
	}
	free(text);
	return rc;
}

/* ------------------------------------------------------------------ apply */

/* Every container/schema line must resolve to valid options. */
static int validate_all(const struct csv_config *cfg, struct vg_err *err)
{
	struct csv_opts o;
	int rc = csv_config_resolve(cfg, NULL, NULL, &o, err);
	for (size_t i = 0; !rc && i < cfg->nkeyed; i++)
		rc = csv_config_resolve(cfg, cfg->keyed[i]->container, cfg->keyed[i]->schema, &o,
					err);
	return rc;
}

static int apply_defaults(struct csv_config *cfg, size_t n, const char *const *keys,
			  const char *const *values, const char *opt_file, struct vg_err *err)
{
	if (cfg->configured)
		return vg_errf(err, EBUSY,
			       "config of defaults cannot be repeated: give per-pair options with "
			       "container=C schema=S, or restart to change the defaults");
	int rc = check_names(n, keys, values, S_LINE, "the config line", err);
	if (rc)
		return rc;
	struct csv_config next = {.configured = true};
	next.line = layer_new("the config line", NULL, NULL, n, keys, values);
	if (!next.line)
		return vg_errf(err, ENOMEM, "out of memory storing the config");
	if (opt_file)
		rc = opt_file_read(opt_file, &next.filedef, &next.keyed, &next.nkeyed, err);
	if (!rc)
		rc = validate_all(&next, err);
	if (!rc)
		rc = resolve_roll(&next, &next.roll, err);
	if (rc) {
		csv_config_free(&next);
		return rc;
	}
	*cfg = next;
	return 0;
}

static int apply_override(struct csv_config *cfg, size_t n, const char *const *keys,
			  const char *const *values, const char *container, const char *schema,
			  struct vg_err *err)
{
	char origin[600];
	snprintf(origin, sizeof(origin), "the config line for container=%s schema=%s",
		 container, schema);
	if (!cfg->configured)
		return vg_errf(err, EINVAL,
			       "plugin defaults must be configured before specifics for "
			       "container=%s schema=%s: first give config name=store_csv "
			       "path=<directory> ...",
			       container, schema);
	int rc = check_names(n, keys, values, S_KEY, origin, err);
	if (rc)
		return rc;
	if (keyed_find(cfg, container, schema))
		return vg_errf(err, EEXIST,
			       "cannot repeat config on container=%s schema=%s: give all of its "
			       "options on one line",
			       container, schema);
	struct csv_layer *l = layer_new(origin, container, schema, n, keys, values);
	if (!l || push_layer(&cfg->keyed, &cfg->nkeyed, l) < 0) {
		free(l);
		return vg_errf(err, ENOMEM, "out of memory storing the config");
	}
	struct csv_opts o;
	rc = csv_config_resolve(cfg, container, schema, &o, err);
	if (rc) {
		cfg->nkeyed--;
		free(l);
	}
	return rc;
}

int csv_config_apply(struct csv_config *cfg, const struct vg_kvlist *kv, struct vg_err *err)
{
	const char *keys[LINE_TOKENS], *values[LINE_TOKENS];
	size_t n = 0;
	for (size_t i = 0; i < kv->count; i++) {
		/* The daemon may pass the plugin's own name along. */
		if (strcmp(kv->items[i].key, "name") == 0)
			continue;
		if (n == LINE_TOKENS)
			return vg_errf(err, EINVAL, "more than %d attributes on one line",
				       LINE_TOKENS);
		keys[n] = kv->items[i].key;
		values[n++] = kv->items[i].value ? kv->items[i].value : "";
	}
	const char *c = vg_kv_get(kv, "container"), *s = vg_kv_get(kv, "schema");
	const char *opt_file = vg_kv_get(kv, "opt_file");
	if (!c != !s)
		return vg_errf(err, EINVAL,
			       "config arguments schema and container must be used together (for "
			       "one container/schema) or not at all (to set defaults); got only "
			       "%s=%s",
			       c ? "container" : "schema", c ? c : s);
	if (c && opt_file)
		return vg_errf(err, EINVAL,
			       "config arguments container/schema and opt_file must not be used "
			       "together: put container=%s schema=%s lines in the opt_file",
			       c, s);
	if (c)
		return apply_override(cfg, n, keys, values, c, s, err);
	return apply_defaults(cfg, n, keys, values, opt_file, err);
}

void csv_config_free(struct csv_config *cfg)
{
	free(cfg->line);
	free(cfg->filedef);
	free_layers(cfg->keyed, cfg->nkeyed);
	*cfg = (struct csv_config){0};
}
