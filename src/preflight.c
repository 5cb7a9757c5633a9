/* preflight: every reason to refuse, checked before anything is changed (and
 * for the key, on the scratch shadow, which cleanup removes). */
#include "preflight.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "migration.h"
#include "foreignkeys.h"
#include "galera.h"
#include "options.h"
#include "usertriggers.h"
#include "strv.h"

int preflight_table(struct migration *m)
{
	struct db *db = m->db;
	if (alter_analyze(opt.alter, &m->alter))
		return refuse("%s", m->alter.error);
	if (catalog_load(db, m->schema, m->table, &m->orig))
		return EXIT_FAILED;
	if (!m->orig.exists)
		return refuse("table '%s'.'%s' does not exist", m->schema, m->table);
	if (!strcmp(m->orig.type, "SYSTEM VERSIONED"))
		return refuse("'%s'.'%s' is system-versioned: its history rows and their timestamps would not "
					"survive a copy; run the ALTER natively", m->schema, m->table);
	if (strcmp(m->orig.type, "BASE TABLE"))
		return refuse("'%s'.'%s' is not a base table", m->schema, m->table);
	if (m->alter.versioning)
		return refuse("the ALTER changes system versioning or periods of '%s': a copy cannot give the "
					"rows the timestamps the server's own ALTER would", m->table);
	if (m->alter.refused)
		return refuse("%s", m->alter.refused);
	if (strcasecmp(m->orig.engine, "InnoDB"))
		return refuse("table '%s' uses engine '%s'; only InnoDB is supported", m->table, m->orig.engine);

	/* Leftovers of an earlier run: never build on them, never guess. */
	char **trg = catalog_triggers(db, m->schema, m->table);
	if (!trg)
		return EXIT_FAILED;
	const char *ours[] = { m->names.trg_ins, m->names.trg_upd, m->names.trg_del };
	for (char **t = trg; *t; t++)
		for (int k = 0; k < 3; k++)
			if (!strcmp(*t, ours[k])) {
				int rc = refuse("trigger '%s' of an earlier oscar run exists; remove it with oscar --cleanup", *t);
				strv_free(trg);
				return rc;
			}
	/* the table's own triggers are checked against the new shape later
	 * (utrig_check) and moved at the swap */
	strv_free(trg);
	bool exists;
	if (catalog_table_exists(db, m->schema, m->names.shadow, &exists))
		return EXIT_FAILED;
	if (exists)
		return refuse("table '%s' of an earlier oscar run exists; remove it with oscar --cleanup", m->names.shadow);
	if (catalog_table_exists(db, m->schema, m->names.old, &exists))
		return EXIT_FAILED;
	if (exists)
		return refuse("table '%s' exists (kept by an earlier swap?); drop or rename it first", m->names.old);

	/* Child tables' foreign keys are checked once the new shape is known
	 * (fk_check); the table's own are carried to the shadow (fk_own_add). */
	int rc = galera_preflight(m);
	return rc ? rc : fk_own_check(m);
}

/* A key unique and NOT NULL in a table, over full columns. */
static bool usable_unique(const struct table *t, const struct index *ix)
{
	if (!ix->unique || ix->prefix)
		return false;
	for (int i = 0; i < ix->ncols; i++) {
		const struct column *c = table_column(t, ix->cols[i]);
		if (!c || c->nullable || c->generated)
			return false;
	}
	return true;
}

/* The shadow column an old column's data goes to, or NULL. */
static const char *mapped_to(const struct migration *m, const char *old)
{
	for (int i = 0; i < m->map.n; i++)
		if (!strcasecmp(m->map.from[i], old))
			return m->map.to[i];
	return NULL;
}

/* The old column whose data a shadow column takes, or NULL (a new column). */
static const char *mapped_from(const struct migration *m, const char *shadow_col)
{
	for (int i = 0; i < m->map.n; i++)
		if (!strcasecmp(m->map.to[i], shadow_col))
			return m->map.from[i];
	return NULL;
}

/* Is there a unique NOT NULL index in the shadow over exactly these columns? */
static const struct index *shadow_unique_on(const struct migration *m, const char **cols, int n)
{
	for (int i = 0; i < m->shadow.nidx; i++) {
		const struct index *ix = &m->shadow.idx[i];
		if (ix->ncols != n || !usable_unique(&m->shadow, ix))
			continue;
		bool same = true;
		for (int k = 0; k < n && same; k++)
			same = !strcasecmp(ix->cols[k], cols[k]);
		if (same)
			return ix;
	}
	return NULL;
}

/* Do values of these two columns compare the same way? */
static bool same_comparison(const struct column *a, const struct column *b)
{
	if (!a || !b)
		return false;
	if (!a->collation != !b->collation)
		return false;
	return !a->collation || !strcasecmp(a->collation, b->collation);
}

/* A unique NOT NULL key of the shadow that begins with these columns, in this
 * order, and whose other columns all carry data of the old table: unique
 * because its first columns already are (the usual DROP PRIMARY KEY, ADD
 * PRIMARY KEY (id, k) before partitioning by k). Its leading columns let the
 * shadow be ranged and matched by the old key. */
static const struct index *shadow_unique_extending(const struct migration *m, const struct index *old,
						   const char **cols)
{
	for (int i = 0; i < m->shadow.nidx; i++) {
		const struct index *ix = &m->shadow.idx[i];
		if (ix->ncols <= old->ncols || !usable_unique(&m->shadow, ix))
			continue;
		bool fits = true;
		for (int k = 0; k < old->ncols && fits; k++)
			fits = !strcasecmp(ix->cols[k], cols[k]) &&
			       same_comparison(table_column(&m->orig, old->cols[k]), table_column(&m->shadow, cols[k]));
		for (int k = old->ncols; k < ix->ncols && fits; k++)
			fits = mapped_from(m, ix->cols[k]) != NULL;
		if (fits)
			return ix;
	}
	return NULL;
}

static void set_key(struct migration *m, const struct index *ix, const char **newcols, const struct index *nix)
{
	struct chunkkey *key = &m->key;
	key->n = ix->ncols;
	key->old_cols = xcalloc((size_t)key->n, sizeof *key->old_cols);
	key->new_cols = xcalloc((size_t)key->n, sizeof *key->new_cols);
	key->kinds = xcalloc((size_t)key->n, sizeof *key->kinds);
	key->charsets = xcalloc((size_t)key->n, sizeof *key->charsets);
	key->collations = xcalloc((size_t)key->n, sizeof *key->collations);
	for (int k = 0; k < key->n; k++) {
		const struct column *c = table_column(&m->orig, ix->cols[k]);
		key->old_cols[k] = xstrdup(c->name);
		key->new_cols[k] = xstrdup(newcols[k]);
		key->kinds[k] = column_keykind(c);
		key->charsets[k] = c->charset ? xstrdup(c->charset) : NULL;
		key->collations[k] = c->collation ? xstrdup(c->collation) : NULL;
	}
	/* the columns that identify a row of the shadow, by their old names */
	key->nrow = nix->ncols;
	key->row_old_cols = xcalloc((size_t)key->nrow, sizeof *key->row_old_cols);
	key->row_new_cols = xcalloc((size_t)key->nrow, sizeof *key->row_new_cols);
	for (int k = 0; k < nix->ncols; k++) {
		const char *from = mapped_from(m, nix->cols[k]);
		key->row_new_cols[k] = xstrdup(nix->cols[k]);
		key->row_old_cols[k] = from ? xstrdup(from) : NULL;
	}
	key->old_index = xstrdup(ix->name);
	key->new_index = xstrdup(nix->name);
}

static int choose_key(struct migration *m)
{
	/* The PRIMARY KEY first (catalog order puts it first), then other unique
	 * keys; kept as they are, or else extended by the ALTER. */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 0; i < m->orig.nidx; i++) {
			const struct index *ix = &m->orig.idx[i];
			if (!usable_unique(&m->orig, ix))
				continue;
			const char **newcols = xcalloc((size_t)ix->ncols, sizeof *newcols);
			bool ok = true;
			for (int k = 0; k < ix->ncols && ok; k++) {
				const char *to = mapped_to(m, ix->cols[k]);
				ok = to != NULL;
				newcols[k] = to;
			}
			const struct index *nix = !ok	   ? NULL
						  : pass == 0 ? shadow_unique_on(m, newcols, ix->ncols)
							      : shadow_unique_extending(m, ix, newcols);
			if (nix) {
				set_key(m, ix, newcols, nix);
				if (pass == 1)
					log_info("the new key '%s' extends the old key '%s': no copied row can collide",
						 nix->name, ix->name);
			}
			free((void *)newcols);
			if (nix)
				return 0;
		}
	return refuse("table '%s' needs a PRIMARY KEY or a NOT NULL UNIQUE key that the ALTER keeps, or "
				"extends with columns of the table", m->table);
}

static bool only_ident_chars(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

/* Whether an old unique key implies the new unique key nix: one over a subset
 * of its columns does, as long as each column compares as before (a new
 * collation, say case-insensitive, can make distinct values equal).
 * *recollated: an old key over those columns exists, but some compare anew. */
static bool implied_by_old_key(const struct migration *m, const struct index *nix, bool *recollated)
{
	*recollated = false;
	for (int j = 0; j < m->orig.nidx; j++) {
		const struct index *oix = &m->orig.idx[j];
		if (!oix->unique || oix->ncols > nix->ncols || oix->prefix)
			continue;
		bool all = true, same = true;
		for (int k = 0; k < oix->ncols && all; k++) {
			const char *to = mapped_to(m, oix->cols[k]);
			bool found = false;
			for (int q = 0; to && q < nix->ncols && !found; q++)
				found = !strcasecmp(nix->cols[q], to);
			all = found;
			if (found && !same_comparison(table_column(&m->orig, oix->cols[k]), table_column(&m->shadow, to)))
				same = false;
		}
		if (all && same && !nix->prefix)
			return true;
		*recollated |= all && !same;
	}
	return false;
}

/* The new key's columns over the old table: "a, CONVERT(b USING cs) COLLATE
 * co" in cols, compared as the new key will, and "a IS NOT NULL AND ..." in
 * notnull (a unique key allows any number of NULLs). A refusal when one of
 * them is new. */
static int key_over_old_columns(const struct migration *m, const struct index *nix, struct sbuf *cols,
				struct sbuf *notnull)
{
	for (int k = 0; k < nix->ncols; k++) {
		const char *from = mapped_from(m, nix->cols[k]);
		if (!from)
			return refuse("unique key '%s' uses column '%s', which has no data yet", nix->name, nix->cols[k]);
		if (k) {
			sb_add(cols, ", ");
			sb_add(notnull, " AND ");
		}
		const struct column *nc = table_column(&m->shadow, nix->cols[k]);
		if (nc && nc->charset && nc->collation && only_ident_chars(nc->charset) &&
		    only_ident_chars(nc->collation)) {
			sb_add(cols, "CONVERT(");
			sb_ident(cols, from);
			sb_addf(cols, " USING %s) COLLATE %s", nc->charset, nc->collation);
		} else {
			sb_ident(cols, from);
		}
		sb_ident(notnull, from);
		sb_add(notnull, " IS NOT NULL");
	}
	return 0;
}

/* "SELECT ... FROM table WHERE notnull GROUP BY cols HAVING COUNT(*) > 1" */
static void duplicates_query(struct sbuf *q, const struct migration *m, const char *select, const char *cols,
			     const char *notnull)
{
	sb_addf(q, "SELECT %s FROM ", select);
	sb_qualified(q, m->schema, m->table);
	sb_addf(q, " WHERE %s GROUP BY %s HAVING COUNT(*) > 1", notnull, cols);
}

/* How many values of the new key the data holds more than once; -1 on error. */
static long long count_duplicates(const struct migration *m, const char *cols, const char *notnull)
{
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "SELECT COUNT(*) FROM (");
	duplicates_query(&q, m, "1", cols, notnull);
	sb_add(&q, ") d");
	bool found;
	char *v = db_scalar(m->db, sb_str(&q), &found);
	sb_free(&q);
	long long dups = !found ? -1 : v ? atoll(v) : 0;
	free(v);
	return dups;
}

/* A few of the duplicated values, for the DBA. */
static void log_duplicates(const struct migration *m, const struct index *nix, const char *cols,
			   const char *notnull)
{
	struct sbuf select = SBUF_INIT, q = SBUF_INIT;
	sb_addf(&select, "CONCAT_WS(',', %s), COUNT(*)", cols);
	duplicates_query(&q, m, sb_str(&select), cols, notnull);
	sb_add(&q, " LIMIT 5");
	MYSQL_RES *r = db_query(m->db, sb_str(&q));
	MYSQL_ROW row;
	while (r && (row = mysql_fetch_row(r)))
		log_error("duplicate for '%s': (%s) appears %s times", nix->name, row[0] ? row[0] : "NULL", row[1]);
	if (r)
		mysql_free_result(r);
	sb_free(&q);
	sb_free(&select);
}

/* A unique key no old key implies: refused unless allowed, else the data is
 * checked for values it would reject. */
static int check_new_unique_key(struct migration *m, const struct index *nix, bool recollated)
{
	/* A key whose columns only change collation is checked without asking:
	 * the DBA did not add a constraint, but the data must still fit it.
	 * report_only (the dry run of --revert) compares, refuses nothing. */
	if (!opt.allow_unique_key_change && !recollated && !m->report_only)
		return refuse("the ALTER adds unique key '%s', which would silently drop duplicate rows; "
			      "use --allow-unique-key-change to check the data and go on", nix->name);
	struct sbuf cols = SBUF_INIT, notnull = SBUF_INIT;
	int rc = key_over_old_columns(m, nix, &cols, &notnull);
	if (!rc) {
		log_info("checking the data for duplicates of the new unique key '%s'", nix->name);
		long long dups = count_duplicates(m, sb_str(&cols), sb_str(&notnull));
		if (dups < 0) {
			rc = EXIT_FAILED;
		} else if (dups > 0) {
			log_duplicates(m, nix, sb_str(&cols), sb_str(&notnull));
			rc = refuse("the new unique key '%s' has %lld duplicated values in the data", nix->name, dups);
		} else {
			log_info("no duplicates for the new unique key '%s'", nix->name);
		}
	}
	sb_free(&cols);
	sb_free(&notnull);
	return rc;
}

/* Unique keys of the shadow that did not exist (over the same mapped columns)
 * in the original: INSERT IGNORE would silently drop rows that collide. */
static int check_unique_additions(struct migration *m)
{
	for (int i = 0; i < m->shadow.nidx; i++) {
		const struct index *nix = &m->shadow.idx[i];
		bool recollated;
		if (!nix->unique || implied_by_old_key(m, nix, &recollated))
			continue;
		int rc = check_new_unique_key(m, nix, recollated);
		if (rc)
			return rc;
	}
	return 0;
}

int preflight_shadow(struct migration *m)
{
	if (m->map.n == 0)
		return refuse("the new table shares no column with '%s'", m->table);
	int rc = choose_key(m);
	if (rc)
		return rc;
	if ((rc = check_unique_additions(m)) || (rc = utrig_check(m)) || (rc = galera_check_triggers(m)))
		return rc;
	return fk_check(m);
}
