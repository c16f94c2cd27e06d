"""Working days across the 2026 holidays of the portal's holiday table (fixtures/calendar.json),
counted by hand on a calendar."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from sites.orders.workdays import add_working_days, is_working_day, working_days_between

D = dt.date
ROWS = json.loads((Path(__file__).parents[2] / "fixtures" / "calendar.json").read_text())
HOLIDAYS = {D.fromisoformat(r["date"]) for r in ROWS["calendar"] if r["kind"] == "holiday"}
WORKDAYS = {D.fromisoformat(r["date"]) for r in ROWS["calendar"] if r["kind"] == "workday"}


def add(day, n):
    return add_working_days(day, n, HOLIDAYS, WORKDAYS)


def between(a, b):
    return working_days_between(a, b, HOLIDAYS, WORKDAYS)


def test_the_table_holds_national_day_and_its_make_up_days():
    assert {D(2026, 10, d) for d in range(1, 8)} <= HOLIDAYS
    assert {D(2026, 9, 20), D(2026, 10, 10)} <= WORKDAYS


@pytest.mark.parametrize(("start", "n", "expected"), [
    # Wed 30 Sep + 10: 1-7 Oct off; Thu 8 (1), Fri 9 (2), Sat 10 make-up (3), Mon 12..Fri 16
    # (4-8), Mon 19 (9), Tue 20 (10).
    (D(2026, 9, 30), 10, D(2026, 10, 20)),
    # Thu 24 Sep + 5: Mid-Autumn 25-27 off; Mon 28 (1), 29 (2), 30 (3), Thu 8 Oct (4), Fri 9 (5).
    (D(2026, 9, 24), 5, D(2026, 10, 9)),
    # Fri 18 Sep + 2: Sat 19 off, Sun 20 make-up (1), Mon 21 (2).
    (D(2026, 9, 18), 2, D(2026, 9, 21)),
    # Fri 13 Feb + 1: Sat 14 is a make-up working day.
    (D(2026, 2, 13), 1, D(2026, 2, 14)),
    # Sat 14 Feb + 1: Spring Festival 15-23 Feb off; Tue 24.
    (D(2026, 2, 14), 1, D(2026, 2, 24)),
    # Thu 30 Apr + 1: Labour Day 1-5 May off; Wed 6 May.
    (D(2026, 4, 30), 1, D(2026, 5, 6)),
    # A plain week: Mon 2 Nov + 5 = Mon 9 Nov.
    (D(2026, 11, 2), 5, D(2026, 11, 9)),
    (D(2026, 11, 2), 0, D(2026, 11, 2)),
    # Backwards: the working day before Thu 8 Oct is Wed 30 Sep.
    (D(2026, 10, 8), -1, D(2026, 9, 30)),
])
def test_add_working_days(start, n, expected):
    assert add(start, n) == expected
    assert between(start, expected) == n


def test_working_days_between_counts_after_a_up_to_b():
    # 2-10 Oct: Thu 8, Fri 9, Sat 10 (make-up).
    assert between(D(2026, 10, 1), D(2026, 10, 10)) == 3
    assert between(D(2026, 10, 10), D(2026, 10, 1)) == -3
    assert between(D(2026, 10, 3), D(2026, 10, 3)) == 0


def test_without_a_table_only_weekends_are_off():
    assert add_working_days(D(2026, 9, 30), 10) == D(2026, 10, 14)
    assert not is_working_day(D(2026, 10, 10))
    assert is_working_day(D(2026, 10, 10), HOLIDAYS, WORKDAYS)
