"""The demo city's key projects and livelihood works (``geo.demo`` calls ``load_layers``)."""

from __future__ import annotations

import datetime as dt

from geo.demo import LoadResult, Reference, geometry, iso_date, money, read_fixture, sync
from sites.models import Blocker, LivelihoodWork, Milestone, ProgressReport, Project


def load_layers(result: LoadResult, reference: Reference) -> None:
    load_projects(result, reference)
    load_livelihood(result, reference)


def load_projects(result: LoadResult, reference: Reference) -> None:
    """Key projects with their monthly reports and blockers (fixtures/projects.geojson)."""
    dept, leader, district = reference.departments, reference.leaders, reference.districts
    features = read_fixture("projects.geojson")["features"]
    money_fields = (
        "total_investment",
        "planned_investment_year",
        "completed_investment_year",
        "bond_requested",
        "bond_approved",
    )
    date_fields = (
        "planned_start",
        "planned_end",
        "actual_start",
        "actual_end",
        "stats_applied_on",
        "stats_registered_on",
    )
    rows = []
    for feature in features:
        p = feature["properties"]
        row = {k: v for k, v in p.items() if k not in ("reports", "blockers")}
        row.update({k: money(p[k]) for k in money_fields})
        row.update({k: iso_date(p[k]) for k in date_fields})
        row["percent_complete"] = money(p["percent_complete"])
        row["lead_department_id"] = dept[row.pop("lead_department")]
        row["leader_id"] = leader[row.pop("leader")]
        row["district_id"] = district[row.pop("district")]
        row["geom"] = geometry(feature["geometry"])
        rows.append(row)
    projects = sync(result, "projects", Project, rows, ("code",))
    ids = [obj.pk for obj in projects.values()]

    reports, blockers = [], []
    for feature in features:
        p = feature["properties"]
        project_id = projects[(p["code"],)].pk
        for r in p["reports"]:
            reports.append(
                {
                    "project_id": project_id,
                    "month": dt.date.fromisoformat(r["month"] + "-01"),
                    "stage": r["stage"],
                    "completed_investment": money(r["completed_investment"]),
                    "percent_complete": money(r["percent_complete"]),
                    "note": r["note"],
                    "reported_at": dt.datetime.fromisoformat(r["reported_at"]),
                }
            )
        for b in p["blockers"]:
            blockers.append(
                {
                    "project_id": project_id,
                    "kind": b["kind"],
                    "description": b["description"],
                    "raised_on": iso_date(b["raised_on"]),
                    "resolved": b["resolved"],
                    "resolved_on": iso_date(b["resolved_on"]),
                }
            )
    sync(
        result,
        "progress reports",
        ProgressReport,
        reports,
        ("project_id", "month"),
        ProgressReport.objects.filter(project_id__in=ids),
    )
    sync(
        result,
        "blockers",
        Blocker,
        blockers,
        ("project_id", "kind", "raised_on"),
        Blocker.objects.filter(project_id__in=ids),
    )
    new = sum(1 for f in features if f["properties"]["build_type"] == "new")
    result.sizes.update(
        {
            "projects": len(features),
            "new projects": new,
            "continuing projects": len(features) - new,
            "progress reports": len(reports),
            "blockers": len(blockers),
        }
    )


def load_livelihood(result: LoadResult, reference: Reference) -> None:
    """Livelihood works with their milestones (fixtures/livelihood.geojson)."""
    dept, leader, district = reference.departments, reference.leaders, reference.districts
    features = read_fixture("livelihood.geojson")["features"]
    rows = []
    for feature in features:
        p = feature["properties"]
        row = {k: v for k, v in p.items() if k != "milestones"}
        row["total_investment"] = money(p["total_investment"])
        row["percent_complete"] = money(p["percent_complete"])
        row["lead_department_id"] = dept[row.pop("lead_department")]
        row["leader_id"] = leader[row.pop("leader")]
        row["district_id"] = district[row.pop("district")]
        row["geom"] = geometry(feature["geometry"])
        rows.append(row)
    works = sync(result, "livelihood works", LivelihoodWork, rows, ("code",))
    milestones = [
        {
            "work_id": works[(f["properties"]["code"],)].pk,
            "seq": seq,
            "name": m["name"],
            "planned_date": iso_date(m["planned_date"]),
            "actual_date": iso_date(m["actual_date"]),
        }
        for f in features
        for seq, m in enumerate(f["properties"]["milestones"], start=1)
    ]
    sync(
        result,
        "milestones",
        Milestone,
        milestones,
        ("work_id", "seq"),
        Milestone.objects.filter(work_id__in=[w.pk for w in works.values()]),
    )
    result.sizes.update({"livelihood works": len(features), "milestones": len(milestones)})
