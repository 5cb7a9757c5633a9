/* signals: a thread that turns signals into flags and cancels the running query. */
#ifndef OSCAR_SIGNALS_H
#define OSCAR_SIGNALS_H

#include <stdbool.h>

/* Blocks the handled signals in every thread; call before any thread starts. */
void signals_block(void);
/* Starts the signal thread; KILL QUERY goes to the main connection's thread id
 * through a control connection of its own. */
int signals_start(unsigned long main_thread_id);
/* While false (the swap), a signal only sets the flag and the statement runs
 * on. Returns the previous setting, for the caller to restore. */
bool signals_allow_cancel(bool allow);
/* Around the rollback: an abort signal arriving meanwhile does not stop the
 * rollback's retry loops; signals_rollback_end says whether one came. */
void signals_rollback_begin(void);
bool signals_rollback_end(void);
/* Just before the swap is started: false when a pause (SIGUSR1) is in force,
 * and the swap must wait; true, and from then on a SIGUSR1 is logged as too
 * late. signals_swap_failed: the swap did not happen after all. */
bool signals_begin_swap(void);
void signals_swap_failed(void);
int signals_received(void); /* signal number that asked to abort, or 0 */

#endif
