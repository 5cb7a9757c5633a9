/* names: the names oscar gives its objects, so a later run can recognise them. */
#ifndef OSCAR_NAMES_H
#define OSCAR_NAMES_H

/* prefix + table + suffix, shortened deterministically to 64 characters by
 * truncating the table part and appending a hash of the full table name. */
char *oscar_name(const char *prefix, const char *table, const char *suffix);

struct objnames {
	char *shadow;  /* _t_new */
	char *old;     /* _t_old */
	char *trg_ins; /* oscar_t_ins */
	char *trg_upd;
	char *trg_del;
	char *lock;    /* GET_LOCK name */
};

void objnames_init(struct objnames *n, const char *schema, const char *table);
void objnames_free(struct objnames *n);

#endif
