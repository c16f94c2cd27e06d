#!/usr/bin/env bash
# The project-local PostGIS cluster: data and Unix socket under var/ (no TCP port), run as the
# `postgres` system user when we are root, because initdb refuses root. When `postgres` cannot
# reach this checkout (e.g. under /root or a 0700 temp folder), the cluster lives in a folder
# `postgres` owns, keyed by this checkout's path, and we print where.
#   scripts/db.sh start | stop | status
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd -P)
cmd=${1:-start}

if [ -n "${DATABASE_URL:-}" ]; then
  [ "$cmd" = start ] && echo "db: DATABASE_URL is set; using it, no local cluster"
  exit 0
fi

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pgbin/initdb" ] || { echo "db: PostgreSQL server not installed (run scripts/setup.sh)" >&2; exit 1; }

mkdir -p var
if [ "$(id -u)" = 0 ]; then
  # From /, so postgres never tries to enter a checkout it cannot reach.
  as_pg() { (cd / && runuser -u postgres -- "$@"); }
  dbuser=postgres
  dir="$root/var/pg"
  mkdir -p "$dir" && chown postgres:postgres "$dir"
  if ! as_pg test -w "$dir"; then
    dir="/var/lib/postgresql/portal/$(printf '%s' "$root" | sha1sum | cut -c1-12)"
    mkdir -p "$dir" && chown postgres:postgres "$(dirname "$dir")" "$dir"
    rmdir "$root/var/pg" 2>/dev/null || true
    [ "$cmd" = start ] && echo "db: postgres cannot reach $root; cluster kept in $dir"
  fi
else
  as_pg() { "$@"; }
  dbuser=$(id -un)
  dir="$root/var/pg"
  mkdir -p "$dir"
fi
data="$dir/data"
sock="$dir/run"
log="$dir/server.log"

case "$cmd" in
  stop)
    if [ -f "$data/postmaster.pid" ]; then as_pg "$pgbin/pg_ctl" -D "$data" -m fast -w stop >/dev/null \
      && echo "db: stopped the cluster in $data"; else echo "db: not running"; fi
    exit 0;;
  status)
    as_pg "$pgbin/pg_ctl" -D "$data" status; exit $?;;
  start) ;;
  *) echo "usage: scripts/db.sh start|stop|status" >&2; exit 2;;
esac

if [ ! -f "$data/PG_VERSION" ]; then
  echo "db: initialising a PostGIS cluster in $data"
  as_pg mkdir -p "$sock"
  as_pg "$pgbin/initdb" -D "$data" -U "$dbuser" --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
    >/dev/null
  # A development cluster: Unix socket only, and durability traded for speed (tests recreate it).
  cat <<CONF | as_pg tee -a "$data/postgresql.conf" >/dev/null
listen_addresses = ''
unix_socket_directories = '$sock'
fsync = off
synchronous_commit = off
full_page_writes = off
timezone = 'Asia/Shanghai'
CONF
fi
as_pg mkdir -p "$sock"
if ! as_pg "$pgbin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
  as_pg "$pgbin/pg_ctl" -D "$data" -l "$log" -w -t 60 start >/dev/null || {
    tail -20 "$log" >&2; echo "db: the cluster did not start (log: $log)" >&2; exit 1; }
fi
psqlbin=$(command -v psql || echo "$pgbin/psql")
q() { PGOPTIONS="-c client_min_messages=warning" as_pg "$psqlbin" -h "$sock" -U "$dbuser" -X -q -v ON_ERROR_STOP=1 "$@"; }
# PostGIS in template1, so the test database that pytest creates has it from the start.
q -d template1 -c "CREATE EXTENSION IF NOT EXISTS postgis" 2>/dev/null
if [ -z "$(q -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'portal'")" ]; then
  q -d postgres -c "CREATE DATABASE portal"
fi
q -d portal -c "CREATE EXTENSION IF NOT EXISTS postgis"
enc=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$sock")
echo "postgis://$dbuser@$enc/portal" > var/database_url
echo "db: PostGIS ready on socket $sock (database portal)"
