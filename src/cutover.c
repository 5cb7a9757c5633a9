/* cutover: carry the AUTO_INCREMENT counter, swap with one atomic RENAME TABLE,
 * then remove the triggers and the old table. The table name never disappears:
 * both renames happen in one statement under one metadata lock. */
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "log.h"
#include "migration.h"
#include "options.h"
#include "signals.h"

int cutover_wait(struct migration *m)
{
	(void)m;
	return oscar_abort ? EXIT_SIGNAL : 0;
}

int cutover_swap(struct migration *m)
{
	if (oscar_abort)
		return EXIT_SIGNAL;
	if (shadow_sync_auto_increment(m))
		return oscar_abort ? EXIT_SIGNAL : EXIT_FAILED;
	if (oscar_abort)
		return EXIT_SIGNAL;
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "RENAME TABLE ");
	sb_qualified(&q, m->schema, m->table);
	sb_add(&q, " TO ");
	sb_qualified(&q, m->schema, m->names.old);
	sb_add(&q, ", ");
	sb_qualified(&q, m->schema, m->names.shadow);
	sb_add(&q, " TO ");
	sb_qualified(&q, m->schema, m->table);

	/* A signal from here on must not cancel the RENAME halfway through its
	 * retries' bookkeeping: it is noted, and acted on between attempts. */
	signals_allow_cancel(false);
	double t0 = now_mono();
	int attempts = 0;
	int rc = -1;
	double backoff = 0.05;
	int saved_retries = opt.lock_retries;
	for (attempts = 1; attempts <= saved_retries && !oscar_abort; attempts++) {
		double a0 = now_mono();
		opt.lock_retries = 1;
		rc = db_exec_mdl(m->db, DB_CHANGE, "swapping the tables", sb_str(&q));
		opt.lock_retries = saved_retries;
		if (rc == 0) {
			double rename_ms = (now_mono() - a0) * 1000;
			double wait_ms = (a0 - t0) * 1000;
			cleanup_forget(m->names.shadow); /* it is the live table now */
			log_info("swapped: '%s' is the new table, the old one is '%s' (%d attempt%s, rename %.1f ms)",
				 m->table, m->names.old, attempts, attempts == 1 ? "" : "s", rename_ms);
			struct sbuf ev;
			ev_begin(&ev, "cutover");
			ev_num(&ev, "lock_wait_ms", wait_ms + rename_ms);
			ev_num(&ev, "rename_ms", rename_ms);
			ev_int(&ev, "attempts", attempts);
			ev_end(&ev);
			break;
		}
		if (db_last_class(m->db) != ERR_RETRY)
			break;
		log_warn("swap: metadata lock not granted within %.3f s (attempt %d of %d)", opt.lock_wait_timeout,
			 attempts, saved_retries);
		sleep_s(backoff);
		backoff = backoff * 2 > 2 ? 2 : backoff * 2;
	}
	signals_allow_cancel(true);
	sb_free(&q);
	if (rc) {
		if (oscar_abort)
			return EXIT_SIGNAL;
		log_error("cannot swap the tables: %s", db_error_text(m->db));
		return EXIT_FAILED;
	}
	return 0;
}

int cutover_finish(struct migration *m)
{
	int rc = 0;
	/* The triggers followed the old table; they write into nothing that matters
	 * any more, but must go before the old table does. */
	if (triggers_drop(m->db, m->schema, &m->names, true))
		rc = EXIT_FAILED;
	if (!opt.no_drop_old_table && rc == 0) {
		struct sbuf q = SBUF_INIT;
		sb_add(&q, "DROP TABLE IF EXISTS ");
		sb_qualified(&q, m->schema, m->names.old);
		/* No application uses the old table, and dropping a large one takes
		 * longer than a lock attempt: a plain statement, not the short-wait one. */
		if (db_exec(m->db, DB_CHANGE, sb_str(&q)))
			rc = EXIT_FAILED;
		else
			log_info("dropped the old table '%s'", m->names.old);
		sb_free(&q);
	} else if (rc == 0) {
		log_info("kept the old table '%s' (--no-drop-old-table)", m->names.old);
	}
	if (rc)
		log_error("the swap is done but cleanup is not: run 'oscar --cleanup --database=%s --table=%s'",
			  m->schema, m->table);
	return rc;
}
