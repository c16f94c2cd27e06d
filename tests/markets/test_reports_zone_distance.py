"""A report's point is checked against its zone (issue 18): more than REPORT_MAX_DISTANCE_M
(300 m) outside the zone's boundary is a 400 naming the point, from the API and the form.

The zone is the factory's square: lon 98.300-98.301, lat 39.800-39.801. Metres per degree at
lat 39.80 on the CGCS2000 ellipsoid (a = 6378137, e² = 0.00669438):
  north: M·π/180 = a(1-e²)/(1-e² sin²φ)^1.5 · π/180 ≈ 111,030 m per degree of latitude;
  east:  N·cosφ·π/180 = a/(1-e² sin²φ)^0.5 · cosφ · π/180 ≈ 85,641 m per degree of longitude.
EPSG:4542's scale 0.7° from its central meridian (99°E) adds ~0.004 % (1 cm at 300 m).
"""

from __future__ import annotations

import pytest
from django.contrib.gis.geos import Point
from django.test import Client
from django.utils import translation

from markets.reports import services
from markets.reports.models import Report
from markets.reports.throttling import ReportThrottle
from tests.conftest import square

NORTH_EDGE, EAST_EDGE = 39.801, 98.301
M_PER_DEG_LAT, M_PER_DEG_LON = 111_030, 85_641


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fixed_window(monkeypatch):
    monkeypatch.setattr(ReportThrottle, "timer", lambda self: 1_800_000_000.0)


@pytest.fixture
def zone(zone_factory, city):
    return zone_factory(name="大唐路夜市")


@pytest.mark.parametrize(
    ("lon", "lat", "metres"),
    [
        (98.3005, 39.8005, 0.0),  # the square's centre: inside, 0 m
        (98.3005, NORTH_EDGE + 0.0025, 0.0025 * M_PER_DEG_LAT),  # 277.6 m north
        (98.3005, NORTH_EDGE + 0.0030, 0.0030 * M_PER_DEG_LAT),  # 333.1 m north
        (EAST_EDGE + 0.0034, 39.8005, 0.0034 * M_PER_DEG_LON),  # 291.2 m east
        (EAST_EDGE + 0.0036, 39.8005, 0.0036 * M_PER_DEG_LON),  # 308.3 m east
    ],
)
def test_distance_to_the_zone_is_in_metres(zone, lon, lat, metres):
    assert services.distance_to_zone_m(Point(lon, lat, srid=4326), zone) == pytest.approx(
        metres, abs=0.5
    )


@pytest.mark.parametrize(
    ("point", "saved"),
    [
        ("98.3005,39.8005", True),  # inside
        ("98.301,39.801", True),  # on the corner
        ("98.3005,39.8035", True),  # 277.6 m north
        ("98.3044,39.8005", True),  # 291.2 m east
        ("98.3005,39.8040", False),  # 333.1 m north
        ("98.3046,39.8005", False),  # 308.3 m east
        ("98.2500,39.7800", False),  # inside the city, ~4.8 km away
    ],
)
def test_api_refuses_a_point_far_from_the_zone(api_client, zone, point, saved):
    response = api_client.post(
        f"/api/v1/markets/{zone.pk}/reports/",
        {"category": "litter", "text": "收摊后垃圾没有清理", "point": point},
        format="json",
    )
    assert response.status_code == (201 if saved else 400), response.json()
    assert Report.objects.count() == (1 if saved else 0)
    if not saved:
        assert list(response.json()["errors"]) == ["point"]


def test_the_message_names_the_distance_the_zone_and_the_limit(api_client, zone):
    response = api_client.post(
        f"/api/v1/markets/{zone.pk}/reports/",
        {"category": "litter", "text": "x", "point": "98.3005,39.8040"},
        format="json",
    )
    assert response.status_code == 400
    # 0.0030° of latitude north of the edge: 333.09 m, read up to the next metre.
    message = "The point on the map is 334 m from 大唐路夜市; put it within 300 m of the market."
    assert response.json() == {"detail": message, "errors": {"point": [message]}}


def test_the_limit_is_a_setting(api_client, zone, settings):
    settings.REPORT_MAX_DISTANCE_M = 250
    body = {"category": "litter", "text": "x", "point": "98.3005,39.8035"}  # 277.6 m
    response = api_client.post(f"/api/v1/markets/{zone.pk}/reports/", body, format="json")
    assert response.status_code == 400
    assert "within 250 m" in response.json()["detail"]
    settings.REPORT_MAX_DISTANCE_M = 300
    response = api_client.post(f"/api/v1/markets/{zone.pk}/reports/", body, format="json")
    assert response.status_code == 201


def test_a_point_near_another_zone_is_refused_on_this_one(api_client, zone, zone_factory):
    # A second market 0.01° (~856 m) east: its own point is fine there, not on the first one.
    other = zone_factory(name="关城广场", boundary=square(98.31, 39.80))
    body = {"category": "noise", "text": "x", "point": "98.3105,39.8005"}
    assert (
        api_client.post(f"/api/v1/markets/{zone.pk}/reports/", body, format="json").status_code
        == 400
    )
    assert (
        api_client.post(f"/api/v1/markets/{other.pk}/reports/", body, format="json").status_code
        == 201
    )
    assert list(Report.objects.values_list("zone__name", flat=True)) == ["关城广场"]


def test_the_form_shows_the_message_and_saves_nothing(zone):
    client = Client()
    page = client.get(f"/markets/{zone.pk}/report/")
    assert page.status_code == 200
    response = client.post(
        f"/markets/{zone.pk}/report/",
        {"category": "litter", "text": "垃圾", "point": "98.3005,39.8040", "website": ""},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert (
        "The point on the map is 334 m from 大唐路夜市; put it within 300 m of the market."
        in response.content.decode()
    )
    assert Report.objects.count() == 0
    ok = client.post(
        f"/markets/{zone.pk}/report/",
        {"category": "litter", "text": "垃圾", "point": "98.3005,39.8035", "website": ""},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert ok.status_code == 302
    assert Report.objects.count() == 1
