#!/bin/bash
# apt-mirror.sh SUITE: the URI this machine's apt takes SUITE from (its
# deb822 sources in /etc/apt/sources.list.d/*.sources, else one-line
# sources.list entries), so that the guests and the unpacked tools use the
# host's own mirror and the tree names none.  Exits 1 if none serves it.
#   apt-mirror.sh SUITE --sources OTHER: a deb822 stanza for release OTHER
#   from that mirror (the roots and private apt states of other releases).
set -euo pipefail
suite=${1:?usage: $0 SUITE [--sources OTHER]}
if [ "${2:-}" = --sources ]; then
	uri=$("$0" "$suite")
	cat <<EOT
Types: deb
URIs: $uri
Suites: ${3:?usage: $0 SUITE --sources OTHER}
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOT
	exit 0
fi
{
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] && cat "$f" && echo
	done
	# One-line form, as deb822 stanzas.
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk '$1 == "deb" { i = 2; if ($2 ~ /^\[/) while ($i !~ /\]$/) i++; if ($2 ~ /^\[/) i++
			print "Types: deb"; print "URIs: " $i
			print "Suites: " $(i + 1); print "" }' || true
} | awk -v want="$suite" '
	/^[ \t]*$/ { if (deb && uri && ok && !found) { print uri; found = 1 } deb = uri = ok = 0; next }
	/^Types:/ { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
	/^URIs:/ { uri = $2 }
	/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == want) ok = 1 }
	/^Enabled: *no/ { deb = 0 }
	END { if (deb && uri && ok && !found) { print uri; found = 1 } exit !found }'
