#!/bin/bash
# Boots of bench/hibernate.sh after the first, in the Debian guest (see
# scenario-debian-bench-hibernate): 1 A hibernated with swsusp -> C
# resumes it through Debian's initramfs (resume=/dev/vdb); 2 A hibernated
# with kjump -> C resumes it through kjump's hook (kjump.resume=).
# Args: PHASE TAP ROOTDISK BUILD CONSOLE.
set -uo pipefail
phase=$1 tap=$2
grep -aq '^KJUMP-DONE' "$tap" && exit 0
case $phase in
1)
	echo "phase_append='resume=/dev/vdb'" ;;
2)
	spec=$(grep -aoh 'kjump.resume=/dev/vda:[0-9]*' "$tap" "$5" | head -n 1)
	[ -n "$spec" ] && echo "phase_append='$spec'" ;;
esac
