"""The zone editor's list of what its map shows around the zone (issue 16 item 6): the other
zones and the project sites in view, by name, with links, following the view and the layer
switches — a keyboard and screen-reader way to the features the map draws."""

from __future__ import annotations

import pytest

from tests.markets.test_api_editing import metric_square


def _rows(page) -> list[list[str]]:
    return page.eval_on_selector_all(
        "#nearby-list tbody tr",
        "rows => rows.map(r => [...r.children].map(c => c.textContent.trim()))",
    )


def _view(page, lat: float, lon: float, zoom: int) -> None:
    page.evaluate(
        "([lat, lon, zoom]) => window.zoneEditor.map.setView([lat, lon], zoom, {animate: false})",
        [lat, lon, zoom],
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_editor_lists_the_zones_and_sites_in_view(page, login, user_factory, city,
                                                      department, zone_factory,
                                                      project_factory):
    mine = zone_factory(name="大唐路夜市", boundary=metric_square(0, 0, 100))
    neighbour = zone_factory(name="悦西市美食街", boundary=metric_square(150, 0, 80))
    zone_factory(name="拟设跳蚤市场", status="proposed", boundary=metric_square(-200, 0, 60))
    centre = metric_square(40, 40, 1).centroid
    site = project_factory(name="铝深加工项目", stage="construction", geom=centre)
    login(user_factory("urban_management"))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{page.base_url}/staff/markets/{mine.pk}/edit/")
    page.wait_for_selector("#editor-map[data-ready=true]", state="attached")
    _view(page, centre.y, centre.x, 16)

    summary = page.locator("#nearby-list summary")
    summary.focus()
    page.keyboard.press("Enter")  # opened from the keyboard
    assert page.locator("#nearby-list").get_attribute("open") is not None
    # Not the zone being edited; the zones by name (zh collation), then the project sites.
    assert _rows(page) == [
        ["拟设跳蚤市场", "其他集市区域", "拟设"],
        ["悦西市美食街", "其他集市区域", "运营中"],
        ["铝深加工项目", "项目点位", "在建"],
    ]
    assert summary.inner_text() == "地图上的周边要素 （3）"
    links = page.locator("#nearby-list tbody a")
    assert links.nth(1).get_attribute("href") == f"/staff/markets/{neighbour.pk}/edit/"
    assert links.nth(2).get_attribute("href") == f"/projects/{site.pk}/"
    page.screenshot(path="/tmp/shots/editor-nearby.png", full_page=True)

    # The project sites switched off in the layer control leave the table too.
    page.locator(".leaflet-control-layers").hover()
    page.get_by_label("项目点位").uncheck()
    assert [row[0] for row in _rows(page)] == ["拟设跳蚤市场", "悦西市美食街"]
    # Far away from everything: nothing in view.
    _view(page, centre.y + 0.05, centre.x + 0.05, 17)
    assert _rows(page) == []
    assert page.locator("#nearby-list").get_attribute("data-count") == "0"
