"""Reads of the project and livelihood layers: filters, public/staff fields, GeoJSON in SQL."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from geo import geojson
from geo.filters import bbox_polygon, parse_bbox, parse_choices, parse_ids
from geo.geojson import LocalISO, choice_label
from geo.models import Department, District
from sites.models import (
    Blocker,
    BondStatus,
    BuildType,
    LivelihoodCategory,
    LivelihoodWork,
    Programme,
    Project,
    ProjectCategory,
    Stage,
    StatsStatus,
    WorkStatus,
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
    q: str = ""


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


def parse_site_filters(params: Mapping[str, str], *, layer: str) -> SiteFilters:
    """Validate the query parameters of the projects (``layer="projects"``) or livelihood list."""
    errors: dict[str, list[str]] = {}
    result = SiteFilters()

    def attempt(name, fn):
        try:
            setattr(result, name, fn())
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                errors.setdefault(key, []).extend(messages)

    if params.get("bbox"):
        attempt("bbox", lambda: parse_bbox(params["bbox"]))
    if layer == "projects":
        attempt("stage", lambda: parse_choices(params, "stage", Stage.values))
        attempt("build_type", lambda: parse_choices(params, "build_type", BuildType.values))
        attempt("category", lambda: parse_choices(params, "category", ProjectCategory.values))
    else:
        attempt("programme", lambda: parse_choices(params, "programme", Programme.values))
        attempt("category", lambda: parse_choices(params, "category", LivelihoodCategory.values))
        attempt("status", lambda: parse_choices(params, "status", WorkStatus.values))
    attempt("department", lambda: _codes(params, "department", Department))
    attempt("district", lambda: _codes(params, "district", District))
    attempt("leader", lambda: parse_ids(params, "leader"))
    result.q = params.get("q", "").strip()[:100]
    if errors:
        raise ValidationError(errors)
    return result


def _apply_common(qs: QuerySet, f: SiteFilters) -> QuerySet:
    if f.bbox:
        # Intersects against the query box uses the GiST index on geom.
        qs = qs.filter(geom__intersects=bbox_polygon(f.bbox))
    if f.category:
        qs = qs.filter(category__in=f.category)
    if f.department:
        qs = qs.filter(lead_department__code__in=f.department)
    if f.district:
        qs = qs.filter(district__code__in=f.district)
    if f.leader:
        qs = qs.filter(leader_id__in=f.leader)
    if f.q:
        qs = qs.filter(Q(name__icontains=f.q) | Q(code__icontains=f.q))
    return qs


def projects_queryset(f: SiteFilters, *, staff: bool) -> QuerySet[Project]:
    qs = Project.objects.all()
    if not staff:
        qs = qs.filter(published=True)
    if f.stage:
        qs = qs.filter(stage__in=f.stage)
    if f.build_type:
        qs = qs.filter(build_type__in=f.build_type)
    return _apply_common(qs, f).order_by("code")


def livelihood_queryset(f: SiteFilters, *, staff: bool) -> QuerySet[LivelihoodWork]:
    qs = LivelihoodWork.objects.all()
    if not staff:
        qs = qs.filter(published=True)
    if f.programme:
        qs = qs.filter(programme__in=f.programme)
    if f.status:
        qs = qs.filter(status__in=f.status)
    return _apply_common(qs, f).order_by("code")


def project_properties(*, staff: bool) -> dict:
    """Feature properties: the public set, plus investment/bonds/statistics/blockers for staff."""
    props = {
        "code": "code",
        "name": "name",
        "category": "category",
        "category_label": choice_label("category", ProjectCategory.choices),
        "build_type": "build_type",
        "build_type_label": choice_label("build_type", BuildType.choices),
        "stage": "stage",
        "stage_label": choice_label("stage", Stage.choices),
        "planned_start": "planned_start",
        "planned_end": "planned_end",
        "actual_start": "actual_start",
        "actual_end": "actual_end",
        "percent_complete": "percent_complete",
        "lead_department": "lead_department__name",
        "lead_department_code": "lead_department__code",
        "district": "district__name",
        "updated_at": LocalISO("updated_at"),
    }
    if staff:
        open_blockers = (
            Blocker.objects.filter(project=OuterRef("pk"), resolved=False)
            .order_by().values("project").annotate(n=Count("pk")).values("n")
        )
        props |= {
            "leader": "leader__name",
            "leader_id": "leader_id",
            "total_investment": "total_investment",
            "planned_investment_year": "planned_investment_year",
            "completed_investment_year": "completed_investment_year",
            "stats_status": "stats_status",
            "stats_status_label": choice_label("stats_status", StatsStatus.choices),
            "stats_applied_on": "stats_applied_on",
            "stats_registered_on": "stats_registered_on",
            "bond_status": "bond_status",
            "bond_status_label": choice_label("bond_status", BondStatus.choices),
            "bond_requested": "bond_requested",
            "bond_approved": "bond_approved",
            "open_blockers": Coalesce(Subquery(open_blockers, output_field=IntegerField()), 0),
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
        "updated_at": LocalISO("updated_at"),
    }
    if staff:
        props |= {
            "leader": "leader__name",
            "leader_id": "leader_id",
            "total_investment": "total_investment",
            "published": "published",
        }
    return props


def projects_geojson(f: SiteFilters, *, staff: bool) -> str:
    return geojson.feature_collection(
        projects_queryset(f, staff=staff), geom="geom", properties=project_properties(staff=staff)
    )


def livelihood_geojson(f: SiteFilters, *, staff: bool) -> str:
    return geojson.feature_collection(
        livelihood_queryset(f, staff=staff),
        geom="geom",
        properties=livelihood_properties(staff=staff),
    )


def project_feature(pk: int, *, staff: bool) -> str | None:
    qs = Project.objects.filter(pk=pk)
    if not staff:
        qs = qs.filter(published=True)
    return geojson.feature(qs, geom="geom", properties=project_properties(staff=staff))


def livelihood_feature(pk: int, *, staff: bool) -> str | None:
    qs = LivelihoodWork.objects.filter(pk=pk)
    if not staff:
        qs = qs.filter(published=True)
    return geojson.feature(qs, geom="geom", properties=livelihood_properties(staff=staff))


