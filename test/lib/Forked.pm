# The writer processes of the test writers (writers.pl, multirow.pl): N
# children, each running the writer with its number; the parent waits for
# all and exits 1 if any failed.
package Forked;
use strict;
use warnings;

sub run_writers {
	my ($n, $writer) = @_;
	my @kids;
	for my $w (0 .. $n - 1) {
		my $pid = fork();
		die "fork: $!" unless defined $pid;
		if (!$pid) { $writer->($w); exit 0; }
		push @kids, $pid;
	}
	my $fail = 0;
	for (@kids) { waitpid($_, 0); $fail ||= $?; }
	exit($fail ? 1 : 0);
}

1;
