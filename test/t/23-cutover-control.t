#!/usr/bin/env bash
# Control over the cutover and hooks: --postpone-cutover-file and
# --cutover-window hold the swap while the triggers keep the shadow in sync; a
# failing before-cutover hook holds it too; hooks see the migration in OSCAR_*
# variables and never the password; a failing start hook stops the run; the
# failure hook hears why; bad values are usage errors.
source "$(dirname "$0")/../lib/common.sh"

DB=oscar_t23
fresh_db $DB
sql $DB -e "CREATE TABLE t (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB;
	INSERT INTO t SELECT seq, CONCAT('v', seq) FROM seq_1_to_3000"
SECRET='Hook-Pw-93xq7'
USER_=oscar_hooks
sql -e "DROP USER IF EXISTS '$USER_'@'127.0.0.1'; CREATE USER '$USER_'@'127.0.0.1' IDENTIFIED BY '$SECRET';
	GRANT ALL ON *.* TO '$USER_'@'127.0.0.1'"
n=0

# start_oscar ALTER [OPTIONS...]: oscar in the background (pid in PID), --json
# events in $OUTF, log in $ERRF.
start_oscar() {
	local alter=$1; shift
	n=$((n + 1))
	OUTF=$TMP/out.$n ERRF=$TMP/err.$n
	"$OSCAR_BIN" --socket="$OSCAR_SOCKET" --user=root --database=$DB --table=t --alter="$alter" \
		--execute --json "$@" >"$OUTF" 2>"$ERRF" &
	PID=$!
}
has_event() { [ -n "$(json_events "$OUTF" "$1" 2>/dev/null)" ]; }
has_col() { table_ddl $DB t | grep -q "\`$1\`"; }
# HH:MM of the local time OFFSET minutes from now, wrapping around midnight.
hhmm() {
	local now=$((10#$(date +%H) * 60 + 10#$(date +%M)))
	local t=$(((now + $1 + 1440) % 1440))
	printf '%02d:%02d' $((t / 60)) $((t % 60))
}

# 1. --postpone-cutover-file holds the swap; the shadow stays in sync.
PF=$TMP/postpone
touch "$PF"
start_oscar "ADD COLUMN c1 INT" --postpone-cutover-file="$PF"
wait_for 60 has_event postpone
ok $? "postpone file: oscar postpones the cutover"
like "$(json_events "$OUTF" postpone)" '"reason":"postpone-file"' "postpone event names the file as reason"
like "$(cat "$ERRF")" "cutover postponed: the postpone file exists" "the log says why it waits"
sql $DB -e "INSERT INTO t (id, v) VALUES (100001, 'during')"
# a duration, not a wait for state: that the swap does not happen is seen only
# over time (1 s is four of oscar's checks of what holds it, 0.25 s apart); a
# slower machine can only make the checks below easier to pass, never harder
sleep 1
running $PID
ok $? "postpone file: still waiting while the file exists"
has_col c1
ok $((!$?)) "postpone file: the table keeps its old shape"
is "$(sql $DB -e "SELECT v FROM _t_new WHERE id = 100001")" "during" "a row inserted meanwhile is in the shadow"
rm -f "$PF"
wait_exit $PID 60
is "$?" 0 "postpone file deleted: the run finishes"
like "$(json_events "$OUTF" resume)" '"reason":"postpone-file"' "resume event"
has_col c1
ok $? "postpone file: the swap happened"
is "$(sql $DB -e "SELECT v FROM t WHERE id = 100001")" "during" "the row inserted meanwhile survives the swap"
is "$(count_rows $DB t)" 3001 "all rows there"
is "$(leftovers $DB)" "" "postpone file: nothing left behind"

# 2. --cutover-window that excludes now: waits; SIGTERM rolls back.
DDL=$(table_ddl $DB t)
before=$(server_state)
W="$(hhmm 120)-$(hhmm 180)"
start_oscar "ADD COLUMN c2 INT" --cutover-window="$W"
wait_for 60 has_event postpone
ok $? "window $W excludes now: oscar postpones the cutover"
like "$(json_events "$OUTF" postpone)" '"reason":"cutover-window"' "postpone event names the window as reason"
like "$(cat "$ERRF")" "cutover postponed: outside the cutover window" "the log says why it waits"
# a duration: the swap must not happen over several of oscar's checks (above)
sleep 1
running $PID
ok $? "outside the window: still waiting"
kill -TERM $PID
wait_exit $PID 30
is "$?" 5 "SIGTERM while waiting for the window: exit 5"
is "$(leftovers $DB)" "" "window abort: nothing left behind"
is "$(table_ddl $DB t)" "$DDL" "window abort: table shape unchanged"
is "$(server_state)" "$before" "window abort: rolled back"

# 3. --cutover-window that includes now: goes straight on.
W="$(hhmm -60)-$(hhmm 60)"
start_oscar "ADD COLUMN c3 INT" --cutover-window="$W"
wait_exit $PID 60
is "$?" 0 "window $W includes now: the run finishes"
has_event postpone
ok $((!$?)) "window includes now: no postpone event"
has_col c3
ok $? "window includes now: swapped"

# 4. Every event's hook, with its environment; the password never in it. The
# run connects over TCP with --password, and MYSQL_PWD is set as well.
HD=$TMP/hooks.d
mkdir -p "$HD"
printf '#!/bin/sh\nenv >"%s"\n' "$TMP/env.dir-before-cutover" >"$HD/before-cutover"
chmod +x "$HD/before-cutover"
printf '#!/bin/sh\nexit 0\n' >"$HD/success.disabled" # not an event name: never run
hookargs=()
for ev in start copy-done before-cutover success; do
	hookargs+=(--hook="$ev:env >'$TMP/env.$ev'; tr '\\0' ' ' </proc/\$PPID/cmdline >'$TMP/cmdline.$ev'")
done
hookargs+=(--hook="success:echo hook-stdout-marker")
n=$((n + 1))
OUTF=$TMP/out.$n ERRF=$TMP/err.$n
MYSQL_PWD=$SECRET MARIADB_PWD=$SECRET "$OSCAR_BIN" --host=127.0.0.1 --port="$OSCAR_PORT" --user=$USER_ \
	--password="$SECRET" --database=$DB --table=t --alter="ADD COLUMN c4 INT" --execute --json \
	--hooks-dir="$HD" "${hookargs[@]}" >"$OUTF" 2>"$ERRF"
is "$?" 0 "run with hooks on every event: exit 0"
for ev in start copy-done before-cutover success; do
	f=$TMP/env.$ev
	[ -s "$f" ]
	ok $? "$ev hook ran"
	is "$(grep '^OSCAR_EVENT=' "$f")" "OSCAR_EVENT=$ev" "$ev hook: OSCAR_EVENT"
	is "$(grep -E '^OSCAR_(DATABASE|TABLE|ALTER|SHADOW)=' "$f" | sort | tr '\n' ' ')" \
		"OSCAR_ALTER=ADD COLUMN c4 INT OSCAR_DATABASE=$DB OSCAR_SHADOW=_t_new OSCAR_TABLE=t " \
		"$ev hook: OSCAR_DATABASE, OSCAR_TABLE, OSCAR_ALTER, OSCAR_SHADOW"
	grep -q '^OSCAR_DETAIL=' "$f"
	ok $? "$ev hook: OSCAR_DETAIL is set"
done
is "$(grep '^OSCAR_ROWS_COPIED=' "$TMP/env.start")" "OSCAR_ROWS_COPIED=0" "start hook: no rows copied yet"
is "$(grep '^OSCAR_ROWS_COPIED=' "$TMP/env.copy-done")" "OSCAR_ROWS_COPIED=3001" "copy-done hook: OSCAR_ROWS_COPIED"
is "$(grep '^OSCAR_EVENT=' "$TMP/env.dir-before-cutover")" "OSCAR_EVENT=before-cutover" \
	"--hooks-dir: DIR/before-cutover ran"
if grep -l -- "$SECRET" "$TMP"/env.* "$TMP"/cmdline.* >/dev/null 2>&1; then
	ok 1 "the password is in no hook's environment or its parent's command line"
	diag "$(grep -h -- "$SECRET" "$TMP"/env.* "$TMP"/cmdline.* | head -3)"
else
	ok 0 "the password is in no hook's environment or its parent's command line"
fi
grep -Eq '^(MYSQL|MARIADB)_PWD=' "$TMP"/env.*
ok $((!$?)) "MYSQL_PWD and MARIADB_PWD are not passed on"
is "$(json_events "$OUTF" hook | grep -c '"hook_exit_status":0')" 6 "six hook events, all with hook_exit_status 0"
like "$(json_events "$OUTF" hook | head -1)" '"event":"hook",.*"hook_event":"start","command":"env .*","hook_exit_status":0,"hook_s":[0-9.]+' \
	"hook event fields"
grep -qx hook-stdout-marker "$OUTF"
ok $((!$?)) "a hook's stdout stays out of the JSON stream"
grep -qx hook-stdout-marker "$ERRF"
ok $? "a hook's stdout goes to stderr"
like "$(cat "$ERRF")" "the success hook 'echo hook-stdout-marker' succeeded" "the log names each hook run"
has_col c4
ok $? "hooks run: swapped"

# 5. A failing before-cutover hook postpones the swap until it succeeds.
FLAG=$TMP/flag
start_oscar "ADD COLUMN c5 INT" --hook="before-cutover:test -e '$FLAG'"
wait_for 60 has_event postpone
ok $? "failing before-cutover hook: oscar postpones the cutover"
like "$(json_events "$OUTF" postpone)" '"reason":"hook"' "postpone event names the hook as reason"
like "$(json_events "$OUTF" hook | head -1)" '"hook_event":"before-cutover",.*"hook_exit_status":1' "hook event with hook_exit_status 1"
# a duration: the swap must not happen over several of oscar's checks (above)
sleep 1
running $PID
ok $? "failing before-cutover hook: still waiting"
has_col c5
ok $((!$?)) "failing before-cutover hook: the table keeps its old shape"
touch "$FLAG"
wait_exit $PID 40
is "$?" 0 "the hook succeeds: the run finishes"
like "$(json_events "$OUTF" resume)" '"reason":"hook"' "resume event names the hook"
like "$(json_events "$OUTF" hook | tail -1)" '"hook_event":"before-cutover",.*"hook_exit_status":0' "the last hook run succeeded"
has_col c5
ok $? "before-cutover hook: swapped once it succeeded"
is "$(leftovers $DB)" "" "before-cutover hook: nothing left behind"

# 6. A failing start hook stops the run; the failure hook hears why.
before=$(server_state)
DDL=$(table_ddl $DB t)
oscar_run --database=$DB --table=t --alter="ADD COLUMN c6 INT" --execute --json --hook="start:exit 3" \
	--hook="failure:env >'$TMP/env.failure1'"
is "$RC" 1 "failing start hook: exit 1"
like "$ERR" "the start hook 'exit 3' failed with exit status 3" "the log names the start hook"
like "$(json_events "$TMP/oscar.out" error)" '"exit_status":1,.*start hook' "error event names the start hook"
is "$(server_state)" "$before" "failing start hook: nothing changed, nothing left"
is "$(table_ddl $DB t)" "$DDL" "failing start hook: table shape unchanged"
like "$(grep '^OSCAR_DETAIL=' "$TMP/env.failure1")" "^OSCAR_DETAIL=.*start hook 'exit 3' failed" \
	"failure hook: OSCAR_DETAIL says the start hook failed"

# 7. The failure hook on a migration that fails midway (critical load).
oscar_run --database=$DB --table=t --alter="ADD COLUMN c7 INT" --execute --json \
	--critical-load=Threads_running=0 --hook="failure:env >'$TMP/env.failure2'" --hook="success:touch '$TMP/ok'"
is "$RC" 1 "critical load: exit 1"
is "$(grep '^OSCAR_EVENT=' "$TMP/env.failure2")" "OSCAR_EVENT=failure" "failure hook ran"
like "$(grep '^OSCAR_DETAIL=' "$TMP/env.failure2")" "^OSCAR_DETAIL=.*critical-load" "failure hook: OSCAR_DETAIL has the error"
[ -e "$TMP/ok" ]
ok $((!$?)) "the success hook did not run"
is "$(leftovers $DB)" "" "failed run: nothing left behind"

# 8. Bad values are usage errors.
for spec in "foo:true" "start:" "start:   " "nocolon" ":true" "Start:true"; do
	oscar_run --database=$DB --table=t --alter="ADD COLUMN d INT" --hook="$spec"
	is "$RC" 2 "--hook='$spec' is a usage error"
	like "$ERR" "^oscar: error: invalid --hook" "--hook='$spec': one-line message"
	is "$(printf '%s\n' "$ERR" | wc -l)" 1 "--hook='$spec': exactly one line"
done
for spec in "1:00-02:00" "24:00-01:00" "10:60-11:00" "10:00" "10:00-10:00" "10:00-11:00x" "aa:bb-cc:dd"; do
	oscar_run --database=$DB --table=t --alter="ADD COLUMN d INT" --cutover-window="$spec"
	is "$RC" 2 "--cutover-window='$spec' is a usage error"
	like "$ERR" "^oscar: error: invalid --cutover-window" "--cutover-window='$spec': one-line message"
done
oscar_run --database=$DB --table=t --alter="ADD COLUMN d INT" --hooks-dir="$TMP/no-such-dir"
is "$RC" 2 "--hooks-dir that is not a directory is a usage error"
oscar_run --database=$DB --table=t --alter="ADD COLUMN d INT" --cutover-window=22:00-02:00 --hook="success:true"
is "$RC" 0 "a window wrapping midnight and a hook are accepted (dry run)"
is "$(leftovers $DB)" "" "nothing left behind at the end"
sql -e "DROP USER '$USER_'@'127.0.0.1'"
