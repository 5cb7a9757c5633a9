#!/usr/bin/env bash
# Control while it runs: a pause (SIGUSR1 or --pause-file) holds not only the
# copy but also the swap; SIGUSR2 or removing the file goes on. Progress lines
# carry percent, rows/s, chunk size and ETA when stderr is not a terminal.
# --resume insists on an unfinished job.
source "$(dirname "$0")/../lib/common.sh"

DB=control_test
fresh_db $DB
sql $DB -e "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB;
            INSERT INTO t SELECT seq, CONCAT('v', seq) FROM seq_1_to_20000"
# the binary itself in the background, so $! is its pid (oscar() is a function)
oscar_bg() { "$OSCAR_BIN" --socket="$OSCAR_SOCKET" --user=root "$@" & pid=$!; }

# SIGUSR1 while the swap is postponed: removing the postpone file does not swap
touch "$TMP/postpone"
oscar_bg --database=$DB --table=t --alter="ADD COLUMN a INT" --execute --json \
	--postpone-cutover-file="$TMP/postpone" >"$TMP/ev1" 2>"$TMP/err1"
wait_event "$TMP/ev1" postpone 60
ok $? "the swap is postponed by the file"
kill -USR1 $pid
wait_for 30 grep -q "SIGUSR1: pausing" "$TMP/err1"
ok $? "SIGUSR1 is taken"
rm -f "$TMP/postpone"
# once the wait names the pause, nothing but SIGUSR2 lets the swap go
wait_for 30 grep -q "cutover postponed: paused" "$TMP/err1"
ok $? "the wait now names the pause"
is "$(grep -c '"event":"cutover"' "$TMP/ev1")" 0 "paused with SIGUSR1: no swap although the postpone file is gone"
like "$(cat "$TMP/err1")" "cutover postponed: paused" "the log says the swap waits for the pause"
kill -USR2 $pid
wait_exit $pid
is "$?" 0 "SIGUSR2: the swap happens and the run ends"
like "$(cat "$TMP/ev1")" '"event":"cutover"' "cutover event after the resume"

# --pause-file created while the swap is postponed holds it the same way
touch "$TMP/postpone"
oscar_bg --database=$DB --table=t --alter="ADD COLUMN b INT" --execute --json \
	--postpone-cutover-file="$TMP/postpone" --pause-file="$TMP/pause" >"$TMP/ev2" 2>"$TMP/err2"
wait_event "$TMP/ev2" postpone 60
touch "$TMP/pause"
rm -f "$TMP/postpone"
wait_for 30 grep -q "cutover postponed: paused" "$TMP/err2"
ok $? "--pause-file: the wait names the pause"
is "$(grep -c '"event":"cutover"' "$TMP/ev2")" 0 "--pause-file: no swap while the file exists"
rm -f "$TMP/pause"
wait_exit $pid
is "$?" 0 "removing the pause file: the run ends"
is "$(leftovers $DB)" "" "nothing left behind"

# progress lines in a log (stderr is a file here)
oscar --database=$DB --table=t --alter="ADD COLUMN c INT" --execute --chunk-size=10 --progress=0.1 \
	2>"$TMP/err3" >/dev/null
is "$?" 0 "run with --progress=0.1: exit 0"
line=$(grep ' oscar: copy ' "$TMP/err3" | head -1)
like "$line" "^[0-9-]+T[0-9:.]+Z oscar: copy +[0-9.]+%  [0-9]+/~[0-9]+ rows  [0-9]+ rows/s  chunk [0-9]+  eta " \
	"a progress line: timestamp, percent, rows, rate, chunk size, ETA"
ok "$([ "$(grep -c ' oscar: copy ' "$TMP/err3")" -ge 2 ] && echo 0 || echo 1)" "several progress lines"

# --resume
oscar --database=$DB --table=t --alter="ADD COLUMN d INT" --execute --resume 2>"$TMP/err4"
is "$?" 3 "--resume without an unfinished job: refused"
like "$(cat "$TMP/err4")" "no unfinished oscar job for '$DB'.'t'" "the message says so"
oscar --database=$DB --table=t --alter="ADD COLUMN d INT" --execute --max-runtime=0.001 --chunk-size=100 >/dev/null 2>&1
is "$?" 7 "--max-runtime leaves a job"
oscar --database=$DB --table=t --alter="ADD COLUMN d INT" --execute --resume >/dev/null 2>"$TMP/err5"
is "$?" 0 "--resume finishes it"
like "$(cat "$TMP/err5")" "found an unfinished job" "it resumed"
is "$(leftovers $DB)" "" "nothing left behind"

# --no-swap, then the same command without it: resumes, verifies and swaps
oscar --database=$DB --table=t --alter="ADD COLUMN e INT" --execute --no-swap >"$TMP/out6" 2>/dev/null
is "$?" 0 "--no-swap: exit 0"
like "$(cat "$TMP/out6")" "to finish: run the same command without --no-swap" "--no-swap says how to finish"
sql $DB -e "INSERT INTO t (id, v) VALUES (900001, 'after no-swap'); UPDATE t SET v = 'changed' WHERE id = 7; DELETE FROM t WHERE id = 8"
oscar --database=$DB --table=t --alter="ADD COLUMN e INT" --execute --json >"$TMP/ev7" 2>"$TMP/err7"
is "$?" 0 "the same command without --no-swap finishes the job"
like "$(cat "$TMP/err7")" "found an unfinished job" "it resumed the --no-swap job"
like "$(grep '"event":"verify"' "$TMP/ev7")" '"ok":true' "and verified before the swap"
is "$(sql $DB -e "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME='t' AND COLUMN_NAME='e'")" 1 "the ALTER took effect"
is "$(sql $DB -e "SELECT CONCAT_WS(',', (SELECT v FROM t WHERE id = 900001), (SELECT v FROM t WHERE id = 7), (SELECT COUNT(*) FROM t WHERE id = 8))")" "after no-swap,changed,0" \
	"writes made between the two runs are in the new table"
is "$(leftovers $DB)" "" "nothing left behind"
