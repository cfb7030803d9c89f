/*
 * auth.h - the authentication exchange of vigil's protocol, for both ends,
 * whatever the transport:
 *
 *   server, at accept:  AUTH_CHALLENGE {method, nonce}
 *   client:             AUTH_RESPONSE  {method, credential}   (auth_respond)
 *   server:             AUTH_RESULT    {status, uid, gid, message}   (auth_verify)
 *
 * Until the result, the server answers nothing else and serves no read.
 * An auth domain is an auth plugin instance (plugin.h); NULL stands for the
 * built-in `none` method (the peer is who it claims to be, as in LDMS), so
 * daemons and tools need no plugin file for the default.
 *
 * Access: a peer may read a set when its uid is 0, or the owner bits allow
 * it and it owns the set, or the group bits allow it and its gid is the
 * set's, or the other bits allow it (vg_access_read).
 */
#ifndef VIGIL_AUTH_H
#define VIGIL_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"
#include "core/wire.h"
#include "plugins/plugin.h"

/* "none" for NULL, else the plugin's module name ("munge", "ovis", ...). */
const char *vg_auth_method(const struct vg_plugin *auth);

/* Server: a fresh nonce and the AUTH_CHALLENGE built in w. */
void vg_auth_challenge(struct vg_wbuf *w, const struct vg_plugin *auth,
		       uint8_t nonce[VG_AUTH_NONCE_LEN]);

/*
 * Client: answer the AUTH_CHALLENGE body r with an AUTH_RESPONSE built in w.
 * A method other than ours is an error naming both (-EACCES); a credential
 * that cannot be made (munged down) is the plugin's error.
 */
int vg_auth_respond(struct vg_plugin *auth, struct vg_rbuf *r, struct vg_wbuf *w,
		    struct vg_err *err);

/* Server: check the AUTH_RESPONSE body r; 0 and the peer's uid/gid, or -errno with a reason. */
int vg_auth_verify(struct vg_plugin *auth, const uint8_t nonce[VG_AUTH_NONCE_LEN],
		   struct vg_rbuf *r, uint32_t *uid, uint32_t *gid, struct vg_err *err);

/* Server: AUTH_RESULT. */
void vg_auth_result(struct vg_wbuf *w, int status, uint32_t uid, uint32_t gid, const char *msg);

/* Client: parse AUTH_RESULT; 0, or the server's -errno with its message in err. */
int vg_auth_result_parse(struct vg_rbuf *r, struct vg_err *err);

bool vg_access_read(uint32_t uid, uint32_t gid, uint32_t set_uid, uint32_t set_gid,
		    uint32_t perm);

/*
 * Tools (ldms_ls, ldmsctl): -a PLUGIN and -A NAME=VALUE collected here, then
 * the plugin loaded and configured (NULL for plain none, which needs no file).
 */
struct vg_auth_args {
	const char *plugin; /* -a; NULL: none */
	struct vg_kv kv[16];
	size_t n;
};
/* Add one -A NAME=VALUE; -EINVAL if it has no '=' or there are too many. */
int vg_auth_tool_arg(struct vg_auth_args *a, const char *name_eq_value);
/* NULL with err->code 0: the built-in none; NULL with err->code set: failure. */
struct vg_plugin *vg_auth_tool_load(struct vg_auth_args *a, struct vg_err *err);
void vg_auth_tool_free(struct vg_auth_args *a, struct vg_plugin *p);

#endif /* VIGIL_AUTH_H */
