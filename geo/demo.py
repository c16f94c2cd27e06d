"""Load the demo city (``fixtures/``) into the database: one transaction, safe to repeat.

Rows are matched by their natural key (code, name, date, …): missing rows are created,
rows that differ from the fixtures are updated in place, and nothing else is touched, so a
second run on a loaded database writes nothing. The fixture files are generated once by
``fixtures/generate.py`` and committed.

This module loads what every app shares (the city, departments, leaders, districts, the context
layers, the accounts) and the tools to load the rest. Each app loads its own data: its
``AppConfig.demo_parts`` names a loader per stage (``STAGES``), called in INSTALLED_APPS order
with the LoadResult and the shared ``Reference``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, User
from django.contrib.gis.geos import GEOSGeometry
from django.db import models, transaction
from django.utils.module_loading import import_string
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from geo.models import CityBoundary, ContextFeature, Department, District, Leader, StaffProfile
from geo.roles import ALL_ROLES

FIXTURES_DIR = Path(settings.BASE_DIR) / "fixtures"
DEMO_PASSWORD = "demo-pass-2026"  # published in fixtures/README.md: demo databases only
CHANGE_REASON = "demo city (load_demo)"
REFUSED_WITHOUT_DEBUG = (
    "Refusing to load the demo city: DEBUG is off, and the demo creates accounts with a "
    "published password. Run with DEBUG=1, or pass --force if you really mean it."
)

Row = dict[str, Any]
# When each app's demo parts run: the tables others refer to (the holiday calendar), the
# layers, then what happens on them (orders, reports), which may refer to the accounts.
STAGES = ("reference", "layers", "activity")
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


def read_fixture(name: str) -> Any:
    return json.loads((FIXTURES_DIR / name).read_text(encoding="utf-8"))


def geometry(geojson: dict) -> GEOSGeometry:
    return GEOSGeometry(json.dumps(geojson), srid=4326)


def iso_date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def money(value: float | int | None) -> Decimal | None:
    # Via str(): the JSON number 1234.5 becomes Decimal("1234.5"), not its binary expansion.
    return None if value is None else Decimal(str(value))


def sync(
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


@dataclass(frozen=True)
class Reference:
    """The shared rows the apps' parts refer to, by their fixture keys: code/name -> pk."""

    departments: dict[str, int]
    leaders: dict[str, int]
    districts: dict[str, int]


def _load_reference(result: LoadResult) -> Reference:
    ref = read_fixture("reference.json")
    city = ref["city"]
    sync(
        result,
        "city boundary",
        CityBoundary,
        [{"name": city["name"], "geom": geometry(city["geom"])}],
        ("name",),
    )
    departments = sync(result, "departments", Department, ref["departments"], ("code",))
    leaders = sync(result, "leaders", Leader, ref["leaders"], ("name",))
    districts = sync(
        result,
        "districts",
        District,
        [
            {"code": d["code"], "name": d["name"], "geom": geometry(d["geom"])}
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
    return Reference(
        departments={code: obj.pk for (code,), obj in departments.items()},
        leaders={name: obj.pk for (name,), obj in leaders.items()},
        districts={code: obj.pk for (code,), obj in districts.items()},
    )


def _load_context(result: LoadResult) -> None:
    """Main roads and the river (fixtures/context.geojson), drawn under every map."""
    features = read_fixture("context.geojson")["features"]
    rows = [
        {
            "kind": f["properties"]["kind"],
            "name": f["properties"]["name"],
            "geom": geometry(f["geometry"]),
        }
        for f in features
    ]
    sync(result, "roads and rivers", ContextFeature, rows, ("kind", "name"))
    result.sizes["roads and rivers"] = len(rows)


def _load_accounts(result: LoadResult, dept: dict[str, int], leaders: dict[str, int]) -> None:
    """One account per role; the password is set only when an account is created.

    An account with a ``leader`` (a leader's name) is that city leader's sign-in
    (``Leader.account``): orders escalated to the leader appear in its inbox.
    """
    spec = read_fixture("accounts.json")["accounts"]
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
        if account.get("leader"):
            _link_leader(result, user, leaders[account["leader"]])
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


def _link_leader(result: LoadResult, user: User, leader_id: int) -> None:
    leader = Leader.objects.get(pk=leader_id)
    if leader.account_id == user.pk:
        return
    Leader.objects.filter(account=user).exclude(pk=leader_id).update(account=None)
    leader.account = user
    leader._change_reason = CHANGE_REASON
    leader.save(update_fields=["account"])
    result.updated["leader accounts"] += 1


def _parts(stage: str) -> list:
    """Each app's loader for ``stage`` (``AppConfig.demo_parts``), in INSTALLED_APPS order."""
    found = []
    for config in apps.get_app_configs():
        path = getattr(config, "demo_parts", {}).get(stage)
        if path:
            found.append(import_string(path))
    return found


def demo_load() -> LoadResult:
    """Load or refresh the demo city; returns what was created and updated."""
    result = LoadResult()
    with transaction.atomic():
        reference = _load_reference(result)
        _load_context(result)
        _load_accounts(result, reference.departments, reference.leaders)
        for stage in STAGES:
            for part in _parts(stage):
                part(result, reference)
    return result
