# Sourced by the guest launchers (qemu/boot.sh, bochs/boot.sh): what they
# build and how they count a guest's TAP, in one place.

# kj_build_tools BUILD: kjumpctl (static), the kexec-tools shim (x86_64)
# and the in-guest tests, for the target kj_target set; and BUILD/host/
# kjumpctl, the host's own, through which next- and post- scripts read
# images (image-info: an x86_64 build reading the i386 target's images),
# and BUILD/host/image_test, which damages them (selftests/host/).
kj_build_tools() {
	make -s -C "$top/userspace" O="$1" ARCH_CFLAGS="$ARCH_CFLAGS" STATIC=1 "$1/kjumpctl" >&2
	mkdir -p "$1/host"
	make -s -C "$top/userspace" O="$1/host" "$1/host/kjumpctl" >&2
	gcc -std=c11 -Wall -Wextra -Werror -D_FILE_OFFSET_BITS=64 -O2 -I"$top/include/uapi" \
		-I"$top/userspace" -o "$1/host/image_test" "$top/selftests/host/image_test.c" \
		"$top/userspace/image/format.c" "$top/userspace/image/io.c" -lzstd -lxxhash >&2
	if [ "$KJ_ARCH" = x86_64 ]; then
		make -s -C "$top/userspace" O="$1" "$1/libkjump-kexec.so" >&2
	fi
	make -s -C "$top/selftests" O="$1/tests" ARCH_CFLAGS="$ARCH_CFLAGS" >&2
}

# kj_tap_count TAP: pass, skip and fail of its lines.
kj_tap_count() {
	pass=$(grep -aE '^ok ' "$1" | grep -avc '# SKIP')
	skip=$(grep -aE '^ok ' "$1" | grep -ac '# SKIP')
	fail=$(grep -acE '^not ok ' "$1")
}
