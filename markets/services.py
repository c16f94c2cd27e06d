"""Writes to market zones: create, reshape, edit rules, retire, restore — validated and audited.

Every write runs in one transaction, locks the zone row (select_for_update), checks the version
the client last saw, validates the boundary (geo.validation) and the overlap with other zones,
increments ``version``, sets ``updated_by`` and leaves a history row carrying the reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from geo import errors as refusals
from geo.crs import area_m2
from geo.roles import MARKET_SUPERVISION, URBAN_MANAGEMENT, has_role
from geo.validation import check_polygon
from markets import schedule, selectors
from markets.models import (
    OCCUPYING_STATUSES,
    CalendarException,
    Closure,
    DayKind,
    MarketZone,
    ZoneStatus,
)

# Rule fields staff edit together with the boundary (hours and goods have their own services).
EDITABLE_FIELDS = (
    "name", "kind", "status", "address", "contact", "capacity", "district", "department",
    "status_reason", "notes", "vehicle_rules",
)
# What "restore this version" copies back from a history row, besides the boundary.
RESTORED_FIELDS = (
    "name", "kind", "status", "address", "contact", "capacity", "district_id", "department_id",
    "status_reason", "notes", "vehicle_rules", "opening_hours", "permitted_goods",
    "prohibited_goods", "duties",
)
REASON_MAX_LENGTH = 100  # simple_history's history_change_reason column
OVERLAP_LOCK_KEY = 0x6D61726B6574  # "market": pg_advisory_xact_lock key for overlap checks

REASON_REQUIRED = gettext_lazy(
    "Say why you are making this change (it is kept in the zone's history)."
)
REASON_TOO_LONG = gettext_lazy("Keep the reason to %(max)d characters or fewer.")
STALE_VERSION = gettext_lazy(
    "This zone was changed by someone else (now version %(current)d, you edited version "
    "%(expected)d). Reload it and apply your change again."
)
OVERLAP = gettext_lazy(
    "The boundary overlaps zone “%(name)s” (id %(id)d) by %(area).1f m²; at most %(max)g m² "
    "is allowed. Move the shared edge or snap to that zone's boundary."
)
CAPACITY_DENSE = gettext_lazy(
    "%(capacity)d stalls on %(area).0f m² leave %(per).1f m² per stall, less than the "
    "recommended %(min)g m²."
)
DEPARTMENT_REQUIRED = gettext_lazy("Choose the managing department.")
NOT_RETIRED = gettext_lazy("This zone is not retired; there is nothing to restore.")
ALREADY_RETIRED = gettext_lazy("This zone is already retired.")
USE_RETIRE = gettext_lazy("To retire a zone, delete it (it can be restored later).")


# The version(s) a writer edited: one, several (an If-Match list), or None to check none.
Expected = int | Sequence[int] | None


@dataclass
class ZoneWriteResult:
    """The saved zone and any warnings the user should see (saved anyway)."""

    zone: MarketZone
    warnings: list[str] = field(default_factory=list)


class VersionConflict(refusals.VersionConflict):
    """The client edited an older version of the zone than the one stored (HTTP 412)."""

    def __init__(self, zone: MarketZone, expected: int):
        super().__init__(
            STALE_VERSION % {"current": zone.version, "expected": expected},
            current_version=zone.version,
            updated_by=zone.updated_by.get_username() if zone.updated_by else None,
            updated_at=zone.updated_at,
        )


class ZoneStateError(refusals.StateConflict):
    """The zone's state does not allow the step: retire a retired zone, restore a live one."""

    def __init__(self, message: str, code: str):
        super().__init__({"status": ValidationError(message, code=code)})


def _check_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ValidationError(REASON_REQUIRED, code="required")})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": ValidationError(
            REASON_TOO_LONG % {"max": REASON_MAX_LENGTH}, code="max_length")})
    return reason


def _lock(zone: MarketZone, expected_version: Expected) -> MarketZone:
    """The zone's row, locked for this transaction, if it is still the version expected.

    ``zone`` may be an unsaved ``MarketZone(pk=...)``: a writer need not read the row before
    this (a missing zone raises MarketZone.DoesNotExist, the API's 404). ``expected_version``
    is one version or several (an If-Match list matches when any of its tags does); None
    checks none.
    """
    locked = (
        MarketZone.objects.select_for_update(of=("self",)).select_related("updated_by")
        .get(pk=zone.pk)
    )
    if expected_version is None:
        return locked
    versions = (expected_version,) if isinstance(expected_version, int) else expected_version
    if locked.version not in versions:
        raise VersionConflict(locked, versions[0])
    return locked


def _checked_boundary(boundary: GEOSGeometry) -> GEOSGeometry:
    try:
        return check_polygon(boundary)
    except ValidationError as exc:
        raise ValidationError({"boundary": exc.error_list}) from None


def _check_overlap(zone: MarketZone) -> None:
    if zone.status not in OCCUPYING_STATUSES:
        return
    # Two concurrent writes could each pass the check against the other's old boundary; one
    # transaction-scoped advisory lock serialises the checks (held until commit/rollback).
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [OVERLAP_LOCK_KEY])
    overlaps = selectors.zones_overlapping(zone.boundary, exclude_pk=zone.pk)
    if overlaps:
        raise ValidationError({"boundary": [
            ValidationError(
                OVERLAP % {"name": other.name, "id": other.pk, "area": m2,
                              "max": settings.MARKET_MAX_OVERLAP_M2},
                code="overlap",
            )
            for other, m2 in overlaps
        ]})


def capacity_warnings(zone: MarketZone) -> list[str]:
    """A warning when the stall capacity is denser than MARKET_MIN_M2_PER_STALL (m², EPSG:4542)."""
    if not zone.capacity:
        return []
    area = area_m2(zone.boundary)
    per_stall = area / zone.capacity
    if per_stall >= settings.MARKET_MIN_M2_PER_STALL:
        return []
    return [CAPACITY_DENSE % {"capacity": zone.capacity, "area": area, "per": per_stall,
                                 "min": settings.MARKET_MIN_M2_PER_STALL}]


def _save(
    zone: MarketZone, *, user: AbstractBaseUser | None, reason: str, check_overlap: bool,
    bump: bool = True,
) -> ZoneWriteResult:
    zone.full_clean()
    if check_overlap:
        _check_overlap(zone)
    if bump:
        zone.version += 1
    zone.updated_by = user if user is not None and user.is_authenticated else None
    zone._change_reason = reason
    zone._history_user = zone.updated_by
    zone.save()
    return ZoneWriteResult(zone=zone, warnings=capacity_warnings(zone))


def _apply_fields(zone: MarketZone, fields: Mapping[str, object]) -> None:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(
            {name: ValidationError(_("This field cannot be edited here."), code="read_only")
             for name in sorted(unknown)}
        )
    for name, value in fields.items():
        setattr(zone, name, value)


def zone_create(
    *, boundary: GEOSGeometry, fields: Mapping[str, object], user: AbstractBaseUser | None,
    reason: str = "", rules: Mapping[str, object] | None = None,
) -> ZoneWriteResult:
    """Create a zone (version 1) after validating its boundary, fields and overlap.

    ``rules`` (opening_hours, goods, duties) are cleaned as zone_update_rules cleans them, so
    a zone made in the admin with its rules is one history row. Every error of the boundary,
    the department and the rules is reported at once.
    """
    reason = (reason or "").strip() or _("Created")
    reason = _check_reason(reason)
    if fields.get("status") == ZoneStatus.RETIRED:
        raise ValidationError({"status": ValidationError(_("A new zone cannot be retired."),
                                                         code="invalid")})
    cleaned_rules: dict[str, object] = {}
    errors: dict[str, list[ValidationError]] = {}
    for name, value in (rules or {}).items():
        if name not in ("opening_hours", "permitted_goods", "prohibited_goods", "duties"):
            errors.setdefault(name, []).append(
                ValidationError(_("This field cannot be edited here."), code="read_only"))
            continue
        try:
            cleaned_rules[name] = _clean_rule_value(name, value)
        except ValidationError as exc:
            for key, errs in exc.error_dict.items():
                errors.setdefault(key, []).extend(errs)
    checked = None
    try:
        checked = _checked_boundary(boundary)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if not fields.get("department"):
        errors.setdefault("department", []).append(
            ValidationError(DEPARTMENT_REQUIRED, code="required"))
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        zone = MarketZone(boundary=checked)
        _apply_fields(zone, fields)
        for name, value in cleaned_rules.items():
            setattr(zone, name, value)
        return _save(zone, user=user, reason=reason, check_overlap=True, bump=False)


def zone_update(
    *, zone: MarketZone, expected_version: Expected, user: AbstractBaseUser | None,
    reason: str, boundary: GEOSGeometry | None = None,
    fields: Mapping[str, object] | None = None,
) -> ZoneWriteResult:
    """Change the boundary and/or rule fields of ``zone`` if it is still ``expected_version``."""
    fields = dict(fields or {})
    if fields.get("status") == ZoneStatus.RETIRED:
        raise ValidationError({"status": ValidationError(USE_RETIRE, code="invalid")})
    with transaction.atomic():
        locked = _lock(zone, expected_version)  # a missing zone first: 404
        reason = _check_reason(reason)
        if locked.status == ZoneStatus.RETIRED and "status" in fields:
            raise ValidationError({"status": ValidationError(
                _("Restore the zone before changing its status."), code="retired")})
        was_occupying = locked.status in OCCUPYING_STATUSES
        if boundary is not None:
            locked.boundary = _checked_boundary(boundary)
        _apply_fields(locked, fields)
        check = boundary is not None or (
            not was_occupying and locked.status in OCCUPYING_STATUSES
        )
        return _save(locked, user=user, reason=reason, check_overlap=check)


def zone_retire(
    *, zone: MarketZone, expected_version: Expected, user: AbstractBaseUser | None,
    reason: str,
) -> ZoneWriteResult:
    """Retire (soft-delete) ``zone``: hidden from the public, kept with its history."""
    with transaction.atomic():
        locked = _lock(zone, expected_version)  # a missing zone first: 404
        reason = _check_reason(reason)
        if locked.status == ZoneStatus.RETIRED:
            raise ZoneStateError(ALREADY_RETIRED, "already_retired")
        locked.status = ZoneStatus.RETIRED
        return _save(locked, user=user, reason=reason, check_overlap=False)


def zone_restore(
    *, zone: MarketZone, expected_version: Expected, user: AbstractBaseUser | None,
    reason: str,
) -> ZoneWriteResult:
    """Bring a retired zone back with the status it had before it was retired."""
    with transaction.atomic():
        locked = _lock(zone, expected_version)  # a missing zone first: 404
        reason = _check_reason(reason)
        if locked.status != ZoneStatus.RETIRED:
            raise ZoneStateError(NOT_RETIRED, "not_retired")
        locked.status = selectors.status_before_retirement(locked)
        return _save(locked, user=user, reason=reason, check_overlap=True)


def zone_restore_version(
    *, zone: MarketZone, history_id: int, expected_version: Expected,
    user: AbstractBaseUser | None, reason: str,
) -> ZoneWriteResult:
    """Copy a past version's boundary and rules into a new version (nothing is destroyed)."""
    with transaction.atomic():
        locked = _lock(zone, expected_version)  # a missing zone first: 404
        reason = _check_reason(reason)
        record = locked.history.filter(history_id=history_id).first()
        if record is None:
            raise ValidationError(
                _("Version %(id)s is not in this zone's history.") % {"id": history_id},
                code="no_such_version",
            )
        locked.boundary = _checked_boundary(record.boundary)
        for name in RESTORED_FIELDS:
            setattr(locked, name, getattr(record, name))
        return _save(locked, user=user, reason=reason, check_overlap=True)


# --- Operating rules, closures and the holiday table (issue 4) -------------------------------
# Urban management sets hours, status and closures; market supervision sets what may be sold and
# the stallholders' duties. Rule edits share the boundary edits' contract: version check, version
# bump, updated_by and a history row with the reason, so the two conflict-check each other.

HOURS_FIELDS = ("opening_hours", "status", "status_reason", "capacity")
GOODS_FIELDS = ("permitted_goods", "prohibited_goods", "duties")
RULE_STATUSES = (ZoneStatus.PROPOSED, ZoneStatus.ACTIVE, ZoneStatus.SUSPENDED)
LIST_MAX_ITEMS = 50
ITEM_MAX_LENGTH = 100

NOT_YOUR_FIELD = gettext_lazy("Your role may not change %(field)s.")
NO_RULE_CHANGE = gettext_lazy("Nothing to change: the submitted rules equal the current ones.")
SUSPEND_REASON_REQUIRED = gettext_lazy(
    "Say why the zone is suspended; the public sees this reason."
)
LIST_ITEMS = gettext_lazy(
    "Give a list of short texts (at most %(max)d items of %(len)d characters)."
)
CLOSURE_ORDER = gettext_lazy("A closure must end after it starts.")
CLOSURE_ROLE = gettext_lazy("Only urban-management staff may set or cancel closures.")
CALENDAR_ROLE = gettext_lazy("Only urban-management staff may edit the holiday table.")
NAIVE_TIME = gettext_lazy("Give a date and time.")


def rule_fields_for(user: AbstractBaseUser | None) -> tuple[str, ...]:
    """The rule fields ``user`` may change (admins: all)."""
    if user is None:
        return ()
    fields: tuple[str, ...] = ()
    if has_role(user, URBAN_MANAGEMENT):
        fields += HOURS_FIELDS
    if has_role(user, MARKET_SUPERVISION):
        fields += GOODS_FIELDS
    return fields


def _clean_list(name: str, value: object) -> list[str]:
    error = ValidationError(LIST_ITEMS % {"max": LIST_MAX_ITEMS, "len": ITEM_MAX_LENGTH},
                            code="invalid_list")
    if isinstance(value, str):
        value = value.splitlines()
    if not isinstance(value, list | tuple):
        raise ValidationError({name: error})
    items: list[str] = []
    for item in value:
        if not isinstance(item, str):
            raise ValidationError({name: error})
        item = item.strip()
        if item and item not in items:
            items.append(item)
    if len(items) > LIST_MAX_ITEMS or any(len(i) > ITEM_MAX_LENGTH for i in items):
        raise ValidationError({name: error})
    return items


def _clean_rule_value(name: str, value: object) -> object:
    if name in GOODS_FIELDS:
        return _clean_list(name, value)
    if name == "opening_hours":
        text = (value or "").strip() if isinstance(value, str) or value is None else None
        if text is None:
            raise ValidationError({name: ValidationError(_("Give the hours as text."),
                                                         code="invalid")})
        if len(text) > schedule.MAX_RULE_LENGTH:
            raise ValidationError({name: ValidationError(schedule.too_long_message(),
                                                         code="max_length")})
        problem = schedule.syntax_problem(text)
        if problem is not None:
            raise ValidationError({name: schedule.syntax_error(problem)})
        return text
    if name == "status":
        if value == ZoneStatus.RETIRED:
            raise ValidationError({name: ValidationError(USE_RETIRE, code="invalid")})
        if value not in RULE_STATUSES:
            raise ValidationError({name: ValidationError(
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(RULE_STATUSES)},
                code="invalid_choice")})
        return value
    if name == "status_reason":
        return (value or "").strip() if isinstance(value, str) or value is None else value
    return value


def zone_update_rules(
    *, zone: MarketZone, data: Mapping[str, object], expected_version: Expected,
    user: AbstractBaseUser | None, reason: str,
) -> ZoneWriteResult:
    """Change hours/status (urban management) or goods/duties (market supervision) of ``zone``.

    Fields the user's role does not cover may be sent unchanged (forms send everything) but not
    changed: PermissionDenied. An invalid opening_hours string is a ValidationError quoting the
    parser. Nothing is saved on any error.
    """
    allowed = rule_fields_for(user)
    unknown = set(data) - set(HOURS_FIELDS) - set(GOODS_FIELDS)
    if unknown:
        raise ValidationError(
            {name: ValidationError(_("This field cannot be edited here."), code="read_only")
             for name in sorted(unknown)}
        )
    cleaned: dict[str, object] = {}
    errors: dict[str, list[ValidationError]] = {}
    for name, value in data.items():
        try:
            cleaned[name] = _clean_rule_value(name, value)
        except ValidationError as exc:
            for key, errs in exc.error_dict.items():
                errors.setdefault(key, []).extend(errs)
    if errors:
        raise ValidationError(errors)
    reason = _check_reason(reason)
    with transaction.atomic():
        locked = _lock(zone, expected_version)
        if locked.status == ZoneStatus.RETIRED:
            raise ValidationError(_("Restore the zone before changing its rules."),
                                  code="retired")
        changed = {n: v for n, v in cleaned.items() if getattr(locked, n) != v}
        forbidden = [n for n in changed if n not in allowed]
        if forbidden:
            raise PermissionDenied(NOT_YOUR_FIELD % {"field": ", ".join(forbidden)})
        if not changed:
            raise ValidationError(NO_RULE_CHANGE, code="unchanged")
        was_occupying = locked.status in OCCUPYING_STATUSES
        for name, value in changed.items():
            setattr(locked, name, value)
        if locked.status == ZoneStatus.SUSPENDED and not locked.status_reason:
            raise ValidationError({"status_reason": ValidationError(
                SUSPEND_REASON_REQUIRED, code="required")})
        check = not was_occupying and locked.status in OCCUPYING_STATUSES
        return _save(locked, user=user, reason=reason, check_overlap=check)


def _require_role(user: AbstractBaseUser | None, message: str) -> None:
    if user is None or not has_role(user, URBAN_MANAGEMENT):
        raise PermissionDenied(message)


def closure_create(
    *, zone: MarketZone, start: dt.datetime, end: dt.datetime, reason: str,
    user: AbstractBaseUser | None,
) -> Closure:
    """Close ``zone`` from ``start`` to ``end`` (overrides its hours); audited."""
    _require_role(user, CLOSURE_ROLE)
    errors: dict[str, list[ValidationError]] = {}
    for name, value in (("start", start), ("end", end)):
        if not isinstance(value, dt.datetime) or value.tzinfo is None:
            errors[name] = [ValidationError(NAIVE_TIME, code="invalid")]
    if not errors and end <= start:
        errors["end"] = [ValidationError(CLOSURE_ORDER, code="closure_order")]
    text = (reason or "").strip()
    if not text:
        errors["reason"] = [ValidationError(
            _("Say why the zone is closed; the public sees this reason."), code="required")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        closure = Closure(zone=zone, start=start, end=end, reason=text, created_by=user)
        closure.full_clean()
        closure._change_reason = text[:REASON_MAX_LENGTH]
        closure._history_user = user
        closure.save()
    return closure


def closure_delete(*, closure: Closure, user: AbstractBaseUser | None, reason: str) -> None:
    """Cancel a closure; its history keeps what it was, who cancelled it and why."""
    _require_role(user, CLOSURE_ROLE)
    reason = _check_reason(reason)
    with transaction.atomic():
        closure._change_reason = reason
        closure._history_user = user
        closure.delete()


def calendar_exception_set(
    *, date: dt.date, kind: str, name: str, user: AbstractBaseUser | None,
) -> CalendarException:
    """Mark ``date`` as a public holiday or a make-up working day (replacing any entry)."""
    _require_role(user, CALENDAR_ROLE)
    with transaction.atomic():
        entry = CalendarException.objects.select_for_update().filter(date=date).first()
        entry = entry or CalendarException(date=date)
        entry.kind = kind
        entry.name = (name or "").strip()
        entry.full_clean()
        entry._change_reason = f"{DayKind(kind).label}: {entry.name}"[:REASON_MAX_LENGTH]
        entry._history_user = user
        entry.save()
    return entry


def calendar_exception_delete(*, date: dt.date, user: AbstractBaseUser | None) -> None:
    """Remove ``date`` from the holiday table (it becomes its plain weekday again)."""
    _require_role(user, CALENDAR_ROLE)
    with transaction.atomic():
        entry = CalendarException.objects.select_for_update().filter(date=date).first()
        if entry is None:
            raise ValidationError({"date": ValidationError(
                _("%(date)s is not in the holiday table.") % {"date": date}, code="not_found")})
        entry._history_user = user
        entry._change_reason = "removed"
        entry.delete()
