/*
 * agg_link.c - one aggregator's control connection, on its own thread.
 *
 * Each heartbeat: send the queued commands (each reply checked: a refused
 * command is counted and reported, and the main thread, which compares what
 * it wants with what the next poll shows, sends it again), then poll
 * prdcr_load.  A broken connection is reported at once (`dropped`: a killed
 * aggregator is dead now, not after N missed heartbeats); a poll that times
 * out is a missed heartbeat.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "balancer/agg_link.h"
#include "core/client.h"
#include "core/log.h"
#include "core/util.h"

uint64_t link_now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* One table row: NAME STATE MODE SETS LOAD UPDATES AGE ("-": never) INTERVAL. */
static int parse_row(const char *line, struct link_prdcr *r)
{
	char name[LINK_NAME_MAX], state[32], mode[16], age[32];
	unsigned sets;
	double load;
	uint64_t updates, interval;
	if (sscanf(line, "%255s %31s %15s %u %lf %" SCNu64 " %31s %" SCNu64, name, state, mode,
		   &sets, &load, &updates, age, &interval) != 8)
		return -EPROTO;
	memset(r, 0, sizeof(*r));
	vg_strlcpy(r->name, name, sizeof(r->name));
	r->connected = strcmp(state, "CONNECTED") == 0;
	r->standby = strcmp(mode, "standby") == 0;
	r->sets = sets;
	r->load = load;
	r->updates = updates;
	r->age_ms = strcmp(age, "-") == 0 ? -1 : strtoll(age, NULL, 10);
	r->interval_ms = interval;
	return 0;
}

long link_parse_load(const char *text, struct link_prdcr *rows, size_t max)
{
	const char *p = strchr(text, '\n'); /* the header */
	if (!p || strncmp(text, "Name", 4) != 0)
		return -EPROTO;
	long n = 0;
	for (p++; *p; ) {
		const char *end = strchr(p, '\n');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		char line[1024];
		if (len && len < sizeof(line)) {
			memcpy(line, p, len);
			line[len] = '\0';
			if ((size_t)n >= max || parse_row(line, &rows[n]))
				return -EPROTO;
			n++;
		}
		p += len + (end ? 1 : 0);
	}
	return n;
}

static void set_error(struct agg_link *l, char *dst, size_t len, const char *msg)
{
	pthread_mutex_lock(&l->lock);
	vg_strlcpy(dst, msg, len);
	pthread_mutex_unlock(&l->lock);
}

/* Send what is queued; 0, or the transport's error (the connection is unusable). */
static int send_queued(struct agg_link *l, struct vg_client *c, struct vg_strbuf *reply)
{
	for (;;) {
		struct link_cmd cmd;
		pthread_mutex_lock(&l->lock);
		if (!l->nqueue) {
			pthread_mutex_unlock(&l->lock);
			return 0;
		}
		cmd = l->queue[0];
		memmove(l->queue, l->queue + 1, (l->nqueue - 1) * sizeof(l->queue[0]));
		l->nqueue--;
		pthread_mutex_unlock(&l->lock);

		struct vg_err err;
		vg_err_clear(&err);
		int status = 0;
		vg_strbuf_reset(reply);
		int rc = vg_client_cmd(c, cmd.line, &status, reply, &err);
		pthread_mutex_lock(&l->lock);
		l->cmds_sent++;
		if (rc || status) {
			l->cmds_failed++;
			snprintf(l->last_cmd_error, sizeof(l->last_cmd_error), "%s: %s", cmd.line,
				 rc ? err.msg : vg_strbuf_str(reply));
		}
		pthread_mutex_unlock(&l->lock);
		if (rc || status)
			vg_log(VG_LOG_ERROR, "balancer", "aggregator %s refused '%s': %s", l->name,
			       cmd.line, rc ? err.msg : vg_strbuf_str(reply));
		if (rc)
			return rc;
	}
}

static int poll_load(struct agg_link *l, struct vg_client *c, struct vg_strbuf *reply,
		     struct link_prdcr **rows, size_t *cap)
{
	struct vg_err err;
	vg_err_clear(&err);
	int status = 0;
	vg_strbuf_reset(reply);
	int rc = vg_client_cmd(c, "prdcr_load", &status, reply, &err);
	if (rc || status) {
		set_error(l, l->last_error, sizeof(l->last_error),
			  rc ? err.msg : vg_strbuf_str(reply));
		return rc ? rc : -EPROTO;
	}
	const char *text = vg_strbuf_str(reply);
	size_t lines = 0;
	for (const char *p = text; *p; p++)
		lines += *p == '\n';
	if (lines > *cap) {
		struct link_prdcr *nr = realloc(*rows, lines * sizeof(*nr));
		if (!nr)
			return -ENOMEM;
		*rows = nr;
		*cap = lines;
	}
	long n = link_parse_load(text, *rows, *cap);
	if (n < 0) {
		set_error(l, l->last_error, sizeof(l->last_error), "malformed prdcr_load reply");
		return -EPROTO;
	}
	pthread_mutex_lock(&l->lock);
	/* swap buffers: the main thread reads l->prdcrs under the lock */
	struct link_prdcr *old = l->prdcrs;
	size_t old_cap = l->prdcrs_cap;
	l->prdcrs = *rows;
	l->prdcrs_cap = *cap;
	l->nprdcrs = (size_t)n;
	*rows = old;
	*cap = old_cap;
	l->last_ok_us = link_now_us();
	l->snapshot_seq++;
	l->connected = true;
	l->dropped = false;
	l->last_error[0] = '\0';
	pthread_mutex_unlock(&l->lock);
	return 0;
}

/* Sleep until the next heartbeat, a queued command (if connected: else it waits), or stop. */
static bool wait_tick(struct agg_link *l, uint64_t until_us, bool connected)
{
	pthread_mutex_lock(&l->lock);
	while (!l->stop && !(connected && l->nqueue) && link_now_us() < until_us) {
		uint64_t left = until_us - link_now_us();
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t ns = (uint64_t)ts.tv_nsec + (left % 1000000u) * 1000u;
		ts.tv_sec += (time_t)(left / 1000000u + ns / 1000000000u);
		ts.tv_nsec = (long)(ns % 1000000000u);
		pthread_cond_timedwait(&l->wake, &l->lock, &ts);
	}
	bool stop = l->stop;
	pthread_mutex_unlock(&l->lock);
	return !stop;
}

static void *link_main(void *arg)
{
	struct agg_link *l = arg;
	struct vg_err err;
	vg_err_clear(&err);
	struct vg_plugin *auth = vg_auth_tool_load(&l->auth, &err);
	if (!auth && err.code)
		vg_log(VG_LOG_ERROR, "balancer", "aggregator %s: %s", l->name, err.msg);
	struct vg_client *c = NULL;
	struct vg_strbuf reply;
	vg_strbuf_init(&reply);
	struct link_prdcr *rows = NULL;
	size_t cap = 0;
	/* a hung peer costs one heartbeat per call, not more */
	int timeout = (int)l->heartbeat_ms;
	uint64_t next = link_now_us();
	while (wait_tick(l, next, c != NULL)) {
		next = link_now_us() + (uint64_t)l->heartbeat_ms * 1000u;
		if (!c) {
			vg_err_clear(&err);
			c = vg_client_connect_auth(l->xprt, l->host, l->port, timeout, auth, &err);
			if (!c) {
				pthread_mutex_lock(&l->lock);
				l->connected = false;
				vg_strlcpy(l->last_error, err.msg, sizeof(l->last_error));
				pthread_mutex_unlock(&l->lock);
				continue;
			}
		}
		int rc = send_queued(l, c, &reply);
		if (!rc)
			rc = poll_load(l, c, &reply, &rows, &cap);
		if (!rc)
			continue;
		/* a timeout leaves the connection unusable too (a late reply would confuse the next) */
		vg_client_close(c);
		c = NULL;
		pthread_mutex_lock(&l->lock);
		l->connected = false;
		/* broken, as opposed to slow or confused: a killed aggregator is dead now, a hung
		 * one misses heartbeats */
		l->dropped = rc != -ETIMEDOUT && rc != -EPROTO && rc != -ENOMEM;
		/* what was queued may be stale when it returns: the main thread sends again what
		 * is still needed once it sees the aggregator's state */
		l->nqueue = 0;
		pthread_mutex_unlock(&l->lock);
	}
	if (c)
		vg_client_close(c);
	free(rows);
	vg_strbuf_free(&reply);
	vg_auth_tool_free(&l->auth, auth);
	return NULL;
}

int link_start(struct agg_link *l)
{
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->wake, NULL);
	int rc = pthread_create(&l->thread, NULL, link_main, l);
	return -rc;
}

void link_stop(struct agg_link *l)
{
	pthread_mutex_lock(&l->lock);
	l->stop = true;
	pthread_cond_signal(&l->wake);
	pthread_mutex_unlock(&l->lock);
	pthread_join(l->thread, NULL);
	free(l->prdcrs);
	l->prdcrs = NULL;
	pthread_mutex_destroy(&l->lock);
	pthread_cond_destroy(&l->wake);
}

bool link_send(struct agg_link *l, const char *line)
{
	pthread_mutex_lock(&l->lock);
	bool ok = l->nqueue < LINK_CMD_MAX;
	if (ok) {
		vg_strlcpy(l->queue[l->nqueue].line, line, sizeof(l->queue[0].line));
		l->nqueue++;
		pthread_cond_signal(&l->wake);
	}
	pthread_mutex_unlock(&l->lock);
	return ok;
}
