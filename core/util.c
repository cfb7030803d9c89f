/*
 * util.c - error reports, clocks, value parsers and the string buffer.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/stat.h>

#include "util.h"

/* ------------------------------------------------------------------ errors */

int vg_verrf(struct vg_err *e, int code, const char *fmt, va_list ap)
{
	if (code < 0)
		code = -code;
	if (e) {
		e->code = code;
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	}
	return -code;
}

int vg_errf(struct vg_err *e, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vg_verrf(e, code, fmt, ap);
	va_end(ap);
	return rc;
}

void vg_err_prefix(struct vg_err *e, const char *fmt, ...)
{
	if (!e)
		return;
	char prefix[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	char old[sizeof(e->msg)];
	vg_strlcpy(old, e->msg, sizeof(old));
	size_t n = vg_strlcpy(e->msg, prefix, sizeof(e->msg));
	if (n + 2 < sizeof(e->msg)) {
		memcpy(e->msg + n, ": ", 3);
		vg_strlcpy(e->msg + n + 2, old, sizeof(e->msg) - n - 2);
	}
}

void vg_err_clear(struct vg_err *e)
{
	if (e) {
		e->code = 0;
		e->msg[0] = '\0';
	}
}

/* ------------------------------------------------------------------ clocks */

static uint64_t (*fake_clock)(void);

void vg_clock_fake(uint64_t (*fn)(void))
{
	fake_clock = fn;
}

uint64_t vg_now_us(void)
{
	if (fake_clock)
		return fake_clock();
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t vg_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ------------------------------------------------------------------ parsers */

/*
 * Numbers are parsed here, in integers, rather than with strtod/strtoull:
 * those live in a stretch of libc that nothing else of a sampler daemon
 * touches, and the kernel maps file pages 64 KiB at a time, so calling them
 * once costs ldmsd 64 KiB of resident memory for its whole life (and
 * integer arithmetic makes "1.1s" exactly 1100000).
 */
static const char *skip_space(const char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	return s;
}

static bool only_space(const char *s)
{
	return *skip_space(s) == '\0';
}

static int digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 99;
}

/*
 * Digits at *pp in base (0: C's prefixes, 0x.. hex and 0.. octal) into *v.
 * -EINVAL if there are none, -ERANGE on overflow; *pp moves past them.
 */
static int scan_uint(const char **pp, int base, uint64_t *v)
{
	const char *p = *pp;
	bool hex_prefix = p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && digit_value(p[2]) < 16;
	if (base == 0)
		base = hex_prefix ? 16 : (p[0] == '0' && p[1] >= '0' && p[1] <= '9') ? 8 : 10;
	if (base == 16 && hex_prefix)
		p += 2;
	uint64_t acc = 0;
	bool overflow = false;
	const char *start = p;
	for (; digit_value(*p) < base; p++)
		overflow |= __builtin_mul_overflow(acc, (uint64_t)base, &acc) ||
			    __builtin_add_overflow(acc, (uint64_t)digit_value(*p), &acc);
	if (p == start)
		return -EINVAL;
	*pp = p;
	if (overflow)
		return -ERANGE;
	*v = acc;
	return 0;
}

/*
 * A decimal with an optional fraction ("1", "1.5", ".25") times mult,
 * rounded to the nearest whole number.
 */
static int scan_scaled(const char **pp, uint64_t mult, uint64_t *v)
{
	const char *p = *pp;
	uint64_t whole = 0, frac = 0, scale = 1;
	bool have_whole = *p >= '0' && *p <= '9';
	if (have_whole) {
		int rc = scan_uint(&p, 10, &whole);
		if (rc)
			return rc;
	}
	if (*p == '.') {
		p++;
		for (; *p >= '0' && *p <= '9'; p++)
			if (scale < 1000000000000ull) { /* beyond 12 digits adds nothing */
				frac = frac * 10 + (uint64_t)(*p - '0');
				scale *= 10;
			}
		if (!have_whole && scale == 1)
			return -EINVAL;
	} else if (!have_whole) {
		return -EINVAL;
	}
	uint64_t total;
	unsigned __int128 part = ((unsigned __int128)frac * mult + scale / 2) / scale;
	if (__builtin_mul_overflow(whole, mult, &total) || part > UINT64_MAX ||
	    __builtin_add_overflow(total, (uint64_t)part, &total))
		return -ERANGE;
	*pp = p;
	*v = total;
	return 0;
}

struct unit {
	const char *name; /* matched case-insensitively */
	uint64_t scale;
};

/*
 * "<number><unit>" with optional surrounding spaces (and a sign if signed):
 * the number scaled by its unit's factor.  -EINVAL for a bad number or an
 * unknown unit, -ERANGE if it does not fit.
 */
static int parse_with_unit(const char *s, const struct unit *units, size_t nunits, bool signed_ok,
			   uint64_t *v, bool *negative)
{
	if (!s)
		return -EINVAL;
	s = skip_space(s);
	*negative = signed_ok && *s == '-';
	if (signed_ok && (*s == '-' || *s == '+'))
		s++;
	const char *num = s;
	while ((*s >= '0' && *s <= '9') || *s == '.')
		s++;
	size_t ulen = 0;
	while (s[ulen] && !isspace((unsigned char)s[ulen]))
		ulen++;
	if (!only_space(s + ulen))
		return -EINVAL;
	for (size_t i = 0; i < nunits; i++) {
		if (strlen(units[i].name) != ulen || strncasecmp(s, units[i].name, ulen) != 0)
			continue;
		const char *p = num;
		int rc = scan_scaled(&p, units[i].scale, v);
		if (rc)
			return rc;
		return p == s ? 0 : -EINVAL;
	}
	return -EINVAL;
}

int vg_parse_duration_us(const char *s, int64_t *out)
{
	static const struct unit units[] = {
		{"", 1},	   {"us", 1},		{"ms", 1000},	     {"s", 1000000},
		{"m", 60000000ull}, {"h", 3600000000ull}, {"d", 86400000000ull},
	};
	uint64_t us;
	bool negative;
	int rc = parse_with_unit(s, units, VG_ARRAY_LEN(units), true, &us, &negative);
	if (rc)
		return rc;
	if (us > (uint64_t)INT64_MAX)
		return -ERANGE;
	*out = negative ? -(int64_t)us : (int64_t)us;
	return 0;
}

int vg_parse_size(const char *s, uint64_t *out)
{
	static const struct unit units[] = {
		{"", 1},	  {"b", 1},	    {"k", 1ull << 10},	 {"kb", 1ull << 10},
		{"kib", 1ull << 10}, {"m", 1ull << 20}, {"mb", 1ull << 20}, {"mib", 1ull << 20},
		{"g", 1ull << 30}, {"gb", 1ull << 30}, {"gib", 1ull << 30}, {"t", 1ull << 40},
		{"tb", 1ull << 40}, {"tib", 1ull << 40},
	};
	bool negative;
	return parse_with_unit(s, units, VG_ARRAY_LEN(units), false, out, &negative);
}

int vg_parse_u64(const char *s, int base, uint64_t *out)
{
	if (!s)
		return -EINVAL;
	s = skip_space(s);
	if (*s == '+')
		s++;
	uint64_t v;
	int rc = scan_uint(&s, base, &v);
	if (rc == -EINVAL || !only_space(s))
		return -EINVAL;
	if (rc)
		return rc;
	*out = v;
	return 0;
}

int vg_parse_i64(const char *s, int base, int64_t *out)
{
	if (!s)
		return -EINVAL;
	s = skip_space(s);
	bool negative = *s == '-';
	if (*s == '-' || *s == '+')
		s++;
	uint64_t v;
	int rc = scan_uint(&s, base, &v);
	if (rc == -EINVAL || !only_space(s))
		return -EINVAL;
	if (rc || v > (uint64_t)INT64_MAX + negative)
		return -ERANGE;
	*out = negative ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

int vg_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"1", "true", "yes", "on", "t", "y"};
	static const char *const no[] = {"0", "false", "no", "off", "f", "n"};
	if (!s)
		return -EINVAL;
	for (size_t i = 0; i < VG_ARRAY_LEN(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

int vg_parse_perm(const char *s, uint32_t *out)
{
	if (!s)
		return -EINVAL;
	s = skip_space(s);
	if (s[0] == '0' && (s[1] == 'o' || s[1] == 'O'))
		s += 2;
	if (!*s)
		return -EINVAL;
	for (const char *p = s; *p && !isspace((unsigned char)*p); p++)
		if (*p < '0' || *p > '7')
			return -EINVAL;
	uint64_t v;
	int rc = vg_parse_u64(s, 8, &v);
	if (rc)
		return rc;
	if (v > 07777)
		return -ERANGE;
	*out = (uint32_t)v;
	return 0;
}

char *vg_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	size_t u = 0;
	uint64_t v = bytes;
	while (u + 1 < VG_ARRAY_LEN(units) && v >= 1024 && v % 1024 == 0) {
		v /= 1024;
		u++;
	}
	if (v >= 10240 && u + 1 < VG_ARRAY_LEN(units)) {
		/* not a whole multiple: show one decimal of the next unit */
		double d = (double)bytes;
		u = 0;
		while (d >= 1024 && u + 1 < VG_ARRAY_LEN(units)) {
			d /= 1024;
			u++;
		}
		snprintf(buf, len, "%.1f %s", d, units[u]);
		return buf;
	}
	snprintf(buf, len, "%" PRIu64 " %s", v, units[u]);
	return buf;
}

char *vg_format_perm(uint32_t perm, char *buf)
{
	static const char rwx[] = "rwxrwxrwx";
	buf[0] = '-';
	for (int i = 0; i < 9; i++)
		buf[i + 1] = (perm & (1u << (8 - i))) ? rwx[i] : '-';
	buf[10] = '\0';
	return buf;
}

size_t vg_strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);
	if (size) {
		size_t c = n < size - 1 ? n : size - 1;
		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return n;
}

/* ------------------------------------------------------------------ strbuf */

void vg_strbuf_init(struct vg_strbuf *sb)
{
	memset(sb, 0, sizeof(*sb));
}

void vg_strbuf_free(struct vg_strbuf *sb)
{
	free(sb->buf);
	vg_strbuf_init(sb);
}

void vg_strbuf_reset(struct vg_strbuf *sb)
{
	sb->len = 0;
	sb->oom = false;
	if (sb->buf)
		sb->buf[0] = '\0';
}

static int strbuf_reserve(struct vg_strbuf *sb, size_t extra)
{
	if (sb->len + extra + 1 <= sb->cap)
		return 0;
	size_t cap = sb->cap ? sb->cap : 256;
	while (cap < sb->len + extra + 1) {
		if (cap > SIZE_MAX / 2)
			return -ENOMEM;
		cap *= 2;
	}
	char *nb = realloc(sb->buf, cap);
	if (!nb) {
		sb->oom = true;
		return -ENOMEM;
	}
	sb->buf = nb;
	sb->cap = cap;
	return 0;
}

int vg_strbuf_append(struct vg_strbuf *sb, const char *s, size_t n)
{
	if (strbuf_reserve(sb, n))
		return -ENOMEM;
	memcpy(sb->buf + sb->len, s, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
	return 0;
}

int vg_strbuf_puts(struct vg_strbuf *sb, const char *s)
{
	return vg_strbuf_append(sb, s, strlen(s));
}

int vg_strbuf_vprintf(struct vg_strbuf *sb, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return -EINVAL;
	if (strbuf_reserve(sb, (size_t)n))
		return -ENOMEM;
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
	return 0;
}

int vg_strbuf_printf(struct vg_strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = vg_strbuf_vprintf(sb, fmt, ap);
	va_end(ap);
	return rc;
}

const char *vg_strbuf_str(const struct vg_strbuf *sb)
{
	return sb->buf ? sb->buf : "";
}

int vg_name_to_id(const char *name, bool group, uint32_t *id)
{
	char buf[4096];
	int rc;
	if (group) {
		struct group gr, *res = NULL;
		rc = getgrnam_r(name, &gr, buf, sizeof(buf), &res);
		if (rc == 0 && res)
			*id = (uint32_t)gr.gr_gid;
		return rc ? -rc : res ? 0 : -ENOENT;
	}
	struct passwd pw, *res = NULL;
	rc = getpwnam_r(name, &pw, buf, sizeof(buf), &res);
	if (rc == 0 && res)
		*id = (uint32_t)pw.pw_uid;
	return rc ? -rc : res ? 0 : -ENOENT;
}

int vg_read_file(const char *path, const char *what, size_t max, struct vg_strbuf *out,
		 struct vg_err *err)
{
	/* "config file /etc/x.conf" in messages, or the bare path */
	char name[4200];
	snprintf(name, sizeof(name), "%s%s%s", what ? what : "", what ? " " : "", path);
	FILE *f = fopen(path, "re");
	if (!f)
		return vg_errf(err, errno, "cannot read %s: %s", name, strerror(errno));
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
		fclose(f);
		return vg_errf(err, EISDIR, "%s is a directory", name);
	}
	char chunk[8192];
	size_t n;
	int rc = 0;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (out->len + n > max) {
			rc = vg_errf(err, EFBIG, "%s is larger than %zu MiB", name, max >> 20);
			break;
		}
		if (vg_strbuf_append(out, chunk, n)) {
			rc = vg_errf(err, ENOMEM, "out of memory reading %s", path);
			break;
		}
	}
	if (!rc && ferror(f))
		rc = vg_errf(err, EIO, "error reading %s", name);
	fclose(f);
	return rc;
}
