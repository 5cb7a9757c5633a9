/* tablelock: one oscar per table. GET_LOCK is held by the connection, so a
 * killed oscar's lock goes with its connection. */
#include "tablelock.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "options.h"

int tablelock_take(struct db *db, const char *lock, const char *schema, const char *table)
{
	struct sbuf q = SBUF_INIT;
	/* a moment's wait: the connection of an oscar killed just before may
	 * still hold the lock until the server has noticed it is gone */
	sb_add(&q, "SELECT GET_LOCK(");
	sb_literal(&q, lock);
	sb_add(&q, ", 2)");
	bool found;
	char *v = db_scalar(db, sb_str(&q), &found);
	sb_free(&q);
	if (!found)
		return EXIT_FAILED;
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
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "SELECT RELEASE_LOCK(");
	sb_literal(&q, lock);
	sb_add(&q, ")");
	char *v = db_scalar(db, sb_str(&q), NULL);
	free(v);
	sb_free(&q);
}
