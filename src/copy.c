/* copy: the existing rows, in key order, chunk by chunk with
 *   INSERT IGNORE INTO shadow (...) SELECT ... FROM t WHERE <key range> LOCK IN SHARE MODE
 * The shared locks keep a concurrent DELETE from being undone by a stale copied
 * row; IGNORE keeps rows the triggers already wrote, which are newer. Key bounds
 * are inclusive ranges built from literals that are exact whatever the type:
 * integers as digits, ENUM by index, strings as hex in their own charset and
 * collation (binary-safe and ordered as the index orders them). */
#include <ctype.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "binlog.h"
#include "bound.h"
#include "copy.h"
#include "control.h"
#include "controller.h"
#include "fault.h"
#include "state.h"
#include "stats.h"
#include "log.h"
#include "migration.h"
#include "options.h"
#include "throttle.h"
#include "clock.h"

static bool only_chars(const char *s, unsigned long n, const char *allowed)
{
	for (unsigned long i = 0; i < n; i++)
		if (!s[i] || !strchr(allowed, s[i]))
			return false;
	return n > 0;
}

/* Digits as they are, temporal values quoted; both checked to hold nothing
 * else, so no value read from the server can change the statement. */
static int number_literal(struct sbuf *q, const char *v, unsigned long len)
{
	if (!only_chars(v, len, "0123456789+-.eE"))
		return -1;
	sb_addn(q, v, len);
	return 0;
}

static int temporal_literal(struct sbuf *q, const char *v, unsigned long len)
{
	if (!only_chars(v, len, "0123456789-: ."))
		return -1;
	sb_add(q, "'");
	sb_addn(q, v, len);
	sb_add(q, "'");
	return 0;
}

/* One key value as an SQL literal that compares exactly as the column does. */
static int key_literal(struct sbuf *q, const struct chunkkey *k, int i, const char *v, unsigned long len)
{
	switch (k->kinds[i]) {
	case KK_INT:
	case KK_UINT:
	case KK_ENUM:
	case KK_NUMBER:
		return number_literal(q, v, len);
	case KK_TEMPORAL:
		return temporal_literal(q, v, len);
	case KK_STRING:
		if (!only_chars(k->charsets[i], strlen(k->charsets[i]), "abcdefghijklmnopqrstuvwxyz0123456789_") ||
		    !only_chars(k->collations[i], strlen(k->collations[i]), "abcdefghijklmnopqrstuvwxyz0123456789_"))
			return -1;
		sb_addf(q, "_%s X'", k->charsets[i]);
		for (unsigned long j = 0; j < len; j++)
			sb_addf(q, "%02X", (unsigned char)v[j]);
		sb_addf(q, "' COLLATE %s", k->collations[i]);
		return 0;
	case KK_BINARY:
	default:
		sb_add(q, "X'");
		for (unsigned long j = 0; j < len; j++)
			sb_addf(q, "%02X", (unsigned char)v[j]);
		sb_add(q, "'");
		return 0;
	}
}

/* The key column as read for a boundary: ENUM as its index, never its label,
 * so the bound compares by index (an ENUM column against a number compares
 * numerically and still uses the index). */
static void key_expr(struct sbuf *q, const struct chunkkey *k, int i)
{
	if (k->kinds[i] == KK_ENUM) {
		sb_add(q, "(");
		sb_ident(q, k->old_cols[i]);
		sb_add(q, "+0)");
	} else {
		sb_ident(q, k->old_cols[i]);
	}
}

/* (k1 > v1) OR (k1 = v1 AND k2 > v2) ...; strict for the lower bound after a
 * chunk, with the last column's operator given. */
static int key_compare(struct sbuf *q, const struct chunkkey *k, const struct keyval *kv, const char *lastop,
		       const char *op)
{
	sb_add(q, "(");
	for (int i = 0; i < k->n; i++) {
		if (i)
			sb_add(q, " OR ");
		sb_add(q, "(");
		for (int j = 0; j < i; j++) {
			sb_ident(q, k->old_cols[j]);
			sb_add(q, " = ");
			if (key_literal(q, k, j, kv->v[j], kv->len[j]))
				return -1;
			sb_add(q, " AND ");
		}
		sb_ident(q, k->old_cols[i]);
		sb_addf(q, " %s ", i == k->n - 1 ? lastop : op);
		if (key_literal(q, k, i, kv->v[i], kv->len[i]))
			return -1;
		sb_add(q, ")");
	}
	sb_add(q, ")");
	return 0;
}

static void from_clause(struct sbuf *q, struct migration *m)
{
	sb_add(q, " FROM ");
	sb_qualified(q, m->schema, m->table);
	sb_add(q, " FORCE INDEX (");
	sb_ident(q, m->key.old_index);
	sb_add(q, ")");
}

static void order_by(struct sbuf *q, const struct chunkkey *k)
{
	sb_add(q, " ORDER BY ");
	for (int i = 0; i < k->n; i++) {
		if (i)
			sb_add(q, ", ");
		sb_ident(q, k->old_cols[i]);
	}
}

/* "SELECT k1, k2, ..." as key_expr reads them. */
static void key_select(struct sbuf *q, const struct chunkkey *k)
{
	sb_add(q, "SELECT ");
	for (int i = 0; i < k->n; i++) {
		if (i)
			sb_add(q, ", ");
		key_expr(q, k, i);
	}
}

/* The key of the row `size` rows into the range after `lower` (or from the
 * start): the inclusive upper bound of the next chunk. Returns 1 with *upper set,
 * 0 when fewer rows remain (the chunk runs to the end), -1 on error. */
int next_boundary(struct migration *m, const struct keyval *lower, long size, struct keyval *upper)
{
	struct sbuf q = SBUF_INIT;
	key_select(&q, &m->key);
	from_clause(&q, m);
	if (lower) {
		sb_add(&q, " WHERE ");
		if (key_compare(&q, &m->key, lower, ">", ">")) {
			sb_free(&q);
			log_error("key value of an unexpected form in '%s'", m->table);
			return -1;
		}
	}
	order_by(&q, &m->key);
	sb_addf(&q, " LIMIT %ld, 1", size - 1);
	MYSQL_RES *r = db_query(m->db, sb_str(&q));
	sb_free(&q);
	if (!r)
		return -1;
	MYSQL_ROW row = mysql_fetch_row(r);
	if (!row) {
		mysql_free_result(r);
		return 0;
	}
	unsigned long *len = mysql_fetch_lengths(r);
	upper->n = m->key.n;
	upper->v = xcalloc((size_t)upper->n, sizeof *upper->v);
	upper->len = xcalloc((size_t)upper->n, sizeof *upper->len);
	for (int i = 0; i < upper->n; i++) {
		upper->v[i] = xmalloc(len[i] + 1);
		memcpy(upper->v[i], row[i] ? row[i] : "", len[i]);
		upper->v[i][len[i]] = '\0';
		upper->len[i] = len[i];
	}
	mysql_free_result(r);
	return 1;
}

/* " FROM t FORCE INDEX (k) WHERE <lower < key <= upper>" */
static int range_sql(struct sbuf *q, struct migration *m, const struct keyval *lower, const struct keyval *upper)
{
	return range_sql_on(q, m, TABLE_SIDE, lower, upper);
}

int range_sql_on(struct sbuf *q, struct migration *m, enum range_side side, const struct keyval *lower,
		 const struct keyval *upper)
{
	bool shadow = side != TABLE_SIDE;
	/* The shadow is ranged by the same key under its new column names. */
	struct chunkkey k = m->key;
	if (shadow) {
		k.old_cols = m->key.new_cols;
		sb_add(q, " FROM ");
		sb_qualified(q, m->schema, m->names.shadow);
		if (side == SHADOW_SIDE) {
			sb_add(q, " FORCE INDEX (");
			sb_ident(q, m->key.new_index);
			sb_add(q, ")");
		}
	} else {
		from_clause(q, m);
	}
	/* always a WHERE clause, so that a condition can be added to it */
	sb_add(q, " WHERE ");
	if (!lower && !upper)
		sb_add(q, "TRUE");
	if (lower && key_compare(q, &k, lower, ">", ">"))
		return -1;
	if (lower && upper)
		sb_add(q, " AND ");
	/* (k1 < v1) OR (k1 = v1 AND k2 <= v2): inclusive upper bound */
	if (upper && key_compare(q, &k, upper, "<=", "<"))
		return -1;
	return 0;
}

void column_list(struct sbuf *q, char **cols, int n)
{
	for (int i = 0; i < n; i++) {
		if (i)
			sb_add(q, ", ");
		sb_ident(q, cols[i]);
	}
}

void insert_head(struct sbuf *q, struct migration *m)
{
	shadow_insert_head(q, m, "INSERT IGNORE");
}

void shadow_insert_head(struct sbuf *q, struct migration *m, const char *verb)
{
	sb_addf(q, "%s INTO ", verb);
	sb_qualified(q, m->schema, m->names.shadow);
	sb_add(q, " (");
	column_list(q, m->map.to, m->map.n);
	for (int i = 0; i < m->fill.n; i++) {
		sb_add(q, ", ");
		sb_ident(q, m->fill.cols[i]);
	}
	sb_add(q, ")");
}

void select_list(struct sbuf *q, struct migration *m)
{
	column_list(q, m->map.from, m->map.n);
	for (int i = 0; i < m->fill.n; i++) {
		sb_add(q, ", ");
		sb_add(q, m->fill.values[i]);
	}
}

char *copy_sql_example(struct migration *m)
{
	struct sbuf q = SBUF_INIT;
	insert_head(&q, m);
	sb_add(&q, " SELECT ");
	select_list(&q, m);
	from_clause(&q, m);
	sb_add(&q, " WHERE <key after the previous chunk> AND <key up to the next boundary> LOCK IN SHARE MODE");
	return sb_take(&q);
}

/* Warnings after a chunk: a duplicate on the chunk key is a row the triggers
 * already wrote (expected); any other warning means data was changed or lost.
 * While keys are in the log (keylog.c) the shadow holds stale rows too: a
 * duplicate on another unique key the old table enforced the same way is a
 * row whose value a stale row still holds, and both rows' keys are logged
 * (the old table never held the value twice, so one of them changed since
 * its image was taken, in log mode): the logged rows bring both. */
int check_warnings(struct migration *m)
{
	unsigned total = mysql_warning_count(m->db->my);
	if (total == 0)
		return 0;
	bool stale_dups = m->stale_rows && unique_keys_as_before(m);
	MYSQL_RES *r = db_query_f(m->db, DB_SILENT, "SHOW WARNINGS");
	if (!r)
		return -1;
	MYSQL_ROW row;
	int rc = 0;
	/* an index name is up to 64 characters of up to 4 bytes: no fixed buffer */
	char *quoted = NULL, *dotted = NULL;
	if (asprintf(&quoted, "'%s'", m->key.new_index) < 0 || asprintf(&dotted, ".%s'", m->key.new_index) < 0) {
		free(quoted);
		mysql_free_result(r);
		return -1;
	}
	while ((row = mysql_fetch_row(r))) {
		unsigned code = (unsigned)atoi(row[1] ? row[1] : "0");
		if (row[0] && !strcasecmp(row[0], "Note"))
			continue;
		if (code == 1287 || code == 1681) /* deprecation notices */
			continue;
		if (code == 1062 && stale_dups)
			continue;
		if (code == 1062 && row[2]) {
			size_t l = strlen(row[2]);
			size_t lq = strlen(quoted), ld = strlen(dotted);
			if ((l >= lq && !strcmp(row[2] + l - lq, quoted)) || (l >= ld && !strcmp(row[2] + l - ld, dotted)))
				continue;
		}
		/* the first tells the cause; a chunk may have thousands like it */
		if (!rc) {
			log_error("copying a chunk changed data: warning %u: %s", code, row[2] ? row[2] : "");
			db_set_error(m->db, code, "01000", row[2] ? row[2] : "", NULL);
		}
		rc--;
	}
	mysql_free_result(r);
	free(quoted);
	free(dotted);
	if (rc < -1)
		log_error("the chunk had %u warnings in all", total);
	return rc ? -1 : 0;
}

bool pause_file_present(void)
{
	struct stat st;
	return opt.pause_file && stat(opt.pause_file, &st) == 0;
}

/* Waits while paused by signal or pause file; the triggers keep the shadow in
 * sync meanwhile. Returns -1 on abort. */
int wait_while_paused(void)
{
	if (!oscar_paused && !pause_file_present())
		return 0;
	const char *why = oscar_paused ? "signal" : "pause-file";
	log_info("copy paused (%s)", why);
	struct sbuf ev;
	ev_begin(&ev, "pause");
	ev_str(&ev, "reason", why);
	ev_end(&ev);
	double t0 = now_mono();
	while ((oscar_paused || pause_file_present()) && !oscar_abort) {
		char state[96];
		snprintf(state, sizeof state, "paused (%s) for %.0f s", oscar_paused ? "signal or control socket" : "pause file",
			 now_mono() - t0);
		control_set_state(state);
		progress_state(state);
		control_apply();
		sleep_s(0.1);
	}
	control_set_state(NULL);
	stats_wait("paused", now_mono() - t0);
	if (oscar_abort)
		return -1;
	log_info("copy resumed after %.1f s", now_mono() - t0);
	ev_begin(&ev, "resume");
	ev_num(&ev, "paused_s", now_mono() - t0);
	ev_end(&ev);
	return 0;
}

/* mysql_info after INSERT ... SELECT: "Records: N  Duplicates: D  Warnings: W". */
static long records_read(struct db *db)
{
	const char *info = mysql_info(db->my);
	long rec;
	if (info && sscanf(info, "Records: %ld", &rec) == 1)
		return rec;
	return (long)mysql_affected_rows(db->my);
}

/* Server-side copy: one INSERT IGNORE ... SELECT ... LOCK IN SHARE MODE. */
/* MariaDB 10.11 fails a SKIP LOCKED read with error 1180 when
 * innodb_lock_wait_timeout is 0, which the copy otherwise uses: such
 * statements get a timeout of their own (SKIP LOCKED does not wait anyway). */
static void skip_locked_prefix(struct sbuf *q, struct db *db, const char *lock)
{
	if (db->mariadb && strstr(lock, "SKIP LOCKED"))
		sb_add(q, "SET STATEMENT innodb_lock_wait_timeout=1 FOR ");
}

/* The fence (bound_fence in src/bound.c): for a table whose shadow takes
 * AUTO-INC table locks, INSERT ... SELECT runs behind the bound table's
 * lock. fence_limit bounds each such statement, its wait for that lock
 * included; the verifier's connection reads these too. */
static volatile bool fence_mode;
/* A fenced statement holds every statement that fires the triggers for its
 * length, and an application transaction of four writes may wait for four
 * of them: while others write, 20 ms each unless --max-lock-time says
 * otherwise (make bench, docs/cost.md: 15-25 ms gave a worst p99 of 86-164 ms
 * and fewer transactions lost than 50 ms, whose p99 was 190-260 ms). */
#define FENCED_TX_SECONDS 0.02
static volatile double fence_limit = 0.15, fence_last;
static volatile bool fence_others = true; /* others write, as last seen */

bool copy_others_wrote(void)
{
	return fence_others;
}

/* The pause between two fenced statements whose ends are estimated: long
 * enough for each held application connection to run a statement or two
 * (about what reading the next end took, make bench: 1-3 ms), a tenth of
 * the last fenced statement. */
static double fence_gap(void)
{
	double g = fence_last * 0.1;
	return g < 0.001 ? 0.001 : g > 0.005 ? 0.005 : g;
}

int chunk_server(struct migration *m, const char *range, const char *lock, long *rows)
{
	struct sbuf q = SBUF_INIT;
	bool fence = fence_mode;
	if (fence)
		sb_addf(&q, "SET STATEMENT max_statement_time=%.3f%s FOR ", fence_limit,
			strstr(lock, "SKIP LOCKED") ? ", innodb_lock_wait_timeout=1" : "");
	else
		skip_locked_prefix(&q, m->db, lock);
	insert_head(&q, m);
	sb_add(&q, " SELECT ");
	select_list(&q, m);
	sb_add(&q, range);
	if (fence)
		bound_fence(&q, m);
	sb_add(&q, lock);
	double t0 = now_mono();
	int rc = db_exec(m->db, DB_SILENT, sb_str(&q));
	sb_free(&q);
	if (rc)
		return -1;
	if (fence)
		fence_last = now_mono() - t0;
	*rows = records_read(m->db);
	return check_warnings(m);
}

/* Numbers and temporal values, which the text protocol returns as text. */
static bool text_typed(const char *d)
{
	static const char *const types[] = { "tinyint", "smallint", "mediumint", "int", "bigint", "decimal", "float",
					     "double", "year", "date", "datetime", "timestamp", "time" };
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (!strcasecmp(d, types[i]))
			return true;
	return false;
}

/* Character data that keeps its character set: read as the bytes stored
 * (CAST ... AS BINARY) and bound as bytes, which the server stores as they
 * are. Read as text it would be converted into the connection's utf8mb4 and,
 * bound, back into the column's set: two conversions and a validation per
 * value, a tenth of the server's work in a client copy of sysbench's latin1
 * table (perf, docs/cost.md). A change of character set keeps the text path,
 * where the server converts as the ALTER would. */
static bool string_type(const char *d)
{
	static const char *const types[] = { "char", "varchar", "tinytext", "text", "mediumtext", "longtext" };
	for (size_t i = 0; d && i < sizeof types / sizeof types[0]; i++)
		if (!strcasecmp(d, types[i]))
			return true;
	return false;
}

static bool same_bytes(struct migration *m, int i)
{
	const struct column *o = table_column(&m->orig, m->map.from[i]);
	const struct column *n = table_column(&m->shadow, m->map.to[i]);
	return o && n && o->charset && n->charset && !strcasecmp(o->charset, n->charset) &&
	       string_type(o->data_type) && string_type(n->data_type);
}

/* The prepared multi-row INSERT of the client-side copy: n rows of
 * placeholders (the filled columns as their literals), kept for the next
 * chunk of the same size; two per copy connection (the parallel copy has
 * several, each with its own statements). */
struct ins_ps {
	struct db *db;
	unsigned long thread;
	MYSQL_STMT *st;
	size_t rows;
	char *sql;
};
static struct ins_ps ins_ps[COPY_MAX_THREADS][2];
static pthread_mutex_t ins_ps_mu = PTHREAD_MUTEX_INITIALIZER;

static void ins_ps_drop(struct ins_ps *p)
{
	if (p->st)
		mysql_stmt_close(p->st);
	free(p->sql);
	memset(p, 0, sizeof *p);
}

static void ins_ps_drop_all(void)
{
	for (int g = 0; g < COPY_MAX_THREADS; g++)
		for (int i = 0; i < 2; i++)
			ins_ps_drop(&ins_ps[g][i]);
}

/* The two statements of one connection: its own, else an unused pair (held
 * under ins_ps_mu). */
static struct ins_ps *ins_ps_group(struct db *db)
{
	struct ins_ps *unused = NULL;
	for (int g = 0; g < COPY_MAX_THREADS; g++) {
		struct ins_ps *p = ins_ps[g];
		if (p[0].db == db || p[1].db == db)
			return p;
		if (!p[0].db && !p[1].db && !unused)
			unused = p;
	}
	if (!unused) {
		unused = ins_ps[0];
		ins_ps_drop(&unused[0]);
		ins_ps_drop(&unused[1]);
	}
	return unused;
}

static MYSQL_STMT *ins_ps_get(struct migration *m, size_t rows, const char **sql)
{
	struct db *db = m->db;
	/* under the lock throughout: a statement is prepared only when the batch
	 * size changes, and the pairs must not be claimed twice */
	pthread_mutex_lock(&ins_ps_mu);
	struct ins_ps *p = ins_ps_group(db);
	MYSQL_STMT *st = NULL;
	for (int i = 0; i < 2 && !st; i++)
		if (p[i].st && p[i].db == db && p[i].thread == db->thread_id && p[i].rows == rows) {
			*sql = p[i].sql;
			st = p[i].st;
		}
	if (st) {
		pthread_mutex_unlock(&ins_ps_mu);
		return st;
	}
	/* slot 0 holds the full batch, slot 1 any other size */
	int slot = p[0].st && p[0].db == db && p[0].thread == db->thread_id ? 1 : 0;
	ins_ps_drop(&p[slot]);
	struct sbuf q = SBUF_INIT;
	insert_head(&q, m);
	sb_add(&q, " VALUES ");
	for (size_t r = 0; r < rows; r++) {
		sb_add(&q, r ? ",(" : "(");
		for (int i = 0; i < m->map.n; i++)
			sb_add(&q, i ? ",?" : "?");
		for (int i = 0; i < m->fill.n; i++) {
			sb_add(&q, ",");
			sb_add(&q, m->fill.values[i]);
		}
		sb_add(&q, ")");
	}
	st = db_prepare(db, sb_str(&q));
	if (st) {
		p[slot].db = db;
		p[slot].thread = db->thread_id;
		p[slot].st = st;
		p[slot].rows = rows;
		p[slot].sql = sb_take(&q);
		*sql = p[slot].sql;
	}
	sb_free(&q);
	pthread_mutex_unlock(&ins_ps_mu);
	return st;
}

/* Client-side copy, for tables with an AUTO_INCREMENT column on servers with
 * innodb_autoinc_lock_mode=1: an INSERT ... SELECT would hold InnoDB's
 * table-level AUTO-INC lock on the shadow for the whole chunk, and every
 * application insert mirrored by the triggers would wait for it, or deadlock
 * with the chunk's row locks and be rolled back. A multi-row INSERT ... VALUES
 * is a "simple insert" and takes no such lock. The rows are read with shared
 * locks in the same transaction, so a concurrent DELETE still cannot be undone
 * by a stale copy. They are written back through a server-side prepared
 * INSERT, the values bound as they were read (text in the connection's
 * character set, bytes for binary columns): no SQL text to build, send,
 * parse and log for every value (docs/cost.md). */
static int chunk_client(struct migration *m, const char *range, const char *lock, long *rows, long long max_stmt)
{
	struct db *db = m->db;
	int nc = m->map.n;
	const struct column **cols = xcalloc((size_t)nc, sizeof *cols);
	bool *raw = xcalloc((size_t)nc, sizeof *raw);
	struct sbuf q = SBUF_INIT;
	skip_locked_prefix(&q, db, lock);
	sb_add(&q, "SELECT ");
	for (int i = 0; i < nc; i++) {
		cols[i] = table_column(&m->orig, m->map.from[i]);
		raw[i] = same_bytes(m, i);
		if (i)
			sb_add(&q, ", ");
		if (raw[i])
			sb_add(&q, "CAST(");
		sb_ident(&q, m->map.from[i]);
		if (raw[i])
			sb_add(&q, " AS BINARY)");
	}
	sb_add(&q, range);
	sb_add(&q, lock);
	int rc = -1;
	MYSQL_RES *r = NULL;
	*rows = 0;
	/* at most 65,535 placeholders per statement */
	size_t batch = (size_t)(60000 / nc);
	if (batch > 1000)
		batch = 1000;
	if (batch < 1)
		batch = 1;
	MYSQL_BIND *bind = xcalloc(batch * (size_t)nc, sizeof *bind);
	unsigned long *lens = xcalloc(batch * (size_t)nc, sizeof *lens);
	if (db_send(db, sb_str(&q), q.len) || !(r = mysql_store_result(db->my))) {
		db_set_error(db, mysql_errno(db->my), mysql_sqlstate(db->my), mysql_error(db->my), sb_str(&q));
		goto rollback;
	}
	MYSQL_ROW row;
	size_t n = 0;
	long long bytes = 0;
	for (;;) {
		row = mysql_fetch_row(r);
		if (row) {
			unsigned long *len = mysql_fetch_lengths(r);
			for (int i = 0; i < nc; i++) {
				MYSQL_BIND *b = &bind[n * (size_t)nc + (size_t)i];
				memset(b, 0, sizeof *b);
				if (!row[i]) {
					b->buffer_type = MYSQL_TYPE_NULL;
					continue;
				}
				/* bytes as read for non-character columns, text otherwise */
				bool binary = raw[i] || (cols[i] && !cols[i]->charset && !text_typed(cols[i]->data_type));
				lens[n * (size_t)nc + (size_t)i] = len[i];
				b->buffer_type = binary ? MYSQL_TYPE_BLOB : MYSQL_TYPE_STRING;
				b->buffer = row[i];
				b->buffer_length = len[i];
				b->length = &lens[n * (size_t)nc + (size_t)i];
				bytes += (long long)len[i];
			}
			n++;
			(*rows)++;
		}
		if (n && (!row || n == batch || bytes > max_stmt)) {
			const char *sql = NULL;
			MYSQL_STMT *st = ins_ps_get(m, n, &sql);
			if (!st || db_stmt_run(db, st, bind, sql) || check_warnings(m))
				goto rollback;
			n = 0;
			bytes = 0;
		}
		if (!row)
			break;
	}
	rc = 0;
rollback: /* the caller rolls the transaction back */
	if (r)
		mysql_free_result(r);
	sb_free(&q);
	free(bind);
	free(lens);
	free((void *)cols);
	free(raw);
	return rc;
}

/* Key tuples of a result, each encoded as length-prefixed bytes, sorted. */
struct keyset {
	size_t n;
	char **k;
	size_t *len;
};

static void keyset_free(struct keyset *ks)
{
	for (size_t i = 0; i < ks->n; i++)
		free(ks->k[i]);
	free(ks->k);
	free(ks->len);
	memset(ks, 0, sizeof *ks);
}

static int enc_cmp(const char *a, size_t la, const char *b, size_t lb)
{
	if (la != lb)
		return la < lb ? -1 : 1;
	return memcmp(a, b, la);
}

static struct keyset *sort_ctx;
static int keyidx_cmp(const void *x, const void *y)
{
	size_t i = *(const size_t *)x, j = *(const size_t *)y;
	return enc_cmp(sort_ctx->k[i], sort_ctx->len[i], sort_ctx->k[j], sort_ctx->len[j]);
}

static int read_keys(struct migration *m, const char *range, const char *lock, struct keyset *ks, bool sort)
{
	struct db *db = m->db;
	struct sbuf q = SBUF_INIT;
	skip_locked_prefix(&q, db, lock);
	key_select(&q, &m->key);
	sb_add(&q, range);
	sb_add(&q, lock);
	memset(ks, 0, sizeof *ks);
	MYSQL_RES *r = NULL;
	if (db_send(db, sb_str(&q), q.len) || !(r = mysql_store_result(db->my))) {
		db_set_error(db, mysql_errno(db->my), mysql_sqlstate(db->my), mysql_error(db->my), sb_str(&q));
		sb_free(&q);
		return -1;
	}
	sb_free(&q);
	size_t n = (size_t)mysql_num_rows(r);
	ks->k = xcalloc(n, sizeof *ks->k);
	ks->len = xcalloc(n, sizeof *ks->len);
	MYSQL_ROW row;
	while ((row = mysql_fetch_row(r))) {
		unsigned long *len = mysql_fetch_lengths(r);
		struct sbuf e = SBUF_INIT;
		keyval_encode(&e, m->key.n, row, len);
		ks->len[ks->n] = e.len;
		ks->k[ks->n++] = sb_take(&e);
	}
	mysql_free_result(r);
	if (sort && ks->n > 1) {
		size_t *idx = xcalloc(ks->n, sizeof *idx);
		for (size_t i = 0; i < ks->n; i++)
			idx[i] = i;
		sort_ctx = ks;
		qsort(idx, ks->n, sizeof *idx, keyidx_cmp);
		char **k = xcalloc(ks->n, sizeof *k);
		size_t *l = xcalloc(ks->n, sizeof *l);
		for (size_t i = 0; i < ks->n; i++) {
			k[i] = ks->k[idx[i]];
			l[i] = ks->len[idx[i]];
		}
		free(ks->k);
		free(ks->len);
		ks->k = k;
		ks->len = l;
		free(idx);
	}
	return 0;
}

static bool keyset_has(const struct keyset *ks, const char *k, size_t len)
{
	size_t lo = 0, hi = ks->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = enc_cmp(ks->k[mid], ks->len[mid], k, len);
		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* " FROM t FORCE INDEX (k) WHERE k1 = v1 AND ..." for one encoded key. */
static int single_key_range(struct sbuf *q, struct migration *m, const char *enc, size_t len)
{
	struct keyval kv = { 0, NULL, NULL };
	int rc = keyval_decode(enc, len, &kv) == m->key.n ? 0 : -1;
	from_clause(q, m);
	sb_add(q, " WHERE ");
	for (int i = 0; !rc && i < m->key.n; i++) {
		if (i)
			sb_add(q, " AND ");
		sb_ident(q, m->key.old_cols[i]);
		sb_add(q, " = ");
		rc = key_literal(q, &m->key, i, kv.v[i], kv.len[i]);
	}
	keyval_free(&kv);
	return rc;
}

/* The slow path of a chunk, taken when the fast path met a lock:
 *   1. the keys of the range as of a consistent snapshot (no locks);
 *   2. shared locks on every row of the range not locked by someone else
 *      (SKIP LOCKED), and the copy of exactly those rows;
 *   3. commit; then each key of step 1 that step 2 skipped is copied on its own.
 * A skipped row is one an application transaction is changing: if it commits,
 * the triggers have written its result; if it rolls back, step 3 copies it. */
static int chunk_copy_skipping(struct migration *m, const char *range, bool client, long long max_stmt,
			       long *rows, long *skipped)
{
	struct db *db = m->db;
	struct keyset snap = { 0, NULL, NULL }, locked = { 0, NULL, NULL };
	int rc = -1;
	*rows = 0;
	*skipped = 0;
	if (db_exec(db, DB_SILENT, "START TRANSACTION WITH CONSISTENT SNAPSHOT"))
		return -1;
	if (read_keys(m, range, "", &snap, false) ||
	    read_keys(m, range, " LOCK IN SHARE MODE SKIP LOCKED", &locked, true))
		goto rollback;
	/* Rows are locked now; the copy reads exactly those (others stay
	 * skipped). Always through the client: the SKIP LOCKED read must run
	 * with a lock wait timeout (skip_locked_prefix), and an INSERT ...
	 * SELECT under it could wait for the shadow's AUTO-INC lock while
	 * holding these row locks, a cycle in which InnoDB may pick the
	 * application's transaction as the victim; the client's INSERT runs
	 * with the session's timeout of 0, and gives way at once. */
	if (chunk_client(m, range, " LOCK IN SHARE MODE SKIP LOCKED", rows, max_stmt))
		goto rollback;
	if (db_exec(db, DB_SILENT, "COMMIT"))
		goto rollback;
	for (size_t i = 0; i < snap.n; i++) {
		if (keyset_has(&locked, snap.k[i], snap.len[i]))
			continue;
		(*skipped)++;
		struct sbuf q = SBUF_INIT;
		long one = 0;
		if (single_key_range(&q, m, snap.k[i], snap.len[i])) {
			sb_free(&q);
			db_set_error(db, 0, "HY000", "key value of an unexpected form", NULL);
			goto out;
		}
		/* The application holding this row usually commits within
		 * milliseconds; oscar never waits in a lock queue, it comes back. */
		double backoff = 0.001;
		int r = -1;
		for (int attempt = 0; attempt < 200 && r && !oscar_abort; attempt++) {
			r = db_exec(db, DB_SILENT, "START TRANSACTION");
			if (!r)
				r = client ? chunk_client(m, sb_str(&q), " LOCK IN SHARE MODE", &one, max_stmt)
					   : chunk_server(m, sb_str(&q), " LOCK IN SHARE MODE", &one);
			if (!r)
				r = db_exec(db, DB_SILENT, "COMMIT");
			if (r) {
				db_exec_keep_error(db, "ROLLBACK");
				if (db_last_class(db) != ERR_RETRY)
					break;
				sleep_s(backoff);
				backoff = backoff * 2 > 0.2 ? 0.2 : backoff * 2;
			}
		}
		sb_free(&q);
		if (r)
			goto out;
		*rows += one;
	}
	rc = 0;
	goto out;
rollback:
	db_exec_keep_error(db, "ROLLBACK");
out:
	keyset_free(&snap);
	keyset_free(&locked);
	return rc;
}

/* The whole range in one transaction; fails at once (1205) on any lock. */
static int chunk_fast(struct migration *m, const char *range, bool client, long long max_stmt, long *rows)
{
	struct db *db = m->db;
	*rows = 0;
	if (db_exec(db, DB_SILENT, "START TRANSACTION"))
		return -1;
	int rc = client ? chunk_client(m, range, " LOCK IN SHARE MODE", rows, max_stmt)
			: chunk_server(m, range, " LOCK IN SHARE MODE", rows);
	if (!rc)
		rc = db_exec(db, DB_SILENT, "COMMIT");
	if (!rc)
		return 0;
	db_exec_keep_error(db, "ROLLBACK");
	return -1;
}

/* One chunk. oscar's session runs with innodb_lock_wait_timeout=0: it never
 * waits in a row lock queue, so it is never half of a deadlock over rows, in
 * which InnoDB would roll back the application's transaction (the lighter
 * one). (A request for the shadow's AUTO-INC table lock does queue, and InnoDB
 * looks for a cycle before it gives up: hence no INSERT ... SELECT while
 * others write on such a table, unless --copy-method=server.) The fast
 * path copies the whole range at once; if any row or gap is locked it fails at
 * once. Most such failures are the shadow's AUTO-INC lock, which application
 * inserts hold for one statement right after a copy statement ended (InnoDB
 * hands it to them as a table lock while the copy holds or wants it): the fast
 * path is tried once more a moment later, and only then is the chunk done on
 * the slow path, which skips locked rows. */
static int chunk_copy(struct migration *m, const char *range, bool client, long long max_stmt, long *rows,
		      long *skipped)
{
	struct db *db = m->db;
	*skipped = 0;
	/* 1969: a fenced statement that did not get the bound's lock in time
	 * (while others write), or ran longer than expected (while nobody
	 * does: then tried once more with twice the time, and the next
	 * chunks expect as long) */
	if (!chunk_fast(m, range, client, max_stmt, rows))
		return 0;
	if (db->err != 1205 && db->err != 1969)
		return -1;
	if (db->err == 1969 && fence_mode && !fence_others) {
		fence_last = fence_limit;
		fence_limit = fence_limit * 2 > 30 ? 30 : fence_limit * 2;
	}
	sleep_s(0.002);
	if (!chunk_fast(m, range, client, max_stmt, rows))
		return 0;
	if (db->err != 1205 && db->err != 1969)
		return -1;
	/* which rows SKIP LOCKED passes over is not repeatable on a replica */
	if (binlog_copy_rows(m))
		return -1;
	int rc = chunk_copy_skipping(m, range, client, max_stmt, rows, skipped);
	if (binlog_copy_statements(m))
		return -1;
	return rc;
}

/* the parallel copy's transactions count their retries from several threads */
static pthread_mutex_t stats_mu = PTHREAD_MUTEX_INITIALIZER;

/* One transaction of the copy: the rows after lower up to upper (NULL: to
 * the end), retried when it gives way to the application's locks. */
static int copy_tx(struct migration *m, const struct keyval *lower, const struct keyval *upper, bool client,
		   long long max_stmt, bool shrinkable, long *rows, long *skipped)
{
	struct sbuf q = SBUF_INIT;
	if (range_sql(&q, m, lower, upper)) {
		log_error("key value of an unexpected form in '%s'", m->table);
		sb_free(&q);
		return -1;
	}
	int rc = -1;
	double backoff = 0.05;
	for (int attempt = 1; attempt <= opt.chunk_retries; attempt++) {
		rc = chunk_copy(m, sb_str(&q), client, max_stmt, rows, skipped);
		if (rc == 0 || db_last_class(m->db) != ERR_RETRY || oscar_abort)
			break;
		/* on Galera a 1213 is mostly a lost certification: the same range
		 * again would meet the same writers, a smaller one less of them
		 * (the caller splits it) */
		if (shrinkable && db_galera && m->db->err == 1213) {
			struct sbuf ev;
			ev_begin(&ev, "chunk_retry");
			ev_int(&ev, "attempt", attempt);
			ev_int(&ev, "errno", m->db->err);
			ev_bool(&ev, "smaller", true);
			ev_end(&ev);
			sb_free(&q);
			return 1;
		}
		/* oscar's statement is the one to give way: retry it, never the application's */
		log_warn("chunk attempt %d: errno %u (%s), retrying", attempt, m->db->err, m->db->errmsg);
		pthread_mutex_lock(&stats_mu);
		stats_retry_errno(m->db->err);
		pthread_mutex_unlock(&stats_mu);
		struct sbuf ev;
		ev_begin(&ev, "chunk_retry");
		ev_int(&ev, "attempt", attempt);
		ev_int(&ev, "errno", m->db->err);
		ev_end(&ev);
		sleep_s(backoff);
		backoff = backoff * 2 > 1 ? 1 : backoff * 2;
	}
	if (rc)
		log_error("copying a chunk failed: %s", db_error_text(m->db));
	sb_free(&q);
	return rc;
}

/* The copy transactions' rate, smoothed: it sizes the next ones while others
 * write. */
static void tx_rate_add(double *rate, long rows, double secs)
{
	if (rows < CTL_MIN_CHUNK || secs <= 1e-4)
		return;
	double r = (double)rows / secs;
	*rate = *rate > 0 ? 0.5 * *rate + 0.5 * r : r;
}

/* After a copy transaction (or a round of them) that moved *lower: the
 * chunk's end so far, for the job state; EXIT_SIGNAL when a signal came. */
static int tx_done(const struct keyval *lower, struct keyval *upper, int more)
{
	if (more) {
		keyval_free(upper);
		keyval_copy(upper, lower);
	}
	return oscar_abort ? EXIT_SIGNAL : 0;
}

/* The parallel copy. While the application writes, the copy competes with
 * its threads for the server's CPU, one connection against many, and the
 * triggers tax every application write for as long as the copy lasts: most of
 * what a run takes from the application is that tax times the run's length
 * (docs/cost.md). So while others write, the transactions of a chunk run in
 * several connections at once, each on its own key range, each exactly as a
 * single one would (shared locks on its rows, never waiting in a lock queue):
 * the copy takes a larger share and ends sooner. Rounds end together, so the
 * job state's position still has every row before it copied. Not on Galera,
 * where more concurrent copy transactions would mostly lose certifications. */
struct copy_worker {
	struct db db;
	struct migration m; /* the run's, on this connection */
};
static struct copy_worker workers[COPY_MAX_THREADS]; /* [0] is the run's own connection */
static int nworkers;                                 /* further connections open */

struct copy_job {
	struct migration *m;
	const struct keyval *lower, *upper;
	bool client;
	long long max_stmt;
	int rc;
	long rows, skipped;
	double secs;
};

static void *copy_job_run(void *arg)
{
	struct copy_job *j = arg;
	double t0 = now_mono();
	j->rc = copy_tx(j->m, j->lower, j->upper, j->client, j->max_stmt, false, &j->rows, &j->skipped);
	j->secs = now_mono() - t0;
	return NULL;
}

/* Connections in all while others write: --copy-threads, or by default
 * twice the server's cores (2 to COPY_MAX_THREADS), set by
 * copy_threads_auto. One copy connection among many application threads gets
 * a small share of the CPU, and the run then lasts long: what a run takes
 * from the application is mostly the triggers' tax on every write times the
 * run's length (docs/cost.md, fifth session: on 2 cores, one connection took
 * 29-36 s and three 19 s, the worst p99 latency 19-23 ms either way). */
static int auto_threads = 1;

static volatile bool single_stream;

static int copy_threads(void)
{
	/* fenced statements would only queue behind one another, and so would
	 * unfenced INSERT ... SELECT statements on the AUTO-INC lock */
	if (db_galera || fence_mode || single_stream)
		return 1;
	return opt.copy_threads > 0 ? opt.copy_threads : auto_threads;
}

/* MariaDB sizes thread_pool_size to the machine's processors unless told
 * otherwise: the nearest thing to the server's core count that SQL shows.
 * Elsewhere 2 cores are assumed. */
static void copy_threads_auto(struct db *db)
{
	long cpus = 2;
	MYSQL_RES *r = db_query_f(db, DB_SILENT, "SELECT @@GLOBAL.thread_pool_size");
	MYSQL_ROW row = r ? mysql_fetch_row(r) : NULL;
	if (row && row[0] && atol(row[0]) > 0)
		cpus = atol(row[0]);
	if (r)
		mysql_free_result(r);
	db->err = 0;
	long n = 2 * cpus;
	auto_threads = n < 2 ? 2 : n > COPY_MAX_THREADS ? COPY_MAX_THREADS : (int)n;
}

/* Opens the further connections, set up as the run's own copy session; a
 * connection that cannot be opened only makes the copy narrower. */
static void workers_open(struct migration *m, bool client)
{
	int want = copy_threads();
	while (1 + nworkers < want) {
		struct copy_worker *w = &workers[1 + nworkers];
		if (db_connect(&w->db, "copy")) {
			log_warn("copying in %d connection%s: cannot open another: %s", 1 + nworkers,
				 nworkers ? "s" : "", w->db.errmsg);
			return;
		}
		if (db_exec(&w->db, 0, w->db.mariadb ? "SET SESSION innodb_lock_wait_timeout=0"
						     : "SET SESSION innodb_lock_wait_timeout=1") ||
		    (!m->alter.adds_fk && db_exec(&w->db, 0, "SET SESSION foreign_key_checks=0")) ||
		    binlog_copy_attach(&w->db)) {
			log_warn("copying in %d connection%s: cannot set up another: %s", 1 + nworkers,
				 nworkers ? "s" : "", db_error_text(&w->db));
			db_close(&w->db);
			return;
		}
		w->m = *m;
		w->m.db = &w->db;
		nworkers++;
	}
	if (nworkers)
		log_info("others write: copying in %d connections at once%s", 1 + nworkers,
			 client && opt.copy_method != COPY_CLIENT
				 ? ", through the client (the shadow's AUTO-INC lock admits one INSERT ... SELECT at a time)"
				 : "");
}

static void workers_close(void)
{
	for (int i = 1; i <= nworkers; i++)
		db_close(&workers[i].db);
	nworkers = 0;
}

/* One round of the parallel copy: up to 1 + nworkers transactions of `want`
 * rows each after *lower, together at most `budget` rows, at once; *lower
 * moves to the end of the last. *more is 0 when the round reached the end.
 * Returns 0, or the exit status. */
static int copy_round(struct migration *m, struct keyval *lower, bool *have_lower, long want, long budget,
		      bool client, long long max_stmt, long *rows, long *skipped, int *txs, int *more,
		      double *tx_rate)
{
	struct keyval bounds[COPY_MAX_THREADS];
	struct copy_job jobs[COPY_MAX_THREADS];
	memset(bounds, 0, sizeof bounds);
	int nb = 0, rc = 0;
	long planned = 0;
	*more = 1;
	while (nb < 1 + nworkers && *more && planned < budget) {
		long w = budget - planned < want ? budget - planned : want;
		const struct keyval *lo = nb ? &bounds[nb - 1] : *have_lower ? lower : NULL;
		*more = next_boundary(m, lo, w, &bounds[nb]);
		if (*more < 0) {
			rc = EXIT_FAILED;
			break;
		}
		jobs[nb] = (struct copy_job){ .m = nb ? &workers[nb].m : m, .lower = lo,
					      .upper = *more ? &bounds[nb] : NULL, .client = client,
					      .max_stmt = max_stmt };
		nb++;
		planned += w;
	}
	if (!rc && nb && bound_cover(m, *more ? &bounds[nb - 1] : NULL))
		rc = EXIT_FAILED;
	pthread_t th[COPY_MAX_THREADS];
	bool started[COPY_MAX_THREADS] = { false };
	for (int i = 1; i < nb && !rc; i++)
		started[i] = !pthread_create(&th[i], NULL, copy_job_run, &jobs[i]);
	if (!rc && nb)
		copy_job_run(&jobs[0]);
	for (int i = 1; i < nb && !rc; i++) {
		if (started[i])
			pthread_join(th[i], NULL);
		else
			copy_job_run(&jobs[i]);
	}
	for (int i = 0; i < nb && !rc; i++)
		if (jobs[i].rc)
			rc = oscar_abort ? EXIT_SIGNAL : EXIT_FAILED;
	for (int i = 0; i < nb && !rc; i++) {
		*rows += jobs[i].rows;
		*skipped += jobs[i].skipped;
		(*txs)++;
		tx_rate_add(tx_rate, jobs[i].rows, jobs[i].secs);
	}
	if (!rc && *more && nb) {
		keyval_free(lower);
		keyval_copy(lower, &bounds[nb - 1]);
		*have_lower = true;
	}
	for (int i = 0; i < COPY_MAX_THREADS; i++)
		keyval_free(&bounds[i]);
	return rc;
}

/* Whether copy statements into the shadow take its table-level AUTO-INC
 * lock: INSERT ... SELECT does for a table with an AUTO_INCREMENT column
 * unless innodb_autoinc_lock_mode=2, and while one holds it, InnoDB gives
 * every other insert into the table the same lock. */
static bool autoinc_table_lock(struct migration *m)
{
	bool has_ai = false;
	for (int i = 0; i < m->shadow.ncols; i++)
		has_ai |= m->shadow.cols[i].auto_increment;
	if (!has_ai)
		return false;
	char *mode = db_scalar(m->db, "SELECT @@innodb_autoinc_lock_mode", NULL);
	bool interleaved = mode && !strcmp(mode, "2");
	free(mode);
	return !interleaved;
}

bool copy_fenced(struct migration *m)
{
	/* several connections asked for copy through the client instead:
	 * fenced statements would only queue behind one another */
	return opt.copy_method != COPY_CLIENT && opt.copy_threads <= 1 && bound_active() && m->db->mariadb &&
	       autoinc_table_lock(m);
}

/* The copy's state from chunk to chunk. */
struct copy_state {
	struct migration *m;
	struct controller ctl;
	struct keyval lower; /* the copy's position: every row up to it is copied */
	bool have_lower;
	double t_start, last_state, last_throttle;
	long long estimate;
	/* how the rows go to the shadow (copy_method_choose) */
	bool adaptive, client, parallel_client;
	long long max_stmt; /* bytes per statement through the client */
	/* whether other sessions write (assumed until the first chunk says), and
	 * the copy's rate, which sizes its transactions while they do */
	bool writers, writers_known, workers_tried;
	/* fenced transactions, and those whose end was estimated, not read */
	long long fenced_txs, estimated_txs;
	double tx_rate, last_writes_check;
	long long chg_before, rows_since_check; /* inserts are counted with the changes */
	/* chunk ends by key density (key_density_init) */
	bool int_key;
	long double key_max, density;
};

/* One chunk of the copy. */
struct chunk {
	long size;           /* rows asked for */
	long tx_rows;        /* rows per transaction */
	struct keyval upper; /* the chunk's end so far, for the job state */
	long rows, skipped;
	int more; /* 0: the chunk reached the end of the table */
	int txs;
	long double lo_num; /* the key it starts after, as a number, for the density */
	bool from_num, estimated;
	double t0;
};

/* auto: INSERT ... SELECT (about half the server's work per row) while
 * nobody else writes; while others write, through the client if the
 * shadow has AUTO-INC table locking. An INSERT ... SELECT then holds that
 * lock for its whole statement, and while it holds or wants it InnoDB
 * hands the same table lock to every mirrored application write
 * (REPLACE and INSERT into the shadow) until that statement ends: an
 * application statement that then waits for another transaction's row
 * lock (a multi-row statement, a secondary unique key) makes a cycle the
 * table alone never has, and InnoDB rolls an application transaction
 * back. The client's INSERT ... VALUES is a simple insert and never
 * takes it. --copy-method=server takes that risk to finish sooner
 * (docs/cost.md). */
static void copy_method_choose(struct copy_state *s)
{
	/* Unless the bound table can fence the copy's statements off from the
	 * mirrored writes (bound_fence): then no application statement takes
	 * the AUTO-INC lock while the copy holds it, and INSERT ... SELECT is
	 * as safe as the client's simple inserts. Fenced always, even while
	 * nobody seems to write: the lock is free then, and writes that begin
	 * between two looks find every copy statement fenced. */
	/* While the triggers log keys (keylog.c) nothing but the copy writes
	 * into the shadow: no fence, and one connection where INSERT ... SELECT
	 * takes the AUTO-INC lock (several would only queue on it). */
	bool logging = s->m->log_during_copy, ai = autoinc_table_lock(s->m);
	fence_mode = !logging && copy_fenced(s->m);
	single_stream = logging && ai && opt.copy_threads == 0;
	bool table_lock = !fence_mode && opt.copy_method != COPY_CLIENT && ai;
	s->adaptive = opt.copy_method == COPY_AUTO && table_lock && !logging;
	s->client = opt.copy_method == COPY_CLIENT || s->adaptive;
	/* Several copy connections at once would queue on that lock one behind
	 * the other (and, never waiting, fail): the parallel rounds copy
	 * through the client. */
	s->parallel_client = s->client || (copy_threads() > 1 && table_lock);
}

/* With one integer key column and nobody else writing, a chunk's end is
 * estimated from the key density of the chunk before (key values per
 * row) instead of found by reading `size` keys. Only where the keys are
 * nearly contiguous (at most 2 values per row, as AUTO_INCREMENT keys
 * are): every row takes at least one value, so an estimated chunk holds
 * at most twice the rows asked for, whatever comes next. A chunk that
 * finds no row falls back to reading the keys. Returns 0, or -1 when the
 * key's maximum cannot be read. */
int key_max_number(struct migration *m, long double *max)
{
	if (m->key.n != 1 || (m->key.kinds[0] != KK_INT && m->key.kinds[0] != KK_UINT))
		return 0;
	char *v;
	if (catalog_column_max(m->db, m->schema, m->table, m->key.old_cols[0], &v))
		return -1;
	unsigned long l = v ? strlen(v) : 0;
	struct keyval kv = { 1, &v, &l };
	int rc = v && keyval_to_number(&kv, max) ? 1 : 0;
	free(v);
	return rc;
}

static int key_density_init(struct copy_state *s)
{
	s->int_key = false;
	if (s->ctl.fixed)
		return 0;
	int rc = key_max_number(s->m, &s->key_max);
	s->int_key = rc == 1;
	return rc < 0 ? -1 : 0;
}

/* Sets up the copy of the rows after start (all when NULL or empty) and its
 * session. Returns 0 or the exit status; copy_state_free either way. */
static int copy_state_init(struct copy_state *s, struct migration *m, const struct keyval *start)
{
	*s = (struct copy_state){ .m = m, .writers = true };
	ctl_init(&s->ctl, opt.chunk_time, opt.chunk_size);
	if (start && start->n == m->key.n) {
		keyval_copy(&s->lower, start);
		s->have_lower = true;
		log_info("resuming the copy after %lld rows", m->rows_copied);
	}
	s->t_start = now_mono();
	s->estimate = m->orig.rows_estimate;
	progress_begin(m->rows_copied, s->estimate);
	if (opt.copy_threads <= 0)
		copy_threads_auto(m->db);
	copy_method_choose(s);
	long long ins;
	if (db_row_writes(m->db, &ins, &s->chg_before) || key_density_init(s))
		return EXIT_FAILED;
	/* MySQL's minimum is 1 second */
	if (db_exec(m->db, 0, m->db->mariadb ? "SET SESSION innodb_lock_wait_timeout=0"
					     : "SET SESSION innodb_lock_wait_timeout=1"))
		return EXIT_FAILED;
	/* statements well under max_allowed_packet */
	char *map = db_scalar(m->db, "SELECT @@max_allowed_packet", NULL);
	s->max_stmt = map ? atoll(map) / 4 : 1 << 20;
	free(map);
	if (s->max_stmt > (8 << 20))
		s->max_stmt = 8 << 20;
	log_info("copying rows of '%s' (about %lld) by key '%s', %s", m->table, s->estimate, m->key.old_index,
		 s->adaptive ? "with INSERT ... SELECT, or through the client while others write"
		 : s->client ? "through the client"
		 : fence_mode	  ? "with INSERT ... SELECT, each statement behind the bound table's lock"
		 : m->log_during_copy ? "with INSERT ... SELECT beside the application's writes (the triggers log keys)"
				      : "with INSERT ... SELECT");
	return 0;
}

static void copy_state_free(struct copy_state *s)
{
	keyval_free(&s->lower);
}

/* Before a chunk: a pause or a signal, the control socket's settings, the
 * chunk's size and its transactions', and how its end is found. Returns 0,
 * or EXIT_SIGNAL. */
static int chunk_begin(struct copy_state *s, struct chunk *c)
{
	*c = (struct chunk){ .more = 1 };
	if (wait_while_paused() || oscar_abort)
		return EXIT_SIGNAL;
	/* settings changed on the control socket take effect here */
	control_apply();
	if (s->ctl.target != opt.chunk_time || s->ctl.fixed != (opt.chunk_size > 0) ||
	    (s->ctl.fixed && s->ctl.size != opt.chunk_size))
		ctl_retarget(&s->ctl, opt.chunk_time, opt.chunk_size);
	double lock_time = ctl_tx_seconds(opt.chunk_time, opt.max_lock_time);
	if (fence_mode && opt.max_lock_time <= 0 && lock_time > FENCED_TX_SECONDS)
		lock_time = FENCED_TX_SECONDS;
	/* a fenced statement runs about a transaction's time (the chunk's
	 * while nobody writes); three times that, its wait for the fence
	 * included, before it gives way to the slow path */
	double expect = s->writers ? lock_time : opt.chunk_time;
	if (expect < fence_last * 2)
		expect = fence_last * 2;
	fence_limit = expect * 3 < 0.1 ? 0.1 : expect * 3;
	c->size = s->ctl.size;
	/* While others write, the chunk is copied in several transactions of
	 * about --max-lock-time each: an application write that meets a row
	 * the copy has locked waits for one transaction, not the chunk. */
	c->tx_rows = c->size;
	if (s->writers) {
		double want = s->tx_rate > 0 ? s->tx_rate * lock_time : CTL_FIRST_CHUNK;
		if (want < 100)
			want = 100;
		if (want < (double)c->tx_rows)
			c->tx_rows = (long)want;
	}
	c->t0 = now_mono();
	c->from_num = s->int_key && s->have_lower && keyval_to_number(&s->lower, &c->lo_num);
	c->estimated = c->from_num && !s->writers && s->density > 0 && s->density <= 2;
	return 0;
}

/* The chunk's end estimated from the key density (key_density_init): one
 * transaction. Returns 0 or the exit status. */
static int chunk_by_density(struct copy_state *s, struct chunk *c)
{
	struct keyval hi = { 0, NULL, NULL };
	c->more = keyval_step(c->lo_num, c->size, s->density, s->key_max, &hi);
	int rc = bound_cover(s->m, c->more ? &hi : NULL);
	if (!rc)
		rc = copy_tx(s->m, &s->lower, c->more ? &hi : NULL, s->client, s->max_stmt, false, &c->rows,
			     &c->skipped);
	c->txs = 1;
	if (rc) {
		keyval_free(&hi);
		return oscar_abort ? EXIT_SIGNAL : EXIT_FAILED;
	}
	if (c->more) {
		keyval_free(&s->lower);
		s->lower = hi;
		keyval_copy(&c->upper, &s->lower);
	}
	return 0;
}

/* The chunk in rounds of the parallel copy, each transaction's end read. */
static int chunk_in_rounds(struct copy_state *s, struct chunk *c)
{
	while (c->rows < c->size && c->more) {
		int rc = copy_round(s->m, &s->lower, &s->have_lower, c->tx_rows, c->size - c->rows, s->parallel_client,
				    s->max_stmt, &c->rows, &c->skipped, &c->txs, &c->more, &s->tx_rate);
		if (!rc)
			rc = tx_done(&s->lower, &c->upper, c->more);
		if (rc)
			return rc;
	}
	return 0;
}

/* The chunk in transactions one after the other, each one's end read. */
static int chunk_in_transactions(struct copy_state *s, struct chunk *c)
{
	struct migration *m = s->m;
	int cert_losses = 0;
	while (c->rows < c->size && c->more) {
		long want = c->size - c->rows < c->tx_rows ? c->size - c->rows : c->tx_rows;
		struct keyval sub = { 0, NULL, NULL };
		/* A fenced transaction's end from the key density, as an idle
		 * chunk's (chunk_by_density): a read of the range and a round
		 * trip less per transaction. Not past the key's maximum at the
		 * start, above which the application's new rows may be many:
		 * read there. The read was also the moment between two fenced
		 * statements in which the held application statements ran
		 * (estimated and back to back, the worst p99 went to 670-802 ms
		 * in make bench; docs/cost.md, fifth session), so that moment is
		 * now a pause of its own, which costs the server nothing. */
		long double lo_num;
		bool est = (fence_mode || m->log_during_copy) && s->writers && s->int_key && s->have_lower && s->density > 0 &&
			   s->density <= 2 && keyval_to_number(&s->lower, &lo_num) &&
			   keyval_step(lo_num, want, s->density, s->key_max, &sub) == 1;
		if (est) {
			if (fence_mode)
				sleep_s(fence_gap());
			s->estimated_txs++;
		}
		if (fence_mode && s->writers)
			s->fenced_txs++;
		c->more = est ? 1 : next_boundary(m, s->have_lower ? &s->lower : NULL, want, &sub);
		int rc = c->more < 0 ? -1 : 0;
		long got = 0, skip = 0;
		double tx0 = now_mono();
		if (!rc)
			rc = bound_cover(m, c->more ? &sub : NULL);
		if (!rc)
			rc = copy_tx(m, s->have_lower ? &s->lower : NULL, c->more ? &sub : NULL, s->client, s->max_stmt,
				     want > CTL_MIN_CHUNK && cert_losses < opt.chunk_retries, &got, &skip);
		if (rc == 1) {
			/* lost a certification: the same rows again in a transaction
			 * half as large, and the next ones sized down too */
			cert_losses++;
			c->tx_rows = want / 2 > CTL_MIN_CHUNK ? want / 2 : CTL_MIN_CHUNK;
			s->tx_rate /= 2;
			keyval_free(&sub);
			c->more = 1;
			sleep_s(0.01 * cert_losses);
			continue;
		}
		cert_losses = 0;
		if (rc) {
			keyval_free(&sub);
			return oscar_abort ? EXIT_SIGNAL : EXIT_FAILED;
		}
		tx_rate_add(&s->tx_rate, got, now_mono() - tx0);
		c->rows += got;
		c->skipped += skip;
		c->txs++;
		if (c->more) {
			keyval_free(&s->lower);
			s->lower = sub;
			s->have_lower = true;
		}
		if ((rc = tx_done(&s->lower, &c->upper, c->more)))
			return rc;
	}
	return 0;
}

/* The chunk's transactions' ends read with next_boundary: in rounds of
 * several connections while others write and --copy-threads asks for
 * them, else one after the other. Returns 0 or the exit status. */
static int chunk_by_boundaries(struct copy_state *s, struct chunk *c)
{
	if (s->writers && !nworkers && copy_threads() > 1 && !s->workers_tried) {
		s->workers_tried = true;
		workers_open(s->m, s->parallel_client);
	}
	if (s->writers && nworkers > 0)
		return chunk_in_rounds(s, c);
	return chunk_in_transactions(s, c);
}

/* Whether others write, after a chunk of `rows` that took secs: others' row
 * changes since the last look, where ours are `rows` inserts plus a few for
 * the job state and the replica heartbeat. At most every 0.2 s: tiny chunks
 * would otherwise pay a status query each. */
static void observe_writers(struct copy_state *s, long rows, double secs)
{
	long long ins, now_chg;
	s->rows_since_check += rows;
	if (now_mono() - s->last_writes_check < 0.2 && secs < 0.2)
		return;
	if (db_row_writes(s->m->db, &ins, &now_chg))
		return;
	/* on Galera the writers that matter most are on other nodes:
	 * their writesets certify against every copy transaction */
	bool others = now_chg - s->chg_before > s->rows_since_check + 10 || db_galera;
	/* said once when first measured, then on every change */
	if (!s->writers_known || others != s->writers)
		log_info("%s", others ? "other sessions write: copying in transactions of about --max-lock-time"
				      : "no other writes: one transaction per chunk");
	bool first = !s->writers_known;
	s->writers = others;
	s->writers_known = true;
	fence_others = others;
	if (s->adaptive && (first || s->client != s->writers)) {
		log_info("%s", s->writers ? "others write: copying through the client (no AUTO-INC table lock)"
					  : "nobody else writes: copying with INSERT ... SELECT");
		s->client = s->writers;
	}
	s->chg_before = now_chg;
	s->rows_since_check = 0;
	s->last_writes_check = now_mono();
}

/* After a chunk that took secs: the density for the next, the counts,
 * whether others write, the next size, progress, statistics and the chunk
 * event. */
static void chunk_report(struct copy_state *s, const struct chunk *c, double secs)
{
	struct migration *m = s->m;
	s->density = c->from_num && c->more ? keyval_density(c->lo_num, &s->lower, c->rows) : 0;
	m->rows_copied += c->rows;
	m->chunks++;
	observe_writers(s, c->rows, secs);
	long next = ctl_next(&s->ctl, c->rows, secs);
	if (m->rows_copied > s->estimate)
		s->estimate = m->rows_copied;
	progress_chunk(c->rows, secs);
	stats_chunk(secs, s->ctl.fixed ? 0 : s->ctl.target);
	double rate = progress_rate();
	struct sbuf ev;
	ev_begin(&ev, "chunk");
	ev_int(&ev, "chunk", m->chunks);
	ev_int(&ev, "chunk_rows", c->rows);
	ev_num(&ev, "chunk_s", secs);
	ev_int(&ev, "chunk_size", c->size);
	ev_int(&ev, "next_chunk_size", next);
	ev_int(&ev, "rows_copied", m->rows_copied);
	ev_int(&ev, "rows_estimated", s->estimate);
	ev_int(&ev, "rows_skipped_locked", c->skipped);
	ev_int(&ev, "transactions", c->txs);
	ev_end(&ev);
	progress_update(m->rows_copied, s->estimate, next, NULL);
	control_set_progress(m->rows_copied, s->estimate, rate, progress_eta(m->rows_copied, s->estimate), next);
}

/* After a chunk that took secs, with more to copy: the job state, the stop
 * at --max-runtime and the throttle. Returns 0 to go on, EXIT_INCOMPLETE at
 * --max-runtime, or the throttle's exit status. */
static int after_chunk(struct copy_state *s, const struct chunk *c, double secs)
{
	struct migration *m = s->m;
	/* After the commit: the state may lag the copy, never lead it. Once
	 * a second is enough (tiny chunks would otherwise pay a write each). */
	double now = now_mono();
	bool stopping = opt.max_runtime > 0 && now - m->run_started > opt.max_runtime;
	if (stopping || now - s->last_state >= 1.0 || m->chunks == 3) {
		if (state_progress(m, &c->upper))
			log_warn("cannot record progress: %s", db_error_text(m->db));
		s->last_state = now;
	}
	if (m->chunks == 3)
		fault_point("mid-copy");
	if (stopping) {
		progress_stopped();
		/* the session's setting back to the connection default: the run
		 * ends here and the next statements are the state's, so a failure
		 * is only worth a warning */
		if (db_exec(m->db, DB_SILENT, "SET SESSION innodb_lock_wait_timeout=1"))
			log_warn("cannot reset innodb_lock_wait_timeout: %s", db_error_text(m->db));
		return EXIT_INCOMPLETE;
	}
	/* load and replicas: after every chunk, or every 0.2 s for tiny ones */
	int rc = 0;
	if (now - s->last_throttle >= 0.2 || secs >= 0.2) {
		rc = throttle_wait(m->db, m->rows_copied, s->estimate);
		s->last_throttle = now_mono();
	}
	return rc;
}

/* The copy's end: the session's setting back, the time it took. */
static int copy_end(struct copy_state *s)
{
	struct migration *m = s->m;
	progress_done();
	if (db_exec(m->db, 0, "SET SESSION innodb_lock_wait_timeout=1"))
		return EXIT_FAILED;
	m->copy_seconds = now_mono() - s->t_start;
	log_info("copied %lld rows in %lld chunks, %.2f s", m->rows_copied, m->chunks, m->copy_seconds);
	if (s->fenced_txs)
		log_info("fenced transactions while others wrote: %lld, %lld of them with their end estimated from the "
			 "key density", s->fenced_txs, s->estimated_txs);
	return 0;
}

/* Copies chunk after chunk, each sized by the controller, until the end of
 * the table, a stop or a failure. Returns 0 or the exit status. */
static int copy_chunks(struct migration *m, const struct keyval *start, chunk_hook hook)
{
	struct copy_state s;
	int rc = copy_state_init(&s, m, start);
	bool end = false;
	while (!rc && !end) {
		struct chunk c;
		struct keyval from = { 0, NULL, NULL };
		bool had_lower = s.have_lower;
		if (hook && had_lower)
			keyval_copy(&from, &s.lower);
		rc = chunk_begin(&s, &c);
		if (!rc)
			rc = c.estimated ? chunk_by_density(&s, &c) : chunk_by_boundaries(&s, &c);
		if (!rc) {
			double secs = now_mono() - c.t0;
			chunk_report(&s, &c, secs);
			end = !c.more;
			/* before the job state records the chunk: a resumed run never
			 * starts after a range this one did not check */
			if (hook)
				rc = hook(m, had_lower ? &from : NULL, c.more ? &s.lower : NULL);
			if (!rc && !end)
				rc = after_chunk(&s, &c, secs);
		}
		keyval_free(&from);
		keyval_free(&c.upper);
	}
	if (!rc)
		rc = copy_end(&s);
	copy_state_free(&s);
	return rc;
}

/* Copies the rows after start (all rows when start is NULL or empty). */
int copy_rows(struct migration *m, const struct keyval *start, chunk_hook per_chunk)
{
	if (binlog_copy_begin(m))
		return EXIT_FAILED;
	/* The rows already satisfy the table's own foreign keys (the shadow has
	 * the same), and checking them again would share-lock every parent row a
	 * chunk refers to. Only a foreign key the ALTER adds is checked, as the
	 * server's own ALTER would: a violating row then fails the run. */
	bool unchecked = !m->alter.adds_fk;
	if (unchecked && db_exec(m->db, 0, "SET SESSION foreign_key_checks=0"))
		return EXIT_FAILED;
	int rc = copy_chunks(m, start, per_chunk);
	ins_ps_drop_all();
	workers_close();
	if (unchecked && db_exec(m->db, 0, "SET SESSION foreign_key_checks=1") && !rc)
		rc = EXIT_FAILED;
	if (binlog_copy_end(m) && !rc)
		rc = EXIT_FAILED;
	return rc;
}
