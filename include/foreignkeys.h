/* foreignkeys: the table's own foreign keys and child tables' foreign keys
 * that reference it. */
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

/* The table's own foreign keys. Preflight: refuses what cannot be carried
 * (a table referencing itself, a name that cannot be toggled) and counts
 * them in m->own_fks. 0 or an EXIT_*. */
int fk_own_check(struct migration *m);
/* Adds them to the empty shadow, names toggled (fk -> _fk, _fk -> fk). */
int fk_own_add(struct migration *m);
/* The ALTER for the shadow: DROP FOREIGN KEY / DROP CONSTRAINT of an own
 * foreign key names its toggled name. Caller frees. */
char *fk_shadow_alter(struct migration *m);
/* First columns (new names) of every foreign key of the shadow and of every
 * child's referenced key: an index starting there must not be dropped. */
char **fk_key_columns(struct migration *m);

#endif
