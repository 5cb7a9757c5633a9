/* indexes: secondary indexes left out of the copy and built after it. */
#ifndef OSCAR_INDEXES_H
#define OSCAR_INDEXES_H

#include <stdbool.h>

#include "migration.h"

int indexes_plan(struct migration *m);
int indexes_drop_deferred(struct migration *m);
void indexes_restore_plan(struct migration *m, const char *defs);
int indexes_build_start(struct migration *m);
/* Waits for the build (cancelled when cancel); paced, it holds the
 * application's writes in slices meanwhile (bound_hold). 0 or the exit status. */
int indexes_build_finish(struct migration *m, bool cancel, bool pace);
void indexes_stop_orphans(struct db *db, const char *schema, const char *shadow);

#endif
