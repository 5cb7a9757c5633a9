#!/usr/bin/env bash
# On a node of a Galera cluster (a one-node cluster of Debian's galera-4
# here; test-galera runs three nodes with writers on all) oscar detects the
# cluster by itself (--galera is accepted and changes nothing). It runs without
# table locks and keeps the indexes during the copy; it refuses, before
# anything changes and with the reason, what cannot work there: a desynced
# node, a table that is not InnoDB, options that need a table lock
# (--revert-window) or a total-order index build (--defer-indexes=always), a
# table with triggers of its own, open server-side prepared statements. A
# session whose wsrep_OSU_method is not TOI is switched to TOI.
source "$(dirname "$0")/../lib/common.sh"

if ! start_galera; then
	ok 1 "a one-node Galera cluster starts"
	diag "$(tail -20 "$GALERA_DIR/error.log" 2>/dev/null)"
	exit 1
fi
is "$(gsql -e "SHOW STATUS LIKE 'wsrep_cluster_size'" | cut -f2) $(gsql -e "SELECT @@wsrep_on")" "1 1" \
	"a one-node Galera cluster is up"
DB=oscar_t37
gsql -e "CREATE DATABASE $DB; USE $DB; CREATE TABLE t (id INT PRIMARY KEY, v INT, KEY kv (v)) ENGINE=InnoDB;
	INSERT INTO t SELECT seq, seq FROM seq_1_to_1000;
	CREATE TABLE a (id INT PRIMARY KEY, v INT) ENGINE=Aria; INSERT INTO a VALUES (1, 1)"
gstate() {
	gsql -e "SELECT TABLE_NAME, CREATE_TIME FROM information_schema.TABLES WHERE TABLE_SCHEMA='$DB' ORDER BY 1;
	         SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='$DB';
	         SELECT COUNT(*), SUM(v) FROM $DB.t"
}
goscar() { "$OSCAR_BIN" --socket="$GALERA_SOCKET" --user=root --database=$DB --galera "$@" --json >"$TMP/out" 2>"$TMP/err"; }

refused() { # refused NAME REGEX OSCAR-ARGS...: exit 3, one error line with the reason, nothing changed
	local name=$1 re=$2 before; shift 2
	before=$(gstate)
	goscar "$@"
	is "$?" 3 "$name: refused (exit 3)"
	is "$(grep -c 'error: ' "$TMP/err")" 1 "$name: exactly one error line"
	like "$(cat "$TMP/err")" "refused: .*$re" "$name: the message says why"
	like "$(grep '"event":"error"' "$TMP/out")" '"exit_status":3' "$name: an error event with the exit status"
	is "$(gstate)" "$before" "$name: the node is unchanged"
}

# without --galera: the node is detected, the run goes on (dry run here)
before=$(gstate)
"$OSCAR_BIN" --socket="$GALERA_SOCKET" --user=root --database=$DB --table=t --alter="ADD COLUMN z INT" --dry-run \
	--json >"$TMP/out" 2>"$TMP/err"
is "$?" 0 "dry run without --galera: exit 0"
is "$(grep -c 'error: ' "$TMP/err")" 0 "dry run without --galera: no error"
like "$(cat "$TMP/out" "$TMP/err")" "[Gg]alera" "dry run without --galera: the Galera node is named in the output"
is "$(gstate)" "$before" "dry run without --galera: the node is unchanged"

# the dry run and a run on a filled table, no table locks
goscar --table=t --alter="ADD COLUMN z INT NOT NULL DEFAULT 5"
is "$?" 0 "dry run on a Galera node: exit 0"
want=$(gsql -e "SELECT id, v, 5 FROM $DB.t ORDER BY id")
goscar --table=t --alter="ADD COLUMN z INT NOT NULL DEFAULT 5" --execute
is "$?" 0 "--execute on a Galera node: done"
like "$(cat "$TMP/err")" "Galera node, cluster of 1, Synced: no table locks" "it says it runs as on Galera"
like "$(cat "$TMP/err")" "one by one, no table lock" "the triggers were created without a table lock"
is "$(gsql -e "SELECT id, v, z FROM $DB.t ORDER BY id")" "$want" "the data is exact"
is "$(gsql -e "SELECT COUNT(*) FROM information_schema.STATISTICS WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME='t' AND INDEX_NAME='kv'")" 1 \
	"the secondary index is there (kept during the copy)"
is "$(leftovers_g)" "" "nothing left behind"

# the UPDATE trigger on a Galera node writes nothing for an update that leaves
# its row as it was (such a writeset has no key of the table and can wedge a
# total-order DDL: triggers.c), and mirrors every real change, also one only a
# byte comparison sees (a case change under a case-insensitive collation)
gsql -e "CREATE TABLE $DB.g (id INT PRIMARY KEY, s VARCHAR(10) COLLATE utf8mb4_general_ci, f DOUBLE) ENGINE=InnoDB;
	INSERT INTO $DB.g VALUES (1, 'a', 0), (2, 'b', 1), (3, 'c', 2), (4, NULL, NULL)"
goscar --table=g --alter="ADD COLUMN z INT" --execute --no-swap
is "$?" 0 "--no-swap on a Galera node: done"
gsql $DB -e "DELETE FROM _g_new"
gsql $DB -e "UPDATE g SET s = s, f = f; UPDATE g SET s = 'A' WHERE id = 1;
	UPDATE g SET f = f + 1 WHERE id = 3; UPDATE g SET s = NULL WHERE id = 4"
is "$(gsql $DB -e "SELECT id, s, f FROM _g_new ORDER BY id")" "$(printf '1\tA\t0\n3\tc\t3')" \
	"unchanged rows are not mirrored; a case change and a real change are"
goscar --table=g --cleanup --execute
is "$?" 0 "--cleanup after --no-swap: done"
gsql -e "DROP TABLE $DB.g"
is "$(leftovers_g)" "" "nothing left behind after --cleanup"

# a session that is not TOI is made TOI (per session)
gsql -e "SET GLOBAL wsrep_OSU_method='RSU'"
goscar --table=t --alter="DROP COLUMN z" --execute
is "$?" 0 "wsrep_OSU_method=RSU globally: oscar runs"
like "$(cat "$TMP/err")" "wsrep_OSU_method set to TOI for this session \\(it was 'RSU'\\)" "with its own session in TOI"
gsql -e "SET GLOBAL wsrep_OSU_method='TOI'"

refused "--defer-indexes=always" "total-order ALTER that stalls every node" --table=t --alter="ADD COLUMN y INT" --defer-indexes=always --execute
refused "--revert-window" "needs a table lock" --table=t --alter="ADD COLUMN y INT" --revert-window=1h --execute
refused "non-InnoDB table" "uses engine 'Aria'; only InnoDB" --table=a --alter="ADD COLUMN y INT" --execute
gsql $DB -e "CREATE TRIGGER mine AFTER INSERT ON t FOR EACH ROW SET @x = 1"
refused "a table with triggers of its own" "has triggers of its own.*wedges a Galera cluster" --table=t --alter="ADD COLUMN y INT" --execute
gsql $DB -e "DROP TRIGGER mine"

# an open server-side prepared statement on the node
mkfifo "$TMP/ps"
( echo "PREPARE s FROM 'SELECT 1';"; cat "$TMP/ps" ) | mariadb --no-defaults -uroot --socket="$GALERA_SOCKET" >/dev/null &
holder=$!
exec 7>"$TMP/ps"
wait_for 10 test "$(gsql -e "SHOW GLOBAL STATUS LIKE 'Prepared_stmt_count'" | cut -f2)" -gt 0
refused "a prepared statement open" "server-side prepared statement is open on this Galera node.*MDEV-26048" --table=t --alter="ADD COLUMN y INT" --execute
exec 7>&-
wait "$holder"

gsql -e "SET GLOBAL wsrep_desync=ON"
refused "wsrep_desync" "wsrep_desync is on" --table=t --alter="ADD COLUMN y INT" --execute
refused "wsrep_desync, dry run" "wsrep_desync is on" --table=t --alter="ADD COLUMN y INT"
gsql -e "SET GLOBAL wsrep_desync=OFF"
