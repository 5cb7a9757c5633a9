/* throttle: reads global status variables between chunks. Over --max-load the
 * copy waits (the triggers keep the shadow in sync meanwhile); over
 * --critical-load the run is rolled back, as a DBA would stop it by hand.
 * It also waits while a replica lags more than --max-lag or does not
 * replicate at all (replica.c measures that), and on a Galera node while
 * flow control holds the cluster (--max-flow-ctl). */
#include "throttle.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "options.h"
#include "replica.h"
#include "stats.h"
#include "clock.h"

struct limit {
	char name[64];
	double value;
};

static int parse_into(const char *spec, struct limit *out, int max, int *n, char *err, size_t errlen)
{
	*n = 0;
	const char *p = spec;
	while (*p) {
		if (*n == max) {
			snprintf(err, errlen, "too many variables in '%s'", spec);
			return -1;
		}
		const char *eq = strchr(p, '=');
		const char *end = strchr(p, ',');
		if (!end)
			end = p + strlen(p);
		if (!eq || eq > end || eq == p || (size_t)(eq - p) >= sizeof out->name) {
			snprintf(err, errlen, "expected VAR=N in '%s'", spec);
			return -1;
		}
		for (const char *c = p; c < eq; c++)
			if (!isalnum((unsigned char)*c) && *c != '_') {
				snprintf(err, errlen, "bad status variable name in '%s'", spec);
				return -1;
			}
		memcpy(out[*n].name, p, (size_t)(eq - p));
		out[*n].name[eq - p] = '\0';
		char num[64];
		size_t nl = (size_t)(end - eq - 1);
		if (nl == 0 || nl >= sizeof num) {
			snprintf(err, errlen, "expected a number in '%s'", spec);
			return -1;
		}
		memcpy(num, eq + 1, nl);
		num[nl] = '\0';
		char *e;
		out[*n].value = strtod(num, &e);
		if (*e || out[*n].value < 0) {
			snprintf(err, errlen, "expected a number in '%s'", spec);
			return -1;
		}
		(*n)++;
		p = *end ? end + 1 : end;
	}
	return 0;
}

int throttle_parse(const char *spec, char *err, size_t errlen)
{
	struct limit l[16];
	int n;
	return parse_into(spec, l, 16, &n, err, errlen);
}

/* Global status value of each limit's variable; -1 when unknown. */
static int read_status(struct db *db, struct limit *l, int n, double *vals)
{
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "SHOW GLOBAL STATUS WHERE Variable_name IN (");
	for (int i = 0; i < n; i++) {
		if (i)
			sb_add(&q, ", ");
		sb_literal(&q, l[i].name);
		vals[i] = -1;
	}
	sb_add(&q, ")");
	MYSQL_RES *r = db_query(db, sb_str(&q));
	sb_free(&q);
	if (!r)
		return -1;
	MYSQL_ROW row;
	while ((row = mysql_fetch_row(r)))
		for (int i = 0; i < n; i++)
			if (row[0] && row[1] && !strcasecmp(row[0], l[i].name))
				vals[i] = atof(row[1]);
	mysql_free_result(r);
	return 0;
}

int throttle_unknown(struct db *db, const char *spec, char *name, size_t cap)
{
	struct limit l[16];
	double vals[16];
	int n;
	char err[128];
	if (parse_into(spec, l, 16, &n, err, sizeof err) || read_status(db, l, n, vals))
		return -1;
	for (int i = 0; i < n; i++)
		if (vals[i] < 0) {
			snprintf(name, cap, "%s", l[i].name);
			return 1;
		}
	return 0;
}

int throttle_check(struct db *db)
{
	const char *specs[] = { opt.max_load, opt.critical_load };
	const char *names[] = { "max-load", "critical-load" };
	for (int k = 0; k < 2; k++) {
		struct limit l[16];
		double vals[16];
		int n;
		char err[128];
		if (parse_into(specs[k], l, 16, &n, err, sizeof err))
			return EXIT_FAILED; /* validated at startup */
		if (read_status(db, l, n, vals))
			return EXIT_FAILED;
		/* an unknown variable reads as -1, never over its limit: the run
		 * would go unthrottled */
		for (int i = 0; i < n; i++)
			if (vals[i] < 0) {
				log_error("refused: --%s names '%s', which is not a global status variable of this server",
					  names[k], l[i].name);
				return EXIT_REFUSED;
			}
	}
	return 0;
}

/* Index of the first limit exceeded, or -1. */
static int over(struct limit *l, int n, const double *vals)
{
	for (int i = 0; i < n; i++)
		if (vals[i] > l[i].value)
			return i;
	return -1;
}

/* Galera flow control: the share of the time since the last look that
 * replication was paused (wsrep_flow_control_paused_ns is cumulative), and
 * whether this node's receive queue is at gcs.fc_limit, where it would pause
 * the cluster itself. Over --max-flow-ctl the copy, which adds writesets every
 * node must apply, waits. The first look only takes the baseline. */
struct flowctl {
	double paused_ns, at; /* last sample */
	long fc_limit;        /* gcs.fc_limit, 0: unknown */
	bool have;
};
static struct flowctl fc;

static long provider_fc_limit(struct db *db)
{
	char *po = db_scalar(db, "SELECT @@global.wsrep_provider_options", NULL);
	const char *p = po ? strstr(po, "gcs.fc_limit =") : NULL;
	long v = p ? atol(p + strlen("gcs.fc_limit =")) : 0;
	free(po);
	return v;
}

/* 1 when over the limit (text and value filled), 0 when not, -1 on error. */
static int flowctl_over(struct db *db, double *pct, long *queue)
{
	*pct = 0;
	*queue = 0;
	if (!db_galera || opt.max_flow_ctl <= 0)
		return 0;
	MYSQL_RES *r = db_query(db, "SHOW GLOBAL STATUS WHERE Variable_name IN"
				    " ('wsrep_flow_control_paused_ns', 'wsrep_local_recv_queue')");
	if (!r)
		return -1;
	double paused = -1, t = now_mono();
	MYSQL_ROW row;
	while ((row = mysql_fetch_row(r))) {
		if (!row[0] || !row[1])
			continue;
		if (!strcasecmp(row[0], "wsrep_flow_control_paused_ns"))
			paused = atof(row[1]);
		else
			*queue = atol(row[1]);
	}
	mysql_free_result(r);
	if (!fc.have)
		fc.fc_limit = provider_fc_limit(db);
	bool over = false;
	if (fc.have && paused >= 0 && t - fc.at > 0.01) {
		*pct = 100.0 * (paused - fc.paused_ns) / ((t - fc.at) * 1e9);
		over = *pct > opt.max_flow_ctl;
	}
	if (fc.fc_limit > 0 && *queue >= fc.fc_limit)
		over = true;
	fc.paused_ns = paused;
	fc.at = t;
	fc.have = paused >= 0;
	return over;
}

/* The --max-load and --critical-load limits, with the values last read. */
struct load {
	struct limit max[16], crit[16];
	int nmax, ncrit;
	double vmax[16], vcrit[16];
};

/* Both specs, validated at startup; read again while throttled, as the
 * control socket may change them. */
static int load_parse(struct load *l)
{
	char err[128];
	if (parse_into(opt.max_load, l->max, 16, &l->nmax, err, sizeof err) ||
	    parse_into(opt.critical_load, l->crit, 16, &l->ncrit, err, sizeof err))
		return -1;
	return 0;
}

/* One look at the server: what holds the copy back, if anything. */
struct reading {
	int crit;        /* the --critical-load limit exceeded, or -1 */
	int max;         /* the --max-load limit exceeded, or -1 */
	bool flowctl;    /* Galera flow control over --max-flow-ctl */
	double fc_pct;   /* ... its share of the time paused */
	long fc_queue;   /* ... and the receive queue */
	struct lag_state lag;
};

/* Reads the load (the critical limits first: over one, nothing else matters),
 * then flow control, then, only when the primary's load lets the copy go on,
 * the replicas: while it waits anyway, their lag changes nothing. */
static int look(struct db *db, struct load *l, struct reading *r)
{
	memset(r, 0, sizeof *r);
	r->lag.verdict = LAG_OK;
	r->max = -1;
	if (read_status(db, l->crit, l->ncrit, l->vcrit) || read_status(db, l->max, l->nmax, l->vmax))
		return EXIT_FAILED;
	r->crit = over(l->crit, l->ncrit, l->vcrit);
	if (r->crit >= 0)
		return 0;
	r->max = over(l->max, l->nmax, l->vmax);
	if (r->max >= 0)
		return 0;
	int f = flowctl_over(db, &r->fc_pct, &r->fc_queue);
	if (f < 0)
		return EXIT_FAILED;
	r->flowctl = f;
	return r->flowctl ? 0 : replica_check(db, &r->lag);
}

static int critical_abort(struct db *db, const struct load *l, int c)
{
	log_error("critical load: %s=%.0f is over %.0f; aborting", l->crit[c].name, l->vcrit[c], l->crit[c].value);
	struct sbuf ev;
	ev_begin(&ev, "critical_load");
	ev_str(&ev, "variable", l->crit[c].name);
	ev_num(&ev, "value", l->vcrit[c]);
	ev_num(&ev, "limit", l->crit[c].value);
	ev_end(&ev);
	db_set_error(db, 0, "HY000", "aborted by --critical-load", NULL);
	return EXIT_FAILED;
}

/* --fail-on-stopped-replica */
static int stopped_abort(struct db *db, const struct lag_state *ls)
{
	log_error("replica '%s' is stopped (%s); --fail-on-stopped-replica: aborting", ls->replica, ls->detail);
	struct sbuf ev;
	ev_begin(&ev, "replica_stopped");
	ev_str(&ev, "replica", ls->replica);
	ev_str(&ev, "detail", ls->detail);
	ev_end(&ev);
	char msg[400];
	snprintf(msg, sizeof msg, "replica '%s' is stopped: %s", ls->replica, ls->detail);
	db_set_error(db, 0, "HY000", msg, NULL);
	return EXIT_FAILED;
}

/* The copy goes on after waiting since t0 for the reason last named. */
static void throttle_ended(const char *waited_for, double t0)
{
	stats_wait(waited_for ? waited_for : "throttled", now_mono() - t0);
	if (throttle_waiting)
		throttle_waiting(NULL, true);
	log_info("throttling over after %.1f s; copying again", now_mono() - t0);
	struct sbuf ev;
	ev_begin(&ev, "throttle");
	ev_bool(&ev, "active", false);
	ev_num(&ev, "waited_s", now_mono() - t0);
	ev_end(&ev);
}

/* Why the copy waits: one throttle decision. */
enum reason { WAIT_LOAD, WAIT_FLOWCTL, WAIT_LAG, WAIT_STOPPED };
static const char *const reason_names[] = { [WAIT_LOAD] = "max-load", [WAIT_FLOWCTL] = "max-flow-ctl",
					    [WAIT_LAG] = "max-lag", [WAIT_STOPPED] = "replica-stopped" };

struct decision {
	enum reason reason;
	char key[320];    /* reason and subject: a new key is a new event */
	char text[320];   /* for the log and the progress line */
};

/* A reading that holds the copy back (not LAG_OK, not LAG_UNSURE) as a decision. */
static void decide(const struct load *l, const struct reading *r, struct decision *d)
{
	if (r->max >= 0) {
		d->reason = WAIT_LOAD;
		snprintf(d->key, sizeof d->key, "max-load %s", l->max[r->max].name);
		snprintf(d->text, sizeof d->text, "throttled: %.63s=%g>%g", l->max[r->max].name, l->vmax[r->max],
			 l->max[r->max].value);
	} else if (r->flowctl) {
		d->reason = WAIT_FLOWCTL;
		snprintf(d->key, sizeof d->key, "max-flow-ctl");
		snprintf(d->text, sizeof d->text, "throttled: Galera flow control paused %.0f%%>%g%%, receive queue %ld",
			 r->fc_pct, opt.max_flow_ctl, r->fc_queue);
	} else if (r->lag.verdict == LAG_OVER) {
		d->reason = WAIT_LAG;
		snprintf(d->key, sizeof d->key, "max-lag %.200s", r->lag.replica);
		snprintf(d->text, sizeof d->text, "throttled: replica %.200s lag %.3fs>%gs", r->lag.replica, r->lag.lag,
			 opt.max_lag);
	} else {
		d->reason = WAIT_STOPPED;
		snprintf(d->key, sizeof d->key, "replica-stopped %.200s", r->lag.replica);
		snprintf(d->text, sizeof d->text, "throttled: replica %.120s stopped (%.160s)", r->lag.replica,
			 r->lag.detail);
	}
}

/* A new reason to wait: its log line and throttle event. */
static void announce(const struct load *l, const struct reading *r, const struct decision *d)
{
	if (d->reason == WAIT_STOPPED)
		log_warn("replica '%s' is stopped (%s): the copy waits until it replicates again "
			 "(--fail-on-stopped-replica would abort instead)", r->lag.replica, r->lag.detail);
	else
		log_info("%s; the copy waits (triggers keep the shadow in sync)", d->text);
	struct sbuf ev;
	ev_begin(&ev, "throttle");
	ev_bool(&ev, "active", true);
	ev_str(&ev, "reason", reason_names[d->reason]);
	switch (d->reason) {
	case WAIT_LOAD:
		ev_str(&ev, "variable", l->max[r->max].name);
		ev_num(&ev, "value", l->vmax[r->max]);
		ev_num(&ev, "limit", l->max[r->max].value);
		break;
	case WAIT_FLOWCTL:
		ev_num(&ev, "paused_pct", r->fc_pct);
		ev_int(&ev, "recv_queue", r->fc_queue);
		ev_num(&ev, "limit_pct", opt.max_flow_ctl);
		break;
	case WAIT_LAG:
		ev_str(&ev, "replica", r->lag.replica);
		ev_num(&ev, "lag_s", r->lag.lag);
		ev_num(&ev, "limit_s", opt.max_lag);
		break;
	case WAIT_STOPPED:
		ev_str(&ev, "replica", r->lag.replica);
		ev_str(&ev, "detail", r->lag.detail);
		break;
	}
	ev_end(&ev);
}

void (*throttle_waiting)(const char *state, bool changed);

int throttle_wait(struct db *db, long long copied, long long estimated)
{
	struct load l;
	if (load_parse(&l))
		return EXIT_FAILED; /* validated at startup */
	bool throttled = false;
	char active[320] = ""; /* key of the last throttle event */
	double t0 = now_mono();
	const char *waited_for = NULL;
	for (;;) {
		if (oscar_abort)
			return EXIT_SIGNAL;
		/* settings changed on the control socket count from this check */
		if (throttle_waiting)
			throttle_waiting(NULL, false);
		if (throttled && load_parse(&l))
			return EXIT_FAILED;
		struct reading r;
		int rc = look(db, &l, &r);
		if (rc)
			return rc;
		if (r.crit >= 0)
			return critical_abort(db, &l, r.crit);
		if (r.max < 0 && r.lag.verdict == LAG_STOPPED && opt.fail_on_stopped_replica)
			return stopped_abort(db, &r.lag);
		if (r.max < 0 && !r.flowctl && r.lag.verdict == LAG_OK) {
			if (throttled)
				throttle_ended(waited_for, t0);
			return 0;
		}
		if (r.max < 0 && r.lag.verdict == LAG_UNSURE) {
			/* not a decision yet: the replica is read again in a moment, and
			 * within --max-lag it either shows the heartbeat or is over */
			sleep_s(0.02);
			continue;
		}
		struct decision d;
		decide(&l, &r, &d);
		if (strcmp(d.key, active)) {
			announce(&l, &r, &d);
			throttled = true;
			snprintf(active, sizeof active, "%s", d.key);
		}
		waited_for = reason_names[d.reason];
		if (throttle_waiting)
			throttle_waiting(d.text, true);
		progress_update(copied, estimated, 0, d.text);
		/* lag is re-measured often so the copy resumes promptly; load and a
		 * stopped replica change slowly */
		sleep_s(r.max < 0 && (r.flowctl || r.lag.verdict == LAG_OVER) ? 0.1 : 0.5);
	}
}
