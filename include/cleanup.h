/* cleanup: what this run created, dropped on error or signal, triggers first. */
#ifndef OSCAR_CLEANUP_H
#define OSCAR_CLEANUP_H

#include <stdbool.h>
#include "db.h"

/* The table being changed: child foreign keys go back to it on rollback. */
void cleanup_set_table(const char *table);
void cleanup_push_table(const char *schema, const char *name);
/* A trigger on table that writes into shadow. */
void cleanup_push_trigger(const char *schema, const char *name, const char *table, const char *shadow);
struct objnames;
/* The objects of a job an earlier run created (shadow, then its three
 * triggers), taken over by a resumed run: rolled back like its own. */
void cleanup_push_job(const char *schema, const char *table, const struct objnames *n);
/* Forget an object that is no longer ours to drop (the shadow after the swap). */
void cleanup_forget(const char *name);
void cleanup_forget_all(void);
/* Drops everything still registered: all triggers, and only if those are gone,
 * the tables. Returns 0 when nothing is left behind. */
int cleanup_run(struct db *db);
bool cleanup_pending(void);

#endif
