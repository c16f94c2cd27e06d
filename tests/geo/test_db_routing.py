"""The read-replica router: who reads where, read-your-writes, and falling back without an error.

The replica here is a second connection to the test database (a server not in recovery counts as
caught up), or an address where nothing listens (a stopped replica). The lag of a real streaming
standby is measured in tests/geo/test_standby.py.
"""

from __future__ import annotations

import time
from contextlib import nullcontext

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from geo import replica
from geo.db_routing import STICKY_COOKIE

ALIAS = "replica_under_test"


@pytest.fixture(scope="module", autouse=True)
def _replica_alias(django_db_setup, django_db_blocker):
    """ALIAS in DATABASES (a second connection to the test database) before the tests' database
    access is set up, so that they may name it in ``databases``."""
    connections.settings[ALIAS] = dict(connections["default"].settings_dict)
    yield
    with django_db_blocker.unblock():
        connections[ALIAS].close()
    del connections[ALIAS]
    del connections.settings[ALIAS]


pytestmark = pytest.mark.django_db(transaction=True, databases=["default", ALIAS])


@pytest.fixture
def use_replica(settings):
    """``use_replica(host=None)``: reads may go to ALIAS (the test database itself, or ``host``
    where nothing listens)."""
    conf = connections.settings[ALIAS]
    host = conf["HOST"]

    def make(host: str | None = None) -> str:
        connections[ALIAS].close()
        if host is not None:
            conf["HOST"] = host
        settings.READ_REPLICA = ALIAS
        replica.forget()
        return ALIAS

    yield make
    connections[ALIAS].close()
    conf["HOST"] = host
    replica.forget()


def _where(client, path: str, *, replica_alive: bool = True, **extra) -> tuple[int, int, int]:
    """(status, zone-table queries on the replica, zone-table queries on the primary)."""
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        # Capturing connects; a replica that is down is not watched (nothing can run there).
        CaptureQueriesContext(connections[ALIAS]) if replica_alive else nullcontext() as secondary,
    ):
        response = client.get(path, **extra)

    def zone_queries(captured):
        if captured is None:
            return 0
        return sum("markets_marketzone" in q["sql"] for q in captured.captured_queries)

    return response.status_code, zone_queries(secondary), zone_queries(primary)


def _side(client, path: str = "/api/v1/markets/", *, replica_alive: bool = True) -> str:
    """Where a 200 answer's zone rows were read: "replica" or "primary" (never both)."""
    status, on_replica, on_primary = _where(client, path, replica_alive=replica_alive)
    assert status == 200
    assert bool(on_replica) != bool(on_primary), (on_replica, on_primary)
    return "replica" if on_replica else "primary"


@pytest.fixture
def zone(city, zone_factory):
    return zone_factory(name="悦西市")


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/markets/",
        "/api/v1/markets/{pk}/",
        "/markets/",
        "/markets/{pk}/",
        "/ogcapi/collections/markets/items",
        "/ogcapi/collections/markets/items/{pk}",
    ],
)
def test_anonymous_public_reads_go_to_the_replica(use_replica, zone, path):
    use_replica()
    status, on_replica, on_primary = _where(APIClient(), path.format(pk=zone.pk))
    assert status == 200
    assert on_replica >= 1
    assert on_primary == 0


def test_an_anonymous_download_streams_from_the_replica(use_replica, zone):
    use_replica()
    with CaptureQueriesContext(connections[ALIAS]) as secondary:
        response = APIClient().get("/api/v1/markets.geojson")
        body = b"".join(response.streaming_content)
    assert response.status_code == 200
    assert "悦西市".encode() in body
    # The named cursor itself bypasses Django's query log; its set-up statement does not.
    assert any("cursor_tuple_fraction" in q["sql"] for q in secondary.captured_queries)


def test_signed_in_staff_and_token_clients_read_the_primary(use_replica, zone, user_factory):
    use_replica()
    staff = APIClient()
    staff.force_login(user_factory("urban_management"))
    assert _side(staff) == "primary"
    # An unknown token is refused (401) without reading a zone anywhere.
    assert _where(APIClient(), "/api/v1/markets/", HTTP_AUTHORIZATION="Token abc")[1] == 0


def test_writes_and_other_paths_never_touch_the_replica(use_replica, zone, user_factory):
    use_replica()
    with CaptureQueriesContext(connections[ALIAS]) as secondary:
        client = APIClient()
        client.get("/dashboard/")
        client.get(f"/api/v1/markets/{zone.pk}/history/")
        client.post("/api/v1/markets/", {}, format="json")
    assert secondary.captured_queries == []


def test_a_write_makes_the_next_reads_use_the_primary_for_a_few_seconds(
    use_replica, zone, settings
):
    use_replica()
    settings.REPLICA_STICKY_SECONDS = 1
    client = APIClient()
    response = client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/markets/"})
    assert response.status_code == 302
    cookie = response.cookies[STICKY_COOKIE]
    assert cookie["max-age"] == 1
    assert cookie["httponly"]
    assert _side(client) == "primary"  # read-your-writes
    time.sleep(1.1)
    assert _side(client) == "replica"  # the replica again


def test_a_forged_or_stale_sticky_cookie_is_ignored(use_replica, zone):
    use_replica()
    client = APIClient()
    client.cookies[STICKY_COOKIE] = "1"  # not signed by the portal
    assert _side(client) == "replica"


def test_a_failed_write_sets_no_sticky_cookie(use_replica, zone):
    use_replica()
    response = APIClient().post("/api/v1/markets/", {}, format="json")
    assert response.status_code == 403
    assert STICKY_COOKIE not in response.cookies


def test_a_stopped_replica_is_skipped_without_an_error(use_replica, zone, tmp_path, client):
    use_replica(host=str(tmp_path))  # nothing listens there
    assert _side(APIClient(), replica_alive=False) == "primary"
    body = client.get("/readyz").json()
    assert body["status"] == "ok"  # reads fall back: the portal is still ready
    assert body["replica"]["configured"] is True
    assert body["replica"]["up"] is False
    assert body["replica"]["used_for_reads"] is False
    assert body["replica"]["reason"].startswith("unreachable")


def test_a_replica_that_dies_between_checks_costs_no_request(use_replica, zone, tmp_path):
    """Known up a moment ago, gone now: the request is answered from the primary and the
    replica is marked down, so the next requests do not try it."""
    name = use_replica(host=str(tmp_path))
    replica._states[name] = replica.ReplicaState(True, 0.0, True, "streaming", time.monotonic())
    response = APIClient().get("/api/v1/markets/")
    assert response.status_code == 200
    assert [f["properties"]["name"] for f in response.json()["features"]] == ["悦西市"]
    assert replica._states[name].up is False
    assert _side(APIClient(), replica_alive=False) == "primary"


def test_a_lagging_replica_is_skipped(use_replica, zone, settings, client):
    use_replica()
    settings.REPLICA_MAX_LAG_SECONDS = -1  # even "caught up" (0 s) is past this bound
    assert _side(APIClient()) == "primary"
    assert client.get("/readyz").json()["replica"]["used_for_reads"] is False


def test_a_recovered_replica_is_used_again(use_replica, zone, settings):
    name = use_replica()
    settings.REPLICA_RETRY_SECONDS = 0.2
    replica.mark_down(reason="test")
    assert _side(APIClient()) == "primary"
    time.sleep(0.25)
    assert _side(APIClient()) == "replica"
    assert replica._states[name].usable


def test_without_a_replica_everything_reads_the_primary(zone):
    response = APIClient().get("/api/v1/markets/")
    assert response.status_code == 200
    assert STICKY_COOKIE not in APIClient().post("/i18n/setlang/", {"language": "en"}).cookies
