#!/bin/bash
# DKMS for kjump: register this tree's sources and build (and install) the
# module for the given kernels.
#   scripts/dkms.sh install KVER...   add, build and install for each KVER
#   scripts/dkms.sh build KVER...     add and build only
#   scripts/dkms.sh path KVER         print the DKMS-built kjump.ko for KVER
# A KVER ending in -686-pae (or any i386 flavour) is built with -a i386
# against /lib/modules/KVER/build (scripts/setup.sh links the unpacked
# i386 headers there on an amd64 host).  A kernel of another release
# (Debian 13, unstable) is built by that release's own dkms and compiler,
# inside its root from scripts/release-root.sh, where "install" stops at
# the build: the module goes to the guests from DKMS's tree.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
CACHE=${KJUMP_CACHE:-/var/cache/kjump}

# The release root that holds KVER's headers, or "" for the host.
kver_root() {
	local r
	for r in "$CACHE"/roots/*; do
		[ -f "$r/.kjump-headers-$1" ] && { echo "$r"; return 0; }
	done
	echo ""
}
in_root() { # ROOT CMD...: CMD in ROOT, or on the host for ""
	local r=$1
	shift
	if [ -n "$r" ]; then
		# A /proc of its own (objtool reads its limits there), gone
		# with the command: no mount is left behind.
		unshare --mount --pid --fork --mount-proc="$r/proc" \
			chroot "$r" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 "$@"
	else
		"$@"
	fi
}

kver_arch() {
	case $1 in
	*-686-pae|*-686) echo i386 ;;
	*) echo x86_64 ;;
	esac
}

sync_source() { # ROOT
	# Re-add when the sources differ from what DKMS holds, so a changed tree
	# is never built from stale copies.
	local r=$1 tmp src=$1/usr/src/kjump-$ver
	tmp=$(mktemp -d)
	(cd "$top" && cp -r --parents dkms.conf Kbuild module sysfs include "$tmp"/ &&
	 if [ -d asm ]; then cp -r --parents asm "$tmp"/; fi)
	# A build in place leaves objects beside the sources: not a change.
	if [ -d "$src" ] && diff -r -x '*.o' -x '*.ko' -x '*.mod' -x '*.mod.c' \
	     -x '.*' -x modules.order -x Module.symvers "$tmp" "$src" >/dev/null 2>&1 &&
	   [ -d "$r/var/lib/dkms/kjump/$ver/source" ]; then
		rm -rf "$tmp"
		return 0
	fi
	if [ -d "$r/var/lib/dkms/kjump/$ver" ]; then
		in_root "$r" dkms remove -m kjump -v "$ver" --all >/dev/null 2>&1 || true
		# dkms status does not see cross-arch (i386) builds: drop them too.
		rm -rf "$r/var/lib/dkms/kjump/$ver"
	fi
	rm -rf "$src"
	mv "$tmp" "$src"
	chmod -R a+rX "$src"
	in_root "$r" dkms add -m kjump -v "$ver" >/dev/null
}

# DKMS compresses the module the way the kernel does (.ko.xz on 6.12).
built_ko() {
	local d f
	d="$(kver_root "$1")/var/lib/dkms/kjump/$ver/$1/$(kver_arch "$1")/module"
	for f in "$d/kjump.ko" "$d/kjump.ko.xz" "$d/kjump.ko.zst" "$d/kjump.ko.gz"; do
		[ -f "$f" ] && { echo "$f"; return 0; }
	done
	echo "$d/kjump.ko"
}

cmd=${1:-}
shift || true
case $cmd in
build|install)
	[ $# -gt 0 ] || { echo "usage: $0 $cmd KVER..." >&2; exit 2; }
	for k in "$@"; do
		arch=$(kver_arch "$k") r=$(kver_root "$k")
		sync_source "$r"
		if [ ! -f "$(built_ko "$k")" ]; then
			in_root "$r" dkms build -m kjump -v "$ver" -k "$k" -a "$arch"
		fi
		if [ "$cmd" = install ] && [ -z "$r" ]; then
			dkms install -m kjump -v "$ver" -k "$k" -a "$arch" --force
		fi
		[ -f "$(built_ko "$k")" ] || { echo "dkms: no kjump.ko for $k" >&2; exit 1; }
	done
	;;
path)
	built_ko "$1"
	;;
*)
	echo "usage: $0 build|install|path KVER..." >&2
	exit 2
	;;
esac
