"""MarketZone.state_at: the row-local question "is this zone open at that moment?"."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from markets.calendar import HolidayCalendar
from markets.models import CalendarException, Closure
from markets.selectors import closures_by_zone, load_calendar

SH = ZoneInfo("Asia/Shanghai")


def state_at(zone, moment: dt.datetime):
    """As a caller does: the holiday table and the zone's closures read by the selectors."""
    closures = closures_by_zone([zone.pk], since=moment).get(zone.pk, [])
    return zone.state_at(moment, calendar=load_calendar(), closures=closures)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("moment", "open_now", "next_change"),
    [
        # Fri 2026-07-03 17:59: opens at 18:00.
        (dt.datetime(2026, 7, 3, 17, 59, tzinfo=SH), False, "2026-07-03T18:00:00+08:00"),
        # Fri 21:00 inside the evening that runs to 02:00 on Saturday.
        (dt.datetime(2026, 7, 3, 21, 0, tzinfo=SH), True, "2026-07-04T02:00:00+08:00"),
        # Sat 00:30 belongs to Friday evening; given in UTC (16:30 on Friday).
        (dt.datetime(2026, 7, 3, 16, 30, tzinfo=dt.UTC), True, "2026-07-04T02:00:00+08:00"),
        # Sat 02:00: the Friday session has just ended.
        (dt.datetime(2026, 7, 4, 2, 0, tzinfo=SH), False, "2026-07-04T18:00:00+08:00"),
    ],
)
def test_state_at_past_midnight(zone_factory, moment, open_now, next_change):
    zone = zone_factory(opening_hours="Mo-Su 18:00-02:00")
    state = state_at(zone, moment)
    assert state.open_now is open_now
    assert state.next_change.isoformat() == next_change


@pytest.mark.django_db
def test_closure_and_suspension_override_the_hours(zone_factory):
    zone = zone_factory(opening_hours="Mo-Su 18:00-22:00")
    Closure.objects.create(
        zone=zone, start=dt.datetime(2026, 7, 3, 19, tzinfo=SH),
        end=dt.datetime(2026, 7, 3, 21, tzinfo=SH), reason="消防检查",
    )
    assert state_at(zone, dt.datetime(2026, 7, 3, 18, 30, tzinfo=SH)).open_now is True
    assert state_at(zone, dt.datetime(2026, 7, 3, 20, 0, tzinfo=SH)).open_now is False
    zone.status, zone.status_reason = "suspended", "道路施工"
    state = state_at(zone, dt.datetime(2026, 7, 3, 18, 30, tzinfo=SH))
    assert state.open_now is False
    assert "道路施工" in state.status_text


@pytest.mark.django_db
def test_the_calendar_passed_in_decides_holidays(zone_factory):
    # Fri 2026-10-02 is in the National Day holiday; "PH off" closes the market that evening.
    zone = zone_factory(opening_hours="Mo-Su 18:00-22:00; PH off")
    evening = dt.datetime(2026, 10, 2, 19, 0, tzinfo=SH)
    CalendarException.objects.create(date=dt.date(2026, 10, 2), kind="holiday", name="国庆节")
    assert state_at(zone, evening).open_now is False
    # The model reads no table itself: an empty calendar has no holidays.
    assert zone.state_at(evening, calendar=HolidayCalendar(), closures=[]).open_now is True
