/* cleanup: a stack of the objects this run created. On error or signal only
 * those are dropped, and triggers always before tables: a trigger left writing
 * into a dropped shadow would fail every application write (error 1146). */
#include "cleanup.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "fault.h"
#include "log.h"
#include "migration.h"
#include "names.h"
#include "options.h"
#include "foreignkeys.h"
#include "replica.h"
#include "signals.h"
#include "state.h"

struct obj {
	bool trigger;
	char *schema;
	char *name;
	char *table;  /* triggers: the table they are on */
	char *shadow; /* triggers: the table they write into */
};

static struct obj objs[16];
static int nobjs;
static char *live_table; /* the table being changed, for child foreign keys */

void cleanup_set_table(const char *table)
{
	free(live_table);
	live_table = xstrdup(table);
}

static void push(bool trigger, const char *schema, const char *name, const char *table, const char *shadow)
{
	if (nobjs == (int)(sizeof objs / sizeof objs[0]))
		abort();
	objs[nobjs].trigger = trigger;
	objs[nobjs].schema = xstrdup(schema);
	objs[nobjs].name = xstrdup(name);
	objs[nobjs].table = table ? xstrdup(table) : NULL;
	objs[nobjs].shadow = shadow ? xstrdup(shadow) : NULL;
	nobjs++;
}

void cleanup_push_table(const char *schema, const char *name)
{
	push(false, schema, name, NULL, NULL);
}

void cleanup_push_trigger(const char *schema, const char *name, const char *table, const char *shadow)
{
	push(true, schema, name, table, shadow);
}

void cleanup_push_job(const char *schema, const char *table, const struct objnames *n)
{
	/* in creation order: the stack drops the triggers first */
	cleanup_push_table(schema, n->shadow);
	cleanup_push_trigger(schema, n->trg_del, table, n->shadow);
	cleanup_push_trigger(schema, n->trg_upd, table, n->shadow);
	cleanup_push_trigger(schema, n->trg_ins, table, n->shadow);
}

static void drop_at(int i)
{
	free(objs[i].schema);
	free(objs[i].name);
	free(objs[i].table);
	free(objs[i].shadow);
	memmove(&objs[i], &objs[i + 1], sizeof objs[0] * (size_t)(nobjs - i - 1));
	nobjs--;
}

void cleanup_forget(const char *name)
{
	for (int i = nobjs - 1; i >= 0; i--)
		if (!strcmp(objs[i].name, name))
			drop_at(i);
}

void cleanup_forget_all(void)
{
	while (nobjs)
		drop_at(nobjs - 1);
}

bool cleanup_pending(void)
{
	return nobjs > 0;
}

/* The cleanup connection may be the one a signal interrupted or the server
 * killed: make sure it answers before relying on it. */
static int ensure_connected(struct db *db)
{
	if (db->my && mysql_ping(db->my) == 0)
		return 0;
	log_warn("connection lost; reconnecting to clean up");
	return db_reconnect(db) ? -1 : 0;
}

int cleanup_run(struct db *db)
{
	if (!nobjs)
		return 0;
	/* From here on a signal must not cancel the rollback's own statements,
	 * nor stop its retry loops: one arriving now is remembered and handed on
	 * once the rollback is done. */
	bool saved_cancel = signals_allow_cancel(false);
	signals_rollback_begin();
	bool saved_dry = db_dry_run;
	db_dry_run = false; /* what was really created must really go */
	int saved_abort = atomic_exchange(&oscar_abort, 0);
	fault_point("rollback");
	int rc = 0;
	if (ensure_connected(db)) {
		rc = -1;
		goto out;
	}
	/* Triggers first, all together under one table lock. */
	char *names[16];
	int n = 0;
	int first = -1;
	for (int i = 0; i < nobjs; i++)
		if (objs[i].trigger) {
			names[n++] = objs[i].name;
			if (first < 0)
				first = i;
		}
	if (n) {
		if (triggers_remove(db, objs[first].schema, objs[first].table, objs[first].shadow, names, n)) {
			log_error("cleanup: cannot drop the triggers: %s", db_error_text(db));
			rc = -1;
			goto out; /* never drop a table while a trigger may still write into it */
		}
		for (int i = nobjs - 1; i >= 0; i--)
			if (objs[i].trigger)
				drop_at(i);
	}
	for (int i = nobjs - 1; i >= 0; i--) {
		/* a child's foreign key left on the shadow by an interrupted swap
		 * goes back to the table before the shadow can be dropped */
		if (live_table && fk_repoint(db, objs[i].schema, objs[i].name, live_table))
			log_warn("cleanup: cannot point child foreign keys back at '%s'", live_table);
		struct sbuf q = SBUF_INIT;
		sb_add(&q, "DROP TABLE IF EXISTS ");
		sb_qualified(&q, objs[i].schema, objs[i].name);
		/* Tables are dropped only once no trigger writes into them, so
		 * nothing but their size can make the drop slow. */
		if (db_exec(db, DB_CHANGE, sb_str(&q)) == 0) {
			log_info("cleanup: dropped table '%s'", objs[i].name);
			drop_at(i);
		} else {
			log_error("cleanup: cannot drop table '%s': %s", objs[i].name, db_error_text(db));
			rc = -1;
		}
		sb_free(&q);
	}
out:
	if (rc)
		log_error("cleanup incomplete: run 'oscar --cleanup' with the same --database and --table");
	db_dry_run = saved_dry;
	if (signals_rollback_end()) {
		log_warn("the rollback was interrupted by a signal and went on to the end");
		saved_abort = 1;
	}
	if (saved_abort)
		oscar_abort = 1;
	signals_allow_cancel(saved_cancel);
	return rc;
}

/* Drops one of oscar's tables if it exists; 1 when it did (or would). */
static int drop_leftover_table(struct db *db, const char *schema, const char *name, const char *what,
			       const char *live)
{
	bool exists = false;
	if (catalog_table_exists(db, schema, name, &exists))
		return -1;
	if (!exists)
		return 0;
	if (live && fk_repoint(db, schema, name, live))
		log_warn("cannot point child foreign keys back at '%s'", live);
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "DROP TABLE IF EXISTS ");
	sb_qualified(&q, schema, name);
	int rc = db_exec(db, DB_CHANGE, sb_str(&q));
	sb_free(&q);
	if (rc)
		return -1;
	log_info("%s %s '%s'", db_dry_run ? "would remove" : "removed", what, name);
	return 1;
}

/* Whether a table has no rows; -1 on error. */
static int table_empty(struct db *db, const char *schema, const char *name)
{
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "SELECT 1 FROM ");
	sb_qualified(&q, schema, name);
	sb_add(&q, " LIMIT 1");
	MYSQL_RES *r = db_query(db, sb_str(&q));
	sb_free(&q);
	if (!r)
		return -1;
	int empty = mysql_num_rows(r) == 0;
	mysql_free_result(r);
	return empty;
}

/* --cleanup: remove what an earlier run left, recognised by the names in
 * names.c, whichever step it was killed at: forward triggers (on the table,
 * or on the old table after a swap), the reverse triggers and placeholders of
 * a revert window (on the new table, the shadow, or the table set aside by
 * --revert), the shadow, the job's state row and the heartbeat table. The old
 * table of a finished swap is kept; the empty placeholder by its name, made
 * before a revert swap that never happened, is not. */
int cleanup_leftovers(struct db *db, const char *schema, const char *table)
{
	struct objnames n;
	objnames_init(&n, schema, table);
	const char *mine_names[] = { n.trg_ins, n.trg_upd, n.trg_del, n.rtrg_ins, n.rtrg_upd, n.rtrg_del };
	const char *on_tables[] = { table, n.old, n.shadow };
	int removed = 0, rc = 0;
	bool table_exists = false, forward_on_table = false;
	if (catalog_table_exists(db, schema, table, &table_exists))
		rc = -1;
	/* Triggers first: none may be left writing into a table dropped below. */
	for (size_t t = 0; t < 3 && !rc; t++) {
		char **have = catalog_triggers(db, schema, on_tables[t]);
		if (!have) {
			rc = -1;
			break;
		}
		char *mine[6];
		int nmine = 0;
		for (char **h = have; *h; h++)
			for (size_t k = 0; k < 6; k++)
				if (!strcmp(*h, mine_names[k])) {
					mine[nmine++] = *h;
					if (t == 0 && k < 3)
						forward_on_table = true;
				}
		if (nmine && triggers_remove(db, schema, on_tables[t], NULL, mine, nmine))
			rc = -1;
		removed += nmine;
		strv_free(have);
	}
	/* With the forward triggers still on the table no swap happened, and
	 * `_T_old`, if there, is the empty placeholder of a revert swap. */
	bool old_exists = false;
	if (!rc && catalog_table_exists(db, schema, n.old, &old_exists))
		rc = -1;
	if (!rc && old_exists && forward_on_table) {
		int empty = table_empty(db, schema, n.old);
		if (empty < 0)
			rc = -1;
		else if (empty) {
			int d = drop_leftover_table(db, schema, n.old, "placeholder table", NULL);
			if (d < 0)
				rc = -1;
			else {
				removed += d;
				old_exists = false;
			}
		}
	}
	const char *tables[] = { n.shadow, n.new_ph, n.old_ph, n.bound };
	const char *what[] = { "table", "placeholder table", "placeholder table", "mirroring bound table" };
	for (size_t t = 0; t < 4 && !rc; t++) {
		int d = drop_leftover_table(db, schema, tables[t], what[t], t == 0 && table_exists ? table : NULL);
		if (d < 0)
			rc = -1;
		else
			removed += d;
	}
	if (!rc) {
		struct jobstate js;
		if (state_load(db, schema, table, &js))
			rc = -1;
		else if (js.found) {
			if (state_forget(db, schema, table))
				rc = -1;
			else {
				log_info("%s the state of the unfinished job (phase %s)",
					 db_dry_run ? "would remove" : "removed", js.phase);
				removed++;
			}
		}
		jobstate_free(&js);
	}
	if (!rc) {
		int d = replica_drop_leftover_heartbeat(db, schema, n.heartbeat);
		if (d < 0)
			rc = -1;
		else
			removed += d;
	}
	if (!rc && !table_exists && removed == 0) {
		log_error("table '%s'.'%s' does not exist and nothing of oscar's was found for it", schema, table);
		objnames_free(&n);
		return EXIT_REFUSED;
	}
	if (!rc) {
		if (old_exists)
			log_info("kept '%s', the table before an earlier swap; drop it when no longer needed",
				 n.old);
		log_info("cleanup of '%s'.'%s': %d object%s %s", schema, table, removed, removed == 1 ? "" : "s",
			 db_dry_run ? "to remove (dry run; add --execute)" : "removed");
		struct sbuf ev;
		ev_begin(&ev, "cleanup");
		ev_int(&ev, "objects_removed", removed);
		ev_bool(&ev, "dry_run", db_dry_run);
		ev_end(&ev);
	}
	objnames_free(&n);
	return rc ? EXIT_FAILED : 0;
}
