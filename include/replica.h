/* replica: how far each replica lags, measured with a heartbeat oscar writes on
 * the primary and reads back on the replicas. */
#ifndef OSCAR_REPLICA_H
#define OSCAR_REPLICA_H

#include <stddef.h>

#include "db.h"

/* "500ms", "2s", "1.5" (seconds), "1m": seconds > 0 in *out; 0, or -1. */
int replica_parse_lag(const char *v, double *out);

/* Checks a --replica DSN, "h=HOST,P=PORT,S=SOCKET,u=USER,p=PASSWORD"; 0, or
 * -1 with a message in err that never contains the password. */
int replica_dsn_check(const char *dsn, char *err, size_t errlen);
/* Overwrites the password of a DSN in place (argv), so ps never shows it. */
void replica_dsn_scrub(char *dsn);

enum lag_verdict {
	LAG_OK,      /* every replica is certainly within --max-lag */
	LAG_UNSURE,  /* a replica has not shown yet whether it is: look again shortly */
	LAG_OVER,    /* a replica certainly lags more than --max-lag */
	LAG_STOPPED, /* a replica does not replicate: its lag cannot be known */
};

struct lag_state {
	enum lag_verdict verdict;
	const char *replica; /* the replica the verdict is about ("host:port") */
	double lag;          /* LAG_OVER: seconds the replica is at least behind;
			      * LAG_OK: the most any replica can be behind */
	char detail[256];    /* LAG_STOPPED: why ("Slave_SQL_Running=No ...") */
};

/* One check of every replica; the first call finds the replicas and creates
 * the heartbeat table in the schema of the migrated table. Returns 0 with the
 * verdict in st, or an EXIT_* status after logging the error (the message is
 * also left in db's error). */
int replica_check(struct db *db, struct lag_state *st);

/* --cleanup: drops schema.name (objnames' heartbeat) when it is a heartbeat
 * table of oscar. 1 when it did (or, in dry run, would), 0 when there was
 * none, -1 on error. */
int replica_drop_leftover_heartbeat(struct db *db, const char *schema, const char *name);

#endif
