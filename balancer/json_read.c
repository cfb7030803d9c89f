/*
 * json_read.c - a strict JSON reader that records tokens, copies nothing.
 *
 * Recursive descent bounded by JR_MAX_DEPTH, so hostile nesting cannot
 * exhaust the stack; every read checks the position against the length, so
 * the text need not be NUL-terminated.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "balancer/json_read.h"

struct parser {
	struct jr_doc *d;
	const char *s;
	size_t len, pos;
};

void jr_init(struct jr_doc *d)
{
	memset(d, 0, sizeof(*d));
}

void jr_free(struct jr_doc *d)
{
	free(d->tok);
	memset(d, 0, sizeof(*d));
}

static int fail(struct parser *p)
{
	p->d->error_at = p->pos;
	return -EINVAL;
}

static int add_tok(struct parser *p, enum jr_type type)
{
	struct jr_doc *d = p->d;
	if (d->max_tok && d->ntok >= d->max_tok)
		return -E2BIG;
	if (d->ntok == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct jr_tok *t = realloc(d->tok, cap * sizeof(*t));
		if (!t)
			return -ENOMEM;
		d->tok = t;
		d->cap = cap;
	}
	struct jr_tok *t = &d->tok[d->ntok];
	memset(t, 0, sizeof(*t));
	t->type = type;
	t->start = (uint32_t)p->pos;
	t->next = (uint32_t)d->ntok + 1;
	return (int)d->ntok++;
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len) {
		char c = p->s[p->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

static bool at(const struct parser *p, char c)
{
	return p->pos < p->len && p->s[p->pos] == c;
}

static bool is_digit(const struct parser *p)
{
	return p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int parse_string(struct parser *p)
{
	p->pos++;  /* the opening quote */
	int i = add_tok(p, JR_STR);
	if (i < 0)
		return i;
	bool escaped = false;
	for (;;) {
		if (p->pos >= p->len)
			return fail(p);
		unsigned char c = (unsigned char)p->s[p->pos];
		if (c == '"')
			break;
		if (c < 0x20)
			return fail(p);
		if (c == '\\') {
			escaped = true;
			if (++p->pos >= p->len)
				return fail(p);
			c = (unsigned char)p->s[p->pos];
			if (c == 'u') {
				for (int k = 0; k < 4; k++) {
					if (++p->pos >= p->len || hex_value(p->s[p->pos]) < 0)
						return fail(p);
				}
			} else if (!strchr("\"\\/bfnrt", c) || c == '\0') {
				return fail(p);
			}
		}
		p->pos++;
	}
	struct jr_tok *t = &p->d->tok[i];
	t->len = (uint32_t)(p->pos - t->start);
	t->escaped = escaped;
	p->pos++;  /* the closing quote */
	return 0;
}

static int parse_number(struct parser *p)
{
	int i = add_tok(p, JR_NUM);
	if (i < 0)
		return i;
	if (at(p, '-'))
		p->pos++;
	if (at(p, '0')) {
		p->pos++;
	} else if (is_digit(p)) {
		while (is_digit(p))
			p->pos++;
	} else {
		return fail(p);
	}
	if (at(p, '.')) {
		p->pos++;
		if (!is_digit(p))
			return fail(p);
		while (is_digit(p))
			p->pos++;
	}
	if (at(p, 'e') || at(p, 'E')) {
		p->pos++;
		if (at(p, '+') || at(p, '-'))
			p->pos++;
		if (!is_digit(p))
			return fail(p);
		while (is_digit(p))
			p->pos++;
	}
	struct jr_tok *t = &p->d->tok[i];
	t->len = (uint32_t)(p->pos - t->start);
	return 0;
}

static int parse_literal(struct parser *p, const char *word, enum jr_type type)
{
	size_t n = strlen(word);
	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return fail(p);
	int i = add_tok(p, type);
	if (i < 0)
		return i;
	p->d->tok[i].len = (uint32_t)n;
	p->pos += n;
	return 0;
}

static int parse_value(struct parser *p, int depth);

/* An object or array: members (key token, value token) or elements. */
static int parse_container(struct parser *p, int depth, bool object)
{
	if (depth >= JR_MAX_DEPTH)
		return -E2BIG;
	int i = add_tok(p, object ? JR_OBJ : JR_ARR);
	if (i < 0)
		return i;
	char close = object ? '}' : ']';
	uint32_t count = 0;
	p->pos++;
	skip_ws(p);
	if (at(p, close)) {
		p->pos++;
	} else {
		for (;;) {
			int rc;
			if (object) {
				skip_ws(p);
				if (!at(p, '"'))
					return fail(p);
				if ((rc = parse_string(p)) < 0)
					return rc;
				skip_ws(p);
				if (!at(p, ':'))
					return fail(p);
				p->pos++;
			}
			if ((rc = parse_value(p, depth + 1)) < 0)
				return rc;
			count++;
			skip_ws(p);
			if (at(p, ',')) {
				p->pos++;
				continue;
			}
			if (!at(p, close))
				return fail(p);
			p->pos++;
			break;
		}
	}
	struct jr_tok *t = &p->d->tok[i];
	t->count = count;
	t->len = (uint32_t)(p->pos - t->start);
	t->next = (uint32_t)p->d->ntok;
	return 0;
}

static int parse_value(struct parser *p, int depth)
{
	skip_ws(p);
	if (p->pos >= p->len)
		return fail(p);
	switch (p->s[p->pos]) {
	case '{':
		return parse_container(p, depth, true);
	case '[':
		return parse_container(p, depth, false);
	case '"':
		return parse_string(p);
	case 't':
		return parse_literal(p, "true", JR_TRUE);
	case 'f':
		return parse_literal(p, "false", JR_FALSE);
	case 'n':
		return parse_literal(p, "null", JR_NULL);
	default:
		return parse_number(p);
	}
}

int jr_parse(struct jr_doc *d, const char *text, size_t len)
{
	d->text = text;
	d->ntok = 0;
	d->error_at = 0;
	if (len >= UINT32_MAX)
		return -E2BIG;
	struct parser p = {.d = d, .s = text, .len = len};
	int rc = parse_value(&p, 0);
	if (rc == 0) {
		skip_ws(&p);
		if (p.pos != len)
			rc = fail(&p);
	}
	if (rc < 0)
		d->ntok = 0;
	return rc;
}

/* ------------------------------------------------------------------ lookups */

static bool valid(const struct jr_doc *d, int t)
{
	return t >= 0 && (size_t)t < d->ntok;
}

int jr_type(const struct jr_doc *d, int t)
{
	return valid(d, t) ? (int)d->tok[t].type : -1;
}

size_t jr_count(const struct jr_doc *d, int t)
{
	if (!valid(d, t) || (d->tok[t].type != JR_OBJ && d->tok[t].type != JR_ARR))
		return 0;
	return d->tok[t].count;
}

int jr_get(const struct jr_doc *d, int obj, const char *key)
{
	if (jr_type(d, obj) != JR_OBJ)
		return -1;
	int k = obj + 1;
	for (uint32_t m = 0; m < d->tok[obj].count; m++) {
		int v = k + 1;
		if (jr_str_eq(d, k, key))
			return v;
		k = (int)d->tok[v].next;
	}
	return -1;
}

int jr_path(const struct jr_doc *d, int obj, const char *path)
{
	char name[128];
	while (obj >= 0 && *path) {
		size_t n = strcspn(path, ".");
		if (n >= sizeof(name))
			return -1;
		memcpy(name, path, n);
		name[n] = '\0';
		obj = jr_get(d, obj, name);
		path += n;
		if (*path == '.')
			path++;
	}
	return obj;
}

int jr_at(const struct jr_doc *d, int arr, size_t i)
{
	if (jr_type(d, arr) != JR_ARR || i >= d->tok[arr].count)
		return -1;
	int e = arr + 1;
	while (i--)
		e = (int)d->tok[e].next;
	return e;
}

int jr_i64(const struct jr_doc *d, int t, int64_t *out)
{
	if (t == -1)
		return -ENOENT;
	int type = jr_type(d, t);
	if (type != JR_NUM && (type != JR_STR || d->tok[t].escaped))
		return -EINVAL;
	const char *s = d->text + d->tok[t].start;
	size_t n = d->tok[t].len, i = 0;
	bool neg = n > 0 && s[0] == '-';
	if (neg)
		i++;
	if (i == n)
		return -EINVAL;
	uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -EINVAL;
		unsigned digit = (unsigned)(s[i] - '0');
		if (v > (limit - digit) / 10)
			return -ERANGE;
		v = v * 10 + digit;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

size_t jr_str_cap(const struct jr_doc *d, int t)
{
	return jr_type(d, t) == JR_STR ? (size_t)d->tok[t].len + 1 : 1;
}

static unsigned hex4(const char *s)
{
	unsigned v = 0;
	for (int k = 0; k < 4; k++)
		v = v << 4 | (unsigned)hex_value(s[k]);
	return v;
}

/* Encode code point cp as UTF-8 into o (4 bytes of room): the length. */
static size_t put_utf8(unsigned cp, char *o)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | cp >> 12);
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | cp >> 18);
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

long jr_str(const struct jr_doc *d, int t, char *out, size_t cap)
{
	if (t == -1)
		return -ENOENT;
	if (jr_type(d, t) != JR_STR)
		return -EINVAL;
	const char *s = d->text + d->tok[t].start;
	size_t n = d->tok[t].len, w = 0;
	/* the parser checked every escape, so reads below stay inside the token */
	for (size_t i = 0; i < n;) {
		char utf[4];
		size_t len = 1;
		if (s[i] != '\\') {
			utf[0] = s[i++];
		} else if (s[i + 1] != 'u') {
			static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
			utf[0] = to[strchr(from, s[i + 1]) - from];
			i += 2;
		} else {
			unsigned cp = hex4(s + i + 2);
			i += 6;
			if (cp >= 0xd800 && cp < 0xdc00 && i + 6 <= n && s[i] == '\\' &&
			    s[i + 1] == 'u' && hex4(s + i + 2) >= 0xdc00 && hex4(s + i + 2) < 0xe000) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (hex4(s + i + 2) - 0xdc00);
				i += 6;
			} else if (cp >= 0xd800 && cp < 0xe000) {
				cp = 0xfffd;
			}
			len = put_utf8(cp, utf);
		}
		if (w + len >= cap)
			return -ENOBUFS;
		memcpy(out + w, utf, len);
		w += len;
	}
	if (w >= cap)
		return -ENOBUFS;
	out[w] = '\0';
	return (long)w;
}

bool jr_str_eq(const struct jr_doc *d, int t, const char *s)
{
	if (jr_type(d, t) != JR_STR)
		return false;
	size_t n = strlen(s);
	if (!d->tok[t].escaped)
		return d->tok[t].len == n && memcmp(d->text + d->tok[t].start, s, n) == 0;
	char buf[256];
	long len = jr_str(d, t, buf, sizeof(buf));
	return len >= 0 && (size_t)len == n && memcmp(buf, s, n) == 0;
}
