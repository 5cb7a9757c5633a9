/* options: the command line. One table drives parsing, --help and the man page test. */
#ifndef OSCAR_OPTIONS_H
#define OSCAR_OPTIONS_H

#include <stdbool.h>

/* Exit statuses; documented in man/oscar.1 (EXIT STATUS). */
enum {
	EXIT_OK = 0,
	EXIT_FAILED = 1,     /* failure during the run; rolled back */
	EXIT_USAGE = 2,      /* bad command line */
	EXIT_REFUSED = 3,    /* a preflight check refused the change */
	EXIT_CONNECT = 4,    /* cannot connect or authenticate */
	EXIT_SIGNAL = 5,     /* aborted by SIGINT/SIGTERM; rolled back */
	EXIT_LOCKED = 6,     /* another oscar is working on this table */
	EXIT_INCOMPLETE = 7, /* stopped early (--max-runtime); resumable */
};

/* --copy-threads' upper bound */
#define COPY_MAX_THREADS 8
/* The ranges of --chunk-time, --chunk-size and --max-lock-time, which the
 * control socket's settings keep too. */
#define CHUNK_TIME_MIN 0.01
#define CHUNK_TIME_MAX 60.0
#define CHUNK_SIZE_MAX 100000000L
#define LOCK_TIME_MIN 0.001
#define LOCK_TIME_MAX 60.0

/* --alter-foreign-keys-method: what becomes of child tables' foreign keys at
 * the swap (rebuild_constraints and auto behave alike). */
enum fk_method { FK_NONE, FK_REBUILD_CONSTRAINTS, FK_DROP_SWAP, FK_AUTO };
/* --copy-method: INSERT ... SELECT unless others write to an AUTO_INCREMENT table (auto), always, or rows through the client */
enum copy_method { COPY_AUTO, COPY_SERVER, COPY_CLIENT };

struct options {
	char *database;
	char *table;
	char *alter;
	bool execute;
	char *host;
	unsigned port;
	char *socket;
	char *user;
	char *password;       /* NULL: none given (option files may still supply one) */
	bool password_prompt; /* --password without a value */
	char *defaults_file;
	char *ssl_ca, *ssl_cert, *ssl_key;
	double chunk_time;
	long chunk_size; /* 0: adaptive */
	double max_lock_time; /* seconds per copy transaction while others write; 0: ctl_tx_seconds */
	bool no_swap;
	bool no_drop_old_table;
	bool cleanup;
	bool json;
	bool quiet;
	bool allow_unique_key_change;
	char *pause_file;
	double lock_wait_timeout; /* seconds per attempt at a metadata lock */
	int lock_retries;
	int chunk_retries;
	int copy_threads; /* connections copying at once while others write */
	const char *mirror; /* auto, all: what the triggers mirror (bound.c) */
	const char *key_log; /* build, copy, never: when the triggers log keys instead (keylog.c) */
	double progress_interval;
	enum copy_method copy_method;
	const char *copy_binlog_format; /* auto, row */
	const char *verify_at; /* auto, copy, swap: when the shadow is compared (verify.c) */
	const char *defer_indexes; /* auto, always, never: plain secondary indexes built after the copy */
	const char *max_load;      /* VAR=N[,VAR=N] */
	const char *critical_load;
	double max_flow_ctl;       /* Galera: % of time paused by flow control before the copy waits */
	double max_lag;            /* seconds a replica may lag before the copy waits */
	char **replicas;           /* --replica DSNs, NULL-terminated; NULL: discover */
	bool fail_on_stopped_replica;
	const char *recursion_method; /* auto, hosts, processlist, none */
	char **hooks;          /* "EVENT:COMMAND", NULL-terminated */
	char *hooks_dir;
	char *postpone_cutover_file;
	char *cutover_window;  /* "HH:MM-HH:MM" */
	bool verify;           /* compare shadow and table before the swap */
	bool prefer_instant;
	bool galera;          /* accepted and ignored: a Galera node is detected (galera.c) */
	double max_runtime; /* seconds; 0: none */
	bool resume;        /* insist on continuing an unfinished job */
	double revert_window; /* seconds the old table is kept in sync after the swap */
	bool revert;        /* swap back within the window */
	bool finish;        /* end the window */
	bool revert_wait;   /* stay until the window ends, then close it */
	enum fk_method fk_method; /* --alter-foreign-keys-method */
	char *control_socket; /* NULL: control_default_path */
	bool status;          /* --status: report and exit */
	char *send;           /* --send=CMD */
};

extern struct options opt;

/* Parses argv into opt; on error prints one line and returns EXIT_USAGE. Returns
 * -1 when it printed help or version and the program should exit 0. Scrubs any
 * password from argv so the process list never shows it. */
int options_parse(int argc, char **argv);
void options_help(void);
/* The message of the last usage error (for the error event). */
const char *options_error(void);
/* "90", "90s", "30m", "2h", "1h30m", "1d" as seconds (> 0); 0, or -1 when invalid. */
int options_parse_duration(const char *v, double *out);

#endif
