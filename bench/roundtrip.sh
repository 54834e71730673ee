#!/bin/bash
# bench/roundtrip.sh [TARGET]: kjump's re-entry round trip against the
# kernel's own pm_test=core hibernation cycle, and the region swap against
# memcpy, all measured in the same guest (QEMU TCG, 2 CPUs, 1 GiB).
# Prints the figures and their ratios; asserts nothing.  B is the same
# distro kernel booted with nr_cpus=1 (as a kdump kernel is), so B has no
# CPU of its own to take down and bring up on each round trip.  The
# kernel's pm_test=core cycle includes a fixed mdelay(5000) at the test
# point (hibernation_test()); it is shown with and without it.
. "$(dirname "$0")/common.sh"
extra=$(mktemp -d)
trap 'rm -rf "$extra"' EXIT
mkdir -p "$extra/usr/bin"
gcc $ARCH_CFLAGS -std=gnu11 -Wall -Wextra -Werror -O2 -static -I"$top/include/uapi" \
	-o "$extra/usr/bin/kj_bench" "$top/bench/kj_bench.c" || exit 1
out=$(KJ_EXTRA_ROOT=$extra KJ_APPEND="kjrounds=${KJ_ROUNDS:-6}" KJ_TIMEOUT=600 \
	"$top/selftests/qemu/boot.sh" "$target" bench-roundtrip 2>&1)
echo "$out" | grep -aE '^    (memcpy|pmtest|jump|[0-9]|mean|swap_pages)' | sed 's/^    //'
echo "$out" | awk -v target="$target" '
	/^    memcpy/ { if ($2 > bw) bw = $2 }
	/^    pmtest/ { pm += $2; npm++ }
	/^    mean/ { wall = $2; fr = $3; dev = $4 + $10; cpu = $5 + $9; so = $6; away = $7; si = $8 }
	/^    swap_pages/ { pages = $2 }
	END {
		if (!wall || !bw) { print "bench: no figures (see build/logs/" target "-bench-roundtrip.console)"; exit 1 }
		printf("\n%s, re-entry round trip (mean of the re-entries):\n", target)
		printf("  total %.0f ms: A freeze %.0f, A devices off+on %.0f, A CPUs off+on %.0f, swap %.0f+%.0f, B away %.0f\n", wall, fr, dev, cpu, so, si, away)
		if (npm) {
			pmm = pm / npm
			pmc = pmm - 5000
			printf("  kernel pm_test=core hibernation cycle %.0f ms, %.0f ms without its 5 s test delay\n", pmm, pmc)
			printf("  kjump/pm_test = %.2f, and %.2f against the cycle without the delay (target < 1)\n", wall / pmm, wall / pmc)
		}
		mb = pages * 4096 / 1e6
		tput = mb / ((so + si) / 2 / 1000)
		half = bw / 2
		printf("  swap %.0f MB each way at %.0f MB/s; memcpy %.0f MB/s; swap/(memcpy/2) = %.2f (target >= 0.8)\n", mb, tput, bw, tput / half)
	}'
