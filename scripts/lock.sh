#!/usr/bin/env bash
# Pin every Python dependency with its hashes (the only step of the install that resolves
# versions against the index): pyproject.toml's runtime dependencies and every extra (`test`, ...)
# into requirements/lock.txt, pip and setuptools into requirements/bootstrap.txt. Resolved for
# CPython 3.11 on Linux x86_64 (this machine, CI and Debian 12) whatever machine runs it.
# Versions already in the lock are kept unless --upgrade is given, so adding a dependency moves
# nothing else.
#   scripts/lock.sh             # `make lock`: after editing pyproject.toml's dependencies
#   scripts/lock.sh --upgrade   # `make lock-upgrade`: newest versions pyproject.toml allows
set -euo pipefail
cd "$(dirname "$0")/.."
upgrade=()
[ "${1:-}" = "--upgrade" ] && upgrade=(--upgrade)

# uv, itself installed with hash checking into a throwaway venv under var/.
tools=var/lock-tools
stamp="$tools/.installed-$(sha1sum requirements/lock-tools.txt | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  rm -rf "$tools"
  python3 -m venv "$tools"
  "$tools/bin/python" -m pip install -q --require-hashes --only-binary :all: \
    -r requirements/lock-tools.txt
  touch "$stamp"
fi

compile() {  # compile OUTPUT INPUT... [uv options]
  local out=$1; shift
  "$tools/bin/uv" pip compile --quiet --generate-hashes --only-binary :all: \
    --python-version 3.11 --python-platform x86_64-unknown-linux-gnu \
    --custom-compile-command "make lock" ${upgrade[@]+"${upgrade[@]}"} -o "$out" "$@"
}
compile requirements/lock.txt pyproject.toml --all-extras
compile requirements/bootstrap.txt requirements/bootstrap.in
compile requirements/lock-tools.txt requirements/lock-tools.in
compile requirements/ogctests.txt requirements/ogctests.in
echo "lock: requirements/lock.txt ($(grep -c '^[a-z]' requirements/lock.txt) packages)," \
  "requirements/bootstrap.txt, requirements/lock-tools.txt, requirements/ogctests.txt"
