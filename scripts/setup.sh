#!/usr/bin/env bash
# Install what the portal needs on Debian 12: the Debian packages named in
# scripts/debian-packages.txt (PostgreSQL 15 + PostGIS 3; for tests Chromium, gdal-bin, fonts),
# and a .venv with every Python package from requirements/lock.txt, hash-checked. Idempotent
# and fast when everything is already there.
#   scripts/setup.sh          # what `make run` needs
#   scripts/setup.sh --test   # plus what `make test` needs
#   scripts/setup.sh --prod   # plus what `make prod` needs (nginx)
set -euo pipefail
cd "$(dirname "$0")/.."

want=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
sections=(documents)
[ -n "${DATABASE_URL:-}" ] || sections+=(database)
[ -x .venv/bin/python ] || python3 -c 'import ensurepip' 2>/dev/null || sections+=(venv)
# --test: the suite runs nginx too (tests/geo/test_nginx.py); --prod: `make prod`'s nginx.
case "${1:-}" in --test) sections+=(test serve);; --prod) sections+=(serve);; esac
if [ ${#sections[@]} -gt 0 ]; then
  for p in $(scripts/debian-packages.sh "${sections[@]}"); do have_pkg "$p" || want+=("$p"); done
fi

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

# The virtualenv, reinstalled only when pyproject.toml or a lock file changes. Every package
# comes from requirements/{bootstrap,lock}.txt, hash-checked (`make lock` writes them); the project
# itself is installed editable without resolving anything, so nothing unpinned gets in.
stamp=".venv/.installed-$(cat pyproject.toml requirements/bootstrap.txt requirements/lock.txt |
  sha1sum | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv || {
      echo "setup: python3 -m venv failed; install:" \
        "apt-get install -y $(scripts/debian-packages.sh venv | xargs)" >&2; exit 1; }
  fi
  echo "setup: installing the locked packages into .venv (a few minutes the first time)"
  pip=(.venv/bin/python -m pip install -q --require-hashes --only-binary :all:)
  # pip and setuptools first, on their own: pip should not replace itself mid-install.
  "${pip[@]}" -r requirements/bootstrap.txt
  "${pip[@]}" -r requirements/lock.txt
  # (PYTHONWARNINGS: setuptools' banner on every editable build, about folders shadowing packages.)
  PYTHONWARNINGS=ignore .venv/bin/python -m pip install -q --no-deps --no-build-isolation -e .
  rm -f .venv/.installed-*
  touch "$stamp"
fi

# --test: the OGC API test suite (ogctests pins pytest < 9) in a venv of its own, hash-checked.
if [ "${1:-}" = "--test" ]; then
  ogc="var/ogctests"
  ogc_stamp="$ogc/.installed-$(sha1sum requirements/ogctests.txt | cut -c1-12)"
  if [ ! -f "$ogc_stamp" ]; then
    echo "setup: installing the OGC API test suite into $ogc"
    rm -rf "$ogc"
    python3 -m venv "$ogc"
    "$ogc/bin/python" -m pip install -q --require-hashes --only-binary :all: \
      -r requirements/ogctests.txt
    touch "$ogc_stamp"
  fi
fi
