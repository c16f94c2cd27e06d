"""The staff holiday table as the calendar that opening hours are evaluated against.

China moves working days around its public holidays (调休): a weekday may be a holiday and a
weekend day may be a make-up working day. opening-hours-py's own Chinese holiday data are
incomplete, so the portal never asks it for holidays; ``markets.models.CalendarException`` is the
source of truth (``markets.selectors.load_calendar`` reads it). A year without entries simply has
no holidays: every day is its plain weekday. This module reads no table: the calendar is passed in.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

# The kinds of day in the holiday table (markets.models.DayKind's values).
HOLIDAY_KIND = "holiday"
WORKDAY_KIND = "workday"
SATURDAY = 5
SUNDAY = 6


@dataclass(frozen=True)
class DayRule:
    """How a date is evaluated: as itself, as a public holiday, or as another (working) weekday.

    ``shift_days`` moves the evaluation to a proxy date: a make-up working day on a Saturday
    keeps Friday's hours (-1), on a Sunday Monday's (+1) — an ordinary working evening, in the
    same week, so seasons and months barely ever differ.
    """

    holiday: bool = False
    shift_days: int = 0


PLAIN = DayRule()
HOLIDAY = DayRule(holiday=True)


@dataclass(frozen=True)
class HolidayCalendar:
    """Public holidays and make-up working days by date (HOLIDAY_KIND, WORKDAY_KIND), with names."""

    kinds: Mapping[dt.date, str] = field(default_factory=dict)
    names: Mapping[dt.date, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_dates", sorted(self.kinds))
        object.__setattr__(self, "_caches", {})
        object.__setattr__(self, "_change_days", None)

    def cache(self, name: str) -> dict:
        """A dict that lives as long as this calendar (e.g. one request's timelines per rule)."""
        return self._caches.setdefault(name, {})

    @classmethod
    def from_entries(cls, entries: Iterable[tuple[dt.date, str, str]]) -> HolidayCalendar:
        """Build from ``(date, kind, name)`` triples."""
        kinds: dict[dt.date, str] = {}
        names: dict[dt.date, str] = {}
        for day, kind, name in entries:
            kinds[day] = kind
            names[day] = name
        return cls(kinds=kinds, names=names)

    def kind(self, day: dt.date) -> str | None:
        return self.kinds.get(day)

    def day_rule(self, day: dt.date) -> DayRule:
        """How ``day`` is evaluated (see ``DayRule``)."""
        kind = self.kinds.get(day)
        if kind == HOLIDAY_KIND:
            return HOLIDAY
        if kind == WORKDAY_KIND:
            if day.weekday() == SATURDAY:
                return DayRule(shift_days=-1)
            if day.weekday() == SUNDAY:
                return DayRule(shift_days=1)
        return PLAIN

    def change_days(self) -> list[dt.date]:
        """Days whose rule may differ from the day before's: each exception and the day after."""
        if self._change_days is None:
            days = set(self._dates) | {d + dt.timedelta(days=1) for d in self._dates}
            object.__setattr__(self, "_change_days", sorted(days))
        return self._change_days

    def dates_between(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """Exception dates in [start, end)."""
        lo = bisect.bisect_left(self._dates, start)
        hi = bisect.bisect_left(self._dates, end)
        return self._dates[lo:hi]


EMPTY = HolidayCalendar()
