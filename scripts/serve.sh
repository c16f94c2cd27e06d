#!/usr/bin/env bash
# Serve the portal through gunicorn in the foreground (`make run`; `make prod` behind nginx):
# collect the static files into a hashed manifest (WhiteNoise serves them), then exec gunicorn
# with conf/gunicorn.conf.py, so Ctrl-C and SIGTERM reach it directly and HUP reloads it.
#   scripts/serve.sh [BIND]     # 127.0.0.1:8000 (default), or unix:/path/to.sock
# With DEBUG off (production) and no SECRET_KEY in the environment, one is generated once into
# var/secret_key (mode 0600; SECRET_KEY_FILE names another) and reused at every start.
set -euo pipefail
cd "$(dirname "$0")/.."
bind=${1:-127.0.0.1:8000}
py=.venv/bin/python

debug_on() { case "$(printf %s "${DEBUG:-0}" | tr '[:upper:]' '[:lower:]')" in 1|true|yes|on) return 0;; esac; return 1; }

# The production key: SECRET_KEY from the environment, else var/secret_key, made once.
secret_key() {
  local key_file=${SECRET_KEY_FILE:-var/secret_key}
  if [ ! -s "$key_file" ]; then
    mkdir -p "$(dirname "$key_file")"
    (umask 077 && python3 -c 'import secrets; print(secrets.token_urlsafe(50))' >"$key_file.new")
    mv "$key_file.new" "$key_file"
    echo "serve: generated a SECRET_KEY into $key_file (mode 0600); reused from now on" >&2
  fi
  chmod 600 "$key_file"
  cat "$key_file"
}

# `scripts/serve.sh --secret-key`: print it (the Makefile exports it for migrate and load_demo).
if [ "$bind" = "--secret-key" ]; then secret_key; exit 0; fi

if ! debug_on; then
  if [ -z "${SECRET_KEY:-}" ]; then
    SECRET_KEY=$(secret_key)
    export SECRET_KEY
  fi
  if [ -z "${ALLOWED_HOSTS:-}" ]; then
    # Nobody named the public host: this is production mode on this machine, over plain HTTP.
    # Name it (ALLOWED_HOSTS=map.example.gov.cn) and the HTTPS redirect and Secure cookies
    # stay on, as settings.py has them.
    export ALLOWED_HOSTS=127.0.0.1,localhost
    export SECURE_SSL_REDIRECT=${SECURE_SSL_REDIRECT:-0} SECURE_COOKIES=${SECURE_COOKIES:-0}
    echo "serve: production mode on this machine over plain HTTP (no HTTPS redirect, cookies not Secure)"
  fi
fi

# The demo serves what production serves: hashed names from the collected manifest.
export STATIC_MANIFEST=1
$py manage.py collectstatic --noinput -v 0
export GUNICORN_BIND=$bind
exec .venv/bin/gunicorn -c conf/gunicorn.conf.py geo.wsgi
