/* hooks: commands run at the events of a migration (--hook, --hooks-dir). */
#ifndef OSCAR_HOOKS_H
#define OSCAR_HOOKS_H

struct migration;

/* Runs every hook for event ("start", "copy-done", "before-cutover",
 * "success", "failure") with the migration's details in OSCAR_* environment
 * variables. Returns 0 when all hooks succeeded (or none is set), -1 when one
 * failed. */
int hooks_run(const char *event, const struct migration *m, const char *detail);

#endif
