/* names: the names oscar gives its objects, so a later run can recognise them. */
#ifndef OSCAR_NAMES_H
#define OSCAR_NAMES_H

/* prefix + table + suffix, shortened deterministically to 64 characters by
 * truncating the table part and appending a hash of the full table name. */
char *oscar_name(const char *prefix, const char *table, const char *suffix);

/* Every name oscar gives an object for one table: creation, rollback and
 * --cleanup all take them from here, so a run killed at any step leaves only
 * names that --cleanup knows. (Copies of the table's own triggers on the
 * shadow are named per trigger: usertriggers.c, utrig_copy_name.) */
struct objnames {
	char *shadow;  /* _t_new */
	char *old;     /* _t_old */
	char *trg_ins; /* oscar_t_ins: forward triggers, table -> shadow */
	char *trg_upd;
	char *trg_del;
	char *rtrg_ins; /* oscar_t_rins: reverse triggers of the revert window, new -> old */
	char *rtrg_upd;
	char *rtrg_del;
	char *old_ph;  /* _t_oph: the placeholder _t_old is renamed to at the revert swap */
	char *new_ph;  /* _t_nph: the placeholder that takes the name _t_new at the revert swap */
	char *heartbeat; /* _t_hb: replica heartbeat */
	char *bound;   /* _t_bnd: how far the triggers mirror (bound.c) */
	char *keylog;  /* _t_chg: keys changed while the indexes are built (keylog.c) */
	char *lock;    /* GET_LOCK name */
};

void objnames_init(struct objnames *n, const char *schema, const char *table);
void objnames_free(struct objnames *n);

#endif
