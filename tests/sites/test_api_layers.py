"""The project and livelihood layers: GeoJSON shape, public/staff split, bbox and filters."""

from __future__ import annotations

import json

import pytest
from django.contrib.gis.geos import GEOSGeometry

PROJECT_PUBLIC_KEYS = {
    "code", "name", "category", "category_label", "build_type", "build_type_label", "stage",
    "stage_label", "planned_start", "planned_end", "actual_start", "actual_end",
    "percent_complete", "lead_department", "lead_department_code", "district", "updated_at",
}
PROJECT_STAFF_ONLY = {
    "leader", "total_investment", "planned_investment_year", "completed_investment_year",
    "stats_status", "stats_applied_on", "stats_registered_on", "bond_status", "bond_requested",
    "bond_approved", "open_blockers",
}


def _json(response) -> dict:
    assert response["Content-Type"].startswith("application/geo+json"), response["Content-Type"]
    return json.loads(response.content)


@pytest.mark.django_db
def test_projects_public_feature_shape(api_client, project_factory):
    project = project_factory(name="索通盛源碳材料项目", geom="POINT(98.281234567 39.791234567)")
    body = _json(api_client.get("/api/v1/projects/"))
    assert body["type"] == "FeatureCollection"
    assert "crs" not in body
    [feature] = body["features"]
    assert set(feature) == {"type", "id", "geometry", "properties"}
    assert feature["id"] == project.pk
    # RFC 7946 with 6 decimals: 98.281234567 -> 98.281235
    assert feature["geometry"] == {"type": "Point", "coordinates": [98.281235, 39.791235]}
    assert set(feature["properties"]) == PROJECT_PUBLIC_KEYS
    assert feature["properties"]["name"] == "索通盛源碳材料项目"
    assert feature["properties"]["lead_department"] == "发改委"
    assert feature["properties"]["planned_start"] == "2026-03-01"


@pytest.mark.django_db
def test_chinese_text_is_not_escaped(api_client, project_factory):
    project_factory(name="甬金金融科技项目")
    response = api_client.get("/api/v1/projects/")
    assert "甬金金融科技项目".encode() in response.content


@pytest.mark.django_db
def test_staff_see_money_bonds_statistics_and_blockers(staff_client, project_factory):
    project_factory(bond_status="candidate", bond_requested=5000)
    [feature] = _json(staff_client.get("/api/v1/projects/"))["features"]
    props = feature["properties"]
    assert set(props) >= PROJECT_PUBLIC_KEYS | PROJECT_STAFF_ONLY
    assert props["bond_requested"] == 5000
    assert props["open_blockers"] == 0
    assert props["leader"] == "王副市长"


@pytest.mark.django_db
@pytest.mark.parametrize("role", [None, "unknown"])
def test_anonymous_and_roleless_users_get_public_fields_only(
    api_client, project_factory, user_factory, role
):
    project_factory()
    if role:
        api_client.force_authenticate(user_factory(None))
    [feature] = _json(api_client.get("/api/v1/projects/"))["features"]
    assert not (set(feature["properties"]) & PROJECT_STAFF_ONLY)


@pytest.mark.django_db
def test_unpublished_projects_are_staff_only(api_client, staff_client, project_factory):
    project_factory(published=False)
    assert _json(api_client.get("/api/v1/projects/"))["features"] == []
    assert len(_json(staff_client.get("/api/v1/projects/"))["features"]) == 1


@pytest.mark.django_db
def test_polygon_exterior_ring_is_counter_clockwise(api_client, project_factory):
    # Stored clockwise; RFC 7946 §3.1.6 wants the exterior ring counter-clockwise.
    cw = "POLYGON((98.30 39.80, 98.30 39.81, 98.31 39.81, 98.31 39.80, 98.30 39.80))"
    project_factory(geom=cw)
    [feature] = _json(api_client.get("/api/v1/projects/"))["features"]
    ring = feature["geometry"]["coordinates"][0]
    # Shoelace sum: positive for a counter-clockwise ring.
    area2 = sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(ring, ring[1:], strict=False))
    assert area2 > 0


@pytest.mark.django_db
def test_bbox_keeps_features_that_intersect(api_client, project_factory):
    inside = project_factory(geom="POINT(98.25 39.75)")
    project_factory(geom="POINT(98.35 39.83)")
    body = _json(api_client.get("/api/v1/projects/?bbox=98.24,39.74,98.26,39.76"))
    assert [f["id"] for f in body["features"]] == [inside.pk]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("bbox=1,2,3", "bbox"),
        ("bbox=a,b,c,d", "bbox"),
        ("bbox=nan,39,98,40", "bbox"),
        ("bbox=98.3,39.7,98.2,39.8", "bbox"),
        ("bbox=98.2,39.8,98.3,39.7", "bbox"),
        ("bbox=98,91,99,92", "bbox"),
        ("bbox=inf,39,98,40", "bbox"),
        ("stage=built", "stage"),
        ("build_type=old", "build_type"),
        ("department=nosuch", "department"),
        ("leader=x", "leader"),
    ],
)
def test_bad_filters_are_400_with_a_message(api_client, query, field):
    response = api_client.get(f"/api/v1/projects/?{query}")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert field in body["errors"]
    assert body["detail"]


@pytest.mark.django_db
def test_filters_combine(api_client, project_factory, department_factory):
    other = department_factory(code="gxj", name="工信局")
    wanted = project_factory(stage="construction", build_type="new", lead_department=other)
    project_factory(stage="construction", build_type="continuing", lead_department=other)
    project_factory(stage="preparation", build_type="new", lead_department=other)
    body = _json(
        api_client.get("/api/v1/projects/?stage=construction&build_type=new&department=gxj")
    )
    assert [f["id"] for f in body["features"]] == [wanted.pk]


@pytest.mark.django_db
def test_search_by_name_or_code(api_client, project_factory):
    a = project_factory(code="ZD2026-001", name="铝深加工产业园")
    b = project_factory(code="ZD2026-002", name="储能电站")
    ids = lambda q: [f["id"] for f in _json(api_client.get(f"/api/v1/projects/?q={q}"))["features"]]  # noqa: E731
    assert ids("铝深加工") == [a.pk]
    assert ids("ZD2026-002") == [b.pk]


@pytest.mark.django_db
def test_project_detail_and_etag(api_client, project_factory):
    project = project_factory()
    response = api_client.get(f"/api/v1/projects/{project.pk}/")
    assert response.status_code == 200
    feature = _json(response)
    assert feature["type"] == "Feature"
    assert feature["id"] == project.pk
    again = api_client.get(f"/api/v1/projects/{project.pk}/", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    assert api_client.get("/api/v1/projects/999999/").status_code == 404


@pytest.mark.django_db
def test_livelihood_lines_and_public_fields(api_client, livelihood_factory):
    work = livelihood_factory(name="地下管网改造", category="pipe_network")
    [feature] = _json(api_client.get("/api/v1/livelihood/"))["features"]
    assert feature["id"] == work.pk
    assert feature["geometry"]["type"] == "LineString"
    assert feature["properties"]["name"] == "地下管网改造"
    assert "total_investment" not in feature["properties"]
    assert GEOSGeometry(json.dumps(feature["geometry"])).equals_exact(work.geom, 1e-6)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["/api/v1/projects/?q=%00", "/api/v1/projects/?department=a%00b",
     "/api/v1/markets/?kind=%00", "/?stage=%00"],
)
def test_nul_characters_in_the_query_are_a_400(api_client, url):
    response = api_client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert response.json()["detail"] == "Query parameters cannot contain NUL characters."


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["/api/v1/projects/99999999999999999999/", "/api/v1/markets/99999999999999999999/",
     "/projects/99999999999999999999/", "/markets/99999999999999999999/"],
)
def test_ids_beyond_bigint_are_404_not_500(api_client, url):
    assert api_client.get(url).status_code == 404


@pytest.mark.django_db
def test_a_leader_id_beyond_bigint_is_a_400(staff_client):
    response = staff_client.get("/api/v1/projects/?leader=99999999999999999999")
    assert response.status_code == 400
    assert "leader" in response.json()["errors"]
