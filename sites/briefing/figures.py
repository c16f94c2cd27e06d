"""Everything the monthly briefing says, read for one month (staff view of the data).

The headline numbers are ``sites.kpis.stats`` for ``as_of`` = the month, exactly what
``/api/v1/stats/?as_of=YYYY-MM`` answers a staff user; the lists (pending registrations, red
projects, late livelihood works) are the same filtered querysets the map uses, so their lengths
equal the stats' counts.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db.models import F, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from sites import kpis, lights, selectors
from sites.briefing import ranking
from sites.models import STARTED_STAGES, Milestone

# Marked for makemessages here, translated where raised (tests import the English).
MONTH_FORMAT = gettext_noop("The month must be written YYYY-MM, e.g. 2026-06.")
MONTH_FUTURE = gettext_noop(
    "The briefing cannot be for a month in the future (this month is %(now)s)."
)
STARTED = [s.value for s in STARTED_STAGES]


def parse_month(params: Mapping[str, str]) -> dt.date:
    """``month=YYYY-MM`` (or ``as_of``, as elsewhere in the portal) -> its first day; none given:
    the current month (Asia/Shanghai). Raises ValidationError keyed ``month``."""
    value = (params.get("month") or params.get("as_of") or "").strip()
    today = lights.today()
    if not value:
        return today.replace(day=1)
    match = re.fullmatch(r"(\d{4})-(\d{2})", value[:20])
    if not match or not (1 <= int(match[2]) <= 12) or not (2000 <= int(match[1]) <= 2100):
        raise ValidationError({"month": _(MONTH_FORMAT)}, code="month_format")
    month = dt.date(int(match[1]), int(match[2]), 1)
    if month > today:
        raise ValidationError(
            {"month": _(MONTH_FUTURE) % {"now": today.strftime("%Y-%m")}}, code="month_future"
        )
    return month


def as_of_for(month: dt.date) -> dt.date | None:
    """The stats' ``as_of`` for the briefing of ``month``: None (now) for the current month."""
    return None if month == lights.today().replace(day=1) else month


@dataclass
class Briefing:
    month: dt.date
    stats: dict
    pending_registrations: list[dict] = field(default_factory=list)
    red_projects: list[dict] = field(default_factory=list)
    late_works: list[dict] = field(default_factory=list)
    departments: list[dict] = field(default_factory=list)  # ranked, best first
    map_points: list[dict] = field(default_factory=list)

    @property
    def overall(self) -> dict:
        return self.stats["overall"]

    @property
    def reference_date(self) -> dt.date:
        return dt.date.fromisoformat(self.stats["reference_date"])


def _pending_registrations(filters: selectors.SiteFilters, ref: dt.date) -> list[dict]:
    """Started by ``ref`` and not registered by then: the stats' ``started_unregistered``."""
    rows = (
        selectors.projects_queryset(filters, staff=True)
        .filter(eff_stage__in=STARTED)
        .filter(Q(stats_registered_on__isnull=True) | Q(stats_registered_on__gt=ref))
        .values("code", "name", "stats_applied_on", "lead_department__name")
    )
    return [
        row | {"applied": row["stats_applied_on"] is not None and row["stats_applied_on"] <= ref}
        for row in rows
    ]


def _red_projects(filters: selectors.SiteFilters) -> list[dict]:
    qs = selectors.projects_queryset(
        selectors.SiteFilters(as_of=filters.as_of, light=[lights.RED]), staff=True
    )
    rows = list(
        qs.annotate(reasons=F("light_reasons")).values(
            "pk", "code", "name", "lead_department__name", "leader__name", "reasons", "geom"
        )
    )
    for row in rows:
        geom = row.pop("geom")
        # The map marks a project by a point on its geometry (lon/lat, WGS84).
        row["lonlat"] = geom.point_on_surface.coords if geom is not None else None
    return rows


def _late_works(filters: selectors.SiteFilters, ref: dt.date) -> list[dict]:
    """Livelihood works behind their milestones at ``ref``, each with the missed milestones."""
    works = list(
        selectors.livelihood_queryset(
            selectors.SiteFilters(as_of=filters.as_of, light=[selectors.LATE]), staff=True
        ).values("pk", "code", "name", "lead_department__name")
    )
    missed: dict[int, list[dict]] = {}
    for m in (
        Milestone.objects.filter(work_id__in=[w["pk"] for w in works], planned_date__lt=ref)
        .filter(Q(actual_date__isnull=True) | Q(actual_date__gt=ref))
        .order_by("work_id", "seq")
        .values("work_id", "name", "planned_date")
    ):
        missed.setdefault(m["work_id"], []).append(m)
    return [w | {"missed": missed.get(w["pk"], [])} for w in works]


def briefing_for(month: dt.date) -> Briefing:
    """The briefing of ``month`` (its first day), as staff see the data.

    A past month reads as of its last day (``/api/v1/stats/?as_of=YYYY-MM``); the current
    month reads as of today (``/api/v1/stats/`` with no ``as_of``, what the dashboard shows):
    its last day is still ahead, and "100% of the year elapsed" on 3 December would be wrong.
    """
    f = selectors.SiteFilters(as_of=as_of_for(month))
    stats = kpis.stats(f, staff=True)
    ref = dt.date.fromisoformat(stats["reference_date"])
    red = _red_projects(f)
    orders = ranking.orders_of_projects([row["pk"] for row in red], ref=ref)
    for row in red:
        row["orders"] = orders.get(row["pk"], [])
    return Briefing(
        month=month,
        stats=stats,
        pending_registrations=_pending_registrations(f, ref),
        red_projects=red,
        late_works=_late_works(f, ref),
        departments=ranking.ranked_departments(stats["by_department"], month=f.as_of),
    )
