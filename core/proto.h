/*
 * proto.h - vigil's wire protocol: the messages that travel inside a
 * transport's two-sided messages.  (Updates are one-sided reads of the data
 * part and have no message of their own; see xprt.h.)
 *
 * Every message starts with a fixed 16-byte little-endian header:
 *
 *     u16 version   VG_PROTO_VERSION
 *     u16 type      enum vg_msg_type
 *     u32 length    bytes of the whole message, header included
 *     u64 req_id    chosen by the requester, echoed by every reply
 *
 * A message whose version, type or length does not fit is a protocol error:
 * the receiver closes that connection with one log line and carries on.
 * The type numbers are frozen (tests/unit/test_wire_enums.c).
 *
 * Bodies (strings are u16-counted, blobs u32-counted, see wire.h):
 *   ERROR        i32 status, str message
 *   DIR_REQ      u32 flags (VG_DIR_F_NOTIFY: also send DIR_NOTIFY on changes)
 *   DIR_REPLY    u32 flags (VG_MSG_F_MORE: more replies follow), u32 count, entry[count]
 *   DIR_NOTIFY   u32 event (VG_DIR_ADD / VG_DIR_DEL), entry        (req_id of the DIR_REQ)
 *   LOOKUP_REQ   u32 match (VG_LOOKUP_*), str pattern
 *   LOOKUP_REPLY i32 status, u32 flags (MORE); if status == 0: u32 set_flags,
 *                u8 rkey[32], u64 data_offset, u16 ninfo, (str key, str value)[ninfo],
 *                blob meta part, blob data part
 *   CMD_REQ      blob command line [, u32 flags (VG_CMD_F_*), optional]
 *   CMD_REPLY    i32 status, blob text
 *   PUSH_REQ     u32 flags (VG_PUSH_F_CANCEL), str instance: send me the set's
 *                data part whenever a transaction on it ends (push updaters)
 *   PUSH         blob data part                          (req_id of the PUSH_REQ)
 *   AUTH_CHALLENGE  str method, blob nonce     server -> client, first message
 *   AUTH_RESPONSE   str method, blob credential client -> server, before any request
 *   AUTH_RESULT     i32 status, u32 uid, u32 gid, str message   (then, on failure, close)
 *   ADVERTISE       str producer, str host, u16 port, str xprt   sampler -> aggregator:
 *                   "I am producer, reach me at host:port over xprt" (host "": the
 *                   address this connection comes from); only after AUTH_RESULT
 *   ADVERTISE_REPLY i32 status, str message    0: a producer connects back; else why not
 *                or, when the set is gone or refused, an ERROR with that req_id
 * where entry = str instance, str schema, str producer, u32 set_flags,
 *   u32 meta_size, u32 data_size, u32 uid, u32 gid, u32 perm, u32 card.
 * A lookup that matches nothing gets one LOOKUP_REPLY with status -ENOENT.
 */
#ifndef VIGIL_PROTO_H
#define VIGIL_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "schema.h"
#include "set.h"
#include "util.h"
#include "wire.h"

#define VG_PROTO_VERSION 1
#define VG_MSG_HDR_SIZE 16
/* Largest message either side builds (a lookup reply of a large set). */
#define VG_MSG_MAX (16u << 20)
/* Directory replies are split so that none exceeds this. */
#define VG_DIR_REPLY_TARGET (60u << 10)

enum vg_msg_type {
	VG_MSG_ERROR = 1,
	VG_MSG_DIR_REQ = 2,
	VG_MSG_DIR_REPLY = 3,
	VG_MSG_DIR_NOTIFY = 4,
	VG_MSG_LOOKUP_REQ = 5,
	VG_MSG_LOOKUP_REPLY = 6,
	VG_MSG_CMD_REQ = 7,
	VG_MSG_CMD_REPLY = 8,
	VG_MSG_PUSH_REQ = 9,
	VG_MSG_PUSH = 10,
	VG_MSG_AUTH_CHALLENGE = 11,
	VG_MSG_AUTH_RESPONSE = 12,
	VG_MSG_AUTH_RESULT = 13,
	VG_MSG_ADVERTISE = 14,
	VG_MSG_ADVERTISE_REPLY = 15,
	VG_MSG_TYPE_MAX = 15,
};

#define VG_MSG_F_MORE 0x1u
#define VG_DIR_F_NOTIFY 0x1u
enum vg_dir_event { VG_DIR_ADD = 1, VG_DIR_DEL = 2 };

/* LOOKUP_REQ match: what the pattern is compared with. */
#define VG_LOOKUP_INSTANCE 0x0u
#define VG_LOOKUP_SCHEMA 0x1u
#define VG_LOOKUP_REGEX 0x10u /* pattern is a POSIX extended regex, else an exact name */
/*
 * Also subscribe to pushes of the sets found, with the lookup's req_id, in
 * the same step, so that no transaction ends unseen between the lookup
 * reply and a separate PUSH_REQ.
 */
#define VG_LOOKUP_PUSH 0x100u
#define VG_LOOKUP_PATTERN_MAX 1024

/* set_flags in directory entries and lookup replies (ldms_ls -v "Flags"). */
#define VG_SETF_CONSISTENT 0x1u
#define VG_SETF_LOCAL 0x2u  /* the serving daemon samples it itself */
#define VG_SETF_REMOTE 0x4u /* the serving daemon mirrors it from a producer */
#define VG_SETF_PUSH 0x8u
#define VG_SETF_STALE 0x10u /* a mirror whose producer is unreachable */

#define VG_PUSH_F_CANCEL 0x1u

/* CMD_REQ flags. */
#define VG_CMD_F_JSON 0x1u /* status commands answer in JSON (documented in ldmsctl(8)) */
/* Set by the server, never on the wire: the requester is not the owner; status only. */
#define VG_CMD_F_STATUS_ONLY 0x10000u
/* Longest command line a daemon runs; a longer CMD_REQ gets an E2BIG reply. */
#define VG_CMD_LINE_MAX (64u << 10)

struct vg_msg_hdr {
	uint16_t version;
	uint16_t type;
	uint32_t length;
	uint64_t req_id;
};

const char *vg_msg_type_name(uint16_t type);

/* Start a message in w (reset first); vg_msg_finish() patches the length. */
void vg_msg_begin(struct vg_wbuf *w, enum vg_msg_type type, uint64_t req_id);
/* 0, or -EMSGSIZE if anything did not fit. */
int vg_msg_finish(struct vg_wbuf *w);

/*
 * Validate a received message's header (version, known type, length equal
 * to len) and position body at its first body byte.  Errors: -EPROTO with a
 * message for the log line.
 */
int vg_msg_parse(const void *msg, size_t len, struct vg_msg_hdr *hdr, struct vg_rbuf *body,
		 struct vg_err *err);

/* ------------------------------------------------------------------ bodies */

struct vg_dir_entry {
	char instance[VG_NAME_MAX + 1];
	char schema[VG_NAME_MAX + 1];
	char producer[VG_PRODUCER_MAX + 1];
	uint32_t set_flags;
	uint32_t meta_size;
	uint32_t data_size;
	uint32_t uid;
	uint32_t gid;
	uint32_t perm;
	uint32_t card;
};

void vg_proto_put_dir_entry(struct vg_wbuf *w, const struct vg_set *set, uint32_t set_flags);
void vg_proto_get_dir_entry(struct vg_rbuf *r, struct vg_dir_entry *e);

/* set_flags a server reports for a set: consistent, local or remote. */
uint32_t vg_proto_set_flags(const struct vg_set *set);

/* ERROR and CMD_REPLY. */
void vg_proto_put_error(struct vg_wbuf *w, uint64_t req_id, int status, const char *message);

/*
 * A LOOKUP_REPLY for one set.  rkey/data_offset tell the client where to
 * read the data part with vg_ep_read().
 */
void vg_proto_put_lookup_reply(struct vg_wbuf *w, uint64_t req_id, const struct vg_set *set,
			       uint32_t set_flags, const void *rkey, uint64_t data_offset,
			       bool more);

/* A parsed LOOKUP_REPLY with status 0: views into the message. */
struct vg_lookup_view {
	uint32_t flags;
	uint32_t set_flags;
	uint8_t rkey[32];
	uint64_t data_offset;
	uint16_t ninfo;
	const uint8_t *info; /* ninfo (str key, str value) pairs, still encoded */
	size_t info_len;
	const void *meta;
	size_t meta_len;
	const void *data;
	size_t data_len;
};

/* Parse the body after the status field. -EPROTO on malformed input. */
int vg_proto_get_lookup_reply(struct vg_rbuf *r, struct vg_lookup_view *v);
/* Copy the info pairs of a lookup reply into set (vg_set_info_set). */
int vg_proto_apply_info(const struct vg_lookup_view *v, struct vg_set *set);

/* ------------------------------------------------------------------ advertisement */

#define VG_ADV_HOST_MAX 255   /* a host name (RFC 1035: 253) or an address */
#define VG_ADV_XPRT_MAX 15
#define VG_ADV_MSG_MAX 1023   /* the reason in an ADVERTISE_REPLY */

/* An ADVERTISE body: who the sampler is and how the aggregator reaches it. */
struct vg_advertise {
	char producer[VG_PRODUCER_MAX + 1]; /* 1..VG_PRODUCER_MAX, name characters, no '/' */
	char host[VG_ADV_HOST_MAX + 1];     /* "" or [A-Za-z0-9.:_%-]+ */
	uint16_t port;                      /* non-zero */
	char xprt[VG_ADV_XPRT_MAX + 1];     /* [a-z0-9_]+ */
};

/* Is a a valid advertisement (the rules above)?  false with the reason in err. */
bool vg_proto_advertise_valid(const struct vg_advertise *a, struct vg_err *err);
void vg_proto_put_advertise(struct vg_wbuf *w, uint64_t req_id, const struct vg_advertise *a);
/* Parse and validate an ADVERTISE body (nothing may follow it); -EPROTO with the reason. */
int vg_proto_get_advertise(struct vg_rbuf *r, struct vg_advertise *a, struct vg_err *err);
/* message longer than VG_ADV_MSG_MAX bytes is cut (at a byte: UTF-8 may be cut mid-character). */
void vg_proto_put_advertise_reply(struct vg_wbuf *w, uint64_t req_id, int status,
				  const char *message);
/* Parse an ADVERTISE_REPLY into *status and msg (cap > VG_ADV_MSG_MAX); -EPROTO with the reason. */
int vg_proto_get_advertise_reply(struct vg_rbuf *r, int32_t *status, char *msg, size_t cap,
				 struct vg_err *err);

#endif /* VIGIL_PROTO_H */
