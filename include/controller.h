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

#endif
