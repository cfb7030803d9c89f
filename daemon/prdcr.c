/*
 * prdcr.c - producer connections: connect and reconnect, follow the peer's
 * directory, look sets up into published mirrors, update them.
 *
 * Requests about a set carry ids from prdcr_sets.c (slot and generation);
 * id 1 is the directory request.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/setdir.h"
#include "core/wire.h"
#include "daemon/advertise.h"
#include "daemon/daemon.h"
#include "daemon/prdcr.h"
#include "daemon/prdcr_int.h"
#include "daemon/strgp.h"
#include "daemon/updtr.h"
#include "plugins/auth.h"

#define DIR_REQ_ID 1u
#define TORN_RETRIES 2
/* Set info pairs accepted per lookup reply: each is a linear search in the set's list. */
#define PRDCR_INFO_MAX 256

static void prdcr_connect(struct ldmsd_prdcr *p);
static void prdcr_auth_step(struct ldmsd_prdcr *p, const struct vg_msg_hdr *h,
			    struct vg_rbuf *body);
static void on_ep_event(struct vg_ep *ep, const struct vg_ep_event *ev, void *arg);

/* ------------------------------------------------------------------ sets */

/* Out of the directory (next tiers see it go); the memory stays while ps holds it. */
void mirror_hide(struct prdcr_set *ps)
{
	struct ldmsd *d = ps->prdcr->d;
	if (ps->mirror && d->dir && vg_setdir_find(d->dir, ps->instance) == ps->mirror)
		vg_setdir_remove(d->dir, ps->mirror);
	ps->published = false;
}

bool mirror_show(struct prdcr_set *ps)
{
	struct ldmsd *d = ps->prdcr->d;
	struct vg_set *other = vg_setdir_find(d->dir, ps->instance);
	if (other == ps->mirror)
		return ps->published = true;
	int rc = other ? -EEXIST : vg_setdir_add(d->dir, ps->mirror);
	ps->published = rc == 0;
	if (rc)
		vg_complain(&ps->prdcr->set_complaint, VG_LOG_ERROR, ps->prdcr->name,
			    "producer %s: cannot publish set %s: %s", ps->prdcr->name,
			    ps->instance, other ? "this daemon has another set of that name"
						: strerror(-rc));
	return rc == 0;
}

static void mirror_unpublish(struct prdcr_set *ps)
{
	if (!ps->mirror)
		return;
	mirror_hide(ps);
	vg_set_put(ps->mirror);
	ps->mirror = NULL;
}

/* Only when no read into the mirror's staging buffer can be outstanding. */
void pset_free(struct prdcr_set *ps)
{
	struct ldmsd_prdcr *p = ps->prdcr;
	if (!ps->deleted)
		index_remove(p, ps);
	if (ps->shadow)
		p->d->nshadows--;
	pset_bury(ps);
	mirror_unpublish(ps);
	p->sets[ps->slot] = NULL;
	if (ps->slot < p->free_hint)
		p->free_hint = ps->slot;
	p->nsets--;
	while (p->nslots && !p->sets[p->nslots - 1])
		p->nslots--;
	free(ps);
}

static void send_msg(struct ldmsd_prdcr *p, struct vg_wbuf *w)
{
	int rc = vg_msg_finish(w);
	if (rc == 0)
		rc = vg_ep_send(p->ep, w->buf, w->len);
	if (rc && rc != -ENOTCONN)
		vg_complain(&p->set_complaint, VG_LOG_ERROR, p->name,
			    "producer %s: cannot send a request to %s: %s", p->name, vg_ep_peer(p->ep),
			    strerror(-rc));
}

void prdcr_set_lookup(struct prdcr_set *ps)
{
	struct ldmsd_prdcr *p = ps->prdcr;
	/* a stale set the producer no longer lists waits for its DIR_NOTIFY ADD */
	if (p->state != PRDCR_CONNECTED || ps->state == PSET_LOOKUP || ps->reading ||
	    !ps->listed || ps->shadow)
		return;
	struct vg_wbuf *w = &p->out;
	ps->lookup_req_id = pset_req_id(ps);
	bool push = false;
	updtr_wants(p->d, ps, &push);
	ps->lookup_push = push && !p->standby;
	vg_msg_begin(w, VG_MSG_LOOKUP_REQ, ps->lookup_req_id);
	vg_wbuf_u32(w, VG_LOOKUP_INSTANCE | (ps->lookup_push ? VG_LOOKUP_PUSH : 0));
	vg_wbuf_str(w, ps->instance);
	ps->state = PSET_LOOKUP;
	send_msg(p, w);
}

void prdcr_set_push(struct prdcr_set *ps, bool on)
{
	struct ldmsd_prdcr *p = ps->prdcr;
	if (p->state != PRDCR_CONNECTED || ps->state != PSET_READY || on == (ps->push_req_id != 0) ||
	    (on && (p->standby || ps->shadow)))
		return;
	struct vg_wbuf *w = &p->out;
	uint64_t id = on ? pset_req_id(ps) : ps->push_req_id;
	vg_msg_begin(w, VG_MSG_PUSH_REQ, id);
	vg_wbuf_u32(w, on ? 0 : VG_PUSH_F_CANCEL);
	vg_wbuf_str(w, ps->instance);
	ps->push_req_id = on ? id : 0;
	send_msg(p, w);
}

void pset_push_cancel(struct prdcr_set *ps, uint64_t id)
{
	struct ldmsd_prdcr *p = ps->prdcr;
	if (p->state != PRDCR_CONNECTED)
		return;
	vg_msg_begin(&p->out, VG_MSG_PUSH_REQ, id);
	vg_wbuf_u32(&p->out, VG_PUSH_F_CANCEL);
	vg_wbuf_str(&p->out, ps->instance);
	send_msg(p, &p->out);
}

void prdcr_set_update(struct prdcr_set *ps)
{
	struct ldmsd_prdcr *p = ps->prdcr;
	if (p->state != PRDCR_CONNECTED)
		return;
	if (ps->state == PSET_LISTED || ps->state == PSET_ERROR) {
		prdcr_set_lookup(ps);
		return;
	}
	if (ps->state != PSET_READY || p->standby || ps->shadow)
		return;
	if (ps->reading) {
		/* the producer or the network is slower than the interval: count, do not pile up */
		ps->skipped++;
		return;
	}
	size_t len;
	void *buf = vg_set_data_buf(ps->mirror, &len);
	int rc = vg_ep_read(p->ep, &ps->rkey, ps->data_offset, buf, len, ps);
	if (rc) {
		vg_complain(&p->set_complaint, VG_LOG_ERROR, p->name,
			    "producer %s: cannot read set %s: %s", p->name, ps->instance,
			    strerror(-rc));
		return;
	}
	ps->reading = true;
	ps->reads++;
}

/* A new consistent copy is in the mirror: hand it on unless it was handed on before. */
static void pset_updated(struct prdcr_set *ps)
{
	struct vg_set *m = ps->mirror;
	/* on standby, or another producer's copy of the set is the published one: not ours to hand on */
	if (ps->prdcr->standby || !ps->published)
		return;
	uint64_t gn = vg_set_data_gn(m);
	struct vg_timestamp ts = vg_set_timestamp(m);
	if (gn == ps->last_gn && ts.sec == ps->last_ts.sec && ts.usec == ps->last_ts.usec)
		return;
	if (ps->after_move) {
		/* the new path may still hold a copy older than the one the old path delivered */
		if (ts.sec < ps->last_ts.sec ||
		    (ts.sec == ps->last_ts.sec && ts.usec <= ps->last_ts.usec))
			return;
		ps->after_move = false;
	}
	ps->last_gn = gn;
	ps->last_ts = ts;
	ps->updates++;
	uint64_t now = vg_now_us();
	if (!ps->first_update_us)
		ps->first_update_us = now;
	ps->last_update_us = now;
	struct ldmsd *d = ps->prdcr->d;
	strgp_deliver(d, ps);
	vg_setdir_updated(d->dir, m);
}

static void on_read_done(struct ldmsd_prdcr *p, struct prdcr_set *ps, int status)
{
	ps->reading = false;
	if (ps->deleted) {
		pset_hand_over(ps); /* deleted while the read was out: a shadow may take the set now */
		pset_free(ps);      /* the read no longer writes into its mirror */
		return;
	}
	if (ps->shadow) {
		mirror_unpublish(ps); /* kept only for this read (pset_take_over) */
		return;
	}
	if (p->state != PRDCR_CONNECTED || ps->state != PSET_READY)
		return;
	struct vg_err err;
	vg_err_clear(&err);
	int rc = status ? status : vg_set_data_check(ps->mirror, &err);
	switch (rc) {
	case 0:
		ps->retries = 0;
		pset_updated(ps);
		return;
	case -EAGAIN:
		/* read while the sampler was writing: read again at once, a few times */
		ps->torn++;
		if (ps->retries++ < TORN_RETRIES)
			prdcr_set_update(ps);
		else
			ps->retries = 0;
		return;
	case -ESTALE:
	case -ENOENT:
		/* the producer's set changed or went away: look it up again */
		ps->state = PSET_LISTED;
		prdcr_set_lookup(ps);
		return;
	default:
		vg_complain(&p->set_complaint, VG_LOG_ERROR, p->name,
			    "producer %s: update of set %s failed: %s; looking it up again", p->name,
			    ps->instance, err.msg[0] ? err.msg : strerror(-rc));
		ps->state = PSET_LISTED;
		prdcr_set_lookup(ps);
	}
}

/* ------------------------------------------------------------------ lookup replies */

static uint64_t columns_hash(const struct vg_set *s)
{
	uint64_t h = 1469598103934665603ull;
	for (int i = 0; i < vg_set_card(s); i++) {
		for (const char *c = vg_set_metric_name(s, i); *c; c++)
			h = (h ^ (uint8_t)*c) * 1099511628211ull;
		h = (h ^ (uint64_t)vg_set_metric_type(s, i)) * 1099511628211ull;
		h = (h ^ vg_set_metric_count(s, i)) * 1099511628211ull;
		h = (h ^ (vg_set_metric_is_meta(s, i) ? 7u : 3u)) * 1099511628211ull;
	}
	return h;
}

static bool meta_same(const struct vg_set *m, const void *meta, size_t len)
{
	size_t mlen;
	const void *mine = vg_set_meta_bytes(m, &mlen);
	return mlen == len && memcmp(mine, meta, len) == 0;
}

/* A peer's status as text; -INT32_MIN cannot be negated. */
static const char *status_text(int32_t status)
{
	if (status > -4096 && status < 4096)
		return strerror(status < 0 ? -status : status);
	return "unknown error";
}

static void lookup_failed(struct prdcr_set *ps, const char *fmt, ...) VG_PRINTF(2, 3);
static void lookup_failed(struct prdcr_set *ps, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	ps->state = PSET_ERROR;
	vg_complain(&ps->prdcr->set_complaint, VG_LOG_ERROR, ps->prdcr->name,
		    "producer %s: lookup of set %s failed: %s", ps->prdcr->name, ps->instance, msg);
}

/* Put the looked-up meta part in place: keep the mirror if it is unchanged. */
static int mirror_install(struct prdcr_set *ps, const struct vg_lookup_view *v)
{
	struct ldmsd *d = ps->prdcr->d;
	struct vg_set *published = vg_setdir_find(d->dir, ps->instance);
	if (ps->mirror && published && published != ps->mirror)
		mirror_unpublish(ps); /* a copy kept for a read (pset_take_over): the name moved on */
	if (!ps->mirror && !ps->prdcr->standby) {
		pset_take_over(ps);
		/* its previous owner was deleted after ps was listed: its record is in a tomb */
		if (!ps->mirror && !ps->last_ts.sec)
			pset_exhume(ps);
	}
	if (ps->mirror && meta_same(ps->mirror, v->meta, v->meta_len)) {
		if (!ps->prdcr->standby)
			mirror_show(ps);
		return 0;
	}
	struct vg_err err;
	vg_err_clear(&err);
	struct vg_set *m = vg_set_mirror_new(d->pool, v->meta, v->meta_len, &err);
	if (!m) {
		lookup_failed(ps, "%s", err.msg);
		return -1;
	}
	if (strcmp(vg_set_instance(m), ps->instance) != 0) {
		lookup_failed(ps, "the producer answered with set %s", vg_set_instance(m));
		vg_set_put(m);
		return -1;
	}
	mirror_unpublish(ps);
	struct vg_set *other = vg_setdir_find(d->dir, ps->instance);
	if (other && !ps->prdcr->standby) {
		lookup_failed(ps, "this daemon already has a set of that name (%s); "
				  "two producers export the same instance name",
			      (vg_set_flags(other) & VG_SET_F_LOCAL) ? "its own sampler's"
								     : "from another producer");
		vg_set_put(m);
		return -1;
	}
	int rc = ps->prdcr->standby ? 0 : vg_setdir_add(d->dir, m);
	if (rc) {
		lookup_failed(ps, "cannot publish the mirror: %s", strerror(-rc));
		vg_set_put(m);
		return -1;
	}
	ps->mirror = m;
	ps->published = !ps->prdcr->standby;
	uint64_t h = columns_hash(m);
	if (h != ps->columns_hash || !ps->layout_seq) {
		ps->columns_hash = h;
		ps->layout_seq = ++d->layout_seq;
	}
	return 0;
}

static void on_lookup_reply(struct ldmsd_prdcr *p, struct prdcr_set *ps, struct vg_rbuf *body)
{
	int32_t status = (int32_t)vg_rbuf_u32(body);
	if (!vg_rbuf_ok(body) || ps->state != PSET_LOOKUP)
		return;
	if (status) {
		lookup_failed(ps, "%s", status_text(status));
		return;
	}
	struct vg_lookup_view v;
	if (vg_proto_get_lookup_reply(body, &v)) {
		lookup_failed(ps, "malformed reply");
		return;
	}
	if (v.ninfo > PRDCR_INFO_MAX) {
		lookup_failed(ps, "the reply carries %u set info pairs, more than the %d accepted",
			      v.ninfo, PRDCR_INFO_MAX);
		return;
	}
	if (mirror_install(ps, &v))
		return;
	vg_proto_apply_info(&v, ps->mirror);
	memcpy(ps->rkey.bytes, v.rkey, sizeof(ps->rkey.bytes));
	ps->data_offset = v.data_offset;
	vg_set_stale_set(ps->mirror, false);
	ps->state = PSET_READY;
	/* a push lookup subscribed us in the same step: pushes carry the lookup's id */
	ps->push_req_id = ps->lookup_push ? ps->lookup_req_id : 0;
	/* the push updater may have stopped meanwhile, when there was nothing to cancel yet */
	bool push;
	if (ps->push_req_id && (p->standby || !(updtr_wants(p->d, ps, &push) && push)))
		prdcr_set_push(ps, false);
	struct vg_err err;
	if (v.data_len && vg_set_data_apply(ps->mirror, v.data, v.data_len, &err) == 0)
		pset_updated(ps);
}

static void on_push(struct prdcr_set *ps, struct vg_rbuf *body)
{
	size_t len;
	const void *data = vg_rbuf_blob(body, &len);
	if (!vg_rbuf_ok(body) || ps->state != PSET_READY || ps->reading)
		return;
	struct vg_err err;
	vg_err_clear(&err);
	int rc = vg_set_data_apply(ps->mirror, data, len, &err);
	if (rc == 0)
		pset_updated(ps);
	else if (rc == -ESTALE || rc == -EPROTO) {
		ps->state = PSET_LISTED;
		prdcr_set_lookup(ps);
	}
}

/* ------------------------------------------------------------------ directory */

static void dir_entry(struct ldmsd_prdcr *p, const struct vg_dir_entry *e)
{
	struct prdcr_set *ps = pset_find(p, e->instance);
	if (!ps) {
		ps = pset_new(p, e);
		if (!ps) {
			vg_complain(&p->set_complaint, VG_LOG_ERROR, p->name,
				    "producer %s: out of memory listing set %s", p->name, e->instance);
			return;
		}
	}
	ps->listed = true;
	if (ps->shadow) {
		/* listed again by its producer: the newest listing wins (pset_take_over) */
		ps->shadow = false;
		p->d->nshadows--;
	}
	bool push;
	if ((ps->state == PSET_LISTED || ps->state == PSET_ERROR) && updtr_wants(p->d, ps, &push))
		prdcr_set_lookup(ps);
}

void pset_retire(struct prdcr_set *ps)
{
	/*
	 * The read may still write into the mirror's staging copy (a peer can
	 * send the data after the deletion): out of the directory and the name
	 * index now, freed at READ_DONE.
	 */
	index_remove(ps->prdcr, ps);
	if (ps->shadow) {
		ps->shadow = false;
		ps->prdcr->d->nshadows--;
	}
	ps->deleted = true;
	ps->listed = false;
	ps->state = PSET_LISTED;
	mirror_hide(ps);
}

static void dir_del(struct ldmsd_prdcr *p, const char *instance)
{
	struct prdcr_set *ps = pset_find(p, instance);
	if (!ps)
		return;
	if (ps->reading) {
		pset_retire(ps);
		return;
	}
	pset_hand_over(ps);
	pset_free(ps);
}

static void on_dir_reply(struct ldmsd_prdcr *p, struct vg_rbuf *body)
{
	uint32_t flags = vg_rbuf_u32(body);
	uint32_t count = vg_rbuf_u32(body);
	for (uint32_t i = 0; i < count && vg_rbuf_ok(body); i++) {
		struct vg_dir_entry e;
		vg_proto_get_dir_entry(body, &e);
		if (vg_rbuf_ok(body))
			dir_entry(p, &e);
	}
	if (!(flags & VG_MSG_F_MORE))
		p->dir_complete = true;
}

static void on_dir_notify(struct ldmsd_prdcr *p, struct vg_rbuf *body)
{
	uint32_t event = vg_rbuf_u32(body);
	struct vg_dir_entry e;
	vg_proto_get_dir_entry(body, &e);
	if (!vg_rbuf_ok(body))
		return;
	if (event == VG_DIR_ADD)
		dir_entry(p, &e);
	else if (event == VG_DIR_DEL)
		dir_del(p, e.instance);
}

/* ------------------------------------------------------------------ connection */

static void on_recv(struct ldmsd_prdcr *p, const struct vg_ep_event *ev)
{
	struct vg_msg_hdr h;
	struct vg_rbuf body;
	struct vg_err err;
	if (vg_msg_parse(ev->data, ev->len, &h, &body, &err)) {
		vg_complain(&p->conn_complaint, VG_LOG_ERROR, p->name,
			    "producer %s: closing the connection to %s: %s", p->name,
			    vg_ep_peer(p->ep), err.msg);
		vg_ep_close(p->ep);
		return;
	}
	if (p->state == PRDCR_CONNECTING) {
		prdcr_auth_step(p, &h, &body);
		return;
	}
	if (h.req_id == DIR_REQ_ID) {
		if (h.type == VG_MSG_DIR_REPLY)
			on_dir_reply(p, &body);
		else if (h.type == VG_MSG_DIR_NOTIFY)
			on_dir_notify(p, &body);
		return;
	}
	struct prdcr_set *ps = pset_by_req(p, h.req_id);
	if (!ps)
		return; /* a reply to a request made before a re-lookup */
	if (h.type == VG_MSG_LOOKUP_REPLY && h.req_id == ps->lookup_req_id &&
	    ps->state == PSET_LOOKUP)
		on_lookup_reply(p, ps, &body);
	else if (h.type == VG_MSG_PUSH && h.req_id == ps->push_req_id)
		on_push(ps, &body);
	else if (h.type == VG_MSG_ERROR) {
		int32_t status = (int32_t)vg_rbuf_u32(&body);
		char msg[256];
		vg_rbuf_str(&body, msg, sizeof(msg));
		if (h.req_id == ps->push_req_id)
			ps->push_req_id = 0;
		if (ps->state == PSET_LOOKUP)
			lookup_failed(ps, "%s", vg_rbuf_ok(&body) ? msg : status_text(status));
	}
}

static void schedule_reconnect(struct ldmsd_prdcr *p)
{
	p->state = PRDCR_DISCONNECTED;
	vg_timer_start(p->d->loop, &p->reconnect_timer, p->reconnect_us);
}

static void sets_go_stale(struct ldmsd_prdcr *p)
{
	for (uint32_t i = 0; i < p->nslots; i++) {
		struct prdcr_set *ps = p->sets[i];
		if (!ps)
			continue;
		/* reads completed before DISCONNECTED */
		ps->reading = false;
		if ((!ps->listed && !ps->mirror) || ps->deleted || ps->shadow ||
		    (ps->mirror && pset_hand_over(ps))) {
			pset_free(ps);
			continue;
		}
		ps->retries = 0;
		ps->push_req_id = 0;
		ps->state = PSET_LISTED;
		ps->listed = false;
		ps->req_gen = 0; /* replies on the old connection match nothing */
		if (ps->mirror)
			vg_set_stale_set(ps->mirror, true);
	}
}

static void free_all_sets(struct ldmsd_prdcr *p)
{
	for (uint32_t i = 0; i < p->nslots; i++)
		if (p->sets[i]) {
			if (!p->sets[i]->reading)
				pset_hand_over(p->sets[i]);
			pset_free(p->sets[i]);
		}
	p->nslots = 0;
}

static void connection_gone(struct ldmsd_prdcr *p, const struct vg_ep_event *ev)
{
	vg_ep_put(p->ep);
	p->ep = NULL;
	p->dir_complete = false;
	if (p->state == PRDCR_STOPPING) {
		free_all_sets(p);
		p->state = PRDCR_STOPPED;
		vg_log(VG_LOG_INFO, p->name, "producer %s stopped", p->name);
		return;
	}
	const char *why = ev->reason ? ev->reason : strerror(-ev->status);
	vg_strlcpy(p->last_error, why, sizeof(p->last_error));
	if (ev->type == VG_EP_DISCONNECTED) {
		p->disconnects++;
		vg_log(VG_LOG_WARNING, p->name,
		       "producer %s (%s:%u) disconnected: %s; its sets are stale until it is back "
		       "(retry every %" PRIu64 " ms)",
		       p->name, p->host, p->port, why, p->reconnect_us / 1000);
	} else {
		p->connect_failures++;
		vg_complain(&p->conn_complaint, VG_LOG_WARNING, p->name,
			    "producer %s: cannot connect to %s:%u over %s: %s (retrying every %" PRIu64
			    " ms; further failures are counted in prdcr_status)",
			    p->name, p->host, p->port, p->xprt, why, p->reconnect_us / 1000);
	}
	sets_go_stale(p);
	schedule_reconnect(p);
}

static void on_connected(struct ldmsd_prdcr *p)
{
	p->state = PRDCR_CONNECTED;
	vg_complaint_clear(&p->conn_complaint, VG_LOG_INFO, p->name,
			   "producer %s: connected to %s:%u again", p->name, p->host, p->port);
	vg_log(VG_LOG_INFO, p->name, "producer %s connected to %s", p->name, vg_ep_peer(p->ep));
	struct vg_wbuf *w = &p->out;
	vg_msg_begin(w, VG_MSG_DIR_REQ, DIR_REQ_ID);
	vg_wbuf_u32(w, VG_DIR_F_NOTIFY);
	send_msg(p, w);
}

/*
 * Until the producer accepted our credential we are CONNECTING: its
 * challenge comes first, then its verdict; a refusal closes and is retried
 * like a refused connection.
 */
static void prdcr_auth_step(struct ldmsd_prdcr *p, const struct vg_msg_hdr *h,
			    struct vg_rbuf *body)
{
	struct vg_err err;
	vg_err_clear(&err);
	int rc = ldmsd_client_auth_step(p->d, p->auth, h, body, &p->out, &err);
	if (rc == 1) {
		send_msg(p, &p->out);
		return;
	}
	if (rc == 0) {
		on_connected(p);
		return;
	}
	vg_strlcpy(p->last_error, err.msg, sizeof(p->last_error));
	vg_complain(&p->conn_complaint, VG_LOG_ERROR, p->name,
		    "producer %s (%s:%u): authentication (%s) failed: %s", p->name, p->host, p->port,
		    p->auth, err.msg);
	vg_ep_close(p->ep);
}

static void on_ep_event(struct vg_ep *ep, const struct vg_ep_event *ev, void *arg)
{
	struct ldmsd_prdcr *p = arg;
	if (ep != p->ep)
		return;
	switch (ev->type) {
	case VG_EP_CONNECTED:
		break; /* the producer's challenge follows */
	case VG_EP_RECV:
		on_recv(p, ev);
		break;
	case VG_EP_READ_DONE:
		on_read_done(p, ev->ctx, ev->status);
		break;
	case VG_EP_REJECTED:
	case VG_EP_DISCONNECTED:
		connection_gone(p, ev);
		break;
	default:
		break;
	}
}


static void prdcr_connect(struct ldmsd_prdcr *p)
{
	struct vg_err err;
	vg_err_clear(&err);
	p->connect_attempts++;
	struct vg_xprt *x = ldmsd_client_xprt(p->d, p->xprt, &err);
	if (x)
		p->ep = vg_ep_new(x, on_ep_event, p);
	if (!p->ep) {
		p->connect_failures++;
		vg_complain(&p->conn_complaint, VG_LOG_ERROR, p->name,
			    "producer %s: cannot create an endpoint on transport %s: %s", p->name,
			    p->xprt, err.msg[0] ? err.msg : "out of memory");
		schedule_reconnect(p);
		return;
	}
	p->state = PRDCR_CONNECTING;
	if (vg_ep_connect(p->ep, p->host, p->port, &err)) {
		/* e.g. a host name that does not resolve (yet): the same retry as a refusal */
		vg_ep_set_cb(p->ep, NULL, NULL);
		vg_ep_put(p->ep);
		p->ep = NULL;
		p->connect_failures++;
		vg_strlcpy(p->last_error, err.msg, sizeof(p->last_error));
		vg_complain(&p->conn_complaint, VG_LOG_WARNING, p->name,
			    "producer %s: cannot connect to %s:%u: %s (retrying every %" PRIu64
			    " ms; further failures are counted in prdcr_status)",
			    p->name, p->host, p->port, err.msg, p->reconnect_us / 1000);
		schedule_reconnect(p);
	}
}

static void on_reconnect_timer(struct vg_timer *t, void *arg)
{
	struct ldmsd_prdcr *p = arg;
	(void)t;
	if (p->state == PRDCR_DISCONNECTED)
		prdcr_connect(p);
}

/* ------------------------------------------------------------------ life cycle */

int prdcr_start(struct ldmsd_prdcr *p, uint64_t reconnect_us)
{
	if (p->state != PRDCR_STOPPED)
		return -EBUSY;
	if (reconnect_us)
		p->reconnect_us = reconnect_us;
	vg_timer_init(&p->reconnect_timer, on_reconnect_timer, p);
	if (p->passive) {
		/* passive producers connect to us; until advertisement exists they just wait */
		p->state = PRDCR_DISCONNECTED;
		return 0;
	}
	prdcr_connect(p);
	return 0;
}

int prdcr_stop(struct ldmsd_prdcr *p)
{
	if (p->state == PRDCR_STOPPED || p->state == PRDCR_STOPPING)
		return -EALREADY;
	vg_timer_stop(&p->reconnect_timer);
	if (p->ep) {
		p->state = PRDCR_STOPPING;
		vg_ep_close(p->ep); /* DISCONNECTED/REJECTED frees the sets */
		return 0;
	}
	free_all_sets(p);
	p->state = PRDCR_STOPPED;
	return 0;
}

void prdcr_free(struct ldmsd_prdcr *p)
{
	vg_timer_stop(&p->reconnect_timer);
	if (p->ep) {
		vg_ep_set_cb(p->ep, NULL, NULL);
		vg_ep_close(p->ep);
		vg_ep_put(p->ep);
		p->ep = NULL;
	}
	free_all_sets(p);
	free(p->sets);
	free(p->index);
	vg_wbuf_free(&p->out);
	free(p->name);
	free(p->host);
	free(p->xprt);
	free(p->auth);
	free(p);
}

void prdcr_shutdown_all(struct ldmsd *d)
{
	for (size_t i = 0; i < d->nprdcrs; i++)
		prdcr_stop(d->prdcrs[i]);
	/* let the transport complete outstanding reads and the closes, within a bound */
	for (int round = 0; round < 100; round++) {
		bool busy = false;
		for (size_t i = 0; i < d->nprdcrs; i++)
			busy |= d->prdcrs[i]->state == PRDCR_STOPPING;
		if (!busy)
			break;
		vg_loop_run_once(d->loop, 10);
	}
	for (size_t i = 0; i < d->nprdcrs; i++)
		prdcr_free(d->prdcrs[i]);
	free(d->prdcrs);
	d->prdcrs = NULL;
	d->nprdcrs = 0;
	prdcr_tombs_free(d);
}
