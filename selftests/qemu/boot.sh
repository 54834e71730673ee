#!/bin/bash
# boot.sh TARGET [SCENARIO]: build the guest for TARGET, boot it under QEMU
# (TCG, 2 CPUs, 1 GiB) and collect its TAP from the result channel.
# Prints the TAP, then "TARGET: N passed, N failed, N skipped".  The
# console log of a failed or timed-out boot is kept in build/logs/.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$here/targets.sh"
. "$here/common.sh"
target=$1
scenario=${2:-basic}
kj_target "$target" || exit 2
build=$top/build/$target
logs=$top/build/logs
mkdir -p "$build/tests" "$logs"
KJ_TIMEOUT=${KJ_TIMEOUT:-600}
KJ_MEM=${KJ_MEM:-1G}

# Each run's files: the -cpu, disk and module variants run beside the others.
run=$scenario${KJ_CPU:+-$KJ_CPU}${KJ_DISKS:+-$KJ_DISKS}${KJ_DEBIAN_MODULES:+-$KJ_DEBIAN_MODULES}${KJ_TCG_THREAD:+-tcg-$KJ_TCG_THREAD}
export KJ_RUN=$run	# for next- and post- scripts
# Scenarios run side by side (run.sh): the builds of one target, and of
# one Debian guest (debian-guest.sh), take turns.
exec 8>"$build/.build.lock"
flock 8
set -e
# debian-*: the real Debian 12 guest (debian-guest.sh), booted from its own
# root disk with its own initramfs; the rest: the bare initramfs guest.
debian=
case $scenario in debian-*) debian=${KJ_ARCH/x86_64/amd64} ;; esac
kj_build_tools "$build"
if [ -n "$debian" ]; then
	dg=$("$here/debian-guest.sh" "$debian" "$top/build/debian-$debian${KJ_DEBIAN_MODULES:+-$KJ_DEBIAN_MODULES}")
else
	initrd=$build/initramfs-$run.cpio.gz
	"$here/mkinitramfs.sh" "$target" "$initrd" "${KJ_EXTRA_ROOT:-}"
fi
set +e
flock -u 8
exec 8>&-

# Every guest gets a scratch virtio disk and a virtio NIC on QEMU's user
# network with restrict=on: DHCP works, nothing leaves the guest.
disk=$build/disk-$run.img
rm -f "$disk"
if [ -n "$debian" ]; then
	cp --sparse=always "$dg/disk.img" "$disk"
	# next-/post- scripts get the root disk where others get disk2.
	disk2=$disk
else
	truncate -s 16M "$disk"
fi

# KJ_DISK2=ext4:SIZE adds a second disk (vdb) holding an empty ext4.
disk2_args=()
if [ -n "${KJ_DISK2:-}" ]; then
	disk2=$build/disk2-$run.img
	rm -f "$disk2"
	truncate -s "${KJ_DISK2#*:}" "$disk2"
	mkfs."${KJ_DISK2%%:*}" -q -F "$disk2" >&2
	disk2_args=(-drive "file=$disk2,if=virtio,format=raw")
fi

# KJ_DISK3=raw:SIZE adds a third, zeroed disk (vdc).
disk3=
if [ -n "${KJ_DISK3:-}" ]; then
	disk3=$build/disk3-$run.img
	rm -f "$disk3"
	truncate -s "${KJ_DISK3#*:}" "$disk3"
fi

# KJ_BYSTANDER=SIZE[:first] adds a disk no job is given: an ext4 holding
# random data, after the third disk (with :first, before it, so that the
# job's disk comes later in PCI order).  Afterwards the host checks it is
# byte-identical: a job that found the wrong disk shows here.
bystander= bystander_sum=
if [ -n "${KJ_BYSTANDER:-}" ]; then
	bystander=$build/bystander-$run.img
	rm -rf "$bystander" "$build/bystander-$run.d"
	mkdir -p "$build/bystander-$run.d"
	head -c 4M /dev/urandom >"$build/bystander-$run.d/data"
	truncate -s "${KJ_BYSTANDER%%:*}" "$bystander"
	mkfs.ext4 -q -F -L kjbystander -d "$build/bystander-$run.d" "$bystander" >&2
	rm -rf "$build/bystander-$run.d"
	bystander_sum=$(sha1sum <"$bystander")
fi

tap=$logs/$target-$run.tap
console=$logs/$target-$run.console
qlog=$logs/$target-$run.qemu.log
rm -f "$tap" "$console" "$qlog"
# Single-threaded TCG by default: with multi-threaded TCG, 6.12 guests
# sometimes oops at boot on an int3 of the kernel's own text patching
# (seen in A's boot, before kjump ran, and in B's). KJ_TCG_THREAD=multi
# brings it back.
# A scenario may need more boots on the same disks (hibernation: C after
# A): next-SCENARIO.sh says how each one differs, or that it is done.
# KJ_DISKS=nvme-ahci (Debian guests): the root on an NVMe controller, the
# other disks on an AHCI controller's ports; else all virtio.
ahci=() root_spec=/dev/vda
[ "${KJ_DISKS:-virtio}" = nvme-ahci ] && ahci=(-device ahci,id=ahci) root_spec=LABEL=kjroot
kj_drive() { # ARRAY FILE N: the QEMU arguments for disk N (0 the root)
	local -n a=$1
	case ${KJ_DISKS:-virtio} in
	nvme-ahci)
		a+=(-drive "file=$2,if=none,id=kjd$3,format=raw")
		if [ "$3" = 0 ]; then
			a+=(-device "nvme,drive=kjd0,serial=kjroot0")
		else
			a+=(-device "ide-hd,drive=kjd$3,bus=ahci.$(($3 - 1))")
		fi ;;
	*) a+=(-drive "file=$2,if=virtio,format=raw") ;;
	esac
}
start=$(date +%s)
phase=1 phase_append= phase_mem=$KJ_MEM phase_disk2=${disk2:-} phase_kver=$KVER phase_initrd=
while :; do
	d2=()
	if [ -n "$debian" ]; then
		# phase_initrd=stock: Debian's own, as before kjump was installed
		kernel=$dg/boot/vmlinuz-$phase_kver initrd=$dg/boot/initrd.img-$phase_kver${phase_initrd:+.$phase_initrd}
		base_append="root=$root_spec ro console=ttyS0,115200 panic=-1 kjtest=$scenario"
	else
		kernel=$KROOT/boot/vmlinuz-$KVER
		base_append="console=ttyS0,115200 panic=-1 kjtest=$scenario"
		[ -n "$phase_disk2" ] && d2=(-drive "file=$phase_disk2,if=virtio,format=raw")
	fi
	[ -n "$bystander" ] && [ "${KJ_BYSTANDER#*:}" = first ] && kj_drive d2 "$bystander" 2
	[ -n "$disk3" ] && kj_drive d2 "$disk3" 1
	[ -n "$bystander" ] && [ "${KJ_BYSTANDER#*:}" != first ] && kj_drive d2 "$bystander" 2
	root_drive=()
	kj_drive root_drive "$disk" 0
	timeout --foreground -k 10 "$KJ_TIMEOUT" "$QEMU" -accel "tcg,thread=${KJ_TCG_THREAD:-single}" -smp 2 -m "$phase_mem" \
		${KJ_CPU:+-cpu "$KJ_CPU"} \
		-display none -monitor none -no-reboot "${ahci[@]}" \
		-kernel "$kernel" -initrd "$initrd" \
		-append "$base_append ${KJ_APPEND:-} $phase_append" \
		-serial "file:$console.phase" -serial "file:$tap.phase" \
		"${root_drive[@]}" "${d2[@]}" \
		-netdev user,id=n0,restrict=on -device virtio-net-pci,netdev=n0,romfile= \
		-d cpu_reset -D "$qlog.phase" \
		${KJ_QEMU_ARGS:-} </dev/null
	rc=$?
	echo "==== kjump-boot $phase" >>"$console"
	cat "$console.phase" >>"$console" 2>/dev/null
	tr -d '\r\000' <"$tap.phase" >>"$tap" 2>/dev/null
	cat "$qlog.phase" >>"$qlog" 2>/dev/null
	rm -f "$console.phase" "$tap.phase" "$qlog.phase"
	[ -x "$here/next-$scenario.sh" ] || break
	next=$(phase_kver=$phase_kver "$here/next-$scenario.sh" "$phase" "$tap" "${disk2:-}" "$build" "$console")
	[ -n "$next" ] || break
	eval "$next"
	phase=$((phase + 1))
	echo "# ---- boot $phase: $phase_append (memory $phase_mem)" >>"$tap"
done
secs=$(($(date +%s) - start))

pass=0 fail=0 skip=0
if [ -f "$tap" ]; then
	# A scenario may check on the host what the guest left (post-SCENARIO.sh).
	if [ -x "$here/post-$scenario.sh" ]; then
		"$here/post-$scenario.sh" "$tap" "${disk2:-}" "$build" >"$tap.post" 2>&1
		cat "$tap.post" >>"$tap"
		rm -f "$tap.post"
	fi
	if [ -n "$bystander" ]; then
		if [ "$(sha1sum <"$bystander")" = "$bystander_sum" ]; then
			echo "ok - host: the disk no job was given is byte-identical" >>"$tap"
		else
			echo "not ok - host: the disk no job was given has changed" >>"$tap"
			head -c 16 "$bystander" | od -c | head -n 2 | sed 's/^/# /' >>"$tap"
		fi
	fi
	# The guest's root filesystem, whatever the jobs wrote elsewhere.
	if [ -n "$debian" ]; then
		if e2fsck -fn "$disk" >"$logs/$target-$run.fsck" 2>&1; then
			echo "ok - host: the root filesystem is intact (e2fsck -fn)" >>"$tap"
		else
			echo "not ok - host: the root filesystem is damaged (e2fsck -fn)" >>"$tap"
			head -n 5 "$logs/$target-$run.fsck" | sed 's/^/# /' >>"$tap"
		fi
	fi
	sed 's/^/    /' "$tap"
	kj_tap_count "$tap"
fi
if ! grep -aq '^KJUMP-DONE' "$tap" 2>/dev/null; then
	fail=$((fail + 1))
	echo "not ok - $target/$scenario: guest did not finish (qemu exit $rc after ${secs}s); console: $console"
	tail -n 40 "$console" 2>/dev/null | sed 's/^/    # /'
elif [ "$fail" -gt 0 ]; then
	echo "# $target/$scenario: failures; console kept at $console"
else
	rm -f "$console.kept"
	# A full run makes dozens of GiB of disks: drop those of a passed
	# scenario (benchmarks that read them afterwards set KJ_KEEP_DISKS=1).
	[ -n "${KJ_KEEP_DISKS:-}" ] || rm -f "$disk" "${disk2:-}" "${disk3:-}" "${bystander:-}"
fi
echo "$target/$run: $pass passed, $fail failed, $skip skipped (${secs}s)"
[ "$fail" -eq 0 ]
