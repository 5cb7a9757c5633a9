/* log: timestamped messages on stderr, JSON events on stdout, the progress line. */
#ifndef OSCAR_LOG_H
#define OSCAR_LOG_H

#include <stdbool.h>
#include "sbuf.h"

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "refused: <message>" and its error event; returns EXIT_REFUSED. For every
 * check that stops a run before it changes anything. */
int refuse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The run every event names: a run id, the database and the table. */
void log_set_run(const char *schema, const char *table);
/* Whether an "error" event has been emitted (every failing exit emits one). */
bool log_error_emitted(void);

/* JSON events: ev_begin starts {"ts":..,"event":name; add fields; ev_end prints
 * the line (only with --json) and frees the buffer. */
void ev_begin(struct sbuf *sb, const char *event);
void ev_str(struct sbuf *sb, const char *key, const char *val);
void ev_int(struct sbuf *sb, const char *key, long long val);
void ev_num(struct sbuf *sb, const char *key, double val);
void ev_bool(struct sbuf *sb, const char *key, bool val);
/* An array of the n strings of v (strv_len for a NULL-terminated one). */
void ev_strv(struct sbuf *sb, const char *key, char *const *v, int n);
/* A value already in JSON. */
void ev_raw(struct sbuf *sb, const char *key, const char *json);
void ev_end(struct sbuf *sb);


/* Progress of the copy: rate-limited, one rewriting line with a bar on a
 * terminal, plain lines every --progress seconds otherwise. The rate is taken
 * over the last seconds of copying only (chunks fed with progress_chunk). */
void progress_begin(long long copied, long long estimated);
void progress_chunk(long rows, double secs);
double progress_rate(void);
double progress_eta(long long copied, long long estimated);
/* state: why the copy waits (throttled, paused), shown at once; NULL while copying. */
void progress_update(long long copied, long long estimated, long chunk_size, const char *state);
/* The last line, at 100% when the copy finished (not for a stopped one). */
void progress_done(void);
/* The last figures again with why the copy waits, at most every --progress. */
void progress_state(const char *state);
/* A long phase other than the copy (verify, index build): rate-limited as the
 * copy's line; total 0 when unknown. End it with progress_stopped. */
void progress_phase(const char *what, long long done, long long total, double started);
/* Ends the line of a copy that stopped before its end. */
void progress_stopped(void);

#endif
