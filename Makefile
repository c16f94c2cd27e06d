# The two commands: `make run` (set up and serve) and `make test` (set up and test everything).
PORT ?= 8000
PY := .venv/bin/python
export DEBUG ?= 1
export PYTHONDONTWRITEBYTECODE := 1
# Production mode (DEBUG=0) without a SECRET_KEY: one made once into var/secret_key (mode 0600)
# and reused, for every step (migrate, collectstatic, gunicorn); see scripts/serve.sh.
ifeq ($(filter 1 true yes on True TRUE,$(DEBUG)),)
ifeq ($(SECRET_KEY),)
export SECRET_KEY := $(shell scripts/serve.sh --secret-key)
endif
endif

.PHONY: run dev prod prod-stop setup-prod test stop setup setup-test db migrate demo lint vendor vendor-check lock lock-upgrade bench
.PHONY: backup restore standby standby-stop

setup:
	@scripts/setup.sh

setup-test:
	@scripts/setup.sh --test

db:
	@scripts/db.sh start
	@$(PY) manage.py checkdb

migrate: db
	@$(PY) manage.py migrate --noinput -v 0

# The demo city, in DEBUG only: production keeps its own data (load_demo refuses without DEBUG).
demo: migrate
	@case "$$(printf %s "$$DEBUG" | tr '[:upper:]' '[:lower:]')" in \
	  1|true|yes|on) $(PY) manage.py load_demo;; \
	  *) echo "DEBUG is off: production mode, no demo data loaded";; esac

# gunicorn (conf/gunicorn.conf.py) in the foreground; hashed static files through WhiteNoise.
run: setup demo
	@echo "serving http://127.0.0.1:$(PORT)/  (Ctrl-C stops it; stop the database with: make stop)"
	@scripts/serve.sh 127.0.0.1:$(PORT)

# Django's development server, reloading on every code change; static files from the sources.
dev: setup demo
	@echo "serving http://127.0.0.1:$(PORT)/ with autoreload  (stop the database with: make stop)"
	@$(PY) manage.py runserver 127.0.0.1:$(PORT)

# The production topology on this machine: nginx on :8080 (PROD_PORT) -> gunicorn on a unix
# socket -> PostGIS primary + streaming standby; returns once it serves (scripts/prod.sh).
prod: setup-prod demo
	@scripts/prod.sh start

prod-stop:
	@scripts/prod.sh stop

setup-prod:
	@scripts/setup.sh --prod

test: setup-test db
	$(PY) manage.py check --fail-level WARNING
	$(PY) manage.py makemigrations --check --dry-run
	.venv/bin/ruff check .
	$(PY) -m pytest -q

stop:
	@scripts/db.sh stop

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .

vendor:
	@scripts/vendor.sh

# Re-fetch and re-verify every vendored package into a temporary folder; compare, write nothing.
vendor-check:
	@scripts/vendor.sh --check

# Re-pin requirements/*.txt with hashes after editing pyproject.toml: the one step that resolves
# versions against the package index (setup only downloads the exact files the lock names).
lock:
	@scripts/lock.sh

lock-upgrade:
	@scripts/lock.sh --upgrade

bench:
	$(PY) -m bench

# A pg_dump (custom format) and its manifest under var/backups/ (or DIR=…); README "Backups".
backup: db
	@$(PY) manage.py backup $(if $(DIR),--dir "$(DIR)")

# Restore FILE into an empty database (DB=…, created if missing; default the configured one, which
# must then be empty) and check row counts, history counts, zone area and sha256 against the manifest.
restore: db
	@test -n "$(FILE)" || { echo "usage: make restore FILE=var/backups/<name>.dump [DB=<empty database>]" >&2; exit 2; }
	@$(PY) manage.py restore "$(FILE)" $(if $(DB),--database-name "$(DB)")

# The local cluster's streaming hot standby (the read replica; make prod starts it too).
standby:
	@scripts/db.sh standby-start

standby-stop:
	@scripts/db.sh standby-stop
