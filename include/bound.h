/* bound: how far the triggers mirror (see src/bound.c). */
#ifndef OSCAR_BOUND_H
#define OSCAR_BOUND_H

#include <stdbool.h>

struct keyval;
struct migration;
struct sbuf;

/* Before the triggers are created: the bound table, when this run may use
 * one (else the triggers mirror every row). 0, or -1 on a failure that
 * must stop the run. */
int bound_create(struct migration *m);
/* A resumed run: takes over the bound table the job's triggers read, if
 * there is one. 0 or -1. */
int bound_attach(struct migration *m);
/* Whether this run may use a bound; else *why says why not. */
bool bound_eligible(struct migration *m, const char **why);
/* Whether the triggers being created read the bound. */
bool bound_active(void);
/* Whether the triggers mirror every row (no bound, or the copy is past it). */
bool bound_all(void);
/* "IF <image>.<key> <= the bound THEN " for a trigger body (image: "NEW"
 * or "OLD"); the caller closes it with "END IF;". */
void bound_if(struct sbuf *q, struct migration *m, const char *image);
/* Before the copy reads the rows up to upper (NULL: to the end): the bound
 * covers them. 0, or -1 when it cannot be moved (the run stops). */
int bound_cover(struct migration *m, const struct keyval *upper);
/* " AND <the bound table locked for writing>", for a copy statement's
 * WHERE clause: it then runs while no statement firing the triggers does. */
void bound_fence(struct sbuf *q, struct migration *m);
/* Holds every statement that fires the triggers at its start for secs (the
 * fence with nothing inside): they then leave the server to oscar's work. 0
 * or -1 (also when it gave up waiting for the statements under way). */
int bound_hold(struct migration *m, double secs);
/* After the triggers are gone. 0 or -1. */
int bound_drop(struct migration *m);

#endif
