#!/usr/bin/env bash
# Signals at the awkward moments, delivered at exact points (OSCAR_FAULT=SIG@point
# sends the signal there and waits until oscar has acted on it): a SIGTERM during
# the rollback is remembered (the rollback goes on to the end, exit status 5);
# a SIGUSR1 just before the swap wins (no swap until SIGUSR2); one after the
# swap has begun is logged as too late.
source "$(dirname "$0")/../lib/common.sh"

DB=oscar_t40
fresh_db $DB
mk() {
	sql $DB -e "DROP TABLE IF EXISTS t; CREATE TABLE t (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;
	            INSERT INTO t SELECT seq, seq FROM seq_1_to_500"
}
has_z() { sql -e "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME='t' AND COLUMN_NAME='z'"; }

# --- SIGTERM during the rollback of a failed run
mk
before=$(server_state)
OSCAR_FAULT=SIGTERM@rollback oscar --database=$DB --table=t --alter="ADD COLUMN z INT" --execute \
	--critical-load=Threads_running=0 >"$TMP/rb.out" 2>"$TMP/rb.err"
is "$?" 5 "SIGTERM during the rollback: exit 5 (interrupted), not 1"
like "$(cat "$TMP/rb.err")" "received SIGTERM during the rollback: it goes on to the end" "the signal is noted, not lost"
like "$(cat "$TMP/rb.err")" "rolled back; 't' is untouched" "the rollback went on to the end"
is "$(leftovers $DB)" "" "nothing left behind"
is "$(server_state)" "$before" "the server is as it was"

# --- SIGUSR1 after the cutover wait ended, just before the swap: the pause wins
mk
OSCAR_FAULT=SIGUSR1@before-swap "$OSCAR_BIN" --socket="$OSCAR_SOCKET" --user=root --database=$DB --table=t \
	--alter="ADD COLUMN z INT" --execute --json >"$TMP/p.out" 2>"$TMP/p.err" &
pid=$!
wait_for 60 grep -q '"event":"postpone".*"reason":"paused"' "$TMP/p.out"
ok $? "SIGUSR1 before the swap: the swap is postponed (paused)"
is "$(has_z)" 0 "no swap while paused"
like "$(cat "$TMP/p.err")" "SIGUSR1: pausing" "the log says it paused"
kill -USR2 $pid
wait_exit $pid 60
is "$WAIT_RC" 0 "after SIGUSR2 the run finishes: exit 0"
is "$(has_z)" 1 "then the swap happened"
is "$(leftovers $DB)" "" "nothing left behind"

# --- SIGUSR1 once the swap has begun: too late, and the log says so
mk
OSCAR_FAULT=SIGUSR1@swap-started oscar --database=$DB --table=t --alter="ADD COLUMN z INT" --execute \
	>"$TMP/l.out" 2>"$TMP/l.err"
is "$?" 0 "SIGUSR1 as the swap starts: exit 0"
like "$(cat "$TMP/l.err")" "SIGUSR1 came too late: the swap has begun" "the log says it came too late"
unlike "$(cat "$TMP/l.err")" "pausing the copy" "the log does not claim a pause"
is "$(has_z)" 1 "the swap happened"

# --- the same for the swap of a revert window
mk
OSCAR_FAULT=SIGUSR1@before-swap "$OSCAR_BIN" --socket="$OSCAR_SOCKET" --user=root --database=$DB --table=t \
	--alter="ADD COLUMN z INT" --execute --json --revert-window=1h >"$TMP/r.out" 2>"$TMP/r.err" &
pid=$!
wait_for 60 grep -q '"event":"postpone".*"reason":"paused"' "$TMP/r.out"
ok $? "revert window, SIGUSR1 before the swap: postponed"
is "$(has_z)" 0 "revert window: no swap while paused"
kill -USR2 $pid
wait_exit $pid 60
is "$WAIT_RC" 0 "revert window: after SIGUSR2 exit 0"
is "$(has_z)" 1 "revert window: then the swap happened"
oscar --database=$DB --table=t --finish --execute >/dev/null 2>&1
is "$?" 0 "revert window closed"
