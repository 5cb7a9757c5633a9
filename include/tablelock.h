/* tablelock: the per-table lock (GET_LOCK) that makes one oscar the owner of
 * a table's job: a migration, a revert, a cleanup. */
#ifndef OSCAR_TABLELOCK_H
#define OSCAR_TABLELOCK_H

#include "db.h"

/* 0 when taken; EXIT_LOCKED (after naming the holder) when another oscar
 * holds it; EXIT_FAILED on error. */
int tablelock_take(struct db *db, const char *lock, const char *schema, const char *table);
void tablelock_release(struct db *db, const char *lock);

#endif
