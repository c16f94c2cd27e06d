"""Anonymous reads of public data go to the read replica; everything else to the primary.

A request reads from the replica only when all of these hold (``replica_eligible``):

* it is a GET or HEAD of a public read path (``REPLICA_READ_PATHS``: the layers and their
  downloads, the market pages, the OGC API);
* it carries neither a session cookie nor an ``Authorization`` header (staff always read the
  primary, so what they just saved is what they see);
* it carries no valid read-your-writes cookie: every successful write sets one, signed and
  timestamped, for ``REPLICA_STICKY_SECONDS`` (an anonymous problem report, or a sign-out right
  after an edit, then reads the primary while the replica catches up);
* it is not the repeat of a request that failed on the database (``geo.db_errors``);
* the replica is up and within ``REPLICA_MAX_LAG_SECONDS`` (``geo.replica``).

Only the portal's own tables are read there (``REPLICA_APPS``); sessions, accounts, the cache
and the rate counts always use the primary, as does any read inside a transaction.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from functools import cache

from django.conf import settings
from django.core.signals import request_finished
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse

from geo import replica

STICKY_COOKIE = "portal_primary"
_STICKY_SALT = "geo.db_routing.sticky"
# The apps whose tables a public page or layer reads.
REPLICA_APPS = frozenset({"geo", "sites", "markets", "gis"})

_reading_replica: ContextVar[bool] = ContextVar("portal_reading_replica", default=False)


class PrimaryReplicaRouter:
    """Reads of REPLICA_APPS go to the replica inside an eligible request; all else: default."""

    def db_for_read(self, model, **hints) -> str | None:
        if not _reading_replica.get() or model._meta.app_label not in REPLICA_APPS:
            return None
        name = replica.alias()
        # Inside a transaction on the primary, read what that transaction sees.
        if name is None or connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return None
        return name

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db, app_label, **hints) -> bool | None:
        # The replica replays the primary's schema; nothing is migrated there.
        return None if db == DEFAULT_DB_ALIAS else False


def reading_replica() -> bool:
    """Whether this request's reads (of REPLICA_APPS) go to the replica."""
    return _reading_replica.get() and replica.alias() is not None


@cache
def _read_paths(patterns: tuple[str, ...]) -> re.Pattern:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


def _just_wrote(request: HttpRequest) -> bool:
    return (
        request.get_signed_cookie(
            STICKY_COOKIE, default=None, salt=_STICKY_SALT, max_age=settings.REPLICA_STICKY_SECONDS
        )
        is not None
    )


def replica_eligible(request: HttpRequest) -> bool:
    """The rules of the module docstring, cheapest first; the health check comes last."""
    if replica.alias() is None or request.method not in ("GET", "HEAD"):
        return False
    if getattr(request, "database_retry", False):
        return False
    if settings.SESSION_COOKIE_NAME in request.COOKIES or "Authorization" in request.headers:
        return False
    if not _read_paths(tuple(settings.REPLICA_READ_PATHS)).match(request.path_info):
        return False
    if STICKY_COOKIE in request.COOKIES and _just_wrote(request):
        return False
    return replica.usable()


def _reset(**kwargs) -> None:
    _reading_replica.set(False)


# A streamed download reads as the server iterates it, after the middleware has returned:
# the flag is cleared when the response is closed (request_finished), not before.
request_finished.connect(_reset, dispatch_uid="geo.db_routing.reset")


class ReplicaRoutingMiddleware:
    """Decides per request where reads go, and marks a writer's next reads for the primary."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        eligible = replica_eligible(request)
        _reading_replica.set(eligible)
        request.reads_from = replica.alias() if eligible else DEFAULT_DB_ALIAS
        response = self.get_response(request)
        if not response.streaming:
            _reading_replica.set(False)
        if (
            request.method not in ("GET", "HEAD", "OPTIONS", "TRACE")
            and response.status_code < 400
            and replica.alias() is not None
        ):
            response.set_signed_cookie(
                STICKY_COOKIE,
                "1",
                salt=_STICKY_SALT,
                max_age=settings.REPLICA_STICKY_SECONDS,
                httponly=True,
                samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response
