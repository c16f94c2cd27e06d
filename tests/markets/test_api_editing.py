"""Zone writes over the API: bad input, conflicts, permissions, history and restore round trips."""

from __future__ import annotations

import json

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon
from django.utils import translation
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from markets.models import MarketZone


@pytest.fixture(autouse=True)
def english(settings):
    """Messages are asserted in English (the msgids), whatever catalogs are compiled."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield

# An origin inside the demo city, in EPSG:4542 metres (CGCS2000 / 3-degree GK CM 99E).
_ORIGIN = Point(98.30, 39.80, srid=4326).transform(4542, clone=True)
X0, Y0 = _ORIGIN.x, _ORIGIN.y


def metric_square(dx: float, dy: float, size: float) -> MultiPolygon:
    """A square drawn in EPSG:4542 metres (south-west corner at origin + (dx, dy)), as WGS84."""
    poly = Polygon.from_bbox((X0 + dx, Y0 + dy, X0 + dx + size, Y0 + dy + size))
    poly.srid = 4542
    poly.transform(4326)
    return MultiPolygon(poly, srid=4326)


def geojson_of(geom) -> dict:
    return json.loads(geom.json)


def feature(geometry, reason: str = "测试修改", **properties) -> dict:
    return {"type": "Feature", "geometry": geometry, "properties": properties, "reason": reason}


def snapshot(zone_pk: int) -> tuple:
    """Everything a failed write must leave alone: the row, its version and its history."""
    zone = MarketZone.objects.get(pk=zone_pk)
    return (
        bytes(zone.boundary.ewkb), zone.version, zone.name, zone.status, zone.capacity,
        zone.history.count(), MarketZone.objects.count(), MarketZone.history.count(),
    )


@pytest.fixture
def zone(city, zone_factory) -> MarketZone:
    # 100 m x 100 m = 10,000 m²; 40 stalls = 250 m² per stall (no density warning).
    return zone_factory(name="新华路后备箱集市", boundary=metric_square(0, 0, 100))


def _raw(client: APIClient, method: str, url: str, body: str, **headers):
    return client.generic(method, url, data=body.encode(), content_type="application/json",
                          **headers)


SW = (98.300, 39.800)
BOWTIE = {"type": "Polygon", "coordinates": [[
    [98.300, 39.800], [98.301, 39.801], [98.301, 39.800], [98.300, 39.801], [98.300, 39.800]]]}
SQUARE_COORDS = [[98.300, 39.800], [98.301, 39.800], [98.301, 39.801], [98.300, 39.801],
                 [98.300, 39.800]]


def _huge_ring(n: int) -> list:
    ring = [[98.30 + 0.001 * i / n, 39.80] for i in range(n)]
    ring += [[98.301, 39.801], [98.30, 39.80]]
    return ring


def _body(geometry) -> str:
    return json.dumps(feature(geometry))


BAD_GEOMETRY_BODIES = {
    "bow-tie": (_body(BOWTIE), "Self-intersection"),
    "ring of 3 points": (_body({"type": "Polygon", "coordinates": [[
        [98.300, 39.800], [98.301, 39.800], [98.300, 39.800]]]}), "at least 4 positions"),
    "unclosed ring": (_body({"type": "Polygon", "coordinates": [SQUARE_COORDS[:-1]]}),
                      "not closed"),
    "point": (_body({"type": "Point", "coordinates": [98.30, 39.80]}), "not Point"),
    "3-D": (_body({"type": "Polygon", "coordinates": [[[*p, 1500.0] for p in SQUARE_COORDS]]}),
            "3-D"),
    "NaN literal": (_body({"type": "Polygon", "coordinates": [SQUARE_COORDS]}).replace(
        "39.801]", "NaN]", 1), "NaN"),
    "Infinity literal": (_body({"type": "Polygon", "coordinates": [SQUARE_COORDS]}).replace(
        "39.801]", "Infinity]", 1), "Infinity"),
    "overflowing number": (_body({"type": "Polygon", "coordinates": [SQUARE_COORDS]}).replace(
        "39.801]", "1e999]", 1), "finite"),
    "swapped lat/lon": (_body({"type": "Polygon", "coordinates": [
        [[lat, lon] for lon, lat in SQUARE_COORDS]]}), "[latitude, longitude]"),
    "empty coordinates": (_body({"type": "Polygon", "coordinates": []}), "no coordinates"),
    "empty ring": (_body({"type": "Polygon", "coordinates": [[]]}), "empty"),
    # Refused by size before parsing (about 8 MB of JSON); geo tests cover the vertex count.
    "200,000 vertices": (_body({"type": "Polygon", "coordinates": [_huge_ring(200_000)]}),
                         "at most 5000 vertices"),
    "6,000 vertices": (_body({"type": "Polygon", "coordinates": [_huge_ring(6_000)]}),
                       "more than 5000 vertices"),
    "nested 5,000 deep": (
        '{"type":"Feature","geometry":{"type":"Polygon","coordinates":'
        + "[" * 5000 + "]" * 5000 + "}}", "nested too deeply"),
    "outside the city": (_body({"type": "Polygon", "coordinates": [
        [[lon + 1.5, lat] for lon, lat in SQUARE_COORDS]]}), "inside the city"),
    "WKT": (_body("POLYGON((98.3 39.8, 98.301 39.8, 98.301 39.801, 98.3 39.8))"), "WKT"),
    "EWKT": (_body("SRID=4326;POLYGON((98.3 39.8, 98.301 39.8, 98.301 39.801, 98.3 39.8))"),
             "WKT"),
    "not JSON": ("{not json", "not valid JSON"),
}


@pytest.mark.parametrize("case", list(BAD_GEOMETRY_BODIES))
@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_bad_geometry_is_rejected_and_nothing_changes(urban_client, zone, department, case,
                                                      method):
    body, expected = BAD_GEOMETRY_BODIES[case]
    before = snapshot(zone.pk)
    if method == "PUT":
        response = _raw(urban_client, "PUT", f"/api/v1/markets/{zone.pk}/", body,
                        HTTP_IF_MATCH='"1"')
    else:
        response = _raw(urban_client, "POST", "/api/v1/markets/", body)
    assert response.status_code == 400, response.content[:500]
    data = response.json()
    assert set(data) >= {"detail", "errors"}
    assert expected in json.dumps(data, ensure_ascii=False), data
    assert snapshot(zone.pk) == before


def test_overlap_names_the_other_zone_and_the_area(live_client, zone, zone_factory):
    # The other zone is 100 m x 100 m starting at (190, 0) m; the edited zone is moved so it
    # covers x 100..200 m, y -90..10 m: the overlap is x 190..200, y 0..10 = 10 m x 10 m = 100 m²
    # in EPSG:4542.
    other = zone_factory(name="悦西市美食街", boundary=metric_square(190, 0, 100))
    before = snapshot(zone.pk)
    moved = metric_square(100, -90, 100)
    response = live_client.put(f"/api/v1/markets/{zone.pk}/", feature(geojson_of(moved)),
                                format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 400
    message = response.json()["errors"]["boundary"][0]
    assert "悦西市美食街" in message
    assert f"id {other.pk}" in message
    assert "100.0 m²" in message
    assert snapshot(zone.pk) == before


def test_touching_zones_are_allowed(live_client, zone, zone_factory):
    zone_factory(name="邻居", boundary=metric_square(100, 0, 100))  # shares the east edge
    response = live_client.patch(
        f"/api/v1/markets/{zone.pk}/", feature(geojson_of(metric_square(0, 0, 100.5))),
        format="json", HTTP_IF_MATCH='"1"',
    )
    # 0.5 m x 100 m = 50 m² overlap: too much; exactly adjacent is fine (tested by create below).
    assert response.status_code == 400
    response = live_client.post("/api/v1/markets/", feature(
        geojson_of(metric_square(200, 0, 50)), name="新区", kind="flea", department="fgw"),
        format="json")
    assert response.status_code == 201, response.json()


def test_overlap_with_retired_zone_is_fine(live_client, zone, zone_factory):
    zone_factory(name="旧集市", status="retired", boundary=metric_square(50, 50, 100))
    response = live_client.patch(
        f"/api/v1/markets/{zone.pk}/", feature(geojson_of(metric_square(10, 10, 100))),
        format="json", HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 200, response.json()


def test_missing_if_match_is_428(urban_client, zone):
    before = snapshot(zone.pk)
    for method in ("put", "patch", "delete"):
        response = getattr(urban_client, method)(
            f"/api/v1/markets/{zone.pk}/", feature(geojson_of(metric_square(0, 0, 90))),
            format="json",
        )
        assert response.status_code == 428, method
        assert "If-Match" in response.json()["detail"]
    assert snapshot(zone.pk) == before


def test_stale_if_match_is_412_with_who_changed_it(live_client, zone_admin, zone):
    first = live_client.patch(f"/api/v1/markets/{zone.pk}/",
                               feature(None, capacity=30), format="json", HTTP_IF_MATCH='"1"')
    assert first.status_code == 200
    assert first["ETag"] == '"2"'
    before = snapshot(zone.pk)
    for method in ("put", "patch", "delete"):
        response = getattr(live_client, method)(
            f"/api/v1/markets/{zone.pk}/", feature(geojson_of(metric_square(0, 0, 90))),
            format="json", HTTP_IF_MATCH='"1"',
        )
        assert response.status_code == 412, method
        body = response.json()
        assert body["current_version"] == 2
        assert body["updated_by"] == zone_admin.username
        assert body["updated_at"].endswith("+08:00")
        assert "version 2" in body["detail"]
    assert snapshot(zone.pk) == before


def test_get_etag_then_put_round_trip(live_client, zone):
    got = live_client.get(f"/api/v1/markets/{zone.pk}/")
    assert got["ETag"] == '"1"'
    data = got.json()
    data["geometry"] = geojson_of(metric_square(0, 0, 80))
    data["properties"]["name"] = "新华路后备箱集市（缩小）"
    data["reason"] = "压缩占道范围"
    response = live_client.put(f"/api/v1/markets/{zone.pk}/", data, format="json",
                                HTTP_IF_MATCH=got["ETag"])
    assert response.status_code == 200, response.json()
    zone.refresh_from_db()
    assert zone.version == 2
    assert zone.name == "新华路后备箱集市（缩小）"
    # 80 m x 80 m drawn in EPSG:4542 = 6,400 m².
    assert response.json()["properties"]["area_m2"] == pytest.approx(6400, abs=0.5)
    last = zone.history.latest()
    assert last.history_change_reason == "压缩占道范围"
    assert last.history_user_id == zone.updated_by_id


def test_reason_is_required_for_changes(live_client, zone):
    before = snapshot(zone.pk)
    response = live_client.patch(f"/api/v1/markets/{zone.pk}/", feature(None, "", capacity=3),
                                  format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 400
    assert "reason" in response.json()["errors"]
    assert snapshot(zone.pk) == before


def test_dense_capacity_is_a_warning_and_saved(live_client, zone):
    # 10,000 m² / 2,000 stalls = 5 m² per stall < MARKET_MIN_M2_PER_STALL (6 m²).
    response = live_client.patch(f"/api/v1/markets/{zone.pk}/",
                                  feature(None, capacity=2000), format="json",
                                  HTTP_IF_MATCH='"1"')
    assert response.status_code == 200
    assert len(response.json()["warnings"]) == 1
    assert "5.0 m²" in response.json()["warnings"][0]
    zone.refresh_from_db()
    assert zone.capacity == 2000


def test_create_then_list(live_client, city, department):
    response = live_client.post("/api/v1/markets/", feature(
        geojson_of(metric_square(500, 500, 60)), name="大唐路夜市", kind="night_market",
        status="active", department="fgw", capacity=100), format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert response["ETag"] == '"1"'
    assert response["Location"] == f"/api/v1/markets/{created['id']}/"
    assert created["properties"]["version"] == 1
    assert created["warnings"] == []
    assert "大唐路夜市" in public_names()


def test_create_without_department_says_so(urban_client, city):
    response = urban_client.post("/api/v1/markets/", feature(
        geojson_of(metric_square(500, 500, 60)), name="无部门", kind="flea"), format="json")
    assert response.status_code == 400
    assert "department" in response.json()["errors"]


def public_names() -> list[str]:
    return [f["properties"]["name"]
            for f in APIClient().get("/api/v1/markets/").json()["features"]]


def test_retire_and_restore_round_trip(live_client, zone):
    assert "新华路后备箱集市" in public_names()
    response = live_client.delete(f"/api/v1/markets/{zone.pk}/", {"reason": "道路施工，撤销"},
                                   format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200, response.json()
    assert response.json()["properties"]["status"] == "retired"
    assert "新华路后备箱集市" not in public_names()
    assert APIClient().get(f"/api/v1/markets/{zone.pk}/").status_code == 404
    again = live_client.delete(f"/api/v1/markets/{zone.pk}/", {"reason": "再次"},
                                format="json", HTTP_IF_MATCH='"2"')
    assert again.status_code == 409
    restored = live_client.post(f"/api/v1/markets/{zone.pk}/restore/",
                                 {"reason": "施工结束"}, format="json")
    assert restored.status_code == 200, restored.json()
    assert restored.json()["properties"]["status"] == "active"
    assert restored["ETag"] == '"3"'
    assert "新华路后备箱集市" in public_names()
    assert zone.history.count() == 3
    twice = live_client.post(f"/api/v1/markets/{zone.pk}/restore/", {"reason": "x"},
                              format="json")
    assert twice.status_code == 409


def test_retired_zone_leaves_the_public_page(client, live_client, zone):
    from django.urls import NoReverseMatch, reverse

    try:
        url = reverse("markets")
    except NoReverseMatch:
        pytest.skip("the public /markets/ page is not routed yet")
    assert "新华路后备箱集市" in client.get(url).content.decode()
    live_client.delete(f"/api/v1/markets/{zone.pk}/", {"reason": "撤销"}, format="json",
                        HTTP_IF_MATCH='"1"')
    assert "新华路后备箱集市" not in client.get(url).content.decode()


def test_restore_version_restores_the_exact_geometry(live_client, zone):
    original = bytes(zone.boundary.wkb)
    first_history = zone.history.get().history_id
    changed = live_client.put(
        f"/api/v1/markets/{zone.pk}/",
        feature(geojson_of(metric_square(3.3, 7.7, 91.1)), name="改名", kind="flea"),
        format="json", HTTP_IF_MATCH='"1"',
    )
    assert changed.status_code == 200
    zone.refresh_from_db()
    assert bytes(zone.boundary.wkb) != original
    response = live_client.post(
        f"/api/v1/markets/{zone.pk}/history/{first_history}/restore/",
        {"reason": "恢复原边界"}, format="json", HTTP_IF_MATCH='"2"',
    )
    assert response.status_code == 200, response.json()
    zone.refresh_from_db()
    assert bytes(zone.boundary.wkb) == original
    assert (zone.name, zone.kind, zone.version) == ("新华路后备箱集市", "trunk", 3)
    assert zone.history.count() == 3  # nothing destroyed: created, changed, restored


def test_restore_version_of_another_zone_is_404(urban_client, zone, zone_factory):
    other = zone_factory(name="别处", boundary=metric_square(400, 400, 50))
    foreign = other.history.get().history_id
    response = urban_client.post(f"/api/v1/markets/{zone.pk}/history/{foreign}/restore/",
                                 {"reason": "x"}, format="json")
    assert response.status_code == 404


def test_history_lists_who_when_why_and_changes(live_client, zone_admin, zone):
    live_client.put(
        f"/api/v1/markets/{zone.pk}/",
        feature(geojson_of(metric_square(0, 0, 50)), "缩小范围", name=zone.name, kind="trunk",
                capacity=20),
        format="json", HTTP_IF_MATCH='"1"',
    )
    response = live_client.get(f"/api/v1/markets/{zone.pk}/history/")
    assert response.status_code == 200
    data = response.json()
    assert (data["id"], data["version"]) == (zone.pk, 2)
    newest, oldest = data["versions"]
    assert newest["version"] == 2
    assert newest["user"] == zone_admin.username
    assert newest["reason"] == "缩小范围"
    assert newest["type"] == "changed"
    assert newest["date"].endswith("+08:00")
    # 100 m x 100 m -> 50 m x 50 m, drawn in EPSG:4542.
    assert newest["changes"] == [
        {"field": "boundary", "old": 10000.0, "new": 2500.0, "unit": "m²"},
        {"field": "capacity", "old": 40, "new": 20},
    ]
    assert newest["geometry"]["type"] == "MultiPolygon"
    assert oldest["type"] == "created"
    assert oldest["changes"] == []
    assert oldest["values"]["name"] == "新华路后备箱集市"


def test_history_is_staff_only(api_client, zone):
    assert api_client.get(f"/api/v1/markets/{zone.pk}/history/").status_code in (401, 403)


def test_session_write_without_csrf_is_refused(urban, zone):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(urban)
    before = snapshot(zone.pk)
    response = client.patch(f"/api/v1/markets/{zone.pk}/", feature(None, capacity=10),
                            format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert snapshot(zone.pk) == before


def test_session_write_with_csrf_works(urban, zone):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(urban)
    client.get("/api/v1/markets/")  # any page; the token comes from the cookie below
    from django.middleware.csrf import _get_new_csrf_string

    token = _get_new_csrf_string()
    client.cookies["csrftoken"] = token
    response = client.patch(f"/api/v1/markets/{zone.pk}/", feature(None, capacity=10),
                            format="json", HTTP_IF_MATCH='"1"', HTTP_X_CSRFTOKEN=token)
    # Accepted into urban's draft changeset (an urban-management write is reviewed first).
    assert response.status_code == 202, response.json()


def test_token_auth_needs_no_csrf(urban, zone):
    token = Token.objects.create(user=urban)
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = client.patch(f"/api/v1/markets/{zone.pk}/", feature(None, capacity=10),
                            format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 202, response.json()


ROLES = ["anonymous", "project_office", "department_staff", "urban_management",
         "market_supervision", "leaders", "superuser"]
ACTIONS = ["create", "reshape", "edit_rules", "retire", "restore", "restore_version",
           "history"]
# Who may do what (DESIGN.md, "Roles"): only urban management and admins write zones; an
# administrator's write goes live, urban management's is kept as a draft changeset edit (202).
PROPOSES = {"urban_management"}
ALLOWED = {
    "urban_management": set(ACTIONS),
    "superuser": set(ACTIONS),
    "project_office": {"history"},
    "department_staff": {"history"},
    "market_supervision": {"history"},
    "leaders": {"history"},
    "anonymous": set(),
}


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(role, action, user_factory, zone, department):
    client = APIClient()
    if role == "superuser":
        client.force_authenticate(user_factory(is_superuser=True, is_staff=True))
    elif role != "anonymous":
        client.force_authenticate(user_factory(role))
    if action == "restore":
        zone.status = "retired"
        zone.save()
    if action == "restore_version":
        zone.capacity = 7  # so that version 1 differs from the zone (a draft must change it)
        zone.save()
    first = zone.history.order_by("history_id").first().history_id
    before = snapshot(zone.pk)
    url = f"/api/v1/markets/{zone.pk}/"
    version = f'"{zone.version}"'
    calls = {
        "create": lambda: client.post("/api/v1/markets/", feature(
            geojson_of(metric_square(300, 300, 40)), name="新", kind="flea",
            department="fgw"), format="json"),
        "reshape": lambda: client.patch(url, feature(geojson_of(metric_square(0, 0, 90))),
                                        format="json", HTTP_IF_MATCH=version),
        "edit_rules": lambda: client.patch(url, feature(None, contact="张三 0937-1234567"),
                                           format="json", HTTP_IF_MATCH=version),
        "retire": lambda: client.delete(url, {"reason": "撤销"}, format="json",
                                        HTTP_IF_MATCH=version),
        "restore": lambda: client.post(f"{url}restore/", {"reason": "恢复"}, format="json"),
        "restore_version": lambda: client.post(f"{url}history/{first}/restore/",
                                               {"reason": "恢复"}, format="json"),
        "history": lambda: client.get(f"{url}history/"),
    }
    response = calls[action]()
    if action in ALLOWED[role] and role in PROPOSES and action != "history":
        assert response.status_code == 202, response.json()
        assert snapshot(zone.pk) == before  # nothing live changed
        assert response["Location"] == f"/api/v1/changesets/{response.json()['id']}/"
        assert len(response.json()["edits"]) == 1
    elif action in ALLOWED[role]:
        assert response.status_code in (200, 201), response.json()
    else:
        expected = (401, 403) if role == "anonymous" else (403,)
        assert response.status_code in expected, response.json()
        assert snapshot(zone.pk) == before


def test_retired_zone_is_readable_by_editors_only(live_client, urban_client, user_factory, zone):
    live_client.delete(f"/api/v1/markets/{zone.pk}/", {"reason": "撤销"}, format="json",
                       HTTP_IF_MATCH='"1"')
    response = urban_client.get(f"/api/v1/markets/{zone.pk}/")
    assert response.status_code == 200
    assert response["ETag"] == '"2"'
    assert json.loads(response.content)["properties"]["status"] == "retired"
    supervision = APIClient()
    supervision.force_authenticate(user_factory("market_supervision"))
    assert supervision.get(f"/api/v1/markets/{zone.pk}/").status_code == 404
    assert APIClient().get(f"/api/v1/markets/{zone.pk}/").status_code == 404


def test_if_match_star_matches_the_existing_zone(live_client, zone):
    # RFC 9110 §13.1.1 (issue #12): "*" matches any current representation.
    response = live_client.patch(f"/api/v1/markets/{zone.pk}/", feature(None, capacity=3),
                                  format="json", HTTP_IF_MATCH="*")
    assert response.status_code == 200


def test_weak_etag_is_refused_for_a_write(urban_client, zone):
    # RFC 9110 §13.1.1 (issue #12): If-Match uses the strong comparison.
    response = urban_client.patch(f"/api/v1/markets/{zone.pk}/", feature(None, capacity=3),
                                  format="json", HTTP_IF_MATCH='W/"1"')
    assert response.status_code == 412
