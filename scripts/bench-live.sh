#!/usr/bin/env bash
# oscar live-load benchmark: the same ALTER on the same 1,000,000-row sysbench
# table as scripts/bench.sh, but while an application writes to the table.
#
# For each tool and chunk time (oscar with its defaults, pt-online-schema-change
# with its default --chunk-time=0.5, then both at --chunk-time=0.05), on a
# freshly re-created copy of the same table:
#   - sysbench oltp_write_only (4 threads, --mysql-ignore-errors=all,
#     --percentile=99, one report per second) runs from about 5 s before the
#     migration until about 5 s after it (scripts/bench-live-oltp.lua: the
#     stock oltp_write_only that stops when a file appears);
#   - a probe (scripts/bench-live-probe.pl) updates one row back to back over
#     a server-side prepared statement and records every statement's start
#     and latency;
#   - the migration runs: oscar --execute --json, or pt-online-schema-change
#     --execute; the time of the swap is taken from oscar's "cutover" event or
#     pt-osc's "Swapped original and new tables" line.
# Reported per run: errors sysbench saw during the migration (sum of err/s)
# and its final "ignored errors" count for the whole load, the worst one-second
# p99 latency during the migration, mean tps during the migration against the
# mean of the 5 s before it, migration time, and the longest probe statement
# within 2 s of the swap and during the whole migration.
#
# Run by scripts/bench.sh at its end (BENCH_LIVE=0 skips it), which passes its
# server in BENCH_LIVE_SOCKET (database sbtest, table sbtest1_template). Run
# alone, it starts its own throwaway server. Appends its table to
# build/bench-results.txt. It does not judge the numbers; it fails only when a
# tool fails.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

ROWS=${BENCH_ROWS:-1000000}
ALTER=${BENCH_ALTER:-"ADD COLUMN bench_flag INT NOT NULL DEFAULT 0"}
THREADS=${BENCH_LIVE_THREADS:-4}
LEAD=${BENCH_LIVE_LEAD:-5}          # seconds of load before and after the migration
PROBE_ID=${BENCH_LIVE_PROBE_ID:-$((ROWS / 2 + 17))}
OUT=$root/build/bench-results.txt

say() { printf '== live: %s\n' "$*" >&2; }
die() { echo "bench-live: FAILED: $*" >&2; exit 1; }

# --- packages -------------------------------------------------------------
want=()
command -v sysbench >/dev/null 2>&1 || want+=(sysbench)
command -v pt-online-schema-change >/dev/null 2>&1 || want+=(percona-toolkit)
perl -MDBD::mysql -e 1 >/dev/null 2>&1 || want+=(libdbd-mysql-perl)
if [ ${#want[@]} -gt 0 ]; then
	[ "$(id -u)" = 0 ] || die "missing: ${want[*]} (run as root, or apt-get install them)"
	export DEBIAN_FRONTEND=noninteractive
	say "installing ${want[*]}"
	apt-get update -qq >/dev/null
	apt-get install -y -qq "${want[@]}" >/dev/null
fi
make -s oscar

work=$(mktemp -d /tmp/oscar-bench-live.XXXXXX)
own_server=
cleanup() {
	local rc=$?
	[ -f "$work/stop" ] || touch "$work/stop" 2>/dev/null || true
	local p
	for p in ${bg_pids:-}; do kill "$p" 2>/dev/null || true; done
	[ -n "$own_server" ] && scripts/testserver.sh stop "$own_server" >/dev/null 2>&1 || true
	rm -rf "$work"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ -n "${BENCH_LIVE_SOCKET:-}" ]; then
	sock=$BENCH_LIVE_SOCKET
else
	own_server=$work/server
	say "starting a throwaway MariaDB server"
	scripts/testserver.sh start "$own_server"
	eval "$(scripts/testserver.sh env "$own_server")"
	sock=$OSCAR_SOCKET
fi
sql() { mariadb --no-defaults -uroot --socket="$sock" -N -B "$@"; }
server_version=$(sql -e "SELECT VERSION()")
if [ -z "$(sql -e "SELECT 1 FROM information_schema.TABLES WHERE TABLE_SCHEMA='sbtest' AND TABLE_NAME='sbtest1_template'")" ]; then
	say "creating the $ROWS-row table with sysbench oltp_common prepare"
	sql -e "CREATE DATABASE IF NOT EXISTS sbtest"
	sql sbtest -e "DROP TABLE IF EXISTS sbtest1"
	sysbench oltp_common --db-driver=mysql --mysql-socket="$sock" --mysql-user=root --mysql-db=sbtest \
		--tables=1 --table-size="$ROWS" prepare >"$work/prepare.log" 2>&1 \
		|| { cat "$work/prepare.log" >&2; die "sysbench prepare"; }
	sql sbtest -e "RENAME TABLE sbtest1 TO sbtest1_template"
fi

# Same as scripts/bench.sh: identical data before every run, dirty pages flushed.
fresh_table() {
	sql sbtest -e "DROP TABLE IF EXISTS sbtest1, _sbtest1_new, _sbtest1_old;
	               CREATE TABLE sbtest1 LIKE sbtest1_template;
	               INSERT INTO sbtest1 SELECT * FROM sbtest1_template;
	               ANALYZE TABLE sbtest1" >/dev/null
	sql -e "FLUSH BINARY LOGS; PURGE BINARY LOGS BEFORE NOW()" >/dev/null 2>&1 || true
	local pct io iomax dirty i
	read -r pct io iomax < <(sql -e "SELECT @@GLOBAL.innodb_max_dirty_pages_pct, @@GLOBAL.innodb_io_capacity,
	                                        @@GLOBAL.innodb_io_capacity_max")
	sql -e "SET GLOBAL innodb_max_dirty_pages_pct=0; SET GLOBAL innodb_io_capacity_max=20000;
	        SET GLOBAL innodb_io_capacity=10000"
	for i in $(seq 1 120); do
		dirty=$(sql -e "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS
		                WHERE VARIABLE_NAME='INNODB_BUFFER_POOL_PAGES_DIRTY'")
		[ "${dirty:-0}" -lt 200 ] && break
		sleep 0.5
	done
	sql -e "SET GLOBAL innodb_max_dirty_pages_pct=$pct; SET GLOBAL innodb_io_capacity=$io;
	        SET GLOBAL innodb_io_capacity_max=$iomax"
	sleep 1
}

now() { date +%s.%N; }
# prefix every line with the epoch time it was read at
stamp_lines() { perl -MTime::HiRes=time -ne 'BEGIN { $| = 1 } printf "%.3f %s", time, $_'; }

run_oscar() { # chunk-time
	local ct=()
	[ "$1" = default ] || ct=(--chunk-time="$1")
	./oscar --socket="$sock" --user=root --database=sbtest --table=sbtest1 --alter="$ALTER" \
		--execute --json "${ct[@]}" 2>"$work/tool.err" | stamp_lines >"$work/tool.out"
	return "${PIPESTATUS[0]}"
}
run_ptosc() { # chunk-time
	local ct=()
	[ "$1" = default ] || ct=(--chunk-time="$1")
	pt-online-schema-change --alter "$ALTER" "D=sbtest,t=sbtest1,S=$sock,u=root" --execute \
		--no-check-replication-filters --recursion-method=none \
		--max-load=Threads_running=100 --critical-load=Threads_running=1000 "${ct[@]}" \
		2>&1 | stamp_lines >"$work/tool.out"
	return "${PIPESTATUS[0]}"
}
swap_time() { # tool
	case $1 in
	oscar) grep -m1 '"event":"cutover"' "$work/tool.out" | cut -d' ' -f1 ;;
	ptosc) grep -m1 'Swapped original and new tables' "$work/tool.out" | cut -d' ' -f1 ;;
	esac
}

# one run: prints "key=value ..." for the table
live_run() { # tool chunk-time
	local tool=$1 ct=$2 pid_sb pid_probe t_sb t0 t1 rc=0 swap
	fresh_table
	rm -f "$work/stop" "$work/probe.txt" "$work/sysbench.log" "$work/tool.out" "$work/tool.err"
	perl scripts/bench-live-probe.pl "$sock" "$PROBE_ID" "$work/stop" "$work/probe.txt" &
	pid_probe=$!
	t_sb=$(now)
	BENCH_STOP_FILE=$work/stop sysbench scripts/bench-live-oltp.lua --db-driver=mysql \
		--mysql-socket="$sock" --mysql-user=root --mysql-db=sbtest \
		--tables=1 --table-size="$ROWS" --threads="$THREADS" --db-ps-mode=auto \
		--mysql-ignore-errors=all --report-interval=1 --percentile=99 --time=3600 run \
		>"$work/sysbench.log" 2>&1 &
	pid_sb=$!
	bg_pids="$pid_probe $pid_sb"
	sleep $((LEAD + 1))
	t0=$(now)
	"run_$tool" "$ct" || rc=$?
	t1=$(now)
	sleep "$LEAD"
	touch "$work/stop"
	wait "$pid_sb" || true
	wait "$pid_probe" || true
	bg_pids=
	if [ "$rc" != 0 ]; then
		cat "$work/tool.out" "$work/tool.err" >&2 2>/dev/null || true
		die "$tool (chunk-time $ct) failed with exit status $rc"
	fi
	sql sbtest -e "SHOW CREATE TABLE sbtest1" | grep -q '`bench_flag`' || die "$tool did not change sbtest1"
	swap=$(swap_time "$tool")
	[ -n "$swap" ] || { say "no swap time found in $tool's output"; swap=0; }
	cp "$work/sysbench.log" "$work/sysbench-$tool-$ct.log"
	awk -v tsb="$t_sb" -v t0="$t0" -v t1="$t1" -v lead="$LEAD" '
		# [ Ns ] covers the second ending at tsb + N
		/^\[ [0-9]+s \] thds:/ {
			n = $2; sub(/s$/, "", n); e = tsb + n
			for (i = 1; i <= NF; i++) {
				if ($i == "tps:") tps = $(i + 1)
				if ($i == "lat") p99 = $(i + 2)
				if ($i == "err/s:") err = $(i + 1)
			}
			if (e <= t0 && e > t0 - lead - 0.001) { bn++; btps += tps }
			if (e > t0 && e - 1 < t1) { dn++; dtps += tps; derr += err; if (p99 > worst) worst = p99 }
		}
		/ignored errors:/ { ign = $3 }
		END {
			printf "base_tps=%.0f during_tps=%.0f errors=%.0f ignored=%s worst_p99=%.2f ",
				bn ? btps / bn : 0, dn ? dtps / dn : 0, derr, ign == "" ? "?" : ign, worst
		}' "$work/sysbench.log"
	awk -v t0="$t0" -v t1="$t1" -v sw="$swap" '
		{ s = $1; l = $2; e = s + l / 1000 }
		$3 != "ok" && s >= t0 && s <= t1 { perr++ }
		s <= t1 && e >= t0 && l > all { all = l }
		sw > 0 && s <= sw + 2 && e >= sw - 2 && l > near { near = l }
		END {
			ns = "?"
			if (sw > 0) ns = sprintf("%.1f", near)
			printf "stall_swap=%s stall_all=%.1f probe_err=%d probes=%d ", ns, all, perr, NR
		}' "$work/probe.txt"
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "secs=%.1f\n", b - a }'
}

get() { # "k=v ..." key
	tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k { print $2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print (a + 0 == 0 ? "-" : "inf"); else printf "%.2f", a / b }'; }

runs=("oscar default" "ptosc default" "oscar 0.05" "ptosc 0.05")
declare -A res
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
for r in "${runs[@]}"; do
	set -- $r
	say "$1, chunk-time $2"
	res[$r]=$(live_run "$1" "$2")
	say "  ${res[$r]}"
done

label() {
	local ct=$2
	[ "$ct" = default ] && ct="0.5 (default)"
	case $1 in oscar) echo "oscar, chunk-time $ct";; ptosc) echo "pt-osc, chunk-time $ct";; esac
}
mkdir -p "$(dirname "$OUT")"
{
	echo
	echo "oscar live-load benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(awk '/MemTotal/ { printf "%.1f GB RAM", $2 / 1048576 }' /proc/meminfo)"
	echo "server:  MariaDB $server_version"
	echo "table:   sbtest.sbtest1, $ROWS rows, re-created before each run; alter: $ALTER"
	echo "load:    sysbench $(sysbench --version | awk '{print $2}') oltp_write_only, $THREADS threads, --db-ps-mode=auto --mysql-ignore-errors=all,"
	echo "         from ${LEAD}s before to ${LEAD}s after the migration; probe: UPDATE of row id=$PROBE_ID back to back (prepared)"
	echo "host load average when the runs started: $load_at_start"
	echo "errors: sum of sysbench err/s during the migration / sysbench's final 'ignored errors' (whole load)"
	echo "stall: longest probe UPDATE within 2 s of the swap / during the whole migration"
	echo
	printf '%-32s %8s %9s %11s %9s %9s %8s %14s\n' "tool" "time s" "errors" "worst p99" "tps base" "tps mig" "ratio" "stall ms"
	for r in "${runs[@]}"; do
		v=${res[$r]}
		printf '%-32s %8s %9s %11s %9s %9s %8s %14s\n' "$(label $r)" "$(get "$v" secs)" \
			"$(get "$v" errors)/$(get "$v" ignored)" "$(get "$v" worst_p99)ms" \
			"$(get "$v" base_tps)" "$(get "$v" during_tps)" \
			"$(ratio "$(get "$v" during_tps)" "$(get "$v" base_tps)")" \
			"$(get "$v" stall_swap)/$(get "$v" stall_all)"
	done
	echo
	for ct in default 0.05; do
		o=${res[oscar $ct]} p=${res[ptosc $ct]}
		printf 'oscar/pt-osc at chunk-time %-13s errors %s, worst p99 %s, tps during %s, time %s\n' \
			"$( [ $ct = default ] && echo "0.5 (default):" || echo "$ct:")" \
			"$(ratio "$(get "$o" errors)" "$(get "$p" errors)")" \
			"$(ratio "$(get "$o" worst_p99)" "$(get "$p" worst_p99)")" \
			"$(ratio "$(get "$o" during_tps)" "$(get "$p" during_tps)")" \
			"$(ratio "$(get "$o" secs)" "$(get "$p" secs)")"
	done
} | tee -a "$OUT"
say "appended to ${OUT#"$root"/}"
