# Shared by the scripts that install what they lack (sourced, not run): the
# packages oscar's build and a test server need, and one way to install them.

# packages_needed: adds to the caller's need=() what building oscar and
# running a test server lack.
packages_needed() {
	command -v cc >/dev/null 2>&1 || need+=(gcc)
	command -v make >/dev/null 2>&1 || need+=(make)
	command -v mariadb_config >/dev/null 2>&1 || need+=(libmariadb-dev)
	{ command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ]; } || need+=(mariadb-server)
	command -v mariadb >/dev/null 2>&1 || need+=(mariadb-client)
}

_packages_updated=
_packages_update() {
	export DEBIAN_FRONTEND=noninteractive
	[ -n "$_packages_updated" ] || apt-get update -qq >/dev/null
	_packages_updated=1
}

# packages_install WHO PKG...: installs them with apt-get; without root, WHO
# exits naming them. Nothing to do without packages.
packages_install() {
	local who=$1
	shift
	[ $# -gt 0 ] || return 0
	if [ "$(id -u)" != 0 ]; then
		echo "$who: missing packages: $* (run as root, or apt-get install them)" >&2
		exit 1
	fi
	echo "$who: installing $*" >&2
	_packages_update
	apt-get install -y -qq "$@" >/dev/null
}

# packages_try WHO PKG...: the optional ones, each installed if it can be (as
# root); the caller goes on without the others.
packages_try() {
	local who=$1 p
	shift
	[ $# -gt 0 ] && [ "$(id -u)" = 0 ] || return 0
	_packages_update
	for p in "$@"; do
		apt-get install -y -qq "$p" >/dev/null 2>&1 || echo "$who: could not install $p; going on without it" >&2
	done
}
