#!/usr/bin/env bash
# oscar scale benchmark (make bench-scale, not part of make test): the idle
# copy of sysbench tables of several sizes on a server whose buffer pool is
# smaller than the largest table, by the server itself (ALTER TABLE ...
# ALGORITHM=COPY), by oscar with its defaults and by pt-online-schema-change.
# Reported per size and tool: seconds, rows per second, the ratio to native,
# the tool's peak resident memory, and the extra disk at the peak (the
# server's datadir and binary logs, sampled every 0.5 s, over what they held
# before the run). Then one run under load (scripts/bench-live.sh: oscar and
# pt-osc at their defaults) on the BENCH_SCALE_LOAD_ROWS table.
#
# The server (scripts/testserver.sh) keeps its datadir in BENCH_SCALE_DIR
# (default build/bench-scale): the sysbench tables made for each size stay
# there as templates (sbtest.t_<rows>) and are reused by the next run, since
# preparing 10,000,000 rows takes minutes. Every timed run starts from a
# fresh copy of the template (scripts/bench-lib.sh).
#   BENCH_SCALE_SIZES      rows, space-separated (default 1000000 4000000 10000000)
#   BENCH_SCALE_POOL       innodb_buffer_pool_size (default 1G)
#   BENCH_SCALE_LOAD_ROWS  the size of the run under load (default 4000000; 0 skips it)
#   BENCH_SCALE_TOOLS      default "native oscar ptosc"
#   BENCH_SCALE_LOAD_RUNS  the runs under load (BENCH_LIVE_RUNS; default "oscar default,ptosc default")
# Appends its table to build/bench-scale-results.txt. It judges nothing and
# fails only when a tool fails.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

SIZES=${BENCH_SCALE_SIZES:-1000000 4000000 10000000}
POOL=${BENCH_SCALE_POOL:-1G}
LOAD_ROWS=${BENCH_SCALE_LOAD_ROWS:-4000000}
ALTER=${BENCH_ALTER:-"ADD COLUMN bench_flag INT NOT NULL DEFAULT 0"}
DIR=${BENCH_SCALE_DIR:-$root/build/bench-scale}
OUT=$root/build/bench-scale-results.txt
read -r -a tools <<<"${BENCH_SCALE_TOOLS:-native oscar ptosc}"

say() { printf '== scale: %s\n' "$*" >&2; }
die() { echo "bench-scale: FAILED: $*" >&2; exit 1; }

command -v sysbench >/dev/null 2>&1 || die "needs sysbench (apt-get install sysbench)"
command -v pt-online-schema-change >/dev/null 2>&1 || tools=("${tools[@]/ptosc/}")
make -s oscar

srv=$DIR/server
work=$(mktemp -d /tmp/oscar-bench-scale.XXXXXX)
sampler=
cleanup() {
	local rc=$?
	[ -n "$sampler" ] && kill "$sampler" 2>/dev/null
	scripts/testserver.sh stop "$srv" >/dev/null 2>&1 || true
	rm -rf "$work"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$DIR"
# The datadir is kept; testserver.sh start installs it only when it is new.
if [ -d "$srv/data/mysql" ]; then
	say "reusing the server in ${srv#"$root"/}"
	scripts/testserver.sh stop "$srv" >/dev/null 2>&1 || true
fi
TESTSERVER_CNF="innodb_buffer_pool_size=$POOL" scripts/testserver.sh start "$srv"
eval "$(scripts/testserver.sh env "$srv")"
sock=$OSCAR_SOCKET
sql() { mariadb --no-defaults -uroot --socket="$sock" -N -B "$@"; }
source scripts/bench-lib.sh
server_version=$(sql -e "SELECT VERSION()")
sql -e "CREATE DATABASE IF NOT EXISTS sbtest"

template() { # rows: makes sbtest.t_<rows> unless it is there
	local rows=$1
	if [ -n "$(sql -e "SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA='sbtest' AND TABLE_NAME='t_$rows'")" ]; then
		return 0
	fi
	say "preparing $rows rows with sysbench oltp_common prepare (kept for the next run)"
	sql sbtest -e "DROP TABLE IF EXISTS sbtest1"
	sysbench oltp_common --db-driver=mysql --mysql-socket="$sock" --mysql-user=root --mysql-db=sbtest \
		--tables=1 --table-size="$rows" prepare >"$work/prepare.log" 2>&1 \
		|| { cat "$work/prepare.log" >&2; die "sysbench prepare"; }
	sql sbtest -e "RENAME TABLE sbtest1 TO t_$rows"
}

disk_bytes() { du -sb "$srv/data" "$srv"/binlog.* 2>/dev/null | awk '{ s += $1 } END { print s + 0 }'; }
# the peak of disk_bytes while the run goes on, written to $work/peak
start_sampler() {
	echo 0 >"$work/peak"
	( peak=0
	  while :; do
		b=$(disk_bytes)
		[ "$b" -gt "$peak" ] && { peak=$b; echo "$peak" >"$work/peak"; }
		sleep 0.5
	  done ) &
	sampler=$!
}
stop_sampler() { kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true; sampler=; }

timer=()
[ -x /usr/bin/time ] && timer=(/usr/bin/time -f %M -o "$work/rss")
run_native() { sql sbtest -e "ALTER TABLE sbtest1 $ALTER, ALGORITHM=COPY"; }
# oscar's own account of where its time went ("time by phase") is kept for
# the report
run_oscar() {
	"${timer[@]}" ./oscar --socket="$sock" --user=root --database=sbtest --table=sbtest1 --alter="$ALTER" \
		--execute --progress=3600 ${BENCH_SCALE_OSCAR_ARGS:-} 2>"$work/oscar.err" \
		|| { cat "$work/oscar.err" >&2; return 1; }
	grep -o 'time by phase: .*' "$work/oscar.err" | head -1 >"$work/phases"
}
run_ptosc() {
	"${timer[@]}" pt-online-schema-change --alter "$ALTER" "D=sbtest,t=sbtest1,S=$sock,u=root" --execute \
		--no-check-replication-filters --recursion-method=none --quiet >"$work/ptosc.log" 2>&1 \
		|| { cat "$work/ptosc.log" >&2; return 1; }
}

declare -A secs rss disk phases
for rows in $SIZES; do
	template "$rows"
	for t in "${tools[@]}"; do
		[ -n "$t" ] || continue
		fresh_table sbtest "t_$rows"
		rm -f "$work/rss"
		base=$(disk_bytes)
		say "$rows rows: $t"
		start_sampler
		t0=$(date +%s.%N)
		"run_$t" || die "$t failed on $rows rows"
		t1=$(date +%s.%N)
		stop_sampler
		b=$(disk_bytes)
		peak=$(cat "$work/peak")
		[ "$b" -gt "$peak" ] && peak=$b
		n=$(sql sbtest -e "SELECT COUNT(*) FROM sbtest1")
		[ "$n" = "$rows" ] || die "$t left $n rows instead of $rows"
		sql sbtest -e "SHOW CREATE TABLE sbtest1" | grep -q '`bench_flag`' || die "$t did not change sbtest1"
		secs[$rows $t]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
		rss[$rows $t]=$( [ -s "$work/rss" ] && [ "$t" != native ] && cat "$work/rss" || echo -)
		disk[$rows $t]=$(awk -v a="$base" -v b="$peak" 'BEGIN { printf "%.2f", (b - a) / 1073741824 }')
		say "  ${secs[$rows $t]} s, peak RSS ${rss[$rows $t]} kB, extra disk ${disk[$rows $t]} GB"
		if [ "$t" = oscar ] && [ -s "$work/phases" ]; then
			phases[$rows]=$(cat "$work/phases")
			say "  oscar's ${phases[$rows]}"
		fi
	done
	sql sbtest -e "DROP TABLE IF EXISTS sbtest1, _sbtest1_old, _sbtest1_new"
done

table_mb=$(sql -e "SELECT ROUND((DATA_LENGTH + INDEX_LENGTH) / 1048576) FROM information_schema.TABLES
                   WHERE TABLE_SCHEMA='sbtest' AND TABLE_NAME='t_$(echo $SIZES | awk '{ print $NF }')'")
{
	echo
	echo "oscar scale benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(awk '/MemTotal/ { printf "%.1f GB RAM", $2 / 1048576 }' /proc/meminfo)"
	echo "server:  MariaDB $server_version, innodb_buffer_pool_size=$POOL (largest table ${table_mb} MB), binlog ROW"
	echo "alter:   $ALTER; idle, one run per size and tool, table re-created (and flushed) before each"
	echo "host load average at the end: $(cut -d' ' -f1-3 /proc/loadavg) (other processes share these cores)"
	echo "disk: peak of (datadir + binary logs) during the run over the size before it"
	echo
	printf '%-10s %-8s %8s %10s %9s %12s %10s\n' rows tool seconds rows/s x\ native "peak RSS kB" "disk GB"
	for rows in $SIZES; do
		for t in "${tools[@]}"; do
			[ -n "$t" ] || continue
			s=${secs[$rows $t]}
			printf '%-10s %-8s %8s %10s %9s %12s %10s\n' "$rows" "$t" "$s" \
				"$(awk -v r="$rows" -v s="$s" 'BEGIN { printf "%.0f", r / s }')" \
				"$(awk -v a="$s" -v b="${secs[$rows native]:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')" \
				"${rss[$rows $t]}" "${disk[$rows $t]}"
		done
	done
	echo
	for rows in $SIZES; do
		[ -n "${phases[$rows]:-}" ] && echo "oscar at $rows rows, ${phases[$rows]}"
	done
	true
} | tee -a "$OUT"

if [ "$LOAD_ROWS" != 0 ] && command -v pt-online-schema-change >/dev/null 2>&1; then
	template "$LOAD_ROWS"
	say "under load at $LOAD_ROWS rows (scripts/bench-live.sh)"
	sql sbtest -e "DROP TABLE IF EXISTS sbtest1_template; RENAME TABLE t_$LOAD_ROWS TO sbtest1_template"
	rc=0
	BENCH_LIVE_SOCKET=$sock BENCH_ROWS=$LOAD_ROWS BENCH_ALTER=$ALTER BENCH_LIVE_RUNS=${BENCH_SCALE_LOAD_RUNS:-"oscar default,ptosc default"} \
		BENCH_LIVE_ROUNDS=${BENCH_SCALE_LOAD_ROUNDS:-1} OUT_FILE=$OUT scripts/bench-live.sh || rc=$?
	sql sbtest -e "RENAME TABLE sbtest1_template TO t_$LOAD_ROWS; DROP TABLE IF EXISTS sbtest1"
	[ "$rc" = 0 ] || die "the run under load"
fi
say "written to ${OUT#"$root"/}"
