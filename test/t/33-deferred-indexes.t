#!/usr/bin/env bash
# Secondary indexes built after the copy, and the copy logged as statements.
# The table oscar leaves must have exactly the definition the server's own
# ALTER gives (every kind of key, deferred or not), pass CHECK TABLE, and hold
# the same rows; the index build must give way to a metadata lock held by an
# application transaction, stop resumable after --lock-retries and finish on
# the next run; a kill before or during the build must resume. The binary log
# must carry the chunks as statements only when that is safe.
source "$(dirname "$0")/../lib/common.sh"

DB=oscar_t33
fresh_db $DB

mk() { # mk TABLE: many kinds of keys, 20000 rows
	sql $DB -e "DROP TABLE IF EXISTS \`$1\`;
	CREATE TABLE \`$1\` (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, a INT NOT NULL, b VARCHAR(200) NOT NULL,
	  c DATETIME(6) NULL, u VARCHAR(40) NULL, doc TEXT NULL, v INT AS (a * 2) VIRTUAL,
	  KEY k_v (v), KEY k_a (a), KEY \`k b\`\`q\` (b(20), a) COMMENT 'prefix, quoted name', KEY k_c_desc (c DESC),
	  KEY k_ign (a, c) IGNORED, UNIQUE KEY uk_u (u), FULLTEXT KEY ft_doc (doc)) ENGINE=InnoDB;
	INSERT INTO \`$1\` (a, b, c, u, doc) SELECT seq % 977, CONCAT('name-', seq * 7919 % 20000),
	  '2024-01-01' + INTERVAL seq SECOND, IF(seq % 5 = 0, NULL, CONCAT('u', seq)), CONCAT('word', seq % 50)
	  FROM seq_1_to_20000"
}
ALTER="ADD COLUMN x INT NOT NULL DEFAULT 3, ADD KEY k_x (x, a), DROP KEY k_c_desc, ADD KEY k_c (c)"

# The server's own result, to compare with.
mk native
sql $DB -e "ALTER TABLE native $ALTER, ALGORITHM=COPY"
want_ddl=$(table_ddl $DB native | sed 's/`native`/`t`/')
want_rows=$(dump_table $DB native id)

# 1. the dry run names the indexes it would defer: plain keys over stored
# columns, not the unique, full-text or virtual-column ones
mk t
oscar_run --database=$DB --table=t --alter="$ALTER"
is "$RC" 0 "dry run: exit 0"
is "$(printf '%s\n' "$OUT" | sed -n 's/^indexes built after the copy (the triggers log the keys they change meanwhile): //p')" 'k_a, k b`q, k_ign, k_x, k_c' \
	"dry run: lists the deferred indexes (not uk_u, ft_doc, k_v)"
like "$OUT" "copy statements in the binary log: as statements" "dry run: the copy would be logged as statements"

# 2. the run: same definition and rows as the native ALTER, CHECK TABLE clean
pos=$(sql -e "SHOW MASTER STATUS" | cut -f1,2)
oscar_run --database=$DB --table=t --alter="$ALTER" --execute --json
is "$RC" 0 "run: exit 0"
[ "$RC" = 0 ] || diag "$ERR"
is "$(table_ddl $DB t)" "$want_ddl" "run: table definition equals the native ALTER's"
is "$(dump_table $DB t id)" "$want_rows" "run: rows equal the native ALTER's"
is "$(sql $DB -e "CHECK TABLE t EXTENDED" | cut -f3,4 | tail -1)" "$(printf 'status\tOK')" "run: CHECK TABLE EXTENDED is OK"
like "$(printf '%s\n' "$OUT" | grep '"event":"indexes"')" '"indexes_built":5' "run: indexes event says 5 built"
# one ALTER added them, with the server's online algorithm
events=$(sql -e "SHOW BINLOG EVENTS IN '${pos%%	*}' FROM ${pos##*	}" | awk -F'\t' '$3 == "Query" { print $6 }')
like "$events" "ALTER TABLE \`$DB\`.\`_t_new\` ADD KEY \`k_a\`.*ALGORITHM=INPLACE, LOCK=NONE" "binlog: the index build"
like "$events" "INSERT IGNORE INTO \`$DB\`.\`_t_new\`.* SELECT .* LOCK IN SHARE MODE" "binlog: chunks logged as statements"
is "$(leftovers $DB)" "" "run: nothing left behind"

# 3. --defer-indexes=never and --copy-binlog-format=row: same result, no index
# build, no chunk statement in the binary log
mk t
pos=$(sql -e "SHOW MASTER STATUS" | cut -f1,2)
oscar_run --database=$DB --table=t --alter="$ALTER" --execute --json --defer-indexes=never --copy-binlog-format=row
is "$RC" 0 "no deferral: exit 0"
is "$(table_ddl $DB t)" "$want_ddl" "no deferral: table definition equals the native ALTER's"
is "$(dump_table $DB t id)" "$want_rows" "no deferral: rows equal"
is "$(printf '%s\n' "$OUT" | grep -c '"event":"indexes"')" 0 "no deferral: no indexes event"
events=$(sql -e "SHOW BINLOG EVENTS IN '${pos%%	*}' FROM ${pos##*	}" | awk -F'\t' '$3 == "Query" { print $6 }')
is "$(printf '%s\n' "$events" | grep -c "LOCK IN SHARE MODE")" 0 "row format: no chunk statement in the binary log"

# 4. statement logging only when safe: an added unique key, an added
# AUTO_INCREMENT-free table with a UUID() default
for case in "ADD UNIQUE KEY uk_ab (a, b, id)|the new table has a unique key the old one did not enforce" \
	    "MODIFY u VARCHAR(40) CHARACTER SET utf8mb4 NULL|the new table has a unique key the old one did not enforce" \
	    "ADD COLUMN g VARCHAR(40) NOT NULL DEFAULT (UUID())|an added column's default is an expression"; do
	alter=${case%%|*} why=${case#*|}
	mk t
	extra=""
	[[ "$alter" == *UNIQUE* ]] && extra=--allow-unique-key-change
	oscar_run --database=$DB --table=t --alter="$alter" $extra
	like "$OUT" "copy statements in the binary log: by row \($why\)" "dry run of '$alter': by row ($why)"
	pos=$(sql -e "SHOW MASTER STATUS" | cut -f1,2)
	oscar_run --database=$DB --table=t --alter="$alter" $extra --execute
	is "$RC" 0 "'$alter': exit 0"
	events=$(sql -e "SHOW BINLOG EVENTS IN '${pos%%	*}' FROM ${pos##*	}" | awk -F'\t' '$3 == "Query" { print $6 }')
	is "$(printf '%s\n' "$events" | grep -c "LOCK IN SHARE MODE")" 0 "'$alter': chunks logged by row"
done

# 5. an application transaction that wrote the table holds the shadow's
# metadata lock (through the triggers) until it ends: the build gives way
# after --lock-wait-timeout each time, other writers are not held up, and
# after --lock-retries the run stops resumable (exit 7)
mk t
# the copy-done hook starts the blocking transaction, after the copy and
# before the build: it updates a row already copied, then sleeps; the hook
# returns once the UPDATE is done (its SLEEP runs), or fails after 10 s
cat >"$TMP/blocker.sh" <<EOF
#!/bin/sh
mariadb --no-defaults -uroot --socket='$OSCAR_SOCKET' $DB -e "BEGIN; UPDATE t SET a = a + 1 WHERE id = 1; SELECT SLEEP(6); COMMIT" >/dev/null 2>&1 &
echo \$! >'$TMP/blocker.pid'
i=0
until [ "\$(mariadb --no-defaults -uroot --socket='$OSCAR_SOCKET' -N -B -e "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(6)%'")" = 1 ]; do
	i=\$((i + 1))
	[ \$i -le 200 ] || exit 1
	sleep 0.05
done
EOF
chmod +x "$TMP/blocker.sh"
oscar --database=$DB --table=t --alter="$ALTER" --execute --json --hook="copy-done:$TMP/blocker.sh" \
	--lock-wait-timeout=0.2 --lock-retries=4 >"$TMP/ev5" 2>"$TMP/err5" &
opid=$!
# while the build retries, a write by another session goes through
wait_for 5 grep -q '"what":"building the indexes"' "$TMP/ev5"
t0=$(date +%s%N)
sql $DB -e "UPDATE t SET a = a + 1 WHERE id = 2"
ok $? "blocked build: another session's write succeeds"
t1=$(date +%s%N)
wait_exit $opid
RC=$?
is "$RC" 7 "blocked build: stops resumable (exit 7) after --lock-retries"
[ "$RC" = 7 ] || diag "$(tail -5 "$TMP/err5")"
ok $(( (t1 - t0) / 1000000 < 2000 ? 0 : 1 )) "blocked build: that write waited less than the blocker's 6 s ($(( (t1 - t0) / 1000000 )) ms)"
is "$(grep -c '"what":"building the indexes"' "$TMP/ev5")" 4 "blocked build: a lock_wait event per attempt"
like "$(cat "$TMP/err5")" "open transaction may hold the lock: thread" "blocked build: the blocker is named"
is "$(sql -e "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME IN ('_t_new','_oscar_state')")" 2 \
	"blocked build: shadow and job state kept"
blocker_gone() { ! kill -0 "$(cat "$TMP/blocker.pid")" 2>/dev/null; }
wait_for 30 blocker_gone
ok $? "blocked build: the blocking transaction ended"
oscar_run --database=$DB --table=t --alter="$ALTER" --execute
is "$RC" 0 "blocked build: the same command then finishes"
is "$(table_ddl $DB t)" "$want_ddl" "blocked build: table definition equals the native ALTER's"
is "$(sql $DB -e "SELECT SUM(a) FROM t")" "$(( $(sql $DB -e "SELECT SUM(a) FROM native") + 2 ))" \
	"blocked build: both writes are in the table"
is "$(leftovers $DB)" "" "blocked build: nothing left behind"

# 6. killed before and during the build: the same command resumes
for point in before-indexes during-indexes; do
	mk t
	OSCAR_FAULT=$point oscar_run --database=$DB --table=t --alter="$ALTER" --execute
	is "$RC" 137 "$point: killed"
	sql $DB -e "UPDATE t SET b = 'changed after the kill' WHERE id = 77"
	oscar_run --database=$DB --table=t --alter="$ALTER" --execute
	is "$RC" 0 "$point: the same command resumes and finishes"
	[ "$RC" = 0 ] || diag "$ERR"
	is "$(table_ddl $DB t)" "$want_ddl" "$point: table definition equals the native ALTER's"
	is "$(sql $DB -e "SELECT b FROM t WHERE id = 77")" "changed after the kill" "$point: the later write is there"
	is "$(sql $DB -e "CHECK TABLE t" | cut -f4 | tail -1)" "OK" "$point: CHECK TABLE is OK"
	is "$(leftovers $DB)" "" "$point: nothing left behind"
done

# 7. --defer-indexes=auto (the default) with writers from the start: the
# indexes are built after the copy, the triggers logging the keys they change
# meanwhile (src/keylog.c, test/t/48-key-log.t); --defer-indexes=always too
for mode in auto always; do
	mk t
	rm -f "$TMP/wstop7" "$TMP/wready7"
	perl -MDBI -e 'my ($s, $db, $stop, $ready) = @ARGV;
		my $h = DBI->connect("DBI:mysql:database=$db;mysql_socket=$s", "root", "", { RaiseError => 1 });
		open(my $f, ">", $ready); close($f);
		until (-e $stop) { $h->do("UPDATE t SET a = a + 1 WHERE id = ?", undef, 1 + int(rand(20000))); }' \
		"$OSCAR_SOCKET" $DB "$TMP/wstop7" "$TMP/wready7" &
	wpid=$!
	wait_for 30 test -e "$TMP/wready7"
	oscar_run --database=$DB --table=t --alter="$ALTER" --execute --json --defer-indexes=$mode
	touch "$TMP/wstop7"
	wait_exit $wpid
	is "$RC" 0 "writers, --defer-indexes=$mode: exit 0"
	is "$(table_ddl $DB t)" "$want_ddl" "writers, --defer-indexes=$mode: table definition equals the native ALTER's"
	is "$(sql $DB -e "CHECK TABLE t" | cut -f4 | tail -1)" "OK" "writers, --defer-indexes=$mode: CHECK TABLE is OK"
	like "$(printf '%s\n' "$OUT" | grep '"event":"indexes"')" '"indexes_built":5' "writers, --defer-indexes=$mode: 5 built after the copy"
	like "$ERR" "while the indexes are built the triggers log the keys they change" \
		"writers, --defer-indexes=$mode: the triggers logged keys during the build"
	is "$(leftovers $DB)" "" "writers, --defer-indexes=$mode: nothing left behind"
done
