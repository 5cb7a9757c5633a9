/* triggers: the triggers that mirror every write on the table into the shadow. */
#ifndef OSCAR_TRIGGERS_H
#define OSCAR_TRIGGERS_H

#include <stdbool.h>

#include "migration.h"

/* The CREATE TRIGGER statement of one of the three triggers: 0 delete,
 * 1 update, 2 insert. */
char *triggers_sql(struct migration *m, int which);
int triggers_install(struct migration *m);
/* 0 when the table's triggers are exactly those this job installs. */
int triggers_intact(struct migration *m);
/* Marks the session's writes into the shadow as oscar's own (@oscar_mirroring):
 * the guarded copies of the table's triggers skip them (usertriggers.c). */
int triggers_mark_session(struct db *db);
int triggers_drop(struct db *db, const char *schema, struct objnames *n, bool report);

#endif
