"""Every write to a problem report: create (public), assign, handle, unfounded, purge.

Each step is validated, runs in a transaction on the row locked ``FOR UPDATE`` (two staff
pressing "handled" at once cannot both win), and leaves a history record naming the user, the
client address (geo.audit) and the reason. Errors are ``ValidationError`` with a code; the
views map them to 400, a missing role to 403.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, User
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from geo import errors as refusals
from geo.crs import to_metric
from geo.roles import URBAN_MANAGEMENT, has_role
from geo.validation import city_boundary
from markets.models import PUBLIC_STATUSES, MarketZone
from markets.reports.models import (
    CLOSED_STATES,
    MAX_PHONE_LENGTH,
    MAX_TEXT_LENGTH,
    Report,
    ReportCategory,
    ReportState,
    new_code,
)
from markets.reports.photos import clean_photo

NOT_PUBLIC_ZONE = gettext_noop("Reports can be made only on a market open to the public.")
UNKNOWN_CATEGORY = gettext_noop("Choose one of the categories.")
TEXT_TOO_LONG = gettext_noop("Write at most %(max)s characters (this text has %(n)s).")
TEXT_OR_PHOTO = gettext_noop("Describe the problem in words or add a photo.")
POINT_OUTSIDE_CITY = gettext_noop("The point on the map is outside the city.")
POINT_FAR_FROM_ZONE = gettext_noop(
    "The point on the map is %(distance)s m from %(zone)s; put it within %(max)s m of the market."
)
BAD_PHONE = gettext_noop("A phone number has digits only (a leading + and spaces or - allowed).")
NOT_TRIAGER = gettext_noop("Only urban-management staff triage reports.")
BAD_ASSIGNEE = gettext_noop("Reports are assigned to an active urban-management account.")
ALREADY_CLOSED = gettext_noop("This report is already closed (%(state)s); it cannot change.")
NOT_ASSIGNED = gettext_noop("Assign the report to someone before marking it handled.")
NOTE_REQUIRED = gettext_noop("Say why the report is unfounded.")
NOTE_TOO_LONG = gettext_noop("The note has at most 1000 characters.")

PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 \-]{4,18}[0-9]$")
NOTE_MAX_LENGTH = 1000


class ReportStateError(refusals.StateConflict):
    """The report's state forbids the step: it is closed, or not assigned yet (HTTP 409)."""


def _error(field: str, message: str, code: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


def distance_to_zone_m(point: Point, zone: MarketZone) -> float:
    """Metres from ``point`` to the nearest part of the zone (0 inside it), in EPSG:4542."""
    return to_metric(zone.boundary).distance(to_metric(point))


def _check_point(point: Point | None, zone: MarketZone) -> Point | None:
    if point is None:
        return None
    point.srid = 4326
    if not city_boundary().covers(point):
        raise _error("point", _(POINT_OUTSIDE_CITY), "outside_city")
    # A report belongs to the market it is made on: a point far away is a mistap or another
    # market's problem. Inside the zone the distance is 0; the limit is a setting, in metres.
    limit = settings.REPORT_MAX_DISTANCE_M
    distance = distance_to_zone_m(point, zone)
    if distance > limit:
        message = _(POINT_FAR_FROM_ZONE) % {
            "distance": math.ceil(distance),  # 300.2 m reads "301", not "300"
            "zone": zone.name,
            "max": f"{limit:g}",
        }
        raise _error("point", message, "far_from_zone")
    return point


def report_create(
    *,
    zone: MarketZone,
    category: str,
    text: str = "",
    point: Point | None = None,
    phone: str = "",
    photo: bytes | None = None,
    now: dt.datetime | None = None,
) -> Report:
    """A new report from the public: checked, photo re-encoded, a fresh ticket code."""
    errors: dict[str, list[ValidationError]] = {}

    def collect(check) -> object:
        try:
            return check()
        except ValidationError as exc:
            for name, items in exc.error_dict.items():
                errors.setdefault(name, []).extend(items)
            return None

    if zone.status not in PUBLIC_STATUSES:
        raise _error("zone", _(NOT_PUBLIC_ZONE), "not_public")
    if category not in ReportCategory.values:
        errors["category"] = [ValidationError(_(UNKNOWN_CATEGORY), code="invalid_choice")]
    text = (text or "").strip()
    if len(text) > MAX_TEXT_LENGTH:
        errors["text"] = [
            ValidationError(
                _(TEXT_TOO_LONG) % {"max": MAX_TEXT_LENGTH, "n": len(text)}, code="max_length"
            )
        ]
    phone = (phone or "").strip()
    if phone and (len(phone) > MAX_PHONE_LENGTH or not PHONE_PATTERN.fullmatch(phone)):
        errors["phone"] = [ValidationError(_(BAD_PHONE), code="invalid")]
    point = collect(lambda: _check_point(point, zone))
    jpeg = collect(lambda: clean_photo(photo)) if photo else None
    if not text and not photo and "text" not in errors:
        errors["text"] = [ValidationError(_(TEXT_OR_PHOTO), code="required")]
    if errors:
        raise ValidationError(errors)
    when = now or timezone.now()
    for _attempt in range(3):  # a code collision is ~1 in 2**50: retry, do not loop forever
        report = Report(
            code=new_code(),
            zone=zone,
            category=category,
            text=text,
            point=point,
            phone=phone,
            photo=jpeg,
            created_at=when,
        )
        report._change_reason = "reported"
        try:
            with transaction.atomic():
                report.save()
        except IntegrityError:
            continue
        return report
    raise RuntimeError("no free ticket code after 3 tries")  # the alphabet is broken


def _triager(user: AbstractBaseUser | None) -> None:
    if user is None or not has_role(user, URBAN_MANAGEMENT):
        raise PermissionDenied(_(NOT_TRIAGER))


def _locked_open(report: Report) -> Report:
    locked = Report.objects.select_for_update().get(pk=report.pk)
    if locked.state in CLOSED_STATES:
        raise ReportStateError(
            {"state": ValidationError(
                _(ALREADY_CLOSED) % {"state": locked.get_state_display()}, code="closed")}
        )
    return locked


def _clean_note(note: str, *, required: bool) -> str:
    note = (note or "").strip()
    if required and not note:
        raise _error("note", _(NOTE_REQUIRED), "required")
    if len(note) > NOTE_MAX_LENGTH:
        raise _error("note", _(NOTE_TOO_LONG), "max_length")
    return note


def _save(report: Report, *, user: AbstractBaseUser, reason: str) -> Report:
    report._change_reason = reason
    report._history_user = user
    report.save()
    return report


def report_assign(*, report: Report, assignee: User, user: AbstractBaseUser) -> Report:
    """new (or assigned) → assigned to ``assignee``, an urban-management account."""
    _triager(user)
    if not assignee.is_active or not has_role(assignee, URBAN_MANAGEMENT):
        raise _error("assignee", _(BAD_ASSIGNEE), "invalid")
    with transaction.atomic():
        locked = _locked_open(report)
        locked.state = ReportState.ASSIGNED
        locked.assignee = assignee
        locked.assigned_at = timezone.now()
        return _save(locked, user=user, reason=f"assigned to {assignee.get_username()}")


def report_handle(*, report: Report, user: AbstractBaseUser, note: str = "") -> Report:
    """assigned → handled, with an optional note of what was done."""
    _triager(user)
    text = _clean_note(note, required=False)
    with transaction.atomic():
        locked = _locked_open(report)
        if locked.state != ReportState.ASSIGNED:
            raise ReportStateError(
                {"state": ValidationError(_(NOT_ASSIGNED), code="not_assigned")}
            )
        locked.state = ReportState.HANDLED
        locked.note = text
        locked.closed_at = timezone.now()
        return _save(locked, user=user, reason="handled")


def report_mark_unfounded(*, report: Report, user: AbstractBaseUser, note: str) -> Report:
    """new or assigned → unfounded; the note (required) says why."""
    _triager(user)
    text = _clean_note(note, required=True)
    with transaction.atomic():
        locked = _locked_open(report)
        locked.state = ReportState.UNFOUNDED
        locked.note = text
        locked.closed_at = timezone.now()
        return _save(locked, user=user, reason="unfounded")


def purge_personal_data(*, now: dt.datetime | None = None) -> int:
    """Blank the phone of reports older than REPORT_PERSONAL_DATA_DAYS; how many were blanked.

    The phone is not in the history tables (excluded there), so blanking the row deletes it.
    """
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=settings.REPORT_PERSONAL_DATA_DAYS)
    with transaction.atomic():
        # update(): one statement, and no history record carries the phone either way.
        return (
            Report.objects.filter(created_at__lt=cutoff)
            .exclude(phone="")
            .update(phone="", personal_data_purged_at=now)
        )
