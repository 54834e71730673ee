#!/bin/bash
# After the Debian dump scenario, on the host: take the vmcore and the
# pattern list out of the guest's root disk and check them with the host's
# own tools, as a user would: Debian's makedumpfile --dump-dmesg must print
# A's log with the marker, and each pattern page must be in the file at its
# physical address; the same for the kdump-compressed dump and for the one
# written to the raw disk (vdb).  Args: TAP ROOTDISK BUILD.  Prints TAP lines.
tap=$1 disk=$2 build=$3
marker=$(sed -n 's/^# marker: //p' "$tap" | head -n 1)
# Debian's makedumpfile reads dumps of its own architecture: for an i386
# guest, the i386 one from the guest's base image, run in a chroot there.
root=
case $build in
*-686-pae) root=${KJUMP_CACHE:-/var/cache/kjump}/debian/i386/root ;;
esac
out=$(mktemp -d "$root/tmp/kjpost.XXXXXX")
trap 'rm -rf "$out"' EXIT
makedumpfile() { # args with paths under $out
	if [ -n "$root" ]; then
		chroot "$root" makedumpfile "${@//$out/${out#"$root"}}"
	else
		command makedumpfile "$@"
	fi
}
for f in live.vmcore pattern.list live.kdump; do
	debugfs -R "dump /var/tmp/$f $out/$f" "$disk" >/dev/null 2>&1
done
if [ -s "$out/live.vmcore" ]; then
	echo "ok - host: the vmcore comes out of the guest's root ext4 ($(stat -c %s "$out/live.vmcore") bytes, $(file -b "$out/live.vmcore" | cut -c1-40))"
else
	echo "not ok - host: no /var/tmp/live.vmcore on the guest's disk"
	exit 0
fi
if [ -n "$marker" ] && makedumpfile --dump-dmesg "$out/live.vmcore" "$out/dmesg.txt" >/dev/null 2>&1 &&
   grep -q "$marker" "$out/dmesg.txt"; then
	echo "ok - host: makedumpfile --dump-dmesg on it prints A's log with the marker"
else
	echo "not ok - host: makedumpfile --dump-dmesg on the vmcore did not show the marker '$marker'"
fi
if [ -x "$build/tests/kj_vmcore" ] && [ -s "$out/pattern.list" ]; then
	res=$("$build/tests/kj_vmcore" check "$out/pattern.list" "$out/live.vmcore" 2>&1 | tail -n 1)
	if echo "$res" | grep -q '^4096 ok 0 bad 0 missing'; then
		echo "ok - host: every pattern page read from the file at its physical address ($res)"
	else
		echo "not ok - host: pattern pages in the file: $res"
	fi
else
	echo "not ok - host: no pattern list or no kj_vmcore to check it"
fi
if [ -n "$root" ] && [ -s "$out/live.kdump" ] && file -b "$out/live.kdump" | grep -qi kdump; then
	echo "ok - host: # SKIP the kdump-compressed dump is there ($(file -b "$out/live.kdump" | cut -c1-40)); Debian's i386 makedumpfile cannot read PAE kdump files back"
elif [ -s "$out/live.kdump" ] && file -b "$out/live.kdump" | grep -qi kdump &&
   makedumpfile --dump-dmesg "$out/live.kdump" "$out/dmesg2.txt" >/dev/null 2>&1 &&
   grep -q "$marker" "$out/dmesg2.txt"; then
	echo "ok - host: the kdump-compressed dump ($(file -b "$out/live.kdump" | cut -c1-40)) gives A's log with the marker"
else
	echo "not ok - host: the kdump-compressed dump is missing or unreadable"
fi
# The raw disk: its first BYTES bytes, as A reported them.
bytes=$(sed -n 's/.*dump: \/dev\/vdb: .* written (\([0-9]*\) bytes.*/\1/p' "$tap" | head -n 1)
disk3=$(dirname "$disk")/disk3-debian-dump.img
if [ -n "$bytes" ] && [ -f "$disk3" ] && head -c "$bytes" "$disk3" >"$out/dev.vmcore" &&
   makedumpfile --dump-dmesg "$out/dev.vmcore" "$out/dmesg3.txt" >/dev/null 2>&1 &&
   grep -q "$marker" "$out/dmesg3.txt"; then
	echo "ok - host: the dump on the raw disk ($bytes bytes) gives A's log with the marker"
else
	echo "not ok - host: no readable dump at the start of the raw disk (A said ${bytes:-nothing})"
fi
