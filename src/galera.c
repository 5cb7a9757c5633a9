/* galera: what changes on a node of a Galera cluster (wsrep_on).
 *
 * Every DDL replicates in total order isolation (TOI): it runs on every node
 * at the same point of the replication stream, and every node waits for it.
 * Measured on a 3-node cluster of Debian's galera-4 with writers on all nodes
 * (issue 11, field notes 24-29):
 *   - a session holding LOCK TABLES that then runs DDL wedges the cluster:
 *     the DDL waits for writesets ordered before it, whose appliers wait for
 *     the table lock the same session holds. So no table lock is ever taken
 *     here (db_galera makes db_lock_tables refuse), the triggers are created
 *     one at a time in an order that is correct while only some exist
 *     (triggers.c), and what needs a table lock to be correct is refused:
 *     moving the table's own triggers, the revert window;
 *   - a TOI ALTER that builds an index on a filled table stalls every
 *     writer of the cluster for its length: the shadow keeps its secondary
 *     indexes during the copy (--defer-indexes=auto means never here);
 *   - a TOI statement cannot be interrupted (KILL leaves it waiting), so DDL
 *     runs without max_statement_time (db.c); it never waits long for a
 *     metadata lock, because it aborts the local holders instead;
 *   - certification conflicts surface as 1213 at COMMIT: the copy retries
 *     with a smaller transaction (copy.c); flow control is the load signal
 *     (--max-flow-ctl, throttle.c).
 * A node that is not Synced in a Primary component, or desynced, is refused:
 * its reads are not current and its DDL would not be ordered with the
 * cluster's. No --galera is needed any more (it is accepted and ignored):
 * the trigger DDL runs in total order without table locks; the stall once
 * seen (a CREATE TRIGGER held behind an applier, "MDL BF-BF conflict") came
 * from a no-op UPDATE whose writeset had no key of the table, and the UPDATE
 * trigger now writes nothing then; 20 of 20 three-node runs with writers on
 * every node passed after the resume check of every node (README).
 * A CREATE TRIGGER can also fail on this node after the others did it, and
 * a DROP TRIGGER IF EXISTS is replicated only from a node that has the
 * trigger: oscar's triggers are dropped on each node that kept them
 * and checked gone on every node (galera_triggers_gone). */
#include "galera.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "migration.h"
#include "options.h"
#include "catalog.h"
#include "clock.h"
#include "names.h"
#include "strv.h"

bool galera_node;

static char *status(struct db *db, const char *name)
{
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "SHOW GLOBAL STATUS LIKE ");
	sb_literal(&q, name);
	MYSQL_RES *r = db_query(db, sb_str(&q));
	sb_free(&q);
	MYSQL_ROW row = r ? mysql_fetch_row(r) : NULL;
	char *v = xstrdup(row && row[1] ? row[1] : "");
	if (r)
		mysql_free_result(r);
	return v;
}

int galera_detect(struct db *db)
{
	/* MySQL has no wsrep_on: not a Galera node */
	MYSQL_RES *r = db->mariadb ? db_query_f(db, DB_SILENT, "SELECT @@global.wsrep_on") : NULL;
	MYSQL_ROW row = r ? mysql_fetch_row(r) : NULL;
	galera_node = row && row[0] && !strcmp(row[0], "1");
	if (r)
		mysql_free_result(r);
	db_galera = galera_node;
	if (!galera_node)
		return 0;
	/* DDL must replicate in total order: RSU would apply it to this node
	 * only, and the triggers and the swap must exist on every node */
	char *osu = db_scalar(db, "SELECT @@session.wsrep_OSU_method", NULL);
	bool toi = osu && !strcasecmp(osu, "TOI");
	if (!toi && db_exec(db, DB_SILENT, "SET SESSION wsrep_OSU_method='TOI'")) {
		int rc = refuse("wsrep_OSU_method is '%s' and cannot be set to TOI for this session (%s): "
					  "oscar's triggers and swap must replicate to every node in total order",
					  osu ? osu : "?", db->errmsg);
		free(osu);
		return rc;
	}
	if (!toi)
		log_info("Galera node: wsrep_OSU_method set to TOI for this session (it was '%s')", osu);
	free(osu);
	return 0;
}

static int each_other_node(struct db *db, int (*fn)(void *, const char *), void *arg, int *count);
static int node_prepared(void *arg, const char *addr);

static long prepared_count(struct db *db)
{
	char *v = status(db, "Prepared_stmt_count");
	long n = atol(v);
	free(v);
	return n;
}

/* Server-side prepared statements open on a node: the others' appliers
 * creating oscar's triggers while such statements run make them fail with
 * 1146 on the shadow (MariaDB's MDEV-26048) or 1064, run them without the
 * triggers (the verification found the shadow behind), and in one test run
 * wedged the cluster (their replay and the next total-order DDL waiting for
 * each other). Measured with the same writers without them: none of that. */
static int prepared_statements(struct migration *m)
{
	long n = prepared_count(m->db);
	if (n > 0) {
		char num[32];
		snprintf(num, sizeof num, "%ld", n);
		return refuse("%s server-side prepared statement%s open on this Galera node: creating "
					"triggers while they run is not safe there (MariaDB MDEV-26048: they fail or skip "
					"the triggers, and a cluster wedged in testing)", num, n == 1 ? " is" : "s are");
	}
	return each_other_node(m->db, node_prepared, m, NULL);
}

int galera_preflight(struct migration *m)
{
	if (!galera_node)
		return 0;
	struct db *db = m->db;
	int rc = 0;
	char *cluster = status(db, "wsrep_cluster_status");
	char *state = status(db, "wsrep_local_state_comment");
	char *size = status(db, "wsrep_cluster_size");
	char *desync = db_scalar(db, "SELECT @@global.wsrep_desync", NULL);
	if (strcmp(cluster, "Primary"))
		rc = refuse("this Galera node is not in a Primary component (wsrep_cluster_status '%s'): its "
				      "DDL would not be ordered with the cluster's%s", cluster, "");
	else if (desync && !strcmp(desync, "1"))
		rc = refuse("wsrep_desync is on for this Galera node: it may fall behind the cluster and "
				      "would not throttle the copy by flow control%s%s", "", "");
	else if (strcmp(state, "Synced"))
		rc = refuse("this Galera node is not Synced (wsrep_local_state_comment '%s'): its reads are "
				      "not current%s", state, "");
	else if (opt.revert_window > 0)
		rc = refuse("--revert-window on a Galera node: creating the reverse triggers safely needs a "
				      "table lock, and LOCK TABLES around DDL wedges the cluster%s%s", "", "");
	else if (!strcmp(opt.defer_indexes, "always"))
		rc = refuse("--defer-indexes=always on a Galera node: building the indexes on the filled "
				      "shadow is a total-order ALTER that stalls every node's writers for its length; "
				      "use --defer-indexes=never (the default there)%s%s", "", "");
	if (!rc)
		rc = prepared_statements(m);
	if (!rc) {
		opt.defer_indexes = "never";
		log_info("Galera node, cluster of %s, %s: no table locks; indexes built during the copy", size, state);
	}
	free(cluster);
	free(state);
	free(size);
	free(desync);
	return rc;
}

int galera_check_triggers(struct migration *m)
{
	if (!galera_node || !m->user_triggers)
		return 0;
	return refuse("table '%s' has triggers of its own: moving them to the new table without a window "
				"where they fire twice or not at all needs a table lock, and LOCK TABLES around DDL "
				"wedges a Galera cluster%s", m->table, "");
}

/* Calls fn for every other node of wsrep_incoming_addresses; stops at the
 * first non-zero result. */
static int each_other_node(struct db *db, int (*fn)(void *, const char *), void *arg, int *count)
{
	char *all = status(db, "wsrep_incoming_addresses");
	char *self = db_scalar(db, "SELECT @@global.wsrep_node_incoming_address", NULL);
	char *port = db_scalar(db, "SELECT @@global.port", NULL);
	bool named = self && strcmp(self, "AUTO") && *self;
	int rc = 0, n = 0;
	for (char *save = NULL, *a = strtok_r(all, ",", &save); a && !rc; a = strtok_r(NULL, ",", &save)) {
		const char *colon = strrchr(a, ':');
		if (named ? !strcmp(a, self) : colon && port && !strcmp(colon + 1, port))
			continue;
		rc = fn(arg, a);
		n++;
	}
	if (count)
		*count = n;
	free(all);
	free(self);
	free(port);
	return rc;
}

/* A connection to another node, or false (warned) when it cannot be reached. */
static bool node_connect(struct db *node, const char *addr, const char *why)
{
	char host[256];
	const char *colon = strrchr(addr, ':');
	if (!colon || colon == addr || (size_t)(colon - addr) >= sizeof host)
		return false;
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = '\0';
	struct dbtarget t = { host, (unsigned)atoi(colon + 1), NULL, opt.user, opt.password, true };
	if (db_connect_to(node, "galera node", &t)) {
		log_warn("cannot reach Galera node %s (%s): %s", addr, node->errmsg, why);
		return false;
	}
	return true;
}

static int node_prepared(void *arg, const char *addr)
{
	(void)arg;
	struct db node;
	if (!node_connect(&node, addr, "its prepared statements are not checked"))
		return 0;
	long n = prepared_count(&node);
	db_close(&node);
	if (n <= 0)
		return 0;
	char num[32];
	snprintf(num, sizeof num, "%ld", n);
	return refuse("%s server-side prepared statement(s) open on Galera node %s: creating triggers "
				"while they run is not safe there (MariaDB MDEV-26048: they fail or skip the triggers, "
				"and a cluster wedged in testing)", num, addr);
}

struct verify_args {
	struct migration *m;
	int (*verify)(struct migration *);
};

static int verify_node(void *arg, const char *addr)
{
	struct verify_args *va = arg;
	struct migration *m = va->m;
	struct db node;
	if (!node_connect(&node, addr, "it applies the same writesets as this node, which was verified"))
		return 0;
	/* wait until the node has applied everything committed before the check */
	int rc = db_exec(&node, 0, "SET SESSION wsrep_sync_wait=1") ? EXIT_FAILED : 0;
	if (!rc) {
		struct migration c = *m;
		c.db = &node;
		c.report_only = true;
		log_info("verify: Galera node %s", addr);
		rc = va->verify(&c);
		if (rc == EXIT_FAILED && !node.err) {
			db_set_error(m->db, 0, "HY000", "verification failed on another Galera node", NULL);
			log_error("verification failed: on Galera node %s '%s' differs from '%s'; the swap is not done",
				  addr, m->names.shadow, m->table);
		} else if (rc) {
			db_set_error(m->db, node.err, node.sqlstate, node.errmsg, NULL);
		}
	}
	db_close(&node);
	return rc;
}

int galera_verify_nodes(struct migration *m, int (*verify)(struct migration *))
{
	if (!galera_node)
		return 0;
	int checked = 0;
	struct verify_args va = { m, verify };
	int rc = each_other_node(m->db, verify_node, &va, &checked);
	if (!rc)
		log_info("verify: %d other Galera node%s checked", checked, checked == 1 ? "" : "s");
	return rc;
}

/* One node of the barrier: it has applied everything ordered up to now, the
 * triggers included (wsrep_sync_wait makes the read wait for that).
 *
 * No wait for the node's transactions older than the triggers: none of them
 * that wrote the table can commit after them. A trigger's CREATE is total
 * order with the table among its certification keys, and every row a
 * transaction writes carries the table's key as its parent: a local
 * transaction still open when the DDL is applied is aborted by it (it holds
 * the table's metadata lock), and one that reaches certification later,
 * without having seen the DDL, conflicts with it there. (An earlier version
 * also waited for information_schema.INNODB_TRX to show no transaction started
 * before this moment; under load that view kept the same trx_started for
 * transactions running new statements for 4-15 s, so it was no sign of age
 * and only delayed the copy.) */
static int barrier_on(struct db *db)
{
	if (db_exec(db, 0, "SET SESSION wsrep_sync_wait=1"))
		return EXIT_FAILED;
	/* a SELECT: the statement wsrep_sync_wait=1 holds until the node has
	 * caught up */
	bool found;
	free(db_scalar(db, "SELECT 1", &found));
	if (!found || db_exec(db, 0, "SET SESSION wsrep_sync_wait=0"))
		return EXIT_FAILED;
	return 0;
}

static int node_barrier(void *arg, const char *addr)
{
	struct migration *m = arg;
	struct db node;
	if (!node_connect(&node, addr, "the copy does not wait for it to apply the triggers"))
		return 0;
	int rc = barrier_on(&node);
	if (rc && node.err)
		db_set_error(m->db, node.err, node.sqlstate, node.errmsg, NULL);
	else if (rc)
		db_set_error(m->db, 0, "HY000", node.errmsg, NULL);
	db_close(&node);
	return rc;
}

/* The copy starts once every node it can reach has applied the triggers (see
 * barrier_on for why that is enough). */
int galera_trigger_barrier(struct migration *m)
{
	if (!galera_node || db_dry_run)
		return 0;
	double t0 = now_mono();
	int rc = barrier_on(m->db);
	if (!rc)
		rc = each_other_node(m->db, node_barrier, m, NULL);
	if (!rc)
		log_info("every node has applied the triggers (%.1f ms)",
			 (now_mono() - t0) * 1000);
	return rc;
}

struct drop_args {
	const char *schema;
	const char *const *names;
	int n;
	int rc;
	int found;          /* how many of them the nodes listed */
	char where[128];    /* the last node that listed one */
	char which[80];     /* and its name */
};

/* The table a trigger of that name is on, as this node lists it, or NULL
 * when it lists none (or cannot say: then db->err is set). */
static char *trigger_table(struct db *node, const char *schema, const char *name)
{
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "SELECT EVENT_OBJECT_TABLE FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = BINARY ");
	sb_literal(&q, schema);
	sb_add(&q, " AND TRIGGER_NAME = BINARY ");
	sb_literal(&q, name);
	sb_add(&q, " LIMIT 1");
	char *t = db_scalar(node, sb_str(&q), NULL);
	sb_free(&q);
	return t;
}

/* DROP TRIGGER IF EXISTS on one node; 0 done, -1 failed. A trigger the node
 * still lists right after it is one of its table's .TRG whose .TRN file is
 * gone (MariaDB's trigger race leaves that now and then: the DROP then finds
 * no trigger of the name, says so in a note, and replicates nothing, and
 * the trigger keeps firing). A RENAME TABLE of its table to a free name and
 * back, one statement, writes a .TRN for each of the table's triggers
 * again; the DROP then works. The RENAME is total order, as the swap's, and
 * takes the table's metadata lock for as long. */
static int drop_on(struct db *node, const char *addr, const char *schema, const char *name)
{
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "DROP TRIGGER IF EXISTS ");
	sb_qualified(&q, schema, name);
	int rc = db_exec_mdl(node, DB_CHANGE, "dropping a trigger", sb_str(&q));
	char *table = rc || db_dry_run ? NULL : trigger_table(node, schema, name);
	if (table) {
		log_warn("trigger '%s' is still listed on Galera node %s after its DROP: its .TRN file is missing "
			 "(MariaDB's trigger DDL race); renaming '%s' and back to restore it, then dropping it",
			 name, addr, table);
		char *tmp = oscar_name("_", table, "_trn");
		struct sbuf r = SBUF_INIT;
		sb_add(&r, "RENAME TABLE ");
		sb_qualified(&r, schema, table);
		sb_add(&r, " TO ");
		sb_qualified(&r, schema, tmp);
		sb_add(&r, ", ");
		sb_qualified(&r, schema, tmp);
		sb_add(&r, " TO ");
		sb_qualified(&r, schema, table);
		rc = db_exec_mdl(node, DB_CHANGE, "renaming a table to restore a trigger's file", sb_str(&r));
		if (!rc)
			rc = db_exec_mdl(node, DB_CHANGE, "dropping a trigger", sb_str(&q));
		sb_free(&r);
		free(tmp);
		free(table);
	}
	sb_free(&q);
	return rc;
}

/* One node: which of the triggers it has once it has applied everything
 * ordered so far (wsrep_sync_wait), then a DROP on it for each of those. */
static int node_drop_triggers(void *arg, const char *addr)
{
	struct drop_args *d = arg;
	struct db node;
	/* warned: a node oscar cannot reach is the user's to check, as for the
	 * verification; failing here would fail a swap already done */
	if (!node_connect(&node, addr, "oscar's triggers there, if any, are not removed"))
		return 0;
	if (db_exec(&node, 0, "SET SESSION wsrep_sync_wait=1") ||
	    db_exec(&node, DB_SILENT, "SET SESSION wsrep_OSU_method='TOI'")) {
		log_warn("cannot remove oscar's triggers on Galera node %s: %s", addr, db_error_text(&node));
		d->rc = -1;
		db_close(&node);
		return 0;
	}
	for (int i = 0; i < d->n; i++) {
		struct sbuf q = SBUF_INIT;
		sb_add(&q, "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = BINARY ");
		sb_literal(&q, d->schema);
		sb_add(&q, " AND TRIGGER_NAME = BINARY ");
		sb_literal(&q, d->names[i]);
		bool found;
		char *v = db_scalar(&node, sb_str(&q), &found);
		sb_free(&q);
		bool there = found && v && atol(v) > 0;
		free(v);
		if (!found) {
			log_warn("cannot read the triggers of Galera node %s: %s", addr, db_error_text(&node));
			d->rc = -1;
			continue;
		}
		if (!there)
			continue;
		d->found++;
		snprintf(d->where, sizeof d->where, "%s", addr);
		snprintf(d->which, sizeof d->which, "%s", d->names[i]);
		if (drop_on(&node, addr, d->schema, d->names[i])) {
			log_warn("cannot drop trigger '%s' on Galera node %s: %s", d->names[i], addr,
				 db_error_text(&node));
			d->rc = -1;
		} else {
			log_info("removed trigger '%s' from Galera node %s, where it was left", d->names[i], addr);
		}
		sb_free(&q);
	}
	db_close(&node);
	return 0;
}

/* This node's part of a round of galera_triggers_gone: those of the names
 * it lists once it has applied everything ordered so far, dropped again. */
static int own_drop_triggers(struct db *db, struct drop_args *d)
{
	if (db_exec(db, 0, "SET @oscar_sw = @@session.wsrep_sync_wait, SESSION wsrep_sync_wait = 1"))
		return -1;
	struct sbuf q = SBUF_INIT;
	sb_add(&q, "SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = BINARY ");
	sb_literal(&q, d->schema);
	sb_add(&q, " AND TRIGGER_NAME IN (");
	for (int i = 0; i < d->n; i++) {
		if (i)
			sb_add(&q, ", ");
		sb_literal(&q, d->names[i]);
	}
	sb_add(&q, ")");
	char **have = catalog_name_list(db, sb_str(&q));
	db_exec_keep_error(db, "SET SESSION wsrep_sync_wait = @oscar_sw");
	int rc = have ? 0 : -1;
	for (char **h = have; h && *h; h++) {
		d->found++;
		snprintf(d->where, sizeof d->where, "%s", "this node");
		snprintf(d->which, sizeof d->which, "%s", *h);
		if (drop_on(db, "this node", d->schema, *h))
			rc = -1;
		else
			log_warn("trigger '%s' was still there after its drop; dropped it again", *h);
	}
	strv_free(have);
	sb_free(&q);
	return rc;
}

/* Rounds: this node and every other node oscar can reach list the names
 * (after wsrep_sync_wait) and drop what they list; done after a round in
 * which no node listed any. */
#define GONE_ROUNDS 6

int galera_triggers_gone(struct db *db, const char *schema, const char *const *names, int n)
{
	if (!galera_node || db_dry_run || n == 0)
		return 0;
	for (int round = 0; round < GONE_ROUNDS; round++) {
		struct drop_args d = { .schema = schema, .names = names, .n = n };
		if (own_drop_triggers(db, &d))
			return -1;
		each_other_node(db, node_drop_triggers, &d, NULL);
		if (d.rc)
			return -1;
		if (d.found == 0)
			return 0;
		if (round == GONE_ROUNDS - 1) {
			log_error("trigger '%s' is still listed on Galera node %s after %d rounds of DROP TRIGGER (MariaDB's "
				  "trigger DDL race, see the README's Galera section): check SHOW TRIGGERS there and drop "
				  "it by hand",
				  d.which, d.where, GONE_ROUNDS);
			return -1;
		}
		sleep_s(0.1 * (round + 1));
	}
	return -1;
}

struct objects_args {
	const char *schema, *table, *shadow;
	const char *const *names, *const *bodies;
	int n;
	int missing;
};

static int node_objects(void *arg, const char *addr)
{
	struct objects_args *o = arg;
	struct db node;
	if (!node_connect(&node, addr, "the objects oscar created there are not checked"))
		return 0;
	int rc = 0;
	struct sbuf q = SBUF_INIT;
	if (db_exec(&node, 0, "SET SESSION wsrep_sync_wait=1")) {
		rc = -1;
		goto out;
	}
	sb_add(&q, "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = BINARY ");
	sb_literal(&q, o->schema);
	sb_add(&q, " AND TABLE_NAME = BINARY ");
	sb_literal(&q, o->shadow);
	bool found;
	char *v = db_scalar(&node, sb_str(&q), &found);
	if (!found) {
		free(v);
		rc = -1;
		goto out;
	}
	if (!v || atol(v) == 0) {
		log_warn("table '%s' is missing on Galera node %s after its creation (the node's applier failed on it)",
			 o->shadow, addr);
		o->missing++;
	}
	free(v);
	for (int i = 0; i < o->n; i++) {
		sb_reset(&q);
		sb_add(&q, "SELECT ACTION_STATEMENT FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = BINARY ");
		sb_literal(&q, o->schema);
		sb_add(&q, " AND TRIGGER_NAME = BINARY ");
		sb_literal(&q, o->names[i]);
		sb_add(&q, " AND EVENT_OBJECT_TABLE = BINARY ");
		sb_literal(&q, o->table);
		char *body = db_scalar(&node, sb_str(&q), &found);
		if (!found && node.err) {
			free(body);
			rc = -1;
			goto out;
		}
		if (!body || strcmp(body, o->bodies[i])) {
			log_warn("trigger '%s' is %s on Galera node %s after its creation (the node's applier failed on it "
				 "and Galera ignores such errors: see that node's error log)",
				 o->names[i], body ? "different" : "missing", addr);
			o->missing++;
		}
		free(body);
	}
out:
	if (rc)
		log_warn("cannot read the objects of Galera node %s: %s", addr, db_error_text(&node));
	sb_free(&q);
	db_close(&node);
	return rc;
}

int galera_objects_everywhere(struct db *db, const char *schema, const char *table, const char *shadow,
			      const char *const *names, const char *const *bodies, int n)
{
	if (!galera_node || db_dry_run)
		return 0;
	struct objects_args o = { schema, table, shadow, names, bodies, n, 0 };
	if (each_other_node(db, node_objects, &o, NULL))
		return -1;
	return o.missing ? 1 : 0;
}

/* SHOW CREATE TABLE without the counter, which differs between nodes */
static void strip_counter(char *ddl)
{
	char *p = ddl ? strstr(ddl, " AUTO_INCREMENT=") : NULL;
	if (!p)
		return;
	char *e = p + strlen(" AUTO_INCREMENT=");
	while (*e >= '0' && *e <= '9')
		e++;
	memmove(p, e, strlen(e) + 1);
}

struct swap_args {
	const char *schema, *table;
	char *here;
	int differ;
};

static int node_swap(void *arg, const char *addr)
{
	struct swap_args *s = arg;
	struct db node;
	if (!node_connect(&node, addr, "whether the swap took effect there is not checked"))
		return 0;
	char *there = NULL;
	if (!db_exec(&node, 0, "SET SESSION wsrep_sync_wait=1"))
		there = catalog_show_create(&node, s->schema, s->table);
	strip_counter(there);
	if (!there || strcmp(there, s->here)) {
		log_error("the swap did not take effect on Galera node %s: '%s' there is %s (see that node's error "
			  "log for an ignored error; the swap stands on the other nodes)", addr, s->table,
			  there ? "not the new table" : "unreadable");
		s->differ++;
	}
	free(there);
	db_close(&node);
	return 0;
}

int galera_swap_everywhere(struct db *db, const char *schema, const char *table)
{
	if (!galera_node || db_dry_run)
		return 0;
	struct swap_args s = { schema, table, catalog_show_create(db, schema, table), 0 };
	if (!s.here)
		return EXIT_FAILED;
	strip_counter(s.here);
	each_other_node(db, node_swap, &s, NULL);
	free(s.here);
	return s.differ ? EXIT_FAILED : 0;
}
