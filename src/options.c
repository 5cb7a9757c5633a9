/* options: the command line and the [oscar] group of option files, read by
 * one table of every option, which also prints --help. */
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
#include "strv.h"
#include "throttle.h"

#ifndef OSCAR_VERSION
#define OSCAR_VERSION "0.1.0"
#endif

struct options opt = {
	.chunk_time = 0.5,
	.lock_wait_timeout = 0.5,
	.lock_retries = 30,
	.chunk_retries = 20,
	.copy_threads = 0,
	.mirror = "auto",
	.key_log = "build",
	.progress_interval = 5.0,
	.copy_method = COPY_AUTO,
	.copy_binlog_format = "auto",
	.defer_indexes = "auto",
	.verify_at = "auto",
	.max_load = "Threads_running=25",
	.critical_load = "Threads_running=50",
	.max_lag = 1.0,
	.max_flow_ctl = 25,
	.recursion_method = "auto",
	.verify = true,
	.fk_method = FK_NONE,
};

/* How an option's value reaches its field. */
enum optkind {
	OPT_TRUE,     /* a flag that sets a bool */
	OPT_FALSE,    /* a flag that clears one */
	OPT_STRING,   /* a copy of the value */
	OPT_LONG,     /* a whole number from lo to hi, into an int, unsigned or long */
	OPT_DOUBLE,   /* a number from lo to hi */
	OPT_DURATION, /* a time as seconds: "90s", "30m", "2h", or what parse reads */
	OPT_ENUM,     /* one of names: its index, into an enum */
	OPT_WORD,     /* one of names: the name itself, for fields kept as strings */
	OPT_CALL,     /* read and applied by apply (checks of their own, lists) */
	OPT_EXIT,     /* print, then exit 0 (--help, --version) */
};

enum {
	OPTF_VALUE_OPTIONAL = 1 << 0, /* --name or --name=VALUE */
	OPTF_CLI_ONLY = 1 << 1,       /* not in option files; applied as argv is read */
	OPTF_NONEMPTY = 1 << 2,       /* OPT_STRING: an empty value is an error */
};

struct optdef {
	const char *name;
	enum optkind kind;
	void *target;    /* the field of opt it sets (NULL: apply knows its fields) */
	size_t size;     /* ... and its size */
	/* after target and size (designated, so that they are checked), in order: */
	const char *metavar; /* the value in --help; NULL: the option takes none */
	const char *help;
	unsigned flags;  /* OPTF_* */
	double lo, hi;   /* OPT_LONG, OPT_DOUBLE: the range (whole numbers for OPT_LONG) */
	const char *const *names; /* OPT_ENUM, OPT_WORD: the values, NULL-terminated */
	/* OPT_DURATION: another reader than options_parse_duration (0, or -1
	 * when invalid), and examples of what it reads for the error message */
	int (*parse)(const char *v, double *out);
	const char *examples;
	int (*apply)(const struct optdef *d, const char *v); /* OPT_CALL: 0 or EXIT_USAGE */
	void (*print)(void); /* OPT_EXIT */
	void (*scrub)(char *raw); /* a secret in the value: blanked in argv once read */
};

/* The field an option sets, checked against the type its kind writes. */
#define ENUM(f) .target = &opt.f, .size = sizeof opt.f /* an int: see the assertion below */
#define FLAG(f) .target = _Generic(opt.f, bool: &opt.f), .size = sizeof opt.f
#define STRING(f) .target = _Generic(opt.f, char *: &opt.f), .size = sizeof opt.f
#define WHOLE(f) .target = _Generic(opt.f, int: &opt.f, unsigned: &opt.f, long: &opt.f), .size = sizeof opt.f
#define NUMBER(f) .target = _Generic(opt.f, double: &opt.f), .size = sizeof opt.f
#define WORD(f) .target = _Generic(opt.f, const char *: &opt.f), .size = sizeof opt.f
#define LIST(f) .target = _Generic(opt.f, char **: &opt.f), .size = sizeof opt.f
#define NONE .target = NULL, .size = 0

static int apply_password(const struct optdef *d, const char *v);
static int apply_hook(const struct optdef *d, const char *v);
static int apply_hooks_dir(const struct optdef *d, const char *v);
static int apply_load(const struct optdef *d, const char *v);
static int apply_cutover_window(const struct optdef *d, const char *v);
static int apply_replica(const struct optdef *d, const char *v);
static void print_version(void);
static void scrub(char *s);

static const char *const mirror_names[] = { "auto", "all", NULL };
static const char *const copy_method_names[] = { [COPY_AUTO] = "auto", [COPY_SERVER] = "server",
						 [COPY_CLIENT] = "client", NULL };
static const char *const binlog_format_names[] = { "auto", "row", NULL };
static const char *const defer_names[] = { "auto", "always", "never", NULL };
static const char *const key_log_names[] = { "build", "copy", "never", NULL };
static const char *const verify_at_names[] = { "auto", "copy", "swap", NULL };
static const char *const recursion_names[] = { "auto", "hosts", "processlist", "none", NULL };
static const char *const fk_method_names[] = { [FK_NONE] = "none", [FK_REBUILD_CONSTRAINTS] = "rebuild_constraints",
					       [FK_DROP_SWAP] = "drop_swap", [FK_AUTO] = "auto", NULL };

/* OPT_ENUM stores the index as an int */
_Static_assert(sizeof(enum copy_method) == sizeof(int) && sizeof(enum fk_method) == sizeof(int),
	       "enum options are stored as int");

/* Every option: parsing, option files and --help, in --help's order. Keep in
 * step with man/oscar.1: test/t/05-docs.t compares the two. */
static const struct optdef optdefs[] = {
	{ "database", OPT_STRING, STRING(database), "DB", "schema of the table to change" },
	{ "table", OPT_STRING, STRING(table), "TBL", "table to change" },
	{ "alter", OPT_STRING, STRING(alter), "SPEC", "ALTER TABLE specification, without 'ALTER TABLE t'" },
	{ "execute", OPT_TRUE, FLAG(execute), NULL, "really change the table (default: dry run)" },
	{ "dry-run", OPT_FALSE, FLAG(execute), NULL, "check and print the plan, change nothing (the default)" },
	{ "host", OPT_STRING, STRING(host), "H", "server host" },
	{ "port", OPT_LONG, WHOLE(port), "P", "server TCP port", .lo = 1, .hi = 65535 },
	{ "socket", OPT_STRING, STRING(socket), "S", "server unix socket" },
	{ "user", OPT_STRING, STRING(user), "U", "user name" },
	{ "password", OPT_CALL, NONE, "PW", "password; without a value, prompt on the terminal",
	  .flags = OPTF_VALUE_OPTIONAL, .apply = apply_password, .scrub = scrub },
	{ "defaults-file", OPT_STRING, STRING(defaults_file), "F", "read option files: this one only (it must exist)",
	  .flags = OPTF_CLI_ONLY },
	{ "ssl-ca", OPT_STRING, STRING(ssl_ca), "F", "TLS certificate authority file" },
	{ "ssl-cert", OPT_STRING, STRING(ssl_cert), "F", "TLS client certificate file" },
	{ "ssl-key", OPT_STRING, STRING(ssl_key), "F", "TLS client key file" },
	{ "chunk-time", OPT_DOUBLE, NUMBER(chunk_time), "SEC", "target seconds per copy chunk (default 0.5)",
	  .lo = CHUNK_TIME_MIN, .hi = CHUNK_TIME_MAX },
	{ "chunk-size", OPT_LONG, WHOLE(chunk_size), "N", "fixed rows per chunk instead of the controller",
	  .lo = 1, .hi = CHUNK_SIZE_MAX },
	{ "max-lock-time", OPT_DOUBLE, NUMBER(max_lock_time), "SEC",
	  "while others write, copy each chunk in transactions of about this long (default chunk-time/10, at least 25 ms)",
	  .lo = LOCK_TIME_MIN, .hi = LOCK_TIME_MAX },
	{ "no-swap", OPT_TRUE, FLAG(no_swap), NULL, "stop before the cutover, leaving shadow and triggers live" },
	{ "no-drop-old-table", OPT_TRUE, FLAG(no_drop_old_table), NULL, "keep the old table after the swap" },
	{ "cleanup", OPT_TRUE, FLAG(cleanup), NULL, "remove what an earlier run left for the table" },
	{ "json", OPT_TRUE, FLAG(json), NULL, "write one JSON event per line to stdout" },
	{ "quiet", OPT_TRUE, FLAG(quiet), NULL, "no progress output" },
	{ "allow-unique-key-change", OPT_TRUE, FLAG(allow_unique_key_change), NULL,
	  "allow an ALTER that adds a UNIQUE or PRIMARY key" },
	{ "pause-file", OPT_STRING, STRING(pause_file), "F", "pause the copy while this file exists" },
	{ "lock-wait-timeout", OPT_DOUBLE, NUMBER(lock_wait_timeout), "SEC",
	  "longest wait for a metadata lock per attempt (default 0.5)", .lo = 0.001, .hi = 3600 },
	{ "lock-retries", OPT_LONG, WHOLE(lock_retries), "N", "attempts at a metadata lock before giving up (default 30)",
	  .lo = 1, .hi = 100000 },
	{ "chunk-retries", OPT_LONG, WHOLE(chunk_retries), "N",
	  "attempts at a chunk after deadlocks or lock waits (default 20)", .lo = 1, .hi = 100000 },
	{ "copy-threads", OPT_LONG, WHOLE(copy_threads), "N",
	  "while others write, copy in N connections at once (default 0: twice the server's cores, 2 to 8)",
	  .lo = 0, .hi = COPY_MAX_THREADS },
	{ "mirror", OPT_WORD, WORD(mirror), "WHAT",
	  "auto (the triggers mirror only rows the copy has reached, where safe) or all", .names = mirror_names },
	{ "copy-method", OPT_ENUM, ENUM(copy_method), "M", "auto (server; for an AUTO_INCREMENT table fenced behind the mirror bound, or else client while others write), server (INSERT ... SELECT) or client (INSERT ... VALUES)",
	  .names = copy_method_names },
	{ "copy-binlog-format", OPT_WORD, WORD(copy_binlog_format), "F",
	  "auto (copy statements logged as statements when that is safe) or row", .names = binlog_format_names },
	{ "defer-indexes", OPT_WORD, WORD(defer_indexes), "WHEN",
	  "build plain secondary indexes after the copy: auto (when nobody writes at the start), always or never",
	  .names = defer_names },
	{ "key-log", OPT_WORD, WORD(key_log), "WHEN",
	  "when the triggers log changed keys instead of mirroring: build (while the deferred indexes are built and others "
	  "write; the default), copy (from their creation until the build is done) or never", .names = key_log_names },
	{ "max-load", OPT_CALL, WORD(max_load), "VAR=N",
	  "pause the copy while a status variable is over N (default Threads_running=25)", .apply = apply_load },
	{ "critical-load", OPT_CALL, WORD(critical_load), "VAR=N",
	  "abort and roll back when a status variable is over N (default Threads_running=50)", .apply = apply_load },
	{ "max-lag", OPT_DURATION, NUMBER(max_lag), "TIME",
	  "pause the copy while a replica lags more than this (500ms, 2s; default 1s)", .parse = replica_parse_lag,
	  .examples = "500ms, 2s" },
	{ "galera", OPT_TRUE, FLAG(galera), NULL, "accepted for old scripts: a Galera node is detected by itself (see GALERA in the man page)" },
	{ "max-flow-ctl", OPT_DOUBLE, NUMBER(max_flow_ctl), "PCT",
	  "on a Galera node: pause the copy while flow control paused the cluster more than PCT% of the time (default 25; 0 off)",
	  .lo = 0, .hi = 100 },
	{ "replica", OPT_CALL, LIST(replicas), "DSN",
	  "check this replica (h=HOST,P=PORT,S=SOCKET,u=USER,p=PW) instead of discovering; repeatable",
	  .apply = apply_replica, .scrub = replica_dsn_scrub },
	{ "recursion-method", OPT_WORD, WORD(recursion_method), "M",
	  "how to find replicas: auto (default), hosts, processlist or none", .names = recursion_names },
	{ "fail-on-stopped-replica", OPT_TRUE, FLAG(fail_on_stopped_replica), NULL,
	  "abort and roll back when a replica is stopped instead of waiting" },
	{ "alter-foreign-keys-method", OPT_ENUM, ENUM(fk_method), "M",
	  "none (refuse), rebuild_constraints, drop_swap or auto: child tables' foreign keys follow the new table",
	  .names = fk_method_names },
	{ "revert-window", OPT_DURATION, NUMBER(revert_window), "DURATION",
	  "keep the old table in sync after the swap, so --revert can go back" },
	{ "revert", OPT_TRUE, FLAG(revert), NULL, "swap back to the table before the change (dry run: say whether it is lossless)" },
	{ "revert-window-wait", OPT_TRUE, FLAG(revert_wait), NULL, "with --revert-window: stay until the window ends, then close it" },
	{ "finish", OPT_TRUE, FLAG(finish), NULL, "end the revert window: drop the reverse triggers and the old table" },
	{ "resume", OPT_TRUE, FLAG(resume), NULL,
	  "continue the unfinished job for the table (also done without it); fail if there is none" },
	{ "max-runtime", OPT_DURATION, NUMBER(max_runtime), "DURATION",
	  "stop the copy after this long (90s, 30m, 2h); the next run resumes" },
	{ "prefer-instant", OPT_TRUE, FLAG(prefer_instant), NULL, "apply the ALTER natively when the server can do it instantly" },
	{ "verify", OPT_TRUE, FLAG(verify), NULL, "compare shadow and table before the swap (the default)" },
	{ "no-verify", OPT_FALSE, FLAG(verify), NULL, "swap without comparing shadow and table first" },
	{ "verify-at", OPT_WORD, WORD(verify_at), "WHEN",
	  "auto (copy when the two tables outgrow the buffer pool, else swap), copy (each chunk right after its copy) "
	  "or swap (the whole table before the swap)", .names = verify_at_names },
	{ "postpone-cutover-file", OPT_STRING, STRING(postpone_cutover_file), "F",
	  "after the copy, wait to swap while this file exists", .flags = OPTF_NONEMPTY },
	{ "cutover-window", OPT_CALL, STRING(cutover_window), "HH:MM-HH:MM",
	  "swap only within this local time window (may wrap midnight)", .apply = apply_cutover_window },
	{ "hook", OPT_CALL, LIST(hooks), "EVENT:CMD", "run CMD with /bin/sh -c at EVENT (see the man page); repeatable",
	  .apply = apply_hook },
	{ "hooks-dir", OPT_CALL, STRING(hooks_dir), "DIR", "run DIR/EVENT, when executable, at each event",
	  .apply = apply_hooks_dir },
	{ "progress", OPT_DOUBLE, NUMBER(progress_interval), "SEC",
	  "seconds between progress lines when not on a terminal (default 5)", .lo = 0.1, .hi = 86400 },
	{ "control-socket", OPT_STRING, STRING(control_socket), "PATH",
	  "listen for commands on this Unix socket (default /tmp/oscar-DB.TBL.sock)" },
	{ "status", OPT_TRUE, FLAG(status), NULL,
	  "print the status of the running job (or the unfinished one) and exit; without --table, every job" },
	{ "send", OPT_STRING, STRING(send), "CMD", "send one command to the running job's control socket and print the answer" },
	{ "help", OPT_EXIT, NONE, NULL, "print this help and exit", .flags = OPTF_CLI_ONLY, .print = options_help },
	{ "version", OPT_EXIT, NONE, NULL, "print the version and exit", .flags = OPTF_CLI_ONLY, .print = print_version },
	{ .name = NULL },
};

enum argkind { ARG_NONE, ARG_REQUIRED, ARG_OPTIONAL };

static enum argkind arg_of(const struct optdef *d)
{
	if (!d->metavar)
		return ARG_NONE;
	return d->flags & OPTF_VALUE_OPTIONAL ? ARG_OPTIONAL : ARG_REQUIRED;
}

void options_help(void)
{
	printf("usage: oscar --database=DB --table=TBL --alter=SPEC [--execute] [options]\n\n"
	       "Online schema change for MariaDB and MySQL: shadow table, triggers, chunked copy,\n"
	       "atomic swap. Without --execute nothing is changed.\n\noptions:\n");
	for (const struct optdef *d = optdefs; d->name; d++) {
		char left[64];
		switch (arg_of(d)) {
		case ARG_REQUIRED: snprintf(left, sizeof left, "--%s=%s", d->name, d->metavar); break;
		case ARG_OPTIONAL: snprintf(left, sizeof left, "--%s[=%s]", d->name, d->metavar); break;
		case ARG_NONE: snprintf(left, sizeof left, "--%s", d->name); break;
		}
		printf("  %-28s %s\n", left, d->help);
	}
	printf("\nexit status: 0 done, 1 failed (rolled back), 2 usage, 3 refused by a check,\n"
	       "4 connection failed, 5 aborted by signal, 6 table busy with another oscar,\n"
	       "7 incomplete but resumable\n");
}

static void print_version(void)
{
	printf("oscar %s\n", OSCAR_VERSION);
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

static int parse_double(const struct optdef *d, const char *v)
{
	char *end;
	errno = 0;
	double x = strtod(v, &end);
	if (errno || end == v || *end || !isfinite(x) || x < d->lo || x > d->hi)
		return usage_error("invalid value '%s' for --%s (a number from %g to %g)", v, d->name, d->lo, d->hi);
	*(double *)d->target = x;
	return 0;
}

static int parse_long(const struct optdef *d, const char *v)
{
	long lo = (long)d->lo, hi = (long)d->hi;
	char *end;
	errno = 0;
	long l = strtol(v, &end, 10);
	if (errno || end == v || *end || l < lo || l > hi)
		return usage_error("invalid value '%s' for --%s (a whole number from %ld to %ld)", v, d->name, lo, hi);
	if (d->size == sizeof(long))
		*(long *)d->target = l;
	else
		*(int *)d->target = (int)l; /* an int, or the unsigned port: within the range */
	return 0;
}

static int parse_duration(const struct optdef *d, const char *v)
{
	int (*parse)(const char *, double *) = d->parse ? d->parse : options_parse_duration;
	if (parse(v, d->target))
		return usage_error("invalid value '%s' for --%s (e.g. %s)", v, d->name,
				   d->parse ? d->examples : "90s, 30m, 2h");
	return 0;
}

/* The index of v among d->names; on no match, the error naming them all
 * ("auto, server or client"). */
static int parse_name(const struct optdef *d, const char *v, int *out)
{
	int n = 0;
	while (d->names[n] && strcmp(v, d->names[n]))
		n++;
	if (d->names[n]) {
		*out = n;
		return 0;
	}
	struct sbuf list = SBUF_INIT;
	for (int k = 0; d->names[k]; k++) {
		if (k)
			sb_add(&list, d->names[k + 1] ? ", " : " or ");
		sb_add(&list, d->names[k]);
	}
	int rc = usage_error("invalid value '%s' for --%s (%s)", v, d->name, sb_str(&list));
	sb_free(&list);
	return rc;
}

static int apply_password(const struct optdef *d, const char *v)
{
	(void)d;
	free(opt.password);
	opt.password = v ? xstrdup(v) : NULL;
	opt.password_prompt = !v;
	return 0;
}

/* --hook=EVENT:COMMAND, appended to opt.hooks in the order given. */
static int apply_hook(const struct optdef *d, const char *v)
{
	const char *colon = strchr(v, ':');
	if (!colon)
		return usage_error("invalid --hook '%s': expected EVENT:COMMAND", v);
	char *event = xstrdup(v);
	event[colon - v] = '\0';
	int rc = hooks_event_valid(event) ? 0 : usage_error("invalid --hook: unknown event '%s' (" HOOK_EVENTS ")", event);
	free(event);
	if (rc)
		return rc;
	if (!colon[1 + strspn(colon + 1, " \t")])
		return usage_error("invalid --hook '%s': empty command", v);
	char ***hooks = d->target;
	*hooks = strv_push(*hooks, v);
	return 0;
}

static int apply_hooks_dir(const struct optdef *d, const char *v)
{
	struct stat st;
	if (stat(v, &st) || !S_ISDIR(st.st_mode))
		return usage_error("--hooks-dir '%s' is not a directory", v);
	*(char **)d->target = xstrdup(v);
	return 0;
}

/* --max-load, --critical-load: "VAR=N[,VAR=N]" */
static int apply_load(const struct optdef *d, const char *v)
{
	char err[160];
	if (throttle_parse(v, err, sizeof err))
		return usage_error("invalid --%s: %s", d->name, err);
	*(const char **)d->target = xstrdup(v);
	return 0;
}

static int apply_cutover_window(const struct optdef *d, const char *v)
{
	char err[160];
	int from, to;
	if (cutover_window_parse(v, &from, &to, err, sizeof err))
		return usage_error("invalid --%s: %s", d->name, err);
	*(char **)d->target = xstrdup(v);
	return 0;
}

/* --replica=DSN, appended in the order given */
static int apply_replica(const struct optdef *d, const char *v)
{
	char err[160];
	if (replica_dsn_check(v, err, sizeof err))
		return usage_error("invalid --%s: %s", d->name, err);
	char ***replicas = d->target;
	*replicas = strv_push(*replicas, v);
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

/* One option's value (NULL for none), from the command line or an option
 * file, into its field as its kind says. 0, EXIT_USAGE, or -1 after --help
 * or --version. */
static int apply_option(const struct optdef *d, const char *v)
{
	int k;
	switch (d->kind) {
	case OPT_TRUE:
		*(bool *)d->target = true;
		return 0;
	case OPT_FALSE:
		*(bool *)d->target = false;
		return 0;
	case OPT_STRING:
		if (d->flags & OPTF_NONEMPTY && !*v)
			return usage_error("empty value for --%s", d->name);
		*(char **)d->target = xstrdup(v);
		return 0;
	case OPT_LONG:
		return parse_long(d, v);
	case OPT_DOUBLE:
		return parse_double(d, v);
	case OPT_DURATION:
		return parse_duration(d, v);
	case OPT_ENUM:
		if (parse_name(d, v, &k))
			return EXIT_USAGE;
		*(int *)d->target = k;
		return 0;
	case OPT_WORD:
		if (parse_name(d, v, &k))
			return EXIT_USAGE;
		*(const char **)d->target = d->names[k];
		return 0;
	case OPT_CALL:
		return d->apply(d, v);
	case OPT_EXIT:
		d->print();
		return -1;
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

/* where: NULL for the command line */
static int check_conflicts(const bool *seen, const char *where)
{
	for (size_t i = 0; i < sizeof conflicts / sizeof conflicts[0]; i++) {
		const char *a = conflicts[i][0], *b = conflicts[i][1];
		if (!seen[option_index(a)] || !seen[option_index(b)])
			continue;
		if (where)
			return usage_error("--%s and --%s cannot be used together %s", a, b, where);
		return usage_error("--%s and --%s cannot be used together", a, b);
	}
	return 0;
}

/* optfile_read's callback: one key of [oscar], applied as on the command line. */
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
	if (d->flags & OPTF_CLI_ONLY)
		return usage_error("'%s' cannot be set in an option file ('%s' line %d)", d->name, file, line);
	if (arg_of(d) == ARG_NONE && value)
		return usage_error("option '%s' takes no value ('%s' line %d)", d->name, file, line);
	if (arg_of(d) == ARG_REQUIRED && !value)
		return usage_error("option '%s' needs a value ('%s' line %d)", d->name, file, line);
	seen[i] = true;
	origin_file = file;
	origin_line = line;
	int rc = apply_option(d, value);
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

/* getopt_long's view of the table: each option returns 1000 + its index. */
static struct option *long_options(void)
{
	size_t n = sizeof optdefs / sizeof optdefs[0];
	struct option *lo = xcalloc(n, sizeof *lo);
	static const int has_arg[] = { [ARG_NONE] = no_argument, [ARG_REQUIRED] = required_argument,
				       [ARG_OPTIONAL] = optional_argument };
	for (size_t i = 0; optdefs[i].name; i++) {
		lo[i].name = optdefs[i].name;
		lo[i].has_arg = has_arg[arg_of(&optdefs[i])];
		lo[i].val = 1000 + (int)i;
	}
	return lo;
}

/* An option of the command line, kept until the option files are read. */
struct given {
	const struct optdef *d;
	char *v;
};

/* Reads argv into given (*ngiven of them). Command-line-only options are
 * applied at once: --help and --version stop here (-1), --defaults-file is
 * needed before the rest. */
static int read_argv(int argc, char **argv, struct given *given, size_t *ngiven)
{
	struct option *lo = long_options();
	int rc = 0;
	opterr = 0;
	optind = 0; /* glibc: start afresh (the fuzzer calls this repeatedly) */
	for (;;) {
		int c = getopt_long(argc, argv, "+", lo, NULL);
		if (c == -1)
			break;
		if (c == '?' || c == ':') {
			rc = usage_error("unknown option or missing value '%s'", argv[optind - 1]);
			break;
		}
		const struct optdef *d = &optdefs[c - 1000];
		if (d->flags & OPTF_CLI_ONLY) {
			if ((rc = apply_option(d, optarg)))
				break;
			continue;
		}
		given[*ngiven].d = d;
		given[*ngiven].v = optarg;
		(*ngiven)++;
	}
	free(lo);
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
	return rc;
}

/* The options that make sense only together, once every source is applied. */
static int check_combination(void)
{
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

/* First every word is read, then the option files are applied (the command
 * line may name one), then the command line over them. */
int options_parse(int argc, char **argv)
{
	size_t n = sizeof optdefs / sizeof optdefs[0];
	struct given *given = xcalloc((size_t)argc + 1, sizeof *given);
	size_t ngiven = 0;
	bool *seen_file = xcalloc(n, sizeof *seen_file), *seen_cli = xcalloc(n, sizeof *seen_cli);
	int rc = read_argv(argc, argv, given, &ngiven);
	for (size_t g = 0; g < ngiven; g++)
		seen_cli[given[g].d - optdefs] = true;
	if (!rc)
		rc = check_conflicts(seen_cli, NULL);
	if (!rc)
		rc = read_option_files(opt.defaults_file, seen_file);
	if (!rc)
		rc = check_conflicts(seen_file, "in an option file");
	for (size_t g = 0; g < ngiven && !rc; g++)
		rc = apply_option(given[g].d, given[g].v);
	/* secrets leave argv, applied or not (an error may have stopped the loop) */
	for (size_t g = 0; g < ngiven; g++)
		if (given[g].d->scrub && given[g].v)
			given[g].d->scrub(given[g].v);
	free(given);
	free(seen_file);
	free(seen_cli);
	return rc ? rc : check_combination();
}
