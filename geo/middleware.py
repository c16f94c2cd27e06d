"""Refuse query strings PostgreSQL cannot store (NUL characters) with a clear 400."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _


class RejectNulMiddleware:
    """A NUL in a query parameter would reach psycopg2 as a ValueError (a 500); answer 400."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in v for v in values):
                message = _("Query parameters cannot contain NUL characters.")
                return JsonResponse(
                    {"detail": message, "errors": {name.replace("\x00", ""): [message]}},
                    status=400,
                )
        return self.get_response(request)
