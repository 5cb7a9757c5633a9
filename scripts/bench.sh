#!/usr/bin/env bash
# oscar benchmark: the same ALTER on the same 1,000,000-row sysbench table, done
# by the server itself (ALTER TABLE ... ALGORITHM=COPY), by oscar with its
# defaults and by pt-online-schema-change (when installed).
#
# One throwaway MariaDB server (scripts/testserver.sh) holds a template table in
# sysbench's shape (id, k, c, pad; secondary index k_1), made by `sysbench
# oltp_common prepare` or, without sysbench, by INSERT ... SELECT from a sequence
# with the same shape. Before every timed run sbtest1 is re-created from the
# template, so each tool starts from identical data. The tools take turns, round
# after round (BENCH_ROUNDS, default 3), and the median of each is reported.
# A fourth line, oscar with --copy-method=server, is there for comparison
# (BENCH_OSCAR_SERVER=0 leaves it out).
# Nothing else runs against the server: this measures the cost of the copy, not
# behaviour under load.
#
# At the end it runs scripts/bench-live.sh on the same server: the same change
# while sysbench writes to the table (BENCH_LIVE=0 skips it).
# BENCH_MAKER=seq makes the table without sysbench even when it is installed.
# Prints a table and writes it to build/bench-results.txt. It does not judge
# the numbers; it fails only when a tool fails.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

ROWS=${BENCH_ROWS:-1000000}
ROUNDS=${BENCH_ROUNDS:-3}
ALTER=${BENCH_ALTER:-"ADD COLUMN bench_flag INT NOT NULL DEFAULT 0"}
OUT=$root/build/bench-results.txt

say() { printf '== %s\n' "$*" >&2; }
die() { echo "bench: FAILED: $*" >&2; exit 1; }

# --- packages -------------------------------------------------------------
source scripts/packages.sh
need=()
packages_needed
want=()
command -v sysbench >/dev/null 2>&1 || want+=(sysbench)
command -v pt-online-schema-change >/dev/null 2>&1 || want+=(percona-toolkit)
packages_install bench "${need[@]}"
# optional: the bench runs without them (no pt-osc column, sequence-made table)
packages_try bench "${want[@]}"

say "building oscar"
make -s oscar

# --- throwaway server -----------------------------------------------------
work=$(mktemp -d /tmp/oscar-bench.XXXXXX)
srv=$work/server
cleanup() {
	local rc=$?
	scripts/testserver.sh stop "$srv" >/dev/null 2>&1 || true
	rm -rf "$work"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "starting a throwaway MariaDB server"
scripts/testserver.sh start "$srv"
eval "$(scripts/testserver.sh env "$srv")"
sock=$OSCAR_SOCKET
sql() { mariadb --no-defaults -uroot --socket="$sock" -N -B "$@"; }
server_version=$(sql -e "SELECT VERSION()")

sql -e "CREATE DATABASE sbtest"
if [ "${BENCH_MAKER:-}" != seq ] && command -v sysbench >/dev/null 2>&1; then
	say "creating the $ROWS-row table with sysbench oltp_common prepare"
	sysbench oltp_common --db-driver=mysql --mysql-socket="$sock" --mysql-user=root --mysql-db=sbtest \
		--tables=1 --table-size="$ROWS" prepare >"$work/sysbench.log" 2>&1 \
		|| { cat "$work/sysbench.log" >&2; die "sysbench prepare"; }
	maker="sysbench $(sysbench --version | awk '{print $2}') oltp_common prepare"
else
	say "creating the $ROWS-row table in sysbench's shape from a sequence (no sysbench)"
	# sysbench's layout: c is 10 groups of 11 digits joined by '-', pad 5 groups
	sql sbtest <<SQL
CREATE TABLE sbtest1 (
  id INT NOT NULL AUTO_INCREMENT,
  k INT NOT NULL DEFAULT '0',
  c CHAR(120) NOT NULL DEFAULT '',
  pad CHAR(60) NOT NULL DEFAULT '',
  PRIMARY KEY (id)
) ENGINE=InnoDB;
INSERT INTO sbtest1 (id, k, c, pad)
SELECT seq, FLOOR(1 + RAND(seq) * $ROWS),
       CONCAT_WS('-', LPAD(FLOOR(RAND(seq*7+1)*1e11), 11, '0'), LPAD(FLOOR(RAND(seq*7+2)*1e11), 11, '0'),
                      LPAD(FLOOR(RAND(seq*7+3)*1e11), 11, '0'), LPAD(FLOOR(RAND(seq*7+4)*1e11), 11, '0'),
                      LPAD(FLOOR(RAND(seq*7+5)*1e11), 11, '0'), LPAD(FLOOR(RAND(seq*7+6)*1e11), 11, '0'),
                      LPAD(FLOOR(RAND(seq*7+7)*1e11), 11, '0'), LPAD(FLOOR(RAND(seq*7+8)*1e11), 11, '0'),
                      LPAD(FLOOR(RAND(seq*7+9)*1e11), 11, '0'), LPAD(FLOOR(RAND(seq*7+10)*1e11), 11, '0')),
       CONCAT_WS('-', LPAD(FLOOR(RAND(seq*5+1)*1e11), 11, '0'), LPAD(FLOOR(RAND(seq*5+2)*1e11), 11, '0'),
                      LPAD(FLOOR(RAND(seq*5+3)*1e11), 11, '0'), LPAD(FLOOR(RAND(seq*5+4)*1e11), 11, '0'),
                      LPAD(FLOOR(RAND(seq*5+5)*1e11), 11, '0'))
FROM seq_1_to_$ROWS;
CREATE INDEX k_1 ON sbtest1 (k);
SQL
	maker="INSERT ... SELECT from seq_1_to_$ROWS (sysbench shape)"
fi
# The template every run starts from.
sql sbtest -e "RENAME TABLE sbtest1 TO sbtest1_template"

source scripts/bench-lib.sh

check_altered() {
	sql sbtest -e "SHOW CREATE TABLE sbtest1" | grep -q '`bench_flag`' || die "$1 did not change sbtest1"
	local n
	n=$(sql sbtest -e "SELECT COUNT(*) FROM sbtest1")
	[ "$n" = "$ROWS" ] || die "$1 left $n rows instead of $ROWS"
}

now() { date +%s.%N; }

run_native() {
	sql sbtest -e "ALTER TABLE sbtest1 $ALTER, ALGORITHM=COPY"
}
run_oscar() {
	./oscar --socket="$sock" --user=root --database=sbtest --table=sbtest1 --alter="$ALTER" --execute --quiet
}
# Not a default, shown for comparison: the copy inside the server even though
# sbtest1 has an AUTO_INCREMENT column (oscar's default picks the client-side
# copy there when innodb_autoinc_lock_mode=1; see --copy-method in the manual).
run_oscar_server() {
	./oscar --socket="$sock" --user=root --database=sbtest --table=sbtest1 --alter="$ALTER" --execute --quiet \
		--copy-method=server
}
run_ptosc() {
	pt-online-schema-change --alter "$ALTER" "D=sbtest,t=sbtest1,S=$sock,u=root" --execute \
		--no-check-replication-filters --recursion-method=none --no-drop-old-table --quiet \
		>"$work/ptosc.log" 2>&1 || { cat "$work/ptosc.log" >&2; return 1; }
	sql sbtest -e "DROP TABLE IF EXISTS _sbtest1_old"
}

tools=(native oscar)
[ "${BENCH_OSCAR_SERVER:-1}" = 1 ] && ./oscar --help | grep -q -- --copy-method && tools+=(oscar_server)
command -v pt-online-schema-change >/dev/null 2>&1 && tools+=(ptosc)
declare -A times
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
for r in $(seq 1 "$ROUNDS"); do
	for t in "${tools[@]}"; do
		fresh_table
		say "round $r of $ROUNDS: $t"
		t0=$(now)
		"run_$t" || die "$t failed"
		t1=$(now)
		check_altered "$t"
		secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
		say "  $secs s"
		times[$t]="${times[$t]:-} $secs"
	done
done

median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
label() { case $1 in native) echo "native ALTER (ALGORITHM=COPY)";; oscar) echo "oscar (defaults)";; oscar_server) echo "oscar --copy-method=server";; ptosc) echo "pt-online-schema-change";; esac; }

native_med=$(echo "${times[native]}" | median)
mkdir -p "$(dirname "$OUT")"
{
	echo "oscar benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(awk '/MemTotal/ { printf "%.1f GB RAM", $2 / 1048576 }' /proc/meminfo)"
	echo "server:  MariaDB $server_version (scripts/testserver.sh: buffer pool 1G, binlog ROW, flush_log_at_trx_commit=2)"
	echo "table:   sbtest.sbtest1, $ROWS rows, made by $maker"
	echo "alter:   $ALTER"
	echo "rounds:  $ROUNDS per tool, table re-created (and flushed) before each run, no load on the test server"
	echo "host load average when the runs started: $load_at_start (other processes share these cores)"
	echo "oscar:   $(./oscar --version)"
	command -v pt-online-schema-change >/dev/null 2>&1 && echo "pt-osc:  $(pt-online-schema-change --version 2>/dev/null)"
	echo
	printf '%-32s %10s %10s   %s\n' "tool" "median s" "x native" "runs (s)"
	for t in "${tools[@]}"; do
		med=$(echo "${times[$t]}" | median)
		ratio=$(awk -v a="$med" -v b="$native_med" 'BEGIN { printf "%.2f", a / b }')
		printf '%-32s %10s %10s   %s\n' "$(label "$t")" "$med" "$ratio" "${times[$t]# }"
	done
} | tee "$OUT"
say "written to ${OUT#"$root"/}"

# --- the same change under load (scripts/bench-live.sh) --------------------
if [ "${BENCH_LIVE:-1}" = 0 ]; then
	say "live-load comparison skipped (BENCH_LIVE=0)"
elif ! command -v sysbench >/dev/null 2>&1 || ! command -v pt-online-schema-change >/dev/null 2>&1; then
	say "live-load comparison skipped: it needs sysbench and pt-online-schema-change"
else
	say "live-load comparison (scripts/bench-live.sh; BENCH_LIVE=0 skips it)"
	BENCH_LIVE_SOCKET=$sock BENCH_ROWS=$ROWS BENCH_ALTER=$ALTER scripts/bench-live.sh || die "live-load benchmark"
fi
