"""Liveness and readiness for probes and load balancers: JSON, cheap, never cached or throttled.

``/healthz`` answers 200 whenever the process can answer at all; it touches nothing.
``/readyz`` answers 200 when the primary answers and every migration on disk is applied, 503
otherwise (a balancer then sends traffic elsewhere). It also reports the read replica: a replica
that is down or lagging is reported but does not make the portal unready, because reads fall
back to the primary. Plain Django views, so Django REST framework's throttles never see them.
"""

from __future__ import annotations

import time
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.loader import MigrationLoader
from django.db.utils import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_safe

from geo import replica


def _answer(body: dict, status: int = 200) -> JsonResponse:
    response = JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    # Probes want this moment's answer from this process, not a cache's.
    response["Cache-Control"] = "no-store"
    return response


@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    return _answer({"status": "ok"})


@cache
def _migrations_on_disk() -> frozenset[tuple[str, str]]:
    """Every migration of the installed apps, read from disk once per process (code does not
    change under a running process)."""
    return frozenset(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    started = time.perf_counter()
    body: dict = {"status": "ok"}
    try:
        with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
            cursor.execute("SELECT app, name FROM django_migrations")
            applied = set(cursor.fetchall())
    except DatabaseError as exc:
        # Reported, not raised: "unreachable" is this endpoint's answer, not its failure.
        connections[DEFAULT_DB_ALIAS].close()
        body["status"] = "unavailable"
        body["database"] = {"reachable": False, "error": _first_line(exc)}
    else:
        missing = sorted(f"{app}.{name}" for app, name in _migrations_on_disk() - applied)
        body["database"] = {"reachable": True}
        body["migrations"] = {"applied": not missing, "missing": missing}
        if missing:
            body["status"] = "unavailable"
    name = replica.alias()
    body["replica"] = (
        {"configured": True, **replica.state(name).as_dict()} if name else {"configured": False}
    )
    body["took_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return _answer(body, status=200 if body["status"] == "ok" else 503)
