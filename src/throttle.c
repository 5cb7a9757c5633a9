/* throttle: reads global status variables between chunks. Over --max-load the
 * copy waits (the triggers keep the shadow in sync meanwhile); over
 * --critical-load the run is rolled back, as a DBA would stop it by hand. */
#include "throttle.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"
#include "options.h"

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

/* Index of the first limit exceeded, or -1. */
static int over(struct limit *l, int n, const double *vals)
{
	for (int i = 0; i < n; i++)
		if (vals[i] > l[i].value)
			return i;
	return -1;
}

int throttle_wait(struct db *db, long long copied, long long estimated)
{
	struct limit maxl[16], crit[16];
	int nmax = 0, ncrit = 0;
	char err[128];
	if (parse_into(opt.max_load, maxl, 16, &nmax, err, sizeof err) ||
	    parse_into(opt.critical_load, crit, 16, &ncrit, err, sizeof err))
		return EXIT_FAILED; /* validated at startup */
	double vmax[16], vcrit[16];
	bool throttled = false;
	double t0 = now_mono();
	for (;;) {
		if (oscar_abort)
			return EXIT_SIGNAL;
		if (read_status(db, crit, ncrit, vcrit) || read_status(db, maxl, nmax, vmax))
			return EXIT_FAILED;
		int c = over(crit, ncrit, vcrit);
		if (c >= 0) {
			log_error("critical load: %s=%.0f is over %.0f; aborting", crit[c].name, vcrit[c], crit[c].value);
			struct sbuf ev;
			ev_begin(&ev, "critical_load");
			ev_str(&ev, "variable", crit[c].name);
			ev_num(&ev, "value", vcrit[c]);
			ev_num(&ev, "limit", crit[c].value);
			ev_end(&ev);
			db_set_error(db, 0, "HY000", "aborted by --critical-load", NULL);
			return EXIT_FAILED;
		}
		int m = over(maxl, nmax, vmax);
		if (m < 0) {
			if (throttled) {
				log_info("load back under --max-load after %.1f s; copying again", now_mono() - t0);
				struct sbuf ev;
				ev_begin(&ev, "throttle");
				ev_bool(&ev, "active", false);
				ev_num(&ev, "seconds", now_mono() - t0);
				ev_end(&ev);
			}
			return 0;
		}
		char reason[256];
		snprintf(reason, sizeof reason, "throttled: %.63s=%g>%g", maxl[m].name, vmax[m], maxl[m].value);
		if (!throttled) {
			log_info("%s; the copy waits (triggers keep the shadow in sync)", reason);
			struct sbuf ev;
			ev_begin(&ev, "throttle");
			ev_bool(&ev, "active", true);
			ev_str(&ev, "reason", "max-load");
			ev_str(&ev, "variable", maxl[m].name);
			ev_num(&ev, "value", vmax[m]);
			ev_num(&ev, "limit", maxl[m].value);
			ev_end(&ev);
			throttled = true;
		}
		progress_update(copied, estimated, 0, 0, reason);
		sleep_s(0.5);
	}
}
