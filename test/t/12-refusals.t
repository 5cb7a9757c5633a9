#!/usr/bin/env bash
# Every refusal: the documented exit status, one error line on stderr that
# names the object, and the server exactly as it was.
source "$(dirname "$0")/../lib/common.sh"

DB=oscar_t12
fresh_db $DB
A=(--database=$DB)

# refused NAME EXIT REGEX ARGS...: oscar ARGS must exit EXIT with exactly one
# "error:" line matching REGEX, and change nothing on the server.
refused() {
	local name=$1 want=$2 re=$3; shift 3
	local before
	before=$(server_state)
	oscar_run "$@"
	is "$RC" "$want" "$name: exit $want"
	is "$(grep -c 'error: ' "$TMP/oscar.err")" 1 "$name: exactly one error line"
	like "$(grep 'error: ' "$TMP/oscar.err")" "$re" "$name: the error names it"
	is "$(server_state)" "$before" "$name: server unchanged"
}

# usage NAME REGEX ARGS...: exit 2, one line on stderr naming the problem.
usage_cases=0
usage_not_error=()
usage() {
	local name=$1 re=$2; shift 2
	local before
	before=$(server_state)
	oscar_run "$@"
	is "$RC" 2 "$name: exit 2"
	is "$(wc -l <"$TMP/oscar.err")" 1 "$name: one line on stderr"
	like "$ERR" "$re" "$name: the message names the problem"
	usage_cases=$((usage_cases + 1))
	printf '%s' "$ERR" | grep -q 'error: ' || usage_not_error+=("$ERR")
	is "$OUT" "" "$name: nothing on stdout"
	is "$(server_state)" "$before" "$name: server unchanged"
}

sql $DB -e "CREATE TABLE t (id INT NOT NULL PRIMARY KEY, v INT, w INT) ENGINE=InnoDB;
	INSERT INTO t SELECT seq, seq % 10, IF(seq % 4 = 0, NULL, seq) FROM seq_1_to_100"
SUM0=$(sql $DB -e "CHECKSUM TABLE t" | cut -f2)

refused "table missing" 3 "'nope'.*does not exist" "${A[@]}" --table=nope --alter="ADD COLUMN z INT" --execute

sql $DB -e "CREATE TABLE my (id INT PRIMARY KEY) ENGINE=MyISAM; CREATE TABLE ar (id INT PRIMARY KEY) ENGINE=Aria;
	CREATE VIEW vw AS SELECT * FROM t"
refused "MyISAM" 3 "'my'.*MyISAM" "${A[@]}" --table=my --alter="ADD COLUMN z INT" --execute
refused "Aria" 3 "'ar'.*Aria" "${A[@]}" --table=ar --alter="ADD COLUMN z INT" --execute
refused "view" 3 "'vw'.*not a base table" "${A[@]}" --table=vw --alter="ADD COLUMN z INT" --execute

sql $DB -e "CREATE TABLE nokey (a INT, b INT) ENGINE=InnoDB; INSERT INTO nokey VALUES (1, 1), (2, 2);
	CREATE TABLE nullkey (a INT NULL, b INT, UNIQUE KEY (a)) ENGINE=InnoDB; INSERT INTO nullkey VALUES (1, 1), (NULL, 2)"
refused "no key" 3 "'nokey'.*PRIMARY KEY" "${A[@]}" --table=nokey --alter="ADD COLUMN z INT" --execute
refused "only a nullable unique key" 3 "'nullkey'.*PRIMARY KEY" "${A[@]}" --table=nullkey --alter="ADD COLUMN z INT" --execute
refused "ALTER drops the only key" 3 "'t'.*PRIMARY KEY" "${A[@]}" --table=t --alter="DROP PRIMARY KEY" --execute

refused "RENAME TO" 3 "renames the table" "${A[@]}" --table=t --alter="RENAME TO t2" --execute
refused "RENAME AS, after another clause" 3 "renames the table" "${A[@]}" --table=t --alter="ADD COLUMN z INT, RENAME AS t2" --execute
refused "';' in the ALTER" 3 "';'" "${A[@]}" --table=t --alter="ADD COLUMN z INT; DROP TABLE t" --execute
refused "syntax error" 3 "errno 1064.*SQL syntax.*near 'NOT NULL'" "${A[@]}" --table=t --alter="ADD COLUMN z INT NOT NOT NULL" --execute
refused "unknown type" 3 "errno 4161.*'INTT'" "${A[@]}" --table=t --alter="ADD COLUMN z INTT" --execute
refused "unknown column" 3 "errno 1091.*nosuchcol" "${A[@]}" --table=t --alter="DROP COLUMN nosuchcol" --execute

# a new unique key: refused without the option; with it, the data decides
refused "ADD UNIQUE KEY without --allow-unique-key-change" 3 "'uk_v'.*--allow-unique-key-change" \
	"${A[@]}" --table=t --alter="ADD UNIQUE KEY uk_v (v)" --execute
before=$(server_state)
oscar_run "${A[@]}" --table=t --alter="ADD UNIQUE KEY uk_v (v)" --execute --allow-unique-key-change
is "$RC" 3 "ADD UNIQUE KEY with duplicates: exit 3"
like "$ERR" "duplicate for 'uk_v': \(0\) appears 10 times" "ADD UNIQUE KEY with duplicates: duplicates reported"
like "$(grep 'refused' "$TMP/oscar.err")" "'uk_v' has 10 duplicated values" "ADD UNIQUE KEY with duplicates: refusal names the key and count"
is "$(server_state)" "$before" "ADD UNIQUE KEY with duplicates: server unchanged"
is "$(sql $DB -e "CHECKSUM TABLE t" | cut -f2)" "$SUM0" "ADD UNIQUE KEY with duplicates: data unchanged"

sql $DB -e "CREATE TABLE u (id INT NOT NULL PRIMARY KEY, v INT NOT NULL) ENGINE=InnoDB; INSERT INTO u SELECT seq, seq * 3 FROM seq_1_to_100"
oscar_run "${A[@]}" --table=u --alter="ADD UNIQUE KEY uk_v (v)" --execute --allow-unique-key-change
is "$RC" 0 "ADD UNIQUE KEY without duplicates: exit 0"
like "$(table_ddl $DB u)" 'UNIQUE KEY `uk_v` \(`v`\)' "ADD UNIQUE KEY without duplicates: key added"
is "$(count_rows $DB u)" 100 "ADD UNIQUE KEY without duplicates: all rows kept"
is "$(leftovers $DB)" "" "ADD UNIQUE KEY without duplicates: nothing left behind"

# NULLs never collide in a unique key: several NULLs are not duplicates
sql $DB -e "CREATE TABLE un (id INT NOT NULL PRIMARY KEY, w INT NULL) ENGINE=InnoDB;
	INSERT INTO un SELECT seq, IF(seq % 4 = 0, NULL, seq) FROM seq_1_to_100"
oscar_run "${A[@]}" --table=un --alter="ADD UNIQUE KEY uk_w (w)" --execute --allow-unique-key-change
is "$RC" 0 "ADD UNIQUE KEY on a column with several NULLs (no real duplicates): exit 0"
[ "$RC" = 0 ] || diag "$(grep 'error' "$TMP/oscar.err")"
is "$(count_rows $DB un)" 100 "ADD UNIQUE KEY on a column with NULLs: all 100 rows kept"

# leftovers of an earlier run
sql $DB -e "CREATE TABLE _t_new LIKE t"
refused "leftover shadow table" 3 "'_t_new'.*--cleanup" "${A[@]}" --table=t --alter="ADD COLUMN z INT" --execute
sql $DB -e "DROP TABLE _t_new; CREATE TABLE _t_old LIKE t"
refused "leftover old table" 3 "'_t_old'" "${A[@]}" --table=t --alter="ADD COLUMN z INT" --execute
sql $DB -e "DROP TABLE _t_old; CREATE TRIGGER oscar_t_upd AFTER UPDATE ON t FOR EACH ROW SET @x = 1"
refused "leftover oscar trigger" 3 "'oscar_t_upd'.*--cleanup" "${A[@]}" --table=t --alter="ADD COLUMN z INT" --execute
sql $DB -e "DROP TRIGGER oscar_t_upd; CREATE TRIGGER my_audit BEFORE INSERT ON t FOR EACH ROW SET NEW.w = NEW.w"
refused "user trigger using a dropped column" 3 "trigger 'my_audit' references column 'w'" "${A[@]}" --table=t --alter="DROP COLUMN w" --execute
sql $DB -e "DROP TRIGGER my_audit"

# foreign keys, either direction
sql $DB -e "CREATE TABLE parent (id INT PRIMARY KEY) ENGINE=InnoDB;
	CREATE TABLE child (id INT PRIMARY KEY, pid INT, CONSTRAINT fk_child_parent FOREIGN KEY (pid) REFERENCES parent (id)) ENGINE=InnoDB;
	INSERT INTO parent VALUES (1), (2); INSERT INTO child VALUES (1, 1), (2, 2)"
refused "referenced by a foreign key" 3 "'parent'.*child.*fk_child_parent" "${A[@]}" --table=parent --alter="ADD COLUMN z INT" --execute
# the table's own foreign keys are carried under a toggled name (_fk...),
# which must be free in the schema
sql $DB -e "CREATE TABLE other (id INT PRIMARY KEY, pid INT, CONSTRAINT _fk_child_parent FOREIGN KEY (pid) REFERENCES parent (id)) ENGINE=InnoDB"
refused "own foreign key whose new name is taken" 3 "foreign key 'fk_child_parent' needs the name '_fk_child_parent'.*another table" \
	"${A[@]}" --table=child --alter="ADD COLUMN z INT" --execute
sql $DB -e "DROP TABLE other"

# another oscar holds the table's lock
sql -e "SELECT GET_LOCK('oscar:$DB.t', 0), SLEEP(30)" >/dev/null 2>&1 &
holder=$!
lock_taken() { [ "$(sql -e "SELECT IS_USED_LOCK('oscar:$DB.t') IS NOT NULL")" = 1 ]; }
wait_for 10 lock_taken
ok $? "lock holder is connected"
holder_conn=$(sql -e "SELECT IS_USED_LOCK('oscar:$DB.t')")
refused "table locked by another oscar" 6 "another oscar \(connection $holder_conn\)" "${A[@]}" --table=t --alter="ADD COLUMN z INT" --execute
sql -e "KILL $holder_conn" 2>/dev/null
wait_exit $holder 2>/dev/null

is "$(sql $DB -e "CHECKSUM TABLE t" | cut -f2)" "$SUM0" "after all refusals: data of t unchanged"
is "$(leftovers $DB)" "" "after all refusals: nothing left behind"

# command line
usage "missing --database" "--database" --table=t --alter="ADD COLUMN z INT"
usage "missing --table" "--table" "${A[@]}" --alter="ADD COLUMN z INT"
usage "missing --alter" "--alter" "${A[@]}" --table=t
usage "unknown option" "--bogus" "${A[@]}" --table=t --alter="ADD COLUMN z INT" --bogus
usage "bad --chunk-time (text)" "'abc'.*--chunk-time" "${A[@]}" --table=t --alter="ADD COLUMN z INT" --chunk-time=abc
usage "bad --chunk-time (zero)" "'0'.*--chunk-time" "${A[@]}" --table=t --alter="ADD COLUMN z INT" --chunk-time=0
usage "bad --chunk-time (negative)" "'-1'.*--chunk-time" "${A[@]}" --table=t --alter="ADD COLUMN z INT" --chunk-time=-1
usage "bad --chunk-size" "'0'.*--chunk-size" "${A[@]}" --table=t --alter="ADD COLUMN z INT" --chunk-size=0
usage "bad --max-lock-time" "'0'.*--max-lock-time" "${A[@]}" --table=t --alter="ADD COLUMN z INT" --max-lock-time=0
usage "bad --defer-indexes" "'sometimes'.*--defer-indexes" "${A[@]}" --table=t --alter="ADD COLUMN z INT" --defer-indexes=sometimes
usage "bad --copy-binlog-format" "'mixed'.*--copy-binlog-format" "${A[@]}" --table=t --alter="ADD COLUMN z INT" --copy-binlog-format=mixed
usage "--cleanup with --alter" "--cleanup" "${A[@]}" --table=t --alter="ADD COLUMN z INT" --cleanup
usage "stray argument" "'stray'" "${A[@]}" --table=t --alter="ADD COLUMN z INT" stray
# like every other refusal, a usage error should be an "error:" line
is "${#usage_not_error[@]}" 0 "usage errors: all $usage_cases are 'error:' lines"
for m in "${usage_not_error[@]}"; do diag "not an error: line: $m"; done

# connection failures: exit 4, nothing changed
before=$(server_state)
"$OSCAR_BIN" --socket="$TMP/no-such.sock" --user=root "${A[@]}" --table=t --alter="ADD COLUMN z INT" --execute \
	>"$TMP/out" 2>"$TMP/err"
is "$?" 4 "wrong socket: exit 4"
like "$(grep 'error: ' "$TMP/err")" "cannot connect.*no-such.sock" "wrong socket: error names the socket"
is "$(grep -c 'error: ' "$TMP/err")" 1 "wrong socket: one error line"

sql -e "DROP USER IF EXISTS 'oscar_pw'@'localhost'; CREATE USER 'oscar_pw'@'localhost' IDENTIFIED BY 'right-pw-123';
	GRANT ALL ON *.* TO 'oscar_pw'@'localhost'"
"$OSCAR_BIN" --socket="$OSCAR_SOCKET" --user=oscar_pw --password=wrong-pw-456 "${A[@]}" --table=t \
	--alter="ADD COLUMN z INT" --execute >"$TMP/out" 2>"$TMP/err"
is "$?" 4 "wrong password: exit 4"
like "$(grep 'error: ' "$TMP/err")" "cannot connect.*Access denied.*oscar_pw" "wrong password: error names the user"
ok "$(grep -q 'wrong-pw-456' "$TMP/err" "$TMP/out" && echo 1 || echo 0)" "wrong password: password not echoed"
"$OSCAR_BIN" --socket="$OSCAR_SOCKET" --user=oscar_pw --password=right-pw-123 "${A[@]}" --table=t \
	--alter="ADD COLUMN z INT" >"$TMP/out" 2>"$TMP/err"
is "$?" 0 "right password (dry run): exit 0, so the user itself is fine"
is "$(server_state)" "$before" "connection failures: server unchanged"
sql -e "DROP USER 'oscar_pw'@'localhost'"

sql -e "DROP DATABASE $DB"
