/*
 * rdma_util.c - the rdma driver's logic that needs no device: option
 * parsing, rkey and connection-parameter encoding, chunk headers and
 * reassembly, credit accounting and the read bounce ring.  Kept apart so
 * that test_rdma checks it on hosts without RDMA hardware, where the rest
 * of the driver cannot run.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "xprt/rdma_int.h"

/* ------------------------------------------------------------------ options */

struct opt_def {
	const char *name;
	size_t off;
	uint32_t min, max, dflt;
};

static const struct opt_def opt_defs[] = {
	{"credits", offsetof(struct rd_opts, credits), 1, 1024, 16},
	{"chunk", offsetof(struct rd_opts, chunk), 4096, 16u << 20, 64u << 10},
	{"reads", offsetof(struct rd_opts, reads), 1, 4096, 64},
	{"read_buf", offsetof(struct rd_opts, read_buf), 0, 1u << 30, 256u << 10},
	{"inline", offsetof(struct rd_opts, inline_max), 0, 4096, 64},
	/* 0: what credits and reads need; a given value is checked against that below */
	{"cq_depth", offsetof(struct rd_opts, cq_depth), 0, 1u << 22, 0},
};

#define CQ_DEPTH_MAX (1u << 22)

static uint32_t *opt_field(struct rd_opts *o, const struct opt_def *d)
{
	return (uint32_t *)(void *)((char *)o + d->off);
}

static int opt_error(struct vg_err *err, const struct opt_def *d, const char *what,
		     const char *value)
{
	return vg_errf(err, EINVAL, "VIGIL_RDMA_OPTS: %s=%s %s (%s: %u to %u)", d->name, value,
		       what, d->name, d->min, d->max);
}

/* One "name=value" item of len bytes. */
static int parse_item(const char *item, size_t len, struct rd_opts *o, struct vg_err *err)
{
	char buf[128];
	if (len >= sizeof(buf))
		return vg_errf(err, EINVAL, "VIGIL_RDMA_OPTS: '%.40s...' is too long", item);
	memcpy(buf, item, len);
	buf[len] = '\0';
	char *eq = strchr(buf, '=');
	if (eq)
		*eq = '\0';
	const char *name = buf, *value = eq ? eq + 1 : NULL;
	if (strcmp(name, "dev") == 0) {
		if (!value || !value[0] || strlen(value) >= sizeof(o->dev))
			return vg_errf(err, EINVAL, "VIGIL_RDMA_OPTS: dev= needs a device name of 1 to "
						    "%zu characters (see rdma link show)", sizeof(o->dev) - 1);
		vg_strlcpy(o->dev, value, sizeof(o->dev));
		return 0;
	}
	for (size_t i = 0; i < VG_ARRAY_LEN(opt_defs); i++) {
		const struct opt_def *d = &opt_defs[i];
		if (strcmp(name, d->name) != 0)
			continue;
		if (!value || !value[0])
			return vg_errf(err, EINVAL, "VIGIL_RDMA_OPTS: '%s' needs a value (%s=%u to %u)",
				       name, name, d->min, d->max);
		uint64_t v;
		if (vg_parse_size(value, &v) < 0)
			return opt_error(err, d, "is not a number", value);
		if (v < d->min || v > d->max)
			return opt_error(err, d, "is out of range", value);
		*opt_field(o, d) = (uint32_t)v;
		return 0;
	}
	return vg_errf(err, EINVAL, "VIGIL_RDMA_OPTS: unknown option '%s' (options: %s)", name,
		       RD_OPTS_NAMES);
}

int rd_opts_parse(const char *spec, struct rd_opts *o, struct vg_err *err)
{
	memset(o, 0, sizeof(*o));
	for (size_t i = 0; i < VG_ARRAY_LEN(opt_defs); i++)
		*opt_field(o, &opt_defs[i]) = opt_defs[i].dflt;
	for (const char *p = spec ? spec : ""; *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		size_t len = strcspn(p, ",");
		while (len && p[len - 1] == ' ')
			len--;
		if (len) {
			int rc = parse_item(p, len, o, err);
			if (rc < 0)
				return rc;
		}
		p += strcspn(p, ",");
	}
	uint32_t need = rd_cq_need(o);
	if (o->cq_depth == 0)
		o->cq_depth = need;
	else if (o->cq_depth < need)
		return vg_errf(err, EINVAL, "VIGIL_RDMA_OPTS: cq_depth=%u is out of range (cq_depth: %u "
					    "to %u with credits=%u and reads=%u)", o->cq_depth, need,
			       CQ_DEPTH_MAX, o->credits, o->reads);
	return 0;
}

/* ------------------------------------------------------------------ rkeys */

static uint32_t fnv1a(const uint8_t *p, size_t len)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* {u32 magic; u32 rkey; u64 addr; u64 len; u32 check of the 24 bytes before; u32 ~magic} */
void rd_rkey_encode(const struct rd_rkey *k, struct vg_rkey *out)
{
	memset(out, 0, sizeof(*out));
	rd_put_u32(out->bytes, RD_RKEY_MAGIC);
	rd_put_u32(out->bytes + 4, k->rkey);
	rd_put_u64(out->bytes + 8, k->addr);
	rd_put_u64(out->bytes + 16, k->len);
	rd_put_u32(out->bytes + 24, fnv1a(out->bytes, 24));
	rd_put_u32(out->bytes + 28, ~RD_RKEY_MAGIC);  /* so that a key cut short shows */
}

int rd_rkey_decode(const struct vg_rkey *in, struct rd_rkey *k)
{
	const uint8_t *b = in->bytes;
	if (rd_get_u32(b) != RD_RKEY_MAGIC || rd_get_u32(b + 24) != fnv1a(b, 24) ||
	    rd_get_u32(b + 28) != ~RD_RKEY_MAGIC)
		return -ENOENT;
	k->rkey = rd_get_u32(b + 4);
	k->addr = rd_get_u64(b + 8);
	k->len = rd_get_u64(b + 16);
	if (k->len == 0 || k->addr + k->len < k->addr)
		return -ENOENT;
	return 0;
}

int rd_rkey_span(const struct rd_rkey *k, uint64_t offset, uint64_t len, uint64_t *raddr)
{
	if (offset > k->len || len > k->len - offset)
		return -ERANGE;
	*raddr = k->addr + offset;
	return 0;
}

/* ------------------------------------------------------------------ connection parameters */

#define PARAM_MAGIC "VIGILRD1"

/* {"VIGILRD1"; u32 version; u32 max_msg; u32 chunk; u32 credits} */
void rd_param_put(uint8_t *p, const struct rd_param *prm)
{
	memcpy(p, PARAM_MAGIC, 8);
	rd_put_u32(p + 8, RD_PROTO_VERSION);
	rd_put_u32(p + 12, prm->max_msg);
	rd_put_u32(p + 16, prm->chunk);
	rd_put_u32(p + 20, prm->credits);
}

int rd_param_get(const uint8_t *p, size_t len, struct rd_param *prm)
{
	if (!p || len < RD_PARAM_LEN || memcmp(p, PARAM_MAGIC, 8) != 0 ||
	    rd_get_u32(p + 8) != RD_PROTO_VERSION)
		return -EPROTO;
	struct rd_param v = {rd_get_u32(p + 12), rd_get_u32(p + 16), rd_get_u32(p + 20)};
	/* the same bounds as our own options: anything else is not a peer we can serve */
	if (v.max_msg < RD_PEER_MAX_MSG_MIN || v.chunk < opt_defs[1].min ||
	    v.chunk > opt_defs[1].max || v.credits < opt_defs[0].min ||
	    v.credits > opt_defs[0].max)
		return -EPROTO;
	*prm = v;
	return 0;
}

/* ------------------------------------------------------------------ chunks */

/* {u8 kind; u8 flags; u16 0; u32 credits returned; u32 message length; u32 0} */
void rd_hdr_put(uint8_t *p, const struct rd_hdr *h)
{
	memset(p, 0, RD_HDR);
	p[0] = h->kind;
	p[1] = h->flags;
	rd_put_u32(p + 4, h->credits);
	rd_put_u32(p + 8, h->total);
}

int rd_hdr_get(const uint8_t *p, size_t len, struct rd_hdr *h)
{
	if (len < RD_HDR || p[2] || p[3] || rd_get_u32(p + 12))
		return -EPROTO;
	h->kind = p[0];
	h->flags = p[1];
	h->credits = rd_get_u32(p + 4);
	h->total = rd_get_u32(p + 8);
	if (h->kind == RD_K_DATA)
		return h->flags & ~(RD_F_FIRST | RD_F_LAST) ? -EPROTO : 0;
	if (h->kind == RD_K_CREDIT)
		return len == RD_HDR && h->flags == 0 && h->total == 0 ? 0 : -EPROTO;
	return -EPROTO;
}

int rd_asm_add(struct rd_asm *a, const struct rd_hdr *h, const uint8_t *payload, size_t plen,
	       size_t max_msg, const void **msg, size_t *msg_len)
{
	bool first = h->flags & RD_F_FIRST, last = h->flags & RD_F_LAST;
	if (first && last) {
		if (a->want || h->total != plen || plen > max_msg)
			return -EPROTO;
		*msg = payload;
		*msg_len = plen;
		return 1;
	}
	/* every chunk of a longer message carries something, and they add up to total */
	if (plen == 0)
		return -EPROTO;
	if (first) {
		if (a->want || h->total > max_msg || plen >= h->total)
			return -EPROTO;
		if (a->cap < h->total) {
			free(a->buf);
			a->buf = malloc(h->total);
			a->cap = a->buf ? h->total : 0;
			if (!a->buf)
				return -ENOMEM;
		}
		a->want = h->total;
		a->len = 0;
	} else if (!a->want || h->total != a->want || plen > a->want - a->len ||
		   (last ? a->len + plen != a->want : a->len + plen == a->want)) {
		return -EPROTO;
	}
	memcpy(a->buf + a->len, payload, plen);
	a->len += plen;
	if (!last)
		return 0;
	a->want = 0;
	*msg = a->buf;
	*msg_len = a->len;
	return 1;
}

void rd_asm_trim(struct rd_asm *a, size_t keep)
{
	if (a->want || a->cap <= keep)
		return;
	rd_asm_free(a);
}

void rd_asm_free(struct rd_asm *a)
{
	free(a->buf);
	memset(a, 0, sizeof(*a));
}

/* ------------------------------------------------------------------ credits */

void rd_credits_init(struct rd_credits *c, uint32_t window, uint32_t granted)
{
	c->window = window;
	c->avail = window;
	c->granted = granted;
	c->owed = 0;
}

bool rd_credits_take(struct rd_credits *c)
{
	if (!c->avail)
		return false;
	c->avail--;
	return true;
}

int rd_credits_returned(struct rd_credits *c, uint32_t n)
{
	if (n > c->window - c->avail)
		return -EPROTO;
	c->avail += n;
	return 0;
}

/*
 * Data chunks received since we last returned credits were all sent with
 * credits we have not returned yet, so they cannot outnumber what we granted.
 */
int rd_credits_received(struct rd_credits *c)
{
	if (c->owed >= c->granted)
		return -EPROTO;
	c->owed++;
	return 0;
}

uint32_t rd_credits_collect(struct rd_credits *c)
{
	uint32_t n = c->owed;
	c->owed = 0;
	return n;
}

/*
 * Alone once half (rounded up) is owed: each credit-only chunk then returns
 * at least that much of what the peer has in flight, so at most two are ever
 * unread at the peer, within the RD_RESERVE receives they land in.
 */
bool rd_credits_send_alone(const struct rd_credits *c, bool data_can_go)
{
	return !data_can_go && c->owed > 0 && c->owed >= (c->granted + 1) / 2;
}

/* ------------------------------------------------------------------ read bounce ring */

void rd_ring_init(struct rd_ring *r, uint64_t size)
{
	r->size = size;
	r->head = r->tail = 0;
}

int rd_ring_alloc(struct rd_ring *r, uint64_t len, uint64_t *off, uint64_t *end)
{
	len = (len + 7) & ~(uint64_t)7;
	if (len == 0 || len > r->size)
		return -E2BIG;
	if (r->head == r->tail)
		r->head = r->tail = 0;  /* empty: start over at the beginning */
	uint64_t pos = r->tail % r->size;
	uint64_t pad = pos + len > r->size ? r->size - pos : 0;  /* never wrap inside one read */
	if (r->tail - r->head + pad + len > r->size)
		return -EAGAIN;
	*off = pad ? 0 : pos;
	r->tail += pad + len;
	*end = r->tail;
	return 0;
}

void rd_ring_release(struct rd_ring *r, uint64_t end)
{
	if (end > r->head && end <= r->tail)
		r->head = end;
}
