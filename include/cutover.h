/* cutover: the conditions that hold the swap back (--cutover-window). */
#ifndef OSCAR_CUTOVER_H
#define OSCAR_CUTOVER_H

#include <stdbool.h>
#include <stddef.h>

/* Parses "HH:MM-HH:MM" into minutes of the day. Returns 0, or -1 with a reason
 * in err. */
int cutover_window_parse(const char *s, int *start, int *end, char *err, size_t errlen);

/* Whether minute of the day now lies in [start, end), the window wrapping
 * midnight when start > end. */
bool cutover_window_open(int start, int end, int now);

#endif
