/*
 * proto.c - message headers and the bodies shared by server and client.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "proto.h"

static const char *const msg_names[] = {
	[VG_MSG_ERROR] = "ERROR",
	[VG_MSG_DIR_REQ] = "DIR_REQ",
	[VG_MSG_DIR_REPLY] = "DIR_REPLY",
	[VG_MSG_DIR_NOTIFY] = "DIR_NOTIFY",
	[VG_MSG_LOOKUP_REQ] = "LOOKUP_REQ",
	[VG_MSG_LOOKUP_REPLY] = "LOOKUP_REPLY",
	[VG_MSG_CMD_REQ] = "CMD_REQ",
	[VG_MSG_CMD_REPLY] = "CMD_REPLY",
	[VG_MSG_PUSH_REQ] = "PUSH_REQ",
	[VG_MSG_PUSH] = "PUSH",
	[VG_MSG_AUTH_CHALLENGE] = "AUTH_CHALLENGE",
	[VG_MSG_AUTH_RESPONSE] = "AUTH_RESPONSE",
	[VG_MSG_AUTH_RESULT] = "AUTH_RESULT",
	[VG_MSG_ADVERTISE] = "ADVERTISE",
	[VG_MSG_ADVERTISE_REPLY] = "ADVERTISE_REPLY",
};

const char *vg_msg_type_name(uint16_t type)
{
	if (type == 0 || type > VG_MSG_TYPE_MAX)
		return "UNKNOWN";
	return msg_names[type];
}

void vg_msg_begin(struct vg_wbuf *w, enum vg_msg_type type, uint64_t req_id)
{
	vg_wbuf_reset(w);
	vg_wbuf_u16(w, VG_PROTO_VERSION);
	vg_wbuf_u16(w, (uint16_t)type);
	vg_wbuf_u32(w, 0); /* length, patched by vg_msg_finish */
	vg_wbuf_u64(w, req_id);
}

int vg_msg_finish(struct vg_wbuf *w)
{
	if (!vg_wbuf_ok(w) || w->len > UINT32_MAX)
		return -EMSGSIZE;
	vg_wbuf_patch_u32(w, 4, (uint32_t)w->len);
	return vg_wbuf_ok(w) ? 0 : -EMSGSIZE;
}

int vg_msg_parse(const void *msg, size_t len, struct vg_msg_hdr *hdr, struct vg_rbuf *body,
		 struct vg_err *err)
{
	if (len < VG_MSG_HDR_SIZE)
		return vg_errf(err, EPROTO, "message of %zu bytes is shorter than the %d-byte header",
			       len, VG_MSG_HDR_SIZE);
	struct vg_rbuf r;
	vg_rbuf_init(&r, msg, len);
	hdr->version = vg_rbuf_u16(&r);
	hdr->type = vg_rbuf_u16(&r);
	hdr->length = vg_rbuf_u32(&r);
	hdr->req_id = vg_rbuf_u64(&r);
	if (hdr->version != VG_PROTO_VERSION)
		return vg_errf(err, EPROTO, "protocol version %u, expected %u", hdr->version,
			       VG_PROTO_VERSION);
	if (hdr->type == 0 || hdr->type > VG_MSG_TYPE_MAX)
		return vg_errf(err, EPROTO, "unknown message type %u", hdr->type);
	if (hdr->length != len)
		return vg_errf(err, EPROTO, "%s header says %u bytes but %zu arrived",
			       vg_msg_type_name(hdr->type), hdr->length, len);
	*body = r;
	return 0;
}

uint32_t vg_proto_set_flags(const struct vg_set *set)
{
	uint32_t f = 0;
	if (vg_set_is_consistent(set))
		f |= VG_SETF_CONSISTENT;
	if (vg_set_flags(set) & VG_SET_F_MIRROR)
		f |= VG_SETF_REMOTE;
	else
		f |= VG_SETF_LOCAL;
	if (vg_set_flags(set) & VG_SET_F_STALE)
		f |= VG_SETF_STALE;
	return f;
}

void vg_proto_put_dir_entry(struct vg_wbuf *w, const struct vg_set *set, uint32_t set_flags)
{
	vg_wbuf_str(w, vg_set_instance(set));
	vg_wbuf_str(w, vg_set_schema_name(set));
	vg_wbuf_str(w, vg_set_producer(set));
	vg_wbuf_u32(w, set_flags);
	vg_wbuf_u32(w, (uint32_t)vg_set_meta_size(set));
	vg_wbuf_u32(w, (uint32_t)vg_set_data_size(set));
	vg_wbuf_u32(w, vg_set_uid(set));
	vg_wbuf_u32(w, vg_set_gid(set));
	vg_wbuf_u32(w, vg_set_perm(set));
	vg_wbuf_u32(w, (uint32_t)vg_set_card(set));
}

void vg_proto_get_dir_entry(struct vg_rbuf *r, struct vg_dir_entry *e)
{
	vg_rbuf_str(r, e->instance, sizeof(e->instance));
	vg_rbuf_str(r, e->schema, sizeof(e->schema));
	vg_rbuf_str(r, e->producer, sizeof(e->producer));
	e->set_flags = vg_rbuf_u32(r);
	e->meta_size = vg_rbuf_u32(r);
	e->data_size = vg_rbuf_u32(r);
	e->uid = vg_rbuf_u32(r);
	e->gid = vg_rbuf_u32(r);
	e->perm = vg_rbuf_u32(r);
	e->card = vg_rbuf_u32(r);
}

void vg_proto_put_error(struct vg_wbuf *w, uint64_t req_id, int status, const char *message)
{
	vg_msg_begin(w, VG_MSG_ERROR, req_id);
	vg_wbuf_u32(w, (uint32_t)status);
	size_t n = message ? strlen(message) : 0;
	if (n > UINT16_MAX)
		n = UINT16_MAX;
	vg_wbuf_u16(w, (uint16_t)n);
	vg_wbuf_bytes(w, message, n);
}

void vg_proto_put_lookup_reply(struct vg_wbuf *w, uint64_t req_id, const struct vg_set *set,
			       uint32_t set_flags, const void *rkey, uint64_t data_offset,
			       bool more)
{
	vg_msg_begin(w, VG_MSG_LOOKUP_REPLY, req_id);
	vg_wbuf_u32(w, 0);
	vg_wbuf_u32(w, more ? VG_MSG_F_MORE : 0);
	vg_wbuf_u32(w, set_flags);
	vg_wbuf_bytes(w, rkey, 32);
	vg_wbuf_u64(w, data_offset);
	size_t ninfo = vg_set_info_count(set);
	if (ninfo > UINT16_MAX)
		ninfo = UINT16_MAX;
	vg_wbuf_u16(w, (uint16_t)ninfo);
	for (size_t i = 0; i < ninfo; i++) {
		const char *k, *v;
		if (vg_set_info_at(set, i, &k, &v)) {
			vg_wbuf_str(w, k);
			vg_wbuf_str(w, v);
		}
	}
	size_t mlen, dlen;
	const void *meta = vg_set_meta_bytes(set, &mlen);
	const void *data = vg_set_data_bytes(set, &dlen);
	vg_wbuf_blob(w, meta, mlen);
	vg_wbuf_blob(w, data, dlen);
}

int vg_proto_get_lookup_reply(struct vg_rbuf *r, struct vg_lookup_view *v)
{
	memset(v, 0, sizeof(*v));
	v->flags = vg_rbuf_u32(r);
	v->set_flags = vg_rbuf_u32(r);
	const void *rk = vg_rbuf_bytes(r, sizeof(v->rkey));
	if (rk)
		memcpy(v->rkey, rk, sizeof(v->rkey));
	v->data_offset = vg_rbuf_u64(r);
	v->ninfo = vg_rbuf_u16(r);
	size_t info_start = r->pos;
	for (uint16_t i = 0; i < v->ninfo && vg_rbuf_ok(r); i++) {
		for (int j = 0; j < 2; j++) {
			uint16_t n = vg_rbuf_u16(r);
			vg_rbuf_bytes(r, n);
		}
	}
	if (vg_rbuf_ok(r)) {
		v->info = r->p + info_start;
		v->info_len = r->pos - info_start;
	}
	v->meta = vg_rbuf_blob(r, &v->meta_len);
	v->data = vg_rbuf_blob(r, &v->data_len);
	if (!vg_rbuf_ok(r) || vg_rbuf_remaining(r) != 0)
		return -EPROTO;
	return 0;
}

int vg_proto_apply_info(const struct vg_lookup_view *v, struct vg_set *set)
{
	struct vg_rbuf r;
	vg_rbuf_init(&r, v->info, v->info_len);
	for (uint16_t i = 0; i < v->ninfo; i++) {
		char key[256], value[1024];
		vg_rbuf_str(&r, key, sizeof(key));
		vg_rbuf_str(&r, value, sizeof(value));
		if (!vg_rbuf_ok(&r))
			return -EPROTO;
		int rc = vg_set_info_set(set, key, value);
		if (rc)
			return rc;
	}
	return 0;
}

/* ------------------------------------------------------------------ advertisement */

static bool chars_in(const char *s, const char *extra, bool upper)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		bool ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
			  (upper && *p >= 'A' && *p <= 'Z') || (*p && strchr(extra, *p));
		if (!ok)
			return false;
	}
	return true;
}

bool vg_proto_advertise_valid(const struct vg_advertise *a, struct vg_err *err)
{
	/* the producer name becomes a producer object addressed by commands: no '/' either */
	if (!a->producer[0] || !vg_producer_valid(a->producer) || strchr(a->producer, '/')) {
		vg_errf(err, EPROTO,
			"advertised producer name '%.80s' is not valid (1 to %d characters, no "
			"whitespace, control characters or '/')",
			a->producer, VG_PRODUCER_MAX);
		return false;
	}
	if (!chars_in(a->host, ".:_%-", true) || strlen(a->host) > VG_ADV_HOST_MAX) {
		vg_errf(err, EPROTO,
			"advertised host '%.80s' is not a host name or an address (letters, digits, "
			"'.', ':', '-', '_', '%%')",
			a->host);
		return false;
	}
	if (!a->port) {
		vg_errf(err, EPROTO, "advertised port 0: a sampler must give the port it listens on");
		return false;
	}
	if (!a->xprt[0] || !chars_in(a->xprt, "_", false) || strlen(a->xprt) > VG_ADV_XPRT_MAX) {
		vg_errf(err, EPROTO, "advertised transport '%.40s' is not a transport name", a->xprt);
		return false;
	}
	return true;
}

void vg_proto_put_advertise(struct vg_wbuf *w, uint64_t req_id, const struct vg_advertise *a)
{
	vg_msg_begin(w, VG_MSG_ADVERTISE, req_id);
	vg_wbuf_str(w, a->producer);
	vg_wbuf_str(w, a->host);
	vg_wbuf_u16(w, a->port);
	vg_wbuf_str(w, a->xprt);
}

int vg_proto_get_advertise(struct vg_rbuf *r, struct vg_advertise *a, struct vg_err *err)
{
	memset(a, 0, sizeof(*a));
	vg_rbuf_str(r, a->producer, sizeof(a->producer));
	vg_rbuf_str(r, a->host, sizeof(a->host));
	a->port = vg_rbuf_u16(r);
	vg_rbuf_str(r, a->xprt, sizeof(a->xprt));
	if (!vg_rbuf_ok(r) || vg_rbuf_remaining(r)) {
		memset(a, 0, sizeof(*a));
		return vg_errf(err, EPROTO,
			       "malformed advertisement (a field is too long, holds a NUL byte, is "
			       "cut short, or bytes follow it)");
	}
	if (!vg_proto_advertise_valid(a, err)) {
		memset(a, 0, sizeof(*a));
		return -EPROTO;
	}
	return 0;
}

void vg_proto_put_advertise_reply(struct vg_wbuf *w, uint64_t req_id, int status,
				  const char *message)
{
	vg_msg_begin(w, VG_MSG_ADVERTISE_REPLY, req_id);
	vg_wbuf_u32(w, (uint32_t)status);
	size_t n = message ? strlen(message) : 0;
	if (n > VG_ADV_MSG_MAX)
		n = VG_ADV_MSG_MAX;
	vg_wbuf_u16(w, (uint16_t)n);
	vg_wbuf_bytes(w, message, n);
}

int vg_proto_get_advertise_reply(struct vg_rbuf *r, int32_t *status, char *msg, size_t cap,
				 struct vg_err *err)
{
	*status = (int32_t)vg_rbuf_u32(r);
	vg_rbuf_str(r, msg, cap);
	if (!vg_rbuf_ok(r) || vg_rbuf_remaining(r)) {
		if (cap)
			msg[0] = '\0';
		return vg_errf(err, EPROTO, "malformed advertisement reply");
	}
	/* the reason goes into our log: no line breaks or escapes from a peer */
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return 0;
}
