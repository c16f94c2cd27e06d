"""The zone editor's gaps found on the urban-management journey, in Debian's Chromium.

A retired zone's status select, the page after a create (its draft; once published the zone's
editor with title, links, retire button) and
the message when Geoman refuses a self-crossing point. These use ``login`` (force_login); the
journey itself (test_journey_urban.py) signs in through the form.
"""

from __future__ import annotations

import pytest

from markets.models import Changeset, MarketZone
from tests.browser.test_editor import publish_drafts_of
from tests.markets.test_api_editing import metric_square

SHOTS = "/tmp/h4"


def _map_point(page, lat: float, lon: float) -> tuple[float, float]:
    box = page.locator("#editor-map").bounding_box()
    x, y = page.evaluate(
        "([lat, lon]) => { const p = window.zoneEditor.map.latLngToContainerPoint([lat, lon]);"
        " return [p.x, p.y]; }",
        [lat, lon],
    )
    return box["x"] + x, box["y"] + y


def _open_editor(page, url: str, width: int = 1280, height: int = 900) -> None:
    page.set_viewport_size({"width": width, "height": height})
    page.goto(page.base_url + url)
    page.wait_for_selector("#editor-map[data-ready=true]", state="attached")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_retired_zone_shows_its_status(page, login, user_factory, city, zone_factory):
    zone = zone_factory(name="已撤夜市", status="retired", boundary=metric_square(0, 0, 100))
    login(user_factory("urban_management"))
    _open_editor(page, f"/staff/markets/{zone.pk}/edit/")
    page.wait_for_selector("#editor-status[data-version='1']", state="attached")
    select = page.locator("#f-status")
    assert select.input_value() == "retired"
    assert select.evaluate("s => s.options[s.selectedIndex].textContent") == "已撤销"
    assert page.locator("#restore-button").is_visible()
    assert not page.locator("#retire-button").is_visible()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_after_a_create_the_page_is_the_zone_s_editor(page, login, user_factory, city,
                                                      department, width, height):
    author = user_factory("urban_management", department=department)
    login(author)
    _open_editor(page, "/staff/markets/new/", width, height)
    assert page.locator("#editor-title").text_content() == "新建集市区域"
    assert not page.locator("#retire-button").is_visible()
    assert not page.locator("#history-link").is_visible()

    page.evaluate("window.zoneEditor.map.setView([39.8005, 98.3005], 17, {animate: false})")
    page.locator(".leaflet-pm-toolbar .leaflet-pm-icon-rectangle").click()
    page.mouse.click(*_map_point(page, 39.8003, 98.3003))
    page.mouse.click(*_map_point(page, 39.8006, 98.3006))
    page.locator("#f-name").fill("新华路后备箱集市")
    page.locator("#f-reason").fill("新设")
    page.locator("#save-button").click()
    # Issue 18: the create waits in a draft changeset; the page stays the new-zone editor and
    # links to the draft. Once published, the zone's own editor has its title, links, buttons.
    page.wait_for_selector("#editor-status[data-draft]", state="attached")
    draft = Changeset.objects.get(author=author)
    assert page.url == f"{page.base_url}/staff/markets/new/"
    assert page.locator("#draft-link").get_attribute("href") == f"/staff/changesets/{draft.pk}/"
    assert not MarketZone.objects.filter(name="新华路后备箱集市").exists()
    publish_drafts_of(author)
    zone = MarketZone.objects.get(name="新华路后备箱集市")
    _open_editor(page, f"/staff/markets/{zone.pk}/edit/", width, height)
    page.wait_for_selector("#editor-status[data-version='1']", state="attached")
    assert page.locator("#editor-title").text_content() == "编辑 新华路后备箱集市"
    assert page.title().startswith("编辑 新华路后备箱集市 · ")
    history = page.locator("#history-link")
    assert history.is_visible()
    assert history.get_attribute("href") == f"/staff/markets/{zone.pk}/history/"
    assert page.locator("#rules-link").get_attribute("href") == f"/staff/markets/{zone.pk}/rules/"
    assert page.locator("#retire-button").is_visible()
    assert not page.locator("#restore-button").is_visible()
    page.screenshot(path=f"{SHOTS}/editor-after-create-{width}.png", full_page=True)

    # The retire button puts the retirement into a new draft, without a reload.
    page.locator("#f-reason").fill("选址取消")
    page.locator("#retire-button").click()
    page.wait_for_selector("#editor-status[data-draft]", state="attached")
    zone.refresh_from_db()
    assert zone.status == "proposed"
    publish_drafts_of(author)
    page.reload()
    page.wait_for_selector("#editor-status[data-version='2']", state="attached")
    zone.refresh_from_db()
    assert zone.status == "retired"
    assert page.locator("#f-status").input_value() == "retired"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_a_self_crossing_point_is_refused_with_a_message(page, login, user_factory, city,
                                                         width, height):
    login(user_factory("urban_management"))
    _open_editor(page, "/staff/markets/new/", width, height)
    page.evaluate("window.zoneEditor.map.setView([39.8005, 98.3005], 17, {animate: false})")
    message = page.locator("#error-boundary")
    assert not message.is_visible()
    page.locator(".leaflet-pm-toolbar .leaflet-pm-icon-polygon").click()
    # South-west, north-east, south-east; then north-west would cross the first edge (a bowtie).
    for lat, lon in [(39.8002, 98.3002), (39.8008, 98.3008), (39.8002, 98.3008)]:
        page.mouse.click(*_map_point(page, lat, lon))
    page.mouse.click(*_map_point(page, 39.8008, 98.3002))
    assert message.is_visible()
    assert message.text_content().startswith("边界不能自相交")
    drawn = "window.zoneEditor.map.pm.Draw.Polygon._layer.getLatLngs().length"
    assert page.evaluate(drawn) == 3  # Geoman refused the fourth point
    page.screenshot(path=f"{SHOTS}/editor-self-intersection-{width}.png", full_page=True)

    # A point that keeps the outline simple is taken, and the message goes away.
    page.mouse.click(*_map_point(page, 39.8000, 98.3010))
    assert page.evaluate(drawn) == 4
    assert not message.is_visible()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_self_crossing_drag_is_put_back_with_a_message(page, login, user_factory, city,
                                                         zone_factory):
    zone = zone_factory(name="夜市乙", boundary=metric_square(0, 0, 100))
    login(user_factory("urban_management"))
    _open_editor(page, f"/staff/markets/{zone.pk}/edit/")
    page.wait_for_selector("#editor-status[data-version='1']", state="attached")
    before = page.evaluate("JSON.stringify(window.zoneEditor.collectGeometry())")
    message = page.locator("#error-boundary")

    page.locator(".leaflet-pm-icon-edit").click()
    corners = page.locator(".marker-icon:not(.marker-icon-middle)")
    assert corners.count() == 4
    # The ring runs SW, NW, NE, SE. Drag SW one side-length east of the east side, at mid-height:
    # the edge NW -> new SW would cross the east side (NE -> SE).
    sw, ne = corners.nth(0).bounding_box(), corners.nth(2).bounding_box()
    x, y = sw["x"] + sw["width"] / 2, sw["y"] + sw["height"] / 2
    east, north = ne["x"] + ne["width"] / 2, ne["y"] + ne["height"] / 2
    tx, ty = east + (east - x), (y + north) / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move((x + tx) / 2, (y + ty) / 2, steps=5)
    page.mouse.move(tx, ty, steps=5)
    page.mouse.up()
    assert message.is_visible()
    assert message.text_content() == "边界不能自相交：该顶点已退回原位。"
    assert page.evaluate("JSON.stringify(window.zoneEditor.collectGeometry())") == before
    # The readout is the square's again: 100 m x 100 m in EPSG:4542 is 10,000 m² (within 5 m²).
    area = page.locator("#readout-area").text_content()
    assert int(area.split(" ")[0].replace(",", "")) == pytest.approx(10_000, abs=5)
    page.screenshot(path=f"{SHOTS}/editor-self-intersection-edit.png")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_other_zones_names_are_shown_as_text_not_markup(page, login, user_factory, city,
                                                        zone_factory):
    # Another zone's name, typed by staff, carries markup: its hover label must show it as text.
    name = '<img src="x" onerror="window.__injected = 1">夜市'
    zone_factory(name=name, boundary=metric_square(0, 0, 100))
    login(user_factory("urban_management"))
    _open_editor(page, "/staff/markets/new/")
    page.wait_for_selector("#editor-map path.leaflet-interactive", state="attached")
    page.evaluate("window.zoneEditor.map.eachLayer(l => l.openTooltip && l.getTooltip()"
                  " && l.openTooltip())")
    tooltip = page.locator(".leaflet-tooltip").first
    tooltip.wait_for(state="attached")
    assert tooltip.text_content() == name
    assert tooltip.locator("img").count() == 0
    assert page.evaluate("window.__injected") is None
