/* verify: compare shadow and table before the swap (--no-verify to skip). */
#ifndef OSCAR_VERIFY_H
#define OSCAR_VERIFY_H

#include <stdbool.h>

#include "keyval.h"
#include "migration.h"

/* 0 when the shadow holds exactly the table's rows (after repairing chunks
 * that differed), else an EXIT_* status with the differing keys logged. */
int verify_shadow(struct migration *m);

/* Whether this run compares each chunk right after its copy instead
 * (--verify-at): decided before the copy; then verify_shadow reports what
 * was compared. resumed: the copy goes on from an earlier run's; swap_waits:
 * the swap waits for a file or a window; cluster: a Galera node. */
bool verify_plan(struct migration *m, bool resumed, bool swap_waits, bool cluster);
/* After a chunk (lo, hi] of the copy committed (hi NULL: the rest of the
 * table): queued for the comparison, which runs beside the copy (and
 * copies a chunk that differs again). 0, or an EXIT_* status once a
 * comparison failed, which stops the copy. */
int verify_chunk(struct migration *m, const struct keyval *lo, const struct keyval *hi);
/* After the copy (copied: it reached the end): waits for the comparisons
 * still queued, or drops them when the copy stopped early. 0, or EXIT_FAILED
 * when a chunk still differed after its repair (logged, verify event sent). */
int verify_copy_end(struct migration *m, bool copied);

#endif
