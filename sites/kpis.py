"""The figures leaders ask for (DOMAIN.md), computed with aggregate queries.

One aggregate query gives the citywide figures and one GROUP BY query each gives the breakdowns
by lead department and by responsible leader; no per-project loop in Python. The rows are the
filtered project queryset of ``sites.selectors`` with its state as of the requested month and,
for staff, its lights (``sites.lights``), so the stats agree with the map and the API.

Public vs staff (issue 3, item 9): anonymous users get the counts and start rates of published
projects by department (how many projects started is public information, like the stage on the
map); money (investment, completion rate, time-progress gap), statistical registration, bonds,
lights and the breakdown by city leader are for staff.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce

from sites import lights, selectors
from sites.models import STARTED_STAGES, BondStatus, BuildType, Stage

STARTED = [s.value for s in STARTED_STAGES]
# The bond project bank holds candidates and the projects submitted or approved; a rejected
# project has left it (interpretation of "grow the bank to over 1,000 亿元").
BOND_BANK = [BondStatus.CANDIDATE, BondStatus.SUBMITTED, BondStatus.APPROVED]
# Approval rate = approved ÷ decided or pending (submitted + approved + rejected), by count.
BOND_SUBMITTED = [BondStatus.SUBMITTED, BondStatus.APPROVED, BondStatus.REJECTED]


def _money_sum(expr: str, **kw) -> Coalesce:
    return Coalesce(Sum(expr, **kw), Decimal(0))


def _public_aggregates() -> dict:
    new = Q(build_type=BuildType.NEW)
    prep = Q(k_stage=Stage.PREPARATION)
    return {
        "projects": Count("pk"),
        "started": Count("pk", filter=Q(k_stage__in=STARTED)),
        "new_projects": Count("pk", filter=new),
        "new_started": Count("pk", filter=new & Q(k_stage__in=STARTED)),
        # 未开工: still in preparation (suspended projects are counted apart by stage).
        "not_started_new": Count("pk", filter=new & prep),
        "not_started_continuing": Count("pk", filter=Q(build_type=BuildType.CONTINUING) & prep),
    }


def _staff_aggregates(ref: dt.date) -> dict:
    unregistered = Q(stats_registered_on__isnull=True) | Q(stats_registered_on__gt=ref)
    return {
        "planned_investment": _money_sum("planned_investment_year"),
        "completed_investment": _money_sum("k_completed"),
        "behind_time_progress": Count("pk", filter=Q(k_level_progress__gte=1)),
        "started_unregistered": Count("pk", filter=Q(k_stage__in=STARTED) & unregistered),
        "light_green": Count("pk", filter=Q(k_light=lights.GREEN)),
        "light_yellow": Count("pk", filter=Q(k_light=lights.YELLOW)),
        "light_red": Count("pk", filter=Q(k_light=lights.RED)),
        "bond_bank_total": _money_sum("bond_requested", filter=Q(bond_status__in=BOND_BANK)),
        "bond_approved_amount": _money_sum(
            "bond_approved", filter=Q(bond_status=BondStatus.APPROVED)
        ),
        "bond_submitted": Count("pk", filter=Q(bond_status__in=BOND_SUBMITTED)),
        "bond_approved": Count("pk", filter=Q(bond_status=BondStatus.APPROVED)),
    }


def _pct(num, den) -> float | None:
    """num/den in percent, one decimal (half up); None when there is nothing to divide by."""
    if not den:
        return None
    value = Decimal(num) * 100 / Decimal(den)
    return float(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _finish(row: dict, *, staff: bool, elapsed: Decimal) -> dict:
    """Add the rates to a row of counts and sums; money in 万元 as numbers."""
    row["start_rate"] = _pct(row["started"], row["projects"])
    row["new_start_rate"] = _pct(row["new_started"], row["new_projects"])
    if staff:
        rate = _pct(row["completed_investment"], row["planned_investment"])
        row["completion_rate"] = rate
        # 序时进度: completion rate minus the share of the year elapsed, in points.
        row["time_progress_gap"] = (
            None if rate is None
            else float((Decimal(str(rate)) - elapsed).quantize(Decimal("0.1"), ROUND_HALF_UP))
        )
        row["bond_approval_rate"] = _pct(row["bond_approved"], row["bond_submitted"])
        for key in ("planned_investment", "completed_investment", "bond_bank_total",
                    "bond_approved_amount"):
            row[key] = float(row[key])
    return row


def _renamed(rows, **names: str) -> list[dict]:
    """Rows with the grouping columns renamed (``code``, ``name``…) and placed first."""
    out = []
    for row in rows:
        head = {new: row.pop(old) for new, old in names.items()}
        out.append(head | row)
    return out


def stats(filters: selectors.SiteFilters, *, staff: bool) -> dict:
    """KPI figures for the filtered projects: overall, by department and (staff) by leader."""
    qs: QuerySet = selectors.projects_queryset(filters, staff=staff).order_by()
    # Django aggregates over annotations, not aliases: promote what the sums and counts use.
    qs = qs.annotate(k_stage=F("eff_stage"))
    if staff:
        qs = qs.annotate(k_completed=F("eff_completed"), k_level_progress=F("level_progress"),
                         k_light=F("light"))
    ref = lights.reference_date(filters.as_of)
    elapsed = lights.year_elapsed_percent(ref)
    aggs = _public_aggregates() | (_staff_aggregates(ref) if staff else {})

    overall = _finish(qs.aggregate(**aggs), staff=staff, elapsed=elapsed)
    by_department = [
        _finish(row, staff=staff, elapsed=elapsed)
        for row in _renamed(
            qs.values("lead_department__code", "lead_department__name")
            .annotate(**aggs)
            .order_by("lead_department__code"),
            code="lead_department__code", name="lead_department__name",
        )
    ]
    result = {
        "as_of": filters.as_of.strftime("%Y-%m") if filters.as_of else None,
        "reference_date": ref.isoformat(),
        "year_elapsed_percent": float(elapsed.quantize(Decimal("0.1"), ROUND_HALF_UP)),
        "overall": overall,
        "by_department": by_department,
    }
    if staff:
        result["bond_bank_target"] = float(settings.BOND_BANK_TARGET_WAN)
        result["overall"]["bond_bank_target_share"] = _pct(
            overall["bond_bank_total"], settings.BOND_BANK_TARGET_WAN
        )
        result["by_leader"] = [
            _finish(row, staff=staff, elapsed=elapsed)
            for row in _renamed(
                qs.values("leader_id", "leader__name").annotate(**aggs).order_by("leader__name"),
                id="leader_id", name="leader__name",
            )
        ]
    return result
