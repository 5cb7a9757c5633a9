#!/usr/bin/perl
# Concurrent writers for the live-migration tests. Each writer owns the ids
# congruent to its number modulo the writer count, so it alone decides what its
# rows must look like: it keeps a model of everything it committed and, when
# the stop file appears, writes that model out for check.pl.
#
#   writers.pl SOCKET DB TABLE NWRITERS STOPFILE OUTDIR [SEED]
#
# Errors after OUTDIR/after exists are reported as "error: after: ...".
# SOCKET may list several sockets separated by spaces (the nodes of a Galera
# cluster): writer w writes through socket w modulo their count. A writer
# loads its model with wsrep_sync_wait=15 where the server has it, so that on
# a cluster it starts from everything committed on any node (field note 27),
# and then creates OUTDIR/writerN.ready.
use strict;
use warnings;
use DBI;
use FindBin;
use lib $FindBin::Bin;
use Forked;
use Time::HiRes qw(sleep time);

my ($sock, $db, $table, $nw, $stopfile, $outdir, $seed) = @ARGV;
die "usage: writers.pl SOCKET DB TABLE N STOPFILE OUTDIR [SEED]\n" unless $outdir;
$seed //= 42;
Forked::run_writers($nw, \&writer);

sub rand_text {
	my @parts = ('plain', "caf\x{e9}", "\x{1F600}smile", "na\x{ef}ve", "\x{4e2d}\x{6587}", "quote'd", 'x' x 30, '');
	my $s = join(' ', map { $parts[int(rand(@parts))] } 1 .. 1 + int(rand(3)));
	$s = substr($s, 0, 100);
	utf8::upgrade($s); # DBD::mysql sends strings without the UTF8 flag as raw bytes
	return rand() < 0.1 ? undef : $s;
}
sub rand_dt {
	return undef if rand() < 0.1;
	return sprintf('20%02d-%02d-%02d %02d:%02d:%02d.%06d', 10 + int(rand(20)), 1 + int(rand(12)), 1 + int(rand(28)),
		int(rand(24)), int(rand(60)), int(rand(60)), int(rand(1000000)));
}
sub rand_dec { return rand() < 0.1 ? undef : sprintf('%.4f', (rand() - 0.5) * 1e6); }
# WRITERS_N_NOT_NULL=1: n is part of a key (never NULL), and changes often
sub rand_n { return rand() < 0.1 && !$ENV{WRITERS_N_NOT_NULL} ? undef : int(rand(2**31 - 1)) - 2**30; }

sub writer {
	my ($w) = @_;
	srand($seed * 1000 + $w);
	# half use server-side prepared statements (OSCAR_WRITERS_PS=0: none)
	my $ps = $w % 2 == 0 && ($ENV{OSCAR_WRITERS_PS} // 1) ? 1 : 0;
	my @socks = split ' ', $sock;
	my $mysock = $socks[$w % @socks];
	my $dbh = DBI->connect("DBI:mysql:database=$db;mysql_socket=$mysock;mysql_server_prepare=$ps",
		'root', '', { RaiseError => 0, PrintError => 0, AutoCommit => 1, mysql_enable_utf8mb4 => 1 })
		or die "writer $w: connect: $DBI::errstr";
	my %model;
	my $galera = @socks > 1 || ($dbh->selectrow_array('SELECT @@global.wsrep_on') // 0) == 1;
	$dbh->do('SET SESSION wsrep_sync_wait=15') or die "writer $w: wsrep_sync_wait: " . $dbh->errstr if $galera;
	my $sth = $dbh->prepare("SELECT id, u, txt, dt, `dec`, n FROM `$table` WHERE id % $nw = $w");
	$sth->execute or die "writer $w: load: " . $dbh->errstr;
	my $maxid = $w;
	while (my $r = $sth->fetchrow_arrayref) {
		$model{$r->[0]} = [@$r[1 .. 5]];
		$maxid = $r->[0] if $r->[0] > $maxid;
	}
	$dbh->do('SET SESSION wsrep_sync_wait=0') if $galera;
	open(my $ready, '>', "$outdir/writer$w.ready") or die "writer $w: $outdir: $!";
	close($ready);
	my $next = $maxid + $nw;
	my $uniq = 0;
	my ($commits, $rollbacks, $errors, $ops) = (0, 0, 0, 0);
	my %errs;
	my $q = sub { my $t = $table; return shift =~ s/TBL/`$t`/r; };
	# errors of transactions begun after OUTDIR/after appeared (the test's
	# "the tool has finished") are counted apart; by when the transaction
	# began, not when its error came: on a Galera node a transaction that the
	# tool's last total-order DDL aborted while idle learns it at its next
	# statement or COMMIT, which can come after that
	my $began_after = '';
	my $late = sub { return $began_after; };
	my %st = (
		ins => $dbh->prepare($q->('INSERT INTO TBL (id, u, txt, dt, `dec`, n) VALUES (?, ?, ?, ?, ?, ?)')),
		upd => $dbh->prepare($q->('UPDATE TBL SET txt = ?, dt = ?, `dec` = ?, n = ? WHERE id = ?')),
		key => $dbh->prepare($q->('UPDATE TBL SET id = ? WHERE id = ?')),
		uni => $dbh->prepare($q->('UPDATE TBL SET u = ? WHERE id = ?')),
		del => $dbh->prepare($q->('DELETE FROM TBL WHERE id = ?')),
		# matches its row and changes nothing: on a Galera node its writeset
		# then has no key of the table (see unchanged_skip in triggers.c)
		same => $dbh->prepare($q->('UPDATE TBL SET n = n WHERE id = ?')),
	);
	# every statement and its outcome, for a look at a failed check
	open(my $oplog, '>', "$outdir/writer$w.ops") or die "writer $w: $outdir: $!";
	my $tno = 0;
	until (-e $stopfile) {
		$began_after = -e "$outdir/after" ? 'after: ' : '';
		$tno++;
		my %pending = %model;
		my $txn = rand() < 0.25;
		my $nops = $txn ? 2 + int(rand(3)) : 1;
		my $ok = 1;
		$dbh->begin_work if $txn;
		for (1 .. $nops) {
			my @ids = keys %pending;
			my $r = rand();
			my ($res, $kind, $opid) = (undef, 'ins', '-');
			if ($r < 0.3 || @ids < 5) {
				my $id = $next; $next += $nw; $opid = $id;
				my $u = rand() < 0.3 ? undef : "w$w-" . $uniq++;
				my @v = ($u, rand_text(), rand_dt(), rand_dec(), rand_n());
				$res = $st{ins}->execute($id, @v);
				$pending{$id} = [@v] if $res;
			} else {
				my $id = $ids[int(rand(@ids))]; $opid = $id;
				$kind = $r < 0.55 ? 'upd' : $r < 0.7 ? 'key' : $r < 0.85 ? 'uni' : $r < 0.9 ? 'same' : 'del';
				if ($r < 0.55) {
					my @v = (rand_text(), rand_dt(), rand_dec(), rand_n());
					$res = $st{upd}->execute(@v, $id);
					$pending{$id} = [$pending{$id}[0], @v] if $res;
				} elsif ($r < 0.7) {
					my $new = $next; $next += $nw; $opid = "$id>$new";
					$res = $st{key}->execute($new, $id);
					if ($res) { $pending{$new} = delete $pending{$id}; }
				} elsif ($r < 0.85) {
					my $u = rand() < 0.2 ? undef : "w$w-" . $uniq++;
					$res = $st{uni}->execute($u, $id);
					$pending{$id} = [$u, @{$pending{$id}}[1 .. 4]] if $res;
				} elsif ($r < 0.9) {
					$res = $st{same}->execute($id);
				} else {
					$res = $st{del}->execute($id);
					delete $pending{$id} if $res;
				}
			}
			$ops++;
			printf $oplog "%.6f %d %s %s %s %s\n", Time::HiRes::time(), $tno, $txn ? 'txn' : 'auto', $kind,
				$opid, $res ? $res : 'fail ' . ($dbh->err // '');
			if (!$res) { $ok = 0; $errs{$late->() . $dbh->err . ' ' . $dbh->errstr . ($dbh->err == 1213 ? '' : " ($kind)")}++; last; }
		}
		if ($txn) {
			if ($ok && rand() < 0.15) {
				$dbh->rollback;
				$rollbacks++;
				printf $oplog "%.6f %d rollback-by-choice\n", Time::HiRes::time(), $tno;
				next;
			}
			# DBD::mysql's commit returns true even when the server refused
			# the COMMIT (a Galera node reports a transaction it aborted,
			# 1213, there): only err tells
			printf $oplog "%.6f %d autocommit-on-in-txn\n", Time::HiRes::time(), $tno if $dbh->{AutoCommit};
			if ($ok) { $ok = $dbh->commit && !$dbh->err; $errs{$late->() . 'commit ' . $dbh->err . ' ' . $dbh->errstr}++ unless $ok; }
			else { $dbh->rollback; }
			printf $oplog "%.6f %d %s\n", Time::HiRes::time(), $tno, $ok ? 'commit' : 'rollback';
		}
		if ($ok) { %model = %pending; $commits++; }
		else { $errors++; }
	}
	close $oplog;
	open(my $out, '>:encoding(UTF-8)', "$outdir/writer$w.model") or die;
	for my $id (sort { $a <=> $b } keys %model) {
		print $out join("\t", $id, map { defined $_ ? $_ : '\\N' } @{$model{$id}}), "\n";
	}
	close $out;
	open(my $st, '>', "$outdir/writer$w.stats") or die;
	print $st "commits=$commits rollbacks=$rollbacks errors=$errors ops=$ops\n";
	print $st "error: $_ x$errs{$_}\n" for sort keys %errs;
	close $st;
}
