/*
 * alloc_counter.h - counts heap allocations while `counting` is set, so that
 * a test can assert that a hot path (sample, store) allocates nothing.
 *
 * malloc, calloc and realloc are replaced by wrappers around glibc's own (as
 * glibc's manual allows).  ASan brings its own allocator, so under
 * -fsanitize=address nothing is replaced and tests skip the count
 * (ALLOC_COUNTER_ACTIVE is 0).  Include it once, in one test program.
 */
#ifndef VIGIL_TEST_ALLOC_COUNTER_H
#define VIGIL_TEST_ALLOC_COUNTER_H

#include <stddef.h>

static unsigned long alloc_calls;
static int counting;

#if !defined(__SANITIZE_ADDRESS__)
#define ALLOC_COUNTER_ACTIVE 1
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *ptr, size_t size);
void *malloc(size_t size)
{
	alloc_calls += (unsigned long)counting;
	return __libc_malloc(size);
}
void *calloc(size_t n, size_t size)
{
	alloc_calls += (unsigned long)counting;
	return __libc_calloc(n, size);
}
void *realloc(void *ptr, size_t size)
{
	alloc_calls += (unsigned long)counting;
	return __libc_realloc(ptr, size);
}
#else
#define ALLOC_COUNTER_ACTIVE 0
#endif

#endif /* VIGIL_TEST_ALLOC_COUNTER_H */
