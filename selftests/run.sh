#!/bin/bash
# The whole suite: host checks (DKMS build and install for every target,
# userspace builds), then every scenario on every target kernel in QEMU.
# Ends with the line "N passed, N failed" (and skipped).
#   selftests/run.sh [TARGET...]        default: every target (targets.sh)
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
# Debian 13's 6.12 and unstable's 7.x: the jump, both ways across the two,
# dump and hibernate, on the test initramfs (the Debian guest is 12's).
scen_newer=${KJ_SCENARIOS:-"basic roundtrip cross dump hibernate"}
# Variants run on one target only (,disks=nvme-ahci: the controllers;
# ,modules=list: the job initramfs's MODULES= setting, where the default
# is a chroot install's; ,tcg=multi: a host thread per vCPU); KJ_SCENARIOS
# may name them too.
# roundtrip,tcg=multi: B's panics on its CPU 1.  Single-threaded TCG runs
# one vCPU at a time, and there B's CPU 1, waiting for CPU 0 to take the
# hand-over's NMI, was seen to keep CPU 0 from running for seconds (on 6.1
# only: 6.12 trips on multi-threaded TCG's text patching, see boot.sh).
if [ -z "${KJ_SCENARIOS:-}" ]; then
	extra_61="debian-dump,modules=list roundtrip,tcg=multi"
	# bochs: Bochs' tigerlake CPU enforces IBT, which only 6.12 of the
	# targets is built for.
	extra_612="debian-dump,disks=nvme-ahci debian-hibernate,disks=nvme-ahci bochs"
else
	extra_61= extra_612=
fi
target_scenarios() { # target: its scenarios
	kj_target "$1"
	if [ "$KJ_ARCH" = i386 ]; then
		echo $scen_i386
	elif [ "$1" = 6.12-deb13 ] || [ "$1" = 7.x-sid ]; then
		echo $scen_newer
	else
		echo $scen_x86_64
		case $1 in 6.1-amd64) echo $extra_61 ;; 6.12-amd64) echo $extra_612 ;; esac
	fi | tr ' ' '\n' | awk -v t="$1" '$0 != "bochs" || t == "6.12-amd64"' | tr '\n' ' '
}
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
# host_prog LABEL COMMAND...: a host test program's TAP lines, each one
# counted; a program that prints none fails.
host_prog() {
	local label=$1 out line n=0
	shift
	out=$("$@" 2>&1)
	while IFS= read -r line; do
		case $line in
		"ok "*) host_tap ok "$label: ${line#ok * - }"; n=$((n + 1)) ;;
		"not ok "*) host_tap "not ok" "$label: ${line#not ok * - }"; n=$((n + 1)) ;;
		esac
	done <<<"$out"
	if [ "$n" = 0 ]; then
		host_tap "not ok" "$label: ran no test"
		echo "$out" | tail -n 30 | sed 's/^/    # /'
	fi
}

# The image's checks (userspace/image/) under ASan and UBSan, built for
# x86_64 and i386, and each build reading the other's image.
image_tests() {
	local b=$top/build/host-tests v
	mkdir -p "$b"
	for v in 64 32; do
		host_step "image checks build for -m$v with ASan and UBSan" \
			gcc -std=c11 -Wall -Wextra -Werror -D_FILE_OFFSET_BITS=64 -g -O1 \
			-fsanitize=address,undefined -fno-sanitize-recover=all -m$v \
			-I"$top/include/uapi" -I"$top/userspace" -o "$b/image_test$v" \
			"$top/selftests/host/image_test.c" "$top/userspace/image/format.c" \
			"$top/userspace/image/io.c" -lzstd -lxxhash
		host_prog "image checks (-m$v)" "$b/image_test$v"
	done
	host_step "an image the x86_64 build wrote passes the i386 build's checks" \
		sh -c "'$b/image_test64' write '$b/img64' && '$b/image_test32' read '$b/img64'"
	host_step "an image the i386 build wrote passes the x86_64 build's checks" \
		sh -c "'$b/image_test32' write '$b/img32' && '$b/image_test64' read '$b/img32'"
}

# cross: B is the other kernel of the pair ("try the new kernel, come back").
cross_peer() {
	case $1 in
	6.1-amd64) echo 6.12-amd64 ;; 6.12-amd64) echo 6.1-amd64 ;;
	6.12-deb13) echo 7.x-sid ;; 7.x-sid) echo 6.12-deb13 ;;
	esac
}

echo "TAP version 13"
dkms_targets=$targets
for t in $targets; do
	case " $(target_scenarios "$t") " in
	*" cross "*) dkms_targets+=" $(cross_peer "$t")" ;;
	esac
done
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
image_tests

# The guests, KJ_JOBS at a time (default: one per core; each is one TCG
# thread).  Longest first, and the two architectures' Debian guests
# built side by side: scenario by scenario, targets alternating arch.
KJ_JOBS=${KJ_JOBS:-$(nproc)}
order=$(for t in $targets; do
	case $t in *-686-pae) echo "1 $t" ;; 6.1-*) echo "0 $t" ;; *) echo "2 $t" ;; esac
done | sort -n | cut -d' ' -f2)
weight() { # scenario: rough minutes, for the order
	case $1 in
	debian-*) echo 9 ;; hibernate|roundtrip*|dump|kexec-tools|bochs) echo 3 ;; *) echo 1 ;;
	esac
}
joblist=()
for sc in $(for t in $targets; do target_scenarios "$t"; done | tr ' ' '\n' | awk 'NF && !seen[$0]++'); do
	for t in $order; do
		case " $(target_scenarios "$t" | tr '\n' ' ') " in
		*" $sc "*) s=${sc%%,*}; joblist+=("$(weight "${s%@*}") $t $sc") ;;
		esac
	done
done
mapfile -t joblist < <(printf '%s\n' "${joblist[@]}" | sort -s -k1,1nr | cut -d' ' -f2-)

run_job() { # index target scenario[@cpu]
	local i=$1 t=$2 sc=$3 s base cpu peer disk2= disk3= bystander= append= o disks= mods= tcg=
	base=${sc%%,*}
	for o in $(echo "${sc#"$base"}" | tr ',' ' '); do
		case $o in
		disks=*) disks=${o#disks=} ;;
		modules=*) mods=${o#modules=} ;;
		tcg=*) tcg=${o#tcg=} ;;
		esac
	done
	s=${base%@*}
	cpu=
	[ "$base" != "$s" ] && cpu=${base#*@}
	peer=
	[ "$s" = cross ] && peer=$(cross_peer "$t")
	# dump, hibernate: a second disk with an empty ext4 for the file.
	# debian-*: the job's disk and a bystander no job is given, in
	# both PCI orders (the dump's disk comes after the bystander).
	case $s in
	dump|hibernate) disk2=ext4:2G ;;
	debian-dump) disk3=raw:2G bystander=1536M:first ;;
	debian-hibernate) disk3=raw:2G bystander=1G ;;
	esac
	# The -cpu max variants repeat the round trips on 5-level paging.
	[ -n "$cpu" ] && [ "$s" = roundtrip ] && append=kjrounds=5
	[ "$tcg" = multi ] && [ "$s" = roundtrip ] && append="kjrounds=3 kjpanic_cpus=1+busy0,1,1+busy0,1,0"
	# hibernate: A trusts its free pages to be zero (see the scenario).
	[ "$s" = hibernate ] && append=init_on_free=1
	# bochs: its own emulator and host script (selftests/bochs/boot.sh).
	if [ "$s" = bochs ]; then
		"$here/bochs/boot.sh" "$t" >"$logs/job-$i.out" 2>"$logs/$t-$sc.build"
		echo $? >"$logs/job-$i.rc"
		return
	fi
	KJ_TCG_THREAD=$tcg KJ_CPU=$cpu KJ_PEER_TARGET=$peer KJ_DISK2=$disk2 KJ_DISK3=$disk3 KJ_BYSTANDER=$bystander \
		KJ_APPEND=$append KJ_DISKS=$disks KJ_DEBIAN_MODULES=$mods "$here/qemu/boot.sh" "$t" "$s" \
		>"$logs/job-$i.out" 2>"$logs/$t-$(echo "$sc" | tr '@,=' '---').build"
	echo $? >"$logs/job-$i.rc"
}

# A job's lines, in the list's order, as soon as it and those before it end.
shown=0
show_done() {
	local i t sc out last rc
	while [ "$shown" -lt "${#joblist[@]}" ] && [ -f "$logs/job-$shown.rc" ]; do
		i=$shown
		read -r t sc <<<"${joblist[$i]}"
		rc=$(cat "$logs/job-$i.rc")
		out=$(cat "$logs/job-$i.out")
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
			echo "not ok - $t/$sc: could not build or boot the guest (rc $rc)"
			tail -n 30 "$logs/$t-$(echo "$sc" | tr '@,=' '---').build" | sed 's/^/    # /'
		fi
		rm -f "$logs/job-$i.out" "$logs/job-$i.rc"
		shown=$((shown + 1))
	done
}

rm -f "$logs"/job-*.out "$logs"/job-*.rc
running=0
for i in "${!joblist[@]}"; do
	if [ "$running" -ge "$KJ_JOBS" ]; then
		wait -n
		running=$((running - 1))
		show_done
	fi
	# shellcheck disable=SC2086
	run_job "$i" ${joblist[$i]} &
	running=$((running + 1))
done
while [ -n "$(jobs -rp)" ]; do
	wait -n
	show_done
done
wait
show_done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
