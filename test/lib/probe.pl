#!/usr/bin/perl
# An application stand-in: point writes on one row, back to back, until the
# stop file appears; prints the longest single statement in milliseconds, the
# statement count and the error count.
#   probe.pl SOCKET DB TABLE STOPFILE
use strict;
use warnings;
use DBI;
use Time::HiRes qw(time);

my ($sock, $db, $table, $stop) = @ARGV;
my $dbh = DBI->connect("DBI:mysql:database=$db;mysql_socket=$sock;mysql_server_prepare=1", 'root', '',
	{ RaiseError => 0, PrintError => 0, AutoCommit => 1 }) or die $DBI::errstr;
my $sth = $dbh->prepare("UPDATE `$table` SET n = n + 1 WHERE id = 1");
my ($max, $count, $errors) = (0, 0, 0);
until (-e $stop) {
	my $t0 = time;
	$sth->execute or $errors++;
	my $dt = (time - $t0) * 1000;
	$max = $dt if $dt > $max;
	$count++;
}
printf "max_ms=%.1f count=%d errors=%d\n", $max, $count, $errors;
