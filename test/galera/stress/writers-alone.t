#!/usr/bin/env bash
# Experiment, not part of make test-galera (run it with
# scripts/run-galera-tests.sh test/galera/stress/writers-alone.t): the
# writers of the cluster tests on all three nodes, no tool and no DDL, until
# the cluster has ordered OSCAR_STRESS_TRANSACTIONS of theirs (at most 10
# minutes). Whatever errors they see here, the cluster gives any
# application with this write pattern: they are not a tool's. Every node is
# checked against the model.
source "$(dirname "$0")/../../lib/common.sh"
source "$(dirname "$0")/../../lib/galera.sh"

DB=galera_alone
ROWS=${OSCAR_GALERA_ROWS:-20000}
TXNS=${OSCAR_STRESS_TRANSACTIONS:-40000}
OUT=$TMP/alone
mkdir -p "$OUT"

make_table "$ROWS"
start_writers "$OUT" 6 || { ok 1 "writers started"; exit 1; }
# the cluster's ordered transactions tell how far the writers got
start=$(last_committed)
t0=$SECONDS
wait_for 600 committed_past $((start + TXNS))
ok $? "the cluster ordered $TXNS of the writers' transactions"
for n in "${NODES[@]}"; do nsql "$n" -e "SELECT 1" >/dev/null; done
stop_writers "$OUT"
is "$WRC" 0 "writers ran to the end"
diag "writers alone for $((SECONDS - t0)) s: $(writer_stat "$OUT" commits) commits, $(( $(last_committed) - start )) ordered; errors by kind: $(grep -h '^error' "$OUT"/writer*.stats | sort | uniq -c | tr '\n' ';')"
for n in "${NODES[@]}"; do
	diag "node $n: wsrep_local_bf_aborts=$(nsql "$n" -e "SHOW GLOBAL STATUS LIKE 'wsrep_local_bf_aborts'" | cut -f2) wsrep_local_cert_failures=$(nsql "$n" -e "SHOW GLOBAL STATUS LIKE 'wsrep_local_cert_failures'" | cut -f2)"
done
[ -z "${OSCAR_GALERA_KEEP:-}" ] || cp -r "$OUT" "$OSCAR_GALERA_KEEP/writers-alone.$$"
for n in "${NODES[@]}"; do
	perl "$OSCAR_ROOT/test/lib/check.pl" "$(eval echo "\$GALERA_SOCKET$n")" "$DB" t "$OUT" >"$OUT/check$n" 2>&1
	ok $? "node $n equals what the writers committed"
done
