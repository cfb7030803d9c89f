/*
 * procfile.h - reading kernel files cheaply, for samplers.
 *
 * Three layers, in libvigil for every sampler to share:
 *
 *   procfile  - a /proc file opened once at config and re-read from offset 0
 *               with pread into a buffer sized at config (2x the file, at
 *               least 4 KiB), grown only if the file outgrows it;
 *   kvfile    - a procfile of "Key: value [kB]" lines (/proc/meminfo) or
 *               "name value" lines (/proc/vmstat): the keys are learned at
 *               config, and each sample walks the lines expecting the same
 *               order (one memcmp per line), falling back to a search by name
 *               when the kernel's list differs;
 *   kvsampler - a whole sampler of one such file: the base metrics, then one
 *               u64 data metric per line in file order (meminfo and vmstat
 *               are this with a file and a schema name).
 *
 * Nothing here allocates in a sample, except the rare buffer growth.
 */
#ifndef VIGIL_PROCFILE_H
#define VIGIL_PROCFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/log.h"
#include "plugins/plugin.h"

#define VG_PROCFILE_MIN_BUF 4096u
#define VG_PROCFILE_MAX_BUF (64u << 20) /* a /proc file this large is a bug, not data */

struct vg_procfile {
	struct vg_plugin *p; /* for messages */
	int fd;
	char *buf;
	size_t bufsize;
	char path[4096];
};

/*
 * Open <proc root>/<name> (e.g. "meminfo") and read it once to size the
 * buffer.  Errors name the file: -ENOENT and friends from open, -EIO.
 */
int vg_procfile_open(struct vg_procfile *pf, struct vg_plugin *p, const char *name,
		  struct vg_err *err);
/* Read the whole file into pf->buf; returns its length or a negative errno. */
ssize_t vg_procfile_read(struct vg_procfile *pf);
void vg_procfile_close(struct vg_procfile *pf);

/* A decimal number at *pp (no sign); advances *pp past the digits. */
static inline uint64_t vg_kv_parse_u64(const char **pp, const char *end)
{
	const char *p = *pp;
	uint64_t v = 0;
	while (p < end && (unsigned)(*p - '0') < 10)
		v = v * 10 + (uint64_t)(*p++ - '0');
	*pp = p;
	return v;
}

struct vg_kvfile_key {
	const char *name; /* in kvfile.names */
	size_t len;
	uint64_t *value;  /* where the sample goes (the set's metric) */
};

struct vg_kvfile {
	struct vg_procfile file;
	char *names;
	struct vg_kvfile_key *keys;
	size_t nkeys;
	bool order_logged;           /* the "lines moved" note is logged once */
	struct vg_complaint bad_line; /* a line without a number, rate-limited */
};

/* Open the file and learn its keys, in file order.  -ENODATA if it has none. */
int vg_kvfile_open(struct vg_kvfile *kf, struct vg_plugin *p, const char *name, struct vg_err *err);
void vg_kvfile_close(struct vg_kvfile *kf);
/* Send key i to metric first_idx + i of set. */
void vg_kvfile_bind(struct vg_kvfile *kf, struct vg_set *set, int first_idx);
/*
 * Read the file and store every known key's value.  Returns 0, a read
 * error, or -EBADMSG when a known line had no number (the other values
 * are stored).
 */
int vg_kvfile_sample(struct vg_kvfile *kf);

int vg_kvsampler_config(struct vg_plugin *p, const struct vg_kvlist *kv, const char *file,
		     const char *schema, struct vg_err *err);
int vg_kvsampler_sample(struct vg_plugin *p);
void vg_kvsampler_term(struct vg_plugin *p);

#endif /* VIGIL_PROCFILE_H */
