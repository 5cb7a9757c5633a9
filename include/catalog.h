/* catalog: what the server's information_schema says about a table. */
#ifndef OSCAR_CATALOG_H
#define OSCAR_CATALOG_H

#include <stdbool.h>
#include "db.h"

enum keykind { KK_INT, KK_UINT, KK_ENUM, KK_NUMBER, KK_TEMPORAL, KK_STRING, KK_BINARY };

struct column {
	char *name;
	char *data_type;   /* int, varchar, enum ... */
	char *column_type; /* int(10) unsigned ... */
	char *charset;     /* NULL for non-character columns */
	char *collation;
	bool nullable;
	bool generated;
	bool auto_increment;
	bool has_default; /* DEFAULT given (DEFAULT NULL included) */
};

struct index {
	char *name;
	bool unique;
	bool primary;
	bool prefix; /* some column indexed by a prefix only */
	int ncols;
	char **cols;
};

struct table {
	char *schema;
	char *name;
	bool exists;
	char *type;   /* BASE TABLE, VIEW */
	char *engine;
	long long rows_estimate;
	long long auto_increment; /* -1 when none */
	long long bytes;          /* data and indexes, as the server estimates them */
	int ncols;
	struct column *cols;
	int nidx;
	struct index *idx;
};

int catalog_load(struct db *db, const char *schema, const char *name, struct table *t);
/* SELECT MAX(col) of schema.name: 0 with *max set (NULL for an empty table,
 * the caller frees it), -1 on error. */
int catalog_column_max(struct db *db, const char *schema, const char *name, const char *col, char **max);
void table_free(struct table *t);
/* The server's CREATE TABLE text of schema.table (one definition per line), or
 * NULL after an error. Caller frees. */
char *catalog_show_create(struct db *db, const char *schema, const char *table);
const struct column *table_column(const struct table *t, const char *name);
const struct index *table_index(const struct table *t, const char *name);
enum keykind column_keykind(const struct column *c);

/* Lists of names (triggers, constraints) as NULL-terminated arrays. */
/* The first column of every row SQL returns (NULL as ""); NULL on error. */
char **catalog_name_list(struct db *db, const char *sql);
char **catalog_triggers(struct db *db, const char *schema, const char *table);
/* "child_schema.child_table (constraint)" for foreign keys pointing at the table. */
char **catalog_fk_children(struct db *db, const char *schema, const char *table);
int catalog_table_exists(struct db *db, const char *schema, const char *table, bool *exists);
/* Whether a table exists, and is one of oscar's (its comment begins "oscar:"). 0 or -1. */
int catalog_table_ours(struct db *db, const char *schema, const char *table, bool *exists, bool *ours);
/* Drops one of oscar's tables an earlier run left (checked by the caller with
 * catalog_table_ours), saying so. 0 or -1. */
int catalog_drop_leftover(struct db *db, const char *schema, const char *table);

/* Records filled from the rows of an information_schema query (foreign keys,
 * user triggers): structs of `size` bytes whose field i, at fields[i].offset,
 * comes from column i of the rows. A CF_STRING field is a char * (the first
 * row's value, if_null where the server says NULL); a CF_LIST field a
 * strv (the value of every row of the record pushed onto it). Rows whose
 * first `group` columns equal the last record's add to it (0: a record a
 * row); rows keep() refuses are passed over (keep NULL: none). */
enum catalog_field_kind { CF_STRING, CF_LIST };
struct catalog_field {
	size_t offset;
	enum catalog_field_kind kind;
	const char *if_null; /* CF_STRING only; NULL: NULL */
};
struct catalog_records {
	size_t size;
	const struct catalog_field *fields;
	int nfields;
	int group;
	bool (*keep)(const void *ctx, MYSQL_ROW row);
	const void *ctx;
};
/* The records sql's rows make, *n of them (NULL when none); *n is -1 after an
 * error. Caller frees with catalog_records_free. */
void *catalog_records_load(struct db *db, const char *sql, const struct catalog_records *rt, int *n);
/* Frees the fields of the one record rec, not rec. */
void catalog_record_clear(const struct catalog_records *rt, void *rec);
/* Frees n records and their array. */
void catalog_records_free(const struct catalog_records *rt, void *recs, int n);

#endif
