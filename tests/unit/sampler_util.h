/*
 * sampler_util.h - helpers of test_samplers.c: a host (pool + set
 * directory), config strings as kvlists, temporary /proc directories whose
 * files are rewritten in place between samples, and the comparison of a set
 * with LDMS's `ldms_ls -l` listing in tests/fixtures/node-1/ls_l.txt.
 *
 * Included once, by test_samplers.c (static functions, like cu_main.h).
 */
#ifndef VIGIL_TEST_SAMPLER_UTIL_H
#define VIGIL_TEST_SAMPLER_UTIL_H

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/pool.h"
#include "core/set.h"
#include "core/setdir.h"
#include "plugins/host.h"
#include "tests/unit/cu_main.h"

struct env {
	struct vg_pool *pool;
	struct vg_setdir *dir;
	struct vg_plugin_host host;
};

static void env_init(struct env *e)
{
	struct vg_err err = {0};
	e->pool = vg_pool_create(NULL, 1u << 20, &err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(e->pool);
	e->dir = vg_setdir_new();
	CU_ASSERT_PTR_NOT_NULL_FATAL(e->dir);
	e->host.pool = e->pool;
	e->host.dir = e->dir;
}

static void env_fini(struct env *e)
{
	CU_ASSERT_EQUAL(vg_setdir_count(e->dir), 0);
	CU_ASSERT_EQUAL(vg_pool_used(e->pool), 0);
	vg_setdir_free(e->dir);
	vg_pool_destroy(e->pool);
}

static const char *fixture(const char *name)
{
	static char path[4096];
	const char *root = getenv("VIGIL_FIXTURES");
	CU_ASSERT_PTR_NOT_NULL_FATAL(root);
	snprintf(path, sizeof(path), "%s/%s", root, name);
	return path;
}

static void use_proc(const char *dir)
{
	setenv("VIGIL_PROC_ROOT", dir, 1);
}

/* "k=v k=v ..." as a kvlist; valid until the next call with the same buffer. */
struct kvbuf {
	char text[1024];
	struct vg_kv items[32];
	struct vg_kvlist list;
};

static const struct vg_kvlist *kvl(struct kvbuf *b, const char *attrs)
{
	snprintf(b->text, sizeof(b->text), "%s", attrs);
	b->list.count = 0;
	b->list.items = b->items;
	char *save = NULL;
	for (char *tok = strtok_r(b->text, " ", &save); tok && b->list.count < 32;
	     tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '=');
		if (eq)
			*eq = '\0';
		b->items[b->list.count].key = tok;
		b->items[b->list.count].value = eq ? eq + 1 : "";
		b->list.count++;
	}
	return &b->list;
}

/* Load plugin as name and configure it with attrs; returns config's result. */
static int start(struct env *e, const char *name, const char *plugin, const char *attrs,
		 struct vg_plugin **out, struct vg_err *err)
{
	struct vg_err local = {0};
	if (!err)
		err = &local;
	int rc = vg_plugin_load(&e->host, name, plugin, out, err);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	struct kvbuf kb;
	rc = vg_plugin_configure(*out, kvl(&kb, attrs), err);
	if (rc < 0 && err == &local)
		fprintf(stderr, "config %s: %s\n", name, err->msg);
	return rc;
}

static struct vg_set *set_of(struct env *e, const char *instance)
{
	return vg_setdir_find(e->dir, instance);
}

struct tmpdir {
	char path[256];
};

static void tmp_make(struct tmpdir *t)
{
	const char *base = getenv("TMPDIR");
	snprintf(t->path, sizeof(t->path), "%s/vigil-samplers-XXXXXX", base ? base : "/tmp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(t->path));
}

static void tmp_remove(struct tmpdir *t)
{
	DIR *d = opendir(t->path);
	if (!d)
		return;
	struct dirent *de;
	char path[512];
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", t->path, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(t->path);
}

/* Rewrite in place (same inode), as the kernel's files change under an open fd. */
static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *buf = calloc(1, (size_t)len + 1);
	CU_ASSERT_EQUAL_FATAL(fread(buf, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	return buf;
}

static void copy_fixture(const char *from_dir, const char *name, const char *to_dir)
{
	char path[8192];
	snprintf(path, sizeof(path), "%s/%s", fixture(from_dir), name);
	char *text = read_file(path);
	write_file(to_dir, name, text);
	free(text);
}

/* Replace the first occurrence of from with to in dir/name. */
static void edit_file(const char *dir, const char *name, const char *from, const char *to)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	char *text = read_file(path);
	char *at = strstr(text, from);
	CU_ASSERT_PTR_NOT_NULL_FATAL(at);
	size_t len = strlen(text) + strlen(to) + 1;
	char *out = malloc(len);
	snprintf(out, len, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
	write_file(dir, name, out);
	free(out);
	free(text);
}

static uint64_t value_of(struct vg_set *s, const char *metric)
{
	int idx = vg_set_metric_find(s, metric);
	CU_ASSERT_TRUE_FATAL(idx >= 0);
	return vg_get_as_u64(s, idx, 0);
}

static uint64_t elem_of(struct vg_set *s, const char *metric, uint32_t i)
{
	int idx = vg_set_metric_find(s, metric);
	CU_ASSERT_TRUE_FATAL(idx >= 0);
	CU_ASSERT_TRUE_FATAL(i < vg_set_metric_count(s, idx));
	return vg_get_as_u64(s, idx, i);
}

/* ------------------------------------------------------------------ LDMS listing */

/* "1,2,3" / "7": the set's value as ldms_ls -l prints a u64 or u64[]. */
static void format_value(struct vg_set *s, int idx, char *buf, size_t len)
{
	size_t off = 0;
	buf[0] = '\0';
	for (uint32_t i = 0; i < vg_set_metric_count(s, idx) && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%" PRIu64, i ? "," : "",
					vg_get_as_u64(s, idx, i));
}

/*
 * Compare set with the block of tests/fixtures/node-1/ls_l.txt for its
 * instance: count, order, M/D, type, name, value and the empty unit.
 */
static void assert_matches_ldms(struct vg_set *set)
{
	CU_ASSERT_PTR_NOT_NULL_FATAL(set);
	char *text = read_file(fixture("node-1/ls_l.txt"));
	char head[300];
	snprintf(head, sizeof(head), "%s: consistent", vg_set_instance(set));
	char *line = strstr(text, head);
	CU_ASSERT_PTR_NOT_NULL_FATAL(line);
	line = strchr(line, '\n') + 1;
	int idx = 0;
	while (*line && *line != '\n') {
		char *eol = strchr(line, '\n');
		*eol = '\0';
		char kind, type[32], name[256], value[1024];
		CU_ASSERT_EQUAL_FATAL(sscanf(line, "%c %31s %255s %1023s", &kind, type, name, value),
				      4);
		CU_ASSERT_TRUE_FATAL(idx < vg_set_card(set));
		const char *mname = vg_set_metric_name(set, idx);
		if (strcmp(mname, name) != 0)
			fprintf(stderr, "metric %d: '%s', LDMS has '%s'\n", idx, mname, name);
		CU_ASSERT_STRING_EQUAL(mname, name);
		CU_ASSERT_EQUAL(vg_set_metric_is_meta(set, idx), kind == 'M');
		CU_ASSERT_STRING_EQUAL(vg_type_name(vg_set_metric_type(set, idx)), type);
		char got[1024];
		format_value(set, idx, got, sizeof(got));
		if (strcmp(got, value) != 0)
			fprintf(stderr, "metric %s: %s, LDMS has %s\n", name, got, value);
		CU_ASSERT_STRING_EQUAL(got, value);
		/* A trailing space in the listing means an empty, non-NULL unit. */
		const char *unit = vg_set_metric_unit(set, idx);
		CU_ASSERT_TRUE(eol > line && eol[-1] == ' ');
		CU_ASSERT_PTR_NOT_NULL(unit);
		if (unit)
			CU_ASSERT_STRING_EQUAL(unit, "");
		idx++;
		line = eol + 1;
	}
	CU_ASSERT_EQUAL(idx, vg_set_card(set));
	free(text);
}

#endif /* VIGIL_TEST_SAMPLER_UTIL_H */
