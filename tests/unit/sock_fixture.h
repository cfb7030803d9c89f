/*
 * sock_fixture.h - what the sock transport tests share: an event recorder,
 * a loop with a listener and a client, deadline waits, raw TCP peers.
 * (Not named test_*.h: .gitignore keeps only .c files under that name.)
 */
#ifndef VIGIL_SOCK_FIXTURE_H
#define VIGIL_SOCK_FIXTURE_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/loop.h"
#include "xprt/xprt.h"
#include "tests/unit/cu_main.h"

#define WAIT_MS 10000

struct rec {
	int connected, rejected, disconnected, accepted, recv, reads;
	int status;
	char reason[256];
	char log[128];  /* one letter per event, in order */
	int nlog;
	struct vg_ep *conns[8];
	int nconns;
	uint8_t *msg;  /* copy of the last message */
	size_t msg_len;
	bool seq_mode;  /* messages carry a u32 sequence number instead */
	uint32_t next_seq;
	bool seq_ok;
	int read_status[64];
	void *read_ctx[64];
	struct rec *child;  /* listeners: where accepted connections report */
};

static inline void note(struct rec *r, char c)
{
	if (r->nlog < (int)sizeof(r->log) - 1)
		r->log[r->nlog++] = c;
	r->log[r->nlog] = '\0';
}

static inline void on_event(struct vg_ep *ep, const struct vg_ep_event *ev, void *arg)
{
	struct rec *r = arg;
	switch (ev->type) {
	case VG_EP_ACCEPTED:
		note(r, 'A');
		r->accepted++;
		if (r->nconns < 8)
			r->conns[r->nconns++] = ev->new_ep;
		vg_ep_set_cb(ev->new_ep, on_event, r->child);
		break;
	case VG_EP_CONNECTED:
		note(r, 'C');
		r->connected++;
		break;
	case VG_EP_REJECTED:
	case VG_EP_DISCONNECTED:
		note(r, ev->type == VG_EP_REJECTED ? 'J' : 'D');
		if (ev->type == VG_EP_REJECTED)
			r->rejected++;
		else
			r->disconnected++;
		r->status = ev->status;
		vg_strlcpy(r->reason, ev->reason ? ev->reason : "", sizeof(r->reason));
		CU_ASSERT_FALSE(vg_ep_connected(ep));
		break;
	case VG_EP_RECV:
		r->recv++;
		if (r->seq_mode) {
			uint32_t seq;
			if (ev->len != sizeof(seq))
				r->seq_ok = false;
			memcpy(&seq, ev->data, sizeof(seq));
			if (seq != r->next_seq++)
				r->seq_ok = false;
			break;
		}
		note(r, 'R');
		free(r->msg);
		r->msg = malloc(ev->len + 1);
		memcpy(r->msg, ev->data, ev->len);
		r->msg_len = ev->len;
		break;
	case VG_EP_READ_DONE:
		note(r, 'r');
		if (r->reads < 64) {
			r->read_status[r->reads] = ev->status;
			r->read_ctx[r->reads] = ev->ctx;
		}
		r->reads++;
		break;
	}
}

struct env {
	struct vg_loop *loop;
	struct vg_xprt *x;
	struct vg_ep *listener, *client;
	struct rec lrec, srec, crec;  /* listener, server side connection, client */
};

static inline bool wait_for(struct env *e, const int *counter, int target)
{
	uint64_t deadline = vg_mono_us() + WAIT_MS * 1000ull;
	while (*counter < target && vg_mono_us() < deadline)
		CU_ASSERT(vg_loop_run_once(e->loop, 10) >= 0);
	return *counter >= target;
}

static inline void env_open(struct env *e)
{
	memset(e, 0, sizeof(*e));
	struct vg_err err = {0};
	e->loop = vg_loop_new(&err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e->loop);
	e->x = vg_xprt_open(e->loop, "sock", &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e->x);
	e->lrec.child = &e->srec;
}

static struct vg_err listen_err __attribute__((unused));

static inline int env_listen(struct env *e, const char *host)
{
	e->listener = vg_ep_new(e->x, on_event, &e->lrec);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e->listener);
	return vg_ep_listen(e->listener, host, 0, &listen_err);
}

/* Connect a client to the listener and wait until both sides completed the handshake. */
static inline void env_connect(struct env *e, const char *host)
{
	struct vg_err err = {0};
	e->client = vg_ep_new(e->x, on_event, &e->crec);
	CU_ASSERT_EQUAL_FATAL(vg_ep_connect(e->client, host, vg_ep_port(e->listener), &err), 0);
	CU_ASSERT_TRUE_FATAL(wait_for(e, &e->crec.connected, 1));
	CU_ASSERT_TRUE_FATAL(wait_for(e, &e->lrec.accepted, 1));
}

/* Close everything, wait for the last events, release every reference. */
static inline void env_close(struct env *e)
{
	if (e->client) {
		vg_ep_close(e->client);
		if (e->crec.connected)
			CU_ASSERT_TRUE(wait_for(e, &e->crec.disconnected, 1));
		vg_ep_put(e->client);
	}
	for (int i = 0; i < e->lrec.nconns; i++) {
		vg_ep_close(e->lrec.conns[i]);
		vg_ep_put(e->lrec.conns[i]);
	}
	if (e->listener) {
		vg_ep_close(e->listener);
		vg_ep_put(e->listener);
	}
	for (int i = 0; i < 5; i++)
		vg_loop_run_once(e->loop, 0);
	vg_xprt_close(e->x);
	vg_loop_free(e->loop);
	free(e->crec.msg);
	free(e->srec.msg);
}

/* ------------------------------------------------------------------ raw peers */

static inline int raw_connect(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	CU_ASSERT_EQUAL(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

/* Run the loop until the server drops fd (EOF or reset); true if it did. */
static inline bool dropped(struct env *e, int fd)
{
	uint64_t deadline = vg_mono_us() + WAIT_MS * 1000ull;
	while (vg_mono_us() < deadline) {
		vg_loop_run_once(e->loop, 10);
		char buf[256];
		ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
			return true;
	}
	return false;
}

static inline void frame(uint8_t *p, uint8_t kind, uint32_t plen)
{
	memset(p, 0, 16);
	p[0] = kind;
	p[1] = 1;
	for (int i = 0; i < 4; i++)
		p[4 + i] = (uint8_t)(plen >> (8 * i));
}

#endif /* VIGIL_SOCK_FIXTURE_H */
