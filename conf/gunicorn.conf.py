"""gunicorn's settings for `make run` and `make prod` (scripts/serve.sh); README "Serving".

Read at start and again on SIGHUP: ``kill -HUP <master>`` re-reads this file, starts new workers
with freshly imported code, and lets the old ones finish their requests (graceful reload; no
``preload_app``, so the new workers import the new code). SIGTERM stops gracefully, SIGINT
(Ctrl-C) at once.
"""

from __future__ import annotations

import multiprocessing
import os

# A TCP address (`make run`: 127.0.0.1:8000) or unix:/path.sock (`make prod`, behind nginx).
bind = [os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")]
# gunicorn's rule of thumb: 2 x cores + 1 sync workers (5 on this 2-core machine). Every page and
# API answer is short and database-bound; nginx buffers slow clients, so sync workers suffice.
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * multiprocessing.cpu_count() + 1)
worker_class = "sync"
# A request longer than this is killed and logged; the largest download takes ~2 s here.
timeout = 60
graceful_timeout = 30
keepalive = 2
# The mode of the unix socket nginx connects to: owner and group only, unless the folder it is
# in is what keeps others out (scripts/prod.sh: var/run, 0750, nginx's workers' group).
umask = int(os.environ.get("GUNICORN_UMASK", "0o007"), 8)
pidfile = os.environ.get("GUNICORN_PID_FILE") or None
# Access lines are nginx's job behind it; set GUNICORN_ACCESS_LOG=- to see them here.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "portal"
# Proxy headers are read by the portal itself (geo/client_address.py, TRUSTED_PROXIES), not by
# gunicorn: it must not rewrite REMOTE_ADDR or the scheme from headers on its own.
forwarded_allow_ips = ""
# gunicorn 23+'s control socket would sit in ~/.gunicorn, shared by every instance of the user
# (tests and `make prod` run several): signals do its job here.
control_socket_disable = True


def post_fork(server, worker):
    """Each worker writes an answer's headers with its first body bytes (geo/one_write.py): a
    worker killed mid-answer then leaves nothing half-sent, and nginx repeats the GET elsewhere."""
    from geo.one_write import install

    install()
