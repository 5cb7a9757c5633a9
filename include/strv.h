/* strv: NULL-terminated arrays of strings (names of triggers, constraints, columns). */
#ifndef OSCAR_STRV_H
#define OSCAR_STRV_H

#include "sbuf.h"

/* Frees every element and the array; NULL is fine. */
void strv_free(char **v);
int strv_len(char **v);
/* v with a copy of s added at the end (v NULL: a new array). */
char **strv_push(char **v, const char *s);

#endif
