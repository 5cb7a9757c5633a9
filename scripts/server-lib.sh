# Shared by the server scripts: where a program is, PATH or the usual sbin dirs.
find_bin() {
	for b in "$@"; do
		if command -v "$b" >/dev/null 2>&1; then command -v "$b"; return 0; fi
		for p in /usr/sbin /usr/bin /usr/local/sbin /usr/local/bin; do
			[ -x "$p/$b" ] && { echo "$p/$b"; return 0; }
		done
	done
	return 1
}
