#!/usr/bin/env bash
# The table's own triggers survive the migration: on the new table afterwards,
# with the same names, definer, sql_mode and character set, and under
# concurrent writes they fire exactly once per write - never twice, never not
# at all - before, during and after the swap. A trigger that uses a column the
# ALTER drops is refused.
source "$(dirname "$0")/../lib/common.sh"

DB=utrig_test
fresh_db $DB
sql $DB -e "CREATE TABLE t (id INT PRIMARY KEY, v INT NOT NULL DEFAULT 0, stamp VARCHAR(20) NULL, gone INT NULL) ENGINE=InnoDB;
  CREATE TABLE audit (n BIGINT AUTO_INCREMENT PRIMARY KEY, op CHAR(1) NOT NULL, id INT NOT NULL) ENGINE=InnoDB;
  INSERT INTO t (id, v) SELECT seq, seq FROM seq_1_to_20000;
  SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';
  CREATE TRIGGER t_bi BEFORE INSERT ON t FOR EACH ROW SET NEW.stamp = CONCAT('bi-', NEW.id);
  CREATE TRIGGER t_ai AFTER INSERT ON t FOR EACH ROW INSERT INTO audit (op, id) VALUES ('i', NEW.id);
  CREATE TRIGGER t_au AFTER UPDATE ON t FOR EACH ROW INSERT INTO audit (op, id) VALUES ('u', NEW.id)"
# a compound body, through the client's DELIMITER
sql $DB <<'SQL'
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';
DELIMITER //
CREATE TRIGGER t_ad AFTER DELETE ON t FOR EACH ROW BEGIN
  DECLARE k INT DEFAULT OLD.id;
  INSERT INTO audit (op, id) VALUES ('d', k);
END//
DELIMITER ;
SQL
defs() { sql -e "SELECT TRIGGER_NAME, EVENT_MANIPULATION, ACTION_TIMING, ACTION_ORDER, DEFINER, SQL_MODE, CHARACTER_SET_CLIENT,
                 COLLATION_CONNECTION, ACTION_STATEMENT FROM information_schema.TRIGGERS
                 WHERE TRIGGER_SCHEMA='$DB' AND EVENT_OBJECT_TABLE='t' ORDER BY TRIGGER_NAME"; }
want=$(defs)

like "$(oscar --database=$DB --table=t --alter="ADD COLUMN z0 INT" 2>/dev/null)" "triggers of the table: 4, moved to the new table" \
	"the dry run says the triggers will move"

oscar --database=$DB --table=t --alter="ADD COLUMN z INT, DROP COLUMN gone" --execute 2>/dev/null >/dev/null
is "$?" 0 "a table with triggers of its own can be migrated (they use no dropped column)"

# a writer counts what it did; the audit rows must match exactly
sql $DB -e "TRUNCATE audit"
rm -f "$TMP/stop"
( i=0; ins=0; upd=0; del=0
  while [ ! -e "$TMP/stop" ]; do i=$((i + 1))
	sql $DB -e "INSERT INTO t (id, v) VALUES (100000 + $i, $i)" && ins=$((ins + 1))
	sql $DB -e "UPDATE t SET v = v + 1 WHERE id = $i" && upd=$((upd + 1))
	sql $DB -e "DELETE FROM t WHERE id = 20000 - $i" && del=$((del + 1))
  done
  echo "$ins $upd $del" >"$TMP/counts" ) 2>/dev/null &
wpid=$!
# each round of the writer inserts a row above 100000 first: some rounds
# before the migration, some after the swap
inserted() { sql $DB -e "SELECT COUNT(*) FROM t WHERE id > 100000"; }
wait_sql 30 1 "SELECT COUNT(*) >= 3 FROM $DB.t WHERE id > 100000"
ok $? "the writer is at work"
oscar --database=$DB --table=t --alter="ADD COLUMN y INT" --execute --chunk-size=500 >/dev/null 2>"$TMP/err"
rc=$?
n0=$(inserted)
wait_sql 30 1 "SELECT COUNT(*) >= $n0 + 3 FROM $DB.t WHERE id > 100000"
ok $? "the writer wrote on after the swap"
touch "$TMP/stop"
wait_exit $wpid
is "$rc" 0 "migration under writes: exit 0"
[ "$rc" = 0 ] || diag "$(tail -5 "$TMP/err")"
read -r ins upd del <"$TMP/counts"
is "$(sql $DB -e "SELECT CONCAT(SUM(op='i'), ' ', SUM(op='u'), ' ', SUM(op='d')) FROM audit")" "$ins $upd $del" \
	"each write fired its trigger exactly once ($ins inserts, $upd updates, $del deletes)"
is "$(sql $DB -e "SELECT COUNT(*) FROM t WHERE id > 100000 AND (stamp IS NULL OR stamp <> CONCAT('bi-', id))")" 0 \
	"the BEFORE INSERT trigger set its column on every row inserted, before and after the swap"
is "$(defs)" "$want" "names, events, order, definer, sql_mode, character set and bodies unchanged"
is "$(sql -e "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='$DB'")" 4 "no extra triggers left"
is "$(leftovers $DB | grep -v '^trigger t_')" "" "nothing left behind"
like "$(cat "$TMP/err")" "moved 4 triggers of 't' to the new table" "the log says the triggers moved"

# after the migration the triggers still work on the new table
sql $DB -e "TRUNCATE audit; INSERT INTO t (id, v) VALUES (999999, 1); DELETE FROM t WHERE id = 999999"
is "$(sql $DB -e "SELECT GROUP_CONCAT(op ORDER BY n) FROM audit")" "i,d" "the triggers fire on the new table"

# a trigger that needs a column the ALTER drops
before=$(server_state)
oscar --database=$DB --table=t --alter="DROP COLUMN stamp" --execute 2>"$TMP/err2"
is "$?" 3 "dropping a column a trigger uses: refused"
like "$(cat "$TMP/err2")" "trigger 't_bi' references column 'stamp', which the ALTER drops or renames" "the trigger and column are named"
is "$(server_state)" "$before" "refusal changes nothing"
