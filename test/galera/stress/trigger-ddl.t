#!/usr/bin/env bash
# Experiment, not part of make test-galera (run it with
# scripts/run-galera-tests.sh test/galera/stress/trigger-ddl.t): the writers
# of the cluster tests on all three nodes while plain CREATE TRIGGER / DROP
# TRIGGER statements, no oscar running, come and go on node 1, CYCLES times.
# The bodies are oscar's own (read back with SHOW CREATE TRIGGER from a run
# killed mid-copy), so any error the writers see here is the server's
# handling of trigger DDL under load, whichever tool issues it. It counts
# the writers' errors by kind and checks every node against the model.
source "$(dirname "$0")/../../lib/common.sh"
source "$(dirname "$0")/../../lib/galera.sh"

DB=galera_trgddl
ROWS=${OSCAR_GALERA_ROWS:-20000}
CYCLES=${OSCAR_STRESS_CYCLES:-40}
OUT=$TMP/stress
mkdir -p "$OUT"

make_table "$ROWS"
# oscar's triggers, read back after a run killed mid-copy; then the run is
# cleaned up and only the shadow (which the triggers write into) is kept
OSCAR_FAULT=mid-copy timeout 120 "$OSCAR_BIN" --socket="$GALERA_SOCKET1" --user=root --database=$DB --table=t \
	--alter="ADD COLUMN added INT NULL DEFAULT 7" --execute --galera --chunk-size=1000 >"$OUT/oscar" 2>&1
is "$?" 137 "oscar killed mid-copy (to read its triggers)"
for trg in oscar_t_del oscar_t_upd oscar_t_ins; do
	nsql 1 $DB -e "SHOW CREATE TRIGGER $trg" | cut -f3 | sed 's/ DEFINER=`[^`]*`@`[^`]*`//' >"$OUT/$trg.sql"
	ok "$(grep -q '^CREATE' "$OUT/$trg.sql" && echo 0 || echo 1)" "the body of $trg read"
done
mode=$(nsql 1 $DB -e "SELECT SQL_MODE FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='$DB' AND TRIGGER_NAME='oscar_t_ins'")
nsql 1 $DB -e "CREATE TABLE shadow_keep LIKE _t_new"
timeout 120 "$OSCAR_BIN" --socket="$GALERA_SOCKET1" --user=root --database=$DB --table=t --cleanup --execute >>"$OUT/oscar" 2>&1
is "$?" 0 "the killed run cleaned up"
nsql 1 $DB -e "RENAME TABLE shadow_keep TO _t_new"
is "$(nsql 3 -e "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='$DB'")" 0 "no trigger left before the loop"

start_writers "$OUT" 6 || { ok 1 "writers started"; exit 1; }
# OSCAR_STRESS_READERS=1: on nodes 2 and 3, a loop reading the table's
# triggers from information_schema meanwhile (what oscar's checks of the
# other nodes, and monitoring tools, do)
rpids=()
if [ "${OSCAR_STRESS_READERS:-0}" = 1 ]; then
	for n in 2 3; do
		( s=GALERA_SOCKET$n
		  while [ ! -e "$OUT/readers.stop" ]; do
			mariadb --no-defaults -uroot --socket="${!s}" -N -B -e "SELECT TRIGGER_NAME, LENGTH(ACTION_STATEMENT) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='$DB'" >/dev/null 2>>"$OUT/reader$n.err"
		  done ) &
		rpids+=($!)
	done
fi
# each cycle: the three triggers created one at a time, then dropped, as a
# trigger-based tool's install and cleanup do; every statement's outcome kept
ddl_errors=0
for c in $(seq 1 "$CYCLES"); do
	# OSCAR_STRESS_SHADOW_DDL=1: before the triggers, the DDL an oscar run
	# issues just before them: a new table LIKE the table, then an ALTER of it
	if [ "${OSCAR_STRESS_SHADOW_DDL:-0}" = 1 ]; then
		nsql 1 $DB -e "DROP TABLE IF EXISTS stress_shadow; CREATE TABLE stress_shadow LIKE t;
			ALTER TABLE stress_shadow ADD COLUMN added INT NULL DEFAULT 7" >>"$OUT/ddl" 2>&1 ||
			{ ddl_errors=$((ddl_errors + 1)); echo "cycle $c shadow DDL failed" >>"$OUT/ddl"; }
		# OSCAR_STRESS_FAILING_DDL=1: and a DDL that fails on every node (an
		# ALGORITHM=INSTANT the table cannot have), as oscar's probe on the
		# shadow did: each node's applier logs it and goes on
		[ "${OSCAR_STRESS_FAILING_DDL:-0}" = 1 ] &&
			nsql 1 $DB -e "ALTER TABLE stress_shadow ADD INDEX stress_k (n), ALGORITHM=INSTANT" >>"$OUT/ddl.failing" 2>&1
	fi
	for trg in oscar_t_del oscar_t_upd oscar_t_ins; do
		# OSCAR_STRESS_TAG=1: with the comment oscar puts at the head of
		# every statement (db.c), kept by the client (--comments)
		tag=
		[ "${OSCAR_STRESS_TAG:-0}" = 1 ] && tag="/* oscar $DB.t triggers */ "
		# OSCAR_STRESS_VARY=1: every other cycle the bodies are longer (a
		# DECLARE in front), as the bodies of one table differ between two
		# oscar runs with different ALTERs
		body=$(cat "$OUT/$trg.sql")
		if [ "${OSCAR_STRESS_VARY:-0}" = 1 ] && [ $((c % 2)) = 1 ]; then
			case $body in
			*"FOR EACH ROW BEGIN "*) body=${body/FOR EACH ROW BEGIN /FOR EACH ROW BEGIN DECLARE oscar_pad INT DEFAULT 0; } ;;
			*) body="${body/FOR EACH ROW /FOR EACH ROW BEGIN DECLARE oscar_pad INT DEFAULT 0; }; END" ;;
			esac
		fi
		nsql 1 $DB --comments --delimiter=// -e "SET SESSION sql_mode='$mode'// $tag$body" >>"$OUT/ddl" 2>&1 ||
			{ ddl_errors=$((ddl_errors + 1)); echo "cycle $c create $trg failed" >>"$OUT/ddl"; }
	done
	for trg in oscar_t_ins oscar_t_upd oscar_t_del; do
		nsql 1 $DB -e "DROP TRIGGER IF EXISTS $trg" >>"$OUT/ddl" 2>&1 ||
			{ ddl_errors=$((ddl_errors + 1)); echo "cycle $c drop $trg failed" >>"$OUT/ddl"; }
	done
done
touch "$OUT/readers.stop"
[ ${#rpids[@]} = 0 ] || wait "${rpids[@]}"
for n in "${NODES[@]}"; do nsql "$n" -e "SELECT 1" >/dev/null; done
stop_writers "$OUT"
is "$WRC" 0 "writers ran to the end"
diag "readers' errors: $(cat "$OUT"/reader*.err 2>/dev/null | sort | uniq -c | tr '\n' ';')"
diag "$CYCLES cycles of 3 CREATE + 3 DROP TRIGGER: $ddl_errors DDL errors; writers: $(writer_stat "$OUT" commits) commits"
diag "writers' errors by kind: $(grep -h '^error' "$OUT"/writer*.stats | sort | uniq -c | tr '\n' ';')"
for n in "${NODES[@]}"; do
	diag "node $n error log: $(grep -c 'ERROR.*has an error in its body' "$OSCAR_GALERA_DIR/n$n/error.log") appliers' errors in a trigger's body"
done
[ -z "${OSCAR_GALERA_KEEP:-}" ] || cp -r "$OUT" "$OSCAR_GALERA_KEEP/trigger-ddl.$$"
nsql 1 $DB -e "DROP TABLE _t_new; DROP TABLE IF EXISTS stress_shadow"
for n in "${NODES[@]}"; do
	perl "$OSCAR_ROOT/test/lib/check.pl" "$(eval echo "\$GALERA_SOCKET$n")" "$DB" t "$OUT" >"$OUT/check$n" 2>&1
	ok $? "node $n equals what the writers committed"
done

