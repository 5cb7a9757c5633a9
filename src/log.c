/* log: every human message goes to stderr with a timestamp; machine events go to
 * stdout as JSON lines, so a cron job can keep one and a person read the other. */
#include "log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "options.h"
#include "clock.h"

static bool progress_on_line; /* a \r line is showing and must be ended first */

static void stamp(char *buf, size_t n)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t k = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + k, n - k, ".%03ldZ", ts.tv_nsec / 1000000);
}

/* fmt and ap are a log_* caller's, whose format the compiler checks */
static void vlog(const char *level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void vlog(const char *level, const char *fmt, va_list ap)
{
	char ts[40];
	stamp(ts, sizeof ts);
	if (progress_on_line) {
		fputc('\n', stderr);
		progress_on_line = false;
	}
	fprintf(stderr, "%s oscar: %s", ts, level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	fflush(stderr);
}

void log_info(const char *fmt, ...)
{
	if (opt.quiet)
		return;
	va_list ap;
	va_start(ap, fmt);
	vlog("", fmt, ap);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("warning: ", fmt, ap);
	va_end(ap);
}

void log_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog("error: ", fmt, ap);
	va_end(ap);
}

/* Every event of a run names it and its table (man page, JSON EVENTS). */
static char run_id[64], run_db[260], run_table[260];
static atomic_int error_emitted;
static _Thread_local bool building_error;

void log_set_run(const char *schema, const char *table)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	char t[24];
	strftime(t, sizeof t, "%Y%m%dT%H%M%S", &tm);
	snprintf(run_id, sizeof run_id, "%s.%03ld-%ld", t, ts.tv_nsec / 1000000, (long)getpid());
	snprintf(run_db, sizeof run_db, "%s", schema ? schema : "");
	snprintf(run_table, sizeof run_table, "%s", table ? table : "");
}

bool log_error_emitted(void)
{
	return atomic_load(&error_emitted) != 0;
}

int refuse(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *msg = NULL;
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	log_error("refused: %s", msg ? msg : fmt);
	struct sbuf ev;
	ev_begin(&ev, "error");
	ev_int(&ev, "exit_status", EXIT_REFUSED);
	ev_str(&ev, "message", msg ? msg : fmt);
	ev_end(&ev);
	free(msg);
	return EXIT_REFUSED;
}

void ev_begin(struct sbuf *sb, const char *event)
{
	char ts[40];
	stamp(ts, sizeof ts);
	sb_init(sb);
	sb_add(sb, "{\"ts\":");
	sb_json(sb, ts);
	sb_add(sb, ",\"event\":");
	sb_json(sb, event);
	building_error = !strcmp(event, "error");
	if (run_id[0]) {
		sb_add(sb, ",\"run_id\":");
		sb_json(sb, run_id);
		if (run_db[0]) {
			sb_add(sb, ",\"database\":");
			sb_json(sb, run_db);
		}
		if (run_table[0]) {
			sb_add(sb, ",\"table\":");
			sb_json(sb, run_table);
		}
	}
}

void ev_str(struct sbuf *sb, const char *key, const char *val)
{
	sb_add(sb, ",");
	sb_json(sb, key);
	sb_add(sb, ":");
	if (val)
		sb_json(sb, val);
	else
		sb_add(sb, "null");
}

void ev_int(struct sbuf *sb, const char *key, long long val)
{
	sb_add(sb, ",");
	sb_json(sb, key);
	sb_addf(sb, ":%lld", val);
}

void ev_num(struct sbuf *sb, const char *key, double val)
{
	sb_add(sb, ",");
	sb_json(sb, key);
	sb_addf(sb, ":%.6f", val);
}

void ev_strv(struct sbuf *sb, const char *key, char *const *v, int n)
{
	sb_add(sb, ",");
	sb_json(sb, key);
	sb_add(sb, ":[");
	for (int i = 0; v && i < n; i++) {
		if (i)
			sb_add(sb, ",");
		sb_json(sb, v[i]);
	}
	sb_add(sb, "]");
}

void ev_raw(struct sbuf *sb, const char *key, const char *json)
{
	sb_add(sb, ",");
	sb_json(sb, key);
	sb_add(sb, ":");
	sb_add(sb, json);
}

void ev_bool(struct sbuf *sb, const char *key, bool val)
{
	sb_add(sb, ",");
	sb_json(sb, key);
	sb_add(sb, val ? ":true" : ":false");
}

void ev_end(struct sbuf *sb)
{
	sb_add(sb, "}\n");
	if (building_error)
		atomic_store(&error_emitted, 1);
	if (opt.json) {
		fputs(sb_str(sb), stdout);
		fflush(stdout);
	}
	/* the test suite collects every event any run emits, to check them
	 * against the documented schema (test/t/99-event-schema.t) */
	const char *collect = getenv("OSCAR_EVENT_LOG");
	if (collect && *collect) {
		int fd = open(collect, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0) {
			ssize_t w = write(fd, sb_str(sb), sb->len);
			(void)w; /* a test aid only */
			close(fd);
		}
	}
	sb_free(sb);
}

/* The copy's rate over its last seconds of copying: chunk rows and chunk
 * seconds only, so time spent paused or throttled between chunks is not
 * counted, and a pause neither drags the rate down nor makes it jump after. */
#define RATE_WINDOW_S 10.0
#define RATE_SAMPLES 256
static struct {
	long rows[RATE_SAMPLES];
	double secs[RATE_SAMPLES];
	int head, n;
	double rows_sum, secs_sum;
} rate;
static double progress_started, last_progress;
static long long shown_copied, shown_estimated;

void progress_begin(long long copied, long long estimated)
{
	memset(&rate, 0, sizeof rate);
	shown_copied = copied;
	shown_estimated = estimated;
	progress_started = now_mono();
	last_progress = 0;
}

void progress_chunk(long rows, double secs)
{
	if (rate.n == RATE_SAMPLES || (rate.n > 1 && rate.secs_sum - rate.secs[rate.head] >= RATE_WINDOW_S)) {
		rate.rows_sum -= (double)rate.rows[rate.head];
		rate.secs_sum -= rate.secs[rate.head];
		rate.head = (rate.head + 1) % RATE_SAMPLES;
		rate.n--;
	}
	int at = (rate.head + rate.n) % RATE_SAMPLES;
	rate.rows[at] = rows;
	rate.secs[at] = secs;
	rate.n++;
	rate.rows_sum += (double)rows;
	rate.secs_sum += secs;
}

double progress_rate(void)
{
	return rate.secs_sum > 0 ? rate.rows_sum / rate.secs_sum : 0;
}

double progress_eta(long long copied, long long estimated)
{
	double r = progress_rate();
	return r > 0 && estimated > copied ? (double)(estimated - copied) / r : 0;
}

static void clock_text(char *buf, size_t n, double secs)
{
	long s = (long)(secs + 0.5);
	if (s >= 3600)
		snprintf(buf, n, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
	else
		snprintf(buf, n, "%ld:%02ld", s / 60, s % 60);
}

/* 1234567 as "1.2M", 47000 as "47k" */
static void short_count(char *buf, size_t n, double v)
{
	if (v >= 1e9)
		snprintf(buf, n, "%.1fG", v / 1e9);
	else if (v >= 1e6)
		snprintf(buf, n, "%.1fM", v / 1e6);
	else if (v >= 1e4)
		snprintf(buf, n, "%.0fk", v / 1e3);
	else
		snprintf(buf, n, "%.0f", v);
}

static void progress_print(long long copied, long long estimated, long chunk_size, const char *state, bool final)
{
	bool tty = isatty(STDERR_FILENO);
	double pct = estimated > 0 ? 100.0 * (double)copied / (double)estimated : 0;
	/* the estimate is the server's guess: 100% only once the copy is done */
	if (final)
		pct = 100;
	else if (pct > 99.9)
		pct = 99.9;
	double r = progress_rate();
	char eta[32] = "?", elapsed[32];
	if (final)
		snprintf(eta, sizeof eta, "0:00");
	else if (r > 0 && estimated > copied)
		clock_text(eta, sizeof eta, (double)(estimated - copied) / r);
	else if (estimated <= copied)
		snprintf(eta, sizeof eta, "soon");
	clock_text(elapsed, sizeof elapsed, progress_started > 0 ? now_mono() - progress_started : 0);
	char line[400];
	if (tty) {
		char bar[11], c[16], e[16], rs[16];
		int full = (int)(pct / 10);
		for (int i = 0; i < 10; i++)
			bar[i] = i < full ? '#' : '.';
		bar[10] = '\0';
		short_count(c, sizeof c, (double)copied);
		short_count(e, sizeof e, (double)(final ? copied : estimated));
		short_count(rs, sizeof rs, r);
		snprintf(line, sizeof line, "[%s] %3.0f%% %s/%s rows %s rows/s eta %s elapsed %s%s%s", bar, pct, c, e, rs,
			 eta, elapsed, state ? "  " : "", state ? state : "");
		fprintf(stderr, "\r%-110s", line);
		progress_on_line = true;
		if (final) {
			fputc('\n', stderr);
			progress_on_line = false;
		}
		fflush(stderr);
	} else {
		snprintf(line, sizeof line, "copy %5.1f%%  %lld/~%lld rows  %.0f rows/s  chunk %ld  eta %s  elapsed %s%s%s",
			 pct, copied, final ? copied : estimated, r, chunk_size, eta, elapsed, state ? "  " : "",
			 state ? state : "");
		log_info("%s", line);
	}
}

void progress_update(long long copied, long long estimated, long chunk_size, const char *state)
{
	shown_copied = copied;
	shown_estimated = estimated;
	if (opt.quiet)
		return;
	bool tty = isatty(STDERR_FILENO);
	double now = now_mono();
	double every = tty ? 0.2 : opt.progress_interval;
	/* a change of state (throttled, paused) is shown at once */
	if (!state && last_progress > 0 && now - last_progress < every)
		return;
	last_progress = now;
	progress_print(copied, estimated, chunk_size, state, false);
}

/* Whether a progress line is due (every 0.2 s on a terminal, every
 * --progress seconds otherwise); marks it shown. */
static bool progress_due(double now)
{
	if (opt.quiet)
		return false;
	double every = isatty(STDERR_FILENO) ? 0.2 : opt.progress_interval;
	if (last_progress > 0 && now - last_progress < every)
		return false;
	last_progress = now;
	return true;
}

void progress_state(const char *state)
{
	if (progress_due(now_mono()))
		progress_print(shown_copied, shown_estimated, 0, state, false);
}

void progress_phase(const char *what, long long done, long long total, double started)
{
	double now = now_mono();
	if (!progress_due(now))
		return;
	char elapsed[32];
	clock_text(elapsed, sizeof elapsed, now - started);
	char line[300];
	if (total > 0) {
		double pct = 100.0 * (double)done / (double)total;
		snprintf(line, sizeof line, "%s %5.1f%%  %lld/~%lld rows  elapsed %s", what, pct > 99.9 ? 99.9 : pct, done,
			 total, elapsed);
	} else {
		snprintf(line, sizeof line, "%s  elapsed %s", what, elapsed);
	}
	if (isatty(STDERR_FILENO)) {
		fprintf(stderr, "\r%-110s", line);
		progress_on_line = true;
		fflush(stderr);
	} else {
		log_info("%s", line);
	}
}

void progress_stopped(void)
{
	if (progress_on_line) {
		fputc('\n', stderr);
		progress_on_line = false;
	}
	last_progress = 0;
	shown_copied = 0;
}

void progress_done(void)
{
	/* the line ends at 100%, not frozen at the last update */
	if (!opt.quiet && (shown_copied > 0 || progress_on_line))
		progress_print(shown_copied, shown_estimated, 0, NULL, true);
	if (progress_on_line) {
		fputc('\n', stderr);
		progress_on_line = false;
	}
	last_progress = 0;
	shown_copied = 0;
}
