"""Per-department supervision-order figures and the monthly ranking of departments.

Order figures at a reference date ``ref`` (the contract of sites/orders/models.py, read as of
``ref``: an order closed after ``ref`` was still open then):
- issued          = issued on or before ``ref``;
- signed on time  = signed by ``ref`` within 1 working day of issue (holiday table);
- closed on time  = closed by ``ref`` on or before its deadline;
- overdue         = not closed by ``ref`` and ``ref`` > deadline;
- on-time closure rate = closed on time ÷ orders due by ``ref`` (deadline before ``ref``, or
  closed by then): an order whose deadline is still ahead counts for nobody yet.

All four counts per department are one aggregate query (GROUP BY department); the working-day
test runs in SQL against the holiday table (markets_calendarexception), so nothing loops.

Ranking (骏马奖 / 蜗牛奖): a department's score is the mean of the rates it has among on-time
closure rate, start rate and investment completion rate (each in percent; a rate with nothing
to divide by is left out); best = highest score, worst = lowest; ties go by department code.
Interpretation: the speech names no weights, so the three count alike.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import BooleanField, Count, ExpressionWrapper, F, Q
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncDate

from markets.models import CalendarException, DayKind
from sites import kpis, lights
from sites.orders.models import OrderState, SupervisionOrder

FIGURES = ("issued", "signed_on_time", "closed_on_time", "overdue", "due")
RATES = ("on_time_closure_rate", "start_rate", "completion_rate")


def _signed_within_one_working_day() -> RawSQL:
    """No working day lies strictly between the issue date and the signing date (local dates)
    — the same as signed date <= add_working_days(issue date, 1)."""
    order = SupervisionOrder._meta.db_table
    calendar = CalendarException._meta.db_table
    local = "(({table}.{col} AT TIME ZONE 'Asia/Shanghai')::date)"
    issued = local.format(table=f'"{order}"', col='"issued_at"')
    signed = local.format(table=f'"{order}"', col='"signed_at"')
    sql = (
        f"NOT EXISTS (SELECT 1 FROM generate_series({issued} + 1, {signed} - 1, "
        f"interval '1 day') AS between_days(day) WHERE "
        f'between_days.day::date IN (SELECT "date" FROM "{calendar}" WHERE "kind" = %s) '
        f"OR (EXTRACT(ISODOW FROM between_days.day) < 6 AND between_days.day::date NOT IN "
        f'(SELECT "date" FROM "{calendar}" WHERE "kind" = %s)))'
    )
    return RawSQL(sql, (DayKind.WORKDAY.value, DayKind.HOLIDAY.value), output_field=BooleanField())


def _aggregates(ref: dt.date) -> dict:
    issued = Q(issued_day__lte=ref)
    closed_by_ref = Q(state=OrderState.CLOSED, closed_day__lte=ref)
    signed_on_time = ExpressionWrapper(_signed_within_one_working_day(), BooleanField())
    return {
        "issued": Count("pk", filter=issued),
        "signed_on_time": Count("pk", filter=issued & Q(signed_day__lte=ref) & Q(signed_ok=True)),
        "closed_on_time": Count("pk", filter=closed_by_ref & Q(closed_day__lte=F("deadline"))),
        "overdue": Count("pk", filter=issued & ~closed_by_ref & Q(deadline__lt=ref)),
        "due": Count("pk", filter=issued & (closed_by_ref | Q(deadline__lt=ref))),
    }, signed_on_time


def order_figures(*, ref: dt.date) -> dict[str, dict]:
    """Department code -> its order figures at ``ref`` (one aggregate query)."""
    aggregates, signed_ok = _aggregates(ref)
    rows = (
        SupervisionOrder.objects.order_by()
        .annotate(
            issued_day=TruncDate("issued_at"),  # the current time zone: Asia/Shanghai
            signed_day=TruncDate("signed_at"),
            closed_day=TruncDate("closed_at"),
            signed_ok=signed_ok,
        )
        .values("department__code", "department__name")
        .annotate(**aggregates)
    )
    out = {}
    for row in rows:
        code = row.pop("department__code")
        row["name"] = row.pop("department__name")
        row["on_time_closure_rate"] = kpis._pct(row["closed_on_time"], row["due"])
        out[code] = row
    return out


def _score(row: dict) -> float | None:
    rates = [row[key] for key in RATES if row.get(key) is not None]
    if not rates:
        return None
    mean = Decimal(str(sum(Decimal(str(r)) for r in rates))) / len(rates)
    return float(mean.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def ranked_departments(
    by_department: list[dict], *, month: dt.date | None, include_order_only: bool = True
) -> list[dict]:
    """The stats' department rows with their order figures and score, best first.

    A department with orders but no key project (a livelihood work's) is ranked on its
    on-time closure alone, unless ``include_order_only`` is False (a filtered dashboard).
    """
    ref = lights.reference_date(month)
    orders = order_figures(ref=ref)
    zero = dict.fromkeys(FIGURES, 0) | {"on_time_closure_rate": None}
    rows = []
    for dept in by_department:
        figures = orders.pop(dept["code"], None) or zero
        rows.append(
            {
                "code": dept["code"],
                "name": dept["name"],
                "projects": dept["projects"],
                "started": dept["started"],
                "start_rate": dept["start_rate"],
                "completion_rate": dept.get("completion_rate"),
                **{key: figures[key] for key in (*FIGURES, "on_time_closure_rate")},
            }
        )
    for code, figures in orders.items() if include_order_only else ():
        rows.append(
            {
                "code": code,
                "name": figures["name"],
                "projects": 0,
                "started": 0,
                "start_rate": None,
                "completion_rate": None,
                **{key: figures[key] for key in (*FIGURES, "on_time_closure_rate")},
            }
        )
    for row in rows:
        row["score"] = _score(row)
    scored = sorted(
        (r for r in rows if r["score"] is not None), key=lambda r: (-r["score"], r["code"])
    )
    unscored = sorted((r for r in rows if r["score"] is None), key=lambda r: r["code"])
    for rank, row in enumerate(scored, start=1):
        row["rank"] = rank
    return scored + unscored


def best_and_worst(ranked: list[dict]) -> tuple[dict | None, dict | None]:
    """骏马奖 and 蜗牛奖: the first and last scored departments (None with fewer than two)."""
    scored = [row for row in ranked if row.get("rank")]
    if len(scored) < 2:
        return None, None
    return scored[0], scored[-1]


def orders_of_projects(project_ids: list[int], *, ref: dt.date) -> dict[int, list[dict]]:
    """Project id -> its orders issued by ``ref``, oldest first, with ``closed`` (closed by
    ``ref``), ``overdue_days`` (calendar days past the deadline at ``ref``, 0 if none or closed)
    and ``state_as_of`` (an order closed after ``ref`` was still in progress then)."""
    if not project_ids:
        return {}
    rows = (
        SupervisionOrder.objects.filter(project_id__in=project_ids)
        .annotate(issued_day=TruncDate("issued_at"), closed_day=TruncDate("closed_at"))
        .filter(issued_day__lte=ref)
        .order_by("issued_at", "pk")
        .values(
            "pk",
            "project_id",
            "subject",
            "deadline",
            "state",
            "closed_day",
            "department__name",
            "escalated_to__name",
            "escalated_at",
        )
    )
    out: dict[int, list[dict]] = {}
    for row in rows:
        row["closed"] = row["state"] == OrderState.CLOSED and row["closed_day"] <= ref
        if row["state"] == OrderState.CLOSED and not row["closed"]:
            row["state_as_of"] = OrderState.IN_PROGRESS.value
        else:
            row["state_as_of"] = row["state"]
        late = (ref - row["deadline"]).days
        row["overdue_days"] = late if late > 0 and not row["closed"] else 0
        out.setdefault(row["project_id"], []).append(row)
    return out
