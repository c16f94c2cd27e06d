"""Error pages that need a view: the CSRF failure page (settings.CSRF_FAILURE_VIEW), and
404/405/500 as JSON under the API prefixes (the portal's HTML pages everywhere else)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, JsonResponse
from django.template import loader
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from rest_framework import exceptions
from rest_framework.response import Response

# Paths whose clients read JSON: every error there has the API's {"detail", "errors"} shape.
API_PREFIXES = ("/api/", "/ogcapi/")

CSRF_FAILED = _("The form has expired. Please reload the page and try again.")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponseForbidden:
    """The portal's 403 page with a message a user can act on (Django's ``reason`` is for logs)."""
    template = loader.get_template("403.html")
    return HttpResponseForbidden(
        template.render({"exception": gettext(CSRF_FAILED), "csrf_failure": True}, request)
    )


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIXES) or path == "/ogcapi"


def api_error(detail: str, status: int) -> JsonResponse:
    """The API's error body; touches neither the database nor a template."""
    return JsonResponse({"detail": str(detail), "errors": {}}, status=status,
                        json_dumps_params={"ensure_ascii": False})


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: JSON under the API prefixes (an unknown URL too), the portal's 404.html else."""
    if is_api_path(request.path):
        return api_error(exceptions.NotFound.default_detail, 404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: JSON under the API prefixes, 500.html else; neither reads the database."""
    if is_api_path(request.path):
        return api_error(exceptions.APIException.default_detail, 500)
    return defaults.server_error(request)


class JsonApiErrorsMiddleware:
    """A 404 or 405 that a non-DRF view (or Django itself) answers in HTML under the API
    prefixes becomes the API's JSON error, keeping the status and the ``Allow`` header."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code in (404, 405)
            and is_api_path(request.path)
            and not response.get("Content-Type", "").startswith(
                ("application/json", "application/problem+json")
            )
            and not getattr(response, "streaming", False)
            and not isinstance(response, Response)  # DRF's own (browsable) error pages
        ):
            if response.status_code == 404:
                detail = exceptions.NotFound.default_detail
            else:
                detail = exceptions.MethodNotAllowed(request.method).detail
            replacement = api_error(detail, response.status_code)
            if response.has_header("Allow"):
                replacement["Allow"] = response["Allow"]
            return replacement
        return response
