/*
 * base64.h - RFC 4648 base64, as etcd's JSON gateway carries keys and values.
 *
 * The encoder writes the standard alphabet with padding.  The decoder takes
 * the standard or the URL-safe alphabet, with or without padding (protobuf's
 * JSON mapping accepts both), and rejects anything else: a stray character,
 * padding in the middle, a final group of one character, or non-zero bits
 * left over in the last character.
 */
#ifndef VIGIL_BASE64_H
#define VIGIL_BASE64_H

#include <stddef.h>

#include "core/util.h"

/* Encoded length of n bytes (with padding), without a terminating NUL. */
#define B64_ENCODED_LEN(n) ((((n) + 2) / 3) * 4)
/* Upper bound of the decoded length of n characters. */
#define B64_DECODED_MAX(n) (((n) + 3) / 4 * 3)

/* Append the encoding of data to sb: 0 or -ENOMEM. */
int b64_append(struct vg_strbuf *sb, const void *data, size_t len);

/*
 * Decode n characters of in into out (room for cap bytes): the decoded
 * length, -EINVAL if in is not base64, -ENOBUFS if it does not fit.
 * in and out may be the same buffer (decoding never writes ahead of reading).
 */
long b64_decode(const char *in, size_t n, void *out, size_t cap);

#endif /* VIGIL_BASE64_H */
