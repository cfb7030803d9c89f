/*
 * ovis.c - the "ovis" authentication plugin: both ends share a secret word
 * (LDMS's secret file format) and the client proves it knows it without
 * sending it.
 *
 * Credential (56 bytes):
 *   uid u32le | gid u32le | client nonce (16) |
 *   HMAC-SHA256(secret, "vigil-ovis-v1" | server nonce | uid | gid | client nonce)
 *
 * The server's fresh nonce binds the credential to one connection; the
 * client's nonce keeps the server from choosing the whole MAC input.  The
 * secret vouches for the peer, so the uid/gid it claims are taken as given
 * (LDMS's ovis makes every peer uid 0 instead).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "plugins/plugin.h"

#define ENV_FILE "LDMS_AUTH_FILE"
#define USER_FILE ".ldmsauth.conf"
#define KEYWORD "secretword="
#define DOMAIN_TAG "vigil-ovis-v1"
#define SECRET_MIN 3   /* what LDMS's ovis_auth accepts */
#define SECRET_MAX 255
#define CNONCE_LEN 16
#define MAC_LEN 32
#define NONCE_MAX 64
#define BLOB_LEN (8 + CNONCE_LEN + MAC_LEN)

struct ovis_ctx {
	char path[4096];           /* the secret file, for messages */
	unsigned char secret[SECRET_MAX];
	size_t secret_len;
};

static const char *const attrs[] = {"conf", NULL};

static const char *ovis_usage(void)
{
	return "auth_add name=<domain> plugin=ovis [conf=<secret file>]\n"
	       "    Shared secret, challenge-response (HMAC-SHA256); the secret never\n"
	       "    crosses the network.  The file holds a line secretword=<word> and\n"
	       "    must be mode 0600.  Default: $" ENV_FILE ", else ~/" USER_FILE ".\n";
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* ------------------------------------------------------------------ secret file */

/* conf=, else $LDMS_AUTH_FILE, else ~/.ldmsauth.conf ($HOME, else the password database). */
static int secret_path(const struct vg_kvlist *kv, char *path, size_t cap, struct vg_err *err)
{
	const char *given = vg_kv_get(kv, "conf");
	const char *from = "conf=";
	if (!given || !given[0]) {
		given = getenv(ENV_FILE);
		from = ENV_FILE;
	}
	if (given && given[0]) {
		if (vg_strlcpy(path, given, cap) >= cap)
			return vg_errf(err, ENAMETOOLONG, "secret file path of %s is too long", from);
		return 0;
	}
	char buf[4096];
	struct passwd pw, *res = NULL;
	const char *home = getenv("HOME");
	if ((!home || !home[0]) && getpwuid_r(getuid(), &pw, buf, sizeof(buf), &res) == 0 &&
	    res && res->pw_dir[0])
		home = res->pw_dir;
	if (home && !home[0])
		home = NULL;
	if (!home)
		return vg_errf(err, ENOENT, "no secret file: give conf=FILE or set " ENV_FILE
			       " (this user has no home directory for ~/" USER_FILE ")");
	if ((size_t)snprintf(path, cap, "%s/" USER_FILE, home) >= cap)
		return vg_errf(err, ENAMETOOLONG, "home directory path %s is too long", home);
	if (access(path, F_OK) != 0)
		return vg_errf(err, ENOENT, "no secret file: give conf=FILE, set " ENV_FILE
			       ", or create %s holding a line secretword=<word> (chmod 600 it)",
			       path);
	return 0;
}

/* The word of the first "secretword=" line; it ends at a blank or '#' (as LDMS). */
static int parse_secret(struct ovis_ctx *ctx, FILE *f, struct vg_err *err)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = -ENOENT;
	while ((n = getline(&line, &cap, f)) >= 0) {
		const char *s = line;
		s += strspn(s, " \t");
		if (*s == '#' || strncmp(s, KEYWORD, strlen(KEYWORD)) != 0)
			continue;
		s += strlen(KEYWORD);
		s += strspn(s, " \t");
		size_t len = strcspn(s, " \t#\r\n");
		if (len < SECRET_MIN || len > SECRET_MAX) {
			rc = vg_errf(err, EINVAL,
				     "the secret word in %s has %zu characters: give %d to %d",
				     ctx->path, len, SECRET_MIN, SECRET_MAX);
		} else {
			memcpy(ctx->secret, s, len);
			ctx->secret_len = len;
			rc = 0;
		}
		break;
	}
	if (ferror(f))
		rc = vg_errf(err, EIO, "cannot read secret file %s: %s", ctx->path, strerror(errno));
	else if (rc == -ENOENT)
		rc = vg_errf(err, ENOENT, "secret file %s has no line secretword=<word>", ctx->path);
	if (line)
		OPENSSL_cleanse(line, cap);
	free(line);
	return rc;
}

static int load_secret(struct ovis_ctx *ctx, struct vg_err *err)
{
	int fd = open(ctx->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0) {
		int e = errno;
		return vg_errf(err, e, "cannot open secret file %s: %s%s", ctx->path, strerror(e),
			       e == ENOENT ? " (create it with a line secretword=<word>, mode 0600)"
					   : "");
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return vg_errf(err, EINVAL, "secret file %s is not a regular file", ctx->path);
	}
	/* checked on the open file, so a chmod between check and read cannot slip by */
	if (st.st_mode & 077) {
		close(fd);
		return vg_errf(err, EACCES,
			       "secret file %s is accessible by group or others (mode %04o): "
			       "run chmod 600 %s",
			       ctx->path, (unsigned)(st.st_mode & 07777), ctx->path);
	}
	FILE *f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return vg_errf(err, errno, "cannot read secret file %s: %s", ctx->path,
			       strerror(errno));
	}
	setvbuf(f, NULL, _IONBF, 0); /* no stdio copy of the secret left behind */
	int rc = parse_secret(ctx, f, err);
	fclose(f);
	return rc;
}

static int ovis_config(struct vg_plugin *p, const struct vg_kvlist *kv, struct vg_err *err)
{
	struct ovis_ctx *next = calloc(1, sizeof(*next));
	if (!next)
		return vg_errf(err, ENOMEM, "out of memory configuring auth ovis");
	int rc = secret_path(kv, next->path, sizeof(next->path), err);
	if (rc == 0)
		rc = load_secret(next, err);
	if (rc) {
		OPENSSL_cleanse(next, sizeof(*next));
		free(next);
		return rc;
	}
	struct ovis_ctx *old = vg_plugin_ctx(p);
	if (old) {
		OPENSSL_cleanse(old, sizeof(*old));
		free(old);
	}
	vg_plugin_ctx_set(p, next);
	return 0;
}

static void ovis_term(struct vg_plugin *p)
{
	struct ovis_ctx *ctx = vg_plugin_ctx(p);
	if (ctx)
		OPENSSL_cleanse(ctx, sizeof(*ctx));
	free(ctx);
	vg_plugin_ctx_set(p, NULL);
}

/* ------------------------------------------------------------------ exchange */

static int compute_mac(const struct ovis_ctx *ctx, const uint8_t *nonce, size_t nonce_len,
		       const uint8_t head[8 + CNONCE_LEN], uint8_t mac[MAC_LEN],
		       struct vg_err *err)
{
	uint8_t msg[sizeof(DOMAIN_TAG) - 1 + NONCE_MAX + 8 + CNONCE_LEN];
	size_t off = 0;
	memcpy(msg, DOMAIN_TAG, sizeof(DOMAIN_TAG) - 1);
	off += sizeof(DOMAIN_TAG) - 1;
	memcpy(msg + off, nonce, nonce_len);
	off += nonce_len;
	memcpy(msg + off, head, 8 + CNONCE_LEN);
	off += 8 + CNONCE_LEN;
	unsigned int len = 0;
	if (!HMAC(EVP_sha256(), ctx->secret, (int)ctx->secret_len, msg, off, mac, &len) ||
	    len != MAC_LEN)
		return vg_errf(err, EIO, "HMAC-SHA256 failed in OpenSSL's libcrypto");
	return 0;
}

static int check_ready(const struct ovis_ctx *ctx, size_t nonce_len, struct vg_err *err)
{
	if (!ctx)
		return vg_errf(err, EINVAL, "auth ovis is not configured: no secret word loaded");
	if (nonce_len == 0 || nonce_len > NONCE_MAX)
		return vg_errf(err, EPROTO, "challenge nonce of %zu bytes (expected 1 to %d)",
			       nonce_len, NONCE_MAX);
	return 0;
}

static int ovis_respond(struct vg_plugin *p, const uint8_t *nonce, size_t nonce_len,
			uint8_t *out, size_t out_cap, size_t *out_len, struct vg_err *err)
{
	const struct ovis_ctx *ctx = vg_plugin_ctx(p);
	int rc = check_ready(ctx, nonce_len, err);
	if (rc)
		return rc;
	if (out_cap < BLOB_LEN)
		return vg_errf(err, EOVERFLOW, "no room for an 'ovis' credential (%zu bytes)",
			       out_cap);
	put_le32(out, (uint32_t)getuid());
	put_le32(out + 4, (uint32_t)getgid());
	if (RAND_bytes(out + 8, CNONCE_LEN) != 1)
		return vg_errf(err, EIO, "OpenSSL's random generator failed making a nonce");
	rc = compute_mac(ctx, nonce, nonce_len, out, out + 8 + CNONCE_LEN, err);
	if (rc)
		return rc;
	*out_len = BLOB_LEN;
	return 0;
}

static int ovis_verify(struct vg_plugin *p, const uint8_t *nonce, size_t nonce_len,
		       const uint8_t *blob, size_t blob_len, uint32_t *uid, uint32_t *gid,
		       struct vg_err *err)
{
	const struct ovis_ctx *ctx = vg_plugin_ctx(p);
	int rc = check_ready(ctx, nonce_len, err);
	if (rc)
		return rc;
	if (!blob || blob_len != BLOB_LEN)
		return vg_errf(err, EPROTO, "malformed 'ovis' credential: %zu bytes, expected %d",
			       blob_len, BLOB_LEN);
	uint8_t mac[MAC_LEN];
	rc = compute_mac(ctx, nonce, nonce_len, blob, mac, err);
	if (rc)
		return rc;
	if (CRYPTO_memcmp(mac, blob + 8 + CNONCE_LEN, MAC_LEN) != 0)
		return vg_errf(err, EACCES,
			       "wrong shared secret: the peer's secret word is not the one in %s "
			       "(or its credential was made for another connection)",
			       ctx->path);
	*uid = get_le32(blob);
	*gid = get_le32(blob + 4);
	return 0;
}

const struct vg_plugin_ops vigil_plugin = {
	.api_version = VG_PLUGIN_API_VERSION,
	.size = sizeof(struct vg_plugin_ops),
	.name = "ovis",
	.type = VG_PLUGIN_AUTH,
	.summary = "shared secret word, challenge-response with HMAC-SHA256",
	.usage = ovis_usage,
	.config = ovis_config,
	.term = ovis_term,
	.attrs = attrs,
	.auth_respond = ovis_respond,
	.auth_verify = ovis_verify,
};
