#!/usr/bin/env bash
# Print the Debian packages of the named sections of scripts/debian-packages.txt, one a line.
#   scripts/debian-packages.sh test            # chromium, libatomic1, ...
#   scripts/debian-packages.sh database test
set -euo pipefail
[ $# -gt 0 ] || { echo "usage: $0 SECTION..." >&2; exit 2; }
list="$(dirname "$0")/debian-packages.txt"
for section in "$@"; do
  grep -q "^\[$section\]" "$list" || { echo "$0: no [$section] in $list" >&2; exit 2; }
done
awk -v wanted=" $* " '
  { sub(/#.*/, "") }
  /^\[[a-z]+\]/ { section = substr($1, 2, length($1) - 2); next }
  NF && index(wanted, " " section " ") { print $1 }
' "$list"
