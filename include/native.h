/* native: ALTERs the server does on the table itself, in one statement, where
 * a copy would be wrong or pointless: partition maintenance (DROP, TRUNCATE,
 * EXCHANGE ... PARTITION delete or move rows that a copy would keep) and an
 * ALGORITHM=INSTANT/NOCOPY/INPLACE the user asked for. */
#ifndef OSCAR_NATIVE_H
#define OSCAR_NATIVE_H

#include <stdbool.h>

struct migration;

/* Whether the ALTER is partition maintenance that runs natively (reads the
 * table's partitioning method). Returns 0 or an EXIT_* status. */
int native_partition_wanted(struct migration *m, bool *wanted);
/* Dry run: what would run, after checking on a scratch copy of the definition
 * that the server accepts it where that is harmless. */
int native_partition_plan(struct migration *m);
/* Runs the user's ALTER on the table itself with the short metadata-lock waits
 * and retries of every oscar DDL; what names it for messages ("DROP PARTITION",
 * "ALGORITHM=INPLACE"). Returns 0 or an EXIT_* status. */
int native_apply(struct migration *m, const char *what);

#endif
