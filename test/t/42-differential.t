#!/usr/bin/perl
# The rule of doing exactly what the ALTER says, checked against the server
# itself: every ALTER runs natively on one copy of a schema and with oscar on
# an identical one, and afterwards the two schemas must agree table for table
# (normalised SHOW CREATE TABLE, AUTO_INCREMENT counter included, every row,
# the triggers) unless oscar refused before changing anything, for a reason
# the README documents. The ALTERs: a fixed list (the kinds the other tests
# use, partition maintenance, table options, ALGORITHM= clauses, key changes)
# and a generated set of random combinations, seeded and reproducible.
#   OSCAR_DIFF_N   generated ALTERs (default 150)   OSCAR_DIFF_SEED   seed (default 1)
use strict;
use warnings;
use DBI;

my $sock = $ENV{OSCAR_SOCKET} or die "run through scripts/run-tests.sh\n";
my $bin = $ENV{OSCAR_BIN} or die "run through scripts/run-tests.sh\n";
my $ngen = $ENV{OSCAR_DIFF_N} // 150;
my $seed = $ENV{OSCAR_DIFF_SEED} // 1;
my $tmp = "/tmp/oscar-diff.$$";
mkdir $tmp or die "$tmp: $!";
END { system('rm', '-rf', $tmp) if $tmp && !$ENV{KEEP_TMP}; }

my $dbh = DBI->connect("DBI:mysql:mysql_socket=$sock", 'root', '',
	{ RaiseError => 1, PrintError => 0, mysql_enable_utf8mb4 => 1 });

my $n = 0;
my $failed = 0;
sub ok { my ($c, $name) = @_; $n++; print(($c ? "ok" : "not ok") . " $n - $name\n"); $failed++ unless $c; return $c; }
sub diag { print STDERR map { "# $_\n" } map { split /\n/ } @_; }

# The schema both sides start from: a plain table, partitioned ones of each
# method, a table to exchange partitions with, one with a trigger of its own,
# one system-versioned. Rows are made the same way on both sides, deletes
# included, so the AUTO_INCREMENT counters agree too.
my $schema_sql = <<'SQL';
CREATE TABLE t (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, a INT, b VARCHAR(30), c DATETIME, d DECIMAL(10,2),
  e ENUM('x','y','z'), f TEXT, g INT NOT NULL DEFAULT 0, UNIQUE KEY ub (b), KEY ka (a)) ENGINE=InnoDB;
INSERT INTO t (a, b, c, d, e, f, g) SELECT seq % 50, IF(seq % 9 = 0, NULL, CONCAT('b', seq)),
  '2020-01-01' + INTERVAL seq HOUR, seq / 3, ELT(1 + seq % 3, 'x', 'y', 'z'), REPEAT('f', seq % 20), seq
  FROM seq_1_to_400;
DELETE FROM t WHERE id > 380 OR id % 37 = 0;
CREATE TABLE p (id INT NOT NULL AUTO_INCREMENT, d DATE NOT NULL, v INT, w VARCHAR(20), PRIMARY KEY (id, d), KEY kv (v))
  ENGINE=InnoDB PARTITION BY RANGE (YEAR(d)) (PARTITION p0 VALUES LESS THAN (2020), PARTITION p1 VALUES LESS THAN (2022),
  PARTITION p2 VALUES LESS THAN (2024), PARTITION pmax VALUES LESS THAN MAXVALUE);
INSERT INTO p (d, v, w) SELECT '2018-01-01' + INTERVAL (seq * 5) DAY, seq % 13, CONCAT('w', seq) FROM seq_1_to_400;
CREATE TABLE x (id INT NOT NULL AUTO_INCREMENT, d DATE NOT NULL, v INT, w VARCHAR(20), PRIMARY KEY (id, d), KEY kv (v))
  ENGINE=InnoDB;
INSERT INTO x VALUES (10001, '2019-03-01', 1, 'x1'), (10002, '2019-04-01', 2, 'x2');
CREATE TABLE h (id INT NOT NULL PRIMARY KEY, v INT, w VARCHAR(20)) ENGINE=InnoDB PARTITION BY HASH (id) PARTITIONS 4;
INSERT INTO h SELECT seq, seq % 7, CONCAT('h', seq) FROM seq_1_to_300;
CREATE TABLE l (id INT NOT NULL, g INT NOT NULL, v INT, PRIMARY KEY (id, g)) ENGINE=InnoDB
  PARTITION BY LIST (g) (PARTITION l0 VALUES IN (0), PARTITION l1 VALUES IN (1), PARTITION l2 VALUES IN (2));
INSERT INTO l SELECT seq, seq % 3, seq FROM seq_1_to_300;
CREATE TABLE tt (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, v INT, stamp VARCHAR(20)) ENGINE=InnoDB;
CREATE TRIGGER tt_bi BEFORE INSERT ON tt FOR EACH ROW SET NEW.stamp = CONCAT('v', IFNULL(NEW.v, 'null'));
INSERT INTO tt (v) SELECT seq FROM seq_1_to_200;
CREATE TABLE vt (id INT NOT NULL PRIMARY KEY, v INT) ENGINE=InnoDB WITH SYSTEM VERSIONING;
INSERT INTO vt SELECT seq, seq FROM seq_1_to_50;
UPDATE vt SET v = v + 1 WHERE id < 10;
SQL

# [table, ALTER]
my @fixed = (
	# the kinds the functional and live tests use
	[ t => "ADD COLUMN z INT NOT NULL DEFAULT 7" ],
	[ t => "ADD COLUMN added INT NULL DEFAULT 7, ADD INDEX ix_g (g)" ],
	[ t => "DROP COLUMN f" ],
	[ t => "MODIFY b VARCHAR(60)" ],
	[ t => "CHANGE a a2 INT" ],
	[ t => "RENAME COLUMN c TO c2" ],
	[ t => "CONVERT TO CHARACTER SET utf8mb4" ],
	[ t => "MODIFY id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT" ],
	[ t => "ADD COLUMN v1 INT AS (a + 1) VIRTUAL, ADD COLUMN s1 INT AS (g * 2) STORED" ],
	[ t => "ADD COLUMN first_col INT FIRST, MODIFY g INT NOT NULL DEFAULT 0 AFTER id" ],
	[ t => "ADD FULLTEXT INDEX ft (f)" ],
	[ t => "ADD CONSTRAINT chk_g CHECK (g >= 0)" ],
	[ t => "ADD UNIQUE KEY ug (g)" ],
	[ t => "FORCE" ],
	[ t => "ENGINE=InnoDB" ],
	[ t => "ALTER INDEX ka IGNORED" ],
	[ t => "ADD COLUMN inv INT INVISIBLE DEFAULT 3" ],
	# table options the swap must honour
	[ t => "AUTO_INCREMENT=10001" ],
	[ t => "AUTO_INCREMENT=5" ],
	[ t => "AUTO_INCREMENT=400" ],
	[ t => "ADD COLUMN z INT, AUTO_INCREMENT=100000" ],
	[ t => "COMMENT='a table comment'" ],
	[ t => "ROW_FORMAT=COMPACT" ],
	[ t => "ROW_FORMAT=COMPRESSED KEY_BLOCK_SIZE=8" ],
	[ t => "STATS_PERSISTENT=0 STATS_AUTO_RECALC=0 STATS_SAMPLE_PAGES=25" ],
	[ t => "PAGE_COMPRESSED=1" ],
	[ t => "ENCRYPTED=YES" ],
	# ALGORITHM= and LOCK=
	[ t => "ADD COLUMN z INT, ALGORITHM=INSTANT" ],
	[ t => "MODIFY a BIGINT, ALGORITHM=INSTANT" ],
	[ t => "ADD INDEX ix_d (d), ALGORITHM=INPLACE, LOCK=NONE" ],
	[ t => "ADD COLUMN z INT, ALGORITHM=NOCOPY" ],
	[ t => "MODIFY a BIGINT, ALGORITHM=COPY" ],
	[ t => "ADD COLUMN z INT, LOCK=SHARED" ],
	# key changes
	[ t => "DROP PRIMARY KEY, ADD PRIMARY KEY (id, g)" ],
	[ t => "DROP PRIMARY KEY, ADD PRIMARY KEY (id, g), DROP KEY ub, PARTITION BY HASH (g) PARTITIONS 3" ],
	[ t => "PARTITION BY HASH (id) PARTITIONS 3" ],
	[ t => "DROP KEY ub, PARTITION BY HASH (id) PARTITIONS 3" ],
	# partition maintenance
	[ p => "DROP PARTITION p0" ],
	[ p => "DROP PARTITION p0, p1" ],
	[ p => "TRUNCATE PARTITION p1" ],
	[ p => "TRUNCATE PARTITION ALL" ],
	[ p => "ADD PARTITION (PARTITION p9 VALUES LESS THAN (2040))" ],
	[ p => "REORGANIZE PARTITION pmax INTO (PARTITION p3 VALUES LESS THAN (2030), PARTITION pmax VALUES LESS THAN MAXVALUE)" ],
	[ p => "REORGANIZE PARTITION p0, p1 INTO (PARTITION p01 VALUES LESS THAN (2022))" ],
	[ p => "REBUILD PARTITION p0, p1" ],
	[ p => "ANALYZE PARTITION p1" ],
	[ p => "CHECK PARTITION ALL" ],
	[ p => "OPTIMIZE PARTITION p0" ],
	[ p => "REPAIR PARTITION p0" ],
	[ p => "EXCHANGE PARTITION p0 WITH TABLE x" ],
	[ p => "CONVERT PARTITION p0 TO TABLE p0t" ],
	[ p => "REMOVE PARTITIONING" ],
	[ p => "PARTITION BY HASH (id) PARTITIONS 2" ],
	[ p => "ADD COLUMN z INT NOT NULL DEFAULT 1" ],
	[ p => "DROP PARTITION nosuch" ],
	[ h => "COALESCE PARTITION 2" ],
	[ h => "ADD PARTITION PARTITIONS 2" ],
	[ h => "ADD COLUMN z INT" ],
	[ l => "ADD PARTITION (PARTITION l3 VALUES IN (3))" ],
	[ l => "DROP PARTITION l0" ],
	[ l => "REORGANIZE PARTITION l1, l2 INTO (PARTITION l12 VALUES IN (1, 2))" ],
	# a table with a trigger of its own; a system-versioned one
	[ tt => "ADD COLUMN z INT DEFAULT 4" ],
	[ tt => "MODIFY v BIGINT" ],
	[ vt => "ADD COLUMN z INT" ],
	[ t => "ADD SYSTEM VERSIONING" ],
	[ t => "DISCARD TABLESPACE" ],
);

# Random combinations of one to three clauses on t, with types, defaults,
# positions, keys, table options and ALGORITHM= now and then. Some are
# contradictory or do not fit the data: then the server must refuse them and
# oscar must change nothing.
srand($seed);
sub pick { return $_[int(rand(@_))]; }
my @types = ("INT", "BIGINT UNSIGNED", "VARCHAR(10)", "DATETIME(3)", "DECIMAL(8,3)", "TEXT", "ENUM('p','q')",
	"DATE", "TINYINT(1)", "CHAR(4)", "DOUBLE", "JSON");
my %defaults = ("INT" => "42", "BIGINT UNSIGNED" => "7", "VARCHAR(10)" => "'dv'", "DATETIME(3)" => "'2021-02-03 04:05:06.789'",
	"DECIMAL(8,3)" => "1.5", "TEXT" => "'tx'", "ENUM('p','q')" => "'q'", "DATE" => "'2022-01-01'", "TINYINT(1)" => "1",
	"CHAR(4)" => "'ch'", "DOUBLE" => "2.25", "JSON" => "'{}'");
my @cols = qw(a b c d e f g);
my $uniq = 0;
my @clause = (
	sub { my $t = pick(@types); my $nn = rand() < 0.4 ? " NOT NULL" : ""; my $def = rand() < 0.6 ? " DEFAULT $defaults{$t}" : "";
	      my $pos = rand() < 0.2 ? " FIRST" : rand() < 0.25 ? " AFTER " . pick(@cols) : "";
	      "ADD COLUMN n" . $uniq++ . " $t$nn$def$pos" },
	sub { "DROP COLUMN " . pick(qw(a c d e f g)) },
	sub { pick("MODIFY a BIGINT", "MODIFY a INT NOT NULL", "MODIFY b VARCHAR(60)", "MODIFY b VARCHAR(3)",
	           "MODIFY d DECIMAL(12,2)", "MODIFY d DECIMAL(4,1)", "MODIFY e ENUM('x','y','z','w')", "MODIFY e ENUM('x','y')",
	           "MODIFY c DATE", "MODIFY f VARCHAR(40)", "MODIFY g SMALLINT NOT NULL DEFAULT 1", "MODIFY a INT COMMENT 'hello'",
	           "MODIFY g BIGINT NOT NULL DEFAULT 0 FIRST", "MODIFY c DATETIME(6)", "MODIFY b VARCHAR(30) CHARACTER SET utf8mb4",
	           "MODIFY f MEDIUMTEXT", "MODIFY a TINYINT") },
	sub { pick("CHANGE a a" . $uniq++ . " INT", "RENAME COLUMN c TO c" . $uniq++, "CHANGE d d DECIMAL(11,2)",
	           "CHANGE b b" . $uniq++ . " VARCHAR(40)", "CHANGE e e" . $uniq++ . " ENUM('x','y','z') NOT NULL DEFAULT 'y'") },
	sub { my $c = pick(@cols); pick("ADD INDEX ix" . $uniq++ . " ($c" . ($c eq 'f' ? "(10)" : "") . ")",
	           "ADD UNIQUE ux" . $uniq++ . " (g)", "ADD UNIQUE (a)", "DROP INDEX ka", "DROP INDEX ub", "ADD INDEX (a, g)",
	           "RENAME INDEX ka TO ka" . $uniq++, "ADD FULLTEXT (f)", "ADD UNIQUE (b, g)") },
	sub { pick("ALTER COLUMN g SET DEFAULT 5", "ALTER COLUMN a DROP DEFAULT", "ALTER COLUMN b SET DEFAULT 'zz'") },
	sub { pick("COMMENT='c" . $uniq++ . "'", "ROW_FORMAT=COMPACT", "ROW_FORMAT=REDUNDANT", "ROW_FORMAT=DYNAMIC",
	           "STATS_PERSISTENT=1", "AUTO_INCREMENT=" . pick(1, 100, 379, 380, 381, 500, 100000), "CONVERT TO CHARACTER SET utf8mb4",
	           "DEFAULT CHARSET=utf8mb4", "ENGINE=InnoDB", "PAGE_COMPRESSED=1", "CHECKSUM=1") },
	sub { pick("ADD CONSTRAINT ck" . $uniq++ . " CHECK (g >= 0)", "ADD CONSTRAINT ck" . $uniq++ . " CHECK (g < 100)",
	           "ADD COLUMN v" . $uniq++ . " INT AS (g + 1) VIRTUAL", "ADD COLUMN s" . $uniq++ . " VARCHAR(40) AS (CONCAT(b, 'x')) STORED") },
	sub { pick("DROP PRIMARY KEY, ADD PRIMARY KEY (id, g)", "PARTITION BY HASH (id) PARTITIONS 2", "ADD PRIMARY KEY (g)") },
);
my @gen;
for (1 .. $ngen) {
	my $k = 1 + int(rand(3));
	my @c = map { $clause[int(rand(@clause))]->() } 1 .. $k;
	# PARTITION BY is a clause of its own: it goes last, without a comma
	my @part = grep { /^PARTITION BY/ } @c;
	@c = grep { !/^PARTITION BY/ } @c;
	my $text = join(', ', @c);
	$text .= ($text ? ' ' : '') . $part[0] if @part;
	$text = "FORCE" if $text eq '';
	$text .= pick(", ALGORITHM=INSTANT", ", ALGORITHM=INPLACE", ", ALGORITHM=COPY", ", LOCK=NONE") if rand() < 0.12;
	push @gen, [ t => $text ];
}

# Refusals the README documents, and nothing else.
my @documented = (
	qr/adds unique key '.*', which would silently drop duplicate rows/,
	qr/is system-versioned/,
	qr/changes system versioning/,
	qr/DISCARD\/IMPORT TABLESPACE/,
	qr/the ALTER fails on the shadow table/,                 # the server refuses it too (checked below)
	qr/the server cannot apply this ALTER with ALGORITHM=/,  # idem
	qr/the server does not accept the/,                      # idem
	qr/needs a PRIMARY KEY or a NOT NULL UNIQUE key/,
	qr/trigger '.*' of the table .*(uses|refers)/,
	qr/is added NOT NULL without a DEFAULT/,
);

sub schema_state { # every table's definition and rows, and the triggers
	my ($db) = @_;
	my %s;
	my $tables = $dbh->selectcol_arrayref("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? ORDER BY 1",
		undef, $db);
	for my $t (@$tables) {
		my $ddl = ($dbh->selectrow_array("SHOW CREATE TABLE `$db`.`$t`"))[1];
		# invisible columns too, which SELECT * leaves out
		my $cols = $dbh->selectcol_arrayref("SELECT CONCAT('`', REPLACE(COLUMN_NAME, '`', '``'), '`') FROM information_schema.COLUMNS
			WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION", undef, $db, $t);
		my $order = join(', ', 1 .. scalar(@$cols));
		my $rows = eval { $dbh->selectall_arrayref("SELECT " . join(', ', @$cols) . " FROM `$db`.`$t` ORDER BY $order") }
			// [ [ "unreadable: " . $dbh->errstr ] ];
		# the counter is compared on its own (see below)
		$s{"counter $t"} = $ddl =~ / AUTO_INCREMENT=(\d+)/ ? $1 : 'none';
		$ddl =~ s/ AUTO_INCREMENT=\d+//;
		$s{"table $t"} = $ddl;
		$s{"rows $t"} = join("\n", map { join("\t", map { defined $_ ? $_ : '\N' } @$_) } @$rows);
	}
	for my $tr (@{ $dbh->selectall_arrayref("SELECT TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION,
			ACTION_STATEMENT, ACTION_ORDER FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = ? ORDER BY 1", undef, $db) }) {
		$s{"trigger $tr->[0]"} = join(' ', @$tr[1 .. 5]);
	}
	return \%s;
}

my %count = (ran => 0, matched => 0, refused => 0, rejected => 0, differ => 0, counter_reloaded => 0);
# InnoDB keeps two AUTO_INCREMENT counters: the one in memory, which a
# multi-row insert advances by whole batches (a counter of 512 after 400 rows),
# and the persisted one (the largest value handed out, plus one). An in-place
# ALTER that adds a VIRTUAL column reloads the persisted one; a copy, the
# server's or oscar's, keeps the one in memory, which is never lower. No key is
# reused either way; README, "Exactly what the ALTER says".
my $counter_reloads;
sub differences {
	my ($x, $y) = @_;
	my %k = (%$x, %$y);
	my @d;
	for my $k (sort keys %k) {
		my ($a, $b) = ($x->{$k} // '(none)', $y->{$k} // '(none)');
		next if $a eq $b;
		if ($k =~ /^counter/ && $counter_reloads && $a =~ /^\d+$/ && $b =~ /^\d+$/ && $b > $a) {
			$count{counter_reloaded}++;
			next;
		}
		if ($k =~ /^rows/) {
			my @a = split /\n/, $a; my @b = split /\n/, $b;
			push @d, "$k: " . scalar(@a) . " rows natively, " . scalar(@b) . " with oscar";
		} else {
			push @d, "$k:\n  native: " . substr($a, 0, 1500) . "\n  oscar:  " . substr($b, 0, 1500);
		}
	}
	return @d;
}

sub run_oscar { # exit status; stdout and stderr in $tmp/out, $tmp/err
	my $pid = fork() // die "fork: $!";
	if (!$pid) {
		open(STDOUT, '>', "$tmp/out") or die;
		open(STDERR, '>', "$tmp/err") or die;
		exec($bin, "--socket=$sock", "--user=root", @_) or die "exec $bin: $!";
	}
	waitpid($pid, 0);
	return $? >> 8;
}

sub fresh {
	my ($db) = @_;
	$dbh->do("DROP DATABASE IF EXISTS `$db`");
	$dbh->do("CREATE DATABASE `$db`");
	$dbh->do("USE `$db`");
	$dbh->do($_) for grep { /\S/ } split /;\s*\n/, $schema_sql;
}

my %refused_kinds;
my $i = 0;
for my $case (@fixed, @gen) {
	my ($table, $alter) = @$case;
	$i++;
	fresh('diff_native');
	fresh('diff_oscar');
	my $start = schema_state('diff_oscar');
	my $native_err;
	eval { $dbh->do("USE diff_native"); $dbh->do("ALTER TABLE `$table` $alter"); 1 } or $native_err = $dbh->errstr;
	# LOCK= and ALGORITHM=COPY ask the server how to copy; oscar copies
	# online whatever they say, so its result is the ALTER without them
	(my $bare = $alter) =~ s/,\s*(LOCK|ALGORITHM)\s*=?\s*(NONE|SHARED|EXCLUSIVE|DEFAULT|COPY)\b//gi;
	if (defined $native_err && $bare ne $alter) {
		undef $native_err;
		eval { $dbh->do("ALTER TABLE `$table` $bare"); 1 } or $native_err = $dbh->errstr;
	}
	my $rc = run_oscar("--database=diff_oscar", "--table=$table", "--alter=$alter", "--execute", "--quiet");
	my $err = do { local (@ARGV, $/) = ("$tmp/err"); <> } // '';
	my $line = (grep { /error:/ } split /\n/, $err)[0] // $err;
	$count{ran}++;
	my $native = schema_state('diff_native');
	my $osc = schema_state('diff_oscar');
	my $name = "[$i] $table: $alter";
	$counter_reloads = $alter =~ /\bVIRTUAL\b/i && !defined $native_err;
	if ($rc == 0) {
		my @d = differences($native, $osc);
		if (defined $native_err) {
			ok(0, "$name: oscar did it, but the server refuses it ($native_err)");
			$count{differ}++;
		} elsif (ok(!@d, "$name: same result as the server's own ALTER")) {
			$count{matched}++;
		} else {
			diag(@d);
			$count{differ}++;
		}
		next;
	}
	# oscar did not do it: then nothing may have changed, and the reason
	# must be the server's own refusal or a documented one
	my @changed = differences($start, $osc);
	ok(!@changed, "$name: refused (exit $rc), nothing changed") or diag(@changed);
	if (defined $native_err) {
		$count{rejected}++;
		next;
	}
	$count{refused}++;
	my $doc = grep { $line =~ $_ } @documented;
	ok($rc == 3 && $doc, "$name: the server does it, oscar refuses with a documented reason") or diag("exit $rc: $line");
	(my $kind = $line) =~ s/.*refused: //;
	$kind =~ s/'[^']*'/'…'/g;
	$refused_kinds{$kind}++;
}
my $left = $dbh->selectall_arrayref("SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'diff_oscar'
	AND (TABLE_NAME LIKE '\\_%\\_new' OR TABLE_NAME LIKE '\\_%\\_old')");
ok(!@$left, "no shadow or old table left in the schema oscar worked on");
diag("differential: $count{ran} ALTERs (" . scalar(@fixed) . " fixed, $ngen generated with seed $seed): "
	. "$count{matched} matched the server, $count{refused} refused by oscar although the server does them, "
	. "$count{rejected} rejected by the server (oscar changed nothing either), $count{differ} different; "
	. "$count{counter_reloaded} with the server's in-place ALTER reloading the persisted AUTO_INCREMENT counter");
diag("  refused: $refused_kinds{$_} x $_") for sort keys %refused_kinds;
print "1..$n\n";
exit($failed ? 1 : 0);
