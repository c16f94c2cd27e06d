"""Brute-force protection on sign-in: django-axes with two independent limits.

Axes counts failed sign-ins in the database (``axes.models.AccessAttempt``, one row per
username, address and user agent), so every worker process sees the same counts and admins
see and lift locks in /admin/ by deleting the rows. Axes compares every lockout parameter
with ONE limit (``AXES_FAILURE_LIMIT``); the portal needs two:

- ``AXES_FAILURE_LIMIT`` (5) failures for one username, from any address;
- ``LOGIN_FAILURE_LIMIT_PER_ADDRESS`` (20) failures from one client address, over any usernames;

each within ``AXES_COOLOFF_TIME`` (15 minutes), after which further attempts are refused until
the newest counted failure is that old. ``PortalLockoutHandler.get_failures`` reports the
failures on the username limit's scale: an address at its own limit counts as a full
username limit, so axes' single comparison locks either way. (The admin's "locked out"
column and filter compare each row with the username limit only: to lift an address lock,
search the attempts by IP address and delete all its rows.)
"""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

LOCKOUT_TEMPLATE = "registration/locked_out.html"


def _total_failures(attempts: QuerySet[AccessAttempt]) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class PortalLockoutHandler(AxesDatabaseHandler):
    """Axes' database handler with a separate, larger limit per client address."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        """Recent failures on the username limit's scale (see the module docstring)."""
        recent = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))
        username = get_client_username(request, credentials)
        by_username = (
            _total_failures(recent.filter(username=username)) if username is not None else 0
        )
        by_address = _total_failures(recent.filter(ip_address=request.axes_ip_address or None))
        if by_address >= settings.LOGIN_FAILURE_LIMIT_PER_ADDRESS:
            return max(by_username, get_failure_limit(request, credentials))
        return by_username


class PortalLockoutBackend(AxesStandaloneBackend):
    """Axes' lockout check, first in AUTHENTICATION_BACKENDS; it authenticates nobody itself.

    A call without a request has no client to count or lock (the test client's ``login()``,
    a shell): it is passed on to the next backend instead of failing. Every sign-in form of
    the portal (its login page, the admin's) passes the request.
    """

    def authenticate(self, request: HttpRequest | None, *args, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, *args, **kwargs)


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict | None = None,
) -> HttpResponse:
    """The page a locked-out sign-in gets (``AXES_LOCKOUT_CALLABLE``): 429 with the wait."""
    cool_off = get_cool_off(request)
    minutes = int(cool_off.total_seconds() // 60) if cool_off else 0
    response = render(
        request,
        LOCKOUT_TEMPLATE,
        {"cooloff_minutes": minutes},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )
    # Every 429 says when to come back (RFC 6585 §4): the whole cool-off, as the page does, an
    # upper bound of what is left since the last failure.
    response["Retry-After"] = str(max(1, int(cool_off.total_seconds()))) if cool_off else "1"
    return response
