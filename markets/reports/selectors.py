"""Reads of problem reports: by ticket code (public), the staff list and its filters, counts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db.models import BooleanField, Count, ExpressionWrapper, Q, QuerySet
from django.utils import timezone

from geo.api.params import BOOLEAN, INTEGER, LIST, QueryParam, validate_query
from geo.filters import parse_choices
from markets.reports.models import CODE_ALPHABET, CODE_LENGTH, OPEN_STATES, Report, ReportState

# Crockford's decoding: lower case is upper case, O is 0, I and L are 1; hyphens are ignored.
_ALIASES = str.maketrans({"O": "0", "I": "1", "L": "1", "-": None, " ": None})


def normalise_code(text: str) -> str | None:
    """The canonical ticket code as a person may type it, None if it cannot be one."""
    code = (text or "").upper().translate(_ALIASES)
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    return code


def report_by_code(text: str) -> Report | None:
    code = normalise_code(text)
    if code is None:
        return None
    return Report.objects.select_related("zone").filter(code=code).first()


def overdue_cutoff(now: dt.datetime | None = None) -> dt.datetime:
    """Open reports made before this moment are past their response time."""
    return (now or timezone.now()) - dt.timedelta(hours=settings.REPORT_RESPONSE_HOURS)


def overdue_q(now: dt.datetime | None = None) -> Q:
    return Q(state__in=OPEN_STATES, created_at__lt=overdue_cutoff(now))


@dataclass(frozen=True)
class ReportFilters:
    state: list[str]
    zone: int | None = None
    overdue: bool | None = None


def _parse_zone(params: Mapping[str, str]) -> int | None:
    from django.core.exceptions import ValidationError
    from django.utils.translation import gettext as _

    raw = params.get("zone") or ""
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 12:
        raise ValidationError({"zone": _("zone is a zone id (a whole number).")})
    return int(raw)


def _parse_bool(name: str):
    def parse(params: Mapping[str, str]) -> bool | None:
        from django.core.exceptions import ValidationError
        from django.utils.translation import gettext as _

        raw = (params.get(name) or "").lower()
        if raw == "":
            return None
        if raw in {"true", "1"}:
            return True
        if raw in {"false", "0"}:
            return False
        raise ValidationError({name: _("%(name)s is true or false.") % {"name": name}})

    return parse


REPORT_PARAMS = (
    QueryParam(
        "state",
        lambda p: parse_choices(p, "state", ReportState.values),
        "Report states, comma-separated",
        kind=LIST,
        choices=tuple(ReportState.values),
    ),
    QueryParam("zone", _parse_zone, "A zone id", kind=INTEGER, minimum=1, maximum=999_999_999_999),
    QueryParam(
        "overdue",
        _parse_bool("overdue"),
        "true: only open reports past their response time; false: only the others",
        kind=BOOLEAN,
    ),
)


def parse_report_filters(params: Mapping[str, str]) -> ReportFilters:
    values = validate_query(params, REPORT_PARAMS)
    return ReportFilters(state=values["state"], zone=values["zone"], overdue=values["overdue"])


def staff_reports(filters: ReportFilters, *, now: dt.datetime | None = None) -> QuerySet[Report]:
    """Reports for staff, newest first, with their zone and assignee."""
    qs = with_photo_flag(Report.objects.select_related("zone", "assignee").defer("photo"))
    if filters.state:
        qs = qs.filter(state__in=filters.state)
    if filters.zone is not None:
        qs = qs.filter(zone_id=filters.zone)
    if filters.overdue is True:
        qs = qs.filter(overdue_q(now))
    elif filters.overdue is False:
        qs = qs.exclude(overdue_q(now))
    return qs.order_by("-created_at", "-pk")


def counts_by_zone(*, now: dt.datetime | None = None) -> dict[int, dict[str, int]]:
    """{zone id: {"open": n, "overdue": n, "total": n}} over every report, one query."""
    rows = Report.objects.values("zone_id").annotate(
        total=Count("pk"),
        open=Count("pk", filter=Q(state__in=OPEN_STATES)),
        overdue=Count("pk", filter=overdue_q(now)),
    )
    return {
        row["zone_id"]: {"open": row["open"], "overdue": row["overdue"], "total": row["total"]}
        for row in rows
    }


def staff_report(pk: int) -> Report | None:
    """One report for staff (with ``has_photo``), None if there is none."""
    return with_photo_flag(
        Report.objects.select_related("zone", "assignee").defer("photo").filter(pk=pk)
    ).first()


def photo_bytes(report: Report) -> bytes | None:
    value = Report.objects.filter(pk=report.pk).values_list("photo", flat=True).first()
    return bytes(value) if value is not None else None


def public_dict(report: Report) -> dict:
    """What anyone with the code sees: no phone, no point, no photo, no staff names."""
    return {
        "code": report.code,
        "zone": {"id": report.zone_id, "name": report.zone.name},
        "category": report.category,
        "category_label": report.get_category_display(),
        "text": report.text,
        "state": report.state,
        "state_label": report.get_state_display(),
        "created_at": timezone.localtime(report.created_at).isoformat(),
        "closed_at": timezone.localtime(report.closed_at).isoformat() if report.closed_at else None,
    }


def staff_dict(report: Report, *, now: dt.datetime | None = None) -> dict:
    """Everything staff see of a report, the phone included."""
    now = now or timezone.now()
    point = report.point
    return {
        **public_dict(report),
        "id": report.pk,
        "point": {"type": "Point", "coordinates": [round(point.x, 6), round(point.y, 6)]}
        if point is not None
        else None,
        "phone": report.phone,
        "has_photo": report.has_photo,
        "assignee": report.assignee.get_username() if report.assignee else None,
        "assigned_at": timezone.localtime(report.assigned_at).isoformat()
        if report.assigned_at
        else None,
        "note": report.note,
        "due_at": timezone.localtime(report.due_at()).isoformat(),
        "overdue": report.is_overdue(now),
    }


def with_photo_flag(qs: QuerySet[Report]) -> QuerySet[Report]:
    return qs.annotate(
        has_photo=ExpressionWrapper(Q(photo__isnull=False), output_field=BooleanField())
    )
