#!/usr/bin/env bash
# Replica lag: a real replica (a second mariadbd replicating from the test
# server on loopback). The copy waits while the replica is stopped or lags
# more than --max-lag, says why, goes on when it catches up, and the replica
# ends with the same table as the primary; --fail-on-stopped-replica rolls
# back instead; bad values are usage errors.
source "$(dirname "$0")/../lib/common.sh"

DB=replica_test
start_replica
ok $? "replica started and in sync"
# Replicas need only read access: the discovered replica is read as root from
# 127.0.0.1, which there may only SELECT and look at the replication status;
# --replica names another read-only account with a password.
rsql -e "SET sql_log_bin=0; DROP USER IF EXISTS 'root'@'127.0.0.1'; CREATE USER 'root'@'127.0.0.1'; GRANT SELECT, SLAVE MONITOR ON *.* TO 'root'@'127.0.0.1';
         CREATE USER 'oscar_ro'@'127.0.0.1' IDENTIFIED BY 'Ro-S3cret-pw';
         GRANT SELECT, SLAVE MONITOR ON *.* TO 'oscar_ro'@'127.0.0.1'"
RNAME=127.0.0.1:$REPLICA_PORT
DSN="h=127.0.0.1,P=$REPLICA_PORT,u=oscar_ro,p=Ro-S3cret-pw"

fresh_db $DB
sql $DB -e "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB;
            INSERT INTO t SELECT seq, CONCAT('v', seq) FROM seq_1_to_20000"
wait_replica_sync 30
is "$(rsql -e "SELECT COUNT(*) FROM $DB.t")" 20000 "the replica has the table"

# --- 1. SQL thread stopped: the copy waits, and goes on once it runs again ---
rsql -e "STOP SLAVE SQL_THREAD"
oscar --database=$DB --table=t --alter="ADD COLUMN c INT NOT NULL DEFAULT 7" --execute --json \
	--chunk-size=1000 --progress=0.1 >"$TMP/ev1" 2>"$TMP/err1" &
pid=$!
wait_for 20 grep -q '"reason":"replica-stopped"' "$TMP/ev1"
ok $? "a stopped SQL thread throttles the copy"
# each check of the stopped replica prints a progress line with the reason:
# two more checks (0.5 s apart), and the copy must still be waiting
stopped_lines() { grep -c 'throttled: replica .* stopped' "$TMP/err1"; }
stopped_lines_at_least() { [ "$(stopped_lines)" -ge "$1" ]; }
n0=$(stopped_lines)
wait_for 20 stopped_lines_at_least $((n0 + 2))
ok $? "the stopped replica is checked again and again"
grep -q '"event":"done"' "$TMP/ev1"
ok $((! $?)) "the copy still waits while the replica is stopped"
rsql -e "START SLAVE SQL_THREAD"
wait_exit $pid
is "$?" 0 "the copy resumes when replication resumes and completes"
like "$(json_events "$TMP/ev1" replica)" "\"replica\":\"$RNAME\",\"found_by\":\"hosts\"" \
	"the replica is found by SHOW SLAVE HOSTS"
like "$(json_events "$TMP/ev1" throttle | head -1)" \
	"\"active\":true,\"reason\":\"replica-stopped\",\"replica\":\"$RNAME\",\"detail\":\"Slave_IO_Running=Yes, Slave_SQL_Running=No" \
	"the throttle event names the reason and the replica"
like "$(json_events "$TMP/ev1" throttle | tail -1)" '"active":false' "a throttle event ends the wait"
like "$(cat "$TMP/err1")" "copy .*throttled: replica $RNAME stopped \(Slave_IO_Running=Yes, Slave_SQL_Running=No" \
	"the progress line gives the reason"
like "$(cat "$TMP/err1")" "replica '$RNAME' is stopped" "the log says the replica is stopped"
wait_replica_sync 30
ok $? "the replica catches up"
is "$(rsql -e "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME='t' AND COLUMN_NAME='c'")" 1 \
	"the new column exists on the replica"
dump_table $DB t id >"$TMP/primary.dump"
rsql -e "SELECT * FROM $DB.t ORDER BY id" >"$TMP/replica.dump"
cmp -s "$TMP/primary.dump" "$TMP/replica.dump"
ok $? "the replica's table equals the primary's, row by row ($(wc -l <"$TMP/replica.dump") rows)"
is "$(leftovers $DB; sql -e "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME LIKE '%hb'")" "" \
	"nothing left behind on the primary (no heartbeat table either)"
is "$(replica_leftovers $DB)" "" "nothing left behind on the replica"

# --- 2. real lag (MASTER_DELAY, both threads running), --replica=DSN, --max-lag in ms ---
rsql -e "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=2; START SLAVE"
# START SLAVE returns before the I/O thread is connected (Connecting counts as stopped)
slave_status() { mariadb --no-defaults -uroot --socket="$REPLICA_SOCKET" -E -e "SHOW SLAVE STATUS"; }
replica_running() { slave_status | grep -Ec 'Slave_(IO|SQL)_Running: Yes' | grep -qx 2; }
wait_for 20 replica_running
rc=$?
ok $rc "the delayed replica runs"
[ $rc -eq 0 ] || diag "$(slave_status | grep -E 'Running|Error')"
"$OSCAR_BIN" --socket="$OSCAR_SOCKET" --user=root --database=$DB --table=t --alter="ADD COLUMN d INT" \
	--execute --json --chunk-size=1000 --progress=0.1 --max-lag=300ms --replica="$DSN" >"$TMP/ev2" 2>"$TMP/err2" &
pid=$!
wait_for 20 grep -q '"reason":"max-lag"' "$TMP/ev2"
ok $? "a lagging replica throttles the copy"
# MASTER_DELAY=2 applies each event 1 to 2 s after the primary wrote it (its
# timestamps are whole seconds): once the heartbeat arrives the measured lag
# settles there instead of growing. The replica shows this run's heartbeat
# (its table is new); two checks later the lag measured is the settled one.
heartbeat_arrived() { [ "$(rsql -e "SELECT COUNT(*) FROM $DB._t_hb" 2>/dev/null)" = 1 ]; }
lag_lines() { grep -c 'throttled: replica [^ ]* lag [0-9.]*s' "$TMP/err2"; }
lag_lines_at_least() { [ "$(lag_lines)" -ge "$1" ]; }
wait_for 30 heartbeat_arrived
ok $? "the delayed replica shows the heartbeat"
n0=$(lag_lines)
wait_for 20 lag_lines_at_least $((n0 + 2))
ok $? "the lag is measured again after the heartbeat arrived"
lag=$(grep -o 'throttled: replica [^ ]* lag [0-9.]*s' "$TMP/err2" | tail -1 | sed 's/.* lag \([0-9.]*\)s/\1/')
ok "$(awk -v l="${lag:-0}" 'BEGIN { exit !(l > 0.9 && l < 3.5) }'; echo $?)" \
	"the lag of a replica delayed by 2 s is measured as ${lag:-?} s"
tr '\0' ' ' </proc/$pid/cmdline >"$TMP/cmdline" 2>/dev/null
grep -q Ro-S3cret "$TMP/cmdline"
ok $((! $?)) "the DSN's password is not in the process's argv"
rsql -e "STOP SLAVE; CHANGE MASTER TO MASTER_DELAY=0; START SLAVE"
wait_exit $pid
is "$?" 0 "the copy completes once the replica catches up"
like "$(json_events "$TMP/ev2" replica)" "\"replica\":\"$RNAME\",\"found_by\":\"option\"" "the --replica DSN is used"
first=$(json_events "$TMP/ev2" throttle | grep -m1 '"reason":"max-lag"')
like "$first" "\"active\":true,\"reason\":\"max-lag\",\"replica\":\"$RNAME\",\"lag_s\":[0-9.]+,\"limit_s\":0.300000" \
	"a max-lag throttle event with the replica and its lag"
lag=$(printf '%s' "$first" | sed -n 's/.*"lag_s":\([0-9.]*\).*/\1/p')
ok "$(awk -v l="${lag:-0}" 'BEGIN { exit !(l > 0.3 && l < 1.5) }'; echo $?)" "the lag is known in milliseconds (${lag:-?} s, limit 0.3 s)"
like "$(json_events "$TMP/ev2" throttle | tail -1)" '"active":false' "the wait ends"
ok "$(grep -c Ro-S3cret "$TMP/ev2" "$TMP/err2" | awk -F: '{ s += $2 } END { exit s != 0 }'; echo $?)" \
	"the DSN's password is in no event and no log line"
wait_replica_sync 30
dump_table $DB t id >"$TMP/primary.dump"
rsql -e "SELECT * FROM $DB.t ORDER BY id" >"$TMP/replica.dump"
cmp -s "$TMP/primary.dump" "$TMP/replica.dump"
ok $? "after the delayed run too the replica's table equals the primary's"
is "$(replica_leftovers $DB)" "" "nothing left behind on the replica"

# --- 3. replication stopped and --fail-on-stopped-replica: roll back ---
rsql -e "STOP SLAVE"
before=$(server_state)
oscar --database=$DB --table=t --alter="DROP COLUMN d" --execute --json --chunk-size=1000 \
	--replica="$DSN" --fail-on-stopped-replica >"$TMP/ev3" 2>"$TMP/err3"
is "$?" 1 "a stopped replica with --fail-on-stopped-replica: exit 1"
like "$(json_events "$TMP/ev3" replica_stopped)" "\"replica\":\"$RNAME\",\"detail\":\"Slave_IO_Running=No, Slave_SQL_Running=No" \
	"replica_stopped event"
like "$(json_events "$TMP/ev3" error)" '"exit_status":1' "error event with code 1"
like "$(cat "$TMP/err3")" "replica '$RNAME' is stopped .*--fail-on-stopped-replica" "the log names the stopped replica"
is "$(server_state)" "$before" "rolled back: nothing left behind on the primary"
rsql -e "START SLAVE"
wait_replica_sync 30
ok $? "replication resumes"
is "$(replica_leftovers $DB)" "" "nothing left behind on the replica once it caught up"
is "$(rsql -e "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME='t' AND COLUMN_NAME='d'")" 1 \
	"the replica's table is untouched"

# --- 5. writers during the migration: chunks logged as statements, rows by
# the triggers, index built after the copy; the replica replays them all ---
sql $DB -e "CREATE TABLE w (id BIGINT NOT NULL PRIMARY KEY, u VARCHAR(40) NULL,
	  txt VARCHAR(100) CHARACTER SET utf8mb4 NULL, dt DATETIME(6) NULL, \`dec\` DECIMAL(12,4) NULL,
	  n INT NULL, UNIQUE KEY uk_u (u), KEY k_n (n)) ENGINE=InnoDB;
	INSERT INTO w (id, u, txt, dt, \`dec\`, n)
	  SELECT seq, CONCAT('init-', seq), CONCAT('r', seq), '2021-01-01 00:00:00.000001', seq / 3, seq FROM seq_1_to_30000"
wait_replica_sync 30
mkdir -p "$TMP/w"
perl "$OSCAR_ROOT/test/lib/writers.pl" "$OSCAR_SOCKET" $DB w 3 "$TMP/wstop" "$TMP/w" $RANDOM &
wpid=$!
wait_for 30 test -e "$TMP/w/writer0.ready" -a -e "$TMP/w/writer1.ready" -a -e "$TMP/w/writer2.ready"
ok $? "writers and a replica: the writers are connected"
oscar --database=$DB --table=w --alter="ADD COLUMN added INT NULL DEFAULT 7" --execute --chunk-size=1500 \
	--defer-indexes=always 2>"$TMP/err7"
is "$?" 0 "writers and a replica: the migration succeeds"
# some more writes, into the new table, before they stop
base=$(sql -e "SELECT SUM(VARIABLE_VALUE) FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'COM_COMMIT'")
wait_sql 30 1 "SELECT SUM(VARIABLE_VALUE) > $base + 100 FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'COM_COMMIT'"
ok $? "writers and a replica: the writers committed more after the swap"
touch "$TMP/wstop"
wait_exit $wpid
like "$(cat "$TMP/err7")" "chunks are logged as statements in the binary log" "writers and a replica: chunks logged as statements"
like "$(cat "$TMP/err7")" "built 1 index on '_w_new'" "writers and a replica: the index was built after the copy"
perl "$OSCAR_ROOT/test/lib/check.pl" "$OSCAR_SOCKET" $DB w "$TMP/w" >"$TMP/check7" 2>&1
ok $? "writers and a replica: the primary's table equals what the writers committed"
[ -s "$TMP/check7" ] && diag "$(tail -5 "$TMP/check7")"
wait_replica_sync 60
ok $? "writers and a replica: the replica catches up"
dump_table $DB w id >"$TMP/primary7.dump"
rsql -e "SELECT * FROM $DB.w ORDER BY id" >"$TMP/replica7.dump"
cmp -s "$TMP/primary7.dump" "$TMP/replica7.dump"
ok $? "writers and a replica: the replica's table equals the primary's, row by row ($(wc -l <"$TMP/replica7.dump") rows)"
[ -s "$TMP/primary7.dump" ] && ! cmp -s "$TMP/primary7.dump" "$TMP/replica7.dump" && diag "$(diff "$TMP/primary7.dump" "$TMP/replica7.dump" | head -10)"
is "$(rsql -e "SELECT n, COUNT(*) FROM $DB.w FORCE INDEX (k_n) GROUP BY n ORDER BY n" | md5sum)" \
	"$(sql -e "SELECT n, COUNT(*) FROM $DB.w FORCE INDEX (k_n) GROUP BY n ORDER BY n" | md5sum)" \
	"writers and a replica: the replica's new index holds the same entries"
is "$(replica_leftovers $DB)" "" "writers and a replica: nothing left behind on the replica"

# --- 4. usage errors ---
for v in "" 0 0ms -1s 1x abc 1.5h 2e3; do
	oscar --database=$DB --table=t --alter="ADD COLUMN e INT" --max-lag="$v" 2>"$TMP/err4"
	is "$?" 2 "--max-lag='$v' is a usage error"
done
like "$(cat "$TMP/err4")" "^oscar: error: invalid value '2e3' for --max-lag" "one-line message"
for v in "" "P=3306" "h=" "x=1" "h=a,P=99999" "h=a,P=1,P=2" "h=a,p"; do
	oscar --database=$DB --table=t --alter="ADD COLUMN e INT" --replica="$v" 2>"$TMP/err5"
	is "$?" 2 "--replica='$v' is a usage error"
done
oscar --database=$DB --table=t --alter="ADD COLUMN e INT" --replica="h=a,P=1,u=x,p=Top-Secret-9,zz" 2>"$TMP/err6"
is "$?" 2 "a bad DSN with a password is a usage error"
like "$(cat "$TMP/err6")" "^oscar: error: invalid --replica" "one-line message"
grep -q Top-Secret-9 "$TMP/err6"
ok $((! $?)) "the message does not repeat the password"
oscar --database=$DB --table=t --alter="ADD COLUMN e INT" --recursion-method=dsn 2>/dev/null
is "$?" 2 "--recursion-method=dsn is a usage error"
