#!/bin/bash
# debian-guest.sh ARCH OUTDIR: the real Debian 12 guest with this tree's
# kjump installed the way a user installs it: the sources under /usr/src
# and `dkms install` for every kernel in the image (run inside the guest's
# root), `make install` of the tools with their initramfs-tools hook, then
# update-initramfs, which builds the system initramfs and, through the
# hook, kjump's job initramfs.  Plus the test runner (a systemd unit
# started by kjtest= on the command line).  Writes OUTDIR/disk.img (ext4,
# the guest's root on vda) and OUTDIR/boot/{vmlinuz,initrd.img}-KVER (and
# initrd.img-KVER.stock, the base image's, from before kjump was installed).
# Reused while the tree and the base image are unchanged.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/targets.sh"
arch=${1:?usage: $0 amd64|i386 OUTDIR}
out=${2:?usage: $0 amd64|i386 OUTDIR}
base=$("$top/scripts/debian-image.sh" "$arch")
case $arch in
amd64) kvers="$K61 $K612" cflags= setarch=x86_64 ;;
i386) kvers="$K686" cflags=-m32 setarch=i386 ;;
esac
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$top/dkms.conf")
log() { echo "debian-guest($arch): $*" >&2; }

# One build of OUTDIR at a time (scenarios run side by side); the next
# one finds it ready.
mkdir -p "$(dirname "$out")"
exec 9>"$out.lock"
flock 9

# The key: every file that ends up in the guest, and the base image.
key=$( (cd "$top" && git ls-files -z --cached --others --exclude-standard dkms.conf Kbuild module sysfs include asm userspace selftests |
	xargs -0 sha1sum; ls -l --time-style=+%s "$base/../"; echo "$kvers ${KJ_DEBIAN_MODULES:-}") |
	sha1sum | cut -c1-16)
if [ -f "$out/.key" ] && [ "$(cat "$out/.key")" = "$key" ] && [ -f "$out/disk.img" ]; then
	echo "$out"
	exit 0
fi
rm -rf "$out"
mkdir -p "$out/boot"
root=$out/root
log "copying the base root"
cp -a "$base" "$root"

mounted=()
cleanup() {
	local m
	for m in "${mounted[@]}"; do umount -l "$m" 2>/dev/null || true; done
	rm -rf "$root"
}
trap cleanup EXIT
mount -t proc proc "$root/proc" && mounted=("$root/proc" "${mounted[@]}")
mount -t sysfs sys "$root/sys" && mounted=("$root/sys" "${mounted[@]}")
mount --bind /dev "$root/dev" && mounted=("$root/dev" "${mounted[@]}")
in_root() { setarch "$setarch" chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 "$@"; }

# kjump through DKMS, inside the guest's system.
log "dkms install kjump $ver for $kvers"
src=$root/usr/src/kjump-$ver
mkdir -p "$src"
(cd "$top" && cp -r --parents dkms.conf Kbuild module sysfs include asm "$src"/)
in_root dkms add -m kjump -v "$ver" >"$out/dkms.log" 2>&1
for k in $kvers; do
	in_root dkms install -m kjump -v "$ver" -k "$k" >>"$out/dkms.log" 2>&1 || {
		tail -n 30 "$out/dkms.log" >&2; exit 1; }
done

# The tools, built for the guest's architecture against its (bookworm)
# libraries, and their initramfs-tools integration.
ub=$out/userspace
mkdir -p "$ub" "$out/tests"
make -s -C "$top/userspace" O="$ub" ARCH_CFLAGS="$cflags" all >&2
make -s -C "$top/userspace" O="$ub" ARCH_CFLAGS="$cflags" DESTDIR="$root" install >&2
make -s -C "$top/selftests" O="$out/tests" ARCH_CFLAGS="$cflags" >&2
# kjump.conf as installed: MODULES=dep, which in this chroot reads the
# build host's disks, as on an installer or image builder.  A job carries
# its disk's drivers itself.  KJ_DEBIAN_MODULES=list: the driver list
# kjump.conf suggests instead (virtio), as a user who set it up has.
if [ "${KJ_DEBIAN_MODULES:-}" = list ]; then
	sed -i 's/^MODULES=.*/MODULES=list/; s/^#JOB_MODULES=/JOB_MODULES=/' "$root/etc/kjump/kjump.conf"
fi

# The root by its label, as the root disk may be virtio or NVMe.
echo "LABEL=kjroot / ext4 errors=remount-ro 0 1" >"$root/etc/fstab"

# The test runner: kjtest=SCENARIO on the command line starts
# /usr/lib/kjump/debian-run, which writes TAP to ttyS1 and powers off.
cp "$out"/tests/* "$top"/selftests/guest/* "$root/usr/lib/kjump/"
install -m 0755 "$out/tests/kj_workload" "$out/tests/kj_vmcore" "$root/usr/local/bin/"
install -m 0755 "$here/debian-run" "$root/usr/lib/kjump/debian-run"
cat >"$root/etc/systemd/system/kjump-test.service" <<'EOT'
[Unit]
Description=kjump test scenario (kjtest= on the kernel command line)
ConditionKernelCommandLine=kjtest
After=systemd-networkd.service systemd-user-sessions.service

[Service]
Type=simple
ExecStart=/usr/lib/kjump/debian-run
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
EOT
in_root systemctl enable kjump-test.service >/dev/null 2>&1

log "update-initramfs (the system's, and kjump's job initramfs by the hook)"
for k in $kvers; do
	in_root update-initramfs -u -k "$k" >>"$out/initramfs.log" 2>&1 || {
		tail -n 30 "$out/initramfs.log" >&2; exit 1; }
	[ -s "$root/var/lib/kjump/initrd.img-$k" ] || {
		echo "debian-guest: no job initramfs for $k" >&2; tail -n 30 "$out/initramfs.log" >&2; exit 1; }
	cp "$root/boot/vmlinuz-$k" "$root/boot/initrd.img-$k" "$out/boot/"
	# Debian's initramfs without kjump, for the bench's swsusp boots.
	cp "$base/boot/initrd.img-$k" "$out/boot/initrd.img-$k.stock"
done

for m in "${mounted[@]}"; do umount -l "$m"; done
mounted=()
log "making the root disk"
truncate -s 6G "$out/disk.img"
mkfs.ext4 -q -F -L kjroot -d "$root" "$out/disk.img"
echo "$key" >"$out/.key"
log "ready: $out"
echo "$out"
