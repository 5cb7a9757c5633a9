/* droptriggers: drops named triggers from a live table. Under LOCK TABLES
 * (the table and the shadow its triggers write into) the triggers go
 * together, so no application write sees only some of them; where the lock
 * cannot be had (Galera, or a lock refused) they go one by one, each DROP
 * waiting its turn for the metadata lock. Used by the rollback stack and by
 * --cleanup, below both the triggers module and the cleanup modules. On a
 * Galera node it also drops them on every other node that kept them (see
 * galera.h). */
#include "droptriggers.h"

#include "db.h"
#include "galera.h"
#include "log.h"
#include "sbuf.h"

int droptriggers_run(struct db *db, const char *schema, const char *table, const char *shadow, const char *const *names, int n)
{
	if (n == 0)
		return 0;
	bool locked = db_lock_tables(db, schema, table, shadow, NULL) == 0;
	if (!locked && !db_galera)
		log_warn("cannot lock '%s' for dropping triggers (%s); dropping them one by one", table,
			 db_error_text(db));
	int rc = 0;
	for (int i = 0; i < n; i++) {
		struct sbuf q = SBUF_INIT;
		sb_add(&q, "DROP TRIGGER IF EXISTS ");
		sb_qualified(&q, schema, names[i]);
		int r = locked ? db_exec(db, DB_CHANGE, sb_str(&q)) : db_exec_mdl(db, DB_CHANGE, "dropping a trigger", sb_str(&q));
		if (r)
			rc = -1;
		/* IF EXISTS warns when there was none (one whose CREATE failed) */
		else if (db_dry_run || !db->my || mysql_warning_count(db->my) == 0)
			log_info("%s trigger '%s'", db_dry_run ? "would remove" : "removed", names[i]);
		sb_free(&q);
	}
	if (locked)
		db_unlock_tables(db);
	if (galera_triggers_gone(db, schema, names, n))
		rc = -1;
	return rc;
}
