"""Reads of the project and livelihood layers: filters, public/staff fields, GeoJSON in SQL."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import (
    Case,
    CharField,
    DateField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Round
from django.utils.translation import gettext as _

from geo import geojson
from geo.api.params import BBOX, LIST, NO_NUL, QueryParam, validate_query
from geo.filters import bbox_polygon, parse_choices, parse_ids
from geo.geojson import LocalISO, choice_label
from geo.models import Department, District, Leader
from sites import lights
from sites.models import (
    Blocker,
    BondStatus,
    BuildType,
    LivelihoodCategory,
    LivelihoodWork,
    Milestone,
    Programme,
    ProgressReport,
    Project,
    ProjectCategory,
    Stage,
    StatsStatus,
    SupervisionOrder,
    WorkStatus,
)

# The tables each layer is written from: their version is the layers' ETag (geo.api.conditional).
PROJECT_SOURCES = (
    Project, ProgressReport, Blocker, Department, District, Leader, SupervisionOrder,
)
LIVELIHOOD_SOURCES = (
    LivelihoodWork, Milestone, Department, District, Leader, SupervisionOrder,
)


@dataclass
class SiteFilters:
    """Validated list filters shared by the map, the API, the stats and the exports."""

    bbox: tuple[float, float, float, float] | None = None
    stage: list[str] = field(default_factory=list)
    build_type: list[str] = field(default_factory=list)
    category: list[str] = field(default_factory=list)
    programme: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)
    department: list[str] = field(default_factory=list)
    district: list[str] = field(default_factory=list)
    leader: list[int] = field(default_factory=list)
    light: list[str] = field(default_factory=list)
    orders: list[str] = field(default_factory=list)
    as_of: dt.date | None = None
    q: str = ""


# Livelihood works' light is their milestone progress (DOMAIN.md: advanced by milestone).
ON_TIME, LATE, DONE = "on_time", "late", "done"
MILESTONE_LIGHTS = (ON_TIME, LATE, DONE)
AS_OF_FORMAT = "as_of must be a month written YYYY-MM, e.g. 2026-06."


# The projects' supervision-order filter (staff): with open orders, with overdue ones.
ORDER_FILTERS = ("open", "overdue")
ORDERS_STAFF_ONLY = "Supervision orders are for staff; log in to filter by them."


# The map's page-URL keys (static/js/map_filters.js): detail pages carry them back to the map.
MAP_STATE_KEYS = ("q", "stage", "build_type", "category", "programme", "department", "district",
                  "leader", "light", "milestone_light", "orders", "as_of")


def parse_as_of(value: str) -> dt.date | None:
    """``YYYY-MM`` -> the first day of that month; "" -> None (now)."""
    value = value.strip()
    if not value:
        return None
    match = re.fullmatch(r"(\d{4})-(\d{2})", value)
    if not match or not (1 <= int(match[2]) <= 12) or not (2000 <= int(match[1]) <= 2100):
        raise ValidationError({"as_of": _(AS_OF_FORMAT)}, code="as_of_format")
    month = dt.date(int(match[1]), int(match[2]), 1)
    if month > lights.today():
        raise ValidationError(
            {"as_of": _("as_of cannot be a month in the future.")}, code="as_of_future"
        )
    return month


def _codes(params: Mapping[str, str], name: str, model) -> list[str]:
    values = [v.strip() for v in params.get(name, "").split(",") if v.strip()]
    if values:
        known = set(model.objects.filter(code__in=values).values_list("code", flat=True))
        unknown = [v for v in values if v not in known]
        if unknown:
            raise ValidationError(
                {name: _("Unknown %(name)s code: %(value)s.")
                 % {"name": name, "value": ", ".join(unknown)}},
                code="unknown_value",
            )
    return values


def _param(name: str, parse, description: str, **kw) -> QueryParam:
    return QueryParam(name, parse, description, **kw)


def _choices(name: str, allowed, description: str) -> QueryParam:
    allowed = tuple(allowed)
    return QueryParam(
        name, lambda params: parse_choices(params, name, allowed), description,
        kind=LIST, choices=allowed,
    )


def _codes_of(model):
    return lambda: model.objects.order_by("code").values_list("code", flat=True)


def _as_of_pattern() -> str:
    """The months ``as_of`` accepts, 2000-01 up to the current one (Asia/Shanghai), as a
    pattern written when the document is (an enum of ~320 months slows every client)."""
    today = lights.today()
    years = "|".join(str(year) for year in range(2000, today.year))
    months = "|".join(f"{month:02d}" for month in range(1, today.month + 1))
    earlier = f"(?:{years})-(?:0[1-9]|1[0-2])|" if years else ""
    return f"^(?:{earlier}{today.year}-(?:{months}))$"


_COMMON = (
    _param("as_of", lambda params: parse_as_of(params.get("as_of", "")),
           "YYYY-MM: the state as of that month (2000-01 up to the current month)",
           pattern=_as_of_pattern),
    _param("department", lambda params: _codes(params, "department", Department),
           "comma-separated department codes", kind=LIST, choices=_codes_of(Department)),
    _param("district", lambda params: _codes(params, "district", District),
           "comma-separated district codes", kind=LIST, choices=_codes_of(District)),
    _param("leader", lambda params: parse_ids(params, "leader"), "comma-separated leader ids",
           kind=LIST, item_type="integer", minimum=1, maximum=2**63 - 1),
    _param("q", lambda params: params.get("q", "").strip()[:100],
           "text in the name or code (the first 100 characters count)", pattern=NO_NUL),
)
# The list filters of each layer: validation and the OpenAPI parameters both read these.
SITE_PARAMS = {
    "projects": (
        BBOX,
        _choices("stage", Stage.values, "comma-separated stages"),
        _choices("build_type", BuildType.values, "comma-separated: new, continuing"),
        _choices("category", ProjectCategory.values, "comma-separated project categories"),
        _choices("light", lights.LIGHTS, "staff only (403 otherwise): comma-separated lights"),
        _choices("orders", ORDER_FILTERS, "staff only (403 otherwise): open = projects with "
                 "open supervision orders, overdue = with an overdue one (either, if both)"),
        *_COMMON,
    ),
    "livelihood": (
        BBOX,
        _choices("programme", Programme.values, "comma-separated programmes"),
        _choices("category", LivelihoodCategory.values, "comma-separated livelihood categories"),
        _choices("status", WorkStatus.values, "comma-separated work statuses"),
        _choices("light", MILESTONE_LIGHTS,
                 "staff only (403 otherwise): comma-separated milestone lights"),
        _choices("orders", ORDER_FILTERS, "staff only (403 otherwise): open = works with "
                 "open supervision orders, overdue = with an overdue one (either, if both)"),
        *_COMMON,
    ),
}


def parse_site_filters(params: Mapping[str, str], *, layer: str) -> SiteFilters:
    """Validate the query parameters of the projects (``layer="projects"``) or livelihood list."""
    return SiteFilters(**validate_query(params, SITE_PARAMS[layer]))


def _apply_common(qs: QuerySet, filters: SiteFilters) -> QuerySet:
    if filters.bbox:
        # Intersects against the query box uses the GiST index on geom.
        qs = qs.filter(geom__intersects=bbox_polygon(filters.bbox))
    if filters.category:
        qs = qs.filter(category__in=filters.category)
    if filters.department:
        qs = qs.filter(lead_department__code__in=filters.department)
    if filters.district:
        qs = qs.filter(district__code__in=filters.district)
    if filters.leader:
        qs = qs.filter(leader_id__in=filters.leader)
    if filters.q:
        qs = qs.filter(Q(name__icontains=filters.q) | Q(code__icontains=filters.q))
    return qs


def projects_queryset(filters: SiteFilters, *, staff: bool) -> QuerySet[Project]:
    """Filtered projects with ``eff_*`` state (as of ``f.as_of``) and, for staff, the lights."""
    qs = Project.objects.all()
    if not staff:
        qs = qs.filter(published=True)
    if filters.build_type:
        qs = qs.filter(build_type__in=filters.build_type)
    qs = lights.with_state(_apply_common(qs, filters), as_of=filters.as_of)
    if filters.stage:
        qs = qs.filter(eff_stage__in=filters.stage)
    if staff or filters.light:
        qs = lights.with_lights(qs, ref=lights.reference_date(filters.as_of))
    if filters.light:
        qs = qs.filter(light__in=filters.light)
    return _with_orders(qs, filters, staff=staff).order_by("code")


def _with_orders(qs: QuerySet, filters: SiteFilters, *, staff: bool) -> QuerySet:
    """Keep the projects or works with open (or overdue) supervision orders, if asked: staff
    only, on the ``orders_open``/``orders_overdue`` aliases of ``lights.order_measures``."""
    if not filters.orders:
        return qs
    if not staff:
        raise PermissionDenied(_(ORDERS_STAFF_ONLY))
    wanted = Q(orders_open__gt=0) if "open" in filters.orders else Q(pk__in=[])
    if "overdue" in filters.orders:
        wanted |= Q(orders_overdue__gt=0)
    return qs.filter(wanted)


def with_milestone_light(qs: QuerySet, *, ref: dt.date) -> QuerySet:
    """Alias ``milestone_light`` (done / late / on_time at ``ref``) and the next milestone.

    done: the work is completed, or every milestone was reached by ``ref``;
    late: a milestone planned before ``ref`` was not reached by then; otherwise on time.
    """
    pending = Milestone.objects.filter(work=OuterRef("pk")).filter(
        Q(actual_date__isnull=True) | Q(actual_date__gt=ref)
    )
    next_one = pending.order_by("seq")
    first_late = pending.filter(planned_date__lt=ref).order_by("planned_date", "seq")
    return qs.alias(
        late_milestone=Subquery(first_late.values("name")[:1], output_field=CharField()),
        late_milestone_date=Subquery(
            first_late.values("planned_date")[:1], output_field=DateField()
        ),
        milestone_light=Case(
            When(status=WorkStatus.COMPLETED, then=Value(DONE)),
            When(Exists(pending.filter(planned_date__lt=ref)), then=Value(LATE)),
            When(
                Exists(Milestone.objects.filter(work=OuterRef("pk"))) & ~Exists(pending),
                then=Value(DONE),
            ),
            default=Value(ON_TIME),
            output_field=CharField(),
        ),
        next_milestone=Subquery(next_one.values("name")[:1], output_field=CharField()),
        next_milestone_date=Subquery(
            next_one.values("planned_date")[:1], output_field=DateField()
        ),
    )


def livelihood_queryset(filters: SiteFilters, *, staff: bool) -> QuerySet[LivelihoodWork]:
    qs = LivelihoodWork.objects.all()
    if not staff:
        qs = qs.filter(published=True)
    if filters.programme:
        qs = qs.filter(programme__in=filters.programme)
    if filters.status:
        qs = qs.filter(status__in=filters.status)
    ref = lights.reference_date(filters.as_of)
    qs = with_milestone_light(_apply_common(qs, filters), ref=ref)
    if staff:
        # The work's supervision orders, for its light (lights.WorkLightSQL) and badge.
        qs = qs.alias(**lights.order_measures(ref, subject="work"))
    if filters.light:
        qs = qs.filter(milestone_light__in=filters.light)
    return _with_orders(qs, filters, staff=staff).order_by("code")


def project_properties(*, staff: bool) -> dict:
    """Feature properties: the public set, plus money, bonds, statistics, lights for staff.

    ``stage``/``percent_complete``/``completed_investment_year`` are the state as of the
    requested month (``eff_*`` aliases of ``lights.with_state``).
    """
    props = {
        "code": "code",
        "name": "name",
        "category": "category",
        "category_label": choice_label("category", ProjectCategory.choices),
        "build_type": "build_type",
        "build_type_label": choice_label("build_type", BuildType.choices),
        "stage": "eff_stage",
        "stage_label": choice_label("eff_stage", Stage.choices),
        "planned_start": "planned_start",
        "planned_end": "planned_end",
        "actual_start": "actual_start",
        "actual_end": "actual_end",
        "percent_complete": "eff_percent",
        "lead_department": "lead_department__name",
        "lead_department_code": "lead_department__code",
        "district": "district__name",
        "updated_at": LocalISO("updated_at"),
    }
    if staff:
        props |= {
            "leader": "leader__name",
            "leader_id": "leader_id",
            "total_investment": "total_investment",
            "planned_investment_year": "planned_investment_year",
            "completed_investment_year": "eff_completed",
            "stats_status": "stats_status",
            "stats_status_label": choice_label("stats_status", StatsStatus.choices),
            "stats_applied_on": "stats_applied_on",
            "stats_registered_on": "stats_registered_on",
            "bond_status": "bond_status",
            "bond_status_label": choice_label("bond_status", BondStatus.choices),
            "bond_requested": "bond_requested",
            "bond_approved": "bond_approved",
            "time_progress_gap": Round(F("progress_gap"), 1),
            # open_blockers, light, light_label, light_reasons: see _light_members
            "published": "published",
        }
    return props


def livelihood_properties(*, staff: bool) -> dict:
    props = {
        "code": "code",
        "name": "name",
        "programme": "programme",
        "programme_label": choice_label("programme", Programme.choices),
        "category": "category",
        "category_label": choice_label("category", LivelihoodCategory.choices),
        "status": "status",
        "status_label": choice_label("status", WorkStatus.choices),
        "percent_complete": "percent_complete",
        "lead_department": "lead_department__name",
        "lead_department_code": "lead_department__code",
        "district": "district__name",
        "next_milestone": "next_milestone",
        "next_milestone_date": "next_milestone_date",
        "updated_at": LocalISO("updated_at"),
    }
    if staff:
        props |= {
            "leader": "leader__name",
            "leader_id": "leader_id",
            "total_investment": "total_investment",
            "milestone_light": "milestone_light",
            "milestone_light_label": choice_label(
                "milestone_light", list(milestone_light_labels().items())
            ),
            "published": "published",
        }
    return props


def milestone_light_labels() -> dict[str, str]:
    return {ON_TIME: _("On time"), LATE: _("Late"), DONE: _("Done")}


def _light_members(ref: dt.date) -> geojson.Computed:
    """The light's feature properties (open_blockers, light, light_label, light_reasons) from
    the rules' measures, selected once per row as helper columns (see ``lights.LightSQL``)."""
    light = lights.LightSQL("t._m_", ref=ref)

    def quoted(values):
        return tuple(json.dumps(v, ensure_ascii=False) for v in values)

    return geojson.Computed(
        columns={f"_m_{name}": expr for name, expr in lights.light_measures().items()},
        members=[
            ("open_blockers", f"{light.measure['bo']}::text", ()),
            ("open_orders", f"{light.measure['oo']}::text", ()),
            ("overdue_orders", f"{light.measure['od']}::text", ()),
            ("light", *light.pick(light.overall, quoted(lights.LIGHTS))),
            ("light_label", *light.pick(light.overall, quoted(lights.light_labels()))),
            ("light_reasons", *light.reasons()),
        ],
    )


def project_computed(filters: SiteFilters, *, staff: bool) -> geojson.Computed | None:
    """A project's light, its reasons and its blocker and order counts, for staff."""
    return _light_members(lights.reference_date(filters.as_of)) if staff else None


# The members project_computed adds (with their pandas dtypes, for an empty file's columns).
PROJECT_LIGHT_MEMBERS = {
    "open_blockers": "int64", "open_orders": "int64", "overdue_orders": "int64",
    "light": "str", "light_label": "str", "light_reasons": "str",
}


def unplaced_projects() -> QuerySet[Project]:
    """Projects not yet placed on the map (待落图), for the project office's queue."""
    return (Project.objects.filter(geom__isnull=True)
            .select_related("lead_department", "leader").order_by("code"))


def _work_light_members() -> geojson.Computed:
    """A livelihood work's open_orders, overdue_orders, light, light_label and light_reasons
    (staff), from its measures selected once per row (see ``lights.WorkLightSQL``)."""
    light = lights.WorkLightSQL("t._w_")
    labels = tuple(json.dumps(v, ensure_ascii=False) for v in lights.light_labels())
    names = tuple(json.dumps(v) for v in lights.LIGHTS)
    pick = f"(ARRAY[%s, %s, %s])[{light.level} + 1]"
    return geojson.Computed(
        columns={f"_w_{name}": expr for name, expr in lights.work_light_measures().items()},
        members=[
            ("open_orders", f"{light.measure['oo']}::text", ()),
            ("overdue_orders", f"{light.measure['od']}::text", ()),
            ("light", pick, names),
            ("light_label", pick, labels),
            ("light_reasons", *light.reasons()),
        ],
    )


def livelihood_computed(*, staff: bool) -> geojson.Computed | None:
    """A work's light, its reasons and its order counts, for staff."""
    return _work_light_members() if staff else None


WORK_LIGHT_MEMBERS = {
    "open_orders": "int64", "overdue_orders": "int64",
    "light": "str", "light_label": "str", "light_reasons": "str",
}


# --- detail pages -----------------------------------------------------------------------------


def project_investment_chart(project: Project) -> dict:
    """Cumulative investment by month of the plan year against the plan (万元).

    The plan line is the year's planned investment spread evenly over the twelve months
    (reverse scheduling with no monthly plan stored: interpretation); the actual line is the
    cumulative figure of each month's report, absent where no report was made.
    """
    reports = {
        r["month"].month: float(r["completed_investment"])
        for r in project.reports.filter(month__year=project.plan_year)
        .values("month", "completed_investment")
    }
    planned = float(project.planned_investment_year)
    return {
        "months": [f"{project.plan_year}-{m:02d}" for m in range(1, 13)],
        "plan": [round(planned * m / 12, 2) for m in range(1, 13)],
        "actual": [reports.get(m) for m in range(1, 13)],
    }


def project_reports(project: Project) -> QuerySet:
    return project.reports.select_related("reporter").order_by("-month")


def project_history(project: Project, *, limit: int = 30) -> list:
    """The project's recorded changes, newest first (django-simple-history)."""
    return list(project.history.select_related("history_user").order_by("-history_id")[:limit])


def project_blockers(project: Project) -> QuerySet:
    return project.blockers.order_by("resolved", "-raised_on", "pk")


# --- department staff's list ------------------------------------------------------------------


def department_project_rows(*, department_code: str | None) -> list[dict]:
    """Projects of one lead department (every department for ``None``), as today.

    Each row: pk, code, name, department (name and code), stage and its label, percent, light
    and its label, and the last reported month (``None`` before the first report). Projects not
    yet placed on the map are listed too: their departments report on them all the same.
    """
    qs = Project.objects.all()
    if department_code:
        qs = qs.filter(lead_department__code=department_code)
    last_month = (
        ProgressReport.objects.filter(project=OuterRef("pk")).order_by("-month").values("month")[:1]
    )
    rows = (
        lights.annotate(qs, as_of=None)
        .annotate(
            light_code=F("light"),
            last_report=Subquery(last_month, output_field=DateField()),
        )
        .order_by("lead_department__code", "code")
        .values(
            "pk", "code", "name", "stage", "percent_complete", "light_code", "last_report",
            "lead_department__name", "lead_department__code",
        )
    )
    stages = dict(Stage.choices)
    return [
        row | {"stage_label": stages.get(row["stage"], row["stage"]),
               "light_label": lights.light_label(row["light_code"]) if row["light_code"] else ""}
        for row in rows
    ]
