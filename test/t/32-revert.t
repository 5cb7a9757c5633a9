#!/usr/bin/env bash
# Instant revert: with --revert-window the old table stays in sync after the
# swap (reverse triggers, new shape to old shape), so --revert swaps back
# without losing a write made in between; --finish ends the window; the dry
# run of --revert says whether going back would be lossless.
source "$(dirname "$0")/../lib/common.sh"

DB=revert_test
fresh_db $DB
mk() {
	sql $DB -e "DROP TABLE IF EXISTS t; CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10) NOT NULL, gone INT NULL) ENGINE=InnoDB;
	            INSERT INTO t SELECT seq, CONCAT('v', seq), seq * 10 FROM seq_1_to_5000"
}
ALTER="ADD COLUMN extra INT NOT NULL DEFAULT 5, DROP COLUMN gone, MODIFY v VARCHAR(40) NOT NULL"

mk
oscar --database=$DB --table=t --alter="$ALTER" --execute --revert-window=1h --json >"$TMP/ev1" 2>"$TMP/err1"
is "$?" 0 "migration with --revert-window: exit 0"
like "$(grep '"event":"cutover"' "$TMP/ev1")" '"revert_window_s":3600' "cutover event carries the window"
is "$(sql -e "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME='t' AND COLUMN_NAME='extra'")" 1 "the table has the new shape"
is "$(sql -e "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME='_t_old' AND COLUMN_NAME='gone'")" 1 "the old table is kept, in the old shape"
is "$(sql -e "SELECT GROUP_CONCAT(TRIGGER_NAME ORDER BY TRIGGER_NAME) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='$DB'")" \
	"oscar_t_rdel,oscar_t_rins,oscar_t_rupd" "only the reverse triggers are on the table"
is "$(sql $DB -e "SELECT phase FROM _oscar_state WHERE table_name='t'")" revert "the job is in its revert window"

# writes under the new shape
sql $DB -e "INSERT INTO t (id, v, extra) VALUES (9001, 'new row', 1);
            UPDATE t SET v = 'changed' WHERE id = 10;
            UPDATE t SET id = 9002 WHERE id = 11;
            DELETE FROM t WHERE id = 12;
            UPDATE t SET extra = 99 WHERE id = 13"
want=$(sql $DB -e "SELECT id, v FROM t ORDER BY id")
want_gone=$(sql $DB -e "SELECT id, gone FROM _t_old WHERE id IN (10, 13, 14) ORDER BY id")

oscar --database=$DB --table=t --revert --alter=x >/dev/null 2>&1
is "$?" 2 "--revert with --alter is a usage error"
out=$(oscar --database=$DB --table=t --revert 2>/dev/null)
is "$?" 0 "dry run of --revert: exit 0"
like "$out" "a revert now would be lossless" "it says going back is lossless"
oscar --database=$DB --table=t --alter="ADD COLUMN other INT" --execute 2>"$TMP/err2"
is "$?" 3 "another ALTER while the window is open: refused"
like "$(cat "$TMP/err2")" "a revert window is open for 't'" "the message names the window"

oscar --database=$DB --table=t --revert --execute --json >"$TMP/ev3" 2>"$TMP/err3"
is "$?" 0 "--revert --execute: exit 0"
like "$(cat "$TMP/ev3")" '"event":"revert"' "revert event"
is "$(sql -e "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME='t' AND COLUMN_NAME IN ('gone', 'extra')")" 1 "the table has the old shape again (gone, no extra)"
is "$(sql $DB -e "SELECT id, v FROM t ORDER BY id")" "$want" "every write made under the new shape is in the old table"
is "$(sql $DB -e "SELECT id, gone FROM t WHERE id IN (10, 13, 14) ORDER BY id")" "$want_gone" "old-only columns kept their values"
is "$(leftovers $DB)" "" "nothing left behind"
is "$(sql -e "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME <> 't'")" 0 "no state, placeholder or old table left"

# --finish ends the window
oscar --database=$DB --table=t --alter="$ALTER" --execute --revert-window=1h >/dev/null 2>&1
is "$?" 0 "second migration with a window: exit 0"
oscar --database=$DB --table=t --finish --execute >/dev/null 2>"$TMP/err4"
is "$?" 0 "--finish: exit 0"
is "$(sql -e "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='$DB'")" 0 "--finish: reverse triggers gone"
is "$(sql -e "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME <> 't'")" 0 "--finish: old table and state gone"
is "$(sql -e "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME='t' AND COLUMN_NAME='extra'")" 1 "--finish: the new shape stays"

# a write that does not fit the old shape: the dry run says the revert would lose it
mk
oscar --database=$DB --table=t --alter="MODIFY v VARCHAR(40) NOT NULL" --execute --revert-window=1h >/dev/null 2>&1
sql $DB -e "UPDATE t SET v = 'a value longer than ten' WHERE id = 5"
oscar --database=$DB --table=t --revert >"$TMP/out5" 2>"$TMP/err5"
is "$?" 1 "dry run of --revert with a value too long for the old shape: exit 1"
like "$(cat "$TMP/out5")" "would lose data" "it says the revert would lose data"
like "$(cat "$TMP/err5")" "key \\(5\\) differs" "and names the key"

# the window ends: --revert is refused, --finish closes it
oscar --database=$DB --table=t --finish --execute >/dev/null 2>&1
oscar --database=$DB --table=t --alter="ADD COLUMN w INT" --execute --revert-window=1s >/dev/null 2>&1
# until the window is over by the server's clock, as oscar tells it
wait_sql 10 1 "SELECT COUNT(*) FROM $DB._oscar_state WHERE table_name = 't' AND revert_until < NOW(6)"
ok $? "the 1 s revert window ran out"
oscar --database=$DB --table=t --revert --execute 2>"$TMP/err6"
is "$?" 3 "--revert after the window: refused"
like "$(cat "$TMP/err6")" "the revert window for 't' ended" "the message says the window ended"
oscar --database=$DB --table=t --alter="ADD COLUMN w2 INT" --execute >/dev/null 2>"$TMP/err7"
is "$?" 0 "after the window, the next run closes it and does its own ALTER"
like "$(cat "$TMP/err7")" "revert window of 't' ended .*; closing it" "it says it closed the window"
is "$(sql -e "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME='t' AND COLUMN_NAME='w2'")" 1 "and its ALTER took effect"
is "$(sql -e "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME <> 't'")" 0 "nothing left behind"

# under concurrent writers: migrate with a window, keep writing, revert while
# they write; the reverted table must equal what the writers committed
sql $DB -e "DROP TABLE IF EXISTS w;
	CREATE TABLE w (id BIGINT NOT NULL PRIMARY KEY, u VARCHAR(40) NULL,
	  txt VARCHAR(100) CHARACTER SET utf8mb4 NULL, dt DATETIME(6) NULL, \`dec\` DECIMAL(12,4) NULL,
	  n INT NULL, UNIQUE KEY uk_u (u)) ENGINE=InnoDB;
	INSERT INTO w (id, u, txt, dt, \`dec\`, n)
	  SELECT seq, CONCAT('init-', seq), CONCAT('r', seq), '2021-01-01 00:00:00.000001', seq / 3, seq FROM seq_1_to_20000"
mkdir -p "$TMP/wr"
rm -f "$TMP/stop"
perl "$OSCAR_ROOT/test/lib/writers.pl" "$OSCAR_SOCKET" $DB w 3 "$TMP/stop" "$TMP/wr" $RANDOM &
wpid=$!
writers_ready() { [ -e "$TMP/wr/writer0.ready" ] && [ -e "$TMP/wr/writer1.ready" ] && [ -e "$TMP/wr/writer2.ready" ]; }
commits() { sql -e "SELECT SUM(VARIABLE_VALUE) FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'COM_COMMIT'"; }
# wait_commits N: until the writers have committed N more transactions
wait_commits() {
	local base
	base=$(commits)
	wait_sql 30 1 "SELECT SUM(VARIABLE_VALUE) > $base + $1 FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'COM_COMMIT'"
}
wait_for 30 writers_ready
ok $? "writers: connected"
oscar --database=$DB --table=w --alter="ADD COLUMN added INT NULL" --execute --revert-window=1h --chunk-size=1000 >/dev/null 2>"$TMP/errw1"
is "$?" 0 "writers: migration with a window"
# writes on the new table, which the reverse triggers keep in the old one
wait_commits 200
ok $? "writers: they committed during the window"
oscar --database=$DB --table=w --revert --execute >/dev/null 2>"$TMP/errw2"
is "$?" 0 "writers: revert while they write"
wait_commits 100
ok $? "writers: they committed after the revert"
touch "$TMP/stop"
wait_exit $wpid
is "$?" 0 "writers ran to the end"
perl "$OSCAR_ROOT/test/lib/check.pl" "$OSCAR_SOCKET" $DB w "$TMP/wr" >"$TMP/checkw" 2>&1
ok $? "writers: the reverted table equals what they committed, before, during and after both swaps"
[ -s "$TMP/checkw" ] && diag "$(tail -5 "$TMP/checkw")"
is "$(sql -e "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME='w' AND COLUMN_NAME='added'")" 0 "writers: the old shape is back"
is "$(leftovers $DB)" "" "writers: nothing left behind"

# --revert-window-wait: the run stays, closes the window when it ends
oscar --database=$DB --table=t --finish --execute >/dev/null 2>&1
"$OSCAR_BIN" --socket="$OSCAR_SOCKET" --user=root --database=$DB --table=t --alter="ADD COLUMN ww INT" --execute \
	--revert-window=2s --revert-window-wait >/dev/null 2>"$TMP/err8" &
pid=$!
wait_for 5 grep -q "waiting for the revert window" "$TMP/err8"
is "$(sql -e "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME='_t_old'")" 1 "--revert-window-wait: the old table is kept during the window"
wait_exit $pid
is "$?" 0 "--revert-window-wait: exits 0 when the window ends"
like "$(cat "$TMP/err8")" "revert window closed" "it closed the window itself"
is "$(sql -e "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME NOT IN ('t', 'w')")" 0 "nothing left behind"

# --revert from elsewhere while a run waits: the waiting run sees it and ends
"$OSCAR_BIN" --socket="$OSCAR_SOCKET" --user=root --database=$DB --table=t --alter="ADD COLUMN wx INT" --execute \
	--revert-window=1h --revert-window-wait >/dev/null 2>"$TMP/err9" &
pid=$!
wait_for 5 grep -q "waiting for the revert window" "$TMP/err9"
oscar --database=$DB --table=t --revert --execute >/dev/null 2>&1
is "$?" 0 "--revert while another run waits for the window"
wait_exit $pid
is "$?" 0 "the waiting run ends"
like "$(cat "$TMP/err9")" "closed by another run" "and says why"
is "$(sql -e "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME='t' AND COLUMN_NAME='wx'")" 0 "the table is back in its old shape"
