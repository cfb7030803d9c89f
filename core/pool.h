/*
 * pool.h - the daemon's set memory: one fixed-size POSIX shared memory object
 * (/dev/shm/<name>), mapped once, from which every set takes whole pages.
 *
 * Why one object and not one file per set: the RDMA and libfabric drivers
 * can register the pool once, a set costs no file descriptor or mapping, and
 * the size is fixed up front (ldmsd -m), so a runaway configuration fails
 * with a clear error instead of eating the node's memory.  tmpfs allocates
 * pages only when touched, so an idle pool costs nothing.
 *
 * A pool created with name NULL lives in ordinary anonymous memory (tools and
 * tests that need no shared memory).
 *
 * Threads: not thread-safe; the owner serialises calls.
 */
#ifndef VIGIL_POOL_H
#define VIGIL_POOL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util.h"

struct vg_pool;

#define VG_POOL_DEFAULT_SIZE (4u << 20) /* ldmsd -m default: 4 MiB */
#define VG_POOL_MIN_SIZE (64u << 10)

/*
 * Create the pool.  name is the shm object name without the leading '/'
 * (e.g. "vigil.1234.sets"), created with O_EXCL and mode 0644 so that local
 * readers can map it; size is rounded up to whole pages.
 */
struct vg_pool *vg_pool_create(const char *name, size_t size, struct vg_err *err);
/* Unmap, and unlink the shm object. Sets still allocated become invalid. */
void vg_pool_destroy(struct vg_pool *pool);

/*
 * Whole pages for len bytes, zero-filled, page-aligned. Returns NULL with
 * errno ENOMEM when no run of free pages is large enough.
 */
void *vg_pool_alloc(struct vg_pool *pool, size_t len);
void vg_pool_free(struct vg_pool *pool, void *ptr, size_t len);

size_t vg_pool_size(const struct vg_pool *pool);
size_t vg_pool_used(const struct vg_pool *pool);
size_t vg_pool_largest_free(const struct vg_pool *pool);
/* "/dev/shm/<name>", or "(anonymous)". */
const char *vg_pool_path(const struct vg_pool *pool);
/* Base address and length of the whole mapping (for one registration). */
void *vg_pool_base(const struct vg_pool *pool);

/*
 * Remove /dev/shm/vigil.<pid>.* objects whose pid is no longer running
 * (left by a daemon killed with SIGKILL). Returns how many were removed.
 */
int vg_pool_sweep_stale(const char *prefix);

#endif /* VIGIL_POOL_H */
