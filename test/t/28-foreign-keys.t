#!/usr/bin/env bash
# Child tables' foreign keys: refused by default; with
# --alter-foreign-keys-method=rebuild_constraints (or auto) the children's
# constraints follow the new table through the swap, under writes, and still
# enforce afterwards. A failed swap or a rollback points them back.
source "$(dirname "$0")/../lib/common.sh"

DB=fk_test
fresh_db $DB
mk() {
	sql $DB -e "DROP TABLE IF EXISTS child1, child2, parent;
	CREATE TABLE parent (id INT PRIMARY KEY, name VARCHAR(20)) ENGINE=InnoDB;
	CREATE TABLE child1 (id INT PRIMARY KEY, pid INT NOT NULL,
	  CONSTRAINT fk_c1 FOREIGN KEY (pid) REFERENCES parent (id) ON DELETE CASCADE) ENGINE=InnoDB;
	CREATE TABLE child2 (id INT PRIMARY KEY, pid INT NULL,
	  CONSTRAINT fk_c2 FOREIGN KEY (pid) REFERENCES parent (id) ON DELETE SET NULL ON UPDATE CASCADE) ENGINE=InnoDB;
	INSERT INTO parent SELECT seq, CONCAT('p', seq) FROM seq_1_to_20000;
	INSERT INTO child1 SELECT seq, seq FROM seq_1_to_20000;
	INSERT INTO child2 SELECT seq, 1 + seq % 1000 FROM seq_1_to_5000"
}
refs() { # constraint name -> referenced table, for the children
	sql -e "SELECT CONCAT(TABLE_NAME, ':', CONSTRAINT_NAME, '->', REFERENCED_TABLE_NAME) FROM information_schema.REFERENTIAL_CONSTRAINTS
	        WHERE CONSTRAINT_SCHEMA='$DB' ORDER BY TABLE_NAME"
}

mk
before=$(server_state)
oscar --database=$DB --table=parent --alter="ADD COLUMN extra INT" --execute 2>"$TMP/err0"
is "$?" 3 "children without --alter-foreign-keys-method: refused"
like "$(cat "$TMP/err0")" "referenced by '$DB'.'child1' \\(foreign key 'fk_c1'\\)" "the child and its constraint are named"
is "$(server_state)" "$before" "refusal changes nothing"

# under writes to parent and children
rm -f "$TMP/stop"
( i=0; while [ ! -e "$TMP/stop" ]; do i=$((i + 1))
	sql $DB -e "INSERT INTO parent (id, name) VALUES (30000 + $i, 'w'); INSERT INTO child1 VALUES (30000 + $i, 30000 + $i);
	            UPDATE parent SET name = 'u' WHERE id = 1 + $i % 20000;
	            DELETE FROM parent WHERE id = 20000 - $i" 2>>"$TMP/writer.err"
done ) &
wpid=$!
# each round of the writer inserts a parent above 30000 first
written() { sql $DB -e "SELECT COUNT(*) FROM parent WHERE id > 30000"; }
wait_sql 30 1 "SELECT COUNT(*) >= 3 FROM $DB.parent WHERE id > 30000"
ok $? "the writer is at work"
oscar --database=$DB --table=parent --alter="ADD COLUMN extra INT" --execute --chunk-size=1000 \
	--alter-foreign-keys-method=rebuild_constraints >"$TMP/out1" 2>"$TMP/err1"
rc=$?
# a few more rounds, on the new parent, before it stops
n0=$(written)
wait_sql 30 1 "SELECT COUNT(*) >= $n0 + 3 FROM $DB.parent WHERE id > 30000"
ok $? "the writer wrote on after the swap"
touch "$TMP/stop"
wait_exit $wpid
is "$rc" 0 "rebuild_constraints under writes: exit 0"
[ "$rc" = 0 ] || diag "$(tail -5 "$TMP/err1")"
is "$(refs)" "child1:_fk_c1->parent
child2:_fk_c2->parent" "both children's constraints reference the new parent (renamed _fk_...)"
is "$(sql -e "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME='parent' AND COLUMN_NAME='extra'")" 1 "the ALTER took effect"
is "$(cat "$TMP/writer.err" 2>/dev/null | grep -v '^$' | wc -l)" 0 "writers saw no errors"
is "$(sql $DB -e "SELECT COUNT(*) FROM child1 c LEFT JOIN parent p ON p.id = c.pid WHERE p.id IS NULL")" 0 "no orphans in child1"
is "$(sql $DB -e "SELECT COUNT(*) FROM child2 c LEFT JOIN parent p ON p.id = c.pid WHERE c.pid IS NOT NULL AND p.id IS NULL")" 0 "no orphans in child2"
sql $DB -e "INSERT INTO child1 VALUES (99999999, 88888888)" 2>"$TMP/e1"
like "$(cat "$TMP/e1")" "1452" "the constraint still enforces: an orphan insert fails (1452)"
sql $DB -e "DELETE FROM parent WHERE id = 5"
is "$(sql $DB -e "SELECT COUNT(*) FROM child1 WHERE pid = 5")" 0 "ON DELETE CASCADE still cascades"
sql $DB -e "INSERT INTO parent (id, name) VALUES (50000, 'only child2'); INSERT INTO child2 VALUES (60000, 50000), (60001, 50000);
            UPDATE parent SET id = 7777777 WHERE id = 50000"
is "$(sql $DB -e "SELECT COUNT(*) FROM child2 WHERE pid = 7777777")" 2 "ON UPDATE CASCADE still cascades"
is "$(leftovers $DB)" "" "nothing left behind"

# drop_swap: the children keep their constraints (same names), which follow
# the name to the new table
mk
oscar --database=$DB --table=parent --alter="ADD COLUMN extra2 INT" --execute --json \
	--alter-foreign-keys-method=drop_swap >"$TMP/ev5" 2>"$TMP/err5"
is "$?" 0 "drop_swap: exit 0"
like "$(grep '"event":"cutover"' "$TMP/ev5")" '"method":"drop_swap"' "drop_swap: cutover event names the method"
is "$(refs)" "child1:fk_c1->parent
child2:fk_c2->parent" "drop_swap: constraints unchanged and referencing the new parent"
is "$(sql -e "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME='parent' AND COLUMN_NAME='extra2'")" 1 "drop_swap: the ALTER took effect"
sql $DB -e "INSERT INTO child1 VALUES (99999998, 88888888)" 2>"$TMP/e5"
like "$(cat "$TMP/e5")" "1452" "drop_swap: the constraint still enforces"
is "$(leftovers $DB)" "" "drop_swap: nothing left behind (no _parent_old)"

# rollback after the constraints moved: a failing swap points them back
mk
sql $DB -e "CREATE TABLE _parent_old (x INT)"  # makes the RENAME fail
oscar --database=$DB --table=parent --alter="ADD COLUMN extra INT" --execute --alter-foreign-keys-method=auto 2>"$TMP/err2"
is "$?" 3 "an existing _parent_old is refused before anything starts"
sql $DB -e "DROP TABLE _parent_old"
is "$(refs)" "child1:fk_c1->parent
child2:fk_c2->parent" "constraints untouched by the refused run"

# --cleanup after a crash between the constraint move and the swap
OSCAR_FAULT=before-swap oscar --database=$DB --table=parent --alter="ADD COLUMN extra INT" --execute \
	--alter-foreign-keys-method=auto >/dev/null 2>&1
oscar --database=$DB --table=parent --cleanup --execute >/dev/null 2>"$TMP/err3"
is "$?" 0 "--cleanup after a crash: exit 0"
is "$(sql -e "SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA='$DB' AND REFERENCED_TABLE_NAME='parent'")" 2 "both constraints reference the original table again"
is "$(leftovers $DB)" "" "nothing left behind"

# a self-referencing table is its own child, not one to rebuild: its
# reference goes to the new table itself (see 36-own-foreign-keys.t)
sql $DB -e "CREATE TABLE tree (id INT PRIMARY KEY, up INT NULL, CONSTRAINT fk_up FOREIGN KEY (up) REFERENCES tree (id)) ENGINE=InnoDB;
	INSERT INTO tree VALUES (1, NULL), (2, 1), (3, 2)"
oscar --database=$DB --table=tree --alter="ADD COLUMN z INT" --execute --alter-foreign-keys-method=auto 2>"$TMP/err4"
is "$?" 0 "self-referencing table, with --alter-foreign-keys-method=auto: exit 0"
is "$(sql -e "SELECT CONCAT(CONSTRAINT_NAME, '->', REFERENCED_TABLE_NAME) FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA='$DB' AND TABLE_NAME='tree'")" \
	"_fk_up->tree" "its reference is to the new table itself"
