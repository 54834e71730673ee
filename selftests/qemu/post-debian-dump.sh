#!/bin/bash
# After the Debian dump scenario, on the host: take the vmcore and the
# pattern list out of the guest's root disk and check them with the host's
# own tools, as a user would: Debian's makedumpfile --dump-dmesg must print
# A's log with the marker, and each pattern page must be in the file at its
# physical address; the same for the kdump-compressed dump and for the one
# written to the raw disk (disk3).  Args: TAP ROOTDISK BUILD.  Prints TAP lines.
tap=$1 disk=$2 build=$3
marker=$(sed -n 's/^# marker: //p' "$tap" | head -n 1)
# Debian's makedumpfile reads dumps of its own architecture: for an i386
# guest, the i386 one from the guest's base image, run in a chroot there.
root=
case $build in
*-686-pae) root=${KJUMP_CACHE:-/var/cache/kjump}/debian/i386/root ;;
esac
out=$(mktemp -d "$root/tmp/kjpost.XXXXXX")
trap 'rm -rf "$out"' EXIT
makedumpfile() { # args with paths under $out
	if [ -n "$root" ]; then
		chroot "$root" makedumpfile "${@//$out/${out#"$root"}}"
	else
		command makedumpfile "$@"
	fi
}
for f in live.vmcore pattern.list live.kdump live.plain; do
	debugfs -R "dump /var/tmp/$f $out/$f" "$disk" >/dev/null 2>&1
done
if [ -s "$out/live.vmcore" ]; then
	echo "ok - host: the vmcore comes out of the guest's root ext4 ($(stat -c %s "$out/live.vmcore") bytes, $(file -b "$out/live.vmcore" | cut -c1-40))"
else
	echo "not ok - host: no /var/tmp/live.vmcore on the guest's disk"
	exit 0
fi
if [ -n "$marker" ] && makedumpfile --dump-dmesg "$out/live.vmcore" "$out/dmesg.txt" >/dev/null 2>&1 &&
   grep -q "$marker" "$out/dmesg.txt"; then
	echo "ok - host: makedumpfile --dump-dmesg on it prints A's log with the marker"
else
	echo "not ok - host: makedumpfile --dump-dmesg on the vmcore did not show the marker '$marker'"
fi
if [ -x "$build/tests/kj_vmcore" ] && [ -s "$out/pattern.list" ]; then
	res=$("$build/tests/kj_vmcore" check "$out/pattern.list" "$out/live.vmcore" 2>&1 | tail -n 1)
	if echo "$res" | grep -q '^4096 ok 0 bad 0 missing'; then
		echo "ok - host: every pattern page read from the file at its physical address ($res)"
	else
		echo "not ok - host: pattern pages in the file: $res"
	fi
else
	echo "not ok - host: no pattern list or no kj_vmcore to check it"
fi
if [ -n "$root" ] && [ -s "$out/live.kdump" ] && file -b "$out/live.kdump" | grep -qi kdump; then
	echo "ok - host: # SKIP the kdump-compressed dump is there ($(file -b "$out/live.kdump" | cut -c1-40)); Debian's i386 makedumpfile cannot read PAE kdump files back"
elif [ -s "$out/live.kdump" ] && file -b "$out/live.kdump" | grep -qi kdump &&
   makedumpfile --dump-dmesg "$out/live.kdump" "$out/dmesg2.txt" >/dev/null 2>&1 &&
   grep -q "$marker" "$out/dmesg2.txt"; then
	echo "ok - host: the kdump-compressed dump ($(file -b "$out/live.kdump" | cut -c1-40)) gives A's log with the marker"
else
	echo "not ok - host: the kdump-compressed dump is missing or unreadable"
fi
# The raw disk: its first BYTES bytes, as A reported them.
bytes=$(sed -n 's/.*dump: \/dev\/[a-z0-9]*: .* written (\([0-9]*\) bytes.*/\1/p' "$tap" | head -n 1)
disk3=$(dirname "$disk")/disk3-${KJ_RUN:-debian-dump}.img
if [ -n "$bytes" ] && [ -f "$disk3" ] && head -c "$bytes" "$disk3" >"$out/dev.vmcore" &&
   makedumpfile --dump-dmesg "$out/dev.vmcore" "$out/dmesg3.txt" >/dev/null 2>&1 &&
   grep -q "$marker" "$out/dmesg3.txt"; then
	echo "ok - host: the dump on the raw disk ($bytes bytes) gives A's log with the marker"
else
	echo "not ok - host: no readable dump at the start of the raw disk (A said ${bytes:-nothing})"
fi

# crash and drgn, as a user opens a dump, on each format: the processes
# the guest named ("# named: PID NAME") in crash's ps, a stack for one
# (bt PID), the same processes in drgn's task walk, and the slab caches
# walked.  The debug vmlinux and Debian 13's crash come from
# scripts/debug-tools.sh: Debian 12's crash 8.0.2 cannot list the tasks of
# Debian 12's current kernels (struct pid's numbers[] became a flexible
# array; crash 8.0.4 knows), a kdump vmcore's alike.
here=$(cd "$(dirname "$0")" && pwd)
kver=$(sed -n 's/^# kjump Debian guest: .*, kernel \([^ ]*\) (.*/\1/p' "$tap" | head -n 1)
dbg=${KJUMP_CACHE:-/var/cache/kjump}/debug
vmlinux=$dbg/vmlinux-$kver
named=$(sed -n 's/^# named: \([0-9]*\) \([^ ]*\)$/\1:\2/p' "$tap" | tr '\n' ' ')
if [ -z "$kver" ] || [ ! -s "$vmlinux" ] || ! [ -x "$dbg/crash" ]; then
	echo "ok - host: # SKIP crash and drgn: no debug vmlinux for ${kver:-the guest kernel} (scripts/debug-tools.sh fetches the amd64 ones)"
	exit 0
fi
[ -n "$named" ] || echo "not ok - host: the guest named no processes for crash and drgn"
first=${named%% *}
crashv=$("$dbg/crash" --version 2>/dev/null | grep -m1 "^crash ")
for d in ELF:live.vmcore kdump-compressed:live.kdump --plain:live.plain; do
	what="the ${d%%:*} dump" f=$out/${d#*:}
	if [ ! -s "$f" ]; then
		echo "not ok - host: no ${d#*:} for crash and drgn"
		continue
	fi
	printf 'ps\nbt %s\nquit\n' "${first%%:*}" | timeout 300 "$dbg/crash" -s "$vmlinux" "$f" >"$out/crash.txt" 2>&1
	miss=
	for p in $named; do
		awk -v pid="${p%%:*}" -v comm="${p#*:}" '{ if ($1 == ">") { $1 = ""; $0 = $0 } }
			$1 == pid && $NF == comm { found = 1 } END { exit !found }' "$out/crash.txt" ||
			miss="$miss $p"
	done
	if [ -z "$miss" ] && [ -n "$named" ]; then
		echo "ok - host: $crashv on $what: ps lists the named processes ($named)"
	else
		echo "not ok - host: $crashv on $what: ps does not list$miss"
		grep -E 'WARNING|error|invalid' "$out/crash.txt" | head -n 5 | sed 's/^/    # /'
	fi
	if awk -v pid="${first%%:*}" -v comm="\"${first#*:}\"" '/^PID: / { in_bt = ($2 == pid && $NF == comm) }
		in_bt && /^ *#[0-9]+ / { n++ } in_bt && /schedule/ { s = 1 } END { exit !(n >= 2 && s) }' "$out/crash.txt"; then
		echo "ok - host: $crashv on $what: bt ${first%%:*} gives ${first#*:}'s stack ($(grep -cE '^ *#[0-9]+ ' "$out/crash.txt") frames)"
	else
		echo "not ok - host: $crashv on $what: bt ${first%%:*} gives no stack"
		sed -n '/^PID: /,$p' "$out/crash.txt" | head -n 8 | sed 's/^/    # /'
	fi
	timeout 300 /usr/bin/python3 "$here/drgn-check.py" "$what" "$vmlinux" "$f" $named 2>&1 |
		sed '/^\(not \)\{0,1\}ok /!s/^/    # /'
done
# What Debian 12's own crash reads of it (it opens the ELF dump: sys, log);
# its 8.0.2 predates 6.12, whose dumps it cannot open, kdump's alike.
if [ "${kver#6.1.}" = "$kver" ]; then
	echo "ok - host: # SKIP Debian 12's $(crash --version | grep -m1 "^crash ") on a $kver dump: it predates that kernel (Debian 13's crash is checked above)"
elif printf 'sys\nlog\nquit\n' | timeout 300 crash -s "$vmlinux" "$out/live.vmcore" >"$out/crash12.txt" 2>&1 &&
   grep -q "RELEASE: $kver" "$out/crash12.txt" && grep -q "$marker" "$out/crash12.txt"; then
	echo "ok - host: Debian 12's $(crash --version | grep -m1 "^crash ") opens the ELF dump (sys; log shows the marker)"
else
	echo "not ok - host: Debian 12's crash cannot open the ELF dump"
	grep -E 'crash:|WARNING|error' "$out/crash12.txt" | head -n 5 | sed 's/^/    # /'
fi
