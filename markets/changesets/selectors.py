"""Reads of changesets: the list, one changeset as JSON, the review page's diff, the preview."""

from __future__ import annotations

import datetime as dt
import json

from django.conf import settings
from django.contrib.gis.db.models.functions import Area, Transform
from django.db import connection
from django.db.models import FloatField, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from geo.models import Department, District
from markets import hours, schedule, selectors
from markets.changesets.models import Changeset, ChangesetState, EditKind, ZoneEdit
from markets.models import MarketZone, ZoneKind, ZoneStatus
from markets.selectors import load_calendar

# The fields the review table lists, in the zone form's order.
TABLE_FIELDS = (
    "name",
    "kind",
    "status",
    "status_reason",
    "address",
    "district",
    "department",
    "contact",
    "capacity",
    "opening_hours",
    "permitted_goods",
    "prohibited_goods",
    "duties",
    "vehicle_rules",
    "notes",
)
PREVIEW_DAYS = 7


def changeset_list(*, state: str = "") -> QuerySet[Changeset]:
    qs = Changeset.objects.select_related("author", "reviewer", "publisher")
    if state:
        qs = qs.filter(state=state)
    return qs.prefetch_related("edits__zone").order_by("-pk")


def _iso(moment: dt.datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment else None


def _username(user) -> str | None:
    return user.get_username() if user is not None else None


def edit_dict(edit: ZoneEdit) -> dict:
    return {
        "id": edit.pk,
        "kind": edit.kind,
        "zone": edit.zone_id,
        "zone_name": edit.zone.name if edit.zone_id else edit.fields.get("name", ""),
        "base_version": edit.base_version,
        "fields": edit.fields,
        "geometry": json.loads(edit.boundary.geojson) if edit.boundary is not None else None,
        "result_version": edit.result_version,
    }


def changeset_dict(changeset: Changeset, *, with_edits: bool = True) -> dict:
    """One changeset as the API answers it (times in Asia/Shanghai)."""
    body = {
        "id": changeset.pk,
        "comment": changeset.comment,
        "state": changeset.state,
        "state_label": str(ChangesetState(changeset.state).label),
        "author": _username(changeset.author),
        "reviewer": _username(changeset.reviewer),
        "publisher": _username(changeset.publisher),
        "review_note": changeset.review_note,
        "publish_at": _iso(changeset.publish_at),
        "publish_error": changeset.publish_error,
        "created_at": _iso(changeset.created_at),
        "submitted_at": _iso(changeset.submitted_at),
        "reviewed_at": _iso(changeset.reviewed_at),
        "published_at": _iso(changeset.published_at),
    }
    if with_edits:
        body["edits"] = [edit_dict(e) for e in changeset.edits.select_related("zone")]
    return body


def open_draft_of(user) -> Changeset | None:
    """The user's newest draft (the staff editor saves into it)."""
    if not user.is_authenticated:
        return None
    return Changeset.objects.filter(author=user, state=ChangesetState.DRAFT).order_by("-pk").first()


# --- the review page -------------------------------------------------------------------------


def _display(name: str, value: object) -> object:
    if value in (None, ""):
        return ""
    if name == "department":
        return Department.objects.filter(pk=value).values_list("name", flat=True).first()
    if name == "district":
        return District.objects.filter(pk=value).values_list("name", flat=True).first()
    if name == "kind":
        return str(ZoneKind(value).label)
    if name == "status":
        return str(ZoneStatus(value).label)
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    return value


def _zone_values(zone: MarketZone | None) -> dict:
    if zone is None:
        return {}
    return {
        n: getattr(zone, f"{n}_id") if n in ("department", "district") else getattr(zone, n)
        for n in TABLE_FIELDS
    }


def _area_m2(qs: QuerySet, field: str) -> float | None:
    """Area of ``field`` on the first row of ``qs`` in m², by PostGIS in EPSG:4542."""
    return (
        qs.annotate(area=Cast(Area(Transform(field, settings.METRIC_SRID)), FloatField()))
        .values_list("area", flat=True)
        .first()
    )


def _base_of(edit: ZoneEdit):
    """The zone as the edit was drawn on: live until published, then its history row."""
    if edit.kind == EditKind.CREATE or edit.zone_id is None:
        return None, None
    if edit.result_version is None:
        return edit.zone, MarketZone.objects.filter(pk=edit.zone_id)
    rows = MarketZone.history.filter(id=edit.zone_id, version=edit.base_version).order_by(
        "-history_date", "-history_id"
    )
    record = rows.first()
    return record, rows[:1] if record is not None else None


def _outside_city_m2(edit: ZoneEdit) -> float:
    """How much of the proposed boundary lies outside the city boundary (m², EPSG:4542)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_Area(ST_Transform(ST_Difference(e.boundary, "
            "(SELECT ST_Union(geom) FROM geo_cityboundary)), %s)) "
            "FROM markets_zoneedit e WHERE e.id = %s AND e.boundary IS NOT NULL",
            [settings.METRIC_SRID, edit.pk],
        )
        row = cursor.fetchone()
    return float(row[0] or 0) if row else 0.0


def _hours_days(values: dict, start: dt.date) -> list[dict]:
    zone_hours = hours.hours_of(values, closures=[], calendar=load_calendar())
    return schedule.schedule_days(zone_hours, start, PREVIEW_DAYS)


def edit_review(edit: ZoneEdit, *, start: dt.date) -> dict:
    """Everything the review page shows for one edit: shapes, area change, overlaps, tables."""
    base, base_rows = _base_of(edit)
    before = _zone_values(base)
    after = {**before, **edit.fields}
    if edit.kind == EditKind.RETIRE:
        after["status"] = ZoneStatus.RETIRED
    # A reinstated zone was off every public map: it appears, with its old boundary and status.
    back = edit.kind == EditKind.REINSTATE
    if back and base is not None:
        after["status"] = selectors.status_before_retirement(edit.zone)
    old_m2 = _area_m2(base_rows, "boundary") if base_rows is not None and not back else None
    if back:
        new_m2 = _area_m2(base_rows, "boundary") if base_rows is not None else None
    elif edit.kind == EditKind.RETIRE:
        new_m2 = None
    elif edit.boundary is not None:
        new_m2 = _area_m2(ZoneEdit.objects.filter(pk=edit.pk), "boundary")
    else:
        new_m2 = old_m2
    change_m2 = None if old_m2 is None or new_m2 is None else new_m2 - old_m2
    change_pct = (change_m2 / old_m2 * 100) if change_m2 is not None and old_m2 else None
    new_geom = edit.boundary if edit.boundary is not None else (base.boundary if base else None)
    overlaps = []
    if new_geom is not None and edit.kind != EditKind.RETIRE:
        overlaps = [
            {"id": other.pk, "name": other.name, "m2": round(m2, 1)}
            for other, m2 in selectors.zones_overlapping(new_geom, exclude_pk=edit.zone_id)
        ]
    rows = []
    for name in TABLE_FIELDS:
        old, new = before.get(name), after.get(name)
        if old == new or (edit.kind == EditKind.CREATE and new in (None, "", [])):
            continue
        rows.append(
            {
                "field": name,
                "label": str(MarketZone._meta.get_field(name).verbose_name),
                "old": _display(name, old),
                "new": _display(name, new),
            }
        )
    stale = bool(
        edit.zone_id
        and edit.base_version is not None
        and edit.result_version is None
        and edit.zone.version != edit.base_version
    )
    return {
        "edit": edit,
        "name": after.get("name") or "",
        "old_geometry": json.loads(base.boundary.geojson)
        if base is not None and not back else None,
        "new_geometry": json.loads(new_geom.geojson)
        if new_geom is not None and edit.kind != EditKind.RETIRE
        else None,
        "old_m2": old_m2,
        "new_m2": new_m2,
        "change_m2": change_m2,
        "change_pct": change_pct,
        "outside_city_m2": _outside_city_m2(edit) if edit.boundary is not None else 0.0,
        "overlaps": overlaps,
        "rows": rows,
        "hours_before": _hours_days(before, start) if before else [],
        "hours_after": _hours_days(after, start) if edit.kind != EditKind.RETIRE else [],
        "stale": stale,
    }


def review_start(changeset: Changeset) -> dt.date:
    """The first day of the hours comparison: the publish date if scheduled, else today."""
    moment = changeset.publish_at or timezone.now()
    return schedule.local(moment).date()


def changeset_review(changeset: Changeset) -> list[dict]:
    start = review_start(changeset)
    return [edit_review(e, start=start) for e in changeset.edits.select_related("zone")]


# --- preview: the zone layer as it will look once published ---------------------------------


def preview_features(changeset: Changeset) -> list[dict]:
    """Staff zone features with this changeset applied, hours evaluated on its publish date."""
    features = selectors.zone_features(selectors.ZoneFilters(), staff=True)
    by_id = {f["id"]: f for f in features}
    retired = None  # the retired zones' features, read once if an edit reinstates one
    for edit in changeset.edits.select_related("zone"):
        if edit.result_version is not None:
            continue
        if edit.kind == EditKind.RETIRE:
            by_id.pop(edit.zone_id, None)
            continue
        if edit.kind == EditKind.REINSTATE:
            if retired is None:
                retired = {f["id"]: f for f in selectors.zone_features(
                    selectors.ZoneFilters(status=[ZoneStatus.RETIRED]), staff=True)}
            feature = retired.get(edit.zone_id)
            if feature is not None:
                feature["properties"]["status"] = selectors.status_before_retirement(
                    edit.zone)
                feature["properties"]["changeset"] = changeset.pk
                by_id[edit.zone_id] = feature
            continue
        feature = by_id.get(edit.zone_id) if edit.zone_id else None
        if feature is None:
            feature = {"type": "Feature", "id": None, "properties": {}, "geometry": None}
            by_id[f"new-{edit.pk}"] = feature
        props = feature["properties"]
        for name, value in edit.fields.items():
            props[name] = _display(name, value) if name in ("department", "district") else value
        if edit.boundary is not None:
            feature["geometry"] = json.loads(edit.boundary.geojson)
        props["changeset"] = changeset.pk
    at = changeset.publish_at or timezone.now()
    kept = [f for f in by_id.values() if f["geometry"] is not None]
    calendar = load_calendar()
    for feature in kept:
        zone_hours = hours.hours_of(feature["properties"], closures=[], calendar=calendar)
        state = zone_hours.state_at(schedule.local(at))
        feature["properties"].update(state.as_properties())
    return kept
