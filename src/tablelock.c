/* tablelock: one oscar per table. GET_LOCK is held by the connection, so a
 * killed oscar's lock goes with its connection.
 *
 * On a Galera node the lock is held by a connection of its own that runs
 * nothing else: the session that runs oscar's total-order DDL then holds no
 * user-level lock (MariaDB refused GET_LOCK on clusters for a while,
 * MDEV-30473, and allows it again since 10.11.4, MDEV-31325). The holder
 * never touches a table, so no total-order DDL has a lock of it to wait for
 * or a transaction of it to abort. */
#include "tablelock.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "options.h"

static struct db holder; /* on a Galera node */

int tablelock_take(struct db *main_db, const char *lock, const char *schema, const char *table)
{
	struct db *db = main_db;
	if (db_galera) {
		if (!holder.my && db_connect(&holder, "table lock"))
			return EXIT_FAILED;
		db = &holder;
	}
	struct sbuf q = SBUF_INIT;
	/* a moment's wait: the connection of an oscar killed just before may
	 * still hold the lock until the server has noticed it is gone */
	sb_add(&q, "SELECT GET_LOCK(");
	sb_literal(&q, lock);
	sb_add(&q, ", 2)");
	bool found;
	char *v = db_scalar(db, sb_str(&q), &found);
	sb_free(&q);
	if (!found) {
		if (db != main_db)
			db_set_error(main_db, db->err, db->sqlstate, db->errmsg, NULL);
		return EXIT_FAILED;
	}
	bool got = v && !strcmp(v, "1");
	free(v);
	if (got)
		return 0;
	sb_add(&q, "SELECT IS_USED_LOCK(");
	sb_literal(&q, lock);
	sb_add(&q, ")");
	v = db_scalar(db, sb_str(&q), &found);
	sb_free(&q);
	log_error("another oscar (connection %s) is working on '%s'.'%s'", v ? v : "?", schema, table);
	struct sbuf ev;
	ev_begin(&ev, "error");
	ev_int(&ev, "exit_status", EXIT_LOCKED);
	ev_str(&ev, "message", "table locked by another oscar");
	ev_str(&ev, "holder", v);
	ev_end(&ev);
	free(v);
	return EXIT_LOCKED;
}

void tablelock_release(struct db *db, const char *lock)
{
	if (holder.my) {
		db_close(&holder);
		return;
	}
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "SELECT RELEASE_LOCK(");
	sb_literal(&q, lock);
	sb_add(&q, ")");
	char *v = db_scalar(db, sb_str(&q), NULL);
	free(v);
	sb_free(&q);
}
