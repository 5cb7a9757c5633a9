/* foreignkeys: the table's own foreign keys, and other tables' that
 * reference it.
 *
 * Its own (fk_own_*) are carried to the shadow under toggled names; see the
 * comment above fk_own_check. Children's: InnoDB keeps a child's constraint attached to the parent table object, and a
 * RENAME carries it along: after the swap the children would point at the old
 * table. With --alter-foreign-keys-method=rebuild_constraints (or auto) each
 * child's constraint is rebuilt, just before the swap, to reference the shadow
 * (ALTER TABLE child DROP FOREIGN KEY c, ADD CONSTRAINT c' ... REFERENCES
 * _t_new, with foreign_key_checks=0 so nothing is scanned); the RENAME then
 * makes the shadow the table and the children follow it. Constraint names are
 * unique per schema, so the new one toggles a leading underscore (fk -> _fk,
 * _fk -> fk), as DBAs know from pt-online-schema-change. */
#include "foreignkeys.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog.h"
#include "fault.h"
#include "log.h"
#include "migration.h"
#include "options.h"
#include "strv.h"

struct childfk {
	char *schema, *table, *name, *on_delete, *on_update;
	char *ref_schema, *ref_table;
	int n;
	char **cols, **refcols;
};

/* A foreign key from the rows of load_fks's query, column by column; the
 * rows of one constraint add its columns. */
static const struct catalog_field childfk_fields[] = {
	{ offsetof(struct childfk, schema), CF_STRING, NULL },    { offsetof(struct childfk, table), CF_STRING, NULL },
	{ offsetof(struct childfk, name), CF_STRING, NULL },      { offsetof(struct childfk, on_delete), CF_STRING, NULL },
	{ offsetof(struct childfk, on_update), CF_STRING, NULL }, { offsetof(struct childfk, cols), CF_LIST, NULL },
	{ offsetof(struct childfk, refcols), CF_LIST, NULL },     { offsetof(struct childfk, ref_schema), CF_STRING, NULL },
	{ offsetof(struct childfk, ref_table), CF_STRING, "" },
};
static const struct catalog_records childfk_records = { sizeof(struct childfk), childfk_fields,
							sizeof childfk_fields / sizeof childfk_fields[0], 3, NULL, NULL };

static void childfk_free(struct childfk *c, int n)
{
	catalog_records_free(&childfk_records, c, n);
}

/* Foreign keys, columns in order: with `own`, those schema.table declares;
 * without, those of child tables referencing schema.table. */
static int load_fks(struct db *db, const char *schema, const char *table, bool own, struct childfk **out, int *nout)
{
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "SELECT r.CONSTRAINT_SCHEMA, r.TABLE_NAME, r.CONSTRAINT_NAME, r.DELETE_RULE, r.UPDATE_RULE,"
		   " k.COLUMN_NAME, k.REFERENCED_COLUMN_NAME, k.REFERENCED_TABLE_SCHEMA, r.REFERENCED_TABLE_NAME"
		   " FROM information_schema.REFERENTIAL_CONSTRAINTS r"
		   " JOIN information_schema.KEY_COLUMN_USAGE k ON k.CONSTRAINT_SCHEMA = r.CONSTRAINT_SCHEMA"
		   " AND k.CONSTRAINT_NAME = r.CONSTRAINT_NAME AND k.TABLE_NAME = r.TABLE_NAME");
	sb_add(&q, own ? " WHERE r.CONSTRAINT_SCHEMA = BINARY " : " WHERE r.UNIQUE_CONSTRAINT_SCHEMA = BINARY ");
	sb_literal(&q, schema);
	sb_add(&q, own ? " AND r.TABLE_NAME = BINARY " : " AND r.REFERENCED_TABLE_NAME = BINARY ");
	sb_literal(&q, table);
	sb_add(&q, " ORDER BY r.CONSTRAINT_SCHEMA, r.TABLE_NAME, r.CONSTRAINT_NAME, k.ORDINAL_POSITION");
	struct childfk *c = catalog_records_load(db, sb_str(&q), &childfk_records, nout);
	sb_free(&q);
	if (*nout < 0)
		return -1;
	for (int i = 0; i < *nout; i++) {
		if (!c[i].ref_schema)
			c[i].ref_schema = xstrdup(schema);
		c[i].n = strv_len(c[i].cols);
	}
	*out = c;
	return 0;
}

/* Child tables' constraints; a table's reference to itself is one of its own
 * (fk_own_*), not a child's. */
static int load(struct db *db, const char *schema, const char *parent, struct childfk **out, int *nout)
{
	if (load_fks(db, schema, parent, false, out, nout))
		return -1;
	int k = 0;
	for (int i = 0; i < *nout; i++) {
		if (!strcmp((*out)[i].schema, schema) && !strcmp((*out)[i].table, parent))
			catalog_record_clear(&childfk_records, &(*out)[i]);
		else
			(*out)[k++] = (*out)[i];
	}
	*nout = k;
	return 0;
}

/* Constraint names are unique per schema: the copy's name toggles a leading
 * underscore. */
static char *toggled(const char *name)
{
	if (name[0] == '_')
		return xstrdup(name + 1);
	struct sbuf b = SBUF_INIT;
	sb_addf(&b, "_%s", name);
	return sb_take(&b);
}

static bool rule_ok(const char *r)
{
	return !strcmp(r, "RESTRICT") || !strcmp(r, "CASCADE") || !strcmp(r, "SET NULL") ||
	       !strcmp(r, "NO ACTION") || !strcmp(r, "SET DEFAULT");
}

/* "CONSTRAINT name FOREIGN KEY (cols) REFERENCES schema.parent (refcols) ON ..." */
static void constraint_clause(struct sbuf *q, const char *name, const struct childfk *f, const char *schema,
			      const char *parent, char **refcols)
{
	sb_add(q, "CONSTRAINT ");
	sb_ident(q, name);
	sb_add(q, " FOREIGN KEY (");
	for (int i = 0; i < f->n; i++) {
		if (i)
			sb_add(q, ", ");
		sb_ident(q, f->cols[i]);
	}
	sb_add(q, ") REFERENCES ");
	sb_qualified(q, schema, parent);
	sb_add(q, " (");
	for (int i = 0; i < f->n; i++) {
		if (i)
			sb_add(q, ", ");
		sb_ident(q, refcols[i]);
	}
	/* rules come from the catalog's fixed vocabulary, checked by callers */
	sb_addf(q, ") ON DELETE %s ON UPDATE %s", f->on_delete, f->on_update);
}

/* Rebuilds one constraint to reference schema.parent (referenced columns
 * given), under a new name. */
static int rebuild_one(struct db *db, const struct childfk *f, const char *schema, const char *parent,
		       char **refcols)
{
	if (!rule_ok(f->on_delete) || !rule_ok(f->on_update))
		return -1;
	char *newname = toggled(f->name);
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "ALTER TABLE ");
	sb_qualified(&q, f->schema, f->table);
	sb_add(&q, " DROP FOREIGN KEY ");
	sb_ident(&q, f->name);
	sb_add(&q, ", ADD ");
	constraint_clause(&q, newname, f, schema, parent, refcols);
	/* without checks the constraint is added without reading the child */
	int rc = db_exec_mdl_unchecked(db, DB_CHANGE, "rebuilding a child's foreign key", sb_str(&q));
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
	/* a foreign key the ALTER adds that references the table would, after
	 * the swap, reference the old table */
	struct childfk *s;
	int ns;
	/* a check that cannot run refuses: passing it would let such a key through */
	if (fault_fail("fk-shadow-load") || load_fks(m->db, m->schema, m->names.shadow, true, &s, &ns)) {
		log_error("refused: cannot read the foreign keys of the shadow '%s' to check them: %s", m->names.shadow,
			  m->db->err ? db_error_text(m->db) : "(injected failure)");
		childfk_free(c, n);
		return EXIT_REFUSED;
	}
	for (int i = 0; i < ns && !rc; i++)
		if (!strcmp(s[i].ref_schema, m->schema) && !strcmp(s[i].ref_table, m->table)) {
			log_error("refused: the ALTER adds foreign key '%s', which references '%s' itself; not "
				  "supported (use the server's ALTER)", s[i].name, m->table);
			rc = EXIT_REFUSED;
		}
	childfk_free(s, ns);
	for (int i = 0; i < n && !rc; i++) {
		if (opt.fk_method == FK_NONE) {
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
		ev_int(&ev, "exit_status", rc);
		ev_str(&ev, "message", "refused because of foreign keys");
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

/* The table's own foreign keys. CREATE TABLE ... LIKE does not carry them, so
 * they are added to the empty shadow before the ALTER runs there (so that the
 * ALTER may drop them, and renames and type changes of their columns meet the
 * server's own checks), under the toggled name. The RENAME then gives them to
 * the table; the old table, dropped, takes the original names with it. */
int fk_own_check(struct migration *m)
{
	struct childfk *c;
	int n;
	if (load_fks(m->db, m->schema, m->table, true, &c, &n))
		return EXIT_FAILED;
	int rc = 0;
	for (int i = 0; i < n && !rc; i++) {
		char *to = toggled(c[i].name);
		bool self = !strcmp(c[i].ref_schema, m->schema) && !strcmp(c[i].ref_table, m->table);
		/* A reference to itself is carried as a reference of the shadow to
		 * itself. A key change cascading to other rows would reach the
		 * shadow as a delete and an insert (the triggers' key change),
		 * which its own rules would turn into something else. */
		if (self && strcmp(c[i].on_update, "RESTRICT") && strcmp(c[i].on_update, "NO ACTION")) {
			struct sbuf why = SBUF_INIT;
			sb_addf(&why, "ON UPDATE %s (foreign key '%s')", c[i].on_update, c[i].name);
			rc = refuse("table '%s' references itself with %s; only RESTRICT and NO ACTION are "
					      "supported there", m->table, sb_str(&why));
			sb_free(&why);
		} else if (self && m->alter.adds_fk)
			rc = refuse("table '%s' references itself (foreign key '%s'); an ALTER that adds a "
					      "foreign key to it is not supported", m->table, c[i].name);
		else if (!rule_ok(c[i].on_delete) || !rule_ok(c[i].on_update))
			rc = refuse("foreign key '%s' has a rule oscar does not know ('%s')", c[i].name, rule_ok(c[i].on_delete) ? c[i].on_update : c[i].on_delete);
		else if (strlen(to) > 64)
			rc = refuse("foreign key '%s': its name on the new table ('%s') would be over 64 characters", c[i].name, to);
		if (rc) {
			free(to);
			break;
		}
		struct sbuf q = SBUF_INIT;
		sb_add(&q, "SELECT MAX(TABLE_NAME) FROM information_schema.TABLE_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = BINARY ");
		sb_literal(&q, m->schema);
		sb_add(&q, " AND CONSTRAINT_TYPE = 'FOREIGN KEY' AND CONSTRAINT_NAME = ");
		sb_literal(&q, to);
		bool found;
		char *owner = db_scalar(m->db, sb_str(&q), &found);
		sb_free(&q);
		if (!found)
			rc = EXIT_FAILED;
		/* (the shadow of the job being resumed has it already) */
		else if (owner && strcmp(owner, m->names.shadow))
			rc = refuse("foreign key '%s' needs the name '%s' on the new table, which a foreign key of "
					"another table has; rename one of them first", c[i].name, to);
		free(owner);
		free(to);
		if (self)
			m->self_fk = true;
	}
	m->own_fks = n;
	childfk_free(c, n);
	return rc;
}

/* Reading SHOW CREATE TABLE: p past word when it starts with it, else NULL
 * (as when p is NULL already). */
static const char *skip_word(const char *p, const char *word)
{
	size_t n = strlen(word);
	return p && !strncmp(p, word, n) ? p + n : NULL;
}

/* p past one quoted identifier, else NULL; its name in *name (caller frees)
 * when name is not NULL. */
static const char *skip_ident(const char *p, char **name)
{
	char *n = NULL;
	p = p ? ident_unquote(p, &n) : NULL;
	if (name)
		*name = n;
	else
		free(n);
	return p;
}

/* p past "(`a`, `b`)" (or "(`a`,`b`)"), else NULL */
static const char *skip_ident_list(const char *p)
{
	p = skip_word(p, "(");
	while ((p = skip_ident(p, NULL)) && *p == ',')
		p += 1 + strspn(p + 1, " ");
	return skip_word(p, ")");
}

/* One foreign key as SHOW CREATE TABLE writes it, on a line of its own:
 * "  CONSTRAINT `fk` FOREIGN KEY (`a`) REFERENCES `parent` (`id`) ON DELETE CASCADE,"
 * (the parent is `schema`.`parent` in another schema). */
struct fk_decl {
	char *name;             /* the constraint, unquoted */
	const char *body;       /* "(`a`) REFERENCES ...": what follows FOREIGN KEY, */
	const char *end;        /* ... to the end of the line, trailing comma left out */
	const char *parent;     /* the parent's quoted name, when in the same schema (else NULL) */
	const char *parent_end;
	char *parent_name;      /* ... unquoted */
};

static void fk_decl_free(struct fk_decl *d)
{
	free(d->name);
	free(d->parent_name);
}

/* The foreign key declared at line (names may hold any character, a newline
 * too, so the line ends after the referenced columns); false when the line
 * declares none (a column, an index, a CHECK constraint). */
static bool fk_decl_parse(const char *line, struct fk_decl *d)
{
	memset(d, 0, sizeof *d);
	const char *p = skip_ident(skip_word(line, "  CONSTRAINT "), &d->name);
	d->body = p = skip_word(p, " FOREIGN KEY ");
	const char *parent = p = skip_word(skip_ident_list(p), " REFERENCES ");
	char *first = NULL, *second = NULL;
	p = skip_ident(p, &first);
	const char *first_end = p;
	if (p && *p == '.')
		p = skip_ident(p + 1, &second);
	p = skip_ident_list(skip_word(p, " "));
	if (!p) {
		free(first);
		free(second);
		fk_decl_free(d);
		return false;
	}
	if (second) {
		free(first);
		free(second);
	} else {
		d->parent = parent;
		d->parent_end = first_end;
		d->parent_name = first;
	}
	/* the rules ("ON DELETE ..."), keywords up to the end of the line */
	d->end = p + strcspn(p, "\n");
	while (d->end > p && (d->end[-1] == ',' || d->end[-1] == ' '))
		d->end--;
	return true;
}

/* ", ADD CONSTRAINT `_fk` FOREIGN KEY ..." for one of the table's own foreign
 * keys: the server's own text, so the rules read exactly as declared; only
 * the name changes, and a reference to the table itself becomes one to the
 * shadow. */
static void add_own_clause(struct sbuf *q, const struct migration *m, const struct fk_decl *d, bool first)
{
	char *to = toggled(d->name);
	sb_add(q, first ? " ADD CONSTRAINT " : ", ADD CONSTRAINT ");
	sb_ident(q, to);
	sb_add(q, " FOREIGN KEY ");
	if (d->parent && !strcmp(d->parent_name, m->table)) {
		sb_addn(q, d->body, (size_t)(d->parent - d->body));
		sb_ident(q, m->names.shadow);
		sb_addn(q, d->parent_end, (size_t)(d->end - d->parent_end));
	} else {
		sb_addn(q, d->body, (size_t)(d->end - d->body));
	}
	log_info("foreign key '%s' is '%s' on the new table", d->name, to);
	free(to);
}

/* The ALTER that adds every foreign key of ddl (the table's SHOW CREATE
 * TABLE) to the shadow; their count. The constraints' own indexes (those
 * CREATE TABLE ... LIKE copied) are named in *index_names. */
static int own_fks_alter(const struct migration *m, const char *ddl, struct sbuf *q, char ***index_names)
{
	sb_add(q, "ALTER TABLE ");
	sb_qualified(q, m->schema, m->names.shadow);
	int n = 0;
	for (const char *line = ddl; *line;) {
		struct fk_decl d;
		const char *at = line; /* where the line's own end is looked for */
		if (fk_decl_parse(line, &d)) {
			add_own_clause(q, m, &d, n++ == 0);
			if (table_index(&m->orig, d.name))
				*index_names = strv_push(*index_names, d.name);
			at = d.end;
			fk_decl_free(&d);
		}
		at += strcspn(at, "\n");
		line = *at ? at + 1 : at;
	}
	return n;
}

/* Adding a constraint to the shadow replaced the index the server had made
 * for it (under the old name) by one named after the new constraint: named
 * back, the table keeps its index names. */
static int rename_fk_indexes(const struct migration *m, char **index_names)
{
	if (!index_names)
		return 0;
	struct table sh;
	memset(&sh, 0, sizeof sh);
	int rc = catalog_load(m->db, m->schema, m->names.shadow, &sh);
	for (char **name = index_names; *name && !rc; name++) {
		char *to = toggled(*name);
		if (!table_index(&sh, *name) && table_index(&sh, to)) {
			struct sbuf q = SBUF_INIT;
			sb_add(&q, "ALTER TABLE ");
			sb_qualified(&q, m->schema, m->names.shadow);
			sb_add(&q, " RENAME INDEX ");
			sb_ident(&q, to);
			sb_add(&q, " TO ");
			sb_ident(&q, *name);
			rc = db_exec(m->db, 0, sb_str(&q));
			sb_free(&q);
		}
		free(to);
	}
	table_free(&sh);
	return rc;
}

int fk_own_add(struct migration *m)
{
	if (!m->own_fks)
		return 0;
	char *ddl = catalog_show_create(m->db, m->schema, m->table);
	if (!ddl)
		return EXIT_FAILED;
	struct sbuf q = SBUF_INIT;
	char **index_names = NULL;
	int n = own_fks_alter(m, ddl, &q, &index_names);
	free(ddl);
	int rc = 0;
	if (n != m->own_fks) {
		log_error("found %d of the %d foreign keys of '%s' in its definition", n, m->own_fks, m->table);
		rc = EXIT_FAILED;
	}
	/* the shadow is empty: nothing to check, and no need to read the parents */
	if (!rc && db_exec_mdl_unchecked(m->db, 0, "adding the foreign keys to the shadow", sb_str(&q)))
		rc = EXIT_FAILED;
	if (!rc && rename_fk_indexes(m, index_names))
		rc = EXIT_FAILED;
	sb_free(&q);
	strv_free(index_names);
	return rc;
}

struct own_names {
	struct childfk *c;
	int n;
	char *last;
};

static const char *own_renamed(const char *name, void *arg)
{
	struct own_names *o = arg;
	for (int i = 0; i < o->n; i++)
		if (!strcasecmp(o->c[i].name, name)) {
			free(o->last);
			o->last = toggled(o->c[i].name);
			return o->last;
		}
	return NULL;
}

char *fk_shadow_alter(struct migration *m)
{
	struct own_names o = { NULL, 0, NULL };
	if (!m->alter.nfkdrops || load_fks(m->db, m->schema, m->table, true, &o.c, &o.n))
		return alter_shadow_text(opt.alter, &m->alter, NULL, NULL);
	char *text = alter_shadow_text(opt.alter, &m->alter, own_renamed, &o);
	free(o.last);
	childfk_free(o.c, o.n);
	return text;
}

char **fk_key_columns(struct migration *m)
{
	char **v = xcalloc(1, sizeof *v);
	int nv = 0;
	struct childfk *c;
	int n;
	/* the shadow's own (those it got from the table and those the ALTER adds) */
	if (!load_fks(m->db, m->schema, m->names.shadow, true, &c, &n)) {
		for (int i = 0; i < n; i++)
			if (c[i].n) {
				v = strv_push(v, c[i].cols[0]);
				nv++;
			}
		childfk_free(c, n);
	}
	/* children's, by the new names of the columns they reference */
	if (!load(m->db, m->schema, m->table, &c, &n)) {
		for (int i = 0; i < n; i++)
			for (int j = 0; c[i].n && j < m->map.n; j++)
				if (!strcasecmp(m->map.from[j], c[i].refcols[0])) {
					v = strv_push(v, m->map.to[j]);
					nv++;
				}
		childfk_free(c, n);
	}
	return v;
}
