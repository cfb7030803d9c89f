/*
 * cu_main.h - the shared main() of every CUnit test program.
 *
 * A test file defines its cases and one table:
 *
 *     static const struct cu_test tests[] = {
 *         {"every type round-trips", test_roundtrip},
 *         ...
 *         {NULL, NULL}
 *     };
 *     CU_MAIN("set", tests)
 *
 * The program runs every case (or those whose name contains argv[1]),
 * prints CUnit's summary and exits non-zero if any assertion failed, which is
 * what automake's test driver expects.  An alarm() bounds the whole program
 * so a hang fails the test instead of stalling make check.
 */
#ifndef VIGIL_CU_MAIN_H
#define VIGIL_CU_MAIN_H

#include <CUnit/Basic.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct cu_test {
	const char *name;
	void (*fn)(void);
};

#ifndef CU_TIMEOUT_S
#define CU_TIMEOUT_S 120
#endif

static inline int cu_run(const char *suite_name, const struct cu_test *tests, int argc, char **argv)
{
	alarm(CU_TIMEOUT_S);
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	CU_pSuite suite = CU_add_suite(suite_name, NULL, NULL);
	if (!suite)
		return 2;
	for (const struct cu_test *t = tests; t->name; t++) {
		if (argc > 1 && !strstr(t->name, argv[1]))
			continue;
		if (!CU_add_test(suite, t->name, t->fn))
			return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failed ? 1 : 0;
}

#define CU_MAIN(suite_name, tests)                            \
	int main(int argc, char **argv)                       \
	{                                                     \
		signal(SIGPIPE, SIG_IGN);                     \
		return cu_run(suite_name, tests, argc, argv); \
	}

#endif /* VIGIL_CU_MAIN_H */
