"""Database failures a user can only wait out become 503 with ``Retry-After``, never a 500.

Three kinds, by SQLSTATE (PostgreSQL manual, appendix A) or, without one, by the driver's class:

* ``connection``: the server is gone, restarting or refusing sessions (no SQLSTATE from libpq,
  class 08, 57P01-57P03 admin/crash shutdown and "starting up", 25006 a write sent to a standby);
* ``conflict``: the transaction lost a race and was rolled back whole (40001 serialization
  failure, also a hot standby's "conflict with recovery"; 40P01 deadlock);
* ``resources``: the server is out of something (class 53: disk full, memory, connections;
  57014 a statement timeout).

An idempotent request is retried once, on fresh connections and on the primary: GET, HEAD and
OPTIONS after any of the three, PUT and DELETE after a ``conflict`` or ``connection`` failure
(RFC 9110 §9.2.2: repeating them has the effect of one; a zone PUT carries If-Match, so a
repeat of an edit that did commit gets 412, never a second change). POST and PATCH are never
repeated here: the 503 tells the client to. Every write runs in ``transaction.atomic``, so a
failed one has written nothing.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass

from django.core.signals import got_request_exception
from django.db import connections
from django.db.utils import DatabaseError, InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext_lazy

from geo import replica
from geo.error_pages import is_api_path

logger = logging.getLogger(__name__)

CONNECTION, CONFLICT, RESOURCES = "connection", "conflict", "resources"

UNAVAILABLE = gettext_lazy(
    "The database is briefly unavailable. Nothing was changed; please try again in a few seconds."
)
CONFLICTED = gettext_lazy(
    "Your request collided with another change at the same moment and was not applied. "
    "Please try again."
)
EXHAUSTED = gettext_lazy(
    "The database has run out of space or capacity. Nothing was changed; the administrators "
    "have been told. Please try again later."
)

# Seconds a client should wait: a restart takes a few seconds, a lost race none, a full disk
# needs a person.
RETRY_AFTER = {CONNECTION: 5, CONFLICT: 1, RESOURCES: 60}
MESSAGES = {CONNECTION: UNAVAILABLE, CONFLICT: CONFLICTED, RESOURCES: EXHAUSTED}

CONNECTION_STATES = {"57P01", "57P02", "57P03", "25006", "40003"}
CONFLICT_STATES = {"40001", "40P01"}
RESOURCE_STATES = {"57014", "55P03"}

RETRIED_ON = {
    "GET": {CONNECTION, CONFLICT, RESOURCES},
    "HEAD": {CONNECTION, CONFLICT, RESOURCES},
    "OPTIONS": {CONNECTION, CONFLICT, RESOURCES},
    "PUT": {CONNECTION, CONFLICT},
    "DELETE": {CONNECTION, CONFLICT},
}


@dataclass(frozen=True)
class Failure:
    kind: str
    sqlstate: str | None
    message: str


def classify(exc: BaseException) -> Failure | None:
    """The kind of a database failure worth a 503, or None for anything else (a bug: 500)."""
    if not isinstance(exc, DatabaseError):
        return None
    cause = exc.__cause__
    sqlstate = getattr(cause, "pgcode", None)
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if sqlstate is None:
        # libpq reports a refused, lost or closed connection without a SQLSTATE.
        if isinstance(exc, OperationalError | InterfaceError):
            return Failure(CONNECTION, None, text)
        return None
    if sqlstate.startswith("08") or sqlstate in CONNECTION_STATES:
        return Failure(CONNECTION, sqlstate, text)
    if sqlstate in CONFLICT_STATES:
        return Failure(CONFLICT, sqlstate, text)
    if sqlstate.startswith("53") or sqlstate in RESOURCE_STATES:
        return Failure(RESOURCES, sqlstate, text)
    return None


def unavailable(request: HttpRequest, failure: Failure) -> HttpResponse:
    """The 503: JSON ``{"detail", "errors"}`` for API clients, a page for browsers.

    Neither touches the database (the page is rendered without context processors).
    """
    detail = str(MESSAGES[failure.kind])
    wants_html = not is_api_path(request.path) and "text/html" in request.headers.get("Accept", "")
    if wants_html:
        body = loader.get_template("503.html").render({"detail": detail})
        response = HttpResponse(body, status=503)
    else:
        response = JsonResponse(
            {"detail": detail, "errors": {}, "code": f"database_{failure.kind}"},
            status=503,
            json_dumps_params={"ensure_ascii": False},
        )
    response["Retry-After"] = str(RETRY_AFTER[failure.kind])
    # A 503 is about this moment: no cache (nginx's micro-cache included) may keep it.
    response["Cache-Control"] = "no-store"
    return response


def _discard_broken_connections() -> None:
    """Close connections a failure left unusable, so the retry opens fresh ones."""
    for conn in connections.all(initialized_only=True):
        if conn.errors_occurred and not conn.in_atomic_block:
            conn.close_if_unusable_or_obsolete()


def _note_replica_failure() -> None:
    # The driver sets errors_occurred on the connection whose operation (or connect) failed.
    alias = replica.alias()
    if alias and connections[alias].errors_occurred:
        replica.mark_down(reason="a query on it failed")


def _remember(request: HttpRequest, exc: BaseException) -> Failure | None:
    failure = classify(exc)
    if failure is not None:
        request._database_failure = failure
    return failure


def on_request_exception(sender, request: HttpRequest | None = None, **kwargs) -> None:
    """``got_request_exception``: note a failure raised outside a view (a middleware's query,
    saving the session), which Django has already turned into a 500 response."""
    exc = sys.exc_info()[1]
    if request is not None and exc is not None:
        _remember(request, exc)


got_request_exception.connect(on_request_exception, dispatch_uid="geo.db_errors")


class DatabaseErrorMiddleware:
    """Maps database failures to 503 and retries idempotent requests once (see module doc).

    Sits outside the session, auth and routing middleware so that their queries are covered.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        retried_on = RETRIED_ON.get(request.method, set())
        if retried_on and request.method in {"PUT", "DELETE"}:
            # Read the body now: a repeat must parse it again, and a stream reads only once.
            request.body  # noqa: B018
        response = self.get_response(request)
        failure = request.__dict__.pop("_database_failure", None)
        if failure is None:
            return response
        self._log(request, failure, retrying=failure.kind in retried_on)
        _note_replica_failure()
        _discard_broken_connections()
        if failure.kind in retried_on:
            request.database_retry = True  # geo.db_routing reads from the primary
            response = self.get_response(request)
            failure = request.__dict__.pop("_database_failure", None)
            if failure is None:
                return response
            self._log(request, failure, retrying=False)
            _discard_broken_connections()
        return unavailable(request, failure)

    def process_exception(self, request: HttpRequest, exception: Exception):
        # A view's failure: answered here (no 500 logged); __call__ replaces the placeholder.
        if _remember(request, exception) is not None:
            return HttpResponse(status=503)
        return None

    @staticmethod
    def _log(request: HttpRequest, failure: Failure, *, retrying: bool) -> None:
        logger.warning(
            "database %s failure (%s) on %s %s: %s%s",
            failure.kind,
            failure.sqlstate or "-",
            request.method,
            request.path,
            failure.message,
            "; retrying once" if retrying else "",
        )
