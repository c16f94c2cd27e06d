"""Load the demo city (``fixtures/``) into the database: one transaction, safe to repeat.

Rows are matched by their natural key (code, name, date, …): missing rows are created,
rows that differ from the fixtures are updated in place, and nothing else is touched, so a
second run on a loaded database writes nothing. The fixture files are generated once by
``fixtures/generate.py`` and committed.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.contrib.gis.geos import GEOSGeometry
from django.db import models, transaction
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from geo.models import CityBoundary, ContextFeature, Department, District, Leader, StaffProfile
from geo.roles import ALL_ROLES
from markets.models import CalendarException, Closure, MarketZone
from sites.models import Blocker, LivelihoodWork, Milestone, ProgressReport, Project

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"
DEMO_PASSWORD = "demo-pass-2026"  # published in fixtures/README.md: demo databases only
CHANGE_REASON = "demo city (load_demo)"
REFUSED_WITHOUT_DEBUG = (
    "Refusing to load the demo city: DEBUG is off, and the demo creates accounts with a "
    "published password. Run with DEBUG=1, or pass --force if you really mean it."
)

Row = dict[str, Any]
SIZE_ORDER = (
    "progress reports",
    "blockers",
    "livelihood works",
    "milestones",
    "market zones",
    "closures",
    "calendar days",
    "districts",
    "roads and rivers",
    "departments",
    "leaders",
    "accounts",
)


@dataclass
class LoadResult:
    """What a load did: rows created and updated per label, and the demo's size."""

    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    sizes: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(sum(self.created.values()) or sum(self.updated.values()))

    def summary(self) -> str:
        s = self.sizes
        parts = [
            f"{s['projects']} projects ({s['new projects']} new, "
            f"{s['continuing projects']} continuing)"
        ]
        parts += [f"{s[label]} {label}" for label in SIZE_ORDER if label in s]
        size = ", ".join(parts)
        if not self.changed:
            return f"demo city already loaded: {size} — unchanged"
        return (
            f"loaded demo city: {size} "
            f"(created {sum(self.created.values())} rows, "
            f"updated {sum(self.updated.values())} rows)"
        )


def _read(name: str) -> Any:
    return json.loads((FIXTURES_DIR / name).read_text(encoding="utf-8"))


def _geom(geojson: dict) -> GEOSGeometry:
    return GEOSGeometry(json.dumps(geojson), srid=4326)


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _money(value: float | int | None) -> Decimal | None:
    # Via str(): the JSON number 1234.5 becomes Decimal("1234.5"), not its binary expansion.
    return None if value is None else Decimal(str(value))


def _sync(
    result: LoadResult,
    label: str,
    model: type[models.Model],
    rows: list[Row],
    key: tuple[str, ...],
    existing: models.QuerySet | None = None,
    *,
    bump_version: bool = False,
) -> dict[tuple, models.Model]:
    """Create missing rows and update differing ones; return every row by its key."""
    by_key = {
        tuple(getattr(obj, k) for k in key): obj
        for obj in (existing if existing is not None else model._default_manager.all())
    }
    to_create: list[models.Model] = []
    to_update: list[models.Model] = []
    fields: set[str] = set()
    for row in rows:
        k = tuple(row[name] for name in key)
        obj = by_key.get(k)
        if obj is None:
            obj = model(**row)
            to_create.append(obj)
            by_key[k] = obj
            continue
        # GEOSGeometry == compares SRID and coordinates exactly; the fixtures' 6-decimal
        # coordinates come back from PostGIS bit-for-bit, so an unchanged row compares equal.
        diff = [name for name, value in row.items() if getattr(obj, name) != value]
        if diff:
            for name in diff:
                setattr(obj, name, row[name])
            if bump_version:
                # Editors hold the version for optimistic locking: a reset is a new version.
                obj.version += 1
                diff.append("version")
            to_update.append(obj)
            fields.update(diff)
    has_history = hasattr(model, "history")
    if to_create:
        if has_history:
            bulk_create_with_history(
                to_create, model, batch_size=500, default_change_reason=CHANGE_REASON
            )
        else:
            model._default_manager.bulk_create(to_create, batch_size=500)
    if to_update:
        if has_history:
            bulk_update_with_history(
                to_update,
                model,
                sorted(fields),
                batch_size=500,
                default_change_reason=CHANGE_REASON,
            )
        else:
            model._default_manager.bulk_update(to_update, sorted(fields), batch_size=500)
    result.created[label] += len(to_create)
    result.updated[label] += len(to_update)
    return by_key


def _load_reference(result: LoadResult) -> tuple[dict, dict, dict]:
    ref = _read("reference.json")
    city = ref["city"]
    _sync(
        result,
        "city boundary",
        CityBoundary,
        [{"name": city["name"], "geom": _geom(city["geom"])}],
        ("name",),
    )
    departments = _sync(result, "departments", Department, ref["departments"], ("code",))
    leaders = _sync(result, "leaders", Leader, ref["leaders"], ("name",))
    districts = _sync(
        result,
        "districts",
        District,
        [
            {"code": d["code"], "name": d["name"], "geom": _geom(d["geom"])}
            for d in ref["districts"]
        ],
        ("code",),
    )
    result.sizes.update(
        {
            "districts": len(ref["districts"]),
            "departments": len(ref["departments"]),
            "leaders": len(ref["leaders"]),
        }
    )
    return (
        {code: obj.pk for (code,), obj in departments.items()},
        {name: obj.pk for (name,), obj in leaders.items()},
        {code: obj.pk for (code,), obj in districts.items()},
    )


def _load_context(result: LoadResult) -> None:
    """Main roads and the river (fixtures/context.geojson), drawn under every map."""
    features = _read("context.geojson")["features"]
    rows = [
        {
            "kind": f["properties"]["kind"],
            "name": f["properties"]["name"],
            "geom": _geom(f["geometry"]),
        }
        for f in features
    ]
    _sync(result, "roads and rivers", ContextFeature, rows, ("kind", "name"))
    result.sizes["roads and rivers"] = len(rows)


def _load_projects(result: LoadResult, dept: dict, leader: dict, district: dict) -> None:
    features = _read("projects.geojson")["features"]
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
        row.update({k: _money(p[k]) for k in money_fields})
        row.update({k: _date(p[k]) for k in date_fields})
        row["percent_complete"] = _money(p["percent_complete"])
        row["lead_department_id"] = dept[row.pop("lead_department")]
        row["leader_id"] = leader[row.pop("leader")]
        row["district_id"] = district[row.pop("district")]
        row["geom"] = _geom(feature["geometry"])
        rows.append(row)
    projects = _sync(result, "projects", Project, rows, ("code",))
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
                    "completed_investment": _money(r["completed_investment"]),
                    "percent_complete": _money(r["percent_complete"]),
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
                    "raised_on": _date(b["raised_on"]),
                    "resolved": b["resolved"],
                    "resolved_on": _date(b["resolved_on"]),
                }
            )
    _sync(
        result,
        "progress reports",
        ProgressReport,
        reports,
        ("project_id", "month"),
        ProgressReport.objects.filter(project_id__in=ids),
    )
    _sync(
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


def _load_livelihood(result: LoadResult, dept: dict, leader: dict, district: dict) -> None:
    features = _read("livelihood.geojson")["features"]
    rows = []
    for feature in features:
        p = feature["properties"]
        row = {k: v for k, v in p.items() if k != "milestones"}
        row["total_investment"] = _money(p["total_investment"])
        row["percent_complete"] = _money(p["percent_complete"])
        row["lead_department_id"] = dept[row.pop("lead_department")]
        row["leader_id"] = leader[row.pop("leader")]
        row["district_id"] = district[row.pop("district")]
        row["geom"] = _geom(feature["geometry"])
        rows.append(row)
    works = _sync(result, "livelihood works", LivelihoodWork, rows, ("code",))
    milestones = [
        {
            "work_id": works[(f["properties"]["code"],)].pk,
            "seq": seq,
            "name": m["name"],
            "planned_date": _date(m["planned_date"]),
            "actual_date": _date(m["actual_date"]),
        }
        for f in features
        for seq, m in enumerate(f["properties"]["milestones"], start=1)
    ]
    _sync(
        result,
        "milestones",
        Milestone,
        milestones,
        ("work_id", "seq"),
        Milestone.objects.filter(work_id__in=[w.pk for w in works.values()]),
    )
    result.sizes.update({"livelihood works": len(features), "milestones": len(milestones)})


def _load_markets(result: LoadResult, dept: dict, district: dict) -> None:
    features = _read("markets.geojson")["features"]
    rows = []
    for feature in features:
        p = feature["properties"]
        row = {k: v for k, v in p.items() if k != "closures"}
        row.setdefault("status_reason", "")
        row["district_id"] = district[row.pop("district")]
        # Urban management (城管执法局) manages every market zone.
        row["department_id"] = dept["cgzfj"]
        row["boundary"] = _geom(feature["geometry"])
        rows.append(row)
    zones = _sync(result, "market zones", MarketZone, rows, ("name",), bump_version=True)
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
    _sync(
        result,
        "closures",
        Closure,
        closures,
        ("zone_id", "start"),
        Closure.objects.filter(zone_id__in=[z.pk for z in zones.values()]),
    )
    calendar = [
        {"date": _date(day["date"]), "kind": day["kind"], "name": day["name"]}
        for day in _read("calendar.json")["calendar"]
    ]
    _sync(result, "calendar days", CalendarException, calendar, ("date",))
    result.sizes.update(
        {
            "market zones": len(features),
            "closures": len(closures),
            "calendar days": len(calendar),
        }
    )


def _load_accounts(result: LoadResult, dept: dict) -> None:
    """One account per role; the password is set only when an account is created."""
    spec = _read("accounts.json")["accounts"]
    users = {
        u.username: u
        for u in User.objects.filter(username__in=[a["username"] for a in spec])
        .prefetch_related("groups")
        .select_related("staff_profile")
    }
    groups = {name: Group.objects.get_or_create(name=name)[0] for name in ALL_ROLES}
    password_hash = None  # hashing is slow by design: do it once, only if needed
    for account in spec:
        superuser = bool(account.get("superuser"))
        user = users.get(account["username"])
        if user is None:
            password_hash = password_hash or make_password(DEMO_PASSWORD)
            user = User.objects.create(
                username=account["username"],
                first_name=account["name"],
                password=password_hash,
                is_staff=superuser,
                is_superuser=superuser,
            )
            result.created["accounts"] += 1
        elif superuser and not (user.is_superuser and user.is_staff):
            user.is_superuser = user.is_staff = True
            user.save(update_fields=["is_superuser", "is_staff"])
            result.updated["accounts"] += 1
        role = account["role"]
        if role and not any(g.name == role for g in user.groups.all()):
            user.groups.add(groups[role])
            if account["username"] in users:
                result.updated["account roles"] += 1
        department_id = dept[account["department"]] if account["department"] else None
        profile = getattr(user, "staff_profile", None)
        if department_id is None:
            continue
        if profile is None:
            StaffProfile.objects.create(user=user, department_id=department_id)
            result.created["staff profiles"] += 1
        elif profile.department_id != department_id:
            profile.department_id = department_id
            profile.save(update_fields=["department"])
            result.updated["staff profiles"] += 1
    result.sizes["accounts"] = len(spec)


def demo_load() -> LoadResult:
    """Load or refresh the demo city; returns what was created and updated."""
    result = LoadResult()
    with transaction.atomic():
        dept, leader, district = _load_reference(result)
        _load_context(result)
        _load_projects(result, dept, leader, district)
        _load_livelihood(result, dept, leader, district)
        _load_markets(result, dept, district)
        _load_accounts(result, dept)
        _load_reports(result)
    return result


def _load_reports(result: LoadResult) -> None:
    from markets.reports.demo import load_demo_reports  # the reports' own loader

    counts = load_demo_reports()
    result.created["problem reports"] += counts["created"]
    result.sizes["problem reports"] = counts["total"]
