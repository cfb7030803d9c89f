/*
 * test_auth.c - the auth plugins none, ovis and munge, loaded from
 * VIGIL_PLUGIN_PATH as the daemon loads them: respond on the client side,
 * verify on the server side, in one process.
 *
 * The munge cases run real munged processes (own key, socket, pid and seed
 * files in a temporary directory, as tests/lib/munge.sh does), started and
 * stopped by PID.  Without the munge binaries they are skipped with a
 * message, unless VIGIL_REQUIRE_MUNGE is set (CI), where that is a failure.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plugins/host.h"
#include "tests/unit/cu_main.h"
#ifdef HAVE_MUNGE
#include "tests/unit/munged_fixture.h"
#endif

static struct vg_plugin_host host; /* auth plugins need no pool, directory or loop */

/* ------------------------------------------------------------------ helpers */

struct kvbuf {
	char text[1024];
	struct vg_kv items[8];
	struct vg_kvlist list;
};

/* "k=v k=v" as a kvlist, valid while b lives. */
static const struct vg_kvlist *kvl(struct kvbuf *b, const char *attrs)
{
	snprintf(b->text, sizeof(b->text), "%s", attrs);
	b->list.count = 0;
	b->list.items = b->items;
	char *save = NULL;
	for (char *tok = strtok_r(b->text, " ", &save); tok && b->list.count < 8;
	     tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '=');
		if (eq)
			*eq = '\0';
		b->items[b->list.count].key = tok;
		b->items[b->list.count].value = eq ? eq + 1 : "";
		b->list.count++;
	}
	return &b->list;
}

/* Load plugin and configure it with attrs; *rc is config's result. */
static struct vg_plugin *load(const char *plugin, const char *attrs, int *rc,
			      struct vg_err *err)
{
	struct vg_plugin *p = NULL;
	vg_err_clear(err);
	int lrc = vg_plugin_load(&host, plugin, plugin, &p, err);
	if (lrc)
		fprintf(stderr, "load %s: %s\n", plugin, err->msg);
	CU_ASSERT_EQUAL_FATAL(lrc, 0);
	CU_ASSERT_EQUAL_FATAL(p->ops->type, VG_PLUGIN_AUTH);
	struct kvbuf kb;
	*rc = vg_plugin_configure(p, kvl(&kb, attrs), err);
	return p;
}

/* Load and configure, which must succeed. */
static struct vg_plugin *load_ok(const char *plugin, const char *attrs)
{
	struct vg_err err;
	int rc;
	struct vg_plugin *p = load(plugin, attrs, &rc, &err);
	if (rc)
		fprintf(stderr, "config %s %s: %s\n", plugin, attrs, err.msg);
	CU_ASSERT_EQUAL_FATAL(rc, 0);
	return p;
}

/* config must fail with code and a message containing want; unloads. */
static void config_fails(const char *plugin, const char *attrs, int code, const char *want)
{
	struct vg_err err;
	int rc;
	struct vg_plugin *p = load(plugin, attrs, &rc, &err);
	CU_ASSERT_EQUAL(rc, -code);
	if (!strstr(err.msg, want))
		fprintf(stderr, "config %s %s: '%s' lacks '%s'\n", plugin, attrs, err.msg, want);
	CU_ASSERT_PTR_NOT_NULL(strstr(err.msg, want));
	vg_plugin_unload(p);
}

static void make_nonce(uint8_t nonce[VG_AUTH_NONCE_LEN])
{
	CU_ASSERT_EQUAL_FATAL(getrandom(nonce, VG_AUTH_NONCE_LEN, 0), VG_AUTH_NONCE_LEN);
}

struct cred {
	uint8_t blob[VG_AUTH_BLOB_MAX];
	size_t len;
};

static int respond(struct vg_plugin *p, const uint8_t *nonce, struct cred *c, struct vg_err *err)
{
	vg_err_clear(err);
	c->len = 0;
	return p->ops->auth_respond(p, nonce, VG_AUTH_NONCE_LEN, c->blob, sizeof(c->blob),
				    &c->len, err);
}

static int verify(struct vg_plugin *p, const uint8_t *nonce, const uint8_t *blob, size_t len,
		  uint32_t *uid, uint32_t *gid, struct vg_err *err)
{
	vg_err_clear(err);
	*uid = *gid = 0xdeadbeef;
	return p->ops->auth_verify(p, nonce, VG_AUTH_NONCE_LEN, blob, len, uid, gid, err);
}

static void assert_msg(const struct vg_err *err, const char *want)
{
	if (!strstr(err->msg, want))
		fprintf(stderr, "message '%s' lacks '%s'\n", err->msg, want);
	CU_ASSERT_PTR_NOT_NULL(strstr(err->msg, want));
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#if defined(HAVE_OPENSSL) || defined(HAVE_MUNGE)
struct tmpdir {
	char path[256];
};

static void tmp_make(struct tmpdir *t)
{
	const char *base = getenv("TMPDIR");
	snprintf(t->path, sizeof(t->path), "%s/vigil-auth-XXXXXX", base ? base : "/tmp");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(t->path));
}

/* Remove t and what it holds (one level of subdirectories: the munged dirs). */
static void tmp_remove_dir(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *de;
	char sub[512];
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		if (unlink(sub) < 0 && errno == EISDIR)
			tmp_remove_dir(sub);
	}
	closedir(d);
	rmdir(path);
}

static void tmp_remove(struct tmpdir *t)
{
	tmp_remove_dir(t->path);
}
#endif

#ifdef HAVE_OPENSSL
static void write_file(const char *path, const char *text, mode_t mode)
{
	unlink(path);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CU_ASSERT_TRUE_FATAL(fd >= 0);
	size_t len = strlen(text);
	CU_ASSERT_EQUAL_FATAL(write(fd, text, len), (ssize_t)len);
	CU_ASSERT_EQUAL_FATAL(fchmod(fd, mode), 0);
	close(fd);
}
#endif

/* ------------------------------------------------------------------ none */

static void test_none_roundtrip(void)
{
	struct vg_plugin *client = load_ok("none", "");
	struct vg_plugin *server = load_ok("none", "");
	uint8_t nonce[VG_AUTH_NONCE_LEN];
	make_nonce(nonce);
	struct cred c;
	struct vg_err err;
	CU_ASSERT_EQUAL(respond(client, nonce, &c, &err), 0);
	CU_ASSERT_EQUAL(c.len, 8);
	CU_ASSERT_EQUAL(le32(c.blob), (uint32_t)getuid());
	CU_ASSERT_EQUAL(le32(c.blob + 4), (uint32_t)getgid());
	uint32_t uid, gid;
	CU_ASSERT_EQUAL(verify(server, nonce, c.blob, c.len, &uid, &gid, &err), 0);
	CU_ASSERT_EQUAL(uid, (uint32_t)getuid());
	CU_ASSERT_EQUAL(gid, (uint32_t)getgid());
	vg_plugin_unload(client);
	vg_plugin_unload(server);
}

/* Anyone may claim any ids with none: that is the point, and the danger. */
static void test_none_claimed_ids(void)
{
	struct vg_plugin *client = load_ok("none", "uid=1234 gid=root");
	struct vg_plugin *server = load_ok("none", "");
	uint8_t nonce[VG_AUTH_NONCE_LEN];
	make_nonce(nonce);
	struct cred c;
	struct vg_err err;
	uint32_t uid, gid;
	CU_ASSERT_EQUAL(respond(client, nonce, &c, &err), 0);
	CU_ASSERT_EQUAL(verify(server, nonce, c.blob, c.len, &uid, &gid, &err), 0);
	CU_ASSERT_EQUAL(uid, 1234);
	CU_ASSERT_EQUAL(gid, 0);
	vg_plugin_unload(client);
	vg_plugin_unload(server);

	config_fails("none", "uid=no_such_user_zz", EINVAL, "no such user");
	config_fails("none", "gid=12x", EINVAL, "gid=12x");
	config_fails("none", "uid=4294967295", EINVAL, "uid=4294967295");
	config_fails("none", "socket=/x", EINVAL, "unknown attribute 'socket'");
}

static void test_none_malformed(void)
{
	struct vg_plugin *server = load_ok("none", "");
	uint8_t nonce[VG_AUTH_NONCE_LEN], blob[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
	make_nonce(nonce);
	struct vg_err err;
	uint32_t uid, gid;
	const size_t lens[] = {0, 1, 7, 9, 16};
	for (size_t i = 0; i < VG_ARRAY_LEN(lens); i++) {
		CU_ASSERT_EQUAL(verify(server, nonce, blob, lens[i], &uid, &gid, &err), -EPROTO);
		assert_msg(&err, "malformed 'none' credential");
		CU_ASSERT_EQUAL(uid, 0xdeadbeef); /* nothing granted */
	}
	CU_ASSERT_EQUAL(verify(server, nonce, blob, 8, &uid, &gid, &err), 0);
	CU_ASSERT_EQUAL(uid, 0x04030201);
	CU_ASSERT_EQUAL(gid, 0x08070605);
	/* a client with no room for the credential says so */
	struct cred c;
	CU_ASSERT_EQUAL(server->ops->auth_respond(server, nonce, sizeof(nonce), c.blob, 4, &c.len,
						  &err),
			-EOVERFLOW);
	vg_plugin_unload(server);
}

/* ------------------------------------------------------------------ ovis */

#ifdef HAVE_OPENSSL
struct ovis_env {
	struct tmpdir t;
	char good[300], good2[300], other[300];
	char conf_good[320], conf_good2[320], conf_other[320];
};

static void ovis_env_init(struct ovis_env *e)
{
	tmp_make(&e->t);
	snprintf(e->good, sizeof(e->good), "%s/good.conf", e->t.path);
	snprintf(e->good2, sizeof(e->good2), "%s/good2.conf", e->t.path);
	snprintf(e->other, sizeof(e->other), "%s/other.conf", e->t.path);
	write_file(e->good, "secretword=Tr0ub4dor&3\n", 0600);
	/* the same word, as LDMS writes it: comments, blank lines, trailing comment */
	write_file(e->good2, "# shared by the cluster\n\n#secretword=old\nsecretword=Tr0ub4dor&3 # 2024\n",
		   0400);
	write_file(e->other, "secretword=correcthorse\n", 0600);
	snprintf(e->conf_good, sizeof(e->conf_good), "conf=%s", e->good);
	snprintf(e->conf_good2, sizeof(e->conf_good2), "conf=%s", e->good2);
	snprintf(e->conf_other, sizeof(e->conf_other), "conf=%s", e->other);
}

static void test_ovis_right_secret(void)
{
	struct ovis_env e;
	ovis_env_init(&e);
	struct vg_plugin *client = load_ok("ovis", e.conf_good);
	struct vg_plugin *server = load_ok("ovis", e.conf_good2);
	uint8_t nonce[VG_AUTH_NONCE_LEN];
	make_nonce(nonce);
	struct cred c;
	struct vg_err err;
	uint32_t uid, gid;
	CU_ASSERT_EQUAL(respond(client, nonce, &c, &err), 0);
	CU_ASSERT_EQUAL(c.len, 56);
	/* the secret never crosses the wire */
	CU_ASSERT_PTR_NULL(memmem(c.blob, c.len, "Tr0ub4dor", 9));
	CU_ASSERT_EQUAL(verify(server, nonce, c.blob, c.len, &uid, &gid, &err), 0);
	CU_ASSERT_EQUAL(uid, (uint32_t)getuid());
	CU_ASSERT_EQUAL(gid, (uint32_t)getgid());
	/* two credentials for the same nonce differ (client nonce) and both verify */
	struct cred c2;
	CU_ASSERT_EQUAL(respond(client, nonce, &c2, &err), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(c.blob, c2.blob, c.len), 0);
	CU_ASSERT_EQUAL(verify(server, nonce, c2.blob, c2.len, &uid, &gid, &err), 0);
	vg_plugin_unload(client);
	vg_plugin_unload(server);
	tmp_remove(&e.t);
}

static void test_ovis_wrong_secret(void)
{
	struct ovis_env e;
	ovis_env_init(&e);
	struct vg_plugin *client = load_ok("ovis", e.conf_other);
	struct vg_plugin *server = load_ok("ovis", e.conf_good);
	uint8_t nonce[VG_AUTH_NONCE_LEN];
	make_nonce(nonce);
	struct cred c;
	struct vg_err err;
	uint32_t uid, gid;
	CU_ASSERT_EQUAL(respond(client, nonce, &c, &err), 0);
	CU_ASSERT_EQUAL(verify(server, nonce, c.blob, c.len, &uid, &gid, &err), -EACCES);
	assert_msg(&err, "wrong shared secret");
	assert_msg(&err, e.good);
	CU_ASSERT_EQUAL(uid, 0xdeadbeef);
	vg_plugin_unload(client);
	vg_plugin_unload(server);
	tmp_remove(&e.t);
}

static void test_ovis_file_checks(void)
{
	struct ovis_env e;
	ovis_env_init(&e);
	char path[300], conf[320];
	snprintf(path, sizeof(path), "%s/open.conf", e.t.path);
	snprintf(conf, sizeof(conf), "conf=%s", path);
	/* readable by others or by the group: refused, as LDMS does */
	write_file(path, "secretword=Tr0ub4dor&3\n", 0644);
	config_fails("ovis", conf, EACCES, "chmod 600");
	config_fails("ovis", conf, EACCES, path);
	write_file(path, "secretword=Tr0ub4dor&3\n", 0640);
	config_fails("ovis", conf, EACCES, "chmod 600");
	/* missing file, or no secretword line: the error names the file */
	snprintf(path, sizeof(path), "%s/absent.conf", e.t.path);
	snprintf(conf, sizeof(conf), "conf=%s", path);
	config_fails("ovis", conf, ENOENT, path);
	snprintf(path, sizeof(path), "%s/empty.conf", e.t.path);
	snprintf(conf, sizeof(conf), "conf=%s", path);
	write_file(path, "# secretword=commented\nsecret=nope\n", 0600);
	config_fails("ovis", conf, ENOENT, "no line secretword=");
	config_fails("ovis", conf, ENOENT, path);
	write_file(path, "secretword=ab\n", 0600);
	config_fails("ovis", conf, EINVAL, "2 characters");
	write_file(path, "secretword=\n", 0600);
	config_fails("ovis", conf, EINVAL, "0 characters");
	config_fails("ovis", "conf=/", EINVAL, "not a regular file");
	tmp_remove(&e.t);
}

/* conf= first, then $LDMS_AUTH_FILE, then ~/.ldmsauth.conf. */
static void test_ovis_file_search(void)
{
	struct ovis_env e;
	ovis_env_init(&e);
	const char *old_home = getenv("HOME");
	char *home = old_home ? strdup(old_home) : NULL;
	struct vg_plugin *server = load_ok("ovis", e.conf_good);
	uint8_t nonce[VG_AUTH_NONCE_LEN];
	make_nonce(nonce);
	struct cred c;
	struct vg_err err;
	uint32_t uid, gid;

	setenv("LDMS_AUTH_FILE", e.other, 1);
	struct vg_plugin *client = load_ok("ovis", "");
	CU_ASSERT_EQUAL(respond(client, nonce, &c, &err), 0);
	CU_ASSERT_EQUAL(verify(server, nonce, c.blob, c.len, &uid, &gid, &err), -EACCES);
	vg_plugin_unload(client);
	client = load_ok("ovis", e.conf_good); /* conf= wins over the environment */
	CU_ASSERT_EQUAL(respond(client, nonce, &c, &err), 0);
	CU_ASSERT_EQUAL(verify(server, nonce, c.blob, c.len, &uid, &gid, &err), 0);
	vg_plugin_unload(client);

	unsetenv("LDMS_AUTH_FILE");
	setenv("HOME", e.t.path, 1);
	char user_file[300];
	snprintf(user_file, sizeof(user_file), "%s/.ldmsauth.conf", e.t.path);
	config_fails("ovis", "", ENOENT, user_file);
	write_file(user_file, "secretword=Tr0ub4dor&3\n", 0600);
	client = load_ok("ovis", "");
	CU_ASSERT_EQUAL(respond(client, nonce, &c, &err), 0);
	CU_ASSERT_EQUAL(verify(server, nonce, c.blob, c.len, &uid, &gid, &err), 0);
	vg_plugin_unload(client);

	if (home)
		setenv("HOME", home, 1);
	else
		unsetenv("HOME");
	free(home);
	vg_plugin_unload(server);
	tmp_remove(&e.t);
}

/* Any change to the credential, or another connection's nonce, is refused. */
static void test_ovis_tampered(void)
{
	struct ovis_env e;
	ovis_env_init(&e);
	struct vg_plugin *client = load_ok("ovis", e.conf_good);
	struct vg_plugin *server = load_ok("ovis", e.conf_good);
	uint8_t nonce[VG_AUTH_NONCE_LEN], other[VG_AUTH_NONCE_LEN];
	make_nonce(nonce);
	make_nonce(other);
	struct cred c;
	struct vg_err err;
	uint32_t uid, gid;
	CU_ASSERT_EQUAL(respond(client, nonce, &c, &err), 0);
	/* uid, gid, client nonce, MAC: flipping any byte breaks it */
	for (size_t i = 0; i < c.len; i++) {
		uint8_t copy[64];
		memcpy(copy, c.blob, c.len);
		copy[i] ^= 0x01;
		CU_ASSERT_EQUAL(verify(server, nonce, copy, c.len, &uid, &gid, &err), -EACCES);
	}
	/* claiming root with someone else's credential */
	uint8_t root[64];
	memcpy(root, c.blob, c.len);
	memset(root, 0, 8);
	if (getuid() != 0)
		CU_ASSERT_EQUAL(verify(server, nonce, root, c.len, &uid, &gid, &err), -EACCES);
	/* the credential of another connection */
	CU_ASSERT_EQUAL(verify(server, other, c.blob, c.len, &uid, &gid, &err), -EACCES);
	assert_msg(&err, "another connection");
	/* wrong lengths */
	const size_t lens[] = {0, 8, 55, 57, 200};
	uint8_t big[200] = {0};
	memcpy(big, c.blob, c.len);
	for (size_t i = 0; i < VG_ARRAY_LEN(lens); i++) {
		CU_ASSERT_EQUAL(verify(server, nonce, big, lens[i], &uid, &gid, &err), -EPROTO);
		assert_msg(&err, "malformed 'ovis' credential");
	}
	CU_ASSERT_EQUAL(verify(server, nonce, c.blob, c.len, &uid, &gid, &err), 0);
	vg_plugin_unload(client);
	vg_plugin_unload(server);
	tmp_remove(&e.t);
}
#endif /* HAVE_OPENSSL */

/* ------------------------------------------------------------------ munge */

#ifdef HAVE_MUNGE
static struct vg_plugin *load_munge(const struct munged *m)
{
	char attrs[400];
	snprintf(attrs, sizeof(attrs), "socket=%s", m->socket);
	return load_ok("munge", attrs);
}

static void test_munge_roundtrip(void)
{
	if (!munge_available())
		return;
	struct tmpdir t;
	tmp_make(&t);
	struct munged a;
	munged_start(&a, t.path, "a");
	struct vg_plugin *client = load_munge(&a);
	struct vg_plugin *server = load_munge(&a);
	uint8_t nonce[VG_AUTH_NONCE_LEN], other[VG_AUTH_NONCE_LEN];
	make_nonce(nonce);
	make_nonce(other);
	struct cred c;
	struct vg_err err;
	uint32_t uid, gid;
	CU_ASSERT_EQUAL(respond(client, nonce, &c, &err), 0);
	CU_ASSERT_TRUE(c.len > 6 && memcmp(c.blob, "MUNGE:", 6) == 0);
	CU_ASSERT_EQUAL(verify(server, nonce, c.blob, c.len, &uid, &gid, &err), 0);
	CU_ASSERT_EQUAL(uid, (uint32_t)getuid());
	CU_ASSERT_EQUAL(gid, (uint32_t)getgid());
	/* the same credential again: munged's replay cache refuses it */
	CU_ASSERT_EQUAL(verify(server, nonce, c.blob, c.len, &uid, &gid, &err), -EACCES);
	assert_msg(&err, "replayed credential");
	CU_ASSERT_EQUAL(uid, 0xdeadbeef);
	/* a fresh credential presented on another connection */
	CU_ASSERT_EQUAL(respond(client, nonce, &c, &err), 0);
	CU_ASSERT_EQUAL(verify(server, other, c.blob, c.len, &uid, &gid, &err), -EACCES);
	assert_msg(&err, "credential for another connection");
	vg_plugin_unload(client);
	vg_plugin_unload(server);
	munged_stop(&a, SIGTERM);
	tmp_remove(&t);
}

/* A munged with another key stands for a host outside the cluster. */
static void test_munge_other_key(void)
{
	if (!munge_available())
		return;
	struct tmpdir t;
	tmp_make(&t);
	struct munged a, b;
	munged_start(&a, t.path, "a");
	munged_start(&b, t.path, "b");
	struct vg_plugin *client = load_munge(&b);
	struct vg_plugin *server = load_munge(&a);
	uint8_t nonce[VG_AUTH_NONCE_LEN];
	make_nonce(nonce);
	struct cred c;
	struct vg_err err;
	uint32_t uid, gid;
	CU_ASSERT_EQUAL(respond(client, nonce, &c, &err), 0);
	CU_ASSERT_EQUAL(verify(server, nonce, c.blob, c.len, &uid, &gid, &err), -EACCES);
	assert_msg(&err, "the peer's munge key differs from ours");
	CU_ASSERT_EQUAL(uid, 0xdeadbeef);
	vg_plugin_unload(client);
	vg_plugin_unload(server);
	munged_stop(&b, SIGTERM);
	munged_stop(&a, SIGTERM);
	tmp_remove(&t);
}

/* Bytes from the network that are not a credential: refused, never a crash. */
static void test_munge_hostile(void)
{
	if (!munge_available())
		return;
	struct tmpdir t;
	tmp_make(&t);
	struct munged a;
	munged_start(&a, t.path, "a");
	struct vg_plugin *server = load_munge(&a);
	uint8_t nonce[VG_AUTH_NONCE_LEN];
	make_nonce(nonce);
	struct vg_err err;
	uint32_t uid, gid;
	static const char *const texts[] = {"garbage", "MUNGE:", "MUNGE:AAAA:", "MUNGE:@@@@:",
					    "MUNGE:AwQFAAA=:"};
	for (size_t i = 0; i < VG_ARRAY_LEN(texts); i++) {
		int rc = verify(server, nonce, (const uint8_t *)texts[i], strlen(texts[i]), &uid,
				&gid, &err);
		if (rc != -EPROTO)
			fprintf(stderr, "'%s': %d %s\n", texts[i], rc, err.msg);
		CU_ASSERT_EQUAL(rc, -EPROTO);
		CU_ASSERT_EQUAL(uid, 0xdeadbeef);
	}
	static uint8_t big[VG_AUTH_BLOB_MAX + 1];
	memset(big, 'A', sizeof(big));
	CU_ASSERT_EQUAL(verify(server, nonce, big, 0, &uid, &gid, &err), -EPROTO);
	CU_ASSERT_EQUAL(verify(server, nonce, big, sizeof(big), &uid, &gid, &err), -EPROTO);
	CU_ASSERT_EQUAL(verify(server, nonce, (const uint8_t *)"MUNGE:\0AAAA:", 12, &uid, &gid,
			       &err),
			-EPROTO);
	/* random bytes without a NUL, full size */
	CU_ASSERT_EQUAL(getrandom(big, VG_AUTH_BLOB_MAX, 0), VG_AUTH_BLOB_MAX);
	for (size_t i = 0; i < VG_AUTH_BLOB_MAX; i++)
		big[i] = big[i] ? big[i] : 1;
	int rc = verify(server, nonce, big, VG_AUTH_BLOB_MAX, &uid, &gid, &err);
	CU_ASSERT_TRUE(rc == -EPROTO || rc == -EACCES);
	CU_ASSERT_EQUAL(uid, 0xdeadbeef);
	vg_plugin_unload(server);
	munged_stop(&a, SIGTERM);
	tmp_remove(&t);
}

/*
 * munged stopped: both ends say so, naming the socket and how to start it;
 * munged back on the same socket: credentials work again.
 */
static void test_munge_down(void)
{
	if (!munge_available())
		return;
	struct tmpdir t;
	tmp_make(&t);
	struct munged a;
	munged_start(&a, t.path, "a");
	struct vg_plugin *client = load_munge(&a);
	struct vg_plugin *server = load_munge(&a);
	uint8_t nonce[VG_AUTH_NONCE_LEN];
	make_nonce(nonce);
	struct cred c, kept;
	struct vg_err err;
	uint32_t uid, gid;
	CU_ASSERT_EQUAL(respond(client, nonce, &kept, &err), 0);

	munged_stop(&a, SIGTERM); /* a clean stop removes the socket */
	CU_ASSERT_EQUAL(respond(client, nonce, &c, &err), -ENOENT);
	assert_msg(&err, "munged is not running on ");
	assert_msg(&err, a.socket);
	assert_msg(&err, "systemctl start munge");
	CU_ASSERT_EQUAL(verify(server, nonce, kept.blob, kept.len, &uid, &gid, &err), -ENOENT);
	assert_msg(&err, a.socket);

	munged_start(&a, t.path, "a"); /* same key */
	CU_ASSERT_EQUAL(verify(server, nonce, kept.blob, kept.len, &uid, &gid, &err), 0);
	CU_ASSERT_EQUAL(uid, (uint32_t)getuid());
	CU_ASSERT_EQUAL(respond(client, nonce, &c, &err), 0);

	/* killed: the socket stays, nobody listens */
	munged_stop(&a, SIGKILL);
	for (int i = 0; i < 2; i++) { /* libmunge's retries, then the known-down path */
		CU_ASSERT_EQUAL(respond(client, nonce, &c, &err), -ECONNREFUSED);
		assert_msg(&err, "munged is not running on ");
		assert_msg(&err, a.socket);
		assert_msg(&err, "munged --socket=");
	}
	munged_start(&a, t.path, "a");
	CU_ASSERT_EQUAL(respond(client, nonce, &c, &err), 0);
	CU_ASSERT_EQUAL(verify(server, nonce, c.blob, c.len, &uid, &gid, &err), 0);
	CU_ASSERT_EQUAL(gid, (uint32_t)getgid());
	vg_plugin_unload(client);
	vg_plugin_unload(server);
	munged_stop(&a, SIGTERM);
	tmp_remove(&t);
}

/* Without socket=, the plugin uses munge's own default socket. */
static void test_munge_default_socket(void)
{
	struct vg_plugin *client = load_ok("munge", "");
	uint8_t nonce[VG_AUTH_NONCE_LEN];
	make_nonce(nonce);
	struct cred c;
	struct vg_err err;
	int rc = respond(client, nonce, &c, &err);
	/* a system munged may be running here; if not, the error names its socket */
	if (rc != 0)
		assert_msg(&err, "munge.socket");
	config_fails("munge", "conf=/x", EINVAL, "unknown attribute 'conf'");
	vg_plugin_unload(client);
}
#endif /* HAVE_MUNGE */

static void test_builds(void)
{
	/* which plugins this build has: the others' cases are compiled out */
#ifndef HAVE_OPENSSL
	printf("\n  SKIP: ovis not built (configure found no libcrypto: apt-get install libssl-dev)\n");
#endif
#ifndef HAVE_MUNGE
	printf("\n  SKIP: munge not built (configure found no libmunge: apt-get install libmunge-dev)\n");
	if (getenv("VIGIL_REQUIRE_MUNGE"))
		CU_FAIL("munge plugin not built but VIGIL_REQUIRE_MUNGE is set");
#endif
	struct vg_plugin *p = load_ok("none", "");
	CU_ASSERT_STRING_EQUAL(p->ops->name, "none");
	CU_ASSERT_PTR_NOT_NULL(strstr(p->ops->usage(), "uid="));
	vg_plugin_unload(p);
}

static const struct cu_test tests[] = {
	{"plugins of this build load", test_builds},
	{"none: round trip gives the client's uid/gid", test_none_roundtrip},
	{"none: uid=/gid= options are claimed as given", test_none_claimed_ids},
	{"none: malformed credential refused", test_none_malformed},
#ifdef HAVE_OPENSSL
	{"ovis: right secret gives uid/gid", test_ovis_right_secret},
	{"ovis: wrong secret refused", test_ovis_wrong_secret},
	{"ovis: open, missing and empty secret files refused", test_ovis_file_checks},
	{"ovis: conf=, LDMS_AUTH_FILE, ~/.ldmsauth.conf", test_ovis_file_search},
	{"ovis: tampered credential and other nonce refused", test_ovis_tampered},
#endif
#ifdef HAVE_MUNGE
	{"munge: round trip, replay, other connection", test_munge_roundtrip},
	{"munge: another key is rejected", test_munge_other_key},
	{"munge: hostile credentials", test_munge_hostile},
	{"munge: munged down and back", test_munge_down},
	{"munge: default socket", test_munge_default_socket},
#endif
	{NULL, NULL},
};

CU_MAIN("auth", tests)
