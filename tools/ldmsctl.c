/*
 * ldmsctl.c - send config commands to a running ldmsd.
 *
 * This is the first cut: one command from the arguments, commands from a
 * file (-s) or from standard input, over the daemon's control socket (-S)
 * or a transport endpoint the daemon accepts commands on.  Every reply is
 * printed; the exit status is non-zero if any command failed.  Commands are
 * validated by the daemon against the same table that reads config files,
 * so what works in a file works here.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/client.h"
#include "core/log.h"
#include "daemon/cmd.h"
#include "daemon/conffile.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: ldmsctl -S PATH [COMMAND [ATTR=VALUE]...]\n"
		"       ldmsctl -h HOST -p PORT [-x XPRT] [COMMAND [ATTR=VALUE]...]\n"
		"Run config commands on a running ldmsd.\n"
		"\n"
		"  -S PATH     the daemon's control socket (ldmsd -S PATH)\n"
		"  -h HOST     the daemon's host (needs ldmsd --remote-control)\n"
		"  -p PORT     the daemon's port\n"
		"  -x XPRT     transport (default sock)\n"
		"  -s FILE     run the commands of FILE (config file syntax)\n"
		"  -w SECONDS  wait at most SECONDS for each reply (default 10)\n"
		"  -a none     authentication (only 'none' in this version)\n"
		"  --help      print this help and the command list\n"
		"\n"
		"Without COMMAND and -s, commands are read from standard input, one per line.\n"
		"Example: ldmsctl -S /run/ldmsd.sock stop name=meminfo\n"
		"\nCommands:\n");
	struct vg_strbuf sb;
	vg_strbuf_init(&sb);
	vg_cmd_help(&sb, NULL);
	fputs(vg_strbuf_str(&sb), f);
	vg_strbuf_free(&sb);
}

static int failures;
static const char *source_file; /* -s FILE: errors name FILE:LINE */
static int source_line;

static int run_one(struct vg_client *c, const char *line)
{
	struct vg_strbuf reply;
	struct vg_err err;
	int status = 0;
	vg_strbuf_init(&reply);
	int rc = vg_client_cmd(c, line, &status, &reply, &err);
	if (rc) {
		fprintf(stderr, "ldmsctl: %s\n", err.msg);
		vg_strbuf_free(&reply);
		failures++;
		return rc;
	}
	const char *text = vg_strbuf_str(&reply);
	FILE *f = status ? stderr : stdout;
	if (status && source_file)
		fprintf(f, "%s:%d: ", source_file, source_line);
	fputs(text, f);
	if (reply.len && text[reply.len - 1] != '\n')
		fputc('\n', f);
	if (status)
		failures++;
	vg_strbuf_free(&reply);
	return 0;
}

static int on_file_line(const char *line, int lineno, void *arg)
{
	source_line = lineno;
	/* a lost connection ends the run; a failed command does not */
	return run_one(arg, line) ? 1 : 0;
}

static int run_stream(struct vg_client *c, FILE *in, bool prompt)
{
	char *line = NULL;
	size_t cap = 0;
	for (;;) {
		if (prompt) {
			fputs("ldmsctl> ", stdout);
			fflush(stdout);
		}
		ssize_t n = getline(&line, &cap, in);
		if (n < 0)
			break;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			continue;
		if (strcmp(p, "quit") == 0 || strcmp(p, "exit") == 0)
			break;
		if (run_one(c, p))
			break;
	}
	free(line);
	return 0;
}

int main(int argc, char **argv)
{
	const char *sock_path = NULL, *host = NULL, *xprt = "sock", *file = NULL;
	uint64_t port = 0, wait_s = 10;
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'H'},
		{NULL, 0, NULL, 0},
	};
	int c;
	while ((c = getopt_long(argc, argv, "+S:h:p:x:s:w:a:A:", longopts, NULL)) != -1) {
		switch (c) {
		case 'S': sock_path = optarg; break;
		case 'h': host = optarg; break;
		case 'p':
			if (vg_parse_u64(optarg, 10, &port) || port == 0 || port > 65535) {
				fprintf(stderr, "ldmsctl: -p %s: expected a port from 1 to 65535\n",
					optarg);
				return 2;
			}
			break;
		case 'x': xprt = optarg; break;
		case 's': file = optarg; break;
		case 'w':
			if (vg_parse_u64(optarg, 10, &wait_s) || wait_s == 0 || wait_s > 3600) {
				fprintf(stderr, "ldmsctl: -w %s: expected seconds from 1 to 3600\n",
					optarg);
				return 2;
			}
			break;
		case 'a':
			if (strcmp(optarg, "none") != 0) {
				fprintf(stderr, "ldmsctl: -a %s: only 'none' exists in this version\n",
					optarg);
				return 2;
			}
			break;
		case 'A': break;
		case 'H': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (!sock_path && !(host && port)) {
		fprintf(stderr, "ldmsctl: say which daemon: -S PATH, or -h HOST -p PORT\n"
				"Try 'ldmsctl --help'.\n");
		return 2;
	}
	vg_log_set_level(VG_LOG_CRITICAL);
	struct vg_err err;
	struct vg_client *cl = sock_path
		? vg_client_connect("sock", sock_path, 0, (int)wait_s * 1000, &err)
		: vg_client_connect(xprt, host, (uint16_t)port, (int)wait_s * 1000, &err);
	if (!cl) {
		fprintf(stderr, "ldmsctl: %s\n", err.msg);
		return 1;
	}
	if (optind < argc) {
		struct vg_strbuf line;
		vg_strbuf_init(&line);
		for (int i = optind; i < argc; i++) {
			if (i > optind)
				vg_strbuf_puts(&line, " ");
			vg_strbuf_puts(&line, argv[i]);
		}
		run_one(cl, vg_strbuf_str(&line));
		vg_strbuf_free(&line);
	} else if (file) {
		FILE *f = fopen(file, "re");
		if (!f) {
			fprintf(stderr, "ldmsctl: cannot read %s: %s\n", file, strerror(errno));
			failures++;
		} else {
			struct vg_strbuf text;
			vg_strbuf_init(&text);
			char buf[8192];
			size_t n;
			while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
				vg_strbuf_append(&text, buf, n);
			fclose(f);
			source_file = file;
			vg_config_lines(vg_strbuf_str(&text), on_file_line, cl);
			vg_strbuf_free(&text);
		}
	} else {
		run_stream(cl, stdin, isatty(STDIN_FILENO));
	}
	vg_client_close(cl);
	return failures ? 1 : 0;
}
