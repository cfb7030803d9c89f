/*
 * server_push.c - push subscriptions: clients (push updaters of the next
 * tier) that receive a set's data part whenever a transaction on it ends,
 * instead of reading it on a schedule.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "core/proto.h"
#include "core/wire.h"
#include "daemon/server_int.h"

struct export *srv_export_find(struct vg_server *srv, const struct vg_set *set)
{
	bool found;
	size_t pos = srv_export_pos(srv, set, &found);
	return found ? &srv->exports[pos] : NULL;
}

void srv_push_data(struct vg_server *srv, struct vg_set *set)
{
	struct export *e = srv_export_find(srv, set);
	if (!e || !e->subs || !vg_set_is_consistent(set))
		return;
	size_t len;
	const void *data = vg_set_data_bytes(set, &len);
	for (struct push_sub *s = e->subs; s; s = s->next) {
		vg_msg_begin(&srv->out, VG_MSG_PUSH, s->req_id);
		vg_wbuf_blob(&srv->out, data, len);
		srv_conn_send(s->c);
	}
}

void srv_push_gone(struct vg_server *srv, struct vg_set *set)
{
	struct export *e = srv_export_find(srv, set);
	for (struct push_sub *s = e ? e->subs : NULL; s; s = s->next)
		srv_send_error(s->c, s->req_id, -ENOENT, "the set was deleted");
}

static void push_unsubscribe(struct conn *c, struct export *e)
{
	for (struct push_sub **pp = &e->subs; *pp;) {
		struct push_sub *s = *pp;
		if (s->c != c) {
			pp = &s->next;
			continue;
		}
		*pp = s->next;
		c->npush--;
		c->srv->npush--;
		free(s);
	}
}

/* Every subscription of a connection that is going away. */
void srv_push_drop_conn(struct conn *c)
{
	for (size_t i = 0; c->npush && i < c->srv->nexports; i++)
		push_unsubscribe(c, &c->srv->exports[i]);
}

void srv_handle_push_req(struct conn *c, uint64_t req_id, struct vg_rbuf *body)
{
	char instance[VG_NAME_MAX + 1];
	uint32_t flags = vg_rbuf_u32(body);
	vg_rbuf_str(body, instance, sizeof(instance));
	if (!vg_rbuf_ok(body) || vg_rbuf_remaining(body) || (flags & ~VG_PUSH_F_CANCEL)) {
		srv_send_error(c, req_id, -EPROTO, "malformed push request");
		return;
	}
	struct vg_set *set = vg_setdir_find(c->srv->dir, instance);
	/* a set the peer may not read does not exist for it */
	struct export *e = srv_conn_may_read(c, set) ? srv_export_find(c->srv, set) : NULL;
	if (!e) {
		srv_send_error(c, req_id, -ENOENT, "no such set");
		return;
	}
	push_unsubscribe(c, e); /* a repeated request replaces the old one */
	if (!(flags & VG_PUSH_F_CANCEL))
		srv_push_subscribe(c, req_id, set);
}

void srv_push_subscribe(struct conn *c, uint64_t req_id, struct vg_set *set)
{
	struct export *e = srv_export_find(c->srv, set);
	if (!e)
		return;
	push_unsubscribe(c, e);
	struct push_sub *s = calloc(1, sizeof(*s));
	if (!s) {
		srv_send_error(c, req_id, -ENOMEM, "out of memory");
		return;
	}
	s->c = c;
	s->req_id = req_id;
	s->next = e->subs;
	e->subs = s;
	c->npush++;
	c->srv->npush++;
}

void srv_push_free(struct vg_server *srv, struct export *e)
{
	while (e->subs) {
		struct push_sub *s = e->subs;
		e->subs = s->next;
		s->c->npush--;
		srv->npush--;
		free(s);
	}
}
