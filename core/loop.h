/*
 * loop.h - the event loop: fd readiness (epoll), timers, signals, deferred
 * calls and cross-thread posts.
 *
 * Shape after Redis ae.h, with libuv's lessons: timers live in a binary
 * min-heap (thousands of sampler and updater intervals; equal deadlines fire
 * in the order they were started), handles are caller-allocated structs so
 * the loop allocates nothing per event, and a handle stopped while events for
 * it are pending in the same epoll batch gets no further callback (nginx's
 * stale-event problem).  Free a handle's memory from a vg_loop_defer()
 * callback or after the callback that stopped it has returned; never from
 * inside another handle's callback of the same iteration while it may still
 * be pending.
 *
 * Threads: a loop belongs to the thread that runs vg_loop_run().  Every
 * function here must be called from that thread, except vg_loop_post() and
 * vg_loop_stop(), which any thread may call.
 *
 * Iteration order: expired timers, then I/O callbacks, then deferred calls,
 * then posted tasks.  Time is read once per iteration (vg_loop_now_us()).
 */
#ifndef VIGIL_LOOP_H
#define VIGIL_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct vg_loop;

/* ------------------------------------------------------------------ fds */

#define VG_IO_READ  0x1u
#define VG_IO_WRITE 0x2u
#define VG_IO_ERROR 0x4u /* delivered only: EPOLLERR or EPOLLHUP */

struct vg_io;
typedef void (*vg_io_cb)(struct vg_io *io, uint32_t events, void *arg);

struct vg_io {
	/* private */
	struct vg_loop *loop;
	int fd;
	uint32_t mask;     /* VG_IO_READ | VG_IO_WRITE currently watched */
	uint32_t gen;      /* bumped at each stop: guards stale events */
	bool registered;
	vg_io_cb cb;
	void *arg;
};

void vg_io_init(struct vg_io *io, int fd, vg_io_cb cb, void *arg);
/* Watch io for mask (replaces the previous mask); mask 0 keeps it registered but idle. */
int vg_io_start(struct vg_loop *loop, struct vg_io *io, uint32_t mask);
/* Stop watching; pending events of this iteration are dropped. Idempotent. */
void vg_io_stop(struct vg_io *io);

/* ------------------------------------------------------------------ timers */

struct vg_timer;
typedef void (*vg_timer_cb)(struct vg_timer *t, void *arg);

struct vg_timer {
	/* private */
	struct vg_loop *loop;
	uint64_t due_us;      /* monotonic deadline */
	uint64_t seq;         /* start order: FIFO among equal deadlines */
	size_t heap_index;    /* SIZE_MAX when not in the heap */
	uint64_t interval_us; /* 0: one-shot */
	int64_t offset_us;
	bool aligned;
	vg_timer_cb cb;
	void *arg;
};

void vg_timer_init(struct vg_timer *t, vg_timer_cb cb, void *arg);

/* Fire once, delay_us from now. Restarting an active timer moves it. */
int vg_timer_start(struct vg_loop *loop, struct vg_timer *t, uint64_t delay_us);

/*
 * Fire periodically at wall-clock times T with T % interval == offset (offset
 * may be negative, |offset| < interval), e.g. every second at .100 s.  The
 * next deadline is computed from the wall clock each time, so samplers on
 * different nodes stay in phase and a clock step is absorbed at the next
 * period.  The timer is re-armed before cb runs; cb may stop it.
 */
int vg_timer_start_aligned(struct vg_loop *loop, struct vg_timer *t, uint64_t interval_us,
			   int64_t offset_us);

/* Fire every interval_us, the first time after interval_us, not wall-clock aligned. */
int vg_timer_start_periodic(struct vg_loop *loop, struct vg_timer *t, uint64_t interval_us);

void vg_timer_stop(struct vg_timer *t);
bool vg_timer_active(const struct vg_timer *t);

/*
 * Wall-clock time (µs) of the next aligned tick after now; exposed for tests
 * and for the updater schedule.
 */
uint64_t vg_next_aligned_us(uint64_t now_us, uint64_t interval_us, int64_t offset_us);

/* ------------------------------------------------------------------ deferred calls */

typedef void (*vg_task_cb)(void *arg);

struct vg_deferred {
	/* private */
	struct vg_deferred *next;
	vg_task_cb cb;
	void *arg;
	bool queued;
};

/*
 * Run cb(arg) at the end of the current iteration, after all I/O callbacks:
 * the place to free a handle whose events may still be pending. d is
 * caller-allocated; deferring an already queued d does nothing.
 */
void vg_loop_defer(struct vg_loop *loop, struct vg_deferred *d, vg_task_cb cb, void *arg);

/* ------------------------------------------------------------------ signals */

typedef void (*vg_signal_cb)(int signo, void *arg);

/*
 * Deliver signo to cb on the loop thread (signalfd).  Blocks signo in the
 * calling thread: call it before creating other threads so that they inherit
 * the mask.
 */
int vg_loop_signal(struct vg_loop *loop, int signo, vg_signal_cb cb, void *arg);

/* ------------------------------------------------------------------ the loop */

struct vg_loop *vg_loop_new(struct vg_err *err);
/*
 * Frees the loop; handles still registered are forgotten, not called.
 * Deferred calls still queued are run first (they release memory).
 */
void vg_loop_free(struct vg_loop *loop);

/* Run until vg_loop_stop(). Returns 0, or a negative errno if epoll fails. */
int vg_loop_run(struct vg_loop *loop);
/*
 * One iteration, waiting at most timeout_ms for an event (-1: until one
 * comes, 0: do not wait). Returns the number of callbacks run, or -errno.
 * For tools that drive the loop until a reply arrives.
 */
int vg_loop_run_once(struct vg_loop *loop, int timeout_ms);
/*
 * Make vg_loop_run() return after the current iteration. Thread-safe.  The
 * flag (vg_loop_stopped()) stays set until vg_loop_run() returns, so a stop
 * requested before vg_loop_run() makes it return at once.
 */
void vg_loop_stop(struct vg_loop *loop);
bool vg_loop_stopped(const struct vg_loop *loop);

/*
 * Run cb(arg) on the loop thread soon. Thread-safe; wakes the loop. Returns
 * -ENOMEM if the task cannot be queued. Not for hot paths (allocates).
 */
int vg_loop_post(struct vg_loop *loop, vg_task_cb cb, void *arg);

/* Monotonic time cached at the start of the current iteration. */
uint64_t vg_loop_now_us(const struct vg_loop *loop);

#endif /* VIGIL_LOOP_H */
