/*
 * bal_state.c - what the balancer keeps across restarts (the assignment, in
 * a state file) and what it shows (the status file `ldms-balancer status`
 * prints).
 *
 * Both are written whole to a temporary file and renamed, so a reader or a
 * restarted balancer never sees half of one.  A restarted balancer takes the
 * saved assignment as its decision: if the aggregators still do what it
 * says, nothing moves.
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
#include "core/log.h"


static struct bal_group *group_named(struct balancer *b, const char *name)
{
	for (size_t i = 0; i < b->ngroups; i++)
		if (strcmp(b->groups[i].g->name, name) == 0)
			return &b->groups[i];
	return NULL;
}

int bal_state_parse(struct balancer *b, const char *text, const char *source,
		    struct vg_err *err)
{
	unsigned lineno = 0, loaded = 0, ignored = 0;
	for (const char *p = text; *p;) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char line[1024];
		lineno++;
		if (len >= sizeof(line))
			return vg_errf(err, EPROTO, "%s:%u: line too long", source, lineno);
		memcpy(line, p, len);
		line[len] = '\0';
		p += len + (end ? 1 : 0);
		if (lineno == 1) {
			if (strcmp(line, STATE_MAGIC) != 0)
				return vg_errf(err, EPROTO,
					       "%s:1: not a balancer state (remove it to start afresh)",
					       source);
			continue;
		}
		if (!line[0] || line[0] == '#')
			continue;
		char *save = NULL;
		char *group = strtok_r(line, "\t", &save), *prod = strtok_r(NULL, "\t", &save),
		     *agg = strtok_r(NULL, "\t", &save);
		struct bal_group *g = group && prod && agg ? group_named(b, group) : NULL;
		long pi = g ? bal_prod_index(g, prod) : -1;
		size_t a = g ? bal_agg_index_by_name(g, agg) : SIZE_MAX;
		if (pi < 0 || a == SIZE_MAX) {
			ignored++; /* the cluster file changed since: the producer is placed anew */
			continue;
		}
		g->items[pi].agg = (int)a;
		g->assigned = true;
		loaded++;
	}
	vg_log(VG_LOG_INFO, "balancer",
	       "%s: %u assignments loaded, %u of producers or aggregators no longer in %s", source,
	       loaded, ignored, b->cluster->path);
	return 0;
}

int bal_state_load(struct balancer *b, struct vg_err *err)
{
	struct vg_strbuf sb;
	vg_strbuf_init(&sb);
	int rc = vg_read_file(b->state_path, "balancer state file", 64u << 20, &sb, err);
	if (rc == -ENOENT)
		rc = 0; /* the first run */
	else if (!rc)
		rc = bal_state_parse(b, vg_strbuf_str(&sb), b->state_path, err);
	vg_strbuf_free(&sb);
	return rc;
}

static int write_whole(const char *path, const char *text, struct vg_err *err)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	FILE *f = fopen(tmp, "w");
	if (!f)
		return vg_errf(err, errno, "cannot write %s: %s", tmp, strerror(errno));
	bool ok = fputs(text, f) >= 0;
	ok &= fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok &= fclose(f) == 0;
	if (!ok || rename(tmp, path)) {
		int e = errno;
		unlink(tmp);
		return vg_errf(err, e, "cannot write %s: %s", path, strerror(e));
	}
	return 0;
}

int bal_state_save(struct balancer *b, struct vg_err *err)
{
	struct vg_strbuf sb;
	vg_strbuf_init(&sb);
	vg_strbuf_puts(&sb, STATE_MAGIC "\n# group\tproducer\taggregator\n");
	for (size_t i = 0; i < b->ngroups; i++) {
		const struct bal_group *g = &b->groups[i];
		for (size_t p = 0; p < g->nprods; p++)
			if (g->items[p].agg >= 0)
				vg_strbuf_printf(&sb, "%s\t%s\t%s\n", g->g->name,
						 g->g->producers[p].name,
						 g->aggs[g->items[p].agg].link.name);
	}
	int rc = sb.oom ? vg_errf(err, ENOMEM, "out of memory")
			: write_whole(b->state_path, vg_strbuf_str(&sb), err);
	if (!rc && b->etcd_state)
		rc = bal_etcd_save(b, vg_strbuf_str(&sb), err);
	vg_strbuf_free(&sb);
	return rc;
}

/* What the links saw go wrong: why an aggregator is unreachable, commands it refused. */
static void status_links(struct bal_group *g, struct vg_strbuf *out)
{
	for (size_t a = 0; a < g->naggs; a++) {
		struct agg_link *l = &g->aggs[a].link;
		pthread_mutex_lock(&l->lock);
		if (l->last_error[0])
			vg_strbuf_printf(out, "  %s: %s\n", l->name, l->last_error);
		if (l->cmds_failed)
			vg_strbuf_printf(out, "  %s: %" PRIu64 " of %" PRIu64
					 " commands refused (resent until they take); last: %s\n",
					 l->name, l->cmds_failed, l->cmds_sent, l->last_cmd_error);
		pthread_mutex_unlock(&l->lock);
	}
}

/* Producers no live aggregator of the group is connected to: nobody updates them. */
static void status_unreachable(const struct bal_group *g, struct vg_strbuf *out)
{
	size_t n = 0;
	for (size_t p = 0; p < g->nprods; p++) {
		bool reached = false, seen = false;
		for (size_t a = 0; a < g->naggs && !reached; a++) {
			const struct bal_obs *o = &g->obs[a * g->nprods + p];
			if (g->aggs[a].health != AGG_ALIVE || !o->known)
				continue;
			seen = true;
			reached = o->connected;
		}
		if (!seen || reached)
			continue;
		if (n++ < 20)
			vg_strbuf_printf(out, "%s%s", n == 1 ? "  unreachable from every aggregator: " : " ",
					 g->g->producers[p].name);
	}
	if (n > 20)
		vg_strbuf_printf(out, " ... (%zu in all)", n);
	if (n)
		vg_strbuf_puts(out, "\n");
}

void bal_status_text(struct balancer *b, struct vg_strbuf *out)
{
	vg_strbuf_printf(out, "balancer of %s: %s, heartbeat %" PRIu64 " ms x %u, stuck after %" PRIu64
			 " ms, threshold %.2f\n",
			 b->cluster->path, b->leader ? "leader" : "follower (another balancer decides)",
			 b->heartbeat_us / 1000, b->misses, b->stuck_us / 1000, b->threshold);
	uint64_t now = link_now_us();
	for (size_t i = 0; i < b->ngroups; i++) {
		struct bal_group *g = &b->groups[i];
		vg_strbuf_printf(out, "\ngroup %s: %zu aggregators, %zu producers, %" PRIu64
			 " moves since start\n", g->g->name, g->naggs, g->nprods, g->moves);
		vg_strbuf_printf(out, "  %-20s %-8s %9s %14s %9s  %s\n", "Aggregator", "Health",
				 "Producers", "Load(B/s)", "Since(s)", "Why");
		size_t live = 0;
		for (size_t a = 0; a < g->naggs; a++) {
			const struct bal_agg *agg = &g->aggs[a];
			size_t n = 0;
			for (size_t p = 0; p < g->nprods; p++)
				n += g->items[p].agg == (int)a;
			live += agg->health == AGG_ALIVE;
			vg_strbuf_printf(out, "  %-20s %-8s %9zu %14.0f %9.1f  %s\n", agg->link.name,
					 bal_health_name(agg->health), n, g->bins[a].load,
					 agg->since_us ? (double)(now - agg->since_us) / 1e6 : 0.0,
					 agg->why ? agg->why : "-");
		}
		status_links(g, out);
		if (!live) {
			vg_strbuf_printf(out, "  ALL AGGREGATORS OF THIS GROUP ARE DOWN: its producers are "
					      "not updated until one returns\n");
			continue;
		}
		double lb = bal_lower_bound(g->items, g->nprods, g->bins, g->naggs);
		double max = bal_max_load(g->bins, g->naggs);
		vg_strbuf_printf(out, "  heaviest %.0f B/s, lower bound %.0f B/s, imbalance %.3f\n",
				 max, lb, lb > 0 ? max / lb : 1.0);
		status_unreachable(g, out);
	}
}

int bal_status_write(struct balancer *b, struct vg_err *err)
{
	struct vg_strbuf sb;
	vg_strbuf_init(&sb);
	bal_status_text(b, &sb);
	int rc = sb.oom ? vg_errf(err, ENOMEM, "out of memory")
			: write_whole(b->status_path, vg_strbuf_str(&sb), err);
	vg_strbuf_free(&sb);
	return rc;
}
