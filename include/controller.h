/* controller: chooses the next chunk size from the measured chunk times. */
#ifndef OSCAR_CONTROLLER_H
#define OSCAR_CONTROLLER_H

#include <stdbool.h>

#define CTL_FIRST_CHUNK 1000
#define CTL_MIN_CHUNK 10
#define CTL_MAX_CHUNK 2000000

struct controller {
	double target;   /* seconds per chunk */
	long size;       /* rows for the next chunk */
	bool fixed;
	int samples;
	double log_rate; /* smoothed log(rows per second) */
};

void ctl_init(struct controller *c, double target, long fixed_size);
/* A new target or a fixed size (0: adaptive again) while the copy runs: the
 * next size follows from the rate measured so far. */
void ctl_retarget(struct controller *c, double target, long fixed_size);
/* Feeds the rows and seconds of the chunk just done; returns the next size. */
long ctl_next(struct controller *c, long rows, double seconds);

/* Seconds per copy transaction while others write: max_lock_time when set
 * (> 0), else a tenth of the chunk time, but not under 25 ms (or the chunk
 * time, when that is shorter): a shorter transaction spends more on its
 * fixed costs (the boundary read, the commit) than on copying, and the run
 * grows longer than it gains (docs/cost.md). An application write waits for
 * a copy transaction at most this long. */
#define CTL_TX_SHARE 10
#define CTL_TX_FLOOR 0.025
static inline double ctl_tx_seconds(double chunk_time, double max_lock_time)
{
	if (max_lock_time > 0)
		return max_lock_time;
	double least = chunk_time < CTL_TX_FLOOR ? chunk_time : CTL_TX_FLOOR;
	double share = chunk_time / CTL_TX_SHARE;
	return share > least ? share : least;
}

#endif
