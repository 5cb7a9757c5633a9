/* revert: an instant, lossless way back after the swap.
 *
 * With --revert-window the old table is not dropped at the swap: reverse
 * triggers on the new table write every change back into it (new shape to old
 * shape), so `oscar --revert` can swap the two back with one RENAME without
 * losing a write made in between.
 *
 * The reverse triggers must exist on the new table the moment it becomes the
 * table, so they are created on the shadow before the swap, guarded like the
 * table's own triggers (IF @oscar_mirroring IS NULL: oscar's mirroring and
 * copying into the shadow do not bounce back). Their bodies name `_T_old`,
 * and every application statement on the table prelocks the tables its
 * triggers (and theirs) use, so the names must exist before the swap as well:
 * an empty placeholder `_T_old` is created, and the swap is one RENAME of four
 * pairs: _T_old -> _T_oph, T -> _T_old, _T_new -> T, _T_nph -> _T_new (the
 * last keeps the name the old table's forward triggers use until they are
 * dropped, under a table lock, right after). */
#include "revert.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "control.h"
#include "fault.h"
#include "tablelock.h"
#include "log.h"
#include "migration.h"
#include "names.h"
#include "options.h"
#include "signals.h"
#include "state.h"
#include "verify.h"
#include "clock.h"
#include "cutover.h"
#include "preflight.h"
#include "shadow.h"
#include "triggers.h"

/* old key columns = NEW/OLD key of the new shape */
static void key_match(struct sbuf *q, struct migration *m, const char *row)
{
	for (int i = 0; i < m->key.n; i++) {
		if (i)
			sb_add(q, " AND ");
		sb_ident(q, m->key.old_cols[i]);
		sb_addf(q, " = %s.", row);
		sb_ident(q, m->key.new_cols[i]);
	}
}

/* INSERT IGNORE INTO _T_old (old cols) VALUES (NEW.new cols) ON DUPLICATE KEY
 * UPDATE ...: an upsert that leaves the old-only columns of existing rows as
 * they were; IGNORE so a value that does not fit the old shape never fails the
 * application's write (the dry run of --revert reports such rows). */
static void upsert_new(struct sbuf *q, struct migration *m)
{
	sb_add(q, "INSERT IGNORE INTO ");
	sb_qualified(q, m->schema, m->names.old);
	sb_add(q, " (");
	for (int i = 0; i < m->map.n; i++) {
		if (i)
			sb_add(q, ", ");
		sb_ident(q, m->map.from[i]);
	}
	sb_add(q, ") VALUES (");
	for (int i = 0; i < m->map.n; i++) {
		if (i)
			sb_add(q, ", ");
		sb_add(q, "NEW.");
		sb_ident(q, m->map.to[i]);
	}
	sb_add(q, ") ON DUPLICATE KEY UPDATE ");
	for (int i = 0; i < m->map.n; i++) {
		if (i)
			sb_add(q, ", ");
		sb_ident(q, m->map.from[i]);
		sb_add(q, " = VALUES(");
		sb_ident(q, m->map.from[i]);
		sb_add(q, ")");
	}
}

static char *reverse_sql(struct migration *m, int which)
{
	static const char *ev[] = { "DELETE", "UPDATE", "INSERT" };
	const char *name = which == 0 ? m->names.rtrg_del : which == 1 ? m->names.rtrg_upd : m->names.rtrg_ins;
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "CREATE TRIGGER ");
	sb_qualified(&q, m->schema, name);
	sb_addf(&q, " AFTER %s ON ", ev[which]);
	sb_qualified(&q, m->schema, m->names.shadow);
	sb_add(&q, " FOR EACH ROW IF @oscar_mirroring IS NULL THEN ");
	if (which == 0 || which == 1) {
		if (which == 1) {
			sb_add(&q, "IF NOT (");
			for (int i = 0; i < m->key.n; i++) {
				if (i)
					sb_add(&q, " AND ");
				sb_add(&q, "OLD.");
				sb_ident(&q, m->key.new_cols[i]);
				sb_add(&q, " <=> NEW.");
				sb_ident(&q, m->key.new_cols[i]);
			}
			sb_add(&q, ") THEN ");
		}
		sb_add(&q, "DELETE FROM ");
		sb_qualified(&q, m->schema, m->names.old);
		sb_add(&q, " WHERE ");
		key_match(&q, m, "OLD");
		sb_add(&q, ";");
		if (which == 1)
			sb_add(&q, " END IF; ");
	}
	if (which != 0) {
		upsert_new(&q, m);
		sb_add(&q, ";");
	}
	sb_add(&q, " END IF");
	return sb_take(&q);
}

static int drop_named(struct migration *m, const char *what, const char *name)
{
	struct sbuf q = SBUF_INIT;
	sb_addf(&q, "DROP %s IF EXISTS ", what);
	sb_qualified(&q, m->schema, name);
	int rc = db_exec(m->db, DB_CHANGE, sb_str(&q));
	sb_free(&q);
	return rc;
}

static int create_like(struct migration *m, const char *name, const char *like)
{
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "CREATE TABLE ");
	sb_qualified(&q, m->schema, name);
	sb_add(&q, " LIKE ");
	sb_qualified(&q, m->schema, like);
	int rc = db_exec(m->db, DB_CHANGE, sb_str(&q));
	sb_free(&q);
	if (!rc)
		cleanup_push_table(m->schema, name);
	return rc;
}

int revert_swap(struct migration *m)
{
	int rc = EXIT_FAILED;
	if (shadow_sync_auto_increment(m))
		goto out;
	/* 1. placeholders for the names the triggers use */
	if (create_like(m, m->names.old, m->table) || create_like(m, m->names.new_ph, m->names.shadow))
		goto out;
	fault_point("revert-placeholders");
	/* 2. the reverse triggers, guarded, on the shadow */
	if (db_lock_tables(m->db, m->schema, m->table, m->names.shadow, m->names.old))
		goto out;
	int trc = 0;
	for (int w = 0; w < 3 && !trc; w++) {
		char *sql = reverse_sql(m, w);
		trc = db_exec(m->db, DB_CHANGE, sql);
		free(sql);
	}
	db_unlock_tables(m->db);
	if (trc)
		goto out;
	fault_point("revert-triggers");
	/* 3. the swap, one RENAME of four pairs */
	struct sbuf q = SBUF_INIT;
	sb_rename(&q, m->schema,
		  (const char *const[]){ m->names.old, m->names.old_ph, m->table, m->names.old, m->names.shadow, m->table, m->names.new_ph,
					 m->names.shadow, NULL });
	/* a pause that came after the wait ended still wins: wait again */
	while (!signals_begin_swap()) {
		if ((rc = cutover_wait(m))) {
			sb_free(&q);
			goto out;
		}
	}
	rc = EXIT_FAILED;
	signals_allow_cancel(false);
	double t0 = now_mono();
	int src = db_exec_mdl(m->db, DB_CHANGE, "swapping the tables", sb_str(&q));
	signals_allow_cancel(true);
	sb_free(&q);
	if (src) {
		signals_swap_failed();
		log_error("cannot swap the tables: %s", db_error_text(m->db));
		goto out;
	}
	double ms = (now_mono() - t0) * 1000;
	/* what the cleanup stack knew by the old names is now elsewhere */
	cleanup_forget_all();
	fault_point("revert-swapped");
	log_info("swapped: '%s' is the new table; the old one is '%s', kept in sync for the revert window (%.1f ms)",
		 m->table, m->names.old, ms);
	struct sbuf ev;
	ev_begin(&ev, "cutover");
	ev_num(&ev, "lock_wait_ms", ms);
	ev_num(&ev, "rename_ms", ms);
	ev_int(&ev, "attempts", 1);
	ev_num(&ev, "revert_window_s", opt.revert_window);
	ev_end(&ev);
	if (state_revert_window(m, opt.revert_window))
		log_warn("cannot record the revert window: %s", db_error_text(m->db));
	fault_point("revert-recorded");
	/* 4. the forward triggers go (they write into the placeholder now) */
	int frc;
	if (db_lock_tables(m->db, m->schema, m->table, m->names.old, NULL) == 0) {
		frc = drop_named(m, "TRIGGER", m->names.trg_del) || drop_named(m, "TRIGGER", m->names.trg_upd) ||
		      drop_named(m, "TRIGGER", m->names.trg_ins);
		db_unlock_tables(m->db);
	} else {
		log_warn("cannot lock the tables to drop the forward triggers; dropping them one by one");
		frc = triggers_drop(m->db, m->schema, &m->names, false);
	}
	fault_point("revert-forward-dropped");
	/* 5. the placeholders. A forward trigger still on the old table writes
	 * into the placeholder `_T_new` whenever a reverse trigger writes the old
	 * table: dropping that placeholder would fail every write to the table. */
	if (frc) {
		log_error("cannot drop the forward triggers on '%s': %s; the placeholder '%s' stays (they write into "
			  "it): 'oscar --finish' removes both", m->names.old, db_error_text(m->db), m->names.shadow);
	} else if (drop_named(m, "TABLE", m->names.shadow)) {
		log_warn("cannot drop the placeholder table '%s': %s", m->names.shadow, db_error_text(m->db));
	}
	if (drop_named(m, "TABLE", m->names.old_ph))
		log_warn("cannot drop the placeholder table '%s': %s", m->names.old_ph, db_error_text(m->db));
	log_info("revert window open until the state table's revert_until: 'oscar --revert' swaps back, "
		 "'oscar --finish' ends it");
	rc = 0;
out:
	return rc;
}

/* Drops the reverse triggers from `table`. */
static int drop_reverse(struct migration *m, const char *table, const char *other)
{
	int locked = other ? db_lock_tables(m->db, m->schema, table, other, NULL) : -1;
	int rc = drop_named(m, "TRIGGER", m->names.rtrg_del) || drop_named(m, "TRIGGER", m->names.rtrg_upd) ||
		 drop_named(m, "TRIGGER", m->names.rtrg_ins);
	if (!locked)
		db_unlock_tables(m->db);
	return rc;
}

int revert_finish(struct migration *m)
{
	int rc = drop_reverse(m, m->table, m->names.old) ? EXIT_FAILED : 0;
	if (!rc && !opt.no_drop_old_table && drop_named(m, "TABLE", m->names.old))
		rc = EXIT_FAILED;
	if (!rc && state_forget(m->db, m->schema, m->table))
		rc = EXIT_FAILED;
	if (!rc)
		log_info("revert window closed: reverse triggers dropped%s", opt.no_drop_old_table ? "" : ", old table dropped");
	else
		log_error("cannot close the revert window: %s", db_error_text(m->db));
	return rc;
}

int revert_back(struct migration *m)
{
	int rc = EXIT_FAILED;
	struct sbuf q = SBUF_INIT;
	sb_rename(&q, m->schema, (const char *const[]){ m->table, m->names.shadow, m->names.old, m->table, NULL });
	signals_allow_cancel(false);
	int src = db_exec_mdl(m->db, DB_CHANGE, "swapping back", sb_str(&q));
	signals_allow_cancel(true);
	sb_free(&q);
	if (src) {
		log_error("cannot swap back: %s", db_error_text(m->db));
		goto out;
	}
	fault_point("revert-back-swapped");
	log_info("reverted: '%s' is the table before the change again", m->table);
	struct sbuf ev;
	ev_begin(&ev, "revert");
	ev_end(&ev);
	/* nobody writes the set-aside new table; its reverse triggers can go */
	int crc = drop_reverse(m, m->names.shadow, NULL);
	fault_point("revert-back-triggers-dropped");
	if (crc || drop_named(m, "TABLE", m->names.shadow) || state_forget(m->db, m->schema, m->table)) {
		log_error("reverted, but the cleanup failed: %s; run 'oscar --cleanup'", db_error_text(m->db));
		goto out;
	}
	rc = 0;
out:
	return rc;
}

/* --revert-window-wait: stay until the window ends, then close it. The
 * per-table lock is released meanwhile, so `oscar --revert` or `--finish`
 * from elsewhere can act; if one does (the job's row goes), there is nothing
 * left to do. */
int revert_wait(struct migration *m)
{
	tablelock_release(m->db, m->names.lock);
	/* the socket goes with the lock: a --revert from elsewhere is the job now */
	control_stop();
	log_info("waiting for the revert window to end (SIGINT/SIGTERM leave it open)");
	for (;;) {
		if (oscar_abort) {
			log_info("stopped waiting; the revert window stays open: 'oscar --finish' closes it");
			return EXIT_OK;
		}
		struct jobstate js;
		if (state_load(m->db, m->schema, m->table, &js))
			return EXIT_FAILED;
		bool open = js.found && !strcmp(js.phase, "revert");
		bool over = js.window_over;
		jobstate_free(&js);
		if (!open) {
			log_info("the revert window was closed by another run");
			return EXIT_OK;
		}
		if (over) {
			if (tablelock_take(m->db, m->names.lock, m->schema, m->table)) {
				sleep_s(0.5); /* a --revert or --finish is at work: look again */
				continue;
			}
			return revert_finish(m);
		}
		sleep_s(0.5);
	}
}

/* A revert window is open for the table: --revert, --finish, or (any other
 * run, once the window is over) finish it; otherwise refuse. */
int revert_command(struct migration *m, struct jobstate *js)
{
	if (!opt.revert && !opt.finish && !js->window_over) {
		log_error("refused: a revert window is open for '%s' until %s; use --revert or --finish", m->table,
			  js->revert_until ? js->revert_until : "?");
		return EXIT_REFUSED;
	}
	if (opt.revert && js->window_over) {
		log_error("refused: the revert window for '%s' ended at %s; --finish closes it", m->table,
			  js->revert_until ? js->revert_until : "?");
		return EXIT_REFUSED;
	}
	if (opt.finish || !opt.revert)
		return opt.execute ? revert_finish(m)
				   : (printf("dry run: --execute would close the revert window of `%s`.`%s`\n", m->schema,
					     m->table), EXIT_OK);
	if (opt.execute)
		return revert_back(m);
	/* dry run of --revert: would going back lose anything? the old table
	 * (old shape) against the table (new shape), nothing repaired */
	struct migration c;
	memset(&c, 0, sizeof c);
	c.db = m->db;
	c.schema = m->schema;
	c.table = m->names.old;
	objnames_init(&c.names, m->schema, m->names.old);
	free(c.names.shadow);
	c.names.shadow = xstrdup(m->table);
	c.report_only = true;
	c.global_sql_mode = xstrdup(m->global_sql_mode ? m->global_sql_mode : "");
	int rc = EXIT_FAILED;
	if (!alter_analyze(js->alter_text, &c.alter) && !catalog_load(m->db, m->schema, m->names.old, &c.orig) &&
	    !shadow_map(&c) && !preflight_shadow(&c))
		rc = verify_shadow(&c);
	if (rc == 0)
		printf("a revert now would be lossless: '%s' holds every row of '%s' in the old shape\n", m->names.old,
		       m->table);
	else
		printf("a revert now would lose data: see the differing keys above\n");
	migration_free(&c);
	return rc;
}
