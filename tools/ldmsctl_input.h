/*
 * ldmsctl_input.h - ldmsctl's interactive prompt: line editing, history
 * and completion of command names with libedit, or a plain prompt when
 * vigil was built without it.
 */
#ifndef VIGIL_LDMSCTL_INPUT_H
#define VIGIL_LDMSCTL_INPUT_H

#include <stdbool.h>

#define CTL_PROMPT "ldmsctl> "
#define CTL_HISTORY_FILE ".ldmsctl_history" /* in $HOME */
#define CTL_HISTORY_MAX 1000

/* Start the prompt on the terminal (loads the history). */
void ctl_input_open(void);

/* The next line without its newline (malloc'd; free() it), or NULL at EOF. */
char *ctl_input_read(void);

/* Save the history (failure to write it is not an error) and release. */
void ctl_input_close(void);

/* True when built with libedit (line editing and history). */
bool ctl_input_editing(void);

#endif /* VIGIL_LDMSCTL_INPUT_H */
