"""Reads for market hours: parameters, closures and the holiday table, evaluated per zone.

The selectors build features in SQL; this module completes their properties with what only
Python can compute (``open_now``, ``next_change``, ``status_text``, ``open_tonight`` and the
hours in words: ``hours_text``, ``season_text``, ``next_change_text``), with one query for the
closures of all listed zones and one for the holiday table.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from geo.api.params import (
    BOOLEAN,
    DATE_PATTERN,
    INSTANT_PATTERN,
    INTEGER,
    QueryParam,
    validate_query,
)
from markets import hours_text
from markets.calendar import HolidayCalendar
from markets.schedule import ClosureSpan, ZoneHours, local
from markets.selectors import closures_by_zone, load_calendar

MAX_DAYS = 31
DEFAULT_DAYS = 7

AT_FORMAT = (
    "at must be an ISO 8601 date and time such as 2026-06-05T20:00 (Asia/Shanghai) or "
    "2026-06-05T12:00Z."
)
FROM_FORMAT = "from must be a date written YYYY-MM-DD, such as 2026-06-05."
DAYS_RANGE = "days must be a whole number from 1 to %(max)d."
BOOL_FORMAT = "%(name)s must be true or false."
YEAR_RANGE = "%(name)s must be between the years %(first)d and %(last)d."
# Instants the schedule evaluates: far enough either way, and clear of datetime's limits.
FIRST_YEAR, LAST_YEAR = 2000, 2100

# "+08:00" arrives as " 08:00" when a client forgets to encode the plus sign.
_LOST_PLUS = re.compile(r" (\d{2}(?::?\d{2})?)$")


def parse_at(value: str | None) -> dt.datetime:
    """The instant to evaluate at: now when absent; a naive value is Asia/Shanghai time."""
    if value is None or value == "":
        return local(timezone.now())
    text = _LOST_PLUS.sub(r"+\1", value.strip())
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError({"at": ValidationError(_(AT_FORMAT), code="at_format")}) from None
    _check_year("at", moment.year)
    return local(moment)


def _check_year(name: str, year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationError(
            {
                name: ValidationError(
                    _(YEAR_RANGE) % {"name": name, "first": FIRST_YEAR, "last": LAST_YEAR},
                    code="year_range",
                )
            }
        )


def parse_bool(params: Mapping[str, str], name: str) -> bool | None:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise ValidationError(
        {name: ValidationError(_(BOOL_FORMAT) % {"name": name}, code="bool_format")}
    )


def _parse_from(params: Mapping[str, str], today: dt.date) -> dt.date:
    raw = params.get("from")
    if not raw:
        return today
    try:
        start = dt.date.fromisoformat(raw.strip())
    except ValueError:
        raise ValidationError(
            {"from": ValidationError(_(FROM_FORMAT), code="from_format")}
        ) from None
    _check_year("from", start.year)
    return start


def _parse_days(params: Mapping[str, str]) -> int:
    raw = params.get("days")
    if raw in (None, ""):
        return DEFAULT_DAYS
    try:
        days = int(raw)
    except ValueError:
        days = 0
    if not 1 <= days <= MAX_DAYS:
        raise ValidationError(
            {"days": ValidationError(_(DAYS_RANGE) % {"max": MAX_DAYS}, code="days_range")}
        )
    return days


def schedule_params(*, today: dt.date | None = None) -> tuple[QueryParam, QueryParam]:
    """``from`` (default: today) and ``days`` of a schedule or rule preview."""
    return (
        QueryParam(
            "from",
            lambda params: _parse_from(params, today),
            f"YYYY-MM-DD (default today, Asia/Shanghai), years {FIRST_YEAR}-{LAST_YEAR}",
            pattern=DATE_PATTERN,
        ),
        QueryParam(
            "days",
            _parse_days,
            f"days to list (default {DEFAULT_DAYS})",
            kind=INTEGER,
            minimum=1,
            maximum=MAX_DAYS,
        ),
    )


def parse_from_days(params: Mapping[str, str], *, today: dt.date) -> tuple[dt.date, int]:
    """``from`` (default: today) and ``days`` (default 7, at most 31) of a schedule request."""
    values = validate_query(params, schedule_params(today=today))
    return values["from"], values["days"]


@dataclass(frozen=True)
class HoursFilters:
    at: dt.datetime
    open_now: bool | None = None
    open_tonight: bool | None = None


HOURS_PARAMS = (
    QueryParam(
        "at",
        lambda params: parse_at(params.get("at")),
        "ISO 8601 instant for the hours (naive = Asia/Shanghai), years "
        f"{FIRST_YEAR}-{LAST_YEAR}; default now",
        pattern=INSTANT_PATTERN,
    ),
    QueryParam(
        "open_now",
        lambda params: parse_bool(params, "open_now"),
        "true: only zones open at `at`; false: only closed ones",
        kind=BOOLEAN,
    ),
    QueryParam(
        "open_tonight",
        lambda params: parse_bool(params, "open_tonight"),
        "true: only zones open some time this evening",
        kind=BOOLEAN,
    ),
)


def hours_of(
    props: Mapping[str, object], *, closures: list[ClosureSpan], calendar: HolidayCalendar
) -> ZoneHours:
    """A zone's ZoneHours from its feature properties (opening_hours, status, status_reason).

    A stored rule that no longer parses (saved before validation existed) reads as "not
    published" rather than failing the whole layer.
    """
    text = str(props.get("opening_hours") or "")
    try:
        return ZoneHours(
            opening_hours=text,
            status=str(props.get("status") or ""),
            status_reason=str(props.get("status_reason") or ""),
            closures=closures,
            calendar=calendar,
        )
    except ValidationError:
        return ZoneHours(
            opening_hours="",
            status=str(props.get("status") or ""),
            status_reason=str(props.get("status_reason") or ""),
            closures=closures,
            calendar=calendar,
        )


def with_hours(
    features: list[dict], f: HoursFilters, *, calendar: HolidayCalendar | None = None
) -> list[dict]:
    """Add the hours properties to each feature (in place) and apply the hours filters."""
    if not features:
        return features
    calendar = calendar if calendar is not None else load_calendar()
    closures = closures_by_zone((feat["id"] for feat in features), since=f.at)
    kept = []
    for feature in features:
        hours = hours_of(
            feature["properties"], closures=closures.get(feature["id"], []), calendar=calendar
        )
        state = hours.state_at(f.at)
        if f.open_now is not None and state.open_now != f.open_now:
            continue
        if f.open_tonight is not None and state.open_tonight != f.open_tonight:
            continue
        feature["properties"].update(state.as_properties())
        feature["properties"].update(words(hours, state.open_now, state.next_change, f.at))
        feature["properties"]["evaluated_at"] = f.at.isoformat(timespec="seconds")
        kept.append(feature)
    return kept


def english() -> bool:
    """Whether the active language is English (the hours in words come in Chinese or English)."""
    return (get_language() or "").startswith("en")


def words(
    hours: ZoneHours, open_now: bool, next_change: dt.datetime | None, at: dt.datetime
) -> dict:
    """The hours as a visitor reads them, in the active language (markets.hours_text)."""
    en = english()
    # The change after the next one: the next-change line tells what the status line does not.
    following = hours.next_change(next_change) if next_change is not None else None
    return {
        "hours_text": hours_text.describe(hours.rule, english=en),
        "season_text": hours_text.season_line(hours.rule, english=en),
        "next_change_text": hours_text.next_change_line(
            open_now,
            local(next_change) if next_change is not None else None,
            local(following) if following is not None else None,
            local(at),
            english=en,
        )
        if hours.can_open
        else None,
    }


def hours_for(features: list[dict], f: HoursFilters, *, staff: bool) -> list[dict]:
    """``with_hours`` as a reader gets it: the raw OSM rule is for staff (the API list and
    detail, the downloads and the OGC API all answer through here)."""
    kept = with_hours(features, f)
    if not staff:
        hide_rule(kept)
    return kept


def hide_rule(features: Iterable[dict]) -> None:
    """Drop the raw OSM ``opening_hours`` string (staff only; the public reads the words)."""
    for feature in features:
        feature["properties"].pop("opening_hours", None)
