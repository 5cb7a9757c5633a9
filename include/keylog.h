/* keylog: the keys the application changes while the shadow's secondary
 * indexes are built (see src/keylog.c). */
#ifndef OSCAR_KEYLOG_H
#define OSCAR_KEYLOG_H

#include <stdbool.h>

struct migration;
struct sbuf;

/* Whether this run can log keys instead of mirroring while the deferred
 * indexes are built: then they are deferred while others write too. */
bool keylog_possible(struct migration *m);
/* After bound_create, before the triggers: the key log table when the
 * bound is active and indexes are deferred. 0 or -1. */
int keylog_create(struct migration *m);
/* A resumed run: takes over the job's key log table if there is one. 0 or -1. */
int keylog_attach(struct migration *m);
/* Whether the triggers being created have the logging branch. */
bool keylog_active(void);
/* Whether keys may be in the log already (logged since the triggers' creation,
 * or by the stopped run of a resumed job): they are brought after the build. */
bool keylog_pending(const struct migration *m);
/* "IF <logging> THEN <log image's key>; ELSE " for a trigger body, before
 * the mirror (image: "NEW" or "OLD"); keylog_end closes it. Nothing when
 * the key log is not active. */
void keylog_if(struct sbuf *q, struct migration *m, const char *image);
void keylog_end(struct sbuf *q);
/* From now on the triggers log keys and write nothing into the shadow. 0 or -1. */
int keylog_start(struct migration *m);
/* The triggers mirror again, and every logged key's row is brought from
 * the table into the shadow. 0; 1 when the application's locks kept some
 * rows from it for long (the job stays resumable); -1. */
int keylog_stop(struct migration *m);
/* After the triggers are gone. 0 or -1. */
int keylog_drop(struct migration *m);

#endif
