/* controller: a chunk-size controller that converges fast and does not swing.
 *
 * The rate (rows per second) of each chunk is measured and smoothed in log space,
 * so a factor-two error counts the same up and down. The next size is the rate
 * times the target time, limited to a factor four change per chunk so one noisy
 * sample cannot overshoot, and to absolute bounds. When a sample is far from the
 * smoothed rate (the server got much slower or faster), the filter trusts the new
 * sample more, so a change of load is followed within a few chunks. */
#include "controller.h"

#include <math.h>

void ctl_init(struct controller *c, double target, long fixed_size)
{
	c->target = target > 0 ? target : 0.5;
	c->fixed = fixed_size > 0;
	c->size = c->fixed ? fixed_size : CTL_FIRST_CHUNK;
	c->samples = 0;
	c->log_rate = 0;
}

void ctl_retarget(struct controller *c, double target, long fixed_size)
{
	c->target = target > 0 ? target : c->target;
	if (fixed_size > 0) {
		c->fixed = true;
		c->size = fixed_size;
		return;
	}
	c->fixed = false;
	if (c->samples == 0)
		return;
	double want = exp(c->log_rate) * c->target;
	if (want < CTL_MIN_CHUNK)
		want = CTL_MIN_CHUNK;
	if (want > CTL_MAX_CHUNK)
		want = CTL_MAX_CHUNK;
	c->size = (long)want;
}

long ctl_next(struct controller *c, long rows, double seconds)
{
	if (c->fixed)
		return c->size;
	/* A chunk of a handful of rows (the table's end) says nothing about the rate. */
	if (rows < CTL_MIN_CHUNK || seconds <= 0)
		return c->size;
	if (seconds < 1e-4)
		seconds = 1e-4;
	double lr = log((double)rows / seconds);
	if (c->samples == 0) {
		c->log_rate = lr;
	} else {
		double dev = fabs(lr - c->log_rate);
		/* gain 0.5 near the estimate, more when the sample is far off (> 2x) */
		double gain = dev > log(2.0) ? 0.8 : 0.5;
		c->log_rate += gain * (lr - c->log_rate);
	}
	c->samples++;
	double want = exp(c->log_rate) * c->target;
	double lo = (double)c->size / 4, hi = (double)c->size * 4;
	if (want < lo)
		want = lo;
	if (want > hi)
		want = hi;
	if (want < CTL_MIN_CHUNK)
		want = CTL_MIN_CHUNK;
	if (want > CTL_MAX_CHUNK)
		want = CTL_MAX_CHUNK;
	c->size = (long)want;
	return c->size;
}
