"""Urban management's journey from the login form: draw a zone, reshape it, restore, retire.

Signs in as the README's demo account ``urban`` (no force_login) and does everything by clicking:
the staff zone list, 新建, Geoman's polygon and edit tools, the history page, the retire button,
and the list's "retired" filter. The page fixture fails the test on any console or page error.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from markets.models import MarketZone
from tests.browser.test_editor import publish_drafts_of
from tests.conftest import DEMO_PASSWORD

SHOTS = "/tmp/h4"
# An empty spot of the demo city (lon 98.20-98.36, lat 39.74-39.84): the nearest demo zone,
# 新区文化广场后备箱集市, is about 2.3 km east-south-east of it.
LAT, LON = 39.7700, 98.3000
# The square's corners, 0.0008° apart: about 68 m (lon) x 89 m (lat) at 39.77°N.
CORNERS = [
    (LAT, LON), (LAT, LON + 0.0008), (LAT + 0.0008, LON + 0.0008), (LAT + 0.0008, LON),
]


def _map_point(page, lat: float, lon: float) -> tuple[float, float]:
    """Page pixel coordinates of (lat, lon) on the editor map."""
    box = page.locator("#editor-map").bounding_box()
    x, y = page.evaluate(
        "([lat, lon]) => { const p = window.zoneEditor.map.latLngToContainerPoint([lat, lon]);"
        " return [p.x, p.y]; }",
        [lat, lon],
    )
    return box["x"] + x, box["y"] + y


def _area_m2(zone: MarketZone) -> float:
    return zone.boundary.transform(4542, clone=True).area


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_urban_management_journey(page, signin, demo_city):
    page.set_viewport_size({"width": 1280, "height": 900})
    landing = signin("urban", DEMO_PASSWORD)
    assert landing == page.base_url + "/staff/markets/"
    # The demo city's 7 zones, none retired.
    assert page.locator("#staff-zones tbody tr[data-zone]").count() == 7
    page.screenshot(path=f"{SHOTS}/journey-urban-list.png", full_page=True)

    # 新建: the editor for a new zone.
    page.get_by_role("link", name="新建区域", exact=True).click()
    page.wait_for_url("**/staff/markets/new/")
    page.wait_for_selector("#editor-map[data-ready=true]", state="attached")
    # Zoom to the empty spot (as a person would with the wheel) so one click is about a metre.
    page.evaluate(
        f"window.zoneEditor.map.setView([{LAT + 0.0004}, {LON + 0.0004}], 17, {{animate: false}})"
    )

    # Geoman's polygon tool: four corners, then the first again to close the ring.
    page.get_by_title("绘制多边形").or_(page.locator(".leaflet-pm-icon-polygon")).first.click()
    for lat, lon in CORNERS:
        page.mouse.click(*_map_point(page, lat, lon))
    page.mouse.click(*_map_point(page, *CORNERS[0]))
    assert page.locator("#readout-parts").text_content() == "1"

    page.get_by_label("名称").fill("南湖路后备箱集市")
    page.get_by_label("类型").select_option(label="后备箱集市")
    page.get_by_label("摊位容量").fill("40")
    page.get_by_label("联系方式").fill("城管执法局 0937-1234567")
    page.get_by_label("修改原因").fill("新设后备箱集市")
    page.get_by_role("button", name="保存", exact=True).click()
    # Issue 18: each save lands in urban's draft changeset; a second urban-management user
    # publishes it off-screen here (test_journey_changeset.py clicks through the review).
    page.wait_for_selector("#editor-status[data-saves='1']", state="attached")
    assert not MarketZone.objects.filter(name="南湖路后备箱集市").exists()
    urban = User.objects.get(username="urban")
    publish_drafts_of(urban)

    zone = MarketZone.objects.get(name="南湖路后备箱集市")
    assert (zone.status, zone.kind, zone.capacity, zone.department.code) == (
        "proposed", "trunk", 40, "cgzfj")
    # 0.0008° x 0.0008° at 39.77°N: 68.5 m x 88.8 m = about 6,080 m² in EPSG:4542.
    first_area = _area_m2(zone)
    assert 5_800 < first_area < 6_300
    page.goto(f"{page.base_url}/staff/markets/{zone.pk}/edit/")
    page.wait_for_selector("#editor-status[data-version='1']", state="attached")
    page.evaluate(
        f"window.zoneEditor.map.setView([{LAT + 0.0004}, {LON + 0.0004}], 17, {{animate: false}})"
    )
    assert page.locator("#editor-title").text_content() == "编辑 南湖路后备箱集市"

    # Reshape: Geoman's edit mode, drag the north-east corner 40 px further north-east.
    page.locator(".leaflet-pm-icon-edit").click()
    x, y = _map_point(page, *CORNERS[2])
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 20, y - 20, steps=5)
    page.mouse.move(x + 40, y - 40, steps=5)
    page.mouse.up()
    page.locator(".leaflet-pm-icon-edit").click()
    page.get_by_label("修改原因").fill("向东北扩展")
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_selector("#editor-status[data-saves='1']", state="attached")
    publish_drafts_of(urban)
    zone.refresh_from_db()
    reshaped_area = _area_m2(zone)
    # Moving one corner of the square outward adds a triangle-pair: the zone grows.
    assert reshaped_area > first_area + 500

    # History, by clicking its link (shown in place after the create): restore version 1.
    page.locator("#history-link").click()
    page.wait_for_url(f"**/staff/markets/{zone.pk}/history/")
    page.wait_for_selector("#history-map[data-ready=true]", state="attached")
    versions = page.locator("#history-versions > li")
    assert versions.count() == 2
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_label("修改原因").fill("恢复最初边界")
    versions.nth(1).get_by_role("button", name="恢复此版本").click()
    # Restoring opens a draft changeset and its review page; published, it is version 3.
    page.wait_for_url("**/staff/changesets/*/")
    publish_drafts_of(urban)
    zone.refresh_from_db()
    assert zone.version == 3
    assert _area_m2(zone) == pytest.approx(first_area, abs=0.5)

    # Back to the editor, retire the zone.
    page.goto(f"{page.base_url}/staff/markets/{zone.pk}/edit/")
    page.wait_for_selector("#editor-status[data-version='3']", state="attached")
    page.get_by_label("修改原因").fill("选址调整，撤销")
    page.get_by_role("button", name="撤销区域").click()
    page.wait_for_selector("#editor-status[data-draft]", state="attached")
    publish_drafts_of(urban)
    page.reload()
    page.wait_for_selector("#editor-status[data-version='4']", state="attached")
    assert page.locator("#f-status").input_value() == "retired"
    zone.refresh_from_db()
    assert (zone.status, zone.version) == ("retired", 4)

    # The staff list hides it by default and shows it under the "retired" filter.
    page.get_by_role("navigation").get_by_role("link", name="集市区域", exact=True).click()
    page.wait_for_url("**/staff/markets/")
    assert page.locator(f"#staff-zones tr[data-zone='{zone.pk}']").count() == 0
    page.get_by_label("状态").select_option("retired")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url("**/staff/markets/?status=retired")
    row = page.locator(f"#staff-zones tr[data-zone='{zone.pk}']")
    assert row.count() == 1
    assert "已撤销" in row.text_content()
    assert row.get_by_role("link", name="编辑边界").get_attribute("href") == (
        f"/staff/markets/{zone.pk}/edit/")
    page.screenshot(path=f"{SHOTS}/journey-urban-retired.png", full_page=True)
    assert page.console_errors == []
