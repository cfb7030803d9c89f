/*
 * base64.c - RFC 4648 base64 encoder and a strict decoder.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>

#include "balancer/base64.h"

static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

int b64_append(struct vg_strbuf *sb, const void *data, size_t len)
{
	const uint8_t *in = data;
	char chunk[256];  /* a multiple of 4: whole groups per append */
	size_t fill = 0;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		size_t left = len - i;
		if (left > 1)
			v |= (uint32_t)in[i + 1] << 8;
		if (left > 2)
			v |= in[i + 2];
		chunk[fill++] = alphabet[(v >> 18) & 63];
		chunk[fill++] = alphabet[(v >> 12) & 63];
		chunk[fill++] = left > 1 ? alphabet[(v >> 6) & 63] : '=';
		chunk[fill++] = left > 2 ? alphabet[v & 63] : '=';
		if (fill == sizeof(chunk)) {
			if (vg_strbuf_append(sb, chunk, fill) < 0)
				return -ENOMEM;
			fill = 0;
		}
	}
	if (fill && vg_strbuf_append(sb, chunk, fill) < 0)
		return -ENOMEM;
	return 0;
}

/* The 6-bit value of c, or -1. */
static int sextet(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

long b64_decode(const char *in, size_t n, void *out, size_t cap)
{
	/* padding only at the end, and only to complete a group of 4 */
	size_t pad = 0;
	while (n > 0 && in[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	if (pad && (n + pad) % 4 != 0)
		return -EINVAL;
	if (n % 4 == 1)
		return -EINVAL;
	size_t need = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
	if (need > cap)
		return -ENOBUFS;
	uint8_t *o = out;
	size_t w = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		int s = sextet((unsigned char)in[i]);
		if (s < 0)
			return -EINVAL;
		acc = (acc << 6) | (uint32_t)s;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			o[w++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0)  /* non-canonical: the leftover bits must be zero */
		return -EINVAL;
	return (long)w;
}
