#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, starts a private
# MariaDB server (own datadir, socket and port under build/), runs every test
# with prove, stops the server. Extra arguments select test files. Without
# arguments, on a machine with galera-4 it then runs the cluster tests too
# (scripts/run-galera-tests.sh: a throwaway 3-node cluster, one at a time
# after the single server is stopped) and ends with one summary line;
# OSCAR_SKIP_GALERA=1 leaves them out.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

source scripts/packages.sh
need=()
packages_needed
command -v prove >/dev/null 2>&1 || need+=(perl)
perl -MDBD::mysql -e1 >/dev/null 2>&1 || need+=(libdbd-mysql-perl)
# the cluster's joiners take their state transfer by rsync
command -v rsync >/dev/null 2>&1 || need+=(rsync)
# the Galera refusal test starts a one-node cluster (mariadb-server depends on it)
{ [ -e /usr/lib/galera/libgalera_smm.so ] || [ -e /usr/lib/galera-4/libgalera_smm.so ]; } || need+=(galera-4)
packages_install run-tests "${need[@]}"

make -s oscar unit

export OSCAR_TEST_DIR=${OSCAR_TEST_DIR:-$root/build/testsrv}
export OSCAR_BIN=$root/oscar
export OSCAR_ROOT=$root
scripts/testserver.sh stop "$OSCAR_TEST_DIR" >/dev/null 2>&1 || true
rm -rf "$OSCAR_TEST_DIR"
scripts/testserver.sh start "$OSCAR_TEST_DIR"
trap 'scripts/testserver.sh stop "$OSCAR_TEST_DIR"' EXIT
eval "$(scripts/testserver.sh env "$OSCAR_TEST_DIR")"
export OSCAR_SOCKET OSCAR_PORT
# every event any run emits, for the schema check (test/t/99-event-schema.t)
export OSCAR_EVENT_LOG=$OSCAR_TEST_DIR/events.jsonl
rm -f "$OSCAR_EVENT_LOG"

galera=
if [ $# -gt 0 ]; then
	tests=("$@")
else
	tests=(build/test/* test/t/*.t)
	{ [ -e /usr/lib/galera/libgalera_smm.so ] || [ -e /usr/lib/galera-4/libgalera_smm.so ]; } &&
		[ -z "${OSCAR_SKIP_GALERA:-}" ] && galera=1
fi
if [ -z "$galera" ]; then
	prove --timer "${tests[@]}"
	exit
fi
rc=0
prove --timer "${tests[@]}" || rc=$?
# one cluster at a time, and not beside the single server: both cores are
# the cluster's while it runs
scripts/testserver.sh stop "$OSCAR_TEST_DIR"
trap - EXIT
t0=$SECONDS
grc=0
scripts/run-galera-tests.sh || grc=$?
echo "run-tests: single server $([ "$rc" = 0 ] && echo passed || echo FAILED); Galera cluster $([ "$grc" = 0 ] && echo passed || echo FAILED) ($((SECONDS - t0)) s)"
[ "$rc" = 0 ] && [ "$grc" = 0 ]
