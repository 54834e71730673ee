#!/bin/bash
# Boots of bench/hibernate.sh after the first, in the Debian guest (see
# scenario-debian-bench-hibernate): 1 A hibernated with swsusp -> C
# resumes it through Debian's initramfs (resume=/dev/vdb); 2 A hibernated
# with kjump -> C resumes it through kjump's hook (kjump.resume=), with
# the initramfs kjump's hook built.
# Args: PHASE TAP ROOTDISK BUILD CONSOLE.
set -uo pipefail
phase=$1 tap=$2
grep -aq '^KJUMP-DONE' "$tap" && exit 0
case $phase in
1)
	# swsusp's C boots Debian's own initramfs: a system without kjump
	# does not carry kjump's resume payload (about 14 MiB to unpack).
	echo "phase_append='resume=/dev/vdb' phase_initrd=stock" ;;
2)
	spec=$(grep -aoh 'kjump.resume=[^ ]*:[0-9]*' "$tap" "$5" | head -n 1)
	[ -n "$spec" ] && echo "phase_append='$spec' phase_initrd=" ;;
esac
