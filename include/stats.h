/* stats: what a run spent its time on, for the summary at its end (also on
 * failure and abort) and the done/error/incomplete events. */
#ifndef OSCAR_STATS_H
#define OSCAR_STATS_H

#include "sbuf.h"

/* A new phase begins (the one before ends). */
void stats_phase(const char *name);
/* A copied chunk took secs (target: the chunk time then in force). */
void stats_chunk(double secs, double target);
/* A retry of oscar's own statement: errno of the failure ("deadlock",
 * "lock_wait", "mdl" by class), or a metadata lock not granted in time. */
void stats_retry_errno(unsigned err);
void stats_retry_mdl(void);
/* The copy waited secs: reason "paused", "max-load", "max-lag", ... */
void stats_wait(const char *reason, double secs);
/* The swap: ms waiting for the metadata lock and ms of the RENAME itself. */
void stats_cutover(double lock_wait_ms, double rename_ms);
/* Adds the summary's fields to an event being built. */
void stats_event(struct sbuf *ev, long long rows_copied);
/* The summary on standard error (not with --quiet). */
void stats_log(long long rows_copied);

#endif
