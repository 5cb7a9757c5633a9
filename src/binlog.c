/* binlog: how the copy's own statements are written to the binary log.
 *
 * Under row-based logging every copied row goes to the binary log as a row
 * event: for a table copied by INSERT ... SELECT that is about a quarter of
 * the copy's time on the primary, plus the volume shipped to every replica.
 * A chunk statement can instead be logged as the statement itself, and a
 * replica that replays it produces the same rows, because:
 *   - the chunk reads its rows with shared next-key locks held until commit,
 *     so any transaction that changed them committed before the chunk (and is
 *     earlier in the binary log) or waits for it (and is later);
 *   - the rows it inserts do not depend on their order: duplicates on the
 *     chunk key are exactly the rows the triggers already wrote, any other
 *     unique key of the shadow was enforced the same way on the old table
 *     (so copied rows cannot collide on it), no AUTO_INCREMENT value is
 *     generated, and no added column takes a default that differs between
 *     servers;
 *   - no trigger of the table's own runs on the shadow.
 * The server still calls INSERT IGNORE ... SELECT "unsafe" in general (note
 * 1592, also written to its error log a few times a minute at most); the
 * conditions above are why it is not for this statement. The slow path of a
 * chunk (SKIP LOCKED) is not repeatable on a replica and is logged by row.
 * Galera needs row events, and MySQL is left alone. */
#include "binlog.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "migration.h"
#include "options.h"

static bool switched;   /* the session was set to STATEMENT by binlog_copy_begin */
static char *original;  /* the session's binlog_format before */

static bool scalar_is(struct db *db, const char *sql, const char *want)
{
	bool found;
	char *v = db_scalar(db, sql, &found);
	bool same = v && !strcasecmp(v, want);
	free(v);
	return same;
}

/* Added columns whose default is an expression other than a literal or the
 * current time (which the binary log carries with each statement). */
static long long nondeterministic_defaults(struct migration *m)
{
	if (!m->added_cols || !m->added_cols[0])
		return 0;
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ");
	sb_literal(&q, m->schema);
	sb_add(&q, " AND TABLE_NAME = ");
	sb_literal(&q, m->names.shadow);
	sb_add(&q, " AND COLUMN_NAME IN (");
	for (int i = 0; m->added_cols[i]; i++) {
		if (i)
			sb_add(&q, ", ");
		sb_literal(&q, m->added_cols[i]);
	}
	sb_add(&q, ") AND NOT (COLUMN_DEFAULT IS NULL OR COLUMN_DEFAULT = 'NULL'"
		   " OR COLUMN_DEFAULT REGEXP '^(-?[0-9]+(\\\\.[0-9]*)?([eE][-+]?[0-9]+)?|''.*''"
		   "|current_timestamp(\\\\([0-6]?\\\\))?)$')");
	bool found;
	char *v = db_scalar(m->db, sb_str(&q), &found);
	sb_free(&q);
	long long n = v ? atoll(v) : -1;
	free(v);
	return n;
}

/* A unique key of the new table that the old table already enforced on the
 * same copied columns, unchanged: the copied rows cannot collide on it with
 * each other, so it cannot make the result depend on their order. */
static bool unique_as_before(struct migration *m, const struct index *ix)
{
	for (int i = 0; i < m->orig.nidx; i++) {
		const struct index *ox = &m->orig.idx[i];
		if (!ox->unique || ox->ncols != ix->ncols || ox->prefix != ix->prefix || ix->prefix)
			continue;
		bool same = true;
		for (int c = 0; c < ix->ncols && same; c++) {
			const char *to = NULL;
			for (int k = 0; k < m->map.n && !to; k++)
				if (!strcasecmp(m->map.from[k], ox->cols[c]))
					to = m->map.to[k];
			const struct column *oc = table_column(&m->orig, ox->cols[c]);
			const struct column *nc = table_column(&m->shadow, ix->cols[c]);
			same = to && !strcasecmp(to, ix->cols[c]) && oc && nc && !strcmp(oc->column_type, nc->column_type) &&
			       !strcmp(oc->collation ? oc->collation : "", nc->collation ? nc->collation : "");
		}
		if (same)
			return true;
	}
	return false;
}

bool unique_keys_as_before(struct migration *m)
{
	for (int i = 0; i < m->shadow.nidx; i++) {
		const struct index *ix = &m->shadow.idx[i];
		if (ix->unique && strcmp(ix->name, m->key.new_index) && !unique_as_before(m, ix))
			return false;
	}
	return true;
}

const char *binlog_why_text(enum binlog_why why)
{
	static const char *const text[] = {
		[BINLOG_SAFE] = "",
		[BINLOG_FORCED_ROW] = "--copy-binlog-format=row",
		[BINLOG_NOT_MARIADB] = "not MariaDB",
		[BINLOG_NO_LOG] = "no binary log",
		[BINLOG_ALREADY_STATEMENT] = "already statement-based",
		[BINLOG_GALERA] = "Galera needs row events",
		[BINLOG_USER_TRIGGERS] = "the table has triggers",
		[BINLOG_NEW_UNIQUE] = "the new table has a unique key the old one did not enforce",
		[BINLOG_GENERATED_AUTOINC] = "the copy generates AUTO_INCREMENT values",
		[BINLOG_EXPRESSION_DEFAULT] = "an added column's default is an expression",
	};
	return text[why];
}

enum binlog_why binlog_statement_copy_check(struct migration *m)
{
	struct db *db = m->db;
	if (strcmp(opt.copy_binlog_format, "auto"))
		return BINLOG_FORCED_ROW;
	if (!db->mariadb)
		return BINLOG_NOT_MARIADB;
	if (!scalar_is(db, "SELECT @@log_bin AND @@sql_log_bin", "1"))
		return BINLOG_NO_LOG;
	if (scalar_is(db, "SELECT @@SESSION.binlog_format", "STATEMENT"))
		return BINLOG_ALREADY_STATEMENT;
	if (scalar_is(db, "SELECT @@wsrep_on", "1"))
		return BINLOG_GALERA;
	if (m->user_triggers)
		return BINLOG_USER_TRIGGERS;
	if (!unique_keys_as_before(m))
		return BINLOG_NEW_UNIQUE;
	for (int i = 0; i < m->shadow.ncols; i++) {
		const struct column *c = &m->shadow.cols[i];
		bool copied = false;
		for (int k = 0; k < m->map.n && !copied; k++)
			copied = !strcasecmp(m->map.to[k], c->name);
		if (c->auto_increment && !copied)
			return BINLOG_GENERATED_AUTOINC;
	}
	if (nondeterministic_defaults(m) != 0)
		return BINLOG_EXPRESSION_DEFAULT;
	return BINLOG_SAFE;
}

int binlog_copy_begin(struct migration *m)
{
	switched = false;
	m->db->binlog_stmt = false;
	enum binlog_why why = binlog_statement_copy_check(m);
	if (why != BINLOG_SAFE) {
		if (why != BINLOG_NO_LOG && why != BINLOG_ALREADY_STATEMENT)
			log_info("chunks are logged by row in the binary log (%s)", binlog_why_text(why));
		return db_last_class(m->db) == ERR_LOST ? -1 : 0;
	}
	free(original);
	original = db_scalar(m->db, "SELECT @@SESSION.binlog_format", NULL);
	if (!original)
		return db_last_class(m->db) == ERR_LOST ? -1 : 0;
	if (db_exec(m->db, DB_SILENT, "SET SESSION binlog_format='STATEMENT'")) {
		if (db_last_class(m->db) == ERR_LOST)
			return -1;
		log_info("chunks are logged by row in the binary log (cannot set binlog_format: %s)", m->db->errmsg);
		return 0;
	}
	switched = m->db->binlog_stmt = true;
	log_info("chunks are logged as statements in the binary log (binlog_format=STATEMENT while copying)");
	return 0;
}

static int set_format(struct migration *m, bool stmt)
{
	struct db *db = m->db;
	if (!switched || db->binlog_stmt == stmt)
		return 0;
	/* called after a failed chunk too, whose error the caller still classifies */
	unsigned err = db->err;
	char state[sizeof db->sqlstate], msg[sizeof db->errmsg];
	memcpy(state, db->sqlstate, sizeof state);
	memcpy(msg, db->errmsg, sizeof msg);
	if (db_exec(db, 0, stmt ? "SET SESSION binlog_format='STATEMENT'" : "SET SESSION binlog_format='ROW'"))
		return -1;
	db->err = err;
	memcpy(db->sqlstate, state, sizeof state);
	memcpy(db->errmsg, msg, sizeof msg);
	db->binlog_stmt = stmt;
	return 0;
}

int binlog_copy_attach(struct db *worker)
{
	worker->binlog_stmt = false;
	if (!switched)
		return 0;
	if (db_exec(worker, 0, "SET SESSION binlog_format='STATEMENT'"))
		return -1;
	worker->binlog_stmt = true;
	return 0;
}

int binlog_copy_rows(struct migration *m)
{
	return set_format(m, false);
}

int binlog_copy_statements(struct migration *m)
{
	return set_format(m, true);
}

int binlog_copy_end(struct migration *m)
{
	if (!switched)
		return 0;
	switched = m->db->binlog_stmt = false;
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "SET SESSION binlog_format=");
	sb_literal(&q, original);
	int rc = db_exec(m->db, 0, sb_str(&q));
	sb_free(&q);
	free(original);
	original = NULL;
	return rc;
}
