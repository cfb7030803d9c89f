/*
 * ldms_ls.c - list and print the metric sets of a daemon.
 *
 * Output is byte-for-byte what LDMS 4.4's ldms_ls prints (FORMATS.md (b)),
 * trailing spaces included, so that scripts that parse it keep working.
 * Differences, all deliberate: sets are listed in name order (LDMS's order
 * is an accident of its tree), and a failed connection says why on stderr
 * after LDMS's "Connection failed/rejected." line.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/client.h"
#include "plugins/auth.h"
#include "core/log.h"
#include "core/proto.h"

#define LDMS_DEFAULT_PORT 411

struct opts {
	const char *host;
	uint16_t port;
	const char *xprt;
	int wait_s;
	bool longfmt, udata, regex;
	int verbose;
	bool by_schema;
	char **names;
	int nnames;
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: ldms_ls [OPTION]... [NAME]...\n"
		"List the metric sets of an ldmsd, and print their values with -l.\n"
		"\n"
		"  -h HOST     daemon's host name or address (default localhost; a path starting\n"
		"              with / is a UNIX socket)\n"
		"  -p PORT     daemon's port (default %d)\n"
		"  -x XPRT     transport: sock (default)\n"
		"  -w SECONDS  give up after SECONDS without an answer (default 10)\n"
		"  -l          print every metric of each set (type, name, value)\n"
		"  -v          print a table of set properties (sizes, owner, update time)\n"
		"  -u          with -l, print each metric's user data\n"
		"  -S          NAMEs are schema names\n"
		"  -I          NAMEs are instance names (the default)\n"
		"  -E          NAMEs are POSIX extended regular expressions\n"
		"  -a AUTH     authentication plugin: none (default), ovis or munge\n"
		"  -A K=V      an option of the plugin, e.g. socket=PATH, conf=FILE\n"
		"  -V          print the version and exit\n"
		"  --help      print this help and exit\n"
		"\n"
		"NAMEs select sets (exact names unless -E); without NAMEs every set is shown.\n"
		"Example: ldms_ls -h node1 -p 10001 -l node1/meminfo\n",
		LDMS_DEFAULT_PORT);
}

/* ------------------------------------------------------------------ -l */

static void print_value(const struct vg_set *s, int i, uint32_t e)
{
	enum vg_type t = vg_type_elem(vg_set_metric_type(s, i));
	switch (t) {
	case VG_T_CHAR: printf("'%c'", vg_get_array_char(s, i, e)); break;
	case VG_T_U8:
		if (vg_type_is_array(vg_set_metric_type(s, i)))
			printf("0x%02hhx", vg_get_array_u8(s, i, e));
		else
			printf("%" PRIu8, vg_get_u8(s, i));
		break;
	case VG_T_S8: printf("%" PRId8, vg_get_array_s8(s, i, e)); break;
	case VG_T_U16: printf("%" PRIu16, vg_get_array_u16(s, i, e)); break;
	case VG_T_S16: printf("%" PRId16, vg_get_array_s16(s, i, e)); break;
	case VG_T_U32: printf("%" PRIu32, vg_get_array_u32(s, i, e)); break;
	case VG_T_S32: printf("%" PRId32, vg_get_array_s32(s, i, e)); break;
	case VG_T_U64: printf("%" PRIu64, vg_get_array_u64(s, i, e)); break;
	case VG_T_S64: printf("%" PRId64, vg_get_array_s64(s, i, e)); break;
	case VG_T_F32: printf("%f", (double)vg_get_array_f32(s, i, e)); break;
	case VG_T_D64: printf("%f", vg_get_array_d64(s, i, e)); break;
	default: printf("?"); break;
	}
}

static void print_set_long(const struct vg_rset *rs, bool udata)
{
	const struct vg_set *s = rs->set;
	struct vg_timestamp ts = vg_set_timestamp(s);
	char date[64];
	time_t t = (time_t)ts.sec;
	struct tm tm;
	localtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a %b %d %H:%M:%S %Y %z", &tm);
	printf("%s: %s, last update: %s [%" PRIu32 "us] ", vg_set_instance(s),
	       vg_set_is_consistent(s) ? "consistent" : "inconsistent", date, ts.usec);
	if (rs->set_flags & VG_SETF_PUSH)
		printf("PUSH ");
	printf("\n");
	for (int i = 0; i < vg_set_card(s); i++) {
		enum vg_type type = vg_set_metric_type(s, i);
		printf("%c %-10s %-42s ", vg_set_metric_is_meta(s, i) ? 'M' : 'D',
		       vg_type_name(type), vg_set_metric_name(s, i));
		if (udata)
			printf("0x%" PRIx64 " ", vg_set_metric_udata(s, i));
		if (type == VG_T_CHAR_ARRAY) {
			printf("\"%s\"", vg_get_str(s, i));
		} else if (vg_type_is_array(type)) {
			for (uint32_t e = 0; e < vg_set_metric_count(s, i); e++) {
				if (e)
					printf(",");
				print_value(s, i, e);
			}
		} else {
			print_value(s, i, 0);
		}
		const char *unit = vg_set_metric_unit(s, i);
		if (unit)
			printf(" %s", unit);
		printf("\n");
	}
	printf("\n");
}

/* ------------------------------------------------------------------ -v */

static const char *V_HEADER =
	"Schema         Instance                 Flags  Msize  Dsize  Hsize  UID    GID    Perm       "
	"Update            Duration          Info    \n";
static const char *V_RULE =
	"-------------- ------------------------ ------ ------ ------ ------ ------ ------ ---------- "
	"----------------- ----------------- --------\n";

static void print_verbose_table(const struct vg_rset *sets, size_t n)
{
	size_t msum = 0, dsum = 0;
	printf("%s%s", V_HEADER, V_RULE);
	for (size_t i = 0; i < n; i++) {
		const struct vg_set *s = sets[i].set;
		char flags[5], perm[11];
		flags[0] = vg_set_is_consistent(s) ? 'C' : ' ';
		flags[1] = (sets[i].set_flags & VG_SETF_LOCAL)	  ? 'L'
			   : (sets[i].set_flags & VG_SETF_REMOTE) ? 'R'
								  : ' ';
		flags[2] = (sets[i].set_flags & VG_SETF_PUSH) ? 'P' : ' ';
		/* vigil's addition: S = stale, the aggregator lost its producer */
		flags[3] = (sets[i].set_flags & VG_SETF_STALE) ? 'S' : '\0';
		flags[4] = '\0';
		struct vg_timestamp ts = vg_set_timestamp(s), dur = vg_set_duration(s);
		msum += vg_set_meta_size(s);
		dsum += vg_set_data_size(s);
		printf("%-14s %-24s %6s %6lu %6lu %6lu %6d %6d %10s %10d.%06d %10d.%06d ",
		       vg_set_schema_name(s), vg_set_instance(s), flags,
		       (unsigned long)vg_set_meta_size(s), (unsigned long)vg_set_data_size(s), 0ul,
		       (int)vg_set_uid(s), (int)vg_set_gid(s), vg_format_perm(vg_set_perm(s), perm),
		       (int)ts.sec, (int)ts.usec, (int)dur.sec, (int)dur.usec);
		const char *k, *v;
		for (size_t j = 0; vg_set_info_at(s, j, &k, &v); j++)
			printf("\"%s\"=\"%s\" ", k, v);
		printf("\n");
	}
	printf("%s", V_RULE);
	printf("Total Sets: %zu, Meta Data (kB): %.2f, Data (kB) %.2f, Memory (kB): %.2f\n", n,
	       (double)msum / 1000.0, (double)dsum / 1000.0, (double)(msum + dsum) / 1000.0);
}

/* ------------------------------------------------------------------ selection */

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct vg_dir_entry *)a)->instance,
		      ((const struct vg_dir_entry *)b)->instance);
}

struct matcher {
	regex_t *re;
	int n;
};

/* -E: compile the NAMEs; without it names are compared as plain strings. */
static int matcher_init(struct matcher *m, const struct opts *o)
{
	m->n = 0;
	if (!o->regex || o->nnames == 0)
		return 0;
	m->re = calloc((size_t)o->nnames, sizeof(*m->re));
	if (!m->re)
		return -ENOMEM;
	for (int i = 0; i < o->nnames; i++) {
		int rc = regcomp(&m->re[i], o->names[i], REG_EXTENDED | REG_NOSUB);
		if (rc) {
			char msg[256];
			regerror(rc, &m->re[i], msg, sizeof(msg));
			fprintf(stderr, "ldms_ls: bad regular expression '%s': %s\n", o->names[i],
				msg);
			return -EINVAL;
		}
		m->n = i + 1;
	}
	return 0;
}

static void matcher_free(struct matcher *m)
{
	for (int i = 0; i < m->n; i++)
		regfree(&m->re[i]);
	free(m->re);
}

/* LDMS anchors plain names (^name$); comparing strings does the same without regex pitfalls. */
static bool selected(const struct opts *o, struct matcher *m, const struct vg_dir_entry *e)
{
	if (o->nnames == 0)
		return true;
	const char *subject = o->by_schema ? e->schema : e->instance;
	for (int i = 0; i < o->nnames; i++) {
		if (o->regex ? regexec(&m->re[i], subject, 0, NULL, 0) == 0
			     : strcmp(subject, o->names[i]) == 0)
			return true;
	}
	return false;
}

static int list_sets(struct vg_client *c, const struct opts *o)
{
	struct vg_err err;
	struct vg_dir_entry *entries = NULL;
	size_t n = 0;
	if (vg_client_dir(c, &entries, &n, &err)) {
		fprintf(stderr, "ldms_ls: %s\n", err.msg);
		return 1;
	}
	if (n)
		qsort(entries, n, sizeof(*entries), cmp_entry);
	struct matcher m = {0};
	if (matcher_init(&m, o)) {
		matcher_free(&m);
		free(entries);
		return 1;
	}
	size_t nsel = 0;
	for (size_t i = 0; i < n; i++)
		if (selected(o, &m, &entries[i]))
			entries[nsel++] = entries[i];
	matcher_free(&m);
	if (nsel == 0) {
		printf("ldms_ls: No metric sets matched the given criteria\n");
		free(entries);
		return 0;
	}
	if (!o->longfmt && !o->verbose) {
		for (size_t i = 0; i < nsel; i++)
			printf("%s\n", entries[i].instance);
		free(entries);
		return 0;
	}
	/* -l / -v need each set's contents: look them up one by one, in order */
	struct vg_rset *all = calloc(nsel, sizeof(*all));
	size_t nall = 0;
	int status = all ? 0 : 1;
	for (size_t i = 0; i < nsel && all; i++) {
		struct vg_rset *rs = NULL;
		size_t k = 0;
		int rc = vg_client_lookup(c, entries[i].instance, VG_LOOKUP_INSTANCE, &rs, &k, &err);
		if (rc == -ENOENT)
			continue; /* deleted since the directory was read */
		if (rc) {
			fprintf(stderr, "ldms_ls: lookup of %s failed: %s\n", entries[i].instance,
				err.msg);
			status = 1;
			if (rc != -EPROTO && rc != -EINVAL)
				break;
			continue;
		}
		all[nall++] = rs[0];
		for (size_t j = 1; j < k; j++)
			vg_set_put(rs[j].set);
		free(rs);
	}
	if (o->verbose) {
		print_verbose_table(all, nall);
		if (o->longfmt)
			printf("\n=======================================================================\n\n");
	}
	if (o->longfmt)
		for (size_t i = 0; i < nall; i++)
			print_set_long(&all[i], o->udata);
	vg_client_rsets_free(all, nall);
	free(entries);
	return status;
}

int main(int argc, char **argv)
{
	struct vg_auth_args auth = {0};
	struct opts o = {"localhost", LDMS_DEFAULT_PORT, "sock", 10, false, false, false, 0,
			 false, NULL, 0};
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'H'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	if (argc == 1) {
		usage(stderr);
		return 1;
	}
	int c;
	while ((c = getopt_long(argc, argv, "h:p:x:w:m:ESIlvua:A:VPd", longopts, NULL)) != -1) {
		switch (c) {
		case 'h': o.host = optarg; break;
		case 'p': {
			uint64_t p;
			if (vg_parse_u64(optarg, 10, &p) || p == 0 || p > 65535) {
				fprintf(stderr, "ldms_ls: -p %s: expected a port from 1 to 65535\n",
					optarg);
				return 1;
			}
			o.port = (uint16_t)p;
			break;
		}
		case 'x': o.xprt = optarg; break;
		case 'w': {
			uint64_t w;
			if (vg_parse_u64(optarg, 10, &w) || w == 0 || w > 3600) {
				fprintf(stderr, "ldms_ls: -w %s: expected seconds from 1 to 3600\n",
					optarg);
				return 1;
			}
			o.wait_s = (int)w;
			break;
		}
		case 'm': break; /* LDMS's client memory size: not needed */
		case 'E': o.regex = true; break;
		case 'S': o.by_schema = true; break;
		case 'I': o.by_schema = false; break;
		case 'l': o.longfmt = true; break;
		case 'v': o.verbose++; break;
		case 'u': o.udata = true; break;
		case 'a': auth.plugin = optarg; break;
		case 'A':
			if (vg_auth_tool_arg(&auth, optarg)) {
				fprintf(stderr, "ldms_ls: -A %s: expected NAME=VALUE\n", optarg);
				return 1;
			}
			break;
		case 'V': printf("ldms_ls (vigil) %s\n", VIGIL_VERSION); return 0;
		case 'P':
		case 'd':
			fprintf(stderr, "ldms_ls: -%c is not supported by this version\n", c);
			return 1;
		case 'H': usage(stdout); return 0;
		default: usage(stderr); return 1;
		}
	}
	o.names = argv + optind;
	o.nnames = argc - optind;
	vg_log_set_level(VG_LOG_CRITICAL);

	struct vg_err err;
	vg_err_clear(&err);
	struct vg_plugin *ap = vg_auth_tool_load(&auth, &err);
	if (!ap && err.code) {
		printf("Connection failed/rejected.\n");
		fflush(stdout);
		fprintf(stderr, "ldms_ls: %s\n", err.msg);
		vg_auth_tool_free(&auth, NULL);
		return 1;
	}
	struct vg_client *cl =
		vg_client_connect_auth(o.xprt, o.host, o.port, o.wait_s * 1000, ap, &err);
	vg_auth_tool_free(&auth, ap);
	if (!cl) {
		printf("Connection failed/rejected.\n");
		fflush(stdout);
		fprintf(stderr, "ldms_ls: %s\n", err.msg);
		if (err.code == ECONNREFUSED)
			fprintf(stderr, "ldms_ls: is ldmsd running with -x %s:%u on %s?\n", o.xprt,
				o.port, o.host);
		else if (err.code == ECONNRESET || err.code == ENOPROTOOPT || err.code == EPROTO)
			/* what a listener of another transport does to our handshake */
			fprintf(stderr, "ldms_ls: does ldmsd listen on %s:%u with a transport other "
					"than %s? (-x must name the daemon's)\n", o.host, o.port, o.xprt);
		return 1;
	}
	int status = list_sets(cl, &o);
	vg_client_close(cl);
	return status;
}
