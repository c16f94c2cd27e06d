"""The citywide map at "/" in Debian's Chromium: three layers drawn, nothing fetched off-machine."""

from __future__ import annotations

import base64
import re

import pytest
from django.contrib.gis.geos import GEOSGeometry, Point

from tests.conftest import square
from tests.html_assets import page_assets


def _features(project_factory, livelihood_factory, zone_factory) -> None:
    """Two features per layer, spread out so that no cluster hides a project point."""
    project_factory(geom=Point(98.22, 39.76, srid=4326), stage="construction")
    project_factory(
        geom=GEOSGeometry(
            "POLYGON((98.33 39.82, 98.34 39.82, 98.34 39.83, 98.33 39.82))", srid=4326
        ),
        stage="completed",
    )
    livelihood_factory(category="road")
    livelihood_factory(category="medical", geom=GEOSGeometry("POINT(98.26 39.81)", srid=4326))
    # Only active (or suspended) zones are public; the proposed one must not be drawn.
    zone_factory(kind="trunk", boundary=square(98.30, 39.80))
    zone_factory(kind="food_street", boundary=square(98.24, 39.75, size=0.002))
    zone_factory(kind="flea", status="proposed", boundary=square(98.21, 39.83))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_map_draws_all_three_layers(page, project_factory, livelihood_factory, zone_factory):
    _features(project_factory, livelihood_factory, zone_factory)

    page.goto(page.base_url + "/")
    status = page.wait_for_selector("#map-status[data-loaded=true]", state="attached")

    assert status.get_attribute("data-error") is None
    assert status.get_attribute("data-projects") == "2"
    assert status.get_attribute("data-livelihood") == "2"
    assert status.get_attribute("data-markets") == "2"
    assert page.evaluate("window.portalMap.counts") == {
        "projects": 2,
        "livelihood": 2,
        "markets": 2,
    }
    # Every feature is an SVG path of its layer's class (points are circle markers here: the
    # two project points are far apart, so the cluster group shows them unclustered).
    for layer in ("projects", "livelihood", "markets"):
        assert page.locator(f"#map path.portal-{layer}").count() == 2, layer
    assert page.locator("#map path.portal-markets-trunk").count() == 1
    assert page.locator("#map path.portal-markets-flea").count() == 0
    # No basemap in tests: no tile images at all.
    assert page.locator("#map img.leaflet-tile").count() == 0
    assert page.outside_requests == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_map_popup_shows_name(page, project_factory):
    project = project_factory(name="索通盛源碳材料", stage="construction")

    page.goto(page.base_url + "/")
    page.wait_for_selector("#map-status[data-loaded=true]", state="attached")
    page.locator("#map path.portal-projects").first.click()

    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert project.name in popup.inner_text()
    assert project.code in popup.inner_text()
    assert popup.locator("a").get_attribute("href") == f"/projects/{project.pk}/"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_map_reports_a_failed_layer(page, project_factory):
    """A layer whose request fails is named in the status, and the others still draw."""
    project_factory()
    # The failure this test provokes: the browser's own line and map.js naming the layer.
    page.expected_console_errors.extend(["status of 500", "/api/v1/markets/: HTTP 500"])
    page.route("**/api/v1/markets/**", lambda route: route.fulfill(status=500, body="{}"))

    page.goto(page.base_url + "/")
    status = page.wait_for_selector("#map-status[data-loaded=true]", state="attached")

    assert status.get_attribute("data-error") == "markets"
    assert status.get_attribute("data-projects") == "1"
    assert status.is_visible()


# A 1×1 transparent PNG, served in place of every tile.
TILE_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("basemap", "expected"),
    [
        ("osm", [r"^https://tiles\.example\.test/\d+/\d+/\d+\.png$"]),
        (
            "tianditu",
            [
                r"^https://t[0-7]\.tianditu\.gov\.cn/vec_w/wmts\?.*LAYER=vec&.*&tk=test-key$",
                r"^https://t[0-7]\.tianditu\.gov\.cn/cva_w/wmts\?.*LAYER=cva&.*&tk=test-key$",
            ],
        ),
    ],
)
def test_basemap_tiles(page, settings, zone_factory, basemap, expected):
    """The configured basemap requests its tiles (answered here, so nothing leaves)."""
    settings.BASEMAP = basemap
    settings.BASEMAP_URL = "https://tiles.example.test/{z}/{x}/{y}.png"
    settings.TIANDITU_KEY = "test-key"
    zone_factory()
    tiles: list[str] = []

    def serve_tile(route):
        tiles.append(route.request.url)
        route.fulfill(status=200, content_type="image/png", body=TILE_PNG)

    # A page route wins over the context's guard, which would abort and record the request.
    page.route(re.compile(r"^https://"), serve_tile)
    page.goto(page.base_url + "/")
    page.wait_for_selector("#map-status[data-loaded=true]", state="attached")
    page.wait_for_selector("#map img.leaflet-tile-loaded")

    for pattern in expected:
        assert any(re.match(pattern, url) for url in tiles), (pattern, tiles[:3])
    assert all(any(re.match(p, url) for p in expected) for url in tiles), tiles
    # The layers draw over the tiles all the same.
    assert page.locator("#map path.portal-markets").count() == 1



@pytest.mark.django_db
def test_map_page_loads_only_local_assets(client, settings):
    settings.BASEMAP = "osm"
    settings.BASEMAP_URL = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assets = page_assets(html)
    assert "/static/vendor/leaflet-1.9.4/leaflet.js" in assets
    # Only local files, or inline data (the empty favicon that saves a request).
    assert all(url.startswith(("/static/", "data:")) for url in assets), assets
    # The tile URL reaches the page only inside the JSON configuration for the script.
    config = response.context["map_config"]
    assert config["basemap"] == "osm"
    assert html.count("tile.openstreetmap.org") == 1
    assert '<script id="map-config" type="application/json">' in html


@pytest.mark.django_db
def test_header_for_anonymous_and_signed_in_users(client, user_factory):
    anonymous = client.get("/").content.decode()
    assert 'href="/dashboard/"' not in anonymous
    assert 'href="/accounts/login/?next=/"' in anonymous
    assert 'action="/i18n/setlang/"' in anonymous

    client.force_login(user_factory("leaders"))
    signed_in = client.get("/").content.decode()
    assert 'href="/dashboard/"' in signed_in
    # Django 5 logs out by POST only.
    assert '<form class="inline-form" method="post" action="/accounts/logout/">' in signed_in


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_page_language_follows_the_request(client, language):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert f'<html lang="{language}">' in html


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_popup_reads_money_in_yi_and_dates_in_prose(page, login, user_factory,
                                                          project_factory):
    """Issue 16: 万元 figures as a leader reads them, one-decimal percent, dates in words."""
    import datetime as dt
    from decimal import Decimal

    project_factory(name="索通盛源碳材料", stage="construction", planned_investment_year=Decimal(
        "71000"), completed_investment_year=Decimal("42000"), planned_start=dt.date(2026, 3, 1),
        percent_complete=Decimal("45.25"))
    login(user_factory("project_office"))
    page.goto(page.base_url + "/")
    page.wait_for_selector("#map-status[data-loaded=true]", state="attached")
    page.locator("#map path.portal-projects").first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    # 42,000 / 71,000 万元 = 4.2 / 7.1 亿元, 59.15…% → 59.2%.
    assert "4.2 亿元 / 7.1 亿元 (59.2%)" in text, text
    assert "本年投资" in text
    assert "万元" not in text
    assert "2026年3月1日" in text
    assert "2026-03-01" not in text
    assert "45.3%" in text  # physical progress, one decimal (half up)
