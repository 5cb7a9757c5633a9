#!/usr/bin/env bash
# A table with foreign keys of its own (a child table). CREATE TABLE ... LIKE
# drops them, so oscar adds them to the empty shadow under a toggled name
# (fk -> _fk, _fk -> fk) before the ALTER runs there. The result must equal
# the server's own ALTER but for those names, enforce and cascade as before,
# and under writes (parent deletes cascading into the table while it is
# copied) end equal to an untouched twin table. An ALTER that adds a foreign
# key checks the rows, as the server's own ALTER would. A table that
# references itself (a tree) gets a shadow that references itself; its
# cascades under writes and the verification's repair are checked the same way.
source "$(dirname "$0")/../lib/common.sh"

DB=oscar_t36
OTHER=oscar_t36_other
fresh_db $DB
fresh_db $OTHER
sql $OTHER -e "CREATE TABLE region (code CHAR(2) PRIMARY KEY) ENGINE=InnoDB; INSERT INTO region VALUES ('eu'), ('us'), ('as')"
mkparent() {
	sql $DB -e "DROP TABLE IF EXISTS c, c_native, twin, p;
	CREATE TABLE p (id INT PRIMARY KEY, a INT NOT NULL, b INT NOT NULL, UNIQUE KEY uk_ab (a, b)) ENGINE=InnoDB;
	INSERT INTO p SELECT seq, seq, seq * 2 FROM seq_1_to_2000"
}
# mkchild NAME: a child of p (CASCADE; composite SET NULL / ON UPDATE
# CASCADE, its index made by the server) and of a table in another schema
mkchild() {
	sql $DB -e "CREATE TABLE \`$1\` (id INT PRIMARY KEY, pid INT NULL, a INT NULL, b INT NULL, region CHAR(2) NULL,
	  v VARCHAR(20) NULL, KEY k_pid (pid), KEY k_v (v),
	  CONSTRAINT \`fk_$1_p\` FOREIGN KEY (pid) REFERENCES p (id) ON DELETE CASCADE,
	  CONSTRAINT \`fk_$1_ab\` FOREIGN KEY (a, b) REFERENCES p (a, b) ON DELETE SET NULL ON UPDATE CASCADE,
	  CONSTRAINT \`fk_$1_region\` FOREIGN KEY (region) REFERENCES \`$OTHER\`.region (code)) ENGINE=InnoDB"
}
fill() { # fill TABLE ROWS
	sql $DB -e "INSERT INTO \`$1\` SELECT seq, 1 + seq % 2000, 1 + seq % 1999, 2 * (1 + seq % 1999),
	  ELT(1 + seq % 4, 'eu', 'us', 'as', NULL), CONCAT('v', seq) FROM seq_1_to_$2"
}
digest() { # digest TABLE: every old column of every row
	sql $DB -e "SELECT COUNT(*), COALESCE(BIT_XOR(CRC32(CONCAT_WS('|', id, IFNULL(pid, 'N'), IFNULL(a, 'N'), IFNULL(b, 'N'),
	  IFNULL(region, 'N'), IFNULL(v, 'N')))), 0) FROM \`$1\`"
}
fknames() { # fknames TABLE: its constraints, in name order
	sql -e "SELECT GROUP_CONCAT(CONSTRAINT_NAME ORDER BY BINARY CONSTRAINT_NAME) FROM information_schema.REFERENTIAL_CONSTRAINTS
	        WHERE CONSTRAINT_SCHEMA='$DB' AND TABLE_NAME='$1'"
}

# with_writers NAME SCRIPT OSCAR-ARGS...: two writers (SCRIPT) run from
# before oscar starts until after it ends; checks the exit status and that
# they committed work. SCRIPT creates OUT.ready once connected.
commits() { sql -e "SELECT SUM(VARIABLE_VALUE) FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'COM_COMMIT'"; }
# wait_commits BASE N: until the server has seen N COMMITs since BASE
wait_commits() {
	wait_sql 30 1 "SELECT SUM(VARIABLE_VALUE) > $1 + $2 FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = 'COM_COMMIT'"
}
with_writers() {
	local name=$1 script=$2; shift 2
	rm -f "$TMP/stop.$name"
	local wpids=() base
	base=$(commits)
	for s in 1 2; do perl "$script" "$OSCAR_SOCKET" $DB "$TMP/stop.$name" "$TMP/w.$name.$s" $s & wpids+=($!); done
	wait_for 30 test -e "$TMP/w.$name.1.ready" -a -e "$TMP/w.$name.2.ready"
	ok $? "$name: the writers are connected"
	wait_commits "$base" 20
	ok $? "$name: the writers are committing"
	oscar_run "$@"
	# and some more on the new table before they stop
	wait_commits "$(commits)" 50
	ok $? "$name: the writers committed more after the swap"
	touch "$TMP/stop.$name"
	for p in "${wpids[@]}"; do wait_exit "$p" 120; done
	is "$RC" 0 "$name: exit 0"
	[ "$RC" = 0 ] || diag "$(tail -5 <<<"$ERR")"
	ok $(( $(cut -d' ' -f1 "$TMP/w.$name.1") + $(cut -d' ' -f1 "$TMP/w.$name.2") > 100 ? 0 : 1 )) \
		"$name: the writers committed changes ($(cat "$TMP/w.$name.1") / $(cat "$TMP/w.$name.2") ok/failed)"
}

ALTER="ADD COLUMN w INT NOT NULL DEFAULT 3, MODIFY v VARCHAR(40) NULL"

# 1. the result equals the server's own ALTER, with the names toggled
mkparent
mkchild c
fill c 30000
mkchild c_native
sql $DB -e "INSERT INTO c_native SELECT * FROM c; ALTER TABLE c_native $ALTER"
before=$(digest c)
oscar_run --database=$DB --table=c --alter="$ALTER" --execute --json --chunk-size=2000
is "$RC" 0 "own foreign keys: exit 0"
[ "$RC" = 0 ] || diag "$(tail -5 <<<"$ERR")"
want=$(table_ddl $DB c_native | sed 's/`c_native`/`c`/; s/`fk_c_native_/`fk_c_/g; s/CONSTRAINT `fk_c_/CONSTRAINT `_fk_c_/g')
is "$(table_ddl $DB c)" "$want" "definition equals the native ALTER's, constraints named _fk_... (index names kept)"
is "$(fknames c)" "_fk_c_ab,_fk_c_p,_fk_c_region" "the three constraints are there, toggled"
is "$(digest c)" "$before" "every row is there, unchanged"
like "$ERR" "foreign key 'fk_c_p' is '_fk_c_p' on the new table" "the log names the new constraint names"
is "$(leftovers $DB)" "" "nothing left behind"
is "$(sql $DB -e "CHECK TABLE c" | cut -f4 | tail -1)" "OK" "CHECK TABLE is OK"

# 2. they still enforce and cascade
sql $DB -e "INSERT INTO c (id, pid) VALUES (900001, 777777)" 2>"$TMP/e2"
like "$(cat "$TMP/e2")" "1452" "an orphan insert fails (1452)"
sql $DB -e "INSERT INTO c (id, region) VALUES (900002, 'zz')" 2>"$TMP/e2b"
like "$(cat "$TMP/e2b")" "1452" "the other schema's constraint enforces too"
sql $DB -e "DELETE FROM p WHERE id = 5"
is "$(sql $DB -e "SELECT COUNT(*) FROM c WHERE pid = 5")" 0 "ON DELETE CASCADE cascades"
sql $DB -e "UPDATE p SET b = 100000 WHERE id = 7"
is "$(sql $DB -e "SELECT COUNT(*) FROM c WHERE a = 7 AND b = 100000") $(sql $DB -e "SELECT COUNT(*) FROM c WHERE a = 7 AND b = 14")" \
	"$(sql $DB -e "SELECT COUNT(*) FROM c WHERE a = 7") 0" "ON UPDATE CASCADE cascades"

# 3. a second run toggles the names back; the definition is the native one again
oscar_run --database=$DB --table=c --alter="MODIFY v VARCHAR(40) NULL COMMENT 'x'" --execute
is "$RC" 0 "second run: exit 0"
is "$(fknames c)" "fk_c_ab,fk_c_p,fk_c_region" "second run: the original names are back"
like "$(table_ddl $DB c)" "KEY \`fk_c_ab\` \\(\`a\`,\`b\`\\)" "second run: the server-made index keeps its name"

# 4. DROP FOREIGN KEY by the table's current name
oscar_run --database=$DB --table=c --alter="DROP FOREIGN KEY fk_c_region, ADD COLUMN z INT NULL" --execute
is "$RC" 0 "DROP FOREIGN KEY: exit 0"
is "$(fknames c)" "_fk_c_ab,_fk_c_p" "DROP FOREIGN KEY: that one is gone, the others carried"
oscar_run --database=$DB --table=c --alter="DROP CONSTRAINT IF EXISTS \`_fk_c_ab\`" --execute
is "$RC" 0 "DROP CONSTRAINT IF EXISTS, by a toggled name: exit 0"
is "$(fknames c)" "fk_c_p" "DROP CONSTRAINT: gone"
oscar_run --database=$DB --table=c --alter="DROP FOREIGN KEY no_such_fk" --execute
is "$RC" 3 "DROP FOREIGN KEY of a constraint that does not exist: refused"
like "$ERR" "ALTER fails on the shadow table" "the message says the ALTER fails"

# 5. an ALTER that adds a foreign key: the rows are checked; its index is not
# deferred (the server needs it for the constraint)
before_state=$(server_state)
before=$(digest c)
sql $DB -e "SET foreign_key_checks=0; INSERT INTO c (id, region) VALUES (900003, 'eu'); UPDATE c SET v = 'orphan' WHERE id = 900003;
	UPDATE c SET z = 99999 WHERE id = 900003"
before_state=$(server_state)
before=$(digest c)
oscar_run --database=$DB --table=c --alter="ADD CONSTRAINT fk_z FOREIGN KEY (z) REFERENCES p (id)" --execute --chunk-size=5000
is "$RC" 1 "adding a foreign key that a row violates: exit 1"
like "$ERR" "warning 1452" "the message names the violation"
is "$(grep -c 'warning 1452' <<<"$ERR")" 1 "the violation is reported once, not once per row"
is "$(server_state)" "$before_state" "the table is untouched"
is "$(digest c)" "$before" "its rows too"
is "$(leftovers $DB)" "" "nothing left behind"
sql $DB -e "DELETE FROM c WHERE id = 900003; UPDATE c SET z = 10 + id % 900 WHERE id % 3 = 0"
oscar_run --database=$DB --table=c --alter="ADD KEY k_z (z), ADD CONSTRAINT fk_z FOREIGN KEY (z) REFERENCES p (id)" \
	--execute --defer-indexes=always
is "$RC" 0 "adding a foreign key that the rows satisfy: exit 0"
[ "$RC" = 0 ] || diag "$(tail -5 <<<"$ERR")"
like "$(table_ddl $DB c)" "CONSTRAINT \`fk_z\` FOREIGN KEY \\(\`z\`\\) REFERENCES \`p\` \\(\`id\`\\)" "the new constraint is there"
like "$(table_ddl $DB c)" "KEY \`k_z\` \\(\`z\`\\)" "with its index"

# 6. dry run: nothing changes
before_state=$(server_state)
oscar_run --database=$DB --table=c --alter="ADD COLUMN dry INT"
is "$RC" 0 "dry run: exit 0"
is "$(server_state)" "$before_state" "dry run: the server is unchanged"
is "$(fknames c)" "_fk_c_p,fk_z" "dry run: the constraints are untouched"

# 7. a failure just before the swap, then --cleanup: the table as it was
before_state=$(server_state)
OSCAR_FAULT=before-swap oscar --database=$DB --table=c --alter="ADD COLUMN f INT" --execute >/dev/null 2>&1
oscar_run --database=$DB --table=c --cleanup --execute
is "$RC" 0 "--cleanup after a crash before the swap: exit 0"
is "$(leftovers $DB)" "" "--cleanup: nothing left behind"
is "$(fknames c)" "_fk_c_p,fk_z" "--cleanup: the table's constraints are untouched"
is "$(sql -e "SELECT COUNT(*) FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA='$DB' AND TABLE_NAME <> 'c_native'")" 2 \
	"--cleanup: no constraint of the shadow remains"

# 8. under writes: parents deleted (cascading into the table) and updated
# (cascading through the composite key), children inserted, re-parented and
# deleted, each change made to the table and to an identical twin in one
# transaction. Whatever reaches the table through its foreign keys during
# the copy must reach the new table: afterwards both are equal.
mkparent
mkchild c
mkchild twin
fill c 40000
sql $DB -e "INSERT INTO twin SELECT * FROM c"
cat >"$TMP/w.pl" <<'EOF'
use strict; use DBI;
my ($sock, $db, $stop, $out, $seed) = @ARGV;
srand($seed);
my $h = DBI->connect("DBI:mysql:database=$db;mysql_socket=$sock", 'root', '', { RaiseError => 0, PrintError => 0, AutoCommit => 1 }) or die $DBI::errstr;
open(my $rf, '>', "$out.ready") or die; close $rf;
my ($ok, $failed, $next) = (0, 0, 1000000 + $seed * 100000);
until (-e $stop) {
	my $r = rand();
	my $pid = 1 + int(rand(2000));
	my $id = 1 + int(rand(40000));
	my @st;
	if ($r < 0.15) { @st = ("DELETE FROM p WHERE id = $pid"); }
	elsif ($r < 0.25) { @st = ("INSERT INTO p VALUES ($pid, $pid, 2 * $pid) ON DUPLICATE KEY UPDATE b = b"); }
	elsif ($r < 0.35) { my $b = int(rand(1e6)) + 5000; @st = ("UPDATE p SET b = $b WHERE id = $pid"); }
	elsif ($r < 0.6) { $next++; @st = map { "INSERT INTO $_ (id, pid, region, v) VALUES ($next, $pid, 'eu', 'new')" } qw(c twin); }
	elsif ($r < 0.8) { @st = map { "UPDATE $_ SET pid = $pid, v = 'moved' WHERE id = $id" } qw(c twin); }
	else { @st = map { "DELETE FROM $_ WHERE id = $id" } qw(c twin); }
	$h->begin_work;
	my $good = 1;
	for (@st) { $good = defined $h->do($_) or last; }
	if ($good && $h->commit) { $ok++; } else { $h->rollback; $failed++; }
}
open(my $f, '>', $out) or die; print $f "$ok $failed\n"; close $f;
EOF
with_writers "under writes" "$TMP/w.pl" --database=$DB --table=c --alter="$ALTER" --execute --chunk-size=500
is "$(digest c)" "$(digest twin)" "under writes: the new table equals its untouched twin"
is "$(sql $DB -e "SELECT COUNT(*) FROM c LEFT JOIN p ON p.id = c.pid WHERE c.pid IS NOT NULL AND p.id IS NULL")" 0 \
	"under writes: no orphans"
is "$(fknames c)" "_fk_c_ab,_fk_c_p,_fk_c_region" "under writes: the constraints are carried"
is "$(leftovers $DB)" "" "under writes: nothing left behind"

# 9. a table in the middle: a child of p and a parent of g; its own
# constraint is carried, its child's rebuilt, and cascades pass through
sql $DB -e "CREATE TABLE mid (id INT PRIMARY KEY, pid INT NOT NULL,
	  CONSTRAINT fk_mid FOREIGN KEY (pid) REFERENCES p (id) ON DELETE CASCADE) ENGINE=InnoDB;
	CREATE TABLE g (id INT PRIMARY KEY, mid INT NOT NULL,
	  CONSTRAINT fk_g FOREIGN KEY (mid) REFERENCES mid (id) ON DELETE CASCADE) ENGINE=InnoDB;
	INSERT INTO mid SELECT id, id FROM p WHERE id <= 500; INSERT INTO g SELECT id, id FROM mid"
oscar_run --database=$DB --table=mid --alter="ADD COLUMN z INT" --execute --alter-foreign-keys-method=auto
is "$RC" 0 "middle table: exit 0"
is "$(fknames mid),$(fknames g)" "_fk_mid,_fk_g" "middle table: its constraint carried, its child's rebuilt"
victim=$(sql $DB -e "SELECT MIN(id) FROM mid")
sql $DB -e "DELETE FROM p WHERE id = $victim"
is "$(sql $DB -e "SELECT COUNT(*) FROM mid WHERE id = $victim") $(sql $DB -e "SELECT COUNT(*) FROM g WHERE mid = $victim")" "0 0" \
	"middle table: a parent's delete cascades through it to the grandchild"
is "$(leftovers $DB)" "" "middle table: nothing left behind"

# 10. a table that references itself (a tree): the shadow references
# itself. Under writes, deletes cascading down the tree (no trigger fires
# for the cascaded rows), re-parenting, key changes of leaves and inserts,
# each made to the table and to an identical twin in one transaction: the
# new table must equal the twin.
mktree() { # mktree NAME ON-DELETE
	sql $DB -e "CREATE TABLE \`$1\` (id INT PRIMARY KEY, up INT NULL, v INT NOT NULL,
	  CONSTRAINT \`fk_$1\` FOREIGN KEY (up) REFERENCES \`$1\` (id) ON DELETE $2) ENGINE=InnoDB"
}
mktree tree CASCADE
mktree tree_twin CASCADE
# roots 1..500; 501..20000 children of a root
sql $DB -e "INSERT INTO tree SELECT seq, IF(seq <= 500, NULL, 1 + seq % 500), seq FROM seq_1_to_20000;
	INSERT INTO tree_twin SELECT * FROM tree"
cat >"$TMP/tw.pl" <<'EOF'
use strict; use DBI;
my ($sock, $db, $stop, $out, $seed) = @ARGV;
srand($seed);
my $h = DBI->connect("DBI:mysql:database=$db;mysql_socket=$sock", 'root', '', { RaiseError => 0, PrintError => 0, AutoCommit => 1 }) or die $DBI::errstr;
open(my $rf, '>', "$out.ready") or die; close $rf;
my ($ok, $failed, $next) = (0, 0, 100000 + $seed * 100000);
until (-e $stop) {
	my $r = rand();
	my $root = 1 + int(rand(500));
	my $id = 1 + int(rand(20000));
	my $leaf = 501 + int(rand(19500));
	my $sql;
	if ($r < 0.3) { $next++; $sql = "INSERT INTO T VALUES ($next, $root, $next)"; }
	elsif ($r < 0.5) { $sql = "UPDATE T SET up = $root, v = v + 1 WHERE id = $leaf"; }
	elsif ($r < 0.6) { $next++; $sql = "UPDATE T SET id = $next WHERE id = $leaf"; }
	elsif ($r < 0.7) { $sql = "DELETE FROM T WHERE id = $root"; }
	elsif ($r < 0.8) { $sql = "INSERT INTO T VALUES ($root, NULL, 0)"; }
	else { $sql = "DELETE FROM T WHERE id = $id"; }
	$h->begin_work;
	my $good = 1;
	for my $t (qw(tree tree_twin)) { $good = defined $h->do($sql =~ s/\bT\b/$t/r) or last; }
	if ($good && $h->commit) { $ok++; } else { $h->rollback; $failed++; }
}
open(my $f, '>', $out) or die; print $f "$ok $failed\n"; close $f;
EOF
tdigest() { sql $DB -e "SELECT COUNT(*), COALESCE(BIT_XOR(CRC32(CONCAT_WS('|', id, IFNULL(up, 'N'), v))), 0) FROM \`$1\`"; }
with_writers "tree under writes" "$TMP/tw.pl" --database=$DB --table=tree --alter="ADD COLUMN note VARCHAR(10) NULL" \
	--execute --chunk-size=500
is "$(tdigest tree)" "$(tdigest tree_twin)" "tree under writes: the new table equals its untouched twin"
like "$(table_ddl $DB tree)" "CONSTRAINT \`_fk_tree\` FOREIGN KEY \\(\`up\`\\) REFERENCES \`tree\` \\(\`id\`\\) ON DELETE CASCADE" \
	"tree: the new table references itself"
is "$(leftovers $DB)" "" "tree: nothing left behind"
root=$(sql $DB -e "SELECT MIN(up) FROM tree")
sql $DB -e "DELETE FROM tree WHERE id = $root"
is "$(sql $DB -e "SELECT COUNT(*) FROM tree WHERE up = $root")" 0 "tree: a delete still cascades to the children"
sql $DB -e "INSERT INTO tree (id, up, v) VALUES (9999999, 8888888, 1)" 2>"$TMP/e10"
like "$(cat "$TMP/e10")" "1452" "tree: an orphan insert fails (1452)"
is "$(sql $DB -e "SELECT @@global.foreign_key_checks")" 1 "tree: the server's setting is untouched"

# the verification's repair copies a chunk again (delete, then copy): the
# shadow's reference to itself must not cascade that delete to rows of
# chunks already verified. Parents here come after their children.
mktree tree4 CASCADE
sql $DB -e "SET foreign_key_checks=0; INSERT INTO tree4 SELECT seq, IF(seq > 2500, NULL, 2501 + seq % 500), seq FROM seq_1_to_3000"
want=$(sql $DB -e "SELECT id, up, v FROM tree4 ORDER BY id")
is "$(wc -l <<<"$want")" 3000 "tree: 3000 rows to start with"
touch "$TMP/pause10"
oscar --database=$DB --table=tree4 --alter="ADD COLUMN note INT" --execute --json --chunk-size=600 \
	--pause-file="$TMP/pause10" >"$TMP/ev10" 2>"$TMP/err10" &
opid=$!
wait_event "$TMP/ev10" pause 10
ok $? "tree, a chunk repaired: the copy waits on the pause file"
sql $DB -e "SET foreign_key_checks=0; INSERT INTO _tree4_new (id, up, v) VALUES (2600, NULL, -1)"
rm -f "$TMP/pause10"
wait_exit $opid
is "$?" 0 "tree, a chunk repaired: exit 0"
like "$(grep '"event":"verify"' "$TMP/ev10")" '"repaired_chunks":1' "tree: the corrupted chunk was copied again"
is "$(sql $DB -e "SELECT id, up, v FROM tree4 ORDER BY id")" "$want" "tree: the repair cascaded nowhere: every row as it was"

# ON DELETE SET NULL
mktree tree2 "SET NULL"
sql $DB -e "INSERT INTO tree2 SELECT seq, IF(seq <= 50, NULL, 1 + seq % 50), seq FROM seq_1_to_3000"
oscar_run --database=$DB --table=tree2 --alter="ADD COLUMN note INT" --execute --chunk-size=300
is "$RC" 0 "SET NULL tree: exit 0"
sql $DB -e "DELETE FROM tree2 WHERE id = 7"
is "$(sql $DB -e "SELECT COUNT(*) FROM tree2 WHERE up IS NULL")" "$(( 49 + 59 ))" \
	"SET NULL tree: a delete sets the children's reference to NULL"

# refused: ON UPDATE CASCADE to itself; an ALTER adding a foreign key to
# such a table; an ALTER adding a reference to the table itself
sql $DB -e "CREATE TABLE tree3 (id INT PRIMARY KEY, up INT NULL, CONSTRAINT fk_up3 FOREIGN KEY (up) REFERENCES tree3 (id) ON UPDATE CASCADE) ENGINE=InnoDB"
before_state=$(server_state)
oscar_run --database=$DB --table=tree3 --alter="ADD COLUMN z INT" --execute
is "$RC" 3 "self-reference with ON UPDATE CASCADE: refused"
like "$ERR" "table 'tree3' references itself with ON UPDATE CASCADE \\(foreign key 'fk_up3'\\)" "it says why"
is "$(server_state)" "$before_state" "nothing changed"
oscar_run --database=$DB --table=tree2 --alter="ADD COLUMN r INT, ADD CONSTRAINT fk_r FOREIGN KEY (r) REFERENCES p (id)" --execute
is "$RC" 3 "adding a foreign key to a table that references itself: refused"
is "$(server_state)" "$before_state" "nothing changed"
sql $DB -e "CREATE TABLE flat (id INT PRIMARY KEY, up INT NULL) ENGINE=InnoDB; INSERT INTO flat VALUES (1, NULL), (2, 1)"
before_state=$(server_state)
oscar_run --database=$DB --table=flat --alter="ADD CONSTRAINT fk_flat FOREIGN KEY (up) REFERENCES flat (id)" --execute
is "$RC" 3 "an ALTER adding a reference to the table itself: refused"
like "$ERR" "foreign key 'fk_flat', which references 'flat' itself" "it says why"
is "$(server_state)" "$before_state" "nothing changed"

# 11. killed at each phase, then the same command again: the job resumes
# (its triggers recognised as the ones a table referencing itself gets) and
# ends with the rows and the constraints as they should be
mktree tree5 CASCADE
sql $DB -e "SET foreign_key_checks=0; INSERT INTO tree5 SELECT seq, IF(seq > 4500, NULL, 4501 + seq % 500), seq FROM seq_1_to_5000"
want=$(tdigest tree5)
n=0
for point in mid-copy before-swap after-swap during-cleanup; do
	n=$((n + 1))
	OSCAR_FAULT=$point oscar --database=$DB --table=tree5 --alter="ADD COLUMN k$n INT" --execute --chunk-size=500 \
		>/dev/null 2>&1
	oscar_run --database=$DB --table=tree5 --alter="ADD COLUMN k$n INT" --execute --chunk-size=500
	is "$RC" 0 "killed at $point, run again: exit 0"
	[ "$RC" = 0 ] || diag "$(tail -3 <<<"$ERR")"
	is "$(tdigest tree5)" "$want" "killed at $point: every row as it was"
	is "$(sql -e "SELECT CONCAT(CONSTRAINT_NAME, '>', REFERENCED_TABLE_NAME) FROM information_schema.REFERENTIAL_CONSTRAINTS
	        WHERE CONSTRAINT_SCHEMA='$DB' AND TABLE_NAME='tree5'")" "$( [ $((n % 2)) = 1 ] && echo _fk_tree5 || echo fk_tree5)>tree5" \
		"killed at $point: the table references itself"
	is "$(leftovers $DB)" "" "killed at $point: nothing left behind"
done

# 12. --revert-window does not support foreign keys of the table's own yet
before_state=$(server_state)
oscar_run --database=$DB --table=tree5 --alter="ADD COLUMN rv INT" --execute --revert-window=1h
is "$RC" 3 "--revert-window with foreign keys of its own: refused"
like "$ERR" "revert-window does not support tables with triggers or foreign keys of their own" "it says why"
is "$(server_state)" "$before_state" "--revert-window: nothing changed"

sql -e "DROP DATABASE $DB; DROP DATABASE $OTHER"
