/* clock: monotonic time and sleeping. */
#ifndef OSCAR_CLOCK_H
#define OSCAR_CLOCK_H


/* Seconds on CLOCK_MONOTONIC (differences only). */
double now_mono(void);
/* Sleeps s seconds, resumed after a signal; s <= 0 returns at once. */
void sleep_s(double s);

#endif
