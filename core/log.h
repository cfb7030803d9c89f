/*
 * log.h - one line per event: "LEVEL YYYY-MM-DDTHH:MM:SS.uuuuuu component: message".
 *
 * Each line is formatted in a local buffer and written with a single write(2)
 * on an O_APPEND file, so lines from several threads never interleave.
 * A condition that can repeat every interval (a peer that keeps failing, a
 * /proc file that keeps being short) goes through struct vg_complaint: logged
 * once, then at growing intervals with a count of what was suppressed, in the
 * manner of collectd's c_complain.
 */
#ifndef VIGIL_LOG_H
#define VIGIL_LOG_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

enum vg_log_level {
	VG_LOG_DEBUG = 0,
	VG_LOG_INFO,
	VG_LOG_WARNING,
	VG_LOG_ERROR,
	VG_LOG_CRITICAL,
	VG_LOG_QUIET, /* as a threshold: nothing but user-requested output */
};

/*
 * Names as ldmsd -v takes them, case-insensitive: DEBUG, INFO, WARNING (WARN),
 * ERROR, CRITICAL (CRIT), ALL (= DEBUG), QUIET, ALWAYS (= QUIET).
 */
int vg_log_level_parse(const char *name, enum vg_log_level *out);
const char *vg_log_level_name(enum vg_log_level level);

void vg_log_set_level(enum vg_log_level threshold);
enum vg_log_level vg_log_get_level(void);
bool vg_log_enabled(enum vg_log_level level);

/*
 * Send the log to path (appending; created 0600), to "syslog", or to stderr
 * when path is NULL or "-" (the default).  vg_log_reopen() reopens the same
 * path, for logrotate.
 */
int vg_log_open(const char *path, struct vg_err *err);
int vg_log_reopen(void);
void vg_log_close(void);

void vg_log(enum vg_log_level level, const char *component, const char *fmt, ...) VG_PRINTF(3, 4);
void vg_vlog(enum vg_log_level level, const char *component, const char *fmt, va_list ap);

/* A rate-limited complaint; zero-initialise it (VG_COMPLAINT_INIT). */
struct vg_complaint {
	uint64_t next_us;      /* wall-clock time before which repeats are counted, not logged */
	uint64_t interval_us;  /* doubles at each logged repeat, up to one day */
	uint64_t suppressed;   /* repeats since the last logged line */
	bool active;
};
#define VG_COMPLAINT_INIT {0, 0, 0, false}

/* Log now if due, otherwise count; the first call always logs. */
void vg_complain(struct vg_complaint *c, enum vg_log_level level, const char *component,
		 const char *fmt, ...) VG_PRINTF(4, 5);
/* The condition is over: if a complaint was active, log fmt once and reset. */
void vg_complaint_clear(struct vg_complaint *c, enum vg_log_level level, const char *component,
			const char *fmt, ...) VG_PRINTF(4, 5);

#endif /* VIGIL_LOG_H */
