/*
 * set_format.h - the byte layout of a metric set.  This layout is what sits
 * in shared memory, what a lookup sends and what a one-sided read copies, so
 * it is frozen: new fields go into reserved space or a new format number.
 * All integers are little-endian (configure refuses big-endian hosts).
 *
 *   set memory (page-aligned, one allocation from the set pool):
 *
 *   +-------------------- meta part (meta_size bytes) -------------------+
 *   | vg_meta_hdr | vg_metric_desc[card] | meta values | strings (NUL-   |
 *   |             |                      | (8-aligned) | terminated)     |
 *   +-------------------- data part (data_size bytes) -------------------+
 *   | vg_data_hdr | data values (each naturally aligned) | u64 data_gn   |
 *   +--------------------------------------------------------------------+
 *
 * The data part starts at offset meta_size (a multiple of 64, so a data part
 * never shares a cache line with meta).  Strings (instance, producer,
 * schema, metric names and units) are referenced by offsets from the start
 * of the meta part.  A metric's value_off is relative to the start of its
 * own part (meta or data).
 *
 * Transactions (writer side):
 *   begin: data.flags &= ~CONSISTENT
 *   ...values written...
 *   end:   data_gn++, timestamp and duration written, the trailing copy of
 *          data_gn written, then flags |= CONSISTENT.
 * A reader that copied the data part accepts it only if CONSISTENT is set,
 * head and trailing data_gn agree, and data.meta_gn equals the meta_gn of
 * the meta part it holds (otherwise it must look the set up again).
 */
#ifndef VIGIL_SET_FORMAT_H
#define VIGIL_SET_FORMAT_H

#include <stdint.h>

#define VG_SET_MAGIC 0x54534756u /* "VGST" in memory order */
#define VG_SET_FORMAT 1

#define VG_DATA_CONSISTENT 0x1u

#define VG_MDESC_META 0x1u     /* value lives in the meta part */
#define VG_MDESC_HAS_UNIT 0x2u /* unit_off is valid (may point to "") */

struct vg_meta_hdr {
	uint32_t magic;        /* VG_SET_MAGIC */
	uint16_t format;       /* VG_SET_FORMAT */
	uint16_t flags;        /* reserved, 0 */
	uint64_t meta_gn;      /* bumped whenever anything in the meta part changes */
	uint32_t meta_size;    /* bytes of the meta part, multiple of 64 */
	uint32_t data_size;    /* bytes of the data part, multiple of 8 */
	uint32_t card;         /* number of metrics */
	uint32_t uid;
	uint32_t gid;
	uint32_t perm;         /* permission bits, e.g. 0440 */
	uint32_t instance_off; /* strings, relative to the meta part */
	uint32_t producer_off;
	uint32_t schema_off;
	uint32_t desc_off;     /* offset of vg_metric_desc[card] */
	uint64_t reserved[4];
};                             /* 88 bytes */

struct vg_metric_desc {
	uint32_t name_off;
	uint32_t unit_off;     /* valid if flags & VG_MDESC_HAS_UNIT */
	uint8_t type;          /* enum vg_type */
	uint8_t flags;         /* VG_MDESC_* */
	uint16_t reserved;
	uint32_t count;        /* array length; 1 for scalars */
	uint32_t value_off;    /* in the meta part if VG_MDESC_META, else in the data part */
	uint32_t reserved2;
	uint64_t udata;        /* user data, e.g. a store's column id; shown by ldms_ls -u */
};                             /* 32 bytes */

struct vg_data_hdr {
	uint64_t data_gn;      /* bumped at each transaction end */
	uint64_t meta_gn;      /* the meta part's meta_gn when this data was written */
	uint32_t ts_sec;       /* transaction end time, wall clock */
	uint32_t ts_usec;
	uint32_t dur_usec;     /* transaction duration */
	uint32_t flags;        /* VG_DATA_CONSISTENT */
};                             /* 32 bytes; values follow, the last 8 bytes repeat data_gn */

#endif /* VIGIL_SET_FORMAT_H */
