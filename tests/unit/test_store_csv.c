#include "config.h"

#include "cu_main.h"

static void test_placeholder(void)
{
	CU_ASSERT_TRUE(1);
}

static const struct cu_test tests[] = {
	{"placeholder", test_placeholder},
	{NULL, NULL},
};

CU_MAIN("store_csv", tests)
