/* alter: what the text of --alter says that the catalog cannot tell us. */
#ifndef OSCAR_ALTER_H
#define OSCAR_ALTER_H

#include <stdbool.h>
#include <stddef.h>

/* ALGORITHM= as the user wrote it. INSTANT, NOCOPY and INPLACE ask the server
 * to do the change itself; COPY and DEFAULT are what oscar's copy is anyway. */
enum alter_algorithm { ALG_NONE, ALG_DEFAULT, ALG_COPY, ALG_INPLACE, ALG_NOCOPY, ALG_INSTANT };

/* Partition maintenance: the whole ALTER, as the server allows it alone. */
enum partition_op {
	PART_NONE,
	PART_ADD,
	PART_DROP,
	PART_TRUNCATE,
	PART_COALESCE,
	PART_REORGANIZE,
	PART_EXCHANGE,
	PART_REBUILD,
	PART_ANALYZE,
	PART_CHECK,
	PART_OPTIMIZE,
	PART_REPAIR,
	PART_CONVERT, /* CONVERT PARTITION ... TO TABLE, CONVERT TABLE ... TO PARTITION */
};

struct alter_info {
	bool renames_table;
	int nrenames;
	char **rename_from; /* CHANGE old new / RENAME COLUMN old TO new */
	char **rename_to;
	int ndropped;
	char **dropped; /* DROP COLUMN names: a column dropped and re-added is not copied */
	bool adds_fk; /* ADD [CONSTRAINT ...] FOREIGN KEY */
	int nfkdrops;
	struct {
		char *name;
		size_t off, len; /* the name's place in the text, quotes included */
	} *fkdrop; /* DROP FOREIGN KEY / DROP CONSTRAINT names */
	enum alter_algorithm algorithm;
	const char *algorithm_name; /* "INPLACE" ..., NULL without the clause */
	bool has_lock;              /* a LOCK= clause */
	enum partition_op partition;
	bool sets_auto_increment; /* the table option AUTO_INCREMENT=N */
	unsigned long long auto_increment; /* its N */
	bool versioning;          /* ADD/DROP SYSTEM VERSIONING, ADD PERIOD ... */
	const char *refused;      /* a clause oscar cannot do online: why (static text) */
	int nclauses;
	struct {
		size_t off, len;
		bool dropped; /* ALGORITHM=/LOCK=: left out of the copy's text */
	} *clause; /* top-level clauses, in the order of the text */
	char error[256];
};

/* 0 on success; -1 with ai->error set for text oscar will not pass on. */
int alter_analyze(const char *text, struct alter_info *ai);
void alter_info_free(struct alter_info *ai);
/* The new name of an old column (itself when not renamed). */
const char *alter_new_name(const struct alter_info *ai, const char *old);
bool alter_dropped(const struct alter_info *ai, const char *col);
/* The text the shadow gets: the clauses without ALGORITHM= and LOCK= (a copy
 * is what oscar does; "FORCE" when nothing else is left), and with the names of
 * DROP FOREIGN KEY / DROP CONSTRAINT clauses replaced by rename(name) (quoted)
 * where rename is given and returns a name. Caller frees. */
char *alter_shadow_text(const char *text, const struct alter_info *ai, const char *(*rename)(const char *, void *),
			void *arg);
/* Partition maintenance that the server does without moving rows between
 * tables, or whose meaning a copy would change (DROP, TRUNCATE, EXCHANGE ...):
 * oscar runs these natively. range_or_list: the table is partitioned by RANGE
 * or LIST, where ADD PARTITION is metadata only. */
bool alter_partition_native(const struct alter_info *ai, bool range_or_list);
/* "DROP PARTITION" ... for messages. */
const char *alter_partition_name(enum partition_op op);
/* The server does the change itself when the ALTER asks for INSTANT, NOCOPY or INPLACE. */
bool alter_algorithm_native(const struct alter_info *ai);

#endif
