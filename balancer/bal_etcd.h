/*
 * bal_etcd.h - several balancers, one leader: the leader lease, the
 * assignment and the aggregators' health kept in etcd (ldms-balancer --etcd).
 *
 * Keys live under /vigil/balancer/NAME/ (NAME: the cluster file's base
 * name): `leader` (the holder's id, attached to its lease), `assignment`
 * (the state file's text, written only by the holder of the current term:
 * vg_etcd_cas_put with the leader key as guard) and `members/AGGREGATOR`
 * (its health).  A follower observes the aggregators like the leader, so
 * that when it takes over (the leader's lease lapsed: it died, hung or lost
 * etcd) it reads the assignment and carries on without moving anything.
 */
#ifndef VIGIL_BAL_ETCD_H
#define VIGIL_BAL_ETCD_H

#include "core/util.h"

struct balancer;

int bal_etcd_start(struct balancer *b, struct vg_err *err);
/* Keep the lease, campaign while following; called every tick before deciding. */
void bal_etcd_tick(struct balancer *b);
/* Still the leader with time left on the lease (steps down if not): checked before acting. */
bool bal_etcd_holding(struct balancer *b);
/* The assignment text (bal_state_save's) to etcd, if leading. */
int bal_etcd_save(struct balancer *b, const char *text, struct vg_err *err);
void bal_etcd_stop(struct balancer *b);

#endif /* VIGIL_BAL_ETCD_H */
