"""Reads of supervision orders: working-day calendar, colours, lists, inbox, aggregates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from geo import roles
from geo.api.params import BOOLEAN, INTEGER, LIST, QueryParam, validate_query
from geo.filters import parse_choices
from geo.models import Department, Leader
from markets.models import CalendarException, DayKind
from sites.orders.models import OPEN_STATES, OrderState, SupervisionOrder
from sites.orders.workdays import add_working_days, working_days_between

YELLOW_WITHIN_WORKING_DAYS = 3


@dataclass(frozen=True)
class HolidaySets:
    """The holiday table as two sets, for sites.orders.workdays."""

    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]

    def add(self, start: dt.date, n: int) -> dt.date:
        return add_working_days(start, n, self.holidays, self.workdays)

    def between(self, a: dt.date, b: dt.date) -> int:
        return working_days_between(a, b, self.holidays, self.workdays)


def holiday_sets() -> HolidaySets:
    """Public holidays and make-up working days from the holiday table, in one query."""
    holidays, workdays = set(), set()
    for day, kind in CalendarException.objects.values_list("date", "kind"):
        (holidays if kind == DayKind.HOLIDAY else workdays).add(day)
    return HolidaySets(frozenset(holidays), frozenset(workdays))


def order_colour(order: SupervisionOrder, today: dt.date, cal: HolidaySets) -> str:
    """green / yellow / red (see the contract in sites/orders/models.py)."""
    if order.state == OrderState.CLOSED:
        return "green"
    if today > order.deadline:
        return "red"
    if cal.between(today, order.deadline) <= YELLOW_WITHIN_WORKING_DAYS:
        return "yellow"
    return "green"


# --- the orders list (API filters) ------------------------------------------------------------

@dataclass(frozen=True)
class OrderFilters:
    state: list[str]
    department: list[str]
    overdue: bool | None = None
    project: int | None = None


def _parse_bool(name: str):
    def parse(params: Mapping[str, str]) -> bool | None:
        raw = (params.get(name) or "").lower()
        if raw == "":
            return None
        if raw in {"true", "1"}:
            return True
        if raw in {"false", "0"}:
            return False
        raise ValidationError({name: _("%(name)s is true or false.") % {"name": name}})

    return parse


def _parse_project(params: Mapping[str, str]) -> int | None:
    raw = params.get("project") or ""
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 12 or int(raw) < 1:
        raise ValidationError({"project": _("project is a project id (a whole number).")})
    return int(raw)


def _department_codes(params: Mapping[str, str]) -> list[str]:
    return parse_choices(params, "department", _department_choices())


def _department_choices() -> tuple[str, ...]:
    return tuple(Department.objects.order_by("code").values_list("code", flat=True))


ORDER_PARAMS = (
    QueryParam("state", lambda p: parse_choices(p, "state", OrderState.values),
               "Order states, comma-separated", kind=LIST, choices=tuple(OrderState.values)),
    QueryParam("department", _department_codes,
               "Addressed department codes, comma-separated", kind=LIST,
               choices=_department_choices),
    QueryParam("overdue", _parse_bool("overdue"),
               "true: only open orders past their deadline; false: only the others",
               kind=BOOLEAN),
    QueryParam("project", _parse_project, "A project id", kind=INTEGER, minimum=1,
               maximum=999_999_999_999),
)


def parse_order_filters(params: Mapping[str, str]) -> OrderFilters:
    return OrderFilters(**validate_query(params, ORDER_PARAMS))


def overdue_q(today: dt.date) -> Q:
    return Q(state__in=OPEN_STATES, deadline__lt=today)


def orders(filters: OrderFilters | None = None, *, today: dt.date | None = None) -> QuerySet:
    """Orders for staff, newest first, with what the list shows."""
    today = today or timezone.localdate()
    qs = SupervisionOrder.objects.select_related(
        "project", "work", "department", "leader", "escalated_to", "issued_by", "blocker"
    )
    if filters is None:
        return qs
    if filters.state:
        qs = qs.filter(state__in=filters.state)
    if filters.department:
        qs = qs.filter(department__code__in=filters.department)
    if filters.overdue is True:
        qs = qs.filter(overdue_q(today))
    elif filters.overdue is False:
        qs = qs.exclude(overdue_q(today))
    if filters.project is not None:
        qs = qs.filter(project_id=filters.project)
    return qs


def order_detail(pk: int) -> SupervisionOrder:
    return orders().prefetch_related("replies__attachments", "replies__author").get(pk=pk)


# --- the inbox --------------------------------------------------------------------------------

def inbox_filters(user) -> dict[str, Q]:
    """What each inbox section holds for ``user`` (an empty dict: no inbox)."""
    never = Q(pk__in=[])
    sections = {"to_sign": never, "to_act": never, "to_review": never, "escalated": never}
    if not roles.is_staff_reader(user):
        return {}
    superuser = user.is_superuser
    dept = roles.user_department_id(user)
    if superuser or (roles.has_role(user, roles.DEPARTMENT_STAFF) and dept):
        mine = Q() if superuser else Q(department_id=dept)
        sections["to_sign"] = mine & Q(state=OrderState.ISSUED)
        sections["to_act"] = mine & Q(state__in=(OrderState.SIGNED, OrderState.IN_PROGRESS,
                                                 OrderState.RETURNED))
    if superuser or roles.has_role(user, roles.PROJECT_OFFICE):
        sections["to_review"] = Q(state=OrderState.SUBMITTED)
    elif roles.has_role(user, roles.LEADERS):
        sections["to_review"] = Q(state=OrderState.SUBMITTED, issued_by=user)
    sections["escalated"] = escalated_q(user)
    return sections


def escalated_q(user) -> Q:
    """The escalated open orders ``user`` answers for (the inbox's escalations).

    The project office and superusers oversee them all. A leader's account (``Leader.account``)
    gets those escalated to that leader only. A leaders-role account linked to no leader gets
    those escalated to leaders who have no account, so that no escalation goes unseen before
    the administrator links the accounts. Anyone else: none. Whether ``user`` is linked is
    asked inside the same query (an uncorrelated EXISTS), so the header's count stays one query.
    """
    escalated = Q(state__in=OPEN_STATES, escalated_at__isnull=False)
    if user.is_superuser or roles.has_role(user, roles.PROJECT_OFFICE):
        return escalated
    mine = Q(escalated_to__account=user)
    if roles.has_role(user, roles.LEADERS):
        unclaimed = Q(escalated_to__account__isnull=True) & ~Exists(
            Leader.objects.filter(account=user)
        )
        return escalated & (mine | unclaimed)
    return escalated & mine


def inbox_counts(user) -> dict[str, int]:
    """Each section's count and the total (orders in any section), in one aggregate query."""
    sections = inbox_filters(user)
    if not sections:
        return {"to_sign": 0, "to_act": 0, "to_review": 0, "escalated": 0, "total": 0}
    any_q = Q(pk__in=[])
    for q in sections.values():
        any_q |= q
    aggregates = {name: Count("pk", filter=q) for name, q in sections.items()}
    return SupervisionOrder.objects.aggregate(**aggregates, total=Count("pk", filter=any_q))


def inbox(user) -> dict[str, list[SupervisionOrder]]:
    return {name: list(orders().filter(q).order_by("deadline", "pk"))
            for name, q in inbox_filters(user).items()}


# --- per-project aggregates (the staff map's badge) -------------------------------------------

def open_orders_by_project(today: dt.date | None = None) -> dict[int, dict[str, int]]:
    """{project id: {"open": n, "overdue": m}} in one GROUP BY query."""
    today = today or timezone.localdate()
    rows = (
        SupervisionOrder.objects.filter(state__in=OPEN_STATES, project__isnull=False)
        .values("project_id")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=Q(deadline__lt=today)))
        .order_by()
    )
    return {r["project_id"]: {"open": r["open"], "overdue": r["overdue"]} for r in rows}


def current_light(project_id: int) -> str:
    """The project's light today (green / yellow / red)."""
    from django.db.models import F

    from sites import lights
    from sites.models import Project

    qs = lights.annotate(Project.objects.filter(pk=project_id), as_of=None)
    return qs.annotate(now_light=F("light")).values_list("now_light", flat=True).first() or ""


def current_work_light(work_id: int) -> str:
    """The livelihood work's light today (green / yellow / red; sites.lights.WorkLightSQL)."""
    from sites.layers import livelihood_page_feature

    feature = livelihood_page_feature(work_id, staff=True)
    return feature["properties"]["light"] if feature else ""


def work_orders_context(user, work) -> dict:
    """What a livelihood work's page shows of its orders: (order, colour) rows and the link."""
    from sites.orders.services import can_issue

    today = timezone.localdate()
    cal = holiday_sets()
    rows = [(o, order_colour(o, today, cal)) for o in orders().filter(work=work)]
    return {"work_orders": rows, "can_issue_orders": can_issue(user)}


def project_orders_context(user, project) -> dict:
    """What the project page shows of its orders: (order, colour) rows and the issue link."""
    from sites.orders.services import can_issue

    today = timezone.localdate()
    cal = holiday_sets()
    rows = [(o, order_colour(o, today, cal)) for o in orders().filter(project=project)]
    return {"project_orders": rows, "can_issue_orders": can_issue(user)}


def inbox_total(user) -> int:
    """The number in the header's inbox link (``SitesConfig.nav_counts``)."""
    return inbox_counts(user)["total"]
