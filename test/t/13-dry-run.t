#!/usr/bin/env bash
# Without --execute nothing changes: the plan is printed and the server is
# byte for byte what it was.
source "$(dirname "$0")/../lib/common.sh"

DB=oscar_t13
fresh_db $DB
sql $DB -e "CREATE TABLE t (id INT NOT NULL AUTO_INCREMENT PRIMARY KEY, a INT, b VARCHAR(20), gone INT) ENGINE=InnoDB;
	INSERT INTO t (a, b, gone) SELECT seq, CONCAT('b', seq), seq FROM seq_1_to_500"
ALTER='CHANGE a a2 BIGINT, DROP COLUMN gone, ADD COLUMN fresh INT DEFAULT 1'

snapshot() {
	server_state
	table_ddl $DB t
	sql $DB -e "CHECKSUM TABLE t; SELECT AUTO_INCREMENT FROM information_schema.TABLES WHERE TABLE_SCHEMA='$DB' AND TABLE_NAME='t'"
}

before=$(snapshot)
# (--execute with --dry-run is refused: 38-misuse.t)
for mode in "" "--dry-run"; do
	name="dry run${mode:+ ($mode)}"
	# shellcheck disable=SC2086
	oscar_run --database=$DB --table=t --alter="$ALTER" $mode
	is "$RC" 0 "$name: exit 0"
	like "$OUT" "^dry run: nothing was changed" "$name: says it is a dry run"
	like "$OUT" "shadow table: _t_new" "$name: names the shadow table"
	like "$OUT" "old table after the swap: _t_old" "$name: names the old table"
	like "$OUT" "column mapping:" "$name: has a column mapping"
	is "$(printf '%s\n' "$OUT" | grep -E '^  [^ ]+ -> ' | sort)" "$(printf '  a -> a2\n  b -> b\n  id -> id\n')" \
		"$name: mapping lines old -> new (renamed a -> a2, gone not mapped)"
	like "$OUT" "columns dropped: gone" "$name: lists the dropped column"
	like "$OUT" "columns added \(defaults\): fresh" "$name: lists the added column"
	like "$OUT" "chunk key: PRIMARY \(id\)" "$name: names the chunk key"
	for w in del:DELETE upd:UPDATE ins:INSERT; do
		like "$OUT" "CREATE TRIGGER \`$DB\`.\`oscar_t_${w%%:*}\` AFTER ${w#*:} ON \`$DB\`.\`t\`" "$name: shows trigger oscar_t_${w%%:*}"
	done
	like "$OUT" "RENAME TABLE \`t\` TO \`_t_old\`, \`_t_new\` TO \`t\`" "$name: shows the cutover"
	is "$(snapshot)" "$before" "$name: server state byte-identical"
	is "$(leftovers $DB)" "" "$name: no scratch shadow left"
done

oscar_run --database=$DB --table=t --alter="$ALTER" --json
is "$RC" 0 "--json dry run: exit 0"
printf '%s\n' "$OUT" >"$TMP/json"
python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]' <"$TMP/json"
ok $? "--json dry run: every stdout line is JSON"
plan=$(json_events "$TMP/json" plan)
is "$(printf '%s\n' "$plan" | grep -c .)" 1 "--json dry run: one plan event"
is "$(printf '%s' "$plan" | python3 -c 'import json,sys; e=json.load(sys.stdin); print(e["shadow"], e["old"], e["chunk_key"], e["columns_copied"], e["rows_estimated"] >= 0)')" \
	"_t_new _t_old PRIMARY 3 True" "--json dry run: plan has shadow, old, chunk key, columns copied"
is "$(json_events "$TMP/json" chunk)" "" "--json dry run: no chunk events"
is "$(snapshot)" "$before" "--json dry run: server state byte-identical"

# a dry run is also how a refusal is found without risk
oscar_run --database=$DB --table=t --alter="ADD COLUMN z INT NOT NOT NULL"
is "$RC" 3 "dry run of a bad ALTER: exit 3"
is "$(snapshot)" "$before" "dry run of a bad ALTER: server state byte-identical"

# and the plan is what --execute then does
oscar_run --database=$DB --table=t --alter="$ALTER" --execute
is "$RC" 0 "--execute after the dry run: exit 0"
like "$(table_ddl $DB t)" '`a2` bigint\(20\)' "--execute: the change the plan showed"

sql -e "DROP DATABASE $DB"
