/*
 * test_server.c - ldmsd's protocol server and the tool client against each
 * other over loopback: lookups by name, schema and regex, one-sided
 * updates, directory replies split over several messages, directory change
 * notifications, commands on control and non-control endpoints, and a
 * connection closed for a protocol error while others carry on.
 *
 * The server runs its own loop on a thread (as in ldmsd); the test thread
 * changes sets through vg_loop_post() so that the set directory is only
 * ever touched by the server's thread.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/client.h"
#include "core/log.h"
#include "core/proto.h"
#include "core/wire.h"
#include "plugins/auth.h"
#include "plugins/host.h"
#include "daemon/server.h"
#include "tests/unit/cu_main.h"

struct srv {
	struct vg_loop *loop;
	struct vg_setdir *dir;
	struct vg_server *server;
	pthread_t thread;
	uint16_t port;      /* control endpoint */
	uint16_t data_port; /* no commands */
};

static void *srv_main(void *arg)
{
	struct srv *s = arg;
	vg_loop_run(s->loop);
	return NULL;
}

static int echo_cmd(void *arg, const char *line, const char *where, unsigned flags,
		    struct vg_strbuf *reply, struct vg_err *err)
{
	if (strcmp(line, "fail") == 0)
		return vg_errf(err, EINVAL, "told to fail");
	vg_strbuf_printf(reply, "ran '%s'", line);
	return 0;
}

static void srv_start(struct srv *s)
{
	struct vg_err err;
	s->loop = vg_loop_new(&err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s->loop);
	s->dir = vg_setdir_new();
	s->server = vg_server_new(s->loop, s->dir, echo_cmd, NULL, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s->server);
	CU_ASSERT_EQUAL_FATAL(vg_server_listen(s->server, "sock", "127.0.0.1", 0, VG_LISTEN_CONTROL,
					       &err), 0);
	s->port = vg_server_port(s->server, 0);
	CU_ASSERT_EQUAL_FATAL(vg_server_listen(s->server, "sock", "127.0.0.1", 0, 0, &err), 0);
	s->data_port = vg_server_port(s->server, 1);
	CU_ASSERT_NOT_EQUAL(s->data_port, 0);
	CU_ASSERT_EQUAL_FATAL(pthread_create(&s->thread, NULL, srv_main, s), 0);
}

static void srv_stop(struct srv *s)
{
	vg_loop_stop(s->loop);
	pthread_join(s->thread, NULL);
	vg_server_free(s->server);
	vg_setdir_free(s->dir);
	vg_loop_free(s->loop);
}

/* ------------------------------------------------------------------ running on the server thread */

struct call {
	void (*fn)(struct srv *s, void *arg);
	struct srv *s;
	void *arg;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool done;
};

static void call_trampoline(void *arg)
{
	struct call *c = arg;
	c->fn(c->s, c->arg);
	pthread_mutex_lock(&c->mu);
	c->done = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

static void on_server(struct srv *s, void (*fn)(struct srv *, void *), void *arg)
{
	struct call c = {fn, s, arg, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false};
	CU_ASSERT_EQUAL_FATAL(vg_loop_post(s->loop, call_trampoline, &c), 0);
	pthread_mutex_lock(&c.mu);
	while (!c.done)
		pthread_cond_wait(&c.cv, &c.mu);
	pthread_mutex_unlock(&c.mu);
}

struct add_args {
	const char *instance;
	const char *schema;
	uint64_t value;
};

static void do_add(struct srv *s, void *arg)
{
	struct add_args *a = arg;
	struct vg_schema *sc = vg_schema_new(a->schema);
	vg_schema_meta_add(sc, "component_id", VG_T_U64);
	vg_schema_metric_add(sc, "value", VG_T_U64);
	struct vg_set *set = vg_set_new(NULL, sc, a->instance, "p", 0, 0, 0440, NULL);
	vg_schema_free(sc);
	vg_set_begin(set);
	vg_set_u64(set, 1, a->value);
	vg_set_end(set);
	CU_ASSERT_EQUAL(vg_setdir_add(s->dir, set), 0);
	vg_set_put(set); /* the directory keeps its own reference */
}

static void add_set(struct srv *s, const char *instance, const char *schema, uint64_t value)
{
	struct add_args a = {instance, schema, value};
	on_server(s, do_add, &a);
}

static void do_update(struct srv *s, void *arg)
{
	struct add_args *a = arg;
	struct vg_set *set = vg_setdir_find(s->dir, a->instance);
	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	vg_set_begin(set);
	vg_set_u64(set, 1, a->value);
	vg_set_end(set);
}

static void do_remove(struct srv *s, void *arg)
{
	struct vg_set *set = vg_setdir_find(s->dir, arg);
	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	CU_ASSERT_EQUAL(vg_setdir_remove(s->dir, set), 0);
}

/* ------------------------------------------------------------------ tests */

static struct vg_client *connect_to(uint16_t port)
{
	struct vg_err err;
	struct vg_client *c = vg_client_connect("sock", "127.0.0.1", port, 5000, &err);
	if (!c)
		fprintf(stderr, "connect: %s\n", err.msg);
	return c;
}

static size_t lookup_count(struct vg_client *c, const char *pattern, uint32_t match, int *rc)
{
	struct vg_rset *sets = NULL;
	size_t n = 0;
	struct vg_err err;
	*rc = vg_client_lookup(c, pattern, match, &sets, &n, &err);
	vg_client_rsets_free(sets, n);
	return n;
}

static void test_lookup_and_update(void)
{
	struct srv s;
	srv_start(&s);
	add_set(&s, "a/meminfo", "meminfo", 1);
	add_set(&s, "a/vmstat", "vmstat", 2);
	add_set(&s, "b/meminfo", "meminfo", 3);
	struct vg_client *c = connect_to(s.port);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	int rc;
	CU_ASSERT_EQUAL(lookup_count(c, "a/meminfo", VG_LOOKUP_INSTANCE, &rc), 1);
	CU_ASSERT_EQUAL(rc, 0);
	CU_ASSERT_EQUAL(lookup_count(c, "meminfo", VG_LOOKUP_SCHEMA, &rc), 2);
	CU_ASSERT_EQUAL(lookup_count(c, "^a/", VG_LOOKUP_INSTANCE | VG_LOOKUP_REGEX, &rc), 2);
	CU_ASSERT_EQUAL(lookup_count(c, "vm.*", VG_LOOKUP_SCHEMA | VG_LOOKUP_REGEX, &rc), 1);
	CU_ASSERT_EQUAL(lookup_count(c, "a/mem", VG_LOOKUP_INSTANCE, &rc), 0);
	CU_ASSERT_EQUAL(rc, -ENOENT);
	struct vg_rset *sets;
	size_t n;
	struct vg_err err;
	CU_ASSERT_EQUAL(vg_client_lookup(c, "(", VG_LOOKUP_REGEX, &sets, &n, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "bad regular expression"));
	/* patterns that would cost the daemon seconds and gigabytes to compile are refused */
	uint64_t t0 = vg_mono_us();
	static const char *const costly[] = {"a{1,20000}", "(a{1,100}){1,100}", "(a)\\1",
					     "x{5000}", "a{1,}{1,}{70}{70}"};
	for (size_t i = 0; i < VG_ARRAY_LEN(costly); i++) {
		CU_ASSERT_EQUAL(vg_client_lookup(c, costly[i], VG_LOOKUP_REGEX, &sets, &n, &err),
				-EINVAL);
		CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "refused"));
	}
	CU_ASSERT(vg_mono_us() - t0 < 1000000);
	CU_ASSERT_EQUAL(lookup_count(c, "^a/(mem){1,2}info$", VG_LOOKUP_REGEX, &rc), 1);
	CU_ASSERT_EQUAL(lookup_count(c, "^[ab]/meminfo\\{?$", VG_LOOKUP_REGEX, &rc), 2);

	/* the mirror follows the server's set through one-sided reads */
	CU_ASSERT_EQUAL_FATAL(vg_client_lookup(c, "b/meminfo", 0, &sets, &n, &err), 0);
	CU_ASSERT_EQUAL(vg_get_u64(sets[0].set, 1), 3);
	CU_ASSERT_EQUAL(sets[0].set_flags & VG_SETF_LOCAL, VG_SETF_LOCAL);
	uint64_t gn = vg_set_data_gn(sets[0].set);
	for (uint64_t v = 10; v < 15; v++) {
		struct add_args a = {"b/meminfo", NULL, v};
		on_server(&s, do_update, &a);
		CU_ASSERT_EQUAL(vg_client_update(c, &sets[0], &err), 0);
		CU_ASSERT_EQUAL(vg_get_u64(sets[0].set, 1), v);
	}
	CU_ASSERT_EQUAL(vg_set_data_gn(sets[0].set), gn + 5);
	/* a deleted set's memory can no longer be read */
	on_server(&s, do_remove, "b/meminfo");
	CU_ASSERT_EQUAL(vg_client_update(c, &sets[0], &err), -ENOENT);
	CU_ASSERT_EQUAL(vg_get_u64(sets[0].set, 1), 14); /* the mirror keeps its last values */
	vg_client_rsets_free(sets, n);
	vg_client_close(c);
	srv_stop(&s);
}

static void test_big_directory(void)
{
	struct srv s;
	srv_start(&s);
	char name[64];
	for (int i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "node%04d/a_rather_long_schema_name_x", i);
		add_set(&s, name, "a_rather_long_schema_name_x", (uint64_t)i);
	}
	struct vg_client *c = connect_to(s.port);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	struct vg_dir_entry *e;
	size_t n;
	struct vg_err err;
	/* 3000 entries do not fit one reply: they arrive in several, in name order */
	CU_ASSERT_EQUAL_FATAL(vg_client_dir(c, &e, &n, &err), 0);
	CU_ASSERT_EQUAL(n, 3000);
	for (size_t i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "node%04zu/a_rather_long_schema_name_x", i);
		CU_ASSERT_STRING_EQUAL(e[i].instance, name);
	}
	CU_ASSERT_EQUAL(e[0].card, 2);
	CU_ASSERT_EQUAL(e[0].perm, 0440);
	free(e);
	vg_client_close(c);
	srv_stop(&s);
}

/* A raw protocol client on its own loop, for notifications and bad messages. */
struct raw {
	struct vg_loop *loop;
	struct vg_xprt *x;
	struct vg_ep *ep;
	bool connected, disconnected, authed;
	bool silent; /* never answer the challenge */
	uint32_t claim; /* non-zero: claim this uid and gid instead of ours */
	int errors, lookup_replies;
	uint32_t last_dir_count;
	int32_t last_lookup_status;
	int dir_replies, adds, dels;
	char last_add[256], last_del[256];
};

static void raw_event(struct vg_ep *ep, const struct vg_ep_event *ev, void *arg)
{
	struct raw *r = arg;
	if (ev->type == VG_EP_CONNECTED)
		r->connected = true;
	if (ev->type == VG_EP_DISCONNECTED || ev->type == VG_EP_REJECTED)
		r->disconnected = true;
	if (ev->type != VG_EP_RECV)
		return;
	struct vg_msg_hdr h;
	struct vg_rbuf body;
	CU_ASSERT_EQUAL_FATAL(vg_msg_parse(ev->data, ev->len, &h, &body, NULL), 0);
	if (h.type == VG_MSG_AUTH_CHALLENGE && r->silent)
		return;
	if (h.type == VG_MSG_AUTH_CHALLENGE) { /* answered as the built-in none */
		struct vg_wbuf w;
		vg_wbuf_init(&w, 4096);
		CU_ASSERT_EQUAL(vg_auth_respond(NULL, &body, &w, NULL), 0);
		if (r->claim) { /* none believes whatever uid the peer claims */
			uint8_t cred[8];
			for (int i = 0; i < 8; i++)
				cred[i] = (uint8_t)(r->claim >> (8 * (i % 4)));
			vg_msg_begin(&w, VG_MSG_AUTH_RESPONSE, 0);
			vg_wbuf_str(&w, "none");
			vg_wbuf_blob(&w, cred, sizeof(cred));
		}
		CU_ASSERT_EQUAL(vg_msg_finish(&w), 0);
		CU_ASSERT_EQUAL(vg_ep_send(ep, w.buf, w.len), 0);
		vg_wbuf_free(&w);
		return;
	}
	if (h.type == VG_MSG_AUTH_RESULT) {
		r->authed = vg_auth_result_parse(&body, NULL) == 0;
		return;
	}
	CU_ASSERT_EQUAL(h.req_id, 42);
	if (h.type == VG_MSG_ERROR)
		r->errors++;
	if (h.type == VG_MSG_LOOKUP_REPLY) {
		r->last_lookup_status = (int32_t)vg_rbuf_u32(&body);
		r->lookup_replies++;
	}
	if (h.type == VG_MSG_DIR_REPLY) {
		vg_rbuf_u32(&body);
		r->last_dir_count = vg_rbuf_u32(&body);
		r->dir_replies++;
	} else if (h.type == VG_MSG_DIR_NOTIFY) {
		uint32_t what = vg_rbuf_u32(&body);
		struct vg_dir_entry e;
		vg_proto_get_dir_entry(&body, &e);
		CU_ASSERT_TRUE(vg_rbuf_ok(&body));
		if (what == VG_DIR_ADD) {
			r->adds++;
			vg_strlcpy(r->last_add, e.instance, sizeof(r->last_add));
		} else {
			r->dels++;
			vg_strlcpy(r->last_del, e.instance, sizeof(r->last_del));
		}
	}
}

static bool raw_wait(struct raw *r, bool *flag, int *count, int want)
{
	uint64_t deadline = vg_mono_us() + 5000000;
	while (vg_mono_us() < deadline) {
		if ((flag && *flag) || (count && *count >= want))
			return true;
		vg_loop_run_once(r->loop, 50);
	}
	return false;
}

static void raw_open(struct raw *r, uint16_t port)
{
	uint32_t claim = r->claim; /* the one setting callers make before opening */
	memset(r, 0, sizeof(*r));
	r->claim = claim;
	r->loop = vg_loop_new(NULL);
	r->x = vg_xprt_open(r->loop, "sock", NULL);
	r->ep = vg_ep_new(r->x, raw_event, r);
	CU_ASSERT_EQUAL_FATAL(vg_ep_connect(r->ep, "127.0.0.1", port, NULL), 0);
	CU_ASSERT_TRUE_FATAL(raw_wait(r, &r->authed, NULL, 0));
}

static void raw_close(struct raw *r)
{
	vg_ep_close(r->ep);
	raw_wait(r, &r->disconnected, NULL, 0);
	vg_ep_put(r->ep);
	vg_loop_run_once(r->loop, 0);
	vg_xprt_close(r->x);
	vg_loop_free(r->loop);
}

static void test_dir_notify(void)
{
	struct srv s;
	srv_start(&s);
	add_set(&s, "n1/meminfo", "meminfo", 1);
	struct raw r = {0};
	raw_open(&r, s.port);
	struct vg_wbuf w;
	vg_wbuf_init(&w, 1024);
	vg_msg_begin(&w, VG_MSG_DIR_REQ, 42);
	vg_wbuf_u32(&w, VG_DIR_F_NOTIFY);
	CU_ASSERT_EQUAL(vg_msg_finish(&w), 0);
	CU_ASSERT_EQUAL(vg_ep_send(r.ep, w.buf, w.len), 0);
	CU_ASSERT_TRUE(raw_wait(&r, NULL, &r.dir_replies, 1));
	add_set(&s, "n2/meminfo", "meminfo", 2);
	CU_ASSERT_TRUE(raw_wait(&r, NULL, &r.adds, 1));
	CU_ASSERT_STRING_EQUAL(r.last_add, "n2/meminfo");
	on_server(&s, do_remove, "n1/meminfo");
	CU_ASSERT_TRUE(raw_wait(&r, NULL, &r.dels, 1));
	CU_ASSERT_STRING_EQUAL(r.last_del, "n1/meminfo");
	CU_ASSERT_EQUAL(r.adds, 1);
	raw_close(&r);
	vg_wbuf_free(&w);
	srv_stop(&s);
}

static void test_commands(void)
{
	struct srv s;
	srv_start(&s);
	struct vg_client *c = connect_to(s.port);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	struct vg_strbuf reply;
	vg_strbuf_init(&reply);
	struct vg_err err;
	int status = 1;
	CU_ASSERT_EQUAL(vg_client_cmd(c, "plugn_status", &status, &reply, &err), 0);
	CU_ASSERT_EQUAL(status, 0);
	CU_ASSERT_STRING_EQUAL(vg_strbuf_str(&reply), "ran 'plugn_status'");
	vg_strbuf_reset(&reply);
	CU_ASSERT_EQUAL(vg_client_cmd(c, "fail", &status, &reply, &err), 0);
	CU_ASSERT_EQUAL(status, -EINVAL);
	CU_ASSERT_STRING_EQUAL(vg_strbuf_str(&reply), "told to fail");
	vg_client_close(c);

	/* the other listener does not take commands, but serves sets */
	c = connect_to(s.data_port);
	CU_ASSERT_PTR_NOT_NULL_FATAL(c);
	vg_strbuf_reset(&reply);
	CU_ASSERT_EQUAL(vg_client_cmd(c, "plugn_status", &status, &reply, &err), 0);
	CU_ASSERT_EQUAL(status, -EPERM);
	CU_ASSERT_PTR_NOT_NULL(strstr(vg_strbuf_str(&reply), "not accepted on this endpoint"));
	struct vg_dir_entry *e;
	size_t n;
	CU_ASSERT_EQUAL(vg_client_dir(c, &e, &n, &err), 0);
	free(e);
	vg_client_close(c);
	vg_strbuf_free(&reply);
	srv_stop(&s);
}

/* Before authenticating, a peer gets nothing: not a reply, not a read. */
static void test_auth_gate(void)
{
	struct srv s;
	srv_start(&s);
	vg_server_set_auth_timeout(s.server, 200000);
	add_set(&s, "n1/meminfo", "meminfo", 1);
	/* a peer that never answers the challenge is dropped after the timeout */
	struct raw r = {0};
	memset(&r, 0, sizeof(r));
	r.silent = true;
	r.loop = vg_loop_new(NULL);
	r.x = vg_xprt_open(r.loop, "sock", NULL);
	r.ep = vg_ep_new(r.x, raw_event, &r);
	r.silent = true;
	CU_ASSERT_EQUAL_FATAL(vg_ep_connect(r.ep, "127.0.0.1", s.port, NULL), 0);
	uint64_t t0 = vg_mono_us();
	CU_ASSERT_TRUE(raw_wait(&r, &r.disconnected, NULL, 0));
	CU_ASSERT_TRUE(vg_mono_us() - t0 >= 150000);
	CU_ASSERT_FALSE(r.authed);
	raw_close(&r);
	/* a request before the credential: refused, connection closed, no DIR_REPLY */
	memset(&r, 0, sizeof(r));
	r.loop = vg_loop_new(NULL);
	r.x = vg_xprt_open(r.loop, "sock", NULL);
	r.ep = vg_ep_new(r.x, raw_event, &r);
	r.silent = true;
	CU_ASSERT_EQUAL_FATAL(vg_ep_connect(r.ep, "127.0.0.1", s.port, NULL), 0);
	CU_ASSERT_TRUE_FATAL(raw_wait(&r, &r.connected, NULL, 0));
	struct vg_wbuf w;
	vg_wbuf_init(&w, 1024);
	vg_msg_begin(&w, VG_MSG_DIR_REQ, 42);
	vg_wbuf_u32(&w, 0);
	vg_msg_finish(&w);
	CU_ASSERT_EQUAL(vg_ep_send(r.ep, w.buf, w.len), 0);
	CU_ASSERT_TRUE(raw_wait(&r, &r.disconnected, NULL, 0));
	CU_ASSERT_EQUAL(r.dir_replies, 0);
	raw_close(&r);
	/* uid 4321 may not read the 0440 sets of uid 0: not listed, not found, no pushes */
	memset(&r, 0, sizeof(r));
	r.claim = 4321;
	raw_open(&r, s.port);
	vg_msg_begin(&w, VG_MSG_DIR_REQ, 42);
	vg_wbuf_u32(&w, 0);
	vg_msg_finish(&w);
	CU_ASSERT_EQUAL(vg_ep_send(r.ep, w.buf, w.len), 0);
	CU_ASSERT_TRUE(raw_wait(&r, NULL, &r.dir_replies, 1));
	CU_ASSERT_EQUAL(r.last_dir_count, 0);
	vg_msg_begin(&w, VG_MSG_LOOKUP_REQ, 42);
	vg_wbuf_u32(&w, VG_LOOKUP_INSTANCE | VG_LOOKUP_PUSH);
	vg_wbuf_str(&w, "n1/meminfo");
	vg_msg_finish(&w);
	CU_ASSERT_EQUAL(vg_ep_send(r.ep, w.buf, w.len), 0);
	CU_ASSERT_TRUE(raw_wait(&r, NULL, &r.lookup_replies, 1));
	CU_ASSERT_EQUAL(r.last_lookup_status, -ENOENT);
	vg_msg_begin(&w, VG_MSG_PUSH_REQ, 42);
	vg_wbuf_u32(&w, 0);
	vg_wbuf_str(&w, "n1/meminfo");
	vg_msg_finish(&w);
	CU_ASSERT_EQUAL(vg_ep_send(r.ep, w.buf, w.len), 0);
	CU_ASSERT_TRUE(raw_wait(&r, NULL, &r.errors, 1));
	raw_close(&r);
	/* a client of another method is refused with a message naming both */
	struct vg_err err;
	vg_err_clear(&err);
	struct vg_plugin fake;
	memset(&fake, 0, sizeof(fake));
	fake.plugin = (char *)"munge";
	struct vg_client *c = vg_client_connect_auth("sock", "127.0.0.1", s.port, 5000, &fake, &err);
	CU_ASSERT_PTR_NULL(c);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "requires authentication method 'none'"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, "'munge'"));
	vg_wbuf_free(&w);
	srv_stop(&s);
}

static void test_protocol_error(void)
{
	struct srv s;
	srv_start(&s);
	add_set(&s, "n1/meminfo", "meminfo", 1);
	struct vg_client *good = connect_to(s.port);
	CU_ASSERT_PTR_NOT_NULL_FATAL(good);
	/* a message with a lying length closes that connection only */
	struct raw r = {0};
	raw_open(&r, s.port);
	uint8_t junk[32] = {1, 0, VG_MSG_DIR_REQ, 0, 99, 0, 0, 0};
	CU_ASSERT_EQUAL(vg_ep_send(r.ep, junk, sizeof(junk)), 0);
	CU_ASSERT_TRUE(raw_wait(&r, &r.disconnected, NULL, 0));
	raw_close(&r);
	/* a reply type sent as a request, too */
	raw_open(&r, s.port);
	struct vg_wbuf w;
	vg_wbuf_init(&w, 1024);
	vg_msg_begin(&w, VG_MSG_LOOKUP_REPLY, 1);
	vg_msg_finish(&w);
	CU_ASSERT_EQUAL(vg_ep_send(r.ep, w.buf, w.len), 0);
	CU_ASSERT_TRUE(raw_wait(&r, &r.disconnected, NULL, 0));
	raw_close(&r);
	vg_wbuf_free(&w);
	int rc;
	CU_ASSERT_EQUAL(lookup_count(good, "n1/meminfo", 0, &rc), 1);
	CU_ASSERT_EQUAL(rc, 0);
	vg_client_close(good);
	srv_stop(&s);
}

static const struct cu_test tests[] = {
	{"lookups by name, schema, regex; updates; deleted set", test_lookup_and_update},
	{"a directory of 3000 sets over several replies", test_big_directory},
	{"directory notifications on add and remove", test_dir_notify},
	{"commands and their replies", test_commands},
	{"a protocol error closes one connection only", test_protocol_error},
	{"authentication: silent peer dropped, requests before it refused, wrong method",
	 test_auth_gate},
	{NULL, NULL},
};

int main(int argc, char **argv)
{
	vg_log_set_level(VG_LOG_CRITICAL);
	return cu_run("server", tests, argc, argv);
}
