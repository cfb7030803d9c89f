/*
 * sock_net.c - socket plumbing for the sock driver: name resolution,
 * listening sockets (TCP dual-stack or UNIX), address strings.
 */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xprt/sock_net.h"

/*
 * Addresses are formatted here rather than with inet_ntop(3): inet_ntop sits
 * among libc's resolver code, which nothing else of a sampler daemon uses,
 * and calling it maps 64 KiB of libc into the daemon for good (the kernel
 * maps file pages 64 KiB at a time).  RFC 5952 text form for IPv6.
 */
static void format_ipv4(const uint8_t *a, char *buf, size_t size)
{
	snprintf(buf, size, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
}

static void format_ipv6(const uint8_t *a, char *buf, size_t size)
{
	uint16_t g[8];
	for (int i = 0; i < 8; i++)
		g[i] = (uint16_t)(a[2 * i] << 8 | a[2 * i + 1]);
	/* the longest run of two or more zero groups (the first if tied) becomes "::" */
	int best = -1, best_len = 1;
	for (int i = 0; i < 8;) {
		int j = i;
		while (j < 8 && g[j] == 0)
			j++;
		if (j - i > best_len) {
			best = i;
			best_len = j - i;
		}
		i = j > i ? j : i + 1;
	}
	size_t n = 0;
	buf[0] = '\0';
	for (int i = 0; i < 8 && n < size; i++) {
		if (i == best) {
			n += (size_t)snprintf(buf + n, size - n, "::");
			i += best_len - 1;
			continue;
		}
		bool colon = i > 0 && i != best + best_len;
		n += (size_t)snprintf(buf + n, size - n, "%s%x", colon ? ":" : "", g[i]);
	}
}

void sock_format_addr(const struct sockaddr_storage *ss, char *buf, size_t size)
{
	char ip[48];
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		format_ipv4((const uint8_t *)&in->sin_addr, ip, sizeof(ip));
		snprintf(buf, size, "%s:%u", ip, ntohs(in->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		/* IPv4 clients of a dual-stack listener read as what they are */
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			format_ipv4(&in6->sin6_addr.s6_addr[12], ip, sizeof(ip));
			snprintf(buf, size, "%s:%u", ip, ntohs(in6->sin6_port));
		} else {
			format_ipv6(in6->sin6_addr.s6_addr, ip, sizeof(ip));
			snprintf(buf, size, "[%s]:%u", ip, ntohs(in6->sin6_port));
		}
	} else {
		vg_strlcpy(buf, "unix", size);
	}
}

uint16_t sock_addr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	if (ss->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	return 0;
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

void sock_local_name(int fd, char *buf, size_t size)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	if (getsockname(fd, (struct sockaddr *)&ss, &len) == 0)
		sock_format_addr(&ss, buf, size);
}

void sock_set_nodelay(int fd, int family)
{
	int one = 1;
	if (family == AF_INET || family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static int unix_addr(const char *path, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_un *un = (struct sockaddr_un *)ss;
	memset(ss, 0, sizeof(*ss));
	if (strlen(path) >= sizeof(un->sun_path))
		return -ENAMETOOLONG;
	un->sun_family = AF_UNIX;
	memcpy(un->sun_path, path, strlen(path) + 1);
	*len = sizeof(*un);
	return 0;
}

/* getaddrinfo's answer, first SOCK_MAX_ADDRS entries, with the port set. */
static int lookup(const char *host, uint16_t port, int flags, struct sock_addrs *out,
		  const char *what, struct vg_err *err)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = flags};
	struct addrinfo *res = NULL;
	int rc = getaddrinfo(host, NULL, &hints, &res);
	if (rc != 0)
		return vg_errf(err, EHOSTUNREACH, "cannot %s %s:%u: cannot resolve '%s': %s (check the host name)",
			       what, host, port, host, rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
	out->n = 0;
	for (struct addrinfo *a = res; a && out->n < SOCK_MAX_ADDRS; a = a->ai_next) {
		if (a->ai_addrlen > sizeof(out->addr[0]))
			continue;
		memset(&out->addr[out->n], 0, sizeof(out->addr[0]));
		memcpy(&out->addr[out->n], a->ai_addr, a->ai_addrlen);
		out->len[out->n] = a->ai_addrlen;
		set_port(&out->addr[out->n++], port);
	}
	freeaddrinfo(res);
	if (out->n == 0)
		return vg_errf(err, EHOSTUNREACH, "cannot %s %s:%u: '%s' has no usable address", what,
			       host, port, host);
	return 0;
}

int sock_resolve(const char *host, uint16_t port, struct sock_addrs *out, struct vg_err *err)
{
	if (host[0] != '/')
		return lookup(host, port, 0, out, "connect to", err);
	out->n = 1;
	if (unix_addr(host, &out->addr[0], &out->len[0]) < 0)
		return vg_errf(err, ENAMETOOLONG, "cannot connect to %s: the path is longer than %zu bytes",
			       host, SOCK_PATH_MAX - 1);
	return 0;
}

static int bind_listen(const struct sockaddr_storage *ss, socklen_t len, bool dual_stack, int *out)
{
	int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	int one = 1, zero = 0;
	if (ss->ss_family != AF_UNIX)
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (dual_stack)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (const struct sockaddr *)ss, len) < 0)
		goto fail;
	/* before listen(): nobody can connect while the mode is still the umask's */
	if (ss->ss_family == AF_UNIX && chmod(((const struct sockaddr_un *)ss)->sun_path, 0600) < 0)
		goto fail;
	if (listen(fd, SOMAXCONN) < 0)
		goto fail;
	*out = fd;
	return 0;
fail:;
	int rc = -errno;
	close(fd);
	return rc;
}

/* A socket file nobody accepts on is left over from a dead process; a live one is not ours. */
static int clear_stale_unix(const char *path, struct vg_err *err)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return 0;
	if (!S_ISSOCK(st.st_mode))
		return vg_errf(err, EEXIST, "cannot listen on %s: the file exists and is not a socket (remove it or choose another path)",
			       path);
	struct sockaddr_storage ss;
	socklen_t len;
	unix_addr(path, &ss, &len);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return vg_errf(err, errno, "cannot listen on %s: socket: %s", path, strerror(errno));
	int rc = connect(fd, (struct sockaddr *)&ss, len);
	int saved = errno;
	close(fd);
	if (rc == 0)
		return vg_errf(err, EADDRINUSE, "cannot listen on %s: another process is listening there (stop it or choose another path)",
			       path);
	if (saved == ECONNREFUSED && unlink(path) < 0 && errno != ENOENT)
		return vg_errf(err, errno, "cannot listen on %s: removing the stale socket: %s", path,
			       strerror(errno));
	return 0;
}

static int listen_unix(const char *path, struct sock_listening *out, struct vg_err *err)
{
	struct sockaddr_storage ss;
	socklen_t len;
	if (unix_addr(path, &ss, &len) < 0)
		return vg_errf(err, ENAMETOOLONG, "cannot listen on %s: the path is longer than %zu bytes",
			       path, SOCK_PATH_MAX - 1);
	int rc = clear_stale_unix(path, err);
	if (rc < 0)
		return rc;
	rc = bind_listen(&ss, len, false, &out->fd);
	if (rc < 0)
		return vg_errf(err, -rc, "cannot listen on %s: %s (check the directory exists and is writable)",
			       path, strerror(-rc));
	vg_strlcpy(out->unix_path, path, sizeof(out->unix_path));
	vg_strlcpy(out->local, path, sizeof(out->local));
	out->port = 0;
	return 0;
}

int sock_listen_open(const char *host, uint16_t port, struct sock_listening *out,
		     struct vg_err *err)
{
	memset(out, 0, sizeof(*out));
	out->fd = -1;
	if (host && host[0] == '/')
		return listen_unix(host, out, err);
	int rc;
	if (!host || !host[0]) {
		struct sock_addrs any = {.n = 1};
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&any.addr[0];
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		in6->sin6_addr = in6addr_any;
		rc = bind_listen(&any.addr[0], sizeof(*in6), true, &out->fd);
		if (rc == -EAFNOSUPPORT || rc == -EADDRNOTAVAIL) {
			struct sockaddr_in *in = (struct sockaddr_in *)&any.addr[0];
			memset(&any.addr[0], 0, sizeof(any.addr[0]));
			in->sin_family = AF_INET;
			in->sin_port = htons(port);
			in->sin_addr.s_addr = htonl(INADDR_ANY);
			rc = bind_listen(&any.addr[0], sizeof(*in), false, &out->fd);
		}
	} else {
		struct sock_addrs addrs;
		rc = lookup(host, port, AI_PASSIVE, &addrs, "listen on", err);
		if (rc < 0)
			return rc;
		rc = -EADDRNOTAVAIL;
		for (int i = 0; i < addrs.n && rc < 0; i++)
			rc = bind_listen(&addrs.addr[i], addrs.len[i], false, &out->fd);
	}
	if (rc < 0)
		return vg_errf(err, -rc, "cannot listen on %s:%u: %s%s", host && host[0] ? host : "*",
			       port, strerror(-rc),
			       rc == -EADDRINUSE ? " (another process uses the port: stop it or choose another port)"
						 : "");
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);
	if (getsockname(out->fd, (struct sockaddr *)&bound, &blen) == 0) {
		out->port = sock_addr_port(&bound);
		sock_format_addr(&bound, out->local, sizeof(out->local));
	}
	return 0;
}
