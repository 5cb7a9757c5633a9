/* leftovers: the --cleanup command, which removes what an earlier run left
 * behind, found by the names in names.c (the rollback stack, cleanup.c, only
 * knows what this run created). */
#include "leftovers.h"

#include <stdlib.h>
#include <string.h>

#include "catalog.h"
#include "droptriggers.h"
#include "foreignkeys.h"
#include "galera.h"
#include "log.h"
#include "names.h"
#include "options.h"
#include "replica.h"
#include "sbuf.h"
#include "state.h"
#include "strv.h"

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
int leftovers_remove(struct db *db, const char *schema, const char *table)
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
		const char *mine[6];
		int nmine = 0;
		for (char **h = have; *h; h++)
			for (size_t k = 0; k < 6; k++)
				if (!strcmp(*h, mine_names[k])) {
					mine[nmine++] = *h;
					if (t == 0 && k < 3)
						forward_on_table = true;
				}
		if (nmine && droptriggers_run(db, schema, on_tables[t], NULL, mine, nmine))
			rc = -1;
		removed += nmine;
		strv_free(have);
	}
	/* On a Galera node information_schema.TRIGGERS was seen to leave out one
	 * of them (a trigger whose body failed to load there while appliers
	 * wrote, README "Galera"): every name of this job's is dropped too, by
	 * name whatever the listing says, in total order, so on every node
	 * that has it, and then checked gone on every node (droptriggers.c). */
	if (!rc && galera_node && droptriggers_run(db, schema, table, NULL, mine_names, 6))
		rc = -1;
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
	const char *tables[] = { n.shadow, n.new_ph, n.old_ph, n.bound, n.keylog };
	const char *what[] = { "table", "placeholder table", "placeholder table", "mirroring bound table",
			       "key log table" };
	for (size_t t = 0; t < sizeof tables / sizeof tables[0] && !rc; t++) {
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
