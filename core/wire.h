/*
 * wire.h - bounded little-endian encoding and decoding.
 *
 * The writer grows its buffer (up to a limit) and remembers failure instead
 * of returning an error from every call; the reader never reads past its
 * input and likewise remembers the first overrun.  Check vg_wbuf_ok() /
 * vg_rbuf_ok() once at the end: a message built or parsed with any failure
 * is rejected as a whole.  This keeps protocol code short and makes a
 * forgotten length check impossible.
 *
 * Strings are a u16 byte count followed by the bytes (no NUL); blobs are a
 * u32 byte count followed by the bytes.
 */
#ifndef VIGIL_WIRE_H
#define VIGIL_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vg_wbuf {
	uint8_t *buf;
	size_t len;
	size_t cap;
	size_t max;  /* the buffer never grows beyond this */
	bool failed; /* an append did not fit or memory ran out */
};

void vg_wbuf_init(struct vg_wbuf *w, size_t max);
void vg_wbuf_free(struct vg_wbuf *w);
/* Empty the buffer, keeping its memory (no allocation on the next message). */
void vg_wbuf_reset(struct vg_wbuf *w);
bool vg_wbuf_ok(const struct vg_wbuf *w);

void vg_wbuf_u8(struct vg_wbuf *w, uint8_t v);
void vg_wbuf_u16(struct vg_wbuf *w, uint16_t v);
void vg_wbuf_u32(struct vg_wbuf *w, uint32_t v);
void vg_wbuf_u64(struct vg_wbuf *w, uint64_t v);
void vg_wbuf_bytes(struct vg_wbuf *w, const void *p, size_t n);
/* u16 length + bytes; fails the buffer if s is longer than 65535 bytes. NULL = "". */
void vg_wbuf_str(struct vg_wbuf *w, const char *s);
/* u32 length + bytes. */
void vg_wbuf_blob(struct vg_wbuf *w, const void *p, size_t n);
/* Reserve n zero bytes and return their offset (for a length patched later). */
size_t vg_wbuf_skip(struct vg_wbuf *w, size_t n);
void vg_wbuf_patch_u32(struct vg_wbuf *w, size_t off, uint32_t v);

struct vg_rbuf {
	const uint8_t *p;
	size_t len;
	size_t pos;
	bool failed; /* a read ran past the end or a value was out of range */
};

void vg_rbuf_init(struct vg_rbuf *r, const void *p, size_t len);
bool vg_rbuf_ok(const struct vg_rbuf *r);
size_t vg_rbuf_remaining(const struct vg_rbuf *r);
/* Mark the input invalid (e.g. a decoded value is out of range). */
void vg_rbuf_fail(struct vg_rbuf *r);

uint8_t vg_rbuf_u8(struct vg_rbuf *r);
uint16_t vg_rbuf_u16(struct vg_rbuf *r);
uint32_t vg_rbuf_u32(struct vg_rbuf *r);
uint64_t vg_rbuf_u64(struct vg_rbuf *r);
/* n bytes in place, or NULL (and failed) if fewer remain. */
const void *vg_rbuf_bytes(struct vg_rbuf *r, size_t n);
/*
 * A string copied into dst (NUL-terminated).  Fails if it does not fit in
 * cap - 1 bytes or contains a NUL byte, so that names are always C strings.
 */
void vg_rbuf_str(struct vg_rbuf *r, char *dst, size_t cap);
/* A u32-counted blob in place; *n receives its length. NULL on failure. */
const void *vg_rbuf_blob(struct vg_rbuf *r, size_t *n);

#endif /* VIGIL_WIRE_H */
