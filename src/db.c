/* db: connections (option files, TLS, prompted passwords), and one statement
 * wrapper that logs failures with errno and SQLSTATE, classifies them as
 * retryable or fatal, and skips changes in dry run. */
#include "db.h"

#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "log.h"
#include "options.h"
#include "stats.h"
#include "clock.h"

bool db_dry_run;
bool db_galera;
atomic_int oscar_abort;
atomic_int oscar_paused;

/* Reads a password from the controlling terminal without echo. */
static char *prompt_password(void)
{
	int fd = open("/dev/tty", O_RDWR | O_NOCTTY);
	if (fd < 0)
		return NULL;
	struct termios old, raw;
	bool restore = tcgetattr(fd, &old) == 0;
	if (restore) {
		raw = old;
		raw.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		tcsetattr(fd, TCSAFLUSH, &raw);
	}
	const char *p = "Enter password: ";
	if (write(fd, p, strlen(p)) < 0) { /* nothing useful to do */ }
	char buf[512];
	size_t n = 0;
	char c;
	while (n + 1 < sizeof buf && read(fd, &c, 1) == 1 && c != '\n' && c != '\r')
		buf[n++] = c;
	buf[n] = '\0';
	if (restore)
		tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0) { /* ignore */ }
	close(fd);
	char *r = xstrdup(buf);
	memset(buf, 0, sizeof buf);
	return r;
}

int db_connect(struct db *db, const char *label)
{
	if (opt.password_prompt) {
		opt.password = prompt_password();
		opt.password_prompt = false;
		if (!opt.password) {
			memset(db, 0, sizeof *db);
			db->label = label;
			log_error("cannot read a password: no terminal");
			return EXIT_CONNECT;
		}
	}
	struct dbtarget t = { opt.host, opt.port, opt.socket, opt.user, opt.password, false };
	return db_connect_to(db, label, &t);
}

/* Where a connection attempt went: the target's own values, else what the
 * option files gave the library, else its defaults. */
static void describe_target(MYSQL *my, const struct dbtarget *t, char *out, size_t outlen)
{
	const char *host = t->host, *sock = t->socket;
	unsigned port = t->port;
	if (!host)
		mysql_get_optionv(my, MARIADB_OPT_HOST, &host);
	if (!sock)
		mysql_get_optionv(my, MARIADB_OPT_UNIXSOCKET, &sock);
	if (!port)
		mysql_get_optionv(my, MARIADB_OPT_PORT, &port);
	if (!host || !strcmp(host, "localhost"))
		snprintf(out, outlen, "socket '%s'", sock ? sock : MARIADB_UNIX_ADDR);
	else
		snprintf(out, outlen, "host '%s' port %u", host, port ? port : 3306);
}

int db_connect_to(struct db *db, const char *label, const struct dbtarget *t)
{
	memset(db, 0, sizeof *db);
	db->label = label;
	db->my = mysql_init(NULL);
	if (!db->my) {
		log_error("cannot initialise the client library");
		return EXIT_CONNECT;
	}
	if (opt.defaults_file)
		mysql_optionsv(db->my, MYSQL_READ_DEFAULT_FILE, opt.defaults_file);
	/* [oscar] is read by options.c, which knows every oscar option; the
	 * library reads only the client groups */
	mysql_optionsv(db->my, MYSQL_READ_DEFAULT_GROUP, "client");
	mysql_optionsv(db->my, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	/* performance_schema.session_connect_attrs tells oscar's sessions apart */
	mysql_optionsv(db->my, MYSQL_OPT_CONNECT_ATTR_ADD, "program_name", "oscar");
	mysql_optionsv(db->my, MYSQL_OPT_CONNECT_ATTR_ADD, "oscar_role", label);
	unsigned timeout = 10;
	mysql_optionsv(db->my, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	if (opt.ssl_ca || opt.ssl_cert || opt.ssl_key) {
		mysql_ssl_set(db->my, opt.ssl_key, opt.ssl_cert, opt.ssl_ca, NULL, NULL);
		my_bool verify = 1;
		if (opt.ssl_ca)
			mysql_optionsv(db->my, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
	}
	if (t->socket && !t->host) {
		unsigned proto = MYSQL_PROTOCOL_SOCKET;
		mysql_optionsv(db->my, MYSQL_OPT_PROTOCOL, &proto);
	}
	if (!mysql_real_connect(db->my, t->host, t->user, t->password, NULL, t->port,
				t->socket, CLIENT_FOUND_ROWS)) {
		/* The message names user and host but never the password. */
		db_set_error(db, mysql_errno(db->my), mysql_sqlstate(db->my), mysql_error(db->my), NULL);
		if (!t->quiet) {
			char where[600];
			describe_target(db->my, t, where, sizeof where);
			log_error("cannot connect%s%s (%s): errno %u (%s): %s", strcmp(label, "main") ? " to " : "",
				  strcmp(label, "main") ? label : "", where, db->err, db->sqlstate, db->errmsg);
		}
		mysql_close(db->my);
		db->my = NULL;
		return EXIT_CONNECT;
	}
	db->thread_id = mysql_thread_id(db->my);
	db->version = mysql_get_server_version(db->my);
	const char *info = mysql_get_server_info(db->my);
	db->mariadb = info && strstr(info, "MariaDB");
	if (db_exec(db, 0, "SET NAMES utf8mb4") ||
	    db_exec(db, 0, DB_SET_SQL_MODE) ||
	    db_exec(db, 0, "SET SESSION innodb_lock_wait_timeout=1") ||
	    db_exec(db, 0, "SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ") ||
	    db_exec(db, 0, "SET SESSION wait_timeout=86400") ||
	    db_exec(db, 0, "SET SESSION lock_wait_timeout=60")) {
		log_error("cannot set up the session: %s", db_error_text(db));
		db_close(db);
		return EXIT_CONNECT;
	}
	return 0;
}

void db_close(struct db *db)
{
	if (db->my)
		mysql_close(db->my);
	db->my = NULL;
	free(db->failed_sql);
	db->failed_sql = NULL;
}

int db_reconnect(struct db *db)
{
	const char *label = db->label;
	db_close(db);
	return db_connect(db, label);
}

enum errclass db_classify(unsigned err)
{
	switch (err) {
	case 0:
		return ERR_NONE;
	case 1205: /* ER_LOCK_WAIT_TIMEOUT */
	case 1213: /* ER_LOCK_DEADLOCK */
	case 1969: /* ER_STATEMENT_TIMEOUT (max_statement_time) */
	case 3024: /* MySQL: maximum statement execution time exceeded */
	case 1020: /* record changed since last read */
	case 1615: /* prepared statement needs to be re-prepared */
		return ERR_RETRY;
	case 1317: /* ER_QUERY_INTERRUPTED */
		return oscar_abort ? ERR_INTERRUPT : ERR_RETRY;
	case 1927: /* ER_CONNECTION_KILLED */
	case 1053: /* server shutdown in progress */
	case 2006: /* CR_SERVER_GONE_ERROR */
	case 2013: /* CR_SERVER_LOST */
	case 2055: /* lost connection at reading */
		return oscar_abort ? ERR_INTERRUPT : ERR_LOST;
	default:
		return ERR_FATAL;
	}
}

enum errclass db_last_class(const struct db *db)
{
	return db_classify(db->err);
}

void db_set_error(struct db *db, unsigned err, const char *state, const char *msg, const char *sql)
{
	/* state and msg may be db's own fields (a caller adding the statement) */
	char st[sizeof db->sqlstate], m[sizeof db->errmsg];
	snprintf(st, sizeof st, "%s", state ? state : "HY000");
	snprintf(m, sizeof m, "%s", msg ? msg : "");
	char *failed = sql ? xstrdup(sql) : NULL;
	db->err = err;
	memcpy(db->sqlstate, st, sizeof st);
	memcpy(db->errmsg, m, sizeof m);
	free(db->failed_sql);
	db->failed_sql = failed;
}

static void capture(struct db *db, const char *sql)
{
	db_set_error(db, mysql_errno(db->my), mysql_sqlstate(db->my), mysql_error(db->my), sql);
}

const char *db_error_text(struct db *db)
{
	snprintf(db->errtext, sizeof db->errtext, "errno %u (%s): %s%s%.1200s", db->err, db->sqlstate, db->errmsg,
		 db->failed_sql ? "; statement: " : "", db->failed_sql ? db->failed_sql : "");
	return db->errtext;
}

/* The comment at the head of every statement: "/\* oscar db.tbl phase *\/",
 * so the process list, the slow log and performance_schema say whose
 * statement it is. Names are reduced to characters that cannot end the
 * comment. */
static pthread_mutex_t tag_lock = PTHREAD_MUTEX_INITIALIZER;
static char tag_name[140] = "", tag_phase[32] = "";

static void tag_clean(char *out, size_t cap, const char *in)
{
	size_t n = 0;
	for (; *in && n + 1 < cap; in++) {
		unsigned char c = (unsigned char)*in;
		out[n++] = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
				   c == '$' || c == '.' || c == '-' || c >= 0x80
			     ? (char)c
			     : '?';
	}
	out[n] = '\0';
}

void db_set_tag(const char *schema, const char *table)
{
	char s[70], t[70];
	tag_clean(s, sizeof s, schema);
	tag_clean(t, sizeof t, table);
	pthread_mutex_lock(&tag_lock);
	snprintf(tag_name, sizeof tag_name, "%s.%s", s, t);
	pthread_mutex_unlock(&tag_lock);
}

void db_set_phase(const char *phase)
{
	pthread_mutex_lock(&tag_lock);
	tag_clean(tag_phase, sizeof tag_phase, phase);
	pthread_mutex_unlock(&tag_lock);
}

/* sql with the comment at its head (caller frees), or NULL before a tag is set. */
static char *tagged(const char *sql, size_t len, size_t *out)
{
	char head[200];
	pthread_mutex_lock(&tag_lock);
	int hl = tag_name[0] ? snprintf(head, sizeof head, "/* oscar %s %s */ ", tag_name, tag_phase) : 0;
	pthread_mutex_unlock(&tag_lock);
	if (hl <= 0 || (size_t)hl >= sizeof head)
		return NULL;
	char *q = xmalloc((size_t)hl + len + 1);
	memcpy(q, head, (size_t)hl);
	memcpy(q + hl, sql, len);
	q[(size_t)hl + len] = '\0';
	*out = (size_t)hl + len;
	return q;
}

int db_send(struct db *db, const char *sql, size_t len)
{
	size_t tl;
	char *q = tagged(sql, len, &tl);
	int rc = q ? mysql_real_query(db->my, q, tl) : mysql_real_query(db->my, sql, len);
	free(q);
	return rc;
}

int db_exec(struct db *db, unsigned flags, const char *sql)
{
	if ((flags & DB_CHANGE) && db_dry_run) {
		log_info("dry run, not executed: %s", sql);
		return 0;
	}
	if (!db->my) {
		db_set_error(db, 2006, "HY000", "not connected", sql);
		return -1;
	}
	if (db_send(db, sql, strlen(sql))) {
		capture(db, sql);
		if (!(flags & DB_SILENT))
			log_error("%s query failed: %s", db->label, db_error_text(db));
		return -1;
	}
	/* Statements here return no rows; drain anything that does. */
	MYSQL_RES *r = mysql_store_result(db->my);
	if (r)
		mysql_free_result(r);
	db->err = 0;
	return 0;
}

int db_execf(struct db *db, unsigned flags, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *s = NULL;
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	int rc = db_exec(db, flags, s);
	free(s);
	return rc;
}

MYSQL_RES *db_query(struct db *db, const char *sql)
{
	return db_query_f(db, 0, sql);
}

MYSQL_RES *db_query_f(struct db *db, unsigned flags, const char *sql)
{
	if (!db->my) {
		db_set_error(db, 2006, "HY000", "not connected", sql);
		return NULL;
	}
	if (db_send(db, sql, strlen(sql))) {
		capture(db, sql);
		if (!(flags & DB_SILENT))
			log_error("%s query failed: %s", db->label, db_error_text(db));
		return NULL;
	}
	MYSQL_RES *r = mysql_store_result(db->my);
	if (!r && mysql_field_count(db->my)) {
		capture(db, sql);
		if (!(flags & DB_SILENT))
			log_error("%s query failed: %s", db->label, db_error_text(db));
		return NULL;
	}
	db->err = 0;
	return r;
}

char *db_scalar(struct db *db, const char *sql, bool *found)
{
	if (found)
		*found = false;
	MYSQL_RES *r = db_query(db, sql);
	if (!r)
		return NULL;
	MYSQL_ROW row = mysql_fetch_row(r);
	char *v = NULL;
	if (row) {
		if (found)
			*found = true;
		if (row[0])
			v = xstrdup(row[0]);
	}
	mysql_free_result(r);
	return v;
}

/* Names the oldest open transactions: they are what blocks a metadata lock. */
void db_report_blockers(struct db *db)
{
	/* trx_started counts whole seconds: among transactions of the same second,
	 * the one idle or busy longest in its current statement comes first, not
	 * an application's write that began a moment ago */
	MYSQL_RES *r = db_query(db, db->mariadb ?
		"SELECT t.trx_mysql_thread_id, IFNULL(p.USER,''), IFNULL(p.HOST,''),"
		" TIMESTAMPDIFF(SECOND, t.trx_started, NOW()), IFNULL(LEFT(p.INFO,80),'')"
		" FROM information_schema.INNODB_TRX t"
		" LEFT JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id"
		" WHERE t.trx_mysql_thread_id <> CONNECTION_ID()"
		" ORDER BY t.trx_started, IFNULL(p.TIME_MS, 0) DESC LIMIT 3" :
		"SELECT t.trx_mysql_thread_id, IFNULL(p.USER,''), IFNULL(p.HOST,''),"
		" TIMESTAMPDIFF(SECOND, t.trx_started, NOW()), IFNULL(LEFT(p.INFO,80),'')"
		" FROM information_schema.INNODB_TRX t"
		" LEFT JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id"
		" WHERE t.trx_mysql_thread_id <> CONNECTION_ID()"
		" ORDER BY t.trx_started, IFNULL(p.TIME, 0) DESC LIMIT 3");
	if (!r)
		return;
	MYSQL_ROW row;
	while ((row = mysql_fetch_row(r))) {
		log_warn("open transaction may hold the lock: thread %s, user '%s'@'%s', open %s s, running '%s'",
			 row[0], row[1], row[2], row[3] ? row[3] : "?", row[4]);
		struct sbuf ev;
		ev_begin(&ev, "lock_blocker");
		ev_str(&ev, "thread_id", row[0]);
		ev_str(&ev, "user", row[1]);
		ev_str(&ev, "transaction_age_s", row[3]);
		ev_end(&ev);
	}
	mysql_free_result(r);
}

int db_exec_mdl(struct db *db, unsigned flags, const char *what, const char *sql)
{
	if ((flags & DB_CHANGE) && db_dry_run)
		return db_exec(db, flags, sql);
	struct sbuf q = SBUF_INIT;
	if (db_galera) {
		/* a total-order statement cannot be interrupted once ordered, and it
		 * takes its metadata lock by aborting the local holders */
		sb_add(&q, sql);
	} else if ((flags & DB_LONG) && db->mariadb) {
		long lwt = (long)(opt.lock_wait_timeout + 0.999);
		sb_addf(&q, "SET STATEMENT lock_wait_timeout=%ld FOR %s", lwt < 1 ? 1 : lwt, sql);
	} else if (db->mariadb) {
		/* max_statement_time is fractional and interrupts the metadata lock wait;
		 * lock_wait_timeout alone has one-second granularity. */
		long lwt = (long)opt.lock_wait_timeout + 1;
		sb_addf(&q, "SET STATEMENT max_statement_time=%.3f, lock_wait_timeout=%ld FOR %s",
			opt.lock_wait_timeout, lwt, sql);
	} else {
		long lwt = (long)(opt.lock_wait_timeout + 0.999);
		if (lwt < 1)
			lwt = 1;
		if (db_execf(db, 0, "SET SESSION lock_wait_timeout=%ld", lwt)) {
			sb_free(&q);
			return -1;
		}
		sb_add(&q, sql);
	}
	double backoff = 0.05;
	for (int attempt = 1;; attempt++) {
		if (db_exec(db, flags | DB_SILENT, sb_str(&q)) == 0) {
			sb_free(&q);
			return 0;
		}
		enum errclass c = db_last_class(db);
		if (c != ERR_RETRY || oscar_abort || attempt >= opt.lock_retries) {
			db_set_error(db, db->err, db->sqlstate, db->errmsg, sql);
			if (c == ERR_RETRY)
				log_error("gave up %s after %d attempts waiting for a metadata lock: %s", what,
					  attempt, db_error_text(db));
			else if (c != ERR_INTERRUPT && !(flags & DB_SILENT))
				log_error("%s failed: %s", what, db_error_text(db));
			sb_free(&q);
			return -1;
		}
		stats_retry_mdl();
		log_warn("%s: metadata lock not granted within %.3f s (attempt %d of %d), retrying", what,
			 opt.lock_wait_timeout, attempt, opt.lock_retries);
		if (attempt == 1 || attempt % 5 == 0)
			db_report_blockers(db);
		struct sbuf ev;
		ev_begin(&ev, "lock_wait");
		ev_str(&ev, "what", what);
		ev_int(&ev, "attempt", attempt);
		ev_end(&ev);
		/* Jittered exponential backoff so the application's queued queries drain. */
		sleep_s(backoff * (0.5 + (double)(rand() % 1000) / 1000.0));
		backoff = backoff * 2 > 2.0 ? 2.0 : backoff * 2;
	}
}

int db_exec_mdl_unchecked(struct db *db, unsigned flags, const char *what, const char *sql)
{
	int rc = db_exec(db, 0, DB_FK_CHECKS_OFF);
	if (!rc)
		rc = db_exec_mdl(db, flags, what, sql);
	db_exec_keep_error(db, DB_FK_CHECKS_ON);
	return rc;
}

void db_exec_keep_error(struct db *db, const char *sql)
{
	unsigned err = db->err;
	char state[sizeof db->sqlstate], msg[sizeof db->errmsg];
	memcpy(state, db->sqlstate, sizeof state);
	memcpy(msg, db->errmsg, sizeof msg);
	char *failed = db->failed_sql;
	db->failed_sql = NULL;
	db_exec(db, DB_SILENT, sql);
	free(db->failed_sql);
	db->failed_sql = failed;
	db->err = err;
	memcpy(db->sqlstate, state, sizeof state);
	memcpy(db->errmsg, msg, sizeof msg);
}

int db_lock_tables(struct db *db, const char *schema, const char *a, const char *b, const char *c)
{
	const char *names[] = { a, b, c };
	if (db_galera)
		return 1;
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "LOCK TABLES ");
	for (int i = 0, n = 0; i < 3; i++) {
		if (!names[i])
			continue;
		if (n++)
			sb_add(&q, ", ");
		sb_qualified(&q, schema, names[i]);
		sb_add(&q, " WRITE");
	}
	int rc = db_exec_mdl(db, DB_CHANGE, "locking the tables for trigger changes", sb_str(&q));
	sb_free(&q);
	return rc;
}

void db_unlock_tables(struct db *db)
{
	if (!db_dry_run)
		db_exec_keep_error(db, "UNLOCK TABLES");
}

int db_row_writes(struct db *db, long long *inserted, long long *changed)
{
	MYSQL_RES *r = db_query(db, "SHOW GLOBAL STATUS WHERE Variable_name IN"
				    " ('Handler_write', 'Handler_update', 'Handler_delete')");
	if (!r)
		return -1;
	MYSQL_ROW row;
	*inserted = *changed = 0;
	while ((row = mysql_fetch_row(r))) {
		long long v = row[1] ? atoll(row[1]) : 0;
		*changed += v;
		if (row[0] && !strcasecmp(row[0], "Handler_write"))
			*inserted = v;
	}
	mysql_free_result(r);
	return 0;
}

MYSQL_STMT *db_prepare(struct db *db, const char *sql)
{
	if (!db->my) {
		db_set_error(db, 2006, "HY000", "not connected", sql);
		return NULL;
	}
	MYSQL_STMT *st = mysql_stmt_init(db->my);
	if (!st) {
		capture(db, sql);
		return NULL;
	}
	size_t tl;
	char *q = tagged(sql, strlen(sql), &tl);
	int prc = q ? mysql_stmt_prepare(st, q, tl) : mysql_stmt_prepare(st, sql, strlen(sql));
	free(q);
	if (prc) {
		db_set_error(db, mysql_stmt_errno(st), mysql_stmt_sqlstate(st), mysql_stmt_error(st), sql);
		mysql_stmt_close(st);
		return NULL;
	}
	db->err = 0;
	return st;
}

int db_stmt_run(struct db *db, MYSQL_STMT *st, MYSQL_BIND *bind, const char *sql)
{
	if (mysql_stmt_bind_param(st, bind) || mysql_stmt_execute(st)) {
		db_set_error(db, mysql_stmt_errno(st), mysql_stmt_sqlstate(st), mysql_stmt_error(st), sql);
		return -1;
	}
	db->err = 0;
	return 0;
}
