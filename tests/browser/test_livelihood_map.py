"""Livelihood works on the citywide map: milestone progress as their light (issue 3, item 7)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import GEOSGeometry

from sites import lights

# static/js/map.js MILESTONE_PALETTE: on time green, late amber (the projects' light colours),
# done blue; anonymous users get the category colour (PALETTES.livelihood).
ON_TIME, LATE, DONE = "#188038", "#f9ab00", "#1a62c9"
ROAD = "#3c4043"


def _loaded(page):
    # A reload sets data-loaded=false, then true once every layer has answered.
    return page.wait_for_selector("#map-status[data-loaded=true]", state="attached")


def _three_works(livelihood_factory):
    """One work per milestone light, at dates relative to today so the lights never age."""
    today = lights.today()
    day = dt.timedelta(days=1)
    livelihood_factory(
        name="东风路改造", category="road",
        milestones=[("开工", today + 60 * day, None)],
    )
    late = livelihood_factory(
        name="市二院门诊楼", category="road",
        geom=GEOSGeometry("POINT(98.30 39.80)", srid=4326),
        milestones=[("设计", today - 90 * day, today - 95 * day),
                    ("开工", today - 30 * day, None)],
    )
    livelihood_factory(
        name="老旧小区管网", category="road",
        geom=GEOSGeometry("LINESTRING(98.21 39.83, 98.23 39.83)", srid=4326),
        milestones=[("完工", today - 20 * day, today - 25 * day)],
    )
    return late


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_see_works_in_their_light_and_filter_by_it(page, login, livelihood_factory,
                                                        user_factory):
    late = _three_works(livelihood_factory)
    login(user_factory("leaders"))

    page.goto(page.base_url + "/")
    _loaded(page)
    assert page.evaluate("window.portalMap.counts.livelihood") == 3
    # The late work is a point: a circle filled with the light's colour.
    late_path = page.locator("#map path.portal-livelihood-light-late")
    assert late_path.count() == 1
    assert late_path.get_attribute("fill") == LATE
    on_time = page.locator("#map path.portal-livelihood-light-on_time")
    assert on_time.get_attribute("stroke") == ON_TIME
    assert page.locator("#map path.portal-livelihood-light-done").get_attribute("stroke") == DONE
    # The legend shows the light colours in place of the categories.
    assert page.locator(".map-legend [data-legend=livelihood-light-late]").count() == 1
    assert page.locator(".map-legend [data-legend=livelihood-road]").count() == 0

    # The popup names the light and the (overdue) next milestone.
    late_path.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert popup.locator(".milestone-light").get_attribute("data-light") == "late"
    assert "滞后" in popup.locator(".milestone-light").inner_text()  # "Late" in Chinese
    assert "开工" in popup.inner_text()
    page.keyboard.press("Escape")

    page.select_option("#filter-milestone_light", "late")
    page.wait_for_function("() => window.portalMap.counts.livelihood === 1")
    assert "milestone_light=late" in page.url
    assert page.evaluate("window.portalMap.params.livelihood") == {"light": "late"}
    assert page.locator("#map path.portal-livelihood").count() == 1
    assert page.locator("#map path.portal-livelihood-light-late").count() == 1

    # The shared URL restores the filtered view.
    page.goto(page.base_url + "/?milestone_light=late")
    page.wait_for_function("() => window.portalMap && window.portalMap.params?.livelihood?.light")
    _loaded(page)
    assert page.evaluate("window.portalMap.counts.livelihood") == 1
    assert page.input_value("#filter-milestone_light") == "late"
    page.locator("#map path.portal-livelihood").first.click()
    popup.wait_for()
    assert late.name in popup.inner_text()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_public_map_exposes_no_livelihood_light(page, livelihood_factory):
    _three_works(livelihood_factory)

    # Even a shared staff link with a light filter: the public get every work, no light.
    page.goto(page.base_url + "/?milestone_light=late")
    status = _loaded(page)
    assert status.get_attribute("data-error") is None
    assert page.evaluate("window.portalMap.counts.livelihood") == 3
    assert page.locator("#filter-milestone_light").count() == 0
    assert page.locator("#filter-light").count() == 0
    # Drawn in the category colour, with no light class and no light legend.
    paths = page.locator("#map path.portal-livelihood")
    assert paths.count() == 3
    assert page.locator("#map path[class*=portal-livelihood-light]").count() == 0
    assert page.locator(f"#map path.portal-livelihood-road[stroke='{ROAD}']").count() == 3
    assert page.locator(".map-legend [data-legend^=livelihood-light]").count() == 0
    assert page.locator(".map-legend [data-legend=livelihood-road]").count() == 1

    # The popup keeps the public next milestone but has no light.
    # Lines are unfilled: the one filled path is the point of the late work.
    page.locator(f"#map path.portal-livelihood-road[fill='{ROAD}']").click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "市二院门诊楼" in popup.inner_text()
    assert "开工" in popup.inner_text()
    assert popup.locator(".milestone-light").count() == 0


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_works_light_is_not_told_by_colour_alone(page, login, livelihood_factory,
                                                   user_factory):
    """Issue 16: late works are dashed, done ones dotted, on the map and in the legend."""
    _three_works(livelihood_factory)
    login(user_factory("leaders"))
    page.goto(page.base_url + "/")
    _loaded(page)
    late = page.locator("#map path.portal-livelihood-light-late")
    assert late.get_attribute("stroke-dasharray") == "6 3"
    assert page.locator("#map path.portal-livelihood-light-done").get_attribute(
        "stroke-dasharray") == "1 4"
    assert page.locator("#map path.portal-livelihood-light-on_time").get_attribute(
        "stroke-dasharray") is None
    legend = page.locator(".map-legend")
    for code, symbol, dash in [("on_time", "✓", None), ("late", "!", "is-dashed"),
                               ("done", "◆", "is-dotted")]:
        row = legend.locator(f"[data-legend=livelihood-light-{code}]")
        assert row.locator(".legend-symbol").text_content() == symbol
        swatch = row.locator(".legend-swatch").get_attribute("class")
        assert (dash in swatch) if dash else ("is-dashed" not in swatch), swatch
    page.screenshot(path="/tmp/shots/livelihood-lights.png")
