/*
 * json.c - the JSON writer of status replies.
 */
#include "config.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "daemon/json.h"

void json_init(struct json *j, struct vg_strbuf *out)
{
	j->out = out;
	j->depth = 0;
	j->need_comma[0] = false;
	j->after_key = false;
}

/* Before any value or key: a comma if a sibling came before. */
static void sep(struct json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->need_comma[j->depth])
		vg_strbuf_puts(j->out, ",");
	j->need_comma[j->depth] = true;
}

static void open_(struct json *j, const char *c)
{
	sep(j);
	vg_strbuf_puts(j->out, c);
	if (j->depth < JSON_MAX_DEPTH - 1)
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void close_(struct json *j, const char *c)
{
	if (j->depth > 0)
		j->depth--;
	vg_strbuf_puts(j->out, c);
}

void json_obj_begin(struct json *j)
{
	open_(j, "{");
}

void json_obj_end(struct json *j)
{
	close_(j, "}");
}

void json_arr_begin(struct json *j)
{
	open_(j, "[");
}

void json_arr_end(struct json *j)
{
	close_(j, "]");
}

static void put_string(struct vg_strbuf *out, const char *s)
{
	vg_strbuf_puts(out, "\"");
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"': vg_strbuf_puts(out, "\\\""); break;
		case '\\': vg_strbuf_puts(out, "\\\\"); break;
		case '\n': vg_strbuf_puts(out, "\\n"); break;
		case '\r': vg_strbuf_puts(out, "\\r"); break;
		case '\t': vg_strbuf_puts(out, "\\t"); break;
		default:
			if (*p < 0x20)
				vg_strbuf_printf(out, "\\u%04x", *p);
			else
				vg_strbuf_printf(out, "%c", *p);
		}
	}
	vg_strbuf_puts(out, "\"");
}

void json_key(struct json *j, const char *key)
{
	sep(j);
	put_string(j->out, key);
	vg_strbuf_puts(j->out, ":");
	j->after_key = true;
}

void json_str(struct json *j, const char *s)
{
	sep(j);
	if (s)
		put_string(j->out, s);
	else
		vg_strbuf_puts(j->out, "null");
}

void json_u64(struct json *j, uint64_t v)
{
	sep(j);
	vg_strbuf_printf(j->out, "%" PRIu64, v);
}

void json_i64(struct json *j, int64_t v)
{
	sep(j);
	vg_strbuf_printf(j->out, "%" PRId64, v);
}

void json_dbl(struct json *j, double v)
{
	sep(j);
	if (!isfinite(v)) {
		vg_strbuf_puts(j->out, "null");
		return;
	}
	/* the shortest of these that reads back as the same double: 3.606, not 3.6059999999999999 */
	char buf[32];
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	vg_strbuf_puts(j->out, buf);
}

void json_bool(struct json *j, bool v)
{
	sep(j);
	vg_strbuf_puts(j->out, v ? "true" : "false");
}

void json_null(struct json *j)
{
	sep(j);
	vg_strbuf_puts(j->out, "null");
}

void json_key_str(struct json *j, const char *key, const char *s)
{
	json_key(j, key);
	json_str(j, s);
}

void json_key_u64(struct json *j, const char *key, uint64_t v)
{
	json_key(j, key);
	json_u64(j, v);
}

void json_key_i64(struct json *j, const char *key, int64_t v)
{
	json_key(j, key);
	json_i64(j, v);
}

void json_key_dbl(struct json *j, const char *key, double v)
{
	json_key(j, key);
	json_dbl(j, v);
}

void json_key_bool(struct json *j, const char *key, bool v)
{
	json_key(j, key);
	json_bool(j, v);
}
