/*
 * ldmsd.c - the daemon's entry point: options, config files, daemonizing,
 * signals, the event loop, and a clean exit.
 *
 * Daemonizing forks first and lets the child do all the work while the
 * parent waits on a pipe: every start-up error (a bad config line, a port in
 * use, a plugin that will not load) is printed on the terminal that started
 * ldmsd and becomes the parent's exit status, and the set memory is created
 * by the process that will own it (its name carries that pid).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/log.h"
#include "core/opts.h"
#include "core/proto.h"
#include "daemon/cmd.h"
#include "daemon/conffile.h"
#include "daemon/daemon.h"
#include "daemon/server.h"
#include "xprt/xprt.h"
#ifdef HAVE_LIBYAML
#include "ldms-conf/cluster.h"
#endif

#define EXIT_NOTHING_TO_DO 101 /* LDMS's status when there is no config and no listener */
#define MAX_ENDPOINTS 16
#define MAX_CONFIGS 16

struct options {
	const char *listen[MAX_ENDPOINTS];
	int nlisten;
	const char *configs[MAX_CONFIGS];
	int nconfigs;
	const char *log_path;
	const char *yaml;                 /* -y: a cluster file (ldms-conf(8)) */
	const char *usage_of;
	const char *auth;                 /* -a */
	struct vg_kv auth_args[16];       /* -A name=value */
	size_t nauth_args;
};

static const char *progname = "ldmsd";

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s [OPTION]...\n"
		"Sample metrics into shared-memory metric sets and serve them to ldms_ls and\n"
		"aggregators (vigil's ldmsd; options and config language follow LDMS v4).\n"
		"\n"
		"  -x XPRT:PORT[:HOST]  listen on PORT (XPRT: sock); repeatable. HOST binds one\n"
		"                       address (IPv4, IPv6 such as ::1, or a name); default all\n"
		"  -c FILE              read config commands from FILE; repeatable, in order\n"
		"  -y FILE              run daemon NAME (-n; default: the one on this host) of\n"
		"                       the cluster YAML FILE, as ldms-conf(8) generates it\n"
		"  -S PATH              control socket for ldmsctl (mode 0600)\n"
		"  -l FILE              log to FILE (\"syslog\" for syslog; default: stderr\n"
		"                       with -F, syslog when daemonized)\n"
		"  -v LEVEL             log level: DEBUG, INFO, WARNING, ERROR (default),\n"
		"                       CRITICAL, QUIET\n"
		"  -m SIZE              set memory, e.g. 512K, 2M (default 4M; env LDMSD_MEM_SZ)\n"
		"  -n NAME              daemon name (default: the host name)\n"
		"  -r FILE              write the pid to FILE (default when daemonized:\n"
		"                       /var/run/ldmsd.pid, or $LDMSD_PIDFILE)\n"
		"  -F                   stay in the foreground\n"
		"  -u PLUGIN            print a plugin's configuration attributes and exit\n"
		"                       (all, sampler or store: every such plugin)\n"
		"  -a PLUGIN            authentication of the -x listeners and producers: none\n"
		"                       (default), ovis or munge\n"
		"  -A NAME=VALUE        an option of -a's plugin (repeatable), e.g. socket=PATH\n"
		"      --remote-control accept config commands on -x endpoints from\n"
		"                       authenticated peers with the daemon's uid, or root\n"
		"      --status-public  with --remote-control, let other authenticated users\n"
		"                       run status commands (prdcr_status, set_stats, ...)\n"
		"      --dump-commands=man|text  print the config command reference and exit\n"
		"  -P N, -B MODE, -t    LDMS options, accepted and ignored\n"
		"  -V                   print the version and exit\n"
		"  -h, --help           print this help and exit\n"
		"\n"
		"Config commands (one per line; see ldmsd.conf(5)):\n",
		progname);
	struct vg_strbuf sb;
	vg_strbuf_init(&sb);
	vg_cmd_help(&sb, NULL);
	fputs(vg_strbuf_str(&sb), f);
	vg_strbuf_free(&sb);
	fprintf(f, "\nExample:\n"
		   "  %s -x sock:10001 -c sampler.conf -l /var/log/ldmsd.log\n"
		   "with sampler.conf:\n"
		   "  load name=meminfo\n"
		   "  config name=meminfo producer=node1 instance=node1/meminfo component_id=1\n"
		   "  start name=meminfo interval=1s offset=0\n",
		progname);
}

static int exit_code(int negerr)
{
	int e = negerr < 0 ? -negerr : negerr;
	return (e > 0 && e < 126) ? e : 1;
}

/* ------------------------------------------------------------------ daemonizing */

static int ready_fd = -1;

/* Fork; the parent waits for the child's verdict and exits with it. */
static void daemonize_begin(void)
{
	int fds[2];
	if (pipe2(fds, O_CLOEXEC)) {
		fprintf(stderr, "%s: pipe: %s\n", progname, strerror(errno));
		exit(1);
	}
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "%s: fork: %s\n", progname, strerror(errno));
		exit(1);
	}
	if (pid > 0) {
		close(fds[1]);
		unsigned char status = 1;
		ssize_t n;
		do {
			n = read(fds[0], &status, 1);
		} while (n < 0 && errno == EINTR);
		if (n != 1) {
			/* the child died before reporting: take its exit status */
			int ws;
			if (waitpid(pid, &ws, 0) == pid && WIFEXITED(ws))
				status = (unsigned char)WEXITSTATUS(ws);
			else
				status = 1;
		}
		_exit(status);
	}
	close(fds[0]);
	ready_fd = fds[1];
	setsid();
}

static void daemonize_done(int status)
{
	if (ready_fd < 0)
		return;
	unsigned char s = (unsigned char)status;
	ssize_t w = write(ready_fd, &s, 1);
	(void)w;
	close(ready_fd);
	ready_fd = -1;
	/*
	 * Let go of the terminal or pipe that started us: a launcher such as
	 * ssh, pdsh or $(...) waits for every holder of its stdout to close.
	 */
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		dup2(null, STDERR_FILENO);
		close(null);
	}
}

/* ------------------------------------------------------------------ pid file */

/* The pid a pid file holds, or 0. */
static long pidfile_pid(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	char buf[32];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	char *nl = strchr(buf, '\n');
	if (nl)
		*nl = '\0';
	int64_t pid;
	return vg_parse_i64(buf, 10, &pid) == 0 && pid > 0 ? (long)pid : 0;
}

static int write_pidfile(const char *path, bool explicit_path, struct vg_err *err)
{
	long other = pidfile_pid(path);
	if (other > 0 && other != (long)getpid() && (kill((pid_t)other, 0) == 0 || errno == EPERM))
		return vg_errf(err, EEXIST,
			       "pid file %s belongs to running process %ld (another ldmsd?): stop "
			       "it or choose another file with -r",
			       path, other);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		if (!explicit_path) {
			vg_log(VG_LOG_WARNING, "ldmsd", "cannot write pid file %s: %s (give -r FILE)",
			       path, strerror(errno));
			return 0;
		}
		return vg_errf(err, errno, "cannot write pid file %s: %s", path, strerror(errno));
	}
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	ssize_t w = write(fd, buf, (size_t)n);
	close(fd);
	if (w != n)
		return vg_errf(err, EIO, "cannot write pid file %s", path);
	return 0;
}

/* Remove the pid file only if it is still ours (another daemon may have taken it). */
static void remove_pidfile(const char *path)
{
	if (pidfile_pid(path) == (long)getpid())
		unlink(path);
}

/* ------------------------------------------------------------------ signals */

static void on_stop_signal(int signo, void *arg)
{
	struct ldmsd *d = arg;
	vg_log(VG_LOG_INFO, "ldmsd", "received %s: shutting down", strsignal(signo));
	vg_loop_stop(d->loop);
}

static void on_hup(int signo, void *arg)
{
	int rc = vg_log_reopen();
	if (rc)
		vg_log(VG_LOG_ERROR, "ldmsd", "SIGHUP: cannot reopen the log: %s", strerror(-rc));
}

/* ------------------------------------------------------------------ start-up */

static int run_config(struct ldmsd *d, struct vg_config *cfg, bool early, struct vg_err *err)
{
	struct vg_strbuf reply;
	vg_strbuf_init(&reply);
	int rc = 0;
	for (size_t i = 0; i < cfg->n && rc == 0; i++) {
		struct vg_config_line *l = &cfg->lines[i];
		if (!!(l->args.cmd->flags & VG_CMD_EARLY) != early)
			continue;
		struct vg_cmd_ctx ctx = {d, &reply, err, true, l->where, false};
		vg_strbuf_reset(&reply);
		rc = vg_cmd_exec(&ctx, &l->args);
		if (rc)
			vg_err_prefix(err, "%s", l->where);
		else if (reply.len)
			/* status commands in a config file report to the log */
			vg_log(VG_LOG_QUIET, "ldmsd", "%s:\n%s", l->where, vg_strbuf_str(&reply));
	}
	vg_strbuf_free(&reply);
	return rc;
}

static int listen_endpoints(struct ldmsd *d, const struct options *o, struct vg_err *err)
{
	for (int i = 0; i < o->nlisten; i++) {
		char xprt[32], host[256];
		uint16_t port;
		int rc = vg_xprt_parse_endpoint(o->listen[i], xprt, sizeof(xprt), &port, host,
						sizeof(host), err);
		if (rc)
			return rc;
		if (port == 0)
			return vg_errf(err, EINVAL, "-x %s: the port must be from 1 to 65535",
				       o->listen[i]);
		unsigned flags = d->remote_control ? VG_LISTEN_CONTROL : 0;
		rc = vg_server_listen_auth(d->server, xprt, host[0] ? host : NULL, port, flags,
					   ldmsd_auth_find(d, "DEFAULT"), err);
		if (rc) {
			vg_err_prefix(err, "-x %s", o->listen[i]);
			return rc;
		}
	}
	if (d->control_path) {
		int rc = vg_server_listen(d->server, "sock", d->control_path, 0, VG_LISTEN_CONTROL,
					  err);
		if (rc) {
			vg_err_prefix(err, "-S %s", d->control_path);
			return rc;
		}
	}
	return 0;
}

static void show_usage(const struct vg_plugin *p)
{
	const char *u = p->ops->usage ? p->ops->usage() : "(no attributes documented)\n";
	printf("%s: %s\n%s\n", p->name, p->ops->summary ? p->ops->summary : "", u);
}

/*
 * -u NAME prints one plugin's attributes; -u all, -u sampler and -u store
 * (as LDMS) print every plugin of that kind found in the search path.
 */
static int print_plugin_usage(const char *name)
{
	struct vg_plugin_host host = {NULL, NULL, NULL};
	struct vg_plugin *p;
	struct vg_err err;
	int kind = strcmp(name, "all") == 0	  ? 0
		   : strcmp(name, "sampler") == 0 ? VG_PLUGIN_SAMPLER
		   : strcmp(name, "store") == 0	  ? VG_PLUGIN_STORE
						  : -1;
	if (kind < 0) {
		if (vg_plugin_load(&host, name, NULL, &p, &err)) {
			fprintf(stderr, "%s: %s\n", progname, err.msg);
			return 1;
		}
		show_usage(p);
		vg_plugin_unload(p);
		return 0;
	}
	char path[8192];
	vg_strlcpy(path, vg_plugin_search_path(), sizeof(path));
	int shown = 0;
	char *save = NULL;
	for (char *dir = strtok_r(path, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		DIR *dp = opendir(dir);
		if (!dp)
			continue;
		struct dirent *de;
		while ((de = readdir(dp))) {
			size_t len = strlen(de->d_name);
			if (len < 4 || strcmp(de->d_name + len - 3, ".so") != 0)
				continue;
			char plugin[256];
			snprintf(plugin, sizeof(plugin), "%.*s", (int)(len - 3), de->d_name);
			/* not every library in a directory is a plugin: skip those quietly */
			if (vg_plugin_load(&host, plugin, NULL, &p, &err))
				continue;
			if (kind == 0 || (int)p->ops->type == kind) {
				show_usage(p);
				shown++;
			}
			vg_plugin_unload(p);
		}
		closedir(dp);
	}
	if (!shown)
		fprintf(stderr, "%s: no %s plugins in %s\n", progname, kind ? name : "",
			vg_plugin_search_path());
	return shown ? 0 : 1;
}

enum {
	OPT_LISTEN = 1, OPT_CONFIG, OPT_CTL, OPT_LOG, OPT_LEVEL, OPT_MEM, OPT_NAME, OPT_PIDFILE,
	OPT_FG, OPT_USAGE, OPT_AUTH, OPT_AUTH_ARG, OPT_IGNORED, OPT_REMOTE, OPT_STATUS_PUBLIC, OPT_DUMP, OPT_VERSION,
	OPT_HELP, OPT_OBSOLETE, OPT_YAML,
};

/* LDMS v4's options (short and long names), and ours. */
static const struct vg_option options[] = {
	{OPT_LISTEN, 'x', NULL, true},
	{OPT_CONFIG, 'c', NULL, true},
	{OPT_YAML, 'y', "yaml", true},
	{OPT_CTL, 'S', NULL, true},
	{OPT_LOG, 'l', "log_file", true},
	{OPT_LEVEL, 'v', "log_level", true},
	{OPT_MEM, 'm', "set_memory", true},
	{OPT_NAME, 'n', "daemon_name", true},
	{OPT_PIDFILE, 'r', "pid_file", true},
	{OPT_FG, 'F', NULL, false},
	{OPT_USAGE, 'u', NULL, true},
	{OPT_AUTH, 'a', "default_auth", true},
	{OPT_AUTH_ARG, 'A', "default_auth_args", true},
	{OPT_IGNORED, 'P', "worker_threads", true}, /* one thread does it all */
	{OPT_IGNORED, 'B', "banner", true},
	{OPT_OBSOLETE, 't', NULL, false},
	{OPT_REMOTE, 0, "remote-control", false},
	{OPT_STATUS_PUBLIC, 0, "status-public", false},
	{OPT_DUMP, 0, "dump-commands", true},
	{OPT_VERSION, 'V', "version", false},
	{OPT_HELP, 'h', "help", false},
	{0, 0, NULL, false},
};

static int parse_options(int argc, char **argv, struct ldmsd *d, struct options *o)
{
	struct vg_opt_state st;
	vg_opt_init(&st, argc, argv);
	int c;
	while ((c = vg_opt_next(&st, options)) > 0) {
		const char *arg = st.arg;
		switch (c) {
		case OPT_LISTEN:
			if (o->nlisten == MAX_ENDPOINTS) {
				fprintf(stderr, "%s: at most %d -x options\n", progname, MAX_ENDPOINTS);
				return 2;
			}
			o->listen[o->nlisten++] = arg;
			break;
		case OPT_CONFIG:
			if (o->nconfigs == MAX_CONFIGS) {
				fprintf(stderr, "%s: at most %d -c options\n", progname, MAX_CONFIGS);
				return 2;
			}
			o->configs[o->nconfigs++] = arg;
			break;
		case OPT_YAML:
#ifndef HAVE_LIBYAML
			fprintf(stderr, "%s: -y %s: built without libyaml (install libyaml-dev and "
					"rebuild)\n", progname, arg);
			return 1;
#endif
			o->yaml = arg;
			break;
		case OPT_CTL: free(d->control_path); d->control_path = strdup(arg); break;
		case OPT_LOG: o->log_path = arg; break;
		case OPT_LEVEL: {
			enum vg_log_level l;
			if (vg_log_level_parse(arg, &l)) {
				fprintf(stderr, "%s: -v %s: unknown log level (DEBUG, INFO, WARNING, "
						"ERROR, CRITICAL, QUIET)\n", progname, arg);
				return 2;
			}
			vg_log_set_level(l);
			break;
		}
		case OPT_MEM:
			if (vg_parse_size(arg, &d->set_memory)) {
				fprintf(stderr, "%s: -m %s: expected a size such as 512K, 2M or 1G\n",
					progname, arg);
				return 2;
			}
			d->set_memory_cli = true;
			break;
		case OPT_NAME: free(d->name); d->name = strdup(arg); break;
		case OPT_PIDFILE: free(d->pidfile); d->pidfile = strdup(arg); break;
		case OPT_FG: d->foreground = true; break;
		case OPT_USAGE: o->usage_of = arg; break;
		case OPT_AUTH: o->auth = arg; break;
		case OPT_AUTH_ARG: {
			char *eq = strchr(arg, '=');
			if (!eq || eq == arg || o->nauth_args == VG_ARRAY_LEN(o->auth_args)) {
				fprintf(stderr, "%s: -A %s: expected NAME=VALUE (at most %zu)\n",
					progname, arg, VG_ARRAY_LEN(o->auth_args));
				return 2;
			}
			*eq = '\0'; /* argv is ours to split */
			o->auth_args[o->nauth_args].key = arg;
			o->auth_args[o->nauth_args++].value = eq + 1;
			break;
		}
		case OPT_IGNORED: break;
		case OPT_OBSOLETE:
			fprintf(stderr, "%s: -t is no longer supported (ignored)\n", progname);
			break;
		case OPT_REMOTE: d->remote_control = true; break;
		case OPT_STATUS_PUBLIC: d->status_public = true; break;
		case OPT_DUMP: {
			struct vg_strbuf sb;
			vg_strbuf_init(&sb);
			if (strcmp(arg, "man") == 0)
				vg_cmd_dump_man(&sb);
			else
				vg_cmd_help(&sb, NULL);
			fputs(vg_strbuf_str(&sb), stdout);
			vg_strbuf_free(&sb);
			return 0;
		}
		case OPT_VERSION:
			printf("ldmsd (vigil) %s\nprotocol %d, plugin API %d, transports: %s\n",
			       VIGIL_VERSION, VG_PROTO_VERSION, VG_PLUGIN_API_VERSION,
			       vg_xprt_names());
			return 0;
		case OPT_HELP: usage(stdout); return 0;
		}
	}
	if (c < 0) {
		fprintf(stderr, "%s: %s\nTry '%s --help' for more information.\n", progname, st.error,
			progname);
		return 2;
	}
	if (st.index < argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\nTry '%s --help'.\n", progname,
			argv[st.index], progname);
		return 2;
	}
	return -1; /* go on */
}

/*
 * Every connection costs a descriptor: take the hard limit, as daemons do,
 * so that a crowd of clients does not lock the others out at 1024.
 */
static void raise_open_files_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rlim_t was = rl.rlim_cur;
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
			vg_log(VG_LOG_INFO, "ldmsd", "open files limit raised from %llu to %llu",
			       (unsigned long long)was, (unsigned long long)rl.rlim_cur);
	}
}

#ifdef HAVE_LIBYAML
/*
 * -y FILE: this daemon's part of a cluster file, generated and then read as
 * a -c file's lines would be (messages say "FILE (daemon NAME):N", N being
 * the line of `ldms-conf gen FILE --daemon NAME`).
 */
static int read_yaml(struct ldmsd *d, const char *path, struct vg_config *cfg,
		     struct vg_err *err)
{
	struct vg_cluster *c;
	int rc = vg_cluster_load(path, &c, err);
	if (rc)
		return rc;
	const char *name = d->name;
	if (!name && (rc = vg_cluster_default_daemon(c, &name, err)) == 0 &&
	    !(d->name = strdup(name)))
		rc = vg_errf(err, ENOMEM, "out of memory");
	struct vg_strbuf text;
	vg_strbuf_init(&text);
	if (rc == 0)
		rc = vg_cluster_gen(c, d->name, &text, err);
	if (rc == 0) {
		char label[4200];
		snprintf(label, sizeof(label), "%s (daemon %s)", path, d->name);
		rc = vg_config_read_text(cfg, label, vg_strbuf_str(&text), err);
	}
	vg_strbuf_free(&text);
	vg_cluster_free(c);
	return rc;
}
#endif

/* Everything between the options and the loop; 0 or a negative errno with err set. */
static int start_up(struct ldmsd *d, const struct options *o, bool default_pidfile,
		    struct vg_err *err)
{
	raise_open_files_limit();
	struct vg_config cfg;
	vg_config_init(&cfg);
	int rc = 0;
#ifdef HAVE_LIBYAML
	if (o->yaml)
		rc = read_yaml(d, o->yaml, &cfg, err);
#endif
	for (int i = 0; i < o->nconfigs && rc == 0; i++)
		rc = vg_config_read(&cfg, o->configs[i], err);
	if (rc == 0)
		rc = run_config(d, &cfg, true, err);
	if (rc == 0)
		rc = ldmsd_start_core(d, err);
	if (rc == 0 && (o->auth || o->nauth_args)) {
		struct vg_kvlist kv = {o->nauth_args, o->auth_args};
		rc = ldmsd_auth_add(d, "DEFAULT", o->auth ? o->auth : "none", &kv, err);
		if (rc)
			vg_err_prefix(err, "-a %s", o->auth ? o->auth : "none");
	}
	if (rc == 0)
		rc = listen_endpoints(d, o, err);
	if (rc == 0)
		rc = run_config(d, &cfg, false, err);
	vg_config_free(&cfg);
	if (rc == 0 && d->pidfile)
		rc = write_pidfile(d->pidfile, !default_pidfile, err);
	if (rc == 0 && (vg_loop_signal(d->loop, SIGTERM, on_stop_signal, d) ||
			vg_loop_signal(d->loop, SIGINT, on_stop_signal, d) ||
			vg_loop_signal(d->loop, SIGHUP, on_hup, NULL)))
		rc = vg_errf(err, EINVAL, "cannot set up signal handling");
	return rc;
}

int main(int argc, char **argv)
{
	struct ldmsd d;
	struct options o;
	struct vg_err err;
	memset(&o, 0, sizeof(o));
	vg_err_clear(&err);
	signal(SIGPIPE, SIG_IGN);
	if (ldmsd_init(&d, &err)) {
		fprintf(stderr, "%s: %s\n", progname, err.msg);
		return 1;
	}
	const char *env_mem = getenv("LDMSD_MEM_SZ");
	if (env_mem && vg_parse_size(env_mem, &d.set_memory)) {
		fprintf(stderr, "%s: LDMSD_MEM_SZ=%s: expected a size such as 512K\n", progname,
			env_mem);
		ldmsd_shutdown(&d);
		return 2;
	}
	int rc = parse_options(argc, argv, &d, &o);
	if (rc >= 0 || o.usage_of) {
		if (rc < 0)
			rc = print_plugin_usage(o.usage_of);
		ldmsd_shutdown(&d);
		return rc;
	}
	if (o.nconfigs == 0 && o.nlisten == 0 && !d.control_path && !o.yaml) {
		fprintf(stderr, "%s: nothing to do: give a config file (-c FILE) or a listening "
				"endpoint (-x sock:PORT)\nTry '%s --help'.\n", progname, progname);
		ldmsd_shutdown(&d);
		return EXIT_NOTHING_TO_DO;
	}
	if (!d.name && !o.yaml) { /* -y picks the daemon of this host */
		char host[256] = "";
		gethostname(host, sizeof(host) - 1);
		d.name = strdup(host);
	}
	bool default_pidfile = false;
	if (!d.foreground) {
		if (!d.pidfile) {
			const char *env = getenv("LDMSD_PIDFILE");
			d.pidfile = strdup(env ? env : "/var/run/ldmsd.pid");
			default_pidfile = true;
		}
		/* stdout and stderr go away once we are up: without -l, log to syslog */
		if (!o.log_path)
			o.log_path = "syslog";
		daemonize_begin();
	}
	rc = vg_log_open(o.log_path, &err);
	if (rc == 0)
		rc = start_up(&d, &o, default_pidfile, &err);
	if (rc) {
		fprintf(stderr, "%s: %s\n", progname, err.msg);
		if (o.log_path)
			vg_log(VG_LOG_CRITICAL, "ldmsd", "%s", err.msg);
		daemonize_done(exit_code(rc));
		ldmsd_shutdown(&d);
		vg_log_close();
		return exit_code(rc);
	}
	vg_log(VG_LOG_INFO, "ldmsd", "vigil %s ldmsd '%s' running, pid %ld", VIGIL_VERSION, d.name,
	       (long)getpid());
	daemonize_done(0);
	rc = vg_loop_run(d.loop);
	if (rc < 0)
		vg_log(VG_LOG_CRITICAL, "ldmsd", "event loop failed: %s", strerror(-rc));
	vg_log(VG_LOG_INFO, "ldmsd", "exiting");
	if (d.pidfile)
		remove_pidfile(d.pidfile);
	if (d.control_path)
		unlink(d.control_path);
	ldmsd_shutdown(&d);
	vg_log_close();
	return rc < 0 ? 1 : 0;
}
