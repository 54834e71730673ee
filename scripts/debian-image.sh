#!/bin/bash
# A real Debian 12 guest for the tests and the demo: debootstrap'd root,
# the distro kernels (and their headers, for DKMS) installed through apt,
# systemd, DHCP by systemd-networkd.  kjump is *not* in the cached base:
# install-debian.sh puts the current tree in with DKMS on every run.
#   scripts/debian-image.sh amd64|i386     prints the base root's path
# Cached in $KJUMP_CACHE/debian/ARCH (rebuilt when the kernels change).
set -euo pipefail
CACHE=${KJUMP_CACHE:-/var/cache/kjump}
# shellcheck disable=SC1091
. "$CACHE/kernels.env"
arch=${1:?usage: $0 amd64|i386}
case $arch in
amd64) kvers="$K61 $K612" ;;
i386) kvers="$K686" ;;
*) echo "debian-image: unknown arch $arch" >&2; exit 2 ;;
esac
dir=$CACHE/debian/$arch
root=$dir/root
stamp=$dir/.done-$(echo "$kvers" | tr ' ' _)
log() { echo "debian-image($arch): $*" >&2; }
if [ -f "$stamp" ] && [ -d "$root" ]; then
	echo "$root"
	exit 0
fi

mounted=()
cleanup() {
	local m
	for m in "${mounted[@]}"; do umount -l "$m" 2>/dev/null || true; done
}
trap cleanup EXIT
in_root() { chroot "$root" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 "$@"; }

rm -rf "$dir"
mkdir -p "$dir"
# The host's own mirrors (its apt sources): the tree names none.
mirror=$("$(dirname "$0")/apt-mirror.sh" bookworm) || {
	log "no Debian 12 (bookworm) source in this machine's apt sources"; exit 1; }
security=$("$(dirname "$0")/apt-mirror.sh" bookworm-security || true)
log "debootstrap bookworm (minbase) into $root"
debootstrap --arch="$arch" --variant=minbase \
	--include=systemd-sysv,udev,kmod,initramfs-tools,zstd,procps,iproute2,e2fsprogs,ca-certificates \
	bookworm "$root" "$mirror" >"$dir/debootstrap.log" 2>&1 || {
	tail -n 30 "$dir/debootstrap.log" >&2; exit 1; }

{
	echo "deb $mirror bookworm main"
	echo "deb $mirror bookworm-updates main"
	[ -z "$security" ] || echo "deb $security bookworm-security main"
} >"$root/etc/apt/sources.list"
for m in proc sys dev; do
	case $m in
	proc) mount -t proc proc "$root/proc" ;;
	sys) mount -t sysfs sys "$root/sys" ;;
	dev) mount --bind /dev "$root/dev" ;;
	esac
	mounted=("$root/$m" "${mounted[@]}")
done
pkgs=()
for k in $kvers; do pkgs+=("linux-image-$k" "linux-headers-$k"); done
# What a user of kjump installs: DKMS (and so a compiler), and the tools
# kjump's job kernels use (makedumpfile, dmsetup); kjumpctl's libraries.
pkgs+=(dkms makedumpfile dmsetup libzstd1 libxxhash0 busybox netbase)
log "apt-get install ${pkgs[*]}"
{
	in_root apt-get update -q
	in_root apt-get install -y -q --no-install-recommends "${pkgs[@]}"
	in_root apt-get clean
} >"$dir/apt.log" 2>&1 || { tail -n 30 "$dir/apt.log" >&2; exit 1; }

# The machine: hostname, root on the first virtio disk, DHCP on the NIC,
# no password prompts anywhere (the tests drive it from a unit).
echo kjump-guest >"$root/etc/hostname"
echo "/dev/vda / ext4 errors=remount-ro 0 1" >"$root/etc/fstab"
mkdir -p "$root/etc/systemd/network"
cat >"$root/etc/systemd/network/80-dhcp.network" <<'EOT'
[Match]
Name=en* eth*

[Network]
DHCP=ipv4
EOT
in_root systemctl enable systemd-networkd.service >/dev/null 2>&1
in_root passwd -d root >/dev/null
# Quiet, quick boots under TCG: no timers that wake a test guest.
in_root systemctl mask apt-daily.timer apt-daily-upgrade.timer \
	e2scrub_all.timer fstrim.timer man-db.timer >/dev/null 2>&1 || true

touch "$stamp"
cleanup; mounted=()
log "ready: $root ($(du -sh --one-file-system "$root" | cut -f1))"
echo "$root"
