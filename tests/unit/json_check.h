/*
 * json_check.h - a strict JSON parser for tests (json_check.c): parse a
 * reply into a tree, then look members up.  Lookups on a missing member or
 * a NULL tree return NULL, "<missing>" or NAN, so that assertions report
 * instead of crashing.
 */
#ifndef VIGIL_JSON_CHECK_H
#define VIGIL_JSON_CHECK_H

#include <stdbool.h>
#include <stddef.h>

enum jt { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
	enum jt t;
	bool b;
	double num;
	char *str;    /* J_STR, decoded */
	size_t n;     /* J_ARR, J_OBJ */
	char **keys;  /* J_OBJ */
	struct jv *items;
};

/* The whole text is one value surrounded by whitespace only, or NULL. */
struct jv *jparse(const char *text);
void jfree(struct jv *v);

const struct jv *jget(const struct jv *o, const char *key); /* object member */
const struct jv *jat(const struct jv *a, size_t i);         /* array element */
size_t jlen(const struct jv *a);                            /* (size_t)-1 if not a container */
const char *jstr(const struct jv *o, const char *key);      /* a string member */
double jnum(const struct jv *o, const char *key);           /* a number member */
bool jis(const struct jv *o, const char *key, enum jt t);
bool jint(const struct jv *o, const char *key);             /* a whole number member */
/* CU_ASSERT that every key of the NULL-terminated list is a member. */
void jkeys(const struct jv *o, const char *const *keys);

#endif /* VIGIL_JSON_CHECK_H */
