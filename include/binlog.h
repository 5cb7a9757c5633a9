/* binlog: how the copy's own statements are written to the binary log. */
#ifndef OSCAR_BINLOG_H
#define OSCAR_BINLOG_H

#include <stdbool.h>

struct db;
struct migration;

/* What keeps the copy's chunk statements from being logged as statements. */
enum binlog_why {
	BINLOG_SAFE,              /* nothing: they may be */
	BINLOG_FORCED_ROW,        /* --copy-binlog-format=row */
	BINLOG_NOT_MARIADB,
	BINLOG_NO_LOG,            /* nothing is logged at all */
	BINLOG_ALREADY_STATEMENT,
	BINLOG_GALERA,
	BINLOG_USER_TRIGGERS,
	BINLOG_NEW_UNIQUE,
	BINLOG_GENERATED_AUTOINC,
	BINLOG_EXPRESSION_DEFAULT,
};
enum binlog_why binlog_statement_copy_check(struct migration *m);
/* Whether every unique key of the new table but the chunk key was enforced
 * the same way, on the same copied columns, by the old table. */
bool unique_keys_as_before(struct migration *m);
/* The reason in words, for the log and the dry run. */
const char *binlog_why_text(enum binlog_why why);
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
