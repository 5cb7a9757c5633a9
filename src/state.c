/* state: one row per job in `_oscar_state` (DDL in sql/oscar_state.sql, built
 * into the binary). Written after each chunk commits, so it never claims rows
 * that were not copied; a resumed run starts after last_key and INSERT IGNORE
 * makes the re-copy of a chunk harmless. */
#include "state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "options.h"
#include "state_sql.h"

static void state_table(struct sbuf *q, const char *schema)
{
	sb_qualified(q, schema, STATE_TABLE);
}

/* "<head> `schema`.`_oscar_state` WHERE table_name = 'table'", or NULL (and
 * *rc = 0 or -1) when the state table does not exist. */
static char *for_job(struct db *db, const char *head, const char *schema, const char *table, int *rc)
{
	bool exists;
	*rc = catalog_table_exists(db, schema, STATE_TABLE, &exists);
	if (*rc || !exists)
		return NULL;
	struct sbuf q = SBUF_INIT;
	sb_add(&q, head);
	state_table(&q, schema);
	sb_add(&q, " WHERE table_name = ");
	sb_literal(&q, table);
	return sb_take(&q);
}

int state_load(struct db *db, const char *schema, const char *table, struct jobstate *js)
{
	memset(js, 0, sizeof *js);
	int rc;
	char *sql = for_job(db, "SELECT alter_text, phase, last_key, rows_copied, revert_until,"
			    " revert_until IS NOT NULL AND revert_until < NOW(6), deferred_indexes FROM ", schema, table, &rc);
	if (!sql)
		return rc;
	MYSQL_RES *r = db_query(db, sql);
	free(sql);
	if (!r)
		return -1;
	MYSQL_ROW row = mysql_fetch_row(r);
	if (row) {
		unsigned long *len = mysql_fetch_lengths(r);
		js->found = true;
		js->alter_text = xstrdup(row[0]);
		js->phase = xstrdup(row[1]);
		js->rows_copied = row[3] ? atoll(row[3]) : 0;
		js->revert_until = row[4] ? xstrdup(row[4]) : NULL;
		js->window_over = row[5] && atoi(row[5]);
		js->deferred = row[6] ? xstrdup(row[6]) : NULL;
		keyval_decode(row[2], row[2] ? len[2] : 0, &js->last_key);
	}
	mysql_free_result(r);
	return 0;
}

void jobstate_free(struct jobstate *js)
{
	free(js->alter_text);
	free(js->phase);
	free(js->revert_until);
	free(js->deferred);
	keyval_free(&js->last_key);
	memset(js, 0, sizeof *js);
}

int state_begin(struct migration *m)
{
	/* The DDL of sql/oscar_state.sql, for the table's schema. */
	const char *ddl = OSCAR_STATE_SQL;
	const char *name = strstr(ddl, "`" STATE_TABLE "`");
	if (!name)
		return -1;
	struct sbuf q = SBUF_INIT;
	sb_addn(&q, ddl, (size_t)(name - ddl));
	state_table(&q, m->schema);
	sb_add(&q, name + strlen("`" STATE_TABLE "`"));
	int rc = db_exec(m->db, DB_CHANGE, sb_str(&q));
	sb_reset(&q);
	if (!rc) {
		sb_add(&q, "REPLACE INTO ");
		state_table(&q, m->schema);
		sb_add(&q, " (table_name, alter_text, shadow_name, trigger_names, phase, last_key, deferred_indexes,"
			   " rows_copied, started_at, updated_at) VALUES (");
		sb_literal(&q, m->table);
		sb_add(&q, ", ");
		sb_literal(&q, opt.alter);
		sb_add(&q, ", ");
		sb_literal(&q, m->names.shadow);
		sb_add(&q, ", ");
		struct sbuf t = SBUF_INIT;
		sb_addf(&t, "%s,%s,%s", m->names.trg_del, m->names.trg_upd, m->names.trg_ins);
		sb_literal(&q, sb_str(&t));
		sb_free(&t);
		sb_add(&q, ", 'copy', NULL, ");
		if (m->deferred_defs && m->deferred_defs[0]) {
			struct sbuf d = SBUF_INIT;
			for (int i = 0; m->deferred_defs[i]; i++)
				sb_addf(&d, "%s%s", i ? "\n" : "", m->deferred_defs[i]);
			sb_literal(&q, sb_str(&d));
			sb_free(&d);
		} else {
			sb_add(&q, "NULL");
		}
		sb_add(&q, ", 0, NOW(6), NOW(6))");
		rc = db_exec(m->db, DB_CHANGE, sb_str(&q));
	}
	sb_free(&q);
	return rc;
}

int state_progress(struct migration *m, const struct keyval *last)
{
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "UPDATE ");
	state_table(&q, m->schema);
	sb_add(&q, " SET last_key = X'");
	struct sbuf enc = SBUF_INIT;
	keyval_encode(&enc, last->n, last->v, last->len);
	for (size_t j = 0; j < enc.len; j++)
		sb_addf(&q, "%02X", (unsigned char)enc.s[j]);
	sb_free(&enc);
	sb_addf(&q, "', rows_copied = %lld, updated_at = NOW(6) WHERE table_name = ", m->rows_copied);
	sb_literal(&q, m->table);
	int rc = db_exec(m->db, DB_CHANGE | DB_SILENT, sb_str(&q));
	sb_free(&q);
	return rc;
}

int state_phase(struct migration *m, const char *phase)
{
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "UPDATE ");
	state_table(&q, m->schema);
	sb_add(&q, " SET phase = ");
	sb_literal(&q, phase);
	sb_add(&q, ", updated_at = NOW(6) WHERE table_name = ");
	sb_literal(&q, m->table);
	int rc = db_exec(m->db, DB_CHANGE, sb_str(&q));
	sb_free(&q);
	return rc;
}

int state_revert_window(struct migration *m, double seconds)
{
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "UPDATE ");
	state_table(&q, m->schema);
	sb_addf(&q, " SET phase = 'revert', revert_until = NOW(6) + INTERVAL %lld MICROSECOND, updated_at = NOW(6)"
		    " WHERE table_name = ", (long long)(seconds * 1e6));
	sb_literal(&q, m->table);
	int rc = db_exec(m->db, DB_CHANGE, sb_str(&q));
	sb_free(&q);
	return rc;
}

int state_forget(struct db *db, const char *schema, const char *table)
{
	int rc;
	char *sql = for_job(db, "DELETE FROM ", schema, table, &rc);
	if (!sql)
		return rc;
	rc = db_exec(db, DB_CHANGE, sql);
	free(sql);
	struct sbuf q = SBUF_INIT;
	if (!rc) {
		sb_add(&q, "SELECT COUNT(*) FROM ");
		state_table(&q, schema);
		bool found;
		char *n = db_scalar(db, sb_str(&q), &found);
		if (found && n && atoll(n) == 0) {
			sb_reset(&q);
			sb_add(&q, "DROP TABLE IF EXISTS ");
			state_table(&q, schema);
			rc = db_exec(db, DB_CHANGE, sb_str(&q));
		}
		free(n);
	}
	sb_free(&q);
	return rc;
}
