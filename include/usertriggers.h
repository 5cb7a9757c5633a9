/* usertriggers: the table's own triggers, carried over to the new table. */
#ifndef OSCAR_USERTRIGGERS_H
#define OSCAR_USERTRIGGERS_H

struct migration;

/* Preflight: reads the table's own triggers into m; refuses (EXIT_REFUSED)
 * one that references a column the ALTER drops or renames. */
int utrig_check(struct migration *m);
/* Before the swap: guarded copies on the shadow (they do nothing while oscar
 * mirrors or copies into it), so the new table has them the moment it is
 * renamed into place. */
int utrig_install_guarded(struct migration *m);
/* After the swap: the originals, with their own names, definer, sql_mode and
 * character set, replace the guarded copies under one table lock. */
int utrig_restore(struct migration *m);

#endif
