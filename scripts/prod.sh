#!/usr/bin/env bash
# The production topology on this machine (README "Serving"): nginx on :8080 (PROD_PORT) in front
# of gunicorn on a unix socket, PostGIS primary plus its streaming standby (the read replica).
#   scripts/prod.sh start     # `make prod`: idempotent; a running gunicorn is reloaded (HUP)
#   scripts/prod.sh stop      # `make prod-stop`: nginx, gunicorn and the standby
#   scripts/prod.sh status
# nginx runs as an instance of its own, prefix var/nginx/ (config rendered from
# deploy/nginx.conf.template and checked with `nginx -t`), never the system's nginx service.
# Logs: var/log/gunicorn.log, var/nginx/access.log, var/nginx/error.log.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd -P)
cmd=${1:-start}
port=${PROD_PORT:-8080}
run="$root/var/run"
sock="$run/gunicorn.sock"
gpid="$run/gunicorn.pid"
ngx="$root/var/nginx"
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
nginx_cmd=("$nginx_bin" -p "$ngx" -c "$ngx/nginx.conf")

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop() {
  if alive "$ngx/nginx.pid"; then
    "${nginx_cmd[@]}" -s quit 2>/dev/null || kill -QUIT "$(cat "$ngx/nginx.pid")"
    for _ in $(seq 1 50); do alive "$ngx/nginx.pid" || break; sleep 0.1; done
    echo "prod: nginx stopped"
  fi
  if alive "$gpid"; then
    pid=$(cat "$gpid")
    kill -TERM "$pid"  # graceful: workers finish their requests (graceful_timeout)
    for _ in $(seq 1 350); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    echo "prod: gunicorn stopped"
  fi
  rm -f "$sock"
  scripts/db.sh standby-stop
}

case "$cmd" in
  start) ;;
  stop) stop; exit 0 ;;
  status)
    alive "$ngx/nginx.pid" && echo "prod: nginx $(cat "$ngx/nginx.pid") on :$port" || echo "prod: nginx stopped"
    alive "$gpid" && echo "prod: gunicorn $(cat "$gpid") on $sock" || echo "prod: gunicorn stopped"
    exit 0 ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac

[ -x "$nginx_bin" ] || { echo "prod: nginx is not installed: run scripts/setup.sh --prod" >&2; exit 1; }

# The read replica (scripts/db.sh owns it): gunicorn's anonymous public reads go there.
if [ -z "${DATABASE_URL:-}" ]; then
  scripts/db.sh standby-start
  if [ -s var/database_replica_url ] && [ -z "${DATABASE_REPLICA_URL:-}" ]; then
    DATABASE_REPLICA_URL=$(cat var/database_replica_url)
    export DATABASE_REPLICA_URL
  fi
fi

# gunicorn's socket sits in var/run, 0750: only its owner and nginx's workers' group get in,
# which is what makes TRUSTED_PROXIES=1 (believe whoever connects) safe here.
mkdir -p "$run" var/log
chmod 0750 "$run"
if [ "$(id -u)" = 0 ]; then chgrp nogroup "$run"; fi
export TRUSTED_PROXIES=${TRUSTED_PROXIES:-1}

if alive "$gpid"; then
  echo "prod: gunicorn $(cat "$gpid") already running: reloading it (HUP)"
  STATIC_MANIFEST=1 .venv/bin/python manage.py collectstatic --noinput -v 0
  kill -HUP "$(cat "$gpid")"
else
  rm -f "$sock"
  GUNICORN_PID_FILE=$gpid GUNICORN_UMASK=0 setsid scripts/serve.sh "unix:$sock" \
    >>var/log/gunicorn.log 2>&1 </dev/null &
  for _ in $(seq 1 600); do [ -S "$sock" ] && break; sleep 0.1; done
  [ -S "$sock" ] || { echo "prod: gunicorn did not start; last lines of var/log/gunicorn.log:" >&2;
                      tail -20 var/log/gunicorn.log >&2; exit 1; }
fi

"$root/.venv/bin/python" deploy/render_nginx.py --prefix "$ngx" --listen "127.0.0.1:$port" \
  --upstream "unix:$sock" --static-root "$root/var/static" \
  --trusted-proxies "$TRUSTED_PROXIES" >/dev/null
if ! out=$("${nginx_cmd[@]}" -t 2>&1); then
  echo "$out" >&2; echo "prod: nginx -t refused $ngx/nginx.conf" >&2; exit 1
fi
if alive "$ngx/nginx.pid"; then
  "${nginx_cmd[@]}" -s reload 2>/dev/null
else
  "${nginx_cmd[@]}"
fi
for _ in $(seq 1 100); do
  curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/healthz" 2>/dev/null && break; sleep 0.2
done
echo "prod: serving http://127.0.0.1:$port/  (nginx -> gunicorn $(cat "$gpid") on $sock); stop with: make prod-stop"
