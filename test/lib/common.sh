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
trap 'rm -rf "$TMP"; tap_finish' EXIT

tap_finish() {
	echo "1..$_tap_n"
	if [ "$_tap_fail" -gt 0 ]; then
		echo "# $_tap_fail of $_tap_n failed"
		exit 1
	fi
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

diag() { printf '%s\n' "$*" | sed 's/^/# /'; }

# SQL on the test server as root: tab-separated, no headers.
sql() { mariadb --no-defaults -uroot --socket="$OSCAR_SOCKET" -N -B "$@"; }

# oscar against the test server; extra arguments as given.
oscar() { "$OSCAR_BIN" --socket="$OSCAR_SOCKET" --user=root "$@"; }

fresh_db() { sql -e "DROP DATABASE IF EXISTS \`$1\`; CREATE DATABASE \`$1\`"; }

# Everything in a schema that is not a plain user table: triggers and
# oscar-named tables. Empty output means nothing was left behind.
leftovers() { # leftovers DB
	sql -e "SELECT CONCAT('trigger ', TRIGGER_NAME) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='$1'
	        UNION ALL SELECT CONCAT('table ', TABLE_NAME) FROM information_schema.TABLES
	        WHERE TABLE_SCHEMA='$1' AND (TABLE_NAME LIKE '\\_%\\_new' OR TABLE_NAME LIKE '\\_%\\_old')"
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
