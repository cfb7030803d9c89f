/* placeholder: tests not written yet */
#include "tests/unit/cu_main.h"
static void test_placeholder(void) { CU_ASSERT(1); }
static const struct cu_test tests[] = { {"placeholder", test_placeholder}, {NULL, NULL} };
CU_MAIN("samplers", tests)
