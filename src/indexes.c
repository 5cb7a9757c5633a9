/* indexes: plain secondary indexes of the new table are left out of the copy
 * and built once it is done.
 *
 * The copy inserts rows in chunk-key order, so the clustered index grows at
 * its end, but every secondary index takes its entries in random order: one
 * buffer-pool page visit and one undo record per row and index. On a 1M-row
 * sysbench table that doubles the copy. Building the index afterwards is one
 * sorted pass (ALTER TABLE ... ADD KEY, ALGORITHM=INPLACE, LOCK=NONE), during
 * which the triggers keep writing to the shadow: the server logs their changes
 * and applies them at the end.
 *
 * Only non-unique B-tree keys over stored columns are deferred: unique keys
 * decide what INSERT IGNORE keeps, full-text and spatial keys cannot be added
 * without blocking writes, and keys on virtual columns are rebuilt from the
 * row anyway. Of those, only the ones after the last key that stays (see
 * indexes_plan), so that the new table lists its keys in the usual order.
 *
 * The ALTER needs an exclusive metadata lock on the shadow twice (at its start
 * and at its end), and every application transaction that wrote the table
 * holds a shared one through the triggers until it ends. While the ALTER waits
 * for it, the application's next writes queue behind it. MariaDB's
 * lock_wait_timeout counts whole seconds and max_statement_time would stop the
 * build itself, so a second connection watches the builder's state and cancels
 * any wait longer than --lock-wait-timeout; the build is then tried again, up
 * to --lock-retries times. After that the job stops resumable (exit 7): the
 * copy is kept and the next run builds the indexes. */
#include "indexes.h"
#include "bound.h"
#include "keylog.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "fault.h"
#include "foreignkeys.h"
#include "log.h"
#include "migration.h"
#include "options.h"
#include "clock.h"
#include "strv.h"

/* The name of "KEY `na``me` (...)": the identifier after KEY, unquoted. */
static char *key_name(const char *def)
{
	const char *p = strchr(def, '`');
	char *name = NULL;
	return p && ident_unquote(p, &name) ? name : NULL;
}

static bool over_stored_columns(const struct table *t, const struct index *ix)
{
	for (int i = 0; i < ix->ncols; i++) {
		const struct column *c = table_column(t, ix->cols[i]);
		if (!c || c->generated)
			return false;
	}
	return true;
}

int indexes_plan(struct migration *m)
{
	if (!strcmp(opt.defer_indexes, "never"))
		return 0;
	char *ddl = catalog_show_create(m->db, m->schema, m->names.shadow);
	if (!ddl)
		return EXIT_FAILED;
	/* One definition per line (a newline inside a COMMENT is shown as \n),
	 * in the server's order of the keys. Keys added later go after the
	 * others of their kind, so only the plain keys after the last one that
	 * must stay are deferred: the final definition lists the keys in the
	 * order the server's own ALTER gives (full-text keys always come last). */
	/* an index a foreign key needs stays (the server would refuse to drop it) */
	char **fkcols = fk_key_columns(m);
	for (char *line = strtok(ddl, "\n"); line; line = strtok(NULL, "\n")) {
		bool plain = !strncmp(line, "  KEY `", 7);
		if (!plain && strncmp(line, "  SPATIAL KEY `", 15))
			continue;
		size_t len = strlen(line);
		if (len && line[len - 1] == ',')
			line[--len] = '\0';
		char *name = key_name(line);
		const struct index *ix = name ? table_index(&m->shadow, name) : NULL;
		bool fk_needs = false;
		for (int i = 0; ix && ix->ncols && fkcols[i] && !fk_needs; i++)
			fk_needs = !strcasecmp(fkcols[i], ix->cols[0]);
		if (plain && ix && !fk_needs && !ix->unique && !ix->primary && over_stored_columns(&m->shadow, ix)) {
			m->deferred_defs = strv_push(m->deferred_defs, line + 2);
			m->deferred_names = strv_push(m->deferred_names, name);
		} else {
			strv_free(m->deferred_defs);
			strv_free(m->deferred_names);
			m->deferred_defs = m->deferred_names = NULL;
		}
		free(name);
	}
	strv_free(fkcols);
	free(ddl);
	return 0;
}

void indexes_restore_plan(struct migration *m, const char *defs)
{
	if (!defs || !*defs)
		return;
	char *copy = xstrdup(defs);
	for (char *line = strtok(copy, "\n"); line; line = strtok(NULL, "\n")) {
		char *name = key_name(line);
		if (!name)
			continue;
		m->deferred_defs = strv_push(m->deferred_defs, line);
		m->deferred_names = strv_push(m->deferred_names, name);
		free(name);
	}
	free(copy);
}

int indexes_drop_deferred(struct migration *m)
{
	if (!m->deferred_names || !m->deferred_names[0])
		return 0;
	/* with the key log the build's end has nothing to apply (keylog.c) */
	if (!strcmp(opt.defer_indexes, "auto") && !keylog_possible(m) && migration_others_write(m)) {
		log_info("other sessions write: the secondary indexes of '%s' stay during the copy (a build after it "
			 "would hold their writes at its end)", m->names.shadow);
		strv_free(m->deferred_defs);
		strv_free(m->deferred_names);
		m->deferred_defs = m->deferred_names = NULL;
		return 0;
	}
	/* the shadow is still empty and nothing else uses it yet */
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "ALTER TABLE ");
	sb_qualified(&q, m->schema, m->names.shadow);
	for (int i = 0; m->deferred_names[i]; i++) {
		sb_add(&q, i ? ", DROP KEY " : " DROP KEY ");
		sb_ident(&q, m->deferred_names[i]);
	}
	int rc = db_exec(m->db, DB_CHANGE, sb_str(&q));
	sb_free(&q);
	if (rc)
		return EXIT_FAILED;
	log_info("%d secondary %s of '%s' will be built after the copy", strv_len(m->deferred_names),
		 strv_len(m->deferred_names) == 1 ? "index" : "indexes", m->names.shadow);
	return 0;
}

/* The pacing's slices (indexes_build_finish), as long as a fenced copy
 * statement's (FENCED_TX_SECONDS in copy.c). */
#define FENCED_HOLD_SECONDS 0.02

/* The build runs on a connection of its own in a thread, so that the
 * verification can read both tables meanwhile. */
static struct builder {
	bool running;
	pthread_t thread;
	struct migration *m;
	struct db conn;  /* runs the ALTER */
	struct db watch; /* watches and cancels it */
	char *sql;
	int nbuilt;
	double started;
	volatile int cancel;
	atomic_int finished; /* the thread is at its end: join without waiting */
	atomic_int working;  /* the ALTER runs and waits for no metadata lock: worth pacing for */
	int rc;
} b;

/* PROCESSLIST state of the builder's statement: whether it waits for a
 * metadata lock. -1: cannot tell. */
static int waiting_for_mdl(void)
{
	char sql[160];
	snprintf(sql, sizeof sql, "SELECT STATE FROM information_schema.PROCESSLIST WHERE ID = %lu",
		 b.conn.thread_id);
	bool found;
	char *state = db_scalar(&b.watch, sql, &found);
	int w = !found ? -1 : state && strstr(state, "metadata lock") != NULL;
	free(state);
	return w;
}

static void kill_build(void)
{
	/* ignored: a build that already ended cannot be killed (1094), and the
	 * caller waits for the build's own statement to return either way */
	db_execf(&b.watch, DB_SILENT, "KILL QUERY %lu", b.conn.thread_id);
}

/* One attempt: 0 done, 1 gave way to a metadata lock wait, -1 failed. */
static int attempt_build(int attempt, double *waited)
{
	if (mysql_send_query(b.conn.my, b.sql, (unsigned long)strlen(b.sql))) {
		db_set_error(&b.conn, mysql_errno(b.conn.my), mysql_sqlstate(b.conn.my), mysql_error(b.conn.my),
			     b.sql);
		return -1;
	}
	fault_point("during-indexes");
	struct pollfd pfd = { .fd = (int)mysql_get_socket(b.conn.my), .events = POLLIN };
	double wait_since = -1;
	bool gave_way = false, killed = false;
	for (;;) {
		int pr = poll(&pfd, 1, 20);
		if (pr > 0 || (pr < 0 && errno != EINTR))
			break;
		if (killed)
			continue;
		if (oscar_abort || b.cancel) {
			kill_build();
			killed = true;
			continue;
		}
		int w = waiting_for_mdl();
		atomic_store(&b.working, w == 0);
		double now = now_mono();
		if (w != 1) {
			wait_since = -1;
			continue;
		}
		if (wait_since < 0)
			wait_since = now;
		if (now - wait_since > opt.lock_wait_timeout) {
			*waited = now - wait_since;
			if (attempt == 1 || attempt % 5 == 0)
				db_report_blockers(&b.watch);
			kill_build();
			killed = gave_way = true;
		}
	}
	atomic_store(&b.working, 0);
	if (mysql_read_query_result(b.conn.my) == 0)
		return 0;
	db_set_error(&b.conn, mysql_errno(b.conn.my), mysql_sqlstate(b.conn.my), mysql_error(b.conn.my), b.sql);
	return gave_way && b.conn.err == 1317 ? 1 : -1;
}

/* "ALTER TABLE shadow ADD KEY ..." for the deferred indexes the shadow does
 * not have yet (an earlier run of the job may have built some), or NULL when
 * none is missing; *n says how many. */
static char *missing_sql(struct db *db, struct migration *m, int *n, int *rc)
{
	struct table now;
	*n = 0;
	*rc = 0;
	if (catalog_load(db, m->schema, m->names.shadow, &now)) {
		*rc = -1;
		return NULL;
	}
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "ALTER TABLE ");
	sb_qualified(&q, m->schema, m->names.shadow);
	for (int i = 0; m->deferred_defs[i]; i++) {
		if (table_index(&now, m->deferred_names[i]))
			continue;
		sb_add(&q, (*n)++ ? ", ADD " : " ADD ");
		sb_add(&q, m->deferred_defs[i]);
	}
	table_free(&now);
	sb_add(&q, ", ALGORITHM=INPLACE, LOCK=NONE");
	if (*n)
		return sb_take(&q);
	sb_free(&q);
	return NULL;
}

/* A build started by an earlier run of this job whose oscar died goes on in
 * the server until it ends, holding the shadow's metadata lock (and hiding
 * the shadow from information_schema while it waits for it). It is ours (the
 * per-table lock says no other oscar runs), so it is stopped and waited for. */
void indexes_stop_orphans(struct db *db, const char *schema, const char *shadow)
{
	struct sbuf prefix = SBUF_INIT, q = SBUF_INIT;
	sb_add(&prefix, "ALTER TABLE ");
	sb_qualified(&prefix, schema, shadow);
	sb_add(&prefix, " ADD ");
	sb_add(&q, "SELECT ID FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID()"
		   " AND COMMAND = 'Query' AND LEFT(INFO, CHAR_LENGTH(");
	sb_literal(&q, sb_str(&prefix));
	sb_add(&q, ")) = ");
	sb_literal(&q, sb_str(&prefix));
	sb_free(&prefix);
	for (int round = 0; round < 200; round++) {
		MYSQL_RES *r = db_query_f(db, DB_SILENT, sb_str(&q));
		if (!r)
			break;
		MYSQL_ROW row;
		int n = 0;
		while ((row = mysql_fetch_row(r))) {
			n++;
			if (round == 0)
				log_warn("stopping an index build on '%s' left running by an earlier run (connection %s)",
					 shadow, row[0]);
			/* ignored: the loop looks again and gives up after its rounds */
			db_execf(db, DB_SILENT, "KILL QUERY %lu", strtoul(row[0], NULL, 10));
		}
		mysql_free_result(r);
		if (!n)
			break;
		sleep_s(0.05);
	}
	sb_free(&q);
}

static void *build_thread(void *arg)
{
	(void)arg;
	double backoff = 0.05;
	b.rc = EXIT_INCOMPLETE;
	for (int attempt = 1; attempt <= opt.lock_retries; attempt++) {
		int n, qrc;
		free(b.sql);
		b.sql = missing_sql(&b.watch, b.m, &n, &qrc);
		if (qrc) {
			log_error("cannot read the indexes of '%s': %s", b.m->names.shadow, db_error_text(&b.watch));
			b.rc = EXIT_FAILED;
			break;
		}
		if (!b.sql) {
			b.rc = 0;
			break;
		}
		if (attempt == 1) {
			b.nbuilt = n;
			log_info("building %d %s on '%s'", n, n == 1 ? "index" : "indexes", b.m->names.shadow);
		}
		double waited = 0;
		int r = attempt_build(attempt, &waited);
		if (r == 0) {
			b.rc = 0;
			break;
		}
		if (oscar_abort || b.cancel) {
			b.rc = EXIT_SIGNAL;
			break;
		}
		if (r < 0) {
			log_error("building the indexes of '%s' failed: %s", b.m->names.shadow, db_error_text(&b.conn));
			b.rc = EXIT_FAILED;
			break;
		}
		log_warn("index build on '%s' waited %.2f s for a metadata lock; cancelled so the application's "
			 "queries do not queue behind it (attempt %d of %d)", b.m->names.shadow, waited, attempt,
			 opt.lock_retries);
		struct sbuf ev;
		ev_begin(&ev, "lock_wait");
		ev_str(&ev, "what", "building the indexes");
		ev_int(&ev, "attempt", attempt);
		ev_end(&ev);
		sleep_s(backoff);
		backoff = backoff * 2 > 2 ? 2 : backoff * 2;
	}
	atomic_store(&b.finished, 1);
	return NULL;
}

int indexes_build_start(struct migration *m)
{
	if (!m->deferred_defs || !m->deferred_defs[0])
		return 0;
	memset(&b, 0, sizeof b);
	b.m = m;
	b.started = now_mono();
	int rc;
	if ((rc = db_connect(&b.conn, "index build")) || (rc = db_connect(&b.watch, "index watch"))) {
		db_close(&b.conn);
		return rc == EXIT_CONNECT ? EXIT_FAILED : rc;
	}
	/* a fallback only: the watcher cancels long before */
	long lwt = (long)opt.lock_wait_timeout + 2;
	if (db_execf(&b.conn, 0, "SET SESSION lock_wait_timeout=%ld", lwt)) {
		db_close(&b.conn);
		db_close(&b.watch);
		return EXIT_FAILED;
	}
	if (pthread_create(&b.thread, NULL, build_thread, NULL)) {
		log_error("cannot start the index build thread");
		db_close(&b.conn);
		db_close(&b.watch);
		return EXIT_FAILED;
	}
	b.running = true;
	return 0;
}

int indexes_build_finish(struct migration *m, bool cancel, bool pace)
{
	if (!b.running)
		return 0;
	if (cancel)
		b.cancel = 1;
	/* A long build says it is still at work. Paced, the application's
	 * writes are held in slices of 20 ms with 2 ms between them, as the
	 * fenced copy's statements hold them: on a machine whose cores the
	 * application keeps busy the build then runs at its idle speed instead
	 * of two to three times slower, and the triggers' work on every write
	 * is paid for that much less time (docs/cost.md, seventh session). */
	double shown = 0, held = 0;
	long holds = 0;
	while (!cancel && !atomic_load(&b.finished)) {
		if (now_mono() - shown >= 0.1) {
			progress_phase("building the secondary indexes", 0, 0, b.started);
			shown = now_mono();
		}
		/* not while the build waits for a metadata lock (or between
		 * attempts): the application would be held for nothing */
		double h0 = now_mono();
		if (pace && atomic_load(&b.working) && bound_hold(m, FENCED_HOLD_SECONDS) == 0) {
			holds++;
			held += now_mono() - h0;
			sleep_s(FENCED_HOLD_SECONDS / 10);
			continue;
		}
		sleep_s(pace ? 0.02 : 0.1);
	}
	progress_stopped();
	if (holds)
		log_info("the build was paced: the application's statements held %ld times, %.2f s in all", holds, held);
	pthread_join(b.thread, NULL);
	b.running = false;
	db_close(&b.conn);
	db_close(&b.watch);
	free(b.sql);
	b.sql = NULL;
	if (b.rc == 0 && b.nbuilt) {
		double secs = now_mono() - b.started;
		log_info("built %d %s on '%s' in %.2f s", b.nbuilt, b.nbuilt == 1 ? "index" : "indexes",
			 m->names.shadow, secs);
		struct sbuf ev;
		ev_begin(&ev, "indexes");
		ev_int(&ev, "indexes_built", b.nbuilt);
		ev_num(&ev, "build_s", secs);
		ev_end(&ev);
	} else if (b.rc == EXIT_INCOMPLETE) {
		log_error("cannot build the indexes of '%s': no metadata lock after %d attempts", m->names.shadow,
			  opt.lock_retries);
	}
	return b.rc;
}
