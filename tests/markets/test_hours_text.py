"""Opening hours in words for the public: markets/hours_text.py, from the parsed rule."""

from __future__ import annotations

import datetime as dt

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


# --- the next-change line (issue 16): it tells what the status line does not ------------------

SEASONAL = "May-Oct Fr,Sa 18:00-01:00; PH off"
DAILY = "Jul-Oct Mo-Su 18:00-22:00"


def _lines(rule: str, moment: str) -> tuple[str, str | None, str | None]:
    """The status line (Chinese) and the next-change line in Chinese and English at a moment."""
    from django.utils import translation

    from markets.schedule import TZ, ZoneHours

    hours = ZoneHours(rule)
    at = dt.datetime.fromisoformat(moment).replace(tzinfo=TZ)
    with translation.override("zh-hans"):
        state = hours.state_at(at)
    following = hours.next_change(state.next_change) if state.next_change else None
    return (
        state.status_text,
        hours_text.next_change_line(state.open_now, state.next_change, following, at),
        hours_text.next_change_line(state.open_now, state.next_change, following, at, english=True),
    )


@pytest.mark.parametrize(
    ("rule", "moment", "status", "chinese", "english"),
    [
        # Friday 5 June 2026, 19:00: open until 01:00 (the status line); Saturday 18:00 is next.
        (
            SEASONAL,
            "2026-06-05T19:00",
            "营业中，至 01:00",
            "下次开市 明天 18:00",
            "next opens tomorrow 18:00",
        ),
        # Saturday 6 June, 19:00: after tonight (ends Sunday 01:00) the next is Friday 12 June.
        (
            SEASONAL,
            "2026-06-06T19:00",
            "营业中，至 01:00",
            "下次开市 周五 18:00",
            "next opens Fri 18:00",
        ),
        # Saturday 31 October, the season's last evening (1 November is a Sunday, then winter);
        # it reopens on Saturday 1 May 2027 (no holiday table here, so PH off does not apply).
        (
            SEASONAL,
            "2026-10-31T19:00",
            "营业中，至 01:00",
            "本季最后一晚，2027年5月1日 再开市",
            "last evening of the season; reopens 1 May 2027",
        ),
        # Friday noon: the status line says it opens at 18:00; this line says until when.
        (
            SEASONAL,
            "2026-06-05T12:00",
            "今天 18:00 开市",
            "开市后营业至 次日 01:00",
            "then open until 01:00 (next day)",
        ),
        # Sunday 1 November: closed for the winter; the May evening runs to 01:00 as well.
        (
            SEASONAL,
            "2026-11-01T12:00",
            "季节性休市，5月1日开市",
            "开市后营业至 次日 01:00",
            "then open until 01:00 (next day)",
        ),
        # Daily in July: at 19:00 the next opening is tomorrow's, at noon it runs to 22:00.
        (
            DAILY,
            "2026-07-01T19:00",
            "营业中，至 22:00",
            "下次开市 明天 18:00",
            "next opens tomorrow 18:00",
        ),
        (
            DAILY,
            "2026-07-01T12:00",
            "今天 18:00 开市",
            "开市后营业至 22:00",
            "then open until 22:00",
        ),
        # 31 October, 19:00: the last evening; next season starts Thursday 1 July 2027.
        (
            DAILY,
            "2026-10-31T19:00",
            "营业中，至 22:00",
            "本季最后一晚，2027年7月1日 再开市",
            "last evening of the season; reopens 1 Jul 2027",
        ),
    ],
)
def test_next_change_line_never_repeats_the_status(rule, moment, status, chinese, english):
    status_text, zh, en = _lines(rule, moment)
    assert (status_text, zh, en) == (status, chinese, english)
    assert status_text.split("，")[-1] not in zh


def test_next_change_line_without_a_change_or_a_later_opening():
    at = dt.datetime(2026, 7, 1, 19, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    closes = at.replace(hour=22)
    assert hours_text.next_change_line(True, None, None, at) is None
    # Open now and nothing after: e.g. a last evening with no later session in the rule.
    assert hours_text.next_change_line(True, closes, None, at) == "此后暂无开市安排"
    assert (
        hours_text.next_change_line(True, closes, None, at, english=True)
        == "no later opening scheduled"
    )
    # A session ending at midnight reads 24:00, not "次日 00:00".
    opens = at.replace(hour=18)
    midnight = dt.datetime(2026, 7, 2, tzinfo=at.tzinfo)
    noon = at.replace(hour=12)
    assert hours_text.next_change_line(False, opens, midnight, noon) == "开市后营业至 24:00"
