/*
 * csv_file.c - store_csv's output files: <path>/<container>/<schema>, its
 * .HEADER and .KIND companions, directories and modes, rollover, and the
 * rename_template applied to the files a roll or a close leaves behind.
 *
 * Modes never depend on the process umask: directories and files are
 * chmod-ed to exactly 0750/0600 (or what create_perm derives).  Only
 * regular files are chmod-ed or chown-ed: a path may be a symlink to a
 * device (/dev/full in the tests), which must not be touched.
 *
 * A file that fails (ENOSPC, EACCES, EIO) is closed; the next row reopens
 * it, cutting a partial last line first, so a failure costs the failed rows
 * and never leaves half a row in front of the next one.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "stores/csv.h"

#define MAX_SAME_SECOND 100000 /* files one second can name: .<T>, .<T>.1, ... */

enum kind_of_file { F_DATA, F_HEADER, F_KIND };
static const char *const type_names[] = {"DATA", "HEADER", "KIND"};

/* ------------------------------------------------------------------ modes */

static mode_t dir_mode(uint32_t perm)
{
	if (!perm)
		return 0750;
	mode_t m = (mode_t)perm | S_IWUSR;
	if (m & S_IRUSR)
		m |= S_IXUSR;
	if (m & S_IRGRP)
		m |= S_IXGRP;
	if (m & S_IROTH)
		m |= S_IXOTH;
	return m & 07777;
}

static mode_t file_mode(uint32_t perm)
{
	mode_t m = (mode_t)perm & 0777 & ~(mode_t)0111;
	return m ? m : 0600;
}

static const char *fix_for(int code)
{
	switch (code) {
	case EACCES:
	case EPERM:
		return "make the directory writable by the daemon's user or choose another path=";
	case EROFS:
		return "the file system is read-only: choose another path=";
	case ENOSPC:
	case EDQUOT:
		return "free space (or quota) on its file system";
	case ENOTDIR:
		return "a part of the path is a file, not a directory: choose another path=";
	default:
		return "check the path and the file system";
	}
}

/* "<what> <name>: <cause>: <fix>" for the errno of the call that just failed. */
static int sys_err(struct vg_err *err, const char *what, const char *name)
{
	int e = errno ? errno : EIO;
	return vg_errf(err, e, "%s %s: %s: %s", what, name, strerror(e), fix_for(e));
}

/* Create dir and its missing parents with mode (exactly) and owner. */
static int mkdir_p(const char *dir, mode_t mode, uint32_t uid, uint32_t gid, struct vg_err *err)
{
	char *path = strdup(dir);
	if (!path)
		return vg_errf(err, ENOMEM, "out of memory creating %s", dir);
	int rc = 0;
	size_t len = strlen(path);
	for (size_t i = 1; i <= len && !rc; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		char saved = path[i];
		path[i] = '\0';
		if (mkdir(path, mode) == 0) {
			if (chmod(path, mode) < 0 ||
			    ((uid != CSV_ID_UNSET || gid != CSV_ID_UNSET) &&
			     chown(path, (uid_t)uid, (gid_t)gid) < 0))
				rc = sys_err(err, "cannot set the mode or owner of", path);
		} else if (errno != EEXIST) {
			rc = sys_err(err, "cannot create directory", path);
		} else {
			struct stat st;
			if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
				rc = vg_errf(err, ENOTDIR, "cannot create directory %s: %s", path,
					     fix_for(ENOTDIR));
		}
		path[i] = saved;
	}
	free(path);
	return rc;
}

/* New regular files get exactly their mode and owner; existing ones with create_perm. */
static int set_owner_mode(int fd, const char *name, const struct csv_opts *o, bool created,
			  struct vg_err *err)
{
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return 0;
	if ((created || o->create_perm) && fchmod(fd, file_mode(o->create_perm)) < 0)
		return sys_err(err, "cannot set the mode of", name);
	if (o->create_uid != CSV_ID_UNSET || o->create_gid != CSV_ID_UNSET) {
		if (fchown(fd, (uid_t)o->create_uid, (gid_t)o->create_gid) < 0) {
			int e = errno;
			return vg_errf(err, e,
				       "cannot give %s to create_uid/create_gid: %s (the daemon "
				       "needs CAP_CHOWN for another user)",
				       name, strerror(e));
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ names */

static void make_name(const struct csv_file *f, enum kind_of_file k, const char *suffix,
		      char *out)
{
	static const char *const mid[] = {"", ".HEADER", ".KIND"};
	snprintf(out, f->name_cap, "%s%s%s", f->base, mid[k], suffix);
}

static bool exists(const char *name)
{
	struct stat st;
	return lstat(name, &st) == 0;
}

/*
 * ".<epoch>", or ".<epoch>.<n>" when that second already named a file: one
 * that exists, or one this file used before (a rename_template may have
 * moved it away, and its new name must stay unique too).
 */
static int free_suffix(struct csv_file *f, char *suffix, size_t len, char *scratch)
{
	uint64_t epoch = vg_now_us() / 1000000;
	unsigned first = epoch == f->last_epoch ? f->last_n + 1 : 0;
	for (unsigned n = first; n < MAX_SAME_SECOND; n++) {
		if (n)
			snprintf(suffix, len, ".%llu.%u", (unsigned long long)epoch, n);
		else
			snprintf(suffix, len, ".%llu", (unsigned long long)epoch);
		bool taken = false;
		for (int k = F_DATA; k <= F_KIND && !taken; k++) {
			make_name(f, (enum kind_of_file)k, suffix, scratch);
			taken = exists(scratch);
		}
		if (!taken) {
			f->last_epoch = epoch;
			f->last_n = n;
			return 0;
		}
	}
	return -EEXIST;
}

static void set_names(struct csv_file *f)
{
	make_name(f, F_DATA, f->suffix, f->data_name);
	make_name(f, F_HEADER, f->suffix, f->header_name);
	make_name(f, F_KIND, f->suffix, f->kind_name);
}

/* rename(2) that never replaces an existing file. */
static int rename_new(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	/* a file system without RENAME_NOREPLACE: link+unlink does not replace either */
	if (link(from, to) < 0)
		return -errno;
	unlink(from);
	return 0;
}

/* ------------------------------------------------------------------ rename_template */

static bool env_value_ok(const char *v)
{
	for (; *v; v++)
		if (!isalnum((unsigned char)*v) && !strchr("%@()+-_./:=", *v))
			return false;
	return true;
}

/* The template for name; false (logged) when it cannot be expanded. */
static bool expand_template(const struct csv_file *f, const char *name, enum kind_of_file k,
			    char *out, size_t len)
{
	const char *t = f->opts.rename_template;
	size_t n = 0;
	char tmp[4096];
#define EMIT(s)                                                     \
	do {                                                        \
		int w_ = snprintf(out + n, len - n, "%s", (s));     \
		if (w_ < 0 || (size_t)w_ >= len - n)                \
			goto too_long;                              \
		n += (size_t)w_;                                    \
	} while (0)
	for (; *t; t++) {
		if (*t != '%') {
			char c[2] = {*t, '\0'};
			EMIT(c);
			continue;
		}
		t++;
		switch (*t) {
		case 'P': EMIT(CSV_PLUGIN); break;
		case 'C': EMIT(f->container); break;
		case 'S': EMIT(f->schema); break;
		case 'T': EMIT(type_names[k]); break;
		case '%': EMIT("%"); break;
		case 'B':
		case 'D':
			vg_strlcpy(tmp, name, sizeof(tmp));
			EMIT(*t == 'B' ? basename(tmp) : dirname(tmp));
			break;
		case 's':
			if (!f->suffix[0]) {
				vg_log(VG_LOG_ERROR, f->who,
				       "rename_template of %s uses %%s, but the file has no "
				       "timestamp (no rollover): not renamed",
				       name);
				return false;
			}
			EMIT(f->suffix + 1);
			break;
		case '{': {
			const char *end = strchr(t, '}');
			size_t vlen = end ? (size_t)(end - t - 1) : 0;
			if (!end || vlen >= sizeof(tmp))
				goto too_long;
			memcpy(tmp, t + 1, vlen);
			tmp[vlen] = '\0';
			const char *v = getenv(tmp);
			if (v && !env_value_ok(v)) {
				vg_log(VG_LOG_ERROR, f->who,
				       "rename_template: ${%s} holds characters other than "
				       "A-Za-z0-9%%@()+-_./:=; %s not renamed",
				       tmp, name);
				return false;
			}
			EMIT(v ? v : "");
			t = end;
			break;
		}
		default: /* csv_config.c refused other escapes */
			return false;
		}
	}
	return true;
too_long:
	vg_log(VG_LOG_ERROR, f->who, "rename_template gives a name too long for %s: not renamed",
	       name);
	return false;
#undef EMIT
}

/* LDMS's rename_output: perm and owner first, then move under the template's name. */
static void rename_closed(const struct csv_file *f, const char *name, enum kind_of_file k)
{
	if (!f->opts.rename_template || !exists(name))
		return;
	char to[4096];
	if (!expand_template(f, name, k, to, sizeof(to)))
		return;
	if (f->opts.rename_perm && chmod(name, (mode_t)f->opts.rename_perm) < 0)
		vg_log(VG_LOG_ERROR, f->who, "cannot chmod %s to %o: %s", name,
		       f->opts.rename_perm, strerror(errno));
	if ((f->opts.rename_uid != CSV_ID_UNSET || f->opts.rename_gid != CSV_ID_UNSET) &&
	    chown(name, (uid_t)f->opts.rename_uid, (gid_t)f->opts.rename_gid) < 0)
		vg_log(VG_LOG_ERROR, f->who, "cannot chown %s to %u:%u: %s", name,
		       f->opts.rename_uid, f->opts.rename_gid, strerror(errno));
	char dir[4096];
	vg_strlcpy(dir, to, sizeof(dir));
	struct vg_err err = {0};
	if (mkdir_p(dirname(dir), dir_mode(f->opts.rename_perm), CSV_ID_UNSET, CSV_ID_UNSET,
		    &err) < 0) {
		vg_log(VG_LOG_ERROR, f->who, "cannot rename %s: %s", name, err.msg);
		return;
	}
	int rc = rename_new(name, to);
	if (rc < 0)
		vg_log(VG_LOG_ERROR, f->who, "cannot rename %s to %s: %s%s", name, to,
		       strerror(-rc),
		       rc == -EEXIST ? " (a file of that name exists and is kept: make the "
				       "template unique, e.g. with %s or %B)"
				     : "");
}

/* ------------------------------------------------------------------ opening */

/* Cut a partial last line that a failed write left behind. */
static int trim_partial_line(int fd, off_t size)
{
	char buf[4096];
	off_t end = size;
	while (end > 0) {
		size_t n = end > (off_t)sizeof(buf) ? sizeof(buf) : (size_t)end;
		ssize_t got = pread(fd, buf, n, end - (off_t)n);
		if (got != (ssize_t)n)
			return -EIO;
		for (size_t i = n; i-- > 0;) {
			if (buf[i] == '\n') {
				off_t keep = end - (off_t)n + (off_t)i + 1;
				return keep == size ? 0 : ftruncate(fd, keep) < 0 ? -errno : 0;
			}
		}
		end -= (off_t)n;
	}
	return ftruncate(fd, 0) < 0 ? -errno : 0;
}

/* Does the file at fd (or name) begin with, or (whole) equal, text? */
static bool starts_with(int fd, const char *text, size_t len, bool whole)
{
	char buf[4096];
	size_t off = 0;
	while (off < len) {
		size_t n = len - off < sizeof(buf) ? len - off : sizeof(buf);
		if (pread(fd, buf, n, (off_t)off) != (ssize_t)n || memcmp(buf, text + off, n))
			return false;
		off += n;
	}
	struct stat st;
	return !whole || (fstat(fd, &st) == 0 && st.st_size == (off_t)len);
}

static bool file_equals(const char *name, const char *text, size_t len)
{
	int fd = open(name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	bool eq = starts_with(fd, text, len, true);
	close(fd);
	return eq;
}

/* Is the existing data file's header ours (inline, or in .HEADER with altheader)? */
static bool same_header(const struct csv_file *f, int fd)
{
	char first;
	if (pread(fd, &first, 1, 0) != 1)
		return false;
	if (!f->opts.altheader)
		return starts_with(fd, f->header, f->header_len, false);
	return first != '#' && file_equals(f->header_name, f->header, f->header_len);
}

/* Rename the data, .HEADER and .KIND files to <name>.<epoch> so nothing is overwritten. */
static int move_aside(struct csv_file *f, struct vg_err *err)
{
	char suffix[sizeof(f->suffix)];
	char *to = malloc(f->name_cap);
	if (!to)
		return vg_errf(err, ENOMEM, "out of memory opening %s", f->data_name);
	int rc = free_suffix(f, suffix, sizeof(suffix), to);
	const char *from[] = {f->data_name, f->header_name, f->kind_name};
	for (int k = F_DATA; k <= F_KIND && !rc; k++) {
		if (!exists(from[k]))
			continue;
		make_name(f, (enum kind_of_file)k, suffix, to);
		rc = rename_new(from[k], to);
		if (rc < 0)
			vg_errf(err, -rc, "cannot move %s aside to %s: %s", from[k], to,
				strerror(-rc));
		else if (k == F_DATA)
			vg_log(VG_LOG_WARNING, f->who,
			       "%s has other columns than this store writes: moved it to %s "
			       "and started a new file",
			       from[k], to);
	}
	free(to);
	if (rc == -EEXIST)
		return vg_errf(err, EEXIST, "cannot move %s aside: too many files this second",
			       f->data_name);
	return rc;
}

/*
 * Open the current data name for appending.  A regular file that already
 * has rows keeps them when its header is ours; otherwise it is moved aside.
 */
static int open_data(struct csv_file *f, struct vg_err *err)
{
	int flags = O_RDWR | O_APPEND | O_CLOEXEC;
	bool created = true;
	int fd = open(f->data_name, flags | O_CREAT | O_EXCL, 0600);
	if (fd < 0 && errno == EEXIST) {
		created = false;
		fd = open(f->data_name, flags);
	}
	if (fd < 0)
		return sys_err(err, "cannot open for writing", f->data_name);
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return vg_errf(err, e, "cannot stat %s: %s", f->data_name, strerror(e));
	}
	f->regular = S_ISREG(st.st_mode);
	f->header_pending = true;
	if (f->regular && st.st_size > 0) {
		int rc = trim_partial_line(fd, st.st_size);
		if (rc == 0 && fstat(fd, &st) == 0 && st.st_size > 0) {
			if (same_header(f, fd)) {
				f->header_pending = false;
			} else {
				close(fd);
				rc = move_aside(f, err);
				return rc ? rc : open_data(f, err);
			}
		} else if (rc < 0) {
			close(fd);
			return vg_errf(err, -rc, "cannot repair the last line of %s: %s",
				       f->data_name, strerror(-rc));
		}
	}
	int rc = set_owner_mode(fd, f->data_name, &f->opts, created, err);
	/* stdio's own buffer (st_blksize) as in LDMS: a larger one keeps rows longer from readers */
	f->fp = rc ? NULL : fdopen(fd, "a");
	if (!f->fp) {
		if (!rc)
			rc = sys_err(err, "cannot open", f->data_name);
		close(fd);
		return rc;
	}
	f->kind_pending = f->opts.typeheader > 0;
	f->rows_unflushed = f->bytes_unflushed = 0;
	/* appending after a failure keeps the period's counts; a new file starts at 0 */
	if (f->header_pending)
		f->rows = 0;
	f->bytes = f->header_pending ? 0 : (uint64_t)st.st_size;
	return 0;
}

/* ------------------------------------------------------------------ writing */

/* A whole small file (.HEADER, .KIND), truncated first as LDMS does. */
static int write_aux(struct csv_file *f, const char *name, const char *text, size_t len,
		     struct vg_err *err)
{
	bool created = !exists(name);
	int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return sys_err(err, "cannot write", name);
	int rc = set_owner_mode(fd, name, &f->opts, created, err);
	ssize_t w = rc ? 0 : write(fd, text, len);
	if (!rc && w != (ssize_t)len) {
		int e = w < 0 ? errno : EIO;
		rc = vg_errf(err, e, "cannot write %s: %s: %s", name, strerror(e), fix_for(e));
	}
	close(fd);
	return rc;
}

static int write_failed(struct csv_file *f, const char *what, int code, struct vg_err *err)
{
	if (f->fp)
		fclose(f->fp);
	f->fp = NULL;
	return vg_errf(err, code, "cannot write %s to %s: %s: %s (the row is lost; the next row "
		       "reopens the file)", what, f->data_name, strerror(code), fix_for(code));
}

static int sync_file(struct csv_file *f, struct vg_err *err)
{
	if (fflush(f->fp) != 0)
		return write_failed(f, "rows", errno ? errno : EIO, err);
	/* devices and pipes cannot be synced, and need not be */
	if (f->regular && fdatasync(fileno(f->fp)) < 0)
		return write_failed(f, "rows", errno, err);
	f->rows_unflushed = f->bytes_unflushed = 0;
	return 0;
}

static int write_headers(struct csv_file *f, struct vg_err *err)
{
	if (f->header_pending) {
		if (f->opts.altheader) {
			int rc = write_aux(f, f->header_name, f->header, f->header_len, err);
			if (rc)
				return rc;
		} else {
			if (fwrite(f->header, 1, f->header_len, f->fp) != f->header_len)
				return write_failed(f, "the header", errno ? errno : EIO, err);
			f->bytes += f->header_len;
		}
		f->header_pending = false;
		f->header_written = true;
	}
	if (f->kind_pending) {
		int rc = write_aux(f, f->kind_name, f->kind, f->kind_len, err);
		if (rc)
			return rc;
		f->kind_pending = false;
		f->kind_written = true;
	}
	return 0;
}

static bool roll_due(const struct csv_file *f, size_t len)
{
	if (f->rows == 0)
		return false;
	if (f->roll.type == CSV_ROLL_RECORDS)
		return f->rows + 1 > (uint64_t)f->roll.over;
	if (f->roll.type == CSV_ROLL_BYTES) {
		size_t header = f->header_pending && !f->opts.altheader ? f->header_len : 0;
		return f->bytes + header + len > (uint64_t)f->roll.over;
	}
	return false;
}

int csv_file_write(struct csv_file *f, const char *row, size_t len, struct vg_err *err)
{
	int rc = 0;
	if (!f->fp && (rc = open_data(f, err)) < 0)
		return rc;
	if (roll_due(f, len) && (rc = csv_file_roll(f, err)) < 0)
		return rc;
	if ((rc = write_headers(f, err)) < 0)
		return rc;
	if (fwrite(row, 1, len, f->fp) != len)
		return write_failed(f, "a row", errno ? errno : EIO, err);
	f->rows++;
	f->bytes += len;
	f->rows_unflushed++;
	f->bytes_unflushed += len;
	const struct csv_opts *o = &f->opts;
	if (o->buffer == 0) {
		if (fflush(f->fp) != 0)
			return write_failed(f, "a row", errno ? errno : EIO, err);
		f->rows_unflushed = f->bytes_unflushed = 0;
		f->sync_pending = f->regular;
		return 0;
	}
	if (
	    (o->buffertype == 3 && f->rows_unflushed >= (uint64_t)o->buffer) ||
	    (o->buffertype == 4 && f->bytes_unflushed >= (uint64_t)o->buffer * 1024))
		return sync_file(f, err);
	return 0;
}

int csv_file_sync(struct csv_file *f, struct vg_err *err)
{
	if (!f->sync_pending || !f->fp)
		return 0;
	f->sync_pending = false;
	if (fdatasync(fileno(f->fp)) < 0)
		return write_failed(f, "rows", errno, err);
	return 0;
}

int csv_file_flush(struct csv_file *f, struct vg_err *err)
{
	if (!f->fp)
		return 0;
	if (fflush(f->fp) != 0)
		return write_failed(f, "buffered rows", errno ? errno : EIO, err);
	f->rows_unflushed = f->bytes_unflushed = 0;
	return 0;
}

/* Close the current period's data file and rename what it left behind. */
static void close_current(struct csv_file *f)
{
	if (f->fp) {
		if (fclose(f->fp) != 0)
			vg_log(VG_LOG_ERROR, f->who, "closing %s: %s: the last rows may be lost",
			       f->data_name, strerror(errno));
		f->fp = NULL;
	}
	rename_closed(f, f->data_name, F_DATA);
	if (f->header_written && f->opts.altheader)
		rename_closed(f, f->header_name, F_HEADER);
	if (f->kind_written)
		rename_closed(f, f->kind_name, F_KIND);
	f->header_written = f->kind_written = false;
}

int csv_file_roll(struct csv_file *f, struct vg_err *err)
{
	close_current(f);
	char *scratch = malloc(f->name_cap);
	int rc = scratch ? free_suffix(f, f->suffix, sizeof(f->suffix), scratch) : -ENOMEM;
	free(scratch);
	if (rc < 0)
		return vg_errf(err, -rc, "cannot roll %s: %s", f->base,
			       rc == -EEXIST ? "too many files this second" : strerror(-rc));
	set_names(f);
	return open_data(f, err);
}

/* ------------------------------------------------------------------ open and close */

static void file_free(struct csv_file *f)
{
	if (f->fp)
		fclose(f->fp);
	free(f->container);
	free(f->schema);
	free(f->base);
	free(f->dir);
	free(f->data_name);
	free(f->header_name);
	free(f->kind_name);
	free(f->header);
	free(f->kind);
	free((char *)f->opts.rename_template);
	free(f);
}

static bool bad_component(const char *s, bool allow_slash)
{
	if (!s || !*s || (!allow_slash && strchr(s, '/')) || s[0] == '/')
		return true;
	for (const char *p = s; (p = strstr(p, "..")); p += 2)
		if ((p == s || p[-1] == '/') && (p[2] == '\0' || p[2] == '/'))
			return true;
	return false;
}

static char *dup_text(const char *text, size_t len)
{
	char *c = malloc(len + 1);
	if (c) {
		memcpy(c, text, len);
		c[len] = '\0';
	}
	return c;
}

int csv_file_open(struct csv_file **out, const char *who, const char *container,
		  const char *schema, const struct csv_opts *o, const struct csv_rollspec *roll,
		  const char *header, size_t header_len, const char *kind, size_t kind_len,
		  struct vg_err *err)
{
	if (bad_component(container, true) || bad_component(schema, false))
		return vg_errf(err, EINVAL,
			       "container '%s' / schema '%s' cannot name a file under path=%s: "
			       "no empty names, no '..', and no '/' in the schema",
			       container ? container : "", schema ? schema : "", o->path);
	struct csv_file *f = calloc(1, sizeof(*f));
	if (!f)
		return vg_errf(err, ENOMEM, "out of memory opening %s/%s", container, schema);
	f->refs = 1;
	f->who = who;
	f->opts = *o;
	f->roll = *roll;
	f->container = strdup(container);
	f->schema = strdup(schema);
	f->header = dup_text(header, header_len);
	f->header_len = header_len;
	f->kind = kind ? dup_text(kind, kind_len) : NULL;
	f->kind_len = kind_len;
	f->opts.rename_template = o->rename_template ? strdup(o->rename_template) : NULL;
	f->opts.path = NULL;
	if (asprintf(&f->base, "%s/%s/%s", o->path, container, schema) < 0)
		f->base = NULL;
	f->name_cap = f->base ? strlen(f->base) + sizeof(".HEADER") + sizeof(f->suffix) : 0;
	f->data_name = calloc(1, f->name_cap);
	f->header_name = calloc(1, f->name_cap);
	f->kind_name = calloc(1, f->name_cap);
	f->dir = f->base ? strndup(f->base, (size_t)(strrchr(f->base, '/') - f->base)) : NULL;
	if (!f->container || !f->schema || !f->header || (kind && !f->kind) || !f->base ||
	    !f->data_name || !f->header_name || !f->kind_name || !f->dir ||
	    (o->rename_template && !f->opts.rename_template)) {
		file_free(f);
		return vg_errf(err, ENOMEM, "out of memory opening %s/%s", container, schema);
	}
	int rc = mkdir_p(f->dir, dir_mode(o->create_perm), o->create_uid, o->create_gid, err);
	if (!rc && roll->type != CSV_ROLL_NONE &&
	    free_suffix(f, f->suffix, sizeof(f->suffix), f->data_name) < 0)
		rc = vg_errf(err, EEXIST, "cannot open %s: too many files this second", f->base);
	if (!rc) {
		set_names(f);
		rc = open_data(f, err);
	}
	if (rc) {
		file_free(f);
		return rc;
	}
	*out = f;
	return 0;
}

void csv_file_close(struct csv_file *f)
{
	if (!f)
		return;
	close_current(f);
	file_free(f);
}
