#!/usr/bin/env bash
# oscar demo: change a busy 300,000-row table while three clients keep writing.
#
# Installs what is missing (when run as root), builds oscar, starts a throwaway
# MariaDB server in a temporary directory, fills a table, starts the writers,
# runs oscar --execute, then checks the result:
#   - the table has the new column and index;
#   - no row was lost or left stale: every writer transaction changes `orders`
#     and a plain twin table, `orders_mirror`, in one transaction, so at the end
#     both must hold the same rows (the twin is never altered);
#   - no trigger or oscar table is left behind.
# The server and its directory are removed at the end. Exits non-zero on any
# failure.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

ROWS=${DEMO_ROWS:-300000}
WRITERS=${DEMO_WRITERS:-3}

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
die() { echo "demo: FAILED: $*" >&2; exit 1; }

# --- packages -------------------------------------------------------------
source scripts/packages.sh
need=()
packages_needed
packages_install demo "${need[@]}"

say "building oscar"
make -s oscar
./oscar --version

# --- throwaway server -----------------------------------------------------
work=$(mktemp -d /tmp/oscar-demo.XXXXXX)
srv=$work/server
writer_pids=()
cleanup() {
	local rc=$?
	touch "$work/stop" 2>/dev/null || true
	for p in "${writer_pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${writer_pids[@]}"; do wait "$p" 2>/dev/null || true; done
	scripts/testserver.sh stop "$srv" >/dev/null 2>&1 || true
	rm -rf "$work"
	if [ $rc -eq 0 ]; then
		printf '\n\033[1mdemo: OK\033[0m\n'
	else
		echo "demo: FAILED (exit $rc)" >&2
	fi
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "starting a throwaway MariaDB server in $srv"
scripts/testserver.sh start "$srv"
eval "$(scripts/testserver.sh env "$srv")"
sql() { mariadb --no-defaults -uroot --socket="$OSCAR_SOCKET" "$@"; }
sqlv() { sql -N -B -e "$1"; }
sqlv "SELECT CONCAT('server ', VERSION())"

say "creating demo.orders with $ROWS rows (and its twin demo.orders_mirror)"
sql <<SQL
CREATE DATABASE demo;
USE demo;
CREATE TABLE orders (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  customer_id INT UNSIGNED NOT NULL,
  amount DECIMAL(10,2) NOT NULL,
  status VARCHAR(16) NOT NULL DEFAULT 'new',
  created_at DATETIME NOT NULL,
  note VARCHAR(100) NOT NULL DEFAULT ''
) ENGINE=InnoDB;
INSERT INTO orders (id, customer_id, amount, status, created_at, note)
SELECT seq, 1 + seq % 5000, (seq % 10000) / 100, ELT(1 + seq % 4, 'new', 'paid', 'shipped', 'closed'),
       '2024-01-01' + INTERVAL (seq % 525600) MINUTE, CONCAT('order ', seq)
FROM seq_1_to_${ROWS};
CREATE TABLE orders_mirror LIKE orders;
INSERT INTO orders_mirror SELECT * FROM orders;
ANALYZE TABLE orders, orders_mirror;

-- One writer transaction: the same change on orders and on its twin, all or
-- nothing (a deadlock or lock wait rolls both back and is reported).
DELIMITER //
CREATE PROCEDURE write_op(IN op INT, IN rid INT UNSIGNED, IN v INT)
BEGIN
  DECLARE EXIT HANDLER FOR SQLEXCEPTION BEGIN ROLLBACK; RESIGNAL; END;
  START TRANSACTION;
  IF op = 0 THEN
    INSERT INTO orders (id, customer_id, amount, status, created_at, note)
      VALUES (rid, v % 5000 + 1, v / 100, 'new', '2025-06-01 12:00:00', CONCAT('live ', v));
    INSERT INTO orders_mirror (id, customer_id, amount, status, created_at, note)
      VALUES (rid, v % 5000 + 1, v / 100, 'new', '2025-06-01 12:00:00', CONCAT('live ', v));
  ELSEIF op = 1 THEN
    UPDATE orders SET amount = amount + 1, status = 'paid', note = CONCAT('updated ', v) WHERE id = rid;
    UPDATE orders_mirror SET amount = amount + 1, status = 'paid', note = CONCAT('updated ', v) WHERE id = rid;
  ELSE
    DELETE FROM orders WHERE id = rid;
    DELETE FROM orders_mirror WHERE id = rid;
  END IF;
  COMMIT;
END//
DELIMITER ;
SQL
sqlv "SELECT CONCAT(COUNT(*), ' rows in demo.orders') FROM demo.orders"

# Checksum over the columns both tables share (the ALTER adds one to orders).
checksum() {
	sqlv "SELECT CONCAT(COUNT(*), ' rows, checksum ', IFNULL(BIT_XOR(CRC32(CONCAT_WS('#', id, customer_id,
	      amount, status, created_at, note))), 0)) FROM demo.$1"
}

# --- writers ----------------------------------------------------------------
# Each writer is a bash loop feeding one mariadb client: inserts of fresh ids in
# its own range, updates and deletes of random existing ids. --force keeps the
# client going after an error (a rolled-back transaction); errors are counted.
writer() {
	local w=$1 n=0 r
	while [ ! -e "$work/stop" ]; do
		n=$((n + 1))
		r=$(( (RANDOM << 15 | RANDOM) % ROWS + 1 ))
		case $((n % 3)) in
		0) echo "CALL write_op(0, $((10000000 * w + n)), $n);" ;;
		1) echo "CALL write_op(1, $r, $n);" ;;
		2) echo "CALL write_op(2, $r, $n);" ;;
		esac
		# a short pause now and then, so the load is busy rather than saturating
		[ $((n % 20)) -eq 0 ] && echo "DO SLEEP(0.01);"
	done | sql --force -N -B demo >/dev/null 2>"$work/writer$w.err"
}

say "starting $WRITERS writers (INSERT / UPDATE / DELETE in a loop)"
for w in $(seq 1 "$WRITERS"); do
	writer "$w" &
	writer_pids+=($!)
done
sleep 2
sqlv "SELECT CONCAT(COUNT(*), ' rows in demo.orders while the writers run') FROM demo.orders"

ALTER="ADD COLUMN shipped_at DATETIME NULL AFTER status, ADD INDEX idx_customer_status (customer_id, status)"

say "dry run: oscar shows its plan and changes nothing"
./oscar --socket="$OSCAR_SOCKET" --user=root --database=demo --table=orders --alter="$ALTER"

say "oscar --execute (writers still running)"
set +e
./oscar --socket="$OSCAR_SOCKET" --user=root --database=demo --table=orders --alter="$ALTER" \
	--execute --progress=0.25
rc=$?
set -e
[ $rc -eq 0 ] || die "oscar exited with status $rc"

sleep 2
say "stopping the writers"
touch "$work/stop"
# a writer client exits non-zero when one of its transactions failed; those are counted below
for p in "${writer_pids[@]}"; do wait "$p" || true; done
writer_pids=()
errors=$(cat "$work"/writer*.err | grep -c '^ERROR' || true)
echo "writer transactions rolled back by a deadlock or lock wait (an application would retry them): $errors"
if [ "$errors" -gt 0 ]; then
	cat "$work"/writer*.err | grep '^ERROR' | sed 's/ at line [0-9]*//' | sort | uniq -c | head -5
fi
sqlv "SELECT CONCAT(COUNT(*), ' rows inserted by the writers') FROM demo.orders WHERE id > 10000000"
sqlv "SELECT CONCAT(COUNT(*), ' rows updated by the writers') FROM demo.orders WHERE note LIKE 'updated %'"

say "SHOW CREATE TABLE demo.orders"
sql -N -B -r -e "SHOW CREATE TABLE demo.orders" | cut -f2-

say "checks"
sqlv "SHOW CREATE TABLE demo.orders" | grep -q '`shipped_at` datetime' || die "column shipped_at missing"
sqlv "SHOW CREATE TABLE demo.orders" | grep -q 'KEY `idx_customer_status`' || die "index idx_customer_status missing"
echo "ok: the new column and index are there"
a=$(checksum orders)
b=$(checksum orders_mirror)
echo "orders:        $a"
echo "orders_mirror: $b"
[ "$a" = "$b" ] || die "orders and its twin differ: a write was lost or left stale"
echo "ok: every row matches its twin"
left=$(sqlv "SELECT CONCAT('trigger ', TRIGGER_NAME) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='demo'
             UNION ALL SELECT CONCAT('table ', TABLE_NAME) FROM information_schema.TABLES
             WHERE TABLE_SCHEMA='demo' AND TABLE_NAME IN ('_orders_new', '_orders_old')")
[ -z "$left" ] || die "left behind: $left"
echo "ok: no triggers and no _orders_new/_orders_old tables left"

say "stopping and removing the server"
