#!/usr/bin/env bash
# Chunk keys of every awkward type, with chunks so small that boundaries fall
# on every kind of value: no row may be lost, duplicated or altered.
source "$(dirname "$0")/../lib/common.sh"

DB=oscar_t11
fresh_db $DB

# migrate NAME TABLE COLS ORDER CHUNK [ALTER]: runs oscar and checks the row
# count, the full content (hex for strings, so bytes are compared), the
# chunking and that nothing is left behind.
migrate() {
	local name=$1 t=$2 cols=$3 order=$4 chunk=$5 alter=${6:-ADD COLUMN extra INT NOT NULL DEFAULT 5}
	local pre n chunks
	pre=$(dump_cols $DB "$t" "$cols" "$order")
	n=$(count_rows $DB "$t")
	ok "$([ "$n" -gt 0 ] && echo 0 || echo 1)" "$name: setup made rows ($n)"
	oscar_run --database=$DB --table="$t" --alter="$alter" --execute --chunk-size="$chunk" --json
	is "$RC" 0 "$name: exit 0"
	[ "$RC" = 0 ] || diag "$(grep -E 'error|warning' "$TMP/oscar.err" | tail -5)"
	is "$(count_rows $DB "$t")" "$n" "$name: row count unchanged ($n)"
	is "$(dump_cols $DB "$t" "$cols" "$order")" "$pre" "$name: content identical"
	like "$(json_events "$TMP/oscar.out" done)" "\"rows_copied\":$n[,}]" "$name: rows_copied is exactly $n (no chunk overlap)"
	chunks=$(json_events "$TMP/oscar.out" chunk | wc -l)
	is "$chunks" "$(( n / chunk + 1 ))" "$name: $(( n / chunk + 1 )) chunks of $chunk rows"
	is "$(json_events "$TMP/oscar.out" chunk | grep -Evc "\"chunk_rows\":([0-9]|[1-9][0-9]*)," )" 0 "$name: chunk events carry row counts"
	is "$(json_events "$TMP/oscar.out" chunk | grep -Eo '"chunk_rows":[0-9]+' | awk -F: -v c="$chunk" '$2 > c' | wc -l)" 0 \
		"$name: no chunk larger than $chunk rows"
	is "$(leftovers $DB)" "" "$name: nothing left behind"
}

# composite (int, varchar)
sql $DB -e "CREATE TABLE comp (a INT NOT NULL, b VARCHAR(20) NOT NULL, v INT, PRIMARY KEY (a, b)) ENGINE=InnoDB;
	INSERT INTO comp SELECT CAST(seq AS SIGNED) DIV 13 - 20, CONCAT(CHAR(65 + seq % 26 USING latin1), LOWER(CHAR(65 + seq % 7 USING latin1)), seq), seq FROM seq_1_to_1500;
	INSERT INTO comp VALUES (-2147483648, '', 1), (2147483647, 'zzz', 2), (5, ' lead', 3), (5, 'tr''ail', 4)"
migrate "composite (int,varchar)" comp 'a, HEX(b), v' 'a, b' 7

# unsigned bigint near 0, 2^63 and 2^64-1
sql $DB -e "CREATE TABLE ubig (id BIGINT UNSIGNED NOT NULL PRIMARY KEY, v VARCHAR(30)) ENGINE=InnoDB;
	INSERT INTO ubig SELECT seq - 1, CONCAT('low', seq) FROM seq_1_to_300;
	INSERT INTO ubig SELECT 18446744073709551615 - (seq - 1), CONCAT('high', seq) FROM seq_1_to_300;
	INSERT INTO ubig SELECT 9223372036854775807 + seq - 150, CONCAT('mid', seq) FROM seq_1_to_300"
migrate "unsigned bigint" ubig 'id, v' id 7
is "$(sql $DB -e "SELECT MIN(id), MAX(id) FROM ubig")" "0	18446744073709551615" "unsigned bigint: 0 and 2^64-1 present"

# varchar in a case-insensitive, accent-insensitive collation
sql4 $DB -e "CREATE TABLE ci (k VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci NOT NULL PRIMARY KEY, v INT) ENGINE=InnoDB;
	INSERT INTO ci SELECT CONCAT(ELT(seq % 10 + 1, 'a', 'B', 'é', 'Ö', 'z', 'Ñ', 'ä', 'Z', 'ß', '日'), seq), seq FROM seq_1_to_1200;
	INSERT INTO ci VALUES ('', 0), ('x''y', -1), ('back\\\\slash', -2), ('ÉCOLE', -3), ('ecolf', -4), ('😀', -5)"
migrate "utf8mb4_unicode_ci key" ci 'HEX(k), v' 'k' 7

# utf8mb4_bin: case and accents distinct
sql4 $DB -e "CREATE TABLE bin (k VARCHAR(40) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY, v INT) ENGINE=InnoDB;
	INSERT INTO bin SELECT ELT(seq % 8 + 1, 'a', 'A', 'á', 'Á', 'ab', 'aB', '😀', 'Z') , seq FROM seq_1_to_8;
	INSERT INTO bin SELECT CONCAT(ELT(seq % 8 + 1, 'a', 'A', 'á', 'Á', 'ab', 'aB', '😀', 'Z'), seq), seq FROM seq_1_to_1000;
	INSERT INTO bin VALUES ('q''uote', -1), ('\\\\', -2)"
migrate "utf8mb4_bin key" bin 'HEX(k), v' 'k' 7

# BINARY(16) with every awkward byte
sql $DB -e "CREATE TABLE bytes (k BINARY(16) NOT NULL PRIMARY KEY, v INT) ENGINE=InnoDB;
	INSERT INTO bytes SELECT UNHEX(MD5(seq)), seq FROM seq_1_to_1000;
	INSERT INTO bytes VALUES (UNHEX('00000000000000000000000000000000'), -1), (UNHEX('FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF'), -2),
	  (UNHEX('27000000000000000000000000000000'), -3), (UNHEX('5C000000000000000000000000000000'), -4),
	  (UNHEX('00275C00FF275C00FF275C00FF275C00'), -5), (UNHEX('5C275C275C275C275C275C275C275C27'), -6),
	  (UNHEX('FF00000000000000000000000000005C'), -7), (UNHEX('0000000000000000000000000000005C'), -8),
	  (UNHEX('00000000000000000000000000000027'), -9), (UNHEX('20202020202020202020202020202020'), -10)"
migrate "BINARY(16) key" bytes 'HEX(k), v' 'k' 7

# DATETIME(6)
sql $DB -e "CREATE TABLE dt (k DATETIME(6) NOT NULL PRIMARY KEY, v INT) ENGINE=InnoDB;
	INSERT INTO dt SELECT TIMESTAMP'2020-02-28 23:59:59.999990' + INTERVAL seq * 1234567 MICROSECOND, seq FROM seq_1_to_1000;
	SET SESSION sql_mode='';
	INSERT INTO dt VALUES ('0000-00-00 00:00:00', -1), ('1000-01-01 00:00:00.000001', -2), ('9999-12-31 23:59:59.999999', -3),
	  ('2020-02-29 00:00:00.000000', -4), ('2020-02-29 00:00:00.000001', -5)"
migrate "DATETIME(6) key" dt 'k, v' 'k' 7

# ENUM whose declaration order is not alphabetical, in a composite key
sql $DB -e "CREATE TABLE en (e ENUM('zeta', 'alpha', 'mid') NOT NULL, n INT NOT NULL, v INT, PRIMARY KEY (e, n)) ENGINE=InnoDB;
	INSERT INTO en SELECT ELT(seq % 3 + 1, 'zeta', 'alpha', 'mid'), seq, seq FROM seq_1_to_900"
migrate "ENUM (composite) key" en 'e, n, v' 'e, n' 7

# ENUM alone as the key: one row per value, chunks of one row
sql $DB -e "CREATE TABLE en1 (e ENUM('zeta', 'alpha', 'mid') NOT NULL PRIMARY KEY, v INT) ENGINE=InnoDB;
	INSERT INTO en1 VALUES ('mid', 3), ('alpha', 2), ('zeta', 1)"
migrate "ENUM key" en1 'e, v' 'e' 1
is "$(sql $DB -e "SELECT GROUP_CONCAT(e ORDER BY e) FROM en1")" "zeta,alpha,mid" "ENUM key: all three values, index order"

# PK value 0 (NO_AUTO_VALUE_ON_ZERO): id 0 stays 0
sql $DB -e "CREATE TABLE zero (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, v VARCHAR(10)) ENGINE=InnoDB;
	SET SESSION sql_mode='NO_AUTO_VALUE_ON_ZERO';
	INSERT INTO zero VALUES (0, 'zero');
	INSERT INTO zero (v) SELECT CONCAT('r', seq) FROM seq_1_to_500"
migrate "PK value 0" zero 'id, v' id 7
is "$(sql $DB -e "SELECT v FROM zero WHERE id = 0")" zero "PK value 0: row 0 still has id 0"
is "$(sql $DB -e "SELECT COUNT(*) FROM zero WHERE id = 501")" 0 "PK value 0: not renumbered to a new id"

# no PRIMARY KEY, only a NOT NULL UNIQUE key (and a nullable one to ignore)
sql $DB -e "CREATE TABLE nopk (u VARCHAR(20) NOT NULL, w INT NULL, v INT, UNIQUE KEY w_uk (w), UNIQUE KEY u_uk (u)) ENGINE=InnoDB;
	INSERT INTO nopk SELECT CONCAT('u', seq), IF(seq % 3 = 0, NULL, seq), seq FROM seq_1_to_700"
migrate "NOT NULL UNIQUE key, no PK" nopk 'u, w, v' 'u' 7
like "$(table_ddl $DB nopk)" 'UNIQUE KEY `u_uk` \(`u`\)' "NOT NULL UNIQUE key: the key is still there"

# a collation change that makes two key values equal: a native ALTER fails
# with a duplicate key error; oscar must not silently drop one of the rows
for kind in "PRIMARY KEY" "UNIQUE KEY"; do
	tb=coll_${kind%% *}
	if [ "$kind" = "PRIMARY KEY" ]; then
		sql4 $DB -e "CREATE TABLE $tb (s VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY, v INT) ENGINE=InnoDB"
	else
		sql4 $DB -e "CREATE TABLE $tb (id INT NOT NULL PRIMARY KEY, s VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL, v INT, UNIQUE KEY (s)) ENGINE=InnoDB"
	fi
	sql4 $DB -e "INSERT INTO $tb (s, v) SELECT CONCAT('k', seq), seq FROM seq_1_to_200; INSERT INTO $tb (s, v) VALUES ('a', -1), ('A', -2), ('á', -3)" 2>/dev/null ||
		sql4 $DB -e "INSERT INTO $tb SELECT seq, CONCAT('k', seq), seq FROM seq_1_to_200; INSERT INTO $tb VALUES (1001, 'a', -1), (1002, 'A', -2), (1003, 'á', -3)"
	pre=$(dump_cols $DB $tb 'HEX(s), v' 'v')
	n=$(count_rows $DB $tb)
	oscar_run --database=$DB --table=$tb --alter="MODIFY s VARCHAR(10) CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci NOT NULL" --execute --chunk-size=7
	ok "$([ "$RC" != 0 ] && echo 0 || echo 1)" "collation change making $kind values collide: not a success (exit $RC)"
	is "$(count_rows $DB $tb)" "$n" "collation change making $kind values collide: row count unchanged ($n)"
	is "$(dump_cols $DB $tb 'HEX(s), v' 'v')" "$pre" "collation change making $kind values collide: no row lost, data unchanged"
	is "$(leftovers $DB)" "" "collation change making $kind values collide: nothing left behind"
done

sql -e "DROP DATABASE $DB"
