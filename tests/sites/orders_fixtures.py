"""Fixtures of the supervision-order tests: the 2026 holiday table, a fixed clock, the cast."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from markets.models import CalendarException
from sites.orders import services

SHANGHAI = ZoneInfo("Asia/Shanghai")
CALENDAR = Path(__file__).parents[2] / "fixtures" / "calendar.json"


def at(y, m, d, hh=10, mm=0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


@pytest.fixture
def holiday_table(db):
    rows = json.loads(CALENDAR.read_text())["calendar"]
    CalendarException.objects.bulk_create(
        CalendarException(date=dt.date.fromisoformat(r["date"]), kind=r["kind"], name=r["name"])
        for r in rows
    )


class Clock:
    def __init__(self, monkeypatch, start: dt.datetime):
        self.now = start
        monkeypatch.setattr(services, "now", lambda: self.now)
        # Dates the selectors and views read ("today") follow the same clock.
        monkeypatch.setattr("django.utils.timezone.now", lambda: self.now)

    def set(self, value: dt.datetime) -> None:
        self.now = value


@pytest.fixture
def clock(monkeypatch):
    return Clock(monkeypatch, at(2026, 9, 20))


@pytest.fixture
def cast(user_factory, department, department_factory, project_factory, leader):
    """The people of an order: issuing leader, another leader, the project office, staff of
    the lead department and of another one, urban management, market supervision."""
    other_dept = department_factory(code="zjj", name="住建局")
    project = project_factory()
    return {
        "project": project,
        "other_dept": other_dept,
        "leader": user_factory("leaders", username="leader1"),
        "other_leader": user_factory("leaders", username="leader2"),
        "office": user_factory("project_office", username="office1"),
        "dept": user_factory("department_staff", department=department, username="dept1"),
        "other_dept_staff": user_factory("department_staff", department=other_dept,
                                         username="dept2"),
        "urban": user_factory("urban_management", username="urban1"),
        "market": user_factory("market_supervision", username="market1"),
    }
