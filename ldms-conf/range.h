/*
 * range.h - host, name and port ranges as Maestro and Slurm write them.
 *
 * "node-[1-10]", "node-[01-08]" (the lower bound's zero padding is kept),
 * "agg-[21,22]", "node-[11-14]-[10101]", "[10001-10010]", and lists
 * "a,b,node-[3-4]" (commas outside brackets).  Several bracket groups give
 * their product, the leftmost varying slowest: "n[1-2]-[7,8]" is n1-7,
 * n1-8, n2-7, n2-8.  Names keep the order written (LDMS sorts them as
 * strings, so its node-10 comes before node-2).
 */
#ifndef VIGIL_RANGE_H
#define VIGIL_RANGE_H

#include <stddef.h>

/* The most names one range may expand to (a typo like [1-100000000] is an error). */
#define VG_RANGE_MAX 1000000

struct vg_names {
	char **v;
	size_t n, cap;
};

/*
 * Append the expansion of spec to out.  0, -ENOMEM, or -EINVAL with why
 * (a phrase such as `"5-3" goes backwards`) filled in.
 */
int vg_range_expand(const char *spec, struct vg_names *out, char *why, size_t whylen);

int vg_names_add(struct vg_names *names, const char *s);
void vg_names_free(struct vg_names *names);

#endif /* VIGIL_RANGE_H */
