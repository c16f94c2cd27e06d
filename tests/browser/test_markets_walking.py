""" "Near me" on /markets/ sorts by walking distance along the roads; offline by the straight
line, and the page says which (issue 16)."""

from __future__ import annotations

import pytest

from tests.browser.test_markets_public import geo_page  # noqa: F401 (a fixture)
from tests.markets.test_api_walking import two_markets, u_roads  # noqa: F401 (fixtures)

AT = "2026-06-05T19:00"
# The visitor of tests/markets/test_api_walking.py: 11 m north of 南环路, 322 m straight south
# of 北侧 (which the roads reach only the long way round, 2.3 km) and 427 m west of 南侧.
ORIGIN = {"latitude": 39.7901, "longitude": 98.28}


def _rows(page) -> list[tuple[str, str, str]]:
    return [
        tuple(row)
        for row in page.eval_on_selector_all(
            ".market-item",
            "els => els.map(e => [e.dataset.name, e.dataset.route,"
            " e.querySelector('.market-distance').innerText])",
        )
    ]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_near_me_walks_the_roads_and_offline_takes_the_straight_line(
    geo_page,  # noqa: F811
    u_roads,  # noqa: F811
    two_markets,  # noqa: F811
):
    page = geo_page(granted=True)
    page.context.set_geolocation(ORIGIN)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{page.base_url}/markets/?at={AT}")
    page.wait_for_selector("body[data-markets-ready=true]", state="attached")
    page.focus("#near-me")
    page.keyboard.press("Enter")
    page.wait_for_selector("#market-list[data-order=walking]", state="attached")
    assert _rows(page) == [
        ("南侧", "roads", "步行约 440 米 / 约 5 分钟"),
        (
            "北侧",
            "roads",
            page.locator(".market-item[data-name='北侧'] .market-distance").inner_text(),
        ),
    ]
    assert _rows(page)[1][2].startswith("步行约 2.3 公里 / 约 ")
    assert page.locator("#markets-status").inner_text() == "已按步行距离（沿道路）排序。"
    page.screenshot(path=_shot("markets-walking-phone.png"), full_page=True)

    # No signal: the same button sorts by the straight line and says so (直线距离).
    page.context.set_offline(True)
    page.click("#near-me")
    page.wait_for_selector("#market-list[data-order=distance]", state="attached")
    assert _rows(page) == [
        ("北侧", "straight", "直线距离约 320 米"),
        ("南侧", "straight", "直线距离约 430 米"),
    ]
    assert (
        page.locator("#markets-status").inner_text() == "当前离线：已按直线距离排序，未按道路计算。"
    )
    page.screenshot(path=_shot("markets-walking-offline-phone.png"), full_page=True)
    page.context.set_offline(False)


def _shot(name: str) -> str:
    from pathlib import Path

    folder = Path("/tmp/shots/map")
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / name)
