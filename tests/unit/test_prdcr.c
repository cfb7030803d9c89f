/*
 * test_prdcr.c - an aggregator's producer side against a scripted, hostile
 * producer: a raw TCP peer that speaks the sock frames and vigil messages
 * itself, so that it controls their order and content.
 *
 * The aggregator is a whole ldmsd in this process (ldmsd_init, commands);
 * the test drives its loop with vg_loop_run_once() between the peer's
 * steps, and reaches into its producer's sets to trigger lookups and reads
 * at chosen moments.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/proto.h"
#include "core/schema.h"
#include "core/set.h"
#include "core/setdir.h"
#include "core/wire.h"
#include "daemon/daemon.h"
#include "daemon/prdcr.h"
#include "plugins/auth.h"
#include "daemon/updtr.h"
#include "tests/unit/cu_main.h"

#define WAIT_MS 10000
#define FRAME_HDR 16
enum { F_HELLO = 1, F_MSG = 2, F_READ_REQ = 3, F_READ_RESP = 4 };

/* ------------------------------------------------------------------ the scripted producer */

struct peer {
	struct ldmsd d;
	int lfd, fd;
	uint16_t port;
	uint8_t *in;
	size_t in_len, in_cap;
	struct vg_wbuf w;
	/* the last frame taken by next_frame() */
	uint8_t kind;
	uint64_t id;
	const uint8_t *payload;
	uint32_t plen;
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void spin(struct peer *pr, int ms)
{
	uint64_t end = now_ms() + (uint64_t)ms;
	while (now_ms() < end)
		vg_loop_run_once(pr->d.loop, 5);
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, int n)
{
	uint64_t v = 0;
	for (int i = n - 1; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void send_all(int fd, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		CU_ASSERT_FATAL(w > 0);
		p += w;
		n -= (size_t)w;
	}
}

static void send_frame(struct peer *pr, uint8_t kind, uint64_t id, const void *payload,
		       size_t len)
{
	uint8_t h[FRAME_HDR] = {kind, 1};
	put_le(h + 4, len, 4);
	put_le(h + 8, id, 8);
	send_all(pr->fd, h, sizeof(h));
	if (len)
		send_all(pr->fd, payload, len);
}

/* Send the message built in pr->w. */
static void send_msg(struct peer *pr)
{
	CU_ASSERT_EQUAL_FATAL(vg_msg_finish(&pr->w), 0);
	send_frame(pr, F_MSG, 0, pr->w.buf, pr->w.len);
}

/* Take the next frame the aggregator sent (HELLO skipped), running its loop meanwhile. */
static bool next_frame(struct peer *pr, int timeout_ms)
{
	uint64_t end = now_ms() + (uint64_t)timeout_ms;
	if (pr->payload) { /* drop the frame taken last time */
		size_t used = FRAME_HDR + pr->plen;
		memmove(pr->in, pr->in + used, pr->in_len - used);
		pr->in_len -= used;
		pr->payload = NULL;
	}
	for (;;) {
		if (pr->in_len >= FRAME_HDR) {
			uint32_t plen = (uint32_t)get_le(pr->in + 4, 4);
			if (pr->in_len >= FRAME_HDR + plen) {
				pr->kind = pr->in[0];
				pr->id = get_le(pr->in + 8, 8);
				pr->plen = plen;
				pr->payload = pr->in + FRAME_HDR;
				if (pr->kind != F_HELLO)
					return true;
				memmove(pr->in, pr->in + FRAME_HDR + plen, pr->in_len - FRAME_HDR - plen);
				pr->in_len -= FRAME_HDR + plen;
				pr->payload = NULL;
				continue;
			}
		}
		if (now_ms() > end)
			return false;
		vg_loop_run_once(pr->d.loop, 5);
		if (pr->in_cap - pr->in_len < 65536) {
			pr->in_cap = pr->in_cap * 2 + 65536;
			pr->in = realloc(pr->in, pr->in_cap);
			CU_ASSERT_PTR_NOT_NULL_FATAL(pr->in);
		}
		ssize_t n = recv(pr->fd, pr->in + pr->in_len, pr->in_cap - pr->in_len, MSG_DONTWAIT);
		if (n > 0)
			pr->in_len += (size_t)n;
	}
}

/* The next vigil message of that type (other messages are a failure). */
static bool next_msg(struct peer *pr, uint16_t type, struct vg_msg_hdr *h, struct vg_rbuf *body)
{
	if (!next_frame(pr, WAIT_MS) || pr->kind != F_MSG)
		return false;
	struct vg_err err;
	if (vg_msg_parse(pr->payload, pr->plen, h, body, &err))
		return false;
	if (h->type != type)
		fprintf(stderr, "expected message type %u, got %u\n", type, h->type);
	return h->type == type;
}

static char last_reply[4096];

static int run(struct peer *pr, const char *fmt, ...) VG_PRINTF(2, 3);
static int run(struct peer *pr, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	struct vg_strbuf reply;
	vg_strbuf_init(&reply);
	struct vg_err err;
	vg_err_clear(&err);
	int rc = ldmsd_run_line(&pr->d, line, "test", &reply, &err);
	if (rc)
		fprintf(stderr, "%s: %s\n", line, err.msg);
	vg_strlcpy(last_reply, reply.len ? vg_strbuf_str(&reply) : "", sizeof(last_reply));
	vg_strbuf_free(&reply);
	return rc;
}

/* An aggregator with producer p pointed at a listening raw socket; it connects, we answer HELLO. */
static void peer_start(struct peer *pr)
{
	memset(pr, 0, sizeof(*pr));
	struct vg_err err;
	CU_ASSERT_EQUAL_FATAL(ldmsd_init(&pr->d, &err), 0);
	pr->d.set_memory = 1 << 20;
	CU_ASSERT_EQUAL_FATAL(ldmsd_start_core(&pr->d, &err), 0);
	vg_wbuf_init(&pr->w, 16u << 20);

	pr->lfd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	CU_ASSERT_EQUAL_FATAL(bind(pr->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
	CU_ASSERT_EQUAL_FATAL(listen(pr->lfd, 4), 0);
	getsockname(pr->lfd, (struct sockaddr *)&a, &alen);
	pr->port = ntohs(a.sin_port);

	CU_ASSERT_EQUAL_FATAL(run(pr, "prdcr_add name=p host=127.0.0.1 port=%u xprt=sock "
				      "type=active reconnect=100ms", pr->port), 0);
	CU_ASSERT_EQUAL_FATAL(run(pr, "prdcr_start name=p"), 0);
	pr->fd = -1;
	uint64_t end = now_ms() + WAIT_MS;
	while (pr->fd < 0 && now_ms() < end) {
		vg_loop_run_once(pr->d.loop, 5);
		struct pollfd pfd = {pr->lfd, POLLIN, 0};
		if (poll(&pfd, 1, 0) == 1)
			pr->fd = accept(pr->lfd, NULL, NULL);
	}
	CU_ASSERT_FATAL(pr->fd >= 0);
	uint8_t hello[16] = "VIGILSK1";
	put_le(hello + 8, 1, 4);
	put_le(hello + 12, 16u << 20, 4);
	send_frame(pr, F_HELLO, 0, hello, sizeof(hello));
	/* the producer's side of authentication: challenge, the aggregator's answer, verdict */
	vg_msg_begin(&pr->w, VG_MSG_AUTH_CHALLENGE, 0);
	vg_wbuf_str(&pr->w, "none");
	uint8_t nonce[VG_AUTH_NONCE_LEN] = {1, 2, 3};
	vg_wbuf_blob(&pr->w, nonce, sizeof(nonce));
	send_msg(pr);
	struct vg_msg_hdr h;
	struct vg_rbuf body;
	CU_ASSERT_FATAL(next_msg(pr, VG_MSG_AUTH_RESPONSE, &h, &body));
	vg_auth_result(&pr->w, 0, 0, 0, "");
	send_msg(pr);
}

static void peer_stop(struct peer *pr)
{
	close(pr->fd);
	close(pr->lfd);
	free(pr->in);
	vg_wbuf_free(&pr->w);
	ldmsd_shutdown(&pr->d);
}

static struct ldmsd_prdcr *prdcr(struct peer *pr)
{
	return prdcr_find(&pr->d, "p");
}

/* A set of the scripted producer (ordinary memory), sampled once. */
static struct vg_set *peer_set(const char *instance, int nmetrics)
{
	struct vg_schema *sc = vg_schema_new("s");
	vg_schema_meta_add(sc, "component_id", VG_T_U64);
	for (int i = 0; i < nmetrics; i++) {
		char name[16];
		snprintf(name, sizeof(name), "m%d", i);
		vg_schema_metric_add(sc, name, VG_T_U64);
	}
	struct vg_set *set = vg_set_new(NULL, sc, instance, "p", 0, 0, 0444, NULL);
	vg_schema_free(sc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	vg_set_begin(set);
	vg_set_u64(set, 1, 42);
	vg_set_end(set);
	return set;
}

/* Answer the DIR_REQ with these sets. */
static void answer_dir(struct peer *pr, struct vg_set **sets, int n)
{
	struct vg_msg_hdr h;
	struct vg_rbuf body;
	CU_ASSERT_FATAL(next_msg(pr, VG_MSG_DIR_REQ, &h, &body));
	CU_ASSERT_EQUAL_FATAL(h.req_id, 1);
	vg_msg_begin(&pr->w, VG_MSG_DIR_REPLY, h.req_id);
	vg_wbuf_u32(&pr->w, 0);
	vg_wbuf_u32(&pr->w, (uint32_t)n);
	for (int i = 0; i < n; i++)
		vg_proto_put_dir_entry(&pr->w, sets[i], VG_SETF_CONSISTENT | VG_SETF_LOCAL);
	send_msg(pr);
}

static void notify(struct peer *pr, enum vg_dir_event ev, struct vg_set *set)
{
	vg_msg_begin(&pr->w, VG_MSG_DIR_NOTIFY, 1);
	vg_wbuf_u32(&pr->w, (uint32_t)ev);
	vg_proto_put_dir_entry(&pr->w, set, VG_SETF_CONSISTENT | VG_SETF_LOCAL);
	send_msg(pr);
}

/* Take a LOOKUP_REQ: its id and match flags. */
static uint64_t take_lookup(struct peer *pr, uint32_t *match)
{
	struct vg_msg_hdr h;
	struct vg_rbuf body;
	CU_ASSERT_FATAL(next_msg(pr, VG_MSG_LOOKUP_REQ, &h, &body));
	uint32_t m = vg_rbuf_u32(&body);
	if (match)
		*match = m;
	return h.req_id;
}

static void answer_lookup(struct peer *pr, uint64_t req_id, struct vg_set *set)
{
	uint8_t rkey[32] = {0};
	vg_proto_put_lookup_reply(&pr->w, req_id, set, VG_SETF_CONSISTENT | VG_SETF_LOCAL, rkey,
				  vg_set_data_offset(set), false);
	send_msg(pr);
}

static bool wait_state(struct peer *pr, struct prdcr_set *ps, enum pset_state st)
{
	uint64_t end = now_ms() + WAIT_MS;
	while (ps->state != st && now_ms() < end)
		vg_loop_run_once(pr->d.loop, 5);
	return ps->state == st;
}

static bool wait_nsets(struct peer *pr, uint32_t n)
{
	uint64_t end = now_ms() + WAIT_MS;
	while (prdcr(pr)->nsets != n && now_ms() < end)
		vg_loop_run_once(pr->d.loop, 5);
	return prdcr(pr)->nsets == n;
}

/* Connected, one set listed and looked up: READY, its mirror published. */
static struct prdcr_set *ready_set(struct peer *pr, struct vg_set *set)
{
	answer_dir(pr, &set, 1);
	CU_ASSERT_FATAL(wait_nsets(pr, 1));
	struct prdcr_set *ps = prdcr(pr)->sets[0];
	prdcr_set_lookup(ps);
	answer_lookup(pr, take_lookup(pr, NULL), set);
	CU_ASSERT_FATAL(wait_state(pr, ps, PSET_READY));
	CU_ASSERT_PTR_NOT_NULL(vg_setdir_find(pr->d.dir, vg_set_instance(set)));
	return ps;
}

/* ------------------------------------------------------------------ tests */

/*
 * The producer deletes a set while our read into its mirror's staging copy
 * is outstanding, then sends the read's data anyway.  The mirror must live
 * until READ_DONE: freed earlier, its pages went to the next set created
 * here and the late data overwrote that set.
 */
static void test_delete_during_read(void)
{
	struct peer pr;
	peer_start(&pr);
	struct vg_set *set = peer_set("p/a", 1);
	struct prdcr_set *ps = ready_set(&pr, set);

	prdcr_set_update(ps);
	CU_ASSERT_FATAL(next_frame(&pr, WAIT_MS) && pr.kind == F_READ_REQ);
	uint64_t read_id = pr.id;
	uint32_t read_len = (uint32_t)get_le(pr.payload + 40, 4);
	notify(&pr, VG_DIR_DEL, set);
	uint64_t end = now_ms() + WAIT_MS;
	while (vg_setdir_find(pr.d.dir, "p/a") && now_ms() < end)
		vg_loop_run_once(pr.d.loop, 5);
	CU_ASSERT_PTR_NULL(vg_setdir_find(pr.d.dir, "p/a"));

	/* a set made here now, in the same set memory */
	struct vg_schema *sc = vg_schema_new("v");
	for (int i = 0; i < 64; i++) {
		char name[16];
		snprintf(name, sizeof(name), "v%d", i);
		vg_schema_metric_add(sc, name, VG_T_U64);
	}
	struct vg_set *victim = vg_set_new(pr.d.pool, sc, "here/v", "here", 0, 0, 0444, NULL);
	vg_schema_free(sc);
	CU_ASSERT_PTR_NOT_NULL_FATAL(victim);
	size_t vlen;
	uint8_t *vmem = vg_set_mem(victim, &vlen);
	uint8_t *before = malloc(vlen);
	memcpy(before, vmem, vlen);

	uint8_t *resp = malloc(8 + read_len);
	memset(resp, 0, 8);
	memset(resp + 8, 0xAA, read_len);
	send_frame(&pr, F_READ_RESP, read_id, resp, 8 + read_len);
	CU_ASSERT(wait_nsets(&pr, 0)); /* freed at READ_DONE, not kept for ever */
	spin(&pr, 50);
	CU_ASSERT_EQUAL(memcmp(before, vmem, vlen), 0);

	free(resp);
	free(before);
	vg_set_put(victim);
	vg_set_put(set);
	peer_stop(&pr);
}

/*
 * A set deleted while its lookup is outstanding and re-created: the new
 * set's lookup must not share the old one's request id, or the old reply
 * (the old meta, the old memory key) is taken for the new one.
 */
static void test_request_ids_across_slot_reuse(void)
{
	struct peer pr;
	peer_start(&pr);
	struct vg_set *old = peer_set("p/a", 1);
	answer_dir(&pr, &old, 1);
	CU_ASSERT_FATAL(wait_nsets(&pr, 1));
	prdcr_set_lookup(prdcr(&pr)->sets[0]);
	uint64_t id1 = take_lookup(&pr, NULL);

	notify(&pr, VG_DIR_DEL, old);
	CU_ASSERT_FATAL(wait_nsets(&pr, 0));
	struct vg_set *renewed = peer_set("p/a", 2);
	notify(&pr, VG_DIR_ADD, renewed);
	CU_ASSERT_FATAL(wait_nsets(&pr, 1));
	struct prdcr_set *ps = prdcr(&pr)->sets[0];
	prdcr_set_lookup(ps);
	uint64_t id2 = take_lookup(&pr, NULL);
	CU_ASSERT_NOT_EQUAL(id1, id2);

	answer_lookup(&pr, id1, old); /* late */
	spin(&pr, 50);
	CU_ASSERT_EQUAL(ps->state, PSET_LOOKUP);
	CU_ASSERT_PTR_NULL(vg_setdir_find(pr.d.dir, "p/a"));
	answer_lookup(&pr, id2, renewed);
	CU_ASSERT_FATAL(wait_state(&pr, ps, PSET_READY));
	CU_ASSERT_EQUAL(vg_set_card(ps->mirror), 3);

	vg_set_put(old);
	vg_set_put(renewed);
	peer_stop(&pr);
}

/* Statuses and set info no errno or sane sampler has: refused, nothing crashes or stalls. */
static void test_hostile_replies(void)
{
	struct peer pr;
	peer_start(&pr);
	struct vg_set *set = peer_set("p/a", 1);
	answer_dir(&pr, &set, 1);
	CU_ASSERT_FATAL(wait_nsets(&pr, 1));
	struct prdcr_set *ps = prdcr(&pr)->sets[0];

	/* status INT32_MIN: -status is undefined */
	prdcr_set_lookup(ps);
	uint64_t id = take_lookup(&pr, NULL);
	vg_msg_begin(&pr.w, VG_MSG_LOOKUP_REPLY, id);
	vg_wbuf_u32(&pr.w, 0x80000000u);
	vg_wbuf_u32(&pr.w, 0);
	send_msg(&pr);
	CU_ASSERT(wait_state(&pr, ps, PSET_ERROR));
	prdcr_set_lookup(ps);
	id = take_lookup(&pr, NULL);
	vg_msg_begin(&pr.w, VG_MSG_ERROR, id);
	vg_wbuf_u32(&pr.w, 0x80000000u);
	vg_wbuf_u16(&pr.w, 300); /* longer than the message buffer: status text used */
	for (int i = 0; i < 300; i++)
		vg_wbuf_u8(&pr.w, 'x');
	send_msg(&pr);
	CU_ASSERT(wait_state(&pr, ps, PSET_ERROR));

	/* 65,535 set info pairs: a linear search each, seconds of the loop thread */
	prdcr_set_lookup(ps);
	id = take_lookup(&pr, NULL);
	vg_msg_begin(&pr.w, VG_MSG_LOOKUP_REPLY, id);
	vg_wbuf_u32(&pr.w, 0);
	vg_wbuf_u32(&pr.w, 0);
	vg_wbuf_u32(&pr.w, VG_SETF_CONSISTENT);
	uint8_t rkey[32] = {0};
	vg_wbuf_bytes(&pr.w, rkey, sizeof(rkey));
	vg_wbuf_u64(&pr.w, vg_set_data_offset(set));
	vg_wbuf_u16(&pr.w, 65535);
	for (unsigned i = 0; i < 65535; i++) {
		char key[16];
		snprintf(key, sizeof(key), "k%u", i);
		vg_wbuf_str(&pr.w, key);
		vg_wbuf_str(&pr.w, "");
	}
	size_t len;
	const void *part = vg_set_meta_bytes(set, &len);
	vg_wbuf_blob(&pr.w, part, len);
	part = vg_set_data_bytes(set, &len);
	vg_wbuf_blob(&pr.w, part, len);
	send_msg(&pr);
	CU_ASSERT(wait_state(&pr, ps, PSET_ERROR));
	CU_ASSERT_PTR_NULL(vg_setdir_find(pr.d.dir, "p/a"));

	/* a good reply still works */
	prdcr_set_lookup(ps);
	answer_lookup(&pr, take_lookup(&pr, NULL), set);
	CU_ASSERT(wait_state(&pr, ps, PSET_READY));

	vg_set_put(set);
	peer_stop(&pr);
}

/*
 * auto_interval follows a schedule the peer advertises: one that makes
 * INT64_MIN % -1 (SIGFPE) or no valid timer must be ignored, and the
 * updater keep its own schedule and keep ticking.
 */
static void test_hostile_update_hint(void)
{
	struct peer pr;
	peer_start(&pr);
	CU_ASSERT_EQUAL_FATAL(run(&pr, "updtr_add name=u interval=100ms auto_interval=true"), 0);
	CU_ASSERT_EQUAL_FATAL(run(&pr, "updtr_prdcr_add name=u regex=.*"), 0);
	CU_ASSERT_EQUAL_FATAL(run(&pr, "updtr_start name=u"), 0);
	struct ldmsd_updtr *u = pr.d.updtrs[0];
	struct vg_set *set = peer_set("p/a", 1);
	vg_set_info_set(set, "updt_hint_us", "18446744073709551615:-9223372036854775808");
	answer_dir(&pr, &set, 1);
	CU_ASSERT_FATAL(wait_nsets(&pr, 1));
	struct prdcr_set *ps = prdcr(&pr)->sets[0];
	answer_lookup(&pr, take_lookup(&pr, NULL), set); /* the updater looks it up */
	CU_ASSERT_FATAL(wait_state(&pr, ps, PSET_READY));
	uint64_t ticks = u->ticks;
	uint64_t end = now_ms() + WAIT_MS;
	while (u->ticks < ticks + 3 && now_ms() < end)
		vg_loop_run_once(pr.d.loop, 5); /* its reads are never answered: skips */
	CU_ASSERT(u->ticks >= ticks + 3);
	CU_ASSERT(vg_timer_active(&u->timer));
	CU_ASSERT_EQUAL(u->timer.interval_us, 100000);
	CU_ASSERT_EQUAL(u->timer.offset_us, 0);

	vg_set_put(set);
	peer_stop(&pr);
}

/*
 * A push updater stopped while a lookup that subscribes to pushes is
 * outstanding: when the reply comes, the subscription nobody wants any more
 * is cancelled (else the producer pushes for ever and the stores get them).
 */
static void test_push_cancelled_after_stop(void)
{
	struct peer pr;
	peer_start(&pr);
	CU_ASSERT_EQUAL_FATAL(run(&pr, "updtr_add name=u interval=3600s push=onchange"), 0);
	CU_ASSERT_EQUAL_FATAL(run(&pr, "updtr_prdcr_add name=u regex=.*"), 0);
	CU_ASSERT_EQUAL_FATAL(run(&pr, "updtr_start name=u"), 0);
	struct vg_set *set = peer_set("p/a", 1);
	answer_dir(&pr, &set, 1);
	uint32_t match = 0;
	uint64_t id = take_lookup(&pr, &match);
	CU_ASSERT_FATAL(match & VG_LOOKUP_PUSH);
	CU_ASSERT_EQUAL_FATAL(run(&pr, "updtr_stop name=u"), 0);
	answer_lookup(&pr, id, set);

	struct vg_msg_hdr h;
	struct vg_rbuf body;
	CU_ASSERT_FATAL(next_msg(&pr, VG_MSG_PUSH_REQ, &h, &body));
	CU_ASSERT_EQUAL(h.req_id, id);
	CU_ASSERT_EQUAL(vg_rbuf_u32(&body), VG_PUSH_F_CANCEL);
	char instance[VG_NAME_MAX + 1];
	vg_rbuf_str(&body, instance, sizeof(instance));
	CU_ASSERT_STRING_EQUAL(instance, "p/a");
	CU_ASSERT_EQUAL(prdcr(&pr)->sets[0]->push_req_id, 0);

	vg_set_put(set);
	peer_stop(&pr);
}

/*
 * 20,000 sets listed, half deleted, some listed again (and duplicates):
 * every name is found once, slots are reused, and it takes milliseconds,
 * not the seconds a linear search per entry took.
 */
static void put_entry(struct vg_wbuf *w, const char *instance)
{
	vg_wbuf_str(w, instance);
	vg_wbuf_str(w, "s");
	vg_wbuf_str(w, "p");
	for (int i = 0; i < 7; i++)
		vg_wbuf_u32(w, i == 0 ? VG_SETF_CONSISTENT : 64);
}

static void test_big_directory(void)
{
	enum { N = 20000 };
	struct peer pr;
	peer_start(&pr);
	struct vg_msg_hdr h;
	struct vg_rbuf body;
	CU_ASSERT_FATAL(next_msg(&pr, VG_MSG_DIR_REQ, &h, &body));
	vg_msg_begin(&pr.w, VG_MSG_DIR_REPLY, 1);
	vg_wbuf_u32(&pr.w, 0);
	vg_wbuf_u32(&pr.w, N + 100);
	char name[32];
	for (int i = 0; i < N + 100; i++) {
		snprintf(name, sizeof(name), "node%05d/s", i % N); /* the last 100 twice */
		put_entry(&pr.w, name);
	}
	uint64_t t0 = now_ms();
	send_msg(&pr);
	CU_ASSERT_FATAL(wait_nsets(&pr, N));
	uint64_t t1 = now_ms();

	for (int i = 0; i < N; i += 2) {
		vg_msg_begin(&pr.w, VG_MSG_DIR_NOTIFY, 1);
		vg_wbuf_u32(&pr.w, VG_DIR_DEL);
		snprintf(name, sizeof(name), "node%05d/s", i);
		put_entry(&pr.w, name);
		send_msg(&pr);
	}
	CU_ASSERT_FATAL(wait_nsets(&pr, N / 2));
	for (int i = 0; i < N; i += 4) { /* a quarter back, and a quarter already there */
		vg_msg_begin(&pr.w, VG_MSG_DIR_NOTIFY, 1);
		vg_wbuf_u32(&pr.w, VG_DIR_ADD);
		snprintf(name, sizeof(name), "node%05d/s", i);
		put_entry(&pr.w, name);
		send_msg(&pr);
		vg_msg_begin(&pr.w, VG_MSG_DIR_NOTIFY, 1);
		vg_wbuf_u32(&pr.w, VG_DIR_ADD);
		snprintf(name, sizeof(name), "node%05d/s", i + 1);
		put_entry(&pr.w, name);
		send_msg(&pr);
	}
	CU_ASSERT_FATAL(wait_nsets(&pr, N / 2 + N / 4));
	struct ldmsd_prdcr *p = prdcr(&pr);
	CU_ASSERT_EQUAL(p->nslots, N); /* the new sets took the freed slots */
	static char seen[N];
	memset(seen, 0, sizeof(seen));
	int bad = 0, found = 0;
	for (uint32_t s = 0; s < p->nslots; s++) {
		int k;
		if (!p->sets[s])
			continue;
		found++;
		if (sscanf(p->sets[s]->instance, "node%05d/s", &k) != 1 || k < 0 || k >= N || seen[k]++)
			bad++;
		else if (k % 2 == 0 && k % 4 != 0)
			bad++; /* deleted and not listed again */
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(found, N / 2 + N / 4);
	fprintf(stderr, "  (%d sets listed in %" PRIu64 " ms)\n", N, t1 - t0);
	peer_stop(&pr);
}

/* LDMS's Mode column: Pull, Push on Change, Push on Request; auto_interval does not show. */
static void test_updtr_status_modes(void)
{
	struct peer pr;
	peer_start(&pr);
	CU_ASSERT_EQUAL(run(&pr, "updtr_add name=a interval=1s auto_interval=true"), 0);
	CU_ASSERT_EQUAL(run(&pr, "updtr_add name=c interval=1s push=onchange"), 0);
	CU_ASSERT_EQUAL(run(&pr, "updtr_add name=r interval=1s push=true"), 0);
	CU_ASSERT_EQUAL(run(&pr, "updtr_status"), 0);
	const char *cols = "                1000000      0            ";
	char want[128];
	snprintf(want, sizeof(want), "\na%sPull ", cols);
	CU_ASSERT_PTR_NOT_NULL(strstr(last_reply, want));
	snprintf(want, sizeof(want), "\nc%sPush on Change ", cols);
	CU_ASSERT_PTR_NOT_NULL(strstr(last_reply, want));
	snprintf(want, sizeof(want), "\nr%sPush on Request ", cols);
	CU_ASSERT_PTR_NOT_NULL(strstr(last_reply, want));
	peer_stop(&pr);
}

/* prdcr_add refused a retry interval below 1ms; prdcr_start's reconnect= must too. */
static void test_start_reconnect_checked(void)
{
	struct peer pr;
	peer_start(&pr);
	CU_ASSERT_EQUAL(run(&pr, "prdcr_add name=q host=127.0.0.1 port=%u xprt=sock type=active "
				 "reconnect=1us", pr.port), -EINVAL);
	CU_ASSERT_EQUAL(run(&pr, "prdcr_add name=q host=127.0.0.1 port=%u xprt=sock type=active "
				 "reconnect=1s", pr.port), 0);
	CU_ASSERT_EQUAL(run(&pr, "prdcr_start name=q reconnect=1us"), -EINVAL);
	CU_ASSERT_EQUAL(run(&pr, "prdcr_start_regex regex=^q$ reconnect=1us"), -EINVAL);
	CU_ASSERT_EQUAL(prdcr_find(&pr.d, "q")->state, PRDCR_STOPPED);
	CU_ASSERT_EQUAL(run(&pr, "prdcr_start name=q reconnect=2s"), 0);
	CU_ASSERT_EQUAL(prdcr_find(&pr.d, "q")->reconnect_us, 2000000);
	peer_stop(&pr);
}

static const struct cu_test tests[] = {
	{"a set deleted during a read: its mirror lives until READ_DONE", test_delete_during_read},
	{"request ids differ when a slot is reused", test_request_ids_across_slot_reuse},
	{"hostile statuses and set info are refused", test_hostile_replies},
	{"a hostile updt_hint_us leaves the updater's schedule", test_hostile_update_hint},
	{"a push subscription nobody wants is cancelled", test_push_cancelled_after_stop},
	{"20,000 sets: listed, deleted, listed again", test_big_directory},
	{"updtr_status shows LDMS's modes", test_updtr_status_modes},
	{"prdcr_start checks reconnect=", test_start_reconnect_checked},
	{NULL, NULL},
};

CU_MAIN("prdcr", tests)
