/*
 * advertise.c - the sampler side of advertisement: advertiser_* commands
 * and the connection that announces this daemon to an aggregator.
 *
 * The design (connect-back, and how it differs from LDMS) is in
 * advertise.h.  Life of an advertiser:
 *
 *   STOPPED -start-> CONNECTING (transport, then the aggregator's auth
 *   challenge) -> ADVERTISING (ADVERTISE sent) -> ADVERTISED (accepted;
 *   the connection is kept) or REJECTED (closed; the reason logged once).
 *   A failed or lost connection and a refusal are retried every reconnect
 *   interval, for ever; each condition is logged once and its repeats
 *   counted (advertiser_status).
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/log.h"
#include "core/proto.h"
#include "daemon/advertise.h"
#include "daemon/daemon.h"
#include "daemon/handlers.h"
#include "daemon/json.h"
#include "daemon/prdcr.h"
#include "daemon/server.h"
#include "plugins/auth.h"
#include "xprt/xprt.h"

#define ADV_DEFAULT_RECONNECT_US 20000000u
#define ADV_REQ_ID 1u

static void adv_connect(struct ldmsd_advertiser *a);

const char *adv_state_name(enum adv_state st)
{
	switch (st) {
	case ADV_STOPPED: return "STOPPED";
	case ADV_DISCONNECTED: return "DISCONNECTED";
	case ADV_CONNECTING: return "CONNECTING";
	case ADV_ADVERTISING: return "ADVERTISING";
	case ADV_ADVERTISED: return "ADVERTISED";
	case ADV_REJECTED: return "REJECTED";
	case ADV_STOPPING: return "STOPPING";
	}
	return "?";
}

struct ldmsd_advertiser *advertiser_find(struct ldmsd *d, const char *name)
{
	for (size_t i = 0; i < d->nadvertisers; i++)
		if (strcmp(d->advertisers[i]->name, name) == 0)
			return d->advertisers[i];
	return NULL;
}

int ldmsd_client_auth_step(struct ldmsd *d, const char *auth, const struct vg_msg_hdr *h,
			   struct vg_rbuf *body, struct vg_wbuf *out, struct vg_err *err)
{
	if (h->type == VG_MSG_AUTH_CHALLENGE) {
		int rc = vg_auth_respond(ldmsd_auth_find(d, auth ? auth : "DEFAULT"), body, out, err);
		return rc ? rc : 1;
	}
	if (h->type == VG_MSG_AUTH_RESULT)
		return vg_auth_result_parse(body, err);
	return vg_errf(err, EPROTO, "it sent %s before authenticating us",
		       vg_msg_type_name(h->type));
}

/* ------------------------------------------------------------------ connection */


/* What we say about ourselves: the daemon's name, and where our first network listener is. */
static int advertisement(struct ldmsd_advertiser *a, struct vg_advertise *adv, struct vg_err *err)
{
	struct ldmsd *d = a->d;
	memset(adv, 0, sizeof(*adv));
	char host[256] = "";
	const char *self = d->name;
	if (!self || !self[0]) {
		gethostname(host, sizeof(host) - 1);
		self = host;
	}
	if (strlen(self) > VG_PRODUCER_MAX)
		return vg_errf(err, ENAMETOOLONG,
			       "the daemon name '%s' is longer than the %d characters of a producer "
			       "name: give ldmsd a shorter -n NAME",
			       self, VG_PRODUCER_MAX);
	vg_strlcpy(adv->producer, self, sizeof(adv->producer));
	vg_strlcpy(adv->host, a->my_host ? a->my_host : "", sizeof(adv->host));
	const char *xprt = NULL, *addr;
	unsigned flags;
	uint16_t port = 0;
	for (size_t i = 0; d->server && vg_server_listener(d->server, i, &xprt, &addr, &flags); i++) {
		if (addr[0] != '/') {
			port = vg_server_port(d->server, i);
			break;
		}
		xprt = NULL;
	}
	adv->port = a->my_port ? a->my_port : port;
	vg_strlcpy(adv->xprt, a->my_xprt ? a->my_xprt : xprt ? xprt : a->xprt, sizeof(adv->xprt));
	if (!adv->port)
		return vg_errf(err, EDESTADDRREQ,
			       "this daemon listens on no network endpoint to advertise: give it one "
			       "(-x, listen) or say which with my_port=");
	if (!vg_proto_advertise_valid(adv, err))
		return -EINVAL;
	return 0;
}

static void adv_send(struct ldmsd_advertiser *a)
{
	int rc = vg_msg_finish(&a->out);
	if (rc == 0)
		rc = vg_ep_send(a->ep, a->out.buf, a->out.len);
	if (rc && rc != -ENOTCONN) {
		vg_complain(&a->conn_complaint, VG_LOG_ERROR, a->name,
			    "advertiser %s: cannot send to aggregator %s: %s", a->name,
			    vg_ep_peer(a->ep), strerror(-rc));
		a->closing_logged = true;
		vg_ep_close(a->ep);
	}
}

static void schedule_retry(struct ldmsd_advertiser *a, enum adv_state st)
{
	a->state = st;
	vg_timer_start(a->d->loop, &a->reconnect_timer, a->reconnect_us);
}

static void advertise_now(struct ldmsd_advertiser *a)
{
	struct vg_err err;
	vg_err_clear(&err);
	if (advertisement(a, &a->sent, &err)) {
		vg_strlcpy(a->last_error, err.msg, sizeof(a->last_error));
		vg_complain(&a->conn_complaint, VG_LOG_ERROR, a->name, "advertiser %s: %s", a->name,
			    err.msg);
		a->closing_logged = true;
		vg_ep_close(a->ep);
		return;
	}
	a->state = ADV_ADVERTISING;
	vg_proto_put_advertise(&a->out, ADV_REQ_ID, &a->sent);
	adv_send(a);
}

static void on_reply(struct ldmsd_advertiser *a, struct vg_rbuf *body)
{
	struct vg_err err;
	vg_err_clear(&err);
	int32_t status;
	char msg[VG_ADV_MSG_MAX + 1];
	if (vg_proto_get_advertise_reply(body, &status, msg, sizeof(msg), &err)) {
		vg_complain(&a->conn_complaint, VG_LOG_ERROR, a->name,
			    "advertiser %s: closing the connection to aggregator %s: %s", a->name,
			    vg_ep_peer(a->ep), err.msg);
		a->closing_logged = true;
		vg_ep_close(a->ep);
		return;
	}
	if (status == 0) {
		a->state = ADV_ADVERTISED;
		a->accepts++;
		a->advertised_us = vg_now_us();
		a->last_error[0] = '\0';
		vg_complaint_clear(&a->conn_complaint, VG_LOG_INFO, a->name,
				   "advertiser %s: aggregator %s:%u reachable again", a->name, a->host,
				   a->port);
		vg_complaint_clear(&a->reject_complaint, VG_LOG_INFO, a->name,
				   "advertiser %s: aggregator %s:%u accepts us now", a->name, a->host,
				   a->port);
		vg_log(VG_LOG_INFO, a->name,
		       "advertiser %s: aggregator %s:%u accepted producer %s (port %u, %s)%s%s",
		       a->name, a->host, a->port, a->sent.producer, a->sent.port, a->sent.xprt,
		       msg[0] ? ": " : "", msg);
		return;
	}
	a->rejections++;
	snprintf(a->last_error, sizeof(a->last_error), "%s", msg[0] ? msg : "no reason given");
	vg_complain(&a->reject_complaint, VG_LOG_ERROR, a->name,
		    "advertiser %s: aggregator %s:%u refused producer %s: %s (retrying every %" PRIu64
		    " ms; repeats are counted in advertiser_status)",
		    a->name, a->host, a->port, a->sent.producer, a->last_error,
		    a->reconnect_us / 1000);
	a->closing_rejected = true;
	vg_ep_close(a->ep);
}

static void on_recv(struct ldmsd_advertiser *a, const struct vg_ep_event *ev)
{
	struct vg_msg_hdr h;
	struct vg_rbuf body;
	struct vg_err err;
	vg_err_clear(&err);
	if (vg_msg_parse(ev->data, ev->len, &h, &body, &err)) {
		vg_complain(&a->conn_complaint, VG_LOG_ERROR, a->name,
			    "advertiser %s: closing the connection to aggregator %s: %s", a->name,
			    vg_ep_peer(a->ep), err.msg);
		a->closing_logged = true;
		vg_ep_close(a->ep);
		return;
	}
	if (a->state == ADV_CONNECTING) {
		int rc = ldmsd_client_auth_step(a->d, a->auth, &h, &body, &a->out, &err);
		if (rc == 1) {
			adv_send(a);
		} else if (rc == 0) {
			advertise_now(a);
		} else {
			vg_strlcpy(a->last_error, err.msg, sizeof(a->last_error));
			vg_complain(&a->conn_complaint, VG_LOG_ERROR, a->name,
				    "advertiser %s (aggregator %s:%u): authentication (%s) failed: %s",
				    a->name, a->host, a->port, a->auth, err.msg);
			a->closing_logged = true;
			vg_ep_close(a->ep);
		}
		return;
	}
	if (a->state == ADV_ADVERTISING && h.type == VG_MSG_ADVERTISE_REPLY &&
	    h.req_id == ADV_REQ_ID)
		on_reply(a, &body);
	/* anything else (a late ERROR, ...) changes nothing: the connection only watches */
}

static void connection_gone(struct ldmsd_advertiser *a, const struct vg_ep_event *ev)
{
	enum adv_state was = a->state;
	vg_ep_put(a->ep);
	a->ep = NULL;
	if (was == ADV_STOPPING) {
		a->state = ADV_STOPPED;
		vg_log(VG_LOG_INFO, a->name, "advertiser %s stopped", a->name);
		return;
	}
	bool logged = a->closing_logged;
	a->closing_logged = false;
	if (a->closing_rejected) {
		a->closing_rejected = false;
		schedule_retry(a, ADV_REJECTED);
		return;
	}
	const char *why = ev->reason ? ev->reason : strerror(ev->status < 0 ? -ev->status : EIO);
	if (was == ADV_ADVERTISED) {
		a->disconnects++;
		snprintf(a->last_error, sizeof(a->last_error), "%s", why);
		vg_log(VG_LOG_WARNING, a->name,
		       "advertiser %s: connection to aggregator %s:%u lost: %s; advertising again "
		       "every %" PRIu64 " ms",
		       a->name, a->host, a->port, why, a->reconnect_us / 1000);
	} else if (logged) {
		a->connect_failures++;
	} else {
		a->connect_failures++;
		if (a->last_error[0] == '\0' || ev->type == VG_EP_REJECTED)
			snprintf(a->last_error, sizeof(a->last_error), "%s", why);
		vg_complain(&a->conn_complaint, VG_LOG_WARNING, a->name,
			    "advertiser %s: cannot advertise to aggregator %s:%u over %s: %s "
			    "(retrying every %" PRIu64 " ms; repeats are counted in advertiser_status)",
			    a->name, a->host, a->port, a->xprt, a->last_error, a->reconnect_us / 1000);
	}
	schedule_retry(a, ADV_DISCONNECTED);
}

static void on_ep_event(struct vg_ep *ep, const struct vg_ep_event *ev, void *arg)
{
	struct ldmsd_advertiser *a = arg;
	if (ep != a->ep)
		return;
	switch (ev->type) {
	case VG_EP_RECV:
		on_recv(a, ev);
		break;
	case VG_EP_REJECTED:
	case VG_EP_DISCONNECTED:
		connection_gone(a, ev);
		break;
	default:
		break; /* CONNECTED: the aggregator's challenge follows */
	}
}

static void adv_connect(struct ldmsd_advertiser *a)
{
	struct vg_err err;
	vg_err_clear(&err);
	a->connect_attempts++;
	a->last_error[0] = '\0';
	struct vg_xprt *x = ldmsd_client_xprt(a->d, a->xprt, &err);
	if (x)
		a->ep = vg_ep_new(x, on_ep_event, a);
	if (!a->ep || vg_ep_connect(a->ep, a->host, a->port, &err)) {
		if (a->ep) {
			vg_ep_set_cb(a->ep, NULL, NULL);
			vg_ep_put(a->ep);
			a->ep = NULL;
		}
		a->connect_failures++;
		snprintf(a->last_error, sizeof(a->last_error), "%s",
			 err.msg[0] ? err.msg : "out of memory");
		vg_complain(&a->conn_complaint, VG_LOG_WARNING, a->name,
			    "advertiser %s: cannot connect to aggregator %s:%u over %s: %s "
			    "(retrying every %" PRIu64 " ms; repeats are counted in advertiser_status)",
			    a->name, a->host, a->port, a->xprt, a->last_error, a->reconnect_us / 1000);
		schedule_retry(a, ADV_DISCONNECTED);
		return;
	}
	a->state = ADV_CONNECTING;
}

static void on_retry_timer(struct vg_timer *t, void *arg)
{
	struct ldmsd_advertiser *a = arg;
	(void)t;
	if (a->state == ADV_DISCONNECTED || a->state == ADV_REJECTED)
		adv_connect(a);
}

/* ------------------------------------------------------------------ life cycle */

static int advertiser_start(struct ldmsd_advertiser *a, uint64_t reconnect_us)
{
	if (a->state != ADV_STOPPED)
		return -EBUSY;
	if (reconnect_us)
		a->reconnect_us = reconnect_us;
	a->closing_rejected = false;
	a->closing_logged = false;
	adv_connect(a);
	return 0;
}

static int advertiser_stop(struct ldmsd_advertiser *a)
{
	if (a->state == ADV_STOPPED || a->state == ADV_STOPPING)
		return -EALREADY;
	vg_timer_stop(&a->reconnect_timer);
	if (a->ep) {
		a->state = ADV_STOPPING;
		vg_ep_close(a->ep);
		return 0;
	}
	a->state = ADV_STOPPED;
	return 0;
}

static void advertiser_free(struct ldmsd_advertiser *a)
{
	vg_timer_stop(&a->reconnect_timer);
	if (a->ep) {
		vg_ep_set_cb(a->ep, NULL, NULL);
		vg_ep_close(a->ep);
		vg_ep_put(a->ep);
	}
	vg_wbuf_free(&a->out);
	free(a->name);
	free(a->host);
	free(a->xprt);
	free(a->auth);
	free(a->my_host);
	free(a->my_xprt);
	free(a);
}

void advertiser_shutdown_all(struct ldmsd *d)
{
	for (size_t i = 0; i < d->nadvertisers; i++)
		advertiser_stop(d->advertisers[i]);
	for (int round = 0; round < 100 && d->loop; round++) {
		bool busy = false;
		for (size_t i = 0; i < d->nadvertisers; i++)
			busy |= d->advertisers[i]->state == ADV_STOPPING;
		if (!busy)
			break;
		vg_loop_run_once(d->loop, 10);
	}
	for (size_t i = 0; i < d->nadvertisers; i++)
		advertiser_free(d->advertisers[i]);
	free(d->advertisers);
	d->advertisers = NULL;
	d->nadvertisers = 0;
}

/* ------------------------------------------------------------------ commands */

static struct ldmsd_advertiser *must_find(struct vg_cmd_ctx *ctx, const char *name)
{
	struct ldmsd_advertiser *a = advertiser_find(ctx->d, name);
	if (!a)
		vg_errf(ctx->err, ENOENT, "advertiser '%s' does not exist (advertiser_add it first)",
			name);
	return a;
}

static char *dup_opt(const char *s, bool *oom)
{
	if (!s)
		return NULL;
	char *c = strdup(s);
	*oom |= !c;
	return c;
}

int h_advertiser_add(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	struct ldmsd *d = ctx->d;
	const char *name = vg_arg_str(args, "name");
	const char *xprt = vg_arg_str(args, "xprt");
	const char *auth = vg_arg_str(args, "auth");
	const char *my_host = vg_arg_str(args, "my_host");
	const char *my_xprt = vg_arg_str(args, "my_xprt");
	if (advertiser_find(d, name))
		return vg_errf(ctx->err, EEXIST, "advertiser '%s' already exists", name);
	if (!vg_xprt_find(xprt))
		return vg_errf(ctx->err, EINVAL, "xprt=%s: unknown transport (this ldmsd has: %s)",
			       xprt, vg_xprt_names());
	if (my_xprt && !vg_xprt_find(my_xprt))
		return vg_errf(ctx->err, EINVAL, "my_xprt=%s: unknown transport (this ldmsd has: %s)",
			       my_xprt, vg_xprt_names());
	if (auth && !ldmsd_auth_exists(d, auth))
		return vg_errf(ctx->err, ENOENT,
			       "auth=%s: no such authentication domain (auth_add it first)", auth);
	if (my_host) {
		struct vg_advertise probe = {.producer = "x", .port = 1, .xprt = "sock"};
		if (strlen(my_host) >= sizeof(probe.host))
			return vg_errf(ctx->err, EINVAL, "my_host= is longer than %d characters",
				       VG_ADV_HOST_MAX);
		vg_strlcpy(probe.host, my_host, sizeof(probe.host));
		if (!vg_proto_advertise_valid(&probe, NULL))
			return vg_errf(ctx->err, EINVAL,
				       "my_host=%s: not a host name or an address (letters, digits, "
				       "'.', ':', '-', '_', '%%')",
				       my_host);
	}
	uint64_t reconnect = ADV_DEFAULT_RECONNECT_US;
	if (prdcr_reconnect_arg(ctx, args, &reconnect))
		return -EINVAL;
	struct ldmsd_advertiser *a = calloc(1, sizeof(*a));
	if (!a)
		return vg_errf(ctx->err, ENOMEM, "out of memory");
	bool oom = false;
	a->d = d;
	a->name = dup_opt(name, &oom);
	a->host = dup_opt(vg_arg_str(args, "host"), &oom);
	a->xprt = dup_opt(xprt, &oom);
	a->auth = dup_opt(auth ? auth : "DEFAULT", &oom);
	a->my_host = dup_opt(my_host, &oom);
	a->my_xprt = dup_opt(my_xprt, &oom);
	a->port = (uint16_t)vg_arg_u64(args, "port");
	a->my_port = vg_arg_has(args, "my_port") ? (uint16_t)vg_arg_u64(args, "my_port") : 0;
	a->reconnect_us = reconnect;
	vg_wbuf_init(&a->out, 64u << 10);
	vg_timer_init(&a->reconnect_timer, on_retry_timer, a);
	if (oom || ldmsd_array_add((void ***)&d->advertisers, &d->nadvertisers, a)) {
		advertiser_free(a);
		return vg_errf(ctx->err, ENOMEM, "out of memory");
	}
	return 0;
}

int h_advertiser_start(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	struct ldmsd_advertiser *a = must_find(ctx, vg_arg_str(args, "name"));
	if (!a)
		return -ENOENT;
	uint64_t reconnect = 0;
	if (prdcr_reconnect_arg(ctx, args, &reconnect))
		return -EINVAL;
	if (advertiser_start(a, reconnect))
		return vg_errf(ctx->err, EBUSY, "advertiser '%s' is already started (%s)", a->name,
			       adv_state_name(a->state));
	return 0;
}

int h_advertiser_stop(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	struct ldmsd_advertiser *a = must_find(ctx, vg_arg_str(args, "name"));
	if (!a)
		return -ENOENT;
	if (advertiser_stop(a))
		return vg_errf(ctx->err, EALREADY, "advertiser '%s' is already stopped", a->name);
	return 0;
}

int h_advertiser_del(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	struct ldmsd_advertiser *a = must_find(ctx, vg_arg_str(args, "name"));
	if (!a)
		return -ENOENT;
	if (a->state != ADV_STOPPED)
		return vg_errf(ctx->err, EBUSY,
			       "advertiser '%s' is %s: stop it first (advertiser_stop name=%s)",
			       a->name, adv_state_name(a->state), a->name);
	ldmsd_array_del((void **)ctx->d->advertisers, &ctx->d->nadvertisers, a);
	advertiser_free(a);
	return 0;
}

static void advertiser_json(const struct ldmsd_advertiser *a, struct json *j)
{
	json_obj_begin(j);
	json_key_str(j, "name", a->name);
	json_key_str(j, "host", a->host);
	json_key_u64(j, "port", a->port);
	json_key_str(j, "xprt", a->xprt);
	json_key_str(j, "auth", a->auth);
	json_key_u64(j, "reconnect_us", a->reconnect_us);
	json_key_str(j, "state", adv_state_name(a->state));
	json_key_str(j, "my_host", a->my_host);
	json_key_u64(j, "my_port", a->my_port);
	json_key_str(j, "my_xprt", a->my_xprt);
	bool sent = a->sent.producer[0] != '\0';
	json_key_str(j, "producer", sent ? a->sent.producer : NULL);
	json_key_str(j, "advertised_host", sent ? a->sent.host : NULL);
	json_key_u64(j, "advertised_port", a->sent.port);
	json_key_str(j, "advertised_xprt", sent ? a->sent.xprt : NULL);
	json_key_u64(j, "connect_attempts", a->connect_attempts);
	json_key_u64(j, "connect_failures", a->connect_failures);
	json_key_u64(j, "disconnects", a->disconnects);
	json_key_u64(j, "rejections", a->rejections);
	json_key_u64(j, "accepts", a->accepts);
	json_key_u64(j, "advertised_us", a->advertised_us);
	json_key_str(j, "last_error", a->last_error[0] ? a->last_error : NULL);
	json_obj_end(j);
}

int h_advertiser_status(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	const char *name = vg_arg_str(args, "name");
	if (name && !must_find(ctx, name))
		return -ENOENT;
	struct ldmsd *d = ctx->d;
	struct vg_strbuf *out = ctx->reply;
	if (ctx->json) {
		struct json j;
		json_init(&j, out);
		json_obj_begin(&j);
		json_key(&j, "advertisers");
		json_arr_begin(&j);
		for (size_t i = 0; i < d->nadvertisers; i++)
			if (!name || strcmp(name, d->advertisers[i]->name) == 0)
				advertiser_json(d->advertisers[i], &j);
		json_arr_end(&j);
		json_obj_end(&j);
		vg_strbuf_puts(out, "\n");
		return 0;
	}
	vg_strbuf_printf(out, "%-16s %-24s %-10s %-12s %s\n", "Name", "Aggregator", "Transport",
			 "State", "Producer");
	vg_strbuf_printf(out, "---------------- ------------------------ ---------- ------------ "
			      "----------------\n");
	for (size_t i = 0; i < d->nadvertisers; i++) {
		const struct ldmsd_advertiser *a = d->advertisers[i];
		if (name && strcmp(name, a->name) != 0)
			continue;
		char agg[300];
		snprintf(agg, sizeof(agg), "%s:%u", a->host, a->port);
		vg_strbuf_printf(out, "%-16s %-24s %-10s %-12s %s\n", a->name, agg, a->xprt,
				 adv_state_name(a->state),
				 a->sent.producer[0] ? a->sent.producer : "-");
		if (a->state != ADV_ADVERTISED && a->last_error[0])
			vg_strbuf_printf(out,
					 "    # %" PRIu64 " failed attempts, %" PRIu64
					 " refusals; last: %s\n",
					 a->connect_failures, a->rejections, a->last_error);
	}
	return 0;
}
