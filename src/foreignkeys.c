/* foreignkeys: tables referenced by other tables' foreign keys.
 *
 * InnoDB keeps a child's constraint attached to the parent table object, and a
 * RENAME carries it along: after the swap the children would point at the old
 * table. With --alter-foreign-keys-method=rebuild_constraints (or auto) each
 * child's constraint is rebuilt, just before the swap, to reference the shadow
 * (ALTER TABLE child DROP FOREIGN KEY c, ADD CONSTRAINT c' ... REFERENCES
 * _t_new, with foreign_key_checks=0 so nothing is scanned); the RENAME then
 * makes the shadow the table and the children follow it. Constraint names are
 * unique per schema, so the new one toggles a leading underscore (fk -> _fk,
 * _fk -> fk), as DBAs know from pt-online-schema-change. */
#include "foreignkeys.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "migration.h"
#include "options.h"

struct childfk {
	char *schema, *table, *name, *on_delete, *on_update;
	int n;
	char **cols, **refcols;
};

static void childfk_free(struct childfk *c, int n)
{
	for (int i = 0; i < n; i++) {
		free(c[i].schema);
		free(c[i].table);
		free(c[i].name);
		free(c[i].on_delete);
		free(c[i].on_update);
		strv_free(c[i].cols);
		strv_free(c[i].refcols);
	}
	free(c);
}

static char **push(char **v, int n, const char *s)
{
	v = xrealloc(v, sizeof *v * (size_t)(n + 2));
	v[n] = xstrdup(s);
	v[n + 1] = NULL;
	return v;
}

/* Child constraints referencing schema.parent, columns in order. */
static int load(struct db *db, const char *schema, const char *parent, struct childfk **out, int *nout)
{
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "SELECT r.CONSTRAINT_SCHEMA, r.TABLE_NAME, r.CONSTRAINT_NAME, r.DELETE_RULE, r.UPDATE_RULE,"
		   " k.COLUMN_NAME, k.REFERENCED_COLUMN_NAME"
		   " FROM information_schema.REFERENTIAL_CONSTRAINTS r"
		   " JOIN information_schema.KEY_COLUMN_USAGE k ON k.CONSTRAINT_SCHEMA = r.CONSTRAINT_SCHEMA"
		   " AND k.CONSTRAINT_NAME = r.CONSTRAINT_NAME AND k.TABLE_NAME = r.TABLE_NAME"
		   " WHERE r.UNIQUE_CONSTRAINT_SCHEMA = BINARY ");
	sb_literal(&q, schema);
	sb_add(&q, " AND r.REFERENCED_TABLE_NAME = BINARY ");
	sb_literal(&q, parent);
	sb_add(&q, " ORDER BY r.CONSTRAINT_SCHEMA, r.TABLE_NAME, r.CONSTRAINT_NAME, k.ORDINAL_POSITION");
	MYSQL_RES *r = db_query(db, sb_str(&q));
	sb_free(&q);
	if (!r)
		return -1;
	struct childfk *c = NULL;
	int n = 0;
	MYSQL_ROW row;
	while ((row = mysql_fetch_row(r))) {
		if (!n || strcmp(c[n - 1].schema, row[0]) || strcmp(c[n - 1].table, row[1]) ||
		    strcmp(c[n - 1].name, row[2])) {
			c = xrealloc(c, sizeof *c * (size_t)(n + 1));
			memset(&c[n], 0, sizeof c[n]);
			c[n].schema = xstrdup(row[0]);
			c[n].table = xstrdup(row[1]);
			c[n].name = xstrdup(row[2]);
			c[n].on_delete = xstrdup(row[3]);
			c[n].on_update = xstrdup(row[4]);
			n++;
		}
		struct childfk *f = &c[n - 1];
		f->cols = push(f->cols, f->n, row[5]);
		f->refcols = push(f->refcols, f->n, row[6]);
		f->n++;
	}
	mysql_free_result(r);
	*out = c;
	*nout = n;
	return 0;
}

static bool rule_ok(const char *r)
{
	return !strcmp(r, "RESTRICT") || !strcmp(r, "CASCADE") || !strcmp(r, "SET NULL") ||
	       !strcmp(r, "NO ACTION") || !strcmp(r, "SET DEFAULT");
}

/* Rebuilds one constraint to reference schema.parent (referenced columns
 * given), under a new name. */
static int rebuild_one(struct db *db, const struct childfk *f, const char *schema, const char *parent,
		       char **refcols)
{
	if (!rule_ok(f->on_delete) || !rule_ok(f->on_update))
		return -1;
	char *newname;
	if (f->name[0] == '_')
		newname = xstrdup(f->name + 1);
	else {
		struct sbuf b = SBUF_INIT;
		sb_addf(&b, "_%s", f->name);
		newname = sb_take(&b);
	}
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "ALTER TABLE ");
	sb_qualified(&q, f->schema, f->table);
	sb_add(&q, " DROP FOREIGN KEY ");
	sb_ident(&q, f->name);
	sb_add(&q, ", ADD CONSTRAINT ");
	sb_ident(&q, newname);
	sb_add(&q, " FOREIGN KEY (");
	for (int i = 0; i < f->n; i++) {
		if (i)
			sb_add(&q, ", ");
		sb_ident(&q, f->cols[i]);
	}
	sb_add(&q, ") REFERENCES ");
	sb_qualified(&q, schema, parent);
	sb_add(&q, " (");
	for (int i = 0; i < f->n; i++) {
		if (i)
			sb_add(&q, ", ");
		sb_ident(&q, refcols[i]);
	}
	/* rules come from the catalog's fixed vocabulary, checked above */
	sb_addf(&q, ") ON DELETE %s ON UPDATE %s", f->on_delete, f->on_update);
	/* without checks the constraint is added without reading the child */
	int rc = db_exec(db, 0, "SET SESSION foreign_key_checks=0");
	if (!rc)
		rc = db_exec_mdl(db, DB_CHANGE, "rebuilding a child's foreign key", sb_str(&q));
	db_exec_keep_error(db, "SET SESSION foreign_key_checks=1");
	if (!rc)
		log_info("foreign key '%s' of '%s' now references '%s' as '%s'", f->name, f->table, parent, newname);
	sb_free(&q);
	free(newname);
	return rc;
}

int fk_check(struct migration *m)
{
	struct childfk *c;
	int n;
	if (load(m->db, m->schema, m->table, &c, &n))
		return EXIT_FAILED;
	int rc = 0;
	for (int i = 0; i < n && !rc; i++) {
		if (!strcmp(c[i].schema, m->schema) && !strcmp(c[i].table, m->table)) {
			log_error("refused: table '%s' references itself (foreign key '%s'); not supported", m->table,
				  c[i].name);
			rc = EXIT_REFUSED;
		} else if (!strcmp(opt.fk_method, "none")) {
			log_error("refused: table '%s' is referenced by '%s'.'%s' (foreign key '%s'); use "
				  "--alter-foreign-keys-method=rebuild_constraints (or auto)",
				  m->table, c[i].schema, c[i].table, c[i].name);
			rc = EXIT_REFUSED;
		}
		for (int k = 0; k < c[i].n && !rc; k++) {
			const char *to = NULL;
			for (int j = 0; j < m->map.n && !to; j++)
				if (!strcasecmp(m->map.from[j], c[i].refcols[k]))
					to = m->map.to[j];
			if (!to) {
				log_error("refused: foreign key '%s' of '%s' references column '%s', which the ALTER drops",
					  c[i].name, c[i].table, c[i].refcols[k]);
				rc = EXIT_REFUSED;
			}
		}
	}
	if (rc) {
		struct sbuf ev;
		ev_begin(&ev, "error");
		ev_int(&ev, "code", rc);
		ev_str(&ev, "message", "refused because of child tables' foreign keys");
		ev_end(&ev);
	}
	if (!rc && n)
		log_info("%d foreign key%s of child tables will be rebuilt to follow the new table", n, n == 1 ? "" : "s");
	childfk_free(c, n);
	return rc;
}

int fk_rebuild(struct migration *m)
{
	struct childfk *c;
	int n;
	if (load(m->db, m->schema, m->table, &c, &n))
		return -1;
	int rc = 0;
	for (int i = 0; i < n && !rc; i++) {
		char **ref = xcalloc((size_t)c[i].n + 1, sizeof *ref);
		for (int k = 0; k < c[i].n; k++)
			for (int j = 0; j < m->map.n; j++)
				if (!strcasecmp(m->map.from[j], c[i].refcols[k]))
					ref[k] = m->map.to[j];
		rc = rebuild_one(m->db, &c[i], m->schema, m->names.shadow, ref);
		free((void *)ref);
	}
	childfk_free(c, n);
	if (rc)
		fk_repoint(m->db, m->schema, m->names.shadow, m->table);
	return rc;
}

int fk_repoint(struct db *db, const char *schema, const char *from, const char *to)
{
	struct childfk *c;
	int n;
	if (load(db, schema, from, &c, &n))
		return -1;
	int rc = 0;
	for (int i = 0; i < n; i++)
		if (rebuild_one(db, &c[i], schema, to, c[i].refcols))
			rc = -1;
	childfk_free(c, n);
	return rc;
}
