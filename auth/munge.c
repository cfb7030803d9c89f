/*
 * munge.c - the "munge" authentication plugin: the local munged vouches for
 * the client's uid/gid, the server's munged (same key) decodes it.
 *
 * The credential is munge_encode()'s text with the server's nonce as payload,
 * so a credential is good for one connection only; munged's replay cache
 * also refuses a second decode.  Both calls talk to munged over its socket
 * and may block briefly.
 *
 * When munged is down, libmunge retries the connection for ~2 s.  Once a
 * call has found it down, later calls first check the socket themselves and
 * fail at once while it stays down, so a daemon accepting many peers is not
 * stalled; the first call that finds munged back clears that.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <munge.h>

#include "plugins/plugin.h"

struct munge_plug {
	char socket[sizeof(((struct sockaddr_un *)0)->sun_path)];
	atomic_bool down; /* the last call could not reach munged */
};

static const char *const attrs[] = {"socket", NULL};

static const char *munge_usage(void)
{
	return "auth_add name=<domain> plugin=munge [socket=<munged socket>]\n"
	       "    Credentials from munged (same key on every host): the peer's uid/gid\n"
	       "    are those munged vouches for.  socket= defaults to munge's own.\n";
}

static int munge_config(struct vg_plugin *p, const struct vg_kvlist *kv, struct vg_err *err)
{
	const char *sock = vg_kv_get(kv, "socket");
	char fallback[sizeof(((struct munge_plug *)0)->socket)] = "";
	if (!sock || !sock[0]) {
		munge_ctx_t c = munge_ctx_create();
		char *dflt = NULL;
		if (!c)
			return vg_errf(err, ENOMEM, "out of memory creating a munge context");
		if (munge_ctx_get(c, MUNGE_OPT_SOCKET, &dflt) == EMUNGE_SUCCESS && dflt)
			vg_strlcpy(fallback, dflt, sizeof(fallback));
		munge_ctx_destroy(c);
		if (!fallback[0])
			return vg_errf(err, EINVAL, "libmunge has no default socket: give socket=PATH");
		sock = fallback;
	}
	if (strlen(sock) >= sizeof(((struct munge_plug *)0)->socket))
		return vg_errf(err, ENAMETOOLONG, "socket=%s: path too long for a unix socket", sock);
	struct munge_plug *m = vg_plugin_ctx(p);
	if (!m) {
		m = calloc(1, sizeof(*m));
		if (!m)
			return vg_errf(err, ENOMEM, "out of memory configuring auth munge");
		vg_plugin_ctx_set(p, m);
	}
	vg_strlcpy(m->socket, sock, sizeof(m->socket));
	atomic_store(&m->down, false);
	return 0;
}

static void munge_term(struct vg_plugin *p)
{
	free(vg_plugin_ctx(p));
	vg_plugin_ctx_set(p, NULL);
}

/* ------------------------------------------------------------------ munged's state */

/* munged cannot be reached: say which socket and how to fix it. */
static int not_running(struct munge_plug *m, struct vg_err *err)
{
	atomic_store(&m->down, true);
	struct stat st;
	if (stat(m->socket, &st) < 0 && errno == ENOENT)
		return vg_errf(err, ENOENT,
			       "munged is not running on %s: start it (systemctl start munge, or "
			       "munged --socket=%s)",
			       m->socket, m->socket);
	if (access(m->socket, R_OK | W_OK) < 0 && errno == EACCES)
		return vg_errf(err, EACCES,
			       "no permission to use munged's socket %s: fix the permissions of "
			       "the socket and its directories",
			       m->socket);
	return vg_errf(err, ECONNREFUSED,
		       "munged is not running on %s: start it (systemctl start munge, or "
		       "munged --socket=%s)",
		       m->socket, m->socket);
}

/* While munged is known down, fail fast instead of letting libmunge retry. */
static int still_down(struct munge_plug *m, struct vg_err *err)
{
	struct stat st;
	if (stat(m->socket, &st) < 0 && errno == ENOENT)
		return not_running(m, err);
	if (!atomic_load(&m->down))
		return 0;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return 0; /* let libmunge report it */
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	vg_strlcpy(sa.sun_path, m->socket, sizeof(sa.sun_path));
	int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	int e = errno;
	close(fd);
	if (rc < 0 && e == ECONNREFUSED)
		return not_running(m, err);
	return 0;
}

static int new_ctx(const struct munge_plug *m, munge_ctx_t *out, struct vg_err *err)
{
	munge_ctx_t c = munge_ctx_create();
	if (!c)
		return vg_errf(err, ENOMEM, "out of memory creating a munge context");
	if (munge_ctx_set(c, MUNGE_OPT_SOCKET, m->socket) != EMUNGE_SUCCESS) {
		int rc = vg_errf(err, EINVAL, "libmunge refused socket %s: %s", m->socket,
				 munge_ctx_strerror(c));
		munge_ctx_destroy(c);
		return rc;
	}
	*out = c;
	return 0;
}

/*
 * libmunge write()s to munged's socket: if munged dies mid-call that raises
 * SIGPIPE, which would kill a tool that does not ignore it.  Hold it blocked
 * for the call and discard one it raised.
 */
static void pipe_guard(sigset_t *old)
{
	sigset_t s;
	sigemptyset(&s);
	sigaddset(&s, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &s, old);
}

static void pipe_release(const sigset_t *old)
{
	if (sigismember(old, SIGPIPE))
		return; /* was blocked before us: not ours to consume */
	sigset_t s, pending;
	sigemptyset(&s);
	sigaddset(&s, SIGPIPE);
	if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE)) {
		struct timespec zero = {0, 0};
		sigtimedwait(&s, NULL, &zero);
	}
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

/* ------------------------------------------------------------------ exchange */

static int check_ready(const struct munge_plug *m, size_t nonce_len, struct vg_err *err)
{
	if (!m)
		return vg_errf(err, EINVAL, "auth munge is not configured");
	if (nonce_len == 0 || nonce_len > VG_AUTH_NONCE_LEN * 2)
		return vg_errf(err, EPROTO, "challenge nonce of %zu bytes", nonce_len);
	return 0;
}

static int munge_respond(struct vg_plugin *p, const uint8_t *nonce, size_t nonce_len,
			 uint8_t *out, size_t out_cap, size_t *out_len, struct vg_err *err)
{
	struct munge_plug *m = vg_plugin_ctx(p);
	int rc = check_ready(m, nonce_len, err);
	if (rc || (rc = still_down(m, err)))
		return rc;
	munge_ctx_t c;
	if ((rc = new_ctx(m, &c, err)))
		return rc;
	char *cred = NULL;
	sigset_t old;
	pipe_guard(&old);
	munge_err_t e = munge_encode(&cred, c, nonce, (int)nonce_len);
	pipe_release(&old);
	if (e == EMUNGE_SUCCESS) {
		size_t len = strlen(cred);
		if (len > out_cap) {
			rc = vg_errf(err, EOVERFLOW, "munge credential of %zu bytes exceeds %zu", len,
				     out_cap);
		} else {
			memcpy(out, cred, len);
			*out_len = len;
			atomic_store(&m->down, false);
		}
	} else if (e == EMUNGE_SOCKET) {
		rc = not_running(m, err);
	} else {
		rc = vg_errf(err, EIO, "munged on %s could not make a credential: %s", m->socket,
			     munge_ctx_strerror(c) ? munge_ctx_strerror(c) : munge_strerror(e));
	}
	free(cred);
	munge_ctx_destroy(c);
	return rc;
}

/* A munge_decode() failure as an errno and a sentence. */
static int decode_error(struct munge_plug *m, munge_ctx_t c, munge_err_t e, struct vg_err *err)
{
	const char *detail = munge_ctx_strerror(c) ? munge_ctx_strerror(c) : munge_strerror(e);
	switch (e) {
	case EMUNGE_SOCKET:
		return not_running(m, err);
	case EMUNGE_CRED_REPLAYED:
		return vg_errf(err, EACCES, "replayed credential: munged on %s has already "
			       "decoded it", m->socket);
	case EMUNGE_CRED_EXPIRED:
		return vg_errf(err, EACCES, "expired credential (clocks out of sync?): check the "
			       "peer's and this host's time");
	case EMUNGE_CRED_REWOUND:
		return vg_errf(err, EACCES, "credential from the future (clocks out of sync?): "
			       "check the peer's and this host's time");
	case EMUNGE_CRED_INVALID:
	case EMUNGE_BAD_REALM:
		return vg_errf(err, EACCES, "credential rejected: the peer's munge key differs "
			       "from ours (munged on %s): install the same munge.key on both hosts",
			       m->socket);
	case EMUNGE_CRED_UNAUTHORIZED:
		return vg_errf(err, EACCES, "credential rejected by munged on %s: %s", m->socket,
			       detail);
	case EMUNGE_BAD_CRED:
	case EMUNGE_BAD_VERSION:
	case EMUNGE_BAD_CIPHER:
	case EMUNGE_BAD_MAC:
	case EMUNGE_BAD_ZIP:
	case EMUNGE_BAD_LENGTH:
		return vg_errf(err, EPROTO, "malformed munge credential: %s", detail);
	default:
		return vg_errf(err, EIO, "munged on %s could not decode the credential: %s",
			       m->socket, detail);
	}
}

static int munge_verify(struct vg_plugin *p, const uint8_t *nonce, size_t nonce_len,
			const uint8_t *blob, size_t blob_len, uint32_t *uid, uint32_t *gid,
			struct vg_err *err)
{
	struct munge_plug *m = vg_plugin_ctx(p);
	int rc = check_ready(m, nonce_len, err);
	if (rc)
		return rc;
	/* munge_decode takes a C string: refuse what is not one before copying */
	if (!blob || blob_len == 0 || blob_len > VG_AUTH_BLOB_MAX || memchr(blob, '\0', blob_len))
		return vg_errf(err, EPROTO, "malformed munge credential (%zu bytes)", blob_len);
	if ((rc = still_down(m, err)))
		return rc;
	char cred[VG_AUTH_BLOB_MAX + 1];
	memcpy(cred, blob, blob_len);
	cred[blob_len] = '\0';
	munge_ctx_t c;
	if ((rc = new_ctx(m, &c, err)))
		return rc;
	void *payload = NULL;
	int plen = 0;
	uid_t u = 0;
	gid_t g = 0;
	sigset_t old;
	pipe_guard(&old);
	munge_err_t e = munge_decode(cred, c, &payload, &plen, &u, &g);
	pipe_release(&old);
	if (e != EMUNGE_SUCCESS) {
		rc = decode_error(m, c, e, err);
	} else {
		atomic_store(&m->down, false);
		if (plen < 0 || (size_t)plen != nonce_len || memcmp(payload, nonce, nonce_len) != 0)
			rc = vg_errf(err, EACCES, "credential for another connection: its payload is "
				     "not this connection's nonce");
		else {
			*uid = (uint32_t)u;
			*gid = (uint32_t)g;
		}
	}
	free(payload); /* libmunge allocates it even for some failures */
	munge_ctx_destroy(c);
	return rc;
}

const struct vg_plugin_ops vigil_plugin = {
	.api_version = VG_PLUGIN_API_VERSION,
	.size = sizeof(struct vg_plugin_ops),
	.name = "munge",
	.type = VG_PLUGIN_AUTH,
	.summary = "credentials from munged: the peer's uid/gid as munge vouches",
	.usage = munge_usage,
	.config = munge_config,
	.term = munge_term,
	.attrs = attrs,
	.auth_respond = munge_respond,
	.auth_verify = munge_verify,
};
