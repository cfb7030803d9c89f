/*
 * loop.c - the event loop on epoll: timers in a min-heap, fd handles with a
 * stale-event guard, deferred calls, cross-thread posts (eventfd) and
 * signals (signalfd).
 *
 * One iteration: compute the wait from the earliest timer, epoll_wait, read
 * the monotonic clock once, then run expired timers, I/O callbacks, deferred
 * calls and posted tasks, in that order.  The epoll event array is allocated
 * with the loop; an iteration allocates nothing.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "core/loop.h"

#define LOOP_MAX_EVENTS 256
#define HEAP_INITIAL_CAP 64
/* How far past a fired tick an aligned timer looks for the next one (see timer_rearm). */
#define ALIGNED_SLACK_MAX_US 50000u

struct post_task {
	struct post_task *next;
	vg_task_cb cb;
	void *arg;
};

struct signal_slot {
	vg_signal_cb cb;
	void *arg;
};

struct vg_loop {
	int epfd;
	struct epoll_event *events;
	uint32_t *event_gens;  /* io->gen of each event when the batch arrived */
	uint64_t now_us;
	bool in_iteration;
	int extra_calls;       /* user callbacks run by the loop's own handles */
	atomic_bool stop;

	struct vg_timer **heap;
	size_t heap_len, heap_cap;
	uint64_t timer_seq;

	struct vg_deferred *defer_head, *defer_tail;

	int wakefd;
	struct vg_io wake_io;
	pthread_mutex_t post_lock;
	struct post_task *post_head, *post_tail;
	atomic_bool posted;

	int sigfd;
	struct vg_io sig_io;
	sigset_t sigmask;
	struct signal_slot signals[_NSIG];
};

/* ------------------------------------------------------------------ fds */

void vg_io_init(struct vg_io *io, int fd, vg_io_cb cb, void *arg)
{
	memset(io, 0, sizeof(*io));
	io->fd = fd;
	io->cb = cb;
	io->arg = arg;
}

static uint32_t epoll_mask(uint32_t mask)
{
	return ((mask & VG_IO_READ) ? EPOLLIN : 0u) | ((mask & VG_IO_WRITE) ? EPOLLOUT : 0u);
}

/*
 * Mask 0 removes the fd from epoll while the handle stays registered: an idle
 * fd left in the set would still report EPOLLHUP on every wait and spin.
 */
int vg_io_start(struct vg_loop *loop, struct vg_io *io, uint32_t mask)
{
	mask &= VG_IO_READ | VG_IO_WRITE;
	if (io->registered && io->loop != loop)
		return -EINVAL;
	bool in_epoll = io->registered && io->mask != 0;
	struct epoll_event ev = {.events = epoll_mask(mask), .data.ptr = io};
	int rc = 0;
	if (mask == 0) {
		if (in_epoll)
			rc = epoll_ctl(loop->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	} else {
		rc = epoll_ctl(loop->epfd, in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, io->fd, &ev);
	}
	if (rc < 0)
		return -errno;
	io->loop = loop;
	io->registered = true;
	io->mask = mask;
	return 0;
}

void vg_io_stop(struct vg_io *io)
{
	if (!io->registered)
		return;
	/* The fd may already be closed (epoll forgot it then): nothing to undo. */
	if (io->mask)
		(void)epoll_ctl(io->loop->epfd, EPOLL_CTL_DEL, io->fd, NULL);
	io->registered = false;
	io->mask = 0;
	io->gen++;
}

/* ------------------------------------------------------------------ timer heap */

static bool timer_before(const struct vg_timer *a, const struct vg_timer *b)
{
	return a->due_us < b->due_us || (a->due_us == b->due_us && a->seq < b->seq);
}

static void heap_set(struct vg_loop *loop, size_t i, struct vg_timer *t)
{
	loop->heap[i] = t;
	t->heap_index = i;
}

static void heap_sift_up(struct vg_loop *loop, size_t i)
{
	struct vg_timer *t = loop->heap[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!timer_before(t, loop->heap[parent]))
			break;
		heap_set(loop, i, loop->heap[parent]);
		i = parent;
	}
	heap_set(loop, i, t);
}

static void heap_sift_down(struct vg_loop *loop, size_t i)
{
	struct vg_timer *t = loop->heap[i];
	for (;;) {
		size_t child = 2 * i + 1;
		if (child >= loop->heap_len)
			break;
		if (child + 1 < loop->heap_len && timer_before(loop->heap[child + 1], loop->heap[child]))
			child++;
		if (!timer_before(loop->heap[child], t))
			break;
		heap_set(loop, i, loop->heap[child]);
		i = child;
	}
	heap_set(loop, i, t);
}

static void heap_remove(struct vg_loop *loop, struct vg_timer *t)
{
	size_t i = t->heap_index;
	struct vg_timer *last = loop->heap[--loop->heap_len];
	t->heap_index = SIZE_MAX;
	if (last == t)
		return;
	heap_set(loop, i, last);
	heap_sift_down(loop, i);
	heap_sift_up(loop, last->heap_index);
}

static int heap_reserve(struct vg_loop *loop)
{
	if (loop->heap_len < loop->heap_cap)
		return 0;
	size_t cap = loop->heap_cap ? loop->heap_cap * 2 : HEAP_INITIAL_CAP;
	struct vg_timer **heap = realloc(loop->heap, cap * sizeof(*heap));
	if (!heap)
		return -ENOMEM;
	loop->heap = heap;
	loop->heap_cap = cap;
	return 0;
}

/*
 * Inside an iteration every timer is based on the time read once at its
 * start (equal delays then give equal deadlines, ordered by start); outside,
 * the cached time may be arbitrarily old, so read the clock.
 */
static uint64_t loop_time(struct vg_loop *loop)
{
	if (!loop->in_iteration)
		loop->now_us = vg_mono_us();
	return loop->now_us;
}

static int timer_arm(struct vg_loop *loop, struct vg_timer *t, uint64_t due_us)
{
	if (vg_timer_active(t) && t->loop == loop) {
		heap_remove(loop, t);
	} else {
		if (heap_reserve(loop) < 0)
			return -ENOMEM;
		vg_timer_stop(t);
	}
	t->loop = loop;
	t->due_us = due_us;
	t->seq = loop->timer_seq++;
	heap_set(loop, loop->heap_len++, t);
	heap_sift_up(loop, t->heap_index);
	return 0;
}

/* ------------------------------------------------------------------ timers */

void vg_timer_init(struct vg_timer *t, vg_timer_cb cb, void *arg)
{
	memset(t, 0, sizeof(*t));
	t->heap_index = SIZE_MAX;
	t->cb = cb;
	t->arg = arg;
}

int vg_timer_start(struct vg_loop *loop, struct vg_timer *t, uint64_t delay_us)
{
	t->interval_us = 0;
	t->offset_us = 0;
	t->aligned = false;
	return timer_arm(loop, t, loop_time(loop) + delay_us);
}

int vg_timer_start_periodic(struct vg_loop *loop, struct vg_timer *t, uint64_t interval_us)
{
	if (interval_us == 0)
		return -EINVAL;
	t->interval_us = interval_us;
	t->offset_us = 0;
	t->aligned = false;
	return timer_arm(loop, t, loop_time(loop) + interval_us);
}

uint64_t vg_next_aligned_us(uint64_t now_us, uint64_t interval_us, int64_t offset_us)
{
	if (interval_us == 0)
		return now_us;
	int64_t ival = (int64_t)interval_us;
	uint64_t phase = (uint64_t)(((offset_us % ival) + ival) % ival);
	/* since = (now - phase) mod interval, without going below zero */
	uint64_t since = (now_us % interval_us + interval_us - phase) % interval_us;
	return now_us - since + interval_us;
}

/*
 * The wall clock gives the tick, the monotonic clock the deadline: both are
 * read together so the conversion does not mix instants.
 */
static uint64_t aligned_deadline(const struct vg_timer *t, uint64_t after_slack_us)
{
	uint64_t wall = vg_now_us();
	uint64_t mono = vg_mono_us();
	uint64_t next = vg_next_aligned_us(wall + after_slack_us, t->interval_us, t->offset_us);
	return mono + (next - wall);
}

int vg_timer_start_aligned(struct vg_loop *loop, struct vg_timer *t, uint64_t interval_us,
			   int64_t offset_us)
{
	if (interval_us == 0 || interval_us > INT64_MAX)
		return -EINVAL;
	if (offset_us <= -(int64_t)interval_us || offset_us >= (int64_t)interval_us)
		return -EINVAL;
	t->interval_us = interval_us;
	t->offset_us = offset_us;
	t->aligned = true;
	(void)loop_time(loop);
	return timer_arm(loop, t, aligned_deadline(t, 0));
}

void vg_timer_stop(struct vg_timer *t)
{
	if (vg_timer_active(t))
		heap_remove(t->loop, t);
}

bool vg_timer_active(const struct vg_timer *t)
{
	return t->heap_index != SIZE_MAX;
}

/*
 * Re-arm a periodic timer that just fired.  A plain periodic timer keeps its
 * phase but skips ticks already missed rather than firing a burst.  An
 * aligned one looks for the tick after now + slack: NTP slewing can make the
 * wall clock read a little before the tick that just fired, and without the
 * slack that same tick would fire twice.
 */
static void timer_rearm(struct vg_loop *loop, struct vg_timer *t)
{
	uint64_t due;
	if (t->aligned) {
		uint64_t slack = t->interval_us / 4;
		if (slack > ALIGNED_SLACK_MAX_US)
			slack = ALIGNED_SLACK_MAX_US;
		due = aligned_deadline(t, slack);
	} else {
		due = t->due_us + t->interval_us;
		if (due <= loop->now_us)
			due = loop->now_us + t->interval_us;
	}
	/* The timer was just removed from the heap, so the slot exists. */
	(void)timer_arm(loop, t, due);
}

/*
 * Timers started during this phase wait for the next iteration even with a
 * zero delay (seq_limit), so a callback that restarts itself cannot starve
 * the I/O phase.
 */
static int run_timers(struct vg_loop *loop)
{
	int calls = 0;
	uint64_t seq_limit = loop->timer_seq;
	while (loop->heap_len) {
		struct vg_timer *t = loop->heap[0];
		if (t->due_us > loop->now_us || t->seq >= seq_limit)
			break;
		heap_remove(loop, t);
		if (t->interval_us)
			timer_rearm(loop, t);
		t->cb(t, t->arg);
		calls++;
	}
	return calls;
}

/* ------------------------------------------------------------------ deferred calls */

void vg_loop_defer(struct vg_loop *loop, struct vg_deferred *d, vg_task_cb cb, void *arg)
{
	if (d->queued)
		return;
	d->cb = cb;
	d->arg = arg;
	d->next = NULL;
	d->queued = true;
	if (loop->defer_tail)
		loop->defer_tail->next = d;
	else
		loop->defer_head = d;
	loop->defer_tail = d;
}

/* Calls deferred while these run wait for the next iteration (which then does not block). */
static int run_deferred(struct vg_loop *loop)
{
	struct vg_deferred *d = loop->defer_head;
	loop->defer_head = loop->defer_tail = NULL;
	int calls = 0;
	while (d) {
		/* cb may free the memory holding d: read everything first */
		struct vg_deferred *next = d->next;
		vg_task_cb cb = d->cb;
		void *arg = d->arg;
		d->next = NULL;
		d->queued = false;
		cb(arg);
		calls++;
		d = next;
	}
	return calls;
}

/* ------------------------------------------------------------------ posts and wakeups */

static void loop_wake(struct vg_loop *loop)
{
	uint64_t one = 1;
	/* EAGAIN means the counter is already non-zero: the loop will wake anyway. */
	ssize_t n = write(loop->wakefd, &one, sizeof(one));
	(void)n;
}

static void wake_cb(struct vg_io *io, uint32_t events, void *arg)
{
	(void)events;
	(void)arg;
	uint64_t count;
	ssize_t n = read(io->fd, &count, sizeof(count));
	(void)n;
}

int vg_loop_post(struct vg_loop *loop, vg_task_cb cb, void *arg)
{
	struct post_task *task = malloc(sizeof(*task));
	if (!task)
		return -ENOMEM;
	task->next = NULL;
	task->cb = cb;
	task->arg = arg;
	pthread_mutex_lock(&loop->post_lock);
	if (loop->post_tail)
		loop->post_tail->next = task;
	else
		loop->post_head = task;
	loop->post_tail = task;
	pthread_mutex_unlock(&loop->post_lock);
	atomic_store(&loop->posted, true);
	loop_wake(loop);
	return 0;
}

static int run_posted(struct vg_loop *loop)
{
	if (!atomic_exchange(&loop->posted, false))
		return 0;
	pthread_mutex_lock(&loop->post_lock);
	struct post_task *task = loop->post_head;
	loop->post_head = loop->post_tail = NULL;
	pthread_mutex_unlock(&loop->post_lock);
	int calls = 0;
	while (task) {
		struct post_task *next = task->next;
		task->cb(task->arg);
		free(task);
		calls++;
		task = next;
	}
	return calls;
}

/* ------------------------------------------------------------------ signals */

static void signal_cb(struct vg_io *io, uint32_t events, void *arg)
{
	(void)events;
	struct vg_loop *loop = arg;
	struct signalfd_siginfo info[8];
	for (;;) {
		ssize_t n = read(io->fd, info, sizeof(info));
		if (n <= 0)
			return;
		for (size_t i = 0; i < (size_t)n / sizeof(info[0]); i++) {
			uint32_t signo = info[i].ssi_signo;
			if (signo < _NSIG && loop->signals[signo].cb) {
				loop->signals[signo].cb((int)signo, loop->signals[signo].arg);
				loop->extra_calls++;
			}
		}
	}
}

int vg_loop_signal(struct vg_loop *loop, int signo, vg_signal_cb cb, void *arg)
{
	if (signo <= 0 || signo >= _NSIG || signo == SIGKILL || signo == SIGSTOP || !cb)
		return -EINVAL;
	sigset_t one;
	sigemptyset(&one);
	sigaddset(&one, signo);
	int rc = pthread_sigmask(SIG_BLOCK, &one, NULL);
	if (rc)
		return -rc;
	sigaddset(&loop->sigmask, signo);
	/* One signalfd serves every signal: passing it back updates its mask. */
	int fd = signalfd(loop->sigfd, &loop->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		sigdelset(&loop->sigmask, signo);
		return rc;
	}
	if (loop->sigfd < 0) {
		loop->sigfd = fd;
		vg_io_init(&loop->sig_io, fd, signal_cb, loop);
		rc = vg_io_start(loop, &loop->sig_io, VG_IO_READ);
		if (rc < 0) {
			close(fd);
			loop->sigfd = -1;
			sigdelset(&loop->sigmask, signo);
			return rc;
		}
	}
	loop->signals[signo].cb = cb;
	loop->signals[signo].arg = arg;
	return 0;
}

/* ------------------------------------------------------------------ the loop */

struct vg_loop *vg_loop_new(struct vg_err *err)
{
	struct vg_loop *loop = calloc(1, sizeof(*loop));
	if (!loop) {
		vg_errf(err, ENOMEM, "cannot allocate an event loop: out of memory");
		return NULL;
	}
	loop->epfd = loop->wakefd = loop->sigfd = -1;
	sigemptyset(&loop->sigmask);
	atomic_init(&loop->stop, false);
	atomic_init(&loop->posted, false);
	pthread_mutex_init(&loop->post_lock, NULL);
	loop->events = calloc(LOOP_MAX_EVENTS, sizeof(*loop->events));
	loop->event_gens = calloc(LOOP_MAX_EVENTS, sizeof(*loop->event_gens));
	if (!loop->events || !loop->event_gens) {
		vg_errf(err, ENOMEM, "cannot allocate an event loop: out of memory");
		goto fail;
	}
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (loop->epfd < 0) {
		vg_errf(err, errno, "cannot create an event loop: epoll_create1: %s (raise the open file limit, ulimit -n)",
			strerror(errno));
		goto fail;
	}
	loop->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (loop->wakefd < 0) {
		vg_errf(err, errno, "cannot create an event loop: eventfd: %s (raise the open file limit, ulimit -n)",
			strerror(errno));
		goto fail;
	}
	vg_io_init(&loop->wake_io, loop->wakefd, wake_cb, loop);
	int rc = vg_io_start(loop, &loop->wake_io, VG_IO_READ);
	if (rc < 0) {
		vg_errf(err, -rc, "cannot create an event loop: epoll_ctl: %s", strerror(-rc));
		goto fail;
	}
	loop->now_us = vg_mono_us();
	return loop;
fail:
	vg_loop_free(loop);
	return NULL;
}

void vg_loop_free(struct vg_loop *loop)
{
	if (!loop)
		return;
	/* Deferred calls release memory (closed connections); run them rather than leak. */
	for (int round = 0; round < 16 && loop->defer_head; round++)
		run_deferred(loop);
	struct post_task *task = loop->post_head;
	while (task) {
		struct post_task *next = task->next;
		free(task);
		task = next;
	}
	/* Signals stay blocked: unblocking would let a pending SIGTERM kill the process. */
	if (loop->sigfd >= 0)
		close(loop->sigfd);
	if (loop->wakefd >= 0)
		close(loop->wakefd);
	if (loop->epfd >= 0)
		close(loop->epfd);
	pthread_mutex_destroy(&loop->post_lock);
	free(loop->heap);
	free(loop->events);
	free(loop->event_gens);
	free(loop);
}

static int wait_timeout_ms(struct vg_loop *loop, int timeout_ms)
{
	if (loop->defer_head)
		return 0;
	if (!loop->heap_len)
		return timeout_ms;
	uint64_t now = vg_mono_us();
	uint64_t due = loop->heap[0]->due_us;
	if (due <= now)
		return 0;
	/* Round up: waking a little early would only spin until the deadline. */
	uint64_t ms = (due - now + 999) / 1000;
	if (ms > INT_MAX)
		ms = INT_MAX;
	if (timeout_ms >= 0 && (uint64_t)timeout_ms < ms)
		return timeout_ms;
	return (int)ms;
}

static uint32_t io_events(uint32_t epoll_events)
{
	uint32_t ev = 0;
	if (epoll_events & EPOLLIN)
		ev |= VG_IO_READ;
	if (epoll_events & EPOLLOUT)
		ev |= VG_IO_WRITE;
	if (epoll_events & (EPOLLERR | EPOLLHUP))
		ev |= VG_IO_ERROR;
	return ev;
}

/*
 * An event is stale when its handle was stopped (gen moved on) by an earlier
 * callback of this batch: its fd may already be closed and reused.
 */
static int run_io(struct vg_loop *loop, int nevents)
{
	for (int i = 0; i < nevents; i++)
		loop->event_gens[i] = ((struct vg_io *)loop->events[i].data.ptr)->gen;
	int calls = 0;
	for (int i = 0; i < nevents; i++) {
		struct vg_io *io = loop->events[i].data.ptr;
		if (!io->registered || io->gen != loop->event_gens[i] || !io->mask)
			continue;
		uint32_t ev = io_events(loop->events[i].events) & (io->mask | VG_IO_ERROR);
		if (!ev)
			continue;
		io->cb(io, ev, io->arg);
		if (io != &loop->wake_io && io != &loop->sig_io)
			calls++;
	}
	return calls;
}

int vg_loop_run_once(struct vg_loop *loop, int timeout_ms)
{
	int timeout = wait_timeout_ms(loop, timeout_ms);
	int n = epoll_wait(loop->epfd, loop->events, LOOP_MAX_EVENTS, timeout);
	if (n < 0) {
		if (errno != EINTR)
			return -errno;
		n = 0;
	}
	loop->now_us = vg_mono_us();
	loop->in_iteration = true;
	loop->extra_calls = 0;
	int calls = run_timers(loop);
	calls += run_io(loop, n);
	calls += run_deferred(loop);
	calls += run_posted(loop);
	calls += loop->extra_calls;
	loop->in_iteration = false;
	return calls;
}

int vg_loop_run(struct vg_loop *loop)
{
	int rc = 0;
	while (!atomic_load(&loop->stop)) {
		rc = vg_loop_run_once(loop, -1);
		if (rc < 0)
			break;
		rc = 0;
	}
	atomic_store(&loop->stop, false);
	return rc;
}

void vg_loop_stop(struct vg_loop *loop)
{
	atomic_store(&loop->stop, true);
	loop_wake(loop);
}

bool vg_loop_stopped(const struct vg_loop *loop)
{
	return atomic_load(&((struct vg_loop *)loop)->stop);
}

uint64_t vg_loop_now_us(const struct vg_loop *loop)
{
	return loop->now_us;
}
