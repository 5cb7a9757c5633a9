/* hooks: commands run at the events of a migration (--hook, --hooks-dir). */
#ifndef OSCAR_HOOKS_H
#define OSCAR_HOOKS_H

#include <stdbool.h>

struct migration;

/* The events a hook may name, for validating --hook at parse time. */
bool hooks_event_valid(const char *event);
#define HOOK_EVENTS "start, copy-done, before-cutover, success or failure"

/* True when some hook (--hook or an executable in --hooks-dir) is set for event. */
bool hooks_exist(const char *event);

/* Runs every hook for event ("start", "copy-done", "before-cutover",
 * "success", "failure") with the migration's details in OSCAR_* environment
 * variables. Returns 0 when all hooks succeeded (or none is set), -1 when one
 * failed. */
int hooks_run(const char *event, const struct migration *m, const char *detail);

#endif
