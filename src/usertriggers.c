/* usertriggers: a table's own triggers survive the migration.
 *
 * Triggers belong to the table object, so after the RENAME they would sit on
 * the old table and the new one would have none. Creating them on the shadow
 * early would make them fire for every row oscar mirrors or copies into it
 * (an audit row twice for one write). So:
 *   1. oscar's own session and its mirror triggers set @oscar_mirroring while
 *      they write into the shadow (an exit handler clears it on error);
 *   2. just before the swap, guarded copies are created on the shadow:
 *      IF @oscar_mirroring IS NULL THEN <original body> END IF; they do
 *      nothing for oscar's writes and everything for the application's;
 *   3. the RENAME makes the shadow the table, guarded triggers included:
 *      there is no moment without triggers and none where they fire twice;
 *   4. then, under one LOCK TABLES, the originals are dropped from the old
 *      table, the guarded copies from the new one, and the originals created
 *      on the new table with their own names, definer, sql_mode and
 *      character set. */
#include "usertriggers.h"

#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "catalog.h"
#include "log.h"
#include "migration.h"
#include "names.h"
#include "options.h"

struct utrig {
	char *name, *event, *timing, *body, *definer, *sql_mode, *cs_client, *coll_conn;
};

static bool is_oscar_trigger(struct migration *m, const char *name)
{
	return !strcmp(name, m->names.trg_del) || !strcmp(name, m->names.trg_upd) || !strcmp(name, m->names.trg_ins) ||
	       !strncmp(name, "_og_", 4);
}

/* A trigger from a row of load's query, column by column. */
static const struct catalog_field utrig_fields[] = {
	{ offsetof(struct utrig, name), CF_STRING, NULL },      { offsetof(struct utrig, event), CF_STRING, NULL },
	{ offsetof(struct utrig, timing), CF_STRING, NULL },    { offsetof(struct utrig, body), CF_STRING, NULL },
	{ offsetof(struct utrig, definer), CF_STRING, NULL },   { offsetof(struct utrig, sql_mode), CF_STRING, "" },
	{ offsetof(struct utrig, cs_client), CF_STRING, NULL }, { offsetof(struct utrig, coll_conn), CF_STRING, NULL },
};
static const struct catalog_records utrig_records = { sizeof(struct utrig), utrig_fields,
						      sizeof utrig_fields / sizeof utrig_fields[0], 0, NULL, NULL };

static void utrig_free(struct utrig *u, int n)
{
	catalog_records_free(&utrig_records, u, n);
}

struct load_filter {
	struct migration *m;
	bool guarded;
};

/* The guarded copies (_og_) only, or the user's triggers only. */
static bool load_keep(const void *ctx, MYSQL_ROW row)
{
	const struct load_filter *f = ctx;
	bool g = !strncmp(row[0], "_og_", 4);
	return f->guarded ? g : !is_oscar_trigger(f->m, row[0]);
}

/* The user triggers on schema.table, in firing order. */
static int load(struct migration *m, const char *table, bool guarded, struct utrig **out, int *nout)
{
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "SELECT TRIGGER_NAME, EVENT_MANIPULATION, ACTION_TIMING, ACTION_STATEMENT, DEFINER, SQL_MODE,"
		   " CHARACTER_SET_CLIENT, COLLATION_CONNECTION FROM information_schema.TRIGGERS"
		   " WHERE EVENT_OBJECT_SCHEMA = BINARY ");
	sb_literal(&q, m->schema);
	sb_add(&q, " AND EVENT_OBJECT_TABLE = BINARY ");
	sb_literal(&q, table);
	sb_add(&q, " ORDER BY EVENT_MANIPULATION, ACTION_TIMING, ACTION_ORDER");
	struct load_filter f = { m, guarded };
	struct catalog_records rt = utrig_records;
	rt.keep = load_keep;
	rt.ctx = &f;
	*out = catalog_records_load(m->db, sb_str(&q), &rt, nout);
	sb_free(&q);
	return *nout < 0 ? -1 : 0;
}

/* Column names after NEW. or OLD. in a trigger body (strings skipped). */
static int check_refs(struct migration *m, const struct utrig *u)
{
	const char *p = u->body;
	char quote = 0;
	for (; *p; p++) {
		if (quote) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == quote)
				quote = 0;
			continue;
		}
		if (*p == '\'' || *p == '"') {
			quote = *p;
			continue;
		}
		if ((strncasecmp(p, "NEW.", 4) && strncasecmp(p, "OLD.", 4)) ||
		    (p > u->body && (isalnum((unsigned char)p[-1]) || p[-1] == '_' || p[-1] == '.')))
			continue;
		const char *c = p + 4;
		char col[4 * 64 + 1]; /* 64 characters of up to 4 bytes */
		size_t k = 0;
		if (*c == '`') {
			for (c++; *c && k + 1 < sizeof col; c++) {
				if (*c == '`' && c[1] == '`')
					c++;
				else if (*c == '`')
					break;
				col[k++] = *c;
			}
		} else {
			while ((isalnum((unsigned char)*c) || *c == '_' || *c == '$') && k + 1 < sizeof col)
				col[k++] = *c++;
		}
		col[k] = '\0';
		if (!k)
			continue;
		if (!table_column(&m->shadow, col) || strcasecmp(alter_new_name(&m->alter, col), col)) {
			log_error("refused: trigger '%s' references column '%s', which the ALTER drops or renames",
				  u->name, col);
			return EXIT_REFUSED;
		}
		p = c - 1;
	}
	return 0;
}

int utrig_check(struct migration *m)
{
	struct utrig *u;
	int n;
	if (load(m, m->table, false, &u, &n))
		return EXIT_FAILED;
	int rc = 0;
	for (int i = 0; i < n && !rc; i++) {
		/* information_schema gives a body's string literals back without
		 * their escape backslashes ('a\\b' as 'a\b'): recreated from there,
		 * such a trigger would mean something else. Under
		 * NO_BACKSLASH_ESCAPES a backslash is a plain character and comes
		 * back as it was. */
		if (strchr(u[i].body, '\\') && !strstr(u[i].sql_mode ? u[i].sql_mode : "", "NO_BACKSLASH_ESCAPES")) {
			rc = refuse("trigger '%s' of the table has a backslash in its body, which the server's "
					      "catalog does not give back exactly, so oscar cannot recreate it; drop it and "
					      "create it again after the change", u[i].name);
			break;
		}
		rc = check_refs(m, &u[i]);
	}
	m->user_triggers = n;
	if (!rc && n)
		log_info("table '%s' has %d trigger%s of its own; they will move to the new table at the swap", m->table, n,
			 n == 1 ? "" : "s");
	utrig_free(u, n);
	return rc;
}

/* CREATE DEFINER=... TRIGGER `schema`.`name` timing event ON `schema`.`table`
 * FOR EACH ROW body, under the trigger's own sql_mode and character set. */
static int create_one(struct migration *m, const struct utrig *u, const char *name, const char *table, bool guard)
{
	struct sbuf q = SBUF_INIT, mode = SBUF_INIT;
	sb_add(&q, "CREATE");
	const char *at = strrchr(u->definer, '@');
	if (at) {
		char *user = xstrdup(u->definer);
		user[at - u->definer] = '\0';
		/* as identifiers, not string literals: the statement runs under the
		 * trigger's own sql_mode, and with NO_BACKSLASH_ESCAPES a literal's
		 * doubled backslash would stay doubled; backticks mean the same in
		 * every mode */
		sb_add(&q, " DEFINER=");
		sb_ident(&q, user);
		sb_add(&q, "@");
		sb_ident(&q, at + 1);
		free(user);
	}
	sb_add(&q, " TRIGGER ");
	sb_qualified(&q, m->schema, name);
	/* timing and event come from the catalog's fixed vocabulary */
	sb_addf(&q, " %s %s ON ", strcmp(u->timing, "BEFORE") ? "AFTER" : "BEFORE",
		!strcmp(u->event, "INSERT") ? "INSERT" : !strcmp(u->event, "UPDATE") ? "UPDATE" : "DELETE");
	sb_qualified(&q, m->schema, table);
	sb_add(&q, " FOR EACH ROW ");
	if (guard)
		sb_add(&q, "IF @oscar_mirroring IS NULL THEN ");
	sb_add(&q, u->body);
	if (guard)
		sb_add(&q, "; END IF");
	/* the body text came back in utf8mb4: the original client character set
	 * is kept only where the text is plain ASCII, so no byte changes meaning */
	bool ascii = true;
	for (const unsigned char *c = (const unsigned char *)u->body; *c; c++)
		if (*c >= 0x80)
			ascii = false;
	sb_add(&mode, "SET SESSION sql_mode=");
	sb_literal(&mode, u->sql_mode);
	if (ascii) {
		sb_add(&mode, ", character_set_client=");
		sb_literal(&mode, u->cs_client);
		sb_add(&mode, ", collation_connection=");
		sb_literal(&mode, u->coll_conn);
	}
	int rc = db_exec(m->db, 0, sb_str(&mode));
	if (!rc)
		rc = db_exec(m->db, DB_CHANGE, sb_str(&q));
	/* the session's own settings back: every later literal assumes them, so
	 * a failure here fails the step (after a failure above, its error is the
	 * one reported) */
	static const char *const restore[] = { "SET NAMES utf8mb4",
		DB_SET_SQL_MODE };
	for (int i = 0; i < 2; i++) {
		if (rc)
			db_exec_keep_error(m->db, restore[i]);
		else if (db_exec(m->db, 0, restore[i]))
			rc = -1;
	}
	sb_free(&q);
	sb_free(&mode);
	return rc;
}

static char *guarded_name(const char *name)
{
	return oscar_name("_og_", name, "");
}

int utrig_install_guarded(struct migration *m)
{
	if (!m->user_triggers)
		return 0;
	struct utrig *u;
	int n;
	if (load(m, m->table, false, &u, &n))
		return -1;
	int rc = db_lock_tables(m->db, m->schema, m->table, m->names.shadow, NULL);
	for (int i = 0; i < n && !rc; i++) {
		char *g = guarded_name(u[i].name);
		rc = create_one(m, &u[i], g, m->names.shadow, true);
		free(g);
	}
	db_unlock_tables(m->db);
	if (!rc)
		log_info("created guarded copies of %d trigger%s on '%s'", n, n == 1 ? "" : "s", m->names.shadow);
	utrig_free(u, n);
	return rc;
}

int utrig_restore(struct migration *m)
{
	struct utrig *u, *g;
	int n, ng;
	/* the originals are still on the old table, the guarded copies on the new */
	if (load(m, m->names.old, false, &u, &n))
		return -1;
	if (load(m, m->table, true, &g, &ng)) {
		utrig_free(u, n);
		return -1;
	}
	int rc = 0;
	if (n || ng) {
		/* Drop the original from the old table, create it on the new one,
		 * then drop the guarded copy: if anything fails, the new table still
		 * has a working trigger for every event. Under the lock no write runs
		 * while both the copy and the original exist. */
		rc = db_lock_tables(m->db, m->schema, m->table, m->names.old, NULL);
		for (int i = 0; i < n && !rc; i++) {
			struct sbuf q = SBUF_INIT;
			sb_add(&q, "DROP TRIGGER ");
			sb_qualified(&q, m->schema, u[i].name);
			rc = db_exec(m->db, DB_CHANGE, sb_str(&q));
			if (!rc)
				rc = create_one(m, &u[i], u[i].name, m->table, false);
			sb_free(&q);
		}
		/* guarded copies whose original is already gone from the old table
		 * (a run killed half-way through this): unwrap the body */
		for (int i = 0; i < ng && !rc; i++) {
			const char *orig = g[i].name + 4;
			bool have = false;
			for (int k = 0; k < n; k++)
				have |= !strcmp(u[k].name, orig);
			const char *pre = "IF @oscar_mirroring IS NULL THEN ", *suf = "; END IF";
			size_t bl = strlen(g[i].body), pl = strlen(pre), sl = strlen(suf);
			if (!have && bl > pl + sl && !strncmp(g[i].body, pre, pl) && !strcmp(g[i].body + bl - sl, suf)) {
				struct utrig o = g[i];
				char *body = xstrdup(g[i].body + pl);
				body[bl - pl - sl] = '\0';
				o.body = body;
				rc = create_one(m, &o, orig, m->table, false);
				free(body);
			}
			if (!rc) {
				struct sbuf q = SBUF_INIT;
				sb_add(&q, "DROP TRIGGER ");
				sb_qualified(&q, m->schema, g[i].name);
				rc = db_exec(m->db, DB_CHANGE, sb_str(&q));
				sb_free(&q);
			}
		}
		db_unlock_tables(m->db);
		if (!rc)
			log_info("moved %d trigger%s of '%s' to the new table", n, n == 1 ? "" : "s", m->table);
		else
			log_error("moving the table's own triggers failed: %s", db_error_text(m->db));
	}
	utrig_free(u, n);
	utrig_free(g, ng);
	return rc;
}
