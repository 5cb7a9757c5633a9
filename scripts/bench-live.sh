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
OUT=${OUT_FILE:-$root/build/bench-results.txt}
OSCAR=${BENCH_OSCAR_BIN:-./oscar}

say() { printf '== live: %s\n' "$*" >&2; }
die() { echo "bench-live: FAILED: $*" >&2; exit 1; }

# --- packages -------------------------------------------------------------
want=()
command -v sysbench >/dev/null 2>&1 || want+=(sysbench)
command -v pt-online-schema-change >/dev/null 2>&1 || want+=(percona-toolkit)
perl -MDBD::mysql -e 1 >/dev/null 2>&1 || want+=(libdbd-mysql-perl)
source scripts/packages.sh
packages_install bench-live "${want[@]}"
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

source scripts/bench-lib.sh

now() { date +%s.%N; }
# The tools run under GNU time when it is there: their own CPU seconds and
# peak memory.
timer=
[ -x /usr/bin/time ] && timer="/usr/bin/time -f %U+%S+%M -o $work/tool.time"
server_pid=$(cat "$(sql -e "SELECT @@pid_file")" 2>/dev/null || echo 0)
# The server's counters that say where the work goes, and its CPU seconds
# (user+system, from /proc), as "name value" lines.
COUNTERS="Handler_write Handler_update Handler_delete Handler_read_next Handler_read_key Handler_read_rnd_next
	Innodb_rows_inserted Innodb_rows_read Innodb_rows_updated Innodb_rows_deleted Innodb_lsn_current
	Innodb_row_lock_waits Innodb_row_lock_time Innodb_deadlocks Com_commit Com_rollback Questions
	Innodb_buffer_pool_reads Innodb_data_written"
counters() {
	sql -e "SHOW GLOBAL STATUS WHERE Variable_name IN ($(printf "'%s'," $COUNTERS | sed 's/,$//'))"
	if [ -r "/proc/$server_pid/stat" ]; then
		awk -v hz="$(getconf CLK_TCK)" '{ print "server_cpu", ($14 + $15) / hz }' "/proc/$server_pid/stat"
	fi
}
# prefix every line with the epoch time it was read at
stamp_lines() { perl -MTime::HiRes=time -ne 'BEGIN { $| = 1 } printf "%.3f %s", time, $_'; }

# A run's tool may carry oscar options after a colon, each after its own
# colon ("oscar:--mirror=all:--copy-threads=2"),
# so that two settings take turns in one round.
run_oscar() { # chunk-time [oscar options]
	local ct=()
	[ "$1" = default ] || ct=(--chunk-time="$1")
	$timer "$OSCAR" --socket="$sock" --user=root --database=sbtest --table=sbtest1 --alter="$ALTER" \
		--execute --json "${ct[@]}" ${BENCH_OSCAR_ARGS:-} ${2:-} 2>"$work/tool.err" | stamp_lines >"$work/tool.out"
	return "${PIPESTATUS[0]}"
}
# "oscarb": a second oscar build (BENCH_OSCAR_BIN_B), to compare a change
# with the build before it in the same rounds
run_oscarb() { # chunk-time [oscar options]
	local OSCAR=${BENCH_OSCAR_BIN_B:?oscarb needs BENCH_OSCAR_BIN_B}
	run_oscar "$@"
}
run_ptosc() { # chunk-time
	local ct=()
	[ "$1" = default ] || ct=(--chunk-time="$1")
	$timer pt-online-schema-change --alter "$ALTER" "D=sbtest,t=sbtest1,S=$sock,u=root" --execute \
		--no-check-replication-filters --recursion-method=none \
		--max-load=Threads_running=100 --critical-load=Threads_running=1000 "${ct[@]}" \
		2>&1 | stamp_lines >"$work/tool.out"
	return "${PIPESTATUS[0]}"
}
# oscar's triggers alone, the copy held by a pause file, for as long as
# BENCH_LIVE_TRIGGER_SECS (default 15), then SIGTERM (oscar rolls back,
# exit 5): what the mirroring alone costs the application per second.
run_triggers() { # chunk-time (unused) [oscar options]
	touch "$work/pause"
	"$OSCAR" --socket="$sock" --user=root --database=sbtest --table=sbtest1 --alter="$ALTER" \
		--execute --json --pause-file="$work/pause" ${BENCH_OSCAR_ARGS:-} ${2:-} 2>"$work/tool.err" \
		| stamp_lines >"$work/tool.out" &
	local pid=$! i
	for i in $(seq 1 600); do
		grep -q '"event":"paused"\|copy paused' "$work/tool.out" "$work/tool.err" 2>/dev/null && break
		sleep 0.1
	done
	sleep "${BENCH_LIVE_TRIGGER_SECS:-15}"
	pkill -TERM -f -- "--pause-file=$work/pause" || true
	local rc=0
	wait "$pid" || rc=$?
	rm -f "$work/pause"
	[ "$rc" = 5 ] && return 0
	return "$rc"
}
swap_time() { # tool
	case $1 in
	oscar | oscarb) grep -m1 '"event":"cutover"' "$work/tool.out" | cut -d' ' -f1 ;;
	ptosc) grep -m1 'Swapped original and new tables' "$work/tool.out" | cut -d' ' -f1 ;;
	esac
}

# one run: prints "key=value ..." for the table
live_run() { # tool chunk-time
	local tool=${1%%:*} ct=$2 pid_sb pid_probe t_sb t0 t1 rc=0 swap extra=
	[ "$tool" = "$1" ] || { extra=${1#*:}; extra=${extra//:/ }; }
	fresh_table || die "cannot re-create the table"
	rm -f "$work/stop" "$work/probe.txt" "$work/sysbench.log" "$work/tool.out" "$work/tool.err" "$work/tool.time"
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
	# this runs in a subshell ($(live_run ...)): the script's own EXIT trap
	# never sees these pids, so an interrupted run stops its load here
	trap 'touch "$work/stop" 2>/dev/null; kill $bg_pids 2>/dev/null; exit 130' INT TERM
	sleep $((LEAD + 1))
	counters >"$work/c0"
	# with BENCH_LIVE_KEEP, the server's slow log of the migration (statements
	# over 30 ms, oscar's tagged, with their start times): what held the probe
	if [ -n "${BENCH_LIVE_KEEP:-}" ]; then
		sql -e "SET GLOBAL slow_query_log_file='$work/slow.log', long_query_time=0.03, slow_query_log=1"
	fi
	t0=$(now)
	"run_$tool" "$ct" "$extra" || rc=$?
	t1=$(now)
	[ -z "${BENCH_LIVE_KEEP:-}" ] || sql -e "SET GLOBAL slow_query_log=0"
	counters >"$work/c1"
	sleep "$LEAD"
	touch "$work/stop"
	wait "$pid_sb" || true
	wait "$pid_probe" || true
	bg_pids=
	if [ "$rc" != 0 ]; then
		cat "$work/tool.out" "$work/tool.err" >&2 2>/dev/null || true
		die "$tool (chunk-time $ct) failed with exit status $rc"
	fi
	if [ "$tool" = triggers ]; then
		sql sbtest -e "SHOW TRIGGERS LIKE 'sbtest1'" | grep -q . && die "oscar left its triggers behind"
		swap=0
	else
		sql sbtest -e "SHOW CREATE TABLE sbtest1" | grep -q '`bench_flag`' || die "$tool did not change sbtest1"
		swap=$(swap_time "$tool")
		[ -n "$swap" ] || { say "no swap time found in $tool's output"; swap=0; }
	fi
	cp "$work/sysbench.log" "$work/sysbench-$tool-$ct.log"
	# BENCH_LIVE_KEEP=DIR keeps every run's logs and counters there
	if [ -n "${BENCH_LIVE_KEEP:-}" ]; then
		mkdir -p "$BENCH_LIVE_KEEP"
		local keep=$BENCH_LIVE_KEEP/$tool-$ct-$(date +%H%M%S)
		cp "$work/sysbench.log" "$keep.sysbench"
		cp "$work/tool.out" "$keep.out"
		cat "$work/c0" "$work/c1" >"$keep.counters"
		awk '$3 != "ok"' "$work/probe.txt" >"$keep.probe-errors"
		# the probe's statements that waited (over 20 ms), for a look at what held them
		awk '$3 != "ok" || $2 > 20' "$work/probe.txt" >"$keep.probe-slow"
		echo "$swap" >"$keep.swap"
		[ -f "$work/slow.log" ] && mv "$work/slow.log" "$keep.slow"
		[ -f "$work/tool.err" ] && cp "$work/tool.err" "$keep.err"
	fi
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
			if (e > t0 && e - 1 < t1) { dn++; dtps += tps; dl[dn] = tps; derr += err; if (p99 > worst) worst = p99 }
		}
		/ignored errors:/ { ign = $3 }
		END {
			base = bn ? btps / bn : 0
			# transactions the application lost: the sum over the
			# migration of (tps before - tps)
			for (i = 1; i <= dn; i++) lost += base - dl[i]
			printf "base_tps=%.0f during_tps=%.0f errors=%.0f ignored=%s worst_p99=%.2f lost=%.0f ",
				base, dn ? dtps / dn : 0, derr, ign == "" ? "?" : ign, worst, lost
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
	# the server's work during the migration per row of the table
	awk -v rows="$ROWS" 'FNR == NR { a[$1] = $2; next } { d[$1] = $2 - a[$1] }
		END {
			printf "srv_cpu=%.1f ", d["server_cpu"]
			printf "us_row=%.2f ", d["server_cpu"] * 1e6 / rows
			printf "read_next_row=%.2f lsn_row=%.0f commits=%d lockwaits=%d deadlocks=%d rollbacks=%d ",
				d["Handler_read_next"] / rows, d["Innodb_lsn_current"] / rows, d["Com_commit"],
				d["Innodb_row_lock_waits"], d["Innodb_deadlocks"], d["Com_rollback"]
		}' "$work/c0" "$work/c1"
	if [ -s "$work/tool.time" ]; then
		awk -F+ '{ printf "tool_cpu=%.1f tool_rss_kb=%d ", $1 + $2, $3 }' "$work/tool.time"
	fi
	cat "$work/c0" "$work/c1" >"$work/counters-$tool-$ct.txt"
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "secs=%.1f\n", b - a }'
}

get() { # "k=v ..." key
	tr ' ' '\n' <<<"$1" | awk -F= -v k="$2" '$1 == k { print $2 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print (a + 0 == 0 ? "-" : "inf"); else printf "%.2f", a / b }'; }

# BENCH_LIVE_RUNS picks the runs ("tool chunk-time", comma-separated), e.g.
# "oscar default,ptosc default"; BENCH_LIVE_ROUNDS repeats them, taking turns.
# "triggers default" is oscar's triggers alone (run_triggers).
IFS=, read -r -a runs <<<"${BENCH_LIVE_RUNS:-oscar default,ptosc default,oscar 0.05,ptosc 0.05,triggers default}"
ROUNDS_LIVE=${BENCH_LIVE_ROUNDS:-2}
declare -A res
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
for n in $(seq 1 "$ROUNDS_LIVE"); do
	# even rounds take the runs in the reverse order: what a run leaves
	# behind (purge, flushing) then weighs on each tool alike
	order=("${runs[@]}")
	if [ $((n % 2)) = 0 ]; then
		order=()
		for ((i = ${#runs[@]} - 1; i >= 0; i--)); do order+=("${runs[$i]}"); done
	fi
	for r in "${order[@]}"; do
		set -- $r
		say "round $n of $ROUNDS_LIVE: $1, chunk-time $2"
		res[$n $r]=$(live_run "$1" "$2")
		say "  ${res[$n $r]}"
	done
done

label() {
	local ct=$2
	[ "$ct" = default ] && ct="0.5 (default)"
	local extra=
	[ "${1%%:*}" = "$1" ] || { extra=" ${1#*:}"; extra=${extra//:/ }; }
	case ${1%%:*} in oscar) echo "oscar$extra, chunk-time $ct";; oscarb) echo "oscar B$extra, chunk-time $ct";; ptosc) echo "pt-osc, chunk-time $ct";;
	triggers) echo "oscar's triggers alone$extra";; esac
}
# min-max of a list of numbers
spread() { tr ' ' '\n' | grep -v '^-\?$' | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { if (NR) printf "%s-%s", lo, hi; else print "-" }'; }
mkdir -p "$(dirname "$OUT")"
{
	echo
	echo "oscar live-load benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(awk '/MemTotal/ { printf "%.1f GB RAM", $2 / 1048576 }' /proc/meminfo)"
	echo "server:  MariaDB $server_version"
	echo "table:   sbtest.sbtest1, $ROWS rows, re-created before each run; alter: $ALTER"
	echo "load:    sysbench $(sysbench --version | awk '{print $2}') oltp_write_only, $THREADS threads, --db-ps-mode=auto --mysql-ignore-errors=all,"
	echo "         from ${LEAD}s before to ${LEAD}s after the migration; probe: UPDATE of row id=$PROBE_ID back to back (prepared)"
	echo "rounds:  $ROUNDS_LIVE, the tools taking turns within each round"
	echo "host load average when the runs started: $load_at_start"
	echo "errors: sum of sysbench err/s during the migration / sysbench's final 'ignored errors' (whole load)"
	echo "lost: application transactions lost, the sum over the migration's 1-s reports of (tps before - tps)"
	echo "stall: longest probe UPDATE within 2 s of the swap / during the whole migration"
	echo "cpu: CPU seconds of the server / of the tool during the migration"
	echo
	printf '%-46s %7s %9s %10s %8s %8s %6s %8s %13s %10s\n' "tool" "time s" "errors" "worst p99" "tps base" "tps mig" \
		"ratio" "lost" "stall ms" "cpu s"
	for n in $(seq 1 "$ROUNDS_LIVE"); do
		for r in "${runs[@]}"; do
			v=${res[$n $r]}
			printf '%-46s %7s %9s %10s %8s %8s %6s %8s %13s %10s\n' "$n: $(label $r)" "$(get "$v" secs)" \
				"$(get "$v" errors)/$(get "$v" ignored)" "$(get "$v" worst_p99)ms" \
				"$(get "$v" base_tps)" "$(get "$v" during_tps)" \
				"$(ratio "$(get "$v" during_tps)" "$(get "$v" base_tps)")" "$(get "$v" lost)" \
				"$(get "$v" stall_swap)/$(get "$v" stall_all)" "$(get "$v" srv_cpu)/$(get "$v" tool_cpu)"
		done
	done
	echo
	echo "oscar/pt-osc, same round (min-max over the rounds):"
	for ct in default 0.05 b-default b-0.05; do
		local_o=oscar
		case $ct in b-*) local_o=oscarb; ct=${ct#b-};; esac
		[ -n "${res[1 $local_o $ct]:-}" ] && [ -n "${res[1 ptosc $ct]:-}" ] || continue
		[ $local_o = oscar ] || echo "  (oscar B: $BENCH_OSCAR_BIN_B)"
		declare -A rl=()
		for n in $(seq 1 "$ROUNDS_LIVE"); do
			o=${res[$n $local_o $ct]} p=${res[$n ptosc $ct]}
			for k in lost secs worst_p99 errors during_tps; do
				rl[$k]="${rl[$k]:-} $(ratio "$(get "$o" $k)" "$(get "$p" $k)")"
			done
		done
		printf '  chunk-time %-14s lost %s, time %s, worst p99 %s, errors %s, tps during %s\n' \
			"$( [ $ct = default ] && echo "0.5 (default):" || echo "$ct:")" \
			"$(echo ${rl[lost]} | spread)" "$(echo ${rl[secs]} | spread)" "$(echo ${rl[worst_p99]} | spread)" \
			"$(echo ${rl[errors]} | spread)" "$(echo ${rl[during_tps]} | spread)"
		unset rl
	done
	echo
	# what a run loses is roughly (the triggers' cost per second) x (its
	# length) + the copy's own work: the triggers-alone row gives the first
	echo "application transactions lost per second of the run (lost / time):"
	for n in $(seq 1 "$ROUNDS_LIVE"); do
		for r in "${runs[@]}"; do
			v=${res[$n $r]}
			printf '  %-46s %8s\n' "$n: $(label $r)" "$(ratio "$(get "$v" lost)" "$(get "$v" secs)")"
		done
	done
	echo
	echo "server work during the migration, per row of the table (Handler_read_next, InnoDB log bytes),"
	echo "commits, row lock waits, deadlocks, rollbacks (all including the application's work); the tool's peak RSS:"
	for n in $(seq 1 "$ROUNDS_LIVE"); do
		for r in "${runs[@]}"; do
			v=${res[$n $r]}
			printf '  %-34s srv %5s us/row, read_next %s/row, log %s B/row, commits %s, lock waits %s, deadlocks %s, rollbacks %s, rss %s kB\n' \
				"$n: $(label $r)" "$(get "$v" us_row)" "$(get "$v" read_next_row)" "$(get "$v" lsn_row)" \
				"$(get "$v" commits)" "$(get "$v" lockwaits)" "$(get "$v" deadlocks)" "$(get "$v" rollbacks)" \
				"$(get "$v" tool_rss_kb)"
		done
	done
} | tee -a "$OUT"
say "appended to ${OUT#"$root"/}"
