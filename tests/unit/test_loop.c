/*
 * test_loop.c - the event loop: timer order and ties, stop/restart from
 * callbacks, aligned timer math with a faked wall clock, periodic timers,
 * fd readiness and stale events, deferred calls, posts from other threads
 * and signals.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <unistd.h>

#include "core/loop.h"
#include "tests/unit/cu_main.h"

#define SEC 1000000ull
#define MS 1000ull

static struct vg_loop *new_loop(void)
{
	struct vg_err err = {0};
	struct vg_loop *loop = vg_loop_new(&err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(loop);
	return loop;
}

/* Run the loop until *flag becomes true or timeout_ms pass; returns *flag. */
static bool run_until(struct vg_loop *loop, const bool *flag, int timeout_ms)
{
	uint64_t deadline = vg_mono_us() + (uint64_t)timeout_ms * MS;
	while (!*flag && vg_mono_us() < deadline)
		CU_ASSERT(vg_loop_run_once(loop, 10) >= 0);
	return *flag;
}

/* ------------------------------------------------------------------ ordering */

struct order_log {
	int ids[32];
	uint64_t at[32];
	int n;
};

struct order_timer {
	struct vg_timer t;
	struct order_log *log;
	int id;
};

static void order_cb(struct vg_timer *t, void *arg)
{
	(void)t;
	struct order_timer *ot = arg;
	if (ot->log->n < 32) {
		ot->log->at[ot->log->n] = vg_mono_us();
		ot->log->ids[ot->log->n++] = ot->id;
	}
}

struct tie_setup {
	struct vg_loop *loop;
	struct order_timer *timers;
	int count;
};

/* Started inside one callback: equal delays give equal deadlines, broken by start order. */
static void start_ties_cb(struct vg_timer *t, void *arg)
{
	(void)t;
	struct tie_setup *s = arg;
	static const uint64_t delays[] = {5 * MS, 1 * MS, 5 * MS, 1 * MS, 5 * MS, 1 * MS};
	for (int i = 0; i < s->count; i++)
		CU_ASSERT_EQUAL(vg_timer_start(s->loop, &s->timers[i].t, delays[i]), 0);
}

static void test_timer_order(void)
{
	struct vg_loop *loop = new_loop();
	struct order_log log = {.n = 0};
	struct order_timer ot[3];
	static const uint64_t delays[] = {20 * MS, 5 * MS, 10 * MS};
	uint64_t start = vg_mono_us();
	for (int i = 0; i < 3; i++) {
		ot[i] = (struct order_timer){.log = &log, .id = i};
		vg_timer_init(&ot[i].t, order_cb, &ot[i]);
		CU_ASSERT_FALSE(vg_timer_active(&ot[i].t));
		CU_ASSERT_EQUAL(vg_timer_start(loop, &ot[i].t, delays[i]), 0);
		CU_ASSERT_TRUE(vg_timer_active(&ot[i].t));
	}
	uint64_t deadline = vg_mono_us() + 5 * SEC;
	while (log.n < 3 && vg_mono_us() < deadline)
		vg_loop_run_once(loop, 100);
	CU_ASSERT_EQUAL_FATAL(log.n, 3);
	CU_ASSERT_EQUAL(log.ids[0], 1);
	CU_ASSERT_EQUAL(log.ids[1], 2);
	CU_ASSERT_EQUAL(log.ids[2], 0);
	for (int i = 0; i < 3; i++)
		CU_ASSERT(log.at[i] >= start + delays[log.ids[i]]);
	for (int i = 0; i < 3; i++)
		CU_ASSERT_FALSE(vg_timer_active(&ot[i].t));

	/* FIFO among equal deadlines */
	struct order_timer ties[6];
	for (int i = 0; i < 6; i++) {
		ties[i] = (struct order_timer){.log = &log, .id = i};
		vg_timer_init(&ties[i].t, order_cb, &ties[i]);
	}
	struct tie_setup setup = {loop, ties, 6};
	struct vg_timer starter;
	vg_timer_init(&starter, start_ties_cb, &setup);
	log.n = 0;
	CU_ASSERT_EQUAL(vg_timer_start(loop, &starter, 0), 0);
	deadline = vg_mono_us() + 5 * SEC;
	while (log.n < 6 && vg_mono_us() < deadline)
		vg_loop_run_once(loop, 100);
	CU_ASSERT_EQUAL_FATAL(log.n, 6);
	static const int expect[] = {1, 3, 5, 0, 2, 4};
	for (int i = 0; i < 6; i++)
		CU_ASSERT_EQUAL(log.ids[i], expect[i]);
	vg_loop_free(loop);
}

/* ------------------------------------------------------------------ many timers */

#define MANY 600

struct many {
	struct vg_loop *loop;
	struct vg_timer t[MANY];
	uint64_t delay[MANY];
	bool stopped[MANY];
	int order[MANY];
	int fired;
};

static void many_cb(struct vg_timer *t, void *arg)
{
	struct many *m = arg;
	m->order[m->fired++] = (int)(t - m->t);
}

static void many_start(struct vg_timer *t, void *arg)
{
	(void)t;
	struct many *m = arg;
	uint32_t x = 12345;
	for (int i = 0; i < MANY; i++) {
		x = x * 1103515245u + 12345u;
		m->delay[i] = (x >> 16) % 40 * MS; /* many ties */
		CU_ASSERT_EQUAL(vg_timer_start(m->loop, &m->t[i], m->delay[i]), 0);
	}
	/* stop every seventh and move every eleventh: exercises removal from the middle */
	for (int i = 0; i < MANY; i += 7) {
		vg_timer_stop(&m->t[i]);
		m->stopped[i] = true;
	}
	for (int i = 3; i < MANY; i += 11) {
		if (!m->stopped[i]) {
			m->delay[i] = 45 * MS;
			CU_ASSERT_EQUAL(vg_timer_start(m->loop, &m->t[i], m->delay[i]), 0);
		}
	}
}

static void test_many_timers(void)
{
	static struct many m;
	memset(&m, 0, sizeof(m));
	m.loop = new_loop();
	for (int i = 0; i < MANY; i++)
		vg_timer_init(&m.t[i], many_cb, &m);
	struct vg_timer starter;
	vg_timer_init(&starter, many_start, &m);
	CU_ASSERT_EQUAL(vg_timer_start(m.loop, &starter, 0), 0);
	/* the starter runs in the first iteration and decides which timers stay */
	CU_ASSERT(vg_loop_run_once(m.loop, 1000) >= 1);
	int expect = 0;
	for (int i = 0; i < MANY; i++)
		expect += !m.stopped[i];
	uint64_t deadline = vg_mono_us() + 5 * SEC;
	while (m.fired < expect && vg_mono_us() < deadline)
		vg_loop_run_once(m.loop, 100);
	CU_ASSERT_EQUAL_FATAL(m.fired, expect);
	/* by deadline; among equal deadlines, moved timers (started later) after the others */
	for (int k = 1; k < m.fired; k++) {
		int a = m.order[k - 1], b = m.order[k];
		CU_ASSERT_FALSE(m.stopped[b]);
		CU_ASSERT(m.delay[a] <= m.delay[b]);
		if (m.delay[a] == m.delay[b] && m.delay[a] != 45 * MS)
			CU_ASSERT(a < b);
	}
	vg_loop_free(m.loop);
}

/* ------------------------------------------------------------------ stop / restart */

struct ctl {
	struct vg_loop *loop;
	struct vg_timer self, victim, moved, periodic;
	int self_fired, victim_fired, moved_fired, periodic_fired;
	uint64_t moved_at;
};

static void victim_cb(struct vg_timer *t, void *arg)
{
	(void)t;
	((struct ctl *)arg)->victim_fired++;
}

static void moved_cb(struct vg_timer *t, void *arg)
{
	(void)t;
	struct ctl *c = arg;
	c->moved_fired++;
	c->moved_at = vg_mono_us();
}

/* Fires first; stops the victim due in the same batch and moves another timer later. */
static void killer_cb(struct vg_timer *t, void *arg)
{
	(void)t;
	struct ctl *c = arg;
	vg_timer_stop(&c->victim);
	vg_timer_stop(&c->victim); /* idempotent */
	CU_ASSERT_EQUAL(vg_timer_start(c->loop, &c->moved, 30 * MS), 0);
}

/* Restarts itself with no delay: must fire once per iteration, not spin inside one. */
static void self_cb(struct vg_timer *t, void *arg)
{
	struct ctl *c = arg;
	c->self_fired++;
	if (c->self_fired < 3)
		CU_ASSERT_EQUAL(vg_timer_start(c->loop, t, 0), 0);
}

static void periodic_stop_cb(struct vg_timer *t, void *arg)
{
	struct ctl *c = arg;
	c->periodic_fired++;
	CU_ASSERT_TRUE(vg_timer_active(t)); /* re-armed before the callback */
	vg_timer_stop(t);
}

/* Started from one callback so that killer and victim get the same deadline, killer first. */
static void arm_pair_cb(struct vg_timer *t, void *arg)
{
	struct vg_timer **pair = arg;
	CU_ASSERT_EQUAL(vg_timer_start(t->loop, pair[0], 2 * MS), 0);
	CU_ASSERT_EQUAL(vg_timer_start(t->loop, pair[1], 2 * MS), 0);
	CU_ASSERT_EQUAL(vg_timer_start(t->loop, pair[2], 3 * MS), 0);
}

static void test_timer_stop_restart(void)
{
	struct ctl c = {.loop = new_loop()};
	struct vg_timer killer, arm;
	vg_timer_init(&killer, killer_cb, &c);
	vg_timer_init(&c.victim, victim_cb, &c);
	vg_timer_init(&c.moved, moved_cb, &c);
	vg_timer_init(&c.self, self_cb, &c);
	vg_timer_init(&c.periodic, periodic_stop_cb, &c);
	struct vg_timer *pair[3] = {&killer, &c.victim, &c.moved};
	vg_timer_init(&arm, arm_pair_cb, pair);

	CU_ASSERT_EQUAL(vg_timer_start(c.loop, &arm, 0), 0);
	uint64_t deadline = vg_mono_us() + 5 * SEC;
	while (!vg_timer_active(&killer) && vg_mono_us() < deadline)
		vg_loop_run_once(c.loop, 100);
	CU_ASSERT_TRUE_FATAL(vg_timer_active(&killer));
	CU_ASSERT_EQUAL(c.victim.due_us, killer.due_us);
	while (vg_timer_active(&killer) && vg_mono_us() < deadline)
		vg_loop_run_once(c.loop, 100);
	uint64_t killed_at = vg_mono_us();
	CU_ASSERT_FALSE(vg_timer_active(&killer));
	CU_ASSERT_FALSE(vg_timer_active(&c.victim));
	CU_ASSERT_EQUAL(c.victim_fired, 0);
	/* moved was due 1 ms after killer, which pushed it 30 ms later */
	CU_ASSERT_EQUAL(c.moved_fired, 0);
	while (c.moved_fired == 0 && vg_mono_us() < deadline)
		vg_loop_run_once(c.loop, 100);
	CU_ASSERT(c.moved_at >= killed_at + 25 * MS);
	CU_ASSERT_EQUAL(c.moved_fired, 1);

	/* self-restart with zero delay: one firing per iteration */
	CU_ASSERT_EQUAL(vg_timer_start(c.loop, &c.self, 0), 0);
	for (int i = 1; i <= 3; i++) {
		vg_loop_run_once(c.loop, 1000);
		CU_ASSERT_EQUAL(c.self_fired, i);
	}
	CU_ASSERT_FALSE(vg_timer_active(&c.self));

	/* a periodic timer stopped from its own callback fires once */
	CU_ASSERT_EQUAL(vg_timer_start_periodic(c.loop, &c.periodic, 1 * MS), 0);
	while (c.periodic_fired == 0 && vg_mono_us() < deadline)
		vg_loop_run_once(c.loop, 100);
	CU_ASSERT_EQUAL(c.periodic_fired, 1);
	CU_ASSERT_FALSE(vg_timer_active(&c.periodic));
	CU_ASSERT_EQUAL(vg_loop_run_once(c.loop, 5), 0);
	CU_ASSERT_EQUAL(c.periodic_fired, 1);
	CU_ASSERT_EQUAL(vg_timer_start_periodic(c.loop, &c.periodic, 0), -EINVAL);

	/* restarting an active timer moves it rather than adding a second entry */
	CU_ASSERT_EQUAL(vg_timer_start(c.loop, &c.victim, 1 * MS), 0);
	CU_ASSERT_EQUAL(vg_timer_start(c.loop, &c.victim, 2 * MS), 0);
	while (vg_timer_active(&c.victim) && vg_mono_us() < deadline)
		vg_loop_run_once(c.loop, 100);
	CU_ASSERT_EQUAL(c.victim_fired, 1);
	vg_loop_free(c.loop);
}

/* ------------------------------------------------------------------ aligned */

static uint64_t fake_wall_us;
static uint64_t fake_wall(void)
{
	return fake_wall_us;
}

static void count_cb(struct vg_timer *t, void *arg)
{
	(void)t;
	(*(int *)arg)++;
}

static void test_aligned_math(void)
{
	CU_ASSERT_EQUAL(vg_next_aligned_us(0, 10, 3), 3);
	CU_ASSERT_EQUAL(vg_next_aligned_us(3, 10, 3), 13); /* strictly after now */
	CU_ASSERT_EQUAL(vg_next_aligned_us(12, 10, 3), 13);
	CU_ASSERT_EQUAL(vg_next_aligned_us(2, 10, -1), 9);
	CU_ASSERT_EQUAL(vg_next_aligned_us(9, 10, -1), 19);
	CU_ASSERT_EQUAL(vg_next_aligned_us(10, 10, 0), 20);
	CU_ASSERT_EQUAL(vg_next_aligned_us(1000 * SEC + 950 * MS, SEC, 100 * MS), 1001 * SEC + 100 * MS);
	CU_ASSERT_EQUAL(vg_next_aligned_us(1000 * SEC + 50 * MS, SEC, 100 * MS), 1000 * SEC + 100 * MS);
	CU_ASSERT_EQUAL(vg_next_aligned_us(1000 * SEC + 950 * MS, SEC, -100 * (int64_t)MS),
			1001 * SEC + 900 * MS);
	CU_ASSERT_EQUAL(vg_next_aligned_us(1000 * SEC + 850 * MS, SEC, -100 * (int64_t)MS),
			1000 * SEC + 900 * MS);
	CU_ASSERT_EQUAL(vg_next_aligned_us(1000 * SEC + 500 * MS, SEC, 0), 1001 * SEC);
	CU_ASSERT_EQUAL(vg_next_aligned_us(119 * SEC, 60 * SEC, 0), 120 * SEC);

	struct vg_loop *loop = new_loop();
	int fired = 0;
	struct vg_timer t;
	vg_timer_init(&t, count_cb, &fired);
	CU_ASSERT_EQUAL(vg_timer_start_aligned(loop, &t, 0, 0), -EINVAL);
	CU_ASSERT_EQUAL(vg_timer_start_aligned(loop, &t, SEC, (int64_t)SEC), -EINVAL);
	CU_ASSERT_EQUAL(vg_timer_start_aligned(loop, &t, SEC, -(int64_t)SEC), -EINVAL);
	CU_ASSERT_FALSE(vg_timer_active(&t));

	/* the deadline is mono_now + (next wall tick - wall now) */
	vg_clock_fake(fake_wall);
	fake_wall_us = 1000 * SEC + 950 * MS;
	uint64_t m0 = vg_mono_us();
	CU_ASSERT_EQUAL(vg_timer_start_aligned(loop, &t, SEC, 100 * MS), 0);
	uint64_t m1 = vg_mono_us();
	CU_ASSERT(t.due_us >= m0 + 150 * MS && t.due_us <= m1 + 150 * MS);

	m0 = vg_mono_us();
	CU_ASSERT_EQUAL(vg_timer_start_aligned(loop, &t, SEC, -100 * (int64_t)MS), 0);
	m1 = vg_mono_us();
	CU_ASSERT(t.due_us >= m0 + 950 * MS && t.due_us <= m1 + 950 * MS);

	/* fires at the tick and stays armed for the next one */
	fake_wall_us = 1000 * SEC + 990 * MS;
	CU_ASSERT_EQUAL(vg_timer_start_aligned(loop, &t, SEC, 0), 0);
	uint64_t deadline = vg_mono_us() + 5 * SEC;
	while (fired == 0 && vg_mono_us() < deadline)
		vg_loop_run_once(loop, 100);
	CU_ASSERT_EQUAL(fired, 1);
	CU_ASSERT_TRUE(vg_timer_active(&t));
	vg_timer_stop(&t);
	vg_clock_fake(NULL);
	vg_loop_free(loop);
}

/* ------------------------------------------------------------------ periodic */

struct periodic_log {
	uint64_t at[8];
	int n;
};

static void periodic_cb(struct vg_timer *t, void *arg)
{
	(void)t;
	struct periodic_log *p = arg;
	if (p->n < 8)
		p->at[p->n] = vg_mono_us();
	p->n++;
}

static void test_periodic(void)
{
	struct vg_loop *loop = new_loop();
	struct periodic_log p = {.n = 0};
	struct vg_timer t;
	vg_timer_init(&t, periodic_cb, &p);
	uint64_t t0 = vg_mono_us();
	CU_ASSERT_EQUAL(vg_timer_start_periodic(loop, &t, 20 * MS), 0);
	uint64_t deadline = vg_mono_us() + 5 * SEC;
	while (p.n < 5 && vg_mono_us() < deadline)
		vg_loop_run_once(loop, 100);
	CU_ASSERT_EQUAL_FATAL(p.n, 5);
	/* never early: the k-th firing comes at least k intervals after the start */
	for (int k = 0; k < 5; k++)
		CU_ASSERT(p.at[k] >= t0 + (uint64_t)(k + 1) * 20 * MS);
	CU_ASSERT_TRUE(vg_timer_active(&t));
	vg_timer_stop(&t);
	CU_ASSERT_FALSE(vg_timer_active(&t));
	vg_loop_free(loop);
}

/* ------------------------------------------------------------------ io */

struct pipe_io {
	int fds[2];
	struct vg_io io;
	int calls;
	uint32_t events;
	struct pipe_io *other;
	bool restart_other;
};

static void pipe_cb(struct vg_io *io, uint32_t events, void *arg)
{
	(void)io;
	struct pipe_io *p = arg;
	p->calls++;
	p->events = events;
	if (p->other) {
		vg_io_stop(&p->other->io);
		if (p->restart_other)
			CU_ASSERT_EQUAL(vg_io_start(io->loop, &p->other->io, VG_IO_READ), 0);
	}
}

static void pipe_open(struct pipe_io *p)
{
	CU_ASSERT_EQUAL_FATAL(pipe(p->fds), 0);
	vg_io_init(&p->io, p->fds[0], pipe_cb, p);
	p->calls = 0;
	p->other = NULL;
	p->restart_other = false;
}

static void pipe_close(struct pipe_io *p)
{
	vg_io_stop(&p->io);
	close(p->fds[0]);
	if (p->fds[1] >= 0)
		close(p->fds[1]);
}

static void test_io_pipe(void)
{
	struct vg_loop *loop = new_loop();
	struct pipe_io p;
	pipe_open(&p);
	CU_ASSERT_EQUAL(vg_io_start(loop, &p.io, VG_IO_READ), 0);
	CU_ASSERT_EQUAL(vg_loop_run_once(loop, 0), 0);
	CU_ASSERT_EQUAL(p.calls, 0);

	CU_ASSERT_EQUAL(write(p.fds[1], "x", 1), 1);
	CU_ASSERT_EQUAL(vg_loop_run_once(loop, 1000), 1);
	CU_ASSERT_EQUAL(p.calls, 1);
	CU_ASSERT_EQUAL(p.events, VG_IO_READ);

	/* mask 0: registered but idle, no callbacks while data waits */
	CU_ASSERT_EQUAL(vg_io_start(loop, &p.io, 0), 0);
	CU_ASSERT_EQUAL(vg_loop_run_once(loop, 0), 0);
	CU_ASSERT_EQUAL(p.calls, 1);
	CU_ASSERT_EQUAL(vg_io_start(loop, &p.io, VG_IO_READ), 0);
	CU_ASSERT_EQUAL(vg_loop_run_once(loop, 1000), 1);
	CU_ASSERT_EQUAL(p.calls, 2);
	char c;
	CU_ASSERT_EQUAL(read(p.fds[0], &c, 1), 1);
	CU_ASSERT_EQUAL(c, 'x');

	/* the write end of a pipe is writable at once */
	struct pipe_io w = p;
	w.calls = 0;
	vg_io_init(&w.io, p.fds[1], pipe_cb, &w);
	CU_ASSERT_EQUAL(vg_io_start(loop, &w.io, VG_IO_WRITE), 0);
	CU_ASSERT_EQUAL(vg_loop_run_once(loop, 1000), 1);
	CU_ASSERT_EQUAL(w.calls, 1);
	CU_ASSERT_EQUAL(w.events, VG_IO_WRITE);
	vg_io_stop(&w.io);
	vg_io_stop(&w.io); /* idempotent */

	/* the peer closing: ERROR (hang-up) reaches a reader */
	close(p.fds[1]);
	p.fds[1] = -1;
	CU_ASSERT_EQUAL(vg_loop_run_once(loop, 1000), 1);
	CU_ASSERT(p.events & VG_IO_ERROR);
	pipe_close(&p);
	CU_ASSERT_EQUAL(vg_loop_run_once(loop, 0), 0);
	vg_loop_free(loop);
}

/* Both pipes are readable in one batch; whichever callback runs first stops the other. */
static void test_io_stale_event(void)
{
	struct vg_loop *loop = new_loop();
	struct pipe_io a, b;
	pipe_open(&a);
	pipe_open(&b);
	a.other = &b;
	b.other = &a;
	CU_ASSERT_EQUAL(vg_io_start(loop, &a.io, VG_IO_READ), 0);
	CU_ASSERT_EQUAL(vg_io_start(loop, &b.io, VG_IO_READ), 0);
	CU_ASSERT_EQUAL(write(a.fds[1], "a", 1), 1);
	CU_ASSERT_EQUAL(write(b.fds[1], "b", 1), 1);
	CU_ASSERT_EQUAL(vg_loop_run_once(loop, 1000), 1);
	CU_ASSERT_EQUAL(a.calls + b.calls, 1);

	/* stopped and restarted in the same batch: the old event is dropped, a new one comes next time */
	struct pipe_io *first = a.calls ? &a : &b;
	struct pipe_io *second = a.calls ? &b : &a;
	first->calls = second->calls = 0;
	first->other = second;
	second->other = first;
	first->restart_other = second->restart_other = true;
	CU_ASSERT_EQUAL(vg_io_start(loop, &first->io, VG_IO_READ), 0);
	CU_ASSERT_EQUAL(vg_io_start(loop, &second->io, VG_IO_READ), 0);
	CU_ASSERT_EQUAL(vg_loop_run_once(loop, 1000), 1);
	CU_ASSERT_EQUAL(first->calls + second->calls, 1);
	CU_ASSERT_EQUAL(vg_loop_run_once(loop, 1000), 1);
	CU_ASSERT_EQUAL(first->calls + second->calls, 2);
	pipe_close(&a);
	pipe_close(&b);
	vg_loop_free(loop);
}

/* ------------------------------------------------------------------ phases */

struct phases {
	struct vg_loop *loop;
	char seq[16];
	int n;
	struct vg_deferred d1, d2, d3;
	int fds[2];
	struct vg_io io;
	struct vg_timer t;
};

static void mark(struct phases *ph, char c)
{
	if (ph->n < 15)
		ph->seq[ph->n++] = c;
}

static void phase_d3(void *arg)
{
	mark(arg, '3');
}

static void phase_d1(void *arg)
{
	struct phases *ph = arg;
	mark(ph, '1');
	/* deferred while deferred calls run: waits for the next iteration */
	vg_loop_defer(ph->loop, &ph->d3, phase_d3, ph);
}

static void phase_d2(void *arg)
{
	mark(arg, '2');
}

static void phase_timer(struct vg_timer *t, void *arg)
{
	(void)t;
	struct phases *ph = arg;
	mark(ph, 'T');
	vg_loop_defer(ph->loop, &ph->d1, phase_d1, ph);
	vg_loop_defer(ph->loop, &ph->d2, phase_d2, ph);
	vg_loop_defer(ph->loop, &ph->d1, phase_d1, ph); /* already queued: no effect */
}

static void phase_io(struct vg_io *io, uint32_t events, void *arg)
{
	(void)events;
	char c;
	CU_ASSERT_EQUAL(read(io->fd, &c, 1), 1);
	mark(arg, 'I');
}

static void phase_post(void *arg)
{
	mark(arg, 'P');
}

static void test_iteration_order(void)
{
	struct phases ph = {.loop = new_loop()};
	CU_ASSERT_EQUAL_FATAL(pipe(ph.fds), 0);
	vg_io_init(&ph.io, ph.fds[0], phase_io, &ph);
	CU_ASSERT_EQUAL(vg_io_start(ph.loop, &ph.io, VG_IO_READ), 0);
	vg_timer_init(&ph.t, phase_timer, &ph);
	CU_ASSERT_EQUAL(write(ph.fds[1], "x", 1), 1);
	CU_ASSERT_EQUAL(vg_loop_post(ph.loop, phase_post, &ph), 0);
	CU_ASSERT_EQUAL(vg_timer_start(ph.loop, &ph.t, 0), 0);
	/* timer, io, two deferred, one post */
	CU_ASSERT_EQUAL(vg_loop_run_once(ph.loop, 1000), 5);
	ph.seq[ph.n] = '\0';
	CU_ASSERT_STRING_EQUAL(ph.seq, "TI12P");
	/* the call deferred from a deferred call runs next, without waiting */
	uint64_t before = vg_mono_us();
	CU_ASSERT_EQUAL(vg_loop_run_once(ph.loop, 5000), 1);
	CU_ASSERT(vg_mono_us() - before < 4 * SEC);
	ph.seq[ph.n] = '\0';
	CU_ASSERT_STRING_EQUAL(ph.seq, "TI12P3");
	vg_io_stop(&ph.io);
	close(ph.fds[0]);
	close(ph.fds[1]);
	vg_loop_free(ph.loop);
}

/* ------------------------------------------------------------------ threads */

#define POSTS 200

struct post_ctx {
	struct vg_loop *loop;
	pthread_t loop_thread;
	int count;
	bool wrong_thread;
	bool done;
};

static void post_task(void *arg)
{
	struct post_ctx *p = arg;
	if (!pthread_equal(pthread_self(), p->loop_thread))
		p->wrong_thread = true;
	if (++p->count == POSTS)
		p->done = true;
}

static void *poster(void *arg)
{
	struct post_ctx *p = arg;
	for (int i = 0; i < POSTS; i++)
		CU_ASSERT_EQUAL(vg_loop_post(p->loop, post_task, p), 0);
	return NULL;
}

static void *stopper(void *arg)
{
	vg_loop_stop(arg);
	return NULL;
}

static void stop_from_timer(struct vg_timer *t, void *arg)
{
	(void)t;
	vg_loop_stop(arg);
}

static void test_post_and_stop(void)
{
	struct post_ctx p = {.loop = new_loop(), .loop_thread = pthread_self()};
	pthread_t th;
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, poster, &p), 0);
	CU_ASSERT_TRUE(run_until(p.loop, &p.done, 10000));
	pthread_join(th, NULL);
	CU_ASSERT_EQUAL(p.count, POSTS);
	CU_ASSERT_FALSE(p.wrong_thread);

	/* vg_loop_stop from another thread ends vg_loop_run */
	CU_ASSERT_EQUAL_FATAL(pthread_create(&th, NULL, stopper, p.loop), 0);
	CU_ASSERT_EQUAL(vg_loop_run(p.loop), 0);
	pthread_join(th, NULL);
	CU_ASSERT_FALSE(vg_loop_stopped(p.loop));

	/* ... and from a callback */
	struct vg_timer t;
	vg_timer_init(&t, stop_from_timer, p.loop);
	CU_ASSERT_EQUAL(vg_timer_start(p.loop, &t, 1 * MS), 0);
	CU_ASSERT_EQUAL(vg_loop_run(p.loop), 0);
	CU_ASSERT_FALSE(vg_timer_active(&t));

	/* a stop before run makes run return at once; the flag is visible meanwhile */
	vg_loop_stop(p.loop);
	CU_ASSERT_TRUE(vg_loop_stopped(p.loop));
	CU_ASSERT_EQUAL(vg_loop_run(p.loop), 0);
	CU_ASSERT_FALSE(vg_loop_stopped(p.loop));

	/* a posted task never run is released by vg_loop_free (LeakSanitizer checks) */
	CU_ASSERT_EQUAL(vg_loop_post(p.loop, post_task, &p), 0);
	vg_loop_free(p.loop);
}

/* ------------------------------------------------------------------ signals */

struct sig_ctx {
	int usr1, usr2;
	bool both;
};

static void on_signal(int signo, void *arg)
{
	struct sig_ctx *s = arg;
	if (signo == SIGUSR1)
		s->usr1++;
	else if (signo == SIGUSR2)
		s->usr2++;
	s->both = s->usr1 && s->usr2;
}

static void test_signals(void)
{
	struct vg_loop *loop = new_loop();
	struct sig_ctx s = {0, 0, false};
	CU_ASSERT_EQUAL(vg_loop_signal(loop, SIGUSR1, on_signal, &s), 0);
	CU_ASSERT_EQUAL(vg_loop_signal(loop, SIGUSR2, on_signal, &s), 0);
	CU_ASSERT_EQUAL(vg_loop_signal(loop, SIGKILL, on_signal, &s), -EINVAL);
	CU_ASSERT_EQUAL(vg_loop_signal(loop, 0, on_signal, &s), -EINVAL);
	CU_ASSERT_EQUAL(raise(SIGUSR1), 0);
	CU_ASSERT_EQUAL(raise(SIGUSR2), 0);
	CU_ASSERT_TRUE(run_until(loop, &s.both, 5000));
	CU_ASSERT_EQUAL(s.usr1, 1);
	CU_ASSERT_EQUAL(s.usr2, 1);
	/* a signal delivered through the loop counts as a callback */
	CU_ASSERT_EQUAL(raise(SIGUSR1), 0);
	int calls = 0;
	uint64_t deadline = vg_mono_us() + 5 * SEC;
	while (s.usr1 < 2 && vg_mono_us() < deadline)
		calls += vg_loop_run_once(loop, 100);
	CU_ASSERT_EQUAL(s.usr1, 2);
	CU_ASSERT_EQUAL(calls, 1);
	vg_loop_free(loop);
}

static const struct cu_test tests[] = {
	{"timers fire in deadline order, FIFO among ties", test_timer_order},
	{"timers stopped, moved and restarted from callbacks", test_timer_stop_restart},
	{"hundreds of timers with ties, stops and moves keep heap order", test_many_timers},
	{"aligned tick math and deadline with a faked wall clock", test_aligned_math},
	{"periodic timer fires each interval, never early", test_periodic},
	{"fd readiness on a pipe", test_io_pipe},
	{"an io stopped in the same batch gets no stale callback", test_io_stale_event},
	{"iteration order: timers, io, deferred, posted", test_iteration_order},
	{"vg_loop_post and vg_loop_stop from other threads", test_post_and_stop},
	{"signals delivered through vg_loop_signal", test_signals},
	{NULL, NULL},
};

CU_MAIN("loop", tests)
