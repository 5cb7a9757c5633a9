#!/usr/bin/env bash
# The triggers mirror only the rows the copy has reached (src/bound.c):
# the bound table is created before the triggers and dropped after them; a
# leftover of an earlier run is replaced, somebody else's table of the name is
# never touched; --cleanup removes a leftover; the bound stays off where it
# is not safe; while an application statement holds the bound's lock the copy
# waits for it without holding up the application, and every write the
# application made to rows the copy had not reached arrives by the copy.
source "$(dirname "$0")/../lib/common.sh"

DB=oscar_t46
fresh_db $DB
mk() { # mk ROWS: table t, integer key with gaps, a secondary unique key
	sql $DB -e "DROP TABLE IF EXISTS t; CREATE TABLE t (id INT NOT NULL PRIMARY KEY, u INT, v INT, UNIQUE KEY (u))
	            ENGINE=InnoDB; INSERT INTO t SELECT seq * 3, seq, seq FROM seq_1_to_$1"
}
A=(--database=$DB --table=t --alter="ADD COLUMN z INT NOT NULL DEFAULT 7" --execute)

# 1. the bound is used, and gone afterwards
mk 20000
oscar_run "${A[@]}" --chunk-size=1000
is "$RC" 0 "bound: exit 0"
like "$ERR" "the triggers mirror only the rows the copy has reached" "bound: used for an integer key"
is "$(leftovers $DB)" "" "bound: nothing left behind"
is "$(sql $DB -e "SELECT COUNT(*), SUM(z), SUM(v) FROM t")" "$(printf '20000\t140000\t200010000')" "bound: every row copied"

# 2. where it is not safe, every row is mirrored
sql $DB -e "DROP TABLE IF EXISTS s; CREATE TABLE s (k VARCHAR(10) NOT NULL PRIMARY KEY, v INT) ENGINE=InnoDB;
            INSERT INTO s SELECT CONCAT('k', seq), seq FROM seq_1_to_100"
oscar_run --database=$DB --table=s --alter="ADD COLUMN z INT" --execute
is "$RC" 0 "string key: exit 0"
like "$ERR" "the triggers mirror every row \\(the copy's key is not one integer column\\)" "string key: every row mirrored, and why"
mk 1000
oscar_run "${A[@]}" --mirror=all
is "$RC" 0 "--mirror=all: exit 0"
unlike "$ERR" "mirror only" "--mirror=all: no bound"

# 3. a leftover of an earlier run is replaced; somebody else's table is kept
mk 1000
sql $DB -e "CREATE TABLE _t_bnd (id TINYINT NOT NULL PRIMARY KEY, hi DECIMAL(20,0)) ENGINE=MEMORY COMMENT='oscar: left'"
oscar_run "${A[@]}"
is "$RC" 0 "leftover bound: exit 0"
like "$ERR" "dropped '_t_bnd', left by an earlier run" "leftover bound: replaced"
is "$(leftovers $DB)" "" "leftover bound: nothing left behind"
mk 1000
sql $DB -e "CREATE TABLE _t_bnd (id INT PRIMARY KEY) ENGINE=InnoDB COMMENT='mine'; INSERT INTO _t_bnd VALUES (42)"
before=$(table_ddl $DB t)
oscar_run "${A[@]}"
is "$RC" 1 "someone's _t_bnd: exit 1"
like "$ERR" "table '_t_bnd' exists and is not oscar's" "someone's _t_bnd: the error says why"
is "$(sql $DB -e "SELECT id FROM _t_bnd")" 42 "someone's _t_bnd: kept as it was"
is "$(table_ddl $DB t)" "$before" "someone's _t_bnd: the table unchanged"
is "$(sql $DB -e "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME LIKE '\\_t\\_new'")" 0 \
	"someone's _t_bnd: rolled back"
sql $DB -e "DROP TABLE _t_bnd"

# 4. --cleanup removes a leftover bound table
mk 1000
sql $DB -e "CREATE TABLE _t_bnd (id TINYINT NOT NULL PRIMARY KEY, hi DECIMAL(20,0)) ENGINE=MEMORY COMMENT='oscar: left'"
oscar_run --database=$DB --table=t --cleanup --execute
is "$RC" 0 "--cleanup: exit 0"
like "$ERR" "_t_bnd" "--cleanup: names the bound table"
is "$(leftovers $DB)" "" "--cleanup: bound table removed"

# 5. an application statement holds the bound's lock (it waits for a row
#    lock, holding the trigger's tables) just as the copy must move the bound:
#    the copy waits for it, other application statements are not held up,
#    and the rows written ahead of the copy arrive by the copy.
mk 30000
sql $DB -e "DROP TABLE IF EXISTS ref; CREATE TABLE ref ENGINE=InnoDB AS SELECT * FROM t"
touch "$TMP/pause"
oscar --database=$DB --table=t --alter="ADD COLUMN z INT NOT NULL DEFAULT 7" --execute --chunk-size=500 \
	--pause-file="$TMP/pause" >"$TMP/ev" 2>"$TMP/err" &
opid=$!
wait_for 60 grep -qs "copy paused" "$TMP/err"
ok $? "held bound: oscar paused before the copy"
# rows far ahead of the copy change while nothing mirrors them
for tb in t ref; do
	sql $DB -e "UPDATE $tb SET v = -v WHERE id > 60000; DELETE FROM $tb WHERE id BETWEEN 70000 AND 70300;
	            INSERT INTO $tb VALUES (100001, 900001, 1), (100004, 900002, 2)"
done
is "$(sql $DB -e "SELECT COUNT(*) FROM _t_new")" 0 "held bound: writes ahead of the copy were not mirrored"
# a transaction holds row 3; a second statement on row 3 waits for it and
# holds the bound table's lock meanwhile
mariadb --no-defaults -uroot --socket="$OSCAR_SOCKET" $DB -e "BEGIN; UPDATE t SET v = v + 1 WHERE id = 3; SELECT SLEEP(3); COMMIT" >/dev/null &
hold=$!
wait_sql 10 1 "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(3)%'"
mariadb --no-defaults -uroot --socket="$OSCAR_SOCKET" $DB -e "UPDATE t SET v = v + 10 WHERE id = 3" &
waiter=$!
wait_sql 10 1 "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'UPDATE t SET v = v + 10%'"
rm -f "$TMP/pause"
t0=$(date +%s.%N)
# other statements run while the copy waits for the bound
sql $DB -e "UPDATE t SET v = v + 100 WHERE id = 6"
t1=$(date +%s.%N)
ok "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a < 2) ? 0 : 1 }')" "held bound: another statement was not held up"
wait_exit $hold 30
wait_exit $waiter 30
wait_exit $opid 120
is "$WAIT_RC" 0 "held bound: exit 0"
like "$(cat "$TMP/err")" "moved the mirroring bound after [0-9.]+ s of waiting" "held bound: the copy waited for the statement"
is "$(sql $DB -e "SELECT v FROM t WHERE id = 3")" 12 "held bound: the waiting statement's write arrived"
is "$(sql $DB -e "SELECT v FROM t WHERE id = 6")" 102 "held bound: the other statement's write arrived"
sql $DB -e "UPDATE ref SET v = v + 11 WHERE id = 3; UPDATE ref SET v = v + 100 WHERE id = 6"
is "$(sql $DB -e "SELECT id, u, v FROM t ORDER BY id" | md5sum)" "$(sql $DB -e "SELECT id, u, v FROM ref ORDER BY id" | md5sum)" \
	"held bound: the new table holds every write, those ahead of the copy included"
is "$(sql $DB -e "SELECT COUNT(*) FROM t WHERE z <> 7")" 0 "held bound: the added column filled"
is "$(leftovers $DB)" "" "held bound: nothing left behind"

