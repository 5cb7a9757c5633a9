/* cutover: the swap of the shadow for the table, and the conditions that hold
 * it back (--postpone-cutover-file, --cutover-window, a before-cutover hook). */
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

struct migration;
/* Waits while --postpone-cutover-file exists, outside --cutover-window, or
 * while a before-cutover hook fails; the triggers keep the shadow in sync. */
int cutover_wait(struct migration *m);
/* Whether cutover_wait may hold the swap for a while (file, window, hook). */
bool cutover_may_wait(void);
int cutover_swap(struct migration *m);
int cutover_finish(struct migration *m);

#endif
