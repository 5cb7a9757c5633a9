/* oscar: online schema change for MariaDB and MySQL.
 *
 * main dispatches the mode (--send, --status, --cleanup; then, under the
 * table's lock, a resumed job, a revert window, or a new migration). A
 * migration runs in phases, numbered as in the README's "How it works":
 *   1. preflight: lock, checks, leftovers (1a: partition maintenance runs
 *      natively instead)
 *   2. shadow: the new shape, column mapping, chunk key (2a: a requested
 *      ALGORITHM= runs natively; 2b: the dry run stops with the plan;
 *      2c: --prefer-instant)
 *   3. triggers mirroring writes into the shadow
 *   4. the chunked copy
 *   5. deferred indexes and verification
 *   6. cutover: one atomic RENAME
 *   7. cleanup: triggers, old table
 * Any failure or signal before the swap rolls back to the original state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binlog.h"
#include "bound.h"
#include "cleanup.h"
#include "leftovers.h"
#include "control.h"
#include "db.h"
#include "fault.h"
#include "foreignkeys.h"
#include "galera.h"
#include "hooks.h"
#include "log.h"
#include "migration.h"
#include "native.h"
#include "options.h"
#include "signals.h"
#include "revert.h"
#include "state.h"
#include "stats.h"
#include "status.h"
#include "tablelock.h"
#include "throttle.h"
#include "verify.h"
#include "keylog.h"
#include "clock.h"
#include "copy.h"
#include "cutover.h"
#include "indexes.h"
#include "instant.h"
#include "preflight.h"
#include "shadow.h"
#include "strv.h"
#include "triggers.h"

static void print_list(const char *label, char **v)
{
	printf("%s:", label);
	if (!v || !v[0])
		printf(" (none)");
	for (int i = 0; v && v[i]; i++)
		printf("%s %s", i ? "," : "", v[i]);
	printf("\n");
}

static void print_plan(struct migration *m)
{
	if (opt.json) {
		/* what the text plan shows, field for field */
		struct sbuf ev, map = SBUF_INIT;
		ev_begin(&ev, "plan");
		ev_str(&ev, "method", "copy");
		ev_str(&ev, "shadow", m->names.shadow);
		ev_str(&ev, "old", m->names.old);
		ev_int(&ev, "rows_estimated", m->orig.rows_estimate);
		ev_int(&ev, "columns_copied", m->map.n);
		sb_add(&map, "[");
		for (int i = 0; i < m->map.n; i++) {
			sb_add(&map, i ? ",{\"from\":" : "{\"from\":");
			sb_json(&map, m->map.from[i]);
			sb_add(&map, ",\"to\":");
			sb_json(&map, m->map.to[i]);
			sb_add(&map, "}");
		}
		sb_add(&map, "]");
		ev_raw(&ev, "column_mapping", sb_str(&map));
		sb_free(&map);
		ev_strv(&ev, "columns_dropped", m->dropped_cols, strv_len(m->dropped_cols));
		ev_strv(&ev, "columns_added", m->added_cols, strv_len(m->added_cols));
		ev_strv(&ev, "indexes_deferred", m->deferred_names, strv_len(m->deferred_names));
		ev_str(&ev, "chunk_key", m->key.old_index);
		ev_strv(&ev, "chunk_key_columns", m->key.old_cols, m->key.n);
		ev_str(&ev, "chunking", opt.chunk_size ? "fixed" : "adaptive");
		ev_bool(&ev, "instant", m->instant);
		ev_int(&ev, "user_triggers", m->user_triggers);
		char *sql[TRG_EVENTS];
		for (enum trigger_event w = 0; w < TRG_EVENTS; w++)
			sql[w] = triggers_sql(m, w);
		ev_strv(&ev, "trigger_sql", sql, TRG_EVENTS);
		for (int w = 0; w < TRG_EVENTS; w++)
			free(sql[w]);
		char *c = copy_sql_example(m);
		ev_str(&ev, "copy_sql", c);
		free(c);
		enum binlog_why why = binlog_statement_copy_check(m);
		ev_str(&ev, "copy_binlog", why == BINLOG_SAFE ? "statement" : why == BINLOG_NO_LOG ? "none" : "row");
		struct sbuf q = SBUF_INIT;
		sb_rename(&q, m->schema, (const char *const[]){ m->table, m->names.old, m->names.shadow, m->table, NULL });
		ev_str(&ev, "cutover_sql", sb_str(&q));
		sb_free(&q);
		ev_end(&ev);
		return;
	}
	printf("dry run: nothing was changed (add --execute to run)\n");
	printf("table: `%s`.`%s`, about %lld rows\n", m->schema, m->table, m->orig.rows_estimate);
	printf("shadow table: %s\nold table after the swap: %s\n", m->names.shadow, m->names.old);
	printf("column mapping:\n");
	for (int i = 0; i < m->map.n; i++)
		printf("  %s -> %s\n", m->map.from[i], m->map.to[i]);
	print_list("columns dropped", m->dropped_cols);
	print_list("columns added (defaults)", m->added_cols);
	bool logs = keylog_possible(m);
	print_list(strcmp(opt.defer_indexes, "auto") || logs
			   ? (logs ? "indexes built after the copy (the triggers log the keys they change meanwhile)"
				   : "indexes built after the copy")
			   : "indexes built after the copy (unless others write at the start)",
		   m->deferred_names);
	printf("chunk key: %s (", m->key.old_index);
	for (int i = 0; i < m->key.n; i++)
		printf("%s%s", i ? ", " : "", m->key.old_cols[i]);
	printf(")\n");
	printf("chunking: %s\n", opt.chunk_size ? "fixed size" : "adaptive");
	printf("instant: %s\n", m->instant ? "the server can apply this ALTER with ALGORITHM=INSTANT"
					      " (--prefer-instant does that instead of copying)"
					    : "no, the server would have to copy the table");
	if (m->user_triggers)
		printf("triggers of the table: %d, moved to the new table at the swap\n", m->user_triggers);
	printf("triggers:\n");
	for (enum trigger_event w = 0; w < TRG_EVENTS; w++) {
		char *s = triggers_sql(m, w);
		printf("  %s\n", s);
		free(s);
	}
	char *c = copy_sql_example(m);
	printf("copy:\n  %s\n", c);
	free(c);
	enum binlog_why why = binlog_statement_copy_check(m);
	if (why == BINLOG_SAFE)
		printf("copy statements in the binary log: as statements (binlog_format=STATEMENT for the copy)\n");
	else
		printf("copy statements in the binary log: %s (%s)\n", why == BINLOG_NO_LOG ? "none" : "by row",
		       binlog_why_text(why));
	printf("cutover:\n  RENAME TABLE `%s` TO `%s`, `%s` TO `%s`\n", m->table, m->names.old, m->names.shadow,
	       m->table);
}

static int fail(struct migration *m, int code)
{
	struct db *db = m->db;
	if (code == EXIT_FAILED) {
		struct sbuf ev;
		ev_begin(&ev, "error");
		ev_int(&ev, "exit_status", code);
		ev_int(&ev, "errno", db->err);
		ev_str(&ev, "sqlstate", db->sqlstate);
		ev_str(&ev, "message", db->err ? db_error_text(db) : db->errmsg[0] ? db->errmsg : "failed");
		stats_event(&ev, m->rows_copied);
		ev_end(&ev);
	} else if (code == EXIT_SIGNAL) {
		struct sbuf ev;
		ev_begin(&ev, "error");
		ev_int(&ev, "exit_status", code);
		ev_str(&ev, "message", "aborted by signal");
		stats_event(&ev, m->rows_copied);
		ev_end(&ev);
	}
	if (code != EXIT_REFUSED && code != EXIT_LOCKED)
		hooks_run("failure", m, db->err ? db_error_text(db) : db->errmsg);
	/* A lost connection (the server restarted, the connection was killed)
	 * after the job was recorded is not a reason to throw the copy away: the
	 * next run of the same command resumes. */
	if (code == EXIT_FAILED && m->state_started && db_last_class(db) == ERR_LOST) {
		cleanup_forget_all();
		log_error("connection lost during the run; the job is kept: run the same command again to resume");
		return EXIT_INCOMPLETE;
	}
	if (cleanup_pending()) {
		/* a test's look at what a failed run built, before it is removed */
		fault_point("before-rollback");
		log_info("rolling back: removing what this run created");
		int crc = cleanup_run(db);
		/* a signal during the rollback did not stop it, but the run was
		 * interrupted all the same: the exit status says so */
		if (oscar_abort)
			code = EXIT_SIGNAL;
		if (crc && code != EXIT_REFUSED) {
			log_error("rollback incomplete");
			return code;
		}
		if (code != EXIT_REFUSED)
			log_info("rolled back; '%s' is untouched", m->table);
	}
	if (m->state_started && state_forget(db, m->schema, m->table))
		log_warn("cannot remove the job's state row: %s", db_error_text(db));
	return code;
}

/* The throttle's waits: the control socket's settings apply, its status says why. */
static void throttle_to_control(const char *state, bool changed)
{
	if (changed)
		control_set_state(state);
	else
		control_apply();
}

/* The phase shown in the process list (statement comments) and by status. */
static void phase(struct migration *m, const char *name)
{
	(void)m;
	db_set_phase(name);
	control_set_phase(name);
	stats_phase(name);
}

/* Ends the run early with shadow, triggers and state kept: the same command
 * continues the job. */
static int stop_resumable(struct migration *m, const char *when)
{
	struct sbuf ev;
	cleanup_forget_all();
	log_info("stopped %s with %lld rows copied; shadow and triggers stay in sync: "
		 "run the same command again to continue", when, m->rows_copied);
	ev_begin(&ev, "incomplete");
	ev_int(&ev, "rows_copied", m->rows_copied);
	ev_num(&ev, "elapsed_s", now_mono() - m->run_started);
	stats_event(&ev, m->rows_copied);
	ev_end(&ev);
	return EXIT_INCOMPLETE;
}

/* Phases 4 to 7, shared by a new run and a resumed one. */
static int finish_from_copy(struct migration *m, const struct keyval *start)
{
	int rc;
	struct db *db = m->db;
	struct sbuf ev;

	/* 4. Copy the existing rows. */
	phase(m, "copy");
	bool resumed = start && start->n > 0;
	rc = copy_rows(m, start, verify_plan(m, resumed, cutover_may_wait(), galera_node) ? verify_chunk : NULL);
	int vrc = verify_copy_end(m, rc == 0);
	if (!rc)
		rc = vrc;
	if (rc == EXIT_INCOMPLETE)
		return stop_resumable(m, "after --max-runtime");
	if (rc)
		return fail(m, rc);
	hooks_run("copy-done", m, NULL);

	/* 5. Indexes left out of the copy, and verification: it reads both
	 * tables meanwhile, unless the swap may wait (then it is done just
	 * before the swap). */
	bool verified = false;
	fault_point("before-indexes");
	phase(m, "verify");
	/* While others write, the triggers log the keys they change during the
	 * build instead of mirroring (keylog.c), so that its end has nothing to
	 * apply; the comparison then waits for the build and the logged rows. */
	/* others wrote when the copy last looked, or since the run began (a
	 * short copy may look only once, between two of their writes) */
	bool others = copy_others_wrote() || migration_others_write(m);
	bool logged = keylog_pending(m) || (keylog_active() && m->deferred_defs && m->deferred_defs[0] && others);
	if (logged && keylog_start(m))
		return fail(m, EXIT_FAILED);
	if ((rc = indexes_build_start(m)))
		return fail(m, rc);
	if (logged) {
		/* while the triggers log, the build's pacing holds nothing but the
		 * application's statements: no mirrored write waits in the shadow */
		rc = indexes_build_finish(m, false, others);
		fault_point("before-keylog-stop");
		int k = keylog_stop(m);
		if (k < 0 && (!rc || rc == EXIT_INCOMPLETE))
			rc = EXIT_FAILED;
		else if (k > 0 && !rc)
			rc = EXIT_INCOMPLETE;
		if (rc == EXIT_INCOMPLETE)
			return stop_resumable(m, "without its secondary indexes");
		if (rc)
			return fail(m, rc);
	}
	if (opt.verify && !opt.no_swap && !cutover_may_wait()) {
		rc = verify_shadow(m);
		if (!rc)
			rc = galera_verify_nodes(m, verify_shadow);
		int brc = indexes_build_finish(m, rc != 0, false);
		if (rc)
			return fail(m, rc);
		rc = brc;
		verified = true;
	} else {
		rc = indexes_build_finish(m, false, false);
	}
	if (rc == EXIT_INCOMPLETE)
		return stop_resumable(m, "without its secondary indexes");
	if (rc)
		return fail(m, rc);

	if (opt.no_swap) {
		cleanup_forget_all();
		log_info("--no-swap: the copy is done and '%s' stays in sync through the triggers", m->names.shadow);
		migration_done_begin(&ev, m);
		ev_bool(&ev, "swapped", false);
		ev_str(&ev, "shadow", m->names.shadow);
		migration_done_end(&ev, m);
		/* with --json, stdout carries only events */
		fprintf(opt.json ? stderr : stdout,
			"shadow '%s' is complete and kept in sync by triggers '%s', '%s', '%s'.\n"
			"to finish: run the same command without --no-swap (it resumes the job, verifies and swaps)\n"
			"to undo: oscar --cleanup --database=%s --table=%s --execute\n",
			m->names.shadow, m->names.trg_del, m->names.trg_upd, m->names.trg_ins, m->schema, m->table);
		return EXIT_OK;
	}

	/* 6. Cutover, when the DBA's conditions allow it. */
	phase(m, "cutover");
	if ((rc = cutover_wait(m)))
		return fail(m, rc);
	if (opt.verify && !verified && ((rc = verify_shadow(m)) || (rc = galera_verify_nodes(m, verify_shadow))))
		return fail(m, rc);
	fault_point("before-swap");
	if (opt.revert_window > 0) {
		/* the old table stays, kept in sync by reverse triggers */
		if ((rc = revert_swap(m)))
			return fail(m, rc);
		migration_done_begin(&ev, m);
		ev_num(&ev, "revert_window_s", opt.revert_window);
		migration_done_end(&ev, m);
		hooks_run("success", m, NULL);
		return opt.revert_wait ? revert_wait(m) : EXIT_OK;
	}
	if ((rc = cutover_swap(m)))
		return fail(m, rc);
	fault_point("after-swap");
	if (state_phase(m, "swapped"))
		log_warn("cannot record the swap: %s", db_error_text(db));
	if (oscar_abort)
		log_warn("signal arrived after the swap: finishing the cleanup instead of rolling back");

	/* the swap is done here; a node that did not apply it is an error */
	int nodes_rc = galera_swap_everywhere(db, m->schema, m->table);

	/* 7. Cleanup of what the swap left behind. */
	phase(m, "cleanup");
	rc = cutover_finish(m);
	if (!rc)
		rc = nodes_rc;
	if (!rc && state_forget(db, m->schema, m->table))
		log_warn("cannot remove the job's state row: %s", db_error_text(db));
	double secs = now_mono() - m->run_started;
	log_info("done: '%s'.'%s' altered, %lld rows copied in %.2f s", m->schema, m->table, m->rows_copied, secs);
	migration_done_begin(&ev, m);
	ev_num(&ev, "copy_s", m->copy_seconds);
	migration_done_end(&ev, m);
	hooks_run(rc ? "failure" : "success", m, NULL);
	return rc;
}

/* The swap of an earlier run happened but its cleanup did not finish. */
static int finish_swapped(struct migration *m)
{
	int rc = cutover_finish(m);
	if (!rc && state_forget(m->db, m->schema, m->table))
		rc = EXIT_FAILED;
	if (!rc)
		log_info("done: the swap had happened; its cleanup is now finished");
	return rc;
}

/* Continues a job an earlier run left (--max-runtime, kill -9, lost connection,
 * server restart, --no-swap), after checking that it is the same ALTER and
 * that its shadow and triggers are intact. */
static int resume(struct migration *m, struct jobstate *js)
{
	struct db *db = m->db;
	int rc;
	if (!strcmp(js->phase, "revert"))
		return revert_command(m, js);
	if (opt.revert || opt.finish) {
		log_error("refused: no revert window is open for '%s'", m->table);
		return EXIT_REFUSED;
	}
	if (strcmp(js->alter_text, opt.alter)) {
		log_error("refused: an unfinished oscar job for '%s' has a different ALTER ('%s'); run that command to "
			  "finish it, or remove it with oscar --cleanup", m->table, js->alter_text);
		return EXIT_REFUSED;
	}
	if (!opt.execute) {
		printf("dry run: an unfinished job for `%s`.`%s` exists (%lld rows copied); --execute resumes it\n",
		       m->schema, m->table, js->rows_copied);
		return EXIT_OK;
	}
	log_info("found an unfinished job for '%s' (%lld rows copied, phase %s)", m->table, js->rows_copied,
		 js->phase);
	if ((rc = galera_preflight(m)))
		return rc;
	if (alter_analyze(opt.alter, &m->alter) || catalog_load(db, m->schema, m->table, &m->orig))
		return EXIT_FAILED;
	m->state_started = true;
	/* killed between the swap and its cleanup: only the cleanup is left */
	if (!strcmp(js->phase, "swapped"))
		return finish_swapped(m);
	indexes_stop_orphans(db, m->schema, m->names.shadow);
	bool exists = false, old_exists = false;
	if (catalog_table_exists(db, m->schema, m->names.shadow, &exists) ||
	    catalog_table_exists(db, m->schema, m->names.old, &old_exists))
		return EXIT_FAILED;
	if (!exists && old_exists) {
		/* killed right after the RENAME, before recording it: the shadow is
		 * the table now and the triggers followed the old one */
		char **trg = catalog_triggers(db, m->schema, m->names.old);
		bool ours = trg && trg[0] && (!strcmp(trg[0], m->names.trg_del) || !strcmp(trg[0], m->names.trg_ins) ||
					     !strcmp(trg[0], m->names.trg_upd));
		strv_free(trg);
		if (ours)
			return finish_swapped(m);
	}
	if (!exists || !m->orig.exists) {
		log_error("refused: the unfinished job's table or shadow '%s' is gone; start over with oscar --cleanup",
			  m->names.shadow);
		return EXIT_REFUSED;
	}
	/* the table's own foreign keys decide how the triggers are written */
	if ((rc = fk_own_check(m)) || (rc = shadow_map(m)) || (rc = preflight_shadow(m)))
		return rc;
	indexes_restore_plan(m, js->deferred);
	/* before the check: the triggers read the job's bound and key log if it has them */
	if (bound_attach(m) || keylog_attach(m))
		return fail(m, EXIT_FAILED);
	if (triggers_intact(m)) {
		log_error("refused: the triggers of the unfinished job on '%s' are missing or changed; start over with "
			  "oscar --cleanup", m->table);
		return EXIT_REFUSED;
	}
	/* from here on a failure rolls the whole job back, as in a first run */
	cleanup_push_job(m->schema, m->table, &m->names);
	m->rows_copied = js->rows_copied;
	if (triggers_mark_session(db))
		return fail(m, EXIT_FAILED);
	return finish_from_copy(m, &js->last_key);
}

/* The ALTER runs natively on the table (native.c): the plan in a dry run. */
static int run_native(struct migration *m, const char *what)
{
	int rc;
	/* both keep a second table around, and a native ALTER has none */
	if (opt.no_swap || opt.revert_window > 0)
		return fail(m, refuse("%s runs natively, without a copy: --no-swap and --revert-window need one", what));
	if (!opt.execute) {
		if (m->alter.partition != PART_NONE)
			return native_partition_plan(m);
		struct sbuf ev;
		ev_begin(&ev, "plan");
		ev_str(&ev, "method", "native");
		ev_str(&ev, "operation", what);
		ev_end(&ev);
		if (!opt.json) {
			printf("dry run: nothing was changed (add --execute to run)\n");
			printf("method: native: the ALTER asks for %s, and the server accepts it on a scratch copy of the "
			       "definition; oscar runs it on the table itself, with short metadata-lock waits\n", what);
			struct sbuf q = SBUF_INIT;
			sb_add(&q, "ALTER TABLE ");
			sb_qualified(&q, m->schema, m->table);
			printf("statement:\n  %s %s\n", sb_str(&q), opt.alter);
			sb_free(&q);
		}
		return EXIT_OK;
	}
	phase(m, "native");
	if ((rc = native_apply(m, what)))
		return fail(m, rc);
	hooks_run("success", m, NULL);
	return EXIT_OK;
}

static int migrate(struct migration *m);

/* Under the table's lock, the job the server records for the table decides
 * the mode: resume it, act on its revert window, or migrate anew. */
static int run(struct migration *m)
{
	int rc;
	struct db *db = m->db;

	/* 1. Preflight: the table, its surroundings, leftovers of earlier runs. */
	phase(m, "preflight");
	if ((rc = tablelock_take(m->db, m->names.lock, m->schema, m->table)) || (rc = throttle_check(db)))
		return rc;
	/* the socket a DBA steers the run with (the table lock makes it ours);
	 * --revert and --finish are one swap or one drop, with nothing to steer */
	if (opt.execute && !opt.revert && !opt.finish) {
		char *path = opt.control_socket ? xstrdup(opt.control_socket) : control_default_path(m->schema, m->table);
		rc = control_start(path, m->schema, m->table);
		free(path);
		if (rc)
			return rc;
		throttle_waiting = throttle_to_control;
	}
	long long ins;
	if (db_row_writes(db, &ins, &m->writes_at_start))
		m->writes_at_start = -1;
	m->global_sql_mode = db_scalar(db, "SELECT @@GLOBAL.sql_mode", NULL);
	if (!m->global_sql_mode)
		m->global_sql_mode = xstrdup("");
	struct jobstate js;
	if (state_load(db, m->schema, m->table, &js))
		return EXIT_FAILED;
	if (js.found && !strcmp(js.phase, "revert") && js.window_over && !opt.revert && !opt.finish &&
	    opt.execute) {
		/* the revert window is over: close it, then do what was asked */
		log_info("the revert window of '%s' ended at %s; closing it", m->table, js.revert_until);
		jobstate_free(&js);
		if ((rc = revert_finish(m)))
			return rc;
	} else if (js.found) {
		rc = resume(m, &js);
		jobstate_free(&js);
		return rc;
	}
	if (opt.resume) {
		log_error("refused: --resume, but there is no unfinished oscar job for '%s'.'%s'", m->schema, m->table);
		return EXIT_REFUSED;
	}
	if (opt.revert || opt.finish) {
		log_error("refused: no revert window is open for '%s'.'%s'", m->schema, m->table);
		return EXIT_REFUSED;
	}
	return migrate(m);
}

/* A new migration: phases 1 to 3 here, 4 to 7 in finish_from_copy. */
static int migrate(struct migration *m)
{
	int rc;
	struct db *db = m->db;

	if ((rc = preflight_table(m)))
		return fail(m, rc);
	struct sbuf ev;
	ev_begin(&ev, "start");
	ev_str(&ev, "alter", opt.alter);
	ev_bool(&ev, "execute", opt.execute);
	ev_int(&ev, "rows_estimated", m->orig.rows_estimate);
	ev_end(&ev);
	if (opt.execute && hooks_run("start", m, NULL))
		return fail(m, EXIT_FAILED);

	fault_point("after-preflight");

	/* 1a. Partition maintenance the server does in place (DROP, TRUNCATE,
	 * EXCHANGE ... PARTITION): a copy would keep the rows they remove. */
	bool native;
	if ((rc = native_partition_wanted(m, &native)))
		return fail(m, rc);
	if (native)
		return run_native(m, alter_partition_name(m->alter.partition));

	/* 2. Shadow table in the new shape, column mapping, chunk key. */
	phase(m, "shadow");
	if ((rc = shadow_create(m)))
		return fail(m, rc);
	/* 2a. ALGORITHM=INSTANT/NOCOPY/INPLACE: the user asked for the server's
	 * own ALTER, and the shadow showed that the server can do it. */
	if (alter_algorithm_native(&m->alter)) {
		if (cleanup_run(db))
			return EXIT_FAILED;
		char what[32];
		snprintf(what, sizeof what, "ALGORITHM=%s", m->alter.algorithm_name);
		return run_native(m, what);
	}
	if ((rc = shadow_map(m)) || (rc = preflight_shadow(m)) || (rc = indexes_plan(m)))
		return fail(m, rc);

	if (opt.revert_window > 0 && (m->user_triggers || m->own_fks || opt.fk_method != FK_NONE)) {
		log_error("refused: --revert-window does not support tables with triggers or foreign keys of their "
			  "own or with child foreign keys yet");
		return fail(m, EXIT_REFUSED);
	}

	/* 2b. Dry run stops here, with the plan. */
	if (!opt.execute) {
		print_plan(m);
		if (cleanup_run(db))
			return EXIT_FAILED;
		return EXIT_OK;
	}

	/* 2c. An ALTER the server applies instantly needs no copy at all. */
	if (opt.prefer_instant && m->instant) {
		rc = instant_apply(m);
		if (rc == 0) {
			if (cleanup_run(db)) /* the scratch shadow */
				return EXIT_FAILED;
			hooks_run("success", m, NULL);
			return EXIT_OK;
		}
		/* the table itself refused (1846): copy after all */
		if (rc != EXIT_FAILED || db->err != 1846)
			return fail(m, rc);
		m->instant = false;
	}
	if (opt.prefer_instant && !m->instant)
		log_info("the server cannot apply this ALTER instantly; copying");
	if (oscar_abort)
		return fail(m, EXIT_SIGNAL);

	/* 3. Triggers: from now on every write reaches the shadow too. Load and
	 * replicas are checked first, so an overloaded server or a broken replica
	 * stops the run before anything touches the table. */
	if ((rc = throttle_wait(db, 0, m->orig.rows_estimate)))
		return fail(m, rc);
	if (shadow_sync_auto_increment(m))
		return fail(m, EXIT_FAILED);
	if ((rc = indexes_drop_deferred(m)))
		return fail(m, rc);
	phase(m, "triggers");
	if ((rc = triggers_install(m)) || (rc = galera_trigger_barrier(m)))
		return fail(m, rc);

	fault_point("after-shadow");
	if (state_begin(m))
		return fail(m, EXIT_FAILED);
	m->state_started = true;
	/* oscar's own writes into the shadow are not the application's: the
	 * guarded copies of the table's triggers skip them (usertriggers.c) */
	if (triggers_mark_session(db))
		return fail(m, EXIT_FAILED);
	return finish_from_copy(m, NULL);
}

/* Every failing exit under --json says so in an error event, those that have
 * none of their own (usage, connection) included. */
static int exit_with(int rc, const char *message)
{
	if (rc != EXIT_OK && !log_error_emitted()) {
		struct sbuf ev;
		ev_begin(&ev, "error");
		ev_int(&ev, "exit_status", rc);
		ev_str(&ev, "message", message);
		ev_end(&ev);
	}
	return rc;
}

int main(int argc, char **argv)
{
	signals_block();
	int rc = options_parse(argc, argv);
	if (rc < 0)
		return EXIT_OK;
	/* --status names the jobs in its events itself */
	log_set_run(opt.status ? NULL : opt.database, opt.status ? NULL : opt.table);
	if (rc) {
		/* parsing stopped at the bad option: a --json after it still counts */
		for (int i = 1; i < argc; i++)
			if (!strcmp(argv[i], "--json"))
				opt.json = true;
		return exit_with(rc, options_error());
	}
	db_dry_run = !opt.execute;
	/* from another terminal: ask or steer a running oscar */
	if (opt.send)
		return exit_with(status_send(), "no answer on the control socket, or an error answer");
	if (opt.status)
		return exit_with(status_show(), "cannot read the status");
	struct db db;
	if ((rc = db_connect(&db, "main")))
		return exit_with(rc, db.errmsg[0] ? db.errmsg : "cannot connect");
	if (signals_start(db.thread_id)) {
		log_error("cannot start the signal thread");
		db_close(&db);
		return exit_with(EXIT_FAILED, "cannot start the signal thread");
	}
	if ((rc = galera_detect(&db))) {
		db_close(&db);
		return rc;
	}
	struct migration m;
	memset(&m, 0, sizeof m);
	m.db = &db;
	m.schema = opt.database;
	m.table = opt.table;
	m.run_started = now_mono();
	cleanup_set_table(opt.table);
	objnames_init(&m.names, m.schema, m.table);
	db_set_tag(m.schema, m.table);
	if (opt.cleanup) {
		/* a running oscar's triggers and shadow are not leftovers */
		if (!(rc = tablelock_take(m.db, m.names.lock, m.schema, m.table))) {
			if (!opt.execute)
				log_info("dry run: listing what --cleanup --execute would remove");
			rc = leftovers_remove(&db, opt.database, opt.table);
		}
		rc = exit_with(rc, db.err ? db_error_text(&db) : "cleanup failed");
		migration_free(&m);
		db_close(&db);
		return rc;
	}
	rc = run(&m);
	if (rc == EXIT_FAILED && cleanup_pending())
		rc = fail(&m, rc);
	control_stop();
	/* also after a failure or an abort: where the time went */
	if (opt.execute)
		stats_log(m.rows_copied);
	const char *why = rc == EXIT_INCOMPLETE ? "stopped early; the same command resumes the job"
			  : db.err			 ? db_error_text(&db)
			  : db.errmsg[0]		 ? db.errmsg
							 : "failed";
	rc = exit_with(rc, why);
	migration_free(&m);
	db_close(&db);
	return rc;
}
