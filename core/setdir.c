/*
 * setdir.c - the set directory: a sorted array searched by binary search.
 *
 * Adds and removes are rare (sampler configuration) and lookups and ordered
 * walks common, so an array kept in name order beats a hash: foreach needs
 * no sort and 10,000 sets cost one memmove of 80 KB at worst per change.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "setdir.h"

struct listener {
	int handle;
	vg_setdir_cb cb; /* NULL: unlistened while notifying, compacted afterwards */
	void *arg;
};

struct vg_setdir {
	struct vg_set **sets;
	size_t count;
	size_t cap;
	uint64_t generation;
	struct listener *listeners;
	size_t nlisteners;
	size_t listeners_cap;
	int next_handle;
	int notifying; /* depth of notify(): unlisten must not move the array then */
};

struct vg_setdir *vg_setdir_new(void)
{
	struct vg_setdir *dir = calloc(1, sizeof(*dir));
	if (dir)
		dir->next_handle = 1;
	return dir;
}

static void listeners_compact(struct vg_setdir *dir)
{
	size_t n = 0;
	for (size_t i = 0; i < dir->nlisteners; i++) {
		if (dir->listeners[i].cb)
			dir->listeners[n++] = dir->listeners[i];
	}
	dir->nlisteners = n;
}

static void notify(struct vg_setdir *dir, enum vg_setdir_event ev, struct vg_set *set)
{
	dir->notifying++;
	/* a listener added by a callback is not called for this event */
	size_t n = dir->nlisteners;
	for (size_t i = 0; i < n; i++) {
		struct listener l = dir->listeners[i];
		if (l.cb)
			l.cb(ev, set, l.arg);
	}
	if (--dir->notifying == 0)
		listeners_compact(dir);
}

/* Index of instance if present (*found), else where it would be inserted. */
static size_t dir_search(const struct vg_setdir *dir, const char *instance, bool *found)
{
	size_t lo = 0, hi = dir->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(vg_set_instance(dir->sets[mid]), instance);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

static void remove_at(struct vg_setdir *dir, size_t i)
{
	struct vg_set *set = dir->sets[i];
	notify(dir, VG_SETDIR_DEL, set);
	memmove(&dir->sets[i], &dir->sets[i + 1], (dir->count - i - 1) * sizeof(*dir->sets));
	dir->count--;
	dir->generation++;
	vg_set_put(set);
}

void vg_setdir_free(struct vg_setdir *dir)
{
	if (!dir)
		return;
	while (dir->count)
		remove_at(dir, dir->count - 1);
	free(dir->sets);
	free(dir->listeners);
	free(dir);
}

int vg_setdir_add(struct vg_setdir *dir, struct vg_set *set)
{
	if (!dir || !set)
		return -EINVAL;
	bool found;
	size_t i = dir_search(dir, vg_set_instance(set), &found);
	if (found)
		return -EEXIST;
	if (dir->count == dir->cap) {
		size_t cap = dir->cap ? dir->cap * 2 : 64;
		struct vg_set **sets = realloc(dir->sets, cap * sizeof(*sets));
		if (!sets)
			return -ENOMEM;
		dir->sets = sets;
		dir->cap = cap;
	}
	memmove(&dir->sets[i + 1], &dir->sets[i], (dir->count - i) * sizeof(*dir->sets));
	dir->sets[i] = vg_set_get(set);
	dir->count++;
	dir->generation++;
	notify(dir, VG_SETDIR_ADD, set);
	return 0;
}

int vg_setdir_remove(struct vg_setdir *dir, struct vg_set *set)
{
	if (!dir || !set)
		return -EINVAL;
	bool found;
	size_t i = dir_search(dir, vg_set_instance(set), &found);
	if (!found || dir->sets[i] != set)
		return -ENOENT;
	remove_at(dir, i);
	return 0;
}

struct vg_set *vg_setdir_find(const struct vg_setdir *dir, const char *instance)
{
	if (!dir || !instance)
		return NULL;
	bool found;
	size_t i = dir_search(dir, instance, &found);
	return found ? dir->sets[i] : NULL;
}

size_t vg_setdir_count(const struct vg_setdir *dir)
{
	return dir->count;
}

uint64_t vg_setdir_generation(const struct vg_setdir *dir)
{
	return dir->generation;
}

int vg_setdir_foreach(const struct vg_setdir *dir, int (*cb)(struct vg_set *set, void *arg),
		      void *arg)
{
	for (size_t i = 0; i < dir->count; i++) {
		int rc = cb(dir->sets[i], arg);
		if (rc)
			return rc;
	}
	return 0;
}

int vg_setdir_listen(struct vg_setdir *dir, vg_setdir_cb cb, void *arg)
{
	if (!dir || !cb)
		return -EINVAL;
	if (dir->nlisteners == dir->listeners_cap) {
		size_t cap = dir->listeners_cap ? dir->listeners_cap * 2 : 4;
		struct listener *l = realloc(dir->listeners, cap * sizeof(*l));
		if (!l)
			return -ENOMEM;
		dir->listeners = l;
		dir->listeners_cap = cap;
	}
	struct listener *l = &dir->listeners[dir->nlisteners++];
	l->handle = dir->next_handle++;
	l->cb = cb;
	l->arg = arg;
	return l->handle;
}

void vg_setdir_unlisten(struct vg_setdir *dir, int handle)
{
	if (!dir)
		return;
	for (size_t i = 0; i < dir->nlisteners; i++) {
		if (dir->listeners[i].handle == handle)
			dir->listeners[i].cb = NULL;
	}
	if (!dir->notifying)
		listeners_compact(dir);
}

void vg_setdir_updated(struct vg_setdir *dir, struct vg_set *set)
{
	if (dir->nlisteners)
		notify(dir, VG_SETDIR_UPDATE, set);
}
