/* fault: crash points for the fault tests (test/t/27-resume.t). */
#ifndef OSCAR_FAULT_H
#define OSCAR_FAULT_H

/* When the environment variable OSCAR_FAULT names this point, the process
 * kills itself with SIGKILL here, as kill -9 from outside would, but at an
 * exact phase. OSCAR_FAULT=SIGINT@NAME (SIGTERM, SIGUSR1) sends that signal
 * instead and returns once the signal thread has acted on it. Unset (always,
 * in production) it does nothing. */
void fault_point(const char *name);

#endif
