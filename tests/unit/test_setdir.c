/*
 * test_setdir.c - the set directory: lookups, order, notifications,
 * generations and the references it holds.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/schema.h"
#include "core/set.h"
#include "core/setdir.h"
#include "tests/unit/cu_main.h"

static struct vg_schema *schema;

static void schema_free(void)
{
	vg_schema_free(schema);
}

static struct vg_set *mkset(const char *instance)
{
	if (!schema) {
		schema = vg_schema_new("test");
		vg_schema_metric_add(schema, "value", VG_T_U64);
		atexit(schema_free);
	}
	struct vg_set *s = vg_set_new(NULL, schema, instance, "node1", 0, 0, 0440, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	return s;
}

static void test_add_find_remove(void)
{
	struct vg_setdir *dir = vg_setdir_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	struct vg_set *a = mkset("node1/a"), *b = mkset("node1/b");
	struct vg_set *a2 = mkset("node1/a");
	uint64_t g0 = vg_setdir_generation(dir);
	CU_ASSERT_EQUAL(vg_setdir_add(dir, a), 0);
	CU_ASSERT_EQUAL(vg_setdir_add(dir, b), 0);
	CU_ASSERT_EQUAL(vg_setdir_generation(dir), g0 + 2);
	CU_ASSERT_EQUAL(vg_setdir_add(dir, a2), -EEXIST);
	CU_ASSERT_EQUAL(vg_setdir_add(dir, a), -EEXIST);
	CU_ASSERT_EQUAL(vg_setdir_generation(dir), g0 + 2);
	CU_ASSERT_EQUAL(vg_setdir_count(dir), 2);
	CU_ASSERT_PTR_EQUAL(vg_setdir_find(dir, "node1/a"), a);
	CU_ASSERT_PTR_EQUAL(vg_setdir_find(dir, "node1/b"), b);
	CU_ASSERT_PTR_NULL(vg_setdir_find(dir, "node1/c"));
	CU_ASSERT_PTR_NULL(vg_setdir_find(dir, NULL));
	/* a set with the same name that is not the published one */
	CU_ASSERT_EQUAL(vg_setdir_remove(dir, a2), -ENOENT);
	CU_ASSERT_EQUAL(vg_setdir_remove(dir, a), 0);
	CU_ASSERT_EQUAL(vg_setdir_remove(dir, a), -ENOENT);
	CU_ASSERT_EQUAL(vg_setdir_generation(dir), g0 + 3);
	CU_ASSERT_PTR_NULL(vg_setdir_find(dir, "node1/a"));
	CU_ASSERT_EQUAL(vg_setdir_count(dir), 1);
	/* the name is free again */
	CU_ASSERT_EQUAL(vg_setdir_add(dir, a2), 0);
	CU_ASSERT_PTR_EQUAL(vg_setdir_find(dir, "node1/a"), a2);
	vg_set_put(a);
	vg_set_put(a2);
	vg_set_put(b);
	vg_setdir_free(dir); /* drops the last references: LeakSanitizer checks */
}

struct walk {
	char names[16][32];
	int n;
	int stop_at;
};

static int walk_cb(struct vg_set *set, void *arg)
{
	struct walk *w = arg;
	if (w->n == w->stop_at)
		return 42;
	snprintf(w->names[w->n++], sizeof(w->names[0]), "%s", vg_set_instance(set));
	return 0;
}

static void test_foreach_order(void)
{
	static const char *const names[] = {"n3/x", "n1/z", "n2/y", "n10/a", "a", "n1/a", "Z"};
	static const char *const sorted[] = {"Z", "a", "n1/a", "n1/z", "n10/a", "n2/y", "n3/x"};
	struct vg_setdir *dir = vg_setdir_new();
	for (size_t i = 0; i < VG_ARRAY_LEN(names); i++) {
		struct vg_set *s = mkset(names[i]);
		CU_ASSERT_EQUAL(vg_setdir_add(dir, s), 0);
		vg_set_put(s); /* the directory's reference keeps it */
	}
	struct walk w = {.stop_at = -1};
	CU_ASSERT_EQUAL(vg_setdir_foreach(dir, walk_cb, &w), 0);
	CU_ASSERT_EQUAL(w.n, (int)VG_ARRAY_LEN(sorted));
	for (size_t i = 0; i < VG_ARRAY_LEN(sorted); i++)
		CU_ASSERT_STRING_EQUAL(w.names[i], sorted[i]);
	struct walk w2 = {.stop_at = 3};
	CU_ASSERT_EQUAL(vg_setdir_foreach(dir, walk_cb, &w2), 42);
	CU_ASSERT_EQUAL(w2.n, 3);
	vg_setdir_free(dir);
}

struct event {
	enum vg_setdir_event ev;
	char instance[32];
	size_t count_then;    /* directory size when the listener ran */
	bool findable_then;   /* the set was in the directory when the listener ran */
	uint64_t value_then;  /* a value read from the set: it was still valid */
};

struct recorder {
	struct vg_setdir *dir;
	struct event ev[16];
	int n;
};

static void record_cb(enum vg_setdir_event ev, struct vg_set *set, void *arg)
{
	struct recorder *r = arg;
	if (r->n >= 16)
		return;
	struct event *e = &r->ev[r->n++];
	e->ev = ev;
	snprintf(e->instance, sizeof(e->instance), "%s", vg_set_instance(set));
	e->count_then = vg_setdir_count(r->dir);
	e->findable_then = vg_setdir_find(r->dir, vg_set_instance(set)) == set;
	e->value_then = vg_get_u64(set, 0);
}

static void test_listeners(void)
{
	struct vg_setdir *dir = vg_setdir_new();
	struct recorder r1 = {.dir = dir}, r2 = {.dir = dir};
	int h1 = vg_setdir_listen(dir, record_cb, &r1);
	int h2 = vg_setdir_listen(dir, record_cb, &r2);
	CU_ASSERT(h1 > 0 && h2 > 0 && h1 != h2);

	struct vg_set *s = mkset("node1/s");
	vg_set_u64(s, 0, 1234);
	CU_ASSERT_EQUAL(vg_setdir_add(dir, s), 0);
	CU_ASSERT_EQUAL(r1.n, 1);
	CU_ASSERT_EQUAL(r1.ev[0].ev, VG_SETDIR_ADD);
	CU_ASSERT_STRING_EQUAL(r1.ev[0].instance, "node1/s");
	CU_ASSERT_EQUAL(r1.ev[0].count_then, 1); /* after the insert */
	CU_ASSERT_TRUE(r1.ev[0].findable_then);
	CU_ASSERT_EQUAL(r2.n, 1);
	CU_ASSERT_EQUAL(vg_setdir_add(dir, s), -EEXIST); /* no event for a failed add */
	CU_ASSERT_EQUAL(r1.n, 1);

	vg_set_put(s); /* only the directory holds it now */
	vg_setdir_unlisten(dir, h2);
	CU_ASSERT_EQUAL(vg_setdir_remove(dir, s), 0);
	CU_ASSERT_EQUAL(r1.n, 2);
	CU_ASSERT_EQUAL(r1.ev[1].ev, VG_SETDIR_DEL);
	CU_ASSERT_EQUAL(r1.ev[1].count_then, 1); /* before the removal */
	CU_ASSERT_TRUE(r1.ev[1].findable_then);
	CU_ASSERT_EQUAL(r1.ev[1].value_then, 1234);
	CU_ASSERT_EQUAL(r2.n, 1); /* unlistened */

	/* free notifies DEL for every set still there */
	struct vg_set *t = mkset("node1/t"), *u = mkset("node1/u");
	vg_setdir_add(dir, t);
	vg_setdir_add(dir, u);
	vg_set_put(t);
	vg_set_put(u);
	CU_ASSERT_EQUAL(r1.n, 4);
	vg_setdir_free(dir);
	CU_ASSERT_EQUAL(r1.n, 6);
	CU_ASSERT_EQUAL(r1.ev[4].ev, VG_SETDIR_DEL);
	CU_ASSERT_EQUAL(r1.ev[5].ev, VG_SETDIR_DEL);
}

/* A listener that unlistens itself while being notified. */
struct once {
	struct vg_setdir *dir;
	int handle;
	int calls;
};

static void once_cb(enum vg_setdir_event ev, struct vg_set *set, void *arg)
{
	struct once *o = arg;
	o->calls++;
	vg_setdir_unlisten(o->dir, o->handle);
}

static void test_unlisten_in_callback(void)
{
	struct vg_setdir *dir = vg_setdir_new();
	struct once o = {.dir = dir};
	struct recorder r = {.dir = dir};
	o.handle = vg_setdir_listen(dir, once_cb, &o);
	vg_setdir_listen(dir, record_cb, &r);
	struct vg_set *a = mkset("a"), *b = mkset("b");
	vg_setdir_add(dir, a);
	vg_setdir_add(dir, b);
	CU_ASSERT_EQUAL(o.calls, 1);
	CU_ASSERT_EQUAL(r.n, 2); /* the other listener was not skipped */
	vg_set_put(a);
	vg_set_put(b);
	vg_setdir_free(dir);
}

static void test_refcounts(void)
{
	struct vg_setdir *dir = vg_setdir_new();
	struct vg_set *s = mkset("node1/held");
	CU_ASSERT_EQUAL(vg_setdir_add(dir, s), 0);
	vg_set_put(s); /* the creator lets go; the directory keeps it */
	struct vg_set *held = vg_set_get(vg_setdir_find(dir, "node1/held"));
	CU_ASSERT_PTR_EQUAL(held, s);
	CU_ASSERT_EQUAL(vg_setdir_remove(dir, held), 0);
	/* still valid for the holder (ASan would report a use after free) */
	vg_set_u64(held, 0, 99);
	CU_ASSERT_EQUAL(vg_get_u64(held, 0), 99);
	CU_ASSERT_STRING_EQUAL(vg_set_instance(held), "node1/held");
	vg_set_put(held);
	CU_ASSERT_EQUAL(vg_setdir_count(dir), 0);
	vg_setdir_free(dir);
}

static void test_many(void)
{
	enum { N = 10000 };
	struct vg_setdir *dir = vg_setdir_new();
	char name[32];
	/* a permutation of 0..N-1: i * 7919 mod N (7919 is prime, coprime to N) */
	for (unsigned i = 0; i < N; i++) {
		snprintf(name, sizeof(name), "node%05u/meminfo", (i * 7919u) % N);
		struct vg_set *s = mkset(name);
		CU_ASSERT_EQUAL(vg_setdir_add(dir, s), 0);
		vg_set_put(s);
	}
	CU_ASSERT_EQUAL(vg_setdir_count(dir), N);
	CU_ASSERT_EQUAL(vg_setdir_generation(dir), N);
	for (unsigned i = 0; i < N; i += 97) {
		snprintf(name, sizeof(name), "node%05u/meminfo", i);
		struct vg_set *s = vg_setdir_find(dir, name);
		CU_ASSERT_PTR_NOT_NULL(s);
		if (s)
			CU_ASSERT_STRING_EQUAL(vg_set_instance(s), name);
	}
	/* remove every other one, then the walk is still in order */
	for (unsigned i = 0; i < N; i += 2) {
		snprintf(name, sizeof(name), "node%05u/meminfo", i);
		CU_ASSERT_EQUAL(vg_setdir_remove(dir, vg_setdir_find(dir, name)), 0);
	}
	CU_ASSERT_EQUAL(vg_setdir_count(dir), N / 2);
	vg_setdir_free(dir);
}

static const struct cu_test tests[] = {
	{"add, find, remove", test_add_find_remove},
	{"foreach in name order", test_foreach_order},
	{"listeners see ADD and DEL", test_listeners},
	{"unlisten inside a callback", test_unlisten_in_callback},
	{"references", test_refcounts},
	{"10,000 sets", test_many},
	{NULL, NULL},
};
CU_MAIN("setdir", tests)
