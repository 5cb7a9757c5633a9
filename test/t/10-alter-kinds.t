#!/usr/bin/env bash
# Every kind of ALTER oscar has to get right: the new shape is what the ALTER
# says, the data of kept (and renamed) columns is what it was, a column dropped
# and added again under the same name starts from its default, nothing is left
# behind, and the AUTO_INCREMENT counter does not go back.
source "$(dirname "$0")/../lib/common.sh"

DB=oscar_t10
fresh_db $DB
ROWS=2990     # rows left after deleting the top ones

# mk_table NAME CHARSET: a table of varied data (NULLs, non-ASCII text,
# DATETIME(6), DECIMAL), with the top ids deleted so the counter is ahead.
mk_table() {
	local t=$1 cs=$2 emoji='emoji 😀🎉'
	[ "$cs" = utf8mb3 ] && emoji='bmp only ©®™'
	sql4 $DB -e "
	CREATE TABLE $t (
		id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
		a INT NULL,
		s VARCHAR(100) NULL,
		dt DATETIME(6) NULL,
		d DECIMAL(14,4) NULL,
		x VARCHAR(20) NOT NULL DEFAULT 'dflt'
	) ENGINE=InnoDB DEFAULT CHARSET=$cs;
	INSERT INTO $t (a, s, dt, d, x)
	SELECT IF(seq % 7 = 0, NULL, CAST(seq AS SIGNED) * 37 - 50000),
	       CASE seq % 6 WHEN 0 THEN NULL
	                    WHEN 1 THEN CONCAT('héllo wörld ', seq)
	                    WHEN 2 THEN CONCAT('日本語テキスト', seq)
	                    WHEN 3 THEN CONCAT('$emoji ', seq)
	                    WHEN 4 THEN CONCAT('quote '' back\\\\slash \"dq\" ', seq)
	                    ELSE CONCAT('tab\there ', seq) END,
	       IF(seq % 11 = 0, NULL, TIMESTAMP'2001-02-03 04:05:06.123456' + INTERVAL seq * 7777777 MICROSECOND),
	       IF(seq % 13 = 0, NULL, seq * 12.3456 - 9999),
	       CONCAT('x', seq)
	FROM seq_1_to_3000;
	DELETE FROM $t WHERE id > $ROWS;"
	is "$(count_rows $DB $t)" $ROWS "setup: $t has $ROWS rows"
}

# check_alter NAME TABLE ALTER DDL-REGEX DDL-ABSENT-REGEX COLS-BEFORE COLS-AFTER [KEY-AFTER]
check_alter() {
	local name=$1 t=$2 alter=$3 re=$4 absent=$5 before=$6 after=$7 key_after=${8:-id}
	local pre ddl next_id
	pre=$(dump_cols $DB "$t" "$before" id)
	# the counter the server would hand out next (InnoDB reserves ids in
	# batches for INSERT ... SELECT, so it is past 3000)
	next_id=$(sql -e "SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME='$t'")
	ok "$([ "$next_id" -gt $((ROWS + 1)) ] && echo 0 || echo 1)" "$name: counter ($next_id) is ahead of the highest id ($ROWS)"
	oscar_run --database=$DB --table="$t" --alter="$alter" --execute --chunk-size=97 --json
	is "$RC" 0 "$name: exit 0"
	[ "$RC" = 0 ] || diag "$(tail -5 "$TMP/oscar.err")"
	ddl=$(table_ddl $DB "$t")
	like "$ddl" "$re" "$name: new DDL has the change"
	if [ -n "$absent" ]; then
		if printf '%s' "$ddl" | grep -Eq -- "$absent"; then
			ok 1 "$name: new DDL no longer has $absent"
			diag "$ddl"
		else
			ok 0 "$name: new DDL no longer has $absent"
		fi
	fi
	is "$(dump_cols $DB "$t" "$after" "$key_after")" "$pre" "$name: data of the kept columns unchanged ($after)"
	is "$(json_events "$TMP/oscar.out" chunk | wc -l)" 31 "$name: copied in 31 chunks of at most 97 rows"
	like "$(json_events "$TMP/oscar.out" done)" "\"rows_copied\":$ROWS[,}]" "$name: done reports $ROWS rows copied"
	is "$(leftovers $DB)" "" "$name: no triggers or oscar tables left"
	is "$(sql $DB -e "INSERT INTO \`$t\` () VALUES (); SELECT LAST_INSERT_ID()")" "$next_id" \
		"$name: AUTO_INCREMENT carried over (deleted ids not reused)"
}

ALL='id, a, s, dt, d, x'

mk_table t_add utf8mb4
check_alter "ADD COLUMN" t_add "ADD COLUMN n INT NOT NULL DEFAULT 42" '`n` int\(11\) NOT NULL DEFAULT 42' '' "$ALL" "$ALL"
is "$(sql $DB -e "SELECT COUNT(*), SUM(n = 42) FROM t_add")" "$((ROWS + 1))	$((ROWS + 1))" "ADD COLUMN: every row has the default"

mk_table t_drop utf8mb4
check_alter "DROP COLUMN" t_drop "DROP COLUMN d" '`dt` datetime\(6\)' '`d` decimal' "id, a, s, dt, x" 'id, a, s, dt, x'

mk_table t_modify utf8mb4
check_alter "MODIFY COLUMN" t_modify "MODIFY COLUMN a BIGINT NULL, MODIFY s VARCHAR(300) NULL" \
	'`a` bigint\(20\) DEFAULT NULL' '`a` int\(11\)' "$ALL" "$ALL"
like "$(table_ddl $DB t_modify)" '`s` varchar\(300\)' "MODIFY COLUMN: s widened too"

mk_table t_change utf8mb4
check_alter "CHANGE old new" t_change "CHANGE a a_renamed BIGINT NULL, CHANGE COLUMN d \`d new\` DECIMAL(20,4) NULL" \
	'`a_renamed` bigint\(20\) DEFAULT NULL' '`a` int|`d` decimal' "$ALL" 'id, a_renamed, s, dt, `d new`, x'

mk_table t_rename utf8mb4
check_alter "RENAME COLUMN" t_rename "RENAME COLUMN s TO s_renamed" '`s_renamed` varchar\(100\)' '`s` varchar' \
	"$ALL" 'id, a, s_renamed, dt, d, x'

mk_table t_pkname utf8mb4
check_alter "CHANGE of the PRIMARY KEY column" t_pkname "CHANGE id pk_id INT UNSIGNED NOT NULL AUTO_INCREMENT" \
	'PRIMARY KEY \(`pk_id`\)' '`id` int' "$ALL" 'pk_id, a, s, dt, d, x' pk_id

# two CHANGE clauses that swap names: each clause names a column of the
# original table (as a native ALTER reads them), so a's data goes to the new
# column s and s's data to the new column a
mk_table t_swap utf8mb4
check_alter "CHANGE a s, CHANGE s a (swap names)" t_swap "CHANGE a s BIGINT NULL, CHANGE s a VARCHAR(100) NULL" \
	'`s` bigint\(20\) DEFAULT NULL' '`s` varchar' "$ALL" 'id, s, a, dt, d, x'

mk_table t_index utf8mb4
check_alter "ADD INDEX" t_index "ADD INDEX idx_dt (dt, d)" 'KEY `idx_dt` \(`dt`,`d`\)' '' "$ALL" "$ALL"

mk_table t_convert utf8mb3
check_alter "CONVERT TO CHARACTER SET" t_convert "CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci" \
	'DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci' 'CHARSET=utf8mb3' "$ALL" "$ALL"
is "$(sql $DB -e "SELECT CHARACTER_SET_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME='t_convert' AND COLUMN_NAME='s'")" \
	utf8mb4 "CONVERT TO CHARACTER SET: column s is utf8mb4"
is "$(sql $DB -e "SELECT COUNT(*) FROM t_convert WHERE s LIKE '日本語テキスト%' OR s LIKE 'héllo wörld %'")" 998 \
	"CONVERT TO CHARACTER SET: non-ASCII text still matches"

mk_table t_readd utf8mb4
check_alter "DROP+ADD same name" t_readd "DROP COLUMN x, ADD COLUMN x VARCHAR(20) NOT NULL DEFAULT 'fresh'" \
	"\`x\` varchar\(20\) NOT NULL DEFAULT 'fresh'" "DEFAULT 'dflt'" 'id, a, s, dt, d' 'id, a, s, dt, d'
is "$(sql $DB -e "SELECT COUNT(*) FROM t_readd WHERE x <> 'fresh'")" 0 "DROP+ADD same name: old data not carried, all rows 'fresh'"

mk_table t_readd2 utf8mb4
check_alter "DROP X + ADD x (other case, no COLUMN keyword)" t_readd2 "DROP \`X\`, ADD x INT NOT NULL DEFAULT 7" \
	'`x` int\(11\) NOT NULL DEFAULT 7' 'varchar\(20\)' 'id, a, s, dt, d' 'id, a, s, dt, d'
is "$(sql $DB -e "SELECT COUNT(*), SUM(x = 7) FROM t_readd2")" "$((ROWS + 1))	$((ROWS + 1))" \
	"DROP X + ADD x: every row takes the new default"

# Generated columns (VIRTUAL and STORED) are computed, never copied; a normal
# column whose COMMENT says GENERATED is data and must survive.
mk_gen() {
	sql4 $DB -e "
	CREATE TABLE $1 (
		id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
		a INT NULL,
		v INT AS (a * 2) VIRTUAL,
		st VARCHAR(40) AS (CONCAT('s', a)) STORED,
		c VARCHAR(50) NULL COMMENT 'not GENERATED ALWAYS AS (a) STORED, just data',
		dt DATETIME(6) NULL,
		d DECIMAL(14,4) NULL,
		KEY st_idx (st)
	) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
	INSERT INTO $1 (a, c, dt, d)
	SELECT IF(seq % 9 = 0, NULL, CAST(seq AS SIGNED) - 1500), IF(seq % 4 = 0, NULL, CONCAT('ç data ✓ ', seq)),
	       TIMESTAMP'1999-12-31 23:59:59.999999' + INTERVAL seq SECOND, seq / 8
	FROM seq_1_to_3000;
	DELETE FROM $1 WHERE id > $ROWS;"
	is "$(count_rows $DB $1)" $ROWS "setup: $1 has $ROWS rows"
}
mk_gen t_gen
check_alter "generated columns" t_gen "ADD COLUMN z INT DEFAULT 3" \
	'`v` int\(11\) GENERATED ALWAYS AS \(`a` \* 2\) VIRTUAL' '' 'id, a, v, st, c, dt, d' 'id, a, v, st, c, dt, d'
like "$(table_ddl $DB t_gen)" "\`st\` varchar\(40\) GENERATED ALWAYS AS \(concat\('s',\`a\`\)\) STORED" "generated columns: STORED column kept"
like "$(table_ddl $DB t_gen)" "\`c\` varchar\(50\) DEFAULT NULL COMMENT 'not GENERATED" "generated columns: commented column is still a plain column"
is "$(sql $DB -e "SELECT COUNT(*) FROM t_gen WHERE c IS NOT NULL")" 2243 "generated columns: data of the commented column survived"

mk_gen t_gen2
check_alter "generated expression changed" t_gen2 "MODIFY v INT AS (a * 3) VIRTUAL" \
	'`v` int\(11\) GENERATED ALWAYS AS \(`a` \* 3\) VIRTUAL' '\* 2' 'id, a, st, c, dt, d' 'id, a, st, c, dt, d'
is "$(sql $DB -e "SELECT COUNT(*) FROM t_gen2 WHERE NOT (v <=> a * 3)")" 0 "generated expression changed: v recomputed"

# a narrowing MODIFY that would truncate data fails and rolls back
mk_table t_narrow utf8mb4
ddl0=$(table_ddl $DB t_narrow)
pre=$(dump_table $DB t_narrow id)
oscar_run --database=$DB --table=t_narrow --alter="MODIFY s VARCHAR(5) NULL" --execute --chunk-size=97
is "$RC" 1 "narrowing MODIFY that truncates: exit 1"
like "$(grep 'error: ' "$TMP/oscar.err")" "warning 1265: Data truncated for column 's'" "narrowing MODIFY: the truncation is named"
is "$(table_ddl $DB t_narrow)" "$ddl0" "narrowing MODIFY: shape unchanged"
is "$(dump_table $DB t_narrow id)" "$pre" "narrowing MODIFY: data unchanged"
is "$(leftovers $DB)" "" "narrowing MODIFY: rolled back, nothing left"

sql -e "DROP DATABASE $DB"
