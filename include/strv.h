/* strv: NULL-terminated arrays of strings (names of triggers, constraints, columns). */
#ifndef OSCAR_STRV_H
#define OSCAR_STRV_H

#include "sbuf.h"

/* Frees every element and the array; NULL is fine. */
void strv_free(char **v);
int strv_len(char **v);

#endif
