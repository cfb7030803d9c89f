/*
 * etcd_fixture.h - what test_etcd.c runs against: a real etcd on loopback
 * (its own data dir and free ports, waited for with a deadline, killed by
 * PID and its dir removed at exit, also when the test dies), and a fake
 * HTTP server thread that answers every request with scripted bytes.
 *
 * Shared by test_etcd.c and test_etcd_hostile.c (one program).
 */
#ifndef VIGIL_ETCD_FIXTURE_H
#define VIGIL_ETCD_FIXTURE_H

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "balancer/etcd.h"
#include "core/util.h"

static inline void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* A port nobody listens on right now (bound, read, released). */
static inline int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int port = -1;
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* ------------------------------------------------------------------ real etcd */

struct etcd_srv {
	char dir[256];
	char endpoint[64];
	int client_port, peer_port;
	pid_t pid;
};

static inline const char *etcd_path(void)
{
	static char path[512];
	const char *env = getenv("VIGIL_ETCD");
	if (env && *env)
		return access(env, X_OK) == 0 ? env : NULL;
	char dirs[2048];
	snprintf(dirs, sizeof(dirs), "%s:/usr/bin:/usr/local/bin", getenv("PATH") ? getenv("PATH") : "");
	char *save = NULL;
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		snprintf(path, sizeof(path), "%s/etcd", d);
		if (access(path, X_OK) == 0)
			return path;
	}
	return NULL;
}

static inline void etcd_dump_log(const struct etcd_srv *s)
{
	char name[300], line[1024];
	snprintf(name, sizeof(name), "%s/etcd.log", s->dir);
	FILE *f = fopen(name, "r");
	int n = 0;
	while (f && fgets(line, sizeof(line), f))
		n++;
	if (f)
		rewind(f);
	for (int i = 0; f && fgets(line, sizeof(line), f); i++)
		if (i >= n - 30)
			fprintf(stderr, "etcd: %s", line);
	if (f)
		fclose(f);
}

static inline void etcd_spawn(struct etcd_srv *s)
{
	char client[64], peer[64], cluster[96], data[300], logf[300];
	snprintf(client, sizeof(client), "http://127.0.0.1:%d", s->client_port);
	snprintf(peer, sizeof(peer), "http://127.0.0.1:%d", s->peer_port);
	snprintf(cluster, sizeof(cluster), "default=%s", peer);
	snprintf(data, sizeof(data), "%s/data", s->dir);
	snprintf(logf, sizeof(logf), "%s/etcd.log", s->dir);
	snprintf(s->endpoint, sizeof(s->endpoint), "127.0.0.1:%d", s->client_port);
	const char *bin = etcd_path();
	pid_t parent = getpid();
	fflush(NULL);
	s->pid = fork();
	if (s->pid == 0) {
		/* dies with the test, whatever kills the test */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		int fd = open(logf, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl(bin, "etcd", "--name", "default", "--data-dir", data,
		      "--listen-client-urls", client, "--advertise-client-urls", client,
		      "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer,
		      "--initial-cluster", cluster, "--log-level", "warn", (char *)NULL);
		_exit(127);
	}
}

/* Wait until etcd answers a read: true, or false if it exited or the
 * deadline passed. */
static inline bool etcd_wait_ready(struct etcd_srv *s, unsigned ms)
{
	struct vg_err err;
	struct vg_etcd *e = vg_etcd_open(s->endpoint, 500, &err);
	if (!e)
		return false;
	uint64_t deadline = vg_mono_us() + (uint64_t)ms * 1000;
	bool ready = false;
	while (!ready && vg_mono_us() < deadline) {
		char buf[8];
		size_t len = sizeof(buf);
		int rc = vg_etcd_get(e, "/fixture/probe", buf, &len, NULL, &err);
		ready = rc == 0 || rc == -ENOENT;
		if (!ready) {
			if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
				s->pid = 0;
				break;
			}
			sleep_ms(50);
		}
	}
	vg_etcd_close(e);
	return ready;
}

static inline void etcd_stop(struct etcd_srv *s, int sig)
{
	if (s->pid > 0) {
		kill(s->pid, sig);
		waitpid(s->pid, NULL, 0);
	}
	s->pid = 0;
}

/* Start etcd on fresh ports, retrying if another test took one meanwhile. */
static inline bool etcd_start(struct etcd_srv *s)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(s->dir, sizeof(s->dir), "%s/vigil-etcd-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(s->dir)) {
		s->dir[0] = '\0';
		return false;
	}
	for (int attempt = 0; attempt < 3; attempt++) {
		s->client_port = free_port();
		s->peer_port = free_port();
		if (s->client_port < 0 || s->peer_port < 0 || s->client_port == s->peer_port)
			continue;
		etcd_spawn(s);
		if (s->pid > 0 && etcd_wait_ready(s, 20000))
			return true;
		etcd_stop(s, SIGKILL);
	}
	etcd_dump_log(s);
	return false;
}

/* Start it again on the same ports and data, after etcd_stop(). */
static inline bool etcd_restart(struct etcd_srv *s)
{
	etcd_spawn(s);
	return s->pid > 0;
}

static inline int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static inline void etcd_cleanup(struct etcd_srv *s)
{
	etcd_stop(s, SIGKILL);
	if (s->dir[0])
		nftw(s->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	s->dir[0] = '\0';
}

/* ------------------------------------------------------------------ fake server */

/*
 * Answers each request it reads (headers and Content-Length body) with the
 * current script: reply bytes, then keep the connection, close it, or say
 * nothing until the client gives up (silent).
 */
struct fake_http {
	int listen_fd;
	int port;
	char endpoint[64];
	pthread_t thread;
	pthread_mutex_t lock;
	bool stop;
	char *reply;
	size_t reply_len;
	bool close_after, silent;
	int requests, accepts;
};

static inline bool fake_read_request(int fd, struct fake_http *f)
{
	char buf[65536];
	size_t len = 0;
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int n = poll(&p, 1, 100);
		pthread_mutex_lock(&f->lock);
		bool stop = f->stop;
		pthread_mutex_unlock(&f->lock);
		if (stop)
			return false;
		if (n <= 0)
			continue;
		ssize_t got = recv(fd, buf + len, sizeof(buf) - 1 - len, 0);
		if (got <= 0)
			return false;
		len += (size_t)got;
		buf[len] = '\0';
		char *end = strstr(buf, "\r\n\r\n");
		if (!end)
			continue;
		const char *cl = strcasestr(buf, "Content-Length:");
		size_t body = cl ? strtoul(cl + 15, NULL, 10) : 0;
		if (len >= (size_t)(end + 4 - buf) + body)
			return true;  /* one request at a time: nothing follows */
	}
}

static inline void *fake_main(void *arg)
{
	struct fake_http *f = arg;
	for (;;) {
		pthread_mutex_lock(&f->lock);
		bool stop = f->stop;
		pthread_mutex_unlock(&f->lock);
		if (stop)
			return NULL;
		struct pollfd p = {.fd = f->listen_fd, .events = POLLIN};
		if (poll(&p, 1, 100) <= 0)
			continue;
		int fd = accept4(f->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		pthread_mutex_lock(&f->lock);
		f->accepts++;
		pthread_mutex_unlock(&f->lock);
		while (fake_read_request(fd, f)) {
			pthread_mutex_lock(&f->lock);
			f->requests++;
			bool silent = f->silent, close_after = f->close_after;
			size_t len = f->reply_len;
			char *reply = malloc(len + 1);
			if (reply && len)
				memcpy(reply, f->reply, len);
			pthread_mutex_unlock(&f->lock);
			if (silent) {
				char c;
				while (recv(fd, &c, 1, 0) > 0)  /* until the client gives up */
					;
				free(reply);
				break;
			}
			for (size_t off = 0; reply && off < len;) {
				ssize_t n = send(fd, reply + off, len - off, MSG_NOSIGNAL);
				if (n <= 0)
					break;
				off += (size_t)n;
			}
			free(reply);
			if (close_after)
				break;
		}
		close(fd);
	}
}

static inline bool fake_start(struct fake_http *f)
{
	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->lock, NULL);
	f->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	if (f->listen_fd < 0 || bind(f->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    getsockname(f->listen_fd, (struct sockaddr *)&sa, &len) != 0 ||
	    listen(f->listen_fd, 8) != 0)
		return false;
	f->port = ntohs(sa.sin_port);
	snprintf(f->endpoint, sizeof(f->endpoint), "127.0.0.1:%d", f->port);
	return pthread_create(&f->thread, NULL, fake_main, f) == 0;
}

/* The next requests get reply (len bytes; NULL: silence). */
static inline void fake_script(struct fake_http *f, const char *reply, size_t len, bool close_after)
{
	pthread_mutex_lock(&f->lock);
	free(f->reply);
	f->reply = NULL;
	f->reply_len = 0;
	if (reply) {
		f->reply = malloc(len ? len : 1);
		memcpy(f->reply, reply, len);
		f->reply_len = len;
	}
	f->silent = !reply;
	f->close_after = close_after;
	pthread_mutex_unlock(&f->lock);
}

/* Requests and connections so far. */
static inline void fake_counts(struct fake_http *f, int *requests, int *accepts)
{
	pthread_mutex_lock(&f->lock);
	*requests = f->requests;
	*accepts = f->accepts;
	pthread_mutex_unlock(&f->lock);
}

static inline void fake_stop(struct fake_http *f)
{
	pthread_mutex_lock(&f->lock);
	f->stop = true;
	pthread_mutex_unlock(&f->lock);
	pthread_join(f->thread, NULL);
	close(f->listen_fd);
	free(f->reply);
	pthread_mutex_destroy(&f->lock);
}

/* test_etcd_hostile.c */
void test_hostile(void);
void test_chunked(void);
void test_silent(void);
void test_fuzz(void);

#endif /* VIGIL_ETCD_FIXTURE_H */
