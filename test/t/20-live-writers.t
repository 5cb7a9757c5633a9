#!/usr/bin/env bash
# Live migrations under concurrent writers: single-row inserts, updates,
# primary-key changes, unique-key updates, deletes and small multi-statement
# transactions (some rolled back), half through server-side prepared statements,
# with NULLs, utf8mb4 text, DATETIME(6) and DECIMAL. Each writer knows exactly
# what it committed; after the run the live table must equal that, row for row
# and column for column, for every ALTER kind, with chunks small enough that
# the copy and the writes interleave heavily. The writers run from before the
# migration until after the swap. OSCAR_STRESS=1 (make stress) runs it bigger.
#
# The table has no AUTO_INCREMENT column: an UPDATE that changes such a column
# holds InnoDB's AUTO-INC table lock, which together with the next-key locks
# the triggers' REPLACE takes on the shadow's secondary UNIQUE key can deadlock
# two application transactions (a limit the README documents).
source "$(dirname "$0")/../lib/common.sh"

DB=live_writers
ROWS=${OSCAR_LIVE_ROWS:-20000}
WRITERS=4
AFTER=200 # COMMITs the writers make on the new table after the swap
CHUNK=(--chunk-size=150)
if [ -n "${OSCAR_STRESS:-}" ]; then
	ROWS=300000
	WRITERS=8
	AFTER=1000
	CHUNK=(--chunk-time=0.05)
fi
fresh_db $DB
commits() { sql -e "SELECT SUM(VARIABLE_VALUE) FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'COM_COMMIT'"; }
writers_ready() { # writers_ready DIR: every writer has connected
	local w
	for ((w = 0; w < WRITERS; w++)); do [ -e "$1/writer$w.ready" ] || return 1; done
}

# every other case copies in one connection, the others in the default number
# at once (--copy-threads=0: twice the server's cores)
CASES=0
run_case() { # run_case NAME ALTER CHECK-SQL EXPECTED
	local name=$1 alter=$2 check=$3 expected=$4
	CASES=$((CASES + 1))
	local threads=$((CASES % 2)) mirror=auto
	# and every third mirrors every row, as before the bound (src/bound.c)
	[ $((CASES % 3)) = 0 ] && mirror=all
	# and every other compares each chunk right after its copy
	local verify_at=swap
	[ $((CASES % 4)) -ge 2 ] && verify_at=copy
	sql $DB -e "DROP TABLE IF EXISTS t;
	CREATE TABLE t (id BIGINT NOT NULL PRIMARY KEY, u VARCHAR(40) NULL,
	  txt VARCHAR(100) CHARACTER SET utf8mb4 NULL, dt DATETIME(6) NULL, \`dec\` DECIMAL(12,4) NULL,
	  n INT NULL, extra VARCHAR(20) DEFAULT 'e', UNIQUE KEY uk_u (u)) ENGINE=InnoDB DEFAULT CHARSET=latin1;
	INSERT INTO t (id, u, txt, dt, \`dec\`, n)
	  SELECT seq, IF(seq % 7 = 0, NULL, CONCAT('init-', seq)), IF(seq % 11 = 0, NULL, CONCAT('r\\u00e9', seq)),
	         IF(seq % 13 = 0, NULL, TIMESTAMPADD(MICROSECOND, seq * 1000003, '2020-01-01')),
	         IF(seq % 17 = 0, NULL, seq / 7), IF(seq % 19 = 0, NULL, seq * 3) FROM seq_1_to_$ROWS"
	local out=$TMP/$name
	mkdir -p "$out"
	rm -f "$TMP/stop"
	# the writers' random seed, printed so a failure can be replayed: OSCAR_SEED=N
	local seed=${OSCAR_SEED:-$RANDOM}
	diag "$name: writers' random seed $seed (replay with OSCAR_SEED=$seed)"
	local base
	base=$(commits)
	perl "$OSCAR_ROOT/test/lib/writers.pl" "$OSCAR_SOCKET" $DB t $WRITERS "$TMP/stop" "$out" $seed &
	local wpid=$!
	wait_for 30 writers_ready "$out"
	ok $? "$name: the writers are connected"
	wait_sql 30 1 "SELECT SUM(VARIABLE_VALUE) > $base + 20 FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'COM_COMMIT'"
	ok $? "$name: the writers are committing"
	oscar --database=$DB --table=t --alter="$alter" --execute --json "${CHUNK[@]}" --copy-threads=$threads --mirror=$mirror \
		--verify-at=$verify_at \
		>"$out/events" 2>"$out/stderr"
	local rc=$?
	# the writers go on against the new table for a while before they stop
	base=$(commits)
	wait_sql 60 1 "SELECT SUM(VARIABLE_VALUE) > $base + $AFTER FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'COM_COMMIT'"
	ok $? "$name: the writers made more than $AFTER COMMITs after the swap"
	touch "$TMP/stop"
	wait_exit $wpid
	local wrc=$?
	is "$rc" 0 "$name: oscar exit 0 under writers"
	[ "$rc" = 0 ] || diag "$(tail -5 "$out/stderr")"
	is "$wrc" 0 "$name: writers ran to the end"
	local chunks
	chunks=$(grep -c '"event":"chunk"' "$out/events")
	ok "$([ "$chunks" -gt 20 ] && echo 0 || echo 1)" "$name: copy interleaved with writes ($chunks chunks)"
	if [ "$mirror" = auto ]; then
		grep -q "the triggers mirror only the rows the copy has reached" "$out/stderr"
		ok $? "$name: the triggers mirrored only the rows the copy had reached"
	else
		! grep -q "mirror only the rows" "$out/stderr"
		ok $? "$name: --mirror=all: the triggers mirrored every row"
	fi
	like "$(grep '"event":"verify"' "$out/events")" "\"ok\":true,.*\"when\":\"$verify_at\"" \
		"$name: verified (--verify-at=$verify_at)"
	is "$(sql $DB -e "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME='_t_bnd'")" 0 \
		"$name: no bound table left"
	if [ "$threads" = 0 ]; then
		# the parallel copy (copy_round in src/copy.c), the default while
		# others write: the comparison below covers that path too
		grep -Eq "others write: copying in [2-8] connections at once" "$out/stderr"
		ok $? "$name: the copy ran in several connections while others wrote (the default)"
	fi
	is "$(sql $DB -e "$check")" "$expected" "$name: the ALTER took effect"
	local diffs
	diffs=$(perl "$OSCAR_ROOT/test/lib/check.pl" "$OSCAR_SOCKET" $DB t "$out")
	ok $? "$name: table equals what the writers committed"
	diag "$diffs" | tail -60
	local commits errors
	commits=$(cat "$out"/writer*.stats | sed -n 's/.*commits=\([0-9]*\).*/\1/p' | awk '{s+=$1} END {print s+0}')
	errors=$(cat "$out"/writer*.stats | sed -n 's/.*errors=\([0-9]*\).*/\1/p' | awk '{s+=$1} END {print s+0}')
	ok "$([ "$commits" -gt 100 ] && echo 0 || echo 1)" "$name: writers committed during the run ($commits transactions)"
	# No error at all, deadlocks included: this table has a secondary UNIQUE
	# key, where the triggers' writes used to let two writers deadlock (see
	# remove_old in src/triggers.c)
	is "$errors" 0 "$name: writers saw no errors, no deadlocks either"
	[ "$errors" = 0 ] || diag "$(grep -h '^error' "$out"/writer*.stats)"
	is "$(leftovers $DB)" "" "$name: nothing left behind"
}

col() { echo "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME='t' AND $1"; }

run_case add-column "ADD COLUMN added INT NULL DEFAULT 7" "$(col "COLUMN_NAME='added'")" added
run_case drop-column "DROP COLUMN extra" "$(col "COLUMN_NAME='extra'") UNION ALL SELECT 'gone'" gone
run_case modify-column "MODIFY n BIGINT NULL" "$(col "COLUMN_NAME='n' AND DATA_TYPE='bigint'")" n
run_case rename-column "CHANGE extra extra2 VARCHAR(20) DEFAULT 'e'" "$(col "COLUMN_NAME LIKE 'extra%'")" extra2
run_case add-index "ADD INDEX ix_n (n)" \
	"SELECT DISTINCT INDEX_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME='t' AND INDEX_NAME='ix_n'" ix_n
run_case charset "CONVERT TO CHARACTER SET utf8mb4" "$(col "COLUMN_NAME='u' AND CHARACTER_SET_NAME='utf8mb4'")" u
run_case key-change "MODIFY id BIGINT UNSIGNED NOT NULL" \
	"$(col "COLUMN_NAME='id' AND COLUMN_TYPE='bigint(20) unsigned'")" id
