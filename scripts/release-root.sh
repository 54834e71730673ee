#!/bin/bash
# release-root.sh SUITE KVER: a cached root of Debian SUITE (trixie, sid)
# with that release's compiler, dkms and linux-headers-KVER, so that the
# module for a kernel of that release is built as a user's DKMS builds it
# there (scripts/dkms.sh).  Prints the root's path.  Idempotent: the
# debootstrap happens once; a new KVER installs its headers and drops the
# older ones.  The mirror is the one the host's apt uses for Debian 12.
set -euo pipefail
suite=${1:?usage: $0 SUITE KVER}
kver=${2:?usage: $0 SUITE KVER}
CACHE=${KJUMP_CACHE:-/var/cache/kjump}
root=$CACHE/roots/$suite
log() { echo "release-root: $*" >&2; }
# With a /proc of its own, as dkms.sh runs it (a headers package's hook
# builds DKMS modules).
in_root() {
	unshare --mount --pid --fork --mount-proc="$root/proc" chroot "$root" \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive "$@"
}

if [ ! -f "$root/.kjump-base" ]; then
	mirror=$("$(dirname "$0")/apt-mirror.sh" bookworm) ||
		{ log "no Debian 12 source in the host's apt to take a mirror from"; exit 1; }
	log "debootstrap $suite into $root"
	rm -rf "$root.tmp"
	mkdir -p "$CACHE/roots"
	debootstrap --variant=minbase "$suite" "$root.tmp" "$mirror" >"$CACHE/roots/$suite.log" 2>&1 ||
		{ log "debootstrap $suite failed (see $CACHE/roots/$suite.log)"; exit 1; }
	rm -f "$root.tmp/etc/apt/sources.list"
	"$(dirname "$0")/apt-mirror.sh" bookworm --sources "$suite" \
		>"$root.tmp/etc/apt/sources.list.d/debian.sources"
	# The host's way of fetching (a proxy, a mirror's frozen Release
	# dates) holds for the root too.
	apt-config dump | grep -E '^Acquire::(Check-Valid-Until|Check-Date|https?::Proxy|Retries) ' \
		>"$root.tmp/etc/apt/apt.conf.d/90kjump-host" || true
	# No daemons start inside the root.
	printf '#!/bin/sh\nexit 101\n' >"$root.tmp/usr/sbin/policy-rc.d"
	chmod 0755 "$root.tmp/usr/sbin/policy-rc.d"
	rm -rf "$root"
	mv "$root.tmp" "$root"
	touch "$root/.kjump-base"
fi

if [ ! -f "$root/.kjump-headers-$kver" ]; then
	log "$suite: dkms, build-essential and linux-headers-$kver"
	in_root apt-get update -q >"$CACHE/roots/$suite-apt.log" 2>&1
	# dkms recommends the headers metapackage; the exact ones are named.
	in_root apt-get install -y -q --no-install-recommends dkms build-essential kmod \
		"linux-headers-$kver" >>"$CACHE/roots/$suite-apt.log" 2>&1 ||
		{ log "apt-get install in the $suite root failed (see $CACHE/roots/$suite-apt.log)"; exit 1; }
	# Versions hold a '+': compared as fixed strings.  The older -common
	# and kbuild packages go with autoremove.
	old=$(in_root dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' 'linux-headers-*' |
		awk '$1 == "ii" {print $2}' | grep -v -- '-common$' |
		grep -Fvx "linux-headers-$kver" || true)
	if [ -n "$old" ]; then
		# shellcheck disable=SC2086
		in_root apt-get purge -y -q $old >>"$CACHE/roots/$suite-apt.log" 2>&1 || true
		in_root apt-get autoremove -y -q >>"$CACHE/roots/$suite-apt.log" 2>&1 || true
	fi
	in_root apt-get clean
	rm -f "$root"/.kjump-headers-*
	touch "$root/.kjump-headers-$kver"
fi
echo "$root"
