/*
 * json_read.h - a small strict JSON reader for replies from the network.
 *
 * jr_parse() checks the whole text against RFC 8259 (no trailing commas, no
 * comments, no raw control characters in strings, nesting at most
 * JR_MAX_DEPTH) and records every value as a token: its type and where its
 * text is.  Nothing is copied; strings are decoded only when asked, into the
 * caller's buffer.  Tokens are stored depth first, so a container's children
 * follow it and tok[i].next skips a whole subtree.  The token array is kept
 * between parses: a doc reused for every reply stops allocating once it has
 * seen the largest reply.
 *
 *     struct jr_doc d; jr_init(&d);
 *     if (jr_parse(&d, text, len) == 0) {
 *         int64_t rev;
 *         jr_i64(&d, jr_path(&d, 0, "header.revision"), &rev);
 *     }
 *     jr_free(&d);
 *
 * Lookups take a token index and return one; a missing member or a bad index
 * is -1, which every function accepts, so lookups chain without checks in
 * between.  Integers may be JSON numbers or strings of digits: protobuf's
 * JSON mapping writes 64-bit integers as strings ("revision":"5").
 */
#ifndef VIGIL_JSON_READ_H
#define VIGIL_JSON_READ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JR_MAX_DEPTH 32

enum jr_type { JR_NULL, JR_FALSE, JR_TRUE, JR_NUM, JR_STR, JR_ARR, JR_OBJ };

struct jr_tok {
	enum jr_type type;
	uint32_t start;   /* offset in the text; for strings, after the quote */
	uint32_t len;     /* bytes of text; for strings, between the quotes */
	uint32_t next;    /* index of the token after this value's subtree */
	uint32_t count;   /* members (objects) or elements (arrays) */
	bool escaped;     /* a string with at least one backslash */
};

struct jr_doc {
	const char *text;
	struct jr_tok *tok;
	size_t ntok, cap;
	size_t max_tok;   /* 0: no limit; else more tokens fail with -E2BIG */
	size_t error_at;  /* after -EINVAL: offset of the offending byte */
};

void jr_init(struct jr_doc *d);
void jr_free(struct jr_doc *d);

/*
 * Parse len bytes of text (which must stay valid while tokens are used):
 * 0, -EINVAL if it is not one JSON value surrounded by whitespace,
 * -E2BIG if nested deeper than JR_MAX_DEPTH, over 4 GiB or over d->max_tok
 * tokens (a reply of "[1,1,1,...]" would otherwise cost 10 times its size),
 * -ENOMEM.
 */
int jr_parse(struct jr_doc *d, const char *text, size_t len);

/* The type of token t, or -1 if t is not a token. */
int jr_type(const struct jr_doc *d, int t);
/* The member key of object obj, or -1. */
int jr_get(const struct jr_doc *d, int obj, const char *key);
/* Members along a dotted path ("header.revision"), or -1. */
int jr_path(const struct jr_doc *d, int obj, const char *path);
/* Element i of array arr, or -1. */
int jr_at(const struct jr_doc *d, int arr, size_t i);
/* Members or elements of container t; 0 if t is not a container. */
size_t jr_count(const struct jr_doc *d, int t);

/*
 * An integer: a JSON number without fraction or exponent, or a string of
 * one: 0, -ENOENT if t is -1 (a missing member), -EINVAL if it is not a
 * whole number, -ERANGE if it does not fit.
 */
int jr_i64(const struct jr_doc *d, int t, int64_t *out);

/*
 * Decode string t into out (cap bytes, NUL-terminated): its length,
 * -ENOENT if t is -1, -EINVAL if not a string, -ENOBUFS if cap is too small.
 * \u escapes become UTF-8; a lone surrogate becomes U+FFFD.
 */
long jr_str(const struct jr_doc *d, int t, char *out, size_t cap);
/* Bytes that jr_str() needs for t, NUL included (raw length + 1 suffices). */
size_t jr_str_cap(const struct jr_doc *d, int t);
/* True if t is a string equal to s. */
bool jr_str_eq(const struct jr_doc *d, int t, const char *s);

#endif /* VIGIL_JSON_READ_H */
