/* The chunk-size controller against simulated servers: converge within about
 * five chunks, no oscillation, follow a change of speed, stay in bounds. */
#include <math.h>
#include <stdlib.h>

#include "controller.h"
#include "tap.h"

/* A server whose chunk time is overhead + rows / rate, with multiplicative noise. */
struct sim {
	double overhead;
	double rate;
	double noise;
	unsigned seed;
};

static double sim_time(struct sim *s, long rows)
{
	double u = (double)rand_r(&s->seed) / RAND_MAX * 2 - 1;
	return (s->overhead + (double)rows / s->rate) * (1 + s->noise * u);
}

/* Chunks until the time stays within [lo, hi] x target for 3 chunks in a row. */
static int converge(struct controller *c, struct sim *s, double lo, double hi, int max)
{
	int inrow = 0;
	for (int i = 1; i <= max; i++) {
		long rows = c->size;
		double t = sim_time(s, rows);
		ctl_next(c, rows, t);
		if (t >= lo * c->target && t <= hi * c->target) {
			if (++inrow == 3)
				return i - 2;
		} else {
			inrow = 0;
		}
	}
	return -1;
}

int main(void)
{
	struct controller c;
	struct sim fast = { 0.002, 300000, 0.05, 1 };

	ctl_init(&c, 0.5, 0);
	ok(c.size == CTL_FIRST_CHUNK, "starts at %d rows", CTL_FIRST_CHUNK);
	int n = converge(&c, &fast, 0.75, 1.33, 40);
	ok(n > 0 && n <= 6, "fast server: on target from chunk %d", n);

	/* steady state: sizes do not swing */
	long minsz = c.size, maxsz = c.size;
	int sign_changes = 0, lastsign = 0;
	long prev = c.size;
	for (int i = 0; i < 50; i++) {
		long rows = c.size;
		ctl_next(&c, rows, sim_time(&fast, rows));
		if (c.size < minsz) minsz = c.size;
		if (c.size > maxsz) maxsz = c.size;
		int sg = c.size > prev ? 1 : c.size < prev ? -1 : 0;
		if (sg && lastsign && sg != lastsign)
			sign_changes++;
		if (sg)
			lastsign = sg;
		prev = c.size;
	}
	ok((double)maxsz / (double)minsz < 1.25, "steady state within 25%% with 5%% noise (%ld..%ld)", minsz, maxsz);

	/* the server gets 5x slower: back on target within about five chunks */
	fast.rate /= 5;
	n = converge(&c, &fast, 0.75, 1.33, 40);
	ok(n > 0 && n <= 6, "server 5x slower: on target again from chunk %d", n);
	/* and 10x faster */
	fast.rate *= 10;
	n = converge(&c, &fast, 0.75, 1.33, 40);
	ok(n > 0 && n <= 6, "server 10x faster: on target again from chunk %d", n);

	/* no overshoot: the step never changes by more than 4x */
	struct sim jumpy = { 0.0, 100000, 0.0, 7 };
	ctl_init(&c, 0.5, 0);
	long last = c.size;
	int maxstep_ok = 1;
	for (int i = 0; i < 20; i++) {
		long rows = c.size;
		ctl_next(&c, rows, sim_time(&jumpy, rows));
		double r = (double)c.size / (double)last;
		if (r > 4.0001 || r < 0.2499)
			maxstep_ok = 0;
		last = c.size;
		if (i == 10)
			jumpy.rate = 1000; /* sudden 100x slowdown */
	}
	ok(maxstep_ok, "size changes at most 4x per chunk");

	/* very slow server: lower bound */
	struct sim slow = { 0.3, 10, 0.0, 3 };
	ctl_init(&c, 0.5, 0);
	for (int i = 0; i < 30; i++) {
		long rows = c.size;
		ctl_next(&c, rows, sim_time(&slow, rows));
	}
	ok(c.size >= CTL_MIN_CHUNK, "never below %d rows (%ld)", CTL_MIN_CHUNK, c.size);
	/* absurdly fast: upper bound */
	struct sim instant = { 0.0, 1e12, 0.0, 3 };
	ctl_init(&c, 0.5, 0);
	for (int i = 0; i < 30; i++) {
		long rows = c.size;
		ctl_next(&c, rows, sim_time(&instant, rows));
	}
	ok(c.size == CTL_MAX_CHUNK, "never above %d rows (%ld)", CTL_MAX_CHUNK, c.size);

	/* fixed size ignores timing */
	ctl_init(&c, 0.5, 123);
	ctl_next(&c, 123, 5.0);
	ctl_next(&c, 123, 0.0001);
	ok(c.size == 123, "--chunk-size fixes the size");

	/* a tiny final chunk does not reset the estimate */
	ctl_init(&c, 0.5, 0);
	ctl_next(&c, 1000, 0.01);
	long before = c.size;
	ctl_next(&c, 3, 0.0001);
	ok(c.size == before, "a 3-row chunk is ignored");

	/* a zero-time chunk does not divide by zero */
	ctl_init(&c, 0.5, 0);
	ctl_next(&c, 1000, 0.0);
	ok(c.size == CTL_FIRST_CHUNK, "zero seconds ignored");
	return tap_done();
}
