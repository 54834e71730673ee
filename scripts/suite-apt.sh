#!/bin/bash
# suite-apt.sh SUITE apt-get|apt-cache ARGS...: run apt against another
# Debian release's package lists without touching the host's apt: a
# private state per suite in $KJUMP_CACHE/apt/SUITE, taking the URI of the
# host's own Debian 12 source (scripts/apt-mirror.sh), refreshed after 12 h.
#   suite-apt.sh trixie apt-cache depends linux-image-amd64
#   suite-apt.sh sid apt-get download linux-image-7.2.13+deb14-amd64
set -euo pipefail
suite=${1:?usage: $0 SUITE apt-get|apt-cache ARGS...}
tool=${2:?usage: $0 SUITE apt-get|apt-cache ARGS...}
shift 2
case $tool in apt-get|apt-cache) ;; *) echo "suite-apt: $tool is not apt-get or apt-cache" >&2; exit 2 ;; esac
CACHE=${KJUMP_CACHE:-/var/cache/kjump}
d=$CACHE/apt/$suite
opts=(-o "Dir::State::Lists=$d/lists" -o Dir::Etc::SourceList=/dev/null
      -o "Dir::Etc::SourceParts=$d/etc" -o "Dir::Cache=$d/cache"
      -o Dir::State::Status=/dev/null -o APT::Architectures::=amd64)
if [ ! -f "$d/.updated" ] || [ -n "$(find "$d/.updated" -mmin +720)" ]; then
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial" "$d/etc"
	"$(dirname "$0")/apt-mirror.sh" bookworm --sources "$suite" >"$d/etc/$suite.sources" ||
		{ echo "suite-apt: no Debian 12 source in the host's apt to take a mirror from" >&2; exit 1; }
	apt-get "${opts[@]}" update -q >"$d/update.log" 2>&1 && ! grep -q '^E: ' "$d/update.log" ||
		{ echo "suite-apt: apt-get update for $suite failed (see $d/update.log)" >&2; exit 1; }
	touch "$d/.updated"
fi
exec "$tool" "${opts[@]}" "$@"
