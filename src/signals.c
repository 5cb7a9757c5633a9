/* signals: all handled signals are blocked in every thread and taken by one
 * thread with sigwait, so the handling may connect and run queries: an abort
 * cancels the main connection's running statement with KILL QUERY. */
#include "signals.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "db.h"
#include "log.h"

static sigset_t handled;
static unsigned long main_tid;
static atomic_int cancel_allowed = 1;
static atomic_int abort_signal;
/* While the rollback runs, an abort is noted here instead of in oscar_abort,
 * so the rollback's own retry loops go on to the end; it is handed on when the
 * rollback ends. */
static atomic_int in_rollback, abort_in_rollback;
/* From the moment the swap is decided on, a pause comes too late. */
static atomic_int swap_begun;
/* Held while a signal is acted on (a KILL QUERY sent, a pause noted), so that
 * once cancelling is switched off (the swap, the rollback) no late KILL can
 * hit the statement that follows, and a pause and the swap's start are
 * ordered: one of them wins, and the log says which. */
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

bool signals_allow_cancel(bool allow)
{
	pthread_mutex_lock(&cancel_lock);
	bool was = cancel_allowed;
	cancel_allowed = allow;
	pthread_mutex_unlock(&cancel_lock);
	return was;
}

void signals_rollback_begin(void)
{
	pthread_mutex_lock(&cancel_lock);
	in_rollback = 1;
	abort_in_rollback = 0;
	pthread_mutex_unlock(&cancel_lock);
}

bool signals_rollback_end(void)
{
	pthread_mutex_lock(&cancel_lock);
	in_rollback = 0;
	bool got = abort_in_rollback;
	abort_in_rollback = 0;
	pthread_mutex_unlock(&cancel_lock);
	return got;
}

bool signals_begin_swap(void)
{
	pthread_mutex_lock(&cancel_lock);
	bool go = !oscar_paused;
	if (go)
		swap_begun = 1;
	pthread_mutex_unlock(&cancel_lock);
	return go;
}

void signals_swap_failed(void)
{
	swap_begun = 0;
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
	/* ignored: the statement may have ended meanwhile (1094); the abort flag
	 * stops the main thread at its next check regardless */
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
			pthread_mutex_lock(&cancel_lock);
			if (swap_begun)
				log_warn("SIGUSR1 came too late: the swap has begun (or is done); nothing is paused");
			else if (!oscar_paused)
				log_info("SIGUSR1: pausing the copy (triggers keep the shadow in sync)");
			oscar_paused = 1;
			pthread_mutex_unlock(&cancel_lock);
			break;
		case SIGUSR2:
			if (oscar_paused)
				log_info("SIGUSR2: resuming");
			oscar_paused = 0;
			break;
		default: {
			const char *name = sig == SIGINT ? "SIGINT" : sig == SIGTERM ? "SIGTERM" : "SIGHUP";
			int none = 0;
			atomic_compare_exchange_strong(&abort_signal, &none, sig);
			pthread_mutex_lock(&cancel_lock);
			if (in_rollback) {
				abort_in_rollback = 1;
				log_warn("received %s during the rollback: it goes on to the end first", name);
			} else {
				oscar_abort = 1;
				log_warn("received %s: aborting", name);
				if (cancel_allowed)
					cancel_main_query();
			}
			pthread_mutex_unlock(&cancel_lock);
			break;
		}
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
