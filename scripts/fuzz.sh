#!/usr/bin/env bash
# make fuzz: runs each libFuzzer harness given for FUZZ_SECONDS (default 60)
# on a corpus in build/fuzz/corpus/NAME, seeded from test/fuzz/seeds/NAME and,
# for the ALTER parser, every --alter="..." in the tests. Exit 1 when any
# harness found a crash (its input is kept as build/fuzz/crash-NAME-*).
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-60}
failed=0
for bin in "$@"; do
	name=${bin##*/fuzz_}
	corpus=build/fuzz/corpus/$name
	mkdir -p "$corpus"
	[ -d "test/fuzz/seeds/$name" ] && cp -n test/fuzz/seeds/"$name"/* "$corpus"/ 2>/dev/null
	if [ "$name" = alter ]; then
		i=0
		grep -ho -- '--alter="[^"]*"' test/t/*.t | sed 's/^--alter="//; s/"$//' | sort -u |
			while IFS= read -r a; do i=$((i + 1)); printf '%s' "$a" >"$corpus/test-$i"; done
	fi
	echo "fuzz: $name for ${secs}s ($(ls "$corpus" | wc -l) inputs to start from)"
	# leaks are not what this looks for: the option parser keeps its strings
	ASAN_OPTIONS=detect_leaks=0 "$bin" -max_total_time="$secs" -max_len=4096 -timeout=10 -close_fd_mask=3 \
		-artifact_prefix="build/fuzz/crash-$name-" "$corpus" >"build/fuzz/$name.log" 2>&1
	rc=$?
	tail -1 "build/fuzz/$name.log"
	if [ $rc -ne 0 ]; then
		echo "fuzz: $name FAILED (exit $rc); see build/fuzz/$name.log and build/fuzz/crash-$name-*"
		failed=1
	fi
done
exit $failed
