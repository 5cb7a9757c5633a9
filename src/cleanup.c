/* cleanup: a stack of the objects this run created. On error or signal only
 * those are dropped, and triggers always before tables: a trigger left writing
 * into a dropped shadow would fail every application write (error 1146). */
#include "cleanup.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "droptriggers.h"
#include "fault.h"
#include "log.h"
#include "names.h"
#include "options.h"
#include "foreignkeys.h"
#include "signals.h"

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
	const char *names[16];
	int n = 0;
	int first = -1;
	for (int i = 0; i < nobjs; i++)
		if (objs[i].trigger) {
			names[n++] = objs[i].name;
			if (first < 0)
				first = i;
		}
	if (n) {
		if (droptriggers_run(db, objs[first].schema, objs[first].table, objs[first].shadow, names, n)) {
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
