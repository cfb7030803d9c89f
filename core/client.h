/*
 * client.h - a blocking client for tools (ldms_ls, ldmsctl): connect to a
 * daemon, list its directory, look sets up, update them, send commands.
 *
 * Each call runs the client's private event loop until its reply arrives,
 * the connection drops or the client's timeout expires, so a dead or hung
 * daemon gives a clear error, never a hang.  One request is outstanding at
 * a time.  Not thread-safe.
 */
#ifndef VIGIL_CLIENT_H
#define VIGIL_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "proto.h"
#include "set.h"
#include "util.h"
#include "xprt/xprt.h"

struct vg_client;

/* A set looked up on the daemon: our mirror and where to read its data. */
struct vg_rset {
	struct vg_set *set;      /* mirror; vg_client_rsets_free() deletes it */
	uint32_t set_flags;      /* VG_SETF_* as the daemon reported them */
	struct vg_rkey rkey;
	uint64_t data_offset;
};

/*
 * Connect over transport xprt ("sock") to host:port (host may be a UNIX
 * socket path).  timeout_ms bounds the connect and every later call.
 * Errors: -ECONNREFUSED, -ETIMEDOUT, -EHOSTUNREACH, ... with a message naming
 * the endpoint.
 */
struct vg_client *vg_client_connect(const char *xprt, const char *host, uint16_t port,
				    int timeout_ms, struct vg_err *err);
/*
 * The same, authenticating with auth (an auth plugin instance, configured;
 * NULL: the built-in none).  A refusal is -EACCES (or the plugin's error)
 * with the daemon's reason.
 */
struct vg_plugin;
struct vg_client *vg_client_connect_auth(const char *xprt, const char *host, uint16_t port,
					 int timeout_ms, struct vg_plugin *auth,
					 struct vg_err *err);
void vg_client_close(struct vg_client *c);

/* The daemon's directory; *entries is malloc'd (free() it). */
int vg_client_dir(struct vg_client *c, struct vg_dir_entry **entries, size_t *n,
		  struct vg_err *err);

/*
 * Look up sets: match is VG_LOOKUP_INSTANCE or VG_LOOKUP_SCHEMA, optionally
 * | VG_LOOKUP_REGEX.  Returns 0 with *n >= 1 sets (mirrors holding the data
 * that came with the reply), -ENOENT if nothing matched.
 */
int vg_client_lookup(struct vg_client *c, const char *pattern, uint32_t match,
		     struct vg_rset **sets, size_t *n, struct vg_err *err);
void vg_client_rsets_free(struct vg_rset *sets, size_t n);

/*
 * Refresh a set's data with a one-sided read.  Errors as vg_set_data_check()
 * (-EAGAIN: the sampler was mid-transaction, -ESTALE: look it up again).
 */
int vg_client_update(struct vg_client *c, struct vg_rset *rs, struct vg_err *err);

/*
 * Run one config command on the daemon (control endpoints only).  Returns
 * 0 when a reply arrived; *status is the command's result (0 or -errno) and
 * reply its text.  A transport failure returns a negative errno.
 */
int vg_client_cmd(struct vg_client *c, const char *line, int *status, struct vg_strbuf *reply,
		  struct vg_err *err);
/* The same with CMD_REQ flags (VG_CMD_F_JSON). */
int vg_client_cmd_flags(struct vg_client *c, const char *line, unsigned flags, int *status,
			struct vg_strbuf *reply, struct vg_err *err);

/* "host:port" as given, for messages. */
const char *vg_client_peer(const struct vg_client *c);

#endif /* VIGIL_CLIENT_H */
