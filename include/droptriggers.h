/* droptriggers: drops named triggers from a live table, with it locked. */
#ifndef OSCAR_DROPTRIGGERS_H
#define OSCAR_DROPTRIGGERS_H

#include "db.h"

/* Drops the n triggers names on schema.table with the table (and shadow, when
 * not NULL) locked, or one by one when the lock cannot be had; 0 when all are
 * gone. */
int droptriggers_run(struct db *db, const char *schema, const char *table, const char *shadow, const char *const *names, int n);

#endif
