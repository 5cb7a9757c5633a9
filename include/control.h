/* control: the Unix socket a DBA watches and steers a running migration with
 * (one command per line, one answer line: "ok ..." or "error: ..."). */
#ifndef OSCAR_CONTROL_H
#define OSCAR_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

/* The socket of a table's run when --control-socket is not given:
 * /tmp/oscar-DB.TBL-XXXXXXXX.sock, every byte of the names that is not a
 * letter, digit, '-' or '_' written as %XX, XXXXXXXX a hash of the server as
 * the connection options name it (socket, or host and port), the path cut and
 * hashed when too long for a socket. Caller frees. */
char *control_default_path(const char *schema, const char *table);

/* Listens on path (mode 0600) from a thread of its own. A leftover socket
 * nobody answers on is replaced; one that answers belongs to another oscar:
 * EXIT_LOCKED. Returns 0 or an EXIT_* status after reporting. */
int control_start(const char *path, const char *schema, const char *table);
/* Stops listening and removes the socket; safe to call more than once. */
void control_stop(void);

/* Main thread, at safe points (between chunks, while waiting): applies the
 * changes asked for on the socket since the last call, logs each and emits a
 * "control" event. */
void control_apply(void);

/* What "status" reports, published by the main thread. */
void control_set_phase(const char *phase);
void control_set_progress(long long copied, long long estimated, double rows_per_s, double eta_s, long chunk_size);
void control_set_state(const char *state); /* "paused", "throttled: ...", NULL when running */
/* The swap is held from the socket (postpone / unpostpone). */
bool control_postponed(void);

/* Client side: sends one command to the socket at path and returns the
 * answer line (caller frees), or NULL when nobody answers (errno set). */
char *control_send(const char *path, const char *command);

#endif
