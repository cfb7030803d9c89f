/*
 * auth.c - the authentication exchange (both ends) and the read check.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "core/proto.h"
#include "plugins/auth.h"
#include "plugins/host.h"

#define METHOD_MAX 64

const char *vg_auth_method(const struct vg_plugin *auth)
{
	return auth ? auth->plugin : "none";
}

void vg_auth_challenge(struct vg_wbuf *w, const struct vg_plugin *auth,
		       uint8_t nonce[VG_AUTH_NONCE_LEN])
{
	size_t got = 0;
	while (got < VG_AUTH_NONCE_LEN) {
		ssize_t n = getrandom(nonce + got, VG_AUTH_NONCE_LEN - got, 0);
		if (n <= 0) {
			/* getrandom(0) blocks rather than fail once the pool is ready */
			if (n < 0 && errno == EINTR)
				continue;
			for (; got < VG_AUTH_NONCE_LEN; got++)
				nonce[got] = (uint8_t)(vg_mono_us() >> (got % 8));
			break;
		}
		got += (size_t)n;
	}
	vg_msg_begin(w, VG_MSG_AUTH_CHALLENGE, 0);
	vg_wbuf_str(w, vg_auth_method(auth));
	vg_wbuf_blob(w, nonce, VG_AUTH_NONCE_LEN);
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

int vg_auth_respond(struct vg_plugin *auth, struct vg_rbuf *r, struct vg_wbuf *w,
		    struct vg_err *err)
{
	char method[METHOD_MAX];
	size_t nonce_len;
	vg_rbuf_str(r, method, sizeof(method));
	const uint8_t *nonce = vg_rbuf_blob(r, &nonce_len);
	if (!vg_rbuf_ok(r) || vg_rbuf_remaining(r) || nonce_len != VG_AUTH_NONCE_LEN)
		return vg_errf(err, EPROTO, "malformed authentication challenge");
	const char *mine = vg_auth_method(auth);
	if (strcmp(method, mine) != 0)
		return vg_errf(err, EACCES,
			       "the daemon requires authentication method '%s' and we use '%s' "
			       "(give -a %s and its -A options)",
			       method, mine, method);
	uint8_t blob[VG_AUTH_BLOB_MAX];
	size_t len = 0;
	if (!auth) {
		put_le32(blob, (uint32_t)getuid());
		put_le32(blob + 4, (uint32_t)getgid());
		len = 8;
	} else {
		int rc = auth->ops->auth_respond(auth, nonce, nonce_len, blob, sizeof(blob), &len,
						 err);
		if (rc)
			return rc;
		if (len > sizeof(blob))
			return vg_errf(err, EOVERFLOW, "credential too large");
	}
	vg_msg_begin(w, VG_MSG_AUTH_RESPONSE, 0);
	vg_wbuf_str(w, mine);
	vg_wbuf_blob(w, blob, len);
	return 0;
}

int vg_auth_verify(struct vg_plugin *auth, const uint8_t nonce[VG_AUTH_NONCE_LEN],
		   struct vg_rbuf *r, uint32_t *uid, uint32_t *gid, struct vg_err *err)
{
	char method[METHOD_MAX];
	size_t len;
	vg_rbuf_str(r, method, sizeof(method));
	const uint8_t *blob = vg_rbuf_blob(r, &len);
	if (!vg_rbuf_ok(r) || vg_rbuf_remaining(r) || len > VG_AUTH_BLOB_MAX)
		return vg_errf(err, EPROTO, "malformed authentication response");
	const char *mine = vg_auth_method(auth);
	if (strcmp(method, mine) != 0)
		return vg_errf(err, EACCES, "wrong authentication method '%s' (this endpoint uses '%s')",
			       method, mine);
	if (!auth) {
		if (len != 8)
			return vg_errf(err, EPROTO, "malformed 'none' credential (%zu bytes)", len);
		*uid = get_le32(blob);
		*gid = get_le32(blob + 4);
		return 0;
	}
	return auth->ops->auth_verify(auth, nonce, VG_AUTH_NONCE_LEN, blob, len, uid, gid, err);
}

void vg_auth_result(struct vg_wbuf *w, int status, uint32_t uid, uint32_t gid, const char *msg)
{
	vg_msg_begin(w, VG_MSG_AUTH_RESULT, 0);
	vg_wbuf_u32(w, (uint32_t)status);
	vg_wbuf_u32(w, uid);
	vg_wbuf_u32(w, gid);
	vg_wbuf_str(w, msg ? msg : "");
}

int vg_auth_result_parse(struct vg_rbuf *r, struct vg_err *err)
{
	int32_t status = (int32_t)vg_rbuf_u32(r);
	vg_rbuf_u32(r);
	vg_rbuf_u32(r);
	char msg[512];
	vg_rbuf_str(r, msg, sizeof(msg));
	if (!vg_rbuf_ok(r) || status > 0 || status <= -4096)
		return vg_errf(err, EPROTO, "malformed authentication result");
	if (status)
		return vg_errf(err, -status, "authentication refused: %s", msg);
	return 0;
}

bool vg_access_read(uint32_t uid, uint32_t gid, uint32_t set_uid, uint32_t set_gid,
		    uint32_t perm)
{
	if (uid == 0)
		return true;
	if (uid == set_uid)
		return (perm & 0400) != 0;
	if (gid == set_gid)
		return (perm & 0040) != 0;
	return (perm & 0004) != 0;
}

/* ------------------------------------------------------------------ tools */

static struct vg_plugin_host tool_host; /* tools lend their plugins nothing */

int vg_auth_tool_arg(struct vg_auth_args *a, const char *name_eq_value)
{
	const char *eq = strchr(name_eq_value, '=');
	if (!eq || eq == name_eq_value || a->n == VG_ARRAY_LEN(a->kv))
		return -EINVAL;
	size_t klen = (size_t)(eq - name_eq_value);
	char *key = strndup(name_eq_value, klen);
	char *value = strdup(eq + 1);
	if (!key || !value) {
		free(key);
		free(value);
		return -ENOMEM;
	}
	a->kv[a->n].key = key;
	a->kv[a->n++].value = value;
	return 0;
}

struct vg_plugin *vg_auth_tool_load(struct vg_auth_args *a, struct vg_err *err)
{
	const char *plugin = a->plugin ? a->plugin : "none";
	if (strcmp(plugin, "none") == 0 && a->n == 0)
		return NULL; /* the built-in none */
	struct vg_plugin *p = NULL;
	if (vg_plugin_load(&tool_host, plugin, plugin, &p, err))
		return NULL;
	struct vg_kvlist kv = {a->n, a->kv};
	if (p->ops->type != VG_PLUGIN_AUTH) {
		vg_errf(err, EINVAL, "-a %s: not an authentication plugin", plugin);
	} else if (vg_plugin_configure(p, &kv, err) == 0) {
		return p;
	} else {
		vg_err_prefix(err, "-a %s", plugin);
	}
	vg_plugin_unload(p);
	return NULL;
}

void vg_auth_tool_free(struct vg_auth_args *a, struct vg_plugin *p)
{
	if (p)
		vg_plugin_unload(p);
	for (size_t i = 0; i < a->n; i++) {
		free((char *)a->kv[i].key);
		free((char *)a->kv[i].value);
	}
	a->n = 0;
}
