"""Opening hours in words for the public: markets/hours_text.py, from the parsed rule."""

from __future__ import annotations

import pytest

from markets import hours_text
from markets.schedule import parse


@pytest.mark.parametrize(
    ("rule", "chinese", "english"),
    [
        # The demo's seasonal market: the issue's own example.
        (
            "Jul-Oct Mo-Su 18:00-22:00",
            ["每天 18:00–22:00（7–10月）"],
            ["Daily 18:00–22:00 (Jul–Oct)"],
        ),
        # Same start on holidays, later end: "extended to".
        (
            "Mo-Su 18:00-22:00; PH 18:00-23:30",
            ["每天 18:00–22:00", "节假日延长至 23:30"],
            ["Daily 18:00–22:00", "Public holidays: open until 23:30"],
        ),
        (
            "Apr-Oct Fr-Su 18:00-22:00; PH 18:00-23:00",
            ["周五至周日 18:00–22:00（4–10月）", "节假日延长至 23:00"],
            ["Fri–Sun 18:00–22:00 (Apr–Oct)", "Public holidays: open until 23:00"],
        ),
        # Hours past midnight belong to the evening before: said as "the next day".
        ("Mo-Su 18:00-02:00", ["每天 18:00–次日02:00"], ["Daily 18:00–02:00 (next day)"]),
        (
            "Mo-Fr 18:00-22:00; Sa,Su 17:00-23:30; PH off",
            ["周一至周五 18:00–22:00", "周六至周日 17:00–23:30", "节假日休市"],
            ["Mon–Fri 18:00–22:00", "Sat–Sun 17:00–23:30", "Closed on public holidays"],
        ),
        (
            "Mo-Su 10:00-12:00,18:00-22:00",
            ["每天 10:00–12:00、18:00–22:00"],
            ["Daily 10:00–12:00, 18:00–22:00"],
        ),
        (
            "Jan,Mar Mo 18:00-20:00",
            ["周一 18:00–20:00（1月、3月）"],
            ["Mon 18:00–20:00 (Jan, Mar)"],
        ),
        # A different start on holidays is given in full.
        (
            "Mo-Su 18:00-22:00; PH 17:00-23:00",
            ["每天 18:00–22:00", "节假日 17:00–23:00"],
            ["Daily 18:00–22:00", "Public holidays 17:00–23:00"],
        ),
    ],
)
def test_describe(rule, chinese, english):
    parsed = parse(rule)
    assert hours_text.describe(parsed) == chinese
    assert hours_text.describe(parsed, english=True) == english


@pytest.mark.parametrize("rule", ['Mo-Su 18:00-22:00 "by appointment"', "24/7", "sunset-sunrise"])
def test_shapes_beyond_the_common_ones_are_not_worded(rule):
    # None: the page then shows the computed state only, never a half-translated rule.
    assert hours_text.describe(parse(rule)) is None


def test_no_rule():
    assert hours_text.describe(None) is None


@pytest.mark.parametrize(
    ("months", "chinese", "english"),
    [
        (((7, 10),), "7–10月", "Jul–Oct"),
        (((12, 2),), "12–2月", "Dec–Feb"),
        ((), "", ""),
    ],
)
def test_season(months, chinese, english):
    assert hours_text.season(months, english=False) == chinese
    assert hours_text.season(months, english=True) == english
