"""Every API error as JSON ``{"detail": ..., "errors": {...}}`` with a 4xx status.

This is the one place where a service's refusal becomes a status (geo.errors): a precondition
that is required is 428, one that fails is 412 (a version conflict also names the version
stored now, who saved it and when), a state conflict is 409 and any other ValidationError is
400. A PermissionDenied with a message keeps its message (403); a row a service looked up
by id and did not find is a 404.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from geo import errors as refusals


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


def refusal_body(exc: DjangoValidationError) -> dict:
    """``{"detail", "errors"}`` (and a conflict's members) for a service's refusal."""
    if isinstance(exc, refusals.PreconditionRequired | refusals.PreconditionFailed):
        body = {"detail": exc.messages[0], "errors": exc.errors()}
        if isinstance(exc, refusals.PreconditionFailed):
            body.update(exc.members())
        return body
    errors = django_validation_error_as_dict(exc)
    if isinstance(exc, refusals.StateConflict):
        return {"detail": " ".join(exc.messages), "errors": errors}
    return {"detail": _flatten(errors), "errors": errors}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        set_rollback()
        return Response(refusal_body(exc), status=refusals.http_status(exc))
    if isinstance(exc, Http404 | ObjectDoesNotExist):
        # ObjectDoesNotExist: a service locked a row by id that is not there.
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
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
