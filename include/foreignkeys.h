/* foreignkeys: child tables whose foreign keys reference the changed table. */
#ifndef OSCAR_FOREIGNKEYS_H
#define OSCAR_FOREIGNKEYS_H

#include "db.h"

struct migration;

/* Preflight: with children, refuses unless --alter-foreign-keys-method allows
 * them, checks the referenced columns survive the ALTER. 0 or an EXIT_*. */
int fk_check(struct migration *m);
/* Before the swap: every child constraint is rebuilt to reference the shadow,
 * which the RENAME then turns into the table. */
int fk_rebuild(struct migration *m);
/* Points every child constraint that references `from` back at `to` (after a
 * failed swap, on rollback, in --cleanup). Returns 0 when none is left. */
int fk_repoint(struct db *db, const char *schema, const char *from, const char *to);

#endif
