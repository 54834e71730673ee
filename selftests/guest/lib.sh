# Helpers for the in-guest scenarios (sourced by A's and B's scripts).
# TAP goes to stdout (the result channel); kj_ok/kj_not_ok number it.
KJ_SCENARIO=$(sed -n 's/.*kjtest=\([^ ]*\).*/\1/p' /proc/cmdline)
kj_n=0
kj_failed=0
kj_ok() { kj_n=$((kj_n + 1)); echo "ok $kj_n - $*"; }
kj_not_ok() { kj_n=$((kj_n + 1)); kj_failed=$((kj_failed + 1)); echo "not ok $kj_n - $*"; }
kj_check() { # description, command...
	d=$1; shift
	if "$@"; then kj_ok "$d"; else kj_not_ok "$d"; fi
}
kj_param() { # name default: value of name= on the kernel command line
	v=$(sed -n "s/.*[ ^]$1=\([^ ]*\).*/\1/p" /proc/cmdline)
	echo "${v:-$2}"
}

# B's initramfs: this guest's own root, less A's copy of B's kernel.
kj_make_b_initrd() {
	(cd / && find . -xdev ! -path './boot*' ! -path './tmp/*' | cpio -o -H newc 2>/dev/null) >"$1"
}
# A small one, compressed (hibernation's B and D): init, busybox,
# kjumpctl and the modules, without the tests and the host's libraries.
kj_make_small_initrd() {
	(cd / && find . -xdev ! -path './boot*' ! -path './tmp/*' ! -path './mnt/*' \
		! -path './usr/lib/kjump/*' ! -path './usr/bin/kj_*' ! -path './lib/*-linux-gnu*' \
		! -path './usr/bin/makedumpfile' ! -path './usr/sbin/dmsetup' |
		cpio -o -H newc 2>/dev/null) | gzip -1 >"$1"
}

# Devices: the virtio disk (vda) and NIC (eth0) QEMU gives every test guest.
kj_devices_up() {
	modprobe virtio_pci 2>/dev/null
	modprobe virtio_blk && modprobe virtio_net || return 1
	for i in 1 2 3 4 5 6 7 8 9 10; do
		[ -b /dev/vda ] && [ -d /sys/class/net/eth0 ] && break
		sleep 0.2
	done
	ip link set eth0 up
}

# A DHCP lease from QEMU's user network (restrict=on: nothing leaves).
kj_dhcp() {
	ip addr flush dev eth0 2>/dev/null
	udhcpc -i eth0 -n -q -t 10 -T 1 -s /usr/lib/kjump/udhcpc.script >/tmp/dhcp.log 2>&1 &&
		grep -q '^lease ' /tmp/dhcp.log
}

# Sector I/O on the raw disk, around the page cache.
kj_disk_write() { # sector text
	printf '%-511s\n' "$2" | dd of=/dev/vda bs=512 seek="$1" count=1 conv=notrunc,fsync 2>/dev/null
}
kj_disk_read() { # sector
	echo 1 >/proc/sys/vm/drop_caches
	dd if=/dev/vda bs=512 skip="$1" count=1 2>/dev/null | tr -d '\n' | sed 's/ *$//'
}

kj_state() { cat "$1" 2>/dev/null; }
kj_wait_state() { # file pattern seconds
	t=0
	while [ $t -lt $(($3 * 10)) ]; do
		kj_state "$1" | grep -q "$2" && return 0
		sleep 0.1
		t=$((t + 1))
	done
	return 1
}

# A's workload: PERCENT of RAM in checksummed pages, and a counter.
kj_workload_start() {
	kj_workload hold "$1" /tmp/hold.state &
	kj_hold_pid=$!
	kj_workload count /tmp/count.state &
	kj_count_pid=$!
	kj_wait_state /tmp/hold.state ready 120 && kj_wait_state /tmp/count.state '^[0-9]' 10
}
kj_workload_check() {
	rm -f /tmp/hold.state
	kill -USR1 "$kj_hold_pid" && kj_wait_state /tmp/hold.state '^ok' 120
}

kj_dmesg_clean() {
	! dmesg | grep -E 'WARNING:|BUG:|Oops|general protection|Call Trace|kernel BUG|UBSAN|KASAN'
}

# The whole disk of SIZE MiB (the job's raw disk: its name depends on the
# PCI order and the controllers the test gave the disks).
kj_disk_by_size() {
	for d in /sys/block/vd* /sys/block/sd* /sys/block/nvme*n*; do
		[ -e "$d/size" ] || continue
		[ "$(($(cat "$d/size") / 2048))" = "$1" ] && { echo "/dev/${d##*/}"; return 0; }
	done
	return 1
}
# The disk the root filesystem is on (virtio's vda, or NVMe's nvme0n1).
kj_root_disk() {
	src=$(findmnt -no SOURCE /) || return 1
	src=$(readlink -f "$src")
	echo "$src"
}

# Wait until the result channel (ttyS1) has sent what it holds: under an
# emulated UART that keeps a baud rate's pace (Bochs) a jump would
# otherwise leave a line half sent, for the peer's lines to cut in two.
# stty sets its attributes with TCSADRAIN, which waits for that.
kj_tap_drain() {
	stty -F /dev/ttyS1 115200 >/dev/null 2>&1
}

# The kernel log from kjump's first line on (the module load): what came
# before is the boot's, where an emulator's CPU model may draw warnings.
kj_dmesg_since_kjump() {
	dmesg | sed -n '/kjump: /,$p'
}
# Lines that say a branch faulted under CET (IBT's "Missing ENDBR", a
# #CP) or the kernel warned, oopsed or died.
KJ_CET_BAD='Missing ENDBR|#CP|[Cc]ontrol [Pp]rotection|WARNING:|BUG:|Oops|Call Trace|general protection'
# The first such line since kjump's load (ARGS: more grep options, -A N
# for what follows it); nothing if clean.
kj_cet_log_bad() {
	kj_dmesg_since_kjump | grep -E -m1 "$@" "$KJ_CET_BAD"
}
