/* stats: counters the phases feed as they go. The main thread alone writes
 * them (the index-build thread reports through its own return), so they need
 * no lock. */
#include "stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "options.h"
#include "clock.h"

#define MAX_PHASES 16
#define MAX_REASONS 8

static struct {
	struct {
		char name[24];
		double secs;
	} phase[MAX_PHASES];
	int nphases;
	int current; /* -1: none yet */
	double phase_started;
	double *chunk_secs;
	long nchunks, cap;
	double target, slow_chunks; /* chunks over twice their target */
	long retries_deadlock, retries_lock_wait, retries_mdl, retries_other;
	struct {
		char reason[24];
		double secs;
		long times;
	} wait[MAX_REASONS];
	int nwaits;
	double cutover_lock_ms, cutover_rename_ms;
	bool cutover;
} S = { .current = -1 };

void stats_phase(const char *name)
{
	double now = now_mono();
	if (S.current >= 0)
		S.phase[S.current].secs += now - S.phase_started;
	S.phase_started = now;
	for (int i = 0; i < S.nphases; i++)
		if (!strcmp(S.phase[i].name, name)) {
			S.current = i;
			return;
		}
	if (S.nphases == MAX_PHASES) {
		S.current = -1;
		return;
	}
	S.current = S.nphases++;
	snprintf(S.phase[S.current].name, sizeof S.phase[S.current].name, "%s", name);
}

void stats_chunk(double secs, double target)
{
	if (S.nchunks == S.cap) {
		S.cap = S.cap ? S.cap * 2 : 256;
		S.chunk_secs = xrealloc(S.chunk_secs, sizeof *S.chunk_secs * (size_t)S.cap);
	}
	S.chunk_secs[S.nchunks++] = secs;
	S.target = target;
	if (secs > 2 * target)
		S.slow_chunks++;
}

void stats_retry_errno(unsigned err)
{
	if (err == 1213)
		S.retries_deadlock++;
	else if (err == 1205)
		S.retries_lock_wait++;
	else
		S.retries_other++;
}

void stats_retry_mdl(void)
{
	S.retries_mdl++;
}

void stats_wait(const char *reason, double secs)
{
	for (int i = 0; i < S.nwaits; i++)
		if (!strcmp(S.wait[i].reason, reason)) {
			S.wait[i].secs += secs;
			S.wait[i].times++;
			return;
		}
	if (S.nwaits == MAX_REASONS)
		return;
	snprintf(S.wait[S.nwaits].reason, sizeof S.wait[S.nwaits].reason, "%s", reason);
	S.wait[S.nwaits].secs = secs;
	S.wait[S.nwaits].times = 1;
	S.nwaits++;
}

void stats_cutover(double lock_wait_ms, double rename_ms)
{
	S.cutover = true;
	S.cutover_lock_ms = lock_wait_ms;
	S.cutover_rename_ms = rename_ms;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Chunk time quantile q of the sorted times. */
static double quantile(const double *v, long n, double q)
{
	if (n == 0)
		return 0;
	long i = (long)(q * (double)(n - 1) + 0.5);
	return v[i];
}

static void close_phase(void)
{
	if (S.current >= 0) {
		double now = now_mono();
		S.phase[S.current].secs += now - S.phase_started;
		S.phase_started = now;
	}
}

struct chunk_spread {
	double min, median, p90, max, total;
};

static struct chunk_spread spread(void)
{
	struct chunk_spread c = { 0, 0, 0, 0, 0 };
	if (!S.nchunks)
		return c;
	double *v = xmalloc(sizeof *v * (size_t)S.nchunks);
	memcpy(v, S.chunk_secs, sizeof *v * (size_t)S.nchunks);
	qsort(v, (size_t)S.nchunks, sizeof *v, cmp_double);
	for (long i = 0; i < S.nchunks; i++)
		c.total += v[i];
	c.min = v[0];
	c.median = quantile(v, S.nchunks, 0.5);
	c.p90 = quantile(v, S.nchunks, 0.9);
	c.max = v[S.nchunks - 1];
	free(v);
	return c;
}

void stats_event(struct sbuf *ev, long long rows_copied)
{
	close_phase();
	struct chunk_spread c = spread();
	for (int i = 0; i < S.nphases; i++) {
		char key[48];
		snprintf(key, sizeof key, "phase_%s_s", S.phase[i].name);
		ev_num(ev, key, S.phase[i].secs);
	}
	ev_int(ev, "chunks", S.nchunks);
	ev_num(ev, "copy_rows_per_s", c.total > 0 ? (double)rows_copied / c.total : 0);
	ev_num(ev, "chunk_target_s", S.target);
	ev_num(ev, "chunk_median_s", c.median);
	ev_num(ev, "chunk_p90_s", c.p90);
	ev_num(ev, "chunk_max_s", c.max);
	ev_int(ev, "chunks_over_twice_target", (long long)S.slow_chunks);
	ev_int(ev, "retries_deadlock", S.retries_deadlock);
	ev_int(ev, "retries_lock_wait", S.retries_lock_wait);
	ev_int(ev, "retries_mdl", S.retries_mdl);
	ev_int(ev, "retries_other", S.retries_other);
	for (int i = 0; i < S.nwaits; i++) {
		char key[48];
		snprintf(key, sizeof key, "waited_%s_s", S.wait[i].reason);
		for (char *p = key; *p; p++)
			if (*p == '-')
				*p = '_';
		ev_num(ev, key, S.wait[i].secs);
	}
	if (S.cutover) {
		ev_num(ev, "cutover_lock_wait_ms", S.cutover_lock_ms);
		ev_num(ev, "cutover_rename_ms", S.cutover_rename_ms);
	}
}

void stats_log(long long rows_copied)
{
	if (opt.quiet || (S.nphases == 0 && S.nchunks == 0))
		return;
	close_phase();
	struct sbuf sb = SBUF_INIT;
	for (int i = 0; i < S.nphases; i++)
		sb_addf(&sb, "%s%s %.2f s", i ? ", " : "", S.phase[i].name, S.phase[i].secs);
	log_info("summary: time by phase: %s", sb_str(&sb));
	sb_free(&sb);
	if (S.nchunks) {
		struct chunk_spread c = spread();
		log_info("summary: %lld rows copied in %ld chunks, %.0f rows/s while copying; chunk time median %.3f s, "
			 "90%% %.3f s, max %.3f s against a target of %.3f s (%.0f over twice the target)",
			 rows_copied, S.nchunks, c.total > 0 ? (double)rows_copied / c.total : 0, c.median, c.p90, c.max,
			 S.target, S.slow_chunks);
	}
	log_info("summary: retries: %ld deadlock, %ld lock wait, %ld metadata lock, %ld other", S.retries_deadlock,
		 S.retries_lock_wait, S.retries_mdl, S.retries_other);
	if (S.nwaits) {
		for (int i = 0; i < S.nwaits; i++)
			sb_addf(&sb, "%s%s %.1f s (%ld time%s)", i ? ", " : "", S.wait[i].reason, S.wait[i].secs,
				S.wait[i].times, S.wait[i].times == 1 ? "" : "s");
		log_info("summary: waited: %s", sb_str(&sb));
		sb_free(&sb);
	}
	if (S.cutover)
		log_info("summary: cutover: %.1f ms waiting for the lock, rename %.1f ms", S.cutover_lock_ms,
			 S.cutover_rename_ms);
}
