/* copy: the existing rows into the shadow, chunk by chunk; and the key ranges
 * over the table and the shadow that verify shares. */
#ifndef OSCAR_COPY_H
#define OSCAR_COPY_H

#include <stdbool.h>

#include "keyval.h"
#include "migration.h"
#include "sbuf.h"

/* The key `size` rows after lower (or from the start): 1 with *upper set, 0
 * when fewer rows remain, -1 on error. */
int next_boundary(struct migration *m, const struct keyval *lower, long size, struct keyval *upper);
enum range_side {
	TABLE_SIDE,
	SHADOW_SIDE,
	SHADOW_NO_HINT, /* for DELETE, which takes no index hint */
};
/* " FROM <table or shadow> [FORCE INDEX (k)] [WHERE lower < key <= upper]" */
int range_sql_on(struct sbuf *q, struct migration *m, enum range_side side, const struct keyval *lower,
		 const struct keyval *upper);
void column_list(struct sbuf *q, char **cols, int n);
/* "INSERT IGNORE INTO shadow (cols)" */
void insert_head(struct sbuf *q, struct migration *m);
/* The same with another verb ("REPLACE"). */
void shadow_insert_head(struct sbuf *q, struct migration *m, const char *verb);
/* The values for insert_head's columns: the mapped old columns, then the
 * implicit defaults of columns added NOT NULL without a DEFAULT. */
void select_list(struct sbuf *q, struct migration *m);
/* Whether others wrote to the table when the copy last looked (true before it has). */
bool copy_others_wrote(void);
/* INSERT IGNORE ... SELECT <range><lock>; rows read in *rows. */
int chunk_server(struct migration *m, const char *range, const char *lock, long *rows);
/* Whether --pause-file names a file that exists now. */
bool pause_file_present(void);
/* Waits while paused (SIGUSR1 until SIGUSR2, or --pause-file); -1 on abort. */
int wait_while_paused(void);
/* 0 unless the last statement left a data-changing warning. */
int check_warnings(struct migration *m);

/* The copy's statement for a dry run's plan. */
char *copy_sql_example(struct migration *m);
/* Copies every row after start (NULL: from the first). */
/* per_chunk, when not NULL, runs after every chunk's commit with the
 * chunk's range (lo, hi], lo NULL for the first, hi NULL for the last;
 * a non-zero return ends the copy with that status. */
typedef int (*chunk_hook)(struct migration *m, const struct keyval *lo, const struct keyval *hi);
int copy_rows(struct migration *m, const struct keyval *start, chunk_hook per_chunk);
/* Whether the copy's INSERT ... SELECT statements will run behind the bound
 * table's lock (the shadow takes AUTO-INC table locks; see bound_fence). */
bool copy_fenced(struct migration *m);

/* The largest value of a one-column integer chunk key, from the table: 1 with
 * *max set, 0 when the key is not one (or the table is empty), -1 on error. */
int key_max_number(struct migration *m, long double *max);

#endif
