#!/usr/bin/env bash
# A node of a Galera cluster (wsrep_on; a one-node cluster of Debian's
# galera-4 here) is refused before anything changes: a table lock around the
# trigger DDL can wedge a multi-node cluster, and lost rows were seen there
# under concurrent writes (see src/galera.c). Refused in dry run too, with
# the documented exit status and one error line.
source "$(dirname "$0")/../lib/common.sh"

if ! start_galera; then
	ok 1 "a one-node Galera cluster starts"
	diag "$(tail -20 "$GALERA_DIR/error.log" 2>/dev/null)"
	exit 1
fi
is "$(gsql -e "SHOW STATUS LIKE 'wsrep_cluster_size'" | cut -f2) $(gsql -e "SELECT @@wsrep_on")" "1 1" \
	"a one-node Galera cluster is up"
DB=oscar_t37
gsql -e "CREATE DATABASE $DB; USE $DB; CREATE TABLE t (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;
	INSERT INTO t SELECT seq, seq FROM seq_1_to_1000"
gstate() {
	gsql -e "SELECT TABLE_NAME, CREATE_TIME FROM information_schema.TABLES WHERE TABLE_SCHEMA='$DB' ORDER BY 1;
	         SELECT TRIGGER_NAME FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='$DB';
	         SELECT COUNT(*), SUM(v) FROM $DB.t"
}
before=$(gstate)
for mode in --execute --dry-run; do
	"$OSCAR_BIN" --socket="$GALERA_SOCKET" --user=root --database=$DB --table=t --alter="ADD COLUMN z INT" $mode \
		--json >"$TMP/out" 2>"$TMP/err"
	is "$?" 3 "$mode on a Galera node: refused (exit 3)"
	is "$(grep -c 'error: ' "$TMP/err")" 1 "$mode: exactly one error line"
	like "$(cat "$TMP/err")" "refused: this server is a node of a Galera cluster \\(wsrep_on\\)" "$mode: the message says why"
	like "$(grep '"event":"error"' "$TMP/out")" '"exit_status":3' "$mode: an error event with the exit status"
	is "$(gstate)" "$before" "$mode: the node is unchanged"
done
