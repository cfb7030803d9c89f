/*
 * etcd.c - etcd v3 calls over the JSON gateway: build the request, check the
 * reply's shape before trusting any field, decode base64 keys and values.
 *
 * Replies follow protobuf's JSON mapping: 64-bit integers are strings,
 * fields with their default value (0, "", false, empty list) are left out,
 * so a missing "kvs" is an empty range and a missing "succeeded" is false.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "balancer/base64.h"
#include "balancer/etcd.h"
#include "balancer/etcd_http.h"
#include "balancer/json_read.h"

struct vg_etcd {
	struct etcd_http http;
	unsigned timeout_ms;
	struct vg_strbuf req;    /* the request's JSON */
	struct jr_doc doc;       /* the reply's tokens */
	char *scratch;           /* decoded strings of the reply */
	size_t scratch_used, scratch_cap;
	const char *path;        /* the call in progress, for messages */
};

static int eerr(struct vg_etcd *e, struct vg_err *err, int code, const char *fmt, ...)
	VG_PRINTF(4, 5);
static int eerr(struct vg_etcd *e, struct vg_err *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vg_verrf(err, code, fmt, ap);
	va_end(ap);
	vg_err_prefix(err, "etcd %s", e->http.endpoint);
	return rc;
}

/* A key for messages: printable, cut to fit. */
static const char *show(const char *key, char *buf, size_t cap)
{
	return http_excerpt(key, strlen(key), buf, cap);
}

struct vg_etcd *vg_etcd_open(const char *endpoint, unsigned timeout_ms, struct vg_err *err)
{
	if (timeout_ms == 0) {
		vg_errf(err, EINVAL, "etcd %s: timeout must be > 0 ms", endpoint ? endpoint : "");
		return NULL;
	}
	struct vg_etcd *e = calloc(1, sizeof(*e));
	if (!e) {
		vg_errf(err, ENOMEM, "etcd %s: out of memory", endpoint ? endpoint : "");
		return NULL;
	}
	if (http_init(&e->http, endpoint, timeout_ms, err) < 0) {
		free(e);
		return NULL;
	}
	e->timeout_ms = timeout_ms;
	e->http.max_body = VG_ETCD_MAX_REPLY;
	vg_strbuf_init(&e->req);
	jr_init(&e->doc);
	return e;
}

void vg_etcd_close(struct vg_etcd *e)
{
	if (!e)
		return;
	http_fini(&e->http);
	vg_strbuf_free(&e->req);
	jr_free(&e->doc);
	free(e->scratch);
	free(e);
}

const char *vg_etcd_endpoint(const struct vg_etcd *e)
{
	return e->http.endpoint;
}

void vg_etcd_set_timeout(struct vg_etcd *e, unsigned timeout_ms)
{
	e->timeout_ms = e->http.timeout_ms = timeout_ms ? timeout_ms : 1;
}

void vg_etcd_set_max_reply(struct vg_etcd *e, size_t bytes)
{
	e->http.max_body = bytes;
}

/* ------------------------------------------------------------------ requests */

/* Append "name":"base64 of data" (a comma first unless it opens an object). */
static void add_bytes(struct vg_etcd *e, const char *name, const void *data, size_t len)
{
	struct vg_strbuf *sb = &e->req;
	char last = sb->len ? sb->buf[sb->len - 1] : '{';
	vg_strbuf_printf(sb, "%s\"%s\":\"", last == '{' ? "" : ",", name);
	if (b64_append(sb, data, len) < 0)
		sb->oom = true;
	vg_strbuf_puts(sb, "\"");
}

static void add_key(struct vg_etcd *e, const char *name, const char *key)
{
	add_bytes(e, name, key, strlen(key));
}

/* "range_end" for every key under prefix: the prefix with its last byte
 * below 0xff incremented and the rest cut; all keys ("\0") if there is none. */
static void add_prefix_range(struct vg_etcd *e, const char *prefix)
{
	size_t n = strlen(prefix);
	if (n == 0) {
		add_bytes(e, "key", "", 1);
		add_bytes(e, "range_end", "", 1);
		return;
	}
	add_bytes(e, "key", prefix, n);
	while (n > 0 && (unsigned char)prefix[n - 1] == 0xff)
		n--;
	if (n == 0) {
		add_bytes(e, "range_end", "", 1);
		return;
	}
	/* encode all but the last byte, then that byte + 1: whole base64 groups
	 * only, so the split must fall on a multiple of 3 */
	size_t head = (n - 1) / 3 * 3;
	unsigned char tail[3];
	size_t tail_len = n - head;
	memcpy(tail, prefix + head, tail_len);
	tail[tail_len - 1]++;
	struct vg_strbuf *sb = &e->req;
	vg_strbuf_puts(sb, ",\"range_end\":\"");
	if (b64_append(sb, prefix, head) < 0 || b64_append(sb, tail, tail_len) < 0)
		sb->oom = true;
	vg_strbuf_puts(sb, "\"");
}

/* ------------------------------------------------------------------ replies */

static int grpc_to_errno(int64_t code)
{
	switch (code) {
	case 1: return ECANCELED;     /* CANCELLED */
	case 3: return EINVAL;        /* INVALID_ARGUMENT */
	case 4: return ETIMEDOUT;     /* DEADLINE_EXCEEDED */
	case 5: return ENOENT;        /* NOT_FOUND */
	case 6: return EEXIST;        /* ALREADY_EXISTS */
	case 7: return EACCES;        /* PERMISSION_DENIED */
	case 8: return ENOSPC;        /* RESOURCE_EXHAUSTED: quota, too many requests */
	case 9: return EPERM;         /* FAILED_PRECONDITION */
	case 10: return ECANCELED;    /* ABORTED */
	case 11: return ERANGE;       /* OUT_OF_RANGE: compacted revision */
	case 12: return ENOSYS;       /* UNIMPLEMENTED */
	case 14: return EAGAIN;       /* UNAVAILABLE: no leader, stopping */
	case 16: return EACCES;       /* UNAUTHENTICATED */
	default: return EIO;          /* UNKNOWN, INTERNAL, DATA_LOSS */
	}
}

/*
 * An error reply: etcd's {"error":"...","message":"...","code":N}, a
 * streaming call's {"error":{"grpc_code":N,"message":"..."}}, or not etcd.
 */
static int reply_error(struct vg_etcd *e, bool parsed, struct vg_err *err)
{
	const struct jr_doc *d = &e->doc;
	int64_t code = -1;
	char text[256] = "";
	if (parsed) {
		int error = jr_get(d, 0, "error");
		int where = jr_type(d, error) == JR_OBJ ? error : 0;
		int msg = jr_get(d, where, "message");
		if ((jr_type(d, msg) != JR_STR || d->tok[msg].len == 0) &&
		    jr_type(d, error) == JR_STR)
			msg = error;
		if (jr_str(d, msg, text, sizeof(text)) < 0 && jr_type(d, msg) == JR_STR)
			http_excerpt(d->text + d->tok[msg].start, d->tok[msg].len, text, sizeof(text));
		if (jr_i64(d, jr_get(d, where, where ? "grpc_code" : "code"), &code) < 0)
			code = -1;
	}
	if (text[0]) {
		char clean[256];
		http_excerpt(text, strlen(text), clean, sizeof(clean));
		if (code < 0)
			return eerr(e, err, EIO, "%s: %s", e->path, clean);
		return eerr(e, err, grpc_to_errno(code), "%s: %s (gRPC code %" PRId64 ")", e->path,
			    clean, code);
	}
	char body[96];
	http_excerpt(e->http.body, e->http.body_len, body, sizeof(body));
	if (e->http.status / 100 == 2)
		return eerr(e, err, EPROTO, "%s: reply is not etcd's JSON ('%s'): is this etcd's "
			    "client port?", e->path, body);
	return eerr(e, err, e->http.status >= 500 ? EIO : EPROTO,
		    "%s: HTTP %d %s ('%s'): is this etcd >= 3.4's client port (/v3 gateway)?",
		    e->path, e->http.status, e->http.reason, body);
}

static int missing(struct vg_etcd *e, const char *field, struct vg_err *err)
{
	return eerr(e, err, EPROTO, "%s: reply lacks a valid '%s': is this etcd >= 3.4?",
		    e->path, field);
}

/*
 * POST the request built in e->req to path: the token of the reply's
 * message (the root, or "result" of a streaming call), or a negative errno.
 */
static int call(struct vg_etcd *e, const char *path, bool idempotent, struct vg_err *err)
{
	e->path = path;
	if (e->req.oom)
		return eerr(e, err, ENOMEM, "%s: out of memory building the request", path);
	uint64_t deadline = vg_mono_us() + (uint64_t)e->timeout_ms * 1000;
	int rc = http_post(&e->http, path, vg_strbuf_str(&e->req), e->req.len, deadline,
			   idempotent, err);
	if (rc < 0)
		return rc;
	/* etcd's replies spend well over 4 bytes per token (quoted names, base64) */
	e->doc.max_tok = e->http.body_len / 4 + 64;
	bool parsed = jr_parse(&e->doc, e->http.body, e->http.body_len) == 0;
	if (e->http.status / 100 != 2 || !parsed || jr_type(&e->doc, 0) != JR_OBJ)
		return reply_error(e, parsed, err);
	int error = jr_get(&e->doc, 0, "error");
	if (jr_type(&e->doc, error) == JR_OBJ ||
	    (jr_type(&e->doc, error) == JR_STR && e->doc.tok[error].len > 0))
		return reply_error(e, parsed, err);
	int root = e->http.chunked ? jr_get(&e->doc, 0, "result") : 0;
	if (root < 0 && jr_get(&e->doc, 0, "header") >= 0)
		root = 0;  /* a gateway that does not wrap streamed messages */
	if (jr_type(&e->doc, jr_get(&e->doc, root, "header")) != JR_OBJ)
		return missing(e, "header", err);
	/* decoded strings never outgrow the text they come from */
	if (e->scratch_cap < e->http.body_len + 1) {
		char *p = realloc(e->scratch, e->http.body_len + 1);
		if (!p)
			return eerr(e, err, ENOMEM, "%s: out of memory decoding the reply", path);
		e->scratch = p;
		e->scratch_cap = e->http.body_len + 1;
	}
	e->scratch_used = 0;
	return root;
}

static void begin(struct vg_etcd *e)
{
	vg_strbuf_reset(&e->req);
	e->req.oom = false;
	vg_strbuf_puts(&e->req, "{");
}

/* The bytes of base64 string t (absent: empty), NUL-terminated, in scratch. */
static long take_bytes(struct vg_etcd *e, int t, const char **out, const char *field,
		       struct vg_err *err)
{
	static const char empty[1] = "";
	*out = empty;
	if (t == -1)
		return 0;
	if (jr_type(&e->doc, t) != JR_STR)
		return missing(e, field, err);
	char *dst = e->scratch + e->scratch_used;
	size_t room = e->scratch_cap - e->scratch_used;
	long n = jr_str(&e->doc, t, dst, room);
	if (n < 0)
		return missing(e, field, err);
	n = b64_decode(dst, (size_t)n, dst, (size_t)n);
	if (n < 0)
		return eerr(e, err, EPROTO, "%s: '%s' is not base64: is this etcd?", e->path, field);
	dst[n] = '\0';
	e->scratch_used += (size_t)n + 1;
	*out = dst;
	return n;
}

/* An integer field; absent means 0 unless required. */
static int take_i64(struct vg_etcd *e, int obj, const char *name, bool required,
		    int64_t *out, struct vg_err *err)
{
	int t = jr_get(&e->doc, obj, name);
	*out = 0;
	int rc = jr_i64(&e->doc, t, out);
	if (rc == 0 || (rc == -ENOENT && !required))
		return 0;
	return missing(e, name, err);
}

/* One key-value of a range reply. */
static int take_kv(struct vg_etcd *e, int t, struct vg_etcd_kv *kv, struct vg_err *err)
{
	memset(kv, 0, sizeof(*kv));
	if (jr_type(&e->doc, t) != JR_OBJ)
		return missing(e, "kvs[]", err);
	long n = take_bytes(e, jr_get(&e->doc, t, "key"), &kv->key, "kvs[].key", err);
	if (n < 0)
		return (int)n;
	kv->key_len = (size_t)n;
	const char *value;
	n = take_bytes(e, jr_get(&e->doc, t, "value"), &value, "kvs[].value", err);
	if (n < 0)
		return (int)n;
	kv->value = value;
	kv->value_len = (size_t)n;
	int rc;
	if ((rc = take_i64(e, t, "create_revision", true, &kv->create_revision, err)) < 0 ||
	    (rc = take_i64(e, t, "mod_revision", true, &kv->mod_revision, err)) < 0 ||
	    (rc = take_i64(e, t, "lease", false, &kv->lease, err)) < 0)
		return rc;
	if (kv->key_len == 0 || kv->mod_revision <= 0 || kv->create_revision <= 0)
		return missing(e, "kvs[].mod_revision", err);
	return 0;
}

/* ------------------------------------------------------------------ keys */

int vg_etcd_put(struct vg_etcd *e, const char *key, const void *value, size_t len,
		int64_t lease_id, struct vg_err *err)
{
	begin(e);
	add_key(e, "key", key);
	add_bytes(e, "value", value, len);
	if (lease_id)
		vg_strbuf_printf(&e->req, ",\"lease\":\"%" PRId64 "\"", lease_id);
	vg_strbuf_puts(&e->req, "}");
	int root = call(e, "/v3/kv/put", false, err);
	return root < 0 ? root : 0;
}

int vg_etcd_get(struct vg_etcd *e, const char *key, void *buf, size_t *len,
		int64_t *mod_revision, struct vg_err *err)
{
	begin(e);
	add_key(e, "key", key);
	vg_strbuf_puts(&e->req, "}");
	int root = call(e, "/v3/kv/range", true, err);
	if (root < 0)
		return root;
	char shown[128];
	int kvs = jr_get(&e->doc, root, "kvs");
	if (kvs >= 0 && jr_type(&e->doc, kvs) != JR_ARR)
		return missing(e, "kvs", err);
	if (jr_count(&e->doc, kvs) == 0)
		return eerr(e, err, ENOENT, "no key '%s'", show(key, shown, sizeof(shown)));
	struct vg_etcd_kv kv;
	int rc = take_kv(e, jr_at(&e->doc, kvs, 0), &kv, err);
	if (rc < 0)
		return rc;
	if (kv.key_len != strlen(key) || memcmp(kv.key, key, kv.key_len) != 0)
		return eerr(e, err, EPROTO, "%s: asked for '%s', got another key", e->path,
			    show(key, shown, sizeof(shown)));
	size_t cap = *len;
	*len = kv.value_len;
	if (mod_revision)
		*mod_revision = kv.mod_revision;
	if (kv.value_len > cap)
		return eerr(e, err, ENOBUFS, "value of '%s' is %zu bytes, more than the %zu given",
			    show(key, shown, sizeof(shown)), kv.value_len, cap);
	if (kv.value_len)
		memcpy(buf, kv.value, kv.value_len);
	return 0;
}

int vg_etcd_get_prefix(struct vg_etcd *e, const char *prefix, vg_etcd_kv_fn fn, void *arg,
		       struct vg_err *err)
{
	begin(e);
	add_prefix_range(e, prefix);
	vg_strbuf_puts(&e->req, "}");
	int root = call(e, "/v3/kv/range", true, err);
	if (root < 0)
		return root;
	int kvs = jr_get(&e->doc, root, "kvs");
	if (kvs >= 0 && jr_type(&e->doc, kvs) != JR_ARR)
		return missing(e, "kvs", err);
	size_t n = jr_count(&e->doc, kvs);
	if (n > INT_MAX)
		return missing(e, "kvs", err);
	/* check every entry before the first callback: all or nothing */
	for (size_t i = 0; i < n; i++) {
		struct vg_etcd_kv kv;
		int rc = take_kv(e, jr_at(&e->doc, kvs, i), &kv, err);
		if (rc < 0)
			return rc;
	}
	e->scratch_used = 0;
	int t = jr_at(&e->doc, kvs, 0);
	for (size_t i = 0; i < n; i++, t = (int)e->doc.tok[t].next) {
		struct vg_etcd_kv kv;
		take_kv(e, t, &kv, err);
		int rc = fn(arg, &kv);
		if (rc < 0)
			return rc;
		if (rc > 0)
			break;
	}
	return (int)n;
}

static int delete_range(struct vg_etcd *e, const char *key, bool prefix, struct vg_err *err)
{
	begin(e);
	if (prefix)
		add_prefix_range(e, key);
	else
		add_key(e, "key", key);
	vg_strbuf_puts(&e->req, "}");
	int root = call(e, "/v3/kv/deleterange", false, err);
	if (root < 0)
		return root;
	int64_t deleted;
	int rc = take_i64(e, root, "deleted", false, &deleted, err);
	if (rc < 0)
		return rc;
	if (deleted < 0)
		return missing(e, "deleted", err);
	return deleted > INT_MAX ? INT_MAX : (int)deleted;
}

int vg_etcd_delete(struct vg_etcd *e, const char *key, struct vg_err *err)
{
	return delete_range(e, key, false, err);
}

int vg_etcd_delete_prefix(struct vg_etcd *e, const char *prefix, struct vg_err *err)
{
	return delete_range(e, prefix, true, err);
}

/* ------------------------------------------------------------------ leases */

int vg_etcd_lease_grant(struct vg_etcd *e, unsigned ttl_s, int64_t *lease_id,
			unsigned *granted_ttl_s, struct vg_err *err)
{
	if (ttl_s == 0)
		return eerr(e, err, EINVAL, "lease TTL must be at least 1 s");
	begin(e);
	vg_strbuf_printf(&e->req, "\"TTL\":\"%u\"}", ttl_s);
	int root = call(e, "/v3/lease/grant", false, err);
	if (root < 0)
		return root;
	int64_t id, ttl;
	int rc;
	if ((rc = take_i64(e, root, "ID", true, &id, err)) < 0 ||
	    (rc = take_i64(e, root, "TTL", true, &ttl, err)) < 0)
		return rc;
	if (id == 0 || ttl <= 0 || ttl > UINT_MAX)
		return missing(e, "ID", err);
	*lease_id = id;
	if (granted_ttl_s)
		*granted_ttl_s = (unsigned)ttl;
	return 0;
}

int vg_etcd_lease_keepalive(struct vg_etcd *e, int64_t lease_id, unsigned *ttl_s,
			    struct vg_err *err)
{
	begin(e);
	vg_strbuf_printf(&e->req, "\"ID\":\"%" PRId64 "\"}", lease_id);
	int root = call(e, "/v3/lease/keepalive", true, err);
	if (root < 0)
		return root;
	int64_t ttl;
	int rc = take_i64(e, root, "TTL", false, &ttl, err);
	if (rc < 0)
		return rc;
	if (ttl <= 0)
		return eerr(e, err, ENOENT, "lease %" PRIx64 " has expired or was revoked: "
			    "its keys are gone; grant a new one", (uint64_t)lease_id);
	if (ttl_s)
		*ttl_s = ttl > UINT_MAX ? UINT_MAX : (unsigned)ttl;
	return 0;
}

int vg_etcd_lease_revoke(struct vg_etcd *e, int64_t lease_id, struct vg_err *err)
{
	begin(e);
	vg_strbuf_printf(&e->req, "\"ID\":\"%" PRId64 "\"}", lease_id);
	int root = call(e, "/v3/lease/revoke", false, err);
	return root < 0 ? root : 0;
}

/* ------------------------------------------------------------------ leadership */

static void add_compare(struct vg_etcd *e, bool first, const char *target, const char *key,
			const char *field, int64_t value)
{
	vg_strbuf_printf(&e->req, "%s{\"result\":\"EQUAL\",\"target\":\"%s\"", first ? "" : ",",
			 target);
	add_key(e, "key", key);
	vg_strbuf_printf(&e->req, ",\"%s\":\"%" PRId64 "\"}", field, value);
}

static void add_range_op(struct vg_etcd *e, bool first, const char *key)
{
	vg_strbuf_printf(&e->req, "%s{\"request_range\":{", first ? "" : ",");
	add_key(e, "key", key);
	vg_strbuf_puts(&e->req, "}}");
}

/* The first key of the i-th response of a txn's failure branch: 1, 0 if
 * the range was empty, or a negative errno. */
static int txn_range_kv(struct vg_etcd *e, int root, size_t i, struct vg_etcd_kv *kv,
			struct vg_err *err)
{
	int resp = jr_at(&e->doc, jr_get(&e->doc, root, "responses"), i);
	int range = jr_get(&e->doc, resp, "response_range");
	if (jr_type(&e->doc, range) != JR_OBJ)
		return missing(e, "responses[].response_range", err);
	int kvs = jr_get(&e->doc, range, "kvs");
	if (jr_count(&e->doc, kvs) == 0)
		return 0;
	int rc = take_kv(e, jr_at(&e->doc, kvs, 0), kv, err);
	return rc < 0 ? rc : 1;
}

int vg_etcd_campaign(struct vg_etcd *e, const char *key, const void *value, size_t len,
		     int64_t lease_id, struct vg_etcd_term *term, struct vg_err *err)
{
	char shown[128];
	if (lease_id == 0)
		return eerr(e, err, EINVAL, "campaign for '%s' without a lease: a leader that "
			    "dies would hold it forever", show(key, shown, sizeof(shown)));
	begin(e);
	vg_strbuf_puts(&e->req, "\"compare\":[");
	add_compare(e, true, "CREATE", key, "create_revision", 0);
	vg_strbuf_puts(&e->req, "],\"success\":[{\"request_put\":{");
	add_key(e, "key", key);
	add_bytes(e, "value", value, len);
	vg_strbuf_printf(&e->req, ",\"lease\":\"%" PRId64 "\"}}],\"failure\":[", lease_id);
	add_range_op(e, true, key);
	vg_strbuf_puts(&e->req, "]}");
	int root = call(e, "/v3/kv/txn", false, err);
	if (root < 0)
		return root;

	struct vg_etcd_term t = {.lease = lease_id};
	int leader;
	if (jr_type(&e->doc, jr_get(&e->doc, root, "succeeded")) == JR_TRUE) {
		int rc = take_i64(e, jr_get(&e->doc, root, "header"), "revision", true,
				  &t.create_revision, err);
		if (rc < 0)
			return rc;
		if (len >= sizeof(t.holder))
			return eerr(e, err, EMSGSIZE, "leader value for '%s' is %zu bytes, over "
				    "%d", show(key, shown, sizeof(shown)), len, VG_ETCD_HOLDER_MAX - 1);
		t.holder_len = len;
		if (len)
			memcpy(t.holder, value, len);
		leader = 1;
	} else {
		struct vg_etcd_kv kv;
		int rc = txn_range_kv(e, root, 0, &kv, err);
		if (rc <= 0)
			return rc < 0 ? rc : missing(e, "responses[0].response_range.kvs", err);
		if (kv.value_len >= sizeof(t.holder))
			return eerr(e, err, EMSGSIZE, "the holder's value of '%s' is %zu bytes, over "
				    "%d", show(key, shown, sizeof(shown)), kv.value_len,
				    VG_ETCD_HOLDER_MAX - 1);
		t.create_revision = kv.create_revision;
		t.lease = kv.lease;
		t.holder_len = kv.value_len;
		memcpy(t.holder, kv.value, kv.value_len);
		leader = kv.lease == lease_id;  /* ours already: a repeated campaign */
	}
	t.holder[t.holder_len] = '\0';
	if (term)
		*term = t;
	return leader;
}

int vg_etcd_cas_put(struct vg_etcd *e, const char *key, const void *value, size_t len,
		    int64_t *mod_revision, const struct vg_etcd_guard *guard,
		    struct vg_err *err)
{
	char shown[128], gshown[128];
	if (*mod_revision < 0 || (guard && (!guard->key || guard->create_revision <= 0)))
		return eerr(e, err, EINVAL, "compare-and-set of '%s': bad revision or guard",
			    show(key, shown, sizeof(shown)));
	begin(e);
	vg_strbuf_puts(&e->req, "\"compare\":[");
	add_compare(e, true, "MOD", key, "mod_revision", *mod_revision);
	if (guard)
		add_compare(e, false, "CREATE", guard->key, "create_revision",
			    guard->create_revision);
	vg_strbuf_puts(&e->req, "],\"success\":[{\"request_put\":{");
	add_key(e, "key", key);
	add_bytes(e, "value", value, len);
	vg_strbuf_puts(&e->req, "}}],\"failure\":[");
	add_range_op(e, true, key);
	if (guard)
		add_range_op(e, false, guard->key);
	vg_strbuf_puts(&e->req, "]}");
	int root = call(e, "/v3/kv/txn", false, err);
	if (root < 0)
		return root;

	if (jr_type(&e->doc, jr_get(&e->doc, root, "succeeded")) == JR_TRUE)
		return take_i64(e, jr_get(&e->doc, root, "header"), "revision", true,
				mod_revision, err);
	struct vg_etcd_kv kv;
	if (guard) {
		int rc = txn_range_kv(e, root, 1, &kv, err);
		if (rc < 0)
			return rc;
		if (rc == 0 || kv.create_revision != guard->create_revision)
			return eerr(e, err, EPERM, "not writing '%s': leadership lost (leader key "
				    "'%s' %s since revision %" PRId64 ")",
				    show(key, shown, sizeof(shown)),
				    show(guard->key, gshown, sizeof(gshown)),
				    rc == 0 ? "gone" : "recreated", guard->create_revision);
	}
	int rc = txn_range_kv(e, root, 0, &kv, err);
	if (rc < 0)
		return rc;
	int64_t expected = *mod_revision;
	*mod_revision = rc ? kv.mod_revision : 0;
	if (*mod_revision == expected)  /* cannot be: etcd said the compare failed */
		return missing(e, "succeeded", err);
	return eerr(e, err, ESTALE, "not writing '%s': it changed (mod revision %" PRId64
		    " expected, now %" PRId64 "): re-read it", show(key, shown, sizeof(shown)),
		    expected, *mod_revision);
}
