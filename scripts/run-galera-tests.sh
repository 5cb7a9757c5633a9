#!/usr/bin/env bash
# make test-galera: builds, starts a throwaway 3-node Galera cluster
# (scripts/galera-cluster.sh, under build/galera of this worktree), runs the
# cluster tests (test/galera/*.t, or the files given) with prove, stops it.
# OSCAR_GALERA_REPEAT=N runs them N times (the cluster is started once).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
if [ ! -e /usr/lib/galera/libgalera_smm.so ] && [ ! -e /usr/lib/galera-4/libgalera_smm.so ]; then
	echo "run-galera-tests: galera-4 is not installed (apt-get install galera-4)" >&2
	exit 1
fi
command -v rsync >/dev/null 2>&1 || { echo "run-galera-tests: rsync is missing (the state transfer needs it)" >&2; exit 1; }
make -s oscar
export OSCAR_GALERA_DIR=${OSCAR_GALERA_DIR:-$root/build/galera}
export OSCAR_BIN=$root/oscar
export OSCAR_ROOT=$root
trap 'scripts/galera-cluster.sh stop "$OSCAR_GALERA_DIR"' EXIT
scripts/galera-cluster.sh start "$OSCAR_GALERA_DIR"
eval "$(scripts/galera-cluster.sh env "$OSCAR_GALERA_DIR")"
export GALERA_SOCKET1 GALERA_SOCKET2 GALERA_SOCKET3 GALERA_PORT1 GALERA_PORT2 GALERA_PORT3 GALERA_SOCKETS
# the shared test library talks to node 1
export OSCAR_SOCKET=$GALERA_SOCKET1 OSCAR_PORT=$GALERA_PORT1
if [ $# -gt 0 ]; then
	tests=("$@")
else
	tests=(test/galera/*.t)
fi
runs=${OSCAR_GALERA_REPEAT:-1}
failed=0
for i in $(seq 1 "$runs"); do
	[ "$runs" = 1 ] || echo "# run $i of $runs"
	prove --timer "${tests[@]}" || failed=$((failed + 1))
done
[ "$runs" = 1 ] || echo "# $((runs - failed)) of $runs runs passed"
[ "$failed" = 0 ]
