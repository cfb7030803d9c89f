/*
 * log.c - line-at-a-time logging and rate-limited complaints.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LOG_LINE_MAX 2048
#define COMPLAIN_FIRST_US (10u * 1000000u)    /* first repeat logged after 10 s */
#define COMPLAIN_MAX_US (86400ull * 1000000u) /* then doubling up to a day */

static _Atomic int log_threshold = VG_LOG_ERROR;
static int log_fd = STDERR_FILENO;
static bool log_syslog;
static char *log_path;

static const char *const level_names[] = {
	[VG_LOG_DEBUG] = "DEBUG",
	[VG_LOG_INFO] = "INFO",
	[VG_LOG_WARNING] = "WARNING",
	[VG_LOG_ERROR] = "ERROR",
	[VG_LOG_CRITICAL] = "CRITICAL",
	[VG_LOG_QUIET] = "QUIET",
};

int vg_log_level_parse(const char *name, enum vg_log_level *out)
{
	static const struct {
		const char *name;
		enum vg_log_level level;
	} names[] = {
		{"DEBUG", VG_LOG_DEBUG},	 {"ALL", VG_LOG_DEBUG},		{"INFO", VG_LOG_INFO},
		{"WARNING", VG_LOG_WARNING},	 {"WARN", VG_LOG_WARNING},	{"ERROR", VG_LOG_ERROR},
		{"CRITICAL", VG_LOG_CRITICAL}, {"CRIT", VG_LOG_CRITICAL}, {"QUIET", VG_LOG_QUIET},
		{"ALWAYS", VG_LOG_QUIET},
	};
	if (!name)
		return -EINVAL;
	for (size_t i = 0; i < VG_ARRAY_LEN(names); i++) {
		if (strcasecmp(name, names[i].name) == 0) {
			*out = names[i].level;
			return 0;
		}
	}
	return -EINVAL;
}

const char *vg_log_level_name(enum vg_log_level level)
{
	if ((int)level < 0 || level > VG_LOG_QUIET)
		return "?";
	return level_names[level];
}

void vg_log_set_level(enum vg_log_level threshold)
{
	atomic_store(&log_threshold, (int)threshold);
}

enum vg_log_level vg_log_get_level(void)
{
	return (enum vg_log_level)atomic_load(&log_threshold);
}

bool vg_log_enabled(enum vg_log_level level)
{
	return (int)level >= atomic_load(&log_threshold);
}

static int open_path(const char *path, struct vg_err *err)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return vg_errf(err, errno, "cannot open log file %s: %s", path, strerror(errno));
	return fd;
}

int vg_log_open(const char *path, struct vg_err *err)
{
	if (!path || strcmp(path, "-") == 0) {
		vg_log_close();
		return 0;
	}
	if (strcmp(path, "syslog") == 0) {
		vg_log_close();
		openlog("ldmsd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		log_syslog = true;
		return 0;
	}
	int fd = open_path(path, err);
	if (fd < 0)
		return fd;
	char *copy = strdup(path);
	if (!copy) {
		close(fd);
		return vg_errf(err, ENOMEM, "out of memory opening log file %s", path);
	}
	vg_log_close();
	log_fd = fd;
	log_path = copy;
	return 0;
}

int vg_log_reopen(void)
{
	if (!log_path)
		return 0;
	int fd = open_path(log_path, NULL);
	if (fd < 0)
		return fd;
	/* dup2 swaps atomically: another thread's write goes to one file or the other. */
	if (dup2(fd, log_fd) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	close(fd);
	return 0;
}

void vg_log_close(void)
{
	if (log_syslog) {
		closelog();
		log_syslog = false;
	}
	if (log_fd != STDERR_FILENO) {
		close(log_fd);
		log_fd = STDERR_FILENO;
	}
	free(log_path);
	log_path = NULL;
}

static int syslog_priority(enum vg_log_level level)
{
	switch (level) {
	case VG_LOG_DEBUG: return LOG_DEBUG;
	case VG_LOG_INFO: return LOG_INFO;
	case VG_LOG_WARNING: return LOG_WARNING;
	case VG_LOG_ERROR: return LOG_ERR;
	default: return LOG_CRIT;
	}
}

void vg_vlog(enum vg_log_level level, const char *component, const char *fmt, va_list ap)
{
	if (!vg_log_enabled(level))
		return;
	char line[LOG_LINE_MAX];
	size_t n = 0;
	if (!log_syslog) {
		struct timespec ts;
		struct tm tm;
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = (size_t)snprintf(line, sizeof(line), "%s %04d-%02d-%02dT%02d:%02d:%02d.%06ldZ ",
				     vg_log_level_name(level), tm.tm_year + 1900, tm.tm_mon + 1,
				     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
				     ts.tv_nsec / 1000);
	}
	if (component && n < sizeof(line))
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s: ", component);
	if (n < sizeof(line)) {
		int m = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		if (m > 0)
			n += (size_t)m;
	}
	if (n >= sizeof(line) - 1)
		n = sizeof(line) - 2;
	/* messages are one line: strip a trailing newline the caller may have added */
	while (n > 0 && line[n - 1] == '\n')
		n--;
	if (log_syslog) {
		line[n] = '\0';
		syslog(syslog_priority(level), "%s", line);
		return;
	}
	line[n++] = '\n';
	ssize_t w = write(log_fd, line, n);
	(void)w; /* nowhere to report a failing log */
}

void vg_log(enum vg_log_level level, const char *component, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vg_vlog(level, component, fmt, ap);
	va_end(ap);
}

void vg_complain(struct vg_complaint *c, enum vg_log_level level, const char *component,
		 const char *fmt, ...)
{
	uint64_t now = vg_now_us();
	if (c->active && now < c->next_us) {
		c->suppressed++;
		return;
	}
	char msg[LOG_LINE_MAX / 2];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->active && c->suppressed)
		vg_log(level, component, "%s (repeated %llu times since last logged)", msg,
		       (unsigned long long)c->suppressed);
	else
		vg_log(level, component, "%s", msg);
	if (!c->active) {
		c->active = true;
		c->interval_us = COMPLAIN_FIRST_US;
	} else if (c->interval_us < COMPLAIN_MAX_US) {
		c->interval_us *= 2;
	}
	c->next_us = now + c->interval_us;
	c->suppressed = 0;
}

void vg_complaint_clear(struct vg_complaint *c, enum vg_log_level level, const char *component,
			const char *fmt, ...)
{
	if (!c->active)
		return;
	char msg[LOG_LINE_MAX / 2];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (c->suppressed)
		vg_log(level, component, "%s (after %llu more failures)", msg,
		       (unsigned long long)c->suppressed);
	else
		vg_log(level, component, "%s", msg);
	c->active = false;
	c->suppressed = 0;
	c->interval_us = 0;
	c->next_us = 0;
}
