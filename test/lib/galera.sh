# For the cluster tests (test/galera, run by scripts/run-galera-tests.sh):
# SQL on each node, the writers spread over all three, and checks on every
# node. Source it after common.sh.
: "${GALERA_SOCKETS:?run through scripts/run-galera-tests.sh}"
NODES=(1 2 3)
# server-side prepared statements are refused on a cluster (see src/galera.c):
# the writers use the text protocol unless a test asks otherwise
export OSCAR_WRITERS_PS=${OSCAR_WRITERS_PS:-0}

# nsql N ARGS...: SQL on node N as root, reads after the node has applied
# everything committed anywhere (wsrep_sync_wait=15).
nsql() {
	local n=$1 s; shift
	s=GALERA_SOCKET$n
	mariadb --no-defaults -uroot --socket="${!s}" -N -B --init-command="SET SESSION wsrep_sync_wait=15" "$@"
}

# Every node Synced in a Primary cluster of 3.
cluster_ok() {
	local n
	for n in "${NODES[@]}"; do
		[ "$(nsql "$n" -e "SHOW STATUS LIKE 'wsrep_local_state_comment'" | cut -f2)" = Synced ] || return 1
		[ "$(nsql "$n" -e "SHOW STATUS LIKE 'wsrep_cluster_size'" | cut -f2)" = 3 ] || return 1
	done
}

# start_writers OUTDIR NWRITERS: writers.pl with writer w on node w mod 3;
# returns once each has loaded its model (bounded wait). Sets WPID.
start_writers() {
	local out=$1 nw=$2 i
	mkdir -p "$out"
	rm -f "$out/stop" "$out"/writer*.ready
	perl "$OSCAR_ROOT/test/lib/writers.pl" "$GALERA_SOCKETS" "$DB" t "$nw" "$out/stop" "$out" $RANDOM &
	WPID=$!
	for i in $(seq 0 $((nw - 1))); do
		wait_for 60 writer_ready "$out/writer$i.ready" && [ -e "$out/writer$i.ready" ] ||
			{ diag "writer $i did not start"; return 1; }
	done
}

# stop_writers OUTDIR: the writers stop and write their models; status in WRC.
stop_writers() {
	local out=$1
	touch "$out/stop"
	wait "$WPID"
	WRC=$?
}

writer_ready() { [ -e "$1" ] || ! kill -0 "$WPID" 2>/dev/null; }
# Sum of a writers' stats field (commits, errors).
writer_stat() { cat "$1"/writer*.stats | sed -n "s/.*$2=\([0-9]*\).*/\1/p" | awk '{s+=$1} END {print s+0}'; }

# Writers' errors, before the tool finished, other than those a cluster
# gives an application during any trigger-based change (pt-online-schema-
# change's included): certification conflicts and aborts by total-order DDL
# (1213), and the races of MariaDB's appliers creating triggers on the other
# nodes: 1146 on the shadow (MDEV-26048), and 1064 for a stored trigger body
# of oscar's that the server failed to parse while the table's triggers were
# loaded ("Query was empty", or a syntax error at a random place of a body
# that parses every other time: README, Galera, MariaDB's trigger loading).
# Those are counted (trigger_race_errors) and shown, not hidden: a statement
# that failed wrote nothing, and every node is still compared with the model.
writer_other_errors() {
	grep -h '^error' "$1"/writer*.stats | grep -v '^error: after' | grep -v '^error: \(commit \)\?1213 Deadlock' |
		grep -v "^error: 1146 Table '$DB\._t_new' doesn't exist" |
		grep -v "^error: $TRIGGER_RACE" || true
}
TRIGGER_RACE="1064 \(Unknown trigger\|Trigger 'oscar_t_\(ins\|upd\|del\)'\) has an error in its body: "
trigger_race_errors() { writer_errors "$1" "$TRIGGER_RACE"; }
# How many of a writer error kind: writer_errors OUTDIR REGEX
writer_errors() { grep -h "^error: $2" "$1"/writer*.stats | sed -n 's/.* x\([0-9]*\)$/\1/p' | awk '{s+=$1} END {print s+0}'; }

# check_nodes NAME OUTDIR: on every node, the table equals the writers' model
# and nothing of oscar's is left.
check_nodes() {
	local name=$1 out=$2 n s
	for n in "${NODES[@]}"; do
		s=GALERA_SOCKET$n
		perl "$OSCAR_ROOT/test/lib/check.pl" "${!s}" "$DB" t "$out" >"$out/check$n" 2>&1
		ok $? "$name: node $n equals what the writers committed"
		if ! grep -q ' 0 difference' "$out/check$n"; then
			diag "$(tail -8 "$out/check$n")"
			# the writers' statement logs and oscar's output, for a look
			# afterwards (OSCAR_GALERA_KEEP=dir)
			[ -z "${OSCAR_GALERA_KEEP:-}" ] || cp -r "$out" "$OSCAR_GALERA_KEEP/$name.$$.$n"
		fi
		is "$(nsql "$n" -e "SELECT CONCAT('trigger ', TRIGGER_NAME) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='$DB'
			UNION ALL SELECT CONCAT('table ', TABLE_NAME) FROM information_schema.TABLES WHERE TABLE_SCHEMA='$DB'
			AND (TABLE_NAME LIKE '\\_%' OR TABLE_NAME LIKE 'oscar%')")" "" "$name: nothing left on node $n"
	done
}

# The writers' table: no AUTO_INCREMENT (see test/t/20-live-writers.t), a
# secondary UNIQUE key and a plain index. Created on node 1, ROWS rows.
make_table() {
	sql -e "DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB"
	sql $DB -e "CREATE TABLE t (id BIGINT NOT NULL PRIMARY KEY, u VARCHAR(40) NULL,
	  txt VARCHAR(100) CHARACTER SET utf8mb4 NULL, dt DATETIME(6) NULL, \`dec\` DECIMAL(12,4) NULL,
	  n INT NULL, extra VARCHAR(20) NOT NULL DEFAULT 'e', UNIQUE KEY uk_u (u), UNIQUE KEY uk_id_extra (id, extra),
	  KEY idx_dt (dt)) ENGINE=InnoDB;
	INSERT INTO t (id, u, txt, dt, \`dec\`, n)
	  SELECT seq, IF(seq % 7 = 0, NULL, CONCAT('init-', seq)), IF(seq % 11 = 0, NULL, CONCAT('r\\u00e9', seq)),
	         IF(seq % 13 = 0, NULL, TIMESTAMPADD(MICROSECOND, seq * 1000003, '2020-01-01')),
	         IF(seq % 17 = 0, NULL, seq / 7), IF(seq % 19 = 0, NULL, seq * 3) FROM seq_1_to_$1"
}

# The cluster's last ordered transaction as node 1 sees it, and whether it is past N.
last_committed() { nsql 1 -e "SHOW GLOBAL STATUS LIKE 'wsrep_last_committed'" | cut -f2; }
committed_past() { [ "$(last_committed)" -gt "$1" ]; }

# run_bounded SECONDS COMMAND...: runs COMMAND; if it has not ended after
# SECONDS (a wedged cluster), shows what every node is doing, kills it and
# returns 124. Otherwise returns its status.
run_bounded() {
	local limit=$1 pid n; shift
	"$@" &
	pid=$!
	if ! wait_for "$limit" not_running "$pid"; then
		for n in "${NODES[@]}"; do
			diag "node $n after ${limit}s: $(mariadb --no-defaults -uroot --socket="$(eval echo "\$GALERA_SOCKET$n")" -N -B -e \
				"SELECT ID, COMMAND, TIME, STATE, LEFT(INFO, 70) FROM information_schema.PROCESSLIST WHERE COMMAND <> 'Sleep' AND ID <> CONNECTION_ID()" 2>&1)"
		done
		kill -9 "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		return 124
	fi
	wait "$pid"
}
not_running() { ! kill -0 "$1" 2>/dev/null; }
