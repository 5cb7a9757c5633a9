/* replica: replica lag from a heartbeat.
 *
 * oscar writes a row (id 1, seq, ts) into a small table on the primary, with a
 * sequence number that grows with every write, and reads the row back on each
 * replica. For every write it remembers, on its own monotonic clock, when the
 * statement was sent and when its commit returned. A replica that shows seq s
 * has applied write s but not write s+1, so it misses nothing committed before
 * write s was sent, and misses at least what write s+1 committed. Its lag, how
 * old the newest change it is missing is, therefore lies in
 *
 *     [ now - returned(s+1), now - sent(s) ]
 *
 * with 0 as the lower bound once it has applied the latest write. Both ends
 * come from one clock, oscar's, so neither clock skew between the servers nor
 * Seconds_Behind_Master's whole seconds (nor its 0 for a stopped SQL thread)
 * enter; the ts column in the primary's clock is only for people looking at
 * the table. The copy waits when the lower bound is over --max-lag and goes
 * on when the upper bound is within it; in between the replica is read again
 * a moment later (with another write), which narrows the interval: whether
 * the replica is merely applying the chunk just copied or really behind is
 * known within milliseconds. A replica that has not shown any of this run's
 * writes has an upper bound of infinity: it is never taken for caught up. */
#include "replica.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "catalog.h"
#include "log.h"
#include "names.h"
#include "options.h"
#include "sbuf.h"
#include "clock.h"

#define HB_HISTORY 4096
#define HB_COMMENT "oscar heartbeat: replica lag; dropped at the end of the run"
/* Writes closer together than this add binary log traffic and no precision. */
#define HB_MIN_INTERVAL 0.05
/* After a check found every replica within the limit, the next chunks follow
 * without a check for this long: chunks can be a few milliseconds apart. */
#define CHECK_INTERVAL 0.1
/* A replica that has not shown the heartbeat for this long is worth a warning:
 * the schema may be filtered out of its replication. */
#define MISSING_WARN 60.0

struct replica {
	char *name;  /* "host:port" or the socket path: messages and events */
	char *label; /* "replica host:port": the connection's name in db messages */
	char *host, *socket, *user, *password;
	unsigned port;
	const char *found_by; /* "option", "hosts", "processlist" */
	struct db db;
	bool connected;
	bool no_status;      /* SHOW SLAVE STATUS is denied: the heartbeat alone tells */
	bool warned_missing;
};

static struct replica *reps;
static int nreps;
static bool ready; /* replicas found, heartbeat table set up */

static struct db hb; /* own connection to the primary: writes outside the copy's session */
static bool hb_connected;
static bool hb_ours; /* this run created (or adopted) the table: drop it at exit */
static char *hb_schema, *hb_table;
/* seq values up to hb_base are not this run's writes; hb_seq is the last one. */
static unsigned long long hb_base, hb_seq;
static double hb_sent[HB_HISTORY], hb_done[HB_HISTORY];
static double hb_last_write = -1;
static double last_ok_at = -1, last_ok_lag;

/* --- option values --- */

int replica_parse_lag(const char *v, double *out)
{
	size_t n = strspn(v, "0123456789.");
	if (n == 0 || n >= 32)
		return -1;
	char num[32];
	memcpy(num, v, n);
	num[n] = '\0';
	char *end;
	errno = 0;
	double d = strtod(num, &end);
	if (errno || *end || !isfinite(d))
		return -1;
	const char *unit = v + n;
	if (!strcmp(unit, "ms"))
		d /= 1000;
	else if (!strcmp(unit, "m"))
		d *= 60;
	else if (*unit && strcmp(unit, "s"))
		return -1;
	/* below a millisecond nothing is measurable; over a day is a typo */
	if (d < 0.001 || d > 86400)
		return -1;
	*out = d;
	return 0;
}

struct dsn {
	char *host, *socket, *user, *password;
	unsigned port;
};

static void dsn_free(struct dsn *d)
{
	free(d->host);
	free(d->socket);
	free(d->user);
	if (d->password)
		memset(d->password, 0, strlen(d->password));
	free(d->password);
	memset(d, 0, sizeof *d);
}

static int dsn_parse(const char *s, struct dsn *d, char *err, size_t errlen)
{
	memset(d, 0, sizeof *d);
	const char *p = s;
	if (!*p) {
		snprintf(err, errlen, "empty DSN (expected h=HOST,P=PORT,S=SOCKET,u=USER)");
		return -1;
	}
	while (*p) {
		const char *end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		/* no part is ever quoted back: a mistyped one may hold the password */
		if (end - p < 2 || p[1] != '=') {
			snprintf(err, errlen, "expected KEY=VALUE parts separated by commas (h, P, S, u, p)");
			goto bad;
		}
		char key = p[0];
		size_t vl = (size_t)(end - p - 2);
		char *val = xmalloc(vl + 1);
		memcpy(val, p + 2, vl);
		val[vl] = '\0';
		char **slot = key == 'h' ? &d->host : key == 'S' ? &d->socket : key == 'u' ? &d->user
			    : key == 'p' ? &d->password : NULL;
		if (key == 'P') {
			char *e;
			errno = 0;
			long port = strtol(val, &e, 10);
			bool good = vl && !errno && !*e && port >= 1 && port <= 65535 && !d->port;
			if (!good)
				snprintf(err, errlen, d->port ? "P given twice" : "invalid port '%s'", val);
			free(val);
			if (!good)
				goto bad;
			d->port = (unsigned)port;
		} else if (!slot) {
			free(val);
			snprintf(err, errlen, "unknown key '%c' (h, P, S, u, p)", key);
			goto bad;
		} else if (*slot || !vl) {
			free(val);
			snprintf(err, errlen, *slot ? "%c given twice" : "empty value for %c", key);
			goto bad;
		} else {
			*slot = val;
		}
		p = *end ? end + 1 : end;
	}
	if (!d->host && !d->socket) {
		snprintf(err, errlen, "no host (h=) or socket (S=)");
		goto bad;
	}
	return 0;
bad:
	dsn_free(d);
	return -1;
}

int replica_dsn_check(const char *dsn, char *err, size_t errlen)
{
	struct dsn d;
	if (dsn_parse(dsn, &d, err, errlen))
		return -1;
	dsn_free(&d);
	return 0;
}

void replica_dsn_scrub(char *dsn)
{
	for (char *p = dsn; *p;) {
		char *end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		if (p[0] == 'p' && p[1] == '=')
			memset(p + 2, 'x', (size_t)(end - p - 2));
		p = *end ? end + 1 : end;
	}
}

/* --- the replicas --- */

static void add_replica(const char *host, unsigned port, const char *socket, const char *user,
			const char *password, const char *found_by)
{
	struct sbuf name = SBUF_INIT;
	if (host)
		sb_addf(&name, port ? "%s:%u" : "%s", host, port);
	else
		sb_add(&name, socket);
	for (int i = 0; i < nreps; i++)
		if (!strcmp(reps[i].name, sb_str(&name))) {
			sb_free(&name);
			return;
		}
	reps = xrealloc(reps, (size_t)(nreps + 1) * sizeof *reps);
	struct replica *r = &reps[nreps++];
	memset(r, 0, sizeof *r);
	r->name = sb_take(&name);
	struct sbuf label = SBUF_INIT;
	sb_addf(&label, "replica %s", r->name);
	r->label = sb_take(&label);
	r->host = host ? xstrdup(host) : NULL;
	r->port = port;
	r->socket = socket ? xstrdup(socket) : NULL;
	r->user = user ? xstrdup(user) : opt.user ? xstrdup(opt.user) : NULL;
	r->password = password ? xstrdup(password) : opt.password ? xstrdup(opt.password) : NULL;
	r->found_by = found_by;
}

static int column_index(MYSQL_RES *r, const char *name)
{
	unsigned n = mysql_num_fields(r);
	MYSQL_FIELD *f = mysql_fetch_fields(r);
	for (unsigned i = 0; i < n; i++)
		if (!strcasecmp(f[i].name, name))
			return (int)i;
	return -1;
}

static bool is_loopback(const char *h)
{
	return !strncmp(h, "127.", 4) || !strcmp(h, "::1") || !strcasecmp(h, "localhost");
}

/* SHOW SLAVE HOSTS lists replicas that report where they listen (report_host,
 * report_port); replicas without report_host appear with an empty host and
 * are looked for in the process list instead. */
static int discover_hosts(struct db *db, int *unreported)
{
	*unreported = 0;
	MYSQL_RES *r = db_query_f(db, DB_SILENT, "SHOW SLAVE HOSTS");
	if (!r) {
		log_warn("cannot list replicas with SHOW SLAVE HOSTS (%s); give them with --replica, or "
			 "--recursion-method=none to copy without checking replica lag", db_error_text(db));
		return -1;
	}
	int ch = column_index(r, "Host"), cp = column_index(r, "Port");
	MYSQL_ROW row;
	int found = 0;
	while ((row = mysql_fetch_row(r))) {
		long port = cp >= 0 && row[cp] ? atol(row[cp]) : 0;
		if (ch < 0 || !row[ch] || !*row[ch] || port <= 0 || port > 65535) {
			(*unreported)++;
			continue;
		}
		add_replica(row[ch], (unsigned)port, NULL, NULL, NULL, "hosts");
		found++;
	}
	mysql_free_result(r);
	return found;
}

/* The process list shows each replica's binlog dump thread with the address
 * it connects from, never the port it listens on: that is taken to be the
 * primary's own port, the usual setup of one server per machine. On the
 * primary's own machine that guess would name the primary itself, so such a
 * replica is only reported, not checked. */
static int discover_processlist(struct db *db)
{
	char *pport = db_scalar(db, "SELECT @@port", NULL);
	unsigned port = pport ? (unsigned)atol(pport) : 3306;
	free(pport);
	MYSQL_RES *r = db_query_f(db, DB_SILENT,
				  "SELECT HOST FROM information_schema.PROCESSLIST WHERE COMMAND LIKE 'Binlog Dump%'");
	if (!r) {
		log_warn("cannot read the process list for replicas (%s)", db_error_text(db));
		return -1;
	}
	MYSQL_ROW row;
	int found = 0;
	while ((row = mysql_fetch_row(r))) {
		if (!row[0] || !*row[0])
			continue;
		/* a host name of up to 255 bytes and its port: no fixed buffer */
		char *host = xstrdup(row[0]);
		char *colon = strrchr(host, ':');
		if (colon && strchr(host, '.')) /* "10.0.0.5:41234"; a bare IPv6 address keeps its colons */
			*colon = '\0';
		else if (colon && host[0] == '[') {
			*colon = '\0';
			char *rb = strchr(host, ']');
			if (rb)
				*rb = '\0';
			memmove(host, host + 1, strlen(host));
		}
		if (is_loopback(host)) {
			log_warn("a replica connects from '%s', this machine, and its port is unknown: give it with "
				 "--replica=h=%s,P=PORT", host, host);
			free(host);
			continue;
		}
		add_replica(host, port, NULL, NULL, NULL, "processlist");
		free(host);
		found++;
	}
	mysql_free_result(r);
	return found;
}

static void discover(struct db *db)
{
	const char *m = opt.recursion_method ? opt.recursion_method : "auto";
	if (!strcmp(m, "none"))
		return;
	int unreported = 0, found = 0;
	if (!strcmp(m, "auto") || !strcmp(m, "hosts"))
		found = discover_hosts(db, &unreported);
	if (!strcmp(m, "processlist") || (!strcmp(m, "auto") && found <= 0))
		discover_processlist(db);
	else if (unreported)
		log_warn("%d replica%s without report_host in SHOW SLAVE HOSTS: not checked; give %s with --replica",
			 unreported, unreported == 1 ? "" : "s", unreported == 1 ? "it" : "them");
}

static struct dbtarget target(const struct replica *r, bool quiet)
{
	struct dbtarget t = { r->host, r->port, r->socket, r->user, r->password, quiet };
	return t;
}

/* --- the heartbeat --- */

static void hb_name(struct sbuf *q)
{
	sb_qualified(q, hb_schema, hb_table);
}

static int hb_exec(const char *sql)
{
	if (db_exec(&hb, DB_SILENT, sql) == 0)
		return 0;
	if (db_last_class(&hb) != ERR_LOST || db_reconnect(&hb))
		return -1;
	return db_exec(&hb, DB_SILENT, sql);
}

static int hb_write(void)
{
	unsigned long long seq = hb_seq + 1;
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "INSERT INTO ");
	hb_name(&q);
	sb_addf(&q, " (id, seq, ts) VALUES (1, %llu, UTC_TIMESTAMP(6))"
		    " ON DUPLICATE KEY UPDATE seq = VALUES(seq), ts = VALUES(ts)", seq);
	double sent = now_mono();
	int rc = hb_exec(sb_str(&q));
	sb_free(&q);
	if (rc)
		return -1;
	hb_seq = seq;
	hb_sent[seq % HB_HISTORY] = sent;
	hb_done[seq % HB_HISTORY] = now_mono();
	hb_last_write = sent;
	return 0;
}

static void finish(void)
{
	for (int i = 0; i < nreps; i++)
		if (reps[i].connected)
			db_close(&reps[i].db);
	if (hb_ours && hb_connected) {
		struct sbuf q = SBUF_INIT;
		sb_add(&q, "DROP TABLE IF EXISTS ");
		hb_name(&q);
		/* Replicas that are behind or stopped drop it when they get there. */
		if (hb_exec(sb_str(&q)))
			log_warn("cannot drop the heartbeat table '%s' (%s); drop it by hand: %s", hb_table,
				 db_error_text(&hb), sb_str(&q));
		else
			log_info("dropped the heartbeat table '%s'", hb_table);
		sb_free(&q);
	}
	if (hb_connected)
		db_close(&hb);
	hb_connected = false;
}

static int hb_setup(struct db *db)
{
	hb_schema = xstrdup(opt.database);
	struct objnames on;
	objnames_init(&on, opt.database, opt.table);
	hb_table = xstrdup(on.heartbeat);
	objnames_free(&on);
	if (db_connect(&hb, "heartbeat")) {
		db_set_error(db, hb.err, hb.sqlstate, "cannot open the heartbeat connection", NULL);
		return EXIT_FAILED;
	}
	hb_connected = true;
	/* Registered at once, so the table goes on every way out of the program:
	 * success, failure, signal. */
	atexit(finish);
	bool exists = false;
	if (catalog_table_exists(&hb, hb_schema, hb_table, &exists))
		goto failed;
	struct sbuf q = SBUF_INIT;
	if (exists) {
		/* The per-table lock rules out another oscar using it now: a table with
		 * our comment is a leftover of an interrupted run, anything else is not ours. */
		sb_add(&q, "SELECT TABLE_COMMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = BINARY ");
		sb_literal(&q, hb_schema);
		sb_add(&q, " AND TABLE_NAME = BINARY ");
		sb_literal(&q, hb_table);
		char *comment = db_scalar(&hb, sb_str(&q), NULL);
		sb_free(&q);
		bool mine = comment && !strcmp(comment, HB_COMMENT);
		free(comment);
		if (!mine) {
			log_error("table '%s' exists and is not oscar's heartbeat table; rename it, or give "
				  "--recursion-method=none to copy without checking replica lag", hb_table);
			db_set_error(db, 0, "HY000", "heartbeat table name taken", NULL);
			return EXIT_FAILED;
		}
		log_info("reusing the heartbeat table '%s' an earlier run left", hb_table);
	} else {
		sb_add(&q, "CREATE TABLE ");
		hb_name(&q);
		sb_add(&q, " (id TINYINT UNSIGNED NOT NULL PRIMARY KEY, seq BIGINT UNSIGNED NOT NULL,"
			   " ts DATETIME(6) NOT NULL) ENGINE=InnoDB COMMENT=");
		sb_literal(&q, HB_COMMENT);
		int rc = hb_exec(sb_str(&q));
		sb_free(&q);
		if (rc)
			goto failed;
	}
	hb_ours = true;
	/* Sequence numbers continue above anything an earlier run wrote, which a
	 * lagging replica may still show even after the primary dropped its table. */
	sb_add(&q, "SELECT IFNULL(MAX(seq), 0) FROM ");
	hb_name(&q);
	char *v = db_scalar(&hb, sb_str(&q), NULL);
	sb_free(&q);
	if (!v)
		goto failed;
	unsigned long long prev = strtoull(v, NULL, 10);
	free(v);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	unsigned long long now_us = (unsigned long long)ts.tv_sec * 1000000ull + (unsigned long long)ts.tv_nsec / 1000;
	hb_base = prev > now_us ? prev : now_us;
	hb_seq = hb_base;
	if (hb_write())
		goto failed;
	return 0;
failed:
	log_error("cannot set up the heartbeat table '%s': %s", hb_table, db_error_text(&hb));
	db_set_error(db, hb.err, hb.sqlstate, hb.errmsg, NULL);
	return EXIT_FAILED;
}

static int init(struct db *db)
{
	ready = true;
	if (opt.replicas) {
		for (char **d = opt.replicas; *d; d++) {
			struct dsn dsn;
			char err[160];
			if (dsn_parse(*d, &dsn, err, sizeof err))
				return EXIT_FAILED; /* validated at startup */
			add_replica(dsn.host, dsn.port, dsn.socket, dsn.user, dsn.password, "option");
			dsn_free(&dsn);
		}
	} else {
		discover(db);
	}
	if (!nreps) {
		if (strcmp(opt.recursion_method ? opt.recursion_method : "auto", "none"))
			log_info("no replicas found: replica lag is not checked");
		return 0;
	}
	struct sbuf names = SBUF_INIT;
	for (int i = 0; i < nreps; i++) {
		struct replica *r = &reps[i];
		struct dbtarget t = target(r, false);
		if (db_connect_to(&r->db, r->label, &t)) {
			/* named and reachable at the start, or the setup is wrong: say so now */
			char msg[400];
			snprintf(msg, sizeof msg, "cannot connect to replica '%s'", r->name);
			db_set_error(db, r->db.err, r->db.sqlstate, msg, NULL);
			log_error("%s (found by %s); give replicas with --replica=h=HOST,P=PORT,u=USER, or "
				  "--recursion-method=none to copy without checking replica lag", msg,
				  strcmp(r->found_by, "option") ? r->found_by : "--replica");
			sb_free(&names);
			return EXIT_FAILED;
		}
		r->connected = true;
		sb_addf(&names, "%s'%s'", i ? ", " : "", r->name);
		struct sbuf ev;
		ev_begin(&ev, "replica");
		ev_str(&ev, "replica", r->name);
		ev_str(&ev, "found_by", r->found_by);
		ev_end(&ev);
	}
	log_info("checking the lag of %d replica%s (--max-lag=%gs): %s", nreps, nreps == 1 ? "" : "s", opt.max_lag,
		 sb_str(&names));
	sb_free(&names);
	return hb_setup(db);
}

/* The replica's connection failed: lost (stopped until it answers again), or
 * an error that waiting will not cure (-1). */
static int replica_failed(struct replica *r, const char *what, char *detail, size_t dn)
{
	snprintf(detail, dn, "%s: errno %u: %.200s", what, r->db.err, r->db.errmsg);
	if (db_last_class(&r->db) == ERR_LOST) {
		db_close(&r->db);
		r->connected = false;
		return LAG_STOPPED;
	}
	return -1;
}

/* Verdict for one replica with its lag interval [*lo, *hi], or -1 with the
 * reason in detail when the replica cannot be checked at all. */
static int check_one(struct replica *r, double *lo, double *hi, char *detail, size_t dn)
{
	if (!r->connected) {
		struct dbtarget t = target(r, true);
		if (db_connect_to(&r->db, r->label, &t)) {
			snprintf(detail, dn, "cannot connect: errno %u: %.200s", r->db.err, r->db.errmsg);
			return LAG_STOPPED;
		}
		r->connected = true;
		log_info("connected to replica '%s' again", r->name);
	}
	if (!r->no_status) {
		MYSQL_RES *res = db_query_f(&r->db, DB_SILENT, "SHOW SLAVE STATUS");
		if (!res && (r->db.err == 1227 || r->db.err == 1044)) {
			log_warn("replica '%s': SHOW SLAVE STATUS is not allowed (%s); telling its lag from the "
				 "heartbeat alone", r->name, r->db.errmsg);
			r->no_status = true;
		} else if (!res) {
			return replica_failed(r, "SHOW SLAVE STATUS", detail, dn);
		} else {
			MYSQL_ROW row = mysql_fetch_row(res);
			if (!row) {
				mysql_free_result(res);
				snprintf(detail, dn, "not replicating (SHOW SLAVE STATUS is empty)");
				return LAG_STOPPED;
			}
			int ci = column_index(res, "Slave_IO_Running"), cs = column_index(res, "Slave_SQL_Running");
			int ei = column_index(res, "Last_IO_Error"), es = column_index(res, "Last_SQL_Error");
			const char *io = ci >= 0 && row[ci] ? row[ci] : "?";
			const char *sq = cs >= 0 && row[cs] ? row[cs] : "?";
			int rc = LAG_OK;
			if (strcmp(io, "Yes") || strcmp(sq, "Yes")) {
				const char *e = es >= 0 && row[es] && *row[es] ? row[es]
					      : ei >= 0 && row[ei] && *row[ei] ? row[ei] : NULL;
				snprintf(detail, dn, "Slave_IO_Running=%s, Slave_SQL_Running=%s%s%.160s", io, sq,
					 e ? ": " : "", e ? e : "");
				rc = LAG_STOPPED;
			}
			mysql_free_result(res);
			if (rc == LAG_STOPPED)
				return rc;
		}
	}
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "SELECT seq FROM ");
	hb_name(&q);
	sb_add(&q, " WHERE id = 1");
	MYSQL_RES *res = db_query_f(&r->db, DB_SILENT, sb_str(&q));
	sb_free(&q);
	unsigned long long seen = 0;
	if (res) {
		MYSQL_ROW row = mysql_fetch_row(res);
		if (row && row[0])
			seen = strtoull(row[0], NULL, 10);
		mysql_free_result(res);
	} else if (r->db.err != 1146) { /* 1146: the table has not got there yet */
		return replica_failed(r, "reading the heartbeat", detail, dn);
	}
	double now = now_mono();
	unsigned long long oldest = hb_seq >= HB_HISTORY && hb_seq - HB_HISTORY + 1 > hb_base + 1
		? hb_seq - HB_HISTORY + 1 : hb_base + 1;
	if (seen > hb_seq)
		seen = hb_seq; /* cannot be: nothing else writes the row */
	if (seen < oldest) {
		/* None of the writes still remembered has arrived. */
		*lo = now - hb_done[oldest % HB_HISTORY];
		*hi = INFINITY;
		if (seen <= hb_base && now - hb_done[(hb_base + 1) % HB_HISTORY] > MISSING_WARN && !r->warned_missing) {
			log_warn("replica '%s' has not shown the heartbeat for %.0f s although it replicates; is '%s' "
				 "filtered out of its replication?", r->name, MISSING_WARN, hb_schema);
			r->warned_missing = true;
		}
	} else {
		*hi = now - hb_sent[seen % HB_HISTORY];
		*lo = seen == hb_seq ? 0 : now - hb_done[(seen + 1) % HB_HISTORY];
	}
	if (*lo < 0)
		*lo = 0;
	return LAG_OK;
}

int replica_check(struct db *db, struct lag_state *st)
{
	memset(st, 0, sizeof *st);
	st->verdict = LAG_OK;
	if (!ready) {
		int rc = init(db);
		if (rc)
			return rc;
	}
	if (!nreps)
		return 0;
	double now = now_mono();
	if (last_ok_at >= 0 && now - last_ok_at < CHECK_INTERVAL) {
		st->lag = last_ok_lag;
		return 0;
	}
	if (now - hb_last_write >= HB_MIN_INTERVAL && hb_write()) {
		log_error("cannot write the heartbeat: %s", db_error_text(&hb));
		db_set_error(db, hb.err, hb.sqlstate, hb.errmsg, NULL);
		return EXIT_FAILED;
	}
	double worst_lo = -1, worst_hi = 0;
	const char *over = NULL;
	bool unsure = false;
	for (int i = 0; i < nreps; i++) {
		struct replica *r = &reps[i];
		double lo = 0, hi = 0;
		char detail[sizeof st->detail] = "";
		int v = check_one(r, &lo, &hi, detail, sizeof detail);
		if (v < 0) {
			log_error("cannot check replica '%s': %s", r->name, detail);
			char msg[400];
			snprintf(msg, sizeof msg, "cannot check replica '%s'", r->name);
			db_set_error(db, r->db.err, r->db.sqlstate, msg, NULL);
			return EXIT_FAILED;
		}
		if (v == LAG_STOPPED) {
			/* the first stopped replica decides: no lag of the others matters */
			st->verdict = LAG_STOPPED;
			st->replica = r->name;
			snprintf(st->detail, sizeof st->detail, "%s", detail);
			last_ok_at = -1;
			return 0;
		}
		if (lo > opt.max_lag && lo > worst_lo) {
			worst_lo = lo;
			over = r->name;
		} else if (hi > opt.max_lag) {
			unsure = true;
			if (!st->replica)
				st->replica = r->name;
		}
		if (hi > worst_hi)
			worst_hi = hi;
	}
	if (over) {
		st->verdict = LAG_OVER;
		st->replica = over;
		st->lag = worst_lo;
		last_ok_at = -1;
	} else if (unsure) {
		st->verdict = LAG_UNSURE;
		last_ok_at = -1;
	} else {
		st->lag = worst_hi;
		last_ok_at = now;
		last_ok_lag = worst_hi;
	}
	return 0;
}

int replica_drop_leftover_heartbeat(struct db *db, const char *schema, const char *name)
{
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "SELECT TABLE_COMMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA = BINARY ");
	sb_literal(&q, schema);
	sb_add(&q, " AND TABLE_NAME = BINARY ");
	sb_literal(&q, name);
	bool found;
	char *comment = db_scalar(db, sb_str(&q), &found);
	sb_reset(&q);
	int rc = 0;
	/* only a table oscar made, recognised by its comment */
	if (found && comment && !strcmp(comment, HB_COMMENT)) {
		sb_add(&q, "DROP TABLE IF EXISTS ");
		sb_qualified(&q, schema, name);
		rc = db_exec(db, DB_CHANGE, sb_str(&q));
		if (!rc) {
			log_info("%s heartbeat table '%s'", db_dry_run ? "would remove" : "removed", name);
			rc = 1;
		}
	}
	free(comment);
	sb_free(&q);
	return rc;
}
