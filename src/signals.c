/* signals: all handled signals are blocked in every thread and taken by one
 * thread with sigwait, so the handling may connect and run queries: an abort
 * cancels the main connection's running statement with KILL QUERY. */
#include "signals.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "log.h"

static sigset_t handled;
static unsigned long main_tid;
static volatile int cancel_allowed = 1;
static volatile int abort_signal;
/* Held while a KILL QUERY is being sent, so that once cancelling is switched
 * off (the swap, the rollback) no late KILL can hit the statement that follows. */
static pthread_mutex_t cancel_lock = PTHREAD_MUTEX_INITIALIZER;

void signals_block(void)
{
	sigemptyset(&handled);
	sigaddset(&handled, SIGINT);
	sigaddset(&handled, SIGTERM);
	sigaddset(&handled, SIGHUP);
	sigaddset(&handled, SIGUSR1);
	sigaddset(&handled, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &handled, NULL);
	signal(SIGPIPE, SIG_IGN);
}

void signals_allow_cancel(bool allow)
{
	pthread_mutex_lock(&cancel_lock);
	cancel_allowed = allow;
	pthread_mutex_unlock(&cancel_lock);
}

int signals_received(void)
{
	return abort_signal;
}

static void cancel_main_query(void)
{
	struct db ctl;
	if (db_connect(&ctl, "control"))
		return;
	char q[64];
	snprintf(q, sizeof q, "KILL QUERY %lu", main_tid);
	db_exec(&ctl, DB_SILENT, q);
	db_close(&ctl);
}

static void *signal_thread(void *arg)
{
	(void)arg;
	for (;;) {
		int sig;
		if (sigwait(&handled, &sig))
			continue;
		switch (sig) {
		case SIGUSR1:
			if (!oscar_paused)
				log_info("SIGUSR1: pausing the copy (triggers keep the shadow in sync)");
			oscar_paused = 1;
			break;
		case SIGUSR2:
			if (oscar_paused)
				log_info("SIGUSR2: resuming");
			oscar_paused = 0;
			break;
		default:
			if (!abort_signal)
				abort_signal = sig;
			oscar_abort = 1;
			log_warn("received %s: aborting", sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP");
			pthread_mutex_lock(&cancel_lock);
			if (cancel_allowed)
				cancel_main_query();
			pthread_mutex_unlock(&cancel_lock);
			break;
		}
	}
	return NULL;
}

int signals_start(unsigned long main_thread_id)
{
	main_tid = main_thread_id;
	pthread_t th;
	if (pthread_create(&th, NULL, signal_thread, NULL))
		return -1;
	pthread_detach(th);
	return 0;
}
