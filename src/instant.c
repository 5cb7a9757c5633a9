/* instant: --prefer-instant applies an ALTER the server can do instantly
 * (ALGORITHM=INSTANT: metadata only) natively, in one short statement, instead
 * of copying the table. The statement still needs an exclusive metadata lock,
 * so it gets the same short waits and retries as trigger installation. */
#include "instant.h"

#include "log.h"
#include "migration.h"
#include "options.h"
#include "clock.h"

int instant_apply(struct migration *m)
{
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "ALTER TABLE ");
	sb_qualified(&q, m->schema, m->table);
	sb_add(&q, " ");
	sb_add(&q, opt.alter);
	sb_add(&q, ", ALGORITHM=INSTANT");
	double t0 = now_mono();
	/* the server's own sql_mode, as for the shadow's ALTER */
	struct sbuf mode = SBUF_INIT;
	sb_add(&mode, "SET SESSION sql_mode=");
	sb_literal(&mode, m->global_sql_mode);
	int rc = db_exec(m->db, 0, sb_str(&mode));
	sb_free(&mode);
	if (!rc)
		rc = db_exec_mdl(m->db, DB_CHANGE | DB_SILENT, "applying the ALTER instantly", sb_str(&q));
	if (rc && m->db->err != 1846)
		log_error("applying the ALTER instantly failed: %s", db_error_text(m->db));
	sb_free(&q);
	if (db_exec(m->db, 0, DB_SET_SQL_MODE))
		rc = -1;
	if (rc)
		return oscar_abort ? EXIT_SIGNAL : EXIT_FAILED;
	double secs = now_mono() - t0;
	log_info("applied instantly with ALGORITHM=INSTANT in %.1f ms; no copy was needed", secs * 1000);
	struct sbuf ev;
	ev_begin(&ev, "instant");
	ev_num(&ev, "elapsed_s", secs);
	ev_end(&ev);
	migration_done_begin(&ev, m);
	ev_str(&ev, "method", "instant");
	migration_done_end(&ev, m);
	return 0;
}
