/* triggers: the triggers that mirror every write on the table into the shadow. */
#ifndef OSCAR_TRIGGERS_H
#define OSCAR_TRIGGERS_H

#include <stdbool.h>

#include "migration.h"

/* The three triggers, in the order they are created (see triggers.c). */
enum trigger_event { TRG_DELETE, TRG_UPDATE, TRG_INSERT, TRG_EVENTS };

/* The name of the job's trigger for an event. */
const char *triggers_name(const struct objnames *n, enum trigger_event ev);
/* The CREATE TRIGGER statement of one of the three triggers. */
char *triggers_sql(struct migration *m, enum trigger_event which);
int triggers_install(struct migration *m);
/* 0 when the table's triggers are exactly those this job installs, on every
 * Galera node oscar can reach as well. */
int triggers_intact(struct migration *m);
/* Marks the session's writes into the shadow as oscar's own (@oscar_mirroring):
 * the guarded copies of the table's triggers skip them (usertriggers.c). */
int triggers_mark_session(struct db *db);
int triggers_drop(struct db *db, const char *schema, struct objnames *n, bool report);

#endif
