#!/usr/bin/env bash
# The manual page against the program: the same options as --help, rendered
# by groff without warnings, every exit status documented. Needs no server, so
# it does not source test/lib/common.sh and prints its own TAP.
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=${OSCAR_BIN:-$root/oscar}
man=${OSCAR_MAN:-$root/man/oscar.1}

n=0
failed=0
ok() { # ok STATUS NAME
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
skip() { n=$((n + 1)); echo "ok $n # skip $1"; }
diag() { printf '%s\n' "$@" | sed 's/^/# /'; }

tmp=$(mktemp -d /tmp/oscar-docs.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# 1. both files are there
[ -x "$bin" ]; ok $? "oscar is built ($bin)"
[ -f "$man" ]; ok $? "man/oscar.1 exists"

# 2. option names: "  --name..." lines of --help; in the man page the ".B \-\-name"
# (or .BI/.BR) line that follows each ".TP" under OPTIONS
"$bin" --help >"$tmp/help" 2>&1
ok $? "oscar --help exits 0"
sed -n 's/^  --\([a-z][a-z0-9-]*\).*/\1/p' "$tmp/help" | sort -u >"$tmp/help.opts"
awk '
	/^\.SH/ { in_opts = ($0 ~ /^\.SH "?OPTIONS"?$/) }
	in_opts && prev == ".TP" && /^\.B[IR]? / {
		line = $0
		gsub(/\\f[BIRP]/, "", line)
		gsub(/\\-/, "-", line)
		if (match(line, /--[a-z][a-z0-9-]*/))
			print substr(line, RSTART + 2, RLENGTH - 2)
	}
	{ prev = $0 }
' "$man" | sort -u >"$tmp/man.opts"
[ -s "$tmp/help.opts" ]; ok $? "options found in --help ($(wc -l <"$tmp/help.opts"))"
[ -s "$tmp/man.opts" ]; ok $? "options found in man/oscar.1 OPTIONS ($(wc -l <"$tmp/man.opts"))"
only_help=$(comm -23 "$tmp/help.opts" "$tmp/man.opts")
only_man=$(comm -13 "$tmp/help.opts" "$tmp/man.opts")
[ -z "$only_help" ]; ok $? "every option of --help is documented in man/oscar.1"
[ -z "$only_help" ] || diag "in --help but not in the man page:" $only_help
[ -z "$only_man" ]; ok $? "every option in man/oscar.1 exists in --help"
[ -z "$only_man" ] || diag "in the man page but not in --help:" $only_man

# 3. it renders cleanly
if command -v groff >/dev/null 2>&1; then
	groff -man -Tutf8 -ww -z "$man" >"$tmp/groff.err" 2>&1
	rc=$?
	[ $rc -eq 0 ] && [ ! -s "$tmp/groff.err" ]
	ok $? "groff -man -Tutf8 -ww renders man/oscar.1 without warnings"
	[ -s "$tmp/groff.err" ] && diag "$(head -20 "$tmp/groff.err")"
else
	skip "groff not installed: rendering not checked"
fi

# 4. every exit status 0-7 has its own entry under EXIT STATUS
awk '
	/^\.SH/ { in_exit = ($0 ~ /^\.SH "?EXIT STATUS"?$/) }
	in_exit && prev == ".TP" && /^\.B [0-9]+$/ { print $2 }
	{ prev = $0 }
' "$man" | sort -n | tr '\n' ' ' >"$tmp/man.codes"
for code in 0 1 2 3 4 5 6 7; do
	grep -qw "$code" "$tmp/man.codes"
	ok $? "exit status $code is documented in man/oscar.1"
done
# and those are the statuses the program knows (include/options.h)
hdr=$root/include/options.h
if [ -f "$hdr" ]; then
	codes=$(sed -n 's/^[[:space:]]*EXIT_[A-Z_]* = \([0-9]*\),.*/\1/p' "$hdr" | sort -n | tr '\n' ' ')
	[ "$codes" = "0 1 2 3 4 5 6 7 " ]
	ok $? "include/options.h defines exactly the exit statuses 0-7"
	[ "$codes" = "0 1 2 3 4 5 6 7 " ] || diag "include/options.h: $codes"
fi

# 5. the sections the brief promises
for s in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" "JSON EVENTS" SIGNALS FILES LIMITATIONS EXAMPLES "SEE ALSO"; do
	grep -Eq "^\.SH \"?$s\"?$" "$man"
	ok $? "man/oscar.1 has a $s section"
done

echo "1..$n"
[ $failed -eq 0 ] || { echo "# $failed of $n failed"; exit 1; }
exit 0
