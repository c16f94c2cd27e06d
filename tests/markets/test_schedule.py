"""Opening-hours evaluation (markets.schedule) at fixed instants, and its invariants.

Dates used (2026): 1 May is a Friday, 5 June a Friday, 17 June a Wednesday, 19 June a Friday,
20 September a Sunday, 10 October a Saturday, 31 October a Saturday; 1 May 2027 is a Saturday.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from markets import schedule
from markets.calendar import HolidayCalendar
from markets.schedule import TZ, ClosureSpan, ZoneHours

SEASONAL = "May-Oct Fr,Sa 18:00-01:00; PH off"
WEEK = "Mo-Th 18:00-22:00; Fr-Su 18:00-24:00; PH 17:00-24:00"
WORKDAY_RULE = "Mo-Fr 18:00-21:00; Sa,Su 10:00-22:00"
UTC = dt.UTC


def at(text: str) -> dt.datetime:
    """An Asia/Shanghai instant from "YYYY-MM-DD HH:MM"."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=TZ)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


CALENDAR = HolidayCalendar.from_entries(
    [
        (dt.date(2026, 5, 1), "holiday", "劳动节"),
        (dt.date(2026, 6, 17), "holiday", "测试假日"),
        (dt.date(2026, 6, 19), "holiday", "端午节"),
        (dt.date(2026, 9, 20), "workday", "国庆调休"),
        (dt.date(2026, 10, 10), "workday", "国庆调休"),
    ]
)

CASES = [
    # (id, rule, calendar, instant, open_now, next_change or None, status_text)
    # A past-midnight span: Friday 18:00 until Saturday 01:00 is one Friday session.
    ("before-span", SEASONAL, None, "2026-06-05 17:59", False, "2026-06-05 18:00", "opens 18:00"),
    (
        "span-start",
        SEASONAL,
        None,
        "2026-06-05 18:00",
        True,
        "2026-06-06 01:00",
        "open until 01:00",
    ),
    (
        "00:30-belongs-to-friday",
        SEASONAL,
        None,
        "2026-06-06 00:30",
        True,
        "2026-06-06 01:00",
        "open until 01:00",
    ),
    ("after-span", SEASONAL, None, "2026-06-06 01:00", False, "2026-06-06 18:00", "opens 18:00"),
    (
        "sunday-00:30-is-saturday",
        SEASONAL,
        None,
        "2026-06-07 00:30",
        True,
        "2026-06-07 01:00",
        "open until 01:00",
    ),
    (
        "monday-00:30-no-sunday-session",
        SEASONAL,
        None,
        "2026-06-08 00:30",
        False,
        "2026-06-12 18:00",
        "opens Friday 18:00",
    ),
    # Season: May-Oct. 30 April is the day before; 31 October the last evening.
    (
        "day-before-season",
        SEASONAL,
        None,
        "2026-04-30 20:00",
        False,
        "2026-05-01 18:00",
        "opens tomorrow 18:00",
    ),
    (
        "first-day-of-season",
        SEASONAL,
        None,
        "2026-05-01 18:30",
        True,
        "2026-05-02 01:00",
        "open until 01:00",
    ),
    (
        "last-evening-of-season",
        SEASONAL,
        None,
        "2026-10-31 23:00",
        True,
        "2026-11-01 01:00",
        "open until 01:00",
    ),
    (
        "last-evening-spills-into-november",
        SEASONAL,
        None,
        "2026-11-01 00:30",
        True,
        "2026-11-01 01:00",
        "open until 01:00",
    ),
    (
        "out-of-season",
        SEASONAL,
        None,
        "2026-11-01 01:00",
        False,
        "2027-05-01 18:00",
        "closed for the season until 1 May",
    ),
    # Holidays from the table: 1 May 2026 is 劳动节 (PH off), so the season opens on 2 May.
    (
        "holiday-first-day-closed",
        SEASONAL,
        CALENDAR,
        "2026-05-01 18:30",
        False,
        "2026-05-02 18:00",
        "opens tomorrow 18:00",
    ),
    (
        "holiday-friday-closed",
        SEASONAL,
        CALENDAR,
        "2026-06-19 19:00",
        False,
        "2026-06-20 18:00",
        "opens tomorrow 18:00",
    ),
    (
        "no-spill-from-closed-holiday",
        SEASONAL,
        CALENDAR,
        "2026-06-20 00:30",
        False,
        "2026-06-20 18:00",
        "opens 18:00",
    ),
    (
        "holiday-wednesday-opens-early",
        WEEK,
        CALENDAR,
        "2026-06-17 17:30",
        True,
        "2026-06-18 00:00",
        "open until 24:00",
    ),
    ("plain-wednesday", WEEK, None, "2026-06-17 17:30", False, "2026-06-17 18:00", "opens 18:00"),
    # Make-up working days: Sunday 20 Sep takes Monday's hours, Saturday 10 Oct Friday's.
    (
        "workday-sunday-morning",
        WORKDAY_RULE,
        CALENDAR,
        "2026-09-20 11:00",
        False,
        "2026-09-20 18:00",
        "opens 18:00",
    ),
    (
        "workday-sunday-evening",
        WORKDAY_RULE,
        CALENDAR,
        "2026-09-20 19:00",
        True,
        "2026-09-20 21:00",
        "open until 21:00",
    ),
    (
        "plain-sunday-morning",
        WORKDAY_RULE,
        None,
        "2026-09-20 11:00",
        True,
        "2026-09-20 22:00",
        "open until 22:00",
    ),
    (
        "workday-saturday-friday-session",
        SEASONAL,
        CALENDAR,
        "2026-10-11 00:30",
        True,
        "2026-10-11 01:00",
        "open until 01:00",
    ),
    # Never changes.
    ("24/7", "24/7", None, "2026-06-05 03:00", True, None, "open 24 hours"),
    ("off", "off", None, "2026-06-05 03:00", False, None, "closed"),
]


@pytest.mark.parametrize(
    ("rule", "calendar", "instant", "open_now", "next_change", "text"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_state_at_fixed_instants(rule, calendar, instant, open_now, next_change, text):
    hours = ZoneHours(opening_hours=rule, calendar=calendar or HolidayCalendar())
    state = hours.state_at(at(instant))
    assert state.open_now is open_now
    assert state.next_change == (at(next_change) if next_change else None)
    assert state.status_text == text


# A closure from 20:00 to 22:00 on Friday 5 June cuts the 18:00-01:00 session in two.
CLOSURE = ClosureSpan(at("2026-06-05 20:00"), at("2026-06-05 22:00"), "消防检查")


@pytest.mark.parametrize(
    ("instant", "open_now", "next_change", "text"),
    [
        ("2026-06-05 19:00", True, "2026-06-05 20:00", "open until 20:00"),
        ("2026-06-05 20:00", False, "2026-06-05 22:00", "temporarily closed: 消防检查"),
        ("2026-06-05 21:59", False, "2026-06-05 22:00", "temporarily closed: 消防检查"),
        ("2026-06-05 22:00", True, "2026-06-06 01:00", "open until 01:00"),
    ],
)
def test_closure_covers_part_of_an_evening(instant, open_now, next_change, text):
    hours = ZoneHours(opening_hours=SEASONAL, closures=[CLOSURE])
    state = hours.state_at(at(instant))
    assert (state.open_now, state.next_change, state.status_text) == (
        open_now,
        at(next_change),
        text,
    )


def test_closure_appears_in_the_day_schedule():
    hours = ZoneHours(opening_hours=SEASONAL, closures=[CLOSURE])
    [friday] = schedule.schedule_days(hours, dt.date(2026, 6, 5), 1)
    assert friday == {
        "date": "2026-06-05",
        "weekday": "Friday",
        "day_kind": None,
        "holiday_name": None,
        "intervals": [
            {
                "start": "2026-06-05T18:00:00+08:00",
                "end": "2026-06-06T01:00:00+08:00",
                "label": "18:00–01:00",
                "closures": [
                    {
                        "start": "2026-06-05T20:00:00+08:00",
                        "end": "2026-06-05T22:00:00+08:00",
                        "reason": "消防检查",
                    }
                ],
                "open": [
                    {"start": "2026-06-05T18:00:00+08:00", "end": "2026-06-05T20:00:00+08:00"},
                    {"start": "2026-06-05T22:00:00+08:00", "end": "2026-06-06T01:00:00+08:00"},
                ],
            }
        ],
    }


def test_sessions_belong_to_the_evening_they_start():
    # Friday and Saturday evenings; Saturday's 00:00-01:00 is Friday's, not a Saturday session.
    days = schedule.schedule_days(ZoneHours(opening_hours=SEASONAL), dt.date(2026, 6, 5), 3)
    assert [[i["label"] for i in d["intervals"]] for d in days] == [
        ["18:00–01:00"],
        ["18:00–01:00"],
        [],
    ]


def test_holiday_and_workday_are_named_in_the_schedule():
    days = schedule.schedule_days(
        ZoneHours(opening_hours=WORKDAY_RULE, calendar=CALENDAR), dt.date(2026, 9, 19), 2
    )
    assert [
        (d["day_kind"], d["holiday_name"], [i["label"] for i in d["intervals"]]) for d in days
    ] == [
        (None, None, ["10:00–22:00"]),  # a plain Saturday
        ("workday", "国庆调休", ["18:00–21:00"]),  # a Sunday worked as a Monday
    ]


@pytest.mark.parametrize(
    ("status", "reason", "text"),
    [
        ("suspended", "道路施工", "suspended today: 道路施工"),
        ("suspended", "", "suspended today"),
        ("retired", "", "no longer a market zone"),
        ("proposed", "", "not open yet"),
    ],
)
def test_a_zone_that_is_not_active_is_never_open(status, reason, text):
    hours = ZoneHours(opening_hours="24/7", status=status, status_reason=reason)
    state = hours.state_at(at("2026-06-05 19:00"))
    assert (state.open_now, state.next_change, state.status_text) == (False, None, text)
    assert hours.open_intervals(at("2026-06-05 00:00"), at("2026-06-12 00:00")) == []


@pytest.mark.parametrize(
    "instant",
    [
        dt.datetime(2026, 6, 5, 19, 0),  # noqa: DTZ001 - naive on purpose: Asia/Shanghai
        dt.datetime(2026, 6, 5, 19, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        dt.datetime(2026, 6, 5, 11, 0, tzinfo=UTC),  # the same instant in UTC
        dt.datetime(2026, 6, 5, 13, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    ],
    ids=["naive", "offset", "utc", "other-offset"],
)
def test_instants_in_any_zone_are_the_same_moment(instant):
    state = ZoneHours(opening_hours=SEASONAL).state_at(instant)
    assert state.open_now is True
    assert schedule.iso(state.next_change) == "2026-06-06T01:00:00+08:00"


def test_chinese_status_texts():
    hours = ZoneHours(opening_hours=SEASONAL)
    with translation.override("zh-hans"):
        assert hours.state_at(at("2026-06-05 19:00")).status_text == "营业中，至 01:00"
        assert hours.state_at(at("2026-06-05 17:00")).status_text == "今天 18:00 开市"
        assert hours.state_at(at("2026-11-02 12:00")).status_text == "季节性休市，5月1日开市"
        suspended = ZoneHours(opening_hours=SEASONAL, status="suspended", status_reason="道路施工")
        assert suspended.state_at(at("2026-06-05 19:00")).status_text == "暂停营业：道路施工"


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        ("Mo-Zz 10:00-12:00", 4, "expected wday"),
        (
            "Mo-Fr 25:00-26:00",
            7,
            "expected EOI, any_rule_separator, rules_modifier, timespan, or holiday",
        ),
    ],
)
def test_syntax_errors_quote_the_parser(text, column, message):
    with pytest.raises(ValidationError) as info:
        schedule.parse(text)
    assert info.value.code == "opening_hours_syntax"
    assert info.value.messages == [
        f"The opening hours could not be read at line 1, character {column}: {message}."
    ]


def test_parse_is_cached_and_reused():
    first = schedule.parse("Mo-Su 18:00-22:00")
    assert schedule.parse(" Mo-Su 18:00-22:00 ") is first
    assert schedule.parse_uncached("Mo-Su 18:00-22:00") is not first
    assert schedule.parse("") is None


# --- properties ------------------------------------------------------------------------------

DAYS = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]


@st.composite
def rules(draw) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 3))):
        a, b = sorted(draw(st.lists(st.integers(0, 6), min_size=2, max_size=2)))
        start = draw(st.integers(0, 23 * 4)) * 15
        length = draw(st.integers(1, 12 * 4)) * 15  # up to 12 h, may run past midnight
        end = start + length
        span = f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"
        season = draw(st.sampled_from(["", "May-Oct ", "Jan-Mar ", "Jun "]))
        parts.append(f"{season}{DAYS[a]}-{DAYS[b]} {span}")
    if draw(st.booleans()):
        parts.append(draw(st.sampled_from(["PH off", "PH 17:00-23:00"])))
    return "; ".join(parts)


@st.composite
def calendars(draw, around: dt.date) -> HolidayCalendar:
    entries = []
    for offset in draw(st.sets(st.integers(-3, 10), max_size=4)):
        entries.append(
            (
                around + dt.timedelta(days=offset),
                draw(st.sampled_from(["holiday", "workday"])),
                "假日",
            )
        )
    return HolidayCalendar.from_entries(entries)


# hypothesis draws naive datetimes between naive bounds; they are then put in Asia/Shanghai.
instants = st.datetimes(
    min_value=dt.datetime(2026, 1, 1),  # noqa: DTZ001
    max_value=dt.datetime(2026, 12, 31),  # noqa: DTZ001
).map(lambda d: d.replace(second=0, microsecond=0, tzinfo=TZ))


@st.composite
def zones(draw):
    instant = draw(instants)
    closures = []
    for _ in range(draw(st.integers(0, 2))):
        start = instant + dt.timedelta(minutes=draw(st.integers(-48 * 60, 72 * 60)))
        closures.append(
            ClosureSpan(start, start + dt.timedelta(minutes=draw(st.integers(15, 24 * 60))), "检查")
        )
    hours = ZoneHours(
        opening_hours=draw(rules()), calendar=draw(calendars(instant.date())), closures=closures
    )
    return hours, instant


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(zones())
def test_open_now_agrees_with_intervals_and_next_change_is_the_first_boundary(zone):
    hours, t = zone
    window_start, window_end = t - dt.timedelta(days=3), t + dt.timedelta(days=40)
    intervals = hours.open_intervals(window_start, window_end)
    assert hours.is_open(t) == any(s <= t < e for s, e in intervals)
    boundaries = sorted({b for s, e in intervals for b in (s, e)} - {window_start, window_end})
    later = [b for b in boundaries if b > t]
    nc = hours.next_change(t)
    if later:
        assert nc == later[0]
    else:
        assert nc is None or nc >= window_end
