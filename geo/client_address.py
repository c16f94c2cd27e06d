"""The client's address, taken one way for every limit (login lockout and API throttles)."""

from __future__ import annotations

from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The address the request came from: the peer address (``REMOTE_ADDR``), "" if unknown.

    Headers such as X-Forwarded-For are not read: any client can send them. Trusted proxies
    belong here, so django-axes (``AXES_CLIENT_IP_CALLABLE``) and the API throttles
    (``geo.api.throttling``) keep counting the same address.
    """
    return request.META.get("REMOTE_ADDR", "") or ""
