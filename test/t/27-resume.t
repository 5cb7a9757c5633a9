#!/usr/bin/env bash
# Resume after a crash: oscar is killed with SIGKILL at every phase (exact
# crash points via OSCAR_FAULT) under concurrent writers, then the same command
# is run again (or --cleanup, where resuming is impossible); each time the data
# must equal what the writers committed and nothing may be left behind. Also:
# --max-runtime (exit 7, resumable), the connection killed from the server side,
# a different ALTER refused while a job is unfinished.
source "$(dirname "$0")/../lib/common.sh"

DB=resume_test
ALTER="ADD COLUMN added INT NULL DEFAULT 7"
fresh_db $DB
mk() {
	sql $DB -e "DROP TABLE IF EXISTS t;
	CREATE TABLE t (id BIGINT NOT NULL PRIMARY KEY, u VARCHAR(40) NULL,
	  txt VARCHAR(100) CHARACTER SET utf8mb4 NULL, dt DATETIME(6) NULL, \`dec\` DECIMAL(12,4) NULL,
	  n INT NULL, UNIQUE KEY uk_u (u)) ENGINE=InnoDB;
	INSERT INTO t (id, u, txt, dt, \`dec\`, n)
	  SELECT seq, CONCAT('init-', seq), CONCAT('r', seq), '2021-01-01 00:00:00.000001', seq / 3, seq FROM seq_1_to_30000"
}
start_writers() {
	OUT=$TMP/$1
	mkdir -p "$OUT"
	rm -f "$TMP/stop"
	perl "$OSCAR_ROOT/test/lib/writers.pl" "$OSCAR_SOCKET" $DB t 3 "$TMP/stop" "$OUT" $RANDOM &
	WPID=$!
	wait_for 30 writers_ready
	ok $? "$1: the writers are connected"
}
writers_ready() { [ -e "$OUT/writer0.ready" ] && [ -e "$OUT/writer1.ready" ] && [ -e "$OUT/writer2.ready" ]; }
commits() { sql -e "SELECT SUM(VARIABLE_VALUE) FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'COM_COMMIT'"; }
# stop_writers: once they have committed some more on the migrated table
stop_writers() {
	local base
	base=$(commits)
	wait_sql 30 1 "SELECT SUM(VARIABLE_VALUE) > $base + 100 FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'COM_COMMIT'"
	ok $? "$(basename "$OUT"): the writers committed more after the run"
	touch "$TMP/stop"
	wait_exit $WPID
}
run_oscar() { # extra args...; sets RC
	oscar --database=$DB --table=t --alter="$ALTER" --execute --json --chunk-size=1500 "$@" >>"$OUT/events" 2>>"$OUT/stderr"
	RC=$?
}
check_final() { # name
	perl "$OSCAR_ROOT/test/lib/check.pl" "$OSCAR_SOCKET" $DB t "$OUT" >"$OUT/check" 2>&1
	ok $? "$1: table equals what the writers committed"
	[ -s "$OUT/check" ] && diag "$(tail -20 "$OUT/check")"
	is "$(sql $DB -e "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME='t' AND COLUMN_NAME='added'")" 1 "$1: the ALTER took effect"
	is "$(leftovers $DB)" "" "$1: no triggers or oscar tables left"
	is "$(sql -e "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME='_oscar_state'")" 0 "$1: no job state left"
}

# Killed right after the preflight: nothing was created; the same command runs.
mk
start_writers after-preflight
OSCAR_FAULT=after-preflight run_oscar
is "$RC" 137 "after-preflight: killed by SIGKILL"
is "$(leftovers $DB)" "" "after-preflight: nothing was left"
run_oscar
is "$RC" 0 "after-preflight: the same command succeeds"
stop_writers
check_final after-preflight

# Crash points where the job can be resumed by running the same command.
for point in mid-copy before-swap after-swap during-cleanup; do
	mk
	start_writers "$point"
	OSCAR_FAULT=$point run_oscar
	is "$RC" 137 "$point: killed by SIGKILL"
	run_oscar
	is "$RC" 0 "$point: the same command again finishes the job"
	like "$(cat "$OUT/stderr")" "found an unfinished job" "$point: it resumed the job"
	stop_writers
	check_final "$point"
done

# Crash points before the job could be resumed: --cleanup, then a fresh run.
for point in after-shadow between-triggers; do
	mk
	start_writers "$point"
	OSCAR_FAULT=$point run_oscar
	is "$RC" 137 "$point: killed by SIGKILL"
	run_oscar
	is "$RC" 3 "$point: the same command refuses to build on the leftovers"
	like "$(tail -3 "$OUT/stderr")" "oscar --cleanup" "$point: and points to --cleanup"
	oscar --database=$DB --table=t --cleanup --execute >/dev/null 2>&1
	is "$?" 0 "$point: --cleanup succeeds"
	run_oscar
	is "$RC" 0 "$point: a fresh run succeeds"
	stop_writers
	check_final "$point"
done

# --max-runtime: stops at a chunk boundary with exit 7; runs again until done.
mk
start_writers max-runtime
run_oscar --max-runtime=0.001  # stops after the first chunk, however fast the machine
is "$RC" 7 "--max-runtime: exit 7 (incomplete, resumable)"
like "$(cat "$OUT/events")" '"event":"incomplete"' "--max-runtime: incomplete event"
is "$(sql $DB -e "SELECT phase FROM _oscar_state WHERE table_name='t'")" copy "--max-runtime: the job is recorded"
rows1=$(sql $DB -e "SELECT rows_copied FROM _oscar_state WHERE table_name='t'")
ok "$([ "$rows1" -gt 0 ] && echo 0 || echo 1)" "--max-runtime: progress recorded ($rows1 rows)"
is "$(sql $DB -e "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='$DB'")" 3 "--max-runtime: triggers keep the shadow in sync"
oscar --database=$DB --table=t --alter="ADD COLUMN other INT" --execute >/dev/null 2>"$TMP/diff.err"
is "$?" 3 "a different ALTER is refused while the job is unfinished"
like "$(cat "$TMP/diff.err")" "has a different ALTER \\('$ALTER'\\)" "the message names the unfinished ALTER"
for i in $(seq 1 40); do
	run_oscar --max-runtime=0.2
	[ "$RC" = 7 ] || break
done
is "$RC" 0 "--max-runtime: repeated runs finish the job"
stop_writers
check_final max-runtime

# The connection killed from the server side mid-run: exit 7, then resume.
mk
start_writers kill-connection
touch "$TMP/pause"
( run_oscar --pause-file="$TMP/pause"; exit $RC ) &
OPID=$!
wait_event "$OUT/events" pause 10
like "$(cat "$OUT/events")" '"event":"pause"' "kill-connection: oscar paused in the copy"
# oscar's connection is the idle one without a default schema (the writers have one)
conn=$(sql -e "SELECT ID FROM information_schema.PROCESSLIST WHERE DB IS NULL AND COMMAND = 'Sleep' AND ID <> CONNECTION_ID() ORDER BY ID LIMIT 1")
sql -e "KILL CONNECTION $conn"
rm -f "$TMP/pause"
wait_exit $OPID
RC=$?
is "$RC" 7 "connection killed by the server: exit 7, the job is kept"
like "$(cat "$OUT/stderr")" "connection lost during the run; the job is kept" "the message says how to go on"
run_oscar
is "$RC" 0 "connection killed: the same command finishes the job"
stop_writers
check_final kill-connection

# The server restarted mid-run: exit 7, then the same command resumes.
if [ -n "${OSCAR_TEST_DIR:-}" ]; then
	mk
	want=$(sql $DB -e "SELECT id, u, txt, dt, \`dec\`, n, 7 FROM t ORDER BY id")
	OUT=$TMP/restart
	mkdir -p "$OUT"
	touch "$TMP/pause"
	( run_oscar --pause-file="$TMP/pause"; exit $RC ) &
	OPID=$!
	wait_event "$OUT/events" pause 10
	"$OSCAR_ROOT/scripts/testserver.sh" stop "$OSCAR_TEST_DIR"
	"$OSCAR_ROOT/scripts/testserver.sh" start "$OSCAR_TEST_DIR"
	rm -f "$TMP/pause"
	wait_exit $OPID
	is "$?" 7 "server restarted: exit 7, the job is kept"
	run_oscar
	is "$RC" 0 "server restarted: the same command finishes the job"
	is "$(sql $DB -e "SELECT id, u, txt, dt, \`dec\`, n, added FROM t ORDER BY id")" "$want" "server restarted: data exact"
	is "$(leftovers $DB)" "" "server restarted: nothing left behind"
else
	ok 0 "# SKIP server restart needs OSCAR_TEST_DIR (run through scripts/run-tests.sh)"
fi
