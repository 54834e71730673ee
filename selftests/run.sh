#!/bin/bash
# The whole suite: host checks (DKMS build and install for every target,
# userspace builds), then every scenario on every target kernel in QEMU.
# Ends with the line "N passed, N failed" (and skipped).
#   selftests/run.sh [TARGET...]        default: all three targets
#   KJ_SCENARIOS="basic ..."            scenarios to boot per target
#                                       (SCENARIO@CPU boots with -cpu CPU)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
. "$here/qemu/targets.sh"
targets=${*:-$KJ_TARGETS}
# x86_64: the jump on the default 4-level CPU model and on -cpu max (LA57).
# debian-*: the real Debian 12 guest (selftests/qemu/debian-guest.sh).
scen_x86_64=${KJ_SCENARIOS:-"basic roundtrip roundtrip@max payload cross kexec-tools vmcore dump hibernate debian-dump debian-hibernate"}
scen_i386=${KJ_SCENARIOS:-"basic roundtrip payload vmcore hibernate debian-dump debian-hibernate"}
logs=$top/build/logs
mkdir -p "$logs"

pass=0 fail=0 skip=0
host_n=0
host_tap() { # ok|not ok, description
	host_n=$((host_n + 1))
	echo "$1 $host_n host: $2"
	case $1 in ok) pass=$((pass + 1)) ;; *) fail=$((fail + 1)) ;; esac
}
host_step() { # description, command...
	local d=$1 log
	shift
	log=$logs/host-$host_n.log
	if "$@" >"$log" 2>&1; then
		host_tap ok "$d"
	else
		host_tap "not ok" "$d"
		tail -n 30 "$log" | sed 's/^/    # /'
	fi
}

echo "TAP version 13"
dkms_targets=$targets
case " $targets " in
*" 6.1-amd64 "*|*" 6.12-amd64 "*)
	case " $scen_x86_64 " in *" cross "*) dkms_targets="$targets 6.1-amd64 6.12-amd64" ;; esac ;;
esac
for t in $(echo $dkms_targets | tr ' ' '\n' | awk '!seen[$0]++'); do
	kj_target "$t" || exit 2
	host_step "dkms build and install kjump for $KVER ($KJ_ARCH)" \
		"$top/scripts/dkms.sh" install "$KVER"
done
# Paths relative to the top: checkpatch knows include/uapi/ by its path.
checkpatch() {
	cd "$top" && perl "$KJUMP_CACHE/checkpatch/checkpatch.pl" --no-tree --strict \
		--terse --ignore SPDX_LICENSE_TAG -f module/*.[ch] sysfs/*.c \
		include/uapi/linux/kjump.h asm/kjump_stub.h
}
host_step "kernel code is checkpatch --strict clean" checkpatch
host_step "kjumpctl builds with -Wall -Wextra -Werror (native)" \
	make -s -C "$top/userspace" O="$top/build" clean all
host_step "kjumpctl builds with -Wall -Wextra -Werror (-m32)" \
	make -s -C "$top/userspace" O="$top/build" ARCH_CFLAGS=-m32 clean all

for t in $targets; do
	kj_target "$t"
	scenarios=$scen_x86_64
	[ "$KJ_ARCH" = i386 ] && scenarios=$scen_i386
	for sc in $scenarios; do
		s=${sc%@*}
		cpu=
		[ "$sc" != "$s" ] && cpu=${sc#*@}
		# cross: B is the other amd64 kernel ("try the new kernel, come back").
		peer=
		if [ "$s" = cross ]; then
			peer=6.12-amd64
			[ "$t" = 6.12-amd64 ] && peer=6.1-amd64
		fi
		# dump, hibernate: a second disk with an empty ext4 for the file.
		disk2= disk3=
		case $s in dump|hibernate) disk2=ext4:2G ;; debian-dump) disk3=raw:2G ;; esac
		# The -cpu max variants repeat the round trips on 5-level paging.
		append=
		[ -n "$cpu" ] && [ "$s" = roundtrip ] && append=kjrounds=5
		# hibernate: A trusts its free pages to be zero (see the scenario).
		[ "$s" = hibernate ] && append=init_on_free=1
		out=$(KJ_CPU=$cpu KJ_PEER_TARGET=$peer KJ_DISK2=$disk2 KJ_DISK3=$disk3 KJ_APPEND=$append \
			"$here/qemu/boot.sh" "$t" "$s" 2>"$logs/$t-$s.build")
		rc=$?
		echo "# ---- $t/$sc"
		echo "$out" | sed '$d'
		last=$(echo "$out" | tail -n 1)
		echo "# $last"
		if [[ $last =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed,\ ([0-9]+)\ skipped ]]; then
			pass=$((pass + BASH_REMATCH[1]))
			fail=$((fail + BASH_REMATCH[2]))
			skip=$((skip + BASH_REMATCH[3]))
		else
			fail=$((fail + 1))
			echo "not ok - $t/$s: could not build or boot the guest (rc $rc)"
			tail -n 30 "$logs/$t-$s.build" | sed 's/^/    # /'
		fi
	done
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
