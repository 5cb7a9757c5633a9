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
/* The end of the next range after the integer key lo holding about `rows`
 * rows at `density` key values per row, at least one value past lo: 1 with
 * *upper (empty) set, 0 when it reaches max (the range is then the rest). */
int keyval_step(long double lo, long rows, long double density, long double max, struct keyval *upper);
/* Key values per row of the range (lo, upper] that held `rows` rows; 0 when
 * that cannot be said (no row, no upper bound or not an integer key). */
long double keyval_density(long double lo, const struct keyval *upper, long rows);
/* A copy of src into dst (empty). */
void keyval_copy(struct keyval *dst, const struct keyval *src);

#endif
