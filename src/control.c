/* control: a thread that listens on a Unix socket for a DBA's commands while
 * the main thread migrates. The thread only reads, checks and answers; a
 * change of a setting is queued and the main thread applies it at its next
 * safe point (control_apply), so no setting changes under a running chunk.
 * pause, resume and abort go through the signal thread exactly as SIGUSR1,
 * SIGUSR2 and SIGTERM do, so they behave the same whichever way they come. */
#include "control.h"

#include <errno.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "controller.h"
#include "db.h"
#include "log.h"
#include "options.h"
#include "replica.h"
#include "sbuf.h"
#include "throttle.h"
#include "clock.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

/* Published by the main thread, read by "status". */
static struct {
	char phase[32];
	char state[160];
	long long copied, estimated;
	double rate, eta;
	long chunk_size;
	double started;
	/* the settings in force */
	double chunk_time, max_lock_time, max_lag;
	long fixed_size;
	char max_load[256], critical_load[256];
	char schema[130], table[130];
} st;

/* Asked for on the socket, not yet applied. */
static struct {
	bool chunk_time, chunk_size, max_lock_time, max_lag, max_load, critical_load;
	double chunk_time_v, max_lock_time_v, max_lag_v;
	long chunk_size_v;
	char max_load_v[256], critical_load_v[256];
} pending;

static atomic_int postponed;
static atomic_int stopping;
static int listen_fd = -1;
static char *sock_path;
static pthread_t thread;
static bool thread_running;

static void encode(struct sbuf *sb, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		    *p == '_')
			sb_addn(sb, (const char *)p, 1);
		else
			sb_addf(sb, "%%%02X", *p);
	}
}

static unsigned long hash_text(const char *s)
{
	unsigned long h = 5381;
	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h & 0xffffffffUL;
}

char *control_default_path(const char *schema, const char *table)
{
	/* the server too: the same database and table on two servers of one
	 * host are two jobs */
	char server[600];
	if (opt.socket && !opt.host)
		snprintf(server, sizeof server, "socket %s", opt.socket);
	else
		snprintf(server, sizeof server, "tcp %s:%u", opt.host ? opt.host : "localhost", opt.port ? opt.port : 3306);
	struct sbuf sb = SBUF_INIT;
	sb_add(&sb, "/tmp/oscar-");
	encode(&sb, schema);
	sb_add(&sb, ".");
	encode(&sb, table);
	sb_addf(&sb, "-%08lx.sock", hash_text(server));
	struct sockaddr_un sa;
	if (sb.len < sizeof sa.sun_path)
		return sb_take(&sb);
	/* too long for a socket address: a prefix, and a hash of the whole name */
	struct sbuf s2 = SBUF_INIT;
	sb_addn(&s2, sb_str(&sb), 60);
	sb_addf(&s2, "-%08lx.sock", hash_text(sb_str(&sb)));
	sb_free(&sb);
	return sb_take(&s2);
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa.sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Reads one line of at most cap-1 bytes within timeout_ms; 1, 0 at end of
 * input or timeout, -1 when the line is too long. */
static int read_line(int fd, char *buf, size_t cap, int timeout_ms)
{
	size_t n = 0;
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		int r = poll(&p, 1, timeout_ms);
		if (r <= 0)
			return 0;
		char c;
		ssize_t got = read(fd, &c, 1);
		if (got <= 0)
			return n ? (buf[n] = '\0', 1) : 0;
		if (c == '\n') {
			if (n && buf[n - 1] == '\r')
				n--;
			buf[n] = '\0';
			return 1;
		}
		if (n + 1 >= cap)
			return -1;
		buf[n++] = c;
	}
}

static void write_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t w = send(fd, s, len, MSG_NOSIGNAL);
		if (w <= 0)
			return;
		s += w;
		len -= (size_t)w;
	}
}

static int parse_seconds(const char *v, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double d = strtod(v, &end);
	if (errno || end == v || *end || !isfinite(d) || d < lo || d > hi)
		return -1;
	*out = d;
	return 0;
}

static void status_text(struct sbuf *a, bool json)
{
	pthread_mutex_lock(&mu);
	double elapsed = st.started > 0 ? now_mono() - st.started : 0;
	double pct = st.estimated > 0 ? 100.0 * (double)st.copied / (double)st.estimated : 0;
	if (pct > 100)
		pct = 100;
	const char *state = st.state[0] ? st.state : "running";
	if (json) {
		struct sbuf ev = SBUF_INIT;
		/* the same fields as the "status" event (man page, JSON EVENTS) */
		sb_add(&ev, "{\"event\":\"status\",\"database\":");
		sb_json(&ev, st.schema);
		sb_add(&ev, ",\"table\":");
		sb_json(&ev, st.table);
		sb_add(&ev, ",\"phase\":");
		sb_json(&ev, st.phase);
		sb_add(&ev, ",\"state\":");
		sb_json(&ev, state);
		sb_addf(&ev, ",\"rows_copied\":%lld,\"rows_estimated\":%lld,\"progress_pct\":%.1f,\"rows_per_s\":%.0f,"
			     "\"eta_s\":%.1f,\"elapsed_s\":%.1f,\"chunk_size\":%ld,\"chunk_time_s\":%g,\"max_lock_time_s\":%g,"
			     "\"fixed_chunk_size\":%ld,\"max_lag_s\":%g,\"postponed\":%s,\"max_load\":",
			st.copied, st.estimated, pct, st.rate, st.eta, elapsed, st.chunk_size, st.chunk_time,
			st.max_lock_time, st.fixed_size, st.max_lag, atomic_load(&postponed) ? "true" : "false");
		sb_json(&ev, st.max_load);
		sb_add(&ev, ",\"critical_load\":");
		sb_json(&ev, st.critical_load);
		sb_add(&ev, "}");
		sb_add(a, sb_str(&ev));
		sb_free(&ev);
	} else {
		sb_addf(a, "phase=%s state=\"%s\" rows_copied=%lld rows_estimated=%lld progress=%.1f%% rows_per_s=%.0f "
			   "eta_s=%.0f elapsed_s=%.0f chunk_size=%ld chunk_time=%g max_lock_time=%g chunk_size_setting=%s",
			st.phase, state, st.copied, st.estimated, pct, st.rate, st.eta, elapsed, st.chunk_size, st.chunk_time,
			st.max_lock_time, st.fixed_size ? "fixed" : "auto");
		sb_addf(a, " max_load=%s critical_load=%s max_lag=%g postponed=%s", st.max_load, st.critical_load,
			st.max_lag, atomic_load(&postponed) ? "yes" : "no");
	}
	pthread_mutex_unlock(&mu);
}

static const char help_text[] =
	"commands: status, status json, pause, resume, chunk-time=SEC, chunk-size=N|auto, max-lock-time=SEC, "
	"max-load=VAR=N[,VAR=N], critical-load=VAR=N[,VAR=N], max-lag=TIME, postpone, unpostpone, abort, help";

/* Whether a load spec names a status variable the server does not have (the
 * copy would then go unthrottled): asked on a connection of this thread's own,
 * as the main one is busy migrating. */
static bool unknown_variable(const char *spec, char *err, size_t cap)
{
	struct db c;
	if (db_connect(&c, "control")) {
		snprintf(err, cap, "cannot reach the server to check the variables");
		return true;
	}
	char var[80];
	int r = throttle_unknown(&c, spec, var, sizeof var);
	db_close(&c);
	if (r < 0)
		snprintf(err, cap, "cannot read the server's status variables");
	else if (r > 0)
		snprintf(err, cap, "'%s' is not a global status variable of this server", var);
	return r != 0;
}

/* A setting in seconds: checked, then queued for control_apply. */
static void queue_seconds(struct sbuf *a, const char *name, const char *v, double lo, double hi, bool *flag,
			  double *value)
{
	double d;
	if (parse_seconds(v, lo, hi, &d)) {
		sb_addf(a, "error: %s takes seconds from %g to %g", name, lo, hi);
		return;
	}
	pthread_mutex_lock(&mu);
	*flag = true;
	*value = d;
	pthread_mutex_unlock(&mu);
	sb_addf(a, "ok %s=%g from the next chunk", name, d);
}

/* One command: the answer, without the newline. */
static void answer(const char *cmd, struct sbuf *a)
{
	const char *eq = strchr(cmd, '=');
	char name[32];
	size_t nl = eq ? (size_t)(eq - cmd) : strlen(cmd);
	if (nl >= sizeof name) {
		sb_addf(a, "error: unknown command (try help)");
		return;
	}
	memcpy(name, cmd, nl);
	name[nl] = '\0';
	const char *v = eq ? eq + 1 : NULL;
	if (!strcmp(cmd, "help")) {
		sb_addf(a, "ok %s", help_text);
	} else if (!strcmp(cmd, "status")) {
		sb_add(a, "ok ");
		status_text(a, false);
	} else if (!strcmp(cmd, "status json")) {
		sb_add(a, "ok ");
		status_text(a, true);
	} else if (!strcmp(cmd, "pause") || !strcmp(cmd, "resume") || !strcmp(cmd, "abort")) {
		log_info("control socket: %s", cmd);
		kill(getpid(), !strcmp(cmd, "pause") ? SIGUSR1 : !strcmp(cmd, "resume") ? SIGUSR2 : SIGTERM);
		sb_addf(a, "ok %s", !strcmp(cmd, "abort") ? "aborting: rolling back" : cmd);
	} else if (!strcmp(cmd, "postpone") || !strcmp(cmd, "unpostpone")) {
		int on = !strcmp(cmd, "postpone");
		if (atomic_exchange(&postponed, on) != on) {
			log_info("control socket: %s", on ? "cutover postponed" : "cutover no longer postponed");
			struct sbuf ev;
			ev_begin(&ev, "control");
			ev_str(&ev, "command", cmd);
			ev_end(&ev);
		}
		sb_addf(a, "ok %s", on ? "the swap waits until unpostpone" : "the swap may go ahead");
	} else if (!v) {
		sb_add(a, "error: unknown command (try help)");
	} else if (!strcmp(name, "chunk-time")) {
		queue_seconds(a, name, v, CHUNK_TIME_MIN, CHUNK_TIME_MAX, &pending.chunk_time, &pending.chunk_time_v);
	} else if (!strcmp(name, "max-lock-time")) {
		queue_seconds(a, name, v, LOCK_TIME_MIN, LOCK_TIME_MAX, &pending.max_lock_time, &pending.max_lock_time_v);
	} else if (!strcmp(name, "chunk-size")) {
		long n = 0;
		char *end;
		if (strcmp(v, "auto")) {
			errno = 0;
			n = strtol(v, &end, 10);
			if (errno || end == v || *end || n < 1 || n > CHUNK_SIZE_MAX) {
				sb_addf(a, "error: chunk-size takes 'auto' or rows from 1 to %ld", CHUNK_SIZE_MAX);
				return;
			}
		}
		pthread_mutex_lock(&mu);
		pending.chunk_size = true;
		pending.chunk_size_v = n;
		pthread_mutex_unlock(&mu);
		if (n)
			sb_addf(a, "ok chunk-size=%ld from the next chunk", n);
		else
			sb_add(a, "ok chunk-size=auto from the next chunk");
	} else if (!strcmp(name, "max-lag")) {
		double d;
		if (replica_parse_lag(v, &d))
			sb_add(a, "error: max-lag takes a time such as 500ms or 2s");
		else {
			pthread_mutex_lock(&mu);
			pending.max_lag = true;
			pending.max_lag_v = d;
			pthread_mutex_unlock(&mu);
			sb_addf(a, "ok max-lag=%gs from the next check", d);
		}
	} else if (!strcmp(name, "max-load") || !strcmp(name, "critical-load")) {
		char err[160];
		bool crit = !strcmp(name, "critical-load");
		if (strlen(v) >= sizeof pending.max_load_v)
			sb_addf(a, "error: %s is too long", name);
		else if (throttle_parse(v, err, sizeof err))
			sb_addf(a, "error: %s: %s", name, err);
		else if (unknown_variable(v, err, sizeof err))
			sb_addf(a, "error: %s: %s", name, err);
		else {
			pthread_mutex_lock(&mu);
			if (crit) {
				pending.critical_load = true;
				snprintf(pending.critical_load_v, sizeof pending.critical_load_v, "%s", v);
			} else {
				pending.max_load = true;
				snprintf(pending.max_load_v, sizeof pending.max_load_v, "%s", v);
			}
			pthread_mutex_unlock(&mu);
			sb_addf(a, "ok %s=%s from the next check", name, v);
		}
	} else {
		sb_add(a, "error: unknown command (try help)");
	}
}

static void serve(int fd)
{
	char line[1024];
	int r;
	/* a client that says nothing for a while is let go, so others get in */
	while (!atomic_load(&stopping) && (r = read_line(fd, line, sizeof line, 30000)) != 0) {
		struct sbuf a = SBUF_INIT;
		if (r < 0)
			sb_add(&a, "error: line too long");
		else
			answer(line, &a);
		sb_add(&a, "\n");
		write_all(fd, sb_str(&a), a.len);
		sb_free(&a);
		if (r < 0)
			break;
	}
}

static void *control_thread(void *arg)
{
	(void)arg;
	while (!atomic_load(&stopping)) {
		struct pollfd p = { listen_fd, POLLIN, 0 };
		if (poll(&p, 1, 200) <= 0)
			continue;
		int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		serve(fd);
		close(fd);
	}
	return NULL;
}

/* The settings in force, for "status". */
static void publish_settings(void)
{
	pthread_mutex_lock(&mu);
	st.chunk_time = opt.chunk_time;
	st.max_lock_time = ctl_tx_seconds(opt.chunk_time, opt.max_lock_time);
	st.fixed_size = opt.chunk_size;
	st.max_lag = opt.max_lag;
	snprintf(st.max_load, sizeof st.max_load, "%s", opt.max_load ? opt.max_load : "");
	snprintf(st.critical_load, sizeof st.critical_load, "%s", opt.critical_load ? opt.critical_load : "");
	pthread_mutex_unlock(&mu);
}

int control_start(const char *path, const char *schema, const char *table)
{
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa.sun_path) {
		log_error("control socket path '%s' is longer than %zu bytes", path, sizeof sa.sun_path - 1);
		return EXIT_USAGE;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	struct stat sb;
	if (lstat(path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			log_error("'%s' exists and is not a socket; choose another --control-socket", path);
			return EXIT_FAILED;
		}
		int fd = connect_to(path);
		if (fd >= 0) {
			close(fd);
			log_error("another oscar answers on the control socket '%s'", path);
			return EXIT_LOCKED;
		}
		/* a socket nobody answers on: left by an oscar that was killed */
		if (unlink(path) && errno != ENOENT) {
			log_error("cannot remove the stale control socket '%s': %s", path, strerror(errno));
			return EXIT_FAILED;
		}
		log_info("replaced the stale control socket '%s'", path);
	}
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listen_fd < 0) {
		log_error("cannot create the control socket: %s", strerror(errno));
		return EXIT_FAILED;
	}
	/* private from the moment it exists: no window with wider rights */
	mode_t old = umask(0177);
	int rc = bind(listen_fd, (struct sockaddr *)&sa, sizeof sa);
	int e = errno;
	umask(old);
	if (rc || listen(listen_fd, 8)) {
		log_error("cannot listen on the control socket '%s': %s", path, strerror(rc ? e : errno));
		close(listen_fd);
		listen_fd = -1;
		return rc && e == EADDRINUSE ? EXIT_LOCKED : EXIT_FAILED;
	}
	sock_path = xstrdup(path);
	pthread_mutex_lock(&mu);
	snprintf(st.schema, sizeof st.schema, "%s", schema);
	snprintf(st.table, sizeof st.table, "%s", table);
	snprintf(st.phase, sizeof st.phase, "preflight");
	st.started = now_mono();
	pthread_mutex_unlock(&mu);
	publish_settings();
	atomic_store(&stopping, 0);
	if (pthread_create(&thread, NULL, control_thread, NULL)) {
		log_error("cannot start the control thread");
		control_stop();
		return EXIT_FAILED;
	}
	thread_running = true;
	log_info("control socket: %s (try: oscar --database=%s --table=%s --send=help)", path, schema, table);
	return 0;
}

void control_stop(void)
{
	atomic_store(&stopping, 1);
	if (thread_running) {
		pthread_join(thread, NULL);
		thread_running = false;
	}
	if (listen_fd >= 0) {
		close(listen_fd);
		listen_fd = -1;
	}
	if (sock_path) {
		unlink(sock_path);
		free(sock_path);
		sock_path = NULL;
	}
}

/* Strings the control module set in opt: freed when replaced again. */
static char *owned_max_load, *owned_critical_load;

static void changed(const char *setting, const char *value)
{
	log_info("control socket: %s is now %s", setting, value);
	struct sbuf ev;
	ev_begin(&ev, "control");
	ev_str(&ev, "setting", setting);
	ev_str(&ev, "value", value);
	ev_end(&ev);
}

static void set_seconds(double *setting, double value, const char *name, const char *unit)
{
	char buf[64];
	*setting = value;
	snprintf(buf, sizeof buf, "%g%s", value, unit);
	changed(name, buf);
}

static void set_spec(const char **setting, char **owned, const char *value, const char *name)
{
	free(*owned);
	*setting = *owned = xstrdup(value);
	changed(name, value);
}

void control_apply(void)
{
	if (listen_fd < 0)
		return;
	pthread_mutex_lock(&mu);
	typeof(pending) p = pending;
	memset(&pending, 0, sizeof pending);
	pthread_mutex_unlock(&mu);
	if (p.chunk_time)
		set_seconds(&opt.chunk_time, p.chunk_time_v, "chunk-time", "");
	if (p.max_lock_time)
		set_seconds(&opt.max_lock_time, p.max_lock_time_v, "max-lock-time", "");
	if (p.max_lag)
		set_seconds(&opt.max_lag, p.max_lag_v, "max-lag", "s");
	if (p.chunk_size) {
		char buf[32];
		opt.chunk_size = p.chunk_size_v;
		snprintf(buf, sizeof buf, "%ld", p.chunk_size_v);
		changed("chunk-size", p.chunk_size_v ? buf : "auto");
	}
	if (p.max_load)
		set_spec(&opt.max_load, &owned_max_load, p.max_load_v, "max-load");
	if (p.critical_load)
		set_spec(&opt.critical_load, &owned_critical_load, p.critical_load_v, "critical-load");
	publish_settings();
}

void control_set_phase(const char *phase)
{
	pthread_mutex_lock(&mu);
	snprintf(st.phase, sizeof st.phase, "%s", phase);
	pthread_mutex_unlock(&mu);
}

void control_set_progress(long long copied, long long estimated, double rows_per_s, double eta_s, long chunk_size)
{
	pthread_mutex_lock(&mu);
	st.copied = copied;
	st.estimated = estimated;
	st.rate = rows_per_s;
	st.eta = eta_s;
	st.chunk_size = chunk_size;
	pthread_mutex_unlock(&mu);
}

void control_set_state(const char *state)
{
	pthread_mutex_lock(&mu);
	snprintf(st.state, sizeof st.state, "%s", state ? state : "");
	pthread_mutex_unlock(&mu);
}

bool control_postponed(void)
{
	return atomic_load(&postponed) != 0;
}

char *control_send(const char *path, const char *command)
{
	int fd = connect_to(path);
	if (fd < 0)
		return NULL;
	struct sbuf q = SBUF_INIT;
	sb_add(&q, command);
	sb_add(&q, "\n");
	write_all(fd, sb_str(&q), q.len);
	sb_free(&q);
	char line[8192];
	int r = read_line(fd, line, sizeof line, 10000);
	close(fd);
	if (r <= 0) {
		errno = ETIMEDOUT;
		return NULL;
	}
	return xstrdup(line);
}
