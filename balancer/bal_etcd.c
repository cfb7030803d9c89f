/*
 * bal_etcd.c - leader election and shared assignment in etcd (bal_etcd.h).
 *
 * The lease is renewed every third of its TTL.  A leader that cannot renew
 * it before it would lapse steps down by itself (it may be the one cut off
 * from etcd while a follower can still reach it): two leaders never decide
 * at the same time for longer than one tick.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "balancer/bal_etcd.h"
#include "balancer/balancer.h"
#include "balancer/etcd.h"
#include "core/log.h"

#define ETCD_TIMEOUT_MS 500u
#define CAMPAIGN_EVERY_US 250000u

struct bal_etcd {
	struct vg_etcd *e;
	char prefix[512];
	char leader_key[600];
	char assign_key[600];
	char me[256];
	int64_t lease;
	unsigned ttl_s;
	uint64_t lease_until_us;    /* when the lease lapses unless renewed */
	uint64_t next_keepalive_us, next_campaign_us;
	struct vg_etcd_term term;
	int64_t assign_rev;
	struct vg_complaint complaint;
};

int bal_etcd_start(struct balancer *b, struct vg_err *err)
{
	struct bal_etcd *s = calloc(1, sizeof(*s));
	if (!s)
		return vg_errf(err, ENOMEM, "out of memory");
	s->e = vg_etcd_open(b->etcd, ETCD_TIMEOUT_MS, err);
	if (!s->e) {
		free(s);
		return -EINVAL;
	}
	const char *base = strrchr(b->cluster->path, '/');
	base = base ? base + 1 : b->cluster->path;
	snprintf(s->prefix, sizeof(s->prefix), "/vigil/balancer/%s/", base);
	snprintf(s->leader_key, sizeof(s->leader_key), "%sleader", s->prefix);
	snprintf(s->assign_key, sizeof(s->assign_key), "%sassignment", s->prefix);
	char host[200] = "?";
	gethostname(host, sizeof(host) - 1);
	snprintf(s->me, sizeof(s->me), "%s:%d", host, (int)getpid());
	s->ttl_s = (unsigned)((b->lease_us + 999999u) / 1000000u);
	if (s->ttl_s < 1)
		s->ttl_s = 1;
	b->etcd_state = s;
	b->leader = false;
	return 0;
}

static void step_down(struct balancer *b, const char *why);

bool bal_etcd_holding(struct balancer *b)
{
	struct bal_etcd *s = b->etcd_state;
	if (b->leader && link_now_us() + 200000u >= s->lease_until_us)
		step_down(b, "the lease is about to lapse");
	return b->leader;
}

static void step_down(struct balancer *b, const char *why)
{
	struct bal_etcd *s = b->etcd_state;
	if (b->leader)
		vg_log(VG_LOG_WARNING, "balancer", "no longer the leader: %s", why);
	b->leader = false;
	s->lease = 0;
}

/* Take over: the assignment the previous leader left is the decision. */
static void take_office(struct balancer *b)
{
	struct bal_etcd *s = b->etcd_state;
	struct vg_err err;
	vg_err_clear(&err);
	char *buf = malloc(4u << 20);
	size_t len = buf ? (4u << 20) - 1 : 0;
	int rc = buf ? vg_etcd_get(s->e, s->assign_key, buf, &len, &s->assign_rev, &err) : -ENOMEM;
	if (rc == 0) {
		buf[len] = '\0';
		for (size_t i = 0; i < b->ngroups; i++) {
			struct bal_group *g = &b->groups[i];
			g->assigned = false;
			for (size_t p = 0; p < g->nprods; p++)
				g->items[p].agg = -1;
		}
		if (bal_state_parse(b, buf, s->assign_key, &err))
			vg_log(VG_LOG_ERROR, "balancer", "%s", err.msg);
	} else if (rc == -ENOENT) {
		s->assign_rev = 0; /* first leader ever: the state file's or a new assignment */
	} else {
		/* leading on an old assignment would undo the last leader's moves: not yet */
		vg_complain(&s->complaint, VG_LOG_WARNING, "balancer",
			    "won the leader key but cannot read the assignment: %s (retrying)",
			    err.msg);
		free(buf);
		return;
	}
	free(buf);
	b->leader = true;
	vg_log(VG_LOG_INFO, "balancer", "now the leader (%s, lease %u s, etcd %s)", s->me, s->ttl_s,
	       b->etcd);
}

/* members/AGGREGATOR = its health, when it changed: what other tools read of the group. */
static void publish_members(struct balancer *b)
{
	struct bal_etcd *s = b->etcd_state;
	for (size_t i = 0; i < b->ngroups; i++) {
		struct bal_group *g = &b->groups[i];
		for (size_t a = 0; a < g->naggs; a++) {
			struct bal_agg *agg = &g->aggs[a];
			if (agg->shared == agg->health)
				continue;
			char key[1024];
			snprintf(key, sizeof(key), "%smembers/%s", s->prefix, agg->link.name);
			const char *h = bal_health_name(agg->health);
			struct vg_err err;
			vg_err_clear(&err);
			if (vg_etcd_put(s->e, key, h, strlen(h), 0, &err)) {
				vg_complain(&s->complaint, VG_LOG_WARNING, "balancer", "%s", err.msg);
				return;
			}
			agg->shared = agg->health;
		}
	}
}

void bal_etcd_tick(struct balancer *b)
{
	struct bal_etcd *s = b->etcd_state;
	uint64_t now = link_now_us();
	struct vg_err err;
	vg_err_clear(&err);
	if (s->lease && now >= s->next_keepalive_us) {
		unsigned left = 0;
		int rc = vg_etcd_lease_keepalive(s->e, s->lease, &left, &err);
		if (rc == 0) {
			s->lease_until_us = now + (uint64_t)left * 1000000u;
			s->next_keepalive_us = now + (uint64_t)s->ttl_s * 1000000u / 3;
		} else if (rc == -ENOENT) {
			step_down(b, "the lease expired");
		} else {
			vg_complain(&s->complaint, VG_LOG_WARNING, "balancer", "%s", err.msg);
			s->next_keepalive_us = now + 100000u;
		}
	}
	/* renewals failed until the lease is nearly gone: assume it is */
	if (s->lease && now + 200000u >= s->lease_until_us)
		step_down(b, "cannot renew the lease in etcd");
	if (b->leader) {
		publish_members(b);
		return;
	}
	if (now < s->next_campaign_us)
		return;
	s->next_campaign_us = now + CAMPAIGN_EVERY_US;
	if (!s->lease) {
		unsigned granted = 0;
		vg_err_clear(&err);
		if (vg_etcd_lease_grant(s->e, s->ttl_s, &s->lease, &granted, &err)) {
			vg_complain(&s->complaint, VG_LOG_WARNING, "balancer", "%s", err.msg);
			s->lease = 0;
			return;
		}
		s->ttl_s = granted ? granted : s->ttl_s;
		s->lease_until_us = now + (uint64_t)s->ttl_s * 1000000u;
		s->next_keepalive_us = now + (uint64_t)s->ttl_s * 1000000u / 3;
	}
	vg_err_clear(&err);
	int rc = vg_etcd_campaign(s->e, s->leader_key, s->me, strlen(s->me), s->lease, &s->term,
				  &err);
	if (rc < 0) {
		vg_complain(&s->complaint, VG_LOG_WARNING, "balancer", "%s", err.msg);
		return;
	}
	if (s->complaint.active)
		vg_complaint_clear(&s->complaint, VG_LOG_INFO, "balancer", "etcd %s reachable again",
				   b->etcd);
	if (rc == 1)
		take_office(b);
}

int bal_etcd_save(struct balancer *b, const char *text, struct vg_err *err)
{
	struct bal_etcd *s = b->etcd_state;
	if (!b->leader)
		return 0;
	struct vg_etcd_guard guard = {s->leader_key, s->term.create_revision};
	int rc = vg_etcd_cas_put(s->e, s->assign_key, text, strlen(text), &s->assign_rev, &guard,
				 err);
	if (rc == -ESTALE) {
		/* written by someone else since we read it: ours is the leader's word now */
		vg_err_clear(err);
		rc = vg_etcd_cas_put(s->e, s->assign_key, text, strlen(text), &s->assign_rev, &guard,
				     err);
	}
	if (rc == -EPERM)
		step_down(b, "the leader key changed hands");
	return rc;
}

void bal_etcd_stop(struct balancer *b)
{
	struct bal_etcd *s = b->etcd_state;
	if (!s)
		return;
	if (s->lease) {
		struct vg_err err;
		vg_err_clear(&err);
		vg_etcd_lease_revoke(s->e, s->lease, &err); /* a successor need not wait the TTL */
	}
	vg_etcd_close(s->e);
	free(s);
	b->etcd_state = NULL;
}
