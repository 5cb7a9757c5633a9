/* keylog: the keys the application changes while the shadow's secondary
 * indexes are built.
 *
 * Why. Maintaining a secondary index during the copy is most of its work: a
 * 1,000,000-row sysbench copy took 6.1 s with the index `k` and 3.8 s
 * without it, and 1.0 s to build the index afterwards (docs/cost.md, seventh
 * session). While others write, each copy statement holds their writes for
 * its length (the fence, bound.c), so what the copy does per row is what the
 * application loses. An online ADD INDEX after the copy is cheaper, but it
 * applies the changes written meanwhile at its end with the index locked,
 * which held the application's writes for 280-770 ms in make bench.
 *
 * So while the indexes are built the triggers write nothing into the shadow:
 * they log the changed key into `_t_chg` instead, the build has nothing to
 * apply at its end, and afterwards the triggers mirror again and every
 * logged key's row is brought from the table (keylog_stop). The mode is a
 * second row (id 2) in the bound table, which every statement firing the
 * triggers reads under the table's read lock from its start to its end, so
 * a switch waits until no such statement is under way and each statement
 * sees one mode throughout.
 *
 * Why no write is lost. After the switch back, a logged key's row is read
 * from the table with a shared lock and replaced in the shadow, or deleted
 * from the shadow when the table no longer has it (a DELETE reads the other
 * tables of its statement with shared locks in InnoDB). A transaction that
 * changed the row and has not committed holds it: oscar's session never waits
 * for a row lock, the statement fails and is tried again. One that changes it
 * later waits for oscar's lock, then mirrors its change onto the row brought.
 * A server restart empties the bound table (the triggers mirror every row)
 * and keeps the key log: the resumed run brings the logged rows first.
 *
 * With --key-log=copy the triggers log from their creation on, so nothing
 * but the copy writes into the shadow until the build is done: its INSERT
 * ... SELECT needs no fence (no mirrored write takes the shadow's AUTO-INC
 * lock) and runs beside the application's writes. The shadow then holds
 * stale rows during the copy: a duplicate the copy meets on a unique key the
 * old table enforced is a stale row's (check_warnings in copy.c), and the
 * comparison waits until the logged rows are brought. Gentler per second,
 * but on make bench's 2-core machine it cost more in total than taking
 * turns with the application (docs/cost.md, seventh session).
 *
 * Used where the bound is (one integer key, MariaDB, row-based binary log,
 * not Galera), when indexes are deferred or --key-log=copy asks. */
#include "keylog.h"

#include <stdlib.h>
#include <string.h>

#include "binlog.h"
#include "bound.h"
#include "catalog.h"
#include "cleanup.h"
#include "clock.h"
#include "copy.h"
#include "db.h"
#include "log.h"
#include "migration.h"
#include "options.h"
#include "sbuf.h"

static bool active; /* the triggers have the logging branch */

static int set_mode(struct migration *m, bool on);

/* Keys per statement when the logged rows are brought. Each such statement
 * holds the application's writes (the fence) while it runs: 1,000 keys took
 * up to 52 ms under make bench's load (the stall target near the swap is 50),
 * so a few hundred. */
#define RESYNC_BATCH 400
#define RESYNC_ATTEMPTS 200

bool keylog_possible(struct migration *m)
{
	const char *why;
	return strcmp(opt.key_log, "never") && bound_eligible(m, &why);
}

static void sb_log_table(struct sbuf *q, struct migration *m)
{
	sb_qualified(q, m->schema, m->names.keylog);
}

static int lookup(struct migration *m, bool *exists, bool *ours)
{
	return catalog_table_ours(m->db, m->schema, m->names.keylog, exists, ours);
}

int keylog_create(struct migration *m)
{
	active = false;
	m->log_during_copy = m->stale_rows = false;
	if (db_dry_run || !bound_active() || !strcmp(opt.key_log, "never"))
		return 0;
	bool deferred = m->deferred_names && m->deferred_names[0];
	/* --key-log=copy: from the triggers' creation on. Not with a unique key
	 * the old table did not enforce (a duplicate met by the copy could not
	 * be told from a stale row's), nor with --verify-at=copy (each chunk is
	 * compared right after its copy, while the triggers mirror). */
	bool whole = !strcmp(opt.key_log, "copy") && unique_keys_as_before(m) && strcmp(opt.verify_at, "copy");
	if (!strcmp(opt.key_log, "copy") && !whole)
		log_info("--key-log=copy: the triggers mirror during the copy (%s)",
			 unique_keys_as_before(m) ? "--verify-at=copy" : "the new table has a unique key the old one did not enforce");
	if (!deferred && !whole)
		return 0;
	struct sbuf q = SBUF_INIT;
	/* A first run: a table of the name is a leftover of an earlier run whose
	 * triggers are gone (preflight found none), or somebody else's, which is
	 * never dropped; then the triggers mirror during the build. */
	bool exists, ours;
	if (lookup(m, &exists, &ours))
		return -1;
	if (exists && !ours) {
		log_info("the triggers mirror while the indexes are built ('%s' exists and is not oscar's)",
			 m->names.keylog);
		return 0;
	}
	if (exists && catalog_drop_leftover(m->db, m->schema, m->names.keylog))
		return -1;
	sb_add(&q, "CREATE TABLE ");
	sb_log_table(&q, m);
	sb_addf(&q, " (k BIGINT%s NOT NULL PRIMARY KEY) ENGINE=InnoDB "
		    "COMMENT='oscar: keys the triggers logged instead of mirroring; dropped with them'",
		m->key.kinds[0] == KK_UINT ? " UNSIGNED" : "");
	int rc = db_exec(m->db, DB_CHANGE, sb_str(&q));
	sb_free(&q);
	if (rc)
		return -1;
	cleanup_push_table(m->schema, m->names.keylog);
	active = true;
	if (!whole)
		return 0;
	/* before the triggers exist: nothing waits for these */
	if (bound_cover(m, NULL) || set_mode(m, true))
		return -1;
	m->log_during_copy = m->stale_rows = true;
	log_info("the triggers log the keys they change into '%s' instead of mirroring, until the copy and the "
		 "index build are done; the copy runs beside the application's writes", m->names.keylog);
	return 0;
}

int keylog_attach(struct migration *m)
{
	active = false;
	m->stale_rows = false;
	bool exists;
	if (db_dry_run || !bound_active())
		return 0;
	if (catalog_table_exists(m->db, m->schema, m->names.keylog, &exists))
		return -1;
	if (!exists)
		return 0;
	cleanup_push_table(m->schema, m->names.keylog);
	active = true;
	/* The stopped run's triggers may be logging, or mirroring (after a
	 * server restart, or after the build); whatever they changed since is
	 * in the shadow or in the log. From here on they log during the copy
	 * as this run's --key-log says (else they mirror), and the rows of every
	 * logged key are brought after the copy and the build. */
	bool log = !strcmp(opt.key_log, "copy") && unique_keys_as_before(m) && strcmp(opt.verify_at, "copy");
	if (set_mode(m, log))
		return -1;
	m->log_during_copy = log;
	m->stale_rows = true;
	if (log)
		log_info("the triggers log the keys they change into '%s' until the copy and the index build are done",
			 m->names.keylog);
	return 0;
}

bool keylog_active(void)
{
	return active;
}

bool keylog_pending(const struct migration *m)
{
	return active && m->stale_rows;
}

void keylog_if(struct sbuf *q, struct migration *m, const char *image)
{
	if (!active)
		return;
	sb_add(q, "IF EXISTS (SELECT 1 FROM ");
	sb_qualified(q, m->schema, m->names.bound);
	sb_add(q, " WHERE id = 2) THEN INSERT INTO ");
	sb_log_table(q, m);
	sb_addf(q, " (k) VALUES (%s.", image);
	sb_ident(q, m->key.old_cols[0]);
	/* no warning for a key logged twice, as INSERT IGNORE would give the
	 * application's statement */
	sb_add(q, ") ON DUPLICATE KEY UPDATE k = k; ELSE ");
}

void keylog_end(struct sbuf *q)
{
	if (active)
		sb_add(q, " END IF;");
}

/* Row 2 of the bound table in or out, never queueing for its lock (a write
 * lock waiting would hold up every new application statement) except after
 * seconds of busy tries, then for a second at most. */
static int set_mode(struct migration *m, bool on)
{
	double t0 = now_mono(), backoff = 0.001;
	for (;;) {
		unsigned wait = now_mono() - t0 > 5 ? 1 : 0;
		struct sbuf q = SBUF_INIT;
		sb_addf(&q, "SET STATEMENT lock_wait_timeout=%u FOR ", wait);
		sb_add(&q, on ? "INSERT IGNORE INTO " : "DELETE FROM ");
		sb_qualified(&q, m->schema, m->names.bound);
		sb_add(&q, on ? " VALUES (2, NULL)" : " WHERE id = 2");
		int rc = db_exec(m->db, DB_CHANGE | DB_SILENT, sb_str(&q));
		sb_free(&q);
		if (!rc)
			return 0;
		if (m->db->err != 1205 || oscar_abort) {
			log_error("cannot %s the key log in '%s': %s", on ? "start" : "stop", m->names.bound,
				  db_error_text(m->db));
			return -1;
		}
		if (wait)
			t0 = now_mono();
		sleep_s(backoff);
		backoff = backoff * 2 > 0.05 ? 0.05 : backoff * 2;
	}
}

int keylog_start(struct migration *m)
{
	if (!active)
		return 0;
	if (set_mode(m, true))
		return -1;
	log_info("while the indexes are built the triggers log the keys they change into '%s'", m->names.keylog);
	return 0;
}

/* A key read back from the log, to be written into SQL as a number. */
static bool integer_text(const char *v)
{
	if (!v || !*v)
		return false;
	const char *d = *v == '-' ? v + 1 : v;
	return *d && strspn(d, "0123456789") == strlen(d);
}

/* "[alias.]<col> > lo AND [alias.]<col> <= hi" for the batch (either end may
 * be open). */
static void batch_range(struct sbuf *q, const char *alias, const char *col, const char *lo, const char *hi)
{
	const char *ends[2] = { lo, hi }, *ops[2] = { " > ", " <= " };
	bool any = false;
	for (int i = 0; i < 2; i++) {
		if (!ends[i])
			continue;
		if (any)
			sb_add(q, " AND ");
		if (alias)
			sb_addf(q, "%s.", alias);
		sb_ident(q, col);
		sb_add(q, ops[i]);
		sb_add(q, ends[i]);
		any = true;
	}
	if (!any)
		sb_add(q, "1");
}

/* The logged keys of a batch as a subquery: "(SELECT k FROM log WHERE ...)". */
static void batch_keys(struct sbuf *q, struct migration *m, const char *lo, const char *hi)
{
	sb_add(q, "(SELECT k FROM ");
	sb_log_table(q, m);
	sb_add(q, " WHERE ");
	batch_range(q, NULL, "k", lo, hi);
	sb_add(q, ")");
}

/* One batch of logged keys: their rows replaced from the table (behind the
 * fence: REPLACE ... SELECT takes the shadow's AUTO-INC lock like the copy),
 * then the shadow's rows of those keys the table no longer has deleted.
 * 0, 1 to try again (a lock of the application's), -1. */
static int resync_batch(struct migration *m, const char *lo, const char *hi, long long *rows)
{
	const char *ok = m->key.old_cols[0], *nk = m->key.new_cols[0];
	struct sbuf q = SBUF_INIT;
	/* Never in a row lock queue: an application transaction holding a row
	 * of the batch may be waiting for the fence with its next statement,
	 * which a wait here would turn into a stall until the time limit. */
	sb_add(&q, "SET STATEMENT max_statement_time=0.2, innodb_lock_wait_timeout=0 FOR ");
	shadow_insert_head(&q, m, "REPLACE");
	sb_add(&q, " SELECT ");
	select_list(&q, m);
	sb_add(&q, " FROM ");
	sb_qualified(&q, m->schema, m->table);
	sb_add(&q, " WHERE ");
	sb_ident(&q, ok);
	sb_add(&q, " IN ");
	batch_keys(&q, m, lo, hi);
	sb_add(&q, " AND ");
	batch_range(&q, NULL, ok, lo, hi);
	bound_fence(&q, m);
	sb_add(&q, " LOCK IN SHARE MODE");
	int rc = db_exec(m->db, DB_SILENT, sb_str(&q));
	sb_free(&q);
	if (!rc) {
		*rows += (long long)mysql_affected_rows(m->db->my);
		/* by a join from the batch's keys: a single-table DELETE would read
		 * (and lock) every shadow row of the batch's key range */
		/* the target by its qualified name: MariaDB resolves a target alias
		 * in the session's default database (1046 without one) */
		sb_add(&q, "SET STATEMENT innodb_lock_wait_timeout=0 FOR DELETE ");
		sb_qualified(&q, m->schema, m->names.shadow);
		sb_add(&q, " FROM ");
		sb_log_table(&q, m);
		sb_add(&q, " AS c JOIN ");
		sb_qualified(&q, m->schema, m->names.shadow);
		sb_add(&q, " ON ");
		sb_qualified(&q, m->schema, m->names.shadow);
		sb_add(&q, ".");
		sb_ident(&q, nk);
		sb_add(&q, " = c.k LEFT JOIN ");
		sb_qualified(&q, m->schema, m->table);
		sb_add(&q, " AS o ON o.");
		sb_ident(&q, ok);
		sb_add(&q, " = c.k WHERE ");
		batch_range(&q, "c", "k", lo, hi);
		sb_add(&q, " AND o.");
		sb_ident(&q, ok);
		sb_add(&q, " IS NULL");
		rc = db_exec(m->db, DB_SILENT, sb_str(&q));
		sb_free(&q);
		if (!rc)
			*rows += (long long)mysql_affected_rows(m->db->my);
	}
	if (!rc)
		return 0;
	unsigned e = m->db->err;
	return e == 1205 || e == 1213 || e == 1969 ? 1 : -1;
}

static int resync(struct migration *m)
{
	char *lo = NULL;
	long long rows = 0, batches = 0;
	double t0 = now_mono();
	for (;;) {
		struct sbuf q = SBUF_INIT;
		sb_add(&q, "SELECT k FROM ");
		sb_log_table(&q, m);
		if (lo)
			sb_addf(&q, " WHERE k > %s", lo);
		sb_addf(&q, " ORDER BY k LIMIT 1 OFFSET %d", RESYNC_BATCH - 1);
		bool found;
		char *hi = db_scalar(m->db, sb_str(&q), &found);
		sb_free(&q);
		if ((!found && m->db->err) || (hi && !integer_text(hi))) {
			log_error("cannot read the key log '%s': %s", m->names.keylog,
				  m->db->err ? db_error_text(m->db) : "a key that is not an integer");
			free(lo);
			free(hi);
			return -1;
		}
		int rc = 1;
		double backoff = 0.002;
		for (int attempt = 1; rc == 1 && attempt <= RESYNC_ATTEMPTS && !oscar_abort; attempt++) {
			rc = resync_batch(m, lo, hi, &rows);
			if (rc == 1) {
				sleep_s(backoff);
				backoff = backoff * 2 > 0.1 ? 0.1 : backoff * 2;
			}
		}
		if (rc) {
			if (rc > 0)
				log_warn("the application's locks kept the rows changed while the indexes were built from "
					 "'%s' (%d attempts): %s", m->names.shadow, RESYNC_ATTEMPTS, db_error_text(m->db));
			else
				log_error("cannot bring the rows changed while the indexes were built into '%s': %s",
					  m->names.shadow, db_error_text(m->db));
			free(lo);
			free(hi);
			return oscar_abort ? -1 : rc;
		}
		batches++;
		free(lo);
		lo = hi;
		if (!hi)
			break;
	}
	log_info("brought the rows of the keys logged while the indexes were built: %lld rows written in %lld "
		 "statements, %.2f s", rows, batches * 2, now_mono() - t0);
	return 0;
}

int keylog_stop(struct migration *m)
{
	if (!active)
		return 0;
	if (!bound_all()) {
		/* the log is filled only after the copy's last chunk */
		log_error("refused: the key log '%s' is in use while the copy has not finished", m->names.keylog);
		return -1;
	}
	if (set_mode(m, false))
		return -1;
	return resync(m);
}

int keylog_drop(struct migration *m)
{
	bool exists = active, ours = active;
	/* also when this run did not attach it: a run resumed after the swap
	 * finishes the job of one that had a log */
	if (!active && !db_dry_run && lookup(m, &exists, &ours))
		return -1;
	if (!exists || !ours)
		return 0;
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "DROP TABLE IF EXISTS ");
	sb_log_table(&q, m);
	int rc = db_exec(m->db, DB_CHANGE, sb_str(&q));
	sb_free(&q);
	if (!rc) {
		cleanup_forget(m->names.keylog);
		active = false;
	}
	return rc;
}
