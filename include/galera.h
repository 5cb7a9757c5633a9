/* galera: running on a node of a Galera cluster (see galera.c). */
#ifndef OSCAR_GALERA_H
#define OSCAR_GALERA_H

#include <stdbool.h>

struct db;
struct migration;

/* Whether the server is a Galera node (wsrep_on); set by galera_detect. */
extern bool galera_node;

/* After connecting: detects a Galera node, sets db_galera and the session's
 * wsrep_OSU_method to TOI. 0, or EXIT_REFUSED when TOI cannot be had. */
int galera_detect(struct db *db);
/* Preflight of a new or resumed run: EXIT_REFUSED for a node that is not
 * Synced in a Primary component, is desynced, or for options that need a
 * table lock or a total-order index build there; else 0. */
int galera_preflight(struct migration *m);
/* EXIT_REFUSED for a table with triggers of its own on a Galera node. */
int galera_check_triggers(struct migration *m);

/* After the triggers are created: on every node oscar can reach, waits (up
 * to --lock-wait-timeout x --lock-retries, then warns) until the node has applied them
 * and every transaction it had open before has ended, so that no write
 * executed without the triggers can reach the table after the copy started
 * (see galera.c). 0, or EXIT_FAILED. */
int galera_trigger_barrier(struct migration *m);
/* After verify_shadow passed on this node: the same comparison (verify, in
 * report-only mode) on every other node of wsrep_incoming_addresses oscar can
 * reach, read with wsrep_sync_wait; 0, or EXIT_FAILED when a node differs.
 * The caller passes the comparison: the cluster's nodes are below the copy
 * and the verification, which the triggers' drop (galera_triggers_gone)
 * sits under too. */
int galera_verify_nodes(struct migration *m, int (*verify)(struct migration *));

/* After oscar dropped (or failed to create) triggers NAMES on this node:
 * drops each of them on every node oscar can reach that still lists it,
 * this one included, until none does. A CREATE TRIGGER in total order that
 * fails on this node after it was ordered (MariaDB opens the table only
 * once in total order, and that can fail) is still done by the other nodes,
 * and a DROP TRIGGER IF EXISTS that finds no trigger on its own node is not
 * replicated at all, so dropping on this node alone leaves them there,
 * writing into a shadow that no longer exists. On a cluster under
 * writes MariaDB was seen to keep one: a node's listing left it out while
 * the drops ran, and it was there a moment later (README, Galera). Each
 * round, every node lists them once it has applied everything ordered so
 * far and drops what it lists; up to six rounds. 0 when none is left, -1
 * when one is (an error naming it and the node) or a node cannot be
 * cleaned. */
int galera_triggers_gone(struct db *db, const char *schema, const char *const *names, int n);

/* After the swap on this node: on every other node oscar can reach, once it
 * has applied the RENAME, TABLE has the definition it has here (the same
 * silently ignored DDL error would leave a node with the old table). 0, or
 * EXIT_FAILED when a node differs (an error naming it; the swap stands). */
int galera_swap_everywhere(struct db *db, const char *schema, const char *table);
/* What a total-order DDL left on the other nodes. A node whose applier fails
 * on a replicated DDL (seen: CREATE TRIGGER failing there with 1064, "Query
 * was empty", while its appliers wrote) logs "Ignoring error" and goes on
 * without it: MariaDB's wsrep_ignore_apply_errors (7 by default) skips DDL
 * errors. On every other node oscar can reach, once it has applied
 * everything ordered so far: table SHADOW exists in SCHEMA, and each of the
 * N triggers NAMES on TABLE exists with the body BODIES (the text after FOR
 * EACH ROW). 0 when all is there, 1 when something is missing somewhere
 * (warned, naming the node and the object), -1 when a node could not be read. */
int galera_objects_everywhere(struct db *db, const char *schema, const char *table, const char *shadow,
			      const char *const *names, const char *const *bodies, int n);

#endif
