#!/usr/bin/env bash
# While the deferred secondary indexes are built, the triggers log the keys
# they change instead of mirroring (src/keylog.c), so that the build has
# nothing to apply at its end; afterwards every logged key's row is brought
# from the table. Checked: under concurrent writers whose every committed
# write is checked afterwards, the indexes are deferred and the table equals
# what they committed; killed while the triggers log, the changes made then
# are in the key log and not in the shadow, and the same command brings them
# (also after a server restart, which empties the mode); a leftover log is
# replaced, somebody else's table of the name is not used; --cleanup removes
# a leftover; --mirror=all keeps the indexes during the copy while others write.
source "$(dirname "$0")/../lib/common.sh"

DB=oscar_t48
ROWS=20000
fresh_db $DB
mk() { # mk TABLE: the writers' shape with plain secondary keys
	sql $DB -e "DROP TABLE IF EXISTS \`$1\`;
	CREATE TABLE \`$1\` (id BIGINT NOT NULL PRIMARY KEY, u VARCHAR(40) NULL,
	  txt VARCHAR(100) CHARACTER SET utf8mb4 NULL, dt DATETIME(6) NULL, \`dec\` DECIMAL(12,4) NULL,
	  n INT NULL, extra VARCHAR(20) DEFAULT 'e', UNIQUE KEY uk_u (u), KEY k_n (n), KEY k_dt (dt, n)) ENGINE=InnoDB;
	INSERT INTO \`$1\` (id, u, txt, dt, \`dec\`, n)
	  SELECT seq, IF(seq % 7 = 0, NULL, CONCAT('init-', seq)), IF(seq % 11 = 0, NULL, CONCAT('r', seq)),
	         IF(seq % 13 = 0, NULL, TIMESTAMPADD(MICROSECOND, seq * 1000003, '2020-01-01')),
	         IF(seq % 17 = 0, NULL, seq / 7), IF(seq % 19 = 0, NULL, seq * 3) FROM seq_1_to_$ROWS"
}
ALTER="ADD COLUMN added INT NULL DEFAULT 7, ADD KEY k_added (added, id)"
A=(--database=$DB --table=t --alter="$ALTER" --execute)
mk native
sql $DB -e "ALTER TABLE native $ALTER, ALGORITHM=COPY"
want_ddl=$(table_ddl $DB native | sed 's/`native`/`t`/')
chg_rows() { sql $DB -e "SELECT COUNT(*) FROM _t_chg WHERE k IN ($1)"; }

# 1. writers from before the start to after the end: the indexes are
#    deferred while they write, the triggers log during the build (and with
#    --key-log=copy from their creation, the copy running beside the
#    writers), and the table equals what the writers committed
writers_case() { # writers_case NAME OSCAR-OPTIONS...
	local name=$1; shift
	mk t
	local out=$TMP/$name
	mkdir -p "$out"
	local seed=${OSCAR_SEED:-$RANDOM}
	diag "$name: writers' random seed $seed (replay with OSCAR_SEED=$seed)"
	perl "$OSCAR_ROOT/test/lib/writers.pl" "$OSCAR_SOCKET" $DB t 4 "$out/stop" "$out" $seed &
	local wpid=$!
	wait_for 30 test -e "$out/writer3.ready" -a -e "$out/writer2.ready" -a -e "$out/writer1.ready" -a -e "$out/writer0.ready"
	ok $? "$name: writers ready"
	oscar "${A[@]}" --json --chunk-size=500 "$@" >"$out/events" 2>"$out/stderr"
	local rc=$?
	# some more writes after the swap, into the new table
	local base
	base=$(sql $DB -e "SELECT SUM(VARIABLE_VALUE) FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'COM_COMMIT'")
	wait_sql 30 1 "SELECT SUM(VARIABLE_VALUE) > $base + 200 FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'COM_COMMIT'"
	touch "$out/stop"
	wait_exit $wpid
	is "$rc" 0 "$name: oscar exit 0"
	[ "$rc" = 0 ] || diag "$(tail -5 "$out/stderr")"
	is "$WAIT_RC" 0 "$name: writers ran to the end"
	CASE_ERR=$(cat "$out/stderr")
	like "$CASE_ERR" "3 secondary indexes of '_t_new' will be built after the copy" "$name: the indexes deferred while others write"
	like "$CASE_ERR" "brought the rows of the keys logged while the indexes were built" "$name: the logged rows brought"
	like "$(json_events "$out/events" indexes)" '"indexes_built":3' "$name: 3 indexes built"
	like "$(json_events "$out/events" verify)" '"ok":true' "$name: the comparison found the tables equal"
	is "$(table_ddl $DB t)" "$want_ddl" "$name: table definition equals the native ALTER's"
	local diffs
	diffs=$(perl "$OSCAR_ROOT/test/lib/check.pl" "$OSCAR_SOCKET" $DB t "$out")
	ok $? "$name: table equals what the writers committed"
	diag "$diffs" | tail -40
	local errors commits
	errors=$(cat "$out"/writer*.stats | sed -n 's/.*errors=\([0-9]*\).*/\1/p' | awk '{s+=$1} END {print s+0}')
	commits=$(cat "$out"/writer*.stats | sed -n 's/.*commits=\([0-9]*\).*/\1/p' | awk '{s+=$1} END {print s+0}')
	ok "$([ "$commits" -gt 200 ] && echo 0 || echo 1)" "$name: committed during the run ($commits transactions)"
	is "$errors" 0 "$name: saw no errors"
	is "$(sql $DB -e "CHECK TABLE t" | cut -f4 | tail -1)" "OK" "$name: CHECK TABLE is OK"
	is "$(leftovers $DB)" "" "$name: nothing left behind"
}
writers_case writers
like "$CASE_ERR" "while the indexes are built the triggers log the keys they change into '_t_chg'" "writers: the triggers logged during the build"
# paced while the build ran (the watcher looks every 20 ms): a build of
# 0.1 s or more has been held for
build_s=$(sed -n "s/.*built 3 indexes on '_t_new' in \([0-9.]*\) s.*/\1/p" <<<"$CASE_ERR")
if awk -v s="${build_s:-0}" 'BEGIN { exit !(s >= 0.1) }'; then
	like "$CASE_ERR" "the build was paced: the application's statements held [1-9][0-9]* times" "writers: the build was paced (${build_s} s)"
else
	ok 0 "# SKIP writers: the build took ${build_s:-?} s, too short to be paced"
fi
unlike "$CASE_ERR" "beside the application's writes" "writers: the triggers mirrored during the copy"
writers_case writers-copy --key-log=copy
like "$CASE_ERR" "the triggers log the keys they change into '_t_chg' instead of mirroring, until the copy" \
	"writers-copy: the triggers logged keys from their creation"
like "$CASE_ERR" "with INSERT \\.\\.\\. SELECT beside the application's writes" "writers-copy: the copy ran beside them"
like "$CASE_ERR" "verifying before the swap: the triggers log the keys" "writers-copy: compared after the logged rows were brought"

# 2. killed while the triggers log (the build done, the switch back not):
#    writes then go to the key log only; the same command brings them
changes() { # the same changes on t and ref: update, key change, delete, insert; logged keys in several batches of 1,000
	for tb in t ref; do
		sql $DB -e "UPDATE $tb SET n = -1, txt = 'logged' WHERE id IN (10, 20, 30);
		            UPDATE $tb SET \`dec\` = 1 WHERE id BETWEEN 5000 AND 7499; DELETE FROM $tb WHERE id BETWEEN 8000 AND 8099;
		            UPDATE $tb SET id = 50001 WHERE id = 40; DELETE FROM $tb WHERE id IN (50, 60);
		            INSERT INTO $tb (id, u, n) VALUES (50002, 'new-50002', 5)"
	done
}
# others write to another table meanwhile: the copy sees writes (it reads the
# server's counters), and the log is used while others write
sql $DB -e "CREATE TABLE noise (id INT PRIMARY KEY, v INT) ENGINE=InnoDB; INSERT INTO noise VALUES (1, 0)"
noise() { # noise STOPFILE READYFILE
	perl -MDBI -e 'my ($s, $db, $stop, $ready) = @ARGV;
		my $h = DBI->connect("DBI:mysql:database=$db;mysql_socket=$s", "root", "", { RaiseError => 1 });
		open(my $f, ">", $ready); close($f);
		until (-e $stop) { $h->do("UPDATE noise SET v = v + 1 WHERE id = 1"); }' "$OSCAR_SOCKET" $DB "$1" "$2" &
	NOISE=$!
	wait_for 30 test -e "$2"
}
for restart in no yes copy; do
	mk t
	sql $DB -e "DROP TABLE IF EXISTS ref; CREATE TABLE ref LIKE t; INSERT INTO ref SELECT * FROM t"
	rm -f "$TMP/nstop" "$TMP/nready"
	noise "$TMP/nstop" "$TMP/nready"
	if [ $restart = copy ]; then
		# killed in the copy's middle while the triggers log from the start
		OSCAR_FAULT=mid-copy oscar_run "${A[@]}" --key-log=copy --chunk-size=2000
	else
		OSCAR_FAULT=before-keylog-stop oscar_run "${A[@]}"
	fi
	touch "$TMP/nstop"
	wait_exit $NOISE
	is "$RC" 137 "killed while logging (restart $restart): killed"
	[ "$RC" = 137 ] || diag "$ERR"
	if [ $restart = yes ]; then
		if [ -z "${OSCAR_TEST_DIR:-}" ]; then
			ok 0 "# SKIP server restart needs OSCAR_TEST_DIR (run through scripts/run-tests.sh)"
			continue
		fi
		"$OSCAR_ROOT/scripts/testserver.sh" stop "$OSCAR_TEST_DIR"
		"$OSCAR_ROOT/scripts/testserver.sh" start "$OSCAR_TEST_DIR"
		is "$(sql $DB -e "SELECT COUNT(*) FROM _t_bnd")" 0 "restarted: the mode is gone (the triggers mirror every row)"
	else
		is "$(sql $DB -e "SELECT id FROM _t_bnd ORDER BY id")" 2 "killed while logging ($restart): the bound table says log"
	fi
	changes
	if [ $restart != yes ]; then
		is "$(chg_rows "10, 20, 30, 40, 50001, 50, 60, 50002")" 8 "killed while logging ($restart): every changed key logged"
		is "$(sql $DB -e "SELECT COUNT(*) FROM _t_chg")" 2608 "killed while logging ($restart): each key logged once"
		is "$(sql $DB -e "SELECT COUNT(*) FROM _t_new WHERE txt = 'logged' OR id IN (50001, 50002)")" 0 \
			"killed while logging ($restart): nothing mirrored into the shadow"
	else
		is "$(chg_rows "10, 20, 30, 40, 50001, 50, 60, 50002")" 0 "restarted: the changes mirrored, not logged"
	fi
	oscar_run "${A[@]}"
	is "$RC" 0 "killed while logging (restart $restart): the same command finishes"
	[ "$RC" = 0 ] || diag "$ERR"
	like "$ERR" "brought the rows of the keys logged" "killed while logging (restart $restart): the logged rows brought"
	is "$(dump_cols $DB t "id, u, txt, dt, \`dec\`, n, extra" id)" "$(dump_cols $DB ref "id, u, txt, dt, \`dec\`, n, extra" id)" \
		"killed while logging (restart $restart): the table holds every write"
	is "$(table_ddl $DB t)" "$want_ddl" "killed while logging (restart $restart): definition equals the native ALTER's"
	is "$(leftovers $DB)" "" "killed while logging (restart $restart): nothing left behind"
done

# 3. a leftover key log of an earlier run is replaced; somebody else's table
#    of the name is kept and not used
mk t
sql $DB -e "CREATE TABLE _t_chg (k BIGINT NOT NULL PRIMARY KEY) ENGINE=InnoDB COMMENT='oscar: left'; INSERT INTO _t_chg VALUES (1)"
oscar_run "${A[@]}"
is "$RC" 0 "leftover key log: exit 0"
like "$ERR" "dropped '_t_chg', left by an earlier run" "leftover key log: replaced"
is "$(leftovers $DB)" "" "leftover key log: nothing left behind"
mk t
sql $DB -e "CREATE TABLE _t_chg (k INT PRIMARY KEY) ENGINE=InnoDB COMMENT='mine'; INSERT INTO _t_chg VALUES (42)"
oscar_run "${A[@]}"
is "$RC" 0 "someone's _t_chg: exit 0"
like "$ERR" "the triggers mirror while the indexes are built \('_t_chg' exists and is not oscar's\)" "someone's _t_chg: not used, and why"
is "$(sql $DB -e "SELECT k FROM _t_chg")" 42 "someone's _t_chg: kept as it was"
is "$(table_ddl $DB t)" "$want_ddl" "someone's _t_chg: definition equals the native ALTER's"
sql $DB -e "DROP TABLE _t_chg"

# 4. --cleanup removes a leftover key log
mk t
sql $DB -e "CREATE TABLE _t_chg (k BIGINT NOT NULL PRIMARY KEY) ENGINE=InnoDB COMMENT='oscar: left'"
oscar_run --database=$DB --table=t --cleanup --execute
is "$RC" 0 "--cleanup: exit 0"
like "$ERR" "removed key log table '_t_chg'" "--cleanup: names the key log"
is "$(leftovers $DB)" "" "--cleanup: key log removed"

# 5. with a writer from the start: --key-log=build logs during the build only
#    (the copy fenced); --key-log=never and --mirror=all (no bound, so no
#    key log) keep the indexes during the copy, as the build's end would hold
#    the writer. The writer's increments all arrive.
for how in --key-log=build --key-log=never --mirror=all; do
	mk t
	rm -f "$TMP/stop5" "$TMP/ready5" "$TMP/count5"
	perl -MDBI -e 'my ($s, $db, $stop, $ready, $count) = @ARGV;
		my $h = DBI->connect("DBI:mysql:database=$db;mysql_socket=$s", "root", "", { RaiseError => 1 });
		open(my $f, ">", $ready); close($f);
		my $n = 0;
		until (-e $stop) { $h->do("UPDATE t SET n = 0 WHERE id = ?", undef, 1 + int(rand(20000))); $h->do("UPDATE t SET `dec` = `dec` + 1 WHERE id = 19"); $n++; }
		open($f, ">", $count); print $f "$n\n"; close($f);' \
		"$OSCAR_SOCKET" $DB "$TMP/stop5" "$TMP/ready5" "$TMP/count5" &
	wpid=$!
	wait_for 30 test -e "$TMP/ready5"
	oscar_run "${A[@]}" $how
	touch "$TMP/stop5"
	wait_exit $wpid
	is "$RC" 0 "$how with a writer: exit 0"
	if [ $how = --key-log=build ]; then
		unlike "$ERR" "beside the application's writes" "$how with a writer: the triggers mirrored during the copy"
		like "$ERR" "while the indexes are built the triggers log the keys they change" "$how with a writer: logged during the build"
	else
		like "$ERR" "other sessions write: the secondary indexes of '_t_new' stay during the copy" "$how with a writer: the indexes stay, and why"
		unlike "$ERR" "_t_chg" "$how with a writer: no key log"
	fi
	is "$(sql $DB -e "SELECT \`dec\` FROM t WHERE id = 19")" "$(awk -v n="$(cat "$TMP/count5")" 'BEGIN { printf "%.4f", 19 / 7 + n }')" \
		"$how with a writer: every increment arrived"
	is "$(table_ddl $DB t)" "$want_ddl" "$how with a writer: definition equals the native ALTER's"
	is "$(leftovers $DB)" "" "$how with a writer: nothing left behind"
done

