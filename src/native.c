/* native: the ALTERs oscar leaves to the server, run on the table itself in one
 * statement with the same short metadata-lock waits as every oscar DDL, so an
 * open transaction never makes the application queue behind the ALTER. */
#include "native.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "log.h"
#include "migration.h"
#include "options.h"
#include "clock.h"

/* The table's partitioning method (RANGE, LIST COLUMNS, HASH ...), or NULL
 * for a table without partitions; *found false after an error. */
static char *partition_method(struct migration *m, bool *found)
{
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "SELECT PARTITION_METHOD FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA = BINARY ");
	sb_literal(&q, m->schema);
	sb_add(&q, " AND TABLE_NAME = BINARY ");
	sb_literal(&q, m->table);
	sb_add(&q, " AND PARTITION_METHOD IS NOT NULL LIMIT 1");
	char *v = db_scalar(m->db, sb_str(&q), found);
	sb_free(&q);
	return v;
}

int native_partition_wanted(struct migration *m, bool *wanted)
{
	*wanted = false;
	if (m->alter.partition == PART_NONE)
		return 0;
	bool found;
	char *method = partition_method(m, &found);
	if (!found) {
		free(method);
		return EXIT_FAILED;
	}
	bool range_or_list = method && (!strncasecmp(method, "RANGE", 5) || !strncasecmp(method, "LIST", 4));
	*wanted = alter_partition_native(&m->alter, range_or_list);
	free(method);
	return 0;
}

/* ANALYZE, CHECK, OPTIMIZE and REPAIR PARTITION answer with rows, and report
 * their failures (a lock wait among them) in those rows, not as an error. */
static bool answers_rows(enum partition_op op)
{
	return op == PART_ANALYZE || op == PART_CHECK || op == PART_OPTIMIZE || op == PART_REPAIR;
}

static void table_sql(struct sbuf *q, struct migration *m, const char *prefix)
{
	sb_add(q, prefix);
	sb_add(q, "ALTER TABLE ");
	sb_qualified(q, m->schema, m->table);
	sb_add(q, " ");
	sb_add(q, opt.alter);
}

int native_partition_plan(struct migration *m)
{
	const char *what = alter_partition_name(m->alter.partition);
	enum partition_op op = m->alter.partition;
	/* EXCHANGE and CONVERT would act on the other table too, and the
	 * maintenance statements have nothing to check on an empty copy */
	bool try_it = op == PART_ADD || op == PART_DROP || op == PART_TRUNCATE;
	if (try_it) {
		struct sbuf q = SBUF_INIT;
		sb_add(&q, "CREATE TABLE ");
		sb_qualified(&q, m->schema, m->names.shadow);
		sb_add(&q, " LIKE ");
		sb_qualified(&q, m->schema, m->table);
		int rc = db_exec(m->db, 0, sb_str(&q));
		sb_free(&q);
		if (rc)
			return EXIT_FAILED;
		cleanup_push_table(m->schema, m->names.shadow);
		sb_add(&q, "ALTER TABLE ");
		sb_qualified(&q, m->schema, m->names.shadow);
		sb_add(&q, " ");
		sb_add(&q, opt.alter);
		rc = db_exec(m->db, DB_SILENT, sb_str(&q));
		sb_free(&q);
		struct db err = *m->db;
		if (cleanup_run(m->db))
			return EXIT_FAILED;
		if (rc) {
			log_error("refused: the server does not accept the %s: errno %u (%s): %s", what, err.err, err.sqlstate,
				  err.errmsg);
			return EXIT_REFUSED;
		}
	}
	struct sbuf q = SBUF_INIT;
	table_sql(&q, m, "");
	if (opt.json) {
		struct sbuf ev;
		ev_begin(&ev, "plan");
		ev_str(&ev, "method", "native");
		ev_str(&ev, "operation", what);
		ev_str(&ev, "sql", sb_str(&q));
		ev_end(&ev);
	} else {
		printf("dry run: nothing was changed (add --execute to run)\n");
		printf("table: `%s`.`%s`, about %lld rows\n", m->schema, m->table, m->orig.rows_estimate);
		printf("method: native: %s is partition maintenance that the server does in place; a copy would %s\n",
		       what,
		       op == PART_DROP || op == PART_TRUNCATE || op == PART_EXCHANGE || op == PART_CONVERT
			       ? "keep the rows it removes or moves"
			       : "rebuild the whole table for nothing");
		long lwt = (long)(opt.lock_wait_timeout + 0.999);
		printf("no shadow table, no triggers, no copy; the statement waits at most %ld s for its metadata lock, "
		       "%d attempts\n", lwt < 1 ? 1 : lwt, opt.lock_retries);
		printf("statement:\n  %s\n", sb_str(&q));
		if (!try_it)
			printf("(not tried on a scratch copy: it would act on other tables or has nothing to check there)\n");
	}
	sb_free(&q);
	return EXIT_OK;
}

/* Runs a maintenance statement that answers with rows, retrying while its
 * metadata lock is not granted in time. */
static int apply_with_rows(struct migration *m, const char *sql, const char *what)
{
	for (int attempt = 1;; attempt++) {
		MYSQL_RES *r = db_query(m->db, sql);
		if (!r)
			return -1;
		MYSQL_ROW row;
		bool failed = false, lock_wait = false;
		while ((row = mysql_fetch_row(r))) {
			const char *type = row[2] ? row[2] : "", *text = row[3] ? row[3] : "";
			if (!strcasecmp(type, "error")) {
				failed = true;
				lock_wait |= strstr(text, "Lock wait timeout") != NULL;
				db_set_error(m->db, 1205, "HY000", text, sql);
			}
			log_info("%s: %s %s: %s", what, row[1] ? row[1] : "", type, text);
		}
		mysql_free_result(r);
		if (!failed)
			return 0;
		if (!lock_wait || oscar_abort || attempt >= opt.lock_retries)
			return -1;
		log_warn("%s: metadata lock not granted (attempt %d of %d), retrying", what, attempt, opt.lock_retries);
		db_report_blockers(m->db);
		sleep_s(0.05 * attempt);
	}
}

int native_apply(struct migration *m, const char *what)
{
	/* the server's own sql_mode, as for every ALTER of the user's */
	struct sbuf mode = SBUF_INIT;
	sb_add(&mode, "SET SESSION sql_mode=");
	sb_literal(&mode, m->global_sql_mode ? m->global_sql_mode : "");
	int rc = db_exec(m->db, 0, sb_str(&mode));
	sb_free(&mode);
	if (rc)
		return EXIT_FAILED;
	struct sbuf q = SBUF_INIT;
	/* EXCHANGE ... WITH TABLE x and CONVERT ... TO TABLE x name the other
	 * table as the user would, in the table's own schema */
	sb_add(&q, "USE ");
	sb_ident(&q, m->schema);
	rc = db_exec(m->db, 0, sb_str(&q));
	sb_free(&q);
	if (rc)
		return EXIT_FAILED;
	double t0 = now_mono();
	log_info("running the ALTER natively (%s) on '%s'.'%s'", what, m->schema, m->table);
	if (answers_rows(m->alter.partition)) {
		long lwt = (long)(opt.lock_wait_timeout + 0.999);
		char prefix[64];
		snprintf(prefix, sizeof prefix, "SET STATEMENT lock_wait_timeout=%ld FOR ", lwt < 1 ? 1 : lwt);
		table_sql(&q, m, prefix);
		rc = apply_with_rows(m, sb_str(&q), what);
	} else {
		table_sql(&q, m, "");
		rc = db_exec_mdl(m->db, DB_CHANGE | DB_LONG | DB_SILENT, what, sb_str(&q));
	}
	sb_free(&q);
	if (rc)
		db_exec_keep_error(m->db, DB_SET_SQL_MODE);
	else if (db_exec(m->db, 0, DB_SET_SQL_MODE))
		rc = -1;
	if (rc) {
		if (oscar_abort)
			return EXIT_SIGNAL;
		/* the server refused the statement as a whole: nothing changed */
		log_error("the native ALTER (%s) failed: %s", what, db_error_text(m->db));
		return m->db->err == 1845 || m->db->err == 1846 ? EXIT_REFUSED : EXIT_FAILED;
	}
	double secs = now_mono() - t0;
	log_info("done: '%s'.'%s' altered natively (%s) in %.1f ms; no copy was needed", m->schema, m->table, what,
		 secs * 1000);
	struct sbuf ev;
	migration_done_begin(&ev, m);
	ev_str(&ev, "method", "native");
	ev_str(&ev, "operation", what);
	migration_done_end(&ev, m);
	return 0;
}
