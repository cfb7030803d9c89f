/*
 * prdcr_sets.c - a producer's table of sets: slots, request ids and the
 * name index.
 *
 * Request ids carry the set's slot and a per-set generation (slot + 1 in
 * the low 32 bits, generation above), so a reply finds its set in O(1) and a
 * reply to a request made before a reconnect or a re-lookup is recognised
 * and dropped.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/daemon.h"
#include "daemon/prdcr_int.h"

/*
 * Generations come from one counter per producer, not per set: a slot freed
 * and reused by another set must not accept the replies meant for the
 * previous one (the same instance re-created, answered with its old meta).
 */
uint64_t pset_req_id(struct prdcr_set *ps)
{
	struct ldmsd_prdcr *p = ps->prdcr;
	if (++p->req_seq == 0)
		p->req_seq = 1; /* generation 0 means "no request" */
	ps->req_gen = p->req_seq;
	return ((uint64_t)ps->req_gen << 32) | (ps->slot + 1u);
}

struct prdcr_set *pset_by_req(struct ldmsd_prdcr *p, uint64_t req_id)
{
	uint32_t slot = (uint32_t)req_id, gen = (uint32_t)(req_id >> 32);
	if (slot == 0 || slot > p->nslots || gen == 0)
		return NULL;
	struct prdcr_set *ps = p->sets[slot - 1];
	return ps && ps->req_gen == gen ? ps : NULL;
}

/*
 * The name index: open addressing with linear probing, at most half full,
 * so that listing a producer of 10,000 sets is not 50 million string
 * compares (nor a hostile directory of 200,000 entries minutes of them).
 */
static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

/* The cell holding instance, or the empty cell where it would go. */
static uint32_t *index_cell(const struct ldmsd_prdcr *p, const char *instance, uint32_t hash)
{
	uint32_t mask = p->index_cap - 1;
	for (uint32_t i = hash & mask;; i = (i + 1) & mask) {
		uint32_t v = p->index[i];
		if (!v || (p->sets[v - 1]->name_hash == hash &&
			   strcmp(p->sets[v - 1]->instance, instance) == 0))
			return &p->index[i];
	}
}

static int index_grow(struct ldmsd_prdcr *p)
{
	uint32_t cap = p->index_cap ? p->index_cap * 2 : 32;
	uint32_t *index = calloc(cap, sizeof(*index));
	if (!index)
		return -ENOMEM;
	free(p->index);
	p->index = index;
	p->index_cap = cap;
	for (uint32_t i = 0; i < p->nslots; i++) {
		struct prdcr_set *ps = p->sets[i];
		if (ps && !ps->deleted)
			*index_cell(p, ps->instance, ps->name_hash) = i + 1;
	}
	return 0;
}

/* Remove ps, then pull back the entries after it that could no longer be found. */
void index_remove(struct ldmsd_prdcr *p, const struct prdcr_set *ps)
{
	uint32_t mask = p->index_cap - 1;
	uint32_t *cell = index_cell(p, ps->instance, ps->name_hash);
	if (*cell != ps->slot + 1)
		return;
	uint32_t hole = (uint32_t)(cell - p->index);
	*cell = 0;
	for (uint32_t i = (hole + 1) & mask; p->index[i]; i = (i + 1) & mask) {
		uint32_t home = p->sets[p->index[i] - 1]->name_hash & mask;
		if (((i - home) & mask) >= ((i - hole) & mask)) {
			p->index[hole] = p->index[i];
			p->index[i] = 0;
			hole = i;
		}
	}
}

struct prdcr_set *pset_find(struct ldmsd_prdcr *p, const char *instance)
{
	if (!p->index_cap)
		return NULL;
	uint32_t v = *index_cell(p, instance, name_hash(instance));
	return v ? p->sets[v - 1] : NULL;
}

struct prdcr_set *pset_new(struct ldmsd_prdcr *p, const struct vg_dir_entry *e)
{
	if ((p->nsets + 1) * 2 > p->index_cap && index_grow(p))
		return NULL;
	uint32_t slot = p->free_hint < p->nslots ? p->free_hint : p->nslots;
	while (slot < p->nslots && p->sets[slot])
		slot++;
	if (slot == p->slots_cap) {
		uint32_t cap = p->slots_cap ? p->slots_cap * 2 : 16;
		struct prdcr_set **ns = realloc(p->sets, cap * sizeof(*ns));
		if (!ns)
			return NULL;
		p->sets = ns;
		p->slots_cap = cap;
	}
	struct prdcr_set *ps = calloc(1, sizeof(*ps));
	if (!ps)
		return NULL;
	ps->prdcr = p;
	ps->slot = slot;
	vg_strlcpy(ps->instance, e->instance, sizeof(ps->instance));
	vg_strlcpy(ps->schema, e->schema, sizeof(ps->schema));
	ps->name_hash = name_hash(ps->instance);
	p->sets[slot] = ps;
	*index_cell(p, ps->instance, ps->name_hash) = slot + 1;
	p->free_hint = slot + 1;
	if (slot == p->nslots)
		p->nslots++;
	p->nsets++;
	pset_exhume(ps);
	return ps;
}
