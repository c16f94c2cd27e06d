"""The demo city's market zones, holiday calendar and problem reports (called by ``geo.demo``)."""

from __future__ import annotations

import datetime as dt

from geo.demo import LoadResult, Reference, geometry, iso_date, read_fixture, sync
from markets.models import CalendarException, Closure, MarketZone
from markets.reports.demo import load_demo_reports


def load_calendar(result: LoadResult, reference: Reference) -> None:
    """The holiday table (fixtures/calendar.json): holidays and make-up working days."""
    calendar = [
        {"date": iso_date(entry["date"]), "kind": entry["kind"], "name": entry["name"]}
        for entry in read_fixture("calendar.json")["calendar"]
    ]
    sync(result, "calendar days", CalendarException, calendar, ("date",))
    result.sizes["calendar days"] = len(calendar)


def load_zones(result: LoadResult, reference: Reference) -> None:
    """Market zones with their closures (fixtures/markets.geojson)."""
    dept, district = reference.departments, reference.districts
    features = read_fixture("markets.geojson")["features"]
    rows = []
    for feature in features:
        p = feature["properties"]
        row = {k: v for k, v in p.items() if k != "closures"}
        row.setdefault("status_reason", "")
        row["district_id"] = district[row.pop("district")]
        # Urban management (城管执法局) manages every market zone.
        row["department_id"] = dept["cgzfj"]
        row["boundary"] = geometry(feature["geometry"])
        rows.append(row)
    zones = sync(result, "market zones", MarketZone, rows, ("name",), bump_version=True)
    closures = [
        {
            "zone_id": zones[(f["properties"]["name"],)].pk,
            "start": dt.datetime.fromisoformat(c["start"]),
            "end": dt.datetime.fromisoformat(c["end"]),
            "reason": c["reason"],
        }
        for f in features
        for c in f["properties"]["closures"]
    ]
    sync(
        result,
        "closures",
        Closure,
        closures,
        ("zone_id", "start"),
        Closure.objects.filter(zone_id__in=[z.pk for z in zones.values()]),
    )
    result.sizes.update(
        {
            "market zones": len(features),
            "closures": len(closures),
        }
    )


def load_reports(result: LoadResult, reference: Reference) -> None:
    """A few problem reports, one in each state (markets.reports.demo)."""
    counts = load_demo_reports()
    result.created["problem reports"] += counts["created"]
    result.sizes["problem reports"] = counts["total"]
