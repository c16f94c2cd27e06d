"""The security headers on each kind of page: CSP without inline scripts, framing, referrer,
nosniff and Permissions-Policy (geolocation only on the public market list)."""

from __future__ import annotations

import base64
import hashlib
import re

import pytest

from geo import security_headers

PORTAL_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self' 'unsafe-inline'",
    # The default basemap is "auto" (issue 16): with no pack and no Tianditu key, no tile host.
    "img-src": "'self' data:",
    "font-src": "'self' data:",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
NO_GEOLOCATION = "geolocation=(), camera=(), microphone=(), payment=(), usb=()"
GEOLOCATION = "geolocation=(self), camera=(), microphone=(), payment=(), usb=()"


def directives(header: str) -> dict[str, str]:
    parts = (p.strip().split(" ", 1) for p in header.split(";") if p.strip())
    return {p[0]: (p[1] if len(p) > 1 else "") for p in parts}


@pytest.fixture
def office_client(client, user_factory):
    client.force_login(user_factory("project_office"))
    return client


@pytest.fixture
def admin_client_(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("root", password="pw-1"))
    return client


def assert_common(response) -> None:
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
@pytest.mark.parametrize(("who", "path", "status"), [
    ("anonymous", "/", 200),  # the public map
    ("anonymous", "/accounts/login/", 200),
    ("office", "/staff/import/", 200),  # a staff page
    ("office", "/dashboard/", 200),
    ("anonymous", "/api/v1/projects/", 200),  # the API's JSON
    ("anonymous", "/api/v1/projects.geojson", 200),  # a download
    ("anonymous", "/api/docs/", 200),
    ("anonymous", "/api/docs/?script=", 200),
    ("anonymous", "/admin/login/", 200),
    ("admin", "/admin/", 200),
    ("anonymous", "/markets/999999/", 404),
])
def test_portal_pages_carry_the_strict_policy(request, client, city, who, path, status):
    if who != "anonymous":
        client = request.getfixturevalue({"office": "office_client", "admin": "admin_client_"}[who])
    response = client.get(path)
    assert response.status_code == status
    assert directives(response["Content-Security-Policy"]) == PORTAL_CSP
    assert_common(response)
    assert response["Permissions-Policy"] == NO_GEOLOCATION


@pytest.mark.django_db
def test_market_list_alone_may_ask_for_the_position(client, city):
    # "Near me" on /markets/ (static/js/markets.js) calls navigator.geolocation.
    response = client.get("/markets/")
    assert response.status_code == 200
    assert response["Permissions-Policy"] == GEOLOCATION
    assert directives(response["Content-Security-Policy"]) == PORTAL_CSP
    assert_common(response)


@pytest.mark.django_db
def test_no_page_has_an_inline_script(client, city, project_factory, zone_factory):
    project = project_factory()
    zone = zone_factory()
    for path in ("/", "/markets/", f"/markets/{zone.pk}/", f"/projects/{project.pk}/",
                 "/accounts/login/", "/api/docs/", "/admin/login/"):
        html = client.get(path).content.decode()
        inline = [s for s in re.findall(r"<script([^>]*)>", html)
                  if "src=" not in s and 'type="application/json"' not in s]
        assert inline == [], (path, inline)


@pytest.mark.django_db
def test_printable_map_allows_exactly_its_own_scripts(client, city, project_factory):
    project_factory()
    response = client.get("/export/battle-map.html")
    assert response.status_code == 200
    html = response.content.decode()
    policy = directives(response["Content-Security-Policy"])
    bodies = re.findall(r"<script>(.*?)</script>", html, re.S)
    assert len(bodies) >= 3  # Leaflet, the battleMap stub, folium's map script
    hashes = ["'sha256-" + base64.b64encode(hashlib.sha256(b.encode()).digest()).decode() + "'"
              for b in bodies]
    assert policy == {
        "default-src": "'none'",
        "script-src": " ".join(hashes),
        "style-src": "'unsafe-inline'",
        "img-src": "data:",
        "base-uri": "'none'",
        "form-action": "'none'",
        "frame-ancestors": "'none'",
        "sandbox": "allow-scripts",
    }
    assert "'unsafe-inline'" not in policy["script-src"]
    assert_common(response)
    assert response["Permissions-Policy"] == NO_GEOLOCATION


@pytest.mark.parametrize(("basemap", "url", "origins"), [
    ("osm", "https://tile.openstreetmap.org/{z}/{x}/{y}.png", ["https://tile.openstreetmap.org"]),
    ("osm", "https://{s}.tiles.example.gov.cn:8443/{z}/{x}/{y}.png",
     ["https://*.tiles.example.gov.cn:8443"]),
    ("osm", "http://10.0.0.5/tiles/{z}/{x}/{y}.png", ["http://10.0.0.5"]),
    ("tianditu", "", [f"https://t{n}.tianditu.gov.cn" for n in range(8)]),
    ("none", "https://tile.openstreetmap.org/{z}/{x}/{y}.png", []),
    ("osm", "javascript:alert(1)", []),
])
def test_tile_origins_follow_the_basemap_setting(basemap, url, origins):
    assert security_headers.tile_origins(basemap, url) == origins


@pytest.mark.django_db
@pytest.mark.parametrize(("basemap", "url", "key", "img_src"), [
    ("osm", "https://maps.example.gov.cn/{z}/{x}/{y}.png", "",
     "'self' data: https://maps.example.gov.cn"),
    ("tianditu", "", "test-key",
     "'self' data: " + " ".join(f"https://t{n}.tianditu.gov.cn" for n in range(8))),
    ("none", "", "", "'self' data:"),
])
def test_img_src_follows_the_basemap_settings(client, settings, basemap, url, key, img_src):
    settings.BASEMAP, settings.BASEMAP_URL, settings.TIANDITU_KEY = basemap, url, key
    response = client.get("/accounts/login/")
    assert directives(response["Content-Security-Policy"])["img-src"] == img_src


# --- in Debian's Chromium: the page fixture fails on any console error, CSP reports included --


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_geolocation_is_blocked_outside_the_market_list(page, city):
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": 39.79, "longitude": 98.28})
    # Chromium may report the refusal on the console: that is what this test provokes.
    page.expected_console_errors.append("ermissions policy")
    ask = """() => new Promise((resolve) => navigator.geolocation.getCurrentPosition(
        (p) => resolve("allowed " + p.coords.latitude.toFixed(2)),
        (e) => resolve("refused " + e.code), {timeout: 5000}))"""
    page.goto(page.base_url + "/")
    assert page.evaluate(ask) == "refused 1"  # PERMISSION_DENIED despite the grant
    page.goto(page.base_url + "/markets/")
    assert page.evaluate(ask) == "allowed 39.79"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_admin_pages_run_under_the_policy(page, login, city, project_factory, django_user_model):
    from django.contrib.gis.geos import Point

    project = project_factory(geom=Point(98.28, 39.79, srid=4326))
    login(django_user_model.objects.create_superuser("root", password="pw-1"))
    page.goto(page.base_url + "/admin/")
    page.wait_for_selector("#content-main")
    page.goto(page.base_url + f"/admin/sites/project/{project.pk}/change/")
    # The geometry widget (geo/widgets.py) draws its Leaflet map from its json_script config.
    page.wait_for_selector(".portal-geometry-map.leaflet-container")
    page.screenshot(path="/tmp/h9-admin-project.png", full_page=False)
    page.goto(page.base_url + "/admin/sites/project/?q=x")
    page.wait_for_selector("#changelist")
