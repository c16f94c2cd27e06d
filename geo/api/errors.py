"""Every API error as JSON ``{"detail": ..., "errors": {...}}`` with a 4xx status."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def _flatten(detail) -> str:
    if isinstance(detail, dict):
        for value in detail.values():
            return _flatten(value)
        return ""
    if isinstance(detail, list | tuple):
        return _flatten(detail[0]) if detail else ""
    return str(detail)


def django_validation_error_as_dict(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for e in errs for m in e.messages] for field, errs in
                exc.error_dict.items()}
    return {"non_field_errors": [str(m) for m in exc.messages]}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        errors = django_validation_error_as_dict(exc)
        return Response({"detail": _flatten(errors), "errors": errors},
                        status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and set(data) <= {"detail", "errors", "code"} and "detail" in data:
        body = {"detail": str(data["detail"]), "errors": data.get("errors", {})}
        for key, value in data.items():
            if key not in body:
                body[key] = value
    elif isinstance(data, dict):
        body = {"detail": _flatten(data), "errors": data}
    else:
        body = {"detail": _flatten(data), "errors": {"non_field_errors": data}}
    response.data = body
    return response
