/*
 * bal_main.c - ldms-balancer: keeps the producers of each balanced
 * aggregator group spread by load, and moves those of a failed aggregator
 * to the survivors.
 *
 *   ldms-balancer -c CLUSTER.yaml [--state FILE] [--etcd HOST:PORT] [-l LOG] [-v LEVEL]
 *   ldms-balancer status -c CLUSTER.yaml [--state FILE]
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "balancer/bal_etcd.h"
#include "balancer/balancer.h"
#include "core/log.h"
#include "xprt/xprt.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: ldms-balancer -c FILE [options]\n"
		"       ldms-balancer status -c FILE [--state FILE]\n"
		"\n"
		"Keeps the producers of every `balance: true` aggregator group of the cluster\n"
		"file spread by load (data bytes x updates/s), and moves the producers of an\n"
		"aggregator that dies or gets stuck to the least loaded survivors.\n"
		"\n"
		"  -c, --config FILE     the cluster YAML (ldms-conf(8)); its `balancer:` key\n"
		"                        gives the defaults of the options below\n"
		"  -s, --state FILE      where the assignment is kept across restarts\n"
		"                        (default: balancer.state_file, else\n"
		"                        /tmp/ldms-balancer-UID-NAME.state)\n"
		"  -e, --etcd HOST:PORT  keep assignment and leadership in etcd: several\n"
		"                        balancers, one leader\n"
		"  -l, --log FILE        log here instead of stderr\n"
		"  -v, --verbose LEVEL   DEBUG, INFO (default), WARNING, ERROR\n"
		"  -h, --help            this text\n"
		"\n"
		"`status` prints the running balancer's view: each aggregator's health, load and\n"
		"producers, the imbalance (heaviest / lower bound) of each group.\n"
		"See ldms-balancer(8).\n");
}

struct args {
	const char *config, *state, *etcd, *log, *level;
	bool status;
};

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'}, {"state", required_argument, NULL, 's'},
		{"etcd", required_argument, NULL, 'e'},   {"log", required_argument, NULL, 'l'},
		{"verbose", required_argument, NULL, 'v'}, {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int first = 1;
	if (argc > 1 && strcmp(argv[1], "status") == 0) {
		a->status = true;
		first = 2;
	}
	optind = first;
	int c;
	while ((c = getopt_long(argc, argv, "c:s:e:l:v:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': a->config = optarg; break;
		case 's': a->state = optarg; break;
		case 'e': a->etcd = optarg; break;
		case 'l': a->log = optarg; break;
		case 'v': a->level = optarg; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ldms-balancer: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (!a->config) {
		fprintf(stderr, "ldms-balancer: -c CLUSTER.yaml is required\n");
		return -1;
	}
	return 0;
}

static char *default_state_path(const char *config)
{
	const char *base = strrchr(config, '/');
	base = base ? base + 1 : config;
	char buf[4096];
	snprintf(buf, sizeof(buf), "/tmp/ldms-balancer-%u-%s.state", (unsigned)getuid(), base);
	return strdup(buf);
}

static char *status_path_of(const char *state)
{
	size_t n = strlen(state) + sizeof(".status");
	char *p = malloc(n);
	if (p)
		snprintf(p, n, "%s.status", state);
	return p;
}

static int print_status(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "ldms-balancer: %s: %s (is the balancer running with this state file?)\n",
			path, strerror(errno));
		return 1;
	}
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && time(NULL) - st.st_mtime > 5)
		printf("(written %lld s ago: is the balancer still running?)\n",
		       (long long)(time(NULL) - st.st_mtime));
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		fwrite(buf, 1, n, stdout);
	fclose(f);
	return 0;
}

static void sleep_us(uint64_t us)
{
	struct timespec ts = {(time_t)(us / 1000000u), (long)(us % 1000000u) * 1000};
	nanosleep(&ts, NULL);
}

static int run(struct balancer *b, const struct args *a)
{
	struct vg_err err;
	vg_err_clear(&err);
	struct sigaction sa = {0};
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	vg_xprt_init();
	b->leader = true;
	if (b->etcd && bal_etcd_start(b, &err)) {
		vg_log(VG_LOG_ERROR, "balancer", "%s", err.msg);
		return 1;
	}
	if (bal_init(b, b->cluster, &err)) {
		vg_log(VG_LOG_ERROR, "balancer", "%s", err.msg);
		return 1;
	}
	vg_log(VG_LOG_INFO, "balancer", "balancing %zu group(s) of %s; state in %s", b->ngroups,
	       a->config, b->state_path);
	uint64_t tick = b->heartbeat_us / 5, next_status = 0;
	while (!stop_signal) {
		if (b->etcd)
			bal_etcd_tick(b);
		bal_tick(b);
		uint64_t now = link_now_us();
		if (now >= next_status) {
			vg_err_clear(&err);
			if (bal_status_write(b, &err))
				vg_log(VG_LOG_WARNING, "balancer", "%s", err.msg);
			next_status = now + 1000000u;
		}
		sleep_us(tick);
	}
	vg_log(VG_LOG_INFO, "balancer", "stopping (signal %d)", (int)stop_signal);
	if (b->leader) {
		vg_err_clear(&err);
		if (bal_state_save(b, &err))
			vg_log(VG_LOG_ERROR, "balancer", "%s", err.msg);
	}
	bal_fini(b);
	if (b->etcd)
		bal_etcd_stop(b);
	return 0;
}

int main(int argc, char **argv)
{
	struct args a = {0};
	if (parse_args(argc, argv, &a))
		return 2;
	struct vg_err err;
	vg_err_clear(&err);
	if (a.level) {
		enum vg_log_level lvl;
		if (vg_log_level_parse(a.level, &lvl)) {
			fprintf(stderr, "ldms-balancer: -v %s: use DEBUG, INFO, WARNING or ERROR\n",
				a.level);
			return 2;
		}
		vg_log_set_level(lvl);
	} else {
		vg_log_set_level(VG_LOG_INFO);
	}
	if (a.log && vg_log_open(a.log, &err)) {
		fprintf(stderr, "ldms-balancer: %s\n", err.msg);
		return 1;
	}
	struct vg_cluster *c = NULL;
	if (vg_cluster_load(a.config, &c, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	const struct vg_cluster_balancer *cb = &c->balancer;
	struct balancer b = {0};
	b.cluster = c;
	b.heartbeat_us = cb->heartbeat_us ? cb->heartbeat_us : 500000u;
	b.misses = cb->misses ? cb->misses : 2;
	b.stuck_us = cb->stuck_us ? cb->stuck_us : 3000000u;
	b.threshold = cb->threshold > 1.0 ? cb->threshold : 1.25;
	b.lease_us = cb->lease_us ? cb->lease_us : 2000000u;
	b.state_path = a.state ? strdup(a.state)
		       : cb->state_file ? strdup(cb->state_file) : default_state_path(a.config);
	b.status_path = b.state_path ? status_path_of(b.state_path) : NULL;
	b.etcd = a.etcd ? strdup(a.etcd) : cb->etcd ? strdup(cb->etcd) : NULL;
	int rc;
	if (!b.state_path || !b.status_path)
		rc = 1;
	else if (a.status)
		rc = print_status(b.status_path);
	else
		rc = run(&b, &a);
	free(b.state_path);
	free(b.status_path);
	free(b.etcd);
	vg_cluster_free(c);
	vg_log_close();
	return rc;
}
