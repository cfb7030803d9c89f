/*
 * json.h - a small JSON writer for status replies (ldmsctl --json).
 *
 * It appends to a vg_strbuf and places the commas itself, so status code
 * reads as a list of fields:
 *
 *     json_obj_begin(&j);
 *     json_key_str(&j, "name", p->name);
 *     json_key_u64(&j, "port", p->port);
 *     json_key(&j, "sets"); json_arr_begin(&j); ... json_arr_end(&j);
 *     json_obj_end(&j);
 *
 * Strings are escaped as RFC 8259 requires (quotes, backslash, control
 * characters); bytes >= 0x80 are passed through, so UTF-8 stays UTF-8.
 * Doubles are written in the shortest form that reads back as the same
 * value (3.606, not 3.6059999999999999); non-finite ones as null.
 */
#ifndef VIGIL_JSON_H
#define VIGIL_JSON_H

#include <stdbool.h>
#include <stdint.h>

#include "core/util.h"

#define JSON_MAX_DEPTH 16

struct json {
	struct vg_strbuf *out;
	int depth;
	bool need_comma[JSON_MAX_DEPTH];
	bool after_key;
};

void json_init(struct json *j, struct vg_strbuf *out);

void json_obj_begin(struct json *j);
void json_obj_end(struct json *j);
void json_arr_begin(struct json *j);
void json_arr_end(struct json *j);

/* Values, as array elements or after json_key(). */
void json_key(struct json *j, const char *key);
void json_str(struct json *j, const char *s); /* NULL: null */
void json_u64(struct json *j, uint64_t v);
void json_i64(struct json *j, int64_t v);
void json_dbl(struct json *j, double v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);

/* key + value in one call. */
void json_key_str(struct json *j, const char *key, const char *s);
void json_key_u64(struct json *j, const char *key, uint64_t v);
void json_key_i64(struct json *j, const char *key, int64_t v);
void json_key_dbl(struct json *j, const char *key, double v);
void json_key_bool(struct json *j, const char *key, bool v);

#endif /* VIGIL_JSON_H */
