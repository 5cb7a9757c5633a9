#!/usr/bin/env bash
# A primary key the ALTER extends with a column of the table (DROP PRIMARY KEY,
# ADD PRIMARY KEY (id, n): the usual step before partitioning by n) cannot
# create duplicates, so it runs without --allow-unique-key-change; the triggers
# then address shadow rows by the new key, and a write that changes only n must
# move the row. Concurrent writers change n, the key and everything else; the
# table must equal what they committed.
source "$(dirname "$0")/../lib/common.sh"

DB=key_extension
ROWS=${OSCAR_LIVE_ROWS:-20000}
WRITERS=4
fresh_db $DB
export WRITERS_N_NOT_NULL=1

make_table() {
	sql $DB -e "DROP TABLE IF EXISTS t;
	CREATE TABLE t (id BIGINT NOT NULL PRIMARY KEY, u VARCHAR(40) NULL,
	  txt VARCHAR(100) CHARACTER SET utf8mb4 NULL, dt DATETIME(6) NULL, \`dec\` DECIMAL(12,4) NULL,
	  n INT NOT NULL, UNIQUE KEY uk_u (u)) ENGINE=InnoDB DEFAULT CHARSET=latin1;
	INSERT INTO t (id, u, txt, dt, \`dec\`, n)
	  SELECT seq, IF(seq % 7 = 0, NULL, CONCAT('init-', seq)), CONCAT('r', seq),
	         TIMESTAMPADD(MICROSECOND, seq * 1000003, '2020-01-01'), seq / 7, seq % 1000 FROM seq_1_to_$ROWS"
}

# dry run: accepted without --allow-unique-key-change, and says why
make_table
oscar_run --database=$DB --table=t --alter="DROP PRIMARY KEY, ADD PRIMARY KEY (id, n)"
is "$RC" 0 "dry run of a key extended by n: accepted"
like "$ERR" "new key 'PRIMARY' extends the old key 'PRIMARY'" "dry run: says the new key extends the old one"
like "$OUT" 'IF NOT \(OLD.`id` <=> NEW.`id` AND OLD.`n` <=> NEW.`n`\)' \
	"dry run: the update trigger moves the row when n alone changes"

# a new key over a column the old table does not have is still refused
oscar_run --database=$DB --table=t --alter="ADD COLUMN z INT NOT NULL DEFAULT 0, DROP PRIMARY KEY, ADD PRIMARY KEY (id, z)"
is "$RC" 3 "a key extended by a new column: refused"
# and so is a key that does not begin with the old key's columns
oscar_run --database=$DB --table=t --alter="DROP PRIMARY KEY, ADD PRIMARY KEY (n, id)"
is "$RC" 3 "a key that only contains the old key: refused (it cannot be ranged by it)"
like "$ERR" "NOT NULL UNIQUE key that the ALTER keeps, or extends" "the refusal says what would be accepted"

commits() { sql -e "SELECT SUM(VARIABLE_VALUE) FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'COM_COMMIT'"; }
# wait_commits BASE N: until the server has seen N COMMITs since BASE
wait_commits() {
	wait_sql 30 1 "SELECT SUM(VARIABLE_VALUE) > $1 + $2 FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'COM_COMMIT'"
}
run_case() { # run_case NAME ALTER CHECK-SQL EXPECTED
	local name=$1 alter=$2 check=$3 expected=$4
	make_table
	local out=$TMP/$name
	mkdir -p "$out"
	rm -f "$TMP/stop"
	local seed=$RANDOM
	diag "$name: writers' seed $seed"
	local base
	base=$(commits)
	perl "$OSCAR_ROOT/test/lib/writers.pl" "$OSCAR_SOCKET" $DB t $WRITERS "$TMP/stop" "$out" $seed &
	local wpid=$!
	# the writers are at work once they have committed some transactions
	wait_commits "$base" 20
	ok $? "$name: the writers are at work"
	oscar --database=$DB --table=t --alter="$alter" --execute --json --chunk-size=150 >"$out/events" 2>"$out/stderr"
	local rc=$?
	# let the writers go on against the new table before they stop
	wait_commits "$(commits)" 50
	ok $? "$name: the writers committed on the new table"
	touch "$TMP/stop"
	local wrc=0
	wait_exit $wpid 60 || wrc=$?
	is "$rc" 0 "$name: oscar exit 0 under writers"
	[ "$rc" = 0 ] || diag "$(tail -5 "$out/stderr")"
	is "$wrc" 0 "$name: writers ran to the end"
	is "$(sql $DB -e "$check")" "$expected" "$name: the ALTER took effect"
	local diffs
	diffs=$(perl "$OSCAR_ROOT/test/lib/check.pl" "$OSCAR_SOCKET" $DB t "$out")
	ok $? "$name: table equals what the writers committed"
	diag "$diffs" | tail -40
	local commits errors
	commits=$(cat "$out"/writer*.stats | sed -n 's/.*commits=\([0-9]*\).*/\1/p' | awk '{s+=$1} END {print s+0}')
	errors=$(cat "$out"/writer*.stats | sed -n 's/.*errors=\([0-9]*\).*/\1/p' | awk '{s+=$1} END {print s+0}')
	ok "$([ "$commits" -gt 50 ] && echo 0 || echo 1)" "$name: writers committed during the run ($commits transactions)"
	is "$errors" 0 "$name: writers saw no errors"
	[ "$errors" = 0 ] || diag "$(grep -h '^error' "$out"/writer*.stats)"
	is "$(sql $DB -e "SELECT COUNT(*) FROM (SELECT id FROM t GROUP BY id HAVING COUNT(*) > 1) d")" 0 \
		"$name: no id appears twice under the wider key"
	is "$(leftovers $DB)" "" "$name: nothing left behind"
}

pk="SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX) FROM information_schema.STATISTICS
    WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME='t' AND INDEX_NAME='PRIMARY'"
run_case extend "DROP PRIMARY KEY, ADD PRIMARY KEY (id, n)" "$pk" "id,n"
run_case partition "DROP PRIMARY KEY, DROP KEY uk_u, ADD PRIMARY KEY (id, n) PARTITION BY KEY (n) PARTITIONS 3" \
	"$pk; SELECT COUNT(*) FROM information_schema.PARTITIONS WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME='t'" "id,n
3"
