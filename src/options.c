/* options: command-line parsing driven by one table, which also prints --help. */
#include "options.h"

#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cutover.h"
#include "hooks.h"
#include "optfile.h"
#include "replica.h"
#include "sbuf.h"
#include "throttle.h"

#ifndef OSCAR_VERSION
#define OSCAR_VERSION "0.1.0"
#endif

struct options opt = {
	.chunk_time = 0.5,
	.lock_wait_timeout = 0.5,
	.lock_retries = 30,
	.chunk_retries = 20,
	.copy_threads = 1,
	.mirror = "auto",
	.progress_interval = 5.0,
	.copy_method = COPY_AUTO,
	.copy_binlog_format = "auto",
	.defer_indexes = "auto",
	.max_load = "Threads_running=25",
	.critical_load = "Threads_running=50",
	.max_lag = 1.0,
	.max_flow_ctl = 25,
	.recursion_method = "auto",
	.verify = true,
	.fk_method = FK_NONE,
};

enum argkind { ARG_NONE, ARG_REQ, ARG_OPT };

struct optdef {
	const char *name;
	enum argkind arg;
	const char *metavar;
	const char *help;
};

/* Keep in step with man/oscar.1: test/t/05-docs.t compares the two. */
static const struct optdef optdefs[] = {
	{ "database", ARG_REQ, "DB", "schema of the table to change" },
	{ "table", ARG_REQ, "TBL", "table to change" },
	{ "alter", ARG_REQ, "SPEC", "ALTER TABLE specification, without 'ALTER TABLE t'" },
	{ "execute", ARG_NONE, NULL, "really change the table (default: dry run)" },
	{ "dry-run", ARG_NONE, NULL, "check and print the plan, change nothing (the default)" },
	{ "host", ARG_REQ, "H", "server host" },
	{ "port", ARG_REQ, "P", "server TCP port" },
	{ "socket", ARG_REQ, "S", "server unix socket" },
	{ "user", ARG_REQ, "U", "user name" },
	{ "password", ARG_OPT, "PW", "password; without a value, prompt on the terminal" },
	{ "defaults-file", ARG_REQ, "F", "read option files: this one only (it must exist)" },
	{ "ssl-ca", ARG_REQ, "F", "TLS certificate authority file" },
	{ "ssl-cert", ARG_REQ, "F", "TLS client certificate file" },
	{ "ssl-key", ARG_REQ, "F", "TLS client key file" },
	{ "chunk-time", ARG_REQ, "SEC", "target seconds per copy chunk (default 0.5)" },
	{ "chunk-size", ARG_REQ, "N", "fixed rows per chunk instead of the controller" },
	{ "max-lock-time", ARG_REQ, "SEC", "while others write, copy each chunk in transactions of about this long (default chunk-time/10)" },
	{ "no-swap", ARG_NONE, NULL, "stop before the cutover, leaving shadow and triggers live" },
	{ "no-drop-old-table", ARG_NONE, NULL, "keep the old table after the swap" },
	{ "cleanup", ARG_NONE, NULL, "remove what an earlier run left for the table" },
	{ "json", ARG_NONE, NULL, "write one JSON event per line to stdout" },
	{ "quiet", ARG_NONE, NULL, "no progress output" },
	{ "allow-unique-key-change", ARG_NONE, NULL, "allow an ALTER that adds a UNIQUE or PRIMARY key" },
	{ "pause-file", ARG_REQ, "F", "pause the copy while this file exists" },
	{ "lock-wait-timeout", ARG_REQ, "SEC", "longest wait for a metadata lock per attempt (default 0.5)" },
	{ "lock-retries", ARG_REQ, "N", "attempts at a metadata lock before giving up (default 30)" },
	{ "chunk-retries", ARG_REQ, "N", "attempts at a chunk after deadlocks or lock waits (default 20)" },
	{ "copy-threads", ARG_REQ, "N", "while others write, copy in N connections at once (default 1)" },
	{ "mirror", ARG_REQ, "WHAT", "auto (the triggers mirror only rows the copy has reached, where safe) or all" },
	{ "copy-method", ARG_REQ, "M", "auto or server (INSERT ... SELECT, the default), or client (INSERT ... VALUES)" },
	{ "copy-binlog-format", ARG_REQ, "F", "auto (copy statements logged as statements when that is safe) or row" },
	{ "defer-indexes", ARG_REQ, "WHEN", "build plain secondary indexes after the copy: auto (when nobody writes at the start), always or never" },
	{ "max-load", ARG_REQ, "VAR=N", "pause the copy while a status variable is over N (default Threads_running=25)" },
	{ "critical-load", ARG_REQ, "VAR=N", "abort and roll back when a status variable is over N (default Threads_running=50)" },
	{ "max-lag", ARG_REQ, "TIME", "pause the copy while a replica lags more than this (500ms, 2s; default 1s)" },
	{ "galera", ARG_NONE, NULL, "run on a node of a Galera cluster (experimental: see GALERA in the man page)" },
	{ "max-flow-ctl", ARG_REQ, "PCT", "on a Galera node: pause the copy while flow control paused the cluster more than PCT% of the time (default 25; 0 off)" },
	{ "replica", ARG_REQ, "DSN", "check this replica (h=HOST,P=PORT,S=SOCKET,u=USER,p=PW) instead of discovering; repeatable" },
	{ "recursion-method", ARG_REQ, "M", "how to find replicas: auto (default), hosts, processlist or none" },
	{ "fail-on-stopped-replica", ARG_NONE, NULL, "abort and roll back when a replica is stopped instead of waiting" },
	{ "alter-foreign-keys-method", ARG_REQ, "M", "none (refuse), rebuild_constraints, drop_swap or auto: child tables' foreign keys follow the new table" },
	{ "revert-window", ARG_REQ, "DURATION", "keep the old table in sync after the swap, so --revert can go back" },
	{ "revert", ARG_NONE, NULL, "swap back to the table before the change (dry run: say whether it is lossless)" },
	{ "revert-window-wait", ARG_NONE, NULL, "with --revert-window: stay until the window ends, then close it" },
	{ "finish", ARG_NONE, NULL, "end the revert window: drop the reverse triggers and the old table" },
	{ "resume", ARG_NONE, NULL, "continue the unfinished job for the table (also done without it); fail if there is none" },
	{ "max-runtime", ARG_REQ, "DURATION", "stop the copy after this long (90s, 30m, 2h); the next run resumes" },
	{ "prefer-instant", ARG_NONE, NULL, "apply the ALTER natively when the server can do it instantly" },
	{ "verify", ARG_NONE, NULL, "compare shadow and table before the swap (the default)" },
	{ "no-verify", ARG_NONE, NULL, "swap without comparing shadow and table first" },
	{ "postpone-cutover-file", ARG_REQ, "F", "after the copy, wait to swap while this file exists" },
	{ "cutover-window", ARG_REQ, "HH:MM-HH:MM", "swap only within this local time window (may wrap midnight)" },
	{ "hook", ARG_REQ, "EVENT:CMD", "run CMD with /bin/sh -c at EVENT (see the man page); repeatable" },
	{ "hooks-dir", ARG_REQ, "DIR", "run DIR/EVENT, when executable, at each event" },
	{ "progress", ARG_REQ, "SEC", "seconds between progress lines when not on a terminal (default 5)" },
	{ "control-socket", ARG_REQ, "PATH", "listen for commands on this Unix socket (default /tmp/oscar-DB.TBL.sock)" },
	{ "status", ARG_NONE, NULL, "print the status of the running job (or the unfinished one) and exit; without --table, every job" },
	{ "send", ARG_REQ, "CMD", "send one command to the running job's control socket and print the answer" },
	{ "help", ARG_NONE, NULL, "print this help and exit" },
	{ "version", ARG_NONE, NULL, "print the version and exit" },
	{ NULL, ARG_NONE, NULL, NULL },
};

void options_help(void)
{
	printf("usage: oscar --database=DB --table=TBL --alter=SPEC [--execute] [options]\n\n"
	       "Online schema change for MariaDB and MySQL: shadow table, triggers, chunked copy,\n"
	       "atomic swap. Without --execute nothing is changed.\n\noptions:\n");
	for (const struct optdef *d = optdefs; d->name; d++) {
		char left[64];
		if (d->arg == ARG_REQ)
			snprintf(left, sizeof left, "--%s=%s", d->name, d->metavar);
		else if (d->arg == ARG_OPT)
			snprintf(left, sizeof left, "--%s[=%s]", d->name, d->metavar);
		else
			snprintf(left, sizeof left, "--%s", d->name);
		printf("  %-28s %s\n", left, d->help);
	}
	printf("\nexit status: 0 done, 1 failed (rolled back), 2 usage, 3 refused by a check,\n"
	       "4 connection failed, 5 aborted by signal, 6 table busy with another oscar,\n"
	       "7 incomplete but resumable\n");
}

static char last_error[512];

const char *options_error(void)
{
	return last_error;
}

/* Where the value being applied came from, for messages: NULL for the
 * command line. */
static const char *origin_file;
static int origin_line;

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(last_error, sizeof last_error, fmt, ap);
	va_end(ap);
	if (origin_file && n >= 0 && (size_t)n < sizeof last_error)
		snprintf(last_error + n, sizeof last_error - (size_t)n, " in [oscar] of '%s' line %d", origin_file,
			 origin_line);
	fprintf(stderr, "oscar: error: %s (see oscar --help)\n", last_error);
	return EXIT_USAGE;
}

static int parse_double(const char *name, const char *v, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (errno || end == v || *end || !isfinite(d) || d < lo || d > hi)
		return usage_error("invalid value '%s' for --%s (a number from %g to %g)", v, name, lo, hi);
	*out = d;
	return 0;
}

static int parse_long(const char *name, const char *v, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long l = strtol(v, &end, 10);
	if (errno || end == v || *end || l < lo || l > hi)
		return usage_error("invalid value '%s' for --%s (a whole number from %ld to %ld)", v, name, lo, hi);
	*out = l;
	return 0;
}

/* --hook=EVENT:COMMAND, appended to opt.hooks in the order given. */
static int parse_hook(const char *v)
{
	const char *colon = strchr(v, ':');
	if (!colon)
		return usage_error("invalid --hook '%s': expected EVENT:COMMAND", v);
	char *event = xstrdup(v);
	event[colon - v] = '\0';
	bool known = hooks_event_valid(event);
	if (!known)
		usage_error("invalid --hook: unknown event '%s' (" HOOK_EVENTS ")", event);
	free(event);
	if (!known)
		return EXIT_USAGE;
	if (!colon[1 + strspn(colon + 1, " \t")])
		return usage_error("invalid --hook '%s': empty command", v);
	size_t n = 0;
	while (opt.hooks && opt.hooks[n])
		n++;
	opt.hooks = xrealloc(opt.hooks, (n + 2) * sizeof *opt.hooks);
	opt.hooks[n] = xstrdup(v);
	opt.hooks[n + 1] = NULL;
	return 0;
}

/* "90", "90s", "30m", "2h", "1h30m", "1d": seconds, > 0 and at most a century. */
int options_parse_duration(const char *v, double *out)
{
	double total = 0;
	const char *p = v;
	if (!*p)
		return -1;
	while (*p) {
		char *end;
		errno = 0;
		double n = strtod(p, &end);
		if (errno || end == p || n < 0 || !isfinite(n))
			return -1;
		double unit = 1;
		switch (*end) {
		case 's': unit = 1; end++; break;
		case 'm': unit = 60; end++; break;
		case 'h': unit = 3600; end++; break;
		case 'd': unit = 86400; end++; break;
		case '\0': break;
		default: return -1;
		}
		total += n * unit;
		p = end;
	}
	/* "1e301m" is finite, an hour more is not; beyond a century is a typo */
	if (!isfinite(total) || total <= 0 || total > 100.0 * 366 * 86400)
		return -1;
	*out = total;
	return 0;
}

/* Overwrites the value in argv so ps and /proc/PID/cmdline no longer show it. */
static void scrub(char *s)
{
	if (s)
		memset(s, 'x', strlen(s));
}

/* One option's value, from the command line or an option file; raw is the
 * argv word holding it, scrubbed once a secret is copied (NULL for a file). */
static int apply_option(size_t idx, const char *v, char *raw)
{
	const char *name = optdefs[idx].name;
	long l;
	int rc;
	if (!strcmp(name, "database")) opt.database = xstrdup(v);
	else if (!strcmp(name, "table")) opt.table = xstrdup(v);
	else if (!strcmp(name, "alter")) opt.alter = xstrdup(v);
	else if (!strcmp(name, "execute")) opt.execute = true;
	else if (!strcmp(name, "dry-run")) opt.execute = false;
	else if (!strcmp(name, "host")) opt.host = xstrdup(v);
	else if (!strcmp(name, "port")) {
		if ((rc = parse_long(name, v, 1, 65535, &l)))
			return rc;
		opt.port = (unsigned)l;
	} else if (!strcmp(name, "socket")) opt.socket = xstrdup(v);
	else if (!strcmp(name, "user")) opt.user = xstrdup(v);
	else if (!strcmp(name, "password")) {
		free(opt.password);
		opt.password = NULL;
		opt.password_prompt = false;
		if (v) {
			opt.password = xstrdup(v);
			scrub(raw);
		} else {
			opt.password_prompt = true;
		}
	} else if (!strcmp(name, "defaults-file")) opt.defaults_file = xstrdup(v);
	else if (!strcmp(name, "ssl-ca")) opt.ssl_ca = xstrdup(v);
	else if (!strcmp(name, "ssl-cert")) opt.ssl_cert = xstrdup(v);
	else if (!strcmp(name, "ssl-key")) opt.ssl_key = xstrdup(v);
	else if (!strcmp(name, "chunk-time")) {
		if ((rc = parse_double(name, v, 0.01, 60, &opt.chunk_time)))
			return rc;
	} else if (!strcmp(name, "max-lock-time")) {
		if ((rc = parse_double(name, v, 0.001, 60, &opt.max_lock_time)))
			return rc;
	} else if (!strcmp(name, "chunk-size")) {
		if ((rc = parse_long(name, v, 1, 100000000, &opt.chunk_size)))
			return rc;
	} else if (!strcmp(name, "no-swap")) opt.no_swap = true;
	else if (!strcmp(name, "no-drop-old-table")) opt.no_drop_old_table = true;
	else if (!strcmp(name, "cleanup")) opt.cleanup = true;
	else if (!strcmp(name, "json")) opt.json = true;
	else if (!strcmp(name, "quiet")) opt.quiet = true;
	else if (!strcmp(name, "allow-unique-key-change")) opt.allow_unique_key_change = true;
	else if (!strcmp(name, "pause-file")) opt.pause_file = xstrdup(v);
	else if (!strcmp(name, "lock-wait-timeout")) {
		if ((rc = parse_double(name, v, 0.001, 3600, &opt.lock_wait_timeout)))
			return rc;
	} else if (!strcmp(name, "lock-retries")) {
		if ((rc = parse_long(name, v, 1, 100000, &l)))
			return rc;
		opt.lock_retries = (int)l;
	} else if (!strcmp(name, "chunk-retries")) {
		if ((rc = parse_long(name, v, 1, 100000, &l)))
			return rc;
		opt.chunk_retries = (int)l;
	} else if (!strcmp(name, "mirror")) {
		if (strcmp(v, "auto") && strcmp(v, "all")) {
			return usage_error("invalid value '%s' for --%s (auto or all)", v, name);
		}
		opt.mirror = xstrdup(v);
	} else if (!strcmp(name, "copy-threads")) {
		if ((rc = parse_long(name, v, 1, COPY_MAX_THREADS, &l)))
			return rc;
		opt.copy_threads = (int)l;
	} else if (!strcmp(name, "postpone-cutover-file")) {
		if (!*v) {
			return usage_error("empty value for --%s", name);
		}
		opt.postpone_cutover_file = xstrdup(v);
	} else if (!strcmp(name, "cutover-window")) {
		char err[160];
		int from, to;
		if (cutover_window_parse(v, &from, &to, err, sizeof err)) {
			return usage_error("invalid --%s: %s", name, err);
		}
		opt.cutover_window = xstrdup(v);
	} else if (!strcmp(name, "hook")) {
		if ((rc = parse_hook(v)))
			return rc;
	} else if (!strcmp(name, "hooks-dir")) {
		struct stat st;
		if (stat(v, &st) || !S_ISDIR(st.st_mode)) {
			return usage_error("--hooks-dir '%s' is not a directory%s", v, "");
		}
		opt.hooks_dir = xstrdup(v);
	} else if (!strcmp(name, "progress")) {
		if ((rc = parse_double(name, v, 0.1, 86400, &opt.progress_interval)))
			return rc;
	} else if (!strcmp(name, "max-load") || !strcmp(name, "critical-load")) {
		char err[160];
		if (throttle_parse(v, err, sizeof err)) {
			return usage_error("invalid --%s: %s", name, err);
		}
		if (!strcmp(name, "max-load"))
			opt.max_load = xstrdup(v);
		else
			opt.critical_load = xstrdup(v);
	} else if (!strcmp(name, "alter-foreign-keys-method")) {
		static const char *const methods[] = { [FK_NONE] = "none",
						       [FK_REBUILD_CONSTRAINTS] = "rebuild_constraints",
						       [FK_DROP_SWAP] = "drop_swap",
						       [FK_AUTO] = "auto" };
		size_t k = 0;
		while (k < sizeof methods / sizeof methods[0] && strcmp(v, methods[k]))
			k++;
		if (k == sizeof methods / sizeof methods[0])
			return usage_error("invalid value '%s' for --%s (none, rebuild_constraints, drop_swap or auto)", v, name);
		opt.fk_method = (enum fk_method)k;
	} else if (!strcmp(name, "revert-window")) {
		if (options_parse_duration(v, &opt.revert_window)) {
			return usage_error("invalid value '%s' for --%s (e.g. 90s, 30m, 2h)", v, name);
		}
	} else if (!strcmp(name, "revert")) {
		opt.revert = true;
	} else if (!strcmp(name, "revert-window-wait")) {
		opt.revert_wait = true;
	} else if (!strcmp(name, "finish")) {
		opt.finish = true;
	} else if (!strcmp(name, "resume")) {
		opt.resume = true;
	} else if (!strcmp(name, "max-runtime")) {
		if (options_parse_duration(v, &opt.max_runtime)) {
			return usage_error("invalid value '%s' for --%s (e.g. 90s, 30m, 2h)", v, name);
		}
	} else if (!strcmp(name, "max-lag")) {
		if (replica_parse_lag(v, &opt.max_lag)) {
			return usage_error("invalid value '%s' for --%s (e.g. 500ms, 2s)", v, name);
		}
	} else if (!strcmp(name, "replica")) {
		char err[160];
		char *dsn = xstrdup(v);
		if (raw)
			replica_dsn_scrub(raw); /* a p=PASSWORD part leaves argv at once */
		int bad = replica_dsn_check(dsn, err, sizeof err);
		if (bad) {
			free(dsn);
			return usage_error("invalid --%s: %s", name, err);
		}
		size_t nr = 0;
		while (opt.replicas && opt.replicas[nr])
			nr++;
		opt.replicas = xrealloc(opt.replicas, (nr + 2) * sizeof *opt.replicas);
		opt.replicas[nr] = dsn;
		opt.replicas[nr + 1] = NULL;
	} else if (!strcmp(name, "recursion-method")) {
		if (strcmp(v, "auto") && strcmp(v, "hosts") && strcmp(v, "processlist") && strcmp(v, "none")) {
			return usage_error("invalid value '%s' for --%s (auto, hosts, processlist or none)", v, name);
		}
		opt.recursion_method = xstrdup(v);
	} else if (!strcmp(name, "fail-on-stopped-replica")) {
		opt.fail_on_stopped_replica = true;
	} else if (!strcmp(name, "prefer-instant")) {
		opt.prefer_instant = true;
	} else if (!strcmp(name, "verify")) {
		opt.verify = true;
	} else if (!strcmp(name, "no-verify")) {
		opt.verify = false;
	} else if (!strcmp(name, "copy-binlog-format")) {
		if (strcmp(v, "auto") && strcmp(v, "row")) {
			return usage_error("invalid value '%s' for --%s (auto or row)", v, name);
		}
		opt.copy_binlog_format = xstrdup(v);
	} else if (!strcmp(name, "defer-indexes")) {
		if (strcmp(v, "auto") && strcmp(v, "always") && strcmp(v, "never")) {
			return usage_error("invalid value '%s' for --%s (auto, always or never)", v, name);
		}
		opt.defer_indexes = xstrdup(v);
	} else if (!strcmp(name, "copy-method")) {
		if (!strcmp(v, "auto"))
			opt.copy_method = COPY_AUTO;
		else if (!strcmp(v, "server"))
			opt.copy_method = COPY_SERVER;
		else if (!strcmp(v, "client"))
			opt.copy_method = COPY_CLIENT;
		else
			return usage_error("invalid value '%s' for --%s (auto, server or client)", v, name);
	} else if (!strcmp(name, "control-socket")) {
		opt.control_socket = xstrdup(v);
	} else if (!strcmp(name, "status")) {
		opt.status = true;
	} else if (!strcmp(name, "send")) {
		opt.send = xstrdup(v);
	} else if (!strcmp(name, "max-flow-ctl")) {
		if ((rc = parse_double(name, v, 0, 100, &opt.max_flow_ctl)))
			return rc;
	} else if (!strcmp(name, "galera")) {
		opt.galera = true;
	}
	return 0;
}

/* Options that contradict each other. Checked within one source (the command
 * line, the option files), so the command line can still override what a
 * file sets. Keep in step with man/oscar.1 (EXIT STATUS). */
static const char *const conflicts[][2] = {
	{ "dry-run", "execute" },
	{ "verify", "no-verify" },
	{ "cleanup", "alter" },
	{ "cleanup", "revert" },
	{ "cleanup", "finish" },
	{ "cleanup", "resume" },
	{ "cleanup", "revert-window" },
	{ "cleanup", "no-swap" },
	{ "revert", "finish" },
	{ "revert", "alter" },
	{ "finish", "alter" },
	{ "revert", "resume" },
	{ "finish", "resume" },
	{ "revert", "revert-window" },
	{ "finish", "revert-window" },
	{ "no-swap", "revert-window" },
};

static size_t option_index(const char *name)
{
	for (size_t i = 0; optdefs[i].name; i++)
		if (!strcmp(optdefs[i].name, name))
			return i;
	return (size_t)-1;
}

static int check_conflicts(const bool *seen, const char *where)
{
	for (size_t i = 0; i < sizeof conflicts / sizeof conflicts[0]; i++)
		if (seen[option_index(conflicts[i][0])] && seen[option_index(conflicts[i][1])])
			return usage_error("--%s and --%s cannot be used together%s%s", conflicts[i][0], conflicts[i][1],
					   where ? " " : "", where ? where : "");
	return 0;
}

static int file_option(void *ctx, const char *file, int line, const char *key, const char *value)
{
	bool *seen = ctx;
	bool loose = !strncmp(key, "loose-", 6);
	size_t i = option_index(loose ? key + 6 : key);
	if (i == (size_t)-1) {
		if (loose)
			return 0;
		return usage_error("unknown option '%s' in [oscar] of '%s' line %d", key, file, line);
	}
	const struct optdef *d = &optdefs[i];
	if (!strcmp(d->name, "help") || !strcmp(d->name, "version") || !strcmp(d->name, "defaults-file"))
		return usage_error("'%s' cannot be set in an option file ('%s' line %d)", d->name, file, line);
	if (d->arg == ARG_NONE && value)
		return usage_error("option '%s' takes no value ('%s' line %d)", d->name, file, line);
	if (d->arg == ARG_REQ && !value)
		return usage_error("option '%s' needs a value ('%s' line %d)", d->name, file, line);
	seen[i] = true;
	origin_file = file;
	origin_line = line;
	int rc = apply_option(i, value, NULL);
	origin_file = NULL;
	return rc;
}

/* [oscar] of the option file given, or of the client library's default files
 * that exist. */
static int read_option_files(const char *defaults_file, bool *seen)
{
	char err[512];
	int rc = 0;
	if (defaults_file) {
		rc = optfile_read(defaults_file, "oscar", file_option, seen, err, sizeof err);
	} else {
		for (const char *const *p = optfile_default_paths(); *p && !rc; p++)
			if (access(*p, R_OK) == 0)
				rc = optfile_read(*p, "oscar", file_option, seen, err, sizeof err);
	}
	if (rc == -1)
		return usage_error("%s", err);
	return rc;
}

int options_parse(int argc, char **argv)
{
	size_t n = sizeof optdefs / sizeof optdefs[0];
	struct option *lo = xcalloc(n, sizeof *lo);
	for (size_t i = 0; optdefs[i].name; i++) {
		lo[i].name = optdefs[i].name;
		lo[i].has_arg = optdefs[i].arg == ARG_NONE ? no_argument
			: optdefs[i].arg == ARG_REQ ? required_argument : optional_argument;
		lo[i].flag = NULL;
		lo[i].val = 1000 + (int)i;
	}
	/* First every word is read, then the option file is applied (the command
	 * line names it), then the command line over it. */
	struct given {
		size_t idx;
		char *v;
	} *given = xcalloc((size_t)argc + 1, sizeof *given);
	size_t ngiven = 0;
	const char *defaults_file = NULL;
	int rc = 0;
	opterr = 0;
	optind = 0; /* glibc: start afresh (the fuzzer calls this repeatedly) */
	for (;;) {
		int idx = -1;
		int c = getopt_long(argc, argv, "+", lo, &idx);
		if (c == -1)
			break;
		if (c == '?' || c == ':') {
			const char *bad = argv[optind - 1];
			rc = usage_error("unknown option or missing value '%s'", bad);
			break;
		}
		size_t i = (size_t)(c - 1000);
		if (!strcmp(optdefs[i].name, "help")) {
			options_help();
			rc = -1;
			break;
		}
		if (!strcmp(optdefs[i].name, "version")) {
			printf("oscar %s\n", OSCAR_VERSION);
			rc = -1;
			break;
		}
		if (!strcmp(optdefs[i].name, "defaults-file"))
			defaults_file = optarg;
		given[ngiven].idx = i;
		given[ngiven].v = optarg;
		ngiven++;
	}
	/* A password in a separate argv word (--password PW) is not accepted, so
	 * there is nothing else to scrub; any leftover word is an error. */
	if (!rc && optind < argc) {
		if (optind > 0 && !strcmp(argv[optind - 1], "--password")) {
			/* almost certainly a password given as a separate word: never echo it */
			scrub(argv[optind]);
			rc = usage_error("unexpected argument after --password; use --password=PW, or --password alone to be prompted");
		} else {
			rc = usage_error("unexpected argument '%s'", argv[optind]);
		}
	}
	free(lo);
	bool *seen_file = xcalloc(n, sizeof *seen_file), *seen_cli = xcalloc(n, sizeof *seen_cli);
	for (size_t g = 0; g < ngiven; g++)
		seen_cli[given[g].idx] = true;
	if (!rc)
		rc = check_conflicts(seen_cli, NULL);
	if (!rc)
		rc = read_option_files(defaults_file, seen_file);
	if (!rc)
		rc = check_conflicts(seen_file, "in an option file");
	for (size_t g = 0; g < ngiven && !rc; g++)
		rc = apply_option(given[g].idx, given[g].v, given[g].v);
	/* a secret not yet applied when an error stopped the loop leaves argv too */
	for (size_t g = 0; g < ngiven; g++)
		if (!strcmp(optdefs[given[g].idx].name, "password"))
			scrub(given[g].v);
		else if (!strcmp(optdefs[given[g].idx].name, "replica") && given[g].v)
			replica_dsn_scrub(given[g].v);
	free(given);
	free(seen_file);
	free(seen_cli);
	if (rc)
		return rc;
	if ((opt.status || opt.send) && (opt.execute || opt.alter || opt.cleanup || opt.revert || opt.finish ||
					 (opt.status && opt.send)))
		return usage_error("--status and --send go alone (with connection options, --database, --table, "
				   "--control-socket, --json)");
	/* --status lists every unfinished job with connection options alone */
	if (opt.status && !opt.table)
		return 0;
	if (!opt.database || !*opt.database)
		return usage_error("missing --database");
	if (!opt.table || !*opt.table)
		return usage_error("missing --table");
	if (!opt.cleanup && !opt.revert && !opt.finish && !opt.status && !opt.send && (!opt.alter || !*opt.alter))
		return usage_error("missing --alter");
	if ((opt.revert || opt.finish) && (opt.alter || opt.cleanup || (opt.revert && opt.finish)))
		return usage_error("--revert and --finish take no --alter and go alone");
	if (opt.cleanup && opt.alter)
		return usage_error("--cleanup takes no --alter");
	if (strlen(opt.database) > 64 || strlen(opt.table) > 64)
		return usage_error("identifier too long (more than 64 characters)");
	return 0;
}
