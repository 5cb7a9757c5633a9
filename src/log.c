/* log: every human message goes to stderr with a timestamp; machine events go to
 * stdout as JSON lines, so a cron job can keep one and a person read the other. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "options.h"

double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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

void ev_begin(struct sbuf *sb, const char *event)
{
	char ts[40];
	stamp(ts, sizeof ts);
	sb_init(sb);
	sb_add(sb, "{\"ts\":");
	sb_json(sb, ts);
	sb_add(sb, ",\"event\":");
	sb_json(sb, event);
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

void ev_bool(struct sbuf *sb, const char *key, bool val)
{
	sb_add(sb, ",");
	sb_json(sb, key);
	sb_add(sb, val ? ":true" : ":false");
}

void ev_end(struct sbuf *sb)
{
	sb_add(sb, "}\n");
	if (opt.json) {
		fputs(sb_str(sb), stdout);
		fflush(stdout);
	}
	sb_free(sb);
}

static double last_progress;

void progress_update(long long copied, long long estimated, double rows_per_s, long chunk_size,
		     const char *state)
{
	if (opt.quiet)
		return;
	bool tty = isatty(STDERR_FILENO);
	double now = now_mono();
	double every = tty ? 0.2 : opt.progress_interval;
	if (last_progress > 0 && now - last_progress < every)
		return;
	last_progress = now;
	double pct = estimated > 0 ? 100.0 * (double)copied / (double)estimated : 0;
	if (pct > 99.9)
		pct = 99.9;
	char eta[32] = "?";
	if (rows_per_s > 0 && estimated > copied) {
		long s = (long)((double)(estimated - copied) / rows_per_s);
		snprintf(eta, sizeof eta, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
	} else if (estimated <= copied) {
		snprintf(eta, sizeof eta, "soon");
	}
	char line[256];
	snprintf(line, sizeof line, "copy %5.1f%%  %lld/~%lld rows  %.0f rows/s  chunk %ld  eta %s%s%s",
		 pct, copied, estimated, rows_per_s, chunk_size, eta, state ? "  " : "", state ? state : "");
	if (tty) {
		fprintf(stderr, "\r%-100s", line);
		progress_on_line = true;
		fflush(stderr);
	} else {
		log_info("%s", line);
	}
}

void progress_done(void)
{
	if (progress_on_line) {
		fputc('\n', stderr);
		progress_on_line = false;
	}
	last_progress = 0;
}
