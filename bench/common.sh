# Sourced by each benchmark with its arguments: sets top, target (the
# first argument, default 6.1-amd64) and the target's variables, and has
# DKMS build kjump for that kernel.
set -uo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
target=${1:-6.1-amd64}
. "$top/selftests/qemu/targets.sh"
kj_target "$target" || exit 1
"$top/scripts/dkms.sh" build "$KVER" >/dev/null || exit 1
