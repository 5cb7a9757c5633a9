#!/usr/bin/env bash
# Throwaway 3-node MariaDB Galera cluster on loopback, for test-galera and
# bench-galera; never the system instance. Usage:
#   scripts/galera-cluster.sh start DIR   create and start nodes 1-3 (1 bootstraps, 2 and 3 join by SST)
#   scripts/galera-cluster.sh stop DIR    stop every node (bounded wait, then SIGKILL)
#   scripts/galera-cluster.sh env DIR     print shell assignments (GALERA_SOCKET1..3, GALERA_PORT1..3)
# Every port (client, group communication, IST, SST) is derived from DIR so
# that clusters of different worktrees do not collide. The joiners start on an
# empty datadir and take a full rsync state transfer; mariadbd runs as the
# unprivileged user "mysql" (GALERA_USER), whose rsync daemon must be able to
# write there, so DIR is owned by that user.
set -euo pipefail

cmd=${1:?usage: galera-cluster.sh start|stop|env DIR}
dir=${2:?usage: galera-cluster.sh start|stop|env DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
user=${GALERA_USER:-mysql}
[ "$(id -u)" = 0 ] || user=$(id -un)
nodes=3

# 40 ports per cluster between 10000 and 19999: below the ephemeral range and
# away from scripts/testserver.sh's 20000-39999
base=$(( 10000 + ($(printf '%s' "$dir" | cksum | cut -d' ' -f1) % 250) * 40 ))
port_of() { echo $((base + $1 * 10)); }      # client
gport_of() { echo $((base + $1 * 10 + 1)); } # group communication
iport_of() { echo $((base + $1 * 10 + 2)); } # IST
sport_of() { echo $((base + $1 * 10 + 3)); } # SST

source "$(dirname "${BASH_SOURCE[0]}")/server-lib.sh"

client() { # client N ARGS...: SQL on node N as root
	local n=$1; shift
	"$(find_bin mariadb mysql)" --no-defaults -uroot --socket="$dir/n$n/sock" -N -B "$@"
}

status_of() { client "$1" -e "SHOW STATUS LIKE '$2'" 2>/dev/null | cut -f2; }

# Waits up to SECONDS for node N to be Synced in a Primary cluster of SIZE.
wait_synced() { # wait_synced N SIZE SECONDS
	local deadline=$((SECONDS + $3))
	while [ "$SECONDS" -lt "$deadline" ]; do
		if [ "$(status_of "$1" wsrep_local_state_comment)" = Synced ] &&
			[ "$(status_of "$1" wsrep_cluster_status)" = Primary ] &&
			[ "$(status_of "$1" wsrep_cluster_size)" = "$2" ]; then
			return 0
		fi
		# a node that exited (a failed state transfer) will not become Synced
		kill -0 "$(cat "$dir/n$1/launcher.pid" 2>/dev/null || echo 0)" 2>/dev/null || break
		sleep 0.2
	done
	echo "galera-cluster: node $1 is not Synced in a cluster of $2 after $3 s; see $dir/n$1/error.log" >&2
	tail -25 "$dir/n$1/error.log" >&2 || true
	return 1
}

write_cnf() { # write_cnf N
	local n=$1 provider members="" i
	provider=$(ls /usr/lib/galera/libgalera_smm.so /usr/lib/galera-4/libgalera_smm.so 2>/dev/null | head -1 || true)
	[ -n "$provider" ] || { echo "galera-cluster: libgalera_smm.so not found (apt-get install galera-4)" >&2; exit 1; }
	for i in $(seq 1 $nodes); do members+="${members:+,}127.0.0.1:$(gport_of "$i")"; done
	cat >"$dir/n$n/my.cnf" <<CNF
[mariadbd]
datadir=$dir/n$n/data
socket=$dir/n$n/sock
port=$(port_of "$n")
bind-address=127.0.0.1
pid-file=$dir/n$n/pid
log-error=$dir/n$n/error.log
user=$user
skip-name-resolve
max_connections=300
server_id=$n
binlog_format=ROW
default_storage_engine=InnoDB
innodb_autoinc_lock_mode=2
innodb_buffer_pool_size=128M
innodb_log_file_size=48M
innodb_flush_log_at_trx_commit=2
wsrep_on=ON
wsrep_provider=$provider
wsrep_cluster_name=oscar_$base
wsrep_cluster_address=gcomm://$members
wsrep_node_name=n$n
wsrep_node_address=127.0.0.1:$(gport_of "$n")
wsrep_node_incoming_address=127.0.0.1:$(port_of "$n")
wsrep_sst_method=rsync
wsrep_sst_receive_address=127.0.0.1:$(sport_of "$n")
wsrep_provider_options="base_port=$(gport_of "$n");ist.recv_addr=127.0.0.1:$(iport_of "$n");gcache.size=64M"
wsrep_slave_threads=2
${GALERA_CNF:-}
CNF
}

start_node() { # start_node N [--wsrep-new-cluster]
	local n=$1; shift
	"$(find_bin mariadbd mysqld)" --defaults-file="$dir/n$n/my.cnf" "$@" >"$dir/n$n/stdout.log" 2>&1 &
	echo $! >"$dir/n$n/launcher.pid"
}

stop_all() {
	local n pids=() pid
	for n in $(seq 1 $nodes); do
		pid=$(cat "$dir/n$n/pid" 2>/dev/null || cat "$dir/n$n/launcher.pid" 2>/dev/null || true)
		[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && { kill "$pid" 2>/dev/null || true; pids+=("$pid"); }
	done
	# a node stuck in a total-order wait does not stop on SIGTERM: bounded wait, then kill
	local deadline=$((SECONDS + ${GALERA_STOP_WAIT:-30}))
	for pid in "${pids[@]}"; do
		while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
		if kill -0 "$pid" 2>/dev/null; then
			echo "galera-cluster: node pid $pid did not stop; killing it" >&2
			kill -9 "$pid" 2>/dev/null || true
		fi
	done
	for n in $(seq 1 $nodes); do rm -f "$dir/n$n/pid" "$dir/n$n/launcher.pid"; done
}

case "$cmd" in
start)
	mariadbd=$(find_bin mariadbd mysqld) || { echo "galera-cluster: mariadbd not found (apt-get install mariadb-server)" >&2; exit 1; }
	installdb=$(find_bin mariadb-install-db mysql_install_db)
	stop_all >/dev/null 2>&1 || true
	rm -rf "${dir:?}"/n[0-9]*
	for n in $(seq 1 $nodes); do
		mkdir -p "$dir/n$n/data"
		write_cnf "$n"
	done
	"$installdb" --no-defaults --datadir="$dir/n1/data" --user="$user" \
		--auth-root-authentication-method=normal --skip-test-db >"$dir/n1/install.log" 2>&1 \
		|| { cat "$dir/n1/install.log" >&2; exit 1; }
	[ "$user" = "$(id -un)" ] || chown -R "$user" "$dir"
	start_node 1 --wsrep-new-cluster
	wait_synced 1 1 "${GALERA_START_WAIT:-60}"
	# root over loopback TCP too (oscar reaches the other nodes by their
	# wsrep_incoming_addresses); replicated to the joiners by their SST
	client 1 -e "CREATE USER IF NOT EXISTS root@'127.0.0.1'; GRANT ALL ON *.* TO root@'127.0.0.1' WITH GRANT OPTION"
	# one joiner at a time: a donor serves one state transfer at once
	for n in $(seq 2 $nodes); do
		start_node "$n"
		wait_synced "$n" "$n" "${GALERA_START_WAIT:-120}"
	done
	for n in $(seq 1 $nodes); do wait_synced "$n" $nodes 30; done
	;;
stop)
	stop_all
	;;
env)
	sockets=""
	for n in $(seq 1 $nodes); do
		echo "GALERA_SOCKET$n=$dir/n$n/sock"
		echo "GALERA_PORT$n=$(port_of "$n")"
		sockets+="${sockets:+ }$dir/n$n/sock"
	done
	echo "GALERA_SOCKETS='$sockets'"
	;;
*)
	echo "usage: galera-cluster.sh start|stop|env DIR" >&2
	exit 2
	;;
esac
