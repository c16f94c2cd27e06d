"""Money, percentages and dates as people read them: geo/numbers.py and static/js/numbers.js.

Both sides run the same table (numbers_cases.json) so a popup and a page never disagree.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.template import engines
from django.utils import translation

from geo import numbers

ROOT = Path(__file__).resolve().parents[2]
CASES = json.loads((Path(__file__).parent / "numbers_cases.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(("wan", "language", "expected"), CASES["money"])
def test_money(wan, language, expected):
    assert numbers.money(wan, language=language) == expected


@pytest.mark.parametrize(("part", "whole", "language", "expected"), CASES["money_of"])
def test_money_of(part, whole, language, expected):
    assert numbers.money_of(part, whole, language=language) == expected


@pytest.mark.parametrize(("value", "expected"), CASES["percent"])
def test_percent(value, expected):
    assert numbers.percent(value) == expected


@pytest.mark.parametrize(("value", "expected"), CASES["points"])
def test_points(value, expected):
    assert numbers.points(value) == expected


@pytest.mark.parametrize(("value", "language", "expected"), CASES["month"])
def test_month(value, language, expected):
    assert numbers.month(value, language=language) == expected


@pytest.mark.parametrize(("value", "language", "expected"), CASES["date"])
def test_date(value, language, expected):
    assert numbers.date(value, language=language) == expected


def test_money_takes_decimals_floats_and_ints():
    # The dashboard's 4,742,430.3 万元 = 474.24303 亿元 → one decimal, half up.
    assert numbers.money(Decimal("4742430.30")) == "474.2 亿元"
    assert numbers.money(4742430.3) == "474.2 亿元"
    assert numbers.money(5600) == "5,600 万元"
    assert numbers.money("not a number") == "—"
    assert numbers.money(float("nan")) == "—"


def test_aware_datetimes_read_in_the_city():
    # 23:30 in Beijing on 30 June is 15:30 UTC the same day; 00:30 on 1 July is 16:30 UTC 30 June.
    late = dt.datetime(2026, 6, 30, 16, 30, tzinfo=dt.UTC)
    assert numbers.date(late, language="zh-hans") == "2026年7月1日"
    local = dt.datetime(2026, 6, 30, 23, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert numbers.month(local, language="en") == "June 2026"


def test_language_follows_the_active_translation():
    with translation.override("en"):
        assert numbers.money(10000) == "100.0 million yuan"
        assert numbers.month(dt.date(2026, 6, 1)) == "June 2026"
    with translation.override("zh-hans"):
        assert numbers.money(10000) == "1.0 亿元"
        assert numbers.month(dt.date(2026, 6, 1)) == "2026年6月"


def test_template_filters():
    tpl = engines["django"].from_string(
        "{% load numbers %}{{ a|money_of:b }} {{ r|percent }} {{ g|points }} {{ m|month_text }}"
    )
    with translation.override("zh-hans"):
        text = tpl.render({"a": 4742430.3, "b": 7067326.0, "r": 67.1, "g": -2.6, "m": "2026-06"})
    assert text == "474.2 亿元 / 706.7 亿元 67.1% -2.6 2026年6月"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_javascript_runs_the_same_table(tmp_path):
    """static/js/numbers.js gives the same text as geo/numbers.py for every case of the table."""
    # As an .mjs copy: a browser loads it as a module, but Debian's node 18 reads a .js file
    # outside a "type": "module" package as CommonJS (it has no module-syntax detection).
    module = tmp_path / "numbers.mjs"
    module.write_text((ROOT / "static/js/numbers.js").read_text(encoding="utf-8"),
                      encoding="utf-8")
    result = subprocess.run(
        [
            "node",
            str(Path(__file__).parent / "numbers_check.mjs"),
            module.as_uri(),
            str(Path(__file__).parent / "numbers_cases.json"),
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert json.loads(result.stdout) == []
