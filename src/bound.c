/* bound: how far the triggers mirror.
 *
 * Mirroring a write to a row the copy has not reached yet is pure cost: the
 * copy reads that row later, with a shared lock, as it is then. Measured in
 * make bench, the mirroring was more than half of what a run took from the
 * application per second (docs/cost.md). So, where it is safe, the triggers
 * mirror a row only when its key is at most a bound `hi` that the copy moves
 * ahead of itself, read from a one-row MEMORY table `_t_bnd`; no row means
 * "mirror every row", which is also what a server restart leaves (a MEMORY
 * table comes back empty) and what the copy sets before its last, open-ended
 * chunk. `hi` only grows.
 *
 * Why no write is lost. A row above `hi` is in the shadow neither by the copy
 * (it copies only up to `hi`) nor by a trigger (they skip it). When the copy
 * reaches the row it reads it with a shared lock: a transaction that changed
 * it unmirrored has committed (the copy reads its result) or still holds it
 * (the copy skips it and comes back, see chunk_copy_skipping). The one race
 * is a statement that read the old `hi` and changes its row after the copy
 * read that row. It cannot happen: the statement holds a read lock on the
 * MEMORY table from its start to its end (the trigger's tables are locked
 * with the statement's), and the copy's UPDATE of `hi` needs a write lock, so
 * it runs only when every statement that could have read the old value has
 * ended. The copy asks with lock_wait_timeout=0 and retries: a write lock
 * waiting in the queue would hold up every new application statement.
 *
 * Where it stays off: keys other than one NOT NULL integer column; Galera
 * (MEMORY tables are not replicated); a binary log that is not row-based
 * (replicas would run their own triggers against their own bound, and the
 * copy's row events would meet rows they mirrored); --no-swap and
 * --revert-window (the triggers outlive the copy); the table's own triggers
 * or a reference to itself (their mirror mark); MySQL (no SET STATEMENT);
 * --mirror=all. */
#include "bound.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "clock.h"
#include "keyval.h"
#include "catalog.h"
#include "cleanup.h"
#include "db.h"
#include "log.h"
#include "migration.h"
#include "options.h"

static bool active;    /* the triggers read the bound */
static bool all;       /* ... and it says "every row" (the row is gone) */
static long double hi; /* the bound published, when !all */
static long double step;

/* DECIMAL(20,0)'s lowest value: below every integer key */
#define BOUND_NONE "-99999999999999999999"

bool bound_eligible(struct migration *m, const char **why)
{
	if (!strcmp(opt.mirror, "all"))
		*why = "--mirror=all";
	else if (m->key.n != 1 || m->key.nrow != 1 ||
		 (m->key.kinds[0] != KK_INT && m->key.kinds[0] != KK_UINT))
		*why = "the copy's key is not one integer column";
	else if (!table_column(&m->orig, m->key.old_cols[0]) || table_column(&m->orig, m->key.old_cols[0])->nullable)
		*why = "the copy's key column may hold NULL";
	else if (db_galera)
		*why = "a Galera node";
	else if (!m->db->mariadb) /* SET STATEMENT, for the lock wait */
		*why = "not MariaDB";
	else if (opt.no_swap || opt.revert_window > 0)
		*why = "the triggers outlive the copy";
	else if (m->user_triggers > 0 || m->self_fk)
		*why = "the table has triggers of its own or references itself";
	else
		*why = NULL;
	if (*why)
		return false;
	bool found;
	char *fmt = db_scalar(m->db, "SELECT IF(@@log_bin, @@GLOBAL.binlog_format, 'ROW')", &found);
	bool row = fmt && !strcasecmp(fmt, "ROW");
	free(fmt);
	if (!row)
		*why = "the binary log is not row-based";
	return row;
}

static void sb_bound_table(struct sbuf *q, struct migration *m)
{
	sb_qualified(q, m->schema, m->names.bound);
}

/* A tenth of the key range: the bound moves a few times per copy, each time
 * well before the copy needs it. */
static int set_step(struct migration *m)
{
	struct sbuf q = SBUF_INIT;
	/* as DECIMAL: the difference of two BIGINTs can be out of their range */
	sb_add(&q, "SELECT CAST(MAX(");
	sb_ident(&q, m->key.old_cols[0]);
	sb_add(&q, ") AS DECIMAL(21,0)) - CAST(MIN(");
	sb_ident(&q, m->key.old_cols[0]);
	sb_add(&q, ") AS DECIMAL(21,0)) FROM ");
	sb_qualified(&q, m->schema, m->table);
	bool found;
	char *v = db_scalar(m->db, sb_str(&q), &found);
	sb_free(&q);
	if (!found && m->db->err)
		return -1;
	long double range = v ? strtold(v, NULL) : 0;
	free(v);
	step = floorl(range / 10);
	if (step < 10000)
		step = 10000;
	return 0;
}

/* What the table holds now: a row (its hi), or none ("every row"). */
static int read_bound(struct migration *m)
{
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "SELECT hi FROM ");
	sb_bound_table(&q, m);
	sb_add(&q, " WHERE id = 1");
	bool found;
	char *v = db_scalar(m->db, sb_str(&q), &found);
	sb_free(&q);
	if (!found && m->db->err)
		return -1;
	all = !v;
	hi = v ? strtold(v, NULL) : 0;
	free(v);
	return 0;
}

static int lookup(struct migration *m, bool *exists, bool *ours)
{
	return catalog_table_ours(m->db, m->schema, m->names.bound, exists, ours);
}

int bound_create(struct migration *m)
{
	active = all = false;
	const char *why;
	if (db_dry_run || !bound_eligible(m, &why)) {
		if (!db_dry_run && why && strcmp(why, "--mirror=all"))
			log_info("the triggers mirror every row (%s)", why);
		return db_last_class(m->db) == ERR_LOST ? -1 : 0;
	}
	/* A first run (a resumed one attaches): a table of the name is a
	 * leftover of an earlier run whose triggers are gone (preflight found
	 * none), or somebody else's, which is never dropped. */
	struct sbuf q = SBUF_INIT;
	bool exists, ours;
	if (lookup(m, &exists, &ours))
		return -1;
	if (exists) {
		if (!ours) {
			log_error("table '%s' exists and is not oscar's; rename it, or run with --mirror=all",
				  m->names.bound);
			return -1;
		}
		if (catalog_drop_leftover(m->db, m->schema, m->names.bound))
			return -1;
	}
	sb_add(&q, "CREATE TABLE ");
	sb_bound_table(&q, m);
	sb_add(&q, " (id TINYINT NOT NULL PRIMARY KEY, hi DECIMAL(20,0) NULL) ENGINE=MEMORY "
		   "COMMENT='oscar: how far the triggers mirror; dropped with them'");
	int rc = db_exec(m->db, DB_CHANGE | DB_SILENT, sb_str(&q));
	sb_free(&q);
	if (rc) {
		if (db_last_class(m->db) == ERR_LOST)
			return -1;
		log_info("the triggers mirror every row (cannot create the MEMORY table '%s': %s)", m->names.bound,
			 m->db->errmsg);
		return 0;
	}
	cleanup_push_table(m->schema, m->names.bound);
	sb_add(&q, "INSERT INTO ");
	sb_bound_table(&q, m);
	sb_add(&q, " VALUES (1, " BOUND_NONE ")");
	rc = db_exec(m->db, DB_CHANGE, sb_str(&q));
	sb_free(&q);
	if (rc || set_step(m))
		return -1;
	active = true;
	hi = -1e20L;
	log_info("the triggers mirror only the rows the copy has reached ('%s')", m->names.bound);
	return 0;
}

int bound_attach(struct migration *m)
{
	active = all = false;
	bool exists;
	if (db_dry_run)
		return 0;
	if (catalog_table_exists(m->db, m->schema, m->names.bound, &exists))
		return -1;
	if (!exists)
		return 0;
	cleanup_push_table(m->schema, m->names.bound);
	if (read_bound(m) || set_step(m))
		return -1;
	active = true;
	if (all)
		log_info("the triggers mirror every row ('%s' says so)", m->names.bound);
	return 0;
}

bool bound_active(void)
{
	return active;
}

bool bound_all(void)
{
	return !active || all;
}

void bound_if(struct sbuf *q, struct migration *m, const char *image)
{
	const char *k = m->key.old_cols[0];
	sb_addf(q, "IF %s.", image);
	sb_ident(q, k);
	sb_add(q, " <= COALESCE((SELECT hi FROM ");
	sb_bound_table(q, m);
	sb_addf(q, " WHERE id = 1), %s.", image);
	sb_ident(q, k);
	sb_add(q, ") THEN ");
}

/* The fence. An INSERT ... SELECT into a shadow with an AUTO_INCREMENT
 * column holds InnoDB's table-level AUTO-INC lock for its whole statement
 * (innodb_autoinc_lock_mode=1), and every mirrored write that comes while it
 * holds it takes the same table lock in the middle of the application's
 * statement, which can then deadlock with other application transactions
 * (docs/cost.md). A copy statement that also locks the bound table for
 * writing runs only when no statement that fires the triggers is under way,
 * and those wait at their start, holding nothing of the statement yet,
 * until it ends: nobody mirrors while the copy holds the AUTO-INC lock. The
 * subquery always counts to 0 or 1, so the rows copied do not depend on it.
 * Its wait is bounded by the caller (max_statement_time): an application
 * statement under way may wait for a row lock of a transaction whose next
 * statement queues behind the copy. */
void bound_fence(struct sbuf *q, struct migration *m)
{
	sb_add(q, " AND (SELECT COUNT(*) FROM ");
	sb_bound_table(q, m);
	sb_add(q, " FOR UPDATE) >= 0");
}

int bound_hold(struct migration *m, double secs)
{
	if (!active)
		return -1;
	struct sbuf q = SBUF_INIT;
	/* the wait for statements under way is bounded as a fenced copy
	 * statement's is (see bound_fence) */
	sb_addf(&q, "SET STATEMENT max_statement_time=%.3f FOR SELECT SLEEP(%.3f) FROM DUAL WHERE 1", secs + 0.1, secs);
	bound_fence(&q, m);
	int rc = db_exec(m->db, DB_SILENT, sb_str(&q));
	sb_free(&q);
	return rc;
}

/* One attempt at moving the bound (to every row when to_all), never waiting
 * for the table's lock: 0, 1 when it is busy, -1 on another error. */
static int publish(struct migration *m, bool to_all, long double to, unsigned wait)
{
	struct sbuf q = SBUF_INIT;
	sb_addf(&q, "SET STATEMENT lock_wait_timeout=%u FOR ", wait);
	if (to_all) {
		/* row 2, the key log's mode (keylog.c), stays */
		sb_add(&q, "DELETE FROM ");
		sb_bound_table(&q, m);
		sb_add(&q, " WHERE id = 1");
	} else {
		sb_add(&q, "UPDATE ");
		sb_bound_table(&q, m);
		sb_addf(&q, " SET hi = %.0Lf WHERE id = 1", to);
	}
	int rc = db_exec(m->db, DB_SILENT, sb_str(&q));
	sb_free(&q);
	if (!rc) {
		all = to_all;
		hi = to;
		return 0;
	}
	return m->db->err == 1205 ? 1 : -1;
}

int bound_cover(struct migration *m, const struct keyval *upper)
{
	if (!active || all)
		return 0;
	long double need = 0;
	bool to_all = !upper || upper->n != 1 || !upper->v[0];
	if (!to_all)
		need = strtold(upper->v[0], NULL);
	/* the margin covers rounding where long double is only a double (keys
	 * above 2^53): the bound must never be taken for higher than it is */
	if (!to_all && need + 4096 <= hi) {
		/* well ahead of need: one try when half the step is used */
		if (need > hi - step / 2 && publish(m, false, hi + step, 0) < 0)
			return -1;
		return 0;
	}
	long double to = to_all ? 0 : need + step;
	double backoff = 0.001, t0 = now_mono(), first = t0;
	for (;;) {
		/* after seconds of busy tries, one that waits up to a second: the
		 * application's statements queue behind it that long at most */
		unsigned wait = now_mono() - t0 > 5 ? 1 : 0;
		int r = publish(m, to_all, to, wait);
		if (r <= 0) {
			if (r < 0)
				log_error("cannot move the mirroring bound in '%s': %s", m->names.bound,
					  db_error_text(m->db));
			else if (now_mono() - first > 0.2)
				log_info("moved the mirroring bound after %.1f s of waiting for application "
					 "statements to end", now_mono() - first);
			return r;
		}
		if (oscar_abort)
			return -1;
		if (wait)
			t0 = now_mono();
		sleep_s(backoff);
		backoff = backoff * 2 > 0.05 ? 0.05 : backoff * 2;
	}
}

int bound_drop(struct migration *m)
{
	/* also when this run did not attach it: a run resumed after the swap
	 * finishes the job of one that had a bound */
	if (!active && !db_dry_run) {
		bool exists, ours;
		if (lookup(m, &exists, &ours))
			return -1;
		if (!ours)
			return 0;
	} else if (!active) {
		return 0;
	}
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "DROP TABLE IF EXISTS ");
	sb_bound_table(&q, m);
	int rc = db_exec(m->db, DB_CHANGE, sb_str(&q));
	sb_free(&q);
	if (!rc) {
		cleanup_forget(m->names.bound);
		active = false;
	}
	return rc;
}
