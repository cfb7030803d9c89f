/*
 * server_int.h - the server's state, shared by server.c (listeners,
 * connections, directory, lookup, commands) and server_push.c (push
 * subscriptions).  Private to those two files.
 */
#ifndef VIGIL_SERVER_INT_H
#define VIGIL_SERVER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/log.h"
#include "core/setdir.h"
#include "core/wire.h"
#include "daemon/server.h"
#include "plugins/auth.h"
#include "xprt/xprt.h"

#define MAX_XPRTS 4

struct conn;

/* A client that asked for a set's data part after every transaction. */
struct push_sub {
	struct push_sub *next;
	struct conn *c;
	uint64_t req_id;
};

struct export {
	struct vg_set *set;
	struct vg_mr *mr[MAX_XPRTS];
	struct push_sub *subs;
};

struct listener {
	struct vg_ep *ep;
	char xprt[16];
	char host[256];
	uint16_t port;
	unsigned flags;
	int xprt_idx;
	struct vg_plugin *auth; /* the listener's auth domain; NULL: built-in none */
};

struct conn {
	struct conn *next;
	struct vg_server *srv;
	struct vg_ep *ep;
	unsigned flags;
	int xprt_idx;
	bool dir_notify;
	uint64_t dir_req_id;
	size_t npush; /* push subscriptions of this connection */
	struct listener *listener;
	bool authed;  /* AUTH_RESULT sent: requests accepted */
	bool refused; /* authentication failed: closing, later input ignored */
	uint32_t uid, gid; /* the peer, as its credential says */
	uint8_t nonce[VG_AUTH_NONCE_LEN];
	struct vg_timer auth_timer; /* drops a peer that never authenticates */
	struct vg_deferred free_later;
};

/* A peer may read this set (access bits against its credential). */
bool srv_conn_may_read(const struct conn *c, const struct vg_set *set);

struct vg_server {
	struct vg_loop *loop;
	struct vg_setdir *dir;
	int dir_listener;
	vg_server_cmd_fn cmd;
	void *cmd_arg;
	vg_server_advertise_fn advertise;
	void *advertise_arg;

	struct vg_xprt *xprts[MAX_XPRTS];
	size_t nxprts;

	struct listener **listeners; /* each allocated alone: endpoints point at them */
	size_t nlisteners;

	struct conn *conns;
	size_t nconns;

	struct export *exports;
	size_t nexports, exports_cap;
	size_t npush; /* push subscriptions of all connections */

	struct vg_wbuf out;          /* scratch for building replies (one thread) */
	struct vg_complaint bad_peer; /* rate-limits protocol error lines */
	struct vg_complaint reg_fail;
	struct vg_complaint auth_fail; /* rate-limits refused peers */
	uint64_t auth_timeout_us;
	bool status_public; /* non-owners may run status commands on control listeners */
};

/* server.c */
size_t srv_export_pos(const struct vg_server *srv, const struct vg_set *set, bool *found);
/* Send the message built in srv->out; a reply that cannot go out hangs up. */
void srv_conn_send(struct conn *c);
void srv_send_error(struct conn *c, uint64_t req_id, int status, const char *msg);

/* server_push.c */
struct export *srv_export_find(struct vg_server *srv, const struct vg_set *set);
void srv_push_data(struct vg_server *srv, struct vg_set *set);
/* The set is being deleted: tell its subscribers (they look it up again). */
void srv_push_gone(struct vg_server *srv, struct vg_set *set);
void srv_push_subscribe(struct conn *c, uint64_t req_id, struct vg_set *set);
void srv_push_drop_conn(struct conn *c);
void srv_handle_push_req(struct conn *c, uint64_t req_id, struct vg_rbuf *body);
void srv_push_free(struct vg_server *srv, struct export *e);

#endif /* VIGIL_SERVER_INT_H */
