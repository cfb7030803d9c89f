/*
 * opts.h - command-line options without getopt_long.
 *
 * Why not getopt_long: it sits in a 64 KiB stretch of libc that nothing
 * else a compute-node daemon runs touches, and the kernel maps file pages
 * 64 KiB at a time (fault-around), so calling it once at start-up costs
 * ldmsd 64 KiB of resident memory for its whole life.  Short tools keep
 * using getopt_long.
 *
 * Accepted forms: -x VALUE, -xVALUE, clustered flags (-Fh), --name VALUE,
 * --name=VALUE.  Parsing stops at "--" or at the first operand.
 */
#ifndef VIGIL_OPTS_H
#define VIGIL_OPTS_H

#include <stdbool.h>

struct vg_option {
	int id;                /* returned by vg_opt_next; non-zero */
	char short_name;       /* 0 if none */
	const char *long_name; /* NULL if none */
	bool has_arg;
};

struct vg_opt_state {
	int argc;
	char **argv;
	int index;         /* next argv element; after the end: the first operand */
	int sub;           /* position inside a cluster of short options */
	const char *arg;   /* the value of the option just returned */
	char error[160];   /* why vg_opt_next returned -1 */
};

void vg_opt_init(struct vg_opt_state *st, int argc, char **argv);

/*
 * The next option's id, 0 when there are no more options, or -1 for an
 * unknown option or a missing value (st->error says which).  opts ends with
 * an entry whose id is 0.
 */
int vg_opt_next(struct vg_opt_state *st, const struct vg_option *opts);

#endif /* VIGIL_OPTS_H */
