/*
 * range.c - expanding "node-[1-10]" style ranges.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ldms-conf/range.h"

#define GROUPS_MAX 8   /* bracket groups in one item */
#define SPANS_MAX 256  /* "a-b" or "a" pieces in one group */

struct span {
	uint64_t lo, hi;
	int width; /* zero padding of "01-08"; 0: none */
};

struct group {
	const char *prefix; /* literal text before the bracket */
	size_t prefix_len;
	struct span spans[SPANS_MAX];
	int nspans;
	uint64_t count;
};

int vg_names_add(struct vg_names *names, const char *s)
{
	if (names->n == names->cap) {
		size_t cap = names->cap ? names->cap * 2 : 16;
		char **v = realloc(names->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		names->v = v;
		names->cap = cap;
	}
	char *copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	names->v[names->n++] = copy;
	return 0;
}

void vg_names_free(struct vg_names *names)
{
	for (size_t i = 0; i < names->n; i++)
		free(names->v[i]);
	free(names->v);
	memset(names, 0, sizeof(*names));
}

static int why_f(char *why, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int why_f(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static bool parse_number(const char *s, size_t len, uint64_t *v)
{
	if (len == 0 || len > 9)
		return false;
	uint64_t x = 0;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return true;
}

/* One "a-b,c,d-e" body of a bracket group. */
static int parse_group(const char *body, size_t len, struct group *g, char *why, size_t whylen)
{
	g->nspans = 0;
	g->count = 0;
	const char *end = body + len;
	const char *p = body;
	while (p <= end) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		const char *piece_end = comma ? comma : end;
		size_t plen = (size_t)(piece_end - p);
		const char *dash = memchr(p, '-', plen);
		struct span sp = {0, 0, 0};
		if (plen == 0)
			return why_f(why, whylen, "empty element in \"[%.*s]\"", (int)len, body);
		if (dash) {
			if (!parse_number(p, (size_t)(dash - p), &sp.lo) ||
			    !parse_number(dash + 1, (size_t)(piece_end - dash - 1), &sp.hi))
				return why_f(why, whylen,
					     "\"%.*s\" is not a number range (write [1-10] or [1,3,5])",
					     (int)plen, p);
			if (sp.hi < sp.lo)
				return why_f(why, whylen, "\"%.*s\" goes backwards (write [%llu-%llu])",
					     (int)plen, p, (unsigned long long)sp.hi,
					     (unsigned long long)sp.lo);
			if (dash - p > 1 && p[0] == '0')
				sp.width = (int)(dash - p);
		} else {
			if (!parse_number(p, plen, &sp.lo))
				return why_f(why, whylen,
					     "\"%.*s\" is not a number (write [1-10] or [1,3,5])",
					     (int)plen, p);
			sp.hi = sp.lo;
			if (plen > 1 && p[0] == '0')
				sp.width = (int)plen;
		}
		if (g->nspans == SPANS_MAX)
			return why_f(why, whylen, "more than %d elements in one [...]", SPANS_MAX);
		g->spans[g->nspans++] = sp;
		g->count += sp.hi - sp.lo + 1;
		if (g->count > VG_RANGE_MAX)
			return why_f(why, whylen, "more than %d names", VG_RANGE_MAX);
		if (!comma)
			break;
		p = comma + 1;
	}
	return 0;
}

/* The i-th value of a group (0 <= i < count), formatted. */
static void group_value(const struct group *g, uint64_t i, char *buf, size_t len)
{
	for (int s = 0; s < g->nspans; s++) {
		uint64_t n = g->spans[s].hi - g->spans[s].lo + 1;
		if (i < n) {
			snprintf(buf, len, "%0*llu", g->spans[s].width,
				 (unsigned long long)(g->spans[s].lo + i));
			return;
		}
		i -= n;
	}
	buf[0] = '\0';
}

static int expand_groups(const char *item, size_t len, struct group *groups,
			 struct vg_names *out, char *why, size_t whylen)
{
	int ngroups = 0;
	const char *p = item, *end = item + len, *lit = item;
	uint64_t total = 1;
	for (; p < end; p++) {
		if (*p == ']')
			return why_f(why, whylen, "\"]\" without \"[\" in \"%.*s\"", (int)len, item);
		if (*p != '[')
			continue;
		const char *close = memchr(p, ']', (size_t)(end - p));
		if (!close)
			return why_f(why, whylen, "unclosed \"[\" in \"%.*s\"", (int)len, item);
		const char *nested = memchr(p + 1, '[', (size_t)(close - p - 1));
		if (nested)
			return why_f(why, whylen, "nested \"[\" in \"%.*s\"", (int)len, item);
		if (ngroups == GROUPS_MAX)
			return why_f(why, whylen, "more than %d [...] groups in \"%.*s\"", GROUPS_MAX,
				     (int)len, item);
		struct group *g = &groups[ngroups];
		g->prefix = lit;
		g->prefix_len = (size_t)(p - lit);
		int rc = parse_group(p + 1, (size_t)(close - p - 1), g, why, whylen);
		if (rc)
			return rc;
		total *= g->count;
		if (total + out->n > VG_RANGE_MAX)
			return why_f(why, whylen, "\"%.*s\" gives more than %d names", (int)len, item,
				     VG_RANGE_MAX);
		ngroups++;
		p = close;
		lit = close + 1;
	}
	size_t tail_len = (size_t)(end - lit);
	uint64_t idx[GROUPS_MAX] = {0};
	char name[1024], num[32];
	for (uint64_t k = 0; k < total; k++) {
		size_t pos = 0;
		for (int gi = 0; gi < ngroups; gi++) {
			group_value(&groups[gi], idx[gi], num, sizeof(num));
			int w = snprintf(name + pos, sizeof(name) - pos, "%.*s%s",
					 (int)groups[gi].prefix_len, groups[gi].prefix, num);
			if (w < 0 || (size_t)w >= sizeof(name) - pos)
				return why_f(why, whylen, "a name longer than %zu bytes", sizeof(name));
			pos += (size_t)w;
		}
		int w = snprintf(name + pos, sizeof(name) - pos, "%.*s", (int)tail_len, lit);
		if (w < 0 || (size_t)w >= sizeof(name) - pos)
			return why_f(why, whylen, "a name longer than %zu bytes", sizeof(name));
		if (vg_names_add(out, name))
			return -ENOMEM;
		/* odometer: the last group varies fastest */
		for (int gi = ngroups - 1; gi >= 0; gi--) {
			if (++idx[gi] < groups[gi].count)
				break;
			idx[gi] = 0;
		}
	}
	return 0;
}

static int expand_item(const char *item, size_t len, struct vg_names *out, char *why,
		       size_t whylen)
{
	struct group *groups = calloc(GROUPS_MAX, sizeof(*groups));
	if (!groups)
		return -ENOMEM;
	int rc = expand_groups(item, len, groups, out, why, whylen);
	free(groups);
	return rc;
}

int vg_range_expand(const char *spec, struct vg_names *out, char *why, size_t whylen)
{
	const char *p = spec;
	int depth = 0;
	const char *start = p;
	for (;; p++) {
		if (*p == '[')
			depth++;
		else if (*p == ']' && depth > 0)
			depth--;
		if (*p && (*p != ',' || depth > 0))
			continue;
		const char *a = start, *b = p;
		while (a < b && isspace((unsigned char)*a))
			a++;
		while (b > a && isspace((unsigned char)b[-1]))
			b--;
		if (a == b)
			return why_f(why, whylen, "empty name in \"%s\"", spec);
		for (const char *q = a; q < b; q++)
			if (isspace((unsigned char)*q))
				return why_f(why, whylen, "space inside the name \"%.*s\"", (int)(b - a),
					     a);
		int rc = expand_item(a, (size_t)(b - a), out, why, whylen);
		if (rc)
			return rc;
		if (!*p)
			break;
		start = p + 1;
	}
	return 0;
}
