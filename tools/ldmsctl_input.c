/*
 * ldmsctl_input.c - the interactive prompt of ldmsctl.
 *
 * With libedit: line editing, a bounded history in ~/.ldmsctl_history and
 * tab completion of command names (first word) and of the command's
 * attribute names (later words), both from the one command table, so the
 * prompt never offers a word the daemon would refuse.  Without libedit the
 * same prompt reads plain lines.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/cmd.h"
#include "tools/ldmsctl_input.h"

#ifdef HAVE_LIBEDIT
#include <editline/readline.h>

static char *history_path;

/* Words that ldmsctl runs itself, offered with the table's commands. */
static const char *const local_words[] = {"help", "quit", "exit", NULL};

/* The command named by the first word of the line being edited, or NULL. */
static const struct vg_cmd *line_command(void)
{
	const char *p = rl_line_buffer;
	while (*p == ' ' || *p == '\t')
		p++;
	size_t len = strcspn(p, " \t");
	char name[64];
	if (len == 0 || len >= sizeof(name))
		return NULL;
	memcpy(name, p, len);
	name[len] = '\0';
	return vg_cmd_find(name);
}

/*
 * readline's generator protocol: state 0 starts a new completion, each call
 * returns the next match (malloc'd) or NULL when there are no more.
 */
static size_t gen_index;

static char *gen_command(const char *text, int state)
{
	size_t n = strlen(text);
	size_t ntable = 0;
	while (vg_cmd_table[ntable].name)
		ntable++;
	if (state == 0)
		gen_index = 0;
	while (gen_index < ntable + 3) {
		size_t i = gen_index++;
		const char *w = i < ntable ? vg_cmd_table[i].name : local_words[i - ntable];
		if (w && strncmp(w, text, n) == 0)
			return strdup(w);
	}
	return NULL;
}

static char *gen_attr(const char *text, int state)
{
	const struct vg_cmd *cmd = line_command();
	size_t n = strlen(text);
	if (state == 0)
		gen_index = 0;
	if (!cmd)
		return NULL;
	while (cmd->attrs[gen_index].name) {
		const char *a = cmd->attrs[gen_index++].name;
		if (strncmp(a, text, n) != 0)
			continue;
		char *m = malloc(strlen(a) + 2);
		if (m) {
			strcpy(m, a);
			strcat(m, "=");
		}
		return m;
	}
	return NULL;
}

static char *gen_nothing(const char *text, int state)
{
	return NULL;
}

static char **complete(const char *text, int start, int end)
{
	/* a word after leading blanks only is the command name */
	bool first = true;
	for (int i = 0; i < start; i++)
		if (rl_line_buffer[i] != ' ' && rl_line_buffer[i] != '\t')
			first = false;
	rl_attempted_completion_over = 1;
	/* "name=" is not a finished word: no space after it */
	rl_completion_append_character = first ? ' ' : '\0';
	return rl_completion_matches(text, first ? gen_command : gen_attr);
}

void ctl_input_open(void)
{
	rl_readline_name = "ldmsctl";
	rl_attempted_completion_function = complete;
	rl_completion_entry_function = gen_nothing; /* never complete file names */
	stifle_history(CTL_HISTORY_MAX);
	const char *home = getenv("HOME");
	if (home && *home) {
		history_path = malloc(strlen(home) + sizeof("/" CTL_HISTORY_FILE));
		if (history_path) {
			strcpy(history_path, home);
			strcat(history_path, "/" CTL_HISTORY_FILE);
			read_history(history_path); /* none yet is fine */
		}
	}
}

char *ctl_input_read(void)
{
	char *line = readline(CTL_PROMPT);
	if (!line)
		fputc('\n', stdout); /* Ctrl-D: leave the shell's prompt on its own line */
	else if (line[strspn(line, " \t")])
		add_history(line);
	return line;
}

void ctl_input_close(void)
{
	/* a history that cannot be written costs the user nothing now */
	if (history_path)
		write_history(history_path);
	free(history_path);
	history_path = NULL;
	clear_history();
}

bool ctl_input_editing(void)
{
	return true;
}

#else /* !HAVE_LIBEDIT */

void ctl_input_open(void)
{
}

char *ctl_input_read(void)
{
	char *line = NULL;
	size_t cap = 0;
	fputs(CTL_PROMPT, stdout);
	fflush(stdout);
	ssize_t n = getline(&line, &cap, stdin);
	if (n < 0) {
		free(line);
		fputc('\n', stdout);
		return NULL;
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	return line;
}

void ctl_input_close(void)
{
}

bool ctl_input_editing(void)
{
	return false;
}

#endif /* HAVE_LIBEDIT */
