"""Each zone write costs a fixed number of queries: the zone is read once, under its row lock.

The numbers are pinned so that a second fetch of the zone, a second city-boundary load or a
second ST_IsValid round trip (issue 11: a PATCH used to do each twice) shows up as a failure.
Each request's queries, in order:

- the user's roles (auth_group), once per request; none here: these writes go live, so they
  are an administrator's (a superuser has every role), urban management's become drafts;
- SAVEPOINT for the view's transaction (write + answer), SAVEPOINT for the service's;
- the zone row, SELECT ... FOR UPDATE (not for a create);
- a new boundary: the city boundary, then ST_IsValid/ST_IsValidReason, once each;
- full_clean: the department exists (and the last editor, when the zone has one), the CHECK
  constraint on the boundary (in its own SAVEPOINT/RELEASE);
- an occupying boundary: the overlap lock (pg_advisory_xact_lock) and the overlap query;
- UPDATE (or INSERT) of the zone, INSERT of its history row;
- RELEASE of the service's SAVEPOINT, the answer's feature (one SQL query), RELEASE.
"""

from __future__ import annotations

import pytest

from markets.models import MarketZone
from tests.markets.test_api_editing import feature, geojson_of, metric_square

pytestmark = pytest.mark.django_db


@pytest.fixture
def zone(city, zone_factory) -> MarketZone:
    return zone_factory(name="新华路后备箱集市", boundary=metric_square(0, 0, 100))


def _url(zone: MarketZone) -> str:
    return f"/api/v1/markets/{zone.pk}/"


def test_create_reads_the_city_and_checks_validity_once(live_client, city, department,
                                                        django_assert_num_queries):
    body = feature(geojson_of(metric_square(500, 500, 100)), name="新集市", kind="trunk",
                   status="active", department=department.code)
    # savepoint, department by code, city, ST_IsValid, savepoint, department exists,
    # check constraint (3), overlap lock, overlap, INSERT zone, INSERT history, release,
    # answer, release.
    with django_assert_num_queries(16):
        response = live_client.post("/api/v1/markets/", body, format="json")
    assert response.status_code == 201, response.json()


def test_reshape_reads_the_zone_once(live_client, zone, django_assert_num_queries):
    body = feature(geojson_of(metric_square(0, 0, 120)))
    # 2 savepoints, the zone FOR UPDATE, city, ST_IsValid, department exists, check
    # constraint (3), overlap lock, overlap, UPDATE, INSERT history, release, answer, release.
    with django_assert_num_queries(16):
        response = live_client.patch(_url(zone), body, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200, response.json()
    assert response["ETag"] == '"2"'


def test_replace_costs_what_a_reshape_costs(live_client, zone, django_assert_num_queries):
    body = feature(geojson_of(metric_square(0, 0, 120)), name="新华路集市", kind="trunk",
                   status="active")
    with django_assert_num_queries(16):
        response = live_client.put(_url(zone), body, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200, response.json()


def test_a_field_edit_touches_no_geometry_check(live_client, zone, django_assert_num_queries):
    body = {"type": "Feature", "properties": {"capacity": 30}, "reason": "减少摊位"}
    # 2 savepoints, the zone FOR UPDATE, department exists, check constraint (3),
    # UPDATE, INSERT history, release, answer, release: no city, no ST_IsValid, no overlap.
    with django_assert_num_queries(12):
        response = live_client.patch(_url(zone), body, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 200, response.json()


def test_retire(live_client, zone, django_assert_num_queries):
    # As a field edit: the status changes, the boundary is not checked again.
    with django_assert_num_queries(12):
        response = live_client.delete(_url(zone), {"reason": "道路施工"}, format="json",
                                 HTTP_IF_MATCH='"1"')
    assert response.status_code == 200, response.json()


def test_restore_a_retired_zone(live_client, zone, django_assert_num_queries):
    live_client.delete(_url(zone), {"reason": "道路施工"}, format="json", HTTP_IF_MATCH='"1"')
    # + the status before retirement, the overlap
    # lock and the overlap query.
    with django_assert_num_queries(16):
        response = live_client.post(_url(zone) + "restore/", {"reason": "施工结束"}, format="json")
    assert response.status_code == 200, response.json()


def test_restore_a_version(live_client, zone, django_assert_num_queries):
    live_client.patch(_url(zone), {"type": "Feature", "properties": {"capacity": 30},
                                   "reason": "减少摊位"}, format="json", HTTP_IF_MATCH='"1"')
    first = zone.history.order_by("history_id").first().history_id
    # + the history row (404 check), the zone FOR UPDATE, the version's row, city, ST_IsValid,
    # overlap lock, overlap.
    with django_assert_num_queries(19):
        response = live_client.post(f"{_url(zone)}history/{first}/restore/", {"reason": "恢复"},
                                    format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["properties"]["capacity"] == 40


def test_a_stale_write_stops_at_the_lock(live_client, zone, django_assert_num_queries):
    body = {"type": "Feature", "properties": {"capacity": 30}, "reason": "减少摊位"}
    # 2 savepoints, the zone FOR UPDATE, then 412: rollback and release of both.
    with django_assert_num_queries(7):
        response = live_client.patch(_url(zone), body, format="json", HTTP_IF_MATCH='"7"')
    assert response.status_code == 412
