/* cutover: carry the AUTO_INCREMENT counter, swap with one atomic RENAME TABLE,
 * then remove the triggers and the old table. The table name never disappears:
 * both renames happen in one statement under one metadata lock. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bound.h"
#include "keylog.h"
#include "cleanup.h"
#include "control.h"
#include "copy.h"
#include "cutover.h"
#include "hooks.h"
#include "log.h"
#include "migration.h"
#include "fault.h"
#include "foreignkeys.h"
#include "usertriggers.h"
#include "options.h"
#include "signals.h"
#include "stats.h"
#include "clock.h"
#include "shadow.h"
#include "triggers.h"

int cutover_window_parse(const char *s, int *start, int *end, char *err, size_t errlen)
{
	static const char form[] = "dd:dd-dd:dd";
	bool shape = strlen(s) == strlen(form);
	for (size_t i = 0; shape && form[i]; i++)
		shape = form[i] == 'd' ? s[i] >= '0' && s[i] <= '9' : s[i] == form[i];
	if (!shape) {
		snprintf(err, errlen, "'%s' is not HH:MM-HH:MM", s);
		return -1;
	}
	int h1 = (s[0] - '0') * 10 + s[1] - '0', m1 = (s[3] - '0') * 10 + s[4] - '0';
	int h2 = (s[6] - '0') * 10 + s[7] - '0', m2 = (s[9] - '0') * 10 + s[10] - '0';
	if (h1 > 23 || h2 > 23 || m1 > 59 || m2 > 59) {
		snprintf(err, errlen, "'%s' is not a time of day", s);
		return -1;
	}
	*start = h1 * 60 + m1;
	*end = h2 * 60 + m2;
	if (*start == *end) {
		/* all day or never: neither is worth a window */
		snprintf(err, errlen, "'%s' starts where it ends", s);
		return -1;
	}
	return 0;
}

bool cutover_window_open(int start, int end, int now)
{
	if (start < end)
		return now >= start && now < end;
	return now >= start || now < end; /* wraps midnight */
}

static bool window_open_now(void)
{
	int start, end;
	char err[128];
	if (!opt.cutover_window || cutover_window_parse(opt.cutover_window, &start, &end, err, sizeof err))
		return true;
	time_t t = time(NULL);
	struct tm tm;
	localtime_r(&t, &tm);
	return cutover_window_open(start, end, tm.tm_hour * 60 + tm.tm_min);
}

/* What holds the swap back; the name is the postpone and resume events'
 * reason. */
enum hold { HOLD_NONE, HOLD_PAUSED, HOLD_POSTPONE_FILE, HOLD_POSTPONED, HOLD_WINDOW, HOLD_HOOK };
static const char *const hold_names[] = {
	[HOLD_PAUSED] = "paused",	  [HOLD_POSTPONE_FILE] = "postpone-file", [HOLD_POSTPONED] = "postponed",
	[HOLD_WINDOW] = "cutover-window", [HOLD_HOOK] = "hook",
};

static const char *reason_text(enum hold reason)
{
	if (reason == HOLD_POSTPONE_FILE)
		return "the postpone file exists; delete it to cut over";
	if (reason == HOLD_WINDOW) {
		/* when it opens: the DBA's first question */
		static char text[160];
		int start, end;
		char err[128];
		if (!opt.cutover_window || cutover_window_parse(opt.cutover_window, &start, &end, err, sizeof err))
			return "outside the cutover window";
		time_t t = time(NULL);
		struct tm tm;
		localtime_r(&t, &tm);
		int now = tm.tm_hour * 60 + tm.tm_min;
		int wait = (start - now + 24 * 60) % (24 * 60);
		snprintf(text, sizeof text, "outside the cutover window %s; it opens at %02d:%02d local time, in %dh%02dm",
			 opt.cutover_window, start / 60, start % 60, wait / 60, wait % 60);
		return text;
	}
	if (reason == HOLD_POSTPONED)
		return "postponed on the control socket; 'unpostpone' lets it go ahead";
	if (reason == HOLD_PAUSED)
		return "paused (SIGUSR1 or --pause-file); SIGUSR2 or removing the file goes on";
	return "a before-cutover hook failed; trying again every 10 s";
}

bool cutover_may_wait(void)
{
	return opt.postpone_cutover_file || opt.cutover_window || hooks_exist("before-cutover");
}

int cutover_wait(struct migration *m)
{
	const double poll = 0.25;
	const double hook_every = 10, report_every = 60, keepalive_every = 300;
	bool have_hooks = hooks_exist("before-cutover");
	double t0 = now_mono(), last_hook = 0, last_report = 0, last_ping = t0;
	bool hook_ok = false, hook_ran = false;
	enum hold reason = HOLD_NONE, shown = HOLD_NONE;

	for (;;) {
		if (oscar_abort)
			return EXIT_SIGNAL;
		double now = now_mono();
		enum hold why = HOLD_NONE;
		/* a pause the DBA asked for holds the swap too, not only the copy */
		if (oscar_paused || pause_file_present()) {
			why = HOLD_PAUSED;
		} else if (opt.postpone_cutover_file && access(opt.postpone_cutover_file, F_OK) == 0) {
			why = HOLD_POSTPONE_FILE;
		} else if (control_postponed()) {
			why = HOLD_POSTPONED;
		} else if (!window_open_now()) {
			why = HOLD_WINDOW;
		} else if (have_hooks) {
			/* Hooks run only once the other conditions allow the swap, so a
			 * success is acted on at once, not after a stale wait. */
			if (!hook_ran || (!hook_ok && now - last_hook >= hook_every)) {
				hook_ok = hooks_run("before-cutover", m, NULL) == 0;
				hook_ran = true;
				last_hook = now_mono();
				if (oscar_abort)
					return EXIT_SIGNAL;
			}
			if (!hook_ok)
				why = HOLD_HOOK;
		}
		control_apply();
		control_set_state(why != HOLD_NONE ? reason_text(why) : NULL);
		if (why == HOLD_NONE)
			break;
		if (reason == HOLD_NONE) {
			struct sbuf ev;
			ev_begin(&ev, "postpone");
			ev_str(&ev, "reason", hold_names[why]);
			ev_str(&ev, "shadow", m->names.shadow);
			ev_end(&ev);
		}
		reason = why;
		now = now_mono();
		if (why != shown) {
			log_info("cutover postponed: %s; the triggers keep '%s' in sync", reason_text(why),
				 m->names.shadow);
			shown = why;
			last_report = now;
		} else if (now - last_report >= report_every) {
			log_info("cutover still postponed after %.0f s: %s", now - t0, reason_text(why));
			last_report = now;
		}
		/* The session must outlive a long wait: it holds the per-table lock,
		 * and the swap needs it. */
		if (now - last_ping >= keepalive_every) {
			if (db_exec(m->db, DB_SILENT, "DO 0")) {
				if (oscar_abort)
					return EXIT_SIGNAL;
				log_error("lost the connection while the cutover was postponed: %s", db_error_text(m->db));
				return EXIT_FAILED;
			}
			last_ping = now;
		}
		/* a failing hook does not re-run on its own schedule if the file or
		 * window takes over; it runs again when they let go */
		if (why != HOLD_HOOK)
			hook_ran = false;
		sleep_s(poll);
	}
	if (reason != HOLD_NONE) {
		double secs = now_mono() - t0;
		log_info("cutover resumed after %.1f s (%s)", secs, hold_names[reason]);
		struct sbuf ev;
		ev_begin(&ev, "resume");
		ev_str(&ev, "reason", hold_names[reason]);
		ev_num(&ev, "waited_s", secs);
		ev_end(&ev);
	}
	return 0;
}

/* --alter-foreign-keys-method=drop_swap: the children keep referencing the
 * table by name, so dropping it (foreign key checks off) and renaming the
 * shadow into its place gives them the new table without touching them. Not
 * atomic: between the DROP and the RENAME the name does not exist and the
 * application's statements on it fail. The old table is gone afterwards. */
static int drop_swap(struct migration *m)
{
	struct sbuf d = SBUF_INIT, r = SBUF_INIT;
	sb_add(&d, "DROP TABLE ");
	sb_qualified(&d, m->schema, m->table);
	sb_rename(&r, m->schema, (const char *const[]){ m->names.shadow, m->table, NULL });
	double t0 = now_mono();
	int rc = db_exec(m->db, 0, DB_FK_CHECKS_OFF);
	if (!rc)
		rc = db_exec_mdl(m->db, DB_CHANGE, "dropping the table (drop_swap)", sb_str(&d));
	if (!rc) {
		/* the table is gone: the rename must happen, however long it waits */
		cleanup_forget_all();
		for (int i = 0; i < 100 && (rc = db_exec_mdl(m->db, DB_CHANGE, "renaming the shadow (drop_swap)",
								 sb_str(&r))); i++)
			sleep_s(0.1);
	}
	db_exec_keep_error(m->db, DB_FK_CHECKS_ON);
	sb_free(&d);
	sb_free(&r);
	if (rc) {
		log_error("drop_swap failed: %s", db_error_text(m->db));
		return EXIT_FAILED;
	}
	double ms = (now_mono() - t0) * 1000;
	log_info("swapped with drop_swap: '%s' was missing for %.1f ms; the old table is gone", m->table, ms);
	struct sbuf ev;
	ev_begin(&ev, "cutover");
	ev_num(&ev, "lock_wait_ms", ms);
	ev_num(&ev, "rename_ms", ms);
	ev_int(&ev, "attempts", 1);
	ev_str(&ev, "method", "drop_swap");
	ev_end(&ev);
	return 0;
}

int cutover_swap(struct migration *m)
{
	if (oscar_abort)
		return EXIT_SIGNAL;
	if (shadow_sync_auto_increment(m))
		return oscar_abort ? EXIT_SIGNAL : EXIT_FAILED;
	if (oscar_abort)
		return EXIT_SIGNAL;
	/* a pause that came after the wait ended still wins: wait again */
	while (!signals_begin_swap()) {
		int wrc = cutover_wait(m);
		if (wrc)
			return wrc;
	}
	fault_point("swap-started");
	struct sbuf q = SBUF_INIT;
	sb_rename(&q, m->schema,
		  (const char *const[]){ m->table, m->names.old, m->names.shadow, m->table, NULL });

	/* A signal from here on must not cancel the RENAME halfway through its
	 * retries' bookkeeping: it is noted, and acted on between attempts. */
	signals_allow_cancel(false);
	/* the table's own triggers go onto the shadow, guarded, so the new table
	 * has them the moment it is renamed into place */
	if (utrig_install_guarded(m)) {
		signals_swap_failed();
		signals_allow_cancel(true);
		sb_free(&q);
		log_error("cannot copy the table's own triggers to the shadow: %s", db_error_text(m->db));
		return EXIT_FAILED;
	}
	if (opt.fk_method == FK_DROP_SWAP) {
		sb_free(&q);
		int drc = drop_swap(m);
		if (drc)
			signals_swap_failed();
		signals_allow_cancel(true);
		return drc;
	}
	/* Child tables' constraints move to the shadow now, so the RENAME carries
	 * them to the new table; a failed swap points them back. */
	bool children = opt.fk_method != FK_NONE;
	if (children && fk_rebuild(m)) {
		signals_swap_failed();
		signals_allow_cancel(true);
		sb_free(&q);
		log_error("cannot rebuild the child tables' foreign keys: %s", db_error_text(m->db));
		return EXIT_FAILED;
	}
	double t0 = now_mono();
	int attempts = 0;
	int rc = -1;
	double backoff = 0.05;
	int saved_retries = opt.lock_retries;
	for (attempts = 1; attempts <= saved_retries && !oscar_abort; attempts++) {
		double a0 = now_mono();
		opt.lock_retries = 1;
		rc = db_exec_mdl(m->db, DB_CHANGE, "swapping the tables", sb_str(&q));
		opt.lock_retries = saved_retries;
		if (rc == 0) {
			double rename_ms = (now_mono() - a0) * 1000;
			double wait_ms = (a0 - t0) * 1000;
			cleanup_forget(m->names.shadow); /* it is the live table now */
			log_info("swapped: '%s' is the new table, the old one is '%s' (%d attempt%s, rename %.1f ms)",
				 m->table, m->names.old, attempts, attempts == 1 ? "" : "s", rename_ms);
			stats_cutover(wait_ms + rename_ms, rename_ms);
			struct sbuf ev;
			ev_begin(&ev, "cutover");
			ev_num(&ev, "lock_wait_ms", wait_ms + rename_ms);
			ev_num(&ev, "rename_ms", rename_ms);
			ev_int(&ev, "attempts", attempts);
			ev_end(&ev);
			break;
		}
		if (db_last_class(m->db) != ERR_RETRY)
			break;
		stats_retry_mdl();
		log_warn("swap: metadata lock not granted within %.3f s (attempt %d of %d)", opt.lock_wait_timeout,
			 attempts, saved_retries);
		sleep_s(backoff);
		backoff = backoff * 2 > 2 ? 2 : backoff * 2;
	}
	if (rc && children && fk_repoint(m->db, m->schema, m->names.shadow, m->table))
		log_error("cannot point the child tables' foreign keys back at '%s'", m->table);
	signals_allow_cancel(true);
	sb_free(&q);
	if (rc) {
		signals_swap_failed();
		if (oscar_abort)
			return EXIT_SIGNAL;
		log_error("cannot swap the tables: %s", db_error_text(m->db));
		return EXIT_FAILED;
	}
	return 0;
}

int cutover_finish(struct migration *m)
{
	int rc = 0;
	/* The triggers followed the old table; they write into nothing that matters
	 * any more, but must go before the old table does. */
	if (triggers_drop(m->db, m->schema, &m->names, true))
		rc = EXIT_FAILED;
	/* what the triggers read goes after them */
	if (!rc && (bound_drop(m) || keylog_drop(m)))
		rc = EXIT_FAILED;
	if (!rc && utrig_restore(m))
		rc = EXIT_FAILED;
	fault_point("during-cleanup");
	if (!opt.no_drop_old_table && rc == 0) {
		struct sbuf q = SBUF_INIT;
		sb_add(&q, "DROP TABLE IF EXISTS ");
		sb_qualified(&q, m->schema, m->names.old);
		/* No application uses the old table, and dropping a large one takes
		 * longer than a lock attempt: a plain statement, not the short-wait one. */
		if (db_exec(m->db, DB_CHANGE, sb_str(&q)))
			rc = EXIT_FAILED;
		else
			log_info("dropped the old table '%s'", m->names.old);
		sb_free(&q);
	} else if (rc == 0) {
		log_info("kept the old table '%s' (--no-drop-old-table)", m->names.old);
	}
	if (rc)
		log_error("the swap is done but cleanup is not: run 'oscar --cleanup --database=%s --table=%s'",
			  m->schema, m->table);
	return rc;
}
