#!/usr/bin/env bash
# Throwaway MariaDB server for tests, demo and bench: private datadir, socket and
# port, never the system instance. Usage:
#   scripts/testserver.sh start DIR [PORT]   create (if needed) and start; prints nothing on success
#   scripts/testserver.sh stop DIR
#   scripts/testserver.sh env DIR            print shell assignments (OSCAR_SOCKET, OSCAR_PORT)
# TESTSERVER_CNF, when set, is appended to the [mariadbd] section (later lines
# win), e.g. "server_id=2" for a replica.
set -euo pipefail

cmd=${1:?usage: testserver.sh start|stop|env DIR [PORT]}
dir=${2:?usage: testserver.sh start|stop|env DIR [PORT]}
port=${3:-}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

source "$(dirname "${BASH_SOURCE[0]}")/server-lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/packages.sh"

ensure_packages() {
	if find_bin mariadbd mysqld >/dev/null && command -v mariadb_config >/dev/null 2>&1 \
		&& find_bin mariadb mysql >/dev/null; then
		return 0
	fi
	packages_install testserver mariadb-server mariadb-client libmariadb-dev
}

case "$cmd" in
start)
	ensure_packages
	mariadbd=$(find_bin mariadbd mysqld)
	installdb=$(find_bin mariadb-install-db mysql_install_db)
	if [ -z "$port" ]; then
		# a port derived from the directory so parallel servers do not collide
		port=$(( 20000 + $(printf '%s' "$dir" | cksum | cut -d' ' -f1) % 20000 ))
	fi
	if [ -S "$dir/sock" ] && [ -f "$dir/pid" ] && kill -0 "$(cat "$dir/pid")" 2>/dev/null; then
		exit 0
	fi
	if [ ! -d "$dir/data/mysql" ]; then
		rm -rf "$dir/data"
		"$installdb" --no-defaults --datadir="$dir/data" --user="$(id -un)" \
			--auth-root-authentication-method=normal --skip-test-db >"$dir/install.log" 2>&1 \
			|| { cat "$dir/install.log" >&2; exit 1; }
	fi
	# TLS for the tests of --ssl-ca/--ssl-cert/--ssl-key: a throwaway CA, a
	# server certificate for 127.0.0.1 and a client certificate
	tls=""
	if command -v openssl >/dev/null 2>&1; then
		if [ ! -f "$dir/tls/client.pem" ]; then
			mkdir -p "$dir/tls"
			(
				cd "$dir/tls"
				openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=oscar-test-ca" \
					-keyout ca.key -out ca.pem
				printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >san.ext
				for who in server client; do
					openssl req -newkey rsa:2048 -nodes -subj "/CN=oscar-test-$who" \
						-keyout "$who.key" -out "$who.csr"
					openssl x509 -req -in "$who.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
						-days 30 -extfile san.ext -out "$who.pem"
				done
			) >"$dir/tls.log" 2>&1 || rm -rf "$dir/tls"
		fi
		if [ -f "$dir/tls/server.pem" ]; then
			tls="ssl_ca=$dir/tls/ca.pem
ssl_cert=$dir/tls/server.pem
ssl_key=$dir/tls/server.key"
		fi
	fi
	# its own temporary directory: nothing another server or a cleaner does
	# to /tmp reaches its temporary tables
	mkdir -p "$dir/tmp"
	cat >"$dir/my.cnf" <<CNF
[mariadbd]
datadir=$dir/data
tmpdir=$dir/tmp
socket=$dir/sock
port=$port
bind-address=127.0.0.1
pid-file=$dir/pid
log-error=$dir/error.log
user=$(id -un)
innodb_buffer_pool_size=1G
innodb_log_file_size=512M
innodb_flush_log_at_trx_commit=2
skip-name-resolve
max_connections=500
server_id=1
log_bin=$dir/binlog
binlog_format=ROW
$tls
${TESTSERVER_CNF:-}
CNF
	echo "$port" >"$dir/port"
	"$mariadbd" --defaults-file="$dir/my.cnf" >"$dir/stdout.log" 2>&1 &
	for _ in $(seq 1 300); do
		if [ -S "$dir/sock" ] && "$(find_bin mariadb-admin mysqladmin)" --no-defaults -uroot --socket="$dir/sock" ping >/dev/null 2>&1; then
			exit 0
		fi
		sleep 0.1
	done
	echo "testserver: server did not start; see $dir/error.log" >&2
	tail -20 "$dir/error.log" >&2 || true
	exit 1
	;;
stop)
	if [ -f "$dir/pid" ]; then
		pid=$(cat "$dir/pid")
		kill "$pid" 2>/dev/null || true
		for _ in $(seq 1 300); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$pid" 2>/dev/null || true
		rm -f "$dir/pid"
	fi
	;;
env)
	echo "OSCAR_SOCKET=$dir/sock"
	echo "OSCAR_PORT=$(cat "$dir/port" 2>/dev/null || echo 0)"
	;;
*)
	echo "usage: testserver.sh start|stop|env DIR [PORT]" >&2
	exit 2
	;;
esac
