/* signals: a thread that turns signals into flags and cancels the running query. */
#ifndef OSCAR_SIGNALS_H
#define OSCAR_SIGNALS_H

#include <stdbool.h>

/* Blocks the handled signals in every thread; call before any thread starts. */
void signals_block(void);
/* Starts the signal thread; KILL QUERY goes to the main connection's thread id
 * through a control connection of its own. */
int signals_start(unsigned long main_thread_id);
/* While false (the swap), a signal only sets the flag and the statement runs on. */
void signals_allow_cancel(bool allow);
int signals_received(void); /* signal number that asked to abort, or 0 */

#endif
