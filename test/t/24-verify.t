#!/usr/bin/env bash
# Verification before the swap: a shadow corrupted behind oscar's back is
# caught chunk by chunk, repaired by copying the chunk again, and the swap goes
# on; a corruption that comes back stops the swap, names the keys and rolls back.
source "$(dirname "$0")/../lib/common.sh"

DB=verify_test
fresh_db $DB
mk() {
	sql $DB -e "DROP TABLE IF EXISTS t; CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(30), d DECIMAL(10,2) NULL) ENGINE=InnoDB;
	            INSERT INTO t SELECT seq, CONCAT('v', seq), IF(seq % 5 = 0, NULL, seq / 4) FROM seq_1_to_30000"
}

# 1. A wrong row slipped into the shadow before the copy reaches it: the copy's
#    INSERT IGNORE keeps it, verification finds it and repairs the chunk.
mk
want=$(dump_table $DB t id)
touch "$TMP/pause"
oscar --database=$DB --table=t --alter="ADD COLUMN c INT" --execute --json --chunk-size=4000 \
	--pause-file="$TMP/pause" >"$TMP/ev1" 2>"$TMP/err1" &
pid=$!
wait_event "$TMP/ev1" pause 10
ok $? "copy paused before the first chunk"
sql $DB -e "INSERT INTO _t_new (id, v, d) VALUES (5, 'corrupt', 0), (29999, 'also corrupt', NULL)"
rm -f "$TMP/pause"
wait_exit $pid
is "$?" 0 "run with a corrupted shadow still succeeds"
like "$(cat "$TMP/err1")" "verify: chunk [0-9]+ differs; copying it again" "verification found the corrupted chunks"
like "$(grep '"event":"verify"' "$TMP/ev1")" '"ok":true,"rows_verified":30000,.*"repaired_chunks":2' "two chunks repaired, 30000 rows verified"
is "$(sql $DB -e "SELECT id, v, d FROM t ORDER BY id")" "$want" "the new table holds the original data, not the corruption"
is "$(leftovers $DB)" "" "nothing left behind"

# 2. Corruption that comes back (a trigger on the shadow mangles one row every
#    time it is written): the swap is refused with the key, and rolled back.
mk
want=$(dump_table $DB t id)
before_ddl=$(table_ddl $DB t)
touch "$TMP/pause"
oscar --database=$DB --table=t --alter="ADD COLUMN c INT" --execute --json --chunk-size=4000 \
	--pause-file="$TMP/pause" >"$TMP/ev2" 2>"$TMP/err2" &
pid=$!
wait_event "$TMP/ev2" pause 10
sql $DB -e "CREATE TRIGGER mangle BEFORE INSERT ON _t_new FOR EACH ROW SET NEW.v = IF(NEW.id = 777, 'mangled', NEW.v)"
rm -f "$TMP/pause"
wait_exit $pid
rc=$?
is "$rc" 1 "persistent difference: exit 1"
like "$(cat "$TMP/err2")" "verify: key \\(777\\) differs" "the differing key is named"
like "$(cat "$TMP/err2")" "verification failed: '_t_new' differs from 't'" "the swap is refused"
like "$(grep '"event":"verify"' "$TMP/ev2")" '"ok":false' "verify event reports failure"
is "$(table_ddl $DB t)" "$before_ddl" "table keeps its shape"
is "$(dump_table $DB t id)" "$want" "table keeps its data"
is "$(leftovers $DB)" "" "shadow and triggers removed"

# 3. --no-verify skips it; the verify event is absent.
mk
oscar --database=$DB --table=t --alter="ADD COLUMN c INT" --execute --json --no-verify >"$TMP/ev3" 2>/dev/null
is "$?" 0 "--no-verify run succeeds"
is "$(grep -c '"event":"verify"' "$TMP/ev3")" 0 "no verification with --no-verify"

# 4. Verification under concurrent writes finds nothing to repair.
mk
rm -f "$TMP/stop"
( while [ ! -e "$TMP/stop" ]; do
	sql $DB -e "UPDATE t SET v = CONCAT('w', FLOOR(RAND() * 1000)) WHERE id = 1 + FLOOR(RAND() * 30000);
	            DELETE FROM t WHERE id = 1 + FLOOR(RAND() * 30000);
	            INSERT IGNORE INTO t VALUES (30000 + FLOOR(RAND() * 1000), 'new', 1.5)" 2>/dev/null
done ) &
wpid=$!
oscar --database=$DB --table=t --alter="ADD COLUMN c INT" --execute --json --chunk-size=3000 >"$TMP/ev4" 2>"$TMP/err4"
rc=$?
touch "$TMP/stop"
wait_exit $wpid
is "$rc" 0 "verification under writes: success"
like "$(grep '"event":"verify"' "$TMP/ev4")" '"ok":true,.*"repaired_chunks":0' "no false differences under writes"
copy=$(sed -n 's/.*"event":"done".*"copy_s":\([0-9.]*\).*/\1/p' "$TMP/ev4")
ver=$(sed -n 's/.*"event":"verify".*"verify_s":\([0-9.]*\).*/\1/p' "$TMP/ev4")
diag "copy ${copy}s, verify ${ver}s"

# 5. --verify-at=copy: each chunk compared right after its copy; the same
#    corruption is found and repaired during the copy, and nothing is compared
#    again before the swap.
mk
want=$(dump_table $DB t id)
touch "$TMP/pause"
oscar --database=$DB --table=t --alter="ADD COLUMN c INT" --execute --json --chunk-size=4000 --verify-at=copy \
	--pause-file="$TMP/pause" >"$TMP/ev5" 2>"$TMP/err5" &
pid=$!
wait_event "$TMP/ev5" pause 10
ok $? "copy mode: paused before the first chunk"
sql $DB -e "INSERT INTO _t_new (id, v, d) VALUES (5, 'corrupt', 0), (29999, 'also corrupt', NULL)"
rm -f "$TMP/pause"
wait_exit $pid
is "$?" 0 "copy mode: run with a corrupted shadow still succeeds"
like "$(cat "$TMP/err5")" "verify: chunk 1 differs; copying it again" "copy mode: the first chunk was repaired"
like "$(grep '"event":"verify"' "$TMP/ev5")" '"ok":true,"rows_verified":30000,.*"repaired_chunks":2,.*"when":"copy"' \
	"copy mode: two chunks repaired, 30000 rows verified during the copy"
# the first chunk's repair comes before the second chunk's copy
first_repair=$(grep -n 'differs; copying it again' "$TMP/err5" | head -1 | cut -d: -f1)
copied=$(grep -n '^.*copied [0-9]* rows in' "$TMP/err5" | head -1 | cut -d: -f1)
ok "$([ -n "$first_repair" ] && [ -n "$copied" ] && [ "$first_repair" -lt "$copied" ] && echo 0 || echo 1)" \
	"copy mode: the repairs happened during the copy"
is "$(sql $DB -e "SELECT id, v, d FROM t ORDER BY id")" "$want" "copy mode: the new table holds the original data"
is "$(leftovers $DB)" "" "copy mode: nothing left behind"

# 6. --verify-at=copy with corruption that comes back: the copy stops at that
#    chunk, names the key, and everything is rolled back.
mk
want=$(dump_table $DB t id)
before_ddl=$(table_ddl $DB t)
touch "$TMP/pause"
oscar --database=$DB --table=t --alter="ADD COLUMN c INT" --execute --json --chunk-size=4000 --verify-at=copy \
	--pause-file="$TMP/pause" >"$TMP/ev6" 2>"$TMP/err6" &
pid=$!
wait_event "$TMP/ev6" pause 10
sql $DB -e "CREATE TRIGGER mangle BEFORE INSERT ON _t_new FOR EACH ROW SET NEW.v = IF(NEW.id = 777, 'mangled', NEW.v)"
rm -f "$TMP/pause"
wait_exit $pid
is "$?" 1 "copy mode, persistent difference: exit 1"
like "$(cat "$TMP/err6")" "verify: key \\(777\\) differs" "copy mode: the differing key is named"
like "$(grep '"event":"verify"' "$TMP/ev6")" '"ok":false,.*"when":"copy"' "copy mode: the verify event reports the failure"
chunks=$(grep -c '"event":"chunk"' "$TMP/ev6")
ok "$([ "$chunks" -lt 8 ] && echo 0 || echo 1)" "copy mode: the copy stopped before the end ($chunks of 8 chunks)"
is "$(table_ddl $DB t)" "$before_ddl" "copy mode: table keeps its shape"
is "$(dump_table $DB t id)" "$want" "copy mode: table keeps its data"
is "$(leftovers $DB)" "" "copy mode: shadow and triggers removed"

# 7. A resumed copy compares everything before the swap, whatever --verify-at
#    says: its earlier chunks were copied by a run that did not compare them.
mk
OSCAR_FAULT=mid-copy oscar --database=$DB --table=t --alter="ADD COLUMN c INT" --execute --json --chunk-size=2000 \
	--verify-at=copy >"$TMP/ev7" 2>"$TMP/err7"
is "$?" 137 "copy mode: killed mid-copy"
oscar --database=$DB --table=t --alter="ADD COLUMN c INT" --execute --json --chunk-size=2000 --verify-at=copy \
	>"$TMP/ev7b" 2>"$TMP/err7b"
is "$?" 0 "copy mode: the resumed run succeeds"
like "$(cat "$TMP/err7b")" "verifying before the swap: this run resumed a copy" "copy mode: a resumed run says it compares before the swap"
like "$(grep '"event":"verify"' "$TMP/ev7b")" '"ok":true,"rows_verified":30000,.*"when":"swap"' "copy mode: the resumed run compared all rows before the swap"
is "$(leftovers $DB)" "" "copy mode: nothing left after the resumed run"

# 8. A bad value is refused before anything is touched.
oscar --database=$DB --table=t --alter="ADD COLUMN c2 INT" --execute --verify-at=later >/dev/null 2>"$TMP/err8"
is "$?" 2 "--verify-at=later: usage error"
like "$(cat "$TMP/err8")" "verify-at" "the error names the option"
