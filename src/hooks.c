/* hooks: commands run at the events of a migration (--hook=EVENT:COMMAND and
 * DIR/EVENT of --hooks-dir). A hook sees the migration in OSCAR_* variables,
 * never the password; its output goes to oscar's stderr so that stdout stays
 * JSON-only with --json. */
#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db.h"
#include "log.h"
#include "migration.h"
#include "options.h"
#include "sbuf.h"
#include "clock.h"
#include "strv.h"

extern char **environ;

static const char *const events[] = { "start", "copy-done", "before-cutover", "success", "failure", NULL };

bool hooks_event_valid(const char *event)
{
	for (int i = 0; events[i]; i++)
		if (!strcmp(event, events[i]))
			return true;
	return false;
}

/* The command of a --hook spec ("EVENT:COMMAND") when it is for event, or NULL. */
static const char *hook_command(const char *spec, const char *event)
{
	size_t n = strlen(event);
	if (strncmp(spec, event, n) || spec[n] != ':')
		return NULL;
	return spec + n + 1;
}

/* DIR/EVENT when it is an executable regular file; newly allocated, or NULL. */
static char *dir_hook(const char *event)
{
	if (!opt.hooks_dir)
		return NULL;
	struct sbuf p = SBUF_INIT;
	sb_add(&p, opt.hooks_dir);
	if (p.len && p.s[p.len - 1] != '/')
		sb_add(&p, "/");
	sb_add(&p, event);
	struct stat st;
	if (stat(sb_str(&p), &st) || !S_ISREG(st.st_mode) || access(sb_str(&p), X_OK)) {
		sb_free(&p);
		return NULL;
	}
	return sb_take(&p);
}

bool hooks_exist(const char *event)
{
	for (int i = 0; opt.hooks && opt.hooks[i]; i++)
		if (hook_command(opt.hooks[i], event))
			return true;
	char *d = dir_hook(event);
	free(d);
	return d != NULL;
}

/* Variables the hook must not inherit: ours are set afresh, and a password in
 * the environment would reach every hook. */
static bool env_dropped(const char *entry)
{
	static const char *const drop[] = { "OSCAR_EVENT=", "OSCAR_DATABASE=", "OSCAR_TABLE=", "OSCAR_ALTER=",
					    "OSCAR_SHADOW=", "OSCAR_ROWS_COPIED=", "OSCAR_DETAIL=",
					    "MYSQL_PWD=", "MARIADB_PWD=", NULL };
	for (int i = 0; drop[i]; i++)
		if (!strncmp(entry, drop[i], strlen(drop[i])))
			return true;
	return false;
}

static void env_add(char ***env, size_t *n, const char *name, const char *val)
{
	struct sbuf e = SBUF_INIT;
	sb_add(&e, name);
	sb_add(&e, "=");
	sb_add(&e, val ? val : "");
	*env = xrealloc(*env, (*n + 2) * sizeof **env);
	(*env)[(*n)++] = sb_take(&e);
	(*env)[*n] = NULL;
}

static char **hook_env(const char *event, const struct migration *m, const char *detail)
{
	char **env = NULL;
	size_t n = 0;
	for (char **e = environ; e && *e; e++) {
		if (env_dropped(*e))
			continue;
		env = xrealloc(env, (n + 2) * sizeof *env);
		env[n++] = xstrdup(*e);
		env[n] = NULL;
	}
	char rows[32];
	snprintf(rows, sizeof rows, "%lld", m ? m->rows_copied : 0LL);
	env_add(&env, &n, "OSCAR_EVENT", event);
	env_add(&env, &n, "OSCAR_DATABASE", m ? m->schema : opt.database);
	env_add(&env, &n, "OSCAR_TABLE", m ? m->table : opt.table);
	env_add(&env, &n, "OSCAR_ALTER", opt.alter);
	env_add(&env, &n, "OSCAR_SHADOW", m ? m->names.shadow : NULL);
	env_add(&env, &n, "OSCAR_ROWS_COPIED", rows);
	env_add(&env, &n, "OSCAR_DETAIL", detail);
	return env;
}

/* In the child, between fork and exec: only async-signal-safe calls, as the
 * parent has other threads. */
static void child_exec(char *const argv[], char *const env[])
{
	static char sh[] = "/bin/sh";
	/* oscar blocks its signals in every thread and ignores SIGPIPE; both would
	 * be inherited across exec and make the hook deaf to SIGTERM. */
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	struct sigaction dfl;
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigaction(SIGPIPE, &dfl, NULL);
	/* Own process group, so an abort can stop the hook and all it started. */
	setpgid(0, 0);
	int null = open("/dev/null", O_RDONLY);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		if (null != STDIN_FILENO)
			close(null);
	}
	dup2(STDERR_FILENO, STDOUT_FILENO);
	/* The server connections are no business of the hook's. */
	if (close_range(3, ~0U, 0))
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
	execve(argv[0], argv, env);
	if (errno == ENOEXEC && strcmp(argv[0], sh)) {
		/* a script without #! line: what a shell would do with it */
		char *const shargv[] = { sh, argv[0], NULL };
		execve(sh, shargv, env);
	}
	_exit(127);
}

/* Runs one hook to completion; returns its exit status (128+N when killed by
 * signal N, 127 when it could not start). */
static int run_one(const char *event, const char *label, char *const argv[], char *const env[])
{
	bool abort_at_start = oscar_abort;
	log_info("running the %s hook: %s", event, label);
	fflush(stdout);
	fflush(stderr);
	double t0 = now_mono();
	pid_t pid = fork();
	if (pid < 0) {
		log_error("cannot start the %s hook '%s': %s", event, label, strerror(errno));
		return 127;
	}
	if (pid == 0)
		child_exec(argv, env);
	setpgid(pid, pid); /* either side may win the race; both ask for the same */

	int st = 0;
	double killed_at = 0, nap = 0.001;
	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);
		if (r == pid)
			break;
		if (r < 0 && errno != EINTR) {
			st = 127 << 8;
			break;
		}
		/* An abort must not hang on a slow hook; a hook that runs because of
		 * the abort (failure) is left to finish. */
		if (oscar_abort && !abort_at_start) {
			if (killed_at == 0) {
				log_warn("stopping the %s hook '%s' (abort)", event, label);
				kill(-pid, SIGTERM);
				killed_at = now_mono();
			} else if (killed_at > 0 && now_mono() - killed_at > 5) {
				kill(-pid, SIGKILL);
				killed_at = -1;
			}
		}
		/* most hooks are quick: look often at first, then settle */
		sleep_s(nap);
		nap = nap * 2 > 0.05 ? 0.05 : nap * 2;
	}
	double secs = now_mono() - t0;
	int code = WIFEXITED(st) ? WEXITSTATUS(st) : WIFSIGNALED(st) ? 128 + WTERMSIG(st) : 127;
	if (code == 0)
		log_info("the %s hook '%s' succeeded (%.2f s)", event, label, secs);
	else if (WIFSIGNALED(st))
		log_warn("the %s hook '%s' was killed by signal %d (%.2f s)", event, label, WTERMSIG(st), secs);
	else
		log_warn("the %s hook '%s' failed with exit status %d (%.2f s)", event, label, code, secs);
	struct sbuf ev;
	ev_begin(&ev, "hook");
	ev_str(&ev, "hook_event", event);
	ev_str(&ev, "command", label);
	ev_int(&ev, "hook_exit_status", code);
	ev_num(&ev, "hook_s", secs);
	ev_end(&ev);
	return code;
}

int hooks_run(const char *event, const struct migration *m, const char *detail)
{
	/* A dry run changes nothing, so there is nothing to tell anyone about. */
	if (!opt.execute)
		return 0;
	/* start and before-cutover decide whether the run goes on: the first
	 * failure settles it. The others only report, so every one of them runs. */
	bool gate = !strcmp(event, "start") || !strcmp(event, "before-cutover");
	char **env = NULL;
	int failed = 0;
	char *failed_cmd = NULL;
	int failed_code = 0;
	for (int i = 0; opt.hooks && opt.hooks[i] && !(gate && failed); i++) {
		const char *cmd = hook_command(opt.hooks[i], event);
		if (!cmd)
			continue;
		if (!env)
			env = hook_env(event, m, detail);
		static char sh[] = "/bin/sh", dash_c[] = "-c";
		char *c = xstrdup(cmd);
		char *const argv[] = { sh, dash_c, c, NULL };
		int code = run_one(event, cmd, argv, env);
		free(c);
		if (code && !failed++) {
			failed_cmd = xstrdup(cmd);
			failed_code = code;
		}
	}
	char *path = gate && failed ? NULL : dir_hook(event);
	if (path) {
		if (!env)
			env = hook_env(event, m, detail);
		char *const argv[] = { path, NULL };
		int code = run_one(event, path, argv, env);
		if (code && !failed++) {
			failed_cmd = xstrdup(path);
			failed_code = code;
		}
		free(path);
	}
	if (failed && !strcmp(event, "start") && m && m->db) {
		/* the error event and the failure hook's OSCAR_DETAIL say why */
		char msg[512];
		snprintf(msg, sizeof msg, "the start hook '%s' failed with exit status %d", failed_cmd, failed_code);
		log_error("%s: not starting", msg);
		db_set_error(m->db, 0, "HY000", msg, NULL);
	}
	free(failed_cmd);
	strv_free(env);
	return failed ? -1 : 0;
}
