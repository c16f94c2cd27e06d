"""Opening hours in words for the public (issue 16, item 4): "每天 18:00–22:00（7–10月）".

Pure: no database, no request. It reads the parsed rule's normalised text (opening-hours-py
exposes no syntax tree; ``normalize()`` gives one canonical spelling, e.g. "Mo-Su" dropped as
"every day") and words the common shapes night markets use: ``[months] [weekdays] times`` rules
separated by ``;`` and a ``PH`` rule. Anything else returns None, and the page then shows only
the computed state and next change; the raw OSM string is for staff.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # only the type: this module needs neither Django nor the schedule at run time
    from markets.schedule import ParsedRule

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
ZH_DAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")
EN_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DASH = "–"  # en dash between the ends of a range, in both languages

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_MONTHS = re.compile(rf"^(?:{_MONTH}(?:-{_MONTH})?,?)+$")
_DAYS = re.compile(r"^(?:(?:Mo|Tu|We|Th|Fr|Sa|Su)(?:-(?:Mo|Tu|We|Th|Fr|Sa|Su))?,?)+$")
_TIMES = re.compile(r"^(?:\d{2}:\d{2}-\d{2}:\d{2}\+?,?)+$")


@dataclass(frozen=True)
class Part:
    """One rule of the string: which months, which days (None = every day), which sessions."""

    months: tuple[tuple[int, int], ...]  # (first, last) month numbers, 1-12; () = all year
    days: tuple[tuple[int, int], ...]  # (first, last) weekday indexes, 0 = Monday; () = daily
    holiday: bool
    sessions: tuple[tuple[str, str], ...]  # ("18:00", "02:00"); () = closed ("off")


def _ranges(text: str, names: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    out = []
    for item in text.strip(",").split(","):
        first, _, last = item.partition("-")
        out.append((names.index(first), names.index(last or first)))
    return tuple(out)


def parts(rule: ParsedRule) -> list[Part] | None:
    """The rule's parts, or None when it uses syntax this module does not word."""
    text = str(rule.base.normalize()).strip()
    if not text or text == "24/7":
        return None
    result = []
    for chunk in text.split(";"):
        tokens = chunk.split()
        months: tuple = ()
        days: tuple = ()
        holiday = False
        if tokens and _MONTHS.match(tokens[0]):
            months = tuple((a + 1, b + 1) for a, b in _ranges(tokens.pop(0), MONTHS))
        if tokens and tokens[0] == "PH":
            holiday = True
            tokens.pop(0)
        elif tokens and _DAYS.match(tokens[0]):
            days = _ranges(tokens.pop(0), DAYS)
        if len(tokens) != 1:
            return None
        if tokens[0] in ("off", "closed"):
            sessions: tuple = ()
        elif _TIMES.match(tokens[0]):
            sessions = tuple(
                tuple(span.rstrip("+").split("-")) for span in tokens[0].strip(",").split(",")
            )
        else:
            return None
        result.append(Part(months, days, holiday, sessions))
    return result


def _after_midnight(start: str, end: str) -> bool:
    return end <= start


def _sessions(part: Part, english: bool) -> str:
    if not part.sessions:
        return "closed" if english else "休市"
    words = []
    for start, end in part.sessions:
        if _after_midnight(start, end):
            words.append(f"{start}{DASH}{end} (next day)" if english else f"{start}{DASH}次日{end}")
        else:
            words.append(f"{start}{DASH}{end}")
    return ", ".join(words) if english else "、".join(words)


def _days(part: Part, english: bool) -> str:
    if not part.days or part.days == ((0, 6),):
        return "Daily" if english else "每天"
    names = EN_DAYS if english else ZH_DAYS
    joiner = DASH if english else "至"
    words = [names[a] if a == b else f"{names[a]}{joiner}{names[b]}" for a, b in part.days]
    return ", ".join(words) if english else "、".join(words)


def season(months: tuple[tuple[int, int], ...], english: bool) -> str:
    """ "7–10月" / "Jul–Oct"; "" for all year."""
    if not months:
        return ""
    if english:
        return ", ".join(
            MONTHS[a - 1] if a == b else f"{MONTHS[a - 1]}{DASH}{MONTHS[b - 1]}" for a, b in months
        )
    return "、".join(f"{a}月" if a == b else f"{a}{DASH}{b}月" for a, b in months)


def _line(part: Part, english: bool) -> str:
    text = f"{_days(part, english)} {_sessions(part, english)}"
    when = season(part.months, english)
    if when:
        text += f" ({when})" if english else f"（{when}）"
    return text


def _holiday_line(part: Part, regular: list[Part], english: bool) -> str:
    # "节假日延长至 23:30": the holiday evening starts when the ordinary one does, ends later.
    starts = {p.sessions[0][0] for p in regular if p.sessions}
    if len(part.sessions) == 1 and starts == {part.sessions[0][0]}:
        end = part.sessions[0][1]
        return f"Public holidays: open until {end}" if english else f"节假日延长至 {end}"
    if not part.sessions:
        return "Closed on public holidays" if english else "节假日休市"
    label = "Public holidays" if english else "节假日"
    return f"{label} {_sessions(part, english)}"


def describe(rule: ParsedRule | None, *, english: bool = False) -> list[str] | None:
    """The hours as lines a visitor reads, or None when the rule is beyond the common shapes."""
    if rule is None:
        return None
    found = parts(rule)
    if found is None:
        return None
    regular = [p for p in found if not p.holiday]
    lines = [_line(p, english) for p in regular]
    lines += [_holiday_line(p, regular, english) for p in found if p.holiday]
    return lines


def season_line(rule: ParsedRule | None, *, english: bool = False) -> str | None:
    """ "本季 7–10月" when every ordinary part of the rule keeps the same months, else None."""
    found = parts(rule) if rule is not None else None
    if not found:
        return None
    months = {p.months for p in found if not p.holiday}
    if len(months) != 1 or not next(iter(months)):
        return None
    when = season(next(iter(months)), english)
    return f"Season: {when}" if english else f"本季 {when}"


# The evening starts here: a market opening at or after 17:00 today opens "tonight".
EVENING_FROM = dt.time(17, 0)
WEEK = dt.timedelta(days=7)


def _clock(moment: dt.datetime, since: dt.datetime) -> str:
    # A midnight that ends the evening reads 24:00 (as markets.schedule.clock does).
    if moment.time() == dt.time(0) and moment.date() > since.date():
        return "24:00"
    return moment.strftime("%H:%M")


def _date(moment: dt.datetime, at: dt.datetime, english: bool) -> str:
    """ "7月1日" / "1 Jul"; with the year when it is not this year's."""
    year = moment.year != at.year
    if english:
        return f"{moment.day} {MONTHS[moment.month - 1]}" + (f" {moment.year}" if year else "")
    return (f"{moment.year}年" if year else "") + f"{moment.month}月{moment.day}日"


def _when(moment: dt.datetime, at: dt.datetime, english: bool) -> str:
    """When ``moment`` comes, seen from ``at``: "今晚 18:00", "明天 18:00", "周五 18:00"."""
    clock = _clock(moment, at)
    days_ahead = (moment.date() - at.date()).days
    if days_ahead == 0:
        if moment.time() >= EVENING_FROM:
            return f"tonight {clock}" if english else f"今晚 {clock}"
        return f"today {clock}" if english else f"今天 {clock}"
    if days_ahead == 1:
        return f"tomorrow {clock}" if english else f"明天 {clock}"
    if moment - at <= WEEK:
        return f"{(EN_DAYS if english else ZH_DAYS)[moment.weekday()]} {clock}"
    return _date(moment, at, english)


def _until(end: dt.datetime, start: dt.datetime, english: bool) -> str:
    """The end of a session that starts at ``start``: "22:00", "次日 01:00" / "01:00 (next day)"."""
    clock = _clock(end, start)
    if end.date() > start.date() and clock != "24:00":
        return f"{clock} (next day)" if english else f"次日 {clock}"
    return clock


def next_change_line(
    open_now: bool,
    next_change: dt.datetime | None,
    following: dt.datetime | None,
    at: dt.datetime,
    *,
    english: bool = False,
) -> str | None:
    """What comes after the status line's change, in words; never the status line again.

    The status line already says the next change ("营业中，至 22:00", "18:00 开市"), so this
    line tells the one after it (``following``, the change after ``next_change``):

    - open now: the next opening once this session ends, "下次开市 明天 18:00"; past a week
      the season is over, "本季最后一晚，2027年5月1日 再开市"; none at all, "此后暂无开市安排";
    - closed now: how long the coming session lasts, "开市后营业至 22:00".

    ``next_change``, ``following`` and ``at`` are aware, in Asia/Shanghai; None when the state
    never changes (suspended, retired, no rule, open 24 hours).
    """
    if next_change is None:
        return None
    if open_now:
        if following is None:
            return "no later opening scheduled" if english else "此后暂无开市安排"
        if following - next_change > WEEK:
            when = _date(following, at, english)
            if english:
                return f"last evening of the season; reopens {when}"
            return f"本季最后一晚，{when} 再开市"
        when = _when(following, at, english)
        return f"next opens {when}" if english else f"下次开市 {when}"
    if following is None:
        return None  # opens and stays open: the status line says all there is
    until = _until(following, next_change, english)
    return f"then open until {until}" if english else f"开市后营业至 {until}"
