#!/usr/bin/perl
# Latency probe for scripts/bench-live.sh: one connection updating one row of
# sbtest1 back to back, through a server-side prepared statement, until the
# stop file appears. Writes one line per statement to OUT:
#   <start, epoch seconds> <latency ms> <ok|err>
# Usage: bench-live-probe.pl SOCKET ID STOPFILE OUT
use strict;
use warnings;
use DBI;
use Time::HiRes qw(time sleep);

my ($sock, $id, $stop, $out) = @ARGV;
die "usage: $0 SOCKET ID STOPFILE OUT\n" unless defined $out;
my $dsn = "DBI:mysql:database=sbtest;mysql_socket=$sock;mysql_server_prepare=1";
open(my $fh, '>', $out) or die "$out: $!\n";

my ($dbh, $sth);
sub connect_db {
	$dbh = DBI->connect($dsn, 'root', '', { RaiseError => 0, PrintError => 0, AutoCommit => 1 });
	$sth = $dbh ? $dbh->prepare('UPDATE sbtest1 SET k = k + 1 WHERE id = ?') : undef;
	return defined $sth;
}
until (connect_db()) { sleep 0.1; last if -e $stop; }

my $n = 0;
while (1) {
	if ($n++ % 50 == 0) { last if -e $stop; }
	my $t0 = time;
	my $ok = $sth && defined $sth->execute($id);
	my $t1 = time;
	printf $fh "%.6f %.3f %s\n", $t0, ($t1 - $t0) * 1000, $ok ? 'ok' : 'err' . ($sth ? $sth->err // '' : '');
	unless ($ok) {
		# a failed statement is recorded; reconnect if the connection went away
		connect_db() unless $dbh && $dbh->ping;
	}
}
close $fh;
