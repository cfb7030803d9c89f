/*
 * util.h - small shared helpers: error reports, clocks, value parsers and a
 * growable string buffer.
 *
 * Every libvigil function that can fail returns 0 (or a non-negative count)
 * on success and a negative errno on failure.  Functions whose failure needs
 * context a caller cannot reconstruct (which set, which file, what to do about
 * it) also take an optional struct vg_err that receives one sentence naming
 * the object, the cause and the fix, like anet.c's caller-owned error buffer:
 * the low layer never logs, the caller decides where the message goes.
 */
#ifndef VIGIL_UTIL_H
#define VIGIL_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VG_PRINTF(fmt_idx, arg_idx) __attribute__((format(printf, fmt_idx, arg_idx)))
#define VG_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define VG_ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((size_t)(a) - 1))

/* ------------------------------------------------------------------ errors */

struct vg_err {
	int code;       /* positive errno of the failure, 0 if none */
	char msg[512];  /* one sentence, no trailing newline */
};

/* Record an error in e (which may be NULL) and return -code. */
int vg_errf(struct vg_err *e, int code, const char *fmt, ...) VG_PRINTF(3, 4);
int vg_verrf(struct vg_err *e, int code, const char *fmt, va_list ap);
/* Prepend "prefix: " to the message already in e. */
void vg_err_prefix(struct vg_err *e, const char *fmt, ...) VG_PRINTF(2, 3);
void vg_err_clear(struct vg_err *e);

/* ------------------------------------------------------------------ clocks */

/* Wall clock (CLOCK_REALTIME) and monotonic clock, in microseconds. */
uint64_t vg_now_us(void);
uint64_t vg_mono_us(void);

/*
 * Unit tests may freeze the wall clock: vg_now_us() then returns what fn
 * returns.  Pass NULL to restore the real clock.  Not for production code.
 */
void vg_clock_fake(uint64_t (*fn)(void));

/* ------------------------------------------------------------------ parsers */

/*
 * A duration as LDMS writes it: a number with an optional unit us, ms, s, m,
 * h or d (default us), e.g. "1000000", "1s", "1.5s", "500ms".  Negative
 * values are accepted (offsets may be negative); callers check the range.
 */
int vg_parse_duration_us(const char *s, int64_t *out);

/*
 * A memory size: bytes with an optional unit K, M, G, T with or without B,
 * any case, powers of 1024 ("512K", "512kB", "2M", "2mb", "1GB", "65536").
 */
int vg_parse_size(const char *s, uint64_t *out);

/* Whole numbers; base 0 accepts 0x.. and leading-0 octal like strtoull. */
int vg_parse_u64(const char *s, int base, uint64_t *out);
int vg_parse_i64(const char *s, int base, int64_t *out);

/* true/false, yes/no, on/off, 1/0 (case-insensitive). */
int vg_parse_bool(const char *s, bool *out);

/* Permission bits in octal: "0640", "640", "0o640"; must be <= 07777. */
int vg_parse_perm(const char *s, uint32_t *out);

/* "512 KiB", "2 MiB", "1536 B": for messages. Returns buf. */
char *vg_format_size(uint64_t bytes, char *buf, size_t len);

/* "-r--r-----" for ls-style output; buf needs 11 bytes. Returns buf. */
char *vg_format_perm(uint32_t perm, char *buf);

/* strlcpy: always NUL-terminates, returns strlen(src). */
size_t vg_strlcpy(char *dst, const char *src, size_t size);

/* ------------------------------------------------------------------ strbuf */

/* A growable NUL-terminated string, for replies and messages. */
struct vg_strbuf {
	char *buf;
	size_t len;
	size_t cap;
	bool oom;  /* an append failed; the content is truncated */
};

void vg_strbuf_init(struct vg_strbuf *sb);
void vg_strbuf_free(struct vg_strbuf *sb);
void vg_strbuf_reset(struct vg_strbuf *sb);
int vg_strbuf_append(struct vg_strbuf *sb, const char *s, size_t n);
int vg_strbuf_puts(struct vg_strbuf *sb, const char *s);
int vg_strbuf_printf(struct vg_strbuf *sb, const char *fmt, ...) VG_PRINTF(2, 3);
int vg_strbuf_vprintf(struct vg_strbuf *sb, const char *fmt, va_list ap);
/* The content, never NULL ("" when empty). */
const char *vg_strbuf_str(const struct vg_strbuf *sb);

/*
 * A user (group) name of this host to its id: 0, -ENOENT when there is no
 * such name, or the lookup's -errno (e.g. an unreachable directory service).
 */
int vg_name_to_id(const char *name, bool group, uint32_t *id);

/*
 * Append the whole file at path (at most max bytes) to out.  Messages name
 * it as "WHAT PATH" ("config file /etc/ldmsd.conf"; what may be NULL).
 * -EISDIR, -EFBIG, -ENOMEM, -EIO or fopen's errno.
 */
int vg_read_file(const char *path, const char *what, size_t max, struct vg_strbuf *out,
		 struct vg_err *err);

#endif /* VIGIL_UTIL_H */
