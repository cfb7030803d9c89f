/*
 * munged_fixture.h - a private munged for unit tests, the C twin of
 * tests/lib/munge.sh: its own key, socket, pid, log and seed files in a
 * directory of the test's, run in the foreground as the test's user, waited
 * for until its socket accepts, stopped by PID.
 *
 *     struct munged m;
 *     if (!munge_available()) return;      // skip, or fail with VIGIL_REQUIRE_MUNGE
 *     munged_start(&m, tmpdir, "a");      // m.socket; the key stays across restarts
 *     munged_stop(&m, SIGTERM);           // SIGKILL leaves the socket behind
 *
 * Included by one test program (static functions, like cu_main.h).
 */
#ifndef VIGIL_MUNGED_FIXTURE_H
#define VIGIL_MUNGED_FIXTURE_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/unit/cu_main.h"

struct munged {
	char dir[300];
	char socket[320];
	char log[320];
	pid_t pid;
};

static const char *munged_path(void)
{
	static char path[512];
	const char *env = getenv("PATH");
	char dirs[2048];
	/* /usr/sbin is not in a normal user's PATH on Debian */
	snprintf(dirs, sizeof(dirs), "%s:/usr/sbin:/sbin:/usr/local/sbin", env ? env : "");
	char *save = NULL;
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(path, sizeof(path), "%s/munged", d);
		if (access(path, X_OK) == 0)
			return path;
	}
	return NULL;
}

/* True if the munge cases can run; otherwise say why (a failure in CI). */
static bool munge_available(void)
{
	if (munged_path())
		return true;
	if (getenv("VIGIL_REQUIRE_MUNGE")) {
		fprintf(stderr, "munged not found but VIGIL_REQUIRE_MUNGE is set\n");
		CU_FAIL("munged not installed (apt-get install munge)");
	} else {
		printf("\n  SKIP: munged not found in PATH, /usr/sbin or /sbin (apt-get install munge)\n");
	}
	return false;
}

static bool socket_accepts(const char *path)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t len = strlen(path);
	if (len >= sizeof(sa.sun_path)) {
		close(fd);
		return false;
	}
	memcpy(sa.sun_path, path, len + 1);
	bool ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

static void dump_log(const struct munged *m)
{
	FILE *f = fopen(m->log, "r");
	char line[512];
	while (f && fgets(line, sizeof(line), f))
		fprintf(stderr, "munged: %s", line);
	if (f)
		fclose(f);
}

/*
 * Start munged NAME under base (0711: munged wants every directory of its
 * socket searchable by all).  Its key is made once and kept across restarts.
 */
static void munged_start(struct munged *m, const char *base, const char *name)
{
	CU_ASSERT_EQUAL_FATAL(chmod(base, 0711), 0);
	snprintf(m->dir, sizeof(m->dir), "%s/munge-%s", base, name);
	snprintf(m->socket, sizeof(m->socket), "%s/munge.sock", m->dir);
	snprintf(m->log, sizeof(m->log), "%s/munged.out", m->dir);
	mkdir(m->dir, 0755);
	CU_ASSERT_EQUAL_FATAL(chmod(m->dir, 0755), 0);
	char key[400], pid[400], seed[400], logf[400];
	snprintf(key, sizeof(key), "%s/munge.key", m->dir);
	snprintf(pid, sizeof(pid), "%s/munged.pid", m->dir);
	snprintf(seed, sizeof(seed), "%s/munged.seed", m->dir);
	snprintf(logf, sizeof(logf), "%s/munged.log", m->dir);
	if (access(key, F_OK) != 0) {
		uint8_t bytes[1024];
		CU_ASSERT_EQUAL_FATAL(getrandom(bytes, sizeof(bytes), 0), (ssize_t)sizeof(bytes));
		int fd = open(key, O_WRONLY | O_CREAT | O_EXCL, 0600);
		CU_ASSERT_TRUE_FATAL(fd >= 0);
		CU_ASSERT_EQUAL_FATAL(write(fd, bytes, sizeof(bytes)), (ssize_t)sizeof(bytes));
		close(fd);
	}
	char a_sock[420], a_key[420], a_pid[420], a_seed[420], a_log[420];
	snprintf(a_sock, sizeof(a_sock), "--socket=%s", m->socket);
	snprintf(a_key, sizeof(a_key), "--key-file=%s", key);
	snprintf(a_pid, sizeof(a_pid), "--pid-file=%s", pid);
	snprintf(a_seed, sizeof(a_seed), "--seed-file=%s", seed);
	snprintf(a_log, sizeof(a_log), "--log-file=%s", logf);
	const char *bin = munged_path();
	CU_ASSERT_PTR_NOT_NULL_FATAL(bin);
	fflush(NULL);
	m->pid = fork();
	CU_ASSERT_TRUE_FATAL(m->pid >= 0);
	if (m->pid == 0) {
		int fd = open(m->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(bin, "munged", "--foreground", a_sock, a_key, a_pid, a_seed, a_log,
		      (char *)NULL);
		_exit(127);
	}
	/* up when it accepts on its socket (it logs the probe as an incomplete message) */
	for (int i = 0; i < 1500; i++) {
		if (socket_accepts(m->socket))
			return;
		int status;
		if (waitpid(m->pid, &status, WNOHANG) == m->pid) {
			dump_log(m);
			m->pid = 0;
			CU_FAIL_FATAL("munged exited at start");
		}
		sleep_ms(10);
	}
	dump_log(m);
	CU_FAIL_FATAL("munged did not come up within 15 s");
}

/* Stop by PID with sig; SIGTERM removes the socket, SIGKILL leaves it behind. */
static void munged_stop(struct munged *m, int sig)
{
	if (m->pid <= 0)
		return;
	kill(m->pid, sig);
	for (int i = 0; i < 1000; i++) {
		if (waitpid(m->pid, NULL, WNOHANG) == m->pid) {
			m->pid = 0;
			return;
		}
		sleep_ms(10);
	}
	kill(m->pid, SIGKILL);
	waitpid(m->pid, NULL, 0);
	m->pid = 0;
	CU_FAIL("munged did not exit within 10 s of a signal");
}

#endif /* VIGIL_MUNGED_FIXTURE_H */
