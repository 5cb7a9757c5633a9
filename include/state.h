/* state: the job's progress in a table on the server, so a run stopped by
 * --max-runtime, kill -9, a lost connection or a server restart can continue. */
#ifndef OSCAR_STATE_H
#define OSCAR_STATE_H

#include <stdbool.h>

#include "keyval.h"
#include "migration.h"

#define STATE_TABLE "_oscar_state"

struct jobstate {
	bool found;
	char *alter_text;
	char *phase;
	char *revert_until;   /* phase revert: when the window ends */
	bool window_over;     /* ... and whether it has */
	struct keyval last_key; /* n == 0: nothing copied yet */
	long long rows_copied;
	char *deferred;       /* index definitions built after the copy, one per line */
};

/* Reads the state row of schema.table; found=false when none. */
int state_load(struct db *db, const char *schema, const char *table, struct jobstate *js);
void jobstate_free(struct jobstate *js);
/* Creates the state table if needed and records a new job. */
int state_begin(struct migration *m);
/* Records the last key copied (after the chunk's commit: the state may lag
 * the copy, never lead it). */
int state_progress(struct migration *m, const struct keyval *last);
int state_phase(struct migration *m, const char *phase);
/* Phase revert, the window ending `seconds` from now. */
int state_revert_window(struct migration *m, double seconds);
/* Removes the job's row, and the state table once it is empty. */
int state_forget(struct db *db, const char *schema, const char *table);

#endif
