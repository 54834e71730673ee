#!/bin/bash
# DKMS for kjump: register this tree's sources and build (and install) the
# module for the given kernels.
#   scripts/dkms.sh install KVER...   add, build and install for each KVER
#   scripts/dkms.sh build KVER...     add and build only
#   scripts/dkms.sh path KVER         print the DKMS-built kjump.ko for KVER
# A KVER ending in -686-pae (or any i386 flavour) is built with -a i386
# against /lib/modules/KVER/build (scripts/setup.sh links the unpacked
# i386 headers there on an amd64 host).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
src=/usr/src/kjump-$ver

kver_arch() {
	case $1 in
	*-686-pae|*-686) echo i386 ;;
	*) echo x86_64 ;;
	esac
}

sync_source() {
	# Re-add when the sources differ from what DKMS holds, so a changed tree
	# is never built from stale copies.
	local tmp
	tmp=$(mktemp -d)
	(cd "$top" && cp -r --parents dkms.conf Kbuild module sysfs include "$tmp"/ &&
	 if [ -d asm ]; then cp -r --parents asm "$tmp"/; fi)
	if [ -d "$src" ] && diff -r "$tmp" "$src" >/dev/null 2>&1 &&
	   [ -d "/var/lib/dkms/kjump/$ver/source" ]; then
		rm -rf "$tmp"
		return 0
	fi
	if [ -d "/var/lib/dkms/kjump/$ver" ]; then
		dkms remove -m kjump -v "$ver" --all >/dev/null 2>&1 || true
		# dkms status does not see cross-arch (i386) builds: drop them too.
		rm -rf "/var/lib/dkms/kjump/$ver"
	fi
	rm -rf "$src"
	mv "$tmp" "$src"
	chmod -R a+rX "$src"
	dkms add -m kjump -v "$ver" >/dev/null
}

# DKMS compresses the module the way the kernel does (.ko.xz on 6.12).
built_ko() {
	local d="/var/lib/dkms/kjump/$ver/$1/$(kver_arch "$1")/module" f
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
	sync_source
	for k in "$@"; do
		arch=$(kver_arch "$k")
		if [ ! -f "$(built_ko "$k")" ]; then
			dkms build -m kjump -v "$ver" -k "$k" -a "$arch"
		fi
		if [ "$cmd" = install ]; then
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
