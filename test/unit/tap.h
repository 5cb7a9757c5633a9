/* tap.h: a minimal TAP producer for the unit tests. */
#ifndef OSCAR_TAP_H
#define OSCAR_TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define ok(cond, ...) do { \
	tap_n++; \
	int c_ = !!(cond); \
	if (!c_) tap_failed++; \
	printf("%s %d - ", c_ ? "ok" : "not ok", tap_n); \
	printf(__VA_ARGS__); printf("\n"); \
	if (!c_) printf("# failed at %s:%d\n", __FILE__, __LINE__); \
} while (0)

#define is_str(got, want, ...) do { \
	const char *g_ = (got), *w_ = (want); \
	int same_ = g_ && w_ && !strcmp(g_, w_); \
	ok(same_, __VA_ARGS__); \
	if (!same_) printf("# got:      '%s'\n# expected: '%s'\n", g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
