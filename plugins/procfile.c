/*
 * procfile.c - /proc files read with one buffer and parsed in one pass
 * (see procfile.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugins/sampler_base.h"
#include "plugins/procfile.h"

/* ------------------------------------------------------------------ procfile */

static int procfile_grow(struct vg_procfile *pf)
{
	if (pf->bufsize >= VG_PROCFILE_MAX_BUF)
		return -EFBIG;
	size_t size = pf->bufsize * 2;
	char *buf = realloc(pf->buf, size);
	if (!buf)
		return -ENOMEM;
	pf->buf = buf;
	pf->bufsize = size;
	return 0;
}

/*
 * Read from offset 0 until end of file.  A seq_file such as /proc/vmstat
 * hands out at most a page per read, so one pread is not always the whole
 * file; a pread at offset 0 makes the kernel generate fresh content.
 */
static ssize_t procfile_fill(struct vg_procfile *pf)
{
	size_t len = 0;
	while (len < pf->bufsize) {
		ssize_t n = pread(pf->fd, pf->buf + len, pf->bufsize - len, (off_t)len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return (ssize_t)len;
		len += (size_t)n;
	}
	return (ssize_t)len; /* full: the caller grows the buffer */
}

ssize_t vg_procfile_read(struct vg_procfile *pf)
{
	for (;;) {
		ssize_t len = procfile_fill(pf);
		if (len < 0 || (size_t)len < pf->bufsize)
			return len;
		size_t old = pf->bufsize;
		int rc = procfile_grow(pf);
		if (rc < 0) {
			vg_plugin_log(pf->p, VG_LOG_ERROR, "%s is larger than %zu bytes: %s", pf->path,
				      old, strerror(-rc));
			return rc;
		}
		vg_plugin_log(pf->p, VG_LOG_INFO,
			      "%s outgrew its %zu-byte buffer since config; now %zu bytes", pf->path,
			      old, pf->bufsize);
	}
}

int vg_procfile_open(struct vg_procfile *pf, struct vg_plugin *p, const char *name,
		  struct vg_err *err)
{
	pf->p = p;
	pf->fd = -1;
	pf->buf = NULL;
	pf->bufsize = 0;
	int n = snprintf(pf->path, sizeof(pf->path), "%s/%s", vg_plugin_proc_root(), name);
	if (n < 0 || (size_t)n >= sizeof(pf->path))
		return vg_errf(err, ENAMETOOLONG, "the path of %s is too long (VIGIL_PROC_ROOT=%s)",
			       name, vg_plugin_proc_root());
	pf->fd = open(pf->path, O_RDONLY | O_CLOEXEC);
	if (pf->fd < 0) {
		int rc = errno;
		const char *root = getenv("VIGIL_PROC_ROOT");
		return vg_errf(err, rc, "cannot open %s: %s%s%s%s", pf->path, strerror(rc),
			       root && *root ? " (VIGIL_PROC_ROOT=" : "", root && *root ? root : "",
			       root && *root ? " replaces /proc)" : "");
	}
	pf->bufsize = VG_PROCFILE_MIN_BUF;
	pf->buf = malloc(pf->bufsize);
	if (!pf->buf) {
		vg_procfile_close(pf);
		return vg_errf(err, ENOMEM, "out of memory reading %s", pf->path);
	}
	ssize_t len = vg_procfile_read(pf);
	if (len < 0) {
		int rc = (int)-len;
		vg_procfile_close(pf);
		return vg_errf(err, rc, "cannot read %s: %s", pf->path, strerror(rc));
	}
	/* Room for the file to double before a sample has to grow the buffer. */
	size_t want = 2 * (size_t)len;
	if (want > pf->bufsize) {
		char *buf = realloc(pf->buf, want);
		if (!buf) {
			vg_procfile_close(pf);
			return vg_errf(err, ENOMEM, "out of memory reading %s", pf->path);
		}
		pf->buf = buf;
		pf->bufsize = want;
	}
	return 0;
}

void vg_procfile_close(struct vg_procfile *pf)
{
	if (pf->fd >= 0)
		close(pf->fd);
	pf->fd = -1;
	free(pf->buf);
	pf->buf = NULL;
	pf->bufsize = 0;
}

/* ------------------------------------------------------------------ kvfile */

static inline bool key_end(char c)
{
	return c == ':' || c == ' ' || c == '\t' || c == '\n';
}

static inline const char *skip_separator(const char *p, const char *end)
{
	while (p < end && (*p == ':' || *p == ' ' || *p == '\t'))
		p++;
	return p;
}

static inline const char *next_line(const char *p, const char *end)
{
	const char *eol = memchr(p, '\n', (size_t)(end - p));
	return eol ? eol + 1 : end;
}

int vg_kvfile_open(struct vg_kvfile *kf, struct vg_plugin *p, const char *name, struct vg_err *err)
{
	memset(kf, 0, sizeof(*kf));
	int rc = vg_procfile_open(&kf->file, p, name, err);
	if (rc < 0)
		return rc;
	ssize_t len = vg_procfile_read(&kf->file);
	if (len < 0) {
		vg_kvfile_close(kf);
		return vg_errf(err, (int)-len, "cannot read %s: %s", kf->file.path,
			       strerror((int)-len));
	}
	const char *buf = kf->file.buf, *end = buf + len;
	size_t lines = 0;
	for (const char *q = buf; q < end; q = next_line(q, end))
		lines++;
	kf->names = malloc((size_t)len + 1);
	kf->keys = calloc(lines ? lines : 1, sizeof(*kf->keys));
	if (!kf->names || !kf->keys) {
		vg_kvfile_close(kf);
		return vg_errf(err, ENOMEM, "out of memory reading %s", kf->file.path);
	}
	char *names = kf->names;
	size_t lineno = 0;
	for (const char *q = buf; q < end; q = next_line(q, end)) {
		lineno++;
		const char *k = q;
		while (k < end && !key_end(*k))
			k++;
		const char *v = skip_separator(k, end);
		if (k == q || v == end || (unsigned)(*v - '0') >= 10) {
			if (k != q || (q < end && *q != '\n'))
				vg_plugin_log(p, VG_LOG_WARNING,
					      "%s line %zu is not 'name value': skipped",
					      kf->file.path, lineno);
			continue;
		}
		struct vg_kvfile_key *key = &kf->keys[kf->nkeys++];
		key->len = (size_t)(k - q);
		key->name = names;
		memcpy(names, q, key->len);
		names[key->len] = '\0';
		names += key->len + 1;
	}
	if (kf->nkeys == 0) {
		vg_kvfile_close(kf);
		return vg_errf(err, ENODATA, "%s has no 'name value' lines", kf->file.path);
	}
	return 0;
}

void vg_kvfile_close(struct vg_kvfile *kf)
{
	vg_procfile_close(&kf->file);
	free(kf->names);
	free(kf->keys);
	kf->names = NULL;
	kf->keys = NULL;
	kf->nkeys = 0;
}

void vg_kvfile_bind(struct vg_kvfile *kf, struct vg_set *set, int first_idx)
{
	for (size_t i = 0; i < kf->nkeys; i++)
		kf->keys[i].value = vg_set_value_ptr(set, first_idx + (int)i);
}

/* The slow path: the line at p is not the one expected there. */
static struct vg_kvfile_key *kvfile_lookup(struct vg_kvfile *kf, const char *p, const char *end)
{
	const char *k = p;
	while (k < end && !key_end(*k))
		k++;
	size_t len = (size_t)(k - p);
	if (len == 0 || k == end || *k == '\n')
		return NULL;
	for (size_t i = 0; i < kf->nkeys; i++)
		if (kf->keys[i].len == len && memcmp(kf->keys[i].name, p, len) == 0)
			return &kf->keys[i];
	return NULL;
}

int vg_kvfile_sample(struct vg_kvfile *kf)
{
	ssize_t len = vg_procfile_read(&kf->file);
	if (len < 0)
		return (int)len;
	const char *p = kf->file.buf, *end = p + len;
	struct vg_kvfile_key *keys = kf->keys, *bad = NULL;
	size_t next = 0, found = 0, unknown = 0;
	while (p < end) {
		struct vg_kvfile_key *key = NULL;
		if (next < kf->nkeys) {
			struct vg_kvfile_key *want = &keys[next];
			if ((size_t)(end - p) > want->len && memcmp(p, want->name, want->len) == 0 &&
			    key_end(p[want->len]) && p[want->len] != '\n')
				key = want;
		}
		if (!key) {
			if (*p == '\n') {
				p++;
				continue;
			}
			key = kvfile_lookup(kf, p, end);
			if (!key) {
				unknown++;
				p = next_line(p, end);
				continue;
			}
			if (!kf->order_logged) {
				kf->order_logged = true;
				vg_plugin_log(kf->file.p, VG_LOG_INFO,
					      "the lines of %s moved since config (at '%s'): "
					      "matching them by name from now on",
					      kf->file.path, key->name);
			}
		}
		next = (size_t)(key - keys) + 1;
		found++;
		p = skip_separator(p + key->len, end);
		if (p < end && (unsigned)(*p - '0') < 10)
			*key->value = vg_kv_parse_u64(&p, end);
		else
			bad = key;
		p = next_line(p, end);
	}
	if ((unknown || found != kf->nkeys) && !kf->order_logged) {
		kf->order_logged = true;
		vg_plugin_log(kf->file.p, VG_LOG_INFO,
			      "%s differs from config: %zu of %zu known lines found, %zu new lines "
			      "ignored; missing metrics keep their last values",
			      kf->file.path, found, kf->nkeys, unknown);
	}
	if (bad) {
		vg_complain(&kf->bad_line, VG_LOG_WARNING, vg_plugin_name(kf->file.p),
			    "%s: the line of '%s' has no number; its metric keeps its last value",
			    kf->file.path, bad->name);
		return -EBADMSG;
	}
	return 0;
}

/* ------------------------------------------------------------------ kvsampler */

struct kvsampler {
	struct vg_sampler_base *base;
	struct vg_kvfile kf;
};

static void kvsampler_free(struct kvsampler *ks)
{
	vg_base_free(ks->base);
	vg_kvfile_close(&ks->kf);
	free(ks);
}

int vg_kvsampler_config(struct vg_plugin *p, const struct vg_kvlist *kv, const char *file,
		     const char *schema_name, struct vg_err *err)
{
	if (vg_plugin_ctx(p))
		return vg_errf(err, EBUSY,
			       "%s is already configured: stop and unload it (term) to configure "
			       "it again",
			       vg_plugin_name(p));
	struct kvsampler *ks = calloc(1, sizeof(*ks));
	if (!ks)
		return vg_errf(err, ENOMEM, "out of memory configuring %s", vg_plugin_name(p));
	ks->kf.file.fd = -1;
	struct vg_schema *schema = NULL;
	int rc = vg_base_config(p, kv, schema_name, &ks->base, err);
	if (rc < 0)
		goto fail;
	rc = vg_kvfile_open(&ks->kf, p, file, err);
	if (rc < 0)
		goto fail;
	schema = vg_base_schema_new(ks->base, err);
	if (!schema) {
		rc = -EINVAL;
		goto fail;
	}
	int first = -1;
	for (size_t i = 0; i < ks->kf.nkeys; i++) {
		const char *name = ks->kf.keys[i].name;
		int idx = vg_schema_add(schema, name, VG_T_U64, 1, "", VG_METRIC_DATA);
		if (idx < 0) {
			rc = vg_errf(err, -idx, "cannot add metric '%s' of %s to schema '%s': %s",
				     name, ks->kf.file.path, schema_name, strerror(-idx));
			goto fail;
		}
		if (first < 0)
			first = idx;
	}
	if (!vg_base_set_new(ks->base, schema, err)) {
		rc = err && err->code ? -err->code : -ENOMEM;
		goto fail;
	}
	vg_schema_free(schema);
	vg_kvfile_bind(&ks->kf, vg_base_set(ks->base), first);
	vg_plugin_ctx_set(p, ks);
	return 0;
fail:
	if (schema)
		vg_schema_free(schema);
	kvsampler_free(ks);
	return rc;
}

int vg_kvsampler_sample(struct vg_plugin *p)
{
	struct kvsampler *ks = vg_plugin_ctx(p);
	if (!ks)
		return -EINVAL;
	vg_base_sample_begin(ks->base);
	int rc = vg_kvfile_sample(&ks->kf);
	/* End even on failure, so that readers are not left with an open transaction. */
	vg_base_sample_end(ks->base);
	return rc;
}

void vg_kvsampler_term(struct vg_plugin *p)
{
	struct kvsampler *ks = vg_plugin_ctx(p);
	if (!ks)
		return;
	vg_plugin_ctx_set(p, NULL);
	kvsampler_free(ks);
}
