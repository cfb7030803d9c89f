/*
 * csv_format.c - the text LDMS 4.4's store_csv writes: the header line, the
 * .KIND line and the rows (FORMATS.md (a)).
 *
 * Everything a layout needs is decided at open(): the columns, the header
 * and kind texts, and an upper bound of a row's length, so that a row is
 * formatted into a buffer sized once and written with one fwrite.  Integers
 * are formatted by hand (two digits per division); floats go through
 * snprintf with LDMS's %.9g / %.17g.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/set.h"
#include "stores/csv.h"

#define TIME_WIDTH 48    /* "4294967295.4294967295,4294967295" and the msec form */
#define UDATA_WIDTH 21   /* ",18446744073709551615" */
#define FLOAT_WIDTH 32   /* snprintf's bound for %.9g and %.17g */
#define PRODUCER_KIND_LEN 64 /* LDMS_PRODUCER_NAME_MAX, in "char[]64" */

/* ------------------------------------------------------------------ numbers */

static const char digit_pairs[] = "00010203040506070809"
				  "10111213141516171819"
				  "20212223242526272829"
				  "30313233343536373839"
				  "40414243444546474849"
				  "50515253545556575859"
				  "60616263646566676869"
				  "70717273747576777879"
				  "80818283848586878889"
				  "90919293949596979899";

static const uint64_t powers_of_ten[20] = {
	1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull, 10000000ull,
	100000000ull, 1000000000ull, 10000000000ull, 100000000000ull, 1000000000000ull,
	10000000000000ull, 100000000000000ull, 1000000000000000ull, 10000000000000000ull,
	100000000000000000ull, 1000000000000000000ull, 10000000000000000000ull,
};

/* Exactly 8 digits of x, ending at end. */
static void put_8_digits(char *end, uint32_t x)
{
	for (int i = 0; i < 4; i++) {
		uint32_t r = x % 100;
		x /= 100;
		end -= 2;
		memcpy(end, digit_pairs + 2 * r, 2);
	}
}

/*
 * Written backwards in place, two digits per step, in 32-bit arithmetic
 * below 10^8 (cheaper than 64-bit division): no copy, no printf.
 */
static char *put_u64(char *p, uint64_t v)
{
	/* digits from the bit length: log10(2) ~ 1233/4096, corrected by one compare */
	unsigned t = ((unsigned)(64 - __builtin_clzll(v | 1)) * 1233) >> 12;
	char *end = p + t + ((v | 1) >= powers_of_ten[t]);
	char *w = end;
	while (v >= 100000000) {
		put_8_digits(w, (uint32_t)(v % 100000000));
		v /= 100000000;
		w -= 8;
	}
	uint32_t x = (uint32_t)v;
	while (x >= 100) {
		uint32_t r = x % 100;
		x /= 100;
		w -= 2;
		memcpy(w, digit_pairs + 2 * r, 2);
	}
	if (x >= 10)
		memcpy(w - 2, digit_pairs + 2 * x, 2);
	else
		w[-1] = (char)('0' + x);
	return end;
}

static char *put_s64(char *p, int64_t v)
{
	if (v < 0) {
		*p++ = '-';
		return put_u64(p, 0 - (uint64_t)v);
	}
	return put_u64(p, (uint64_t)v);
}

/* %06u: at least six digits. */
static char *put_usec6(char *p, uint32_t usec)
{
	if (usec >= 1000000)
		return put_u64(p, usec);
	for (int i = 5; i >= 0; i--) {
		p[i] = (char)('0' + usec % 10);
		usec /= 10;
	}
	return p + 6;
}

static size_t elem_width(enum vg_type elem)
{
	switch (elem) {
	case VG_T_CHAR: return 1;
	case VG_T_U8: return 3;
	case VG_T_S8: return 4;
	case VG_T_U16: return 5;
	case VG_T_S16: return 6;
	case VG_T_U32: return 10;
	case VG_T_S32: return 11;
	case VG_T_U64: return 20;
	case VG_T_S64: return 20;
	default: return FLOAT_WIDTH;
	}
}

/* Element i of an array (or the scalar, i = 0) of element type et at base. */
static char *put_elem(char *p, enum vg_type et, const uint8_t *base, uint32_t i)
{
	switch (et) {
	case VG_T_CHAR: {
		char c = (char)base[i];
		/* a NUL or a line break would corrupt the file's lines */
		if (c == '\n' || c == '\r')
			c = ' ';
		if (c)
			*p++ = c;
		return p;
	}
	case VG_T_U8: return put_u64(p, base[i]);
	case VG_T_S8: return put_s64(p, (int8_t)base[i]);
#define INT_CASE(T, ctype, put)                          \
	case T: {                                        \
		ctype v;                                 \
		memcpy(&v, base + i * sizeof(v), sizeof(v)); \
		return put(p, v);                        \
	}
	INT_CASE(VG_T_U16, uint16_t, put_u64)
	INT_CASE(VG_T_S16, int16_t, put_s64)
	INT_CASE(VG_T_U32, uint32_t, put_u64)
	INT_CASE(VG_T_S32, int32_t, put_s64)
	INT_CASE(VG_T_U64, uint64_t, put_u64)
	INT_CASE(VG_T_S64, int64_t, put_s64)
#undef INT_CASE
	case VG_T_F32: {
		float v;
		memcpy(&v, base + i * sizeof(v), sizeof(v));
		int n = snprintf(p, FLOAT_WIDTH, "%.9g", (double)v);
		return p + (n > 0 && n < FLOAT_WIDTH ? n : 0);
	}
	case VG_T_D64: {
		double v;
		memcpy(&v, base + i * sizeof(v), sizeof(v));
		int n = snprintf(p, FLOAT_WIDTH, "%.17g", v);
		return p + (n > 0 && n < FLOAT_WIDTH ? n : 0);
	}
	default:
		return p;
	}
}

/* ------------------------------------------------------------------ rows */

static char *put_string(char *p, const char *s, uint32_t count, bool ietf)
{
	size_t len = strnlen(s, count);
	if (ietf)
		*p++ = '"';
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == '\n' || c == '\r')
			c = ' ';
		else if (c == '"' && ietf)
			*p++ = '"'; /* RFC 4180: a quote inside quotes is doubled */
		*p++ = c;
	}
	if (ietf)
		*p++ = '"';
	return p;
}

static char *put_udata(char *p, const struct vg_set *set, int idx)
{
	*p++ = ',';
	return put_u64(p, vg_set_metric_udata(set, idx));
}

size_t csv_format_row(const struct csv_format *f, const struct vg_set *set, char *buf)
{
	char *p = buf;
	struct vg_timestamp ts = vg_set_timestamp(set);
	if (f->time_format == 1) {
		p = put_u64(p, (uint64_t)ts.sec * 1000 + ts.usec / 1000);
		*p++ = ',';
		p = put_u64(p, ts.usec % 1000);
	} else {
		p = put_u64(p, ts.sec);
		*p++ = '.';
		p = put_usec6(p, ts.usec);
		*p++ = ',';
		p = put_u64(p, ts.usec);
	}
	*p++ = ',';
	const char *producer = vg_set_producer(set);
	if (producer) {
		size_t len = strnlen(producer, VG_PRODUCER_MAX);
		memcpy(p, producer, len);
		p += len;
	}
	for (size_t c = 0; c < f->ncols; c++) {
		const struct csv_col *col = &f->cols[c];
		const uint8_t *v = vg_set_value_cptr(set, col->idx);
		if (col->type == VG_T_CHAR_ARRAY) {
			if (f->userdata)
				p = put_udata(p, set, col->idx);
			*p++ = ',';
			p = put_string(p, (const char *)v, col->count, f->ietfcsv);
			continue;
		}
		enum vg_type et = col->elem;
		if (!col->array || f->expand) {
			for (uint32_t i = 0; i < col->count; i++) {
				if (f->userdata)
					p = put_udata(p, set, col->idx);
				*p++ = ',';
				p = put_elem(p, et, v, i);
			}
			continue;
		}
		/* one column "v0:v1:..." (LDMS's s64[] always used ',' and '"': not copied) */
		if (f->userdata)
			p = put_udata(p, set, col->idx);
		*p++ = ',';
		if (f->lquote)
			*p++ = f->lquote;
		for (uint32_t i = 0; i < col->count; i++) {
			if (i && f->sep)
				*p++ = f->sep;
			p = put_elem(p, et, v, i);
		}
		if (f->rquote)
			*p++ = f->rquote;
	}
	*p++ = '\n';
	return (size_t)(p - buf);
}

int csv_format_check(struct csv_format *f, const struct vg_set *set, struct vg_err *err)
{
	uint64_t gn = vg_set_meta_gn(set);
	if (set == f->checked && gn == f->checked_gn)
		return 0;
	int card = vg_set_card(set);
	for (size_t c = 0; c < f->ncols; c++) {
		const struct csv_col *col = &f->cols[c];
		if (col->idx >= card || vg_set_metric_type(set, col->idx) != col->type ||
		    vg_set_metric_count(set, col->idx) != col->count) {
			f->checked = NULL;
			return vg_errf(err, EINVAL,
				       "set '%s' does not have the layout this file was opened "
				       "with (metric %d): reopen the store for the new layout",
				       vg_set_instance(set), col->idx);
		}
	}
	f->checked = set;
	f->checked_gn = gn;
	return 0;
}

/* ------------------------------------------------------------------ header and kinds */

struct text {
	struct vg_strbuf sb;
	int rc;
};

static void put(struct text *t, const char *s)
{
	if (!t->rc)
		t->rc = vg_strbuf_puts(&t->sb, s);
}

/* A header name; with ietfcsv quoted, with inner quotes doubled. */
static void put_name(struct text *t, bool ietf, const char *name, long index,
		     const char *suffix)
{
	char num[24] = "";
	if (index >= 0)
		snprintf(num, sizeof(num), "%ld", index);
	put(t, ",");
	if (ietf)
		put(t, "\"");
	for (const char *c = name; *c && !t->rc; c++) {
		if (*c == '"' && ietf)
			put(t, "\"\"");
		else
			t->rc = vg_strbuf_append(&t->sb, c, 1);
	}
	put(t, num);
	put(t, suffix);
	if (ietf)
		put(t, "\"");
}

static void header_column(struct text *t, const struct csv_format *f, const char *name,
			  long index)
{
	if (f->userdata) {
		put_name(t, f->ietfcsv, name, index, ".userdata");
		put_name(t, f->ietfcsv, name, index, ".value");
	} else {
		put_name(t, f->ietfcsv, name, index, "");
	}
}

static int build_header(struct csv_format *f, const struct vg_set *set)
{
	struct text t = {{0}, 0};
	const char *q = f->ietfcsv ? "\"" : "";
	char first[96];
	snprintf(first, sizeof(first), "#%s%s%s,%sTime_usec%s,%sProducerName%s", q,
		 f->time_format == 1 ? "Time_msec" : "Time", q, q, q, q, q);
	put(&t, first);
	for (size_t c = 0; c < f->ncols; c++) {
		const struct csv_col *col = &f->cols[c];
		const char *name = vg_set_metric_name(set, col->idx);
		bool expand = vg_type_is_array(col->type) && col->type != VG_T_CHAR_ARRAY &&
			      f->expand;
		for (uint32_t i = 0; i < (expand ? col->count : 1); i++)
			header_column(&t, f, name, expand ? (long)i : -1);
	}
	put(&t, "\n");
	if (t.rc || t.sb.oom) {
		vg_strbuf_free(&t.sb);
		return -ENOMEM;
	}
	f->header = t.sb.buf;
	f->header_len = t.sb.len;
	return 0;
}

/*
 * typeheader=1: one scalar kind per column (arrays unrolled, char[] whole);
 * typeheader=2: arrays as <type>[]<len>.  With expand_array=false and
 * typeheader=1 an array is one column, so its kind is <type>[]<len> too.
 */
static int build_kind(struct csv_format *f, const struct vg_set *set, int typeheader)
{
	struct text t = {{0}, 0};
	char first[96];
	snprintf(first, sizeof(first), "#!ldms-%skinds%s!timestamp,u64,char[]%d",
		 typeheader == 2 ? "array-" : "", f->userdata ? "-udata" : "",
		 PRODUCER_KIND_LEN);
	put(&t, first);
	for (size_t c = 0; c < f->ncols; c++) {
		const struct csv_col *col = &f->cols[c];
		char kind[48];
		bool array = vg_type_is_array(col->type);
		bool unroll = typeheader == 1 && array && col->type != VG_T_CHAR_ARRAY && f->expand;
		if (unroll || !array || (typeheader == 1 && col->type == VG_T_CHAR_ARRAY))
			snprintf(kind, sizeof(kind), ",%s",
				 vg_type_name(unroll ? vg_type_elem(col->type) : col->type));
		else
			snprintf(kind, sizeof(kind), ",%s%" PRIu32, vg_type_name(col->type),
				 col->count);
		for (uint32_t i = 0; i < (unroll ? col->count : 1); i++) {
			if (f->userdata)
				put(&t, ",u64");
			put(&t, kind);
		}
	}
	put(&t, "\n");
	if (t.rc || t.sb.oom) {
		vg_strbuf_free(&t.sb);
		return -ENOMEM;
	}
	f->kind = t.sb.buf;
	f->kind_len = t.sb.len;
	return 0;
}

static size_t column_max(const struct csv_format *f, const struct csv_col *col)
{
	size_t ud = f->userdata ? UDATA_WIDTH : 0;
	size_t w = elem_width(vg_type_elem(col->type));
	if (col->type == VG_T_CHAR_ARRAY)
		return ud + 1 + 2 * (size_t)col->count + 2;
	if (!vg_type_is_array(col->type) || f->expand)
		return (size_t)col->count * (ud + 1 + w);
	return ud + 1 + 2 + (size_t)col->count * (w + 1);
}

int csv_format_init(struct csv_format *f, const struct vg_store_layout *layout,
		    const struct csv_opts *o, struct vg_err *err)
{
	*f = (struct csv_format){
		.userdata = o->userdata,
		.ietfcsv = o->ietfcsv,
		.expand = o->expand_array,
		.time_format = o->time_format,
		.sep = o->array_sep,
		.lquote = o->array_lquote,
		.rquote = o->array_rquote,
	};
	const struct vg_set *set = layout->set;
	f->cols = calloc(layout->nmetrics ? layout->nmetrics : 1, sizeof(*f->cols));
	if (!f->cols)
		return vg_errf(err, ENOMEM, "out of memory opening %s/%s", layout->container,
			       layout->schema);
	f->row_max = TIME_WIDTH + 1 + VG_PRODUCER_MAX + 1;
	int card = vg_set_card(set);
	for (size_t i = 0; i < layout->nmetrics; i++) {
		int idx = layout->metrics[i];
		if (idx < 0 || idx >= card) {
			csv_format_fini(f);
			return vg_errf(err, EINVAL,
				       "storage policy '%s' asks for metric %d of set '%s', which "
				       "has %d metrics",
				       layout->strgp ? layout->strgp : "?", idx,
				       vg_set_instance(set), card);
		}
		struct csv_col *col = &f->cols[f->ncols++];
		col->idx = idx;
		col->type = vg_set_metric_type(set, idx);
		col->count = vg_set_metric_count(set, idx);
		col->elem = vg_type_elem(col->type);
		col->array = vg_type_is_array(col->type);
		f->row_max += column_max(f, col);
	}
	if (build_header(f, set) < 0 || (o->typeheader && build_kind(f, set, o->typeheader) < 0)) {
		csv_format_fini(f);
		return vg_errf(err, ENOMEM, "out of memory building the header of %s/%s",
			       layout->container, layout->schema);
	}
	return 0;
}

void csv_format_fini(struct csv_format *f)
{
	free(f->cols);
	free(f->header);
	free(f->kind);
	*f = (struct csv_format){0};
}
