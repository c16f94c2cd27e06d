"""Writes of the sites app: monthly progress reports and blockers (validated, atomic, audited)."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.contrib.gis.geos import GEOSGeometry, Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from geo import roles
from geo.crs import STORAGE_SRID
from geo.gcj02 import gcj02_to_wgs84
from geo.models import District
from geo.validation import city_boundary
from sites.models import STARTED_STAGES, Blocker, ProgressReport, Project, Stage

# Messages as constants, so tests and clients can refer to them (HackSoft style).
NOT_YOUR_DEPARTMENT = _(
    "You can only report on projects led by your own department; "
    "this one is led by %(department)s."
)
NO_REPORT_ROLE = _("Only department staff and the project office can report progress.")
MONTH_FUTURE = _("You cannot report for a month that has not started yet.")
MONTH_PLAN_YEAR = _("Reports cover the plan year %(year)s; pick a month of that year.")
MONEY_NEGATIVE = _("Investment cannot be negative.")
PERCENT_RANGE = _("Physical progress must be between 0 and 100 %.")
INVESTMENT_DECREASED = _(
    "Cumulative investment %(new)s 万元 is lower than the %(old)s 万元 reported for "
    "%(month)s; explain the correction in the note."
)
DATE_FUTURE = _("This date is in the future.")
DATE_BEFORE_PLAN_YEAR = _(
    "A new project's actual start cannot be before its plan year %(year)s began."
)
END_BEFORE_START = _("The actual end cannot be before the actual start.")
STAGE_NEEDS_START = _("Stage “%(stage)s” needs the actual start date.")
STAGE_NEEDS_END = _("Stage “%(stage)s” needs the actual end date.")
PREPARATION_HAS_START = _(
    "A project in preparation has not started; clear the actual start date or pick a "
    "started stage."
)
END_NEEDS_FINISHED_STAGE = _("An actual end date needs the stage completed or in operation.")
ALREADY_RESOLVED = _("This blocker is already resolved.")
RESOLVED_BEFORE_RAISED = _("A blocker cannot be resolved before it was raised (%(raised)s).")


def can_report(user: AbstractBaseUser | AnonymousUser, project: Project) -> bool:
    """Project office (and admins) for any project; department staff for their department's."""
    if roles.has_role(user, roles.PROJECT_OFFICE):
        return True
    return (
        roles.has_role(user, roles.DEPARTMENT_STAFF)
        and roles.user_department_id(user) == project.lead_department_id
    )


def check_can_report(user: AbstractBaseUser | AnonymousUser, project: Project) -> None:
    """Raise PermissionDenied, with the reason in the user's language, unless ``can_report``."""
    if can_report(user, project):
        return
    if roles.has_role(user, roles.DEPARTMENT_STAFF):
        raise PermissionDenied(NOT_YOUR_DEPARTMENT % {"department": project.lead_department})
    raise PermissionDenied(NO_REPORT_ROLE)


def _today() -> dt.date:
    return timezone.localdate()  # Asia/Shanghai


def _validate_report(
    *, project: Project, month: dt.date, stage: str, completed_investment: Decimal,
    percent_complete: Decimal, note: str, actual_start: dt.date | None,
    actual_end: dt.date | None,
) -> None:
    errors: dict[str, list[ValidationError]] = {}

    def err(field: str, message: Promise, code: str, **params) -> None:
        errors.setdefault(field, []).append(
            ValidationError(message, code=code, params=params or None)
        )

    today = _today()
    if month > today.replace(day=1):
        err("month", MONTH_FUTURE, "month_future")
    if month.year != project.plan_year:
        err("month", MONTH_PLAN_YEAR, "month_plan_year", year=project.plan_year)
    if completed_investment < 0:
        err("completed_investment", MONEY_NEGATIVE, "negative")
    if not (0 <= percent_complete <= 100):
        err("percent_complete", PERCENT_RANGE, "percent_range")
    previous = (
        ProgressReport.objects.filter(project=project, month__lt=month).order_by("-month").first()
    )
    if (
        previous is not None
        and completed_investment < previous.completed_investment
        and not note.strip()
    ):
        err("completed_investment", INVESTMENT_DECREASED, "investment_decreased",
            new=completed_investment, old=previous.completed_investment,
            month=previous.month.strftime("%Y-%m"))
    for name, value in (("actual_start", actual_start), ("actual_end", actual_end)):
        if value is not None and value > today:
            err(name, DATE_FUTURE, "date_future")
    # "Not before planned preparation": the model keeps no preparation date; a new (新建)
    # project is by definition prepared and started within its plan year, so its actual start
    # may not precede 1 January of that year. Continuing projects started in earlier years.
    if (
        actual_start is not None
        and project.build_type == "new"
        and actual_start < dt.date(project.plan_year, 1, 1)
    ):
        err("actual_start", DATE_BEFORE_PLAN_YEAR, "date_before_plan", year=project.plan_year)
    if actual_start and actual_end and actual_end < actual_start:
        err("actual_end", END_BEFORE_START, "end_before_start")
    label = dict(Stage.choices).get(stage, stage)
    if stage in STARTED_STAGES and actual_start is None:
        err("actual_start", STAGE_NEEDS_START, "stage_needs_start", stage=label)
    if stage in (Stage.COMPLETED, Stage.OPERATING) and actual_end is None:
        err("actual_end", STAGE_NEEDS_END, "stage_needs_end", stage=label)
    if stage == Stage.PREPARATION and actual_start is not None:
        err("actual_start", PREPARATION_HAS_START, "preparation_has_start")
    if actual_end is not None and stage not in (Stage.COMPLETED, Stage.OPERATING):
        err("actual_end", END_NEEDS_FINISHED_STAGE, "end_needs_finished")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def progress_report_submit(
    *,
    project: Project,
    month: dt.date,
    stage: str,
    completed_investment: Decimal,
    percent_complete: Decimal,
    user: AbstractBaseUser,
    note: str = "",
    actual_start: dt.date | None = None,
    actual_end: dt.date | None = None,
) -> ProgressReport:
    """Save the month's report (replacing an earlier one for that month) and the project's
    current figures, together; both are kept in their history tables.

    Dates not given are taken from the project (a report need not repeat the start date).
    """
    check_can_report(user, project)
    project = Project.objects.select_for_update().get(pk=project.pk)
    month = month.replace(day=1)
    actual_start = actual_start if actual_start is not None else project.actual_start
    actual_end = actual_end if actual_end is not None else project.actual_end
    _validate_report(
        project=project, month=month, stage=stage, completed_investment=completed_investment,
        percent_complete=percent_complete, note=note, actual_start=actual_start,
        actual_end=actual_end,
    )
    report = ProgressReport.objects.filter(project=project, month=month).first()
    reason = f"progress report {month:%Y-%m}"
    if report is None:
        report = ProgressReport(project=project, month=month)
    else:
        reason += " (resubmitted)"
    report.stage = stage
    report.completed_investment = completed_investment
    report.percent_complete = percent_complete
    report.note = note
    report.reporter = user
    report.reported_at = timezone.now()
    report.full_clean(validate_unique=False)
    report._history_user = user
    report._change_reason = reason
    report.save()

    # The project's current figures are those of its latest report.
    latest = ProgressReport.objects.filter(project=project).order_by("-month").first()
    project.stage = latest.stage
    project.completed_investment_year = latest.completed_investment
    project.percent_complete = latest.percent_complete
    project.actual_start = actual_start
    project.actual_end = actual_end
    project.full_clean()
    project._history_user = user
    project._change_reason = reason
    project.save()
    return report


def _check_can_edit_blockers(user, project: Project) -> None:
    check_can_report(user, project)


@transaction.atomic
def blocker_add(
    *, project: Project, kind: str, description: str, user: AbstractBaseUser,
    raised_on: dt.date | None = None,
) -> Blocker:
    """Record a blocker (审批/规划/用地/资金/other) on a project."""
    _check_can_edit_blockers(user, project)
    raised_on = raised_on or _today()
    if raised_on > _today():
        raise ValidationError({"raised_on": ValidationError(DATE_FUTURE, code="date_future")})
    blocker = Blocker(
        project=project, kind=kind, description=description.strip(), raised_on=raised_on
    )
    blocker.full_clean()
    blocker._history_user = user
    blocker._change_reason = "blocker raised"
    blocker.save()
    return blocker


@transaction.atomic
def blocker_resolve(
    *, blocker: Blocker, user: AbstractBaseUser, resolved_on: dt.date | None = None
) -> Blocker:
    """Mark a blocker resolved (on ``resolved_on``, default today)."""
    blocker = Blocker.objects.select_for_update().select_related("project").get(pk=blocker.pk)
    _check_can_edit_blockers(user, blocker.project)
    if blocker.resolved:
        raise ValidationError(ALREADY_RESOLVED, code="already_resolved")
    resolved_on = resolved_on or _today()
    if resolved_on > _today():
        raise ValidationError(
            {"resolved_on": ValidationError(DATE_FUTURE, code="date_future")}
        )
    if resolved_on < blocker.raised_on:
        raise ValidationError({"resolved_on": ValidationError(
            RESOLVED_BEFORE_RAISED, code="before_raised", params={"raised": blocker.raised_on}
        )})
    blocker.resolved = True
    blocker.resolved_on = resolved_on
    blocker.full_clean()
    blocker._history_user = user
    blocker._change_reason = "blocker resolved"
    blocker.save()
    return blocker


# --- placing a project imported without a location (待落图) ------------------------------------

# The systems a typed coordinate may come in. GCJ-02 is what Amap and Tencent pickers give
# (shifted by several hundred metres); CGCS2000 (EPSG:4490) equals WGS84 to within centimetres,
# below what a map click resolves, so it is taken as it is (DOMAIN.md, "Time and place").
SOURCE_CRS = {"wgs84": "WGS84", "gcj02": "GCJ-02", "cgcs2000": "CGCS2000"}
ONLY_OFFICE_PLACES = _("Only the project office can place projects on the map.")
ALREADY_PLACED = _(
    "%(project)s is already on the map; its location is changed in the admin, not here."
)
UNKNOWN_CRS = _("Choose the coordinate system: WGS84, GCJ-02 or CGCS2000.")
NOT_A_POINT = _("A project is placed with one point: a longitude and a latitude.")
NOT_FINITE = _("Longitude and latitude must be finite numbers.")
LON_RANGE = _("Longitude must be between -180 and 180 degrees; %(value)s is not.")
LAT_RANGE = _("Latitude must be between -90 and 90 degrees; %(value)s is not.")
OUTSIDE_CITY = _(
    "The point %(lon).6f, %(lat).6f (WGS84) lies outside the city boundary; check the "
    "coordinates and the coordinate system."
)
LOOKS_SWAPPED = _(
    "The point lies outside the city; longitude and latitude look swapped (longitude is about "
    "98 here, latitude about 39)."
)


def can_place(user: AbstractBaseUser | AnonymousUser) -> bool:
    """The project office (and admins) place projects on the map."""
    return roles.has_role(user, roles.PROJECT_OFFICE)


def _wgs84_point(geom: GEOSGeometry, source_crs: str) -> Point:
    """The point in WGS84 after the range and city checks (ValidationError with the reason)."""
    if geom.geom_type != "Point" or geom.empty or geom.hasz:
        raise ValidationError(NOT_A_POINT, code="not_a_point")
    lon, lat = geom.x, geom.y
    if not (math.isfinite(lon) and math.isfinite(lat)):
        raise ValidationError(NOT_FINITE, code="not_finite")
    city = city_boundary()
    if city.contains(Point(lat, lon, srid=STORAGE_SRID)):  # (39.79, 98.28): lat, lon typed
        raise ValidationError(LOOKS_SWAPPED, code="swapped_axes")
    if not -180 <= lon <= 180:
        raise ValidationError(LON_RANGE % {"value": lon}, code="out_of_range")
    if not -90 <= lat <= 90:
        raise ValidationError(LAT_RANGE % {"value": lat}, code="out_of_range")
    if source_crs == "gcj02":
        lon, lat = gcj02_to_wgs84(lon, lat)
    point = Point(lon, lat, srid=STORAGE_SRID)
    if not city.contains(point):
        raise ValidationError(OUTSIDE_CITY % {"lon": lon, "lat": lat}, code="outside_city")
    return point


@transaction.atomic
def project_place(
    *, project: Project, geom: GEOSGeometry, user: AbstractBaseUser, source_crs: str = "wgs84"
) -> Project:
    """Put a project that is not yet placed (待落图) on the map at ``geom``.

    ``geom`` is a point in ``source_crs`` (a SOURCE_CRS key); it is stored in WGS84 after the
    checks (a point, in range, inside the city). The district is filled in from the point when
    the project has none. Saved under a row lock with the user and the system in its history.
    """
    if not can_place(user):
        raise PermissionDenied(str(ONLY_OFFICE_PLACES))
    if source_crs not in SOURCE_CRS:
        raise ValidationError(UNKNOWN_CRS, code="unknown_crs")
    point = _wgs84_point(geom, source_crs)
    project = Project.objects.select_for_update().get(pk=project.pk)
    if project.geom is not None:
        raise ValidationError(ALREADY_PLACED % {"project": project}, code="already_placed")
    project.geom = point
    if project.district_id is None:
        project.district = District.objects.filter(geom__contains=point).first()
    project.full_clean()
    project._history_user = user
    project._change_reason = f"placed on the map ({SOURCE_CRS[source_crs]})"
    project.save()
    return project
