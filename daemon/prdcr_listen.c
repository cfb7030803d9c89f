/*
 * prdcr_listen.c - the aggregator side of advertisement: prdcr_listen_*
 * commands, the address filters, and the decision on each ADVERTISE (see
 * advertise.h for the design).
 *
 * A matching advertisement creates an ordinary active producer; after that
 * the producer is the aggregator's own (updaters and storage policies
 * match it by their regexes, prdcr_stop/prdcr_del work on it).  The
 * listener only remembers which names it created, for prdcr_listen_status.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "core/proto.h"
#include "daemon/advertise.h"
#include "daemon/daemon.h"
#include "daemon/handlers.h"
#include "daemon/json.h"
#include "daemon/match.h"
#include "daemon/prdcr.h"
#include "xprt/xprt.h"

#define LISTEN_DEFAULT_RECONNECT_US 20000000u

/* ------------------------------------------------------------------ addresses */

/*
 * inet_pton(3) is used only here, when an aggregator with ip= filters
 * receives an advertisement: samplers never call it (see sock_net.c).
 */
static int parse_ip(const char *text, uint8_t addr[16])
{
	char buf[64];
	if (vg_strlcpy(buf, text, sizeof(buf)) >= sizeof(buf))
		return 0;
	char *zone = strchr(buf, '%'); /* fe80::1%eth0: the zone is not part of the address */
	if (zone)
		*zone = '\0';
	if (inet_pton(AF_INET, buf, addr) == 1)
		return 4;
	if (inet_pton(AF_INET6, buf, addr) == 1)
		return 6;
	return 0;
}

int adv_cidr_parse(const char *text, struct adv_cidr *out, struct vg_err *err)
{
	memset(out, 0, sizeof(*out));
	char ip[64];
	const char *slash = strchr(text, '/');
	size_t iplen = slash ? (size_t)(slash - text) : strlen(text);
	if (iplen == 0 || iplen >= sizeof(ip))
		return vg_errf(err, EINVAL,
			       "ip=%s: expected an address prefix such as 10.0.0.0/8 or ::1/128", text);
	memcpy(ip, text, iplen);
	ip[iplen] = '\0';
	out->family = strchr(ip, '%') ? 0 : parse_ip(ip, out->addr);
	if (!out->family)
		return vg_errf(err, EINVAL,
			       "ip=%s: '%s' is not an IPv4 or IPv6 address (expected a prefix such "
			       "as 10.0.0.0/8 or ::1/128)",
			       text, ip);
	unsigned max = out->family == 4 ? 32 : 128;
	out->bits = max;
	if (slash) {
		const char *b = slash + 1;
		unsigned v = 0;
		size_t n = 0;
		for (; b[n] >= '0' && b[n] <= '9' && n < 4; n++)
			v = v * 10 + (unsigned)(b[n] - '0');
		if (n == 0 || b[n] != '\0' || v > max)
			return vg_errf(err, EINVAL,
				       "ip=%s: the prefix length must be a number from 0 to %u", text,
				       max);
		out->bits = v;
	}
	/* 10.1.2.3/8 means 10.0.0.0/8 */
	unsigned nbytes = max / 8;
	for (unsigned i = 0; i < nbytes; i++) {
		unsigned keep = out->bits > i * 8 ? out->bits - i * 8 : 0;
		if (keep < 8)
			out->addr[i] &= (uint8_t)(0xff00u >> keep);
	}
	return 0;
}

static bool prefix_equal(const uint8_t *a, const uint8_t *b, unsigned bits)
{
	unsigned whole = bits / 8, rest = bits % 8;
	if (memcmp(a, b, whole) != 0)
		return false;
	if (!rest)
		return true;
	uint8_t mask = (uint8_t)(0xff00u >> rest);
	return (a[whole] & mask) == (b[whole] & mask);
}

bool adv_cidr_match(const struct adv_cidr *c, const char *addr)
{
	uint8_t a[16], mapped[16];
	int family = parse_ip(addr, a);
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	if (!family)
		return false;
	if (family == c->family)
		return prefix_equal(a, c->addr, c->bits);
	if (family == 4) {
		/* an IPv4 peer against an IPv6 prefix: as ::ffff:a.b.c.d */
		memcpy(mapped, v4mapped, 12);
		memcpy(mapped + 12, a, 4);
		return prefix_equal(mapped, c->addr, c->bits);
	}
	/* an IPv4-mapped IPv6 peer against an IPv4 prefix */
	return memcmp(a, v4mapped, 12) == 0 && prefix_equal(a + 12, c->addr, c->bits);
}

int adv_peer_addr(const char *peer, char *addr, size_t cap)
{
	const char *start = peer, *end;
	if (peer[0] == '[') {
		start = peer + 1;
		end = strchr(start, ']');
	} else {
		end = strrchr(peer, ':');
	}
	if (!end || end == start || (size_t)(end - start) >= cap)
		return -EINVAL;
	memcpy(addr, start, (size_t)(end - start));
	addr[end - start] = '\0';
	return 0;
}

/* ------------------------------------------------------------------ matching */

struct ldmsd_prdcr_listen *prdcr_listen_find(struct ldmsd *d, const char *name)
{
	for (size_t i = 0; i < d->nprdcr_listens; i++)
		if (strcmp(d->prdcr_listens[i]->name, name) == 0)
			return d->prdcr_listens[i];
	return NULL;
}

static bool addr_allowed(const struct ldmsd_prdcr_listen *l, const char *addr)
{
	if (!l->ncidrs)
		return true;
	for (size_t i = 0; addr && i < l->ncidrs; i++)
		if (adv_cidr_match(&l->cidrs[i], addr))
			return true;
	return false;
}

static void describe(const struct ldmsd_prdcr_listen *l, struct vg_strbuf *out)
{
	vg_strbuf_printf(out, "prdcr_listen %s (regex=%s ip=%s)", l->name,
			 l->regex ? l->regex : "any", l->ip ? l->ip : "any");
}

/* Why nobody took it: every listener and the filter that failed. */
static void refusal(struct ldmsd *d, const struct vg_advertise *adv, const char *addr,
		    struct vg_strbuf *reason)
{
	vg_strbuf_printf(reason, "aggregator %s accepts no producer named %s from %s: ",
			 d->name ? d->name : "?", adv->producer, addr ? addr : "this connection");
	if (!d->nprdcr_listens)
		vg_strbuf_puts(reason, "it has no prdcr_listen");
	for (size_t i = 0; i < d->nprdcr_listens; i++) {
		const struct ldmsd_prdcr_listen *l = d->prdcr_listens[i];
		if (i)
			vg_strbuf_puts(reason, "; ");
		describe(l, reason);
		if (!l->started)
			vg_strbuf_puts(reason, " is stopped");
		else if (l->regex && regexec(&l->re, adv->producer, 0, NULL, 0) != 0)
			vg_strbuf_puts(reason, ": the name does not match");
		else
			vg_strbuf_puts(reason, ": the address is not in ip=");
	}
}

static int remember(struct ldmsd_prdcr_listen *l, const char *name)
{
	for (size_t i = 0; i < l->nproducers; i++)
		if (strcmp(l->producers[i], name) == 0)
			return 0;
	char *copy = strdup(name);
	if (!copy || ldmsd_array_add((void ***)&l->producers, &l->nproducers, copy)) {
		free(copy);
		return -ENOMEM;
	}
	return 0;
}

static int replace_str(char **field, const char *value)
{
	if (strcmp(*field, value) == 0)
		return 0;
	char *copy = strdup(value);
	if (!copy)
		return -ENOMEM;
	free(*field);
	*field = copy;
	return 0;
}

/*
 * The sampler restarted (or advertises again after our restart of it): a
 * producer that is not connected takes the new address and is retried now,
 * not at its next reconnect tick.
 */
static int refresh(struct ldmsd_prdcr_listen *l, struct ldmsd_prdcr *p, const char *host,
		   uint16_t port, const char *xprt, struct vg_strbuf *reason)
{
	struct ldmsd *d = l->d;
	if (p->state != PRDCR_CONNECTED && p->state != PRDCR_STOPPING) {
		if (!vg_xprt_find(xprt)) {
			vg_strbuf_printf(reason, "aggregator %s has no transport %s (it has: %s)",
					 d->name ? d->name : "?", xprt, vg_xprt_names());
			return -EINVAL;
		}
		if (replace_str(&p->host, host) || replace_str(&p->xprt, xprt)) {
			vg_strbuf_puts(reason, "aggregator out of memory");
			return -ENOMEM;
		}
		p->port = port;
	}
	const char *was = prdcr_state_name(p->state);
	if (p->state == PRDCR_STOPPED && !l->disable_start)
		prdcr_start(p, 0);
	else if (p->state == PRDCR_DISCONNECTED && !p->passive)
		vg_timer_start(d->loop, &p->reconnect_timer, 0);
	vg_strbuf_printf(reason, "aggregator %s: producer %s was known (%s); it %s %s:%u over %s",
			 d->name ? d->name : "?", p->name, was,
			 p->state == PRDCR_CONNECTED ? "is connected to" : "connects to", p->host,
			 p->port, p->xprt);
	vg_log(VG_LOG_INFO, "prdcr_listen", "prdcr_listen %s: producer %s advertised again: %s",
	       l->name, p->name, vg_strbuf_str(reason));
	return 0;
}

int prdcr_listen_advertised(void *arg, const struct vg_advertise *adv, const char *peer,
			    struct vg_strbuf *reason)
{
	struct ldmsd *d = arg;
	char addr_buf[64];
	const char *addr = adv_peer_addr(peer, addr_buf, sizeof(addr_buf)) == 0 ? addr_buf : NULL;
	struct ldmsd_prdcr_listen *l = NULL;
	for (size_t i = 0; i < d->nprdcr_listens && !l; i++) {
		struct ldmsd_prdcr_listen *c = d->prdcr_listens[i];
		if (c->started && (!c->regex || regexec(&c->re, adv->producer, 0, NULL, 0) == 0) &&
		    addr_allowed(c, addr))
			l = c;
	}
	if (!l) {
		refusal(d, adv, addr, reason);
		vg_complain(&d->adv_refused, VG_LOG_WARNING, "prdcr_listen",
			    "refused an advertisement: %s (repeats are counted)",
			    vg_strbuf_str(reason));
		return -EACCES;
	}
	const char *host = adv->host[0] ? adv->host : addr;
	if (!host) {
		vg_strbuf_printf(reason,
				 "aggregator %s cannot tell the address of producer %s (its "
				 "connection comes from %s): give the advertiser my_host=",
				 d->name ? d->name : "?", adv->producer, peer);
		return -EDESTADDRREQ;
	}
	const char *xprt = l->xprt ? l->xprt : adv->xprt;
	struct ldmsd_prdcr *p = prdcr_find(d, adv->producer);
	if (p)
		return refresh(l, p, host, adv->port, xprt, reason);
	struct prdcr_spec spec = {
		.name = adv->producer,
		.host = host,
		.xprt = xprt,
		.auth = l->auth,
		.port = adv->port,
		.reconnect_us = l->reconnect_us,
	};
	struct vg_err err;
	vg_err_clear(&err);
	int rc = prdcr_create(d, &spec, &p, &err);
	if (rc == 0 && remember(l, p->name)) {
		ldmsd_array_del((void **)d->prdcrs, &d->nprdcrs, p);
		prdcr_free(p);
		rc = vg_errf(&err, ENOMEM, "out of memory");
	}
	if (rc) {
		vg_strbuf_printf(reason, "aggregator %s cannot create producer %s: %s",
				 d->name ? d->name : "?", adv->producer, err.msg);
		vg_log(VG_LOG_ERROR, "prdcr_listen", "prdcr_listen %s: %s", l->name,
		       vg_strbuf_str(reason));
		return rc;
	}
	l->accepted++;
	if (!l->disable_start)
		prdcr_start(p, 0);
	vg_log(VG_LOG_INFO, "prdcr_listen",
	       "prdcr_listen %s: producer %s advertised from %s: %s %s:%u over %s", l->name,
	       p->name, peer,
	       l->disable_start ? "created stopped (disable_start), for" : "connecting to",
	       p->host, p->port, p->xprt);
	vg_strbuf_printf(reason,
			 "aggregator %s: producer %s created by prdcr_listen %s; it %s %s:%u over %s",
			 d->name ? d->name : "?", p->name, l->name,
			 l->disable_start ? "is stopped until prdcr_start, for" : "connects to",
			 p->host, p->port, p->xprt);
	return 0;
}

/* ------------------------------------------------------------------ life cycle */

static void listen_free(struct ldmsd_prdcr_listen *l)
{
	if (l->regex)
		regfree(&l->re);
	for (size_t i = 0; i < l->nproducers; i++)
		free(l->producers[i]);
	free(l->producers);
	free(l->name);
	free(l->regex);
	free(l->ip);
	free(l->auth);
	free(l->xprt);
	free(l);
}

void prdcr_listen_free_all(struct ldmsd *d)
{
	for (size_t i = 0; i < d->nprdcr_listens; i++)
		listen_free(d->prdcr_listens[i]);
	free(d->prdcr_listens);
	d->prdcr_listens = NULL;
	d->nprdcr_listens = 0;
}

/* ------------------------------------------------------------------ commands */

static struct ldmsd_prdcr_listen *must_find(struct vg_cmd_ctx *ctx, const char *name)
{
	struct ldmsd_prdcr_listen *l = prdcr_listen_find(ctx->d, name);
	if (!l)
		vg_errf(ctx->err, ENOENT,
			"prdcr_listen '%s' does not exist (prdcr_listen_add it first)", name);
	return l;
}

/* ip=a/n,b/m: every prefix checked, the first bad one named. */
static int parse_ip_list(struct ldmsd_prdcr_listen *l, const char *text, struct vg_err *err)
{
	char buf[ADV_CIDR_MAX * 48];
	if (vg_strlcpy(buf, text, sizeof(buf)) >= sizeof(buf))
		return vg_errf(err, EINVAL, "ip=: longer than %zu characters", sizeof(buf) - 1);
	char *save = NULL;
	for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (l->ncidrs == ADV_CIDR_MAX)
			return vg_errf(err, EINVAL, "ip=%s: more than %d prefixes", text,
				       ADV_CIDR_MAX);
		int rc = adv_cidr_parse(tok, &l->cidrs[l->ncidrs], err);
		if (rc)
			return rc;
		l->ncidrs++;
	}
	if (!l->ncidrs)
		return vg_errf(err, EINVAL, "ip=%s: no address prefix (e.g. 10.0.0.0/8)", text);
	return 0;
}

static int listen_configure(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args,
			    struct ldmsd_prdcr_listen *l)
{
	const char *name = vg_arg_str(args, "name");
	const char *regex = vg_arg_str(args, "regex");
	const char *ip = vg_arg_str(args, "ip");
	const char *auth = vg_arg_str(args, "auth");
	const char *xprt = vg_arg_str(args, "xprt");
	const char *type = vg_arg_str(args, "type");
	if (type && strcmp(type, "active") != 0)
		return vg_errf(ctx->err, EINVAL,
			       "prdcr_listen_add name=%s: type=%s: only active producers (the "
			       "aggregator connects back to the sampler) are supported",
			       name, type);
	if (auth && !ldmsd_auth_exists(ctx->d, auth))
		return vg_errf(ctx->err, ENOENT,
			       "prdcr_listen_add name=%s: auth=%s: no such authentication domain "
			       "(auth_add it first)",
			       name, auth);
	if (xprt && !vg_xprt_find(xprt))
		return vg_errf(ctx->err, EINVAL,
			       "prdcr_listen_add name=%s: xprt=%s: unknown transport (this ldmsd "
			       "has: %s)",
			       name, xprt, vg_xprt_names());
	if (regex) {
		if (match_compile(&l->re, regex, ctx->err)) {
			vg_err_prefix(ctx->err, "prdcr_listen_add name=%s", name);
			return -EINVAL;
		}
		l->regex = strdup(regex);
		if (!l->regex) {
			regfree(&l->re);
			return vg_errf(ctx->err, ENOMEM, "out of memory");
		}
	}
	if (ip && parse_ip_list(l, ip, ctx->err)) {
		vg_err_prefix(ctx->err, "prdcr_listen_add name=%s", name);
		return -EINVAL;
	}
	l->reconnect_us = LISTEN_DEFAULT_RECONNECT_US;
	if (vg_arg_has(args, "reconnect")) {
		int64_t v = vg_arg_i64(args, "reconnect");
		if (v < 1000)
			return vg_errf(ctx->err, EINVAL,
				       "prdcr_listen_add name=%s: reconnect=%" PRId64
				       "us: the reconnect interval must be at least 1ms",
				       name, v);
		l->reconnect_us = (uint64_t)v;
	}
	l->disable_start = vg_arg_has(args, "disable_start") && vg_arg_bool(args, "disable_start");
	l->name = strdup(name);
	l->ip = ip ? strdup(ip) : NULL;
	l->auth = auth ? strdup(auth) : NULL;
	l->xprt = xprt ? strdup(xprt) : NULL;
	if (!l->name || (ip && !l->ip) || (auth && !l->auth) || (xprt && !l->xprt))
		return vg_errf(ctx->err, ENOMEM, "out of memory");
	return 0;
}

int h_prdcr_listen_add(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	struct ldmsd *d = ctx->d;
	const char *name = vg_arg_str(args, "name");
	if (prdcr_listen_find(d, name))
		return vg_errf(ctx->err, EEXIST, "prdcr_listen '%s' already exists", name);
	struct ldmsd_prdcr_listen *l = calloc(1, sizeof(*l));
	if (!l)
		return vg_errf(ctx->err, ENOMEM, "out of memory");
	l->d = d;
	int rc = listen_configure(ctx, args, l);
	if (rc == 0 && ldmsd_array_add((void ***)&d->prdcr_listens, &d->nprdcr_listens, l))
		rc = vg_errf(ctx->err, ENOMEM, "out of memory");
	if (rc)
		listen_free(l);
	return rc;
}

int h_prdcr_listen_start(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	struct ldmsd_prdcr_listen *l = must_find(ctx, vg_arg_str(args, "name"));
	if (!l)
		return -ENOENT;
	if (l->started)
		return vg_errf(ctx->err, EBUSY, "prdcr_listen '%s' is already started", l->name);
	l->started = true;
	return 0;
}

int h_prdcr_listen_stop(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	struct ldmsd_prdcr_listen *l = must_find(ctx, vg_arg_str(args, "name"));
	if (!l)
		return -ENOENT;
	if (!l->started)
		return vg_errf(ctx->err, EALREADY, "prdcr_listen '%s' is already stopped", l->name);
	l->started = false;
	return 0;
}

int h_prdcr_listen_del(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	struct ldmsd_prdcr_listen *l = must_find(ctx, vg_arg_str(args, "name"));
	if (!l)
		return -ENOENT;
	if (l->started)
		return vg_errf(ctx->err, EBUSY,
			       "prdcr_listen '%s' is started: stop it first (prdcr_listen_stop "
			       "name=%s); the producers it created stay",
			       l->name, l->name);
	ldmsd_array_del((void **)ctx->d->prdcr_listens, &ctx->d->nprdcr_listens, l);
	listen_free(l);
	return 0;
}

static void listen_json(struct ldmsd *d, const struct ldmsd_prdcr_listen *l, struct json *j)
{
	json_obj_begin(j);
	json_key_str(j, "name", l->name);
	json_key_str(j, "state", l->started ? "RUNNING" : "STOPPED");
	json_key_str(j, "regex", l->regex);
	json_key(j, "ip");
	json_arr_begin(j);
	if (l->ip) {
		char buf[ADV_CIDR_MAX * 48];
		vg_strlcpy(buf, l->ip, sizeof(buf));
		char *save = NULL;
		for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
			json_str(j, t);
	}
	json_arr_end(j);
	json_key_str(j, "type", "active");
	json_key_u64(j, "reconnect_us", l->reconnect_us);
	json_key_bool(j, "disable_start", l->disable_start);
	json_key_str(j, "auth", l->auth ? l->auth : "DEFAULT");
	json_key_str(j, "xprt", l->xprt);
	json_key_u64(j, "accepted", l->accepted);
	json_key(j, "producers");
	json_arr_begin(j);
	for (size_t i = 0; i < l->nproducers; i++) {
		const struct ldmsd_prdcr *p = prdcr_find(d, l->producers[i]);
		if (p) {
			prdcr_json(p, j, false);
			continue;
		}
		json_obj_begin(j);
		json_key_str(j, "name", l->producers[i]);
		json_key_str(j, "state", "DELETED");
		json_obj_end(j);
	}
	json_arr_end(j);
	json_obj_end(j);
}

int h_prdcr_listen_status(struct vg_cmd_ctx *ctx, const struct vg_cmd_args *args)
{
	const char *name = vg_arg_str(args, "name");
	if (name && !must_find(ctx, name))
		return -ENOENT;
	struct ldmsd *d = ctx->d;
	struct vg_strbuf *out = ctx->reply;
	if (ctx->json) {
		struct json j;
		json_init(&j, out);
		json_obj_begin(&j);
		json_key(&j, "prdcr_listeners");
		json_arr_begin(&j);
		for (size_t i = 0; i < d->nprdcr_listens; i++)
			if (!name || strcmp(name, d->prdcr_listens[i]->name) == 0)
				listen_json(d, d->prdcr_listens[i], &j);
		json_arr_end(&j);
		json_obj_end(&j);
		vg_strbuf_puts(out, "\n");
		return 0;
	}
	vg_strbuf_printf(out, "%-16s %-8s %-20s %-24s %s\n", "Name", "State", "Regex", "IP",
			 "Producers");
	vg_strbuf_printf(out, "---------------- -------- -------------------- "
			      "------------------------ ---------\n");
	for (size_t i = 0; i < d->nprdcr_listens; i++) {
		const struct ldmsd_prdcr_listen *l = d->prdcr_listens[i];
		if (name && strcmp(name, l->name) != 0)
			continue;
		vg_strbuf_printf(out, "%-16s %-8s %-20s %-24s %zu\n", l->name,
				 l->started ? "RUNNING" : "STOPPED", l->regex ? l->regex : "-",
				 l->ip ? l->ip : "-", l->nproducers);
		for (size_t k = 0; k < l->nproducers; k++) {
			const struct ldmsd_prdcr *p = prdcr_find(d, l->producers[k]);
			vg_strbuf_puts(out, "    ");
			if (p)
				prdcr_status_line(p, out, false);
			else
				vg_strbuf_printf(out, "%-16s (deleted)\n", l->producers[k]);
		}
	}
	return 0;
}
