/*
 * prdcr_move.c - sets moving between producers, and hot standby.
 *
 * When the balancer moves a producer from one aggregator of a group to
 * another, the tier above (say an L2) sees the same set instance appear at a
 * second producer (the new L1) and vanish or go stale at the first.  The
 * mirror, its place in the directory and its delivery record (the last
 * sample handed to the stores) must follow the set, or the L2 would refuse
 * the "duplicate" name, drop the set for its own tier above, or store a
 * sample twice.  Rules:
 *
 *  - a set listed by a second producer moves to it (the newest listing
 *    wins): its lookup takes the published mirror over; the first
 *    producer's record becomes a shadow (listed, never updated);
 *  - when the owner's set is deleted or goes stale, a shadow elsewhere takes
 *    the mirror (the order of the two L1s' directory messages does not
 *    matter);
 *  - a set deleted with nobody to take it leaves a tomb (its last delivered
 *    sample) for a while, so that the same instance appearing at another
 *    producer shortly after is not stored twice;
 *  - after a move, samples not newer than the last delivered one are
 *    skipped (the new path may still hold an older copy).
 *
 * Threads: the daemon's loop thread.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/setdir.h"
#include "daemon/daemon.h"
#include "daemon/prdcr_int.h"
#include "daemon/updtr.h"

/* Tombs: by a 64-bit hash of the instance, probed over a few slots; an entry expires. */
#define TOMB_SLOTS 4096u
#define TOMB_PROBE 8u
#define TOMB_TTL_US (120u * 1000000u)

struct prdcr_tomb {
	uint64_t hash;
	uint64_t last_gn;
	struct vg_timestamp last_ts;
	uint64_t buried_us;
};

static uint64_t hash64(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h ? h : 1;
}

/* to continues from's deliveries (and takes its mirror if take_mirror). */
static void move_record(struct prdcr_set *to, struct prdcr_set *from, bool take_mirror)
{
	if (take_mirror) {
		to->mirror = from->mirror;
		to->published = from->published;
		from->mirror = NULL;
		from->published = false;
	}
	to->last_gn = from->last_gn;
	to->last_ts = from->last_ts;
	to->layout_seq = from->layout_seq;
	to->columns_hash = from->columns_hash;
	to->after_move = true;
}

/* The other producer's set that owns mirror m, or NULL. */
static struct prdcr_set *owner_of(struct ldmsd *d, const struct prdcr_set *ps,
				  const struct vg_set *m)
{
	for (size_t i = 0; i < d->nprdcrs; i++) {
		struct ldmsd_prdcr *q = d->prdcrs[i];
		if (q == ps->prdcr)
			continue;
		struct prdcr_set *o = pset_find(q, ps->instance);
		if (o && o->mirror == m)
			return o;
	}
	return NULL;
}

int pset_take_over(struct prdcr_set *ps)
{
	struct ldmsd *d = ps->prdcr->d;
	struct vg_set *m = d->dir ? vg_setdir_find(d->dir, ps->instance) : NULL;
	struct prdcr_set *prev = m ? owner_of(d, ps, m) : NULL;
	if (!prev)
		return 0;
	if (prev->push_req_id)
		prdcr_set_push(prev, false);
	else if (prev->state == PSET_LOOKUP && prev->lookup_push)
		pset_push_cancel(prev, prev->lookup_req_id); /* its reply will be ignored */
	/*
	 * A read still outstanding (a hung aggregator below never answers it)
	 * may land in the old mirror: prev keeps that one, out of the
	 * directory, until the read ends; ps makes a new one.
	 */
	bool busy = prev->reading;
	move_record(ps, prev, !busy);
	if (busy)
		mirror_hide(prev);
	vg_log(VG_LOG_INFO, ps->prdcr->name, "set %s moved from producer %s to producer %s",
	       ps->instance, prev->prdcr->name, ps->prdcr->name);
	prev->state = PSET_LISTED;
	if (prev->listed && prev->prdcr->state == PRDCR_CONNECTED) {
		prev->shadow = true;
		d->nshadows++;
	} else if (busy) {
		pset_retire(prev);
	} else {
		pset_free(prev);
	}
	return 0;
}

bool pset_hand_over(struct prdcr_set *ps)
{
	struct ldmsd *d = ps->prdcr->d;
	if (!d->nshadows || !ps->mirror || ps->reading)
		return false;
	for (size_t i = 0; i < d->nprdcrs; i++) {
		struct ldmsd_prdcr *q = d->prdcrs[i];
		if (q == ps->prdcr || q->state != PRDCR_CONNECTED)
			continue;
		struct prdcr_set *s = pset_find(q, ps->instance);
		/* not to a standby (it would never update it), nor to one holding a copy for a read */
		if (!s || !s->shadow || !s->listed || s->reading || q->standby)
			continue;
		s->shadow = false;
		d->nshadows--;
		move_record(s, ps, true);
		vg_log(VG_LOG_INFO, q->name, "set %s moved from producer %s to producer %s",
		       s->instance, ps->prdcr->name, q->name);
		s->state = PSET_LISTED;
		prdcr_set_lookup(s);
		return true;
	}
	return false;
}

/*
 * The slot of hash h: its own, else an empty or expired one, else the oldest
 * within a short probe window (a burst of more deletions than slots loses
 * only the oldest records).
 */
static struct prdcr_tomb *tomb_slot(struct prdcr_tomb *tombs, uint64_t h, uint64_t now,
				    bool for_insert)
{
	struct prdcr_tomb *oldest = NULL;
	for (unsigned i = 0; i < TOMB_PROBE; i++) {
		struct prdcr_tomb *t = &tombs[(h + i) % TOMB_SLOTS];
		if (t->hash == h)
			return t;
		if (!for_insert)
			continue;
		if (!t->hash || now - t->buried_us >= TOMB_TTL_US)
			return t;
		if (!oldest || t->buried_us < oldest->buried_us)
			oldest = t;
	}
	return oldest;
}

void pset_bury(struct prdcr_set *ps)
{
	struct ldmsd *d = ps->prdcr->d;
	if (!ps->mirror || !ps->last_ts.sec)
		return;
	if (!d->tombs) {
		d->tombs = calloc(TOMB_SLOTS, sizeof(*d->tombs));
		if (!d->tombs)
			return; /* only the duplicate guard is lost */
	}
	uint64_t h = hash64(ps->instance), now = vg_now_us();
	*tomb_slot(d->tombs, h, now, true) = (struct prdcr_tomb){h, ps->last_gn, ps->last_ts, now};
}

void pset_exhume(struct prdcr_set *ps)
{
	struct ldmsd *d = ps->prdcr->d;
	if (!d->tombs)
		return;
	uint64_t h = hash64(ps->instance), now = vg_now_us();
	struct prdcr_tomb *t = tomb_slot(d->tombs, h, now, false);
	if (!t)
		return;
	if (now - t->buried_us < TOMB_TTL_US) {
		ps->last_gn = t->last_gn;
		ps->last_ts = t->last_ts;
		ps->after_move = true;
	}
	t->hash = 0;
}

void prdcr_tombs_free(struct ldmsd *d)
{
	free(d->tombs);
	d->tombs = NULL;
}

/* ------------------------------------------------------------------ hot standby */

void prdcr_set_standby(struct ldmsd_prdcr *p, bool standby)
{
	if (p->standby == standby)
		return;
	p->standby = standby;
	vg_log(VG_LOG_INFO, p->name, "producer %s is now %s", p->name,
	       standby ? "on standby" : "active");
	for (uint32_t i = 0; i < p->nslots; i++) {
		struct prdcr_set *ps = p->sets[i];
		if (!ps || ps->deleted || ps->shadow)
			continue;
		if (standby) {
			if (ps->push_req_id)
				prdcr_set_push(ps, false);
			mirror_hide(ps);
			continue;
		}
		if (ps->mirror && ps->state == PSET_READY)
			mirror_show(ps);
		/* refresh at once: the next tier looks it up now and must find this sample */
		bool push = false;
		if (!updtr_wants(p->d, ps, &push))
			continue;
		if (push && ps->state == PSET_READY)
			prdcr_set_push(ps, true);
		prdcr_set_update(ps);
	}
}
