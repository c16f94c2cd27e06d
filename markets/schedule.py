"""Evaluate market opening hours (OSM ``opening_hours``) in Asia/Shanghai: open now, next change.

The rule text is parsed once by opening-hours-py and the parse is reused (``parse`` is cached by
the text, so every zone, request and worker thread sharing a rule shares one parse). On top of
the library this module applies what it does not know:

* the staff holiday table (``markets.calendar``): on a public holiday the rules that name ``PH``
  apply, on a make-up working day the hours of an ordinary working day (see ``DayRule``);
* "hours past midnight belong to the evening before": a day's evening session keeps running
  under that day's rules after midnight, even when the next day is a holiday;
* temporary closures, which override the hours;
* the zone's status: only an active zone is ever open.

All instants are aware datetimes in Asia/Shanghai (UTC+8, no daylight saving).
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.utils import dateformat
from django.utils.dates import WEEKDAYS
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from opening_hours import OpeningHours, ParserError, State

from markets.calendar import EMPTY, HolidayCalendar

TZ = ZoneInfo("Asia/Shanghai")
Span = tuple[dt.datetime, dt.datetime]  # [start, end), aware, Asia/Shanghai
MINUTE = dt.timedelta(minutes=1)
DAY = dt.timedelta(days=1)
# The longest an evening session may run into the next day and still belong to that evening.
EVENING_SPILL_MAX = dt.timedelta(hours=12)
# "Tonight" ends at 06:00 the next morning.
NIGHT_ENDS = dt.time(6, 0)
# Beyond this a closed market is "closed for the season" rather than "opens Friday 19:00".
SEASON_GAP = dt.timedelta(days=7)
# A state lasting longer than this counts as "never changes" (next_change None); a season
# closed over winter is about 180 days. The library runs much faster with a bound.
MAX_INTERVAL_DAYS = 400
_WALK_LIMIT = 1000  # boundaries examined by next_change before giving up (None)
_MEMO_MAX = 10_000  # answers memoised per timeline (one request's instants)

ACTIVE = "active"
MAX_RULE_LENGTH = 500  # MarketZone.opening_hours max_length
SYNTAX_CODE = "opening_hours_syntax"

_PH_TOKEN = re.compile(r"\bPH\b")
_PARSER_POSITION = re.compile(r"-->\s*(\d+):(\d+)")
_PARSER_EXPECTED = re.compile(r"^\s*=\s*(.+)$", re.MULTILINE)


# --- parsing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SyntaxProblem:
    """Why an opening_hours string does not parse, in the parser's own words."""

    message: str
    line: int
    column: int

    def as_dict(self) -> dict:
        return {"message": self.message, "line": self.line, "column": self.column}


def _problem(text: str, exc: ParserError) -> SyntaxProblem:
    raw = str(exc)
    pos = _PARSER_POSITION.search(raw)
    expected = _PARSER_EXPECTED.search(raw)
    line, column = (int(pos.group(1)), int(pos.group(2))) if pos else (1, 1)
    message = expected.group(1).strip() if expected else raw.strip().splitlines()[0]
    return SyntaxProblem(message=message, line=line, column=column)


def _with_ph_as_every_day(text: str) -> str:
    """The rule as it reads on a public holiday: every ``PH`` selector matches (outside quotes)."""
    parts = text.split('"')
    for i in range(0, len(parts), 2):
        parts[i] = _PH_TOKEN.sub("Mo-Su", parts[i])
    return '"'.join(parts)


def _parse_one(text: str) -> OpeningHours:
    # No country and no coordinates: the library must not bring its own (incomplete) holidays.
    return OpeningHours(
        text,
        timezone=TZ,
        country=None,
        coords=None,
        auto_country=False,
        auto_timezone=False,
        max_interval_days=MAX_INTERVAL_DAYS,
    )


@dataclass(eq=False)
class ParsedRule:
    """One parsed opening_hours string: the plain reading and the public-holiday reading."""

    text: str
    base: OpeningHours
    holiday: OpeningHours
    _spill: dict = field(default_factory=dict, repr=False)


@functools.lru_cache(maxsize=4096)
def _parse_cached(text: str) -> ParsedRule:
    base = _parse_one(text)
    holiday_text = _with_ph_as_every_day(text)
    holiday = base
    if holiday_text != text:
        try:
            holiday = _parse_one(holiday_text)
        except ParserError:
            # e.g. "PH -1 day" has no every-day equivalent: a holiday then reads as a plain day.
            holiday = base
    return ParsedRule(text=text, base=base, holiday=holiday)


def _parse_text(text: str, *, cache: bool) -> ParsedRule:
    return _parse_cached(text) if cache else _parse_cached.__wrapped__(text)


def check(text: str, *, cache: bool = True) -> tuple[ParsedRule | None, SyntaxProblem | None]:
    """(parsed rule, None) or (None, problem); a blank rule is (None, None): "not published"."""
    text = text.strip()
    if not text:
        return None, None
    try:
        return _parse_text(text, cache=cache), None
    except ParserError as exc:
        return None, _problem(text, exc)


def syntax_problem(text: str) -> SyntaxProblem | None:
    """None when ``text`` is a valid opening_hours string (blank counts as "not published")."""
    return check(text, cache=False)[1]


def syntax_error(problem: SyntaxProblem) -> ValidationError:
    return ValidationError(
        _(
            "The opening hours could not be read at line %(line)s, character %(column)s: "
            "%(message)s."
        )
        % problem.as_dict(),
        code=SYNTAX_CODE,
        params=problem.as_dict(),
    )


def too_long_message() -> str:
    return _("Keep the opening hours to %(max)d characters or fewer.") % {"max": MAX_RULE_LENGTH}


def parse(text: str) -> ParsedRule | None:
    """The cached parse of ``text``; None for a blank rule; ValidationError when it is invalid."""
    rule, problem = check(text, cache=True)
    if problem is not None:
        raise syntax_error(problem)
    return rule


def parse_uncached(text: str) -> ParsedRule | None:
    """Parse every time (the naive approach, and previews of strings that are being typed)."""
    rule, problem = check(text, cache=False)
    if problem is not None:
        raise syntax_error(problem)
    return rule


# --- time helpers ----------------------------------------------------------------------------


def local(moment: dt.datetime) -> dt.datetime:
    """``moment`` in Asia/Shanghai; a naive moment is taken to be Asia/Shanghai already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=TZ)
    return moment.astimezone(TZ)


def midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=TZ)


def iso(moment: dt.datetime | None) -> str | None:
    """ISO 8601 with the +08:00 offset, to the second."""
    return local(moment).isoformat(timespec="seconds") if moment is not None else None


# --- one reading of the rule, possibly shifted to a proxy date --------------------------------


@dataclass(frozen=True)
class _Program:
    oh: OpeningHours
    shift: dt.timedelta  # evaluate the rule at (t + shift), report at t

    @property
    def key(self) -> tuple[int, dt.timedelta]:
        return (id(self.oh), self.shift)

    def is_open(self, t: dt.datetime) -> bool:
        return self.oh.state(t + self.shift)[0] == State.OPEN

    def next_change(self, t: dt.datetime, until: dt.datetime | None = None) -> dt.datetime | None:
        """The reading's next change of state after ``t``; with ``until``, only one before it.

        Bounded questions go through ``intervals`` up to ``until``: asking a reading that never
        opens (e.g. "PH off" on a holiday) for its unbounded next change scans for ~400 days.
        """
        if until is not None:
            for _s, e, _state, _comment in self.oh.intervals(t + self.shift, until + self.shift):
                end = local(e) - self.shift
                return end if end < until else None
            return None
        nc = self.oh.next_change(t + self.shift)
        return local(nc) - self.shift if nc is not None else None

    def open_intervals(self, a: dt.datetime, b: dt.datetime) -> list[Span]:
        return [
            (local(s) - self.shift, local(e) - self.shift)
            for s, e, state, _comment in self.oh.intervals(a + self.shift, b + self.shift)
            if state == State.OPEN
        ]


@dataclass(frozen=True)
class _Segment:
    start: dt.datetime | None  # None: since ever
    end: dt.datetime | None  # None: for ever
    program: _Program
    closed_until: dt.datetime | None  # the previous day's session as this reading sees it


class Timeline:
    """A rule's open/closed timeline with the holiday table applied (closures not yet)."""

    def __init__(self, rule: ParsedRule, calendar: HolidayCalendar = EMPTY):
        self.rule = rule
        self.calendar = calendar
        self._programs: dict[tuple[bool, int], _Program] = {}
        # The days on which this rule's reading actually changes (a holiday changes nothing for
        # a rule without PH), computed once: finding a segment is then a bisection.
        self._switches = [d for d in calendar.change_days() if self._is_switch(d)]
        # Zones sharing a rule and a calendar share this timeline; memoise its answers.
        self._open: dict[dt.datetime, bool] = {}
        self._changes: dict[dt.datetime, dt.datetime | None] = {}

    # Which reading each day uses, and where one reading hands over to the next.

    def program(self, day: dt.date) -> _Program:
        rule = self.calendar.day_rule(day)
        key = (rule.holiday and self.rule.holiday is not self.rule.base, rule.shift_days)
        program = self._programs.get(key)
        if program is None:
            oh = self.rule.holiday if key[0] else self.rule.base
            program = _Program(oh, dt.timedelta(days=rule.shift_days))
            self._programs[key] = program
        return program

    def _is_switch(self, day: dt.date) -> bool:
        return self.program(day).key != self.program(day - DAY).key

    def _prev_switch(self, day: dt.date) -> dt.date | None:
        i = bisect.bisect_right(self._switches, day)
        return self._switches[i - 1] if i else None

    def _next_switch(self, day: dt.date) -> dt.date | None:
        i = bisect.bisect_right(self._switches, day)
        return self._switches[i] if i < len(self._switches) else None

    def _spill(self, program: _Program, day: dt.date) -> dt.timedelta:
        """How long ``program``'s evening session of the day before runs past ``day``'s midnight.

        Zero unless a session is open across midnight that started after the previous midnight
        (an all-day session is not an evening), and at most EVENING_SPILL_MAX.
        """
        cache_key = (program.key, day)
        cached = self.rule._spill.get(cache_key)
        if cached is not None:
            return cached
        m = midnight(day)
        spill = dt.timedelta(0)
        if program.is_open(m - MINUTE) and program.is_open(m):
            previous = program.open_intervals(m - DAY, m)
            if previous and previous[-1][0] > m - DAY:
                end = program.next_change(m, until=m + EVENING_SPILL_MAX)
                spill = end - m if end else EVENING_SPILL_MAX
        if len(self.rule._spill) < 100_000:
            self.rule._spill[cache_key] = spill
        return spill

    def _handover(self, day: dt.date) -> dt.datetime:
        """Where the day before's reading hands over to ``day``'s (a switch day)."""
        return midnight(day) + self._spill(self.program(day - DAY), day)

    def _segment(self, first_day: dt.date | None, end: dt.datetime | None) -> _Segment:
        if first_day is None:
            return _Segment(None, end, self.program(dt.date.min + DAY), None)
        program = self.program(first_day)
        closed_until = midnight(first_day) + self._spill(program, first_day)
        return _Segment(self._handover(first_day), end, program, closed_until)

    def segment_at(self, t: dt.datetime) -> _Segment:
        day = t.date()
        switch = self._prev_switch(day)
        if switch is not None and t < self._handover(switch):
            # Still the evening before: its session runs on under its own reading.
            return self._segment(self._prev_switch(switch - DAY), self._handover(switch))
        following = self._next_switch(day)
        end = self._handover(following) if following is not None else None
        if switch is None:
            return _Segment(None, end, self.program(day), None)
        return self._segment(switch, end)

    # The questions.

    def is_open(self, t: dt.datetime) -> bool:
        cached = self._open.get(t)
        if cached is None:
            seg = self.segment_at(t)
            if seg.closed_until is not None and t < seg.closed_until:
                cached = False
            else:
                cached = seg.program.is_open(t)
            if len(self._open) < _MEMO_MAX:
                self._open[t] = cached
        return cached

    def next_change(self, t: dt.datetime) -> dt.datetime | None:
        if t in self._changes:
            return self._changes[t]
        change = self._next_change(t)
        if len(self._changes) < _MEMO_MAX:
            self._changes[t] = change
        return change

    def _next_change(self, t: dt.datetime) -> dt.datetime | None:
        state = self.is_open(t)
        cur = t
        for _step in range(_WALK_LIMIT):
            seg = self.segment_at(cur)
            if seg.closed_until is not None and cur < seg.closed_until:
                candidate = seg.closed_until
            else:
                candidate = seg.program.next_change(cur, until=seg.end)
                if seg.end is not None and candidate is None:
                    candidate = seg.end
            if candidate is None:
                return None
            if self.is_open(candidate) != state:
                return candidate
            cur = candidate
        return None

    def open_intervals(self, a: dt.datetime, b: dt.datetime) -> list[Span]:
        out: list[Span] = []
        cur = a
        while cur < b:
            seg = self.segment_at(cur)
            seg_end = b if seg.end is None else min(seg.end, b)
            lo = cur
            if seg.closed_until is not None and lo < seg.closed_until:
                lo = min(seg.closed_until, seg_end)
            if lo < seg_end:
                out.extend(seg.program.open_intervals(lo, seg_end))
            cur = seg_end
        return merge(out)


def timeline(rule: ParsedRule, calendar: HolidayCalendar) -> Timeline:
    """The timeline of ``rule`` under ``calendar``, shared by every zone with the same rule."""
    if calendar is EMPTY:  # long-lived: no sharing, so nothing accumulates across requests
        return Timeline(rule, calendar)
    cache = calendar.cache("timelines")
    found = cache.get(rule)
    if found is None:
        found = cache[rule] = Timeline(rule, calendar)
    return found


def merge(intervals: Iterable[Span]) -> list[Span]:
    """Sorted, overlapping or touching intervals joined."""
    out: list[list[dt.datetime]] = []
    for s, e in sorted(intervals):
        if e <= s:
            continue
        if out and s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return [(s, e) for s, e in out]


def subtract(
    intervals: Sequence[Span],
    holes: Sequence[Span],
) -> list[Span]:
    out = []
    for s, e in intervals:
        pieces = [(s, e)]
        for hs, he in holes:
            pieces = [
                part
                for ps, pe in pieces
                for part in ((ps, min(pe, hs)), (max(ps, he), pe))
                if part[0] < part[1]
            ]
        out.extend(pieces)
    return out


# --- a zone --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClosureSpan:
    start: dt.datetime
    end: dt.datetime
    reason: str

    def as_dict(self) -> dict:
        return {"start": iso(self.start), "end": iso(self.end), "reason": self.reason}


@dataclass(frozen=True)
class HoursState:
    """What the public sees about a zone at one instant."""

    open_now: bool
    next_change: dt.datetime | None
    status_text: str
    open_tonight: bool
    closure: ClosureSpan | None = None

    def as_properties(self) -> dict:
        return {
            "open_now": self.open_now,
            "next_change": iso(self.next_change),
            "status_text": self.status_text,
            "open_tonight": self.open_tonight,
        }


@dataclass
class ZoneHours:
    """A zone's hours as evaluated: rule, holiday table, closures and status."""

    opening_hours: str
    status: str = ACTIVE
    status_reason: str = ""
    closures: Sequence[ClosureSpan] = ()
    calendar: HolidayCalendar = EMPTY
    rule: ParsedRule | None = None

    def __post_init__(self) -> None:
        if self.rule is None:
            self.rule = parse(self.opening_hours)
        self.closures = sorted(
            (ClosureSpan(local(c.start), local(c.end), c.reason) for c in self.closures),
            key=lambda c: (c.start, c.end),
        )
        self._timeline = timeline(self.rule, self.calendar) if self.rule is not None else None

    @property
    def can_open(self) -> bool:
        return self.status == ACTIVE and self._timeline is not None

    def closure_at(self, t: dt.datetime) -> ClosureSpan | None:
        for c in self.closures:
            if c.start <= t < c.end:
                return c
        return None

    def scheduled_open(self, t: dt.datetime) -> bool:
        """Open by the hours and holidays alone (closures and status ignored)."""
        return self._timeline is not None and self._timeline.is_open(local(t))

    def is_open(self, t: dt.datetime) -> bool:
        t = local(t)
        return self.can_open and self._timeline.is_open(t) and self.closure_at(t) is None

    def next_change(self, t: dt.datetime) -> dt.datetime | None:
        """The first instant after ``t`` at which ``is_open`` differs; None if it never does."""
        if not self.can_open:
            return None
        t = local(t)
        state = self.is_open(t)
        cur = t
        for _step in range(_WALK_LIMIT):
            candidates = [b for c in self.closures for b in (c.start, c.end) if b > cur]
            hours_change = self._timeline.next_change(cur)
            if hours_change is not None:
                candidates.append(hours_change)
            if not candidates:
                return None
            cur = min(candidates)
            if self.is_open(cur) != state:
                return cur
        return None

    def open_intervals(self, a: dt.datetime, b: dt.datetime) -> list[Span]:
        """Effective opening intervals within [a, b): hours minus closures, merged."""
        if not self.can_open:
            return []
        return merge(subtract(self.sessions(a, b), [(c.start, c.end) for c in self.closures]))

    def sessions(self, a: dt.datetime, b: dt.datetime) -> list[Span]:
        """Scheduled sessions within [a, b) (holidays applied, closures not)."""
        if self._timeline is None:
            return []
        return self._timeline.open_intervals(local(a), local(b))

    def state_at(self, t: dt.datetime) -> HoursState:
        t = local(t)
        open_now = self.is_open(t)
        nc = self.next_change(t)
        tonight_ends = dt.datetime.combine(
            t.date() + (DAY if t.time() >= NIGHT_ENDS else dt.timedelta(0)),
            NIGHT_ENDS,
            tzinfo=TZ,
        )
        open_tonight = open_now or (nc is not None and nc < tonight_ends)
        return HoursState(
            open_now=open_now,
            next_change=nc,
            status_text=self.status_text(t, open_now, nc),
            open_tonight=open_tonight,
            closure=self.closure_at(t),
        )

    def status_text(self, t: dt.datetime, open_now: bool, nc: dt.datetime | None) -> str:
        """One line in the active language: "营业中，至 01:00", "19:00 开市", …"""
        if self.status == "suspended":
            if self.status_reason:
                return _("suspended today: %(reason)s") % {"reason": self.status_reason}
            return _("suspended today")
        if self.status == "retired":
            return _("no longer a market zone")
        if self.status != ACTIVE:
            return _("not open yet")
        if self._timeline is None:
            return _("opening hours not published")
        closure = self.closure_at(t)
        if open_now:
            if nc is None:
                return _("open 24 hours")
            if nc - t <= DAY:
                return _("open until %(time)s") % {"time": clock(nc, t)}
            return _("open until %(date)s %(time)s") % {"date": day_month(nc), "time": clock(nc, t)}
        if closure is not None:
            return _("temporarily closed: %(reason)s") % {"reason": closure.reason}
        if nc is None:
            return _("closed")
        if nc.date() == t.date():
            return _("opens %(time)s") % {"time": clock(nc, t)}
        if nc.date() == t.date() + DAY:
            return _("opens tomorrow %(time)s") % {"time": clock(nc, t)}
        if nc - t <= SEASON_GAP:
            return _("opens %(weekday)s %(time)s") % {
                "weekday": WEEKDAYS[nc.weekday()],
                "time": clock(nc, t),
            }
        return _("closed for the season until %(date)s") % {"date": day_month(nc)}


def clock(moment: dt.datetime, since: dt.datetime) -> str:
    """HH:MM; a midnight that ends the evening reads 24:00."""
    moment = local(moment)
    if moment.time() == dt.time(0) and moment.date() > local(since).date():
        return "24:00"
    return moment.strftime("%H:%M")


def day_month(moment: dt.datetime) -> str:
    """The day and month: 1 May in English, 5月1日 in Chinese (a translated date format)."""
    return dateformat.format(local(moment).date(), pgettext("day and month", "j F"))


# --- the schedule, day by day ----------------------------------------------------------------


def day_sessions(
    hours: ZoneHours, start: dt.date, days: int
) -> Iterator[tuple[dt.date, list[Span]]]:
    """Each day's scheduled sessions; a session belongs to the day its evening starts.

    A session is cut at each midnight except where the part after midnight is the evening's
    spill (the session started that evening and the spill ends within EVENING_SPILL_MAX), so
    "Fr 18:00-01:00" is one Friday session and "24/7" one session per day.
    """
    a = midnight(start) - DAY
    b = midnight(start + dt.timedelta(days=days)) + DAY + EVENING_SPILL_MAX
    by_day: dict[dt.date, list[Span]] = {}
    for s, e in hours.sessions(a, b):
        pieces: list[list[dt.datetime]] = []
        cur = s
        while cur < e:
            next_midnight = midnight(cur.date() + DAY)
            piece_end = min(e, next_midnight)
            if (
                pieces
                and cur == midnight(cur.date())
                and pieces[-1][0] > cur - DAY
                and e - cur <= EVENING_SPILL_MAX
            ):
                pieces[-1][1] = e
                break
            pieces.append([cur, piece_end])
            cur = piece_end
        for ps, pe in pieces:
            by_day.setdefault(ps.date(), []).append((ps, pe))
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        yield day, by_day.get(day, [])


def schedule_days(hours: ZoneHours, start: dt.date, days: int) -> list[dict]:
    """The schedule endpoint's ``days``: sessions with the closures that cut them."""
    out = []
    for day, sessions in day_sessions(hours, start, days):
        intervals = []
        if hours.status == ACTIVE:
            for s, e in sessions:
                cuts = [c for c in hours.closures if c.start < e and c.end > s]
                open_parts = subtract([(s, e)], [(c.start, c.end) for c in cuts])
                intervals.append(
                    {
                        "start": iso(s),
                        "end": iso(e),
                        "label": f"{clock(s, s)}–{clock(e, s)}",
                        "closures": [c.as_dict() for c in cuts],
                        "open": [{"start": iso(ps), "end": iso(pe)} for ps, pe in open_parts],
                    }
                )
        kind = hours.calendar.kind(day)
        out.append(
            {
                "date": day.isoformat(),
                "weekday": str(WEEKDAYS[day.weekday()]),
                "day_kind": kind,
                "holiday_name": hours.calendar.names.get(day) if kind else None,
                "intervals": intervals,
            }
        )
    return out
