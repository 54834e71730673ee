# Helpers for the in-guest scenarios (sourced).
KJ_SCENARIO=$(sed -n 's/.*kjtest=\([^ ]*\).*/\1/p' /proc/cmdline)

# B's initramfs: this guest's own root, less A's copy of B's kernel.
kj_make_b_initrd() {
	(cd / && find . -xdev ! -path './boot*' ! -path './tmp/*' | cpio -o -H newc 2>/dev/null) >"$1"
}
