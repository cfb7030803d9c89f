/*
 * ldms_conf.c - ldms-conf: check a cluster YAML file, generate each
 * daemon's ldmsd config from it, start and stop the daemons of this host.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ldms-conf/cluster.h"
#include "tools/ldms_conf.h"

static const char *progname = "ldms-conf";

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %s COMMAND FILE [OPTION]...\n"
		"One Maestro-format YAML file describes a whole cluster of ldmsd daemons;\n"
		"ldms-conf checks it and turns it into each daemon's ldmsd config.\n"
		"\n"
		"Commands:\n"
		"  check FILE                  check FILE and print a summary: daemons, samplers,\n"
		"                              aggregator groups, producers per aggregator\n"
		"                              (exit status 0: good, 1: an error, with file:line:col)\n"
		"  gen FILE --daemon NAME      print the ldmsd config of daemon NAME\n"
		"  gen FILE -o DIR             write DIR/NAME.conf for every daemon of FILE\n"
		"  up FILE [--run-dir DIR]     start every daemon of FILE that runs on this host\n"
		"                              (ldmsd -y FILE -n NAME) and wait until each listens\n"
		"  down FILE [--run-dir DIR]   stop them (SIGTERM; SIGKILL after %d s)\n"
		"\n"
		"Options:\n"
		"  -d, --daemon NAME    the daemon gen prints\n"
		"  -o, --output DIR     the directory gen writes every daemon's config to\n"
		"  -r, --run-dir DIR    pid files and logs of up and down (default:\n"
		"                       $XDG_RUNTIME_DIR/ldms-conf, else /tmp/ldms-conf-$UID)\n"
		"  -h, --help           print this help and exit\n"
		"  -V, --version        print the version and exit\n"
		"\n"
		"Environment:\n"
		"  VIGIL_LDMSD          the ldmsd that up runs (default: the one installed next to\n"
		"                       ldms-conf, else ldmsd from $PATH)\n"
		"\n"
		"Example:\n"
		"  %s check cluster.yaml && %s up cluster.yaml\n"
		"See ldms-conf(8) for the file format.\n",
		progname, LDMS_CONF_DOWN_TIMEOUT_S, progname, progname);
}

static int bad_usage(const char *fmt, ...) VG_PRINTF(1, 2);
static int bad_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", progname);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help' for more information.\n", progname);
	return 2;
}

static int cmd_check(const struct vg_cluster *c)
{
	/* generating every daemon's config finds what only generation can (two loads of one instance) */
	struct vg_strbuf sb;
	vg_strbuf_init(&sb);
	struct vg_err err;
	int status = 0;
	for (size_t i = 0; i < c->ndaemons; i++) {
		vg_strbuf_reset(&sb);
		if (vg_cluster_gen(c, c->daemons[i].name, &sb, &err)) {
			fprintf(stderr, "%s: %s\n", progname, err.msg);
			status = 1;
		}
	}
	if (status == 0) {
		vg_strbuf_reset(&sb);
		vg_cluster_summary(c, &sb);
		fputs(vg_strbuf_str(&sb), stdout);
	}
	vg_strbuf_free(&sb);
	return status;
}

static int write_file(const char *dir, const char *name, const char *text)
{
	char path[4096], tmp[4200];
	snprintf(path, sizeof(path), "%s/%s.conf", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	FILE *f = fopen(tmp, "we");
	if (!f) {
		fprintf(stderr, "%s: cannot write %s: %s\n", progname, tmp, strerror(errno));
		return 1;
	}
	bool ok = fputs(text, f) >= 0;
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, path)) {
		fprintf(stderr, "%s: cannot write %s: %s\n", progname, path, strerror(errno));
		unlink(tmp);
		return 1;
	}
	return 0;
}

static int cmd_gen(const struct vg_cluster *c, const char *daemon, const char *dir)
{
	struct vg_strbuf sb;
	vg_strbuf_init(&sb);
	struct vg_err err;
	int status = 0;
	if (daemon) {
		if (vg_cluster_gen(c, daemon, &sb, &err)) {
			fprintf(stderr, "%s: %s\n", progname, err.msg);
			status = 1;
		} else {
			fputs(vg_strbuf_str(&sb), stdout);
		}
		vg_strbuf_free(&sb);
		return status;
	}
	if (mkdir(dir, 0755) && errno != EEXIST) {
		fprintf(stderr, "%s: cannot create directory %s: %s\n", progname, dir,
			strerror(errno));
		return 1;
	}
	for (size_t i = 0; i < c->ndaemons && status == 0; i++) {
		vg_strbuf_reset(&sb);
		if (vg_cluster_gen(c, c->daemons[i].name, &sb, &err)) {
			fprintf(stderr, "%s: %s\n", progname, err.msg);
			status = 1;
		} else {
			status = write_file(dir, c->daemons[i].name, vg_strbuf_str(&sb));
		}
	}
	if (status == 0)
		printf("%s: wrote %zu config files to %s\n", c->path, c->ndaemons, dir);
	vg_strbuf_free(&sb);
	return status;
}

/* The run directory: --run-dir, $XDG_RUNTIME_DIR/ldms-conf or /tmp/ldms-conf-$UID. */
static int run_dir(const char *given, char *buf, size_t len)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	if (given)
		snprintf(buf, len, "%s", given);
	else if (xdg && xdg[0])
		snprintf(buf, len, "%s/ldms-conf", xdg);
	else
		snprintf(buf, len, "/tmp/ldms-conf-%u", (unsigned)getuid());
	if (mkdir(buf, 0700) && errno != EEXIST) {
		fprintf(stderr, "%s: cannot create the run directory %s: %s (give --run-dir DIR)\n",
			progname, buf, strerror(errno));
		return 1;
	}
	return 0;
}

/* An option's value: "--name VALUE", "--name=VALUE", "-x VALUE". */
static const char *option_value(int argc, char **argv, int *i, const char *shortopt,
				const char *longopt, bool *matched)
{
	const char *a = argv[*i];
	size_t llen = strlen(longopt);
	*matched = true;
	if (strncmp(a, longopt, llen) == 0 && a[llen] == '=')
		return a + llen + 1;
	if (strcmp(a, longopt) == 0 || strcmp(a, shortopt) == 0) {
		if (*i + 1 >= argc)
			return NULL;
		return argv[++*i];
	}
	*matched = false;
	return NULL;
}

int main(int argc, char **argv)
{
	const char *command = NULL, *file = NULL, *daemon = NULL, *out_dir = NULL, *rdir = NULL;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(a, "-V") || !strcmp(a, "--version")) {
			printf("ldms-conf (vigil) %s\n", VIGIL_VERSION);
			return 0;
		}
		static const struct {
			const char *s, *l;
		} opts[] = {{"-d", "--daemon"}, {"-o", "--output"}, {"-r", "--run-dir"}};
		const char **dst[] = {&daemon, &out_dir, &rdir};
		bool matched = false;
		for (size_t k = 0; k < VG_ARRAY_LEN(opts) && !matched; k++) {
			const char *v = option_value(argc, argv, &i, opts[k].s, opts[k].l, &matched);
			if (matched && !v)
				return bad_usage("%s needs a value", opts[k].l);
			if (matched)
				*dst[k] = v;
		}
		if (matched)
			continue;
		if (a[0] == '-' && a[1])
			return bad_usage("unknown option '%s'", a);
		if (!command)
			command = a;
		else if (!file)
			file = a;
		else
			return bad_usage("unexpected argument '%s'", a);
	}
	if (!command)
		return bad_usage("%s", "give a command: check, gen, up or down");
	bool gen = !strcmp(command, "gen"), run = !strcmp(command, "up") || !strcmp(command, "down");
	if (!gen && !run && strcmp(command, "check"))
		return bad_usage("unknown command '%s' (check, gen, up, down)", command);
	if (!file)
		return bad_usage("%s needs the cluster FILE", command);
	if (gen && !daemon == !out_dir)
		return bad_usage("%s", "gen needs either --daemon NAME or -o DIR");
	if ((!gen && (daemon || out_dir)) || (!run && rdir))
		return bad_usage("an option that %s does not take", command);

	struct vg_cluster *c;
	struct vg_err err;
	if (vg_cluster_load(file, &c, &err)) {
		fprintf(stderr, "%s: %s\n", progname, err.msg);
		return 1;
	}
	int status;
	char dir[4096];
	if (gen)
		status = cmd_gen(c, daemon, out_dir);
	else if (!run)
		status = cmd_check(c);
	else if ((status = run_dir(rdir, dir, sizeof(dir))) == 0)
		status = command[0] == 'u' ? ldms_conf_up(c, dir) : ldms_conf_down(c, dir);
	vg_cluster_free(c);
	return status;
}
