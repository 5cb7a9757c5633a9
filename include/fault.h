/* fault: crash points for the fault tests (test/t/27-resume.t). */
#ifndef OSCAR_FAULT_H
#define OSCAR_FAULT_H

#include <stdbool.h>

/* When the environment variable OSCAR_FAULT names this point, the process
 * kills itself with SIGKILL here, as kill -9 from outside would, but at an
 * exact phase. OSCAR_FAULT=SIGINT@NAME (SIGTERM, SIGUSR1) sends that signal
 * instead and returns once the signal thread has acted on it. Unset (always,
 * in production) it does nothing. */
void fault_point(const char *name);
/* True when OSCAR_FAULT=fail@NAME: the caller acts as if the step named had
 * failed, so a test can check that a check which cannot run refuses. */
bool fault_fail(const char *name);

#endif
