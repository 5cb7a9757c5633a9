#!/usr/bin/env bash
# Metadata locks never become an outage: with a transaction holding the table
# open, oscar's trigger installation and its RENAME wait at most
# --lock-wait-timeout per attempt, back off, name the blocking transaction, and
# either get through when it ends or give up cleanly after --lock-retries.
# A probe doing point writes meanwhile must never wait long.
source "$(dirname "$0")/../lib/common.sh"

DB=mdl_test
fresh_db $DB
sql $DB -e "CREATE TABLE t (id INT PRIMARY KEY, n INT NOT NULL DEFAULT 0, pad CHAR(100) DEFAULT 'x') ENGINE=InnoDB;
            INSERT INTO t (id) SELECT seq FROM seq_1_to_20000"
# the probe changes n, so compare everything else
data_sum() { sql $DB -e "SELECT COUNT(*), SUM(CRC32(CONCAT(id, pad))) FROM t"; }
CHK=$(data_sum)
DDL=$(table_ddl $DB t)

# hold_table SECONDS: an open transaction that has read the table; returns
# once it holds the table's metadata lock (its SLEEP is running: an open
# transaction of anyone else, which INNODB_TRX would also list, says nothing)
hold_table() {
	sql $DB -e "START TRANSACTION; SELECT COUNT(*) FROM t WHERE id < 10; SELECT SLEEP($1); COMMIT" >/dev/null &
	HOLDER=$!
	wait_sql 10 1 "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP($1)%'"
}
# start_probe: the probe in the background; returns once its writes reach
# the table (the n it increments has grown)
start_probe() {
	rm -f "$TMP/probe.stop"
	local n0
	n0=$(sql $DB -e "SELECT n FROM t WHERE id = 1")
	perl "$OSCAR_ROOT/test/lib/probe.pl" "$OSCAR_SOCKET" $DB t "$TMP/probe.stop" >"$TMP/probe.out" &
	PROBE=$!
	wait_sql 10 1 "SELECT n > $n0 FROM $DB.t WHERE id = 1"
	ok $? "the probe is writing"
}
stop_probe() {
	touch "$TMP/probe.stop"
	wait_exit $PROBE
	PROBE_MAX=$(sed -n 's/.*max_ms=\([0-9.]*\).*/\1/p' "$TMP/probe.out")
	PROBE_ERR=$(sed -n 's/.*errors=\([0-9]*\).*/\1/p' "$TMP/probe.out")
	PROBE_N=$(sed -n 's/.*count=\([0-9]*\).*/\1/p' "$TMP/probe.out")
}

# 1. The blocker outlives every retry: oscar gives up, names it, leaves nothing.
hold_table 30
holder_thread=$(sql -e "SELECT trx_mysql_thread_id FROM information_schema.INNODB_TRX LIMIT 1")
start_probe
before=$(server_state)
t0=$(date +%s.%N)
oscar --database=$DB --table=t --alter="ADD COLUMN c INT" --execute --json \
	--lock-wait-timeout=0.2 --lock-retries=4 >"$TMP/ev1" 2>"$TMP/err1"
rc=$?
t1=$(date +%s.%N)
stop_probe
is "$rc" 1 "blocked trigger installation: gives up with exit 1"
like "$(cat "$TMP/err1")" "gave up .* after 4 attempts waiting for a metadata lock" "the message says it gave up on a metadata lock"
like "$(cat "$TMP/err1")" "thread $holder_thread, user 'root'" "the blocking transaction is named (thread $holder_thread)"
like "$(grep '"event":"lock_blocker"' "$TMP/ev1" | head -1)" "\"thread_id\":\"$holder_thread\"" "lock_blocker event names the thread"
is "$(grep -c '"event":"lock_wait"' "$TMP/ev1")" 3 "three lock_wait events before giving up"
is "$(server_state)" "$before" "nothing left behind after giving up"
is "$(data_sum)" "$CHK" "table data untouched"
is "$(table_ddl $DB t)" "$DDL" "table definition untouched"
ok "$(awk -v a="$t0" -v b="$t1" 'BEGIN { exit !(b - a < 15) }'; echo $?)" "gave up long before the blocker ended"
ok "$(awk -v m="$PROBE_MAX" 'BEGIN { exit !(m < 2000) }'; echo $?)" "probe never queued behind oscar for long (max ${PROBE_MAX} ms over $PROBE_N writes)"
is "$PROBE_ERR" 0 "probe saw no errors"
kill $HOLDER 2>/dev/null; wait_exit $HOLDER 2>/dev/null
sql -e "KILL $holder_thread" 2>/dev/null

# 2. The blocker ends during the retries: oscar gets through.
hold_table 2
start_probe
oscar --database=$DB --table=t --alter="ADD COLUMN c INT" --execute --json \
	--lock-wait-timeout=0.2 --lock-retries=60 >"$TMP/ev2" 2>"$TMP/err2"
rc=$?
stop_probe
wait_exit $HOLDER 2>/dev/null
is "$rc" 0 "blocker ends during the retries: migration succeeds"
ok "$([ "$(grep -c '"event":"lock_wait"' "$TMP/ev2")" -ge 2 ] && echo 0 || echo 1)" "it waited and retried (lock_wait events)"
ok "$(awk -v m="$PROBE_MAX" 'BEGIN { exit !(m < 2000) }'; echo $?)" "probe never queued for long (max ${PROBE_MAX} ms)"
is "$PROBE_ERR" 0 "probe saw no errors"
is "$(leftovers $DB)" "" "nothing left behind"

# 3. A blocker at the swap: the copy is held by a pause file, a transaction
#    opens, the pause ends; the RENAME retries until the blocker ends.
touch "$TMP/pause"
oscar --database=$DB --table=t --alter="DROP COLUMN c" --execute --json --pause-file="$TMP/pause" \
	--lock-wait-timeout=0.2 --lock-retries=60 --chunk-size=500 >"$TMP/ev3" 2>"$TMP/err3" &
OSC=$!
wait_event "$TMP/ev3" pause 5
like "$(cat "$TMP/ev3")" '"event":"pause"' "copy paused by the pause file"
hold_table 3
start_probe
rm -f "$TMP/pause"
wait_exit $OSC
rc=$?
stop_probe
wait_exit $HOLDER 2>/dev/null
is "$rc" 0 "swap blocked by a transaction: succeeds once it ends"
attempts=$(sed -n 's/.*"event":"cutover".*"attempts":\([0-9]*\).*/\1/p' "$TMP/ev3")
ok "$([ "${attempts:-0}" -gt 1 ] && echo 0 || echo 1)" "the RENAME was retried ($attempts attempts)"
like "$(cat "$TMP/err3")" "swap: metadata lock not granted within 0.200 s" "each swap attempt waited 0.2 s at most"
ok "$(awk -v m="$PROBE_MAX" 'BEGIN { exit !(m < 2000) }'; echo $?)" "probe never queued for long during the swap (max ${PROBE_MAX} ms)"
is "$PROBE_ERR" 0 "probe saw no errors"
is "$(leftovers $DB)" "" "nothing left behind"
is "$(table_ddl $DB t | grep -c '`c`')" 0 "the ALTER took effect"
