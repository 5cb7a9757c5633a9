/* status: what a DBA asks from another terminal. A running oscar answers on
 * its control socket; a job that is not running (killed, stopped by
 * --max-runtime, --no-swap) is found in the state table it left. */
#include "status.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "db.h"
#include "log.h"
#include "options.h"
#include "state.h"

static char *socket_path(const char *schema, const char *table)
{
	return opt.control_socket ? xstrdup(opt.control_socket) : control_default_path(schema, table);
}

int status_send(void)
{
	char *path = socket_path(opt.database, opt.table);
	char *a = control_send(path, opt.send);
	if (!a) {
		log_error("no oscar answers on the control socket '%s': %s", path, strerror(errno));
		free(path);
		return EXIT_FAILED;
	}
	printf("%s\n", a);
	int rc = strncmp(a, "ok", 2) ? EXIT_FAILED : EXIT_OK;
	free(a);
	free(path);
	return rc;
}

/* One unfinished job of a schema's state table; running: its socket answers. */
static void print_job(MYSQL_ROW row, const char *schema, bool running)
{
	if (opt.json) {
		struct sbuf ev;
		ev_begin(&ev, "job");
		ev_str(&ev, "database", schema);
		ev_str(&ev, "table", row[0]);
		ev_str(&ev, "phase", row[1]);
		ev_int(&ev, "rows_copied", row[2] ? atoll(row[2]) : 0);
		ev_str(&ev, "started_at", row[3]);
		ev_str(&ev, "updated_at", row[4]);
		ev_bool(&ev, "running", running);
		ev_end(&ev);
		return;
	}
	printf("%s.%s: %s, phase %s, %s rows copied, started %s, last recorded %s\n", schema, row[0],
	       running ? "running" : "not running (the same command resumes it; --cleanup removes it)", row[1],
	       row[2] ? row[2] : "0", row[3] ? row[3] : "?", row[4] ? row[4] : "?");
}

/* Every job in schema's state table (only table's when given); how many. */
static int jobs_of(struct db *db, const char *schema, const char *table, int *count)
{
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "SELECT table_name, phase, rows_copied, started_at, updated_at FROM ");
	sb_qualified(&q, schema, STATE_TABLE);
	if (table) {
		sb_add(&q, " WHERE table_name = ");
		sb_literal(&q, table);
	}
	sb_add(&q, " ORDER BY table_name");
	MYSQL_RES *r = db_query_f(db, DB_SILENT, sb_str(&q));
	sb_free(&q);
	if (!r)
		return db->err == 1146 ? 0 : -1; /* no state table: no job */
	MYSQL_ROW row;
	while ((row = mysql_fetch_row(r))) {
		char *path = socket_path(schema, row[0]);
		char *a = control_send(path, "status");
		print_job(row, schema, a != NULL);
		free(a);
		free(path);
		(*count)++;
	}
	mysql_free_result(r);
	return 0;
}

int status_show(void)
{
	if (opt.table) {
		/* a running oscar first: it needs no server connection */
		char *path = socket_path(opt.database, opt.table);
		char *a = control_send(path, opt.json ? "status json" : "status");
		free(path);
		if (a) {
			/* "ok <status>" */
			printf("%s\n", strncmp(a, "ok ", 3) ? a : a + 3);
			free(a);
			return EXIT_OK;
		}
	}
	struct db db;
	int rc = db_connect(&db, "main");
	if (rc)
		return rc;
	int count = 0;
	if (opt.table) {
		rc = jobs_of(&db, opt.database, opt.table, &count) ? EXIT_FAILED : EXIT_OK;
		if (!rc && !count && !opt.json)
			printf("%s.%s: no oscar job (none running, none unfinished)\n", opt.database, opt.table);
	} else {
		MYSQL_RES *r = db_query(&db, "SELECT TABLE_SCHEMA FROM information_schema.TABLES WHERE TABLE_NAME = '"
					     STATE_TABLE "' ORDER BY 1");
		if (!r) {
			db_close(&db);
			return EXIT_FAILED;
		}
		MYSQL_ROW row;
		rc = EXIT_OK;
		while ((row = mysql_fetch_row(r)))
			if (jobs_of(&db, row[0], NULL, &count))
				rc = EXIT_FAILED;
		mysql_free_result(r);
		if (!rc && !count && !opt.json)
			printf("no unfinished oscar job on this server\n");
	}
	db_close(&db);
	return rc;
}
