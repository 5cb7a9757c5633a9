#!/usr/bin/env bash
# Integer keys with gaps, negative values and values at the type's limits,
# copied with the adaptive controller on an idle server, where a chunk's end is
# estimated from the key density of the chunk before: every row must arrive
# once, whatever the density does between chunks.
source "$(dirname "$0")/../lib/common.sh"

DB=oscar_t35
fresh_db $DB
sum() { sql $DB -e "SELECT COUNT(*), SUM(CRC32(CONCAT_WS('#', id, v))) FROM \`$1\`"; }

sql $DB -e "CREATE TABLE s (id BIGINT NOT NULL PRIMARY KEY, v VARCHAR(30) NOT NULL) ENGINE=InnoDB;
	INSERT INTO s SELECT CAST(seq AS SIGNED) - 60001, CONCAT('neg', seq) FROM seq_1_to_60000;
	INSERT INTO s SELECT 1000000000000 + seq * 7, CONCAT('mid', seq) FROM seq_1_to_40000;
	INSERT INTO s SELECT 9223372036854775807 - CAST(seq AS SIGNED), CONCAT('top', seq) FROM seq_0_to_99;
	INSERT INTO s SELECT 5000000000000 + seq * 1000003, CONCAT('sparse', seq) FROM seq_1_to_30000;
	CREATE TABLE u (id BIGINT UNSIGNED NOT NULL PRIMARY KEY, v VARCHAR(30) NOT NULL) ENGINE=InnoDB;
	INSERT INTO u SELECT seq, CONCAT('low', seq) FROM seq_0_to_59999;
	INSERT INTO u SELECT 18446744073709551615 - seq, CONCAT('max', seq) FROM seq_0_to_199;
	INSERT INTO u SELECT 9223372036854775808 + seq * 3, CONCAT('half', seq) FROM seq_0_to_29999"

for t in s u; do
	before=$(sum $t)
	oscar_run --database=$DB --table=$t --alter="ADD COLUMN w INT NOT NULL DEFAULT 1" --execute --json --chunk-time=0.02
	is "$RC" 0 "$t: exit 0"
	[ "$RC" = 0 ] || diag "$ERR"
	is "$(sum $t)" "$before" "$t: every row arrived once, unchanged"
	chunks=$(printf '%s\n' "$OUT" | grep -c '"event":"chunk"')
	ok $(( chunks > 5 ? 0 : 1 )) "$t: copied in $chunks chunks"
	# an estimated end shows as a chunk whose rows differ from the size asked
	# for before the last one (reading the keys hits the size exactly)
	off=$(printf '%s\n' "$OUT" | grep '"event":"chunk"' | head -n -1 |
		sed -n 's/.*"chunk_rows":\([0-9]*\),.*"chunk_size":\([0-9]*\),.*/\1 \2/p' | awk '$1 != $2' | wc -l)
	ok $(( off > 0 ? 0 : 1 )) "$t: chunk ends were estimated from the key density ($off chunks off their size)"
	like "$(printf '%s\n' "$OUT" | grep '"event":"verify"')" '"ok":true' "$t: the verification agrees"
	is "$(leftovers $DB)" "" "$t: nothing left behind"
done
