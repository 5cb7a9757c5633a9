/* fault: exact crash points, so the tests can check resume and cleanup after
 * kill -9 at every phase without racing a timer. */
#include "fault.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void fault_point(const char *name)
{
	const char *want = getenv("OSCAR_FAULT");
	if (want && !strcmp(want, name))
		kill(getpid(), SIGKILL);
}
