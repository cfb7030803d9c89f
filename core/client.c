/*
 * client.c - the blocking tool client: one private loop, one request at a time.
 *
 * Every reply is matched to the outstanding request by req_id; replies to
 * anything else (late replies after a timeout, directory notifications) are
 * ignored.  A reply that is malformed ends the call with -EPROTO: the
 * daemon is not trusted more than any other peer.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "loop.h"
#include "wire.h"
#include "plugins/auth.h"

enum wait_state { WAIT_NONE, WAIT_CONNECT, WAIT_AUTH, WAIT_REPLY, WAIT_READ };

/* A directory larger than this is a server that will not stop talking. */
#define DIR_ENTRIES_MAX (4u << 20)

struct vg_client {
	struct vg_loop *loop;
	struct vg_xprt *xprt;
	struct vg_ep *ep;
	int timeout_ms;
	char peer[300];
	struct vg_wbuf out;
	uint64_t next_req_id;

	/* the call in progress */
	enum wait_state waiting;
	uint64_t req_id;
	bool done;
	int status;              /* result of the call so far */
	bool disconnected;
	char reason[256];
	struct vg_err *err;
	/* per-call reply handler: returns true when the call is complete */
	bool (*on_reply)(struct vg_client *c, const struct vg_msg_hdr *h, struct vg_rbuf *body);
	enum vg_msg_type req_type, reply_type;

	void *call_arg;
	struct vg_plugin *auth; /* NULL: the built-in none */
	bool auth_sent, auth_done;
	int auth_status;
	char auth_msg[512];
};

static void client_fail(struct vg_client *c, int status, const char *fmt, ...) VG_PRINTF(3, 4);

/* A status from the wire: 0 or a negative errno (never INT32_MIN, whose negation overflows). */
static bool status_valid(int32_t status)
{
	return status <= 0 && status > -4096;
}

static void client_fail(struct vg_client *c, int status, const char *fmt, ...)
{
	if (c->done)
		return;
	va_list ap;
	va_start(ap, fmt);
	c->status = vg_verrf(c->err, status, fmt, ap);
	va_end(ap);
	c->done = true;
}

static void handle_error_msg(struct vg_client *c, struct vg_rbuf *body)
{
	int32_t status = (int32_t)vg_rbuf_u32(body);
	char msg[1024];
	vg_rbuf_str(body, msg, sizeof(msg));
	if (!vg_rbuf_ok(body) || !status_valid(status) || status == 0)
		client_fail(c, EPROTO, "%s sent a malformed error reply", c->peer);
	else
		client_fail(c, -status, "%s", msg);
}

static void auth_challenge(struct vg_client *c, struct vg_rbuf *body);
static void auth_result(struct vg_client *c, struct vg_rbuf *body);

static void on_ep_event(struct vg_ep *ep, const struct vg_ep_event *ev, void *arg)
{
	struct vg_client *c = arg;
	switch (ev->type) {
	case VG_EP_CONNECTED:
		if (c->waiting == WAIT_CONNECT)
			c->done = true;
		break;
	case VG_EP_REJECTED:
	case VG_EP_DISCONNECTED:
		c->disconnected = true;
		snprintf(c->reason, sizeof(c->reason), "%s",
			 ev->reason ? ev->reason : strerror(-ev->status));
		if (c->waiting != WAIT_NONE)
			client_fail(c, ev->status ? -ev->status : ECONNRESET,
				    "connection to %s %s: %s", c->peer,
				    ev->type == VG_EP_REJECTED ? "failed" : "closed", c->reason);
		break;
	case VG_EP_READ_DONE:
		if (c->waiting == WAIT_READ && !c->done && ev->ctx == c->call_arg) {
			c->status = ev->status;
			if (ev->status)
				vg_errf(c->err, -ev->status, "reading set data from %s: %s", c->peer,
					strerror(-ev->status));
			c->done = true;
		}
		break;
	case VG_EP_RECV: {
		struct vg_msg_hdr h;
		struct vg_rbuf body;
		struct vg_err perr;
		if (vg_msg_parse(ev->data, ev->len, &h, &body, &perr)) {
			client_fail(c, EPROTO, "%s sent an invalid message: %s", c->peer, perr.msg);
			vg_ep_close(ep);
			break;
		}
		/* on loopback both may arrive while we still wait for CONNECTED */
		if (h.type == VG_MSG_AUTH_CHALLENGE && !c->auth_sent) {
			auth_challenge(c, &body);
			break;
		}
		if (h.type == VG_MSG_AUTH_RESULT && c->auth_sent && !c->auth_done) {
			auth_result(c, &body);
			break;
		}
		if (c->waiting != WAIT_REPLY || c->done || h.req_id != c->req_id)
			break; /* a late reply or a notification: not ours */
		if (h.type == VG_MSG_ERROR)
			handle_error_msg(c, &body);
		else if (h.type != c->reply_type)
			client_fail(c, EPROTO, "%s answered %s with %s", c->peer,
				    vg_msg_type_name(c->req_type), vg_msg_type_name(h.type));
		else if (c->on_reply(c, &h, &body))
			c->done = true;
		break;
	}
	case VG_EP_ACCEPTED:
		break;
	}
}

/* Drive the loop until the call is done or the timeout passes. */
static int client_wait(struct vg_client *c, enum wait_state what, const char *doing)
{
	c->waiting = what;
	uint64_t deadline = vg_mono_us() + (uint64_t)c->timeout_ms * 1000u;
	while (!c->done) {
		uint64_t now = vg_mono_us();
		if (now >= deadline) {
			client_fail(c, ETIMEDOUT, "no answer from %s within %d ms while %s", c->peer,
				    c->timeout_ms, doing);
			/*
			 * A read still in flight would land in the set's buffer later,
			 * maybe after the caller freed it: the connection goes instead.
			 */
			if (what == WAIT_READ)
				vg_ep_close(c->ep);
			break;
		}
		int ms = (int)((deadline - now + 999) / 1000);
		int rc = vg_loop_run_once(c->loop, ms);
		if (rc < 0) {
			client_fail(c, -rc, "event loop failed: %s", strerror(-rc));
			break;
		}
	}
	c->waiting = WAIT_NONE;
	return c->status;
}

static void call_reset(struct vg_client *c, struct vg_err *err)
{
	c->done = false;
	c->status = 0;
	c->err = err;
	vg_err_clear(err);
}

/*
 * The daemon speaks first, as soon as it accepts (maybe in the same loop
 * iteration as our CONNECTED): answer its challenge whenever it comes.
 */
static void auth_challenge(struct vg_client *c, struct vg_rbuf *body)
{
	struct vg_err err;
	vg_err_clear(&err);
	c->auth_sent = true;
	int rc = vg_auth_respond(c->auth, body, &c->out, &err);
	if (rc == 0)
		rc = vg_msg_finish(&c->out);
	if (rc == 0)
		rc = vg_ep_send(c->ep, c->out.buf, c->out.len);
	if (rc) {
		c->auth_status = rc;
		snprintf(c->auth_msg, sizeof(c->auth_msg), "%s",
			 err.msg[0] ? err.msg : strerror(-rc));
		client_fail(c, -rc, "authenticating to %s: %s", c->peer, c->auth_msg);
	}
}

static void auth_result(struct vg_client *c, struct vg_rbuf *body)
{
	struct vg_err err;
	vg_err_clear(&err);
	c->auth_done = true;
	c->auth_status = vg_auth_result_parse(body, &err);
	if (c->auth_status)
		snprintf(c->auth_msg, sizeof(c->auth_msg), "%s", err.msg);
	if (c->waiting == WAIT_AUTH) {
		c->status = c->auth_status;
		c->done = true;
	}
}

struct vg_client *vg_client_connect(const char *xprt, const char *host, uint16_t port,
				    int timeout_ms, struct vg_err *err)
{
	return vg_client_connect_auth(xprt, host, port, timeout_ms, NULL, err);
}

struct vg_client *vg_client_connect_auth(const char *xprt, const char *host, uint16_t port,
					 int timeout_ms, struct vg_plugin *auth, struct vg_err *err)
{
	vg_xprt_init();
	struct vg_client *c = calloc(1, sizeof(*c));
	if (!c) {
		vg_errf(err, ENOMEM, "out of memory");
		return NULL;
	}
	c->timeout_ms = timeout_ms > 0 ? timeout_ms : 10000;
	if (host && host[0] == '/')
		snprintf(c->peer, sizeof(c->peer), "%s", host);
	else
		snprintf(c->peer, sizeof(c->peer), "%s:%u", host, port);
	vg_wbuf_init(&c->out, VG_MSG_MAX);
	c->next_req_id = 1;
	c->loop = vg_loop_new(err);
	if (!c->loop)
		goto fail;
	c->xprt = vg_xprt_open(c->loop, xprt, err);
	if (!c->xprt)
		goto fail;
	c->ep = vg_ep_new(c->xprt, on_ep_event, c);
	if (!c->ep) {
		vg_errf(err, ENOMEM, "out of memory");
		goto fail;
	}
	call_reset(c, err);
	c->waiting = WAIT_CONNECT;
	int rc = vg_ep_connect(c->ep, host, port, err);
	if (rc) {
		if (err && !err->msg[0])
			vg_errf(err, -rc, "cannot connect to %s: %s", c->peer, strerror(-rc));
		goto fail;
	}
	c->auth = auth;
	if (client_wait(c, WAIT_CONNECT, "connecting"))
		goto fail;
	call_reset(c, err);
	int rc_auth = 0;
	if (!c->auth_done && !c->auth_status)
		rc_auth = client_wait(c, WAIT_AUTH, "authenticating");
	if (c->auth_status) { /* the daemon's (or our plugin's) reason beats a bare hang-up */
		vg_errf(err, -c->auth_status, "%s: %s", c->peer, c->auth_msg);
		goto fail;
	}
	if (rc_auth)
		goto fail;
	return c;
fail:
	vg_client_close(c);
	return NULL;
}

void vg_client_close(struct vg_client *c)
{
	if (!c)
		return;
	if (c->ep) {
		vg_ep_close(c->ep);
		/* let the transport deliver DISCONNECTED and release its resources */
		for (int i = 0; i < 100 && !c->disconnected; i++)
			if (vg_loop_run_once(c->loop, 10) < 0)
				break;
		vg_ep_put(c->ep);
		c->ep = NULL;
		vg_loop_run_once(c->loop, 0);
	}
	if (c->xprt)
		vg_xprt_close(c->xprt);
	if (c->loop)
		vg_loop_free(c->loop);
	vg_wbuf_free(&c->out);
	free(c);
}

const char *vg_client_peer(const struct vg_client *c)
{
	return c->peer;
}

/* Send the message built in c->out as a new request. */
static int client_send(struct vg_client *c)
{
	if (c->disconnected)
		return vg_errf(c->err, ENOTCONN, "connection to %s is closed: %s", c->peer,
			       c->reason);
	if (vg_msg_finish(&c->out))
		return vg_errf(c->err, EMSGSIZE, "request too large");
	int rc = vg_ep_send(c->ep, c->out.buf, c->out.len);
	if (rc)
		return vg_errf(c->err, -rc, "sending to %s: %s", c->peer, strerror(-rc));
	return 0;
}

typedef bool (*reply_fn)(struct vg_client *c, const struct vg_msg_hdr *h, struct vg_rbuf *body);

/* Begin a request of type in c->out; its replies (of reply_type) go to on_reply with arg. */
static void call_start(struct vg_client *c, struct vg_err *err, enum vg_msg_type type,
		       enum vg_msg_type reply_type, reply_fn on_reply, void *arg)
{
	call_reset(c, err);
	c->req_type = type;
	c->reply_type = reply_type;
	c->req_id = c->next_req_id++;
	c->on_reply = on_reply;
	c->call_arg = arg;
	vg_msg_begin(&c->out, type, c->req_id);
}

/* Send the request and wait for its last reply. */
static int call_finish(struct vg_client *c, const char *doing)
{
	int rc = client_send(c);
	return rc ? rc : client_wait(c, WAIT_REPLY, doing);
}

/* ------------------------------------------------------------------ dir */

struct dir_call {
	struct vg_dir_entry *entries;
	size_t n, cap;
};

static bool dir_reply(struct vg_client *c, const struct vg_msg_hdr *h, struct vg_rbuf *body)
{
	struct dir_call *dc = c->call_arg;
	uint32_t flags = vg_rbuf_u32(body);
	uint32_t count = vg_rbuf_u32(body);
	/* each entry takes at least 34 bytes: a count beyond that is a lie */
	if (!vg_rbuf_ok(body) || count > vg_rbuf_remaining(body) / 34 + 1 ||
	    dc->n + count > DIR_ENTRIES_MAX) {
		client_fail(c, EPROTO, "%s sent a malformed directory reply", c->peer);
		return true;
	}
	if (dc->n + count > dc->cap) {
		size_t cap = dc->cap ? dc->cap : 64;
		while (cap < dc->n + count)
			cap *= 2;
		struct vg_dir_entry *ne = realloc(dc->entries, cap * sizeof(*ne));
		if (!ne) {
			client_fail(c, ENOMEM, "out of memory reading the directory");
			return true;
		}
		dc->entries = ne;
		dc->cap = cap;
	}
	for (uint32_t i = 0; i < count; i++)
		vg_proto_get_dir_entry(body, &dc->entries[dc->n++]);
	if (!vg_rbuf_ok(body) || vg_rbuf_remaining(body)) {
		client_fail(c, EPROTO, "%s sent a malformed directory entry", c->peer);
		return true;
	}
	return !(flags & VG_MSG_F_MORE);
}

int vg_client_dir(struct vg_client *c, struct vg_dir_entry **entries, size_t *n,
		  struct vg_err *err)
{
	struct dir_call dc = {0};
	call_start(c, err, VG_MSG_DIR_REQ, VG_MSG_DIR_REPLY, dir_reply, &dc);
	vg_wbuf_u32(&c->out, 0);
	int rc = call_finish(c, "reading the directory");
	if (rc) {
		free(dc.entries);
		return rc;
	}
	*entries = dc.entries;
	*n = dc.n;
	return 0;
}

/* ------------------------------------------------------------------ lookup */

struct lookup_call {
	struct vg_rset *sets;
	size_t n, cap;
};

static bool lookup_reply(struct vg_client *c, const struct vg_msg_hdr *h, struct vg_rbuf *body)
{
	struct lookup_call *lc = c->call_arg;
	int32_t status = (int32_t)vg_rbuf_u32(body);
	if (!vg_rbuf_ok(body) || !status_valid(status)) {
		client_fail(c, EPROTO, "%s sent a malformed lookup reply", c->peer);
		return true;
	}
	if (status < 0) {
		client_fail(c, -status, "lookup failed on %s: %s", c->peer, strerror(-status));
		return true;
	}
	struct vg_lookup_view v;
	if (vg_proto_get_lookup_reply(body, &v)) {
		client_fail(c, EPROTO, "%s sent a malformed lookup reply", c->peer);
		return true;
	}
	struct vg_err serr;
	struct vg_set *set = vg_set_mirror_new(NULL, v.meta, v.meta_len, &serr);
	if (!set) {
		client_fail(c, EPROTO, "%s sent an invalid set: %s", c->peer, serr.msg);
		return true;
	}
	int rc = vg_proto_apply_info(&v, set);
	if (rc == 0) {
		rc = vg_set_data_apply(set, v.data, v.data_len, &serr);
		/* a set caught mid-sample is still a good lookup; values come with the next update */
		if (rc == -EAGAIN)
			rc = 0;
	}
	if (rc == 0 && lc->n == lc->cap) {
		size_t cap = lc->cap ? lc->cap * 2 : 16;
		struct vg_rset *ns = realloc(lc->sets, cap * sizeof(*ns));
		if (!ns)
			rc = -ENOMEM;
		else {
			lc->sets = ns;
			lc->cap = cap;
		}
	}
	if (rc) {
		vg_set_put(set);
		client_fail(c, rc == -ENOMEM ? ENOMEM : EPROTO, "%s sent an invalid set: %s",
			    c->peer, rc == -ENOMEM ? "out of memory" : serr.msg);
		return true;
	}
	struct vg_rset *rs = &lc->sets[lc->n++];
	rs->set = set;
	rs->set_flags = v.set_flags;
	memcpy(rs->rkey.bytes, v.rkey, sizeof(rs->rkey.bytes));
	rs->data_offset = v.data_offset;
	return !(v.flags & VG_MSG_F_MORE);
}

int vg_client_lookup(struct vg_client *c, const char *pattern, uint32_t match,
		     struct vg_rset **sets, size_t *n, struct vg_err *err)
{
	struct lookup_call lc = {0};
	call_start(c, err, VG_MSG_LOOKUP_REQ, VG_MSG_LOOKUP_REPLY, lookup_reply, &lc);
	vg_wbuf_u32(&c->out, match);
	vg_wbuf_str(&c->out, pattern);
	int rc = call_finish(c, "looking sets up");
	if (rc) {
		vg_client_rsets_free(lc.sets, lc.n);
		return rc;
	}
	*sets = lc.sets;
	*n = lc.n;
	return 0;
}

void vg_client_rsets_free(struct vg_rset *sets, size_t n)
{
	for (size_t i = 0; i < n; i++)
		vg_set_put(sets[i].set);
	free(sets);
}

/* ------------------------------------------------------------------ update */

int vg_client_update(struct vg_client *c, struct vg_rset *rs, struct vg_err *err)
{
	call_reset(c, err);
	if (c->disconnected)
		return vg_errf(err, ENOTCONN, "connection to %s is closed: %s", c->peer, c->reason);
	size_t len;
	void *buf = vg_set_data_buf(rs->set, &len);
	c->call_arg = rs;
	int rc = vg_ep_read(c->ep, &rs->rkey, rs->data_offset, buf, len, rs);
	if (rc)
		return vg_errf(err, -rc, "reading %s from %s: %s", vg_set_instance(rs->set), c->peer,
			       strerror(-rc));
	rc = client_wait(c, WAIT_READ, "updating a set");
	if (rc)
		return rc;
	return vg_set_data_check(rs->set, err);
}

/* ------------------------------------------------------------------ cmd */

struct cmd_call {
	int status;
	struct vg_strbuf *reply;
};

static bool cmd_reply(struct vg_client *c, const struct vg_msg_hdr *h, struct vg_rbuf *body)
{
	struct cmd_call *cc = c->call_arg;
	cc->status = (int32_t)vg_rbuf_u32(body);
	size_t n;
	const char *text = vg_rbuf_blob(body, &n);
	if (!vg_rbuf_ok(body) || !status_valid(cc->status)) {
		client_fail(c, EPROTO, "%s sent a malformed command reply", c->peer);
		return true;
	}
	if (cc->reply && n)
		vg_strbuf_append(cc->reply, text, n);
	return true;
}

int vg_client_cmd(struct vg_client *c, const char *line, int *status, struct vg_strbuf *reply,
		  struct vg_err *err)
{
	return vg_client_cmd_flags(c, line, 0, status, reply, err);
}

int vg_client_cmd_flags(struct vg_client *c, const char *line, unsigned flags, int *status,
			struct vg_strbuf *reply, struct vg_err *err)
{
	struct cmd_call cc = {0, reply};
	call_start(c, err, VG_MSG_CMD_REQ, VG_MSG_CMD_REPLY, cmd_reply, &cc);
	vg_wbuf_blob(&c->out, line, strlen(line));
	if (flags)
		vg_wbuf_u32(&c->out, flags);
	int rc = call_finish(c, "running a command");
	if (rc)
		return rc;
	*status = cc.status;
	return 0;
}
