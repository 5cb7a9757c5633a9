/* log: timestamped messages on stderr, JSON events on stdout, the progress line. */
#ifndef OSCAR_LOG_H
#define OSCAR_LOG_H

#include <stdbool.h>
#include "sbuf.h"

void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* JSON events: ev_begin starts {"ts":..,"event":name; add fields; ev_end prints
 * the line (only with --json) and frees the buffer. */
void ev_begin(struct sbuf *sb, const char *event);
void ev_str(struct sbuf *sb, const char *key, const char *val);
void ev_int(struct sbuf *sb, const char *key, long long val);
void ev_num(struct sbuf *sb, const char *key, double val);
void ev_bool(struct sbuf *sb, const char *key, bool val);
void ev_end(struct sbuf *sb);

double now_mono(void);

/* Progress: rate-limited, one updating line on a terminal. */
void progress_update(long long copied, long long estimated, double rows_per_s, long chunk_size,
		     const char *state);
void progress_done(void);

#endif
