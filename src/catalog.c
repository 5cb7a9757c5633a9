/* catalog: reads table structure from information_schema. Column roles (generated,
 * nullable, key membership) come from the catalog, never from parsing DDL text:
 * a COMMENT containing "GENERATED" must not change what is copied. */
#include "catalog.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "strv.h"

static char *dup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

/* head + 'schema' AND tail + 'table' + order: the shape of every per-table lookup. */
static MYSQL_RES *query_2(struct db *db, const char *fmt_head, const char *schema, const char *table,
			  const char *tail, const char *order)
{
	struct sbuf q = SBUF_INIT;
	sb_add(&q, fmt_head);
	sb_literal(&q, schema);
	if (table) {
		sb_add(&q, " AND ");
		sb_add(&q, tail);
		sb_literal(&q, table);
	}
	sb_add(&q, order);
	MYSQL_RES *r = db_query(db, sb_str(&q));
	sb_free(&q);
	return r;
}

int catalog_table_ours(struct db *db, const char *schema, const char *table, bool *exists, bool *ours)
{
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "SELECT TABLE_COMMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = ");
	sb_literal(&q, schema);
	sb_add(&q, " AND TABLE_NAME = ");
	sb_literal(&q, table);
	char *comment = db_scalar(db, sb_str(&q), exists);
	sb_free(&q);
	if (!*exists && db->err)
		return -1;
	*ours = *exists && comment && !strncmp(comment, "oscar:", 6);
	free(comment);
	return 0;
}

int catalog_drop_leftover(struct db *db, const char *schema, const char *table)
{
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "DROP TABLE ");
	sb_qualified(&q, schema, table);
	int rc = db_exec(db, DB_CHANGE, sb_str(&q));
	sb_free(&q);
	if (!rc)
		log_info("dropped '%s', left by an earlier run", table);
	return rc ? -1 : 0;
}

int catalog_table_exists(struct db *db, const char *schema, const char *table, bool *exists)
{
	/* Only the name columns: the server then answers from the directory
	 * without opening the table, which an ALTER running on it may hold. */
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ");
	sb_literal(&q, schema);
	sb_add(&q, " AND TABLE_NAME = ");
	sb_literal(&q, table);
	MYSQL_RES *r = db_query(db, sb_str(&q));
	sb_free(&q);
	if (!r)
		return -1;
	*exists = false;
	MYSQL_ROW row;
	while ((row = mysql_fetch_row(r)))
		*exists |= row[0] && !strcmp(row[0], table);
	mysql_free_result(r);
	return 0;
}

int catalog_load(struct db *db, const char *schema, const char *name, struct table *t)
{
	memset(t, 0, sizeof *t);
	t->schema = xstrdup(schema);
	t->name = xstrdup(name);
	t->auto_increment = -1;

	MYSQL_RES *r = query_2(db,
		"SELECT TABLE_TYPE, IFNULL(ENGINE,''), IFNULL(TABLE_ROWS,0), AUTO_INCREMENT,"
		" IFNULL(DATA_LENGTH,0) + IFNULL(INDEX_LENGTH,0)"
		" FROM information_schema.TABLES WHERE TABLE_SCHEMA = BINARY ",
		schema, name, "TABLE_NAME = BINARY ", "");
	if (!r)
		return -1;
	MYSQL_ROW row = mysql_fetch_row(r);
	if (row) {
		t->exists = true;
		t->type = xstrdup(row[0]);
		t->engine = xstrdup(row[1]);
		t->rows_estimate = atoll(row[2]);
		t->auto_increment = row[3] ? atoll(row[3]) : -1;
		t->bytes = row[4] ? atoll(row[4]) : 0;
	}
	mysql_free_result(r);
	if (!t->exists)
		return 0;

	r = query_2(db,
		"SELECT COLUMN_NAME, DATA_TYPE, COLUMN_TYPE, CHARACTER_SET_NAME, COLLATION_NAME,"
		" IS_NULLABLE = 'YES',"
		" (GENERATION_EXPRESSION IS NOT NULL AND GENERATION_EXPRESSION <> ''),"
		" EXTRA LIKE '%auto_increment%', COLUMN_DEFAULT IS NOT NULL"
		" FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = BINARY ",
		schema, name, "TABLE_NAME = BINARY ", " ORDER BY ORDINAL_POSITION");
	if (!r)
		return -1;
	t->ncols = (int)mysql_num_rows(r);
	t->cols = xcalloc((size_t)t->ncols, sizeof *t->cols);
	for (int i = 0; (row = mysql_fetch_row(r)); i++) {
		struct column *c = &t->cols[i];
		c->name = xstrdup(row[0]);
		c->data_type = xstrdup(row[1]);
		c->column_type = xstrdup(row[2]);
		c->charset = dup_or_null(row[3]);
		c->collation = dup_or_null(row[4]);
		c->nullable = row[5] && atoi(row[5]);
		c->generated = row[6] && atoi(row[6]);
		c->auto_increment = row[7] && atoi(row[7]);
		c->has_default = row[8] && atoi(row[8]);
	}
	mysql_free_result(r);

	r = query_2(db,
		"SELECT INDEX_NAME, NON_UNIQUE, COLUMN_NAME, SUB_PART IS NOT NULL"
		" FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = BINARY ",
		schema, name, "TABLE_NAME = BINARY ",
		" ORDER BY INDEX_NAME = 'PRIMARY' DESC, INDEX_NAME, SEQ_IN_INDEX");
	if (!r)
		return -1;
	while ((row = mysql_fetch_row(r))) {
		struct index *ix = NULL;
		if (t->nidx && !strcmp(t->idx[t->nidx - 1].name, row[0]))
			ix = &t->idx[t->nidx - 1];
		if (!ix) {
			t->idx = xrealloc(t->idx, sizeof *t->idx * (size_t)(t->nidx + 1));
			ix = &t->idx[t->nidx++];
			memset(ix, 0, sizeof *ix);
			ix->name = xstrdup(row[0]);
			ix->unique = atoi(row[1]) == 0;
			ix->primary = !strcmp(row[0], "PRIMARY");
		}
		ix->cols = xrealloc(ix->cols, sizeof *ix->cols * (size_t)(ix->ncols + 1));
		ix->cols[ix->ncols++] = xstrdup(row[2]);
		if (row[3] && atoi(row[3]))
			ix->prefix = true;
	}
	mysql_free_result(r);
	return 0;
}

void table_free(struct table *t)
{
	free(t->schema);
	free(t->name);
	free(t->type);
	free(t->engine);
	for (int i = 0; i < t->ncols; i++) {
		struct column *c = &t->cols[i];
		free(c->name);
		free(c->data_type);
		free(c->column_type);
		free(c->charset);
		free(c->collation);
	}
	free(t->cols);
	for (int i = 0; i < t->nidx; i++) {
		for (int j = 0; j < t->idx[i].ncols; j++)
			free(t->idx[i].cols[j]);
		free(t->idx[i].cols);
		free(t->idx[i].name);
	}
	free(t->idx);
	memset(t, 0, sizeof *t);
}

const struct column *table_column(const struct table *t, const char *name)
{
	/* Column names are case-insensitive in MariaDB and MySQL. */
	for (int i = 0; i < t->ncols; i++)
		if (!strcasecmp(t->cols[i].name, name))
			return &t->cols[i];
	return NULL;
}

const struct index *table_index(const struct table *t, const char *name)
{
	for (int i = 0; i < t->nidx; i++)
		if (!strcasecmp(t->idx[i].name, name))
			return &t->idx[i];
	return NULL;
}

enum keykind column_keykind(const struct column *c)
{
	const char *d = c->data_type;
	if (!strcasecmp(d, "tinyint") || !strcasecmp(d, "smallint") || !strcasecmp(d, "mediumint") ||
	    !strcasecmp(d, "int") || !strcasecmp(d, "bigint") || !strcasecmp(d, "year"))
		return strstr(c->column_type, "unsigned") ? KK_UINT : KK_INT;
	if (!strcasecmp(d, "enum") || !strcasecmp(d, "set"))
		return KK_ENUM;
	if (!strcasecmp(d, "decimal") || !strcasecmp(d, "float") || !strcasecmp(d, "double"))
		return KK_NUMBER;
	if (!strcasecmp(d, "date") || !strcasecmp(d, "datetime") || !strcasecmp(d, "timestamp") ||
	    !strcasecmp(d, "time"))
		return KK_TEMPORAL;
	if (c->charset && c->collation)
		return KK_STRING;
	return KK_BINARY;
}

char **catalog_name_list(struct db *db, const char *sql)
{
	MYSQL_RES *r = db_query(db, sql);
	if (!r)
		return NULL;
	char **v = xcalloc(1, sizeof *v);
	MYSQL_ROW row;
	while ((row = mysql_fetch_row(r)))
		v = strv_push(v, row[0] ? row[0] : "");
	mysql_free_result(r);
	return v;
}

char **catalog_triggers(struct db *db, const char *schema, const char *table)
{
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE EVENT_OBJECT_SCHEMA = BINARY ");
	sb_literal(&q, schema);
	sb_add(&q, " AND EVENT_OBJECT_TABLE = BINARY ");
	sb_literal(&q, table);
	sb_add(&q, " ORDER BY TRIGGER_NAME");
	char **v = catalog_name_list(db, sb_str(&q));
	sb_free(&q);
	return v;
}

char **catalog_fk_children(struct db *db, const char *schema, const char *table)
{
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "SELECT CONCAT(CONSTRAINT_SCHEMA, '.', TABLE_NAME, ' (', CONSTRAINT_NAME, ')')"
		   " FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE UNIQUE_CONSTRAINT_SCHEMA = BINARY ");
	sb_literal(&q, schema);
	sb_add(&q, " AND REFERENCED_TABLE_NAME = BINARY ");
	sb_literal(&q, table);
	sb_add(&q, " ORDER BY 1");
	char **v = catalog_name_list(db, sb_str(&q));
	sb_free(&q);
	return v;
}

char *catalog_show_create(struct db *db, const char *schema, const char *table)
{
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "SHOW CREATE TABLE ");
	sb_qualified(&q, schema, table);
	MYSQL_RES *r = db_query(db, sb_str(&q));
	sb_free(&q);
	if (!r)
		return NULL;
	MYSQL_ROW row = mysql_fetch_row(r);
	char *ddl = row && row[1] ? xstrdup(row[1]) : NULL;
	mysql_free_result(r);
	return ddl;
}

static void *record_field(const struct catalog_records *rt, void *rec, int i)
{
	return (char *)rec + rt->fields[i].offset;
}

/* Whether row's first rt->group columns are those of rec. */
static bool same_record(const struct catalog_records *rt, void *rec, MYSQL_ROW row)
{
	for (int i = 0; i < rt->group; i++) {
		const char *v = *(char **)record_field(rt, rec, i);
		if (!v != !row[i] || (v && strcmp(v, row[i])))
			return false;
	}
	return true;
}

void *catalog_records_load(struct db *db, const char *sql, const struct catalog_records *rt, int *n)
{
	*n = -1;
	MYSQL_RES *r = db_query(db, sql);
	if (!r)
		return NULL;
	char *recs = NULL;
	int nrec = 0;
	MYSQL_ROW row;
	while ((row = mysql_fetch_row(r))) {
		if (rt->keep && !rt->keep(rt->ctx, row))
			continue;
		bool first = !nrec || !rt->group || !same_record(rt, recs + rt->size * (size_t)(nrec - 1), row);
		if (first) {
			recs = xrealloc(recs, rt->size * (size_t)(nrec + 1));
			memset(recs + rt->size * (size_t)nrec, 0, rt->size);
			nrec++;
		}
		void *rec = recs + rt->size * (size_t)(nrec - 1);
		for (int i = 0; i < rt->nfields; i++) {
			if (rt->fields[i].kind == CF_LIST) {
				char ***list = record_field(rt, rec, i);
				*list = strv_push(*list, row[i]);
			} else if (first) {
				char **s = record_field(rt, rec, i);
				*s = dup_or_null(row[i] ? row[i] : rt->fields[i].if_null);
			}
		}
	}
	mysql_free_result(r);
	*n = nrec;
	return recs;
}

void catalog_record_clear(const struct catalog_records *rt, void *rec)
{
	for (int i = 0; i < rt->nfields; i++) {
		if (rt->fields[i].kind == CF_LIST) {
			char ***list = record_field(rt, rec, i);
			strv_free(*list);
			*list = NULL;
		} else {
			char **s = record_field(rt, rec, i);
			free(*s);
			*s = NULL;
		}
	}
}

void catalog_records_free(const struct catalog_records *rt, void *recs, int n)
{
	for (int i = 0; i < n; i++)
		catalog_record_clear(rt, (char *)recs + rt->size * (size_t)i);
	free(recs);
}

int catalog_column_max(struct db *db, const char *schema, const char *name, const char *col, char **max)
{
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "SELECT MAX(");
	sb_ident(&q, col);
	sb_add(&q, ") FROM ");
	sb_qualified(&q, schema, name);
	bool found;
	*max = db_scalar(db, sb_str(&q), &found);
	sb_free(&q);
	if (found)
		return 0;
	free(*max);
	*max = NULL;
	return -1;
}
