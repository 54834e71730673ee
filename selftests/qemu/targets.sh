# Sourced: the test targets, resolved from scripts/setup.sh's kernels.env:
# Debian 12's 6.1 (amd64, 686-pae) and 6.12, Debian 13's 6.12 and
# unstable's 7.x (their modules built in release roots).  kj_target NAME sets KVER, KROOT (the unpacked kernel
# package), QEMU, KJ_ARCH (x86_64|i386), ARCH_CFLAGS and BUSYBOX.
KJUMP_CACHE=${KJUMP_CACHE:-/var/cache/kjump}
# shellcheck disable=SC1091
. "$KJUMP_CACHE/kernels.env"
KJ_TARGETS="6.1-amd64 6.12-amd64 6.1-686-pae 6.12-deb13 7.x-sid"

kj_target() {
	case $1 in
	6.1-amd64) KVER=$K61 ;;
	6.12-amd64) KVER=$K612 ;;
	6.1-686-pae) KVER=$K686 ;;
	6.12-deb13) KVER=${KD13:?run scripts/setup.sh: no Debian 13 kernel in kernels.env} ;;
	7.x-sid) KVER=${KSID:?run scripts/setup.sh: no unstable kernel in kernels.env} ;;
	*) echo "unknown target '$1' (one of: $KJ_TARGETS)" >&2; return 1 ;;
	esac
	KROOT=$KJUMP_CACHE/kernels/$KVER
	case $1 in
	*-686-pae)
		KJ_ARCH=i386 QEMU=qemu-system-i386 ARCH_CFLAGS=-m32
		BUSYBOX=$KJUMP_CACHE/busybox-i386/bin/busybox ;;
	*)
		KJ_ARCH=x86_64 QEMU=qemu-system-x86_64 ARCH_CFLAGS=
		BUSYBOX=/bin/busybox ;;
	esac
}
