# Shared by the shell tests: TAP output, the test server's client, and checks
# that oscar left nothing behind. Source it; it needs OSCAR_SOCKET and OSCAR_BIN
# (scripts/run-tests.sh sets them).
set -u

: "${OSCAR_SOCKET:?run through scripts/run-tests.sh}"
: "${OSCAR_BIN:?run through scripts/run-tests.sh}"
OSCAR_ROOT=${OSCAR_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

_tap_n=0
_tap_fail=0
TMP=$(mktemp -d /tmp/oscar-test.XXXXXX)
# One EXIT trap for every test: what at_exit registered (the last first), then
# the temporary directory, then the plan. A test starting a replica and a
# cluster gets both stopped.
_at_exit=()
at_exit() { _at_exit=("$1" "${_at_exit[@]}"); } # at_exit COMMAND
_on_exit() {
	local c
	for c in "${_at_exit[@]}"; do eval "$c"; done
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"
	tap_finish
}
trap _on_exit EXIT

tap_finish() {
	echo "1..$_tap_n"
	if [ "$_tap_fail" -gt 0 ]; then
		echo "# $_tap_fail of $_tap_n failed"
		exit 1
	fi
	exit 0
}

ok() { # ok CONDITION-STATUS NAME
	local status=$1; shift
	_tap_n=$((_tap_n + 1))
	if [ "$status" -eq 0 ]; then
		echo "ok $_tap_n - $*"
	else
		echo "not ok $_tap_n - $*"
		_tap_fail=$((_tap_fail + 1))
	fi
}

is() { # is GOT EXPECTED NAME
	local got=$1 want=$2; shift 2
	if [ "$got" == "$want" ]; then
		ok 0 "$*"
	else
		ok 1 "$*"
		diag "got:      $(printf '%s' "$got" | head -c 2000)"
		diag "expected: $(printf '%s' "$want" | head -c 2000)"
	fi
}

like() { # like GOT REGEX NAME
	local got=$1 re=$2; shift 2
	if printf '%s' "$got" | grep -Eq -- "$re"; then
		ok 0 "$*"
	else
		ok 1 "$*"
		diag "got:      $(printf '%s' "$got" | head -c 2000)"
		diag "expected to match: $re"
	fi
}

# diagnostics go to stderr, where prove shows them without --verbose
diag() { printf '%s\n' "$*" | sed 's/^/# /' >&2; }

# SQL on the test server as root: tab-separated, no headers.
sql() { mariadb --no-defaults -uroot --socket="$OSCAR_SOCKET" -N -B "$@"; }

# oscar against the test server; extra arguments as given.
# OSCAR_TEST_ARGS adds options to every run, e.g. --copy-method=client to
# take every table through the client-side copy.
# shellcheck disable=SC2086
oscar() { "$OSCAR_BIN" --socket="$OSCAR_SOCKET" --user=root ${OSCAR_TEST_ARGS:-} "$@"; }

fresh_db() { sql -e "DROP DATABASE IF EXISTS \`$1\`; CREATE DATABASE \`$1\`"; }

# Everything in a schema that is not a plain user table: triggers and
# oscar-named tables. Empty output means nothing was left behind.
leftovers() { # leftovers DB
	sql -e "SELECT CONCAT('trigger ', TRIGGER_NAME) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='$1'
	        UNION ALL SELECT CONCAT('table ', TABLE_NAME) FROM information_schema.TABLES
	        WHERE TABLE_SCHEMA='$1' AND (TABLE_NAME LIKE '\\_%\\_new' OR TABLE_NAME LIKE '\\_%\\_old'
	             OR TABLE_NAME LIKE '\\_%\\_bnd' OR TABLE_NAME LIKE '\\_%\\_chg')"
}

# Full content of a table in key order, one line per row, for exact comparison.
dump_table() { # dump_table DB TABLE ORDER-BY
	sql -e "SELECT * FROM \`$1\`.\`$2\` ORDER BY $3"
}

# The schema (SHOW CREATE TABLE) without the AUTO_INCREMENT counter.
table_ddl() { sql -e "SHOW CREATE TABLE \`$1\`.\`$2\`" | cut -f2 | sed 's/ AUTO_INCREMENT=[0-9]*//'; }

# Server-wide snapshot of user schemas' tables and triggers, for "nothing changed".
server_state() {
	sql -e "SELECT TABLE_SCHEMA, TABLE_NAME, CREATE_TIME FROM information_schema.TABLES
	        WHERE TABLE_SCHEMA NOT IN ('mysql','information_schema','performance_schema','sys') ORDER BY 1,2;
	        SELECT TRIGGER_SCHEMA, TRIGGER_NAME FROM information_schema.TRIGGERS ORDER BY 1,2"
}

# --- helpers added for the functional tests (10-16) ---

# oscar_run ARGS...: oscar with stdout and stderr captured; sets RC, OUT, ERR
# (files $TMP/oscar.out and $TMP/oscar.err keep them too).
oscar_run() {
	oscar "$@" >"$TMP/oscar.out" 2>"$TMP/oscar.err"
	RC=$?
	OUT=$(cat "$TMP/oscar.out")
	ERR=$(cat "$TMP/oscar.err")
}

# An identifier quoted for SQL (backticks doubled), and a string literal.
qi() { local s=${1//\`/\`\`}; printf '`%s`' "$s"; }
qs() { local s=${1//\\/\\\\}; s=${s//\'/\'\'}; printf "'%s'" "$s"; }

# sql with a utf8mb4 connection, so 4-byte characters survive both ways.
sql4() { sql --default-character-set=utf8mb4 "$@"; }

# Selected columns of a table in a given order, for comparing before/after.
dump_cols() { # dump_cols DB TABLE SELECT-LIST ORDER-BY
	sql4 -e "SELECT $3 FROM $(qi "$1").$(qi "$2") ORDER BY $4"
}

count_rows() { sql -e "SELECT COUNT(*) FROM $(qi "$1").$(qi "$2")"; }

# leftovers for any schema name (quotes and backslashes escaped).
leftovers_q() { # leftovers_q DB
	sql -e "SELECT CONCAT('trigger ', TRIGGER_NAME) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA=$(qs "$1")
	        UNION ALL SELECT CONCAT('table ', TABLE_NAME) FROM information_schema.TABLES
	        WHERE TABLE_SCHEMA=$(qs "$1") AND (TABLE_NAME LIKE '\\_%\\_new' OR TABLE_NAME LIKE '\\_%\\_old'
	             OR TABLE_NAME LIKE '\\_%\\_bnd' OR TABLE_NAME LIKE '\\_%\\_chg')"
}

# Lines of a --json stream whose event is EVENT.
json_events() { # json_events FILE EVENT
	grep -E "\"event\":\"$2\"" "$1" || true
}

# Waits up to SECONDS for a command to succeed; status 0 when it did.
wait_for() { # wait_for SECONDS COMMAND...
	local deadline=$((SECONDS + $1)); shift
	while ! "$@"; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.05
	done
	return 0
}

# --- replicas (26-replica-lag.t) ---

# SQL on the replica as root: tab-separated, no headers.
rsql() { mariadb --no-defaults -uroot --socket="$REPLICA_SOCKET" -N -B "$@"; }

# start_replica: a second server (server_id 2, own directory and port next to
# the test server's) replicating from the test server over loopback, from the
# primary's current binlog position. Sets REPLICA_DIR, REPLICA_PORT and
# REPLICA_SOCKET, and stops the replica when the test exits.
start_replica() {
	REPLICA_DIR=${OSCAR_TEST_DIR:-$(dirname "$OSCAR_SOCKET")}.replica
	REPLICA_PORT=$((OSCAR_PORT + 1))
	REPLICA_SOCKET=$REPLICA_DIR/sock
	"$OSCAR_ROOT/scripts/testserver.sh" stop "$REPLICA_DIR" >/dev/null 2>&1 || true
	rm -rf "$REPLICA_DIR"
	at_exit stop_replica
	TESTSERVER_CNF="server_id=2
report_host=127.0.0.1
report_port=$REPLICA_PORT
relay_log=$REPLICA_DIR/relay
innodb_buffer_pool_size=128M
innodb_log_file_size=48M" "$OSCAR_ROOT/scripts/testserver.sh" start "$REPLICA_DIR" "$REPLICA_PORT" || return 1
	sql -e "SET sql_log_bin=0; CREATE USER IF NOT EXISTS 'oscar_repl'@'127.0.0.1' IDENTIFIED BY 'repl-pw';
	        GRANT REPLICATION SLAVE ON *.* TO 'oscar_repl'@'127.0.0.1'" || return 1
	local file pos
	read -r file pos _ < <(sql -e "SHOW MASTER STATUS")
	rsql -e "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$OSCAR_PORT, MASTER_USER='oscar_repl',
	         MASTER_PASSWORD='repl-pw', MASTER_LOG_FILE='$file', MASTER_LOG_POS=$pos, MASTER_CONNECT_RETRY=1;
	         START SLAVE" || return 1
	wait_replica_sync 30
}

# wait_replica_sync [SECONDS]: until the replica has applied all the primary
# has logged so far; status 0 when it did.
wait_replica_sync() {
	local file pos r
	read -r file pos _ < <(sql -e "SHOW MASTER STATUS")
	r=$(rsql -e "SELECT MASTER_POS_WAIT('$file', $pos, ${1:-30})")
	[ -n "$r" ] && [ "$r" != NULL ] && [ "$r" -ge 0 ]
}

stop_replica() {
	[ -n "${REPLICA_DIR:-}" ] || return 0
	"$OSCAR_ROOT/scripts/testserver.sh" stop "$REPLICA_DIR" >/dev/null 2>&1
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$REPLICA_DIR"
}

# leftovers on the replica: what leftovers DB shows on the primary, plus
# oscar's heartbeat tables.
replica_leftovers() { # replica_leftovers DB
	rsql -e "SELECT CONCAT('trigger ', TRIGGER_NAME) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='$1'
	         UNION ALL SELECT CONCAT('table ', TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA='$1'
	         AND (TABLE_NAME LIKE '\\_%\\_new' OR TABLE_NAME LIKE '\\_%\\_old' OR TABLE_NAME LIKE '\\_%\\_hb')"
}

# start_galera: a one-node Galera cluster (wsrep_on, Debian's galera-4) next
# to the test server, bootstrapped on loopback. Sets GALERA_SOCKET; stops it
# when the test exits.
start_galera() {
	GALERA_DIR=${OSCAR_TEST_DIR:-$(dirname "$OSCAR_SOCKET")}.galera
	GALERA_SOCKET=$GALERA_DIR/sock
	local provider gp=$((OSCAR_PORT + 20))
	provider=$(ls /usr/lib/galera/libgalera_smm.so /usr/lib/galera-4/libgalera_smm.so 2>/dev/null | head -1)
	[ -n "$provider" ] || { echo "start_galera: libgalera_smm.so not found (apt-get install galera-4)" >&2; return 1; }
	"$OSCAR_ROOT/scripts/testserver.sh" stop "$GALERA_DIR" >/dev/null 2>&1 || true
	rm -rf "$GALERA_DIR"
	at_exit stop_galera
	TESTSERVER_CNF="wsrep_on=ON
wsrep_provider=$provider
wsrep_cluster_name=oscar_test
wsrep_cluster_address=gcomm://
wsrep_node_address=127.0.0.1:$gp
wsrep_provider_options=\"base_port=$gp;gcache.size=32M\"
innodb_autoinc_lock_mode=2
innodb_buffer_pool_size=128M
innodb_log_file_size=48M" "$OSCAR_ROOT/scripts/testserver.sh" start "$GALERA_DIR" $((OSCAR_PORT + 10)) || return 1
	wait_for 10 galera_ready
}
galera_ready() { [ "$(gsql -e "SHOW STATUS LIKE 'wsrep_ready'" 2>/dev/null | cut -f2)" = ON ]; }

# SQL on the Galera node as root, tab-separated, no headers.
gsql() { mariadb --no-defaults -uroot --socket="$GALERA_SOCKET" -N -B "$@"; }
# leftovers on the Galera node, job state included.
leftovers_g() {
	gsql -e "SELECT CONCAT('trigger ', TRIGGER_NAME) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='$DB'
	         UNION ALL SELECT CONCAT('table ', TABLE_NAME) FROM information_schema.TABLES
	         WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME LIKE '\\_%'"
}

stop_galera() {
	[ -n "${GALERA_DIR:-}" ] || return 0
	"$OSCAR_ROOT/scripts/testserver.sh" stop "$GALERA_DIR" >/dev/null 2>&1
	[ -n "${KEEP_TMP:-}" ] || rm -rf "$GALERA_DIR"
}

# --- bounded waits (a slow machine fails a test with a message, never hangs) ---

unlike() { # unlike GOT REGEX NAME
	local got=$1 re=$2; shift 2
	if printf '%s' "$got" | grep -Eq -- "$re"; then
		ok 1 "$*"
		diag "got:      $(printf '%s' "$got" | head -c 2000)"
		diag "expected not to match: $re"
	else
		ok 0 "$*"
	fi
}

# running PID: status 0 while the process exists (and is not a zombie).
running() { [ -e "/proc/$1" ] && [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" != Z ]; }

# wait_exit PID [SECONDS]: waits (at most SECONDS, default 600) for a
# background job of this shell to end; returns its exit status, as wait would,
# and sets WAIT_RC to it. A job still running then is killed (SIGKILL): status
# 124 and WAIT_RC=timeout, so a hang fails the test instead of stalling it.
wait_exit() {
	local pid=$1 deadline=$((SECONDS + ${2:-600}))
	while running "$pid"; do
		if [ "$SECONDS" -ge "$deadline" ]; then
			diag "process $pid still running after ${2:-600} s: killed"
			kill -9 "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			WAIT_RC=timeout
			return 124
		fi
		sleep 0.05
	done
	wait "$pid"
	WAIT_RC=$?
	return "$WAIT_RC"
}

# wait_event FILE EVENT SECONDS: until a --json stream in FILE has an EVENT line.
wait_event() {
	wait_for "$3" grep -qs "\"event\":\"$2\"" "$1"
}

# wait_sql SECONDS WANT QUERY: until QUERY (on the test server) prints WANT.
wait_sql() {
	local deadline=$((SECONDS + $1)) want=$2; shift 2
	while [ "$(sql -e "$1" 2>/dev/null)" != "$want" ]; do
		[ "$SECONDS" -ge "$deadline" ] && return 1
		sleep 0.05
	done
	return 0
}
