#!/usr/bin/env bash
# Throttling: over --max-load the copy waits and says why, and goes on when the
# load falls; over --critical-load the run rolls back; bad specs are usage errors.
source "$(dirname "$0")/../lib/common.sh"

DB=throttle_test
fresh_db $DB
sql $DB -e "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB;
            INSERT INTO t SELECT seq, CONCAT('v', seq) FROM seq_1_to_20000"
SUM=$(sql $DB -e "CHECKSUM TABLE t" | cut -f2)

# Load we control: extra idle connections push Threads_connected over the
# limit until the test ends them, once the throttle is seen: no timing assumed.
base=$(sql -e "SHOW GLOBAL STATUS LIKE 'Threads_connected'" | cut -f2)
limit=$((base + 3))
sleepers=()
for _ in 1 2 3 4 5 6; do sql -e "SELECT SLEEP(300.22)" >/dev/null 2>&1 & sleepers+=($!); done
load_q="SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(300.22)'"
wait_sql 60 6 "$load_q"
ok $? "six load connections are there"
"$OSCAR_BIN" --socket="$OSCAR_SOCKET" --user=root --database=$DB --table=t --alter="ADD COLUMN c INT" --execute --json \
	--chunk-size=2000 --max-load=Threads_connected=$limit >"$TMP/ev" 2>"$TMP/err" &
opid=$!
wait_for 60 grep -Eq '"event":"throttle",.*"active":true' "$TMP/ev"
ok $? "the copy is throttled"
running $opid
ok $? "and waits while the load lasts"
sql -e "SELECT CONCAT('KILL ', ID, ';') FROM information_schema.PROCESSLIST
        WHERE INFO LIKE 'SELECT SLEEP(300.22)'" | sql
for p in "${sleepers[@]}"; do wait_exit "$p" 60 >/dev/null 2>&1; done
wait_exit $opid 300
rc=$?
is "$rc" 0 "throttled run completes once the load falls"
like "$(grep '"event":"throttle"' "$TMP/ev" | head -1)" '"active":true,"reason":"max-load","variable":"Threads_connected"' \
	"throttle event names the variable"
like "$(grep '"event":"throttle"' "$TMP/ev" | tail -1)" '"active":false' "a second throttle event ends it"
like "$(cat "$TMP/err")" "throttled: Threads_connected=[0-9]+>$limit" "the log gives the reason"
is "$(sql $DB -e "SELECT COUNT(*), SUM(CRC32(v)) FROM t")" "$(sql $DB -e "SELECT 20000, SUM(CRC32(CONCAT('v', seq))) FROM seq_1_to_20000")" \
	"all rows copied"
is "$(leftovers $DB)" "" "nothing left behind"

# Critical load: roll back.
before=$(server_state)
oscar --database=$DB --table=t --alter="DROP COLUMN c" --execute --json --chunk-size=2000 \
	--critical-load=Threads_running=0 >"$TMP/ev2" 2>"$TMP/err2"
is "$?" 1 "critical load: exit 1"
like "$(cat "$TMP/err2")" "critical load: Threads_running=[0-9]+ is over 0" "critical load is named"
like "$(cat "$TMP/ev2")" '"event":"critical_load"' "critical_load event"
like "$(cat "$TMP/ev2")" '"event":"error",.*"exit_status":1' "error event with code 1"
is "$(server_state)" "$before" "critical load: rolled back, nothing left"

# Usage errors.
for spec in "foo" "Threads_running" "Threads_running=x" "=5" "Thr;eads=5"; do
	oscar --database=$DB --table=t --alter="ADD COLUMN d INT" --max-load="$spec" 2>"$TMP/err3"
	is "$?" 2 "--max-load='$spec' is a usage error"
done
like "$(cat "$TMP/err3")" "^oscar: error: invalid --max-load" "one-line message"
