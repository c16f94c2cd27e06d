"""The Django admin: every model registered, map widgets with local assets only, GeoJSON input.

`admin_client` is pytest-django's client logged in as a superuser.
"""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.gis.geos import GEOSGeometry

from geo.widgets import LeafletGeometryWidget
from markets.models import MarketZone
from tests.conftest import square
from tests.html_assets import page_assets


@pytest.mark.parametrize("app_label", ["geo", "sites", "markets"])
def test_every_model_is_registered(app_label):
    models = apps.get_app_config(app_label).get_models()
    missing = [m.__name__ for m in models if not admin.site.is_registered(m)]
    # simple_history's Historical* models are browsed through their parent's history view.
    assert [name for name in missing if not name.startswith("Historical")] == []


ADMIN_MODELS = [
    "geo/department",
    "geo/leader",
    "geo/district",
    "geo/cityboundary",
    "geo/staffprofile",
    "sites/project",
    "sites/progressreport",
    "sites/blocker",
    "sites/livelihoodwork",
    "sites/milestone",
    "markets/marketzone",
    "markets/closure",
    "markets/calendarexception",
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", ADMIN_MODELS)
def test_changelist_and_add_pages_open(admin_client, path, project_factory, zone_factory):
    project_factory()
    zone_factory()

    for url in (f"/admin/{path}/", f"/admin/{path}/add/", f"/admin/{path}/?q=1"):
        assert admin_client.get(url).status_code == 200, url


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "factory"),
    [
        ("sites/project", "project_factory"),
        ("sites/livelihoodwork", "livelihood_factory"),
        ("markets/marketzone", "zone_factory"),
    ],
)
def test_add_and_change_pages_use_local_assets_only(admin_client, request, path, factory):
    obj = request.getfixturevalue(factory)()

    for url in (f"/admin/{path}/add/", f"/admin/{path}/{obj.pk}/change/"):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assets = page_assets(html)
        assert "/static/vendor/leaflet-1.9.4/leaflet.js" in assets, url
        assert "/static/vendor/leaflet-geoman-free-2.20.2/leaflet-geoman.min.js" in assets, url
        # The admin's own script catalogue (/admin/jsi18n/) is the one asset outside /static/,
        # with the empty inline favicon (data:,) that saves a request for /favicon.ico.
        outside = [a for a in assets if not a.startswith("/static/")
                   and a not in ("/admin/jsi18n/", "data:,")]
        assert outside == [], url
        assert "data-geometry-widget" in html, url


@pytest.mark.django_db
def test_change_page_holds_the_geometry_as_geojson(admin_client, zone_factory):
    zone = zone_factory(boundary=square(98.30, 39.80))

    response = admin_client.get(f"/admin/markets/marketzone/{zone.pk}/change/")

    widget = response.context["adminform"].form["boundary"]
    value = json.loads(LeafletGeometryWidget().serialize(zone.boundary))
    assert value["type"] == "MultiPolygon"
    assert widget.value() == zone.boundary
    assert 'data-geom-type="MultiPolygon"' in response.content.decode()


def _zone_form(department, boundary: str, **overrides) -> dict:
    data = {
        "name": "西环路后备箱集市",
        "kind": "trunk",
        "status": "proposed",
        "boundary": boundary,
        "address": "",
        "district": "",
        "department": department.pk,
        "contact": "",
        "capacity": "30",
        "opening_hours": "Jul-Oct Fr-Su 18:00-22:00",
        "permitted_goods": '["日用百货"]',
        "prohibited_goods": "[]",
        "duties": '["摊走地净"]',
        "vehicle_rules": "",
        "notes": "",
        "status_reason": "",
        "closures-TOTAL_FORMS": "0",
        "closures-INITIAL_FORMS": "0",
        "closures-MIN_NUM_FORMS": "0",
        "closures-MAX_NUM_FORMS": "1000",
    }
    data.update(overrides)
    return data


@pytest.mark.django_db
def test_add_market_zone_from_geojson(admin_client, department):
    # A 0.001° square at (98.25, 39.76), as the widget's script posts it (GeoJSON, WGS84).
    ring = [[98.25, 39.76], [98.251, 39.76], [98.251, 39.761], [98.25, 39.761], [98.25, 39.76]]
    boundary = json.dumps({"type": "MultiPolygon", "coordinates": [[ring]]})

    response = admin_client.post("/admin/markets/marketzone/add/", _zone_form(department, boundary))

    assert response.status_code == 302, response.context["adminform"].form.errors
    zone = MarketZone.objects.get(name="西环路后备箱集市")
    assert zone.boundary.srid == 4326
    assert zone.boundary.equals(GEOSGeometry(boundary))
    assert zone.history.count() == 1


@pytest.mark.django_db
def test_add_market_zone_rejects_a_bare_polygon(admin_client, department):
    """The boundary column is a MultiPolygon; the widget's script wraps, the server insists."""
    ring = [[98.25, 39.76], [98.251, 39.76], [98.251, 39.761], [98.25, 39.76]]
    boundary = json.dumps({"type": "Polygon", "coordinates": [ring]})

    response = admin_client.post("/admin/markets/marketzone/add/", _zone_form(department, boundary))

    assert response.status_code == 200
    assert "boundary" in response.context["adminform"].form.errors
    assert not MarketZone.objects.exists()


def _admin_login(page, user_factory) -> None:
    user_factory(username="admin-browser", is_staff=True, is_superuser=True)
    page.goto(page.base_url + "/admin/login/")
    page.fill("#id_username", "admin-browser")
    page.fill("#id_password", "pw-for-tests-1")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_widget_draws_a_zone_in_the_browser(page, user_factory, department):
    _admin_login(page, user_factory)
    page.goto(page.base_url + "/admin/markets/marketzone/add/")
    page.wait_for_selector("#id_boundary_map .leaflet-pm-toolbar")

    page.fill("#id_name", "浏览器画的集市")
    page.select_option("#id_kind", "flea")
    # The department is an autocomplete (select2) field: set the underlying <select> directly.
    page.evaluate(
        "pk => document.getElementById('id_department').add(new Option('d', pk, true, true))",
        str(department.pk),
    )
    # Draw a square with Geoman's polygon tool: four clicks, then click the first vertex again.
    page.click("#id_boundary_map .leaflet-pm-icon-polygon")
    box = page.locator("#id_boundary_map").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    corners = [(x - 40, y - 40), (x + 40, y - 40), (x + 40, y + 40), (x - 40, y + 40)]
    for cx, cy in [*corners, corners[0]]:
        page.mouse.click(cx, cy)
    value = json.loads(page.locator("#id_boundary").input_value())
    assert value["type"] == "MultiPolygon"
    assert len(value["coordinates"]) == 1
    assert len(value["coordinates"][0][0]) == 5  # four corners and the closing vertex

    page.click("input[name=_save]")
    page.wait_for_url("**/admin/markets/marketzone/")
    zone = MarketZone.objects.get(name="浏览器画的集市")
    assert zone.boundary.geom_type == "MultiPolygon"
    assert zone.boundary.valid

    # The change page shows the saved boundary as an editable shape.
    page.goto(page.base_url + f"/admin/markets/marketzone/{zone.pk}/change/")
    page.wait_for_selector("#id_boundary_map path.leaflet-interactive")
    before = page.locator("#id_boundary").input_value()
    assert GEOSGeometry(before).equals(zone.boundary)

    # Edit mode: drag one vertex 30 px right; the textarea follows.
    page.click("#id_boundary_map .leaflet-pm-icon-edit")
    vertex = page.locator("#id_boundary_map .marker-icon:not(.marker-icon-middle)").first
    vbox = vertex.bounding_box()
    vx, vy = vbox["x"] + vbox["width"] / 2, vbox["y"] + vbox["height"] / 2
    page.mouse.move(vx, vy)
    page.mouse.down()
    page.mouse.move(vx + 15, vy, steps=3)
    page.mouse.move(vx + 30, vy, steps=3)
    page.mouse.up()
    after = GEOSGeometry(page.locator("#id_boundary").input_value())
    assert after.geom_type == "MultiPolygon"
    assert not after.equals(zone.boundary)
    assert page.outside_requests == []
