#!/usr/bin/perl
# Writers whose statements change several rows each, for the AUTO-INC test
# (test/t/47-autoinc-fence.t). Each transaction updates four rows in two
# statements, always in ascending key order, and every fifth also inserts
# two rows with generated ids: on the table alone such writers wait for each
# other but never deadlock, so any error they see comes from the migration.
#
#   multirow.pl SOCKET DB TABLE NWRITERS ROWS STOPFILE OUTDIR [SEED]
#
# Writer N writes OUTDIR/writerN.stats when the stop file appears:
# "commits=C errors=E inserted=I" and one "error: ERRNO MESSAGE" line per
# failed statement; OUTDIR/writerN.ready once it has committed once.
use strict;
use warnings;
use DBI;
use FindBin;
use lib $FindBin::Bin;
use Forked;

my ($sock, $db, $table, $nw, $rows, $stopfile, $outdir, $seed) = @ARGV;
die "usage: multirow.pl SOCKET DB TABLE N ROWS STOPFILE OUTDIR [SEED]\n" unless $outdir;
$seed //= 42;
# MULTIROW_HOT rows at the start of the table take MULTIROW_HOT_SHARE of
# the transactions
my $hot = $ENV{MULTIROW_HOT} // 200;
my $hot_share = $ENV{MULTIROW_HOT_SHARE} // 0.5;
Forked::run_writers($nw, \&writer);

sub writer {
	my ($w) = @_;
	srand($seed + $w);
	my $dbh = DBI->connect("DBI:mysql:database=$db;mysql_socket=$sock", 'root', '',
			       { RaiseError => 0, PrintError => 0, AutoCommit => 1 })
		or die "writer $w: connect: $DBI::errstr\n";
	my $upd = $dbh->prepare("UPDATE `$table` SET v = v + 1 WHERE id IN (?, ?)");
	my $ins = $dbh->prepare("INSERT INTO `$table` (g, v) VALUES (?, 0), (?, 0)");
	my ($commits, $errors, $inserted, @log) = (0, 0, 0);
	my $n = 0;
	until (-e $stopfile) {
		$n++;
		# most transactions on a hot range, where writers meet
		my $span = rand() < $hot_share ? $hot : $rows;
		my %pick;
		$pick{1 + int(rand($span))} = 1 while keys %pick < 4;
		my @ids = sort { $a <=> $b } keys %pick;
		my $ok = $dbh->begin_work;
		$ok &&= $upd->execute(@ids[0, 1]);
		$ok &&= $upd->execute(@ids[2, 3]);
		my $add = $n % 5 == 0;
		$ok &&= $ins->execute($w, $w) if $add;
		$ok &&= $dbh->commit;
		if ($ok) {
			$commits++;
			$inserted += 2 if $add;
			if ($commits == 1) { open(my $r, '>', "$outdir/writer$w.ready"); close $r; }
		} else {
			$errors++;
			push @log, sprintf("error: %d %s", $dbh->err // 0, $dbh->errstr // '');
			$dbh->rollback;
		}
	}
	open(my $out, '>', "$outdir/writer$w.stats") or die;
	print $out "commits=$commits errors=$errors inserted=$inserted\n";
	print $out "$_\n" for @log;
	close $out;
}
