#!/usr/bin/env bash
# kill -9 at every step of the revert window's setup and of --revert, then
# --cleanup: the table is exact (every row, one of the two shapes) and usable
# (writes succeed), and nothing of oscar's is left but the old table of a swap
# that happened. The names come from one list (src/names.c), so --cleanup
# knows the revert's placeholders and reverse triggers too.
source "$(dirname "$0")/../lib/common.sh"

DB=oscar_t39
fresh_db $DB
ALTER="ADD COLUMN extra INT NOT NULL DEFAULT 5, DROP COLUMN gone"
mk() {
	sql $DB -e "DROP TABLE IF EXISTS t; DROP TABLE IF EXISTS _t_old; CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(10) NOT NULL, gone INT NULL) ENGINE=InnoDB;
	            INSERT INTO t SELECT seq, CONCAT('v', seq), seq FROM seq_1_to_300"
}
mk
WANT=$(sql $DB -e "SELECT id, v FROM t ORDER BY id")

# after_cleanup NAME SHAPE OLD_KEPT: the checks after --cleanup --execute
after_cleanup() {
	local name=$1 shape=$2 old_kept=$3
	oscar_run --database=$DB --table=t --cleanup --execute
	is "$RC" 0 "$name: --cleanup exit 0"
	local listed count
	listed=$(grep -c "oscar: removed " "$TMP/oscar.err")
	count=$(sed -n 's/.*cleanup of .*: \([0-9]*\) objects\? removed.*/\1/p' "$TMP/oscar.err")
	is "$count" "$listed" "$name: the count matches the objects listed"
	is "$(sql $DB -e "SELECT id, v FROM t ORDER BY id")" "$WANT" "$name: every row of the table is there"
	local cols
	cols=$(sql -e "SELECT GROUP_CONCAT(COLUMN_NAME ORDER BY ORDINAL_POSITION) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME='t'")
	if [ "$shape" = new ]; then is "$cols" "id,v,extra" "$name: the table has the new shape"
	else is "$cols" "id,v,gone" "$name: the table has the old shape"; fi
	is "$(sql -e "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='$DB'")" 0 "$name: no trigger left"
	local want_tables=t
	[ "$old_kept" = yes ] && want_tables="_t_old,t"
	is "$(sql -e "SELECT GROUP_CONCAT(TABLE_NAME ORDER BY BINARY TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA='$DB'")" \
		"$want_tables" "$name: no shadow, placeholder or state left"
	sql $DB -e "INSERT INTO t (id, v) VALUES (1000, 'new'); UPDATE t SET v = 'upd' WHERE id = 1; DELETE FROM t WHERE id = 2"
	ok $? "$name: the table takes writes"
	is "$(sql $DB -e "SELECT COUNT(*), SUM(v = 'upd') FROM t")" "$(printf '300\t1')" "$name: the writes landed"
}

# the window's setup: placeholders, reverse triggers, the swap, its record,
# the forward triggers dropped
for point in revert-placeholders revert-triggers revert-swapped revert-recorded revert-forward-dropped; do
	mk
	OSCAR_FAULT=$point oscar --database=$DB --table=t --alter="$ALTER" --execute --revert-window=1h >"$TMP/k.out" 2>&1
	is "$?" 137 "$point: oscar was killed there"
	case $point in
	revert-placeholders | revert-triggers) after_cleanup "$point" old no ;;
	*) after_cleanup "$point" new yes ;;
	esac
done

# --revert: killed after its swap back, and after dropping the reverse triggers
for point in revert-back-swapped revert-back-triggers-dropped; do
	mk
	oscar --database=$DB --table=t --alter="$ALTER" --execute --revert-window=1h >"$TMP/k.out" 2>&1
	is "$?" 0 "$point: migration with a revert window"
	OSCAR_FAULT=$point oscar --database=$DB --table=t --revert --execute >"$TMP/k.out" 2>&1
	is "$?" 137 "$point: --revert was killed there"
	after_cleanup "$point" old no
done
