#!/bin/bash
# boot.sh TARGET: boot the test guest for TARGET under Bochs with the
# tigerlake CPU model, whose CET makes Indirect Branch Tracking real (QEMU's
# TCG has no CET), and run the bochs scenario (selftests/guest/scenario-bochs).
# Bochs has no virtio and no -kernel: the guest boots from an ISO
# (isolinux) with no disk and no NIC.  One CPU, 1 GiB.  Prints the TAP,
# then "TARGET/bochs: N passed, N failed, N skipped (Ns)" as qemu/boot.sh.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
. "$top/selftests/qemu/targets.sh"
. "$top/selftests/qemu/common.sh"
target=$1
scenario=bochs
kj_target "$target" || exit 2
[ "$KJ_ARCH" = x86_64 ] || { echo "$target: Bochs' CET needs a 64-bit kernel" >&2; exit 2; }
build=$top/build/$target
logs=$top/build/logs
mkdir -p "$build/tests" "$logs"
# Measured on an idle 2-core host: /init after about 65 s, the whole run
# about 3 minutes (B boots under the emulator too); the rest is for a
# host busy with other guests.
KJ_TIMEOUT=${KJ_TIMEOUT:-1500}
run=$scenario

# The same builds as qemu/boot.sh, taking turns with the target's others.
exec 8>"$build/.build.lock"
flock 8
set -e
kj_build_tools "$build"
initrd=$build/initramfs-$run.cpio.gz
"$top/selftests/qemu/mkinitramfs.sh" "$target" "$initrd" "${KJ_EXTRA_ROOT:-}"

# The ISO: isolinux loads the kernel and the initramfs, and says so on the
# serial port too, so that a guest that reset (a triple fault, panic=-1)
# shows as a second ISOLINUX banner on the console.
iso=$build/bochs-iso
rm -rf "$iso"
mkdir -p "$iso/isolinux"
cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$iso/isolinux/"
cp "$KROOT/boot/vmlinuz-$KVER" "$iso/vmlinuz"
cp "$initrd" "$iso/initrd.gz"
cat >"$iso/isolinux/isolinux.cfg" <<EOT
SERIAL 0 115200
DEFAULT kjump
PROMPT 0
TIMEOUT 0
LABEL kjump
  KERNEL /vmlinuz
  INITRD /initrd.gz
  APPEND console=ttyS0,115200 panic=-1 kjtest=$scenario ${KJ_APPEND:-}
EOT
xorriso -as mkisofs -quiet -R -J -o "$build/bochs.iso" \
	-b isolinux/isolinux.bin -c isolinux/boot.cat \
	-no-emul-boot -boot-load-size 4 -boot-info-table "$iso" >"$build/xorriso.log" 2>&1 ||
	{ cat "$build/xorriso.log" >&2; exit 1; }
rm -rf "$iso"
set +e
flock -u 8
exec 8>&-

tap=$logs/$target-$run.tap
console=$logs/$target-$run.console
blog=$logs/$target-$run.bochs.log
rm -f "$tap" "$console" "$blog"
# com1 is the console (ttyS0), com2 the result channel (ttyS1), as QEMU's
# two -serial files.  rfb with timeout=0 is headless: Debian's Bochs has no
# nogui.  A triple fault stops Bochs with the CPU state in its log instead
# of a reset.  The clock counts instructions (sync=none): the run goes as
# fast as the host allows, and the same on a loaded host.
rc_file=$build/bochs.rc
echo c >"$rc_file"	# the built-in debugger: continue at once
cat >"$build/bochsrc" <<EOT
megs: 1024
cpu: model=tigerlake, count=1, ips=50000000, reset_on_triple_fault=0
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
ata0-master: type=cdrom, path=$build/bochs.iso, status=inserted
boot: cdrom
display_library: rfb, options="timeout=0"
com1: enabled=1, mode=file, dev=$console
com2: enabled=1, mode=file, dev=$tap.raw
clock: sync=none, time0=local
log: $blog
panic: action=fatal
error: action=report
info: action=ignore
debug: action=ignore
EOT

# Bochs stops at the guest's power-off, but not at a reset (panic=-1)
# nor if the guest hangs: watch the result channel and the console, and
# stop it once the guest is done, or has rebooted, or the time is up.
# rfb listens for a viewer on every address: in a network namespace of
# its own (nothing but a downed loopback) none can reach it.
netns=()
unshare --net true 2>/dev/null && netns=(unshare --net)
start=$(date +%s)
"${netns[@]}" bochs -q -f "$build/bochsrc" -rc "$rc_file" </dev/null >"$blog.out" 2>&1 &
bpid=$!
t_init= why=
while kill -0 "$bpid" 2>/dev/null; do
	sleep 2
	now=$(date +%s)
	[ -z "$t_init" ] && grep -aq 'Run /init as init process' "$console" 2>/dev/null &&
		t_init=$((now - start))
	if grep -aq '^KJUMP-DONE' "$tap.raw" 2>/dev/null; then
		# Give it the time to power off by itself.
		sleep 5
		kill -0 "$bpid" 2>/dev/null && why="stopped after KJUMP-DONE"
		break
	fi
	if [ "$(grep -ao 'ISOLINUX [0-9]' "$console" 2>/dev/null | wc -l)" -gt 1 ]; then
		why="the guest reset"; break
	fi
	[ $((now - start)) -ge "$KJ_TIMEOUT" ] && { why="timeout"; break; }
done
kill "$bpid" 2>/dev/null
wait "$bpid"
rc=$?
secs=$(($(date +%s) - start))
# Bochs ends itself at the guest's power-off, as an ACPI "panic".
if [ -z "$why" ]; then
	why="bochs exited"
	grep -aq 'ACPI control: soft power off' "$blog" 2>/dev/null && why="powered off"
fi
tr -d '\r\000' <"$tap.raw" >"$tap" 2>/dev/null
rm -f "$tap.raw"
# A last line cut short (no newline) must not swallow the next.
[ -s "$tap" ] && [ -n "$(tail -c 1 "$tap")" ] && echo >>"$tap"
echo "# bochs: /init after ${t_init:-?}s, $why after ${secs}s" >>"$tap"

sed 's/^/    /' "$tap"
kj_tap_count "$tap"
if ! grep -aq '^KJUMP-DONE' "$tap"; then
	fail=$((fail + 1))
	echo "not ok - $target/$scenario: guest did not finish ($why, bochs exit $rc after ${secs}s); console: $console"
	tail -n 40 "$console" 2>/dev/null | sed 's/^/    # /'
	# A triple fault or an emulator panic: Bochs' own last words, with
	# the CPU state.
	grep -a -A 40 '>>PANIC<<' "$blog" 2>/dev/null | head -n 50 | sed 's/^/    # bochs: /'
elif [ "$fail" -gt 0 ]; then
	echo "# $target/$scenario: failures; console kept at $console"
fi
echo "$target/$run: $pass passed, $fail failed, $skip skipped (${secs}s)"
[ "$fail" -eq 0 ]
