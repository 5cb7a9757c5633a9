/* leftovers: --cleanup, what an earlier run of a table's job left behind. */
#ifndef OSCAR_LEFTOVERS_H
#define OSCAR_LEFTOVERS_H

#include "db.h"

/* Removes the triggers, shadow, placeholders, state row and heartbeat table
 * of schema.table's job (nothing with --dry-run); 0, EXIT_REFUSED when there
 * is neither the table nor anything of oscar's, EXIT_FAILED on error. */
int leftovers_remove(struct db *db, const char *schema, const char *table);

#endif
