/*
 * store_csv.c - the store_csv plugin: one CSV file per container/schema, in
 * LDMS 4.4's format (FORMATS.md (a)), with LDMS's options and rollover.
 *
 * Handles that open the same path share one csv_file, so two storage
 * policies never interleave inside a line.  Time-based rollover (rolltype
 * 1, 2, 5) runs on a timer of the daemon's loop; rollover by records or
 * bytes (3, 4) is decided at each row, before the row that would exceed.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/loop.h"
#include "core/set.h"
#include "stores/csv.h"

/*
 * Test-only: the length of one "second" of time-based rollover, in µs, so
 * that a unit test sees rolltype=1 rollover=10 roll after 10 ms.  Not for
 * production use; the documented behaviour is real seconds.
 */
#define TEST_SECOND_ENV "VIGIL_STORE_CSV_TEST_SECOND_US"

struct csv_ctx {
	struct csv_config cfg;
	struct csv_file *files;  /* open outputs, shared by handles */
	char name[VG_NAME_MAX + 1]; /* instance name: files outlive nothing else of p */
	struct vg_loop *loop;
	struct vg_timer roll_timer;
	struct vg_timer sync_timer; /* buffer=0: the group commit, next loop iteration */
	uint64_t second_us;
	int refs;                /* the plugin's, plus one per open handle */
};

struct csv_handle {
	struct csv_ctx *ctx;
	struct csv_file *file;
	struct csv_format fmt;
	char *row; /* fmt.row_max bytes */
};

static void sync_all(struct csv_ctx *ctx)
{
	for (struct csv_file *f = ctx->files; f; f = f->next) {
		struct vg_err err;
		vg_err_clear(&err);
		if (csv_file_sync(f, &err))
			vg_log(VG_LOG_ERROR, ctx->name, "%s", err.msg);
	}
}

static void on_sync_timer(struct vg_timer *t, void *arg)
{
	(void)t;
	sync_all(arg);
}

static void ctx_put(struct csv_ctx *ctx)
{
	if (--ctx->refs > 0)
		return;
	vg_timer_stop(&ctx->sync_timer);
	vg_timer_stop(&ctx->roll_timer);
	csv_config_free(&ctx->cfg);
	free(ctx);
}

/* ------------------------------------------------------------------ time rollover */

static bool time_roll(enum csv_rolltype t)
{
	return t == CSV_ROLL_INTERVAL || t == CSV_ROLL_DAILY || t == CSV_ROLL_AGAIN;
}

/* Seconds from now to the next time-based roll. */
static int64_t next_roll_s(const struct csv_rollspec *r)
{
	if (r->type == CSV_ROLL_INTERVAL)
		return r->over;
	time_t now = (time_t)(vg_now_us() / 1000000);
	struct tm tm;
	localtime_r(&now, &tm);
	int64_t since = tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
	int64_t d;
	if (r->type == CSV_ROLL_DAILY) {
		d = ((r->over - since) % 86400 + 86400) % 86400;
		if (d < 10) /* just rolled: the next one is tomorrow */
			d += 86400;
		return d;
	}
	if (since < r->over) {
		d = r->over - since;
	} else {
		d = ((since - r->over) / r->again + 1) * r->again + r->over - since;
		if (d < 10)
			d += r->again;
		/* the cycle restarts at rollover seconds after each midnight */
		if (since + d > 86400 + r->over)
			d = 86400 - since + r->over;
	}
	return d;
}

static void roll_arm(struct csv_ctx *ctx)
{
	uint64_t delay = (uint64_t)next_roll_s(&ctx->cfg.roll) * ctx->second_us;
	if (vg_timer_start(ctx->loop, &ctx->roll_timer, delay) < 0)
		vg_log(VG_LOG_ERROR, ctx->name, "cannot schedule the next rollover: out of memory; "
		       "files will not roll until the store is reconfigured");
}

static void on_roll_timer(struct vg_timer *t, void *arg)
{
	struct csv_ctx *ctx = arg;
	(void)t;
	for (struct csv_file *f = ctx->files; f; f = f->next) {
		if (!ctx->cfg.roll.empty && f->rows == 0)
			continue;
		struct vg_err err = {0};
		if (csv_file_roll(f, &err) < 0)
			vg_log(VG_LOG_ERROR, ctx->name, "rollover: %s", err.msg);
	}
	roll_arm(ctx);
}

static uint64_t test_second_us(void)
{
	const char *s = getenv(TEST_SECOND_ENV);
	uint64_t v;
	if (s && vg_parse_u64(s, 10, &v) == 0 && v > 0)
		return v;
	return 1000000;
}

/* ------------------------------------------------------------------ config */

static struct csv_file *file_of(struct csv_ctx *ctx, const char *container, const char *schema)
{
	for (struct csv_file *f = ctx->files; f; f = f->next)
		if (strcmp(f->container, container) == 0 && strcmp(f->schema, schema) == 0)
			return f;
	return NULL;
}

static int csv_config(struct vg_plugin *p, const struct vg_kvlist *kv, struct vg_err *err)
{
	struct csv_ctx *ctx = vg_plugin_ctx(p);
	if (!ctx) {
		ctx = calloc(1, sizeof(*ctx));
		if (!ctx)
			return vg_errf(err, ENOMEM, "out of memory configuring store_csv");
		ctx->refs = 1;
		vg_strlcpy(ctx->name, vg_plugin_name(p), sizeof(ctx->name));
		vg_timer_init(&ctx->roll_timer, on_roll_timer, ctx);
		vg_timer_init(&ctx->sync_timer, on_sync_timer, ctx);
		ctx->loop = vg_plugin_loop(p);
		vg_plugin_ctx_set(p, ctx);
	}
	const char *c = vg_kv_get(kv, "container"), *s = vg_kv_get(kv, "schema");
	if (c && s && ctx->cfg.configured && file_of(ctx, c, s)) {
		vg_plugin_log(p, VG_LOG_WARNING,
			      "config for container=%s schema=%s ignored: that file is already "
			      "open (give the options before strgp_start)",
			      c, s);
		return 0;
	}
	bool defaults = !ctx->cfg.configured;
	int rc = csv_config_apply(&ctx->cfg, kv, err);
	if (rc || !defaults || !time_roll(ctx->cfg.roll.type))
		return rc;
	ctx->loop = vg_plugin_loop(p);
	if (!ctx->loop) {
		csv_config_free(&ctx->cfg);
		return vg_errf(err, EINVAL, "rolltype=%d needs the daemon's event loop, which "
			       "this host does not provide", (int)ctx->cfg.roll.type);
	}
	ctx->second_us = test_second_us();
	roll_arm(ctx);
	return 0;
}

static void csv_term(struct vg_plugin *p)
{
	struct csv_ctx *ctx = vg_plugin_ctx(p);
	if (!ctx)
		return;
	vg_timer_stop(&ctx->roll_timer);
	vg_timer_stop(&ctx->sync_timer);
	sync_all(ctx);
	if (ctx->files)
		vg_plugin_log(p, VG_LOG_ERROR,
			      "terminated with files still open (e.g. %s): they are closed "
			      "when their storage policies close them",
			      ctx->files->base);
	vg_plugin_ctx_set(p, NULL);
	ctx_put(ctx);
}

/* ------------------------------------------------------------------ store operations */

static void handle_free(struct csv_handle *h)
{
	csv_format_fini(&h->fmt);
	free(h->row);
	free(h);
}

/* The shared file for this path, or a new one. */
static int attach_file(struct csv_ctx *ctx, struct csv_handle *h,
		       const struct vg_store_layout *layout, const struct csv_opts *o,
		       struct vg_err *err)
{
	char *base = NULL;
	if (asprintf(&base, "%s/%s/%s", o->path, layout->container, layout->schema) < 0)
		return vg_errf(err, ENOMEM, "out of memory opening %s", layout->schema);
	struct csv_file *f = ctx->files;
	while (f && strcmp(f->base, base) != 0)
		f = f->next;
	free(base);
	if (f) {
		if (f->header_len != h->fmt.header_len ||
		    memcmp(f->header, h->fmt.header, f->header_len) != 0)
			return vg_errf(err, EBUSY,
				       "%s is already written by another storage policy with "
				       "other columns: give storage policy '%s' another container",
				       f->base, layout->strgp ? layout->strgp : "?");
		f->refs++;
		h->file = f;
		return 0;
	}
	int rc = csv_file_open(&f, ctx->name, layout->container, layout->schema, o,
			       &ctx->cfg.roll, h->fmt.header, h->fmt.header_len, h->fmt.kind,
			       h->fmt.kind_len, err);
	if (rc)
		return rc;
	f->next = ctx->files;
	ctx->files = f;
	h->file = f;
	return 0;
}

static void *csv_open(struct vg_plugin *p, const struct vg_store_layout *layout,
		      struct vg_err *err)
{
	struct csv_ctx *ctx = vg_plugin_ctx(p);
	if (!ctx || !ctx->cfg.configured) {
		vg_errf(err, EINVAL, "store_csv is not configured: give config name=%s "
			"path=<directory> before starting a storage policy", vg_plugin_name(p));
		return NULL;
	}
	if (!layout || !layout->set || !layout->container || !layout->schema ||
	    (layout->nmetrics && !layout->metrics)) {
		vg_errf(err, EINVAL, "store_csv was opened without a container, schema or set");
		return NULL;
	}
	struct csv_opts o;
	if (csv_config_resolve(&ctx->cfg, layout->container, layout->schema, &o, err) < 0)
		return NULL;
	struct csv_handle *h = calloc(1, sizeof(*h));
	if (!h) {
		vg_errf(err, ENOMEM, "out of memory opening %s/%s", layout->container,
			layout->schema);
		return NULL;
	}
	if (csv_format_init(&h->fmt, layout, &o, err) < 0) {
		free(h);
		return NULL;
	}
	h->row = malloc(h->fmt.row_max);
	if (!h->row) {
		vg_errf(err, ENOMEM, "out of memory for a %zu-byte row of %s/%s", h->fmt.row_max,
			layout->container, layout->schema);
		handle_free(h);
		return NULL;
	}
	if (attach_file(ctx, h, layout, &o, err) < 0) {
		handle_free(h);
		return NULL;
	}
	h->ctx = ctx;
	ctx->refs++;
	return h;
}

static int csv_store(void *handle, const struct vg_set *set, struct vg_err *err)
{
	struct csv_handle *h = handle;
	int rc = csv_format_check(&h->fmt, set, err);
	if (rc)
		return rc;
	size_t len = csv_format_row(&h->fmt, set, h->row);
	rc = csv_file_write(h->file, h->row, len, err);
	if (rc || !h->file->sync_pending)
		return rc;
	struct csv_ctx *ctx = h->ctx;
	if (!ctx->loop)
		return csv_file_sync(h->file, err);
	if (!vg_timer_active(&ctx->sync_timer))
		vg_timer_start(ctx->loop, &ctx->sync_timer, 0);
	return 0;
}

static int csv_flush(void *handle, struct vg_err *err)
{
	struct csv_handle *h = handle;
	int rc = csv_file_sync(h->file, err);
	return rc ? rc : csv_file_flush(h->file, err);
}

static void csv_close(void *handle)
{
	struct csv_handle *h = handle;
	if (!h)
		return;
	struct csv_ctx *ctx = h->ctx;
	struct csv_file *f = h->file;
	if (--f->refs == 0) {
		struct vg_err err;
		vg_err_clear(&err);
		if (csv_file_sync(f, &err))
			vg_log(VG_LOG_ERROR, ctx->name, "%s", err.msg);
		struct csv_file **pp = &ctx->files;
		while (*pp != f)
			pp = &(*pp)->next;
		*pp = f->next;
		csv_file_close(f);
	}
	handle_free(h);
	ctx_put(ctx);
}

static const char *csv_usage(void)
{
	return "config name=store_csv path=<dir> [opt_file=<file>] [altheader=0|1] "
	       "[typeheader=0|1|2]\n"
	       "       [time_format=0|1] [userdata=0|1] [ietfcsv=0|1] [expand_array=1|0]\n"
	       "       [array_sep=:] [array_lquote=\\\"] [array_rquote=\\\"] [buffer=0|1|N "
	       "buffertype=3|4]\n"
	       "       [rollover=N rolltype=1..5 [rollagain=N] [rollempty=1|0]]\n"
	       "       [rename_template=<path> rename_uid= rename_gid= rename_perm=]\n"
	       "       [create_uid= create_gid= create_perm=]\n"
	       "config name=store_csv container=<C> schema=<S> <any of the above but "
	       "roll*>\n"
	       "    Writes <path>/<container>/<schema> as LDMS 4.4's store_csv does; see "
	       "Plugin_store_csv(7).\n";
}

const struct vg_plugin_ops vigil_plugin = {
	.api_version = VG_PLUGIN_API_VERSION,
	.size = sizeof(struct vg_plugin_ops),
	.name = CSV_PLUGIN,
	.type = VG_PLUGIN_STORE,
	.summary = "CSV files in LDMS 4.4's store_csv format",
	.usage = csv_usage,
	.config = csv_config,
	.term = csv_term,
	/*
	 * NULL: config() checks the names itself, so that LDMS's retired options
	 * (action=, idpos=, ...) get their "no longer supported" message while an
	 * unknown name still fails with the list of the accepted ones.
	 */
	.attrs = NULL,
	.open = csv_open,
	.store = csv_store,
	.flush = csv_flush,
	.close = csv_close,
};
