/*
 * csv.h - the private parts of store_csv, shared by its four files:
 *
 *   csv_config.c  options: defaults, per container/schema overrides, opt_file
 *   csv_format.c  the header, .KIND and row formats of LDMS 4.4's store_csv
 *   csv_file.c    output files: directories, modes, headers, rollover, renames
 *   store_csv.c   the plugin: config/open/store/flush/close and the roll timer
 *
 * Threads: everything runs on the daemon's loop thread; nothing is locked.
 */
#ifndef VIGIL_STORES_CSV_H
#define VIGIL_STORES_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/util.h"
#include "plugins/plugin.h"

#define CSV_PLUGIN "store_csv"
#define CSV_ID_UNSET UINT32_MAX /* create_/rename_ uid and gid: leave as is */

/* ------------------------------------------------------------------ options */

/* The options of one container/schema.  Strings point into the config. */
struct csv_opts {
	const char *path;
	bool userdata, ietfcsv, altheader, expand_array;
	int typeheader;  /* 0, 1 (one scalar kind per column) or 2 (array kinds) */
	int time_format; /* 0: sec.usec,usec   1: msec,usec%1000 */
	int buffer;      /* 0: flush+sync every row, 1: stdio, N>1: with buffertype */
	int buffertype;  /* 0, 3 (flush every N rows) or 4 (every N KiB) */
	char array_sep, array_lquote, array_rquote; /* '\0': write nothing */
	const char *rename_template;                 /* NULL: files are not renamed */
	uint32_t rename_uid, rename_gid, rename_perm; /* perm 0: unchanged */
	uint32_t create_uid, create_gid, create_perm; /* perm 0: files 0600, dirs 0750 */
};

enum csv_rolltype {
	CSV_ROLL_NONE = 0,
	CSV_ROLL_INTERVAL = 1, /* every rollover seconds */
	CSV_ROLL_DAILY = 2,    /* rollover seconds after local midnight */
	CSV_ROLL_RECORDS = 3,  /* before the row that would exceed rollover rows */
	CSV_ROLL_BYTES = 4,    /* before the row that would exceed rollover bytes */
	CSV_ROLL_AGAIN = 5,    /* rollover s after midnight, then every rollagain s */
};

/* Rollover applies to every file of the instance: only the defaults set it. */
struct csv_rollspec {
	enum csv_rolltype type;
	int64_t over;  /* rollover */
	int64_t again; /* rollagain */
	bool empty;    /* rollempty: time rolls also roll files without rows */
};

struct csv_layer; /* one config line's attributes (csv_config.c) */

struct csv_config {
	bool configured;           /* the defaults were given */
	struct csv_layer *line;    /* the defaults' config line */
	struct csv_layer *filedef; /* opt_file's "store_csv ..." line */
	struct csv_layer **keyed;  /* "container=C schema=S ..." overrides */
	size_t nkeyed;
	struct csv_rollspec roll;
};

/* "path, container, ...": every accepted attribute, for messages. */
const char *csv_attr_list(void);

/*
 * Apply one config line: the defaults (exactly once, possibly with
 * opt_file) or a container+schema override.  Nothing changes on failure.
 * -EINVAL (or -ENOENT, -ENOMEM) with a message naming the attribute.
 */
int csv_config_apply(struct csv_config *cfg, const struct vg_kvlist *kv, struct vg_err *err);

/* The options for container/schema (overrides, then defaults, then opt_file). */
int csv_config_resolve(const struct csv_config *cfg, const char *container, const char *schema,
		       struct csv_opts *o, struct vg_err *err);

void csv_config_free(struct csv_config *cfg);

/* ------------------------------------------------------------------ formats */

struct csv_col {
	int idx;
	enum vg_type type;
	enum vg_type elem; /* of the elements (the type itself for scalars) */
	bool array;
	uint32_t count;
};

/* What one layout looks like in CSV, built at open(). */
struct csv_format {
	struct csv_col *cols;
	size_t ncols;
	bool userdata, ietfcsv, expand;
	int time_format;
	char sep, lquote, rquote;
	size_t row_max;    /* bytes a row can take, newline included */
	char *header;      /* "#Time,...\n" */
	size_t header_len;
	char *kind;        /* "#!ldms-kinds!...\n", NULL without typeheader */
	size_t kind_len;
	/* the last set checked against cols, and its meta generation */
	const struct vg_set *checked;
	uint64_t checked_gn;
};

int csv_format_init(struct csv_format *f, const struct vg_store_layout *layout,
		    const struct csv_opts *o, struct vg_err *err);
void csv_format_fini(struct csv_format *f);

/* 0 when set has the format's columns (cached per set), else -EINVAL. */
int csv_format_check(struct csv_format *f, const struct vg_set *set, struct vg_err *err);

/* Write one row into buf (row_max bytes); returns its length. Allocates nothing. */
size_t csv_format_row(const struct csv_format *f, const struct vg_set *set, char *buf);

/* ------------------------------------------------------------------ files */

/*
 * One output path <path>/<container>/<schema>, shared by every handle that
 * writes it (refs), so that rows of two storage policies never interleave
 * inside a line.
 */
struct csv_file {
	struct csv_file *next; /* the instance's list */
	int refs;
	const char *who;       /* instance name, for logs */
	char *container, *schema;
	char *base;            /* <path>/<container>/<schema> */
	char *dir;             /* <path>/<container> */
	char *data_name, *header_name, *kind_name; /* current names */
	size_t name_cap;
	char suffix[48];       /* "", ".<epoch>" or ".<epoch>.<n>" */
	uint64_t last_epoch;   /* of the last suffix chosen */
	unsigned last_n;
	char *header;          /* copies of the first handle's texts */
	size_t header_len;
	char *kind;
	size_t kind_len;
	struct csv_opts opts;  /* rename_template owned (copied) */
	struct csv_rollspec roll;
	FILE *fp;              /* NULL after a failure: the next write reopens */
	bool regular;          /* the data file is a regular file */
	bool header_pending;   /* write the header before the next row */
	bool kind_pending;
	bool header_written, kind_written; /* this period's .HEADER/.KIND exist */
	uint64_t rows, bytes;  /* in the current data file */
	uint64_t rows_unflushed, bytes_unflushed;
	bool sync_pending;     /* buffer=0: rows written to the kernel, fdatasync still due */
};

/*
 * Create directories and open the data file (appending after an identical
 * header, moving a file with another header aside).  -errno with a message
 * naming the path, the cause and the fix.
 */
int csv_file_open(struct csv_file **out, const char *who, const char *container,
		  const char *schema, const struct csv_opts *o, const struct csv_rollspec *roll,
		  const char *header, size_t header_len, const char *kind, size_t kind_len,
		  struct vg_err *err);

/* Append one row (header first when due; rolls by records or bytes). */
int csv_file_write(struct csv_file *f, const char *row, size_t len, struct vg_err *err);
int csv_file_flush(struct csv_file *f, struct vg_err *err);
/*
 * buffer=0: csv_file_write() hands each row to the kernel at once (readers
 * see it) and leaves the fdatasync to this call, which the plugin makes once
 * per event-loop iteration for every file written in it: a group commit, so
 * an aggregator storing 1000 sets per interval pays one sync per file and
 * iteration instead of one per row (LDMS: fsync per row).
 */
int csv_file_sync(struct csv_file *f, struct vg_err *err);
/* Start the next file now (time-based rollover). */
int csv_file_roll(struct csv_file *f, struct vg_err *err);
/* Flush, close, apply rename_template, free. */
void csv_file_close(struct csv_file *f);

#endif /* VIGIL_STORES_CSV_H */
