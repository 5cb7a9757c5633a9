/* verify: before the swap, the shadow is compared with the table chunk by
 * chunk, each chunk of both inside one consistent snapshot (the triggers keep
 * the two in step transactionally, so a snapshot sees them equal). A chunk
 * that differs is copied again and checked again; a chunk that still differs
 * stops the swap and names the keys. */
#include "verify.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "controller.h"
#include "keyval.h"
#include "log.h"
#include "options.h"
#include "clock.h"
#include "copy.h"

static bool is_int_type(const char *d)
{
	return !strcasecmp(d, "tinyint") || !strcasecmp(d, "smallint") || !strcasecmp(d, "mediumint") ||
	       !strcasecmp(d, "int") || !strcasecmp(d, "bigint");
}

/* Columns whose values compare as text in both shapes: same type, integers
 * widened, or character data (compared after conversion to utf8mb4). */
static bool comparable(const struct column *a, const struct column *b)
{
	if (!a || !b)
		return false;
	if (!strcasecmp(a->column_type, b->column_type) && !a->charset == !b->charset)
		return true;
	if (is_int_type(a->data_type) && is_int_type(b->data_type))
		return true;
	return a->charset && b->charset && strcasecmp(a->data_type, "enum") && strcasecmp(a->data_type, "set") &&
	       strcasecmp(b->data_type, "enum") && strcasecmp(b->data_type, "set");
}

/* CRC32 of a row's compared columns, NULL-aware (CONCAT_WS skips NULLs, so
 * each column that may hold NULL in either shape adds its ISNULL; a column
 * NOT NULL in both needs none, and the two sides build the same list).
 * Character columns are converted to utf8mb4 only where the two shapes'
 * character sets differ: the conversion costs several times the checksum
 * itself. */
static void row_crc(struct sbuf *q, char **cols, const struct column **defs, const struct column **other, int n)
{
	sb_add(q, "CRC32(CONCAT_WS('#'");
	for (int i = 0; i < n; i++) {
		sb_add(q, ", ");
		if (defs[i]->charset &&
		    (!other[i]->charset || strcasecmp(defs[i]->charset, other[i]->charset))) {
			sb_add(q, "CONVERT(");
			sb_ident(q, cols[i]);
			sb_add(q, " USING utf8mb4)");
		} else {
			sb_ident(q, cols[i]);
		}
	}
	sb_add(q, ", CONCAT(''");
	for (int i = 0; i < n; i++) {
		if (!defs[i]->nullable && !other[i]->nullable)
			continue;
		sb_add(q, ", ISNULL(");
		sb_ident(q, cols[i]);
		sb_add(q, ")");
	}
	sb_add(q, ")))");
}

struct sides {
	int n;
	char **from, **to;
	const struct column **fdef, **tdef;
	int skipped;
};

static void sides_init(struct sides *s, struct migration *m)
{
	memset(s, 0, sizeof *s);
	s->from = xcalloc((size_t)m->map.n, sizeof *s->from);
	s->to = xcalloc((size_t)m->map.n, sizeof *s->to);
	s->fdef = xcalloc((size_t)m->map.n, sizeof *s->fdef);
	s->tdef = xcalloc((size_t)m->map.n, sizeof *s->tdef);
	for (int i = 0; i < m->map.n; i++) {
		const struct column *a = table_column(&m->orig, m->map.from[i]);
		const struct column *b = table_column(&m->shadow, m->map.to[i]);
		if (!comparable(a, b)) {
			log_info("verify: column '%s' changes type, not compared", m->map.to[i]);
			s->skipped++;
			continue;
		}
		s->from[s->n] = m->map.from[i];
		s->to[s->n] = m->map.to[i];
		s->fdef[s->n] = a;
		s->tdef[s->n] = b;
		s->n++;
	}
}

static void sides_free(struct sides *s)
{
	free(s->from);
	free(s->to);
	free((void *)s->fdef);
	free((void *)s->tdef);
}

/* "SELECT COUNT(*), BIT_XOR(crc) <range>" for one side. */
static int chunk_sum(struct migration *m, const struct sides *s, bool shadow, const struct keyval *lo,
		     const struct keyval *hi, char out[64])
{
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "SELECT CONCAT(COUNT(*), '/', COALESCE(BIT_XOR(");
	row_crc(&q, shadow ? s->to : s->from, shadow ? s->tdef : s->fdef, shadow ? s->fdef : s->tdef, s->n);
	sb_add(&q, "), 0))");
	if (range_sql_on(&q, m, shadow ? SHADOW_SIDE : TABLE_SIDE, lo, hi)) {
		sb_free(&q);
		return -1;
	}
	bool found;
	char *v = db_scalar(m->db, sb_str(&q), &found);
	sb_free(&q);
	if (!found) {
		free(v);
		return -1;
	}
	snprintf(out, 64, "%s", v ? v : "");
	free(v);
	return 0;
}

/* Both sums inside one consistent snapshot. 1 when equal, 0 when not, -1 on error. */
static int chunk_equal(struct migration *m, const struct sides *s, const struct keyval *lo,
		       const struct keyval *hi, long *rows)
{
	char a[64], b[64];
	if (db_exec(m->db, DB_SILENT, "START TRANSACTION WITH CONSISTENT SNAPSHOT"))
		return -1;
	int rc = chunk_sum(m, s, false, lo, hi, a) || chunk_sum(m, s, true, lo, hi, b) ? -1 : 0;
	db_exec_keep_error(m->db, "COMMIT");
	if (rc)
		return -1;
	*rows = atol(a);
	return strcmp(a, b) == 0;
}

/* One transaction of the copy again: with the table's rows share-locked,
 * no trigger can change the shadow's rows of the range, so delete and copy
 * are exact. 0, or -1 with the error in m->db. */
static int recopy_tx(struct migration *m, const char *table_range, const char *shadow_range)
{
	struct sbuf q = SBUF_INIT;
	long rows;
	sb_add(&q, "SELECT COUNT(*)");
	sb_add(&q, table_range);
	sb_add(&q, " LOCK IN SHARE MODE");
	int rc = db_exec(m->db, DB_SILENT, "START TRANSACTION");
	if (!rc)
		rc = db_exec(m->db, DB_SILENT, sb_str(&q));
	if (!rc) {
		sb_reset(&q);
		sb_add(&q, "DELETE");
		sb_add(&q, shadow_range);
		rc = db_exec(m->db, DB_SILENT, sb_str(&q));
	}
	if (!rc)
		rc = chunk_server(m, table_range, " LOCK IN SHARE MODE", &rows);
	if (!rc)
		rc = db_exec(m->db, DB_SILENT, "COMMIT");
	if (rc)
		db_exec_keep_error(m->db, "ROLLBACK");
	sb_free(&q);
	return rc;
}

/* The range (lo, hi] of about `size` rows copied again. A range that keeps
 * losing to others' writes (lock waits, deadlocks, and on a Galera node
 * certification against writers on other nodes, which a transaction of
 * thousands of rows nearly always meets) is halved: the first half ends
 * at the key size/2 rows after lo, the second is the rest up to hi. A
 * first half that reaches past hi (rows were deleted meanwhile) only
 * copies more rows again, which is as exact. */
static int range_recopy(struct migration *m, const struct keyval *lo, const struct keyval *hi, long size)
{
	struct sbuf ro = SBUF_INIT, rs = SBUF_INIT;
	int rc = -1;
	if (range_sql_on(&ro, m, TABLE_SIDE, lo, hi) || range_sql_on(&rs, m, SHADOW_NO_HINT, lo, hi))
		goto out;
	int tries = size > 100 ? 4 : 20;
	for (int attempt = 0; attempt < tries && rc && !oscar_abort; attempt++) {
		rc = recopy_tx(m, sb_str(&ro), sb_str(&rs));
		if (rc && db_last_class(m->db) != ERR_RETRY) {
			log_error("verify: copying the chunk again failed: %s", db_error_text(m->db));
			goto out;
		}
		if (rc)
			sleep_s(0.02 * (attempt + 1));
	}
	if (rc && size > 100 && !oscar_abort) {
		struct keyval mid = { 0, NULL, NULL };
		int more = next_boundary(m, lo, size / 2, &mid);
		if (more < 0)
			goto out;
		if (more == 0) {
			/* fewer rows than thought: the whole range, in smaller pieces */
			rc = range_recopy(m, lo, hi, size / 2);
		} else {
			rc = range_recopy(m, lo, &mid, size / 2);
			if (!rc)
				rc = range_recopy(m, &mid, hi, size - size / 2);
		}
		keyval_free(&mid);
	} else if (rc && !oscar_abort) {
		log_error("verify: copying the chunk again failed: %s", db_error_text(m->db));
	}
out:
	sb_free(&ro);
	sb_free(&rs);
	return rc;
}

/* Copies the chunk (lo, hi] of about `rows` rows again. The rows come back
 * as the table has them: checks would refuse a row whose parent in the same
 * table is not back yet, and a shadow's reference to itself would cascade
 * the delete to rows of other chunks. Both settings are put back as they
 * were: during the copy (--verify-at=copy) its session checks no foreign
 * keys and waits for no row lock; the share locks here may wait a second,
 * as after the copy. */
static int chunk_recopy(struct migration *m, const struct keyval *lo, const struct keyval *hi, long rows)
{
	if (db_exec(m->db, 0, "SET @oscar_fk = @@session.foreign_key_checks, "
			      "@oscar_lwt = @@session.innodb_lock_wait_timeout, SESSION foreign_key_checks = 0, "
			      "SESSION innodb_lock_wait_timeout = GREATEST(1, @@session.innodb_lock_wait_timeout)"))
		return -1;
	int rc = range_recopy(m, lo, hi, rows > 0 ? rows : 1);
	if (db_exec(m->db, 0, "SET SESSION foreign_key_checks = @oscar_fk, SESSION innodb_lock_wait_timeout = @oscar_lwt"))
		rc = -1;
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "key=crc" strings of one side of a chunk, sorted; keys printed as text with
 * anything unprintable as \xNN. */
static char **row_list(struct migration *m, const struct sides *s, bool shadow, const struct keyval *lo,
		       const struct keyval *hi, size_t *n)
{
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "SELECT ");
	char **keys = shadow ? m->key.new_cols : m->key.old_cols;
	for (int i = 0; i < m->key.n; i++) {
		sb_ident(&q, keys[i]);
		sb_add(&q, ", ");
	}
	row_crc(&q, shadow ? s->to : s->from, shadow ? s->tdef : s->fdef, shadow ? s->fdef : s->tdef, s->n);
	if (range_sql_on(&q, m, shadow ? SHADOW_SIDE : TABLE_SIDE, lo, hi)) {
		sb_free(&q);
		return NULL;
	}
	MYSQL_RES *r = db_query(m->db, sb_str(&q));
	sb_free(&q);
	if (!r)
		return NULL;
	*n = 0;
	char **v = xcalloc((size_t)mysql_num_rows(r) + 1, sizeof *v);
	MYSQL_ROW row;
	while ((row = mysql_fetch_row(r))) {
		unsigned long *len = mysql_fetch_lengths(r);
		struct sbuf e = SBUF_INIT;
		sb_add(&e, "(");
		for (int i = 0; i < m->key.n; i++) {
			if (i)
				sb_add(&e, ", ");
			for (unsigned long j = 0; row[i] && j < len[i]; j++) {
				unsigned char c = (unsigned char)row[i][j];
				if (c < 0x20 || c == 0x7f || c == '\\')
					sb_addf(&e, "\\x%02x", c);
				else
					sb_addn(&e, (const char *)&row[i][j], 1);
			}
		}
		sb_addf(&e, ")=%s", row[m->key.n] ? row[m->key.n] : "NULL");
		v[(*n)++] = sb_take(&e);
	}
	mysql_free_result(r);
	qsort(v, *n, sizeof *v, cmp_str);
	return v;
}

/* Up to ten differing keys of the range, both sides read in one snapshot;
 * as errors when final, else as warnings (a chunk about to be copied again:
 * which rows differed is what tells a bug from damage done by hand). */
static void report_differences(struct migration *m, const struct sides *s, const struct keyval *lo,
			       const struct keyval *hi, bool final)
{
	size_t na = 0, nb = 0;
	bool snap = !db_exec(m->db, DB_SILENT, "START TRANSACTION WITH CONSISTENT SNAPSHOT");
	char **a = row_list(m, s, false, lo, hi, &na);
	char **b = row_list(m, s, true, lo, hi, &nb);
	if (snap)
		db_exec_keep_error(m->db, "COMMIT");
	int shown = 0;
	size_t i = 0, j = 0;
	while ((i < na || j < nb) && shown < 10 && a && b) {
		int c = i == na ? 1 : j == nb ? -1 : strcmp(a[i], b[j]);
		if (c == 0) {
			i++;
			j++;
			continue;
		}
		/* the part before '=' is the key */
		const char *x = c < 0 ? a[i++] : b[j++];
		const char *eq = strrchr(x, '=');
		(final ? log_error : log_warn)("verify: key %.*s differs (%s)", (int)(eq ? eq - x : (long)strlen(x)), x,
					       c < 0 ? "as in the table" : "as in the shadow");
		shown++;
	}
	for (size_t k = 0; a && k < na; k++)
		free(a[k]);
	for (size_t k = 0; b && k < nb; k++)
		free(b[k]);
	free(a);
	free(b);
}

/* With one integer key column whose values are nearly contiguous (at most 2
 * per row, as AUTO_INCREMENT keys are), the chunks' ends are computed from
 * the density measured on the chunk before instead of read: the verification
 * then reads each table once, not the table a third time for its boundaries.
 * The largest key at the start ends the arithmetic; the last chunk is open,
 * so rows inserted above it are compared too. */
struct key_steps {
	bool on;
	long double max, density;
};

static void key_steps_init(struct key_steps *ks, struct migration *m)
{
	memset(ks, 0, sizeof *ks);
	ks->on = key_max_number(m, &ks->max) == 1;
}

/* The next chunk's end after lower, computed when the density allows: 1 with
 * *upper set, 0 for the open last chunk, -1 when it must be read. */
static int key_steps_next(const struct key_steps *ks, const struct keyval *lower, long size, struct keyval *upper)
{
	long double lo;
	if (!ks->on || !lower || ks->density <= 0 || ks->density > 2 || !keyval_to_number(lower, &lo))
		return -1;
	return keyval_step(lo, size, ks->density, ks->max, upper);
}

/* After a chunk (lower, upper] of `rows` rows: the density for the next. */
static void key_steps_seen(struct key_steps *ks, const struct keyval *lower, const struct keyval *upper, long rows)
{
	long double lo;
	ks->density = ks->on && lower && keyval_to_number(lower, &lo) ? keyval_density(lo, upper, rows) : 0;
}

/* One range compared: 1 when equal (after copying it again if it differed;
 * with report_only, the differences are logged and it counts as equal), 0
 * when it still differs, -1 on error. */
static int check_range(struct migration *m, const struct sides *s, const struct keyval *lo, const struct keyval *hi,
		       long long nth, long *rows, long long *mismatched)
{
	int eq = chunk_equal(m, s, lo, hi, rows);
	if (eq == 0 && m->report_only) {
		(*mismatched)++;
		report_differences(m, s, lo, hi, true);
		eq = 1;
	} else if (eq == 0) {
		(*mismatched)++;
		log_warn("verify: chunk %lld differs; copying it again", nth);
		report_differences(m, s, lo, hi, false);
		if (chunk_recopy(m, lo, hi, *rows) == 0)
			eq = chunk_equal(m, s, lo, hi, rows);
		else
			eq = -1;
		if (eq == 0) {
			report_differences(m, s, lo, hi, true);
			db_set_error(m->db, 0, "HY000", "verification failed: the shadow differs from the table", NULL);
			log_error("verification failed: '%s' differs from '%s' even after copying the chunk again; "
				  "the swap is not done", m->names.shadow, m->table);
		}
	}
	return eq;
}

/* Verification during the copy (--verify-at=copy): every chunk compared
 * right after its copy committed, while the pages of both sides are still
 * in the buffer pool. A table larger than the pool is otherwise read from
 * disk twice more after the copy, which costs more than the copy itself
 * once the two tables outgrow it. The comparison runs in a connection and
 * thread of its own, a few chunks behind the copy, which waits for it only
 * when it falls that far behind (so the pages stay in memory); on two or
 * more cores it costs the copy no time. What it guarantees differs: each
 * range is compared once, when its copy ends, and the triggers keep it in
 * step from then on (the triggers' own correctness is what a comparison
 * just before the swap would check again). */
#define DURING_QUEUE 4

static struct {
	bool on, thread_started, stop, failed;
	struct sides s;
	struct db db;
	struct migration m; /* the run's, on this connection */
	long long rows, chunks, repaired;
	double secs;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	/* ranges copied and not compared yet, oldest first; an end of no
	 * columns is the table's start or end */
	struct keyval lo[DURING_QUEUE], hi[DURING_QUEUE];
	int head, count;
	char error[512];
} during = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static long long buffer_pool_bytes(struct db *db)
{
	char *v = db_scalar(db, "SELECT @@innodb_buffer_pool_size", NULL);
	long long n = v ? atoll(v) : 0;
	free(v);
	return n;
}

static void *during_run(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&during.mu);
	for (;;) {
		while (!during.count && !during.stop)
			pthread_cond_wait(&during.cv, &during.mu);
		if (!during.count || during.failed)
			break;
		int i = during.head;
		struct keyval lo = during.lo[i], hi = during.hi[i];
		pthread_mutex_unlock(&during.mu);
		double t0 = now_mono();
		long rows = 0;
		long long repaired = 0;
		int eq = oscar_abort ? -1
				     : check_range(&during.m, &during.s, lo.n ? &lo : NULL, hi.n ? &hi : NULL,
						   during.chunks + 1, &rows, &repaired);
		pthread_mutex_lock(&during.mu);
		during.secs += now_mono() - t0;
		during.repaired += repaired;
		if (eq == 1) {
			during.rows += rows;
			during.chunks++;
		} else if (!during.failed) {
			during.failed = true;
			snprintf(during.error, sizeof during.error, "%s",
				 eq == 0 ? "verification failed: the shadow differs from the table"
					 : db_error_text(&during.db));
		}
		keyval_free(&during.lo[i]);
		keyval_free(&during.hi[i]);
		during.head = (i + 1) % DURING_QUEUE;
		during.count--;
		pthread_cond_broadcast(&during.cv);
		if (during.failed)
			break;
	}
	pthread_mutex_unlock(&during.mu);
	return NULL;
}

/* The comparison's connection, set up as the one after the copy is: lock
 * waits of a second for the share locks of a repair. */
static bool during_open(struct migration *m)
{
	if (db_connect(&during.db, "verify")) {
		log_warn("verifying before the swap: cannot open a connection for the comparison during the copy: %s",
			 during.db.errmsg);
		return false;
	}
	if (db_exec(&during.db, 0, "SET SESSION innodb_lock_wait_timeout=1")) {
		log_warn("verifying before the swap: cannot set up the comparison's connection: %s",
			 db_error_text(&during.db));
		db_close(&during.db);
		return false;
	}
	during.m = *m;
	during.m.db = &during.db;
	return true;
}

bool verify_plan(struct migration *m, bool resumed, bool swap_waits, bool cluster)
{
	during.on = false;
	if (!opt.verify || opt.no_swap)
		return false;
	/* the shadow lacks the rows changed meanwhile until they are brought */
	if (m->log_during_copy) {
		if (strcmp(opt.verify_at, "swap"))
			log_info("verifying before the swap: the triggers log the keys they change during the copy, and "
				 "those rows are brought only after it");
		return false;
	}
	bool want = !strcmp(opt.verify_at, "copy");
	if (!strcmp(opt.verify_at, "auto")) {
		long long pool = buffer_pool_bytes(m->db);
		/* the shadow will be about the table's size */
		want = pool > 0 && 2 * m->orig.bytes > pool && !swap_waits;
		if (want)
			log_info("verifying each chunk right after its copy: '%s' and its copy (about %lld MB each) "
				 "outgrow the buffer pool (%lld MB), where a comparison after the copy reads both from disk",
				 m->table, m->orig.bytes >> 20, pool >> 20);
		/* While others write, each fenced copy statement holds their
		 * writes and the server runs little else: the comparison then
		 * has a core to itself instead of adding its time to the run's
		 * (docs/cost.md, fifth session). */
		if (!want && !swap_waits && copy_fenced(m)) {
			want = true;
			log_info("verifying each chunk right after its copy: the copy statements hold the application's "
				 "writes while they run, and the comparison runs alongside");
		}
	}
	if (want && cluster) {
		log_info("verifying before the swap: on a Galera node every node's copy is compared then");
		want = false;
	} else if (want && resumed) {
		log_info("verifying before the swap: this run resumed a copy whose earlier chunks it did not compare");
		want = false;
	}
	if (want && !during_open(m))
		want = false;
	if (!want)
		return false;
	sides_init(&during.s, m);
	during.rows = during.chunks = during.repaired = 0;
	during.secs = 0;
	during.head = during.count = 0;
	during.stop = during.failed = false;
	during.error[0] = '\0';
	if (pthread_create(&during.thread, NULL, during_run, NULL)) {
		log_warn("verifying before the swap: cannot start the comparison during the copy");
		sides_free(&during.s);
		db_close(&during.db);
		return false;
	}
	during.thread_started = true;
	during.on = true;
	return true;
}

int verify_chunk(struct migration *m, const struct keyval *lo, const struct keyval *hi)
{
	if (!during.on)
		return 0;
	pthread_mutex_lock(&during.mu);
	/* a few chunks ahead at most: further behind, the pages are gone */
	while (during.count == DURING_QUEUE && !during.failed && !oscar_abort)
		pthread_cond_wait(&during.cv, &during.mu);
	int rc = 0;
	if (during.failed || oscar_abort) {
		rc = oscar_abort ? EXIT_SIGNAL : EXIT_FAILED;
	} else {
		int i = (during.head + during.count) % DURING_QUEUE;
		during.lo[i] = (struct keyval){ 0, NULL, NULL };
		during.hi[i] = (struct keyval){ 0, NULL, NULL };
		if (lo)
			keyval_copy(&during.lo[i], lo);
		if (hi)
			keyval_copy(&during.hi[i], hi);
		during.count++;
		pthread_cond_broadcast(&during.cv);
	}
	pthread_mutex_unlock(&during.mu);
	if (rc == EXIT_FAILED)
		db_set_error(m->db, 0, "HY000", during.error, NULL);
	return rc;
}

static void during_drop_queued(void)
{
	while (during.count) {
		keyval_free(&during.lo[during.head]);
		keyval_free(&during.hi[during.head]);
		during.head = (during.head + 1) % DURING_QUEUE;
		during.count--;
	}
}

/* The verify event of the comparison during the copy. */
static void during_event(bool ok)
{
	struct sbuf ev;
	ev_begin(&ev, "verify");
	ev_bool(&ev, "ok", ok);
	ev_int(&ev, "rows_verified", during.rows);
	ev_int(&ev, "chunks", during.chunks);
	ev_num(&ev, "verify_s", during.secs);
	ev_int(&ev, "repaired_chunks", during.repaired);
	ev_int(&ev, "columns_compared", during.s.n);
	ev_int(&ev, "columns_not_compared", during.s.skipped);
	ev_str(&ev, "when", "copy");
	ev_end(&ev);
}

int verify_copy_end(struct migration *m, bool copied)
{
	if (!during.thread_started)
		return 0;
	pthread_mutex_lock(&during.mu);
	during.stop = true;
	/* the copy stopped: what is queued is left to the run that resumes */
	if (!copied)
		during_drop_queued();
	pthread_cond_broadcast(&during.cv);
	pthread_mutex_unlock(&during.mu);
	pthread_join(during.thread, NULL);
	during.thread_started = false;
	/* what a failed comparison left */
	during_drop_queued();
	db_close(&during.db);
	if (!during.failed) {
		if (!copied) {
			sides_free(&during.s);
			during.on = false;
		}
		return 0;
	}
	db_set_error(m->db, 0, "HY000", during.error, NULL);
	during_event(false);
	during.on = false;
	sides_free(&during.s);
	return oscar_abort ? EXIT_SIGNAL : EXIT_FAILED;
}

/* The verification done during the copy, reported as the one before the
 * swap would be. */
static int verified_during_copy(void)
{
	log_info("verified %lld rows in %lld chunks during the copy (%.2f s of comparison beside it); %lld chunk%s "
		 "repaired", during.rows, during.chunks, during.secs, during.repaired,
		 during.repaired == 1 ? "" : "s");
	during_event(true);
	sides_free(&during.s);
	during.on = false;
	return 0;
}

int verify_shadow(struct migration *m)
{
	if (during.on && !m->report_only)
		return verified_during_copy();
	struct sides s;
	sides_init(&s, m);
	struct controller ctl;
	ctl_init(&ctl, opt.chunk_time, 0);
	ctl.size = 10000; /* a checksum reads; it is cheaper than a copy */
	struct keyval lower = { 0, NULL, NULL };
	bool have_lower = false;
	double t0 = now_mono();
	long long rows_total = 0, chunks = 0, mismatched = 0;
	int rc = 0;
	struct key_steps ks;
	key_steps_init(&ks, m);
	log_info("verifying '%s' against '%s' (%d columns compared)", m->names.shadow, m->table, s.n);
	for (;;) {
		if (wait_while_paused() || oscar_abort) {
			rc = EXIT_SIGNAL;
			break;
		}
		struct keyval upper = { 0, NULL, NULL };
		int more = key_steps_next(&ks, have_lower ? &lower : NULL, ctl.size, &upper);
		if (more < 0)
			more = next_boundary(m, have_lower ? &lower : NULL, ctl.size, &upper);
		if (more < 0) {
			rc = oscar_abort ? EXIT_SIGNAL : EXIT_FAILED;
			break;
		}
		const struct keyval *lo = have_lower ? &lower : NULL, *hi = more ? &upper : NULL;
		long rows = 0;
		double c0 = now_mono();
		int eq = check_range(m, &s, lo, hi, chunks + 1, &rows, &mismatched);
		ctl_next(&ctl, rows, now_mono() - c0);
		key_steps_seen(&ks, lo, hi, rows);
		if (eq != 1) {
			keyval_free(&upper);
			rc = oscar_abort ? EXIT_SIGNAL : EXIT_FAILED;
			break;
		}
		rows_total += rows;
		chunks++;
		progress_phase("verify", rows_total, m->rows_copied, t0);
		keyval_free(&lower);
		if (!more)
			break;
		lower = upper;
		have_lower = true;
	}
	keyval_free(&lower);
	progress_stopped();
	double secs = now_mono() - t0;
	if (!rc && m->report_only) {
		log_info("compared %lld rows in %lld chunks: %lld chunk%s differ", rows_total, chunks, mismatched,
			 mismatched == 1 ? "" : "s");
		if (mismatched)
			rc = EXIT_FAILED;
	} else if (!rc) {
		log_info("verified %lld rows in %lld chunks in %.2f s (the copy took %.2f s); %lld chunk%s repaired",
			 rows_total, chunks, secs, m->copy_seconds, mismatched, mismatched == 1 ? "" : "s");
	}
	struct sbuf ev;
	ev_begin(&ev, "verify");
	ev_bool(&ev, "ok", rc == 0);
	ev_int(&ev, "rows_verified", rows_total);
	ev_int(&ev, "chunks", chunks);
	ev_num(&ev, "verify_s", secs);
	ev_int(&ev, "repaired_chunks", mismatched);
	ev_int(&ev, "columns_compared", s.n);
	ev_int(&ev, "columns_not_compared", s.skipped);
	ev_str(&ev, "when", "swap");
	ev_end(&ev);
	sides_free(&s);
	return rc;
}
