/*
 * cluster_util.c - the loader's helpers: messages with file:line:col and the
 * key path, key checks with "did you mean", typed values, ranges, auth.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ldms-conf/cluster_int.h"

void cl_sub(char *dst, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(dst, CL_PATH_MAX, fmt, ap);
	va_end(ap);
}

int cl_error(struct cl_ctx *x, const struct ynode *n, const char *path, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (path && path[0])
		return vg_errf(x->err, EINVAL, "%s:%d:%d: %s: %s", x->file, n ? n->line : 1,
			       n ? n->col : 1, path, msg);
	return vg_errf(x->err, EINVAL, "%s:%d:%d: %s", x->file, n ? n->line : 1, n ? n->col : 1,
		       msg);
}

int cl_oom(struct cl_ctx *x)
{
	return vg_errf(x->err, ENOMEM, "out of memory");
}

void *cl_grow(void *arr, size_t n, size_t sz)
{
	char *p = realloc(arr, (n + 1) * sz);
	if (p)
		memset(p + n * sz, 0, sz);
	return p;
}

/* Levenshtein distance, capped: enough to catch typos like "peer", "updater", "intervall". */
static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 63 || lb > 63)
		return 64;
	size_t row[64];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (tolower((unsigned char)a[i - 1]) !=
					      tolower((unsigned char)b[j - 1]));
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	return row[lb];
}

static const char *closest(const char *word, const char *const *choices, size_t n)
{
	const char *best = NULL;
	size_t best_d = 3;
	size_t limit = strlen(word) <= 4 ? 1 : 2;
	for (size_t i = 0; i < n; i++) {
		size_t d = edit_distance(word, choices[i]);
		if (d <= limit && d < best_d) {
			best = choices[i];
			best_d = d;
		}
	}
	return best;
}

int cl_check_map(struct cl_ctx *x, const struct ynode *n, const char *path,
		 const char *const *allowed)
{
	if (n->kind != YN_MAP)
		return cl_error(x, n, path, "expected a mapping (key: value lines), got %s",
				ynode_kind_name(n->kind));
	size_t nallowed = 0;
	while (allowed[nallowed])
		nallowed++;
	for (size_t i = 0; i < n->n; i++) {
		const struct ynode *k = ymap_key(n, i);
		bool ok = false;
		for (size_t a = 0; a < nallowed && !ok; a++)
			ok = strcmp(k->str, allowed[a]) == 0;
		if (ok)
			continue;
		char keypath[CL_PATH_MAX], list[400] = "";
		cl_sub(keypath, "%s%s%s", path, path[0] ? "." : "", k->str);
		size_t pos = 0;
		for (size_t a = 0; a < nallowed && pos < sizeof(list); a++)
			pos += (size_t)snprintf(list + pos, sizeof(list) - pos, "%s%s", a ? ", " : "",
						allowed[a]);
		const char *near = closest(k->str, allowed, nallowed);
		if (near)
			return cl_error(x, k, keypath, "unknown key; did you mean \"%s\"? (keys here: %s)",
					near, list);
		return cl_error(x, k, keypath, "unknown key (keys here: %s)", list);
	}
	return 0;
}

int cl_check_seq(struct cl_ctx *x, const struct ynode *n, const char *path)
{
	if (n->kind == YN_SEQ)
		return 0;
	return cl_error(x, n, path, "expected a list (lines starting with \"- \"), got %s",
			ynode_kind_name(n->kind));
}

int cl_require(struct cl_ctx *x, const struct ynode *map, const char *key, const char *path,
	       const char *example, struct ynode **out)
{
	struct ynode *v = ymap_get(map, key);
	if (!v || ynode_is_null(v))
		return cl_error(x, v ? v : map, path, "missing \"%s\" (e.g. %s)", key, example);
	*out = v;
	return 0;
}

int cl_check_token(struct cl_ctx *x, const struct ynode *n, const char *path, const char *v)
{
	for (const char *p = v; *p; p++)
		if (isspace((unsigned char)*p))
			return cl_error(x, n, path,
					"\"%s\" contains a space, which an ldmsd config line cannot "
					"hold (in a regex, write [[:space:]])",
					v);
	return 0;
}

int cl_string(struct cl_ctx *x, const struct ynode *n, const char *path, char **out)
{
	if (n->kind != YN_SCALAR)
		return cl_error(x, n, path, "expected a value, got %s", ynode_kind_name(n->kind));
	if (ynode_is_null(n))
		return cl_error(x, n, path, "is empty: give it a value");
	struct vg_strbuf sb;
	vg_strbuf_init(&sb);
	const char *p = n->str;
	while (*p) {
		const char *start = strstr(p, "${");
		const char *close = start ? strchr(start, '}') : NULL;
		if (!start || !close) {
			vg_strbuf_puts(&sb, p);
			break;
		}
		vg_strbuf_append(&sb, p, (size_t)(start - p));
		char var[128];
		size_t len = (size_t)(close - start - 2);
		bool valid = len > 0 && len < sizeof(var) && !isdigit((unsigned char)start[2]);
		for (size_t i = 0; valid && i < len; i++)
			valid = isalnum((unsigned char)start[2 + i]) || start[2 + i] == '_';
		if (!valid) {
			vg_strbuf_free(&sb);
			return cl_error(x, n, path, "\"%.*s\" is not a variable reference (${NAME})",
					(int)(close - start + 1), start);
		}
		memcpy(var, start + 2, len);
		var[len] = '\0';
		const char *value = getenv(var);
		if (!value) {
			vg_strbuf_free(&sb);
			return cl_error(x, n, path,
					"uses ${%s}, which is not set in the environment (export it, "
					"or write the value)",
					var);
		}
		vg_strbuf_puts(&sb, value);
		p = close + 1;
	}
	if (sb.oom || !(*out = strdup(vg_strbuf_str(&sb)))) {
		vg_strbuf_free(&sb);
		return vg_errf(x->err, ENOMEM, "out of memory");
	}
	vg_strbuf_free(&sb);
	return 0;
}

int cl_opt_string(struct cl_ctx *x, const struct ynode *map, const char *key, const char *path,
		  char **out)
{
	*out = NULL;
	const struct ynode *v = ymap_get(map, key);
	if (!v || ynode_is_null(v))
		return 0;
	char sub[CL_PATH_MAX];
	cl_sub(sub, "%s.%s", path, key);
	return cl_string(x, v, sub, out);
}

int cl_opt_duration(struct cl_ctx *x, const struct ynode *map, const char *key,
		    const char *path, int64_t def, bool allow_negative, int64_t *out, bool *given)
{
	const struct ynode *v = ymap_get(map, key);
	*out = def;
	if (given)
		*given = false;
	if (!v || ynode_is_null(v))
		return 0;
	char sub[CL_PATH_MAX], *s;
	cl_sub(sub, "%s.%s", path, key);
	int rc = cl_string(x, v, sub, &s);
	if (rc)
		return rc;
	int64_t us;
	rc = vg_parse_duration_us(s, &us);
	if (rc)
		rc = cl_error(x, v, sub, "\"%s\" is not a duration (use 500ms, 1s, 1.5s)", s);
	else if (us < 0 && !allow_negative)
		rc = cl_error(x, v, sub, "\"%s\" is negative: give a duration of 0 or more", s);
	if (rc) {
		free(s);
		return rc;
	}
	free(s);
	*out = us;
	if (given)
		*given = true;
	return 0;
}

int cl_opt_bool(struct cl_ctx *x, const struct ynode *map, const char *key, const char *path,
		bool def, bool *out)
{
	const struct ynode *v = ymap_get(map, key);
	*out = def;
	if (!v || ynode_is_null(v))
		return 0;
	char sub[CL_PATH_MAX];
	cl_sub(sub, "%s.%s", path, key);
	if (v->kind != YN_SCALAR || vg_parse_bool(v->str, out))
		return cl_error(x, v, sub, "expected true or false, got %s",
				v->kind == YN_SCALAR ? v->str : ynode_kind_name(v->kind));
	return 0;
}

int cl_names(struct cl_ctx *x, const struct ynode *n, const char *path, struct vg_names *out)
{
	size_t count = n->kind == YN_SEQ ? n->n : 1;
	if (n->kind == YN_MAP)
		return cl_error(x, n, path, "expected a name range such as \"node-[1-8]\" or a list "
				"of them, got a mapping");
	if (n->kind == YN_SEQ && n->n == 0)
		return cl_error(x, n, path, "the list is empty: name at least one");
	for (size_t i = 0; i < count; i++) {
		const struct ynode *item = n->kind == YN_SEQ ? n->items[i] : n;
		char sub[CL_PATH_MAX];
		if (n->kind == YN_SEQ)
			cl_sub(sub, "%s[%zu]", path, i);
		else
			cl_sub(sub, "%s", path);
		char *spec;
		int rc = cl_string(x, item, sub, &spec);
		if (rc)
			return rc;
		char why[256];
		rc = vg_range_expand(spec, out, why, sizeof(why));
		if (rc == -EINVAL)
			rc = cl_error(x, item, sub, "bad range \"%s\": %s", spec, why);
		else if (rc)
			rc = vg_errf(x->err, -rc, "out of memory");
		free(spec);
		if (rc)
			return rc;
	}
	return 0;
}

int cl_check_daemons(struct cl_ctx *x, const struct ynode *n, const char *path,
		     const struct vg_names *names)
{
	for (size_t i = 0; i < names->n; i++) {
		if (vg_cluster_daemon_find(x->c, names->v[i]))
			continue;
		const char *best = NULL;
		size_t best_d = 3;
		for (size_t d = 0; d < x->c->ndaemons; d++) {
			size_t dist = edit_distance(names->v[i], x->c->daemons[d].name);
			if (dist < best_d) {
				best = x->c->daemons[d].name;
				best_d = dist;
			}
		}
		if (best)
			return cl_error(x, n, path,
					"\"%s\" is not a daemon of this file; did you mean \"%s\"? "
					"(daemons are defined under daemons:)",
					names->v[i], best);
		return cl_error(x, n, path,
				"\"%s\" is not a daemon of this file (define it under daemons:)",
				names->v[i]);
	}
	return 0;
}

/* ---------------------------------------------------------------- auth */

void cl_kv_free(struct vg_cluster_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

static int kv_add(struct vg_cluster_kv **kv, size_t *n, const char *key, size_t klen,
		  const char *value)
{
	struct vg_cluster_kv *nkv = realloc(*kv, (*n + 1) * sizeof(*nkv));
	if (!nkv)
		return -ENOMEM;
	*kv = nkv;
	nkv[*n].key = strndup(key, klen);
	nkv[*n].value = strdup(value);
	(*n)++;
	return nkv[*n - 1].key && nkv[*n - 1].value ? 0 : -ENOMEM;
}

/*
 * conf: a mapping of options, "k=v k=v", or (LDMS) a bare path, which is
 * the ovis plugin's conf= file.
 */
int cl_auth_conf(struct cl_ctx *x, const struct ynode *n, const char *path,
		     struct vg_cluster_kv **kv, size_t *nkv)
{
	int rc = 0;
	if (n->kind == YN_MAP) {
		for (size_t i = 0; i < n->n && rc == 0; i++) {
			char sub[CL_PATH_MAX], *v;
			cl_sub(sub, "%s.%s", path, ymap_key(n, i)->str);
			rc = cl_string(x, ymap_value(n, i), sub, &v);
			if (!rc)
				rc = cl_check_token(x, ymap_value(n, i), sub, v);
			if (!rc && kv_add(kv, nkv, ymap_key(n, i)->str, strlen(ymap_key(n, i)->str), v))
				rc = vg_errf(x->err, ENOMEM, "out of memory");
			free(v);
		}
		return rc;
	}
	char *s;
	rc = cl_string(x, n, path, &s);
	if (rc)
		return rc;
	char *save = NULL;
	for (char *tok = strtok_r(s, " \t", &save); tok && rc == 0;
	     tok = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(tok, '=');
		if (eq && eq > tok)
			rc = kv_add(kv, nkv, tok, (size_t)(eq - tok), eq + 1);
		else if (*nkv == 0 && !strtok_r(NULL, " \t", &save))
			rc = kv_add(kv, nkv, "conf", 4, tok);
		else
			rc = cl_error(x, n, path, "\"%s\" is not name=value", tok);
		if (rc == -ENOMEM)
			rc = vg_errf(x->err, ENOMEM, "out of memory");
	}
	free(s);
	return rc;
}

const struct cl_authdom *cl_auth_find(const struct cluster_priv *p, const char *name)
{
	for (size_t i = 0; i < p->nauths; i++)
		if (strcmp(p->auths[i].name, name) == 0)
			return &p->auths[i];
	return NULL;
}

static bool same_conf(const struct cl_authdom *a, const struct vg_cluster_kv *kv, size_t n)
{
	if (a->nconf != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (strcmp(a->conf[i].key, kv[i].key) || strcmp(a->conf[i].value, kv[i].value))
			return false;
	return true;
}

int cl_auth(struct cl_ctx *x, const struct ynode *n, const char *path, char **name)
{
	static const char *const keys[] = {"name", "plugin", "conf", NULL};
	*name = NULL;
	int rc = cl_check_map(x, n, path, keys);
	char *dname = NULL, *plugin = NULL;
	struct vg_cluster_kv *kv = NULL;
	size_t nkv = 0;
	if (!rc)
		rc = cl_opt_string(x, n, "name", path, &dname);
	if (!rc)
		rc = cl_opt_string(x, n, "plugin", path, &plugin);
	const struct ynode *conf = ymap_get(n, "conf");
	if (!rc && conf && !ynode_is_null(conf)) {
		char sub[CL_PATH_MAX];
		cl_sub(sub, "%s.conf", path);
		rc = cl_auth_conf(x, conf, sub, &kv, &nkv);
	}
	if (!rc && !dname && !plugin)
		rc = cl_error(x, n, path, "give the domain's name and plugin (e.g. name: munge1, "
				"plugin: munge)");
	if (!rc && !plugin && !(plugin = strdup(dname)))
		rc = vg_errf(x->err, ENOMEM, "out of memory");
	if (!rc && !dname && strcmp(plugin, "none") == 0 && nkv == 0)
		goto done; /* no authentication: the DEFAULT domain */
	if (!rc && !dname && !(dname = strdup(plugin)))
		rc = vg_errf(x->err, ENOMEM, "out of memory");
	if (!rc)
		rc = cl_check_token(x, n, path, dname);
	if (rc)
		goto done;
	const struct cl_authdom *old = cl_auth_find(x->p, dname);
	if (old) {
		if (strcmp(old->plugin, plugin) || !same_conf(old, kv, nkv))
			rc = cl_error(x, n, path,
				      "auth domain \"%s\" is defined differently at line %d: give "
				      "each configuration its own name",
				      dname, old->line);
		if (!rc) {
			*name = dname;
			dname = NULL;
		}
		goto done;
	}
	struct cl_authdom *na = realloc(x->p->auths, (x->p->nauths + 1) * sizeof(*na));
	if (!na) {
		rc = vg_errf(x->err, ENOMEM, "out of memory");
		goto done;
	}
	x->p->auths = na;
	struct cl_authdom *a = &na[x->p->nauths++];
	*a = (struct cl_authdom){dname, plugin, kv, nkv, n->line, n->col};
	*name = strdup(dname);
	return *name ? 0 : vg_errf(x->err, ENOMEM, "out of memory");
done:
	free(dname);
	free(plugin);
	cl_kv_free(kv, nkv);
	return rc;
}
