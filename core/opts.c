/*
 * opts.c - command-line options without getopt_long (see opts.h for why).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "opts.h"

void vg_opt_init(struct vg_opt_state *st, int argc, char **argv)
{
	memset(st, 0, sizeof(*st));
	st->argc = argc;
	st->argv = argv;
	st->index = 1;
}

static int take_value(struct vg_opt_state *st, const struct vg_option *o, const char *inline_value,
		      const char *shown)
{
	if (!o->has_arg) {
		if (inline_value) {
			snprintf(st->error, sizeof(st->error), "option '%s' takes no value", shown);
			return -1;
		}
		st->arg = NULL;
		return o->id;
	}
	if (inline_value) {
		st->arg = inline_value;
		return o->id;
	}
	if (st->index >= st->argc) {
		snprintf(st->error, sizeof(st->error), "option '%s' needs a value", shown);
		return -1;
	}
	st->arg = st->argv[st->index++];
	return o->id;
}

static int next_long(struct vg_opt_state *st, const struct vg_option *opts, const char *word)
{
	const char *name = word + 2;
	const char *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	st->index++;
	for (const struct vg_option *o = opts; o->id; o++) {
		if (o->long_name && strlen(o->long_name) == len && strncmp(o->long_name, name, len) == 0)
			return take_value(st, o, eq ? eq + 1 : NULL, word);
	}
	snprintf(st->error, sizeof(st->error), "unknown option '%.*s'", (int)(len + 2), word);
	return -1;
}

static int next_short(struct vg_opt_state *st, const struct vg_option *opts)
{
	const char *word = st->argv[st->index];
	char c = word[st->sub];
	const struct vg_option *o = opts;
	while (o->id && o->short_name != c)
		o++;
	if (!o->id) {
		snprintf(st->error, sizeof(st->error), "unknown option '-%c'", c);
		return -1;
	}
	char shown[3] = {'-', c, '\0'};
	const char *rest = word + st->sub + 1;
	if (o->has_arg || !*rest) {
		/* the value is the rest of this word, or the next word */
		st->index++;
		st->sub = 0;
		return take_value(st, o, (o->has_arg && *rest) ? rest : NULL, shown);
	}
	st->sub++; /* a cluster of flags: -Fh */
	st->arg = NULL;
	return o->id;
}

int vg_opt_next(struct vg_opt_state *st, const struct vg_option *opts)
{
	st->arg = NULL;
	if (st->sub)
		return next_short(st, opts);
	if (st->index >= st->argc)
		return 0;
	const char *word = st->argv[st->index];
	if (word[0] != '-' || word[1] == '\0')
		return 0; /* the first operand */
	if (strcmp(word, "--") == 0) {
		st->index++;
		return 0;
	}
	if (word[1] == '-')
		return next_long(st, opts, word);
	st->sub = 1;
	return next_short(st, opts);
}
