/* fault: exact crash points, so the tests can check resume and cleanup after
 * kill -9 at every phase without racing a timer; and exact signal points, so
 * they can check what a signal arriving at that moment does. */
#include "fault.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db.h"
#include "signals.h"
#include "clock.h"

bool fault_fail(const char *name)
{
	const char *want = getenv("OSCAR_FAULT");
	return want && !strncmp(want, "fail@", 5) && !strcmp(want + 5, name);
}

void fault_point(const char *name)
{
	const char *want = getenv("OSCAR_FAULT");
	if (!want)
		return;
	if (!strcmp(want, name)) {
		kill(getpid(), SIGKILL);
		return;
	}
	const char *at = strchr(want, '@');
	if (!at || strcmp(at + 1, name))
		return;
	size_t n = (size_t)(at - want);
	int sig = !strncmp(want, "SIGINT", n) && n == 6 ? SIGINT : !strncmp(want, "SIGTERM", n) && n == 7 ? SIGTERM
		: !strncmp(want, "SIGUSR1", n) && n == 7 ? SIGUSR1 : 0;
	if (!sig)
		return;
	kill(getpid(), sig);
	/* until the signal thread has acted on it (at most 5 s) */
	for (int i = 0; i < 500; i++) {
		if (sig == SIGUSR1 ? oscar_paused != 0 : signals_received() != 0)
			break;
		sleep_s(0.01);
	}
}
