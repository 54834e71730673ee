#!/bin/bash
# What the host needs to open the tests' dumps as a user would, idempotently
# (scripts/setup.sh runs it; crash and python3-drgn come from apt there):
#  - each amd64 test kernel's debug vmlinux, the one file crash and drgn
#    need from Debian's linux-image-KVER-dbg (~1 GB each, fetched once):
#    $KJUMP_CACHE/debug/vmlinux-KVER;
#  - Debian 13's crash (8.0.4 and later): Debian 12's crash 8.0.2 cannot
#    list the tasks of Debian 12's own current kernels, kdump vmcores
#    included (6.1.192 and 6.12 have struct pid's numbers[] as a flexible
#    array, which crash learnt in 8.0.4); its packages unpacked, not
#    installed: $KJUMP_CACHE/debug/crash (a wrapper that runs it with its
#    own libraries).
set -euo pipefail
CACHE=${KJUMP_CACHE:-/var/cache/kjump}
# shellcheck disable=SC1091
. "$CACHE/kernels.env"
dir=$CACHE/debug
mkdir -p "$dir"
log() { echo "debug-tools: $*" >&2; }

# The debug vmlinux of exactly the kernel package the cache holds.
for k in "$K61" "$K612"; do
	deb=$(ls -t "$CACHE/deb/linux-image-${k}_"*.deb 2>/dev/null | head -1)
	[ -n "$deb" ] || { log "no linux-image-$k package in $CACHE/deb"; continue; }
	ver=$(dpkg-deb -f "$deb" Version)
	if [ -s "$dir/vmlinux-$k" ] && [ "$(cat "$dir/vmlinux-$k.version" 2>/dev/null)" = "$ver" ]; then
		continue
	fi
	log "linux-image-$k-dbg $ver: extracting vmlinux-$k"
	tmp=$(mktemp -d "$dir/tmp.XXXXXX")
	(cd "$tmp" && apt-get download -q "linux-image-$k-dbg=$ver" >/dev/null 2>&1) || {
		rm -rf "$tmp"; log "cannot download linux-image-$k-dbg=$ver; crash and drgn checks skip $k"; continue; }
	dpkg-deb --fsys-tarfile "$tmp"/linux-image-"$k"-dbg_*.deb |
		tar -x -C "$tmp" "./usr/lib/debug/boot/vmlinux-$k"
	mv "$tmp/usr/lib/debug/boot/vmlinux-$k" "$dir/vmlinux-$k"
	echo "$ver" >"$dir/vmlinux-$k.version"
	rm -rf "$tmp"
done

# Debian 13's crash, from the mirror this host's apt uses for Debian 12,
# through a private apt configuration (the host's own is left alone).
crash_ok() { "$dir/crash" --version 2>/dev/null | awk '/^crash [0-9]/ {split($2, v, "."); exit !(v[1] > 8 || (v[1] == 8 && (v[2] > 0 || v[3] >= 4)))}'; }
if ! crash_ok; then
	mirror=$("$(dirname "$0")/apt-mirror.sh" bookworm) ||
		{ log "no Debian 12 mirror in the host's apt sources"; exit 1; }
	apt=$dir/apt root=$dir/crash-root
	rm -rf "$apt" "$root"
	mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/debs" "$root"
	echo "deb $mirror trixie main" >"$apt/sources.list"
	opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
	      -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
	      -o Dir::State::status=/dev/null -o APT::Architectures::=amd64)
	log "Debian 13's crash from the host's Debian mirror"
	apt-get "${opts[@]}" update -q >"$apt/update.log" 2>&1
	pkgs=$(apt-cache "${opts[@]}" depends --recurse --no-recommends --no-suggests \
		--no-conflicts --no-breaks --no-replaces --no-enhances crash | grep -v '^[ <]' | sort -u)
	# shellcheck disable=SC2086
	(cd "$apt/debs" && apt-get "${opts[@]}" download -q $pkgs >"$apt/download.log" 2>&1)
	for d in "$apt"/debs/*.deb; do dpkg-deb -x "$d" "$root"; done
	cat >"$dir/crash" <<EOT
#!/bin/sh
# Debian 13's crash with its own libraries (scripts/debug-tools.sh).
r=$root
exec "\$r/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" \\
	--library-path "\$r/usr/lib/x86_64-linux-gnu:\$r/lib/x86_64-linux-gnu" "\$r/usr/bin/crash" "\$@"
EOT
	chmod 0755 "$dir/crash"
	rm -rf "$apt"
	crash_ok || { log "Debian 13's crash does not run here"; exit 1; }
fi
have=
for k in "$K61" "$K612"; do [ -s "$dir/vmlinux-$k" ] && have+=" $k"; done
log "ready: $("$dir/crash" --version | grep -m1 "^crash "); debug vmlinux for${have:- no kernel}"
