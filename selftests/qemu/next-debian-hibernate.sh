#!/bin/bash
# The boots after the Debian hibernate scenario's first (see
# scenario-debian-hibernate).  Args: PHASE TAP ROOTDISK BUILD CONSOLE.
# Prints shell assignments for the next boot, or nothing when done.
set -uo pipefail
phase=$1 tap=$2
grep -aq '^KJUMP-DONE' "$tap" && exit 0
spec=$(grep -aoh 'kjump.resume=[^ ]*:[0-9]*' "$tap" "$5" | tail -n 1)
[ -n "$spec" ] || exit 0
. "$(dirname "$0")/targets.sh"
# B (boot 1, saving A at 70%) and D (boot 2, restoring it) start from
# kjumpctl as their initramfs's /init, not initramfs-tools' scripts.
if [ "$phase" = 1 ] || [ "$phase" = 2 ]; then
	job=B
	[ "$phase" = 2 ] && job=D
	boot=$(tr -d '\r' <"$5" | awk -v p="$phase" '/^==== kjump-boot/ { n++ } n == p')
	line=$(grep -a "^kjump: $job: kjump and [0-9]* drivers\? loaded" <<<"$boot" | tail -n 1)
	# B binds its drivers to the image disk's PCI devices, and finds it there.
	if [ -n "$line" ] && ! grep -aq "kjump: B: the image's disk did not come up" <<<"$boot"; then
		echo "ok - host: $job started from kjumpctl's /init (${line#kjump: $job: })" >>"$tap"
	else
		echo "not ok - host: $job did not start from kjumpctl's /init" >>"$tap"
	fi
fi
case $phase in
1|2)
	# Boot 3: A holds 30% now, and C must put it back itself, without D.
	echo "phase_append='$spec'" ;;
3)
	line=$(tr -d '\r' <"$5" | grep -a 'kjump: resume: A staged' | tail -n 1)
	if [ -n "$line" ] && ! tr -d '\r' <"$5" |
		awk '/kjump: resume: A staged/ { s = 1 } s && /jumping into D/ { d = 1 } END { exit !d }'; then
		echo "ok - host: C resumed A at 30% itself, without D (${line#*kjump: resume: })" >>"$tap"
	else
		echo "not ok - host: C did not resume A at 30% without D" >>"$tap"
	fi
	# From init-top, before udev and the initramfs's other drivers.
	if tr -d '\r' <"$5" | awk '/^==== kjump-boot/ { early = drv = 0 }
		/Begin: kjump: resuming from/ && !drv { early = 1 }
		/Begin: Loading essential drivers/ { drv = 1 } END { exit !early }'; then
		echo "ok - host: C's resume began at init-top, before udev" >>"$tap"
	else
		echo "not ok - host: C's resume did not begin at init-top" >>"$tap"
	fi
	# C with the other amd64 kernel (both are in the image).  The i386
	# image has one kernel: there C finds the image damaged instead (one
	# byte flipped in its first chunk, which C's checksum catches: the
	# 30% image fits beside C, so C checks it itself).
	if [ "$phase_kver" != "$K686" ]; then
		other=$K612
		[ "$phase_kver" = "$K612" ] && other=$K61
		echo "phase_append='$spec kjphase=C-booted-on' phase_kver='$other'"
		exit 0
	fi
	disk=$3 off=${spec##*:}
	header_size=$("$4/host/kjumpctl" image-info "$disk" "$off" |
		sed -n 's/^header_size=//p')
	at=$((off + header_size + 100))
	byte=$(od -An -t u1 -j "$at" -N 1 "$disk" | tr -d ' ')
	printf "$(printf '\\%03o' $(((byte ^ 0x5a) & 255)))" |
		dd of="$disk" bs=1 seek="$at" conv=notrunc 2>/dev/null
	echo "echo '# host: flipped the byte at $at, in the image'\''s first chunk' >&2"
	echo "phase_append='$spec kjphase=C-booted-on'" ;;
esac
