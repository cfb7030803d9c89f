/*
 * server.c - directory, lookup and command requests; set memory exports.
 *
 * Exports: every set in the directory is registered with every open
 * transport (one registration per set and transport, made when the set is
 * published or the transport first opened) so that a lookup reply can carry
 * the remote key the client needs for its one-sided reads.  Exports are
 * kept sorted by set address for a binary search per lookup reply.
 */
#include "config.h"

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/proto.h"
#include "core/wire.h"
#include "daemon/server.h"
#include "daemon/server_int.h"
#include "xprt/xprt.h"

static const char *COMPONENT = "server";

/* ------------------------------------------------------------------ exports */

size_t srv_export_pos(const struct vg_server *srv, const struct vg_set *set, bool *found)
{
	size_t lo = 0, hi = srv->nexports;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if ((uintptr_t)srv->exports[mid].set < (uintptr_t)set)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < srv->nexports && srv->exports[lo].set == set;
	return lo;
}

static void export_register(struct vg_server *srv, struct export *e, size_t xi)
{
	size_t len;
	void *mem = vg_set_mem(e->set, &len);
	int rc = vg_xprt_mem_register(srv->xprts[xi], mem, len, &e->mr[xi]);
	if (rc == 0)
		vg_mr_owner_set(e->mr[xi], e->set);
	if (rc) {
		e->mr[xi] = NULL;
		vg_complain(&srv->reg_fail, VG_LOG_ERROR, COMPONENT,
			    "cannot register set %s with transport %s: %s; peers cannot update it",
			    vg_set_instance(e->set), vg_xprt_name(srv->xprts[xi]), strerror(-rc));
	}
}

static int export_add(struct vg_server *srv, struct vg_set *set)
{
	bool found;
	size_t pos = srv_export_pos(srv, set, &found);
	if (found)
		return 0;
	if (srv->nexports == srv->exports_cap) {
		size_t cap = srv->exports_cap ? srv->exports_cap * 2 : 64;
		struct export *ne = realloc(srv->exports, cap * sizeof(*ne));
		if (!ne)
			return -ENOMEM;
		srv->exports = ne;
		srv->exports_cap = cap;
	}
	memmove(&srv->exports[pos + 1], &srv->exports[pos],
		(srv->nexports - pos) * sizeof(*srv->exports));
	struct export *e = &srv->exports[pos];
	memset(e, 0, sizeof(*e));
	e->set = set;
	srv->nexports++;
	for (size_t xi = 0; xi < srv->nxprts; xi++)
		export_register(srv, e, xi);
	return 0;
}

static void export_del(struct vg_server *srv, struct vg_set *set)
{
	bool found;
	size_t pos = srv_export_pos(srv, set, &found);
	if (!found)
		return;
	struct export *e = &srv->exports[pos];
	for (size_t xi = 0; xi < srv->nxprts; xi++)
		if (e->mr[xi])
			vg_xprt_mem_deregister(srv->xprts[xi], e->mr[xi]);
	srv_push_free(srv, e);
	memmove(&srv->exports[pos], &srv->exports[pos + 1],
		(srv->nexports - pos - 1) * sizeof(*srv->exports));
	srv->nexports--;
}

/* ------------------------------------------------------------------ sending */

/* A reply that cannot go out leaves the client waiting: say so once and hang up. */
void srv_conn_send(struct conn *c)
{
	struct vg_server *srv = c->srv;
	int rc = vg_msg_finish(&srv->out);
	if (rc == 0)
		rc = vg_ep_send(c->ep, srv->out.buf, srv->out.len);
	if (rc == 0 || rc == -ENOTCONN)
		return;
	vg_complain(&srv->bad_peer, VG_LOG_WARNING, COMPONENT,
		    "closing connection from %s: a reply could not be sent: %s", vg_ep_peer(c->ep),
		    strerror(-rc));
	vg_ep_close(c->ep);
}

void srv_send_error(struct conn *c, uint64_t req_id, int status, const char *msg)
{
	vg_proto_put_error(&c->srv->out, req_id, status, msg);
	srv_conn_send(c);
}

/* ------------------------------------------------------------------ directory */

struct dir_walk {
	struct conn *c;
	uint64_t req_id;
	size_t count_off;
	uint32_t count;
};

static void dir_start_reply(struct dir_walk *w)
{
	vg_msg_begin(&w->c->srv->out, VG_MSG_DIR_REPLY, w->req_id);
	vg_wbuf_u32(&w->c->srv->out, VG_MSG_F_MORE);
	w->count_off = vg_wbuf_skip(&w->c->srv->out, 4);
	w->count = 0;
}

static void dir_flush(struct dir_walk *w, bool last)
{
	struct vg_wbuf *out = &w->c->srv->out;
	vg_wbuf_patch_u32(out, VG_MSG_HDR_SIZE, last ? 0 : VG_MSG_F_MORE);
	vg_wbuf_patch_u32(out, w->count_off, w->count);
	srv_conn_send(w->c);
}

static int dir_add_entry(struct vg_set *set, void *arg)
{
	struct dir_walk *w = arg;
	struct vg_wbuf *out = &w->c->srv->out;
	if (!srv_conn_may_read(w->c, set))
		return 0;
	if (out->len > VG_DIR_REPLY_TARGET) {
		dir_flush(w, false);
		dir_start_reply(w);
	}
	vg_proto_put_dir_entry(out, set, vg_proto_set_flags(set));
	w->count++;
	return 0;
}

static void handle_dir(struct conn *c, uint64_t req_id, struct vg_rbuf *body)
{
	uint32_t flags = vg_rbuf_u32(body);
	if (!vg_rbuf_ok(body)) {
		srv_send_error(c, req_id, -EPROTO, "malformed directory request");
		return;
	}
	struct dir_walk w = {c, req_id, 0, 0};
	dir_start_reply(&w);
	vg_setdir_foreach(c->srv->dir, dir_add_entry, &w);
	dir_flush(&w, true);
	if (flags & VG_DIR_F_NOTIFY) {
		c->dir_notify = true;
		c->dir_req_id = req_id;
	}
}

static void notify_dir(struct vg_server *srv, enum vg_dir_event ev, struct vg_set *set)
{
	for (struct conn *c = srv->conns; c; c = c->next) {
		if (!c->dir_notify || !srv_conn_may_read(c, set))
			continue;
		vg_msg_begin(&srv->out, VG_MSG_DIR_NOTIFY, c->dir_req_id);
		vg_wbuf_u32(&srv->out, (uint32_t)ev);
		vg_proto_put_dir_entry(&srv->out, set, vg_proto_set_flags(set));
		srv_conn_send(c);
	}
}

static void on_setdir(enum vg_setdir_event ev, struct vg_set *set, void *arg)
{
	struct vg_server *srv = arg;
	if (ev == VG_SETDIR_UPDATE) {
		if (srv->npush)
			srv_push_data(srv, set);
	} else if (ev == VG_SETDIR_ADD) {
		if (export_add(srv, set))
			vg_log(VG_LOG_ERROR, COMPONENT, "out of memory exporting set %s",
			       vg_set_instance(set));
		notify_dir(srv, VG_DIR_ADD, set);
	} else {
		notify_dir(srv, VG_DIR_DEL, set);
		if (srv->npush)
			srv_push_gone(srv, set);
		export_del(srv, set);
	}
}

/* ------------------------------------------------------------------ lookup */

/*
 * Patterns come from any peer, and glibc compiles a{1,20000} by expanding it:
 * seconds of CPU and gigabytes on the loop thread.  Bounded repetitions are
 * limited (their product, as nesting multiplies), back-references refused.
 */
#define REGEX_REPEAT_MAX 4096

/* A repetition bound, saturating (a huge one is refused anyway). */
static unsigned long bound(const char **pp)
{
	unsigned long v = 0;
	for (; **pp >= '0' && **pp <= '9'; (*pp)++)
		v = v > 100000 ? v : v * 10 + (unsigned long)(**pp - '0');
	return v;
}

static bool regex_affordable(const char *pattern, char *why, size_t size)
{
	unsigned long product = 1;
	for (const char *p = pattern; *p; p++) {
		if (*p == '\\' && p[1] >= '1' && p[1] <= '9') {
			snprintf(why, size, "back-references (\\%c) are not accepted", p[1]);
			return false;
		}
		if (*p == '\\' && p[1]) {
			p++;
			continue;
		}
		if (*p != '{')
			continue;
		const char *end = p + 1;
		unsigned long lo = bound(&end), hi = lo;
		if (end == p + 1)
			continue; /* a literal brace */
		if (*end == ',') {
			end++;
			hi = *end == '}' ? lo + 1 : bound(&end);
		}
		if (hi < lo)
			hi = lo;
		if (hi > REGEX_REPEAT_MAX || (product *= hi + 1) > REGEX_REPEAT_MAX) {
			snprintf(why, size, "repetition counts multiply to more than %d",
				 REGEX_REPEAT_MAX);
			return false;
		}
	}
	return true;
}

struct lookup_walk {
	const struct conn *c;
	uint32_t match;
	const char *pattern;
	regex_t re;
	struct vg_set **found;
	size_t n, cap;
	bool oom;
};

static int lookup_match(struct vg_set *set, void *arg)
{
	struct lookup_walk *w = arg;
	const char *subject = (w->match & VG_LOOKUP_SCHEMA) ? vg_set_schema_name(set)
							    : vg_set_instance(set);
	bool hit = (w->match & VG_LOOKUP_REGEX) ? regexec(&w->re, subject, 0, NULL, 0) == 0
						: strcmp(subject, w->pattern) == 0;
	/* a set the peer may not read does not exist for it */
	if (!hit || !srv_conn_may_read(w->c, set))
		return 0;
	if (w->n == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 16;
		struct vg_set **nf = realloc(w->found, cap * sizeof(*nf));
		if (!nf) {
			w->oom = true;
			return 1;
		}
		w->found = nf;
		w->cap = cap;
	}
	w->found[w->n++] = set;
	return 0;
}

static void send_lookup_reply(struct conn *c, uint64_t req_id, struct vg_set *set, bool more)
{
	struct vg_server *srv = c->srv;
	bool found;
	size_t pos = srv_export_pos(srv, set, &found);
	struct vg_rkey rkey;
	memset(&rkey, 0, sizeof(rkey));
	if (found && c->xprt_idx >= 0 && srv->exports[pos].mr[c->xprt_idx])
		vg_mr_rkey(srv->exports[pos].mr[c->xprt_idx], &rkey);
	vg_proto_put_lookup_reply(&srv->out, req_id, set, vg_proto_set_flags(set), rkey.bytes,
				  vg_set_data_offset(set), more);
	srv_conn_send(c);
}

static void send_lookup_status(struct conn *c, uint64_t req_id, int status)
{
	vg_msg_begin(&c->srv->out, VG_MSG_LOOKUP_REPLY, req_id);
	vg_wbuf_u32(&c->srv->out, (uint32_t)status);
	vg_wbuf_u32(&c->srv->out, 0);
	srv_conn_send(c);
}

static void handle_lookup(struct conn *c, uint64_t req_id, struct vg_rbuf *body)
{
	struct lookup_walk w;
	memset(&w, 0, sizeof(w));
	char pattern[VG_LOOKUP_PATTERN_MAX + 1];
	w.match = vg_rbuf_u32(body);
	vg_rbuf_str(body, pattern, sizeof(pattern));
	if (!vg_rbuf_ok(body) || vg_rbuf_remaining(body) ||
	    (w.match & ~(VG_LOOKUP_SCHEMA | VG_LOOKUP_REGEX | VG_LOOKUP_PUSH))) {
		srv_send_error(c, req_id, -EPROTO, "malformed lookup request");
		return;
	}
	w.pattern = pattern;
	w.c = c;
	char why[128];
	if ((w.match & VG_LOOKUP_REGEX) && !regex_affordable(pattern, why, sizeof(why))) {
		char full[VG_LOOKUP_PATTERN_MAX + 200];
		snprintf(full, sizeof(full), "regular expression '%s' refused: %s", pattern, why);
		srv_send_error(c, req_id, -EINVAL, full);
		return;
	}
	if (w.match & VG_LOOKUP_REGEX) {
		int rc = regcomp(&w.re, pattern, REG_EXTENDED | REG_NOSUB);
		if (rc) {
			char msg[256], full[VG_LOOKUP_PATTERN_MAX + 320];
			regerror(rc, &w.re, msg, sizeof(msg));
			snprintf(full, sizeof(full), "bad regular expression '%s': %s", pattern, msg);
			srv_send_error(c, req_id, -EINVAL, full);
			return;
		}
	}
	if (!(w.match & (VG_LOOKUP_SCHEMA | VG_LOOKUP_REGEX))) {
		struct vg_set *set = vg_setdir_find(c->srv->dir, pattern);
		if (set)
			lookup_match(set, &w);
	} else {
		vg_setdir_foreach(c->srv->dir, lookup_match, &w);
	}
	if (w.match & VG_LOOKUP_REGEX)
		regfree(&w.re);
	if (w.oom)
		send_lookup_status(c, req_id, -ENOMEM);
	else if (w.n == 0)
		send_lookup_status(c, req_id, -ENOENT);
	for (size_t i = 0; i < w.n && !w.oom; i++) {
		send_lookup_reply(c, req_id, w.found[i], i + 1 < w.n);
		if (w.match & VG_LOOKUP_PUSH)
			srv_push_subscribe(c, req_id, w.found[i]);
	}
	free(w.found);
}

/* ------------------------------------------------------------------ commands */

/* A CMD_REPLY carrying an error: the requester keeps its connection. */
static void send_cmd_reply(struct conn *c, uint64_t req_id, int status, const char *text)
{
	struct vg_wbuf *out = &c->srv->out;
	vg_msg_begin(out, VG_MSG_CMD_REPLY, req_id);
	vg_wbuf_u32(out, (uint32_t)status);
	vg_wbuf_blob(out, text, strlen(text));
	srv_conn_send(c);
}

static void handle_cmd(struct conn *c, uint64_t req_id, struct vg_rbuf *body)
{
	size_t n;
	const char *text = vg_rbuf_blob(body, &n);
	uint32_t cmd_flags = vg_rbuf_remaining(body) >= 4 ? vg_rbuf_u32(body) : 0;
	if (!vg_rbuf_ok(body) || vg_rbuf_remaining(body) || memchr(text, '\0', n) ||
	    (cmd_flags & ~VG_CMD_F_JSON)) {
		send_cmd_reply(c, req_id, -EPROTO,
			       "malformed command request (expected a command line without NUL "
			       "bytes and known flags)");
		return;
	}
	if (n > VG_CMD_LINE_MAX) {
		char msg[128];
		snprintf(msg, sizeof(msg), "command of %zu bytes refused: the limit is %u bytes", n,
			 VG_CMD_LINE_MAX);
		send_cmd_reply(c, req_id, -E2BIG, msg);
		return;
	}
	struct vg_strbuf reply;
	vg_strbuf_init(&reply);
	int status;
	bool local = c->listener->host[0] == '/'; /* the 0600 control socket */
	if (!(c->flags & VG_LISTEN_CONTROL) || !c->srv->cmd) {
		status = -EPERM;
		vg_strbuf_puts(&reply, "commands are not accepted on this endpoint: use ldmsd's "
				       "control socket (ldmsd -S PATH, ldmsctl -S PATH)");
	} else if (!local && c->uid != 0 && c->uid != (uint32_t)geteuid() &&
		   !c->srv->status_public) {
		status = -EPERM;
		vg_strbuf_printf(&reply, "uid %u may not control this daemon: only its owner (uid %u) "
				 "or root may",
				 c->uid, (unsigned)geteuid());
	} else {
		char *line = strndup(text, n);
		struct vg_err err;
		vg_err_clear(&err);
		char where[96];
		snprintf(where, sizeof(where), "ldmsctl@%s", vg_ep_peer(c->ep));
		if (!local && c->uid != 0 && c->uid != (uint32_t)geteuid())
			cmd_flags |= VG_CMD_F_STATUS_ONLY; /* --status-public: reading, not changing */
		status = line ? c->srv->cmd(c->srv->cmd_arg, line, where, cmd_flags, &reply, &err)
			      : -ENOMEM;
		if (status && err.msg[0]) {
			if (reply.len)
				vg_strbuf_puts(&reply, "\n");
			vg_strbuf_puts(&reply, err.msg);
		}
		free(line);
	}
	struct vg_wbuf *out = &c->srv->out;
	vg_msg_begin(out, VG_MSG_CMD_REPLY, req_id);
	vg_wbuf_u32(out, (uint32_t)status);
	vg_wbuf_blob(out, vg_strbuf_str(&reply), reply.len);
	vg_strbuf_free(&reply);
	srv_conn_send(c);
}

/* ------------------------------------------------------------------ advertisement */

/* Reached only after the auth gate: an unauthenticated peer cannot make us connect anywhere. */
static void handle_advertise(struct conn *c, uint64_t req_id, struct vg_rbuf *body)
{
	struct vg_server *srv = c->srv;
	struct vg_advertise adv;
	struct vg_err err;
	vg_err_clear(&err);
	struct vg_strbuf reason;
	vg_strbuf_init(&reason);
	int status;
	if (vg_proto_get_advertise(body, &adv, &err)) {
		status = -EPROTO;
		vg_strbuf_puts(&reason, err.msg);
		vg_complain(&srv->bad_peer, VG_LOG_WARNING, COMPONENT,
			    "advertisement from %s refused: %s", vg_ep_peer(c->ep), err.msg);
	} else if (!srv->advertise) {
		status = -ENOTSUP;
		vg_strbuf_puts(&reason, "this daemon does not accept advertisements");
	} else {
		status = srv->advertise(srv->advertise_arg, &adv, vg_ep_peer(c->ep), &reason);
	}
	vg_proto_put_advertise_reply(&srv->out, req_id, status, vg_strbuf_str(&reason));
	vg_strbuf_free(&reason);
	srv_conn_send(c);
}

void vg_server_set_advertise(struct vg_server *srv, vg_server_advertise_fn fn, void *arg)
{
	srv->advertise = fn;
	srv->advertise_arg = arg;
}

/* ------------------------------------------------------------------ authentication */

bool srv_conn_may_read(const struct conn *c, const struct vg_set *set)
{
	return c->authed && set &&
	       vg_access_read(c->uid, c->gid, vg_set_uid(set), vg_set_gid(set), vg_set_perm(set));
}

static bool conn_read_allow(struct vg_ep *ep, void *owner, void *arg)
{
	(void)ep;
	return srv_conn_may_read(arg, owner);
}

static void auth_refused(struct conn *c, int status, const char *why)
{
	c->refused = true;
	vg_complain(&c->srv->auth_fail, VG_LOG_WARNING, COMPONENT,
		    "refused %s: authentication (%s) failed: %s", vg_ep_peer(c->ep),
		    vg_auth_method(c->listener->auth), why);
	vg_auth_result(&c->srv->out, status, 0, 0, why);
	srv_conn_send(c);
	vg_ep_close(c->ep);
}

static void conn_authenticate(struct conn *c, const struct vg_msg_hdr *h, struct vg_rbuf *body)
{
	if (h->type != VG_MSG_AUTH_RESPONSE) {
		char why[96];
		snprintf(why, sizeof(why), "sent %s before authenticating", vg_msg_type_name(h->type));
		auth_refused(c, -EACCES, why);
		return;
	}
	struct vg_err err;
	vg_err_clear(&err);
	int rc = vg_auth_verify(c->listener->auth, c->nonce, body, &c->uid, &c->gid, &err);
	if (rc) {
		auth_refused(c, rc, err.msg[0] ? err.msg : strerror(-rc));
		return;
	}
	vg_timer_stop(&c->auth_timer);
	c->authed = true;
	vg_auth_result(&c->srv->out, 0, c->uid, c->gid, "");
	srv_conn_send(c);
}

static void on_auth_timeout(struct vg_timer *t, void *arg)
{
	struct conn *c = arg;
	(void)t;
	vg_complain(&c->srv->auth_fail, VG_LOG_WARNING, COMPONENT,
		    "dropped %s: it did not authenticate within %llu ms", vg_ep_peer(c->ep),
		    (unsigned long long)(c->srv->auth_timeout_us / 1000));
	vg_ep_close(c->ep);
}

/* ------------------------------------------------------------------ connections */

static void protocol_error(struct conn *c, const char *why)
{
	vg_complain(&c->srv->bad_peer, VG_LOG_WARNING, COMPONENT,
		    "closing connection from %s: %s", vg_ep_peer(c->ep), why);
	vg_ep_close(c->ep);
}

static void conn_remove(struct conn *c)
{
	struct vg_server *srv = c->srv;
	srv_push_drop_conn(c);
	vg_timer_stop(&c->auth_timer);
	for (struct conn **pp = &srv->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			srv->nconns--;
			break;
		}
	}
	vg_ep_put(c->ep);
	free(c);
}

static void on_conn_event(struct vg_ep *ep, const struct vg_ep_event *ev, void *arg)
{
	struct conn *c = arg;
	if (ev->type == VG_EP_DISCONNECTED) {
		conn_remove(c);
		return;
	}
	if (ev->type != VG_EP_RECV)
		return;
	struct vg_msg_hdr h;
	struct vg_rbuf body;
	struct vg_err err;
	if (vg_msg_parse(ev->data, ev->len, &h, &body, &err)) {
		protocol_error(c, err.msg);
		return;
	}
	if (!c->authed) {
		if (!c->refused)
			conn_authenticate(c, &h, &body);
		return;
	}
	switch (h.type) {
	case VG_MSG_DIR_REQ:
		handle_dir(c, h.req_id, &body);
		break;
	case VG_MSG_LOOKUP_REQ:
		handle_lookup(c, h.req_id, &body);
		break;
	case VG_MSG_CMD_REQ:
		handle_cmd(c, h.req_id, &body);
		break;
	case VG_MSG_PUSH_REQ:
		srv_handle_push_req(c, h.req_id, &body);
		break;
	case VG_MSG_ADVERTISE:
		handle_advertise(c, h.req_id, &body);
		break;
	default: {
		char why[96];
		snprintf(why, sizeof(why), "unexpected %s message", vg_msg_type_name(h.type));
		protocol_error(c, why);
	}
	}
}

static void on_listener_event(struct vg_ep *ep, const struct vg_ep_event *ev, void *arg)
{
	struct listener *l = arg;
	if (ev->type != VG_EP_ACCEPTED)
		return;
	struct vg_server *srv = vg_ep_ctx(ep);
	struct conn *c = calloc(1, sizeof(*c));
	if (!c) {
		vg_log(VG_LOG_ERROR, COMPONENT, "out of memory accepting %s", vg_ep_peer(ev->new_ep));
		vg_ep_close(ev->new_ep);
		vg_ep_put(ev->new_ep);
		return;
	}
	c->srv = srv;
	c->ep = ev->new_ep;
	c->flags = l->flags;
	c->xprt_idx = l->xprt_idx;
	c->listener = l;
	c->next = srv->conns;
	srv->conns = c;
	srv->nconns++;
	vg_ep_set_cb(c->ep, on_conn_event, c);
	/* nothing is answered or served until the peer authenticates */
	vg_ep_set_read_allow(c->ep, conn_read_allow, c);
	vg_timer_init(&c->auth_timer, on_auth_timeout, c);
	vg_timer_start(srv->loop, &c->auth_timer, srv->auth_timeout_us);
	vg_auth_challenge(&srv->out, l->auth, c->nonce);
	srv_conn_send(c);
	vg_log(VG_LOG_DEBUG, COMPONENT, "connection from %s on %s", vg_ep_peer(c->ep),
	       vg_ep_local(ep));
}

/* ------------------------------------------------------------------ life cycle */

static int register_all(struct vg_set *set, void *arg)
{
	struct vg_server *srv = arg;
	if (export_add(srv, set))
		return -ENOMEM;
	return 0;
}

struct vg_server *vg_server_new(struct vg_loop *loop, struct vg_setdir *dir,
				vg_server_cmd_fn cmd, void *cmd_arg, struct vg_err *err)
{
	struct vg_server *srv = calloc(1, sizeof(*srv));
	if (!srv) {
		vg_errf(err, ENOMEM, "out of memory");
		return NULL;
	}
	srv->loop = loop;
	srv->dir = dir;
	srv->auth_timeout_us = VG_SERVER_AUTH_TIMEOUT_S * 1000000ull;
	srv->cmd = cmd;
	srv->cmd_arg = cmd_arg;
	vg_wbuf_init(&srv->out, VG_MSG_MAX);
	srv->dir_listener = vg_setdir_listen(dir, on_setdir, srv);
	if (srv->dir_listener < 0 || vg_setdir_foreach(dir, register_all, srv)) {
		vg_errf(err, ENOMEM, "out of memory");
		vg_server_free(srv);
		return NULL;
	}
	return srv;
}

static int xprt_index(struct vg_server *srv, const char *name, struct vg_err *err)
{
	for (size_t i = 0; i < srv->nxprts; i++)
		if (strcmp(vg_xprt_name(srv->xprts[i]), name) == 0)
			return (int)i;
	if (srv->nxprts == MAX_XPRTS)
		return vg_errf(err, ENOSPC, "too many transports");
	struct vg_xprt *x = vg_xprt_open(srv->loop, name, err);
	if (!x)
		return err ? -err->code : -EINVAL;
	size_t xi = srv->nxprts++;
	srv->xprts[xi] = x;
	/* sets published before this transport existed need registering with it too */
	for (size_t i = 0; i < srv->nexports; i++)
		export_register(srv, &srv->exports[i], xi);
	return (int)xi;
}

int vg_server_listen(struct vg_server *srv, const char *xprt, const char *host, uint16_t port,
		     unsigned flags, struct vg_err *err)
{
	return vg_server_listen_auth(srv, xprt, host, port, flags, NULL, err);
}

int vg_server_listen_auth(struct vg_server *srv, const char *xprt, const char *host,
			  uint16_t port, unsigned flags, struct vg_plugin *auth, struct vg_err *err)
{
	const char *h = host ? host : "";
	for (size_t i = 0; i < srv->nlisteners; i++) {
		struct listener *l = srv->listeners[i];
		if (strcmp(l->xprt, xprt) == 0 && strcmp(l->host, h) == 0 &&
		    (h[0] == '/' || (port && l->port == port)))
			return vg_errf(err, EEXIST, "already listening on %s:%u%s%s", xprt, port,
				       h[0] ? ":" : "", h);
	}
	int xi = xprt_index(srv, xprt, err);
	if (xi < 0)
		return xi;
	struct listener **nl = realloc(srv->listeners, (srv->nlisteners + 1) * sizeof(*nl));
	if (!nl)
		return vg_errf(err, ENOMEM, "out of memory");
	srv->listeners = nl;
	struct listener *l = calloc(1, sizeof(*l));
	if (!l)
		return vg_errf(err, ENOMEM, "out of memory");
	vg_strlcpy(l->xprt, xprt, sizeof(l->xprt));
	vg_strlcpy(l->host, h, sizeof(l->host));
	l->flags = flags;
	l->xprt_idx = xi;
	l->auth = auth;
	l->ep = vg_ep_new(srv->xprts[xi], on_listener_event, l);
	if (!l->ep) {
		free(l);
		return vg_errf(err, ENOMEM, "out of memory");
	}
	vg_ep_set_ctx(l->ep, srv);
	int rc = vg_ep_listen(l->ep, h[0] ? h : NULL, port, err);
	if (rc) {
		vg_ep_put(l->ep);
		free(l);
		return rc;
	}
	l->port = vg_ep_port(l->ep);
	srv->listeners[srv->nlisteners++] = l;
	vg_log(VG_LOG_INFO, COMPONENT, "listening on %s %s%s", xprt, vg_ep_local(l->ep),
	       (flags & VG_LISTEN_CONTROL) ? " (control)" : "");
	return 0;
}

void vg_server_free(struct vg_server *srv)
{
	if (!srv)
		return;
	if (srv->dir_listener > 0)
		vg_setdir_unlisten(srv->dir, srv->dir_listener);
	for (size_t i = 0; i < srv->nlisteners; i++) {
		vg_ep_close(srv->listeners[i]->ep);
		vg_ep_put(srv->listeners[i]->ep);
	}
	for (struct conn *c = srv->conns; c; c = c->next)
		vg_ep_close(c->ep);
	/* let the transports deliver the disconnects so connections free themselves */
	for (int i = 0; i < 50 && srv->conns; i++)
		vg_loop_run_once(srv->loop, 10);
	while (srv->conns) {
		struct conn *c = srv->conns;
		srv->conns = c->next;
		srv_push_drop_conn(c);
		vg_timer_stop(&c->auth_timer);
		vg_ep_set_cb(c->ep, NULL, NULL);
		vg_ep_put(c->ep);
		free(c);
	}
	while (srv->nexports)
		export_del(srv, srv->exports[srv->nexports - 1].set);
	vg_loop_run_once(srv->loop, 0);
	for (size_t i = 0; i < srv->nxprts; i++)
		vg_xprt_close(srv->xprts[i]);
	for (size_t i = 0; i < srv->nlisteners; i++)
		free(srv->listeners[i]);
	free(srv->exports);
	free(srv->listeners);
	vg_wbuf_free(&srv->out);
	free(srv);
}

void vg_server_set_status_public(struct vg_server *srv, bool on)
{
	srv->status_public = on;
}

void vg_server_set_auth_timeout(struct vg_server *srv, uint64_t us)
{
	srv->auth_timeout_us = us;
}

uint16_t vg_server_port(const struct vg_server *srv, size_t i)
{
	return i < srv->nlisteners ? srv->listeners[i]->port : 0;
}

void vg_server_status(const struct vg_server *srv, struct vg_strbuf *out)
{
	for (size_t i = 0; i < srv->nlisteners; i++) {
		const struct listener *l = srv->listeners[i];
		vg_strbuf_printf(out, "Listening: %s %s%s\n", l->xprt, vg_ep_local(l->ep),
				 (l->flags & VG_LISTEN_CONTROL) ? " (control)" : "");
	}
	vg_strbuf_printf(out, "Connections: %zu\n", srv->nconns);
}

bool vg_server_listener(const struct vg_server *srv, size_t i, const char **xprt,
			const char **addr, unsigned *flags)
{
	if (i >= srv->nlisteners)
		return false;
	*xprt = srv->listeners[i]->xprt;
	*addr = vg_ep_local(srv->listeners[i]->ep);
	*flags = srv->listeners[i]->flags;
	return true;
}

size_t vg_server_conn_count(const struct vg_server *srv)
{
	return srv->nconns;
}
