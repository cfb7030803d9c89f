/*
 * advertise.h - advertisement: a sampler announces itself to aggregators,
 * which then pull from it without having been told about it.
 *
 *   sampler:     advertiser_add name=A xprt=sock host=agg port=411 [my_host= my_port= my_xprt=]
 *                advertiser_start name=A
 *   aggregator:  prdcr_listen_add name=L regex=node-.* ip=10.0.0.0/8
 *                prdcr_listen_start name=L
 *
 * Connect-back: the sampler's advertiser connects to the aggregator,
 * authenticates, and sends ADVERTISE {its daemon name (-n), my_host,
 * my_port, my_xprt}.  The aggregator matches the name against each started
 * listener's regex and the connection's address against its CIDR list; the
 * first listener that matches creates an ordinary active producer of that
 * name which connects to my_host:my_port (or, without my_host, the address
 * the advertisement came from) and starts it.  The reply says accepted, or
 * why not (naming the aggregator and the filters).  The advertiser keeps its
 * connection: when the aggregator goes away it advertises again every
 * reconnect interval, so a restarted aggregator learns its samplers again.
 *
 * This differs from LDMS, where the aggregator reuses the advertiser's
 * connection as the producer's.  Here the producer is a connection of its
 * own, made by the aggregator: it is retried, reported (prdcr_status),
 * stopped and updated as any prdcr_add'ed one, with the auth domain of the
 * listener, and the sampler needs no code of a producer.  The price: the
 * aggregator must be able to reach the sampler's listener (my_host= for NAT
 * or multi-homed nodes).  Note that ip= filters the address the
 * advertisement comes from, while my_host= chooses where the aggregator
 * connects: restrict who may advertise with the listener's authentication.
 *
 * Threads: the daemon's loop thread.
 */
#ifndef VIGIL_ADVERTISE_H
#define VIGIL_ADVERTISE_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/loop.h"
#include "core/log.h"
#include "core/proto.h"
#include "core/util.h"
#include "core/wire.h"

struct ldmsd;
struct vg_advertise;

/* ------------------------------------------------------------------ sampler side */

enum adv_state {
	ADV_STOPPED = 0,
	ADV_DISCONNECTED, /* waiting to retry (connection failed or lost) */
	ADV_CONNECTING,   /* transport and authentication */
	ADV_ADVERTISING,  /* ADVERTISE sent, waiting for the reply */
	ADV_ADVERTISED,   /* accepted; the connection is kept to notice the aggregator leaving */
	ADV_REJECTED,     /* refused by the aggregator; retried every reconnect */
	ADV_STOPPING,
};

struct ldmsd_advertiser {
	struct ldmsd *d;
	char *name;
	char *host, *xprt, *auth;     /* the aggregator, and the domain we authenticate with */
	uint16_t port;
	char *my_host;                /* NULL: the aggregator uses our connection's address */
	char *my_xprt;                /* NULL: that of our first network listener */
	uint16_t my_port;             /* 0: that of our first network listener */
	uint64_t reconnect_us;
	enum adv_state state;
	bool closing_rejected;        /* closing after a refusal: not a connection failure */
	bool closing_logged;          /* closing for a cause already logged: count it only */

	struct vg_ep *ep;
	struct vg_timer reconnect_timer;
	struct vg_wbuf out;
	struct vg_advertise sent;     /* what the last ADVERTISE said */

	struct vg_complaint conn_complaint, reject_complaint;
	uint64_t connect_attempts, connect_failures, disconnects, rejections, accepts;
	uint64_t advertised_us;       /* wall clock of the last acceptance */
	char last_error[VG_ADV_MSG_MAX + 1];
};

const char *adv_state_name(enum adv_state st);
struct ldmsd_advertiser *advertiser_find(struct ldmsd *d, const char *name);
/* Stop every advertiser, wait (bounded) for the connections to close, free them. */
void advertiser_shutdown_all(struct ldmsd *d);

/*
 * The client side of authentication for a connection we made, given what
 * the server sent before accepting us: 1 when an AUTH_RESPONSE was built in
 * out (send it), 0 when the server accepted us, or -errno with the reason in
 * err (close the connection).  auth: the domain name (NULL: DEFAULT).
 */
int ldmsd_client_auth_step(struct ldmsd *d, const char *auth, const struct vg_msg_hdr *h,
			   struct vg_rbuf *body, struct vg_wbuf *out, struct vg_err *err);

/* ------------------------------------------------------------------ aggregator side */

#define ADV_CIDR_MAX 16 /* prefixes in one ip= list */

/* An address prefix: 10.0.0.0/8, ::1/128. */
struct adv_cidr {
	int family; /* 4 or 6 */
	uint8_t addr[16];
	unsigned bits;
};

/* "10.0.0.0/8", "::1/128", "127.0.0.1" (= /32); host bits are cleared. -EINVAL naming it. */
int adv_cidr_parse(const char *text, struct adv_cidr *out, struct vg_err *err);
/* Is address text addr (IPv4 or IPv6, no port) inside c?  IPv4 matches ::ffff:0:0/96 too. */
bool adv_cidr_match(const struct adv_cidr *c, const char *addr);
/* The address of a peer as vg_ep_peer() writes it ("10.1.2.3:5", "[::1]:5"); -EINVAL for "unix". */
int adv_peer_addr(const char *peer, char *addr, size_t cap);

struct ldmsd_prdcr_listen {
	struct ldmsd *d;
	char *name;
	char *regex;                  /* NULL: every name */
	regex_t re;
	char *ip;                     /* the ip= text; NULL: every address */
	struct adv_cidr cidrs[ADV_CIDR_MAX];
	size_t ncidrs;
	uint64_t reconnect_us;        /* of the producers it creates */
	bool disable_start;           /* create them stopped */
	char *auth;                   /* domain they connect back with; NULL: DEFAULT */
	char *xprt;                   /* NULL: the transport advertised */
	bool started;
	char **producers;             /* names of the producers it created */
	size_t nproducers;
	uint64_t accepted;
};

struct ldmsd_prdcr_listen *prdcr_listen_find(struct ldmsd *d, const char *name);
void prdcr_listen_free_all(struct ldmsd *d);

/* The server's advertisement callback (vg_server_set_advertise); arg is the daemon. */
int prdcr_listen_advertised(void *arg, const struct vg_advertise *adv, const char *peer,
			    struct vg_strbuf *reason);

#endif /* VIGIL_ADVERTISE_H */
