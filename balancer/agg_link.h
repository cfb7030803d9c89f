/*
 * agg_link.h - the balancer's link to one aggregator: a thread that keeps a
 * control connection, sends the balancer's commands and polls prdcr_load
 * every heartbeat.
 *
 * Why a thread per aggregator: the tool client blocks until a reply or its
 * timeout, and a hung (SIGSTOPped) aggregator must cost one heartbeat of its
 * own link, never the detection of the others.  The main thread reads a
 * snapshot under the link's mutex; nothing else is shared.
 */
#ifndef VIGIL_AGG_LINK_H
#define VIGIL_AGG_LINK_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "plugins/auth.h"

#define LINK_NAME_MAX 256
#define LINK_CMD_MAX 32

/* One producer as the aggregator reported it (prdcr_load). */
struct link_prdcr {
	char name[LINK_NAME_MAX];
	bool connected;
	bool standby;
	unsigned sets;
	double load;          /* bytes per second */
	uint64_t updates;
	int64_t age_ms;       /* since its last update; -1: never */
	uint64_t interval_ms; /* how often its sets should update (0: unknown) */
};

struct link_cmd {
	char line[2 * LINK_NAME_MAX];
};

struct agg_link {
	/* set before link_start, read-only after */
	char name[LINK_NAME_MAX];
	char host[LINK_NAME_MAX];
	char xprt[32];
	uint16_t port;
	unsigned heartbeat_ms;
	struct vg_auth_args auth;

	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;

	/* under lock: what the thread saw */
	bool connected;
	bool dropped;             /* the connection broke (not a timeout) since the last answered poll */
	uint64_t last_ok_us;      /* last answered poll (monotonic µs), 0: never */
	char last_error[256];     /* why the last connect or poll failed; "" after an answer */
	struct link_prdcr *prdcrs;
	size_t nprdcrs, prdcrs_cap;
	uint64_t snapshot_seq;    /* increments with every answered poll */

	/* under lock: commands to send, and what became of them */
	struct link_cmd queue[LINK_CMD_MAX];
	size_t nqueue;
	uint64_t cmds_sent, cmds_failed;
	char last_cmd_error[1200];
};

int link_start(struct agg_link *l);
void link_stop(struct agg_link *l);
/* Queue a command line; false if the queue is full (the caller retries at its next tick). */
bool link_send(struct agg_link *l, const char *line);

uint64_t link_now_us(void);

/* Parse prdcr_load's text table (exposed for tests). Returns rows or -EPROTO. */
long link_parse_load(const char *text, struct link_prdcr *rows, size_t max);

#endif /* VIGIL_AGG_LINK_H */
