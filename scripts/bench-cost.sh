#!/usr/bin/env bash
# Where an idle copy's work goes (docs/cost.md): the same ALTER on the same
# sysbench table as scripts/bench.sh, done by native ALTER ... ALGORITHM=COPY
# and by oscar with one part switched at a time, each run measured with the
# server's own counters (CPU seconds from /proc, Handler_read_next,
# Handler_write, InnoDB log bytes, commits) and oscar's own phase timings.
# Usage: scripts/bench-cost.sh SOCKET (a server with sbtest.sbtest1_template,
# as scripts/bench.sh leaves it; BENCH_COST_ROUNDS repeats, default 1).
set -euo pipefail
cd "$(dirname "$0")/.."
sock=${1:?usage: bench-cost.sh SOCKET}
ROUNDS=${BENCH_COST_ROUNDS:-1}
ALTER=${BENCH_ALTER:-"ADD COLUMN bench_flag INT NOT NULL DEFAULT 0"}
sql() { mariadb --no-defaults -uroot --socket="$sock" -N -B "$@"; }
source scripts/bench-lib.sh
make -s oscar
rows=$(sql sbtest -e "SELECT COUNT(*) FROM sbtest1_template")
pid=$(cat "$(sql -e "SELECT @@pid_file")")
counters() {
	sql -e "SHOW GLOBAL STATUS WHERE Variable_name IN ('Handler_read_next', 'Handler_write', 'Innodb_lsn_current',
	        'Com_commit', 'Handler_read_key')"
	awk -v hz="$(getconf CLK_TCK)" '{ print "cpu", ($14 + $15) / hz }' "/proc/$pid/stat"
}
log=$(mktemp)
trap 'rm -f "$log"' EXIT
variants=(
	"native|"
	"oscar defaults|"
	"oscar, index kept during the copy|--defer-indexes=never"
	"oscar, no verification|--no-verify"
	"oscar, copy through the client|--copy-method=client"
	"oscar, through the client, index kept|--copy-method=client --defer-indexes=never"
	"oscar, through the client, index kept, row events|--copy-method=client --defer-indexes=never --copy-binlog-format=row"
	"oscar, rows to the binlog as row events|--copy-binlog-format=row"
	"pt-online-schema-change|"
)
# BENCH_COST_ONLY=WORD runs only the variants whose name contains WORD
if [ -n "${BENCH_COST_ONLY:-}" ]; then
	keep=()
	for v in "${variants[@]}"; do [[ ${v%%|*} == *"$BENCH_COST_ONLY"* ]] && keep+=("$v"); done
	variants=("${keep[@]}")
fi
printf '%-44s %7s %7s %9s %9s %8s %8s %8s %8s\n' variant "s" "copy s" "srv us/r" "tool us/r" "rd_next/r" "write/r" "log B/r" "verify s"
for r in $(seq 1 "$ROUNDS"); do
	for v in "${variants[@]}"; do
		name=${v%%|*} args=${v#*|}
		fresh_table sbtest sbtest1_template
		c0=$(counters)
		t0=$(date +%s.%N)
		if [ "$name" = native ]; then
			sql sbtest -e "ALTER TABLE sbtest1 $ALTER, ALGORITHM=COPY"
			echo "0+0" >"$log.time"
			: >"$log"
		elif [ "$name" = pt-online-schema-change ]; then
			/usr/bin/time -f %U+%S -o "$log.time" pt-online-schema-change --alter "$ALTER" \
				"D=sbtest,t=sbtest1,S=$sock,u=root" --execute --no-check-replication-filters \
				--recursion-method=none --quiet >"$log" 2>&1
			: >"$log"
		else
			# shellcheck disable=SC2086
			/usr/bin/time -f %U+%S -o "$log.time" ./oscar --socket="$sock" --user=root --database=sbtest \
				--table=sbtest1 --alter="$ALTER" --execute $args 2>"$log"
		fi
		t1=$(date +%s.%N)
		c1=$(counters)
		copy=$(sed -n 's/.*copied [0-9]* rows in [0-9]* chunks, \([0-9.]*\) s/\1/p' "$log")
		ver=$(sed -n 's/.*verified [0-9]* rows in [0-9]* chunks in \([0-9.]*\) s.*/\1/p' "$log")
		tool=$(awk -F+ '{ print $1 + $2 }' "$log.time")
		printf '%s\n%s\n' "$c0" "$c1" | awk -v rows="$rows" -v name="$name" -v secs="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
			-v copy="${copy:--}" -v ver="${ver:--}" -v tool="$tool" '
			{ if ($1 in a) d[$1] = $2 - a[$1]; else a[$1] = $2 }
			END {
				printf "%-44s %7.2f %7s %9.2f %9.2f %8.2f %8.2f %8.0f %8s\n", name, secs, copy,
					d["cpu"] * 1e6 / rows, tool * 1e6 / rows, d["Handler_read_next"] / rows,
					d["Handler_write"] / rows, d["Innodb_lsn_current"] / rows, ver
			}'
	done
done
rm -f "$log.time"
