/*
 * procstat.c - the procstat sampler: /proc/stat as LDMS 4.4's procstat
 * lays it out (cpu totals, the single-number lines under LDMS's names, then
 * per-core arrays of length maxcpu).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugins/sampler_base.h"
#include "plugins/procfile.h"

#define PROCSTAT_MAXCPU_LIMIT 65536u

/* The columns of a cpu line, in kernel order. */
enum { F_USER, F_NICE, F_SYS, F_IDLE, F_IOWAIT, F_IRQ, F_SOFTIRQ, F_STEAL, F_GUEST,
       F_GUEST_NICE, NFIELDS };

static const char *const total_names[NFIELDS] = {
	"user", "nice", "sys", "idle", "iowait", "irq", "softirq", "steal", "guest", "guest_nice",
};
static const char *const core_names[NFIELDS] = {
	"per_core_user",   "per_core_nice",	"per_core_sys",	      "per_core_idle",
	"per_core_iowait", "per_core_irq",	"per_core_softirqd", /* sic, as LDMS */
	"per_core_steal",  "per_core_guest", "per_core_guest_nice",
};

/* The single-number lines kept, under LDMS's metric names (btime is not). */
static const struct {
	const char *key;
	const char *metric;
} scalar_lines[] = {
	{"intr", "hwintr_count"},	  {"ctxt", "context_switches"},
	{"processes", "processes"},	  {"procs_running", "procs_running"},
	{"procs_blocked", "procs_blocked"}, {"softirq", "softirq_count"},
};
#define NSCALARS VG_ARRAY_LEN(scalar_lines)

struct scalar {
	const char *key;
	size_t len;
	uint64_t *value;
};

struct procstat {
	struct vg_sampler_base *base;
	struct vg_procfile file;
	uint32_t maxcpu;
	struct scalar scalars[NSCALARS]; /* in the order of /proc/stat at config */
	size_t nscalars;
	uint64_t *cores_up;
	uint64_t *cpu_enabled;
	uint64_t *total[NFIELDS];
	uint64_t *core_enabled;   /* per_core_cpu_enabled[maxcpu] */
	uint64_t *core[NFIELDS];  /* per_core_*[maxcpu] */
	bool order_logged;
	struct vg_complaint bad_line;
};

static const char *procstat_usage(void)
{
	return "config name=<instance> producer=<name> instance=<set name> [component_id=<n>]\n"
	       "       [schema=procstat] [job_set=job_info] [uid=<user>] [gid=<group>] "
	       "[perm=0440]\n"
	       "       [maxcpu=<n>] [sc_clk_tck=1]\n"
	       "    maxcpu      length of the per_core_* arrays (default: the CPUs in /proc/stat)\n"
	       "    sc_clk_tck  add a meta metric sc_clk_tck with sysconf(_SC_CLK_TCK)\n";
}

static inline const char *next_line(const char *p, const char *end)
{
	const char *eol = memchr(p, '\n', (size_t)(end - p));
	return eol ? eol + 1 : end;
}

static inline const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static inline bool is_digit(char c)
{
	return (unsigned)(c - '0') < 10;
}

/* The columns after "cpu" or "cpuN"; missing ones (older kernels) read 0. */
static const char *parse_cpu_fields(const char *p, const char *end, uint64_t v[NFIELDS])
{
	for (int f = 0; f < NFIELDS; f++) {
		p = skip_blanks(p, end);
		v[f] = p < end && is_digit(*p) ? vg_kv_parse_u64(&p, end) : 0;
	}
	return next_line(p, end);
}

static int scalar_index(const char *key, size_t len)
{
	for (size_t i = 0; i < NSCALARS; i++)
		if (strlen(scalar_lines[i].key) == len && memcmp(scalar_lines[i].key, key, len) == 0)
			return (int)i;
	return -1;
}

/* Learn the scalar lines' order and the highest cpu number from the file. */
static void procstat_scan(struct procstat *ps, const char *p, const char *end,
			  uint32_t *ncpu)
{
	*ncpu = 0;
	for (; p < end; p = next_line(p, end)) {
		const char *k = p;
		while (k < end && *k != ' ' && *k != '\t' && *k != '\n')
			k++;
		size_t len = (size_t)(k - p);
		if (len > 3 && memcmp(p, "cpu", 3) == 0 && is_digit(p[3])) {
			const char *d = p + 3;
			uint64_t n = vg_kv_parse_u64(&d, k);
			if (d == k && n < PROCSTAT_MAXCPU_LIMIT && n + 1 > *ncpu)
				*ncpu = (uint32_t)n + 1;
			continue;
		}
		int i = scalar_index(p, len);
		if (i < 0)
			continue;
		bool seen = false;
		for (size_t j = 0; j < ps->nscalars; j++)
			seen |= ps->scalars[j].key == scalar_lines[i].key;
		if (seen)
			continue;
		ps->scalars[ps->nscalars].key = scalar_lines[i].key;
		ps->scalars[ps->nscalars].len = len;
		ps->nscalars++;
	}
}

static const char *metric_of(const char *key)
{
	for (size_t i = 0; i < NSCALARS; i++)
		if (scalar_lines[i].key == key)
			return scalar_lines[i].metric;
	return key;
}

static int add_metric(struct vg_schema *s, const char *name, enum vg_type type, uint32_t count,
		      enum vg_metric_kind kind, struct vg_err *err)
{
	int idx = vg_schema_add(s, name, type, count, "", kind);
	if (idx < 0)
		return vg_errf(err, -idx, "cannot add metric '%s' to schema '%s': %s", name,
			       vg_schema_name(s), strerror(-idx));
	return idx;
}

/* The schema in LDMS's order; idx[] receives each metric's index. */
static int procstat_schema(struct procstat *ps, struct vg_schema *s, bool clk_tck, int *idx,
			   struct vg_err *err)
{
	int n = 0, rc;
	if ((rc = idx[n++] = add_metric(s, "cores_up", VG_T_U64, 1, VG_METRIC_DATA, err)) < 0 ||
	    (rc = idx[n++] = add_metric(s, "cpu_enabled", VG_T_U64, 1, VG_METRIC_DATA, err)) < 0)
		return rc;
	for (int f = 0; f < NFIELDS; f++)
		if ((rc = idx[n++] = add_metric(s, total_names[f], VG_T_U64, 1, VG_METRIC_DATA,
						err)) < 0)
			return rc;
	for (size_t i = 0; i < ps->nscalars; i++)
		if ((rc = idx[n++] = add_metric(s, metric_of(ps->scalars[i].key), VG_T_U64, 1,
						VG_METRIC_DATA, err)) < 0)
			return rc;
	if ((rc = idx[n++] = add_metric(s, "per_core_cpu_enabled", VG_T_U64_ARRAY, ps->maxcpu,
					VG_METRIC_DATA, err)) < 0)
		return rc;
	for (int f = 0; f < NFIELDS; f++)
		if ((rc = idx[n++] = add_metric(s, core_names[f], VG_T_U64_ARRAY, ps->maxcpu,
						VG_METRIC_DATA, err)) < 0)
			return rc;
	if (clk_tck &&
	    (rc = idx[n++] = add_metric(s, "sc_clk_tck", VG_T_U64, 1, VG_METRIC_META, err)) < 0)
		return rc;
	return n;
}

static void procstat_bind(struct procstat *ps, struct vg_set *set, const int *idx, bool clk_tck)
{
	int n = 0;
	ps->cores_up = vg_set_value_ptr(set, idx[n++]);
	ps->cpu_enabled = vg_set_value_ptr(set, idx[n++]);
	for (int f = 0; f < NFIELDS; f++)
		ps->total[f] = vg_set_value_ptr(set, idx[n++]);
	for (size_t i = 0; i < ps->nscalars; i++)
		ps->scalars[i].value = vg_set_value_ptr(set, idx[n++]);
	ps->core_enabled = vg_set_value_ptr(set, idx[n++]);
	for (int f = 0; f < NFIELDS; f++)
		ps->core[f] = vg_set_value_ptr(set, idx[n++]);
	if (clk_tck) {
		long tck = sysconf(_SC_CLK_TCK);
		vg_set_u64(set, idx[n++], tck > 0 ? (uint64_t)tck : 0);
	}
}

static void procstat_free(struct procstat *ps)
{
	vg_base_free(ps->base);
	vg_procfile_close(&ps->file);
	free(ps);
}

static int parse_options(const struct vg_kvlist *kv, uint32_t *maxcpu, bool *clk_tck,
			 struct vg_err *err)
{
	const char *v;
	if (vg_kv_get(kv, "metrics_type"))
		return vg_errf(err, EINVAL,
			       "config argument metrics_type= is no longer supported by procstat: "
			       "remove it");
	*maxcpu = 0;
	if ((v = vg_kv_get(kv, "maxcpu"))) {
		uint64_t n;
		if (vg_parse_u64(v, 10, &n) < 0 || n == 0 || n > PROCSTAT_MAXCPU_LIMIT)
			return vg_errf(err, EINVAL,
				       "maxcpu=%s is not valid: give the number of CPUs to record, "
				       "1 to %u",
				       v, PROCSTAT_MAXCPU_LIMIT);
		*maxcpu = (uint32_t)n;
	}
	*clk_tck = false;
	/* LDMS turns it on for "1" only; "2" or "yes" would silently differ from LDMS */
	if ((v = vg_kv_get(kv, "sc_clk_tck"))) {
		if (strcmp(v, "1") == 0)
			*clk_tck = true;
		else if (strcmp(v, "0") != 0)
			return vg_errf(err, EINVAL, "sc_clk_tck=%s is not valid: give 1 or 0", v);
	}
	return 0;
}

static int procstat_config(struct vg_plugin *p, const struct vg_kvlist *kv, struct vg_err *err)
{
	if (vg_plugin_ctx(p))
		return vg_errf(err, EBUSY,
			       "%s is already configured: stop and unload it (term) to configure "
			       "it again",
			       vg_plugin_name(p));
	uint32_t maxcpu = 0;
	bool clk_tck = false;
	int rc = parse_options(kv, &maxcpu, &clk_tck, err);
	if (rc < 0)
		return rc;
	struct procstat *ps = calloc(1, sizeof(*ps));
	if (!ps)
		return vg_errf(err, ENOMEM, "out of memory configuring %s", vg_plugin_name(p));
	ps->file.fd = -1;
	struct vg_schema *schema = NULL;
	int *idx = NULL;
	if ((rc = vg_base_config(p, kv, "procstat", &ps->base, err)) < 0 ||
	    (rc = vg_procfile_open(&ps->file, p, "stat", err)) < 0)
		goto fail;
	ssize_t len = vg_procfile_read(&ps->file);
	if (len < 0) {
		rc = vg_errf(err, (int)-len, "cannot read %s: %s", ps->file.path,
			     strerror((int)-len));
		goto fail;
	}
	uint32_t ncpu;
	procstat_scan(ps, ps->file.buf, ps->file.buf + len, &ncpu);
	ps->maxcpu = maxcpu ? maxcpu : ncpu ? ncpu : 1;

	schema = vg_base_schema_new(ps->base, err);
	idx = calloc(2 + 2 * NFIELDS + NSCALARS + 2, sizeof(*idx));
	if (!schema || !idx) {
		rc = schema ? vg_errf(err, ENOMEM, "out of memory configuring %s",
				      vg_plugin_name(p))
			    : -EINVAL;
		goto fail;
	}
	if ((rc = procstat_schema(ps, schema, clk_tck, idx, err)) < 0)
		goto fail;
	if (!vg_base_set_new(ps->base, schema, err)) {
		rc = err && err->code ? -err->code : -ENOMEM;
		goto fail;
	}
	procstat_bind(ps, vg_base_set(ps->base), idx, clk_tck);
	vg_schema_free(schema);
	free(idx);
	vg_plugin_ctx_set(p, ps);
	return 0;
fail:
	if (schema)
		vg_schema_free(schema);
	free(idx);
	procstat_free(ps);
	return rc;
}

static struct scalar *scalar_lookup(struct procstat *ps, const char *p, const char *end)
{
	const char *k = p;
	while (k < end && *k != ' ' && *k != '\t' && *k != '\n')
		k++;
	size_t len = (size_t)(k - p);
	for (size_t i = 0; i < ps->nscalars; i++)
		if (ps->scalars[i].len == len && memcmp(ps->scalars[i].key, p, len) == 0)
			return &ps->scalars[i];
	return NULL;
}

/* Parse one sample of /proc/stat; returns -EBADMSG if a known line has no number. */
static int procstat_parse(struct procstat *ps, const char *p, const char *end)
{
	const uint32_t maxcpu = ps->maxcpu;
	uint64_t v[NFIELDS];
	uint64_t up = 0;
	size_t next = 0;
	const char *bad = NULL;

	memset(ps->core_enabled, 0, maxcpu * sizeof(uint64_t));
	while (p < end) {
		if (end - p > 3 && p[0] == 'c' && p[1] == 'p' && p[2] == 'u') {
			const char *q = p + 3;
			if (*q == ' ' || *q == '\t') {
				p = parse_cpu_fields(q, end, v);
				for (int f = 0; f < NFIELDS; f++)
					*ps->total[f] = v[f];
				continue;
			}
			uint64_t cpu = vg_kv_parse_u64(&q, end);
			if (q == p + 3 || cpu >= maxcpu || ps->core_enabled[cpu]) {
				p = next_line(p, end);
				continue;
			}
			p = parse_cpu_fields(q, end, v);
			for (int f = 0; f < NFIELDS; f++)
				ps->core[f][cpu] = v[f];
			ps->core_enabled[cpu] = 1;
			up++;
			continue;
		}
		struct scalar *s = NULL;
		if (next < ps->nscalars) {
			struct scalar *want = &ps->scalars[next];
			if ((size_t)(end - p) > want->len && memcmp(p, want->key, want->len) == 0 &&
			    (p[want->len] == ' ' || p[want->len] == '\t'))
				s = want;
		}
		if (!s && (s = scalar_lookup(ps, p, end)) && !ps->order_logged) {
			ps->order_logged = true;
			vg_plugin_log(ps->file.p, VG_LOG_INFO,
				      "the lines of %s moved since config (at '%s'): matching them "
				      "by name from now on",
				      ps->file.path, s->key);
		}
		if (s) {
			next = (size_t)(s - ps->scalars) + 1;
			const char *q = skip_blanks(p + s->len, end);
			if (q < end && is_digit(*q))
				*s->value = vg_kv_parse_u64(&q, end);
			else
				bad = s->key;
			p = q;
		}
		/* The rest of intr and softirq can be thousands of numbers: skip them. */
		p = next_line(p, end);
	}
	/* A core without a line this time (offline) reads 0 everywhere. */
	for (uint32_t c = 0; c < maxcpu; c++) {
		if (ps->core_enabled[c])
			continue;
		for (int f = 0; f < NFIELDS; f++)
			ps->core[f][c] = 0;
	}
	*ps->cores_up = up;
	*ps->cpu_enabled = up > 0;
	if (bad) {
		vg_complain(&ps->bad_line, VG_LOG_WARNING, vg_plugin_name(ps->file.p),
			    "%s: the '%s' line has no number; its metric keeps its last value",
			    ps->file.path, bad);
		return -EBADMSG;
	}
	return 0;
}

static int procstat_sample(struct vg_plugin *p)
{
	struct procstat *ps = vg_plugin_ctx(p);
	if (!ps)
		return -EINVAL;
	vg_base_sample_begin(ps->base);
	ssize_t len = vg_procfile_read(&ps->file);
	int rc = len < 0 ? (int)len : procstat_parse(ps, ps->file.buf, ps->file.buf + len);
	/* End even on failure, so that readers are not left with an open transaction. */
	vg_base_sample_end(ps->base);
	return rc;
}

static void procstat_term(struct vg_plugin *p)
{
	struct procstat *ps = vg_plugin_ctx(p);
	if (!ps)
		return;
	vg_plugin_ctx_set(p, NULL);
	procstat_free(ps);
}

/* metrics_type is LDMS's, now obsolete: listed so that config says so */
static const char *const attrs[] = {VG_BASE_ATTRS, "maxcpu", "sc_clk_tck", "metrics_type", NULL};

const struct vg_plugin_ops vigil_plugin = {
	.api_version = VG_PLUGIN_API_VERSION,
	.size = sizeof(struct vg_plugin_ops),
	.name = "procstat",
	.type = VG_PLUGIN_SAMPLER,
	.summary = "cpu times, interrupts, context switches and processes from /proc/stat",
	.usage = procstat_usage,
	.config = procstat_config,
	.sample = procstat_sample,
	.term = procstat_term,
	.attrs = attrs,
};
