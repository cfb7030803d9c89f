/*
 * setdir.h - the set directory: every set a daemon publishes, by instance
 * name, with add/remove notifications.
 *
 * The transport server listens here to register new sets' memory and to
 * push directory changes to clients that asked for them; samplers find
 * their job_set here.  The directory holds a reference on each set.
 *
 * Threads: not locked; used from the daemon's loop thread.
 */
#ifndef VIGIL_SETDIR_H
#define VIGIL_SETDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "set.h"

struct vg_setdir;

enum vg_setdir_event {
	VG_SETDIR_ADD = 1,
	VG_SETDIR_DEL = 2,
	VG_SETDIR_UPDATE = 3, /* a transaction on the set ended (vg_setdir_updated) */
};

/* Called after a set was added, or before a set is removed (it is still valid). */
typedef void (*vg_setdir_cb)(enum vg_setdir_event ev, struct vg_set *set, void *arg);

struct vg_setdir *vg_setdir_new(void);
/* Removes every set (notifying listeners) and frees the directory. */
void vg_setdir_free(struct vg_setdir *dir);

/* Publish set under its instance name; -EEXIST if the name is taken. Takes a reference. */
int vg_setdir_add(struct vg_setdir *dir, struct vg_set *set);
/* Unpublish; -ENOENT if set is not in the directory. Drops the directory's reference. */
int vg_setdir_remove(struct vg_setdir *dir, struct vg_set *set);

/*
 * Tell listeners that a transaction on a published set ended (a sample, or
 * an update of a mirror), e.g. so that the server pushes it to subscribers.
 */
void vg_setdir_updated(struct vg_setdir *dir, struct vg_set *set);

/* The set published as instance, or NULL. No reference is taken. */
struct vg_set *vg_setdir_find(const struct vg_setdir *dir, const char *instance);
size_t vg_setdir_count(const struct vg_setdir *dir);
/* Bumped at every add and remove: a cheap "did anything change" check. */
uint64_t vg_setdir_generation(const struct vg_setdir *dir);

/*
 * Call cb for every set in instance-name order; stop early if cb returns
 * non-zero (and return that value).  cb must not add or remove sets.
 */
int vg_setdir_foreach(const struct vg_setdir *dir, int (*cb)(struct vg_set *set, void *arg),
		      void *arg);

/* Listen to adds and removes; returns a handle > 0 for vg_setdir_unlisten, or -ENOMEM. */
int vg_setdir_listen(struct vg_setdir *dir, vg_setdir_cb cb, void *arg);
void vg_setdir_unlisten(struct vg_setdir *dir, int handle);

#endif /* VIGIL_SETDIR_H */
