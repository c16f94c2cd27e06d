"""Numbers, percentages and dates as people read them (issue 16, item 3).

Money is stored and exchanged in 万元 (10,000 yuan, sites/models.py ``MONEY``); what a leader
reads is 亿元 (100,000,000 yuan) from 1 亿 up and 万元 below, with digit grouping:
``4742430.3`` 万元 reads "474.2 亿元". Under the English UI the same amount reads in the units an
English reader uses: "47.4 billion yuan", "56.0 million yuan", "80,000 yuan".

Machine formats (API, GeoJSON, GPKG, the raw 万元 columns) keep the raw numbers; only text meant
for people goes through here. ``static/js/numbers.js`` is the same rules for the browser; the two
are tested against the same table (tests/geo/test_numbers.py).

Rounding is half up (四舍五入), as in the KPI module, never banker's rounding.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import timezone, translation

DASH = "—"  # what a missing figure reads, in both languages

WAN_PER_YI = Decimal(10_000)  # 1 亿元 = 10,000 万元
YUAN_PER_WAN = Decimal(10_000)
YUAN_PER_MILLION = Decimal(1_000_000)
YUAN_PER_BILLION = Decimal(1_000_000_000)

ENGLISH_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

Number = Decimal | float | int | str


def is_english(language: str | None = None) -> bool:
    """True when the text is for the English UI (the active language unless one is given)."""
    code = language or translation.get_language() or "zh-hans"
    return code.lower().startswith("en")


def _decimal(value: Number | None) -> Decimal | None:
    """The value as a Decimal; None for None, "" and anything that is not a finite number."""
    if value is None or value == "":
        return None
    try:
        # str() first: Decimal(0.1) would carry the float's binary expansion.
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def grouped(value: Number | None, places: int = 0) -> str:
    """The number with ``places`` decimals (half up) and thousands grouped by commas."""
    number = _decimal(value)
    if number is None:
        return DASH
    quantum = Decimal(1).scaleb(-places)
    rounded = number.quantize(quantum, rounding=ROUND_HALF_UP)
    if rounded == 0:
        rounded = abs(rounded)  # no "-0.0"
    return f"{rounded:,.{places}f}"


def _wan_places(wan: Decimal) -> int:
    """Decimals for an amount below 1 亿 in 万元: whole 万元 from 10 up (and 0), else one."""
    return 0 if abs(wan) >= 10 or wan == 0 else 1


def money(wan: Number | None, *, language: str | None = None) -> str:
    """An amount given in 万元, in the unit a reader of ``language`` expects."""
    amount = _decimal(wan)
    if amount is None:
        return DASH
    if is_english(language):
        return _money_english(amount * YUAN_PER_WAN)
    # The unit follows the amount itself, "from 1 亿 up": 9,994.9 万元 reads "9,995 万元".
    if abs(amount) >= WAN_PER_YI:
        return f"{grouped(amount / WAN_PER_YI, 1)} 亿元"
    return f"{grouped(amount, _wan_places(amount))} 万元"


def _money_english(yuan: Decimal) -> str:
    if abs(yuan) >= YUAN_PER_BILLION:
        return f"{grouped(yuan / YUAN_PER_BILLION, 1)} billion yuan"
    if abs(yuan) >= YUAN_PER_MILLION:
        return f"{grouped(yuan / YUAN_PER_MILLION, 1)} million yuan"
    return f"{grouped(yuan, 0)} yuan"


def money_of(part: Number | None, whole: Number | None, *, language: str | None = None) -> str:
    """ "474.2 亿元 of 706.7 亿元": a part against its whole, each in its own unit."""
    if is_english(language):
        return f"{money(part, language='en')} of {money(whole, language='en')}"
    return f"{money(part, language='zh-hans')} / {money(whole, language='zh-hans')}"


def percent(value: Number | None) -> str:
    """A value already in percent, with one decimal: 66.94 → "66.9%"."""
    number = _decimal(value)
    return DASH if number is None else f"{grouped(number, 1)}%"


def points(value: Number | None) -> str:
    """A difference of percentages, signed, one decimal: -3.24 → "-3.2", 2 → "+2.0"."""
    number = _decimal(value)
    if number is None:
        return DASH
    text = grouped(number, 1)
    return text if text.startswith("-") or text == "0.0" else f"+{text}"


def _local_date(value: dt.date | dt.datetime) -> dt.date:
    """A date as the city sees it: aware datetimes in Asia/Shanghai."""
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def month(value: dt.date | dt.datetime | str | None, *, language: str | None = None) -> str:
    """A month in prose: "2026年6月" / "June 2026". Accepts a date or "YYYY-MM[-DD]"."""
    day = _parse_date(value)
    if day is None:
        return DASH
    if is_english(language):
        return f"{ENGLISH_MONTHS[day.month - 1]} {day.year}"
    return f"{day.year}年{day.month}月"


def date(value: dt.date | dt.datetime | str | None, *, language: str | None = None) -> str:
    """A day in prose: "2026年6月3日" / "3 June 2026"."""
    day = _parse_date(value)
    if day is None:
        return DASH
    if is_english(language):
        return f"{day.day} {ENGLISH_MONTHS[day.month - 1]} {day.year}"
    return f"{day.year}年{day.month}月{day.day}日"


def _parse_date(value: dt.date | dt.datetime | str | None) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        return _local_date(value)
    text = str(value).strip()
    try:
        if len(text) == 7:  # "2026-06", the month filters' format
            return dt.date.fromisoformat(f"{text}-01")
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return _local_date(dt.datetime.fromisoformat(text))
    except ValueError:
        return None
