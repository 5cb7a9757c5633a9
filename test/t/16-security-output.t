#!/usr/bin/env bash
# The password never shows (process list, stderr, JSON); option files work;
# the --json stream is valid JSON with the documented fields; identifiers with
# backticks, quotes, backslashes and LIKE wildcards are quoted everywhere.
source "$(dirname "$0")/../lib/common.sh"

DB=oscar_t16
fresh_db $DB
SECRET='S3cr3t-Pw-42zq'
USER_=oscar_sec
sql -e "DROP USER IF EXISTS '$USER_'@'127.0.0.1'; CREATE USER '$USER_'@'127.0.0.1' IDENTIFIED BY '$SECRET';
	GRANT ALL ON *.* TO '$USER_'@'127.0.0.1'"
sql $DB -e "CREATE TABLE t (id INT NOT NULL PRIMARY KEY, v VARCHAR(20)) ENGINE=InnoDB;
	INSERT INTO t SELECT seq, CONCAT('v', seq) FROM seq_1_to_5000"
TCP=(--host=127.0.0.1 --port="$OSCAR_PORT")
no_secret() { # no_secret NAME FILE...
	if grep -q -- "$SECRET" "${@:2}"; then
		ok 1 "$1: password not shown"
		diag "$(grep -h -- "$SECRET" "${@:2}" | head -3)"
	else
		ok 0 "$1: password not shown"
	fi
}

# --password=SECRET over TCP, kept alive by a pause file
PF=$TMP/pause
touch "$PF"
"$OSCAR_BIN" "${TCP[@]}" --user=$USER_ --password="$SECRET" --database=$DB --table=t \
	--alter="ADD COLUMN z INT" --execute --json --pause-file="$PF" >"$TMP/pw.out" 2>"$TMP/pw.err" &
PID=$!
paused() { grep -q '"event":"pause"' "$TMP/pw.out"; }
wait_for 20 paused
ok $? "--password: oscar connected and is paused"
CMDLINE=$(tr '\0' ' ' <"/proc/$PID/cmdline")
if printf '%s' "$CMDLINE" | grep -q -- "$SECRET"; then ok 1 "/proc/PID/cmdline does not show the password"; diag "$CMDLINE"
else ok 0 "/proc/PID/cmdline does not show the password"; fi
like "$CMDLINE" "--password=x+ " "/proc/PID/cmdline shows the password option scrubbed"
is "$(sql -e "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER='$USER_' AND HOST LIKE '127.0.0.1:%'")" 1 \
	"--password: connected as $USER_ over TCP"
rm -f "$PF"
wait_exit $PID
is "$?" 0 "--password: the run finishes, exit 0"
like "$(table_ddl $DB t)" '`z` int' "--password: table altered"
no_secret "--password (stderr and --json stdout)" "$TMP/pw.out" "$TMP/pw.err"

# a wrong password is not echoed either
"$OSCAR_BIN" "${TCP[@]}" --user=$USER_ --password="${SECRET}-wrong" --database=$DB --table=t \
	--alter="ADD COLUMN z2 INT" --json >"$TMP/bad.out" 2>"$TMP/bad.err"
is "$?" 4 "wrong password: exit 4"
no_secret "wrong password" "$TMP/bad.out" "$TMP/bad.err"

# --password SECRET as two words is refused, without printing the password
"$OSCAR_BIN" "${TCP[@]}" --user=$USER_ --database=$DB --table=t --alter="ADD COLUMN z2 INT" \
	--password "$SECRET" >"$TMP/two.out" 2>"$TMP/two.err" </dev/null
is "$?" 2 "--password SECRET (two words): usage error"
no_secret "--password SECRET (two words)" "$TMP/two.out" "$TMP/two.err"

# --defaults-file with a [client] password
cat >"$TMP/my.cnf" <<EOF
[client]
user=$USER_
password=$SECRET
host=127.0.0.1
port=$OSCAR_PORT
EOF
"$OSCAR_BIN" --defaults-file="$TMP/my.cnf" --database=$DB --table=t --alter="ADD COLUMN from_file INT" --execute \
	>"$TMP/df.out" 2>"$TMP/df.err"
is "$?" 0 "--defaults-file: exit 0"
like "$(table_ddl $DB t)" '`from_file` int' "--defaults-file: table altered"
no_secret "--defaults-file" "$TMP/df.out" "$TMP/df.err"
sed "s/^password=.*/password=${SECRET}-wrong/" "$TMP/my.cnf" >"$TMP/bad.cnf"
"$OSCAR_BIN" --defaults-file="$TMP/bad.cnf" --database=$DB --table=t --alter="ADD COLUMN z3 INT" >/dev/null 2>"$TMP/dfbad.err"
is "$?" 4 "--defaults-file with a wrong password: exit 4 (the file's password is what is used)"
like "$(cat "$TMP/dfbad.err")" "Access denied for user '$USER_'" "--defaults-file with a wrong password: user from the file"
sql -e "DROP USER '$USER_'@'127.0.0.1'"

# the --json stream
sql $DB -e "CREATE TABLE j (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, v INT) ENGINE=InnoDB;
	INSERT INTO j (v) SELECT seq FROM seq_1_to_5000"
oscar --database=$DB --table=j --alter="ADD COLUMN w INT" --execute --json --chunk-size=700 >"$TMP/j.out" 2>"$TMP/j.err"
is "$?" 0 "--json run: exit 0"
python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]' <"$TMP/j.out"
ok $? "--json: every stdout line is valid JSON"
is "$(grep -vc '^{.*}$' "$TMP/j.out")" 0 "--json: nothing but JSON objects on stdout"
check_json() { # check_json EXPR: python expression over ev (events) printing a value
	python3 -c "
import json, sys
ev = [json.loads(l) for l in open(sys.argv[1])]
def of(kind): return [e for e in ev if e.get('event') == kind]
def has(e, *keys): return all(k in e for k in keys)
print($1)" "$TMP/j.out"
}
is "$(check_json "[e['event'] for e in ev if e['event'] in ('start','cutover','done')]")" "['start', 'cutover', 'done']" \
	"--json: start, cutover, done in order"
is "$(check_json "len(of('chunk'))")" 8 "--json: 8 chunk events (5000 rows by 700)"
is "$(check_json "all(has(e, 'chunk_rows', 'chunk_s', 'chunk_size', 'next_chunk_size', 'rows_copied', 'rows_estimated', 'ts', 'run_id', 'database', 'table') for e in of('chunk'))")" \
	True "--json: chunk events have chunk_rows, chunk_s, chunk_size, next_chunk_size, rows_copied, rows_estimated and the run's names"
is "$(check_json "[e['rows_copied'] for e in of('chunk')]")" "[700, 1400, 2100, 2800, 3500, 4200, 4900, 5000]" "--json: rows_copied grows by the chunk's rows"
is "$(check_json "all(e['rows_estimated'] >= e['rows_copied'] and e['chunk_size'] == 700 and isinstance(e['chunk_s'], float) for e in of('chunk'))")" \
	True "--json: chunk values are consistent"
is "$(check_json "has(of('start')[0], 'database', 'table', 'alter', 'execute') and of('start')[0]['table'] == 'j' and of('start')[0]['execute'] is True")" \
	True "--json: start event names the table"
is "$(check_json "has(of('cutover')[0], 'lock_wait_ms', 'rename_ms', 'attempts') and of('cutover')[0]['attempts'] == 1 and of('cutover')[0]['rename_ms'] >= 0")" \
	True "--json: cutover has lock_wait_ms, rename_ms, attempts"
is "$(check_json "has(of('done')[0], 'rows_copied', 'elapsed_s') and of('done')[0]['rows_copied'] == 5000")" \
	True "--json: done has rows_copied (5000) and elapsed_s"

# identifiers with backticks, quotes, backslashes and LIKE wildcards
WDB="we\`ird'db"
WT='t`x'
WC='c"o`l'
WT2='b\s%_"x'
sql -e "DROP DATABASE IF EXISTS $(qi "$WDB"); CREATE DATABASE $(qi "$WDB")"
for tb in "$WT" "$WT2"; do
	sql4 -e "CREATE TABLE $(qi "$WDB").$(qi "$tb") (\`i'd\` INT NOT NULL PRIMARY KEY, $(qi "$WC") VARCHAR(20), v INT) ENGINE=InnoDB;
		INSERT INTO $(qi "$WDB").$(qi "$tb") SELECT seq, IF(seq % 3 = 0, NULL, CONCAT('v''\\\\\"', seq)), seq FROM $DB.seq_1_to_1000"
done
wddl() { sql -e "SHOW CREATE TABLE $(qi "$WDB").$(qi "$1")" | cut -f2; }
pre=$(dump_cols "$WDB" "$WT" "\`i'd\`, $(qi "$WC"), v" "\`i'd\`")
oscar_run --database="$WDB" --table="$WT" --alter="ADD COLUMN \`n\"e\`\`w\` INT DEFAULT 5, CHANGE $(qi "$WC") \`c'2\` VARCHAR(40)" \
	--execute --chunk-size=7
is "$RC" 0 "weird names: exit 0"
[ "$RC" = 0 ] || diag "$(grep error "$TMP/oscar.err" | tail -3)"
like "$(wddl "$WT")" '`n"e``w` int\(11\) DEFAULT 5' "weird names: new column added"
like "$(wddl "$WT")" "\`c'2\` varchar\(40\)" "weird names: column renamed"
is "$(dump_cols "$WDB" "$WT" "\`i'd\`, \`c'2\`, v" "\`i'd\`")" "$pre" "weird names: data followed the rename"
is "$(leftovers_q "$WDB")" "" "weird names: nothing left behind"

# the triggers and --cleanup with such names
pre=$(dump_cols "$WDB" "$WT2" "\`i'd\`, $(qi "$WC"), v" "\`i'd\`")
oscar_run --database="$WDB" --table="$WT2" --alter="ADD COLUMN \`n\"e\`\`w\` INT DEFAULT 5" --execute --no-swap --chunk-size=7
is "$RC" 0 "weird names, --no-swap: exit 0"
is "$(sql -e "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA=$(qs "$WDB") AND EVENT_OBJECT_TABLE=$(qs "$WT2")")" 3 \
	"weird names, --no-swap: three triggers"
sql -e "INSERT INTO $(qi "$WDB").$(qi "$WT2") VALUES (5001, 'q''uote', 1); UPDATE $(qi "$WDB").$(qi "$WT2") SET v = -v WHERE \`i'd\` % 7 = 0;
	DELETE FROM $(qi "$WDB").$(qi "$WT2") WHERE \`i'd\` % 11 = 0; UPDATE $(qi "$WDB").$(qi "$WT2") SET \`i'd\` = \`i'd\` + 10000 WHERE \`i'd\` < 20"
is "$(dump_cols "$WDB" "_${WT2}_new" "\`i'd\`, $(qi "$WC"), v" "\`i'd\`")" "$(dump_cols "$WDB" "$WT2" "\`i'd\`, $(qi "$WC"), v" "\`i'd\`")" \
	"weird names, --no-swap: writes reach the shadow"
n_before=$(count_rows "$WDB" "$WT2")
oscar_run --database="$WDB" --table="$WT2" --cleanup --execute
is "$RC" 0 "weird names, --cleanup: exit 0"
is "$(leftovers_q "$WDB")" "" "weird names, --cleanup: nothing left"
is "$(count_rows "$WDB" "$WT2")" "$n_before" "weird names, --cleanup: original table untouched ($n_before rows)"

sql -e "DROP DATABASE $(qi "$WDB"); DROP DATABASE $DB"
