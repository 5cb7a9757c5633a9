#!/usr/bin/env bash
# make bench-galera: oscar and pt-online-schema-change on a throwaway 3-node
# Galera cluster (scripts/galera-cluster.sh, build/bench-galera), the same
# ALTER on the same table while six writers, two per node, insert, update,
# change primary and unique keys, delete and run small transactions, each
# keeping a model of what it committed (test/lib/writers.pl, text protocol:
# oscar refuses server-side prepared statements on a cluster). After every run
# every node is compared with the model (test/lib/check.pl, wsrep_sync_wait).
# The tools take turns, round after round (BENCH_ROUNDS, default 3); a round
# also has a run of the writers alone for as long as oscar's run took.
# Reported per run: exit status, seconds, the application's errors, rows that
# differ from the model on any node. Results: build/bench-galera-results.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
ROWS=${BENCH_ROWS:-100000}
ROUNDS=${BENCH_ROUNDS:-3}
ALTER=${BENCH_ALTER:-"ADD COLUMN e INT NOT NULL DEFAULT 3, ADD INDEX ab (n, txt(10))"}
OUT=$root/build/bench-galera-results.txt
DIR=$root/build/bench-galera
DB=bench_galera

say() { printf '== %s\n' "$*" >&2; }
command -v pt-online-schema-change >/dev/null 2>&1 || say "pt-online-schema-change is missing: its runs are left out"
make -s oscar
trap 'scripts/galera-cluster.sh stop "$DIR"' EXIT
say "starting a 3-node cluster"
scripts/galera-cluster.sh start "$DIR"
eval "$(scripts/galera-cluster.sh env "$DIR")"
export OSCAR_WRITERS_PS=0
TMP=$(mktemp -d /tmp/oscar-bench-galera.XXXXXX)
nsql() { local s=GALERA_SOCKET$1; shift; mariadb --no-defaults -uroot --socket="${!s}" -N -B \
	--init-command="SET SESSION wsrep_sync_wait=15" "$@"; }

make_table() {
	nsql 1 -e "DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB"
	nsql 1 $DB -e "CREATE TABLE t (id BIGINT NOT NULL PRIMARY KEY, u VARCHAR(40) NULL,
	  txt VARCHAR(100) CHARACTER SET utf8mb4 NULL, dt DATETIME(6) NULL, \`dec\` DECIMAL(12,4) NULL,
	  n INT NULL, extra VARCHAR(20) NOT NULL DEFAULT 'e', UNIQUE KEY uk_u (u), KEY idx_dt (dt)) ENGINE=InnoDB;
	INSERT INTO t (id, u, txt, dt, \`dec\`, n)
	  SELECT seq, IF(seq % 7 = 0, NULL, CONCAT('init-', seq)), CONCAT('r', seq),
	         TIMESTAMPADD(MICROSECOND, seq * 1000003, '2020-01-01'), seq / 7, seq * 3 FROM seq_1_to_$ROWS"
}

start_writers() { # dir
	mkdir -p "$1"
	perl test/lib/writers.pl "$GALERA_SOCKETS" $DB t 6 "$1/stop" "$1" $RANDOM &
	WPID=$!
	local i
	for i in 0 1 2 3 4 5; do
		for _ in $(seq 1 600); do [ -e "$1/writer$i.ready" ] && break; sleep 0.1; done
	done
}

stop_writers() { # dir
	local n
	for n in 1 2 3; do nsql "$n" -e "SELECT 1" >/dev/null; done
	touch "$1/stop"
	wait "$WPID" || true
}

# prints: errors lost leftovers
judge() { # dir
	local n s lost=0 d
	for n in 1 2 3; do
		s=GALERA_SOCKET$n
		perl test/lib/check.pl "${!s}" $DB t "$1" >"$1/check$n" 2>&1 || true
		d=$(sed -n 's/.*: \([0-9]*\) difference(s)/\1/p' "$1/check$n")
		[ "${d:-0}" -gt "$lost" ] && lost=$d
	done
	local errors commits left
	errors=$(cat "$1"/writer*.stats | sed -n 's/.*errors=\([0-9]*\).*/\1/p' | awk '{s+=$1} END {print s+0}')
	commits=$(cat "$1"/writer*.stats | sed -n 's/.*commits=\([0-9]*\).*/\1/p' | awk '{s+=$1} END {print s+0}')
	left=0
	for n in 1 2 3; do
		left=$((left + $(nsql "$n" -e "SELECT (SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='$DB')
			+ (SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME LIKE '\\_%')")))
	done
	echo "$commits $errors $lost $left"
}

run_tool() { # tool round
	local tool=$1 dir=$TMP/$1-$2 rc t0 t1
	make_table
	start_writers "$dir"
	t0=$(date +%s.%N)
	case $tool in
	oscar)
		set +e
		timeout 600 ./oscar --socket="$GALERA_SOCKET1" --user=root --database=$DB --table=t --alter="$ALTER" \
			--execute --galera >"$dir/tool.log" 2>&1
		rc=$?
		set -e ;;
	pt-osc)
		set +e
		timeout 600 pt-online-schema-change --alter="$ALTER" --execute --recursion-method=none \
			--no-check-alter --max-flow-ctl=25 "S=$GALERA_SOCKET1,u=root,D=$DB,t=t" >"$dir/tool.log" 2>&1
		rc=$?
		set -e ;;
	alone)
		sleep "$ALONE_SECS"
		rc=0 ;;
	esac
	t1=$(date +%s.%N)
	LAST_SECS=$(echo "$t1 - $t0" | bc)
	stop_writers "$dir"
	read -r commits errors lost left < <(judge "$dir")
	printf '%-7s %5s %4s %8.1f %8s %10s %9s %9s\n' "$tool" "$2" "$rc" "$LAST_SECS" "$commits" "$errors" "$lost" "$left" | tee -a "$OUT"
	grep -h '^error' "$dir"/writer*.stats | sed "s/^/    $tool $2 /" | sort | uniq >>"$OUT.errors" || true
	grep -h '^# [me]' "$dir"/check[123] 2>/dev/null | head -5 | sed "s/^/    $tool $2 node check: /" >>"$OUT.errors" || true
}

: >"$OUT"
: >"$OUT.errors"
{
	echo "# $(date -u +%FT%TZ) bench-galera: $ROWS rows, 6 writers over 3 nodes, ALTER: $ALTER"
	printf '%-7s %5s %4s %8s %8s %10s %9s %9s\n' tool round exit seconds commits app_errors rows_diff leftovers
} | tee "$OUT"
for r in $(seq 1 "$ROUNDS"); do
	run_tool oscar "$r"
	ALONE_SECS=$LAST_SECS
	run_tool alone "$r"
	command -v pt-online-schema-change >/dev/null 2>&1 && run_tool pt-osc "$r"
done
echo "# application errors by kind:" | tee -a "$OUT"
tee -a "$OUT" <"$OUT.errors"
[ -n "${BENCH_KEEP:-}" ] || rm -rf "$TMP"
