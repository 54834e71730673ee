#!/bin/bash
# mkinitramfs.sh TARGET OUT.cpio.gz [EXTRA_DIR]
# The test guest's initramfs: busybox, the DKMS-built kjump.ko under
# /lib/modules/KVER/updates/dkms (depmod runs in the guest), the distro
# modules the tests need (from the unpacked Debian package, decompressed so
# busybox modprobe loads them), kjumpctl and the in-guest tests.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/targets.sh"
kj_target "$1"
out=$2
extra=${3:-}
build=$top/build/$1

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,root,usr/bin,usr/lib/kjump}
cp "$BUSYBOX" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$here/init" "$root/init"

# add_kernel KVER KROOT: kjump.ko as DKMS built it for KVER, and the distro
# modules the tests need (with what they depend on, resolved by the host's
# kmod), decompressed so busybox modprobe loads them.
add_kernel() {
	local kver=$1 kroot=$2 ko mdir m f rel
	ko=$("$top/scripts/dkms.sh" path "$kver")
	[ -f "$ko" ] || { echo "mkinitramfs: no DKMS-built module at $ko (run scripts/dkms.sh build $kver)" >&2; exit 1; }
	mdir=$root/lib/modules/$kver
	mkdir -p "$mdir/updates/dkms"
	case $ko in
	*.xz) xz -dc "$ko" >"$mdir/updates/dkms/kjump.ko" ;;
	*.zst) zstd -qdc "$ko" >"$mdir/updates/dkms/kjump.ko" ;;
	*) cp "$ko" "$mdir/updates/dkms/kjump.ko" ;;
	esac
	cp "$kroot/lib/modules/$kver/modules.builtin"* "$mdir/" 2>/dev/null || true
	cp "$kroot/lib/modules/$kver/modules.order" "$mdir/" 2>/dev/null || true
	if [ ! -f "$kroot/lib/modules/$kver/modules.dep" ]; then
		depmod -b "$kroot" "$kver"
	fi
	# crc32c_generic is gone in 7.x (crc32c is a library there): a module
	# a kernel lacks is left out, and the guest says what it misses.
	for m in virtio_pci virtio_blk virtio_net ext4 crc32c_generic dm_mod; do
		{ modprobe -d "$kroot" -S "$kver" --show-depends "$m" 2>/dev/null || true; } |
			awk '$1 == "insmod" {print $2}'
	done | sort -u | while read -r f; do
		rel=${f#"$kroot"/lib/modules/"$kver"/}
		mkdir -p "$mdir/$(dirname "$rel")"
		case $f in
		*.xz) xz -dc "$f" >"$mdir/${rel%.xz}" ;;
		*.zst) zstd -qdc "$f" >"$mdir/${rel%.zst}" ;;
		*) cp "$f" "$mdir/$rel" ;;
		esac
	done
}
add_kernel "$KVER" "$KROOT"

# "Try the new kernel, come back": KJ_PEER_TARGET adds a second kernel as
# /boot/vmlinuz-peer, with its own kjump.ko and modules.
if [ -n "${KJ_PEER_TARGET:-}" ]; then
	(kj_target "$KJ_PEER_TARGET" && add_kernel "$KVER" "$KROOT" &&
	 mkdir -p "$root/boot" && cp "$KROOT/boot/vmlinuz-$KVER" "$root/boot/vmlinuz-peer")
fi

cp "$build/kjumpctl" "$root/usr/bin/kjumpctl"
cp "$top"/selftests/guest/* "$top/userspace/kjump-dump-agent" "$root/usr/lib/kjump/"
# B: the same distro kernel (the tests jump into it).
mkdir -p "$root/boot"
cp "$KROOT/boot/vmlinuz-$KVER" "$root/boot/vmlinuz"
for t in "$build"/tests/*; do
	[ -e "$t" ] && cp -r "$t" "$root/usr/lib/kjump/"
done
cp "$build/tests/kj_workload" "$build/tests/kj_vmcore" "$root/usr/bin/"
# Host programs the x86_64 guests use as they are, with the shared
# libraries ldd lists for them, at the same paths: kexec-tools through
# libkjump-kexec.so (scenario kexec-tools; scripts/setup.sh installs
# kexec-tools, boot.sh builds the shim) and makedumpfile (scenario vmcore).
add_host_prog() { # PATH...
	local f lib
	for f in "$@"; do
		mkdir -p "$root$(dirname "$f")"
		cp "$f" "$root$f"
	done
	ldd "$@" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\/.*[^:]$/) print $i }' |
		sort -u | while read -r lib; do
			mkdir -p "$root$(dirname "$lib")"
			cp -L "$lib" "$root$lib"
		done
}
if [ "$KJ_ARCH" = x86_64 ]; then
	if [ -x /sbin/kexec ] && [ -f "$build/libkjump-kexec.so" ]; then
		add_host_prog /sbin/kexec "$build/libkjump-kexec.so"
		mv "$root$build/libkjump-kexec.so" "$root/usr/lib/kjump/"
	fi
	[ -x /usr/bin/makedumpfile ] && add_host_prog /usr/bin/makedumpfile
	[ -x /usr/sbin/dmsetup ] && add_host_prog /usr/sbin/dmsetup
fi
if [ -n "$extra" ] && [ -d "$extra" ]; then
	cp -a "$extra"/. "$root"/
fi

(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -1 >"$out"
