#!/bin/bash
# make demo: build kjump with DKMS for Debian's 6.1 amd64 kernel, boot that
# kernel in QEMU, and show kjump jumping into a second kernel and back, and
# saving A's memory to a file while A runs on, step by step.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/selftests/qemu/targets.sh"
target=${KJ_DEMO_TARGET:-6.1-amd64}
kj_target "$target"
echo "== building kjump with DKMS for $KVER"
"$top/scripts/dkms.sh" install "$KVER" >"$top/build.dkms.log" 2>&1 || {
	tail -n 30 "$top/build.dkms.log"; exit 1; }
rm -f "$top/build.dkms.log"
echo "== booting $KVER in QEMU (TCG, 2 CPUs, 1 GiB); the guest says:"
# A second disk with an empty ext4 for the dump.
KJ_DISK2=ext4:2G "$top/selftests/qemu/boot.sh" "$target" demo >"$top/build/demo.out" 2>&1
rc=$?
sed -n 's/^    //p' "$top/build/demo.out" | grep -vE '^(TAP version|KJUMP-DONE|ok [0-9]+ (depmod|modprobe|module comes|/dev/kjump))'
tail -n 1 "$top/build/demo.out"
exit $rc
