#!/usr/bin/env bash
# --no-swap leaves a complete shadow kept in sync by triggers; --cleanup removes
# it (triggers first); --no-drop-old-table keeps the old table; long table
# names get shortened object names that --cleanup still finds.
source "$(dirname "$0")/../lib/common.sh"

DB=oscar_t14
fresh_db $DB
sql $DB -e "CREATE TABLE t (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, a INT, b VARCHAR(30)) ENGINE=InnoDB;
	INSERT INTO t (a, b) SELECT seq, IF(seq % 5 = 0, NULL, CONCAT('b', seq)) FROM seq_1_to_2000"
DDL0=$(table_ddl $DB t)

same_as_shadow() { # same_as_shadow NAME: t and _t_new agree row by row on t's columns
	is "$(dump_cols $DB _t_new 'id, a, b' id)" "$(dump_cols $DB t 'id, a, b' id)" "$1: shadow equals the original row by row"
}

oscar_run --database=$DB --table=t --alter="ADD COLUMN extra INT NOT NULL DEFAULT 9, MODIFY b VARCHAR(60)" \
	--no-swap --execute --chunk-size=97
is "$RC" 0 "--no-swap: exit 0"
like "$OUT" "to undo: oscar --cleanup --database=$DB --table=t --execute" "--no-swap: says how to undo"
is "$(sql -e "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME='_t_new'")" 1 "--no-swap: _t_new exists"
is "$(count_rows $DB _t_new)" 2000 "--no-swap: _t_new has all 2000 rows"
is "$(sql -e "SELECT GROUP_CONCAT(CONCAT(TRIGGER_NAME, ':', EVENT_MANIPULATION, ':', EVENT_OBJECT_TABLE) ORDER BY TRIGGER_NAME)
	FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='$DB'")" \
	"oscar_t_del:DELETE:t,oscar_t_ins:INSERT:t,oscar_t_upd:UPDATE:t" "--no-swap: the three triggers are on t"
is "$(table_ddl $DB t)" "$DDL0" "--no-swap: the original keeps its shape"
like "$(table_ddl $DB _t_new)" '`extra` int\(11\) NOT NULL DEFAULT 9' "--no-swap: the shadow has the new shape"
same_as_shadow "after the copy"

# writes to the original reach the shadow
sql $DB -e "INSERT INTO t (a, b) VALUES (-1, 'new1'), (-2, NULL), (-3, 'new3')"
same_as_shadow "after INSERT"
sql $DB -e "UPDATE t SET a = a * 100, b = CONCAT(IFNULL(b, 'n'), '-upd') WHERE id % 10 = 0"
same_as_shadow "after UPDATE"
sql $DB -e "DELETE FROM t WHERE id % 17 = 0"
same_as_shadow "after DELETE"
sql $DB -e "UPDATE t SET id = id + 100000 WHERE id BETWEEN 100 AND 110"
same_as_shadow "after a PK-changing UPDATE"
is "$(sql $DB -e "SELECT COUNT(*) FROM _t_new WHERE id BETWEEN 100 AND 110")" 0 "after a PK-changing UPDATE: old keys gone from the shadow"
sql $DB -e "UPDATE t SET id = id - 100000 + 5000 WHERE id > 100000; REPLACE INTO t (id, a, b) VALUES (1, 111, 'replaced');
	INSERT INTO t (id, a, b) VALUES (2, 0, 'dup') ON DUPLICATE KEY UPDATE a = 222"
same_as_shadow "after REPLACE and INSERT ... ON DUPLICATE KEY UPDATE"
sql $DB -e "BEGIN; DELETE FROM t WHERE id < 50; UPDATE t SET a = 0; ROLLBACK"
same_as_shadow "after a rolled-back transaction"
is "$(sql $DB -e "SELECT COUNT(*) FROM _t_new WHERE extra <> 9")" 0 "shadow rows all have the new column's default"
SUM_T=$(sql $DB -e "CHECKSUM TABLE t" | cut -f2)

# --cleanup without --execute: a list, no change
before=$(server_state)
oscar_run --database=$DB --table=t --cleanup
is "$RC" 0 "--cleanup dry run: exit 0"
is "$(grep -c 'would remove trigger' "$TMP/oscar.err")" 3 "--cleanup dry run: would remove the three triggers"
like "$ERR" "would remove table '_t_new'" "--cleanup dry run: would remove the shadow"
is "$(server_state)" "$before" "--cleanup dry run: server unchanged"

oscar_run --database=$DB --table=t --cleanup --execute
is "$RC" 0 "--cleanup --execute: exit 0"
is "$(grep -c 'removed trigger' "$TMP/oscar.err")" 3 "--cleanup --execute: removed three triggers"
last_trg=$(grep -n 'removed trigger' "$TMP/oscar.err" | tail -1 | cut -d: -f1)
tbl=$(grep -n "removed table '_t_new'" "$TMP/oscar.err" | cut -d: -f1)
ok "$([ -n "$tbl" ] && [ -n "$last_trg" ] && [ "$last_trg" -lt "$tbl" ] && echo 0 || echo 1)" \
	"--cleanup --execute: triggers removed before the shadow"
is "$(leftovers $DB)" "" "--cleanup --execute: nothing left"
is "$(table_ddl $DB t)" "$DDL0" "--cleanup --execute: original shape untouched"
is "$(sql $DB -e "CHECKSUM TABLE t" | cut -f2)" "$SUM_T" "--cleanup --execute: original data untouched"
sql $DB -e "INSERT INTO t (a, b) VALUES (7, 'after cleanup')"
is "$(sql $DB -e "SELECT COUNT(*) FROM t WHERE b = 'after cleanup'")" 1 "after cleanup: writes to the original work"
oscar_run --database=$DB --table=t --cleanup --execute
is "$RC" 0 "--cleanup with nothing to do: exit 0"
like "$ERR" "0 objects removed" "--cleanup with nothing to do: removes nothing"

# --no-drop-old-table keeps the old table with the old shape and data
sql $DB -e "CREATE TABLE k (id INT NOT NULL PRIMARY KEY, v VARCHAR(10), w DECIMAL(8,2)) ENGINE=InnoDB;
	INSERT INTO k SELECT seq, CONCAT('v', seq), seq / 3 FROM seq_1_to_1000"
K_DDL=$(table_ddl $DB k)
K_DUMP=$(dump_table $DB k id)
oscar_run --database=$DB --table=k --alter="DROP COLUMN w, ADD COLUMN z INT" --execute --no-drop-old-table --chunk-size=97
is "$RC" 0 "--no-drop-old-table: exit 0"
is "$(leftovers $DB)" "table _k_old" "--no-drop-old-table: only _k_old is left"
is "$(table_ddl $DB _k_old)" "${K_DDL/CREATE TABLE \`k\`/CREATE TABLE \`_k_old\`}" "--no-drop-old-table: _k_old has the old shape"
is "$(dump_table $DB _k_old id)" "$K_DUMP" "--no-drop-old-table: _k_old has the old data"
like "$(table_ddl $DB k)" '`z` int' "--no-drop-old-table: k has the new shape"
is "$(dump_cols $DB k 'id, v' id)" "$(dump_cols $DB _k_old 'id, v' id)" "--no-drop-old-table: k has the data"
oscar_run --database=$DB --table=k --cleanup --execute
is "$RC" 0 "--cleanup after --no-drop-old-table: exit 0"
like "$ERR" "kept '_k_old'" "--cleanup after --no-drop-old-table: keeps _k_old and says so"
is "$(leftovers $DB)" "table _k_old" "--cleanup after --no-drop-old-table: _k_old still there"
sql $DB -e "DROP TABLE _k_old"

# long names: 60 and 64 characters; object names shortened to at most 64
L60=$(printf 'l%.0s' $(seq 1 55))_long
L64=$(printf 'm%.0s' $(seq 1 59))_long
L60B=$(printf 'l%.0s' $(seq 1 55))_lonG
is "${#L60}:${#L64}:${#L60B}" "60:64:60" "long names: test names have 60 and 64 characters"
for tb in "$L60" "$L60B" "$L64"; do
	sql $DB -e "CREATE TABLE \`$tb\` (id INT NOT NULL PRIMARY KEY, v INT) ENGINE=InnoDB;
		INSERT INTO \`$tb\` SELECT seq, seq FROM seq_1_to_300"
done
names_of() { # oscar objects in the schema, "kind name" lines
	sql -e "SELECT CONCAT('trigger ', TRIGGER_NAME, ' ', EVENT_OBJECT_TABLE) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='$DB'
		UNION ALL SELECT CONCAT('table ', TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME LIKE '\\_%' AND TABLE_NAME <> '_oscar_state'"
}
oscar_run --database=$DB --table="$L60" --alter="ADD COLUMN z INT" --no-swap --execute --chunk-size=50
is "$RC" 0 "60-char name, --no-swap: exit 0"
oscar_run --database=$DB --table="$L60B" --alter="ADD COLUMN z INT" --no-swap --execute --chunk-size=50
is "$RC" 0 "60-char name sharing its prefix, --no-swap: exit 0"
objs=$(names_of)
is "$(printf '%s\n' "$objs" | grep -c "^trigger .* $L60\$")" 3 "60-char name: three triggers on it"
is "$(printf '%s\n' "$objs" | grep -c "^trigger .* $L60B\$")" 3 "60-char name sharing its prefix: three triggers on it"
is "$(printf '%s\n' "$objs" | grep -c '^table ')" 2 "60-char names: two shadows"
is "$(printf '%s\n' "$objs" | awk '{ print $2 }' | sort -u | wc -l)" 8 "60-char names: all eight object names distinct"
is "$(printf '%s\n' "$objs" | awk 'length($2) > 64' | wc -l)" 0 "60-char names: no object name longer than 64"
shadow=$(sql -e "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME LIKE '\\_l%\\_new' ORDER BY TABLE_NAME LIMIT 1")
ok "$([ -n "$shadow" ] && echo 0 || echo 1)" "60-char name: a shadow _..._new exists ($shadow)"
oscar_run --database=$DB --table="$L60" --cleanup --execute
is "$RC" 0 "60-char name, --cleanup: exit 0"
like "$ERR" "5 objects removed" "60-char name, --cleanup: removed 3 triggers, the shadow and the job state"
objs=$(names_of)
is "$(printf '%s\n' "$objs" | grep -c "^trigger .* $L60\$")" 0 "60-char name, --cleanup: its triggers are gone"
is "$(printf '%s\n' "$objs" | grep -c "^trigger .* $L60B\$")" 3 "60-char name, --cleanup: the other table's triggers stay"
is "$(printf '%s\n' "$objs" | grep -c '^table ')" 1 "60-char name, --cleanup: the other table's shadow stays"
oscar_run --database=$DB --table="$L60B" --cleanup --execute
is "$RC" 0 "second 60-char name, --cleanup: exit 0"
is "$(leftovers $DB)" "" "long names: nothing left after both cleanups"
oscar_run --database=$DB --table="$L64" --alter="ADD COLUMN z INT" --execute --chunk-size=50
is "$RC" 0 "64-char name, --execute: exit 0"
like "$(table_ddl $DB "$L64")" '`z` int' "64-char name: altered"
is "$(count_rows $DB "$L64")" 300 "64-char name: all rows"
is "$(leftovers $DB)" "" "64-char name: nothing left"

sql -e "DROP DATABASE $DB"
