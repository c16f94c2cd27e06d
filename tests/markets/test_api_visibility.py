"""Who sees which market zones in the layer API."""

from __future__ import annotations

import pytest


def _names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(f["properties"]["name"] for f in response.json()["features"])


@pytest.mark.django_db
def test_public_sees_active_and_suspended_only(api_client, zone_factory, staff_client):
    from tests.conftest import square

    zone_factory(name="甲", status="active", boundary=square(98.30, 39.80))
    zone_factory(name="乙", status="suspended", boundary=square(98.31, 39.80))
    zone_factory(name="丙", status="proposed", boundary=square(98.32, 39.80))
    zone_factory(name="丁", status="retired", boundary=square(98.33, 39.80))
    assert _names(api_client.get("/api/v1/markets/")) == ["乙", "甲"]
    assert _names(staff_client.get("/api/v1/markets/")) == ["丙", "乙", "甲"]
    assert _names(staff_client.get("/api/v1/markets/?status=retired")) == ["丁"]
    assert api_client.get("/api/v1/markets/?status=retired").status_code == 400


@pytest.mark.django_db
def test_zone_area_is_measured_in_metres(api_client, zone_factory):
    from tests.conftest import square

    zone_factory(boundary=square(98.30, 39.80, size=0.001))
    [feature] = api_client.get("/api/v1/markets/").json()["features"]
    # 0.001° of longitude at 39.8°N ≈ 85.5 m and 0.001° of latitude ≈ 111.0 m: ≈ 9,490 m².
    assert feature["properties"]["area_m2"] == pytest.approx(9490, rel=0.01)
    assert feature["geometry"]["type"] == "MultiPolygon"


@pytest.mark.django_db
def test_detail_is_never_304_because_open_now_changes_with_time(api_client, zone_factory):
    zone = zone_factory()
    first = api_client.get(f"/api/v1/markets/{zone.pk}/")
    assert first["ETag"] == f'"{zone.version}"'
    again = api_client.get(f"/api/v1/markets/{zone.pk}/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 200
    assert "open_now" in again.json()["properties"]
