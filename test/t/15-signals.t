#!/usr/bin/env bash
# Signals while oscar works: SIGINT/SIGTERM/SIGHUP abort and roll back (exit 5,
# nothing left, the table as it was), SIGUSR1/SIGUSR2 and --pause-file pause
# and resume the copy.
source "$(dirname "$0")/../lib/common.sh"

DB=oscar_t15
fresh_db $DB
ROWS=200000
CHUNK=5 # small chunks: on a fast machine the copy of 200k rows still takes seconds
sql $DB -e "CREATE TABLE t (id INT NOT NULL PRIMARY KEY, a INT, b VARCHAR(40)) ENGINE=InnoDB;
	INSERT INTO t SELECT seq, seq % 1000, MD5(seq) FROM seq_1_to_$ROWS"
datasum() { sql $DB -e "SELECT COUNT(*), BIT_XOR(CRC32(CONCAT_WS('|', id, a, b))) FROM t"; }
SUM0=$(datasum)
n=0

# start_oscar ALTER [OPTIONS...]: oscar in the background (its own pid in PID),
# --json events in $TMP/out.N, log in $TMP/err.N.
start_oscar() {
	local alter=$1; shift
	n=$((n + 1))
	OUTF=$TMP/out.$n ERRF=$TMP/err.$n
	"$OSCAR_BIN" --socket="$OSCAR_SOCKET" --user=root --database=$DB --table=t --alter="$alter" \
		--execute --chunk-size=$CHUNK --json "$@" >"$OUTF" 2>"$ERRF" &
	PID=$!
}
chunks() { json_events "$OUTF" chunk | wc -l; }
chunks_at_least() { [ "$(chunks)" -ge "$1" ]; }
has_event() { [ -n "$(json_events "$OUTF" "$1")" ]; }
log_has() { grep -q -- "$1" "$ERRF"; }
last_copied() { json_events "$OUTF" chunk | tail -1 | grep -Eo '"rows_copied":[0-9]+' | cut -d: -f2; }
rolled_back() { # rolled_back NAME: nothing left, shape and data as before
	is "$(leftovers $DB)" "" "$1: nothing left behind"
	is "$(table_ddl $DB t)" "$DDL" "$1: table shape unchanged"
	is "$(datasum)" "$SUM0" "$1: table data unchanged"
}

# SIGINT, SIGTERM, SIGHUP during the copy
for sig in INT TERM HUP; do
	DDL=$(table_ddl $DB t)
	start_oscar "ADD COLUMN z_$sig INT"
	wait_for 30 chunks_at_least 50
	ok $? "SIG$sig: the copy is under way"
	kill -$sig $PID
	wait_exit $PID 30
	is "$?" 5 "SIG$sig during the copy: exit 5"
	like "$(grep 'error' "$OUTF")" '"event":"error",.*"exit_status":5' "SIG$sig: JSON error event with code 5"
	like "$(cat "$ERRF")" "received SIG$sig: aborting" "SIG$sig: logged"
	ok "$([ "$(last_copied)" -lt $ROWS ] && echo 0 || echo 1)" "SIG$sig: stopped before the copy ended ($(last_copied) rows)"
	rolled_back "SIG$sig"
done

# SIGUSR1 pauses, SIGUSR2 resumes
DDL=$(table_ddl $DB t)
start_oscar "ADD COLUMN z_usr INT"
wait_for 30 chunks_at_least 20
kill -USR1 $PID
wait_for 10 has_event pause
ok $? "SIGUSR1: pause event"
like "$(json_events "$OUTF" pause)" '"reason":"signal"' "SIGUSR1: pause reason is the signal"
c1=$(chunks) cp1=$(last_copied)
# a duration, not a wait for state: that nothing is copied is seen only over
# time, and the resume event below must report a pause of at least 1.4 s
sleep 1.5
is "$(chunks):$(last_copied)" "$c1:$cp1" "SIGUSR1: no chunk copied for 1.5 s while paused"
ok "$(running $PID && echo 0 || echo 1)" "SIGUSR1: oscar still running while paused"
kill -USR2 $PID
wait_exit $PID 180
is "$?" 0 "SIGUSR2: resumed and finished, exit 0"
like "$(json_events "$OUTF" resume)" '"paused_s":(1\.[4-9]|[2-9]\.|[1-9][0-9])' "SIGUSR2: resume event after >= 1.4 s"
ok "$([ "$(chunks)" -gt "$c1" ] && echo 0 || echo 1)" "SIGUSR2: copying went on after the resume"
like "$(json_events "$OUTF" done)" "\"rows_copied\":$ROWS[,}]" "SIGUSR1/2: all $ROWS rows copied"
like "$(table_ddl $DB t)" '`z_usr` int' "SIGUSR1/2: table altered"
is "$(datasum)" "$SUM0" "SIGUSR1/2: data unchanged"
is "$(leftovers $DB)" "" "SIGUSR1/2: nothing left behind"

# --pause-file: the copy waits while the file exists
PF=$TMP/pause
start_oscar "ADD COLUMN z_pf INT" --pause-file="$PF"
wait_for 30 chunks_at_least 20
touch "$PF"
wait_for 10 has_event pause
ok $? "--pause-file: pause event once the file exists"
like "$(json_events "$OUTF" pause)" '"reason":"pause-file"' "--pause-file: pause reason is the file"
c1=$(chunks) cp1=$(last_copied)
# a duration, not a wait for state: that nothing is copied is seen only over time
sleep 1.5
is "$(chunks):$(last_copied)" "$c1:$cp1" "--pause-file: no chunk copied for 1.5 s while the file exists"
rm -f "$PF"
wait_exit $PID 180
is "$?" 0 "--pause-file: removing the file resumes, exit 0"
ok "$(has_event resume && echo 0 || echo 1)" "--pause-file: resume event"
like "$(json_events "$OUTF" done)" "\"rows_copied\":$ROWS[,}]" "--pause-file: all $ROWS rows copied"
is "$(datasum)" "$SUM0" "--pause-file: data unchanged"
is "$(leftovers $DB)" "" "--pause-file: nothing left behind"

# SIGTERM while paused
DDL=$(table_ddl $DB t)
touch "$PF"
start_oscar "ADD COLUMN z_tp INT" --pause-file="$PF"
wait_for 10 has_event pause
ok $? "SIGTERM while paused: paused before the first chunk"
is "$(chunks)" 0 "SIGTERM while paused: nothing copied"
kill -TERM $PID
wait_exit $PID 30
is "$?" 5 "SIGTERM while paused: exit 5"
rolled_back "SIGTERM while paused"
rm -f "$PF"

# SIGINT while the swap waits for a metadata lock held by an open transaction
DDL=$(table_ddl $DB t)
start_oscar "ADD COLUMN z_cut INT" --lock-wait-timeout=0.2
wait_for 30 chunks_at_least 5
sql $DB -e "BEGIN; SELECT COUNT(*) FROM t WHERE id = 1; SELECT SLEEP(600.25)" >/dev/null 2>&1 &
holder=$!
holder_id() { sql -e "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(600.25)%'"; }
holding() { [ -n "$(holder_id)" ]; }
wait_for 10 holding
ok $? "cutover: a transaction holds the table"
wait_for 180 log_has "swap: metadata lock not granted"
ok $? "cutover: the swap waits for the lock"
kill -INT $PID
# the lock is let go only once the swap has given up (its error event comes
# after the last RENAME attempt, before the rollback, which then waits for the
# lock too): released earlier, the RENAME could go through
wait_event "$OUTF" error 30
ok $? "SIGINT during the cutover wait: the swap gave up while the lock was held"
sql -e "KILL $(holder_id)"
wait_exit $holder 2>/dev/null
wait_exit $PID 180
is "$?" 5 "SIGINT during the cutover wait: exit 5"
is "$(json_events "$OUTF" cutover)" "" "SIGINT during the cutover wait: no cutover happened"
rolled_back "SIGINT during the cutover wait"

sql -e "DROP DATABASE $DB"
