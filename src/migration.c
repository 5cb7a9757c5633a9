/* migration: the state of one run, and its release. */
#include "migration.h"

#include <stdlib.h>

#include "db.h"
#include "log.h"
#include "stats.h"
#include "clock.h"
#include "strv.h"

static void colmap_free(struct colmap *c)
{
	for (int i = 0; i < c->n; i++) {
		free(c->from[i]);
		free(c->to[i]);
	}
	free(c->from);
	free(c->to);
}

static void chunkkey_free(struct chunkkey *k)
{
	for (int i = 0; i < k->n; i++) {
		free(k->old_cols[i]);
		free(k->new_cols[i]);
		free(k->charsets[i]);
		free(k->collations[i]);
	}
	for (int i = 0; i < k->nrow; i++) {
		free(k->row_old_cols[i]);
		free(k->row_new_cols[i]);
	}
	free(k->row_old_cols);
	free(k->row_new_cols);
	free(k->old_cols);
	free(k->new_cols);
	free(k->kinds);
	free(k->charsets);
	free(k->collations);
	free(k->old_index);
	free(k->new_index);
}

void migration_free(struct migration *m)
{
	objnames_free(&m->names);
	table_free(&m->orig);
	table_free(&m->shadow);
	alter_info_free(&m->alter);
	colmap_free(&m->map);
	chunkkey_free(&m->key);
	for (int i = 0; i < m->fill.n; i++) {
		free(m->fill.cols[i]);
		free(m->fill.values[i]);
	}
	free(m->fill.cols);
	free(m->fill.values);
	strv_free(m->dropped_cols);
	strv_free(m->added_cols);
	strv_free(m->deferred_defs);
	strv_free(m->deferred_names);
	free(m->global_sql_mode);
}

void migration_done_begin(struct sbuf *ev, const struct migration *m)
{
	ev_begin(ev, "done");
	ev_int(ev, "rows_copied", m->rows_copied);
	ev_num(ev, "elapsed_s", now_mono() - m->run_started);
}

void migration_done_end(struct sbuf *ev, const struct migration *m)
{
	stats_event(ev, m->rows_copied);
	ev_end(ev);
}

bool migration_others_write(struct migration *m)
{
	long long ins, chg;
	if (m->writes_at_start < 0 || db_row_writes(m->db, &ins, &chg))
		return true;
	/* the window is the run so far (tens of milliseconds): a load that
	 * matters shows in it, a trickle leaves a build after the copy little
	 * to apply */
	double secs = now_mono() - m->run_started;
	return (double)(chg - m->writes_at_start) > 5 + 20 * secs;
}
