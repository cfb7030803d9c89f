/*
 * server.h - ldmsd's protocol server: answers directory, lookup and command
 * requests on every listening endpoint, registers each published set's
 * memory with every open transport so that peers can read its data part,
 * and pushes directory changes to clients that asked for them.
 *
 * A request that does not parse closes that one connection with one log
 * line (rate-limited across connections); the daemon and its other clients
 * carry on.
 *
 * Threads: the daemon's loop thread.
 */
#ifndef VIGIL_SERVER_H
#define VIGIL_SERVER_H

#include <stdbool.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/loop.h"
#include "core/setdir.h"
#include "core/util.h"
#include "plugins/plugin.h"

struct vg_server;
struct vg_advertise;

/* Listener flags. */
#define VG_LISTEN_CONTROL 0x1u /* config commands are accepted on this endpoint */

/* Runs a command line received from a control endpoint. */
typedef int (*vg_server_cmd_fn)(void *arg, const char *line, const char *where, unsigned flags,
				struct vg_strbuf *reply, struct vg_err *err);

/*
 * Decides an ADVERTISE from an authenticated peer (its address as
 * vg_ep_peer() gives it): 0 to accept, or -errno with the reason in reason.
 * Without one, advertisements are refused (-ENOTSUP).
 */
typedef int (*vg_server_advertise_fn)(void *arg, const struct vg_advertise *adv, const char *peer,
				      struct vg_strbuf *reason);

struct vg_server *vg_server_new(struct vg_loop *loop, struct vg_setdir *dir,
				vg_server_cmd_fn cmd, void *cmd_arg, struct vg_err *err);
/* Closes every listener and connection, deregisters every set. */
void vg_server_free(struct vg_server *srv);

/*
 * Listen on xprt at host:port (host NULL: every address; "/path": a UNIX
 * socket).  -EEXIST if that endpoint is already listening.
 */
int vg_server_listen(struct vg_server *srv, const char *xprt, const char *host, uint16_t port,
		     unsigned flags, struct vg_err *err);

/*
 * The same with an authentication domain (an auth plugin instance; NULL:
 * the built-in none).  Every connection must authenticate before anything
 * else; it then sees, looks up, reads and receives pushes of only the sets
 * its uid/gid may read.
 */
int vg_server_listen_auth(struct vg_server *srv, const char *xprt, const char *host,
			  uint16_t port, unsigned flags, struct vg_plugin *auth, struct vg_err *err);

void vg_server_set_advertise(struct vg_server *srv, vg_server_advertise_fn fn, void *arg);

/* Seconds a peer has to authenticate before it is dropped (default). */
#define VG_SERVER_AUTH_TIMEOUT_S 10
void vg_server_set_auth_timeout(struct vg_server *srv, uint64_t us);
/* Let authenticated non-owners run status commands (not others) on control listeners. */
void vg_server_set_status_public(struct vg_server *srv, bool on);

/* The port of listener i, in the order they were added (after listening on port 0); 0 if none. */
uint16_t vg_server_port(const struct vg_server *srv, size_t i);
/* One line per listener and a connection count, for daemon_status. */
void vg_server_status(const struct vg_server *srv, struct vg_strbuf *out);
/* Listener i (in the order added): transport, local address, flags; false past the end. */
bool vg_server_listener(const struct vg_server *srv, size_t i, const char **xprt,
			const char **addr, unsigned *flags);
/* Open connections (control and data), for daemon_status. */
size_t vg_server_conn_count(const struct vg_server *srv);

#endif /* VIGIL_SERVER_H */
