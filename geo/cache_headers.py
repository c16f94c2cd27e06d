"""Cache-Control and Vary on every answer: who may keep a copy, and for how long.

One rule for the whole portal, so that a shared cache (the nginx micro-cache of `make prod`, a
city's CDN, a phone's browser) can never hand one person's answer to another:

* a request that carries a session cookie or an ``Authorization`` header, or whose user is
  signed in (a token included), is answered ``private, no-store``: staff see more fields, their
  own forms and drafts;
* an answer that sets a cookie is not the same for everyone either: ``private, no-store``;
* an anonymous GET/HEAD of a public page or API listed in ``PUBLIC_PATHS`` whose answer is the
  same for everyone is ``public, max-age=…, stale-while-revalidate=…`` with
  ``Vary: Cookie, Accept-Language`` (labels are translated; a signed-in visitor's cookie must
  not match the anonymous copy);
* everything else keeps what its view said (downloads, health checks, never_cache pages), or
  nothing.

Market status (open now, next change) changes on the minute, so market answers may be kept 30 s
at most and carry ``evaluated_at``, the moment they were computed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers

from geo.db_routing import STICKY_COOKIE

PERSONAL = "private, no-store"
PUBLIC_VARY = ("Cookie", "Accept-Language")


@dataclass(frozen=True)
class Freshness:
    max_age: int  # seconds a copy may be served as fresh
    stale_while_revalidate: int  # seconds more a cache may serve it while it fetches a new one

    @property
    def header(self) -> str:
        return (
            f"public, max-age={self.max_age}, stale-while-revalidate={self.stale_while_revalidate}"
        )


MARKETS = Freshness(max_age=30, stale_while_revalidate=30)  # status changes on the minute
LAYERS = Freshness(max_age=60, stale_while_revalidate=60)  # projects change with monthly reports

# (path pattern, freshness) for anonymous GETs; the first match wins. A zone's or a project's
# history and the problem reports (a reporter's code) are never public copies.
PUBLIC_PATHS: list[tuple[re.Pattern[str], Freshness | None]] = [
    (re.compile(r"^/api/v1/[^?]*/(history|reports)/"), None),
    (re.compile(r"^/api/v1/reports/"), None),
    (re.compile(r"^/markets/(\d+/)?$"), MARKETS),
    (re.compile(r"^/api/v1/markets(/|\.|$)"), MARKETS),
    (re.compile(r"^/ogcapi/collections/markets(/|$)"), MARKETS),
    (re.compile(r"^/api/v1/(projects|livelihood)(/|\.|$)"), LAYERS),
    (re.compile(r"^/api/v1/stats/$"), LAYERS),
    (re.compile(r"^/ogcapi(/|$)"), LAYERS),
    (re.compile(r"^/$"), LAYERS),
]


def freshness_for(path: str) -> Freshness | None:
    """How long an anonymous answer at ``path`` may be kept by anyone; None: not public."""
    for pattern, freshness in PUBLIC_PATHS:
        if pattern.match(path):
            return freshness
    return None


def is_personal(request: HttpRequest) -> bool:
    """True when the answer may depend on who asks (a session, a token, a signed-in user)."""
    if settings.SESSION_COOKIE_NAME in request.COOKIES or "Authorization" in request.headers:
        return True
    if STICKY_COOKIE in request.COOKIES:  # a writer reading its own writes from the primary
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class CacheHeadersMiddleware:
    """Set Cache-Control (and Vary) on every answer by the rules above.

    Sits outside the session, CSRF and authentication middleware, so it sees every cookie the
    answer sets and the user a view (or DRF's token authentication) found.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        current = response.get("Cache-Control", "")
        if is_personal(request) or response.cookies:
            if "no-store" not in current:
                response["Cache-Control"] = PERSONAL
            return response
        if current or request.method not in ("GET", "HEAD"):
            return response
        if response.status_code not in (200, 304):
            return response
        freshness = freshness_for(request.path_info)
        if freshness is not None:
            response["Cache-Control"] = freshness.header
            patch_vary_headers(response, PUBLIC_VARY)
        return response
