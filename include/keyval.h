/* keyval: one key tuple as read from the server, and the encoding in which
 * the copy compares keys and the job state persists the last one copied. */
#ifndef OSCAR_KEYVAL_H
#define OSCAR_KEYVAL_H

#include <stdbool.h>
#include <stddef.h>

#include "sbuf.h"

/* One key tuple (binary-safe). */
struct keyval {
	int n;
	char **v;
	unsigned long *len;
};

void keyval_free(struct keyval *kv);
/* Appends the encoding of n columns to out: per column a 4-byte length in the
 * machine's byte order, then its bytes (a NULL value as empty). */
void keyval_encode(struct sbuf *out, int n, char *const *v, const unsigned long *len);
/* Appends to kv the columns of an encoding of len bytes; a truncated column
 * at the end is dropped. Returns the number of columns decoded. */
int keyval_decode(const char *enc, size_t len, struct keyval *kv);
/* A one-column integer key's value as a number; false when it is not one
 * (several columns, NULL, or not written in digits). */
bool keyval_to_number(const struct keyval *kv, long double *out);
/* kv (empty) set to the one-column integer key v. */
void keyval_from_number(struct keyval *kv, long double v);
/* A copy of src into dst (empty). */
void keyval_copy(struct keyval *dst, const struct keyval *src);

#endif
