/* shadow: the new table, created empty in the new shape, and the column mapping
 * from the old shape to it, taken from the server's catalog. */
#include "shadow.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "foreignkeys.h"
#include "log.h"
#include "migration.h"
#include "options.h"
#include "strv.h"

/* The shadow's ALTER failed (saved: the failure): the refusal and its event. */
static int refuse_alter(const struct db *saved, const char *why)
{
	log_error("refused: %s: errno %u (%s): %s", why, saved->err, saved->sqlstate, saved->errmsg);
	struct sbuf ev;
	ev_begin(&ev, "error");
	ev_int(&ev, "exit_status", EXIT_REFUSED);
	ev_int(&ev, "errno", saved->err);
	ev_str(&ev, "message", saved->errmsg);
	ev_end(&ev);
	return EXIT_REFUSED;
}

int shadow_create(struct migration *m)
{
	struct db *db = m->db;
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "CREATE TABLE ");
	sb_qualified(&q, m->schema, m->names.shadow);
	sb_add(&q, " LIKE ");
	sb_qualified(&q, m->schema, m->table);
	/* The shadow exists even in dry run: it is how the ALTER is validated. */
	int rc = db_exec(db, 0, sb_str(&q));
	sb_free(&q);
	if (rc)
		return EXIT_FAILED;
	cleanup_push_table(m->schema, m->names.shadow);
	log_info("created shadow table '%s'", m->names.shadow);
	if ((rc = fk_own_add(m)))
		return rc;

	/* The user's ALTER runs under the server's own sql_mode, as it would natively. */
	struct sbuf mode = SBUF_INIT;
	sb_add(&mode, "SET SESSION sql_mode=");
	sb_literal(&mode, m->global_sql_mode);
	if (db_exec(db, 0, sb_str(&mode))) {
		sb_free(&mode);
		return EXIT_FAILED;
	}
	sb_free(&mode);
	sb_add(&q, "ALTER TABLE ");
	sb_qualified(&q, m->schema, m->names.shadow);
	sb_add(&q, " ");
	char *text = fk_shadow_alter(m);
	sb_add(&q, text);
	free(text);
	if (alter_algorithm_native(&m->alter)) {
		/* the user asked for the server's own ALTER: whether the server can
		 * do it that way is a property of the definition the shadow shares */
		sb_addf(&q, ", ALGORITHM=%s", m->alter.algorithm_name);
		rc = db_exec(db, DB_SILENT, sb_str(&q));
		sb_free(&q);
		struct db saved = *db;
		if (db_exec(db, 0, DB_SET_SQL_MODE))
			return EXIT_FAILED;
		if (rc) {
			char why[64];
			snprintf(why, sizeof why, "the server cannot apply this ALTER with ALGORITHM=%s",
				 m->alter.algorithm_name);
			return refuse_alter(&saved, why);
		}
		return 0;
	}
	if (m->alter.algorithm != ALG_NONE || m->alter.has_lock)
		log_info("notice: the ALTER's %s left out: oscar copies the table itself, and the table stays writable",
			 m->alter.algorithm == ALG_NONE ? "LOCK= clause is"
			 : m->alter.has_lock	       ? "ALGORITHM= and LOCK= clauses are"
						       : "ALGORITHM= clause is");
	/* Whether the server could apply the ALTER instantly is a property of the
	 * table definition, which the shadow shares: try it there first. */
	if (db->mariadb) {
		struct sbuf iq = SBUF_INIT;
		sb_addf(&iq, "%s, ALGORITHM=INSTANT", sb_str(&q));
		m->instant = db_exec(db, DB_SILENT, sb_str(&iq)) == 0;
		sb_free(&iq);
	}
	rc = m->instant ? 0 : db_exec(db, DB_SILENT, sb_str(&q));
	sb_free(&q);
	struct db saved = *db;
	if (db_exec(db, 0, DB_SET_SQL_MODE))
		return EXIT_FAILED;
	if (rc)
		return refuse_alter(&saved, "the ALTER fails on the shadow table");
	return 0;
}

/* The value the server gives existing rows for a column added NOT NULL
 * without a DEFAULT; NULL for a type without one known here. */
static char *implicit_default(const struct column *c)
{
	static const char *zero[] = { "tinyint", "smallint", "mediumint", "int", "bigint", "decimal", "float",
				      "double", "bit", "year", NULL };
	static const char *empty[] = { "char", "varchar", "binary", "varbinary", "tinytext", "text", "mediumtext",
				       "longtext", "tinyblob", "blob", "mediumblob", "longblob", "set", NULL };
	static const struct {
		const char *type, *value;
	} fixed[] = { { "date", "'0000-00-00'" },
		      { "datetime", "'0000-00-00 00:00:00'" },
		      { "timestamp", "'0000-00-00 00:00:00'" },
		      { "time", "'00:00:00'" },
		      { "inet4", "'0.0.0.0'" },
		      { "inet6", "'::'" },
		      { "uuid", "'00000000-0000-0000-0000-000000000000'" } };
	for (const char **t = zero; *t; t++)
		if (!strcasecmp(c->data_type, *t))
			return xstrdup("0");
	for (const char **t = empty; *t; t++)
		if (!strcasecmp(c->data_type, *t))
			return xstrdup("''");
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		if (!strcasecmp(c->data_type, fixed[i].type))
			return xstrdup(fixed[i].value);
	if (!strcasecmp(c->data_type, "enum")) {
		/* the first member: enum('a''b','c') */
		const char *p = strchr(c->column_type, '\'');
		if (!p)
			return NULL;
		struct sbuf v = SBUF_INIT;
		for (p++; *p; p++) {
			if (*p == '\'' && p[1] == '\'') {
				sb_addn(&v, p++, 1);
				continue;
			}
			if (*p == '\'')
				break;
			sb_addn(&v, p, 1);
		}
		struct sbuf lit = SBUF_INIT;
		sb_literal(&lit, sb_str(&v));
		sb_free(&v);
		return sb_take(&lit);
	}
	return NULL;
}

/* A CHECK constraint of the shadow that names the column: the server's own
 * ALTER fills the column without checking the rows, oscar's copy would be
 * checked. */
static int checked_column(struct migration *m, const char *col, bool *checked)
{
	struct sbuf q = SBUF_INIT, pat = SBUF_INIT;
	sb_add(&pat, "%`");
	for (const char *p = col; *p; p++) {
		if (*p == '%' || *p == '_' || *p == '\\')
			sb_add(&pat, "\\");
		if (*p == '`')
			sb_add(&pat, "`");
		sb_addn(&pat, p, 1);
	}
	sb_add(&pat, "`%");
	sb_add(&q, "SELECT COUNT(*) FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = BINARY ");
	sb_literal(&q, m->schema);
	sb_add(&q, " AND TABLE_NAME = BINARY ");
	sb_literal(&q, m->names.shadow);
	sb_add(&q, " AND (CONSTRAINT_NAME = ");
	sb_literal(&q, col);
	sb_add(&q, " OR CHECK_CLAUSE LIKE ");
	sb_literal(&q, sb_str(&pat));
	sb_add(&q, ")");
	bool found;
	char *v = db_scalar(m->db, sb_str(&q), &found);
	sb_free(&q);
	sb_free(&pat);
	*checked = v && atoi(v) > 0;
	free(v);
	return found ? 0 : -1;
}

static int fill_added(struct migration *m, const struct column *nc)
{
	if (nc->nullable || nc->has_default || nc->generated || nc->auto_increment)
		return 0;
	char *v = implicit_default(nc);
	if (!v)
		return refuse("column '%s' is added NOT NULL without a DEFAULT, and its type has no implicit "
					"default oscar knows (%s); give it a DEFAULT", nc->name, nc->column_type);
	bool checked;
	if (checked_column(m, nc->name, &checked)) {
		free(v);
		return EXIT_FAILED;
	}
	if (checked) {
		free(v);
		return refuse("column '%s' is added NOT NULL without a DEFAULT under a CHECK constraint: the "
					"server fills it without checking, a copy cannot; give it a DEFAULT", nc->name);
	}
	int k = m->fill.n++;
	m->fill.cols = xrealloc(m->fill.cols, sizeof *m->fill.cols * (size_t)m->fill.n);
	m->fill.values = xrealloc(m->fill.values, sizeof *m->fill.values * (size_t)m->fill.n);
	m->fill.cols[k] = xstrdup(nc->name);
	m->fill.values[k] = v;
	return 0;
}

int shadow_map(struct migration *m)
{
	if (catalog_load(m->db, m->schema, m->names.shadow, &m->shadow))
		return EXIT_FAILED;
	if (!m->shadow.exists) {
		log_error("shadow table '%s' vanished", m->names.shadow);
		return EXIT_FAILED;
	}
	m->dropped_cols = xcalloc(1, sizeof *m->dropped_cols);
	m->added_cols = xcalloc(1, sizeof *m->added_cols);
	for (int i = 0; i < m->shadow.ncols; i++) {
		const struct column *nc = &m->shadow.cols[i];
		if (nc->generated)
			continue; /* computed by the server, never written */
		const struct column *from = NULL;
		/* a renamed column: the old column whose new name this is */
		for (int k = 0; k < m->orig.ncols && !from; k++) {
			const struct column *oc = &m->orig.cols[k];
			const char *newname = alter_new_name(&m->alter, oc->name);
			if (strcasecmp(newname, oc->name) && !strcasecmp(newname, nc->name))
				from = oc;
		}
		if (!from) {
			const struct column *oc = table_column(&m->orig, nc->name);
			/* same name, not renamed away, not dropped and added again */
			if (oc && !strcasecmp(alter_new_name(&m->alter, oc->name), oc->name) &&
			    !alter_dropped(&m->alter, oc->name))
				from = oc;
		}
		if (!from) {
			m->added_cols = strv_push(m->added_cols, nc->name);
			int rc = fill_added(m, nc);
			if (rc)
				return rc;
			continue;
		}
		m->map.from = xrealloc(m->map.from, sizeof *m->map.from * (size_t)(m->map.n + 1));
		m->map.to = xrealloc(m->map.to, sizeof *m->map.to * (size_t)(m->map.n + 1));
		m->map.from[m->map.n] = xstrdup(from->name);
		m->map.to[m->map.n] = xstrdup(nc->name);
		m->map.n++;
	}
	for (int k = 0; k < m->orig.ncols; k++) {
		const struct column *still = table_column(&m->shadow, m->orig.cols[k].name);
		/* a generated column that stays is computed, not dropped */
		if (m->orig.cols[k].generated && still && still->generated && !alter_dropped(&m->alter, m->orig.cols[k].name))
			continue;
		bool used = false;
		for (int i = 0; i < m->map.n && !used; i++)
			used = !strcasecmp(m->map.from[i], m->orig.cols[k].name);
		if (!used)
			m->dropped_cols = strv_push(m->dropped_cols, m->orig.cols[k].name);
	}
	return 0;
}

/* Raises the shadow's AUTO_INCREMENT counter to the original's (and above its
 * largest value). Done twice: before the copy, so that copied rows, all below
 * the counter, never move it; and at the cutover, because CREATE TABLE ...
 * LIKE does not carry the counter and ids of deleted rows must not be handed
 * out again. A counter above every copied id does not spare an INSERT ...
 * SELECT InnoDB's table-level AUTO-INC lock with innodb_autoinc_lock_mode=1:
 * measured on MariaDB 10.11, a 2 s INSERT ... SELECT of explicit ids far below
 * the counter held a concurrent insert into the same table for 2 s (which is
 * why copy.c copies through the client while others insert; docs/cost.md). */
int shadow_sync_auto_increment(struct migration *m)
{
	const struct column *ai = NULL;
	for (int i = 0; i < m->orig.ncols && !ai; i++)
		if (m->orig.cols[i].auto_increment)
			ai = &m->orig.cols[i];
	if (!ai)
		return 0;
	const char *to = NULL;
	for (int i = 0; i < m->map.n; i++)
		if (!strcasecmp(m->map.from[i], ai->name))
			to = m->map.to[i];
	if (!to)
		return 0;
	long long counter;
	if (m->alter.sets_auto_increment) {
		/* AUTO_INCREMENT=N in the ALTER: N, or above the largest key, as
		 * the server's own ALTER leaves it */
		counter = m->alter.auto_increment > 0x7fffffffffffffffULL ? 0x7fffffffffffffffLL
									: (long long)m->alter.auto_increment;
	} else {
		struct table now;
		if (catalog_load(m->db, m->schema, m->table, &now))
			return -1;
		counter = now.auto_increment;
		table_free(&now);
	}
	char *max;
	if (catalog_column_max(m->db, m->schema, m->table, ai->name, &max))
		return -1;
	struct sbuf q = SBUF_INIT;
	/* MAX of a signed or unsigned column; beyond LLONG_MAX there is no room anyway */
	long long mx = max ? strtoll(max, NULL, 10) : 0;
	free(max);
	if (mx >= counter && mx < 0x7fffffffffffffffLL)
		counter = mx + 1;
	if (counter <= 1)
		return 0;
	sb_add(&q, "ALTER TABLE ");
	sb_qualified(&q, m->schema, m->names.shadow);
	sb_addf(&q, " AUTO_INCREMENT=%lld", counter);
	int rc = db_exec_mdl(m->db, DB_CHANGE, "setting AUTO_INCREMENT on the shadow", sb_str(&q));
	sb_free(&q);
	if (!rc)
		log_info("AUTO_INCREMENT of '%s' set to %lld", m->names.shadow, counter);
	return rc;
}
