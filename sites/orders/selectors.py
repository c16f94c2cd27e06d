"""Reads of supervision orders: working-day calendar, colours, lists, inbox, aggregates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from markets.models import CalendarException, DayKind
from sites.orders.models import OrderState, SupervisionOrder
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
