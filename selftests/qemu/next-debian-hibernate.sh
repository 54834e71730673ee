#!/bin/bash
# The boots after the Debian hibernate scenario's first (see
# scenario-debian-hibernate).  Args: PHASE TAP ROOTDISK BUILD CONSOLE.
# Prints shell assignments for the next boot, or nothing when done.
set -uo pipefail
phase=$1 tap=$2
grep -aq '^KJUMP-DONE' "$tap" && exit 0
spec=$(grep -ao 'kjump.resume=/dev/vda:[0-9]*' "$tap" | tail -n 1)
[ -n "$spec" ] || exit 0
. "$(dirname "$0")/targets.sh"
case $phase in
1)
	echo "phase_append='$spec'" ;;
2)
	# The other amd64 kernel (both are in the image); on i386 there is one.
	other=$K612
	[ "$phase_kver" = "$K612" ] && other=$K61
	[ "$phase_kver" = "$K686" ] && exit 0
	echo "phase_append='$spec kjphase=C-booted-on' phase_kver='$other'" ;;
esac
