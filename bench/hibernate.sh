#!/bin/bash
# bench/hibernate.sh [TARGET]: kjump hibernate + resume against the kernel's
# own hibernation (echo disk > /sys/power/state, LZO, to a swap device), on
# the same VM (QEMU TCG, 2 CPUs, 1 GiB) and the same A (KJ_PCT, default 30%,
# of RAM in mlocked, checksummed pages), in one run.  Prints image sizes
# and the wall times of save and of resume, each with its ratio; asserts
# nothing.  KJ_BENCH_ROUNDS rounds (default 3), each a fresh guest; the
# last lines are the medians.  Times are kernel log timestamps of the kernels that do the
# work:
#   swsusp save    hibernation entry -> power down (A's clock)
#   swsusp resume  C's boot -> image read (C's clock)
#   kjump save     A's jump (freeze, devices, CPUs) + B's boot -> power down
#   kjump resume   C's boot -> jump into A, when C restores A itself (C's
#                  clock); else C's boot -> jump into D + D's boot -> A restored
# Both resumes include booting C (in the Debian guest, swsusp's C boots
# Debian's own initramfs, kjump's the one with kjump's hook); kjump's
# through D also boots D.  swsusp's image size
# is where its data ends on the swap device; kjump's is the image's own.
. "$(dirname "$0")/common.sh"
# The real Debian guest by default (A with systemd, its own root disk, kjump
# from DKMS and every default); KJ_BENCH_GUEST=bare for the small test
# initramfs guest, B with a small initramfs.
rounds=${KJ_BENCH_ROUNDS:-3}
gcc -std=gnu11 -O2 -I"$top/include/uapi" -o "/tmp/kj_bench.$$" "$top/bench/kj_bench.c" || exit 1
figures=$(mktemp)
trap 'rm -f "$figures" /tmp/kj_bench.$$ /tmp/kjump-bench-hib.$$' EXIT
# One round: a fresh guest, swsusp then kjump on the same A.  Prints the
# round's table and appends its figures to $figures.
bench_round() {
	local round=$1 rc a_out console swap swsusp_mib
	if [ "${KJ_BENCH_GUEST:-debian}" = bare ]; then
		scen=bench-hibernate
		KJ_KEEP_DISKS=1 KJ_DISK2=ext4:2G KJ_DISK3=raw:2G KJ_APPEND="kjpct=${KJ_PCT:-30}" KJ_TIMEOUT=900 \
			"$top/selftests/qemu/boot.sh" "$target" $scen >/tmp/kjump-bench-hib.$$ 2>&1
	else
		scen=debian-bench-hibernate
		KJ_KEEP_DISKS=1 KJ_DISK3=raw:2G KJ_APPEND="kjpct=${KJ_PCT:-30}" KJ_TIMEOUT=900 \
			"$top/selftests/qemu/boot.sh" "$target" $scen >/tmp/kjump-bench-hib.$$ 2>&1
	fi
	rc=$?
	echo "==== round $round of $rounds"
	grep -aE '^    (ok|not ok|# bench|# hibernate|# resumed|#   A )' /tmp/kjump-bench-hib.$$ | sed 's/^    //'
	tail -n 1 /tmp/kjump-bench-hib.$$
	# A's own part of kjump's jump out (freeze, devices, CPUs), which B's clock misses.
	a_out=$(sed -n 's/.*A stopped for \([0-9.]*\) ms before the jump.*/\1/p' /tmp/kjump-bench-hib.$$ | head -n 1)
	console=$top/build/logs/$target-$scen.console
	swap=$top/build/$target/disk3-$scen.img
	[ $rc -eq 0 ] && [ -f "$console" ] || { echo "bench: the guest run failed; see $console"; return 1; }
	# Where swsusp's data ends on the swap device: the last non-zero 1 MiB.
	swsusp_mib=$("/tmp/kj_bench.$$" lastnz "$swap")
	bench_awk "$console" "$swsusp_mib" "${a_out:-0}"
}
bench_awk() {
tr -d '\r' <"$1" | awk -v swmib="$2" -v target="$target" -v guest="${KJ_BENCH_GUEST:-debian}" -v kj_stop="$3" -v figures="$figures" '
	function ts(line) { return substr(line, 2, index(line, "]") - 2) + 0 }
	/^==== kjump-boot / { boot = $3 }
	/Linux version/ { kernels[boot]++ }
	boot == 1 && /hibernation: hibernation entry/ { sw_entry = ts($0) }
	boot == 1 && /reboot: Power down/ { sw_off = ts($0) }
	boot == 2 && /hibernation: Read [0-9]+ kbytes/ { sw_read = ts($0) }
	boot == 2 && /reboot: Power down/ { kj_off = ts($0) }
	boot == 2 && /kjump: image saved:/ { kj_mib = $0; sub(/.* in /, "", kj_mib); sub(/ MiB.*/, "", kj_mib) }
	boot == 3 && /kjump: resume: jumping into D/ { kj_c = ts($0) }
	# C resuming A itself (no D): from the start of staging to the jump.
	boot == 3 && /kjump: resume: staging the image/ { kj_s = ts($0) }
	boot == 3 && /kjump: resume: A staged/ { kj_direct = ts($0); s_line = $0 }
	boot == 3 && /kjump: A restored/ { kj_d = $0; sub(/.*at D uptime /, "", kj_d); kj_d += 0; d_line = $0 }
	boot == 2 && /kjump: image saved:/ { b_line = $0 }
	boot == 2 && /kjump: B: kjump and/ { b_drv = $0 }
	# The job kernels (the second kernel of boots 2 and 3) reach their init.
	/Run \/init as init process/ && kernels[boot] == 2 { init[boot] = ts($0) }
	END {
		sw_save = sw_off - sw_entry; kj_save = kj_off + kj_stop / 1000; kj_res = kj_c + kj_d
		if (kj_direct) { kj_c = kj_direct; kj_d = 0; kj_res = kj_direct }
		if (!sw_entry || !sw_off || !sw_read || !kj_off || !kj_c || (!kj_d && !kj_direct)) {
			printf("bench: figures missing (swsusp %s/%s/%s, kjump %s/%s/%s)\n", sw_entry, sw_off, sw_read, kj_off, kj_c, kj_d)
			exit 1
		}
		printf("\n%s (%s guest), hibernation of A with the same workload:\n", target, guest)
		printf("  image   swsusp %5d MiB   kjump %5d MiB   kjump/swsusp %.2f (target <= 1)\n", swmib, kj_mib, kj_mib / swmib)
		printf("  save    swsusp %5.1f s     kjump %5.1f s     kjump/swsusp %.2f\n", sw_save, kj_save, kj_save / sw_save)
		printf("  resume  swsusp %5.1f s     kjump %5.1f s     kjump/swsusp %.2f\n", sw_read, kj_res, kj_res / sw_read)
		printf("  save + resume: kjump/swsusp %.2f (target <= 0.8)\n", (kj_save + kj_res) / (sw_save + sw_read))
		printf("%d %d %.2f %.2f %.2f %.2f\n", swmib, kj_mib, sw_save, kj_save, sw_read, kj_res) >>figures
		printf("where kjump'"'"'s time goes (kernel clocks; a job kernel'"'"'s own decompression before its clock starts is not counted):\n")
		printf("  save    A stopping %.1f s, B booting to its init %.1f s, B saving and powering off %.1f s\n", kj_stop / 1000, init[2], kj_off - init[2])
		if (kj_direct)
			printf("  resume  C booting to kjumpctl resume %.1f s, C staging A (no D) %.1f s\n", kj_s, kj_direct - kj_s)
		else
			printf("  resume  C booting to the jump into D %.1f s, D booting to its init %.1f s, D restoring %.1f s\n", kj_c, init[3], kj_d - init[3])
		sub(/^.*kjump: /, "", b_line); sub(/^.*kjump: /, "", d_line); sub(/^.*kjump: resume: /, "", s_line)
		sub(/^.*kjump: B: /, "", b_drv)
		if (b_drv != "")
			printf("  B: %s (its /init is kjumpctl)\n", b_drv)
		printf("  B: %s\n", b_line)
		if (kj_direct)
			printf("  C: %s\n", s_line)
		else
			printf("  D: %s\n", d_line)
	}'
}

ok=0
for r in $(seq 1 "$rounds"); do
	bench_round "$r" && ok=$((ok + 1))
done
[ "$ok" -gt 0 ] || exit 1
# The median of each figure over the rounds (swsusp's save time, above
# all, varies from one boot to the next).
awk -v n="$ok" -v target="$target" '
	{
		for (i = 1; i <= 6; i++) v[i, NR] = $i
		r = ($4 + $6) / ($3 + $5)
		if (NR == 1 || r < rmin) rmin = r
		if (NR == 1 || r > rmax) rmax = r
	}
	function median(i,   a, k, j, t) {
		for (k = 1; k <= n; k++) a[k] = v[i, k]
		for (k = 1; k <= n; k++) for (j = k + 1; j <= n; j++) if (a[j] < a[k]) { t = a[k]; a[k] = a[j]; a[j] = t }
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	END {
		sm = median(1); km = median(2); ss = median(3); ks = median(4); sr = median(5); kr = median(6)
		printf("\n%s, median of %d rounds:\n", target, n)
		printf("  image   swsusp %5d MiB   kjump %5d MiB   kjump/swsusp %.2f (target <= 1)\n", sm, km, km / sm)
		printf("  save    swsusp %5.1f s     kjump %5.1f s     kjump/swsusp %.2f\n", ss, ks, ks / ss)
		printf("  resume  swsusp %5.1f s     kjump %5.1f s     kjump/swsusp %.2f\n", sr, kr, kr / sr)
		printf("  save + resume: kjump/swsusp %.2f (target <= 0.8); rounds %.2f to %.2f\n", (ks + kr) / (ss + sr), rmin, rmax)
	}' "$figures"
