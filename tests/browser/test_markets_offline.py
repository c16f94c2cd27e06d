"""/markets/ on a phone without signal (issue 16 item 5): the service worker's cached list."""

from __future__ import annotations

import re

import pytest

from tests.conftest import square

PHONE = {"width": 390, "height": 844}


@pytest.mark.django_db(transaction=True)
def test_offline_reload_shows_the_cached_list_with_its_time(page, zone_factory):
    zone_factory(
        name="大唐路夜市",
        opening_hours="Jul-Oct Mo-Su 18:00-22:00",
        contact="城管大队 0937-1234567",
        boundary=square(98.30, 39.80),
    )
    zone_factory(
        name="悦西市美食街", opening_hours="Mo-Su 18:00-02:00", boundary=square(98.32, 39.82)
    )
    page.set_viewport_size(PHONE)
    url = page.base_url + "/markets/?at=2026-07-01T12:00"
    page.goto(url)
    page.wait_for_selector("body[data-worker='ready']")
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    # Online again, now through the worker: it keeps this list.
    page.reload()
    page.wait_for_selector("body[data-markets-ready='true']")
    assert page.locator("#offline-note").is_hidden()
    loaded = page.locator("#offline-note").get_attribute("data-loaded")
    # The day too: a list loaded last night must not read as tonight's.
    assert re.fullmatch(r"20\d\d年\d{1,2}月\d{1,2}日 \d\d:\d\d", loaded), loaded

    page.context.set_offline(True)
    page.reload()
    page.wait_for_selector("body[data-served='cache']")
    note = page.locator("#offline-note")
    assert note.is_visible()
    assert note.inner_text() == f"当前离线：列表与营业时间更新于 {loaded}。"
    # The map's title says the same moment, not the time the phone reopened the page.
    assert page.locator("#markets-map .map-as-of").inner_text() == f"数据截至 {loaded}"
    names = page.eval_on_selector_all(".market-item", "els => els.map(e => e.dataset.name)")
    assert names == ["大唐路夜市", "悦西市美食街"]
    first = page.locator(".market-item").first
    assert "每天 18:00–22:00（7–10月）" in first.inner_text()
    assert "今天 18:00 开市" in first.inner_text()
    assert "开市后营业至 22:00" in first.inner_text()
    # The map still draws the zones from the cached page's data (Leaflet from the cache).
    assert page.locator("#markets-map path.market-zone").count() == 2
    page.screenshot(path=_shot("markets-offline-phone.png"), full_page=True)
    page.context.set_offline(False)


def _shot(name: str) -> str:
    from pathlib import Path

    folder = Path("/tmp/shots/words")
    folder.mkdir(parents=True, exist_ok=True)
    return str(folder / name)
