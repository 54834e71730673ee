#!/bin/bash
# Boots of bench/hibernate.sh after the first (see scenario-bench-hibernate):
# 1 A hibernated with swsusp -> C resumes it from vdc (the kernel's own
# resume, started by writing /sys/power/resume); 2 A hibernated with kjump
# -> C resumes it with kjump.resume=.  Args as next-hibernate.sh.
set -uo pipefail
phase=$1 tap=$2
grep -aq '^KJUMP-DONE' "$tap" && exit 0
case $phase in
1)
	echo "phase_append='kjswsusp=vdc'" ;;
2)
	spec=$(grep -aoh 'kjump.resume=[^ ]*:[0-9]*' "$tap" "$5" | head -n 1)
	[ -n "$spec" ] && echo "phase_append='$spec kjexpect=resume'" ;;
esac
