#!/usr/bin/env bash
# A trigger of the table whose DEFINER holds a quote and a backslash keeps
# that definer exactly through the migration, whether the trigger's own
# sql_mode (under which oscar recreates it) has NO_BACKSLASH_ESCAPES or not.
source "$(dirname "$0")/../lib/common.sh"

DB=oscar_t41
fresh_db $DB
# the user o'k\x@localhost; quoted heredocs, so the shell changes nothing
sql <<'SQL'
DROP USER IF EXISTS 'o''k\\x'@'localhost';
CREATE USER 'o''k\\x'@'localhost';
GRANT ALL ON oscar_t41.* TO 'o''k\\x'@'localhost';
SQL
is "$(sql -r -e "SELECT CONCAT(User, '@', Host) FROM mysql.user WHERE User LIKE 'o%k%x'")" 'o'\''k\x@localhost' \
	"the user has a quote and a backslash"
sql $DB <<'SQL'
CREATE TABLE t (id INT PRIMARY KEY, v INT) ENGINE=InnoDB;
CREATE TABLE audit (n INT AUTO_INCREMENT PRIMARY KEY, id INT, how VARCHAR(10)) ENGINE=InnoDB;
INSERT INTO t SELECT seq, seq FROM seq_1_to_100;
SET SESSION sql_mode = 'NO_BACKSLASH_ESCAPES,STRICT_ALL_TABLES';
CREATE DEFINER=`o'k\x`@`localhost` TRIGGER t_nbe AFTER INSERT ON t FOR EACH ROW INSERT INTO audit (id, how) VALUES (NEW.id, 'a\b');
SET SESSION sql_mode = 'STRICT_ALL_TABLES';
CREATE DEFINER=`o'k\x`@`localhost` TRIGGER t_std AFTER UPDATE ON t FOR EACH ROW INSERT INTO audit (id, how) VALUES (NEW.id, 'u-v');
SQL
defs() { sql -r -e "SELECT TRIGGER_NAME, DEFINER, SQL_MODE, ACTION_STATEMENT FROM information_schema.TRIGGERS
                 WHERE TRIGGER_SCHEMA='$DB' AND EVENT_OBJECT_TABLE='t' ORDER BY TRIGGER_NAME"; }
want=$(defs)
like "$want" "t_nbe	o'k\\\\x@localhost	.*NO_BACKSLASH_ESCAPES" "set up: a trigger under NO_BACKSLASH_ESCAPES with that definer"
like "$want" "t_std	o'k\\\\x@localhost	STRICT_ALL_TABLES	" "set up: a trigger without it, same definer"

oscar_run --database=$DB --table=t --alter="ADD COLUMN z INT" --execute
is "$RC" 0 "the migration: exit 0"
is "$(defs)" "$want" "both triggers are back with the same definer, sql_mode and body"
sql $DB -e "INSERT INTO t (id, v) VALUES (1000, 1); UPDATE t SET v = 2 WHERE id = 1"
is "$(sql -r $DB -e "SELECT id, how FROM audit ORDER BY n")" "$(printf '%s\n%s' '1000	a\b' '1	u-v')" "they fire as before"
is "$(leftovers $DB | grep -v 'trigger t_')" "" "nothing of oscar's left"
sql <<'SQL'
DROP USER 'o''k\\x'@'localhost';
SQL

# a backslash escape in a trigger's body (default sql_mode): the catalog gives
# the body back without it, so recreating the trigger would change it; refused
sql $DB <<'SQL'
DROP TABLE IF EXISTS b; CREATE TABLE b (id INT PRIMARY KEY, v VARCHAR(10));
CREATE TABLE b_audit (v VARCHAR(10));
SET SESSION sql_mode = 'STRICT_ALL_TABLES';
CREATE TRIGGER b_ins AFTER INSERT ON b FOR EACH ROW INSERT INTO b_audit VALUES ('x\\y');
SQL
before=$(server_state)
oscar_run --database=$DB --table=b --alter="ADD COLUMN z INT" --execute
is "$RC" 3 "a trigger with a backslash escape in its body: refused"
like "$ERR" "trigger 'b_ins' of the table has a backslash in its body" "the refusal names the trigger and why"
is "$(server_state)" "$before" "refused: nothing changed"
