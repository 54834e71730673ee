#!/bin/bash
# bench/dump.sh [TARGET]: how long kjumpctl dump stops A, and how large the
# dump is, against the reference measured in the same run: B copying
# /proc/vmcore as it is (kjumpctl dump --plain, what `cp /proc/vmcore`
# gives).  The real Debian guest (QEMU TCG, 2 CPUs, 1 GiB), A holding
# KJ_PCT (default 30%) of RAM; the file on the root ext4.  A's downtime is
# the jump's own count (freeze to thaw, B's whole run included).  Prints
# the figures and ratios; asserts nothing.
. "$(dirname "$0")/common.sh"
KJ_APPEND="kjpct=${KJ_PCT:-30}" KJ_TIMEOUT=1200 \
	"$top/selftests/qemu/boot.sh" "$target" debian-bench-dump >/tmp/kjump-bench-dump.$$ 2>&1
rc=$?
grep -aE '^    (ok|not ok|# bench)' /tmp/kjump-bench-dump.$$ | sed 's/^    //'
tail -n 1 /tmp/kjump-bench-dump.$$
out=$(grep -a '# bench: ' /tmp/kjump-bench-dump.$$)
rm -f /tmp/kjump-bench-dump.$$
[ $rc -eq 0 ] || { echo "bench: the guest run failed"; exit 1; }
echo "$out" | awk -v target="$target" '
	{ how = $3; bytes[how] = $4; ms[how] = $6 }
	END {
		if (!bytes["plain"] || !bytes["default"] || !bytes["lzo"]) { print "bench: figures missing"; exit 1 }
		printf("\n%s, dump of a live A (%s), reference: B copies /proc/vmcore as it is:\n", target, "30% workload")
		printf("  %-28s %8s %10s %8s %8s\n", "", "MiB", "A stopped", "size/ref", "time/ref")
		n = split("plain default lzo", order, " ")
		name["plain"] = "cp /proc/vmcore (--plain)"
		name["default"] = "makedumpfile ELF, level 17"
		name["lzo"] = "kdump-compressed, lzo"
		for (i = 1; i <= n; i++) {
			h = order[i]
			printf("  %-28s %8.0f %8.1f s %8.2f %8.2f\n", name[h], bytes[h] / 1048576, ms[h] / 1000,
			       bytes[h] / bytes["plain"], ms[h] / ms["plain"])
		}
	}'
