/* triggers: AFTER triggers that mirror every write on the table into the shadow.
 *
 * Installed DELETE, then UPDATE, then INSERT: until all three exist, a row the
 * shadow holds must never go stale. With only the DELETE and UPDATE triggers in
 * place every shadow row is a full current image (REPLACE of NEW); had INSERT come
 * first, an insert mirrored before the UPDATE trigger existed could be updated
 * unseen, and the copy's INSERT IGNORE would then keep the stale row. */
#include "triggers.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bound.h"
#include "keylog.h"
#include "cleanup.h"
#include "log.h"
#include "migration.h"
#include "fault.h"
#include "galera.h"
#include "options.h"
#include "clock.h"

static void col_list(struct sbuf *q, char **cols, int n, const char *prefix)
{
	for (int i = 0; i < n; i++) {
		if (i)
			sb_add(q, ", ");
		sb_add(q, prefix);
		sb_ident(q, cols[i]);
	}
}

/* shadow.key <=> OLD.key for every column of the shadow's row key: NULL-safe,
 * as a unique key may hold NULLs in the shape the triggers see. The whole key,
 * also where the ALTER extended it: a match on its first columns only would be
 * a range, whose next-key locks let application transactions deadlock. */
static void key_match_old(struct sbuf *q, const struct chunkkey *k)
{
	for (int i = 0; i < k->nrow; i++) {
		if (i)
			sb_add(q, " AND ");
		sb_ident(q, k->row_new_cols[i]);
		sb_add(q, " <=> OLD.");
		sb_ident(q, k->row_old_cols[i]);
	}
}

/* "<VERB> INTO shadow (cols) VALUES (", the head of every row the triggers write. */
static void into_shadow(struct sbuf *q, struct migration *m, const char *verb)
{
	sb_add(q, verb);
	sb_add(q, " INTO ");
	sb_qualified(q, m->schema, m->names.shadow);
	sb_add(q, " (");
	col_list(q, m->map.to, m->map.n, "");
	for (int i = 0; i < m->fill.n; i++) {
		sb_add(q, ", ");
		sb_ident(q, m->fill.cols[i]);
	}
	sb_add(q, ") VALUES (");
}

/* The implicit defaults of columns added NOT NULL without a DEFAULT (see
 * struct migration), after the mapped columns' values. */
static void fill_values(struct sbuf *q, struct migration *m)
{
	for (int i = 0; i < m->fill.n; i++) {
		sb_add(q, ", ");
		sb_add(q, m->fill.values[i]);
	}
}

static void replace_new(struct sbuf *q, struct migration *m)
{
	into_shadow(q, m, "REPLACE");
	col_list(q, m->map.from, m->map.n, "NEW.");
	fill_values(q, m);
	sb_add(q, ")");
}

/* Removes the old image's row from the shadow without ever taking a gap lock:
 * a DELETE that finds no row (the copy has not reached it yet) would lock the
 * gap where the row would be, and two application transactions each holding
 * such a gap lock and then inserting into it deadlock (sysbench's DELETE then
 * INSERT of one id does exactly that). Inserting the old image first (IGNORE:
 * a no-op when the row is there) guarantees the DELETE finds its row, and a
 * DELETE by primary key of an existing row locks that row only. */
/* Whether a shadow column belongs to a unique key other than the chunk key
 * and may hold NULL: the placeholder row leaves it NULL (see remove_old). */
static bool null_in_placeholder(struct migration *m, const char *col)
{
	const struct column *c = table_column(&m->shadow, col);
	if (!c || !c->nullable)
		return false;
	for (int i = 0; i < m->shadow.nidx; i++) {
		const struct index *ix = &m->shadow.idx[i];
		if (!ix->unique || !strcmp(ix->name, m->key.new_index))
			continue;
		for (int k = 0; k < ix->ncols; k++)
			if (!strcasecmp(ix->cols[k], col))
				return true;
	}
	return false;
}

static void remove_old(struct sbuf *q, struct migration *m)
{
	/* The row inserted only to be deleted at once needs just its key. Its
	 * nullable columns of the shadow's other unique keys stay NULL: a value
	 * there would be an entry in that key's index, inserted into a gap that
	 * another application transaction's duplicate check may hold (REPLACE
	 * locks the entry after the one it checks), a deadlock the table itself
	 * never sees; NULLs are never checked for duplicates. */
	into_shadow(q, m, "INSERT IGNORE");
	for (int i = 0; i < m->map.n; i++) {
		if (i)
			sb_add(q, ", ");
		if (null_in_placeholder(m, m->map.to[i])) {
			sb_add(q, "NULL");
		} else {
			sb_add(q, "OLD.");
			sb_ident(q, m->map.from[i]);
		}
	}
	fill_values(q, m);
	sb_add(q, "); ");
	/* the delete with the application's own checks: the shadow's rules
	 * then do to its rows what the table's did to the table's */
	if (m->self_fk)
		sb_add(q, "SET SESSION foreign_key_checks = @oscar_fkc; ");
	sb_add(q, "DELETE FROM ");
	sb_qualified(q, m->schema, m->names.shadow);
	sb_add(q, " WHERE ");
	key_match_old(q, &m->key);
	sb_add(q, ";");
	if (m->self_fk)
		sb_add(q, " SET SESSION foreign_key_checks = 0;");
}

/* "IF NOT (every mirrored column unchanged) THEN ", for the UPDATE trigger on
 * a Galera node. An UPDATE that leaves its row as it was changes nothing in
 * the table, so its writeset carries no certification key of the table, only
 * the shadow's row the mirror wrote; yet its appliers open and lock the table.
 * Certification then lets such a writeset be applied in parallel with a
 * total-order DDL on the table ordered before it (the next CREATE TRIGGER),
 * both want the table's metadata lock, and neither can abort the other (the
 * "MDL BF-BF conflict" that wedged the cluster; PXC-4657 describes the same
 * hole in Percona XtraDB Cluster). Writing nothing for an unchanged row closes
 * it, and the shadow's row stays right: it already holds that image, or the
 * copy has yet to bring it. Unchanged means equal as values (<=>) and as bytes
 * (a collation's "equal" is not: 'a' and 'A'; nor a float's: -0 and 0), so a
 * real change is never skipped. */
static void unchanged_skip(struct sbuf *q, struct migration *m)
{
	sb_add(q, "IF NOT (");
	for (int i = 0; i < m->map.n; i++) {
		if (i)
			sb_add(q, " AND ");
		sb_add(q, "OLD.");
		sb_ident(q, m->map.from[i]);
		sb_add(q, " <=> NEW.");
		sb_ident(q, m->map.from[i]);
		sb_add(q, " AND CAST(OLD.");
		sb_ident(q, m->map.from[i]);
		sb_add(q, " AS BINARY) <=> CAST(NEW.");
		sb_ident(q, m->map.from[i]);
		sb_add(q, " AS BINARY)");
	}
	sb_add(q, ") THEN ");
}

const char *triggers_name(const struct objnames *n, enum trigger_event ev)
{
	return ev == TRG_DELETE ? n->trg_del : ev == TRG_UPDATE ? n->trg_upd : n->trg_ins;
}

char *triggers_sql(struct migration *m, enum trigger_event which)
{
	static const char *names[] = { [TRG_DELETE] = "DELETE", [TRG_UPDATE] = "UPDATE", [TRG_INSERT] = "INSERT" };
	const char *tname = triggers_name(&m->names, which);
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "CREATE TRIGGER ");
	sb_qualified(&q, m->schema, tname);
	sb_addf(&q, " AFTER %s ON ", names[which]);
	sb_qualified(&q, m->schema, m->table);
	sb_add(&q, " FOR EACH ROW ");
	/* With triggers of its own on the table, the mirror marks its writes
	 * (@oscar_mirroring) so the guarded copies on the shadow ignore them; an
	 * exit handler clears the mark when a write fails. */
	bool mark = m->user_triggers > 0 || opt.revert_window > 0;
	/* With a reference of the table to itself, the shadow's rows arrive in
	 * no particular order (a row may come before the row it references), so
	 * the mirror writes without foreign key checks, except the delete (see
	 * remove_old); the exit handler gives the session its setting back. */
	bool self = m->self_fk;
	/* with a bound (bound.c), each mirror runs only for a row the copy has
	 * reached */
	bool bounded = bound_active();
	bool block = mark || self || which != TRG_INSERT || bounded;
	if (mark || self) {
		sb_add(&q, "BEGIN DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ");
		if (mark)
			sb_add(&q, "SET @oscar_mirroring = NULL; ");
		if (self)
			sb_add(&q, "SET SESSION foreign_key_checks = @oscar_fkc; ");
		sb_add(&q, "RESIGNAL; END; ");
		if (self)
			sb_add(&q, "SET @oscar_fkc = @@session.foreign_key_checks; SET SESSION foreign_key_checks = 0; ");
		if (mark)
			sb_add(&q, "SET @oscar_mirroring = 1; ");
	} else if (block) {
		sb_add(&q, "BEGIN ");
	}
	switch (which) {
	case TRG_DELETE:
		if (bounded) {
			keylog_if(&q, m, "OLD");
			bound_if(&q, m, "OLD");
		}
		remove_old(&q, m);
		if (bounded) {
			sb_add(&q, " END IF;");
			keylog_end(&q);
		}
		break;
	case TRG_UPDATE:
		if (galera_node)
			unchanged_skip(&q, m);
		/* Only when the key really changed is the old-key row removed; the
		 * REPLACE then writes the new image. */
		sb_add(&q, "IF NOT (");
		for (int i = 0; i < m->key.nrow; i++) {
			if (i)
				sb_add(&q, " AND ");
			sb_add(&q, "OLD.");
			sb_ident(&q, m->key.row_old_cols[i]);
			sb_add(&q, " <=> NEW.");
			sb_ident(&q, m->key.row_old_cols[i]);
		}
		sb_add(&q, ") THEN ");
		if (bounded) {
			keylog_if(&q, m, "OLD");
			bound_if(&q, m, "OLD");
		}
		remove_old(&q, m);
		if (bounded) {
			sb_add(&q, " END IF;");
			keylog_end(&q);
		}
		sb_add(&q, " END IF; ");
		if (bounded) {
			keylog_if(&q, m, "NEW");
			bound_if(&q, m, "NEW");
		}
		replace_new(&q, m);
		sb_add(&q, ";");
		if (bounded) {
			sb_add(&q, " END IF;");
			keylog_end(&q);
		}
		if (galera_node)
			sb_add(&q, " END IF;");
		break;
	default:
		if (bounded) {
			keylog_if(&q, m, "NEW");
			bound_if(&q, m, "NEW");
		}
		replace_new(&q, m);
		if (block)
			sb_add(&q, ";");
		if (bounded) {
			sb_add(&q, " END IF;");
			keylog_end(&q);
		}
		break;
	}
	if (self)
		sb_add(&q, " SET SESSION foreign_key_checks = @oscar_fkc;");
	if (mark)
		sb_add(&q, " SET @oscar_mirroring = NULL;");
	if (block)
		sb_add(&q, " END");
	return sb_take(&q);
}

/* A CREATE TRIGGER on a Galera node that failed after total order began:
 * the other nodes may have created it (see galera.h). Removed everywhere,
 * so that it can be created again; 0 when it is gone from every node. */
static int undo_failed_create(struct db *db, const char *schema, const char *name)
{
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "DROP TRIGGER IF EXISTS ");
	sb_qualified(&q, schema, name);
	int rc = db_exec_mdl(db, DB_CHANGE, "dropping a trigger", sb_str(&q));
	sb_free(&q);
	const char *names[] = { name };
	if (galera_triggers_gone(db, schema, names, 1))
		rc = -1;
	return rc;
}

static int create_all(struct migration *m, bool locked);
static int everywhere(struct migration *m);

int triggers_install(struct migration *m)
{
	struct db *db = m->db;
	/* Triggers keep the sql_mode of the session that creates them: the server's
	 * own, so a mirrored write behaves as the application's write would on the
	 * new table; NO_AUTO_VALUE_ON_ZERO so a key 0 stays 0. */
	struct sbuf mode = SBUF_INIT;
	sb_add(&mode, "SET SESSION sql_mode=CONCAT_WS(',', ");
	sb_literal(&mode, m->global_sql_mode);
	sb_add(&mode, ", 'NO_AUTO_VALUE_ON_ZERO')");
	int rc = db_exec(db, 0, sb_str(&mode));
	sb_free(&mode);
	if (rc)
		return EXIT_FAILED;
	if (bound_create(m) || keylog_create(m))
		return EXIT_FAILED;
	/* On Galera without the table lock (see galera.c): each CREATE TRIGGER
	 * takes the table's exclusive metadata lock on every node, so a statement
	 * sees either all of the triggers created so far or none of them, and
	 * the order (see the top of this file) keeps every shadow row current
	 * while only some exist; the copy starts after the third. */
	rc = db_galera ? 0 : db_lock_tables(db, m->schema, m->table, m->names.shadow, NULL);
	bool locked = rc == 0 && !db_galera;
	double t0 = now_mono();
	if (!rc)
		rc = create_all(m, locked);
	for (int again = 1; !rc && db_galera && !db_dry_run && !oscar_abort; again++) {
		int there = everywhere(m);
		if (there <= 0) {
			rc = there;
			break;
		}
		if (again == 4) {
			db_set_error(db, 0, "HY000", "the triggers could not be created on every Galera node", NULL);
			rc = -1;
			break;
		}
		/* Only before the copy: the shadow then holds nothing but what the
		 * triggers mirrored, which a node without one of them may have left
		 * stale; emptied, the copy brings every row. */
		log_warn("the triggers are not on every Galera node: removing them from every node and emptying '%s', "
			 "then creating them again (attempt %d of 4)", m->names.shadow, again + 1);
		struct sbuf q = SBUF_INIT;
		sb_add(&q, "DELETE FROM ");
		sb_qualified(&q, m->schema, m->names.shadow);
		rc = triggers_drop(db, m->schema, &m->names, false);
		if (!rc)
			rc = db_exec(db, DB_CHANGE, sb_str(&q));
		sb_free(&q);
		if (!rc)
			rc = create_all(m, false);
	}
	if (locked)
		db_unlock_tables(db);
	if (!rc)
		log_info("created triggers '%s', '%s', '%s' (%s %.1f ms)", m->names.trg_del, m->names.trg_upd, m->names.trg_ins,
			 locked ? "table locked" : "one by one, no table lock,", (now_mono() - t0) * 1000);
	if (oscar_abort)
		rc = -1;
	if (db_exec(db, 0, DB_SET_SQL_MODE))
		rc = -1;
	return rc ? (oscar_abort ? EXIT_SIGNAL : EXIT_FAILED) : 0;
}

static int create_all(struct migration *m, bool locked)
{
	struct db *db = m->db;
	int rc = 0;
	for (enum trigger_event which = 0; which < TRG_EVENTS && !rc; which++) {
		char *sql = triggers_sql(m, which);
		/* on the cleanup stack before it is created: a CREATE that reports
		 * an error (a lost connection) may still have taken effect, and the
		 * name is this run's (preflight saw it free) */
		cleanup_push_trigger(m->schema, triggers_name(&m->names, which), m->table, m->names.shadow);
		rc = locked ? db_exec(db, DB_CHANGE, sql) : db_exec_mdl(db, DB_CHANGE, "creating a trigger", sql);
		/* On Galera MariaDB opens the table only once the statement is in
		 * total order; when that open fails here (seen: 1064, another
		 * trigger's body "has an error" while the appliers write), the other
		 * nodes have created the trigger all the same. Undone everywhere,
		 * then tried again. */
		for (int again = 1; rc && db_galera && !db_dry_run && !oscar_abort && again <= 3; again++) {
			char err[600];
			snprintf(err, sizeof err, "%s", db_error_text(db));
			if (undo_failed_create(db, m->schema, triggers_name(&m->names, which))) {
				db_set_error(db, 0, "HY000", err, NULL);
				break;
			}
			log_warn("creating trigger '%s' failed on this Galera node (%s); removed it from every node, "
				 "creating it again (attempt %d of 4)", triggers_name(&m->names, which), err, again + 1);
			rc = db_exec_mdl(db, DB_CHANGE, "creating a trigger", sql);
		}
		free(sql);
		if (!rc && which == TRG_DELETE)
			fault_point("between-triggers");
	}
	return rc;
}

/* On a Galera node: the shadow and the three triggers as created here, on
 * every other node (galera_objects_everywhere). */
static int everywhere(struct migration *m)
{
	const char *names[TRG_EVENTS];
	char *bodies[TRG_EVENTS];
	for (enum trigger_event w = 0; w < TRG_EVENTS; w++) {
		names[w] = triggers_name(&m->names, w);
		char *sql = triggers_sql(m, w);
		const char *b = strstr(sql, " FOR EACH ROW ");
		bodies[w] = xstrdup(b ? b + strlen(" FOR EACH ROW ") : sql);
		free(sql);
	}
	int rc = galera_objects_everywhere(m->db, m->schema, m->table, m->names.shadow, names,
					   (const char *const *)bodies, TRG_EVENTS);
	for (int w = 0; w < TRG_EVENTS; w++)
		free(bodies[w]);
	return rc;
}

int triggers_drop(struct db *db, const char *schema, struct objnames *n, bool report)
{
	int rc = 0;
	/* the reverse of the order they were created in */
	for (int i = TRG_EVENTS - 1; i >= 0; i--) {
		const char *name = triggers_name(n, (enum trigger_event)i);
		struct sbuf q = SBUF_INIT;
		sb_add(&q, "DROP TRIGGER IF EXISTS ");
		sb_qualified(&q, schema, name);
		if (db_exec_mdl(db, DB_CHANGE, "dropping a trigger", sb_str(&q)))
			rc = -1;
		else {
			cleanup_forget(name);
			if (report)
				log_info("dropped trigger '%s'", name);
		}
		sb_free(&q);
	}
	const char *all[TRG_EVENTS];
	for (int i = 0; i < TRG_EVENTS; i++)
		all[i] = triggers_name(n, (enum trigger_event)i);
	if (galera_triggers_gone(db, schema, all, TRG_EVENTS))
		rc = -1;
	return rc;
}

/* Checks that the triggers on the table are exactly those this job installs. */
int triggers_intact(struct migration *m)
{
	for (enum trigger_event w = 0; w < TRG_EVENTS; w++) {
		struct sbuf q = SBUF_INIT;
		sb_add(&q, "SELECT ACTION_STATEMENT FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = BINARY ");
		sb_literal(&q, m->schema);
		sb_add(&q, " AND TRIGGER_NAME = BINARY ");
		sb_literal(&q, triggers_name(&m->names, w));
		sb_add(&q, " AND EVENT_OBJECT_TABLE = BINARY ");
		sb_literal(&q, m->table);
		bool found;
		char *body = db_scalar(m->db, sb_str(&q), &found);
		sb_free(&q);
		char *want = triggers_sql(m, w);
		const char *wb = strstr(want, " FOR EACH ROW ");
		bool same = found && body && wb && !strcmp(body, wb + strlen(" FOR EACH ROW "));
		free(body);
		free(want);
		if (!same)
			return -1;
	}
	/* A job killed before its check of the other nodes (or a node whose
	 * applier failed on a trigger since) may have a node without one of
	 * them: that node's writes were not mirrored, so the copy so far cannot
	 * be trusted (warnings name the node) */
	if (db_galera && !db_dry_run && everywhere(m) != 0)
		return -1;
	return 0;
}

int triggers_mark_session(struct db *db)
{
	return db_exec(db, 0, "SET @oscar_mirroring = 1");
}
