/* db: the only module that talks to libmariadb. */
#ifndef OSCAR_DB_H
#define OSCAR_DB_H

#include <stdatomic.h>
#include <stdbool.h>
#include <mysql.h>

#include "sbuf.h"

enum errclass {
	ERR_NONE,
	ERR_RETRY,     /* lock wait timeout, deadlock, statement timeout: try again */
	ERR_LOST,      /* connection gone */
	ERR_INTERRUPT, /* killed by our own signal handling */
	ERR_FATAL,
};

struct db {
	MYSQL *my;
	unsigned long thread_id;
	bool mariadb;
	unsigned long version;
	const char *label; /* "main", "control" */
	/* last failure */
	unsigned err;
	char sqlstate[8];
	char errmsg[512];
	char *failed_sql;
	char errtext[2048]; /* db_error_text's: one per connection, as threads each use their own */
	bool binlog_stmt;   /* the session logs the copy's chunks as statements (binlog.c) */
};

/* Flags for db_exec. */
enum {
	DB_CHANGE = 1,   /* changes the database: in dry run, only logged */
	DB_SILENT = 2,   /* caller handles the error; do not log it */
	DB_LONG = 4,     /* db_exec_mdl: the statement may run long once it has its
			    lock; bound the lock wait only (whole seconds), not the statement */
};

extern bool db_dry_run;
/* The server is a Galera node: DDL runs in total order, without
 * max_statement_time (it cannot be interrupted) and never under LOCK TABLES. */
extern bool db_galera;

/* Returns 0, or an EXIT_* status after printing one line. */
int db_connect(struct db *db, const char *label);

/* Where another server is (a replica); NULL fields: the client library's defaults. */
struct dbtarget {
	const char *host;
	unsigned port;
	const char *socket;
	const char *user;
	const char *password;
	bool quiet; /* a failure is only recorded in db, not printed (reconnect attempts) */
};
/* Like db_connect, to the given server; label names it in messages and must
 * outlive the connection. */
int db_connect_to(struct db *db, const char *label, const struct dbtarget *t);
void db_close(struct db *db);
int db_reconnect(struct db *db);

/* The comment every statement carries: "/\* oscar db.tbl phase *\/". */
void db_set_tag(const char *schema, const char *table);
void db_set_phase(const char *phase);
/* mysql_real_query with that comment at the head. */
int db_send(struct db *db, const char *sql, size_t len);

/* Runs one statement that returns no rows. 0 on success, -1 on error (details in db). */
int db_exec(struct db *db, unsigned flags, const char *sql);
int db_execf(struct db *db, unsigned flags, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Runs a query and returns its stored result, or NULL on error. */
MYSQL_RES *db_query(struct db *db, const char *sql);
/* db_query with DB_SILENT: the caller reports the error. */
MYSQL_RES *db_query_f(struct db *db, unsigned flags, const char *sql);
/* First column of the first row, newly allocated; NULL if no row/NULL value/error
 * (*found tells which). */
char *db_scalar(struct db *db, const char *sql, bool *found);

/* LOCK TABLES schema.a WRITE[, b WRITE[, c WRITE]] (NULLs skipped), each
 * attempt waiting briefly like any metadata lock: trigger DDL runs under it,
 * because MariaDB fails statements that are executing a table's trigger while
 * another trigger of the table is created or dropped. On a Galera node it
 * takes nothing and returns 1 (a table lock around total-order DDL wedges the
 * cluster); callers do without. */
int db_lock_tables(struct db *db, const char *schema, const char *a, const char *b, const char *c);
/* UNLOCK TABLES, keeping the error being reported. */
void db_unlock_tables(struct db *db);

/* Runs a statement that must not replace the error being reported (ROLLBACK,
 * UNLOCK TABLES after a failure). */
void db_exec_keep_error(struct db *db, const char *sql);

enum errclass db_classify(unsigned err);
enum errclass db_last_class(const struct db *db);
/* "errno 1205 (HY000): Lock wait timeout ...; statement: ..." for messages;
 * the text lives in db (valid until the next call for the same db), so the
 * index-build thread and the main thread never share a buffer. */
const char *db_error_text(struct db *db);
void db_set_error(struct db *db, unsigned err, const char *state, const char *msg, const char *sql);
/* A server-side prepared statement, for the copy's many INSERTs of one shape
 * (not tagged, not logged, no dry run: only the copy runs them). NULL, with
 * the error set, when the server refuses it. */
MYSQL_STMT *db_prepare(struct db *db, const char *sql);
/* Binds the parameters and executes: 0, or -1 with the error set (sql names
 * the statement in messages). */
int db_stmt_run(struct db *db, MYSQL_STMT *st, MYSQL_BIND *bind, const char *sql);

/* Runs DDL that needs an exclusive metadata lock without letting application
 * queries queue behind it for long: each attempt waits at most
 * opt.lock_wait_timeout, then backs off and retries up to opt.lock_retries times,
 * naming the oldest open transactions. Returns 0 or -1. */
int db_exec_mdl(struct db *db, unsigned flags, const char *what, const char *sql);
/* db_exec_mdl with foreign_key_checks=0 around it (the session's setting back
 * after, the statement's error kept). */
int db_exec_mdl_unchecked(struct db *db, unsigned flags, const char *what, const char *sql);

/* The sql_mode every session of oscar's works in (set at connect):
 * NO_AUTO_VALUE_ON_ZERO so a key 0 stays 0, NO_ENGINE_SUBSTITUTION so a
 * missing engine is an error; put back after a statement that needed the
 * server's own. */
#define DB_SET_SQL_MODE "SET SESSION sql_mode='NO_AUTO_VALUE_ON_ZERO,NO_ENGINE_SUBSTITUTION'"
#define DB_FK_CHECKS_OFF "SET SESSION foreign_key_checks=0"
#define DB_FK_CHECKS_ON "SET SESSION foreign_key_checks=1"

/* Names the oldest open transactions (log lines and lock_blocker events):
 * what a metadata lock is most likely waiting for. */
void db_report_blockers(struct db *db);

/* Row writes the whole server has done so far: rows inserted, and rows
 * inserted, updated or deleted (the handler counters; InnoDB's own
 * Innodb_rows_* are gone from MariaDB 10.6 on). Returns 0 or -1. */
int db_row_writes(struct db *db, long long *inserted, long long *changed);

/* The set of flags observed by signal handling. */
/* Written by the signal thread, read by every other: atomics, not volatile. */
extern atomic_int oscar_abort;  /* SIGINT/SIGTERM */
extern atomic_int oscar_paused; /* SIGUSR1 until SIGUSR2 */

#endif
