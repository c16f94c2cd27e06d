"""Reads of the market-zone layer: filters, visibility by role, features."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.gis.db.models.functions import Area, Intersection, Transform
from django.contrib.gis.geos import GEOSGeometry
from django.db.models import CharField, F, FloatField, Func, QuerySet
from django.db.models.functions import Cast, Round

from geo import geojson
from geo.api.params import BBOX, LIST, QueryParam
from geo.filters import bbox_polygon, parse_choices
from geo.geojson import LocalISO, choice_label
from geo.models import Department, District
from markets.calendar import HolidayCalendar
from markets.models import (
    OCCUPYING_STATUSES,
    PUBLIC_STATUSES,
    CalendarException,
    Closure,
    MarketZone,
    ZoneEdit,
    ZoneKind,
    ZoneStatus,
)
from markets.schedule import ClosureSpan, local

# The tables the zone layer's downloads and OGC items are written from (their ETag's version);
# closures and the holiday calendar count because open_now/open_tonight filter with them.
ZONE_SOURCES = (MarketZone, Closure, CalendarException, Department, District)


@dataclass
class ZoneFilters:
    bbox: tuple[float, float, float, float] | None = None
    kind: list[str] = field(default_factory=list)
    status: list[str] = field(default_factory=list)


def zone_params(*, staff: bool) -> tuple[QueryParam, ...]:
    """The zone list's filters for this reader: staff may also ask for drafts and retired ones."""
    statuses = tuple(ZoneStatus.values if staff else [s.value for s in PUBLIC_STATUSES])
    return (
        BBOX,
        QueryParam("kind", lambda params: parse_choices(params, "kind", ZoneKind.values),
                   "comma-separated zone kinds", kind=LIST, choices=tuple(ZoneKind.values)),
        QueryParam("status", lambda params: parse_choices(params, "status", statuses),
                   "comma-separated statuses (staff also proposed, retired)", kind=LIST,
                   choices=statuses),
    )


def visible_zones(*, staff: bool) -> QuerySet[MarketZone]:
    """Zones a reader may see: the public sees active and suspended ones; staff also drafts.

    Retired zones (soft-deleted) are listed only when staff ask for ``status=retired``.
    """
    if staff:
        return MarketZone.objects.exclude(status=ZoneStatus.RETIRED)
    return MarketZone.objects.filter(status__in=PUBLIC_STATUSES)


# The staff list's status filter: "" = every zone still in use (retired ones hidden, as on the
# map), one status, or "all" (retired ones too).
STAFF_LIST_ALL = "all"


def staff_list_statuses() -> list[str]:
    """The values the staff list's ``status`` filter accepts (besides "")."""
    return [*ZoneStatus.values, STAFF_LIST_ALL]


def staff_zone_list(status: str = "") -> QuerySet[MarketZone]:
    """Zones for the staff list, by name: in use (""), one status, or all (``"all"``)."""
    if status == STAFF_LIST_ALL:
        qs = MarketZone.objects.all()
    elif status:
        qs = MarketZone.objects.filter(status=status)
    else:
        qs = visible_zones(staff=True)
    return qs.select_related("district", "department", "updated_by").order_by("name", "pk")


def zones_queryset(filters: ZoneFilters, *, staff: bool) -> QuerySet[MarketZone]:
    qs = (
        MarketZone.objects.filter(status__in=filters.status) if filters.status
        else visible_zones(staff=staff)
    )
    if filters.bbox:
        qs = qs.filter(boundary__intersects=bbox_polygon(filters.bbox))
    if filters.kind:
        qs = qs.filter(kind__in=filters.kind)
    return qs.order_by("name", "pk")


def zone_properties(*, staff: bool) -> dict:
    props = {
        "name": "name",
        "kind": "kind",
        "kind_label": choice_label("kind", ZoneKind.choices),
        "status": "status",
        "status_label": choice_label("status", ZoneStatus.choices),
        "status_reason": "status_reason",
        "address": "address",
        "district": "district__name",
        "department": "department__name",
        "contact": "contact",
        "capacity": "capacity",
        # Area in m², measured in the metric CRS (EPSG:4542).
        "area_m2": Round(Cast(Area(Transform("boundary", 4542)), FloatField()), 1),
        "opening_hours": "opening_hours",
        "permitted_goods": "permitted_goods",
        "prohibited_goods": "prohibited_goods",
        "duties": "duties",
        "vehicle_rules": "vehicle_rules",
        "notes": "notes",
        "version": "version",
        "updated_at": LocalISO("updated_at"),
    }
    if staff:
        props["updated_by"] = "updated_by__username"
    return props


def zone_features(filters: ZoneFilters, *, staff: bool) -> list[dict]:
    return geojson.feature_dicts(
        zones_queryset(filters, staff=staff), geom="boundary",
        properties=zone_properties(staff=staff),
    )


def zone_feature(pk: int, *, staff: bool) -> dict | None:
    rows = geojson.feature_dicts(
        visible_zones(staff=staff).filter(pk=pk), geom="boundary",
        properties=zone_properties(staff=staff),
    )
    return rows[0] if rows else None


def status_before_retirement(zone: MarketZone) -> str:
    """The status a retired zone comes back with: the last one it had before retirement."""
    previous = (
        zone.history.exclude(status=ZoneStatus.RETIRED).order_by("-history_date", "-history_id")
        .values_list("status", flat=True).first()
    )
    return previous or ZoneStatus.PROPOSED


def zones_overlapping(
    geom: GEOSGeometry, *, exclude_pk: int | None = None
) -> list[tuple[MarketZone, float]]:
    """Active or proposed zones whose overlap with ``geom`` exceeds MARKET_MAX_OVERLAP_M2.

    Returns (zone, overlap in m²) pairs, largest first; the overlap is measured in the metric CRS
    (EPSG:4542). The query geometry is compared to the column as is, so the GiST index is used.
    """
    qs = MarketZone.objects.filter(status__in=OCCUPYING_STATUSES, boundary__intersects=geom)
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    qs = qs.annotate(
        overlap_m2=Cast(
            Area(Transform(Intersection("boundary", geom), settings.METRIC_SRID)), FloatField()
        )
    ).filter(overlap_m2__gt=settings.MARKET_MAX_OVERLAP_M2)
    return [(zone, zone.overlap_m2) for zone in qs.order_by("-overlap_m2", "pk")]


# --- what opening hours are evaluated against (markets.calendar and markets.schedule read no
# table: these are passed in) ------------------------------------------------------------------


def load_calendar() -> HolidayCalendar:
    """The whole holiday table (a few dozen rows a year) in one query."""
    return HolidayCalendar.from_entries(
        CalendarException.objects.values_list("date", "kind", "name")
    )


def closures_by_zone(
    zone_ids: Iterable[int], *, since: dt.datetime
) -> dict[int, list[ClosureSpan]]:
    """Closures of the zones that end after ``since`` (earlier ones cannot matter)."""
    out: dict[int, list[ClosureSpan]] = {}
    rows = Closure.objects.filter(zone_id__in=list(zone_ids), end__gt=since).values_list(
        "zone_id", "start", "end", "reason"
    )
    for zone_id, start, end, reason in rows:
        out.setdefault(zone_id, []).append(ClosureSpan(local(start), local(end), reason))
    return out


# --- a zone's versions ---------------------------------------------------------------------


# Fields whose change the history lists, in this order (boundary is compared by its bytes).
HISTORY_FIELDS = (
    "name", "kind", "status", "address", "contact", "capacity", "district", "department",
    "status_reason", "notes", "vehicle_rules", "opening_hours", "permitted_goods",
    "prohibited_goods", "duties",
)


def zone_history(pk: int) -> list[dict]:
    """Every version of zone ``pk``, newest first, with per-field changes and its geometry.

    The one differ of a zone's versions: the history page (through /api/v1/markets/<id>/history/)
    and the rules page's history table both read it.
    """
    properties = {
        "history_id": "history_id",
        "version": "version",
        "date": LocalISO("history_date"),
        "user": "history_user__username",
        "type": "history_type",
        "reason": "history_change_reason",
        "area_m2": Round(Cast(Area(Transform("boundary", 4542)), FloatField()), 1),
        # md5 of the exact geometry bytes tells versions apart without comparing coordinates.
        "_boundary": Func(F("boundary"), template="md5(ST_AsEWKB(%(expressions)s))",
                          output_field=CharField()),
        **{name: name for name in HISTORY_FIELDS if name not in ("district", "department")},
        "district": "district__name",
        "department": "department__name",
    }
    qs = MarketZone.history.filter(id=pk).order_by("history_date", "history_id")
    rows = geojson.feature_dicts(qs, geom="boundary", properties=properties)
    versions = []
    previous: dict | None = None
    for row in rows:
        props = row["properties"]
        changes = []
        if previous is not None:
            if props["_boundary"] != previous["_boundary"]:
                changes.append({"field": "boundary", "old": previous["area_m2"],
                                "new": props["area_m2"], "unit": "m²"})
            for name in HISTORY_FIELDS:
                if props[name] != previous[name]:
                    changes.append({"field": name, "old": previous[name], "new": props[name]})
        versions.append({
            "history_id": props["history_id"],
            "version": props["version"],
            "date": props["date"],
            "user": props["user"],
            "type": {"+": "created", "~": "changed", "-": "deleted"}.get(props["type"]),
            "reason": props["reason"],
            "area_m2": props["area_m2"],
            "changes": changes,
            "values": {name: props[name] for name in HISTORY_FIELDS},
            "geometry": row["geometry"],
        })
        previous = props
    _with_changesets(pk, versions)
    versions.reverse()
    return versions


def _with_changesets(pk: int, versions: list[dict]) -> None:
    """Name the published changeset each version came from: its comment, author and reviewer."""
    edits = ZoneEdit.objects.filter(zone_id=pk, result_version__isnull=False).select_related(
        "changeset__author", "changeset__reviewer")
    spans = []
    for edit in edits:
        first = (edit.base_version or 0) + 1 if edit.kind != "create" else 1
        changeset = edit.changeset
        spans.append((first, edit.result_version, {
            "id": changeset.pk, "comment": changeset.comment,
            "author": changeset.author.get_username(),
            "reviewer": changeset.reviewer.get_username() if changeset.reviewer else None,
        }))
    for version in versions:
        version["changeset"] = next(
            (info for first, last, info in spans if first <= version["version"] <= last), None)
