#!/usr/bin/env bash
# The copy of a table with an AUTO_INCREMENT column while others write
# (innodb_autoinc_lock_mode=1): INSERT ... SELECT holds the shadow's
# table-level AUTO-INC lock for its statement, and a mirrored write that came
# meanwhile would take that lock in the middle of an application statement,
# which can then deadlock with another application transaction. With the
# bound table (src/bound.c), every copy statement locks it for writing, so no
# statement that fires the triggers is under way while the copy holds the
# AUTO-INC lock. Writers whose statements change several rows each, in an
# order that never deadlocks on the table alone, run through the whole
# migration: none of their statements may fail, and every committed change
# must be in the new table. The same writers against an unfenced INSERT ...
# SELECT (the control) wait for the AUTO-INC lock mid-statement and deadlock.
source "$(dirname "$0")/../lib/common.sh"

DB=oscar_t47
ROWS=250000
WRITERS=6
fresh_db $DB
autoinc_mode=$(sql -e "SELECT @@innodb_autoinc_lock_mode")

run_case() { # run_case NAME OSCAR-OPTIONS...
	local name=$1 out=$TMP/$1
	shift
	mkdir -p "$out"
	sql $DB -e "DROP TABLE IF EXISTS t; CREATE TABLE t (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, g INT NOT NULL,
	            v INT NOT NULL, pad CHAR(40) NOT NULL DEFAULT 'p', KEY (g)) ENGINE=InnoDB;
	            INSERT INTO t (g, v) SELECT seq % 97, 0 FROM seq_1_to_$ROWS"
	rm -f "$TMP/stop"
	perl "$OSCAR_ROOT/test/lib/multirow.pl" "$OSCAR_SOCKET" $DB t $WRITERS $ROWS "$TMP/stop" "$out" 47 &
	local wpid=$!
	wait_for 30 sh -c "[ \$(ls '$out'/writer*.ready 2>/dev/null | wc -l) -ge $WRITERS ]"
	ok $? "$name: the writers are running"
	oscar --database=$DB --table=t --alter="ADD COLUMN z INT NOT NULL DEFAULT 7" --execute --json \
		--chunk-time=0.05 "$@" >"$out/events" 2>"$out/stderr" &
	local opid=$!
	# what the writers wait for while oscar runs, sampled: lock waits for
	# the shadow's AUTO-INC lock, and statements waiting at their start for
	# a table lock (the bound table's, held by a fenced copy statement)
	perl -MDBI -e '
		my ($sock, $db, $pid, $out) = @ARGV;
		my $h = DBI->connect("DBI:mysql:mysql_socket=$sock", "root", "", { RaiseError => 1 });
		my $q = $h->prepare("SELECT (SELECT COUNT(*) FROM information_schema.INNODB_LOCK_WAITS w
		    JOIN information_schema.INNODB_LOCKS l ON l.lock_id = w.requested_lock_id
		    WHERE l.lock_mode LIKE ?), (SELECT COUNT(*) FROM information_schema.PROCESSLIST
		    WHERE STATE = ? AND DB = ?)");
		open(my $f, ">", $out) or die;
		while (kill(0, $pid)) {
			$q->execute("AUTO_INC%", "Waiting for table level lock", $db);
			print $f join("	", $q->fetchrow_array), "
";
			# InnoDB refreshes its lock tables for information_schema
			# only once they have gone unread for 0.1 s
			select(undef, undef, undef, 0.11);
		}' "$OSCAR_SOCKET" $DB $opid "$out/samples"
	wait $opid
	local rc=$?
	SAMPLES=$(wc -l <"$out/samples")
	AUTOINC_WAITS=$(awk '$1 > 0' "$out/samples" | wc -l)
	TABLE_WAITS=$(awk '$2 > 0' "$out/samples" | wc -l)
	# a little more writing on the new table, then stop
	local c0
	c0=$(sql $DB -e "SELECT SUM(v) FROM t")
	wait_for 30 sh -c "[ \$(mariadb --no-defaults -uroot --socket='$OSCAR_SOCKET' -N -B $DB -e 'SELECT SUM(v) FROM t') -gt $c0 ]"
	touch "$TMP/stop"
	wait $wpid
	is "$rc" 0 "$name: exit 0"
	[ "$rc" = 0 ] || diag "$(tail -5 "$out/stderr")"
	local commits errors inserted
	local stats
	stats=$(awk 'FNR == 1' "$out"/writer*.stats)
	commits=$(sed -n 's/.*commits=\([0-9]*\).*/\1/p' <<<"$stats" | awk '{s+=$1} END {print s+0}')
	errors=$(sed -n 's/.*errors=\([0-9]*\).*/\1/p' <<<"$stats" | awk '{s+=$1} END {print s+0}')
	inserted=$(sed -n 's/.*inserted=\([0-9]*\).*/\1/p' <<<"$stats" | awk '{s+=$1} END {print s+0}')
	ok "$([ "$commits" -gt 200 ] && echo 0 || echo 1)" "$name: the writers committed during the run ($commits transactions)"
	if [ "${CONTROL:-0}" = 1 ]; then
		# what the fence prevents: not asserted, the deadlocks come by chance
		diag "$name: $errors writer statements failed:" \
			"$(grep -h '^error' "$out"/writer*.stats | sort | uniq -c | head)"
	else
		is "$errors" 0 "$name: no statement of the writers failed"
		[ "$errors" = 0 ] || diag "$(grep -h '^error' "$out"/writer*.stats | sort | uniq -c | head)"
	fi
	# every committed transaction added 4 to SUM(v); its inserts added rows
	is "$(sql $DB -e "SELECT COUNT(*), SUM(v), SUM(z = 7) FROM t")" \
		"$(printf '%s\t%s\t%s' $((ROWS + inserted)) $((4 * commits)) $((ROWS + inserted)))" \
		"$name: every committed change is in the new table"
	is "$(leftovers $DB)" "" "$name: nothing left behind"
	CASE_ERR=$(cat "$out/stderr")
}

# 1. the defaults (the triggers mirror during the copy): INSERT ... SELECT
# behind the bound table's lock
run_case fenced
if [ "$autoinc_mode" = 1 ]; then
	like "$CASE_ERR" "with INSERT \\.\\.\\. SELECT, each statement behind the bound table's lock" \
		"fenced: the copy statements were fenced"
	is "$AUTOINC_WAITS" 0 "fenced: no writer waited for the shadow's AUTO-INC lock ($SAMPLES samples)"
	# the rows above say the copy stayed exact with the fenced transactions'
	# ends estimated (the pause between them instead of a read): it happened
	est=$(sed -n 's/.*fenced transactions while others wrote: [0-9]*, \([0-9]*\) of them with their end estimated.*/\1/p' <<<"$CASE_ERR")
	ok "$([ "${est:-0}" -gt 0 ] && echo 0 || echo 1)" "fenced: fenced transactions' ends estimated from the key density (${est:-none})"
	ok "$([ "$TABLE_WAITS" -gt 0 ] && echo 0 || echo 1)" \
		"fenced: writers waited at their statements' start instead ($TABLE_WAITS of $SAMPLES samples)"
else
	ok 0 "fenced: innodb_autoinc_lock_mode=$autoinc_mode, no AUTO-INC table lock to fence (skipped)"
fi
# 1b. --key-log=copy: the triggers log keys instead of mirroring during the
# copy (src/keylog.c), nothing but the copy writes into the shadow, and the
# copy runs beside the writers without the fence
run_case key-log-copy --key-log=copy
like "$CASE_ERR" "with INSERT \\.\\.\\. SELECT beside the application's writes" "--key-log=copy: the copy ran beside the writers, the triggers logging keys"
is "$AUTOINC_WAITS" 0 "--key-log=copy: no writer waited for the shadow's AUTO-INC lock ($SAMPLES samples)"
like "$CASE_ERR" "brought the rows of the keys logged" "--key-log=copy: the logged rows were brought"
# 2. the control: INSERT ... SELECT without the bound (--mirror=all), so
# without the fence. The writers' mirrored writes then wait for the AUTO-INC
# lock in the middle of their statements, which is what the sampling above
# must see when it happens; and some of their transactions usually die in
# deadlocks (1213) they never meet on the table alone (seen: 6 in a run).
if [ "$autoinc_mode" = 1 ]; then
	CONTROL=1 run_case unfenced --copy-method=server --mirror=all --copy-threads=1
	ok "$([ "$AUTOINC_WAITS" -gt 0 ] && echo 0 || echo 1)" \
		"unfenced: writers waited for the AUTO-INC lock mid-statement ($AUTOINC_WAITS of $SAMPLES samples)"
else
	ok 0 "unfenced: innodb_autoinc_lock_mode=$autoinc_mode (skipped)"
fi
# 3. without the bound, the copy goes through the client (no AUTO-INC lock)
run_case mirror-all --mirror=all
if [ "$autoinc_mode" = 1 ]; then
	like "$CASE_ERR" "others write: copying through the client" "--mirror=all: copied through the client while others wrote"
	is "$AUTOINC_WAITS" 0 "--mirror=all: no writer waited for the shadow's AUTO-INC lock ($SAMPLES samples)"
else
	ok 0 "--mirror=all: innodb_autoinc_lock_mode=$autoinc_mode (skipped)"
fi
