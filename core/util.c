/*
 * util.c - error reports, clocks, value parsers and the string buffer.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h> /* isfinite: a macro, no libm */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

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
 * Round to nearest without libm: linking libm costs a sampler daemon 300 KB
 * of resident memory for this one function.  |v| < 9.2e18 here.
 */
static int64_t round_nearest(double v)
{
	return v < 0 ? -(int64_t)(-v + 0.5) : (int64_t)(v + 0.5);
}

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

int vg_parse_duration_us(const char *s, int64_t *out)
{
	if (!s)
		return -EINVAL;
	s = skip_space(s);
	if (!*s)
		return -EINVAL;
	errno = 0;
	char *end;
	double v = strtod(s, &end);
	if (end == s || errno == ERANGE || !isfinite(v))
		return -EINVAL;
	/* strtod accepts "inf", "nan" and hex floats; durations are plain decimals. */
	for (const char *p = s; p < end; p++)
		if (!(isdigit((unsigned char)*p) || *p == '.' || *p == '-' || *p == '+'))
			return -EINVAL;
	const char *unit = end;
	size_t ulen = strlen(unit);
	while (ulen && isspace((unsigned char)unit[ulen - 1]))
		ulen--;
	double mult;
	if (ulen == 0 || (ulen == 2 && strncasecmp(unit, "us", 2) == 0))
		mult = 1;
	else if (ulen == 2 && strncasecmp(unit, "ms", 2) == 0)
		mult = 1e3;
	else if (ulen == 1 && (unit[0] == 's' || unit[0] == 'S'))
		mult = 1e6;
	else if (ulen == 1 && (unit[0] == 'm' || unit[0] == 'M'))
		mult = 60e6;
	else if (ulen == 1 && (unit[0] == 'h' || unit[0] == 'H'))
		mult = 3600e6;
	else if (ulen == 1 && (unit[0] == 'd' || unit[0] == 'D'))
		mult = 86400e6;
	else
		return -EINVAL;
	double us = v * mult;
	if (us > 9.2e18 || us < -9.2e18)
		return -ERANGE;
	*out = round_nearest(us);
	return 0;
}

int vg_parse_size(const char *s, uint64_t *out)
{
	if (!s)
		return -EINVAL;
	s = skip_space(s);
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	char *end;
	double v = strtod(s, &end);
	if (end == s || errno == ERANGE || !isfinite(v) || v < 0)
		return -EINVAL;
	for (const char *p = s; p < end; p++)
		if (!(isdigit((unsigned char)*p) || *p == '.'))
			return -EINVAL;
	char unit[4] = "";
	size_t n = 0;
	for (const char *p = end; *p && !isspace((unsigned char)*p); p++) {
		if (n >= 3)
			return -EINVAL;
		unit[n++] = (char)tolower((unsigned char)*p);
	}
	unit[n] = '\0';
	if (!only_space(end + n))
		return -EINVAL;
	double mult;
	if (n == 0 || strcmp(unit, "b") == 0)
		mult = 1;
	else if (strcmp(unit, "k") == 0 || strcmp(unit, "kb") == 0 || strcmp(unit, "kib") == 0)
		mult = 1024.0;
	else if (strcmp(unit, "m") == 0 || strcmp(unit, "mb") == 0 || strcmp(unit, "mib") == 0)
		mult = 1024.0 * 1024;
	else if (strcmp(unit, "g") == 0 || strcmp(unit, "gb") == 0 || strcmp(unit, "gib") == 0)
		mult = 1024.0 * 1024 * 1024;
	else if (strcmp(unit, "t") == 0 || strcmp(unit, "tb") == 0 || strcmp(unit, "tib") == 0)
		mult = 1024.0 * 1024 * 1024 * 1024;
	else
		return -EINVAL;
	double bytes = v * mult;
	if (bytes > 1.8e19)
		return -ERANGE;
	*out = bytes >= 9.2e18 ? (uint64_t)bytes : (uint64_t)round_nearest(bytes);
	return 0;
}

int vg_parse_u64(const char *s, int base, uint64_t *out)
{
	if (!s)
		return -EINVAL;
	s = skip_space(s);
	if (!*s || *s == '-')
		return -EINVAL;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(s, &end, base);
	if (end == s || !only_space(end))
		return -EINVAL;
	if (errno == ERANGE)
		return -ERANGE;
	*out = v;
	return 0;
}

int vg_parse_i64(const char *s, int base, int64_t *out)
{
	if (!s)
		return -EINVAL;
	s = skip_space(s);
	if (!*s)
		return -EINVAL;
	errno = 0;
	char *end;
	long long v = strtoll(s, &end, base);
	if (end == s || !only_space(end))
		return -EINVAL;
	if (errno == ERANGE)
		return -ERANGE;
	*out = v;
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
