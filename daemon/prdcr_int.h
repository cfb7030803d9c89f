/*
 * prdcr_int.h - what prdcr.c (connections, lookups, updates) and
 * prdcr_move.c (sets moving between producers, hot standby) share.
 * Internal to the daemon's producer code.
 */
#ifndef VIGIL_PRDCR_INT_H
#define VIGIL_PRDCR_INT_H

#include <stdbool.h>

#include "daemon/prdcr.h"

/* prdcr_sets.c */
/* A new request id for ps (slot and generation); replies to older ones no longer match. */
uint64_t pset_req_id(struct prdcr_set *ps);
/* The set a reply is for, or NULL (a stale request). */
struct prdcr_set *pset_by_req(struct ldmsd_prdcr *p, uint64_t req_id);
struct prdcr_set *pset_find(struct ldmsd_prdcr *p, const char *instance);
/* A set the producer listed: a free slot and a place in the name index (NULL: no memory). */
struct prdcr_set *pset_new(struct ldmsd_prdcr *p, const struct vg_dir_entry *e);
void index_remove(struct ldmsd_prdcr *p, const struct prdcr_set *ps);

/* prdcr.c */
/* Free ps (no read may be outstanding); its mirror, if any, leaves the directory. */
void pset_free(struct prdcr_set *ps);
/* ps is gone from its producer but a read is outstanding: freed when it ends. */
void pset_retire(struct prdcr_set *ps);
/* Cancel the push subscription of request id (one made with a lookup still outstanding). */
void pset_push_cancel(struct prdcr_set *ps, uint64_t id);
/* Out of the directory (the next tier sees it go); the mirror stays with ps. */
void mirror_hide(struct prdcr_set *ps);
/* Into the directory if it is not there yet; false if another set has its name. */
bool mirror_show(struct prdcr_set *ps);

/*
 * ps is about to be looked up and has no mirror: if another producer's set
 * of the same instance owns the published mirror (an aggregator of the tier
 * below moved the producer), take the mirror and its delivery record over;
 * the other becomes a shadow.
 */
int pset_take_over(struct prdcr_set *ps);
/* ps (owning a mirror) is deleted or went stale: pass the mirror to a shadow. */
bool pset_hand_over(struct prdcr_set *ps);
/* ps is freed: remember its last delivered sample for a set of that name coming back. */
void pset_bury(struct prdcr_set *ps);
/* A new ps: seed its delivery record from a buried set of that name. */
void pset_exhume(struct prdcr_set *ps);
/* Free the daemon's tomb table. */
void prdcr_tombs_free(struct ldmsd *d);

#endif /* VIGIL_PRDCR_INT_H */
