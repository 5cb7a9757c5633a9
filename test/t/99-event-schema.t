#!/usr/bin/perl
# Every JSON event the test suite produced (scripts/run-tests.sh has every run
# append its events to OSCAR_EVENT_LOG) against the man page's JSON EVENTS:
# each event kind is documented there, each of its fields is listed under it
# (or under "statistics" for done, error and incomplete), every event carries
# the common fields, and every error event its exit status. Runs last, so it
# sees what the other tests produced.
use strict;
use warnings;
use JSON::PP;

my $root = $ENV{OSCAR_ROOT} // '.';
my $log = $ENV{OSCAR_EVENT_LOG};
my $n = 0;
my $failed = 0;
sub ok { my ($c, $name) = @_; $n++; print(($c ? "ok" : "not ok") . " $n - $name\n"); $failed++ unless $c; return $c; }
sub diag { print STDERR map { "# $_\n" } @_; }

unless ($log && -s $log) {
	print "1..0 # skip no event log (run through scripts/run-tests.sh with the whole suite)\n";
	exit 0;
}

# The documented fields: in JSON EVENTS, each ".TP" then ".B name" starts an
# event's entry; every bold word in it names a field. ".BI prefix_ WORD _s"
# stands for a family of names.
open(my $man, '<', "$root/man/oscar.1") or die "man page: $!";
my (%fields, %families, $cur, $in);
my $prev = '';
while (my $l = <$man>) {
	chomp $l;
	if ($l eq '.SH JSON EVENTS') { $in = 1; next; }
	next unless $in;
	last if $l =~ /^\.SH /;
	if ($prev eq '.TP' && $l =~ /^\.B ([a-z_]+)$/) {
		$cur = $1;
		$fields{$cur} //= {};
		$prev = $l;
		next;
	}
	$prev = $l;
	next unless $cur;
	if ($l =~ /^\.BI ([a-z_]+) [A-Z]+ ([a-z_]+)/) {
		push @{ $families{$cur} }, qr/^\Q$1\E[a-z0-9_]+\Q$2\E$/;
		next;
	}
	if ($l =~ /^\.(?:B|BR|RB|IR) (.*)$/) {
		for my $w (split /[\s,.;:()]+/, $1) {
			$fields{$cur}{$w} = 1 if $w =~ /^[a-z_][a-z0-9_]*$/;
		}
	}
}
close $man;
ok(scalar(keys %fields) >= 20, "the man page documents the events (" . scalar(keys %fields) . " entries)");
ok(exists $fields{statistics}, "the man page has the statistics entry");

my %common = map { $_ => 1 } qw(ts event run_id database table);
my %with_stats = map { $_ => 1 } qw(done error incomplete);
my $json = JSON::PP->new;
open(my $in_log, '<', $log) or die "$log: $!";
my (%seen, %bad_field, %undocumented, $lines, $broken, $no_common, $error_without_status);
while (my $line = <$in_log>) {
	$lines++;
	my $e = eval { $json->decode($line) };
	if (!$e || ref $e ne 'HASH') { $broken++; diag("not JSON: $line") if $broken <= 3; next; }
	my $kind = $e->{event} // '';
	$seen{$kind}++;
	if (!exists $fields{$kind}) { $undocumented{$kind}++; next; }
	# a run's events name it; --status names its jobs in "job" events, and a
	# usage error may come before there is a database to name
	$no_common++ unless defined $e->{ts} && defined $e->{run_id} &&
		(defined $e->{database} || $kind eq 'job' || $kind eq 'error');
	$error_without_status++ if $kind eq 'error' && !defined $e->{exit_status};
	for my $k (keys %$e) {
		next if $common{$k} || $fields{$kind}{$k};
		next if grep { $k =~ $_ } @{ $families{$kind} || [] };
		if ($with_stats{$kind}) {
			next if $fields{statistics}{$k} || grep { $k =~ $_ } @{ $families{statistics} || [] };
		}
		$bad_field{"$kind.$k"}++;
	}
}
close $in_log;
ok($lines > 100, "the suite produced events ($lines)");
ok(!$broken, "every line is one JSON object");
ok(scalar(keys %seen) >= 15, "many kinds of event were produced: " . join(' ', sort keys %seen));
ok(!%undocumented, "every event kind is documented") or diag("undocumented: " . join(', ', sort keys %undocumented));
ok(!%bad_field, "every field is documented under its event") or diag("undocumented fields: " . join(', ', sort keys %bad_field));
ok(!$no_common, "every event carries ts, run_id and database") or diag("$no_common without");
ok(!$error_without_status, "every error event carries exit_status") or diag("$error_without_status without");
print "1..$n\n";
exit($failed ? 1 : 0);
