#!/usr/bin/env bash
# ALTERs oscar leaves to the server (src/native.c): partition maintenance that
# removes or moves rows, and a requested ALGORITHM=INSTANT/NOCOPY/INPLACE. They
# run on the table itself, in one statement whose metadata-lock wait is short
# and retried, so an open transaction makes oscar give up rather than queue the
# application behind the ALTER. The results themselves are compared with the
# server's own ALTER in 42-differential.t.
source "$(dirname "$0")/../lib/common.sh"

DB=oscar_t40
fresh_db $DB
sql $DB -e "CREATE TABLE p (id INT NOT NULL AUTO_INCREMENT, d DATE NOT NULL, v INT, PRIMARY KEY (id, d))
	PARTITION BY RANGE (YEAR(d)) (PARTITION p0 VALUES LESS THAN (2020), PARTITION p1 VALUES LESS THAN (2022),
	PARTITION pmax VALUES LESS THAN MAXVALUE);
	INSERT INTO p (d, v) SELECT '2018-01-01' + INTERVAL (seq * 3) DAY, seq FROM seq_1_to_1000"
before=$(server_state)
in_p0=$(sql $DB -e "SELECT COUNT(*) FROM p WHERE d < '2020-01-01'")

# dry run: says it runs natively, changes nothing
oscar_run --database=$DB --table=p --alter="DROP PARTITION p0"
is "$RC" 0 "dry run of DROP PARTITION: exit 0"
like "$OUT" "method: native: DROP PARTITION" "dry run: says the server does it in place"
like "$OUT" 'ALTER TABLE `oscar_t40`.`p` DROP PARTITION p0' "dry run: prints the statement"
is "$(server_state)" "$before" "dry run: nothing changed"
oscar_run --database=$DB --table=p --alter="DROP PARTITION nosuch"
is "$RC" 3 "dry run of a DROP PARTITION the server refuses: exit 3"
like "$ERR" "the server does not accept the DROP PARTITION" "the refusal quotes the server"
is "$(server_state)" "$before" "refused dry run: nothing changed"
oscar_run --database=$DB --table=p --alter="DROP PARTITION p0" --json
like "$OUT" '"event":"plan".*"method":"native".*"operation":"DROP PARTITION"' "dry run with --json: a native plan event"

# an open transaction on the table: oscar gives up after its retries instead
# of queueing everyone behind it, and the application's reads go on
sql $DB -e "BEGIN; SELECT COUNT(*) FROM p; SELECT SLEEP(60)" >/dev/null 2>&1 &
holder=$!
wait_for 10 sh -c "[ \"\$(mariadb --no-defaults -uroot --socket=$OSCAR_SOCKET -N -B -e \"SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(60)%'\")\" = 1 ]"
ok $? "a transaction holding the table is open"
oscar --database=$DB --table=p --alter="DROP PARTITION p0" --execute --lock-wait-timeout=0.2 --lock-retries=2 \
	>"$TMP/oscar.out" 2>"$TMP/oscar.err" &
opid=$!
# while it waits, the process list says whose statement it is, and what phase
wait_for 10 sh -c "[ \"\$(mariadb --no-defaults -uroot --socket=$OSCAR_SOCKET -N -B -e \"SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE '/* oscar $DB.p native */ SET STATEMENT lock_wait_timeout=1 FOR ALTER TABLE%'\")\" = 1 ]"
ok $? "the process list shows the waiting ALTER as oscar's, with table and phase"
wait_for 30 sh -c "! kill -0 $opid 2>/dev/null"
wait $opid
RC=$?
ERR=$(cat "$TMP/oscar.err")
is "$RC" 1 "DROP PARTITION behind an open transaction: exit 1 after its retries"
like "$ERR" "gave up DROP PARTITION after 2 attempts waiting for a metadata lock" "says it gave up on the metadata lock"
is "$(sql $DB -e "SELECT COUNT(*) FROM p WHERE d < '2020-01-01'")" "$in_p0" "the partition's rows are still there"
sql -e "KILL $(sql -e "SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE 'SELECT SLEEP(60)%'")" 2>/dev/null
wait_for 10 sh -c "! kill -0 $holder 2>/dev/null"
ok $? "the transaction ended"

oscar_run --database=$DB --table=p --alter="DROP PARTITION p0" --execute --json
is "$RC" 0 "DROP PARTITION --execute: exit 0"
is "$(sql $DB -e "SELECT COUNT(*) FROM p WHERE d < '2020-01-01'")" 0 "the partition's rows are gone"
like "$OUT" '"event":"done".*"rows_copied":0.*"method":"native".*"operation":"DROP PARTITION"' "done event says native"
is "$(sql $DB -e "SELECT GROUP_CONCAT(PARTITION_NAME ORDER BY PARTITION_ORDINAL_POSITION) FROM information_schema.PARTITIONS
	WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME='p'")" "p1,pmax" "p0 is gone from the definition"
is "$(leftovers $DB)" "" "nothing left behind"

# a native ALTER has no second table to keep
before=$(server_state)
oscar_run --database=$DB --table=p --alter="TRUNCATE PARTITION p1" --execute --revert-window=1h
is "$RC" 3 "native ALTER with --revert-window: refused"
like "$ERR" "TRUNCATE PARTITION runs natively, without a copy: --no-swap and --revert-window need one" "says why"
oscar_run --database=$DB --table=p --alter="TRUNCATE PARTITION p1" --execute --no-swap
is "$RC" 3 "native ALTER with --no-swap: refused"
is "$(server_state)" "$before" "refused: nothing changed"

# ALGORITHM=: the server's own ALTER, or a refusal with its reason
before=$(server_state)
oscar_run --database=$DB --table=p --alter="MODIFY v BIGINT, ALGORITHM=INSTANT" --execute
is "$RC" 3 "ALGORITHM=INSTANT the server cannot do: exit 3"
like "$ERR" "refused: the server cannot apply this ALTER with ALGORITHM=INSTANT: .*Cannot change column type" \
	"the refusal gives the server's reason"
is "$(server_state)" "$before" "refused: nothing changed"
oscar_run --database=$DB --table=p --alter="ADD COLUMN z INT, ALGORITHM=INSTANT" --execute
is "$RC" 0 "ALGORITHM=INSTANT the server can do: exit 0"
like "$ERR" "altered natively \(ALGORITHM=INSTANT\)" "done natively, without a copy"
is "$(sql -e "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME='p' AND COLUMN_NAME='z'")" 1 \
	"the column is there"
oscar_run --database=$DB --table=p --alter="ADD INDEX (v), ALGORITHM=COPY, LOCK=SHARED" --execute
is "$RC" 0 "ALGORITHM=COPY, LOCK=SHARED: copied by oscar"
like "$ERR" "notice: the ALTER's ALGORITHM= and LOCK= clauses are left out" "a notice says the clauses were left out"
like "$ERR" "rows copied" "the table was copied online"
is "$(leftovers $DB)" "" "nothing left behind"
