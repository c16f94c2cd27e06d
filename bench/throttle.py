"""Benchmark the atomic API throttle: the throttled endpoint, the same without it, the bare upsert.

Run by hand (not part of ``make test``)::

    DEBUG=1 .venv/bin/python -m bench throttle
    DEBUG=1 .venv/bin/python -m bench.throttle [--requests 2000] [--clients 8] [--keep]
    REDIS_URL=unix:///path/redis.sock DEBUG=1 .venv/bin/python -m bench throttle  # + Redis

Creates its own database (``test_portal_bench_throttle``, migrated like a test database, never
the shared one), serves the portal from a one-thread WSGI server on 127.0.0.1 (loopback only) and
prints requests per second, side by side, of:

* ``GET /ogcapi/`` anonymous with the burst throttle counting (a rate high enough that nothing is
  refused, so every request pays the upsert);
* the same with the throttle off (rate ``None``: DRF skips it);
* ``PostgresCounter.hit`` alone in a loop (one statement a request), from one thread and from
  as many threads as clients; and the same against Redis when ``REDIS_URL`` is set.

Every loop is bounded by ``--requests``.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
import urllib.request
from collections.abc import Callable

BENCH_DB_NAME = "test_portal_bench_throttle"
URL_PATH = "/ogcapi/"


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo.settings")
    import django

    django.setup()


def _rate(label: str, count: int, seconds: float) -> None:
    print(f"  {label:<44} {count:>6} in {seconds:6.2f} s  {count / seconds:8.0f} /s", flush=True)


def _parallel(work: Callable[[int], None], total: int, clients: int) -> float:
    """Seconds for ``total`` calls of ``work`` spread over ``clients`` threads."""
    from django.db import connections

    def share(first: int) -> None:
        try:
            for i in range(first, total, clients):
                work(i)
        finally:
            connections.close_all()  # this thread's own connection, if it opened one

    threads = [threading.Thread(target=share, args=(n,)) for n in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def _serve():
    """The portal on a free loopback port, one request at a time; (server, base URL).

    Like one sync gunicorn worker: a single thread whose database connection persists
    (CONN_MAX_AGE), so the throttle's statement is not measured with a connection set-up each
    (Django's threaded test server opens one per request thread).
    """
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import WSGIRequestHandler, WSGIServer
    from django.db import connections

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 - the signature of the base class
            pass

    server = WSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    server.request_queue_size = 128
    server.set_app(WSGIHandler())

    def run() -> None:
        try:
            server.serve_forever()
        finally:
            connections.close_all()

    threading.Thread(target=run, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def _http(base: str, total: int, clients: int) -> float:
    def get(_: int) -> None:
        with urllib.request.urlopen(base + URL_PATH, timeout=30) as response:  # noqa: S310
            assert response.status == 200, response.status
            response.read()

    get(0)  # warm: URLconf, first connection
    return _parallel(get, total, clients)


def _with_burst_rate(rate: str | None):
    from django.conf import settings
    from django.test import override_settings

    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon_burst": rate}
    # override_settings sends setting_changed, which makes DRF reload api_settings.
    return override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK,
                                             "DEFAULT_THROTTLE_RATES": rates},
                             ALLOWED_HOSTS=["127.0.0.1"])


def _counter_loops(counter, label: str, total: int, clients: int) -> None:
    def hit(i: int) -> None:
        counter.hit(scope="bench", ident=f"10.0.{i % 250}.1", duration=60, now=time.time())

    started = time.perf_counter()
    for i in range(total):
        hit(i)
    _rate(f"{label}, 1 thread", total, time.perf_counter() - started)
    _rate(f"{label}, {clients} threads", total, _parallel(hit, total, clients))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.throttle")
    parser.add_argument("--requests", type=int, default=2000, help="per measurement")
    parser.add_argument("--clients", type=int, default=8, help="parallel HTTP clients")
    parser.add_argument("--keep", action="store_true", help="keep the bench database")
    # ``python -m bench`` calls main() with its own argv; then the defaults apply.
    args = parser.parse_args(argv or [])
    total, clients = max(1, min(args.requests, 100_000)), max(1, min(args.clients, 64))

    _setup_django()
    from django.conf import settings
    from django.db import connection

    from geo.api.rate_counter import PostgresCounter, RedisCounter
    from geo.models import RateCounter

    # Its own database, whatever TEST_DB_SUFFIX says: never a developer's test database.
    old_name = connection.settings_dict["NAME"]
    connection.settings_dict["TEST"]["NAME"] = BENCH_DB_NAME
    name = connection.creation.create_test_db(verbosity=0, keepdb=True, serialize=False)
    print(f"database: {name}; {total} requests per line, {clients} clients over HTTP")
    server, base = _serve()
    try:
        # Alternating rounds, so that load from elsewhere on the machine hits both alike.
        rounds, seconds = 4, {"on": 0.0, "off": 0.0}
        for _ in range(rounds):
            for key, rate in (("on", f"{10**9}/min"), ("off", None)):
                with _with_burst_rate(rate):
                    seconds[key] += _http(base, total // rounds, clients)
        _rate("HTTP GET /ogcapi/, throttled (counted)", total // rounds * rounds, seconds["on"])
        _rate("HTTP GET /ogcapi/, throttle off", total // rounds * rounds, seconds["off"])
        _counter_loops(PostgresCounter(), "SQL upsert (PostgresCounter.hit)", total, clients)
        if settings.REDIS_URL:
            _counter_loops(RedisCounter(settings.REDIS_URL), "Redis INCR+EXPIRE+GET", total,
                           clients)
        else:
            print("  (REDIS_URL unset: no Redis line)")
        print(f"  rows left in {RateCounter._meta.db_table}: {RateCounter.objects.count()}")
    finally:
        server.shutdown()
        server.server_close()
        if not args.keep:
            connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
