"""Refusals a service raises when a request is well formed but cannot be carried out now.

Each is a Django ``ValidationError``, so a form shows it like any other error, and each has a
type that the API maps to its HTTP status in one place (``geo.api.errors.exception_handler``):

- ``PreconditionRequired`` (428): a write must say which version it edits (If-Match).
- ``PreconditionFailed`` (412): the tag it sent matches no version of the object.
- ``VersionConflict`` (412): someone saved a newer version in between; it names them.
- ``StateConflict`` (409): the object's state does not allow the step (retire a retired zone,
  publish a changeset that was sent back, close an order that is not submitted).
- ``NotPermitted`` (403): this user may not take this step on this object, whatever its role
  allows elsewhere (the author of a changeset approving it).

Any other ``ValidationError`` is a 400.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone

IF_MATCH = "if_match"  # the field a precondition error is reported under


class StateConflict(ValidationError):
    """The object's current state does not allow the step (HTTP 409)."""


class NotPermitted(ValidationError):
    """This user may not take the step on this object (HTTP 403)."""


class PreconditionRequired(ValidationError):
    """The write must carry If-Match (HTTP 428)."""

    def __init__(self, detail: str, field_message: str):
        super().__init__(detail, code="precondition_required")
        self.field_message = field_message

    def errors(self) -> dict[str, list[str]]:
        return {IF_MATCH: [self.field_message]}


class PreconditionFailed(ValidationError):
    """The If-Match tag matches no version of the object (HTTP 412)."""

    def __init__(self, message: str, *, code: str = "precondition"):
        super().__init__(message, code=code)

    def errors(self) -> dict[str, list[str]]:
        return {IF_MATCH: list(self.messages)}

    def members(self) -> dict:
        """What the answer carries besides detail and errors."""
        return {}


class VersionConflict(PreconditionFailed):
    """The client edited an older version than the one stored (HTTP 412).

    It says which version is stored now, who saved it and when, so the client can tell its
    user whose change it would overwrite.
    """

    def __init__(
        self, message: str, *, current_version: int, updated_by: str | None,
        updated_at: dt.datetime | None,
    ):
        super().__init__(message, code="stale")
        self.current_version = current_version
        self.updated_by = updated_by
        self.updated_at = updated_at

    def members(self) -> dict:
        at = timezone.localtime(self.updated_at).isoformat() if self.updated_at else None
        return {
            "current_version": self.current_version,
            "updated_by": self.updated_by,
            "updated_at": at,
        }


def http_status(exc: ValidationError) -> int:
    """The HTTP status of a refusal: 428, 412, 409, 403, else 400 (pages and the API alike)."""
    if isinstance(exc, PreconditionRequired):
        return 428
    if isinstance(exc, PreconditionFailed):
        return 412
    if isinstance(exc, StateConflict):
        return 409
    if isinstance(exc, NotPermitted):
        return 403
    return 400
