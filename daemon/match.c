/*
 * match.c - lists of compiled regular expressions.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/match.h"

static int find(const struct match_list *l, const char *pattern, unsigned kind)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i].kind == kind && strcmp(l->items[i].text, pattern) == 0)
			return (int)i;
	return -1;
}

int match_compile(regex_t *re, const char *pattern, struct vg_err *err)
{
	int rc = regcomp(re, pattern, REG_EXTENDED | REG_NOSUB);
	if (rc) {
		char msg[128];
		regerror(rc, re, msg, sizeof(msg));
		return vg_errf(err, EINVAL, "bad regular expression '%s': %s", pattern, msg);
	}
	return 0;
}

int match_add(struct match_list *l, const char *pattern, unsigned kind, struct vg_err *err)
{
	if (find(l, pattern, kind) >= 0)
		return vg_errf(err, EEXIST, "regex '%s' is already in the list", pattern);
	struct match_item it = {0};
	if (match_compile(&it.re, pattern, err))
		return -EINVAL;
	struct match_item *ni = realloc(l->items, (l->n + 1) * sizeof(*ni));
	it.text = strdup(pattern);
	if (!ni || !it.text) {
		if (ni)
			l->items = ni;
		free(it.text);
		regfree(&it.re);
		return vg_errf(err, ENOMEM, "out of memory");
	}
	it.kind = kind;
	l->items = ni;
	l->items[l->n++] = it;
	return 0;
}

int match_del(struct match_list *l, const char *pattern, unsigned kind, struct vg_err *err)
{
	int i = find(l, pattern, kind);
	if (i < 0)
		return vg_errf(err, ENOENT, "regex '%s' is not in the list", pattern);
	free(l->items[i].text);
	regfree(&l->items[i].re);
	memmove(&l->items[i], &l->items[i + 1], (l->n - (size_t)i - 1) * sizeof(*l->items));
	l->n--;
	return 0;
}

bool match_any(const struct match_list *l, unsigned kind, const char *subject)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->items[i].kind == kind && regexec(&l->items[i].re, subject, 0, NULL, 0) == 0)
			return true;
	return false;
}

void match_print(const struct match_list *l, struct vg_strbuf *out, const char *sep)
{
	for (size_t i = 0; i < l->n; i++)
		vg_strbuf_printf(out, "%s%s", i ? sep : "", l->items[i].text);
}

void match_free(struct match_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->items[i].text);
		regfree(&l->items[i].re);
	}
	free(l->items);
	l->items = NULL;
	l->n = 0;
}
