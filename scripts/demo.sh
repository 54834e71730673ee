#!/bin/bash
# make demo: build a real Debian 12 guest (debootstrap, Debian's 6.1 amd64
# kernel through apt), install kjump inside it with DKMS and its
# initramfs-tools hook, boot it in QEMU, and show kjump jumping into a
# second kernel that saves A's memory to a file, and back, step by step.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/selftests/qemu/targets.sh"
target=${KJ_DEMO_TARGET:-6.1-amd64}
kj_target "$target"
mkdir -p "$top/build"
echo "== building the Debian guest and installing kjump into it with DKMS (cached after the first run)"
echo "== then booting $KVER in QEMU (TCG, 2 CPUs, 1 GiB); the guest says:"
KJ_TIMEOUT=900 "$top/selftests/qemu/boot.sh" "$target" debian-demo >"$top/build/demo.out" 2>"$top/build/demo.err"
rc=$?
grep -E '^debian-(image|guest)' "$top/build/demo.err" | sed 's/^/   /'
sed -n 's/^    //p' "$top/build/demo.out" | grep -vE '^(TAP version|KJUMP-DONE|# program|# exit|ok [0-9]+ [A-Z/]|# kjump Debian guest)'
tail -n 1 "$top/build/demo.out"
exit $rc
