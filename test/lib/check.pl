#!/usr/bin/perl
# Compares a table, row by row and column by column, with what the writers of
# writers.pl committed. Prints every differing row; exits 1 if any.
#   check.pl SOCKET DB TABLE MODELDIR
use strict;
use warnings;
use DBI;

my ($sock, $db, $table, $dir) = @ARGV;
my %want;
for my $f (glob("$dir/writer*.model")) {
	open(my $in, '<:encoding(UTF-8)', $f) or die "$f: $!";
	while (<$in>) {
		chomp;
		my @c = split /\t/, $_, -1;
		$want{$c[0]} = [map { $_ eq '\\N' ? undef : $_ } @c[1 .. 5]];
	}
}
my $dbh = DBI->connect("DBI:mysql:database=$db;mysql_socket=$sock", 'root', '',
	{ RaiseError => 1, mysql_enable_utf8mb4 => 1 });
# on a Galera node: read only after applying everything committed anywhere
my ($wsrep) = eval { $dbh->selectrow_array('SELECT @@global.wsrep_on') };
$dbh->do('SET SESSION wsrep_sync_wait=15') if ($wsrep // 0) == 1;
my %have;
my $sth = $dbh->prepare("SELECT id, u, txt, dt, `dec`, n FROM `$table`");
$sth->execute;
while (my $r = $sth->fetchrow_arrayref) {
	$have{$r->[0]} = [@$r[1 .. 5]];
}
my @names = qw(u txt dt dec n);
my $diff = 0;
my $show = sub { defined $_[0] ? "'$_[0]'" : 'NULL' };
my %ids = (%want, %have);
for my $id (sort { $a <=> $b } keys %ids) {
	my ($w, $h) = ($want{$id}, $have{$id});
	if (!$h) { print "# missing row id=$id (committed by a writer)\n" if $diff++ < 50; next; }
	if (!$w) { print "# extra row id=$id (never committed by any writer)\n" if $diff++ < 50; next; }
	for my $i (0 .. 4) {
		my ($a, $b) = ($w->[$i], $h->[$i]);
		next if !defined $a && !defined $b;
		if (!defined $a || !defined $b || $a ne $b) {
			print "# row id=$id column $names[$i]: committed " . $show->($a) . ", table has " . $show->($b) . "\n"
				if $diff++ < 50;
		}
	}
}
printf "# compared %d committed rows with %d table rows: %d difference(s)\n", scalar(keys %want), scalar(keys %have), $diff;
exit($diff ? 1 : 0);
