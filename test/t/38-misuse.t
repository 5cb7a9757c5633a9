#!/usr/bin/env bash
# Misuse is refused with one clear line and a documented exit status, and the
# server stays as it was: contradictory modes, option files (missing, unknown
# options, every oscar option in [oscar] in any order), status variables the
# server lacks, --cleanup of a mistyped table or of a table another oscar is
# working on, an unreachable server.
source "$(dirname "$0")/../lib/common.sh"

DB=oscar_t38
fresh_db $DB
sql $DB -e "CREATE TABLE t (id INT PRIMARY KEY, v INT) ENGINE=InnoDB; INSERT INTO t SELECT seq, seq FROM seq_1_to_200"
A=(--database=$DB --table=t)

# refused NAME EXIT REGEX ARGS...: exit EXIT, exactly one error line matching
# REGEX, nothing on stdout, the server unchanged.
refused() {
	local name=$1 want=$2 re=$3; shift 3
	local before
	before=$(server_state)
	oscar_run "$@"
	is "$RC" "$want" "$name: exit $want"
	is "$(grep -c 'error: ' "$TMP/oscar.err")" 1 "$name: one error line"
	like "$(grep 'error: ' "$TMP/oscar.err")" "$re" "$name: the error says why"
	is "$OUT" "" "$name: nothing on stdout"
	is "$(server_state)" "$before" "$name: server unchanged"
}

# --- contradictory modes: exit 2 (the list is in the man page, EXIT STATUS)
refused "--dry-run --execute" 2 "--dry-run and --execute cannot be used together" "${A[@]}" --alter="ADD COLUMN z INT" --dry-run --execute
refused "--execute --dry-run" 2 "--dry-run and --execute cannot be used together" "${A[@]}" --alter="ADD COLUMN z INT" --execute --dry-run
refused "--verify --no-verify" 2 "--verify and --no-verify" "${A[@]}" --alter="ADD COLUMN z INT" --verify --no-verify --execute
refused "--cleanup --revert" 2 "--cleanup and --revert" "${A[@]}" --cleanup --revert --execute
refused "--cleanup --finish" 2 "--cleanup and --finish" "${A[@]}" --cleanup --finish --execute
refused "--cleanup --resume" 2 "--cleanup and --resume" "${A[@]}" --cleanup --resume --execute
refused "--cleanup --no-swap" 2 "--cleanup and --no-swap" "${A[@]}" --cleanup --no-swap --execute
refused "--finish --alter" 2 "--finish and --alter" "${A[@]}" --finish --alter="ADD COLUMN z INT" --execute
refused "--revert --finish" 2 "--revert and --finish" "${A[@]}" --revert --finish --execute
refused "--revert --revert-window" 2 "--revert and --revert-window" "${A[@]}" --revert --revert-window=1h --execute
refused "--no-swap --revert-window" 2 "--no-swap and --revert-window" "${A[@]}" --alter="ADD COLUMN z INT" --no-swap --revert-window=1h --execute
for pair in "dry-run execute" "verify no-verify" "cleanup alter" "cleanup revert" "cleanup finish" "cleanup resume" \
	"cleanup revert-window" "cleanup no-swap" "revert finish" "revert alter" "finish alter" "revert resume" \
	"finish resume" "revert revert-window" "finish revert-window" "no-swap revert-window"; do
	set -- $pair
	tr -d '\\' <"$OSCAR_ROOT/man/oscar.1" | grep -q -- "^--$1 with --$2\$"
	ok $? "man page lists --$1 with --$2"
done

# --- value ranges in usage errors
refused "--chunk-time=0" 2 "'0' for --chunk-time \(a number from 0.01 to 60\)" "${A[@]}" --alter="ADD COLUMN z INT" --chunk-time=0
refused "--lock-retries=0" 2 "'0' for --lock-retries \(a whole number from 1 to 100000\)" "${A[@]}" --alter="ADD COLUMN z INT" --lock-retries=0

# --- option files
refused "--defaults-file missing" 2 "cannot read option file '$TMP/nope.cnf'" --defaults-file="$TMP/nope.cnf" "${A[@]}" --alter="ADD COLUMN z INT"
mkdir "$TMP/dir.cnf"
refused "--defaults-file unreadable" 2 "cannot read option file '$TMP/dir.cnf'" --defaults-file="$TMP/dir.cnf" "${A[@]}" --alter="ADD COLUMN z INT"
printf '[client]\nuser=root\n[oscar]\nchunk-time=0.2\nbogus-option=1\n' >"$TMP/unknown.cnf"
refused "unknown option in [oscar]" 2 "unknown option 'bogus-option' in \[oscar\] of '$TMP/unknown.cnf'" \
	--defaults-file="$TMP/unknown.cnf" "${A[@]}" --alter="ADD COLUMN z INT"
printf '[oscar]\nchunk-time=fast\n' >"$TMP/badval.cnf"
refused "bad value in [oscar]" 2 "'fast' for --chunk-time.*in \[oscar\] of '$TMP/badval.cnf' line 2" \
	--defaults-file="$TMP/badval.cnf" "${A[@]}" --alter="ADD COLUMN z INT"
printf '[oscar]\nreplica=h=r1,p=secret,nonsense\n' >"$TMP/replica.cnf"
refused "bad --replica in [oscar]" 2 "invalid --replica.*in \[oscar\] of '$TMP/replica.cnf' line 2" \
	--defaults-file="$TMP/replica.cnf" "${A[@]}" --alter="ADD COLUMN z INT"
printf '[oscar]\ndry-run\nexecute\n' >"$TMP/conflict.cnf"
refused "contradiction in [oscar]" 2 "--dry-run and --execute cannot be used together in an option file" \
	--defaults-file="$TMP/conflict.cnf" "${A[@]}" --alter="ADD COLUMN z INT"

# every oscar option in [oscar], in any order: a first line chunk-time=0.2 used
# to drop the rest of the group (and oscar went to the default socket)
for order in first last; do
	{
		echo "[oscar]"
		[ $order = first ] && echo "chunk-time=0.2"
		echo "socket=$OSCAR_SOCKET"
		echo "user=root"
		echo "database=$DB"
		echo "chunk_size = 77   # a comment"
		echo "loose-some-future-option=1"
		[ $order = last ] && echo "chunk-time=0.2"
	} >"$TMP/$order.cnf"
	before=$(server_state)
	"$OSCAR_BIN" --defaults-file="$TMP/$order.cnf" --table=t --alter="ADD COLUMN z INT" >"$TMP/of.out" 2>"$TMP/of.err"
	is "$?" 0 "[oscar] with chunk-time $order: exit 0 (socket, user, database from the file)"
	like "$(cat "$TMP/of.out")" "chunking: fixed size" "[oscar] with chunk-time $order: chunk-size from the file"
	is "$(server_state)" "$before" "[oscar] with chunk-time $order: dry run changed nothing"
done
# the command line wins over the file
"$OSCAR_BIN" --defaults-file="$TMP/first.cnf" --table=t --alter="ADD COLUMN z INT" --chunk-size=5 --database=nosuchdb >"$TMP/of.out" 2>"$TMP/of.err"
like "$(cat "$TMP/of.err")" "nosuchdb" "the command line overrides [oscar]"

# --- status variables the server does not have: refused before anything is created
refused "--max-load unknown variable" 3 "--max-load names 'Nonexistent_var'" "${A[@]}" --alter="ADD COLUMN z INT" --max-load=Nonexistent_var=5 --execute
refused "--critical-load unknown variable" 3 "--critical-load names 'Nope_var'" "${A[@]}" --alter="ADD COLUMN z INT" --critical-load=Threads_running=50,Nope_var=1 --execute

# --- a check that cannot run refuses (the shadow's foreign keys unreadable, injected)
export OSCAR_FAULT=fail@fk-shadow-load
refused "foreign key check that cannot run" 3 "refused: cannot read the foreign keys of the shadow '_t_new'" \
	"${A[@]}" --alter="ADD COLUMN z INT" --execute
unset OSCAR_FAULT

# --- --cleanup of a table that is not there
refused "--cleanup of a mistyped table" 3 "table '$DB'.'tt' does not exist and nothing of oscar's was found" \
	--database=$DB --table=tt --cleanup --execute
refused "--cleanup of a mistyped table, dry run" 3 "'tt' does not exist and nothing of oscar's was found" \
	--database=$DB --table=tt --cleanup

# --- an unreachable server: host and port named
refused "unreachable host" 4 "cannot connect \(host '127.0.0.1' port 1\)" --host=127.0.0.1 --port=1 "${A[@]}" --alter="ADD COLUMN z INT"
refused "missing socket" 4 "cannot connect \(socket '$TMP/no.sock'\)" --socket="$TMP/no.sock" "${A[@]}" --alter="ADD COLUMN z INT"

# --- --cleanup, --revert and --finish while another oscar works on the table: exit 6
touch "$TMP/postpone"
oscar "${A[@]}" --alter="ADD COLUMN z INT" --execute --json --postpone-cutover-file="$TMP/postpone" >"$TMP/live.out" 2>"$TMP/live.err" &
live=$!
wait_event "$TMP/live.out" postpone 60
ok $? "a live run waits before its swap"
trg=$(sql -e "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='$DB'")
is "$trg" 3 "the live run's triggers are there"
for mode in "--cleanup --execute" "--cleanup" "--revert --execute" "--finish --execute"; do
	refused "$mode during a live run" 6 "another oscar \(connection [0-9]+\) is working on '$DB'.'t'" "${A[@]}" $mode
done
is "$(sql -e "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA='$DB'")" 3 "the live run's triggers are untouched"
rm -f "$TMP/postpone"
wait_exit $live 120
is "$WAIT_RC" 0 "the live run then finishes: exit 0"
like "$(table_ddl $DB t)" '`z` int' "the live run's change is in place"
is "$(leftovers $DB)" "" "nothing left behind"
