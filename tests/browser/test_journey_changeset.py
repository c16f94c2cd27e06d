"""A zone changeset from the login form to the public page (issue 18).

``urban`` signs in, draws a new zone and reshapes it in the editor (both saves land in one draft
changeset; the public sees nothing), opens the draft and submits it; ``urban2`` signs in, finds
it in the changeset list, reviews it (the diff map draws the new shape), approves and publishes;
the public market page then shows the zone. Demo accounts, by clicking; no console errors.
"""

from __future__ import annotations

import pytest

from markets.models import Changeset, MarketZone
from tests.browser.test_journey_urban import CORNERS, LAT, LON, _area_m2, _map_point
from tests.conftest import DEMO_PASSWORD

SHOTS = "/tmp/shots/chg"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_changeset_journey(page, signin, demo_city):
    import os

    os.makedirs(SHOTS, exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 900})
    assert signin("urban", DEMO_PASSWORD) == page.base_url + "/staff/markets/"
    page.get_by_role("link", name="新建区域", exact=True).click()
    page.wait_for_url("**/staff/markets/new/")
    page.wait_for_selector("#editor-map[data-ready=true]", state="attached")
    page.evaluate(
        f"window.zoneEditor.map.setView([{LAT + 0.0004}, {LON + 0.0004}], 17, {{animate: false}})"
    )
    page.get_by_title("绘制多边形").or_(page.locator(".leaflet-pm-icon-polygon")).first.click()
    for lat, lon in CORNERS:
        page.mouse.click(*_map_point(page, lat, lon))
    page.mouse.click(*_map_point(page, *CORNERS[0]))
    page.get_by_label("名称").fill("南湖路后备箱集市")
    page.get_by_label("类型").select_option("trunk")
    page.locator("#f-status").select_option("active")
    page.get_by_label("摊位容量").fill("40")
    page.get_by_label("修改原因").fill("七月起新设南湖路后备箱集市")
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_selector("#editor-status[data-draft]", state="attached")
    draft = Changeset.objects.get()
    assert (draft.state, draft.author.username, draft.comment) == (
        "draft", "urban", "七月起新设南湖路后备箱集市")
    assert not MarketZone.objects.filter(name="南湖路后备箱集市").exists()

    # Reshape before submitting: the second save extends the same new-zone edit.
    page.locator(".leaflet-pm-icon-edit").click()
    x, y = _map_point(page, *CORNERS[2])
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 40, y - 40, steps=8)
    page.mouse.up()
    page.locator(".leaflet-pm-icon-edit").click()
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_selector("#editor-status[data-saves='2']", state="attached")
    edit = draft.edits.get()
    # 0.0008° x 0.0008° at 39.77°N is about 6,080 m² (test_journey_urban); the drag adds more.
    assert edit.boundary.transform(4542, clone=True).area > 6_300
    page.screenshot(path=f"{SHOTS}/editor-saved-draft.png", full_page=True)

    page.locator("#draft-link").click()
    page.wait_for_url(f"**/staff/changesets/{draft.pk}/")
    page.wait_for_selector("#changeset-map[data-ready=true]", state="attached")
    assert page.locator("#changeset-map").get_attribute("data-after") == "1"
    page.locator("#submit-button").click()
    page.wait_for_url(f"**/staff/changesets/{draft.pk}/?done=submit")
    assert page.locator("#changeset-state").get_attribute("data-state") == "submitted"
    assert page.locator("#approve-button").count() == 0  # not for its author
    page.get_by_role("button", name="退出登录").click()

    # The reviewer.
    signin("urban2", DEMO_PASSWORD)
    page.goto(page.base_url + "/staff/changesets/")
    page.screenshot(path=f"{SHOTS}/changeset-list.png", full_page=True)
    page.locator(f"#changesets tr[data-changeset='{draft.pk}'] th a").click()
    page.wait_for_url(f"**/staff/changesets/{draft.pk}/")
    page.wait_for_selector("#changeset-map[data-ready=true]", state="attached")
    assert page.locator("#changeset-map").get_attribute("data-after") == "1"
    assert page.locator("#changeset-map path.leaflet-interactive").count() >= 1
    # The demo's 7 zones drawn as they will look once published, under the new one.
    assert page.locator("#changeset-map").get_attribute("data-preview") == "7"
    area_cell = page.locator(f"#edit-{edit.pk} .area-after").text_content()
    assert area_cell.endswith("m²")
    assert "南湖路后备箱集市" in page.locator(f"#edit-{edit.pk} .attribute-table").text_content()
    page.screenshot(path=f"{SHOTS}/review-submitted.png", full_page=True)
    page.locator("#approve-button").click()
    page.wait_for_url(f"**/staff/changesets/{draft.pk}/?done=approve")
    assert MarketZone.objects.filter(name="南湖路后备箱集市").count() == 0
    page.locator("#publish-button").click()
    page.wait_for_url(f"**/staff/changesets/{draft.pk}/?done=publish")
    assert page.locator("#changeset-state").get_attribute("data-state") == "published"
    zone = MarketZone.objects.get(name="南湖路后备箱集市")
    assert (zone.status, zone.updated_by.username, zone.version) == ("active", "urban", 1)
    assert _area_m2(zone) == pytest.approx(edit.boundary.transform(4542, clone=True).area,
                                           abs=0.5)
    page.screenshot(path=f"{SHOTS}/review-published.png", full_page=True)

    # The public page shows the zone.
    page.goto(f"{page.base_url}/markets/{zone.pk}/")
    assert "南湖路后备箱集市" in page.locator("h1").text_content()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_import_journey_lands_in_a_draft_changeset(page, signin, demo_city, tmp_path):
    """``urban`` imports a file from the zone list: applying drafts a changeset, nothing live."""
    import json
    import os

    os.makedirs(SHOTS, exist_ok=True)
    ring = [[LON, LAT], [LON + 0.0008, LAT], [LON + 0.0008, LAT + 0.0008], [LON, LAT + 0.0008],
            [LON, LAT]]
    path = tmp_path / "南湖路.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"名称": "南湖路后备箱集市", "类型": "后备箱集市"},
        "geometry": {"type": "Polygon", "coordinates": [ring]}}]}, ensure_ascii=False),
        encoding="utf-8")
    page.set_viewport_size({"width": 390, "height": 844})
    assert signin("urban", DEMO_PASSWORD) == page.base_url + "/staff/markets/"
    page.locator("#staff-zone-filter").get_by_role("link", name="导入区域").click()
    page.wait_for_url("**/staff/markets/import/")
    page.locator("#import-file").set_input_files(str(path))
    page.get_by_role("button", name="试运行").click()
    page.wait_for_selector("#import-report tr[data-action=created]")
    page.get_by_label("修改原因").fill("七月起新设南湖路后备箱集市")
    page.get_by_role("button", name="应用").click()
    applied = page.locator("#import-applied")
    applied.wait_for()
    draft = Changeset.objects.get()
    assert f"已保存为草稿变更单 #{draft.pk}" in applied.text_content()
    assert not MarketZone.objects.filter(name="南湖路后备箱集市").exists()
    page.screenshot(path=f"{SHOTS}/import-drafted-390.png", full_page=True)
    applied.get_by_role("link", name=f"#{draft.pk}").click()
    page.wait_for_url(f"**/staff/changesets/{draft.pk}/")
    page.wait_for_selector("#changeset-map[data-ready=true]", state="attached")
    assert page.locator("#changeset-map").get_attribute("data-after") == "1"
    # The imported square is drawn (once the map has framed it, it has a size on screen).
    page.wait_for_function(
        "() => [...document.querySelectorAll('#changeset-map path.leaflet-interactive')]"
        ".some(p => p.getBoundingClientRect().width > 50)"
    )
    assert page.locator("#changeset-comment").text_content() == "七月起新设南湖路后备箱集市"
    assert "南湖路后备箱集市" in page.locator(".attribute-table").first.text_content()
    page.screenshot(path=f"{SHOTS}/import-review-390.png", full_page=True)
