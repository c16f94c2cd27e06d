#!/usr/bin/env bash
# The project-local PostGIS cluster: data and Unix socket under var/ (no TCP port), run as the
# `postgres` system user when we are root, because initdb refuses root. When `postgres` cannot
# reach this checkout (e.g. under /root or a 0700 temp folder), the cluster lives in a folder
# `postgres` owns, keyed by this checkout's path, and we print where.
#   scripts/db.sh start | stop | status
# A streaming hot standby of it (the read replica of `make prod`), next to it under standby/:
#   scripts/db.sh standby-start | standby-stop | standby-status | standby-remove
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
sdata="$dir/standby/data"
ssock="$dir/standby/run"
slog="$dir/standby/server.log"
slot=portal_standby

case "$cmd" in
  stop)
    if [ -f "$data/postmaster.pid" ]; then as_pg "$pgbin/pg_ctl" -D "$data" -m fast -w stop >/dev/null \
      && echo "db: stopped the cluster in $data"; else echo "db: not running"; fi
    exit 0;;
  status)
    as_pg "$pgbin/pg_ctl" -D "$data" status; exit $?;;
  standby-stop)
    if [ -f "$sdata/postmaster.pid" ]; then as_pg "$pgbin/pg_ctl" -D "$sdata" -m fast -w stop \
      >/dev/null && echo "db: stopped the standby in $sdata"; else echo "db: standby not running"; fi
    exit 0;;
  standby-status)
    as_pg "$pgbin/pg_ctl" -D "$sdata" status; exit $?;;
  standby-remove)
    # The standby and its replication slot (a slot nobody reads keeps WAL on the primary).
    "$root/scripts/db.sh" standby-stop
    as_pg rm -rf "$dir/standby"
    rm -f var/database_replica_url
    if as_pg "$pgbin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
      as_pg "$(command -v psql || echo "$pgbin/psql")" -h "$sock" -U "$dbuser" -d postgres -X -qAt \
        -c "SELECT pg_drop_replication_slot('$slot') FROM pg_replication_slots
            WHERE slot_name = '$slot'" >/dev/null
    fi
    echo "db: removed the standby"; exit 0;;
  start|standby-start) ;;
  *) echo "usage: scripts/db.sh start|stop|status|standby-start|standby-stop|standby-status|standby-remove" >&2
     exit 2;;
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
[ "$cmd" = standby-start ] || exit 0

# The standby: a copy of the primary taken with pg_basebackup, replaying its WAL as it streams
# (hot standby: read-only queries while it replays). The slot keeps the WAL the standby has not
# received yet while it is stopped, up to max_slot_wal_keep_size.
if [ "$(q -d postgres -tAc "SHOW max_slot_wal_keep_size")" = "-1" ]; then
  q -d postgres -c "ALTER SYSTEM SET max_slot_wal_keep_size = '1GB'"
  q -d postgres -c "SELECT pg_reload_conf()" >/dev/null
fi
if [ ! -f "$sdata/PG_VERSION" ]; then
  echo "db: copying the primary into a streaming standby in $sdata"
  as_pg mkdir -p "$dir/standby"
  as_pg rm -rf "$sdata"
  if [ -z "$(q -d postgres -tAc "SELECT 1 FROM pg_replication_slots WHERE slot_name = '$slot'")" ]; then
    slotarg=(--slot="$slot" --create-slot)
  else
    slotarg=(--slot="$slot")
  fi
  # -R writes standby.signal and primary_conninfo; -X stream copies the WAL written meanwhile.
  as_pg "$pgbin/pg_basebackup" -h "$sock" -U "$dbuser" -D "$sdata" -R -X stream \
    --checkpoint=fast "${slotarg[@]}"
  cat <<CONF | as_pg tee -a "$sdata/postgresql.conf" >/dev/null
# --- the standby (scripts/db.sh standby-start): its own socket, read-only queries while replaying
unix_socket_directories = '$ssock'
hot_standby = on
# Tell the primary which rows standby queries still read, so vacuum does not cancel them.
hot_standby_feedback = on
CONF
fi
as_pg mkdir -p "$ssock"
if ! as_pg "$pgbin/pg_ctl" -D "$sdata" status >/dev/null 2>&1; then
  as_pg "$pgbin/pg_ctl" -D "$sdata" -l "$slog" -w -t 60 start >/dev/null || {
    tail -20 "$slog" >&2; echo "db: the standby did not start (log: $slog)" >&2; exit 1; }
fi
senc=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$ssock")
echo "postgis://$dbuser@$senc/portal" > var/database_replica_url
state=$(PGOPTIONS="-c client_min_messages=warning" as_pg "$psqlbin" -h "$ssock" -U "$dbuser" -X -qAt \
  -d portal -c "SELECT status FROM pg_stat_wal_receiver" 2>/dev/null || true)
echo "db: standby ready on socket $ssock (${state:-starting}; var/database_replica_url)"
