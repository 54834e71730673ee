#!/bin/bash
# Install everything kjump's build, demo and tests need, idempotently.
# Host packages through apt; the Debian target kernels (images, modules,
# headers) resolved from the archive at run time and unpacked into the
# cache ($KJUMP_CACHE, outside the repo). Prints the resolved versions
# into $KJUMP_CACHE/kernels.env for the other scripts.
set -euo pipefail

CACHE=${KJUMP_CACHE:-/var/cache/kjump}
mkdir -p "$CACHE/deb" "$CACHE/kernels"
log() { echo "setup: $*" >&2; }

[ "$(id -u)" = 0 ] || { echo "setup: must run as root (apt-get, dkms)" >&2; exit 1; }

stamp_apt="$CACHE/.apt-updated"
if ! dpkg --print-foreign-architectures | grep -qx i386; then
	dpkg --add-architecture i386
	rm -f "$stamp_apt"
fi
# A mirror caught mid-sync serves an index of the wrong size ("Mirror sync
# in progress?"), and apt goes on with the old one.  Retry a little; if the
# i386 security index stays stale, the multiarch -dev pairs are pinned to a
# version both architectures have (below).
apt_update() {
	local try
	for try in 1 2 3; do
		log "apt-get update (try $try)"
		if apt-get update -q >"$CACHE/apt-update.log" 2>&1 &&
		   ! grep -q '^E: ' "$CACHE/apt-update.log"; then
			touch "$stamp_apt"
			return 0
		fi
		[ "$try" = 3 ] || sleep 20
	done
	log "apt-get update still reports errors (see $CACHE/apt-update.log); going on"
	touch "$stamp_apt"
	return 1
}
if [ ! -f "$stamp_apt" ] || [ -n "$(find "$stamp_apt" -mmin +720)" ]; then
	apt_update || true
fi

candidate() { apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ {print $2}'; }
has_candidate() { local c; c=$(candidate "$1"); [ -n "$c" ] && [ "$c" != "(none)" ]; }

# Resolve the kernel ABIs: Debian drops superseded ones, never hard-code.
K61=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-6/ {sub("linux-image-","",$2); print $2; exit}')
K686=$(apt-cache depends linux-image-686-pae:i386 | awk '/Depends: linux-image-6/ {sub("linux-image-","",$2); sub(":i386","",$2); print $2; exit}')
K612=
for p in $(apt-cache pkgnames linux-image-6.12. | grep -E '^linux-image-6\.12\.[0-9]+\+deb12-amd64$' | sort -rV); do
	v=${p#linux-image-}
	if has_candidate "$p" && has_candidate "linux-headers-$v"; then K612=$v; break; fi
done
[ -n "$K61" ] && [ -n "$K686" ] && [ -n "$K612" ] || {
	echo "setup: could not resolve kernel versions (6.1 '$K61', 6.12 '$K612', 686-pae '$K686')" >&2; exit 1; }
log "kernels: $K61 $K612 $K686"

# Bochs (scenario bochs: its tigerlake CPU enforces CET IBT, which TCG
# lacks) runs headless through its built-in rfb display, but the package
# needs some display plugin: bochs-term is the smallest.  isolinux and
# xorriso make the ISO it boots from.
pkgs=(build-essential gcc-multilib libc6:i386 libc6-dev-i386 dkms kmod cpio
      xz-utils zstd busybox-static kexec-tools makedumpfile dmsetup e2fsprogs
      libzstd-dev libzstd-dev:i386 libxxhash-dev libxxhash-dev:i386
      libblkid-dev libblkid-dev:i386 uuid-dev uuid-dev:i386
      debootstrap "linux-headers-$K61" "linux-headers-$K612" file bc
      crash python3-drgn
      bochs bochs-term bochsbios vgabios isolinux syslinux-common xorriso)
# PKG... with each -dev package wanted for both architectures (and its
# library) pinned to the newest version the archive has for both: they are
# Multi-Arch: same and must match.
declare -A multiarch_lib=([libzstd-dev]=libzstd1 [libxxhash-dev]=libxxhash0
			  [libblkid-dev]=libblkid1 [uuid-dev]=libuuid1)
# Binary versions only (a deb-src line may list a version no index has).
versions() { apt-cache madison "$1" 2>/dev/null | awk -F'|' '$3 ~ /Packages/ {gsub(/ /,"",$2); print $2}'; }
multiarch_pins() {
	local p b v out=() done=" "
	for p in "$@"; do
		b=${p%:i386}
		if [ -n "${multiarch_lib[$b]:-}" ]; then
			[[ $done == *" $b "* ]] && continue
			v=$(comm -12 <(versions "$b" | sort -u) <(versions "$b:i386" | sort -u) |
				sort -V | tail -1)
			if [ -n "$v" ]; then
				# Both architectures, library and -dev: all four must match.
				out+=("$b=$v" "$b:i386=$v" "${multiarch_lib[$b]}=$v"
				      "${multiarch_lib[$b]}:i386=$v")
				done+="$b "
				continue
			fi
		fi
		out+=("$p")
	done
	echo "${out[@]}"
}
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "apt-get install ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
		"${missing[@]}" qemu-system-x86 >&2 || {
		log "apt-get install failed; pinning the amd64/i386 library pairs to one version"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			--allow-downgrades $(multiarch_pins "${missing[@]}") qemu-system-x86 >&2
	}
fi
command -v qemu-system-x86_64 >/dev/null || \
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends qemu-system-x86 >&2

# fetch PKG[:ARCH] [VERSION] -> unpacked into DIR
fetch_unpack() {
	local pkg=$1 ver=$2 dir=$3 spec deb
	[ -f "$dir/.done-${pkg//[:\/]/_}" ] && return 0
	mkdir -p "$dir"
	spec=$pkg; [ -n "$ver" ] && spec="$pkg=$ver"
	(cd "$CACHE/deb" && apt-get download -q "$spec" >&2)
	deb=$(ls -t "$CACHE/deb/${pkg%%:*}_"*.deb | head -1)
	dpkg-deb -x "$deb" "$dir"
	touch "$dir/.done-${pkg//[:\/]/_}"
}

# amd64 kernels: vmlinuz + modules, unpacked.
for k in "$K61" "$K612"; do
	fetch_unpack "linux-image-$k" "" "$CACHE/kernels/$k"
done
# i386: image, and a private headers+kbuild tree of the exact same version.
V686=$(candidate "linux-image-$K686:i386")
fetch_unpack "linux-image-$K686:i386" "$V686" "$CACHE/kernels/$K686"
hdr="$CACHE/kernels/$K686-headers"
fetch_unpack "linux-headers-$K686:i386" "$V686" "$hdr"
fetch_unpack "linux-headers-${K686%-686-pae}-common" "$V686" "$hdr"
fetch_unpack "linux-kbuild-6.1:i386" "$V686" "$hdr"
fetch_unpack "busybox-static:i386" "" "$CACHE/busybox-i386"
# The flavour's Makefile includes the -common tree by absolute path; point
# it into the private tree (its scripts/tools links are already relative).
sed -i "s|^include /usr/src/|include $hdr/usr/src/|" "$hdr/usr/src/linux-headers-$K686/Makefile"
# DKMS finds a kernel tree via /lib/modules/KVER/build.
mkdir -p "/lib/modules/$K686"
ln -sfn "$hdr/usr/src/linux-headers-$K686" "/lib/modules/$K686/build"

# From Debian's linux-source package (a dependency, not a copy in the
# repo): the kselftest framework, and checkpatch.pl with its data files.
ks="$CACHE/kselftest"
cp_dir="$CACHE/checkpatch"
if [ ! -f "$ks/kselftest_harness.h" ] || [ ! -f "$cp_dir/checkpatch.pl" ]; then
	fetch_unpack linux-source-6.1 "" "$CACHE/linux-source-6.1"
	mkdir -p "$ks" "$cp_dir"
	tar -xJf "$CACHE"/linux-source-6.1/usr/src/linux-source-6.1.tar.xz -C "$ks" \
		--wildcards --strip-components=4 \
		'linux-source-6.1/tools/testing/selftests/kselftest.h' \
		'linux-source-6.1/tools/testing/selftests/kselftest_harness.h'
	tar -xJf "$CACHE"/linux-source-6.1/usr/src/linux-source-6.1.tar.xz -C "$cp_dir" \
		--strip-components=2 \
		'linux-source-6.1/scripts/checkpatch.pl' \
		'linux-source-6.1/scripts/spelling.txt' \
		'linux-source-6.1/scripts/const_structs.checkpatch'
	rm -rf "$CACHE/linux-source-6.1" "$CACHE"/deb/linux-source-6.1_*.deb
fi

# Debian 13's 6.12 and unstable's 7.x: resolved from those releases'
# package lists (a private apt state each, scripts/suite-apt.sh); their
# images unpacked as above, their module built in a root of the release
# (scripts/release-root.sh) by its own dkms and compiler.
scripts=$(cd "$(dirname "$0")" && pwd)
suite_apt() { "$scripts/suite-apt.sh" "$@"; }
suite_kver() { # SUITE: the ABI its linux-image-amd64 depends on
	suite_apt "$1" apt-cache depends linux-image-amd64 |
		awk '/Depends: linux-image-[0-9]/ {sub("linux-image-","",$2); print $2; exit}'
}
KD13=$(suite_kver trixie) KSID=$(suite_kver sid)
case $KD13 in 6.12.*+deb13-amd64) ;; *) echo "setup: Debian 13's kernel is '$KD13', not a 6.12 +deb13" >&2; exit 1 ;; esac
case $KSID in [7-9].*-amd64) ;; *) echo "setup: unstable's kernel is '$KSID', not a 7.x or later" >&2; exit 1 ;; esac
log "other releases' kernels: $KD13 (trixie) $KSID (sid)"
for sk in "trixie $KD13" "sid $KSID"; do
	read -r suite k <<<"$sk"
	dir=$CACHE/kernels/$k
	if [ ! -f "$dir/.done-linux-image-$k" ]; then
		mkdir -p "$dir"
		# 7.x splits the image into the kernel binary, its modules and
		# a base (config, System.map): take whichever of them there are.
		debs=(linux-image-$k)
		for p in linux-binary linux-modules linux-base; do
			suite_apt "$suite" apt-cache show "$p-$k" >/dev/null 2>&1 && debs+=("$p-$k")
		done
		(cd "$CACHE/deb" && suite_apt "$suite" apt-get download -q "${debs[@]}" >&2)
		for p in "${debs[@]}"; do
			dpkg-deb -x "$(ls -t "$CACHE/deb/${p}_"*.deb | head -1)" "$dir"
		done
		# Packages of merged-/usr releases ship usr/lib/modules, and 7.x
		# keeps the kernel there (a hook puts it in /boot): lay them out
		# as the older packages do.
		[ -e "$dir/lib" ] || [ ! -d "$dir/usr/lib/modules" ] || ln -s usr/lib "$dir/lib"
		for f in vmlinuz config System.map; do
			[ -e "$dir/boot/$f-$k" ] || [ ! -f "$dir/lib/modules/$k/$f" ] ||
				{ mkdir -p "$dir/boot" && ln -s "../lib/modules/$k/$f" "$dir/boot/$f-$k"; }
		done
		touch "$dir/.done-linux-image-$k"
	fi
	"$scripts/release-root.sh" "$suite" "$k" >/dev/null
done

cat >"$CACHE/kernels.env" <<EOT
K61=$K61
K612=$K612
K686=$K686
KD13=$KD13
KSID=$KSID
KJUMP_CACHE=$CACHE
EOT
# The debug vmlinux of each amd64 kernel and a crash that lists their
# tasks, for the host's crash and drgn checks of the dumps.
"$(dirname "$0")/debug-tools.sh" ||
	log "debug-tools.sh failed: the host's crash and drgn checks of the dumps will skip"
log "ready: $CACHE/kernels.env"
