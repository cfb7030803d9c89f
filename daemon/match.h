/*
 * match.h - lists of regular expressions, as updaters and storage policies
 * keep them (updtr_prdcr_add regex=, updtr_match_add, strgp_prdcr_add).
 *
 * Patterns are POSIX extended and unanchored, as in LDMS.  Adding one that
 * does not compile is an error naming it; adding the same text twice is
 * -EEXIST; deleting one that is not there is -ENOENT.
 */
#ifndef VIGIL_MATCH_H
#define VIGIL_MATCH_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/util.h"

struct match_item {
	char *text;
	unsigned kind; /* caller's tag, e.g. instance or schema */
	regex_t re;
};

struct match_list {
	struct match_item *items;
	size_t n;
};

/* Compile one pattern as the lists do; -EINVAL with regerror's reason naming it. */
int match_compile(regex_t *re, const char *pattern, struct vg_err *err);

int match_add(struct match_list *l, const char *pattern, unsigned kind, struct vg_err *err);
int match_del(struct match_list *l, const char *pattern, unsigned kind, struct vg_err *err);
/* Does any item of that kind match subject? */
bool match_any(const struct match_list *l, unsigned kind, const char *subject);
/* "a,b,c" of the patterns, for status output. */
void match_print(const struct match_list *l, struct vg_strbuf *out, const char *sep);
void match_free(struct match_list *l);

#endif /* VIGIL_MATCH_H */
