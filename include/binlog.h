/* binlog: how the copy's own statements are written to the binary log. */
#ifndef OSCAR_BINLOG_H
#define OSCAR_BINLOG_H

#include <stdbool.h>

struct db;
struct migration;

/* Whether the copy's chunk statements may be logged as statements; when not,
 * *why says what prevents it (a static string). */
bool binlog_statement_copy_safe(struct migration *m, const char **why);
/* Switches the session to statement logging for the copy when that is safe and
 * allowed. Returns 0 (also when it stays row-based) or -1 on a lost connection. */
int binlog_copy_begin(struct migration *m);
/* Around the slow path of a chunk (SKIP LOCKED reads, which a replica would
 * not repeat exactly): row logging, then back. No-ops when not switched. */
int binlog_copy_rows(struct migration *m);
int binlog_copy_statements(struct migration *m);
/* A further copy connection of the same run (the parallel copy) logs its
 * chunks as the main one does. */
int binlog_copy_attach(struct db *worker);
/* Back to the session's own format. */
int binlog_copy_end(struct migration *m);

#endif
