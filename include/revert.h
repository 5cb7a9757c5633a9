/* revert: --revert-window keeps the old table in sync after the swap, so
 * --revert can swap back without losing a write; --finish ends the window. */
#ifndef OSCAR_REVERT_H
#define OSCAR_REVERT_H

#include "db.h"

struct migration;
struct jobstate;

/* The cutover with a revert window: reverse triggers, the swap, the forward
 * triggers removed, the old table kept. Returns 0 or an EXIT_* status. */
int revert_swap(struct migration *m);
/* --revert (dry run: only says whether a revert would be lossless). */
int revert_back(struct migration *m);
/* --finish, or any run after the window: drop the reverse triggers and the
 * old table. */
int revert_finish(struct migration *m);
/* --revert-window-wait: stays until the window ends, then closes it; the
 * table's lock and control socket are let go meanwhile, so a --revert or
 * --finish from elsewhere can act. */
int revert_wait(struct migration *m);
/* A revert window is open for the table: --revert, --finish, or (any other
 * run, once the window is over) finish it; otherwise refuse. */
int revert_command(struct migration *m, struct jobstate *js);

#endif
