/* cleanup: a stack of the objects this run created. On error or signal only
 * those are dropped, and triggers always before tables: a trigger left writing
 * into a dropped shadow would fail every application write (error 1146). */
#include "cleanup.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "log.h"
#include "migration.h"
#include "names.h"
#include "options.h"

struct obj {
	bool trigger;
	char *schema;
	char *name;
};

static struct obj objs[16];
static int nobjs;

static void push(bool trigger, const char *schema, const char *name)
{
	if (nobjs == (int)(sizeof objs / sizeof objs[0]))
		abort();
	objs[nobjs].trigger = trigger;
	objs[nobjs].schema = xstrdup(schema);
	objs[nobjs].name = xstrdup(name);
	nobjs++;
}

void cleanup_push_table(const char *schema, const char *name)
{
	push(false, schema, name);
}

void cleanup_push_trigger(const char *schema, const char *name)
{
	push(true, schema, name);
}

static void drop_at(int i)
{
	free(objs[i].schema);
	free(objs[i].name);
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
	bool saved_dry = db_dry_run;
	db_dry_run = false; /* what was really created must really go */
	int saved_abort = oscar_abort;
	oscar_abort = 0; /* let the retry loops run to completion */
	int rc = 0;
	if (ensure_connected(db)) {
		rc = -1;
		goto out;
	}
	for (int pass = 0; pass < 2; pass++) {
		for (int i = nobjs - 1; i >= 0; i--) {
			if (objs[i].trigger != (pass == 0))
				continue;
			struct sbuf q = SBUF_INIT;
			sb_add(&q, objs[i].trigger ? "DROP TRIGGER IF EXISTS " : "DROP TABLE IF EXISTS ");
			sb_qualified(&q, objs[i].schema, objs[i].name);
			/* Tables are dropped only once no trigger writes into them, so
			 * nothing but their size can make the drop slow. */
			int r = objs[i].trigger ? db_exec_mdl(db, DB_CHANGE, "dropping a trigger", sb_str(&q))
						: db_exec(db, DB_CHANGE, sb_str(&q));
			if (r == 0) {
				log_info("cleanup: dropped %s '%s'", objs[i].trigger ? "trigger" : "table", objs[i].name);
				drop_at(i);
			} else {
				log_error("cleanup: cannot drop %s '%s': %s", objs[i].trigger ? "trigger" : "table",
					  objs[i].name, db_error_text(db));
				rc = -1;
			}
			sb_free(&q);
		}
		if (rc)
			break; /* never drop a table while a trigger may still write into it */
	}
out:
	if (rc)
		log_error("cleanup incomplete: run 'oscar --cleanup' with the same --database and --table");
	db_dry_run = saved_dry;
	oscar_abort = saved_abort;
	return rc;
}

/* --cleanup: remove what an earlier run left, recognised by oscar's names. */
int cleanup_leftovers(struct db *db, const char *schema, const char *table)
{
	struct objnames n;
	objnames_init(&n, schema, table);
	const char *trgs[] = { n.trg_ins, n.trg_upd, n.trg_del };
	const char *on_tables[] = { table, n.old };
	int removed = 0, rc = 0;
	/* Triggers can sit on the live table, or on the old one after a swap that
	 * was interrupted before its cleanup. */
	for (size_t t = 0; t < 2 && !rc; t++) {
		char **have = catalog_triggers(db, schema, on_tables[t]);
		if (!have) {
			rc = -1;
			break;
		}
		for (char **h = have; *h && !rc; h++)
			for (size_t k = 0; k < 3; k++)
				if (!strcmp(*h, trgs[k])) {
					struct sbuf q = SBUF_INIT;
					sb_add(&q, "DROP TRIGGER IF EXISTS ");
					sb_qualified(&q, schema, *h);
					if (db_exec_mdl(db, DB_CHANGE, "dropping a trigger", sb_str(&q)))
						rc = -1;
					else {
						log_info("%s trigger '%s'", db_dry_run ? "would remove" : "removed", *h);
						removed++;
					}
					sb_free(&q);
				}
		strv_free(have);
	}
	if (!rc) {
		bool exists = false;
		if (catalog_table_exists(db, schema, n.shadow, &exists))
			rc = -1;
		else if (exists) {
			struct sbuf q = SBUF_INIT;
			sb_add(&q, "DROP TABLE IF EXISTS ");
			sb_qualified(&q, schema, n.shadow);
			if (db_exec(db, DB_CHANGE, sb_str(&q)))
				rc = -1;
			else {
				log_info("%s table '%s'", db_dry_run ? "would remove" : "removed", n.shadow);
				removed++;
			}
			sb_free(&q);
		}
	}
	if (!rc) {
		bool exists = false;
		if (!catalog_table_exists(db, schema, n.old, &exists) && exists)
			log_info("kept '%s', the table before an earlier swap; drop it when no longer needed",
				 n.old);
		log_info("cleanup of '%s'.'%s': %d object%s %s", schema, table, removed, removed == 1 ? "" : "s",
			 db_dry_run ? "to remove (dry run; add --execute)" : "removed");
		struct sbuf ev;
		ev_begin(&ev, "cleanup");
		ev_int(&ev, "removed", removed);
		ev_bool(&ev, "dry_run", db_dry_run);
		ev_end(&ev);
	}
	objnames_free(&n);
	return rc ? EXIT_FAILED : 0;
}
