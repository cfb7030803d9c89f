/*
 * test_wire_enums.c - the numbers of the set format and the wire protocol
 * are frozen: compare them with tests/fixtures/wire-enums.txt (after LDMS's
 * enum-check), so that a renumbering cannot slip in unnoticed and break
 * compatibility between daemons of different versions.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/proto.h"
#include "core/schema.h"
#include "core/set_format.h"
#include "tests/unit/cu_main.h"

#define E(x) {#x, (long long)(x)}

static const struct {
	const char *name;
	long long value;
} current[] = {
	E(VG_PROTO_VERSION), E(VG_MSG_HDR_SIZE), E(VG_MSG_ERROR), E(VG_MSG_DIR_REQ),
	E(VG_MSG_DIR_REPLY), E(VG_MSG_DIR_NOTIFY), E(VG_MSG_LOOKUP_REQ), E(VG_MSG_LOOKUP_REPLY),
	E(VG_MSG_CMD_REQ), E(VG_MSG_CMD_REPLY), E(VG_MSG_F_MORE), E(VG_DIR_F_NOTIFY),
	E(VG_DIR_ADD), E(VG_DIR_DEL), E(VG_LOOKUP_INSTANCE), E(VG_LOOKUP_SCHEMA),
	E(VG_LOOKUP_REGEX), E(VG_SETF_CONSISTENT), E(VG_SETF_LOCAL), E(VG_SETF_REMOTE),
	E(VG_SETF_PUSH), E(VG_SET_MAGIC), E(VG_SET_FORMAT), E(VG_DATA_CONSISTENT),
	E(VG_MDESC_META), E(VG_MDESC_HAS_UNIT), E(sizeof(struct vg_meta_hdr)),
	E(sizeof(struct vg_metric_desc)), E(sizeof(struct vg_data_hdr)), E(VG_T_NONE),
	E(VG_T_CHAR), E(VG_T_U8), E(VG_T_S8), E(VG_T_U16), E(VG_T_S16), E(VG_T_U32), E(VG_T_S32),
	E(VG_T_U64), E(VG_T_S64), E(VG_T_F32), E(VG_T_D64), E(VG_T_CHAR_ARRAY), E(VG_T_U8_ARRAY),
	E(VG_T_S8_ARRAY), E(VG_T_U16_ARRAY), E(VG_T_S16_ARRAY), E(VG_T_U32_ARRAY),
	E(VG_T_S32_ARRAY), E(VG_T_U64_ARRAY), E(VG_T_S64_ARRAY), E(VG_T_F32_ARRAY),
	E(VG_T_D64_ARRAY), E(VG_MSG_PUSH_REQ), E(VG_MSG_PUSH), E(VG_SETF_STALE), E(VG_PUSH_F_CANCEL),
	E(VG_LOOKUP_PUSH), E(VG_CMD_F_JSON),
	E(VG_MSG_AUTH_CHALLENGE), E(VG_MSG_AUTH_RESPONSE), E(VG_MSG_AUTH_RESULT),
	E(VG_MSG_ADVERTISE), E(VG_MSG_ADVERTISE_REPLY),
};

static void test_frozen_list(void)
{
	const char *dir = getenv("VIGIL_FIXTURES");
	CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
	char path[4096];
	snprintf(path, sizeof(path), "%s/wire-enums.txt", dir);
	FILE *f = fopen(path, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	char line[256];
	size_t seen = 0;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		char *sp = strrchr(line, ' ');
		CU_ASSERT_PTR_NOT_NULL_FATAL(sp);
		*sp = '\0';
		long long frozen = strtoll(sp + 1, NULL, 0);
		bool found = false;
		for (size_t i = 0; i < VG_ARRAY_LEN(current); i++) {
			if (strcmp(current[i].name, line) == 0) {
				found = true;
				if (current[i].value != frozen)
					fprintf(stderr, "%s is %lld, frozen as %lld\n", line,
						current[i].value, frozen);
				CU_ASSERT_EQUAL(current[i].value, frozen);
			}
		}
		if (!found)
			fprintf(stderr, "%s is in the frozen list but not checked by the test\n", line);
		CU_ASSERT_TRUE(found);
		seen++;
	}
	fclose(f);
	/* every number the test knows is in the frozen list */
	CU_ASSERT_EQUAL(seen, VG_ARRAY_LEN(current));
}

static const struct cu_test tests[] = {
	{"wire numbers match tests/fixtures/wire-enums.txt", test_frozen_list},
	{NULL, NULL},
};

CU_MAIN("wire_enums", tests)
