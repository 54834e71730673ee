#!/bin/bash
# The boots after the hibernate scenario's first: C on the same disks.
# Args: PHASE (the boot that just ended) TAP DISK2 BUILD CONSOLE.  Prints shell
# assignments for the next boot (phase_append, phase_mem, phase_disk2), or
# nothing when done.  Phase 1 was A hibernating; then C sees a damaged
# image (a zstd frame broken, its hash fixed), a truncated one (the disk cut in the middle of
# it), the intact image on a machine with more memory (another memory
# map), and finally the intact image on the same machine: A resumes, C
# staging its pages itself when they fit beside it, else through D.
set -uo pipefail
phase=$1 tap=$2 disk2=$3 build=$4 console=$5
grep -aq '^KJUMP-DONE' "$tap" && exit 0
spec=$(grep -aoh 'kjump.resume=[^ ]*:[0-9]*' "$tap" "$5" | head -n 1)
[ -n "$spec" ] || exit 0
off=${spec##*:}
# The header's sizes, also once the image is used (C resumed it).
info=$("$build/host/kjumpctl" image-info "$disk2" "$off")
header_size=$(echo "$info" | sed -n 's/^header_size=//p')
image_size=$(echo "$info" | sed -n 's/^image_size=//p')
[ -n "$image_size" ] && [ "$image_size" -gt "$header_size" ] || exit 0
case $phase in
1)
	# A compressed chunk whose zstd frame is broken but whose hash
	# matches: only decompressing finds it.
	bad=$build/disk2-hibernate-damaged.img
	cp --sparse=always "$disk2" "$bad"
	at=$("$build/host/image_test" break-frame "$bad" "$off")
	echo "echo '# host: broke the zstd frame of $at, hash fixed (image at $off, $image_size bytes)' >&2"
	# Through D (kjump.resume_via=d): D must find the damage before it marks
	# the image used.  The last boot resumes without D when A's pages fit
	# beside C.
	echo "phase_append='$spec kjump.resume_via=d kjexpect=refuse:did.not.resume' phase_disk2='$bad' phase_mem=1G"
	;;
2)
	# D found the damage, before writing a page; its reason is on the console.
	why=$(grep -ao 'kjump: not resuming: .*' "$console" | tail -n 1 | tr -d '\r')
	if echo "$why" | grep -q 'damaged'; then
		echo "ok - host: D refused the damaged image ($why)" >>"$tap"
	else
		echo "not ok - host: D did not report the damaged image (${why:-nothing})" >>"$tap"
	fi
	cut=$build/disk2-hibernate-truncated.img
	cp --sparse=always "$disk2" "$cut"
	truncate -s $(((off + image_size / 2) / 512 * 512)) "$cut"
	echo "phase_append='$spec kjexpect=refuse:truncated' phase_disk2='$cut' phase_mem=1G"
	;;
3)
	echo "phase_append='$spec kjexpect=refuse:another' phase_disk2='$disk2' phase_mem=1100M"
	;;
4)
	rm -f "$build"/disk2-hibernate-*.img
	echo "phase_append='$spec kjexpect=resume' phase_disk2='$disk2' phase_mem=1G"
	;;
esac
