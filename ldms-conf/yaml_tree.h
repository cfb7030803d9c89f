/*
 * yaml_tree.h - a YAML document as a small tree of scalars, sequences and
 * mappings, each node with its line and column, built from libyaml's events.
 *
 * Aliases are resolved by sharing: *x is the very node &x named, so a
 * document of many aliases stays small (no "billion laughs").  Merge keys
 * (`<<: *base`) copy the base mapping's pairs that the mapping lacks.
 * Duplicate keys and aliases to an anchor that is not defined yet (or to a
 * collection that contains the alias) are errors.
 */
#ifndef VIGIL_YAML_TREE_H
#define VIGIL_YAML_TREE_H

#include <stdbool.h>
#include <stddef.h>

#include "core/util.h"

enum ynode_kind { YN_SCALAR, YN_SEQ, YN_MAP };

struct ynode {
	enum ynode_kind kind;
	int line, col;           /* 1-based, where the node starts */
	char *str;               /* YN_SCALAR: the text */
	bool plain;              /* YN_SCALAR: unquoted (so null, ~ and true mean something) */
	size_t n;                /* YN_SEQ: items; YN_MAP: pairs */
	struct ynode **items;    /* YN_SEQ: n nodes; YN_MAP: 2n nodes, key then value */
	size_t cap;
	bool open;               /* still being built (an alias to it would be a cycle) */
	struct ynode *next_alloc;
};

struct ytree {
	struct ynode *root;      /* NULL for an empty document */
	struct ynode *all;       /* every node, for freeing */
};

/* Parse text (name is the file name for messages). */
int ytree_parse(const char *text, size_t len, const char *name, struct ytree *t,
		struct vg_err *err);
/* Read and parse a file (at most 16 MiB). */
int ytree_load(const char *path, struct ytree *t, struct vg_err *err);
void ytree_free(struct ytree *t);

/* A plain null: empty, ~, null. */
bool ynode_is_null(const struct ynode *n);
/* The value of key in a mapping, or NULL. */
struct ynode *ymap_get(const struct ynode *map, const char *key);
static inline struct ynode *ymap_key(const struct ynode *map, size_t i) { return map->items[2 * i]; }
static inline struct ynode *ymap_value(const struct ynode *map, size_t i) { return map->items[2 * i + 1]; }
/* "a mapping", "a list", "a value": for messages. */
const char *ynode_kind_name(enum ynode_kind k);

#endif /* VIGIL_YAML_TREE_H */
