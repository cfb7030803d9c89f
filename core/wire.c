/*
 * wire.c - bounded little-endian encoding and decoding.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "wire.h"

void vg_wbuf_init(struct vg_wbuf *w, size_t max)
{
	memset(w, 0, sizeof(*w));
	w->max = max;
}

void vg_wbuf_free(struct vg_wbuf *w)
{
	free(w->buf);
	memset(w, 0, sizeof(*w));
}

void vg_wbuf_reset(struct vg_wbuf *w)
{
	w->len = 0;
	w->failed = false;
}

bool vg_wbuf_ok(const struct vg_wbuf *w)
{
	return !w->failed;
}

static uint8_t *wbuf_grab(struct vg_wbuf *w, size_t n)
{
	if (w->failed)
		return NULL;
	if (n > w->max || w->len > w->max - n) {
		w->failed = true;
		return NULL;
	}
	if (w->len + n > w->cap) {
		size_t cap = w->cap ? w->cap : 512;
		while (cap < w->len + n)
			cap *= 2;
		if (cap > w->max)
			cap = w->max;
		uint8_t *nb = realloc(w->buf, cap);
		if (!nb) {
			w->failed = true;
			return NULL;
		}
		w->buf = nb;
		w->cap = cap;
	}
	uint8_t *p = w->buf + w->len;
	w->len += n;
	return p;
}

static void put_le(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void wbuf_int(struct vg_wbuf *w, uint64_t v, size_t n)
{
	uint8_t *p = wbuf_grab(w, n);
	if (p)
		put_le(p, v, n);
}

void vg_wbuf_u8(struct vg_wbuf *w, uint8_t v) { wbuf_int(w, v, 1); }
void vg_wbuf_u16(struct vg_wbuf *w, uint16_t v) { wbuf_int(w, v, 2); }
void vg_wbuf_u32(struct vg_wbuf *w, uint32_t v) { wbuf_int(w, v, 4); }
void vg_wbuf_u64(struct vg_wbuf *w, uint64_t v) { wbuf_int(w, v, 8); }

void vg_wbuf_bytes(struct vg_wbuf *w, const void *p, size_t n)
{
	uint8_t *d = wbuf_grab(w, n);
	if (d && n)
		memcpy(d, p, n);
}

void vg_wbuf_str(struct vg_wbuf *w, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n > UINT16_MAX) {
		w->failed = true;
		return;
	}
	vg_wbuf_u16(w, (uint16_t)n);
	vg_wbuf_bytes(w, s, n);
}

void vg_wbuf_blob(struct vg_wbuf *w, const void *p, size_t n)
{
	if (n > UINT32_MAX) {
		w->failed = true;
		return;
	}
	vg_wbuf_u32(w, (uint32_t)n);
	vg_wbuf_bytes(w, p, n);
}

size_t vg_wbuf_skip(struct vg_wbuf *w, size_t n)
{
	size_t off = w->len;
	uint8_t *p = wbuf_grab(w, n);
	if (p)
		memset(p, 0, n);
	return off;
}

void vg_wbuf_patch_u32(struct vg_wbuf *w, size_t off, uint32_t v)
{
	if (w->failed || off > w->len || w->len - off < 4) {
		w->failed = true;
		return;
	}
	put_le(w->buf + off, v, 4);
}

void vg_rbuf_init(struct vg_rbuf *r, const void *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->pos = 0;
	r->failed = false;
}

bool vg_rbuf_ok(const struct vg_rbuf *r)
{
	return !r->failed;
}

size_t vg_rbuf_remaining(const struct vg_rbuf *r)
{
	return r->failed ? 0 : r->len - r->pos;
}

void vg_rbuf_fail(struct vg_rbuf *r)
{
	r->failed = true;
}

const void *vg_rbuf_bytes(struct vg_rbuf *r, size_t n)
{
	if (r->failed || n > r->len - r->pos) {
		r->failed = true;
		return NULL;
	}
	const void *p = r->p + r->pos;
	r->pos += n;
	return p;
}

static uint64_t rbuf_int(struct vg_rbuf *r, size_t n)
{
	const uint8_t *p = vg_rbuf_bytes(r, n);
	return p ? get_le(p, n) : 0;
}

uint8_t vg_rbuf_u8(struct vg_rbuf *r) { return (uint8_t)rbuf_int(r, 1); }
uint16_t vg_rbuf_u16(struct vg_rbuf *r) { return (uint16_t)rbuf_int(r, 2); }
uint32_t vg_rbuf_u32(struct vg_rbuf *r) { return (uint32_t)rbuf_int(r, 4); }
uint64_t vg_rbuf_u64(struct vg_rbuf *r) { return rbuf_int(r, 8); }

void vg_rbuf_str(struct vg_rbuf *r, char *dst, size_t cap)
{
	if (cap)
		dst[0] = '\0';
	uint16_t n = vg_rbuf_u16(r);
	const char *s = vg_rbuf_bytes(r, n);
	if (!s || (size_t)n + 1 > cap || memchr(s, '\0', n)) {
		r->failed = true;
		return;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
}

const void *vg_rbuf_blob(struct vg_rbuf *r, size_t *n)
{
	uint32_t len = vg_rbuf_u32(r);
	const void *p = vg_rbuf_bytes(r, len);
	*n = p ? len : 0;
	return p;
}
