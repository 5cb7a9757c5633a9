/* alter: what the text of --alter says that the catalog cannot tell us. */
#ifndef OSCAR_ALTER_H
#define OSCAR_ALTER_H

#include <stdbool.h>
#include <stddef.h>

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
	char error[256];
};

/* 0 on success; -1 with ai->error set for text oscar will not pass on. */
int alter_analyze(const char *text, struct alter_info *ai);
void alter_info_free(struct alter_info *ai);
/* The new name of an old column (itself when not renamed). */
const char *alter_new_name(const struct alter_info *ai, const char *old);
bool alter_dropped(const struct alter_info *ai, const char *col);
/* The text with the names of DROP FOREIGN KEY / DROP CONSTRAINT clauses
 * replaced by rename(name) (quoted), where that is not NULL. Caller frees. */
char *alter_rename_fk_drops(const char *text, const struct alter_info *ai, const char *(*rename)(const char *, void *),
			    void *arg);

#endif
