#!/usr/bin/env bash
# Install what the portal needs on Debian 12: PostgreSQL 15 + PostGIS 3 from Debian's packages,
# (for tests) Debian's Chromium and gdal-bin, and a .venv with the project. Idempotent and fast
# when everything is already there.
#   scripts/setup.sh          # what `make run` needs
#   scripts/setup.sh --test   # plus what `make test` needs
set -euo pipefail
cd "$(dirname "$0")/.."

want=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
if [ -z "${DATABASE_URL:-}" ]; then
  for p in postgresql-15 postgresql-15-postgis-3; do have_pkg "$p" || want+=("$p"); done
fi
if [ "${1:-}" = "--test" ]; then
  # chromium: the browser tests' browser; libatomic1: the Node.js driver inside Playwright's
  # wheel links it (a minimal Debian lacks it); gdal-bin: ogrinfo reads our exports in tests.
  for p in chromium libatomic1 gdal-bin; do have_pkg "$p" || want+=("$p"); done
fi
# libpq-dev/gcc are not needed: psycopg2-binary ships its own libpq.

if [ ${#want[@]} -gt 0 ]; then
  line="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${want[*]}"
  if [ "$(id -u)" = 0 ]; then sudo=""; 
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo";
  else
    echo "setup: these Debian packages are missing: ${want[*]}" >&2
    echo "setup: run as root (or with sudo):  $line" >&2
    exit 1
  fi
  echo "setup: installing Debian packages: ${want[*]}"
  $sudo apt-get update -qq
  if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      "${want[@]}" >/tmp/portal-apt.log 2>&1; then
    tail -20 /tmp/portal-apt.log >&2
    echo "setup: apt-get failed; try by hand:  $line" >&2
    exit 1
  fi
fi

# The virtualenv, reinstalled only when pyproject.toml changes.
stamp=".venv/.installed-$( (cat pyproject.toml; echo "${1:-}") | sha1sum | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv || {
      echo "setup: python3 -m venv failed; install it:  apt-get install -y python3-venv" >&2; exit 1; }
  fi
  echo "setup: installing the project into .venv (a few minutes the first time)"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".[test]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi
