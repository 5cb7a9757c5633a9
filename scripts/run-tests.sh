#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, starts a private
# MariaDB server (own datadir, socket and port under build/), runs every test
# with prove, stops the server. Extra arguments select test files.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

source scripts/packages.sh
need=()
packages_needed
command -v prove >/dev/null 2>&1 || need+=(perl)
perl -MDBD::mysql -e1 >/dev/null 2>&1 || need+=(libdbd-mysql-perl)
# the Galera refusal test starts a one-node cluster (mariadb-server depends on it)
{ [ -e /usr/lib/galera/libgalera_smm.so ] || [ -e /usr/lib/galera-4/libgalera_smm.so ]; } || need+=(galera-4)
# and the 3-node cluster tests' state transfers use rsync
command -v rsync >/dev/null 2>&1 || need+=(rsync)
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

if [ $# -gt 0 ]; then
	tests=("$@")
else
	tests=(build/test/* test/t/*.t)
fi
rc=0
prove --timer "${tests[@]}" || rc=$?

# Then the 3-node Galera tests (make test-galera), where galera-4 is
# installed (it is installed above when missing); their prove summary is then
# the last line. OSCAR_GALERA=0 leaves them out.
if [ $# -eq 0 ] && [ "${OSCAR_GALERA:-1}" != 0 ]; then
	scripts/testserver.sh stop "$OSCAR_TEST_DIR" >/dev/null 2>&1 || true
	trap - EXIT
	grc=0
	scripts/run-galera-tests.sh || grc=$?
	# the last line sums up both parts (prove's own is the Galera tests')
	if [ "$rc" != 0 ] || [ "$grc" != 0 ]; then
		echo "Result: FAIL (server tests: $([ "$rc" = 0 ] && echo passed || echo failed), Galera tests: $([ "$grc" = 0 ] && echo passed || echo failed))"
		rc=1
	fi
fi
exit $rc
