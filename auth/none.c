/*
 * none.c - the "none" authentication plugin: every peer is accepted as the
 * uid/gid it claims, as in LDMS (whose none grants everyone the daemon's own
 * ids, and whose naive plugin lets the client pick them with uid=/gid=).
 * For tests and closed networks only: the ids are not checked.
 *
 * Credential: uid, gid as little-endian u32, exactly 8 bytes.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "plugins/plugin.h"

#define NONE_BLOB_LEN 8

struct none_ctx {
	uint32_t uid;
	uint32_t gid;
};

static const char *const attrs[] = {"uid", "gid", NULL};

static const char *none_usage(void)
{
	return "auth_add name=<domain> plugin=none [uid=<user>] [gid=<group>]\n"
	       "    No authentication: the peer is whoever it says it is.  A client\n"
	       "    claims its own uid/gid, or uid=/gid= (a number or a name).\n";
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

/* A number or a user/group name of this host. */
static int parse_id(const char *value, bool group, uint32_t *out, struct vg_err *err)
{
	const char *attr = group ? "gid" : "uid";
	if (isdigit((unsigned char)value[0])) {
		uint64_t v;
		if (vg_parse_u64(value, 10, &v) || v >= UINT32_MAX)
			return vg_errf(err, EINVAL, "%s=%s is not a valid %s id: give a number or a name",
				       attr, value, group ? "group" : "user");
		*out = (uint32_t)v;
		return 0;
	}
	int rc = vg_name_to_id(value, group, out);
	if (rc == 0)
		return 0;
	if (rc != -ENOENT)
		return vg_errf(err, EINVAL, "%s=%s: cannot look up the %s name: %s", attr, value,
			       group ? "group" : "user", strerror(-rc));
	return vg_errf(err, EINVAL, "%s=%s: no such %s on this host: give a number or an existing name",
		       attr, value, group ? "group" : "user");
}

static int none_config(struct vg_plugin *p, const struct vg_kvlist *kv, struct vg_err *err)
{
	struct none_ctx next = {(uint32_t)getuid(), (uint32_t)getgid()};
	const char *v;
	if ((v = vg_kv_get(kv, "uid")) && parse_id(v, false, &next.uid, err))
		return -EINVAL;
	if ((v = vg_kv_get(kv, "gid")) && parse_id(v, true, &next.gid, err))
		return -EINVAL;
	struct none_ctx *ctx = vg_plugin_ctx(p);
	if (!ctx) {
		ctx = malloc(sizeof(*ctx));
		if (!ctx)
			return vg_errf(err, ENOMEM, "out of memory configuring auth none");
		vg_plugin_ctx_set(p, ctx);
	}
	*ctx = next;
	return 0;
}

static void none_term(struct vg_plugin *p)
{
	free(vg_plugin_ctx(p));
	vg_plugin_ctx_set(p, NULL);
}

static int none_respond(struct vg_plugin *p, const uint8_t *nonce, size_t nonce_len, uint8_t *out,
			size_t out_cap, size_t *out_len, struct vg_err *err)
{
	(void)nonce;
	(void)nonce_len;
	const struct none_ctx *ctx = vg_plugin_ctx(p);
	if (out_cap < NONE_BLOB_LEN)
		return vg_errf(err, EOVERFLOW, "no room for a 'none' credential (%zu bytes)", out_cap);
	put_le32(out, ctx ? ctx->uid : (uint32_t)getuid());
	put_le32(out + 4, ctx ? ctx->gid : (uint32_t)getgid());
	*out_len = NONE_BLOB_LEN;
	return 0;
}

static int none_verify(struct vg_plugin *p, const uint8_t *nonce, size_t nonce_len,
		       const uint8_t *blob, size_t blob_len, uint32_t *uid, uint32_t *gid,
		       struct vg_err *err)
{
	(void)p;
	(void)nonce;
	(void)nonce_len;
	if (!blob || blob_len != NONE_BLOB_LEN)
		return vg_errf(err, EPROTO,
			       "malformed 'none' credential: %zu bytes, expected %d (uid, gid)",
			       blob_len, NONE_BLOB_LEN);
	*uid = get_le32(blob);
	*gid = get_le32(blob + 4);
	return 0;
}

const struct vg_plugin_ops vigil_plugin = {
	.api_version = VG_PLUGIN_API_VERSION,
	.size = sizeof(struct vg_plugin_ops),
	.name = "none",
	.type = VG_PLUGIN_AUTH,
	.summary = "no authentication: peers are who they claim to be",
	.usage = none_usage,
	.config = none_config,
	.term = none_term,
	.attrs = attrs,
	.auth_respond = none_respond,
	.auth_verify = none_verify,
};
