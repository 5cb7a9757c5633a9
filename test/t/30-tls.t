#!/usr/bin/env bash
# TLS: --ssl-ca verifies the server, --ssl-cert/--ssl-key authenticate the
# client, against a server with its own throwaway CA (scripts/testserver.sh).
source "$(dirname "$0")/../lib/common.sh"

TLS=${OSCAR_TEST_DIR:-}/tls
if [ -z "${OSCAR_TEST_DIR:-}" ] || [ ! -f "$TLS/client.pem" ] || [ -z "$(sql -e "SELECT @@have_ssl = 'YES'" | grep 1)" ]; then
	ok 0 "# SKIP the test server has no TLS"
	exit 0
fi
DB=tls_test
fresh_db $DB
sql $DB -e "CREATE TABLE t (id INT PRIMARY KEY, v INT) ENGINE=InnoDB; INSERT INTO t SELECT seq, seq FROM seq_1_to_2000;
            DROP USER IF EXISTS 'tls_ca'@'127.0.0.1', 'tls_x509'@'127.0.0.1';
            CREATE USER 'tls_ca'@'127.0.0.1' IDENTIFIED BY 'pw-ssl-1' REQUIRE SSL;
            CREATE USER 'tls_x509'@'127.0.0.1' IDENTIFIED BY 'pw-x509-2' REQUIRE X509;
            GRANT ALL ON $DB.* TO 'tls_ca'@'127.0.0.1', 'tls_x509'@'127.0.0.1';
            GRANT PROCESS, SUPER ON *.* TO 'tls_ca'@'127.0.0.1', 'tls_x509'@'127.0.0.1'"
tcp() { "$OSCAR_BIN" --host=127.0.0.1 --port="$OSCAR_PORT" --database=$DB --table=t "$@"; }

tcp --user=tls_ca --password=pw-ssl-1 --alter="ADD COLUMN a INT" >/dev/null 2>"$TMP/e1"
is "$?" 4 "REQUIRE SSL user without TLS options: connection refused (exit 4)"
tcp --user=tls_ca --password=pw-ssl-1 --ssl-ca="$TLS/ca.pem" --alter="ADD COLUMN a INT" --execute >/dev/null 2>"$TMP/e2"
is "$?" 0 "--ssl-ca: connects over TLS with the server verified, and migrates"
is "$(sql -e "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME='t' AND COLUMN_NAME='a'")" 1 "the ALTER took effect"

# a CA that did not sign the server's certificate: verification fails
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=other-ca" -keyout "$TMP/o.key" -out "$TMP/other.pem" >/dev/null 2>&1
tcp --user=tls_ca --password=pw-ssl-1 --ssl-ca="$TMP/other.pem" --alter="ADD COLUMN b INT" >/dev/null 2>"$TMP/e3"
is "$?" 4 "--ssl-ca with the wrong CA: the server is not trusted (exit 4)"
like "$(cat "$TMP/e3")" "cannot connect" "one-line connection error"
ok "$(grep -c 'pw-ssl-1' "$TMP/e1" "$TMP/e2" "$TMP/e3" | awk -F: '{s+=$2} END {exit s}'; echo $?)" "the password appears in no message"

tcp --user=tls_x509 --password=pw-x509-2 --ssl-ca="$TLS/ca.pem" --alter="ADD COLUMN b INT" >/dev/null 2>&1
is "$?" 4 "REQUIRE X509 user without a client certificate: refused"
tcp --user=tls_x509 --password=pw-x509-2 --ssl-ca="$TLS/ca.pem" --ssl-cert="$TLS/client.pem" --ssl-key="$TLS/client.key" \
	--alter="ADD COLUMN b INT" --execute >/dev/null 2>"$TMP/e4"
is "$?" 0 "--ssl-cert/--ssl-key: the client certificate is accepted, and migrates"
is "$(leftovers $DB)" "" "nothing left behind"
sql -e "DROP USER 'tls_ca'@'127.0.0.1', 'tls_x509'@'127.0.0.1'"
