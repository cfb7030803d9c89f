/*
 * yaml_tree.c - libyaml's event stream to a tree with positions.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "ldms-conf/yaml_tree.h"

#define YAML_FILE_MAX (16u << 20)
#define DEPTH_MAX 64

struct anchor {
	char *name;
	struct ynode *node;
};

struct builder {
	const char *name;
	struct ytree *t;
	struct vg_err *err;
	struct ynode *stack[DEPTH_MAX];
	/* items appended at each depth: a mapping's key waits for its value at odd counts */
	size_t counts[DEPTH_MAX];
	int depth;
	struct anchor *anchors;
	size_t nanchors, anchors_cap;
};

const char *ynode_kind_name(enum ynode_kind k)
{
	switch (k) {
	case YN_SCALAR: return "a value";
	case YN_SEQ: return "a list";
	case YN_MAP: return "a mapping";
	}
	return "?";
}

bool ynode_is_null(const struct ynode *n)
{
	if (!n || n->kind != YN_SCALAR || !n->plain)
		return false;
	return !n->str[0] || strcmp(n->str, "~") == 0 || strcasecmp(n->str, "null") == 0;
}

struct ynode *ymap_get(const struct ynode *map, const char *key)
{
	if (!map || map->kind != YN_MAP)
		return NULL;
	for (size_t i = 0; i < map->n; i++)
		if (strcmp(ymap_key(map, i)->str, key) == 0)
			return ymap_value(map, i);
	return NULL;
}

static struct ynode *new_node(struct builder *b, enum ynode_kind kind, const yaml_mark_t *mark)
{
	struct ynode *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->kind = kind;
	n->line = (int)mark->line + 1;
	n->col = (int)mark->column + 1;
	n->next_alloc = b->t->all;
	b->t->all = n;
	return n;
}

static int fail_at(struct builder *b, int line, int col, const char *fmt, ...) VG_PRINTF(4, 5);
static int fail_at(struct builder *b, int line, int col, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return vg_errf(b->err, EINVAL, "%s:%d:%d: %s", b->name, line, col, msg);
}

/* Append child to parent; for a mapping, keys and values alternate in items. */
static int append(struct builder *b, struct ynode *parent, struct ynode *child, size_t *count)
{
	if (*count == parent->cap) {
		size_t cap = parent->cap ? parent->cap * 2 : 8;
		struct ynode **items = realloc(parent->items, cap * sizeof(*items));
		if (!items)
			return vg_errf(b->err, ENOMEM, "out of memory reading %s", b->name);
		parent->items = items;
		parent->cap = cap;
	}
	parent->items[(*count)++] = child;
	return 0;
}

static int add_child(struct builder *b, struct ynode *child)
{
	if (b->depth == 0) {
		if (!b->t->root)
			b->t->root = child;
		return 0;
	}
	struct ynode *parent = b->stack[b->depth - 1];
	size_t *count = &b->counts[b->depth - 1];
	if (parent->kind == YN_MAP && *count % 2 == 0 && child->kind != YN_SCALAR)
		return fail_at(b, child->line, child->col,
			       "%s used as a key: keys must be plain names", ynode_kind_name(child->kind));
	int rc = append(b, parent, child, count);
	if (rc)
		return rc;
	parent->n = parent->kind == YN_MAP ? *count / 2 : *count;
	return 0;
}

static int push(struct builder *b, struct ynode *n)
{
	if (b->depth == DEPTH_MAX)
		return fail_at(b, n->line, n->col, "nested more than %d levels deep", DEPTH_MAX);
	int rc = add_child(b, n);
	if (rc)
		return rc;
	n->open = true;
	b->counts[b->depth] = 0;
	b->stack[b->depth++] = n;
	return 0;
}

static int add_anchor(struct builder *b, const yaml_char_t *name, struct ynode *n)
{
	if (!name)
		return 0;
	if (b->nanchors == b->anchors_cap) {
		size_t cap = b->anchors_cap ? b->anchors_cap * 2 : 16;
		struct anchor *a = realloc(b->anchors, cap * sizeof(*a));
		if (!a)
			return vg_errf(b->err, ENOMEM, "out of memory reading %s", b->name);
		b->anchors = a;
		b->anchors_cap = cap;
	}
	char *copy = strdup((const char *)name);
	if (!copy)
		return vg_errf(b->err, ENOMEM, "out of memory reading %s", b->name);
	b->anchors[b->nanchors].name = copy;
	b->anchors[b->nanchors++].node = n;
	return 0;
}

static struct ynode *find_anchor(struct builder *b, const char *name)
{
	/* the latest definition wins, as YAML says */
	for (size_t i = b->nanchors; i > 0; i--)
		if (strcmp(b->anchors[i - 1].name, name) == 0)
			return b->anchors[i - 1].node;
	return NULL;
}

static bool is_merge_key(const struct ynode *k)
{
	return k->plain && strcmp(k->str, "<<") == 0;
}

/* Check duplicate keys, then resolve `<<` merge keys. */
static int close_map(struct builder *b, struct ynode *m)
{
	for (size_t i = 0; i < m->n; i++) {
		struct ynode *ki = ymap_key(m, i);
		if (is_merge_key(ki))
			continue;
		for (size_t j = 0; j < i; j++) {
			struct ynode *kj = ymap_key(m, j);
			if (strcmp(ki->str, kj->str) == 0) {
				return fail_at(b, ki->line, ki->col,
					       "duplicate key \"%.200s\" (first at line %d)", ki->str,
					       kj->line);
			}
		}
	}
	size_t n = m->n;
	size_t count = 2 * n;
	for (size_t i = 0; i < n; i++) {
		struct ynode *k = ymap_key(m, i);
		if (!is_merge_key(k))
			continue;
		struct ynode *v = ymap_value(m, i);
		size_t nsrc = v->kind == YN_SEQ ? v->n : 1;
		for (size_t s = 0; s < nsrc; s++) {
			struct ynode *src = v->kind == YN_SEQ ? v->items[s] : v;
			if (src->kind != YN_MAP)
				return fail_at(b, src->line, src->col,
					       "\"<<\" merges a mapping (or a list of them), not %s",
					       ynode_kind_name(src->kind));
			for (size_t j = 0; j < src->n; j++) {
				struct ynode *sk = ymap_key(src, j);
				bool have = false;
				for (size_t q = 0; q < count / 2 && !have; q++)
					have = !is_merge_key(m->items[2 * q]) &&
					       strcmp(m->items[2 * q]->str, sk->str) == 0;
				if (have)
					continue;
				int rc = append(b, m, sk, &count);
				if (!rc)
					rc = append(b, m, ymap_value(src, j), &count);
				if (rc)
					return rc;
			}
		}
	}
	/* drop the << pairs themselves */
	size_t out = 0;
	for (size_t i = 0; i < count / 2; i++) {
		if (is_merge_key(m->items[2 * i]))
			continue;
		m->items[2 * out] = m->items[2 * i];
		m->items[2 * out + 1] = m->items[2 * i + 1];
		out++;
	}
	m->n = out;
	return 0;
}

static int on_event(struct builder *b, yaml_event_t *ev, bool *done)
{
	struct ynode *n;
	int rc;
	switch (ev->type) {
	case YAML_DOCUMENT_END_EVENT:
	case YAML_STREAM_END_EVENT:
		*done = true;
		return 0;
	case YAML_SCALAR_EVENT:
		n = new_node(b, YN_SCALAR, &ev->start_mark);
		if (!n)
			return vg_errf(b->err, ENOMEM, "out of memory reading %s", b->name);
		if (memchr(ev->data.scalar.value, '\0', ev->data.scalar.length))
			return fail_at(b, n->line, n->col, "a value contains a NUL character");
		n->str = strndup((const char *)ev->data.scalar.value, ev->data.scalar.length);
		if (!n->str)
			return vg_errf(b->err, ENOMEM, "out of memory reading %s", b->name);
		n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		rc = add_anchor(b, ev->data.scalar.anchor, n);
		return rc ? rc : add_child(b, n);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		n = new_node(b, ev->type == YAML_MAPPING_START_EVENT ? YN_MAP : YN_SEQ,
			     &ev->start_mark);
		if (!n)
			return vg_errf(b->err, ENOMEM, "out of memory reading %s", b->name);
		rc = add_anchor(b, ev->type == YAML_MAPPING_START_EVENT
					   ? ev->data.mapping_start.anchor
					   : ev->data.sequence_start.anchor,
				n);
		return rc ? rc : push(b, n);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		n = b->stack[--b->depth];
		n->open = false;
		return n->kind == YN_MAP ? close_map(b, n) : 0;
	case YAML_ALIAS_EVENT: {
		const char *name = (const char *)ev->data.alias.anchor;
		int line = (int)ev->start_mark.line + 1, col = (int)ev->start_mark.column + 1;
		n = find_anchor(b, name);
		if (!n)
			return fail_at(b, line, col, "*%s: no anchor of that name is defined above",
				       name);
		if (n->open)
			return fail_at(b, line, col, "*%s refers to a list or mapping that contains it",
				       name);
		return add_child(b, n);
	}
	default:
		return 0;
	}
}

int ytree_parse(const char *text, size_t len, const char *name, struct ytree *t,
		struct vg_err *err)
{
	memset(t, 0, sizeof(*t));
	struct builder b = {.name = name, .t = t, .err = err};
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser))
		return vg_errf(err, ENOMEM, "out of memory reading %s", name);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	int rc = 0;
	bool done = false;
	while (!done && rc == 0) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev)) {
			const yaml_mark_t *m = &parser.problem_mark;
			rc = vg_errf(err, EINVAL, "%s:%d:%d: YAML syntax error: %s%s%s", name,
				     (int)m->line + 1, (int)m->column + 1,
				     parser.problem ? parser.problem : "unknown problem",
				     parser.context ? " " : "", parser.context ? parser.context : "");
			break;
		}
		rc = on_event(&b, &ev, &done);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	for (size_t i = 0; i < b.nanchors; i++)
		free(b.anchors[i].name);
	free(b.anchors);
	if (rc)
		ytree_free(t);
	return rc;
}

int ytree_load(const char *path, struct ytree *t, struct vg_err *err)
{
	memset(t, 0, sizeof(*t));
	struct vg_strbuf text;
	vg_strbuf_init(&text);
	int rc = vg_read_file(path, NULL, YAML_FILE_MAX, &text, err);
	if (!rc)
		rc = ytree_parse(vg_strbuf_str(&text), text.len, path, t, err);
	vg_strbuf_free(&text);
	return rc;
}

void ytree_free(struct ytree *t)
{
	struct ynode *n = t->all;
	while (n) {
		struct ynode *next = n->next_alloc;
		free(n->str);
		free(n->items);
		free(n);
		n = next;
	}
	memset(t, 0, sizeof(*t));
}
