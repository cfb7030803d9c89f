/*
 * ldmsctl.c - run config commands on a running ldmsd.
 *
 * One command from the arguments, the commands of a file (-s), lines from
 * standard input, or an interactive prompt when standard input is a
 * terminal.  The daemon validates every command against the same table
 * that reads config files, so what works in a file works here.  `help` is
 * answered from that table locally, so it works with no daemon at all.
 * The exit status is non-zero if any command failed.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/client.h"
#include "plugins/auth.h"
#include "core/log.h"
#include "core/proto.h"
#include "daemon/cmd.h"
#include "daemon/conffile.h"
#include "tools/ldmsctl_input.h"

#define JSON_TOKEN "--json"

static void usage(FILE *f, bool commands)
{
	fputs("Usage: ldmsctl -S PATH [OPTION]... [COMMAND [ATTR=VALUE]... [--json]]\n"
	      "       ldmsctl -h HOST -p PORT [-x XPRT] [-a none] [OPTION]... [COMMAND ...]\n"
	      "Run config commands on a running ldmsd.\n"
	      "\n"
	      "  -S PATH        the daemon's control socket (ldmsd -S PATH)\n"
	      "  -h HOST        the daemon's host (needs ldmsd --remote-control)\n"
	      "  -p PORT        the daemon's port\n"
	      "  -x XPRT        transport (default sock)\n"
	      "  -a AUTH        authentication plugin for -h/-p: none (default), ovis, munge\n"
	      "  -A NAME=VALUE  an option of the plugin, e.g. socket=PATH (repeatable)\n"
	      "  -s FILE        run the commands of FILE (config file syntax)\n"
	      "  -w SECONDS     wait at most SECONDS for each reply (default 10)\n"
	      "  -j, --json     ask for JSON replies (status commands)\n"
	      "  -V, --version  print vigil's version\n"
	      "      --help     print this help and the command list\n"
	      "\n"
	      "Without COMMAND and -s: a prompt with line editing and history when standard\n"
	      "input is a terminal, otherwise one command per line from standard input.\n"
	      "A trailing --json asks for a JSON reply to that one command.\n"
	      "'help [COMMAND]' and '?' are answered locally (with --json, by the daemon);\n"
	      "'quit' or 'exit' ends the prompt.\n"
	      "Exit status: 0 if every command succeeded, 1 if any failed or the daemon\n"
	      "could not be reached, 2 for a usage error.\n"
	      "Example: ldmsctl -S /run/ldmsd.sock stop name=meminfo\n",
	      f);
	if (!commands)
		return;
	struct vg_strbuf sb;
	vg_strbuf_init(&sb);
	vg_cmd_help(&sb, NULL);
	fputs("\nCommands:\n", f);
	fputs(vg_strbuf_str(&sb), f);
	vg_strbuf_free(&sb);
}

struct ctl {
	const char *sock_path; /* -S */
	const char *host;      /* -h */
	const char *xprt;      /* -x */
	uint16_t port;         /* -p */
	int timeout_ms;        /* -w */
	unsigned flags;        /* VG_CMD_F_* sent with every command (--json) */
	struct vg_auth_args auth; /* -a, -A */
	struct vg_client *client;
	int failures;          /* commands that failed */
	int fatal;             /* non-zero: the run ends with this exit status */
	const char *source_file; /* -s FILE: errors name FILE:LINE */
	int source_line;
};

/* Connect on first use, so that `help` needs no daemon. */
static int ctl_connect(struct ctl *ctl)
{
	if (ctl->client)
		return 0;
	if (!ctl->sock_path && !ctl->host) {
		fprintf(stderr, "ldmsctl: say which daemon: -S PATH, or -h HOST -p PORT\n"
				"Try 'ldmsctl --help'.\n");
		ctl->fatal = 2;
		return -1;
	}
	struct vg_err err;
	vg_err_clear(&err);
	/* the local control socket is protected by its mode: it speaks the built-in none */
	struct vg_plugin *ap = ctl->sock_path ? NULL : vg_auth_tool_load(&ctl->auth, &err);
	if (!ap && err.code) {
		fprintf(stderr, "ldmsctl: %s\n", err.msg);
		ctl->fatal = 1;
		return -1;
	}
	ctl->client = ctl->sock_path
		? vg_client_connect("sock", ctl->sock_path, 0, ctl->timeout_ms, &err)
		: vg_client_connect_auth(ctl->xprt, ctl->host, ctl->port, ctl->timeout_ms, ap, &err);
	vg_auth_tool_free(&ctl->auth, ap);
	if (ctl->client)
		return 0;
	fprintf(stderr, "ldmsctl: %s\n", err.msg);
	if (ctl->sock_path)
		fprintf(stderr, "ldmsctl: is an ldmsd running with -S %s?\n", ctl->sock_path);
	else
		fprintf(stderr, "ldmsctl: is an ldmsd listening on %s:%u (-x %s:%u) and started "
				"with --remote-control?\n",
			ctl->host, ctl->port, ctl->xprt, ctl->port);
	ctl->fatal = 1;
	return -1;
}

static void print_error_prefix(const struct ctl *ctl)
{
	if (ctl->source_file)
		fprintf(stderr, "%s:%d: ", ctl->source_file, ctl->source_line);
}

/* `help [COMMAND]` from the table, without a round trip. */
static void local_help(struct ctl *ctl, const char *name)
{
	struct vg_strbuf sb;
	vg_strbuf_init(&sb);
	if (!*name) {
		vg_cmd_help(&sb, NULL);
		vg_strbuf_puts(&sb, "  help [COMMAND], ? [COMMAND]\n      Describe the commands "
				    "(here, without asking the daemon).\n"
				    "  quit, exit\n      End the prompt.\n");
		fputs(vg_strbuf_str(&sb), stdout);
	} else if (strpbrk(name, " \t") || !vg_cmd_find(name)) {
		print_error_prefix(ctl);
		fprintf(stderr, "ldmsctl: help: no command '%s'; 'help' lists them all\n", name);
		ctl->failures++;
	} else {
		vg_cmd_help(&sb, name);
		fputs(vg_strbuf_str(&sb), stdout);
	}
	vg_strbuf_free(&sb);
}

static void print_reply(struct ctl *ctl, int status, const struct vg_strbuf *reply)
{
	const char *text = vg_strbuf_str(reply);
	FILE *f = status ? stderr : stdout;
	if (status)
		print_error_prefix(ctl);
	if (status && !reply->len)
		fprintf(f, "error: %s", strerror(-status));
	fputs(text, f);
	if (status && !reply->len)
		fputc('\n', f);
	else if (reply->len && text[reply->len - 1] != '\n')
		fputc('\n', f);
	fflush(f);
}

/*
 * Drop a last token "--json" from s (modified in place) and the blanks
 * around it; true if there was one.
 */
static bool strip_json(char *s)
{
	size_t n = strlen(s);
	size_t tn = strlen(JSON_TOKEN);
	if (n < tn || strcmp(s + n - tn, JSON_TOKEN) != 0)
		return false;
	if (n > tn && s[n - tn - 1] != ' ' && s[n - tn - 1] != '\t')
		return false; /* part of a value, e.g. name=x--json */
	n -= tn;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	s[n] = '\0';
	return true;
}

/* Run one command line.  Returns 0 to go on, -1 when the run must end. */
static int run_line(struct ctl *ctl, const char *line)
{
	while (*line == ' ' || *line == '\t')
		line++;
	char *cmd = strdup(line);
	if (!cmd) {
		fprintf(stderr, "ldmsctl: out of memory\n");
		ctl->fatal = 1;
		return -1;
	}
	size_t n = strlen(cmd);
	while (n > 0 && (cmd[n - 1] == ' ' || cmd[n - 1] == '\t' || cmd[n - 1] == '\r'))
		cmd[--n] = '\0';
	unsigned flags = ctl->flags;
	if (strip_json(cmd))
		flags |= VG_CMD_F_JSON;
	size_t verb = strcspn(cmd, " \t");
	bool help = (verb == 4 && strncmp(cmd, "help", 4) == 0) || (verb == 1 && cmd[0] == '?');
	const char *help_name = cmd + verb + strspn(cmd + verb, " \t");
	if (help && strncmp(help_name, "command=", 8) == 0)
		help_name += 8; /* the daemon's spelling */
	struct vg_strbuf sent;
	vg_strbuf_init(&sent);
	int rc = 0;
	if (!*cmd) {
		/* nothing to send */
	} else if (help && !(flags & VG_CMD_F_JSON)) {
		local_help(ctl, help_name);
	} else if (ctl_connect(ctl)) {
		rc = -1;
	} else {
		/* help in JSON is for programs: the daemon's table is the one that counts */
		if (help)
			vg_strbuf_printf(&sent, "help%s%s", *help_name ? " command=" : "", help_name);
		else
			vg_strbuf_puts(&sent, cmd);
		struct vg_strbuf reply;
		struct vg_err err;
		int status = 0;
		vg_strbuf_init(&reply);
		if (vg_client_cmd_flags(ctl->client, vg_strbuf_str(&sent), flags, &status, &reply,
					&err)) {
			fprintf(stderr, "ldmsctl: %s\n", err.msg);
			ctl->fatal = 1;
			rc = -1;
		} else {
			print_reply(ctl, status, &reply);
			if (status)
				ctl->failures++;
		}
		vg_strbuf_free(&reply);
	}
	vg_strbuf_free(&sent);
	free(cmd);
	return rc;
}

/* quit and exit end a prompt or a stream of lines. */
static bool is_quit(const char *line)
{
	line += strspn(line, " \t");
	size_t n = strcspn(line, " \t\r");
	if (line[n + strspn(line + n, " \t\r")])
		return false;
	return (n == 4 && strncmp(line, "quit", 4) == 0) ||
	       (n == 4 && strncmp(line, "exit", 4) == 0);
}

static int on_file_line(const char *line, int lineno, void *arg)
{
	struct ctl *ctl = arg;
	ctl->source_line = lineno;
	/* a lost connection ends the run; a failed command does not */
	return run_line(ctl, line) ? 1 : 0;
}

static void run_file(struct ctl *ctl, const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "ldmsctl: -s %s: cannot read it: %s\n", path, strerror(errno));
		ctl->failures++;
		return;
	}
	struct vg_strbuf text;
	vg_strbuf_init(&text);
	char buf[8192];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		vg_strbuf_append(&text, buf, n);
	if (ferror(f)) {
		fprintf(stderr, "ldmsctl: -s %s: read error: %s\n", path, strerror(errno));
		ctl->failures++;
	} else {
		ctl->source_file = path;
		vg_config_lines(vg_strbuf_str(&text), on_file_line, ctl);
		ctl->source_file = NULL;
	}
	fclose(f);
	vg_strbuf_free(&text);
}

/* Lines from a pipe or file on standard input: no prompt. */
static void run_stdin(struct ctl *ctl)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while ((n = getline(&line, &cap, stdin)) >= 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		const char *p = line + strspn(line, " \t");
		if (*p == '#')
			continue;
		if (is_quit(p) || run_line(ctl, p))
			break;
	}
	free(line);
}

static void run_interactive(struct ctl *ctl)
{
	/* at a prompt, an unreachable daemon is worth knowing before typing */
	if (ctl_connect(ctl))
		return;
	ctl_input_open();
	char *line;
	while ((line = ctl_input_read())) {
		const char *p = line + strspn(line, " \t");
		bool stop = *p != '#' && (is_quit(p) || run_line(ctl, p));
		free(line);
		if (stop)
			break;
	}
	ctl_input_close();
}

static int parse_opts(struct ctl *ctl, int argc, char **argv, const char **file)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'H'},
		{"json", no_argument, NULL, 'j'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	uint64_t v;
	int c;
	/* '+': the command's own words (name=value) are not options */
	while ((c = getopt_long(argc, argv, "+S:h:p:x:s:w:a:A:jV", longopts, NULL)) != -1) {
		switch (c) {
		case 'S': ctl->sock_path = optarg; break;
		case 'h': ctl->host = optarg; break;
		case 'p':
			if (vg_parse_u64(optarg, 10, &v) || v == 0 || v > 65535) {
				fprintf(stderr, "ldmsctl: -p %s: expected a port from 1 to 65535\n",
					optarg);
				return 2;
			}
			ctl->port = (uint16_t)v;
			break;
		case 'x': ctl->xprt = optarg; break;
		case 's': *file = optarg; break;
		case 'w':
			if (vg_parse_u64(optarg, 10, &v) || v == 0 || v > 3600) {
				fprintf(stderr, "ldmsctl: -w %s: expected seconds from 1 to 3600\n",
					optarg);
				return 2;
			}
			ctl->timeout_ms = (int)v * 1000;
			break;
		case 'a': ctl->auth.plugin = optarg; break;
		case 'A':
			if (vg_auth_tool_arg(&ctl->auth, optarg)) {
				fprintf(stderr, "ldmsctl: -A %s: expected NAME=VALUE\n", optarg);
				return 2;
			}
			break;
		case 'j': ctl->flags |= VG_CMD_F_JSON; break;
		case 'V': printf("ldmsctl (vigil) %s\n", VIGIL_VERSION); return 0;
		case 'H': usage(stdout, true); return 0;
		default: usage(stderr, false); return 2;
		}
	}
	if (ctl->sock_path && ctl->host) {
		fprintf(stderr, "ldmsctl: -S and -h name two daemons; give one\n");
		return 2;
	}
	if (ctl->host && !ctl->port) {
		fprintf(stderr, "ldmsctl: -h %s: which port? add -p PORT\n", ctl->host);
		return 2;
	}
	if (!ctl->host && ctl->port) {
		fprintf(stderr, "ldmsctl: -p %u: which host? add -h HOST\n", ctl->port);
		return 2;
	}
	if (*file && optind < argc) {
		fprintf(stderr, "ldmsctl: give a COMMAND or -s FILE, not both\n");
		return 2;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct ctl ctl = {.xprt = "sock", .timeout_ms = 10000};
	const char *file = NULL;
	int rc = parse_opts(&ctl, argc, argv, &file);
	if (rc >= 0)
		return rc;
	/* `ldmsctl help ...` is the one run that needs no daemon */
	bool help_only = optind < argc && !(ctl.flags & VG_CMD_F_JSON) &&
			 (strcmp(argv[optind], "help") == 0 || strcmp(argv[optind], "?") == 0) &&
			 strcmp(argv[argc - 1], JSON_TOKEN) != 0;
	if (!ctl.sock_path && !ctl.host && !help_only) {
		fprintf(stderr, "ldmsctl: say which daemon: -S PATH, or -h HOST -p PORT\n"
				"Try 'ldmsctl --help'.\n");
		return 2;
	}
	vg_log_set_level(VG_LOG_CRITICAL);
	if (optind < argc) {
		struct vg_strbuf line;
		vg_strbuf_init(&line);
		for (int i = optind; i < argc; i++) {
			if (i > optind)
				vg_strbuf_puts(&line, " ");
			vg_strbuf_puts(&line, argv[i]);
		}
		run_line(&ctl, vg_strbuf_str(&line));
		vg_strbuf_free(&line);
	} else if (file) {
		run_file(&ctl, file);
	} else if (isatty(STDIN_FILENO)) {
		run_interactive(&ctl);
	} else {
		run_stdin(&ctl);
	}
	if (ctl.client)
		vg_client_close(ctl.client);
	vg_auth_tool_free(&ctl.auth, NULL);
	if (ctl.fatal)
		return ctl.fatal;
	return ctl.failures ? 1 : 0;
}
