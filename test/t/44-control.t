#!/usr/bin/env bash
# The control socket: every command against a real running migration, its
# effect checked from the events and the tables; the socket's mode, a stale
# socket replaced, two runs on one socket; --status and --send from another
# "terminal"; oscar's statements recognisable on the server.
source "$(dirname "$0")/../lib/common.sh"

DB=oscar_t44
fresh_db $DB
mk() { sql $DB -e "DROP TABLE IF EXISTS t; CREATE TABLE t (id INT NOT NULL PRIMARY KEY, v VARCHAR(60)) ENGINE=InnoDB;
	INSERT INTO t SELECT seq, REPEAT('v', 50) FROM seq_1_to_${1:-60000}"; }
# the default socket, as the run announces it: /tmp/oscar-DB.TBL-<server hash>.sock
sock_of() { sed -n 's/.* oscar: control socket: \(.*\) (try: .*/\1/p' "$1" | head -1; }
send() { oscar --database=$DB --table=t --send="$1"; }
events() { cat "$TMP/ev" 2>/dev/null; }

# start_paused ARGS: an oscar --execute whose copy waits on a pause file, so
# the test acts on a run that is certainly in its copy
start_paused() {
	touch "$TMP/pause"
	rm -f "$TMP/ev"
	# the binary itself, not the shell function: $! must be oscar's pid
	"$OSCAR_BIN" --socket="$OSCAR_SOCKET" --user=root --database=$DB --table=t --alter="ADD COLUMN z INT" --execute \
		--json --pause-file="$TMP/pause" "$@" >"$TMP/ev" 2>"$TMP/err" &
	PID=$!
	wait_for 30 grep -sq '"event":"pause"' "$TMP/ev"
}
finish() { # waits for the run (60 s at most, then kills it: RC 124); sets RC
	wait_exit $PID 60
	RC=$?
}

mk
start_paused --chunk-size=500 --progress=0.1
ok $? "a run paused in its copy"
SOCK=$(sock_of "$TMP/err")
like "$SOCK" "^/tmp/oscar-oscar_t44\.t-[0-9a-f]{8}\.sock$" "the default socket path names database, table and server"
is "$(stat -c '%a %U' $SOCK)" "600 $(id -un)" "the socket is mode 0600 and the user's"
a=$(send status)
like "$a" '^ok phase=copy state="paused \(pause file\) for [0-9]+ s" rows_copied=0 ' "status: phase, state (paused, why, how long) and rows"
a=$(send "status json")
like "$a" '^ok \{"event":"status","database":"oscar_t44","table":"t","phase":"copy"' "status json: one JSON object"
like "$(send help)" '^ok commands: status, status json, pause, resume, chunk-time=SEC' "help lists the commands"
a=$(send "chunk-time=0")
like "$a" '^error: chunk-time takes seconds from 0.01 to 60$' "a bad chunk-time says the range"
like "$(send chunk-size=-3)" "^error: chunk-size takes 'auto' or rows from 1" "a bad chunk-size says why"
like "$(send max-load=Threads_running)" "^error: max-load: expected VAR=N" "a bad max-load says why"
like "$(send max-lag=soon)" "^error: max-lag takes a time" "a bad max-lag says why"
like "$(send max-load=No_such_variable=5)" "^error: max-load: 'No_such_variable' is not a global status variable of this server" \
	"a max-load naming a variable the server lacks is refused"
like "$(send frobnicate)" "^error: unknown command" "an unknown command says so"
is "$(json_events "$TMP/ev" control)" "" "bad values changed nothing (no control event)"
like "$(send chunk-size=300)" "^ok chunk-size=300" "chunk-size=300 accepted"
like "$(send max-lock-time=0.05)" "^ok max-lock-time=0.05" "max-lock-time accepted"
like "$(send max-load=Threads_running=40)" "^ok max-load=Threads_running=40" "max-load accepted"
like "$(send critical-load=Threads_running=90)" "^ok critical-load=Threads_running=90" "critical-load accepted"
like "$(send max-lag=2s)" "^ok max-lag=2s" "max-lag accepted"
wait_for 10 sh -c "grep -c '\"event\":\"control\"' '$TMP/ev' | grep -qx 5"
ok $? "each accepted change applied while paused, with a control event"
like "$(send status)" "chunk_size_setting=fixed max_load=Threads_running=40 critical_load=Threads_running=90 max_lag=2" \
	"status shows the new settings"
like "$(send postpone)" "^ok the swap waits" "postpone accepted"
# pause by the socket too: the shadow's row count stays put
like "$(send pause)" "^ok pause" "pause accepted"
rm -f "$TMP/pause"
n1=$(count_rows $DB _t_new)
for i in 1 2 3 4 5; do send status >/dev/null; done
is "$(count_rows $DB _t_new)" "$n1" "paused from the socket: the shadow's row count does not move"
like "$(send resume)" "^ok resume" "resume accepted"
wait_for 60 sh -c "'$OSCAR_BIN' --socket='$OSCAR_SOCKET' --user=root --database=$DB --table=t --send=status | grep -q 'phase=cutover'"
ok $? "the copy went on to the cutover"
sizes=$(json_events "$TMP/ev" chunk | sed -n 's/.*"chunk_size":\([0-9]*\).*/\1/p' | sort -u | tr '\n' ' ')
is "$sizes" "300 " "every chunk after the change had the new size"
like "$(send status)" 'state="postponed on the control socket' "postponed: the swap waits"
is "$(sql -e "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME='_t_new'")" 1 \
	"postponed: not swapped yet"
like "$(send unpostpone)" "^ok the swap may go ahead" "unpostpone accepted"
finish
is "$RC" 0 "the run finished after unpostpone"
like "$(json_events "$TMP/ev" done)" '"chunks":[0-9]+.*"chunk_median_s":[0-9.]+.*"chunk_p90_s".*"retries_mdl":[0-9]+.*"waited_paused_s":[0-9.]+.*"cutover_lock_wait_ms":[0-9.]+.*"cutover_rename_ms"' \
	"the done event carries the statistics: chunks and their spread, retries, waits, the cutover"
like "$(cat "$TMP/err")" "summary: 60000 rows copied in [0-9]+ chunks" "the summary gives rows and chunks"
like "$(cat "$TMP/err")" "summary: waited: paused [0-9.]+ s" "the summary gives the time paused"
# progress that is true: paused time shown as such, the last line at 100%
like "$(cat "$TMP/err")" "oscar: copy +[0-9.]+%  [0-9]+/~[0-9]+ rows  [0-9]+ rows/s  chunk [0-9]+  eta [0-9:?]+  elapsed [0-9:]+  paused \(pause file\) for [0-9]+ s" \
	"a progress line while paused says so, and for how long"
last=$(grep ' oscar: copy ' "$TMP/err" | tail -1)
like "$last" "copy 100.0%  60000/~60000 rows .* eta 0:00 " "the last progress line is at 100%, not frozen below it"
ok "$([ ! -e $SOCK ] && echo 0 || echo 1)" "the socket is gone after the run"
is "$(leftovers $DB)" "" "nothing left behind"

# chunk-time: the controller follows a new target
mk 100000
start_paused
like "$(send chunk-time=0.01)" "^ok chunk-time=0.01" "chunk-time=0.01 accepted"
wait_for 10 grep -sq '"setting":"chunk-time"' "$TMP/ev"
ok $? "chunk-time applied (control event)"
rm -f "$TMP/pause"
finish
is "$RC" 0 "run with chunk-time changed: exit 0"
# the target was 0.01 s from the first chunk: many small chunks (the default 0.5 s
# copies these rows in a handful), few of them slow
slow=$(json_events "$TMP/ev" chunk | sed -n 's/.*"chunk_s":\([0-9.]*\).*/\1/p' | tail -n +6 | awk '$1 > 0.2' | wc -l)
total=$(json_events "$TMP/ev" chunk | wc -l)
ok "$([ "$total" -ge 10 ] && [ "$slow" -le $((total / 5)) ] && echo 0 || echo 1)" \
	"chunks follow the new chunk-time ($total chunks, $slow over 0.2 s)"

# max-load takes effect: a limit the server is always over throttles the
# copy, a high one lets it go on
mk 20000
start_paused --chunk-size=1000
like "$(send max-load=Threads_running=0)" "^ok max-load=Threads_running=0" "max-load=Threads_running=0 accepted"
rm -f "$TMP/pause"
wait_for 30 grep -sq '"event":"throttle".*"active":true.*"variable":"Threads_running".*"limit":0' "$TMP/ev"
ok $? "the new max-load throttles the copy (throttle event with the new limit)"
like "$(send status)" 'state="throttled: Threads_running=' "status says it is throttled, by which variable"
like "$(send max-load=Threads_running=10000)" "^ok max-load=Threads_running=10000" "a high max-load accepted"
finish
is "$RC" 0 "the copy went on and finished once the limit was raised"
like "$(json_events "$TMP/ev" throttle | tail -1)" '"active":false' "the throttle ended"

# abort: rolled back exactly as SIGINT does
mk
start_paused
like "$(send abort)" "^ok aborting" "abort accepted"
finish
is "$RC" 5 "aborted from the socket: exit 5"
like "$(json_events "$TMP/ev" error)" '"exit_status":5.*"phase_preflight_s":[0-9.]+.*"phase_copy_s":[0-9.]+.*"retries_deadlock":0.*"waited_paused_s":[0-9.]+' \
	"the error event of an abort carries the run's statistics"
like "$(cat "$TMP/err")" "summary: time by phase: preflight [0-9.]+ s, shadow [0-9.]+ s, triggers [0-9.]+ s, copy [0-9.]+ s" \
	"an aborted run still prints its summary"
is "$(leftovers $DB)" "" "abort leaves no trace"
ok "$([ ! -e $SOCK ] && echo 0 || echo 1)" "abort removes the socket"
is "$(table_ddl $DB t | grep -c '`z`')" 0 "the table is untouched"

# a stale socket (an oscar killed with -9) is replaced
mk 2000
perl -MIO::Socket::UNIX -e 'my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Local => $ARGV[0], Listen => 1) or die $!;' $SOCK
ok "$([ -S $SOCK ] && echo 0 || echo 1)" "a stale socket nobody answers on"
oscar_run --database=$DB --table=t --alter="ADD COLUMN z INT" --execute
is "$RC" 0 "a run with a stale socket in the way: exit 0"
like "$ERR" "replaced the stale control socket" "says it replaced it"

# two runs on one socket path: the second exits 6
mk 2000
sql $DB -e "CREATE TABLE t2 LIKE t; INSERT INTO t2 SELECT * FROM t"
start_paused
oscar_run --database=$DB --table=t2 --alter="ADD COLUMN y INT" --execute --control-socket="$SOCK"
is "$RC" 6 "a second oscar on the same socket: exit 6"
like "$ERR" "another oscar answers on the control socket" "says why"
oscar_run --database=$DB --table=t --alter="ADD COLUMN z INT" --execute
is "$RC" 6 "a second oscar on the same table: exit 6"

# --status: the running job through its socket, or what the server has
oscar_run --database=$DB --table=t --status
like "$OUT" "^phase=copy" "--status of a running job comes from its socket"
oscar_run --status
like "$OUT" "^oscar_t44.t: running, phase copy" "--status without a table lists the running job"
kill -9 $PID; wait $PID 2>/dev/null
oscar_run --database=$DB --table=t --status
like "$OUT" "^oscar_t44.t: not running \(the same command resumes it; --cleanup removes it\), phase copy" \
	"--status after kill -9: the unfinished job on the server"
oscar_run --database=$DB --table=t --send=status
is "$RC" 1 "--send with nobody answering: exit 1"
like "$ERR" "no oscar answers on the control socket '$SOCK'" "--send says nobody answers"
oscar --database=$DB --table=t --cleanup --execute >/dev/null 2>&1
oscar_run --database=$DB --table=t --status
like "$OUT" "no oscar job" "--status with no job says so"
oscar_run --database=$DB --table=t --status --execute
is "$RC" 2 "--status with --execute: usage error"

# default path: characters that cannot stand in a file name are encoded
odd='we/ird db'
sql -e "DROP DATABASE IF EXISTS \`$odd\`; CREATE DATABASE \`$odd\`"
sql "$odd" -e "CREATE TABLE t (id INT PRIMARY KEY); INSERT INTO t SELECT seq FROM seq_1_to_100"
touch "$TMP/pause"
rm -f "$TMP/ev2"
"$OSCAR_BIN" --socket="$OSCAR_SOCKET" --user=root --database="$odd" --table=t --alter="ADD COLUMN z INT" --execute --json \
	--pause-file="$TMP/pause" >"$TMP/ev2" 2>"$TMP/err2" &
PID=$!
wait_for 30 grep -sq '"event":"pause"' "$TMP/ev2"
odd_sock=$(sock_of "$TMP/err2")
like "$odd_sock" '^/tmp/oscar-we%2Fird%20db\.t-[0-9a-f]{8}\.sock$' "odd characters in the default path are %-encoded"
ok "$([ -S "$odd_sock" ] && echo 0 || echo 1)" "and the socket is there"
rm -f "$TMP/pause"
finish
is "$RC" 0 "the run with the encoded socket path: exit 0"
sql -e "DROP DATABASE \`$odd\`"

# recognisable on the server: every statement starts with a comment naming
# oscar, the table and the phase
mk 3000
sql -e "SET GLOBAL log_output='TABLE'; TRUNCATE mysql.general_log; SET GLOBAL general_log=1"
oscar_run --database=$DB --table=t --alter="ADD COLUMN z INT" --execute --chunk-size=1000
sql -e "SET GLOBAL general_log=0"
is "$RC" 0 "a run with the general log on: exit 0"
log() { sql -e "SELECT COUNT(*) FROM mysql.general_log WHERE command_type='Query' AND argument LIKE '$1'"; }
ok "$([ "$(log "/* oscar $DB.t copy */ INSERT IGNORE INTO%")" -ge 3 ] && echo 0 || echo 1)" "copy statements carry /* oscar $DB.t copy */"
ok "$([ "$(log "/* oscar $DB.t triggers */ CREATE TRIGGER%")" -eq 3 ] && echo 0 || echo 1)" "trigger DDL carries the triggers phase"
ok "$([ "$(log "/* oscar $DB.t cutover */ RENAME TABLE%")" -ge 1 ] || [ "$(log "/* oscar $DB.t cutover */ SET STATEMENT % RENAME TABLE%")" -ge 1 ] && echo 0 || echo 1)" \
	"the swap carries the cutover phase"
is "$(sql -e "SELECT COUNT(*) FROM mysql.general_log WHERE command_type='Query' AND argument LIKE '%ALTER TABLE%\_t\_new%' AND argument NOT LIKE '/* oscar %'")" 0 \
	"no statement of oscar's without the comment"
# the client-side copy's prepared INSERT and its key reads carry it too
mk 3000
sql -e "TRUNCATE mysql.general_log; SET GLOBAL general_log=1"
oscar_run --database=$DB --table=t --alter="ADD COLUMN z INT" --execute --chunk-size=1000 --copy-method=client
sql -e "SET GLOBAL general_log=0"
is "$RC" 0 "a client-side copy with the general log on: exit 0"
ok "$([ "$(sql -e "SELECT COUNT(*) FROM mysql.general_log WHERE command_type='Prepare' AND argument LIKE '/* oscar $DB.t copy */ INSERT IGNORE INTO%'")" -ge 1 ] && echo 0 || echo 1)" \
	"the prepared INSERT of the client-side copy carries the comment"
is "$(sql -e "SELECT COUNT(*) FROM mysql.general_log WHERE command_type IN ('Query', 'Prepare') AND argument LIKE '%\_t\_new%' AND argument NOT LIKE '/* oscar %'")" 0 \
	"no statement naming the shadow without the comment"
sql -e "TRUNCATE mysql.general_log"
