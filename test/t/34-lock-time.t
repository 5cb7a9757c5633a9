#!/usr/bin/env bash
# Copy transactions while other sessions write: a chunk is then copied in
# several transactions of about --max-lock-time, so an application write waits
# for one of them at most, not for the chunk; with nobody else writing, a
# chunk is one transaction. An AUTO_INCREMENT table whose rows others insert
# is copied with INSERT ... SELECT fenced behind the bound table's lock, or
# through the client (no AUTO-INC table lock on the shadow) when asked. The
# data must come out exactly as the writers committed it, the inserter never
# failing.
source "$(dirname "$0")/../lib/common.sh"

DB=oscar_t34
fresh_db $DB
mk() { # mk ROWS
	sql $DB -e "DROP TABLE IF EXISTS t;
	CREATE TABLE t (id BIGINT NOT NULL PRIMARY KEY, u VARCHAR(40) NULL,
	  txt VARCHAR(100) CHARACTER SET utf8mb4 NULL, dt DATETIME(6) NULL, \`dec\` DECIMAL(12,4) NULL,
	  n INT NULL, pad CHAR(200) NOT NULL DEFAULT 'p', UNIQUE KEY uk_u (u), KEY k_n (n)) ENGINE=InnoDB;
	INSERT INTO t (id, u, txt, dt, \`dec\`, n)
	  SELECT seq, CONCAT('init-', seq), CONCAT('r', seq), '2021-01-01 00:00:00.000001', seq / 3, seq FROM seq_1_to_$1"
}
chunk_field() { # chunk_field FILE FIELD: the field of every chunk event, one per line
	grep '"event":"chunk"' "$1" | sed -n "s/.*\"$2\":\\([0-9.]*\\).*/\\1/p"
}

# 1. writers during the copy: chunks of about 0.5 s copied in transactions of
# about 5 ms
mk 150000
OUT=$TMP/w
mkdir -p "$OUT"
commits() { sql -e "SELECT SUM(VARIABLE_VALUE) FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'COM_COMMIT'"; }
base=$(commits)
perl "$OSCAR_ROOT/test/lib/writers.pl" "$OSCAR_SOCKET" $DB t 3 "$TMP/stop" "$OUT" $RANDOM &
wpid=$!
writers_ready() { [ -e "$OUT/writer0.ready" ] && [ -e "$OUT/writer1.ready" ] && [ -e "$OUT/writer2.ready" ]; }
wait_for 30 writers_ready
ok $? "with writers: the writers are connected"
# and writing: the copy must see other sessions' writes from its start (on
# this table of 150000 rows the writers' model makes each of their
# transactions slow: a few COMMITs tell)
wait_sql 60 1 "SELECT SUM(VARIABLE_VALUE) > $base + 5 FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'COM_COMMIT'"
ok $? "with writers: they are committing"
oscar --database=$DB --table=t --alter="ADD COLUMN added INT NULL DEFAULT 7" --execute --json \
	--chunk-time=0.5 --max-lock-time=0.005 >"$TMP/ev1" 2>"$TMP/err1"
rc=$?
# some more writes, on the new table, before they stop
base=$(commits)
wait_sql 60 1 "SELECT SUM(VARIABLE_VALUE) > $base + 10 FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'COM_COMMIT'"
ok $? "with writers: they committed more after the swap"
touch "$TMP/stop"
wait_exit $wpid
is "$rc" 0 "with writers: exit 0"
like "$(cat "$TMP/err1")" "other sessions write: copying in transactions of about --max-lock-time" \
	"with writers: the log says the chunks are split"
max_tx=$(chunk_field "$TMP/ev1" transactions | sort -n | tail -1)
ok $(( ${max_tx:-0} > 1 ? 0 : 1 )) "with writers: a chunk was copied in several transactions (at most $max_tx)"
rows_sum=$(chunk_field "$TMP/ev1" chunk_rows | paste -sd+ | bc)
ok $(( rows_sum >= 150000 ? 0 : 1 )) "with writers: the chunk events account for every row ($rows_sum)"
perl "$OSCAR_ROOT/test/lib/check.pl" "$OSCAR_SOCKET" $DB t "$OUT" >"$TMP/check1" 2>&1
ok $? "with writers: the table equals what the writers committed"
[ -s "$TMP/check1" ] && diag "$(tail -5 "$TMP/check1")"
is "$(sql $DB -e "CHECK TABLE t" | cut -f4 | tail -1)" "OK" "with writers: CHECK TABLE is OK"
is "$(leftovers $DB)" "" "with writers: nothing left behind"

# 2. nobody else writes: one transaction per chunk, however small
# --max-lock-time is
mk 50000
oscar --database=$DB --table=t --alter="ADD COLUMN added INT NULL DEFAULT 7" --execute --json \
	--chunk-size=5000 --max-lock-time=0.001 >"$TMP/ev2" 2>"$TMP/err2"
is "$?" 0 "idle: exit 0"
# (until the first chunk shows that nobody writes, oscar assumes someone does)
is "$(chunk_field "$TMP/ev2" transactions | tail -n +2 | sort -u)" "1" "idle: every chunk after the first is one transaction"
like "$(cat "$TMP/err2")" "no other writes: one transaction per chunk" "idle: the log says so"

# 3. an AUTO_INCREMENT table others insert into, by default (INSERT ...
# SELECT fenced behind the bound table's lock), with --key-log=copy (INSERT
# ... SELECT beside the writes, the triggers logging keys), with
# --copy-method=client and in two connections: the inserter (RaiseError: any failed insert ends it
# without a count) keeps inserting, and every row it inserted is there
cat >"$TMP/ins.pl" <<'EOF'
use strict; use DBI;
my ($sock, $db, $stop, $out) = @ARGV;
my $h = DBI->connect("DBI:mysql:database=$db;mysql_socket=$sock", 'root', '', { RaiseError => 1, AutoCommit => 1 });
my $n = 0;
until (-e $stop) { $h->do("INSERT INTO a (v) VALUES (?)", undef, "ins-$n"); $n++; }
open(my $f, '>', $out) or die; print $f "$n\n"; close $f;
EOF
inserted() { [ "$(sql $DB -e 'SELECT COUNT(*) FROM a')" -gt 60000 ]; }
for method in default keylog client threads; do
	sql $DB -e "DROP TABLE IF EXISTS a; CREATE TABLE a (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, v CHAR(100) NOT NULL) ENGINE=InnoDB;
		INSERT INTO a (v) SELECT CONCAT('v', seq) FROM seq_1_to_60000"
	rm -f "$TMP/stop3" "$TMP/ins.count"
	perl "$TMP/ins.pl" "$OSCAR_SOCKET" $DB "$TMP/stop3" "$TMP/ins.count" &
	ipid=$!
	wait_for 10 inserted
	extra=()
	[ $method = client ] && extra=(--copy-method=client)
	[ $method = threads ] && extra=(--copy-threads=2)
	[ $method = keylog ] && extra=(--key-log=copy)
	oscar --database=$DB --table=a --alter="ADD COLUMN w INT NOT NULL DEFAULT 1" --execute --json \
		--chunk-time=0.2 "${extra[@]}" >"$TMP/ev3" 2>"$TMP/err3"
	rc=$?
	touch "$TMP/stop3"
	wait_exit $ipid
	is "$rc" 0 "AUTO_INCREMENT with inserts ($method): exit 0"
	if [ $method = client ]; then
		like "$(cat "$TMP/err3")" "by key 'PRIMARY', through the client" \
			"AUTO_INCREMENT with inserts: copied through the client when asked"
	elif [ $method = threads ]; then
		like "$(cat "$TMP/err3")" "copying in 2 connections at once, through the client" \
			"AUTO_INCREMENT with inserts: several connections copy through the client"
	elif [ $method = keylog ]; then
		# beside the writes, the triggers logging keys (test/t/48-key-log.t)
		like "$(cat "$TMP/err3")" "with INSERT \\.\\.\\. SELECT beside the application's writes" \
			"AUTO_INCREMENT with inserts: copied with INSERT ... SELECT beside the writes with --key-log=copy"
	else
		# by default INSERT ... SELECT behind the bound table's lock
		# (test/t/47-autoinc-fence.t)
		like "$(cat "$TMP/err3")" "with INSERT \\.\\.\\. SELECT, each statement behind the bound table's lock" \
			"AUTO_INCREMENT with inserts: copied with fenced INSERT ... SELECT by default"
	fi
	n=$(cat "$TMP/ins.count" 2>/dev/null)
	ok $([ "${n:-0}" -gt 0 ]; echo $?) "AUTO_INCREMENT with inserts ($method): the inserter never failed (${n:-no count} rows)"
	is "$(sql $DB -e "SELECT COUNT(*), COUNT(DISTINCT v), SUM(v LIKE 'ins-%') FROM a")" \
		"$(printf '%s\t%s\t%s' $((60000 + ${n:-0})) $((60000 + ${n:-0})) "${n:-0}")" \
		"AUTO_INCREMENT with inserts ($method): every row inserted during the run is there, once"
	is "$(leftovers $DB)" "" "AUTO_INCREMENT with inserts ($method): nothing left behind"
done
