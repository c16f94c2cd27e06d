"""The OGC API's HTML pages in Chromium: from the landing page to one feature, maps drawn, no
console errors, nothing fetched from off the machine (issue 13)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from geo.api.throttling import AnonBurstThrottle, AnonItemsThrottle

SHOTS = Path(os.environ.get("OGC_SHOTS", "/tmp/shots/ogc"))


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("device", "viewport"), [
    ("desktop", {"width": 1280, "height": 860}), ("phone", {"width": 390, "height": 844}),
])
def test_browse_from_landing_page_to_one_feature(
    page, project_factory, zone_factory, monkeypatch, device, viewport
):
    monkeypatch.setattr(AnonItemsThrottle, "rate", "100000/min", raising=False)
    monkeypatch.setattr(AnonBurstThrottle, "rate", "100000/min", raising=False)
    project_factory(name="甬金金融科技", stage="construction", geom="POINT(98.28 39.79)")
    project_factory(name="索通盛源碳材料", geom="POINT(98.22 39.75)")
    zone_factory(name="大唐路夜市")
    page.set_viewport_size(viewport)

    # A browser asks for HTML: the landing page, without f=html.
    page.goto(f"{page.base_url}/ogcapi/")
    assert page.locator("h1").inner_text() == "城市地图门户：开放数据"
    _shot(page, f"landing-{device}")
    page.get_by_role("link", name="集合").first.click()
    page.get_by_role("link", name="重点项目").first.click()
    assert page.locator("h1").inner_text() == "重点项目"
    _shot(page, f"collection-{device}")
    page.get_by_role("link", name="浏览要素").click()
    page.locator("#ogc-map[data-ready=true]").wait_for()
    assert page.locator(".ogc-map .leaflet-interactive").count() == 2
    assert page.locator("#ogc-count").inner_text() == "第 1–2 个要素，共 2 个"
    _shot(page, f"items-{device}")
    page.get_by_role("link", name="甬金金融科技").click()
    page.locator("#ogc-map[data-ready=true]").wait_for()
    assert page.locator("h1").inner_text() == "甬金金融科技"
    assert "construction" in page.locator(".ogc-properties").inner_text()
    _shot(page, f"item-{device}")
    page.goto(f"{page.base_url}/ogcapi/conformance?f=html")
    assert "ogcapi-features-2/1.0/conf/crs" in page.locator(".ogc-conformance").inner_text()
    _shot(page, f"conformance-{device}")
    page.goto(f"{page.base_url}/ogcapi/collections/projects/queryables?f=html")
    assert page.locator("tbody tr").count() == 15
    _shot(page, f"queryables-{device}")
