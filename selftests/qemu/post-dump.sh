#!/bin/bash
# After the dump scenario, on the host: take the vmcore out of the guest's
# ext4 disk and open it with the host's own makedumpfile, as a user would.
# Args: TAP DISK2.  Prints TAP lines.
tap=$1
disk2=$2
marker=$(sed -n 's/^# marker: //p' "$tap" | head -n 1)
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
if debugfs -R "dump /live.vmcore $out/live.vmcore" "$disk2" >/dev/null 2>&1 &&
   [ -s "$out/live.vmcore" ]; then
	echo "ok - host: the vmcore comes out of the guest's ext4 ($(stat -c %s "$out/live.vmcore") bytes)"
else
	echo "not ok - host: no /live.vmcore on the guest's disk"
	exit 0
fi
if [ -n "$marker" ] && makedumpfile --dump-dmesg "$out/live.vmcore" "$out/dmesg.txt" >/dev/null 2>&1 &&
   grep -q "$marker" "$out/dmesg.txt"; then
	echo "ok - host: makedumpfile --dump-dmesg on it prints A's log with the marker"
else
	echo "not ok - host: makedumpfile --dump-dmesg on the vmcore did not show the marker '$marker'"
fi
