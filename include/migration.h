/* migration: the state of one run, shared by the phase modules. */
#ifndef OSCAR_MIGRATION_H
#define OSCAR_MIGRATION_H

#include <stdbool.h>

#include "alter.h"
#include "catalog.h"
#include "db.h"
#include "names.h"

/* A column copied from the old shape to the new one. */
struct colmap {
	int n;
	char **from; /* old table column */
	char **to;   /* shadow column */
};

/* The key used to chunk the copy and to match rows in the triggers: unique and
 * NOT NULL in both shapes. */
struct chunkkey {
	int n;
	char **old_cols;
	char **new_cols;
	enum keykind *kinds;
	char **charsets;   /* per column, for string literals */
	char **collations;
	char *old_index;  /* index name in the original table (FORCE INDEX) */
	char *new_index;  /* index name in the shadow (duplicate warnings) */
	/* The shadow key's columns by their old names: the chunk key's, or more
	 * when the ALTER extended the key (a row changes identity when any does). */
	int nrow;
	char **row_old_cols;
	char **row_new_cols; /* ... and their names in the shadow */
};

struct migration {
	struct db *db;
	const char *schema;
	const char *table;
	struct objnames names;
	struct table orig;
	struct table shadow;
	struct alter_info alter;
	struct colmap map;
	struct chunkkey key;
	/* Shadow columns the ALTER adds NOT NULL without a DEFAULT: the server's
	 * own ALTER gives the existing rows the type's implicit default, which the
	 * copy and the triggers write explicitly (strict mode refuses a row that
	 * leaves them out). */
	struct {
		int n;
		char **cols;
		char **values; /* SQL literals */
	} fill;
	char **dropped_cols; /* old columns not copied */
	char **added_cols;   /* shadow columns that take their defaults */
	char *global_sql_mode;
	char **deferred_defs;  /* secondary indexes built after the copy: "KEY `k` (`c`)" */
	char **deferred_names; /* ... and their names */
	int user_triggers;   /* the table's own triggers, moved at the swap */
	int own_fks;         /* foreign keys the table declares, carried to the shadow */
	bool self_fk;        /* one of them references the table itself */
	bool instant;        /* the server can apply the ALTER with ALGORITHM=INSTANT */
	bool report_only;    /* verify: report differences, repair nothing */
	double run_started;
	long long writes_at_start; /* the server's row writes when the run started; -1: unknown */
	bool log_during_copy; /* the triggers log keys from their creation to after the build (keylog.c) */
	bool stale_rows;      /* the shadow may hold rows whose changes are in the key log, not yet brought */
	bool state_started; /* the job has a row in the state table */
	long long rows_copied;
	long long chunks;
	double copy_seconds;
};

void migration_free(struct migration *m);
/* Whether other sessions changed rows since the run started (more than a few
 * per second, from the server's counters). */
bool migration_others_write(struct migration *m);
/* The "done" event of every way a run can succeed: begin adds rows_copied and
 * elapsed_s, the caller its mode's fields, end the run's statistics. */
void migration_done_begin(struct sbuf *ev, const struct migration *m);
void migration_done_end(struct sbuf *ev, const struct migration *m);

#endif
