/*
 * json_check.c - a strict JSON parser for the tests of JSON replies: a
 * recursive descent over RFC 8259 that refuses trailing commas, bad escapes,
 * raw control characters in strings, unbalanced brackets, leading zeros,
 * duplicate keys and anything after the value.  It builds a small tree so
 * that tests can check keys and values.
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/CUnit.h>

#include "core/util.h"
#include "tests/unit/json_check.h"

struct jp {
	const char *p;
	int depth;
};

#define JP_MAX_DEPTH 64

static void jfree_in(struct jv *v)
{
	for (size_t i = 0; i < v->n; i++) {
		jfree_in(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
}

void jfree(struct jv *v)
{
	if (v) {
		jfree_in(v);
		free(v);
	}
}

static void ws(struct jp *jp)
{
	while (*jp->p == ' ' || *jp->p == '\t' || *jp->p == '\n' || *jp->p == '\r')
		jp->p++;
}

static bool lit(struct jp *jp, const char *word)
{
	size_t n = strlen(word);
	if (strncmp(jp->p, word, n) != 0)
		return false;
	jp->p += n;
	return true;
}

static bool digits(struct jp *jp)
{
	const char *s = jp->p;
	while (*jp->p >= '0' && *jp->p <= '9')
		jp->p++;
	return jp->p > s;
}

static bool parse_number(struct jp *jp, struct jv *v)
{
	const char *s = jp->p;
	if (*jp->p == '-')
		jp->p++;
	if (*jp->p == '0')
		jp->p++;
	else if (*jp->p < '1' || *jp->p > '9' || !digits(jp))
		return false;
	if (*jp->p == '.') {
		jp->p++;
		if (!digits(jp))
			return false;
	}
	if (*jp->p == 'e' || *jp->p == 'E') {
		jp->p++;
		if (*jp->p == '+' || *jp->p == '-')
			jp->p++;
		if (!digits(jp))
			return false;
	}
	v->t = J_NUM;
	v->num = strtod(s, NULL);
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void put_utf8(struct vg_strbuf *sb, unsigned cp)
{
	char b[4];
	size_t n;
	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else {
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	}
	vg_strbuf_append(sb, b, n);
}

/* A string; decoded into *out (malloc'd). \u0000 is refused: C strings cannot hold it. */
static bool parse_string(struct jp *jp, char **out)
{
	if (*jp->p != '"')
		return false;
	jp->p++;
	struct vg_strbuf sb;
	vg_strbuf_init(&sb);
	for (;;) {
		unsigned char c = (unsigned char)*jp->p;
		if (c == '"')
			break;
		if (c < 0x20) /* raw control characters and the end of the text */
			goto bad;
		jp->p++;
		if (c != '\\') {
			vg_strbuf_append(&sb, (const char *)&c, 1);
			continue;
		}
		char e = *jp->p++;
		switch (e) {
		case '"': vg_strbuf_puts(&sb, "\""); break;
		case '\\': vg_strbuf_puts(&sb, "\\"); break;
		case '/': vg_strbuf_puts(&sb, "/"); break;
		case 'b': vg_strbuf_puts(&sb, "\b"); break;
		case 'f': vg_strbuf_puts(&sb, "\f"); break;
		case 'n': vg_strbuf_puts(&sb, "\n"); break;
		case 'r': vg_strbuf_puts(&sb, "\r"); break;
		case 't': vg_strbuf_puts(&sb, "\t"); break;
		case 'u': {
			unsigned cp = 0;
			for (int i = 0; i < 4; i++) {
				int h = hexval(jp->p[i]);
				if (h < 0)
					goto bad;
				cp = cp * 16 + (unsigned)h;
			}
			jp->p += 4;
			if (cp == 0)
				goto bad;
			put_utf8(&sb, cp);
			break;
		}
		default:
			goto bad;
		}
	}
	jp->p++;
	*out = strdup(vg_strbuf_str(&sb));
	vg_strbuf_free(&sb);
	return *out != NULL;
bad:
	vg_strbuf_free(&sb);
	return false;
}

static bool parse_value(struct jp *jp, struct jv *v);

static struct jv *push_item(struct jv *v)
{
	v->items = realloc(v->items, (v->n + 1) * sizeof(*v->items));
	if (v->t == J_OBJ)
		v->keys = realloc(v->keys, (v->n + 1) * sizeof(*v->keys));
	memset(&v->items[v->n], 0, sizeof(*v->items));
	if (v->keys)
		v->keys[v->n] = NULL;
	return &v->items[v->n++];
}

static bool parse_container(struct jp *jp, struct jv *v, char close)
{
	v->t = close == ']' ? J_ARR : J_OBJ;
	jp->p++;
	if (++jp->depth > JP_MAX_DEPTH)
		return false;
	ws(jp);
	if (*jp->p == close) {
		jp->p++;
		jp->depth--;
		return true;
	}
	for (;;) {
		char *key = NULL;
		if (v->t == J_OBJ) {
			if (!parse_string(jp, &key))
				return false;
			for (size_t i = 0; i < v->n; i++)
				if (strcmp(v->keys[i], key) == 0) {
					free(key);
					return false; /* a duplicate key */
				}
			ws(jp);
			if (*jp->p != ':') {
				free(key);
				return false;
			}
			jp->p++;
			ws(jp);
		}
		struct jv *item = push_item(v);
		if (key)
			v->keys[v->n - 1] = key;
		if (!parse_value(jp, item))
			return false;
		ws(jp);
		if (*jp->p == ',') {
			jp->p++;
			ws(jp);
			continue;
		}
		if (*jp->p != close)
			return false;
		jp->p++;
		jp->depth--;
		return true;
	}
}

static bool parse_value(struct jp *jp, struct jv *v)
{
	switch (*jp->p) {
	case '{': return parse_container(jp, v, '}');
	case '[': return parse_container(jp, v, ']');
	case '"': v->t = J_STR; return parse_string(jp, &v->str);
	case 't': v->t = J_BOOL; v->b = true; return lit(jp, "true");
	case 'f': v->t = J_BOOL; v->b = false; return lit(jp, "false");
	case 'n': v->t = J_NULL; return lit(jp, "null");
	default: return parse_number(jp, v);
	}
}

/* The whole text is one value (surrounded by whitespace only), or NULL. */
struct jv *jparse(const char *text)
{
	struct jp jp = {text, 0};
	struct jv *v = calloc(1, sizeof(*v));
	ws(&jp);
	bool ok = parse_value(&jp, v);
	ws(&jp);
	if (!ok || *jp.p) {
		jfree(v);
		return NULL;
	}
	return v;
}

const struct jv *jget(const struct jv *o, const char *key)
{
	if (!o || o->t != J_OBJ)
		return NULL;
	for (size_t i = 0; i < o->n; i++)
		if (strcmp(o->keys[i], key) == 0)
			return &o->items[i];
	return NULL;
}

const struct jv *jat(const struct jv *a, size_t i)
{
	return a && a->t == J_ARR && i < a->n ? &a->items[i] : NULL;
}

size_t jlen(const struct jv *a)
{
	return a && (a->t == J_ARR || a->t == J_OBJ) ? a->n : (size_t)-1;
}

/* A string member, or "<missing>" (so that string asserts report instead of crashing). */
const char *jstr(const struct jv *o, const char *key)
{
	const struct jv *v = jget(o, key);
	return v && v->t == J_STR ? v->str : "<missing>";
}

double jnum(const struct jv *o, const char *key)
{
	const struct jv *v = jget(o, key);
	return v && v->t == J_NUM ? v->num : NAN;
}

bool jis(const struct jv *o, const char *key, enum jt t)
{
	const struct jv *v = jget(o, key);
	return v && v->t == t;
}

/* An integer member (no fraction), as counts are documented. */
bool jint(const struct jv *o, const char *key)
{
	const struct jv *v = jget(o, key);
	return v && v->t == J_NUM && v->num == floor(v->num);
}

/* Every key present. */
void jkeys(const struct jv *o, const char *const *keys)
{
	for (; *keys; keys++) {
		if (!jget(o, *keys))
			fprintf(stderr, "missing key '%s'\n", *keys);
		CU_ASSERT_PTR_NOT_NULL(jget(o, *keys));
	}
}
