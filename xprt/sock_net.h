/*
 * sock_net.h - the socket plumbing of the sock driver, in the manner of
 * Redis's anet: resolve a host into addresses, open a listening socket, put
 * an address into words.  Failures go to the caller's struct vg_err; nothing
 * here logs or knows about endpoints.  Internal to xprt/.
 */
#ifndef VIGIL_SOCK_NET_H
#define VIGIL_SOCK_NET_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "core/util.h"

#define SOCK_MAX_ADDRS 4
#define SOCK_PATH_MAX sizeof(((struct sockaddr_un *)0)->sun_path)

/* Where a connect may go: the first few results of name resolution, in order. */
struct sock_addrs {
	struct sockaddr_storage addr[SOCK_MAX_ADDRS];
	socklen_t len[SOCK_MAX_ADDRS];
	int n;
};

/* host: a name, an IPv4 or IPv6 literal, or a UNIX socket path ('/...'). */
int sock_resolve(const char *host, uint16_t port, struct sock_addrs *out, struct vg_err *err);

struct sock_listening {
	int fd;                        /* non-blocking, listening */
	uint16_t port;                 /* the bound port (the kernel's choice for port 0) */
	char local[64];                /* "[::]:411", "127.0.0.1:411", or the path */
	char unix_path[SOCK_PATH_MAX]; /* "" for TCP: the file to remove at close */
};

/*
 * host NULL or "": every address, IPv6 and IPv4 ("::" dual-stack, 0.0.0.0
 * without IPv6); '/...': a UNIX socket made mode 0600, replacing a stale one.
 */
int sock_listen_open(const char *host, uint16_t port, struct sock_listening *out,
		     struct vg_err *err);

/* "127.0.0.1:411", "[::1]:411" (IPv4-mapped IPv6 shown as IPv4), "unix". */
void sock_format_addr(const struct sockaddr_storage *ss, char *buf, size_t size);
uint16_t sock_addr_port(const struct sockaddr_storage *ss);
void sock_local_name(int fd, char *buf, size_t size);
/* Messages are small and latency matters more than packet count. */
void sock_set_nodelay(int fd, int family);

#endif /* VIGIL_SOCK_NET_H */
