#!/usr/bin/env bash
# Instant DDL first: the dry run says whether the server can apply the ALTER
# instantly; --prefer-instant then applies it natively without a copy, and
# falls back to the copy for an ALTER that is not instant.
source "$(dirname "$0")/../lib/common.sh"

DB=instant_test
fresh_db $DB
sql $DB -e "CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20), n INT) ENGINE=InnoDB;
            INSERT INTO t SELECT seq, CONCAT('v', seq), seq FROM seq_1_to_20000"
want=$(dump_table $DB t id)

out=$(oscar --database=$DB --table=t --alter="ADD COLUMN extra INT NULL" 2>/dev/null)
like "$out" "instant: the server can apply this ALTER with ALGORITHM=INSTANT" "dry run: ADD COLUMN is instant"
out=$(oscar --database=$DB --table=t --alter="MODIFY n VARCHAR(20)" 2>/dev/null)
like "$out" "instant: no, the server would have to copy" "dry run: changing a column's type is not"
like "$(oscar --database=$DB --table=t --alter="ADD COLUMN extra INT NULL" --json 2>/dev/null)" '"instant":true' "plan event says instant"

oscar --database=$DB --table=t --alter="ADD COLUMN extra INT NULL" --execute --prefer-instant --json >"$TMP/ev1" 2>"$TMP/err1"
is "$?" 0 "--prefer-instant on an instant ALTER: exit 0"
like "$(cat "$TMP/ev1")" '"event":"instant"' "applied natively (instant event)"
is "$(grep -c '"event":"chunk"' "$TMP/ev1")" 0 "no rows were copied"
like "$(grep '"event":"done"' "$TMP/ev1")" '"method":"instant"' "done event names the method"
is "$(sql $DB -e "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME='t' AND COLUMN_NAME='extra'")" 1 "the column was added"
is "$(sql $DB -e "SELECT id, v, n FROM t ORDER BY id")" "$want" "data unchanged"
is "$(leftovers $DB)" "" "nothing left behind (the scratch shadow is gone)"

oscar --database=$DB --table=t --alter="MODIFY n BIGINT NOT NULL" --execute --prefer-instant --json >"$TMP/ev2" 2>"$TMP/err2"
is "$?" 0 "--prefer-instant on a non-instant ALTER: exit 0"
like "$(cat "$TMP/err2")" "cannot apply this ALTER instantly; copying" "falls back to the copy"
ok "$([ "$(grep -c '"event":"chunk"' "$TMP/ev2")" -ge 1 ] && echo 0 || echo 1)" "rows were copied"
is "$(sql $DB -e "SELECT DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME='t' AND COLUMN_NAME='n'")" bigint "the type changed"
is "$(sql $DB -e "SELECT id, v, n FROM t ORDER BY id")" "$want" "data unchanged"
is "$(leftovers $DB)" "" "nothing left behind"

# The instant statement waits briefly for its metadata lock like any other.
sql $DB -e "START TRANSACTION; SELECT COUNT(*) FROM t WHERE id < 3; SELECT SLEEP(20); COMMIT" >/dev/null 2>&1 &
holder=$!
# it holds the table's metadata lock once its SLEEP runs
wait_sql 10 1 "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(20)%'"
ok $? "a transaction holds the table"
oscar --database=$DB --table=t --alter="ADD COLUMN extra2 INT NULL" --execute --prefer-instant \
	--lock-wait-timeout=0.2 --lock-retries=3 >/dev/null 2>"$TMP/err3"
is "$?" 1 "instant ALTER blocked by a transaction: gives up with exit 1"
like "$(cat "$TMP/err3")" "gave up applying the ALTER instantly after 3 attempts" "the message names the metadata lock wait"
is "$(leftovers $DB)" "" "nothing left behind"
sql -e "KILL $(sql -e "SELECT trx_mysql_thread_id FROM information_schema.INNODB_TRX LIMIT 1")" 2>/dev/null
wait_exit $holder 2>/dev/null
