/* throttle: pause the copy while the server is loaded or replicas lag; abort when overloaded. */
#ifndef OSCAR_THROTTLE_H
#define OSCAR_THROTTLE_H

#include <stdbool.h>

#include "db.h"

/* Parses "VAR=N[,VAR=N]"; 0, or -1 with a message in err. */
int throttle_parse(const char *spec, char *err, size_t errlen);

/* Called at every check (changed false), and with why the copy waits when
 * that changes (NULL: no longer): the control socket's way in, set by main. */
extern void (*throttle_waiting)(const char *state, bool changed);

/* Refuses (EXIT_REFUSED, one error line) a --max-load or --critical-load
 * variable the server's global status does not have; 0 when all exist. */
int throttle_check(struct db *db);
/* 1 when spec ("VAR=N[,VAR=N]") names a variable the server does not have
 * (its name in name), 0 when it has them all, -1 after an error. */
int throttle_unknown(struct db *db, const char *spec, char *name, size_t cap);

/* After each chunk: waits while a --max-load variable is over its limit, a
 * replica lags more than --max-lag or a replica is stopped (emitting throttle
 * events); returns EXIT_FAILED when a --critical-load variable is over its
 * limit, or a replica is stopped and --fail-on-stopped-replica is given,
 * EXIT_SIGNAL on abort, else 0. */
int throttle_wait(struct db *db, long long copied, long long estimated);

#endif
