"""Placing projects not yet placed (待落图): the service, its permission matrix, the queue page."""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import override

from geo.gcj02 import wgs84_to_gcj02
from sites import services
from sites.models import Project


@pytest.fixture(autouse=True)
def english():
    """Messages compared below are the English msgids (the portal defaults to Chinese)."""
    with override("en"):
        yield


@pytest.fixture
def unplaced(city, project_factory):
    return project_factory(code="P-NEW", name="待落图项目", geom=None)


@pytest.fixture
def office(user_factory):
    return user_factory("project_office")


def _snapshot(project: Project) -> tuple:
    project.refresh_from_db()
    return project.geom, project.district_id, project.history.count()


# --- the service -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_place_in_wgs84_stores_the_point_with_history(unplaced, office, district):
    placed = services.project_place(project=unplaced, geom=Point(98.2830, 39.7910),
                                    user=office, source_crs="wgs84")
    placed.refresh_from_db()
    assert placed.geom.coords == (98.2830, 39.7910)
    assert placed.geom.srid == 4326
    assert placed.district == district  # filled in from the point
    latest = placed.history.first()
    assert latest.history_user == office
    assert latest.history_change_reason == "placed on the map (WGS84)"
    assert latest.geom.coords == (98.2830, 39.7910)


@pytest.mark.django_db
def test_place_in_gcj02_converts_to_wgs84(unplaced, office):
    # The Amap picker shows the WGS84 site (98.2830, 39.7910) shifted by GCJ-02.
    typed = wgs84_to_gcj02(98.2830, 39.7910)
    assert abs(typed[0] - 98.2830) > 4e-4  # the shift is real: about 50 m east here
    services.project_place(project=unplaced, geom=Point(*typed), user=office,
                           source_crs="gcj02")
    unplaced.refresh_from_db()
    assert abs(unplaced.geom.x - 98.2830) < 1e-6
    assert abs(unplaced.geom.y - 39.7910) < 1e-6
    assert unplaced.history.first().history_change_reason == "placed on the map (GCJ-02)"


@pytest.mark.django_db
def test_cgcs2000_is_taken_as_wgs84(unplaced, office):
    services.project_place(project=unplaced, geom=Point(98.3, 39.8), user=office,
                           source_crs="cgcs2000")
    unplaced.refresh_from_db()
    assert unplaced.geom.coords == (98.3, 39.8)


@pytest.mark.django_db
@pytest.mark.parametrize(("point", "crs", "code", "message"), [
    (Point(181, 39.79), "wgs84", "out_of_range",
     "Longitude must be between -180 and 180 degrees; 181.0 is not."),
    (Point(98.28, 95), "wgs84", "out_of_range",
     "Latitude must be between -90 and 90 degrees; 95.0 is not."),
    (Point(float("nan"), 39.79), "wgs84", "not_finite",
     "Longitude and latitude must be finite numbers."),
    # Beijing, in the city frame's terms far outside 98.20-98.36 / 39.74-39.84.
    (Point(116.397, 39.908), "wgs84", "outside_city",
     "The point 116.397000, 39.908000 (WGS84) lies outside the city boundary; check the "
     "coordinates and the coordinate system."),
    (Point(39.79, 98.28), "wgs84", "swapped_axes",
     "The point lies outside the city; longitude and latitude look swapped (longitude is about "
     "98 here, latitude about 39)."),
    (Point(98.28, 39.79, 1500), "wgs84", "not_a_point",
     "A project is placed with one point: a longitude and a latitude."),
    (Point(98.28, 39.79), "bd09", "unknown_crs",
     "Choose the coordinate system: WGS84, GCJ-02 or CGCS2000."),
])
def test_bad_input_is_refused_and_nothing_changes(unplaced, office, point, crs, code, message):
    before = _snapshot(unplaced)
    with pytest.raises(ValidationError) as exc:
        services.project_place(project=unplaced, geom=point, user=office, source_crs=crs)
    assert exc.value.code == code
    assert exc.value.messages == [message]
    assert _snapshot(unplaced) == before


@pytest.mark.django_db
def test_an_already_placed_project_is_refused(city, project_factory, office):
    project = project_factory(code="P-ON", name="已落图项目")  # at (98.28, 39.79)
    before = _snapshot(project)
    with pytest.raises(ValidationError) as exc:
        services.project_place(project=project, geom=Point(98.3, 39.8), user=office)
    assert exc.value.code == "already_placed"
    assert _snapshot(project) == before


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["department_staff", "urban_management", "market_supervision",
                                  "leaders", None])
def test_only_the_project_office_may_place(unplaced, user_factory, role):
    before = _snapshot(unplaced)
    with pytest.raises(PermissionDenied):
        services.project_place(project=unplaced, geom=Point(98.3, 39.8),
                               user=user_factory(role))
    assert _snapshot(unplaced) == before


# --- the pages ---------------------------------------------------------------------------------


def _user(user_factory, role: str | None):
    if role == "admin":
        return user_factory(None, is_superuser=True, is_staff=True)
    return user_factory(role)


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "status"), [
    ("project_office", 302), ("admin", 302), ("department_staff", 403),
    ("urban_management", 403), ("leaders", 403), ("anonymous", 403),
])
def test_place_permission_matrix(client, user_factory, unplaced, role, status):
    if role != "anonymous":
        client.force_login(_user(user_factory, role))
    response = client.post(f"/staff/projects/{unplaced.pk}/place/",
                           {"lon": "98.3", "lat": "39.8", "crs": "wgs84"})
    assert response.status_code == status
    unplaced.refresh_from_db()
    if status == 302:
        assert response["Location"] == "/staff/projects/unplaced/"
        assert unplaced.geom.coords == (98.3, 39.8)
    else:
        assert unplaced.geom is None


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "status"), [
    ("project_office", 200), ("admin", 200), ("department_staff", 403), ("leaders", 403),
    ("urban_management", 403),
])
def test_queue_page_is_for_the_project_office(client, user_factory, unplaced, role, status):
    client.force_login(_user(user_factory, role))
    assert client.get("/staff/projects/unplaced/").status_code == status


@pytest.mark.django_db
def test_queue_page_redirects_anonymous_users_to_the_login(client, unplaced):
    response = client.get("/staff/projects/unplaced/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db
def test_queue_lists_only_unplaced_projects(client, office, unplaced, project_factory):
    project_factory(code="P-ON", name="已落图项目")
    client.force_login(office)
    html = client.get("/staff/projects/unplaced/").content.decode()
    assert "待落图项目" in html
    assert "已落图项目" not in html
    assert f'id="unplaced-{unplaced.pk}"' in html
    assert f'action="/staff/projects/{unplaced.pk}/place/"' in html


@pytest.mark.django_db
@pytest.mark.parametrize(("lon", "lat", "message"), [
    ("abc", "39.79", "Longitude and latitude must be numbers in decimal degrees, e.g. 98.2830 "
                     "and 39.7910."),
    ("", "", "Longitude and latitude must be numbers in decimal degrees, e.g. 98.2830 and "
             "39.7910."),
    ("116.397", "39.908", "lies outside the city boundary"),
    ("200", "39.8", "Longitude must be between -180 and 180 degrees"),
])
def test_bad_typed_coordinates_give_a_400_with_the_reason(client, office, unplaced, lon, lat,
                                                          message):
    client.force_login(office)
    response = client.post(f"/staff/projects/{unplaced.pk}/place/",
                           {"lon": lon, "lat": lat, "crs": "wgs84"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="place-error"' in html
    assert message in html
    # What was typed stays in the form, to be corrected.
    assert f'id="lon-{unplaced.pk}"' in html
    unplaced.refresh_from_db()
    assert unplaced.geom is None


@pytest.mark.django_db
def test_a_pasted_lon_lat_pair_is_split(client, office, unplaced):
    client.force_login(office)
    typed = "{:.6f},{:.6f}".format(*wgs84_to_gcj02(98.2830, 39.7910))  # as Amap copies it
    response = client.post(f"/staff/projects/{unplaced.pk}/place/",
                           {"lon": typed, "lat": "", "crs": "gcj02"})
    assert response.status_code == 302
    unplaced.refresh_from_db()
    # 6 decimals typed: the point comes back within 1e-6° of the site.
    assert abs(unplaced.geom.x - 98.2830) < 2e-6
    assert abs(unplaced.geom.y - 39.7910) < 2e-6


@pytest.mark.django_db
def test_placing_twice_is_refused(client, office, unplaced):
    client.force_login(office)
    url = f"/staff/projects/{unplaced.pk}/place/"
    assert client.post(url, {"lon": "98.3", "lat": "39.8"}).status_code == 302
    again = client.post(url, {"lon": "98.31", "lat": "39.81"})
    assert again.status_code == 400
    unplaced.refresh_from_db()
    assert unplaced.geom.coords == (98.3, 39.8)


@pytest.mark.django_db
def test_queue_messages_in_chinese(client, office, unplaced):
    client.force_login(office)
    with override("zh-hans"):
        response = client.post(f"/staff/projects/{unplaced.pk}/place/",
                               {"lon": "116.397", "lat": "39.908", "crs": "wgs84"},
                               HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = response.content.decode()
    assert "未落图" in html
    assert "城市边界之外" in html


@pytest.mark.django_db
def test_dashboard_shows_the_unplaced_count_and_the_link(client, office, unplaced):
    client.force_login(office)
    html = client.get("/dashboard/").content.decode()
    assert 'data-kpi="unplaced"><span class="value">1</span>' in html
    assert 'href="/staff/projects/unplaced/" id="dashboard-unplaced"' in html


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "linked"), [("project_office", True), ("leaders", False),
                                              ("department_staff", False)])
def test_header_links_the_queue_for_the_project_office(client, user_factory, city, role,
                                                       linked):
    client.force_login(user_factory(role))
    html = client.get("/").content.decode()
    assert ('href="/staff/projects/unplaced/"' in html) is linked


@pytest.mark.django_db
def test_project_page_says_not_yet_placed(client, office, unplaced):
    client.force_login(office)
    html = client.get(f"/projects/{unplaced.pk}/").content.decode()
    assert 'id="detail-unplaced"' in html
    assert 'id="detail-map"' not in html
    assert f'href="/staff/projects/unplaced/#unplaced-{unplaced.pk}"' in html


@pytest.mark.django_db
def test_admin_pages_of_an_unplaced_project_open(client, user_factory, unplaced):
    admin = _user(user_factory, "admin")
    client.force_login(admin)
    pages = (f"/admin/sites/project/{unplaced.pk}/change/",
             f"/admin/sites/project/{unplaced.pk}/history/", "/admin/sites/project/")
    for url in pages:
        assert client.get(url).status_code == 200, url
    # Its history, from "no location" to a point, opens too.
    services.project_place(project=unplaced, geom=Point(98.3, 39.8), user=admin)
    for url in pages:
        assert client.get(url).status_code == 200, url
