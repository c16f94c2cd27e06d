"""API throttles: atomic counts (PostgreSQL, a real Redis), 429 with Retry-After, staff exempt."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from geo.api import rate_counter
from geo.api.rate_counter import Hit, PostgresCounter, RedisCounter
from geo.api.throttling import ClientAddressThrottle
from geo.models import RateCounter
from geo.roles import ALL_ROLES

# 1_800_000_000 s is a whole number of minutes and hours, so windows start there.
T0 = 1_800_000_000
MARKETS = "/api/v1/markets/"


class Clock:
    """A fixed clock for the throttles (an instance, so it is not bound as a method)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def _no_random_pruning(monkeypatch):
    """Prune only where a test asks for it, so the rows a test counts stay put."""
    monkeypatch.setattr(rate_counter, "PRUNE_PROBABILITY", 0.0)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    fixed = Clock(T0 + 15)
    monkeypatch.setattr(ClientAddressThrottle, "timer", fixed)
    return fixed


@pytest.fixture
def rates(settings):
    """Set throttle rates as a deployment would (REST_FRAMEWORK), the others kept."""

    def set_rates(**scopes: str) -> None:
        current = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK,
                                   "DEFAULT_THROTTLE_RATES": {**current, **scopes}}

    return set_rates


# --- the estimate and Retry-After, computed by hand ----------------------------------------


@pytest.mark.parametrize(("limit", "previous", "current", "elapsed", "allowed", "retry"), [
    # Previous window empty: the count is exact. 4 > 3; in the next window 4 x (1 - s) + 1 <= 3
    # from s = 0.5, i.e. 60 + 30 s after the window start, 75 s after 0:15.
    (3, 0, 3, 15, True, None),
    (3, 0, 4, 15, False, 75),
    # Half-way through: 10 x 0.5 + 5 = 10 fits a limit of 10, 10 x 0.5 + 6 = 11 does not; one
    # more (the 7th) fits when 10 x (1 - s) + 7 <= 10, s = 0.7: at 42 s, 12 s from now.
    (10, 10, 5, 30, True, None),
    (10, 10, 6, 30, False, 12),
    # One a minute: after a second request the next fits only when this window has left the
    # last minute entirely, at the start of the window after next (120 s).
    (1, 0, 2, 0, False, 120),
    # 3 x (1 - s) + 1 <= 2 from s = 2/3 of the next window: 60 + 40 = 100 s, 40.5 s from 59.5.
    (2, 0, 3, 59.5, False, 41),
])
def test_sliding_estimate_and_retry_after(limit, previous, current, elapsed, allowed, retry):
    hit = Hit(current=current, previous=previous, window_start=T0, duration=60, now=T0 + elapsed)
    assert hit.allowed(limit) is allowed
    if retry is not None:
        assert hit.retry_after(limit) == retry
        # The request sent after Retry-After fits, in whichever window it falls.
        moment = T0 + elapsed + retry
        if moment < T0 + 60:
            later = Hit(current + 1, previous, T0, 60, moment)
        elif moment < T0 + 120:
            later = Hit(1, current, T0 + 60, 60, moment)
        else:
            later = Hit(1, 0, T0 + 120, 60, moment)
        assert later.allowed(limit)


# --- the PostgreSQL counter ----------------------------------------------------------------


@pytest.mark.django_db
def test_postgres_counter_counts_exactly_per_scope_client_and_window():
    counter = PostgresCounter()
    hits = [counter.hit(scope="anon_burst", ident="10.0.0.1", duration=60, now=T0 + s).current
            for s in (0, 10, 59.999)]
    assert hits == [1, 2, 3]
    assert counter.hit(scope="anon_download", ident="10.0.0.1", duration=60, now=T0).current == 1
    assert counter.hit(scope="anon_burst", ident="10.0.0.2", duration=60, now=T0).current == 1
    # The boundary: at 60 s a new window starts, and the old one becomes the previous.
    first = counter.hit(scope="anon_burst", ident="10.0.0.1", duration=60, now=T0 + 60)
    assert (first.current, first.previous, first.window_start) == (1, 3, T0 + 60)
    assert first.estimate() == 4  # 3 x (1 - 0/60) + 1
    later = counter.hit(scope="anon_burst", ident="10.0.0.1", duration=60, now=T0 + 90)
    assert (later.current, later.previous, later.estimate()) == (2, 3, 3.5)  # 3 x 0.5 + 2
    # Two windows on, the one of T0 no longer counts.
    assert counter.hit(scope="anon_burst", ident="10.0.0.1", duration=60,
                       now=T0 + 120).previous == 2
    rows = RateCounter.objects.filter(scope="anon_burst", ident="10.0.0.1")
    assert sorted(rows.values_list("window_start", "hits")) == [
        (T0, 3), (T0 + 60, 2), (T0 + 120, 1)]


@pytest.mark.django_db
def test_expired_windows_are_pruned(monkeypatch):
    counter = PostgresCounter()
    counter.hit(scope="anon_burst", ident="a", duration=60, now=T0)  # expires T0 + 120
    counter.hit(scope="anon_burst", ident="b", duration=60, now=T0 + 60)  # expires T0 + 180
    monkeypatch.setattr(rate_counter, "PRUNE_PROBABILITY", 1.0)
    # A client's first hit in a window prunes (with probability 1 here): at T0 + 120 the row
    # of T0 is neither the current nor the previous window of anyone.
    counter.hit(scope="anon_burst", ident="c", duration=60, now=T0 + 120)
    assert sorted(RateCounter.objects.values_list("ident", "window_start")) == [
        ("b", T0 + 60), ("c", T0 + 120)]
    # Later hits of a window do not prune.
    counter.hit(scope="anon_burst", ident="c", duration=60, now=T0 + 200)
    counter.hit(scope="anon_burst", ident="c", duration=60, now=T0 + 201)
    assert RateCounter.objects.count() == 2  # b (expired at 180) pruned; c's two windows kept


# --- through the API -----------------------------------------------------------------------


@pytest.mark.django_db
def test_429_has_retry_after_and_the_error_shape(api_client, rates, clock):
    rates(anon_burst="3/min")
    statuses = [api_client.get(MARKETS, REMOTE_ADDR="10.0.0.7").status_code for _ in range(3)]
    assert statuses == [200, 200, 200]
    response = api_client.get(MARKETS, REMOTE_ADDR="10.0.0.7", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    # 4 counted at 0:15 of the window; see test_sliding_estimate_and_retry_after: 75 s.
    assert response["Retry-After"] == "75"
    assert response.json() == {
        "detail": "Request was throttled. Expected available in 75 seconds.", "errors": {}}
    # Another address has its own count.
    assert api_client.get(MARKETS, REMOTE_ADDR="10.0.0.8").status_code == 200
    # After Retry-After the client gets through again.
    clock.now += 75
    assert api_client.get(MARKETS, REMOTE_ADDR="10.0.0.7").status_code == 200


@pytest.mark.django_db
def test_429_in_chinese(api_client, rates, clock):
    rates(anon_burst="1/min")
    api_client.get(MARKETS)
    response = api_client.get(MARKETS, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 429
    assert response["Retry-After"] == "105"  # 60 + 60 - 15: see the one-a-minute case above
    assert "105" in response.json()["detail"]
    assert "throttled" not in response.json()["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "scope"), [
    ("/ogcapi/collections/markets/items", "anon_items"),
    ("/api/v1/markets.csv", "anon_download"),
])
def test_ogc_items_and_downloads_429_with_retry_after(api_client, rates, clock, zone_factory,
                                                       url, scope):
    zone_factory()
    rates(**{scope: "2/hour"})
    assert [api_client.get(url).status_code for _ in range(2)] == [200, 200]
    response = api_client.get(url)
    assert response.status_code == 429
    # 3 x (1 - s) + 1 <= 2 from s = 2/3 of the next hour: 3600 + 2400 - 15 s.
    assert response["Retry-After"] == "5985"
    assert set(response.json()) == {"detail", "errors"}
    # The burst limit (600/min) is not what refused it: other pages still answer.
    assert api_client.get(MARKETS).status_code == 200


def _staff(user_factory, role: str) -> User:
    if role == "superuser":
        return User.objects.create_superuser("root", password="pw-for-tests-1")
    return user_factory(role)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [*ALL_ROLES, "superuser"])
@pytest.mark.parametrize("how", ["session", "token"])
def test_staff_are_not_held_to_the_anonymous_limits(user_factory, rates, clock, role, how):
    rates(anon_burst="1/min")
    user = _staff(user_factory, role)
    client = APIClient()
    if how == "session":
        client.force_login(user)
    else:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    assert [client.get(MARKETS).status_code for _ in range(4)] == [200] * 4
    assert not RateCounter.objects.exists()  # not even counted
    # The same address without the account is limited.
    assert [APIClient().get(MARKETS).status_code for _ in range(2)] == [200, 429]


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["session", "token"])
def test_accounts_without_a_role_are_limited_by_address(user_factory, rates, clock, how):
    rates(anon_burst="1/min")
    user = user_factory()  # signed in, but no portal role: no more than an anonymous client
    client = APIClient()
    if how == "session":
        client.force_login(user)
    else:
        client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    assert [client.get(MARKETS).status_code for _ in range(2)] == [200, 429]
    # ...and they share the count of their address.
    assert APIClient().get(MARKETS).status_code == 429


@pytest.mark.django_db
def test_a_rate_setting_applies_without_a_restart_of_the_class(api_client, rates, clock):
    # DRF binds THROTTLE_RATES once at import; ours reads the setting at each request.
    rates(anon_burst="2/min")
    assert [api_client.get(MARKETS).status_code for _ in range(3)] == [200, 200, 429]
    rates(anon_burst="5/min")
    assert api_client.get(MARKETS).status_code == 200  # 4 <= 5


# --- Redis (a real server) -----------------------------------------------------------------


@pytest.fixture(scope="module")
def redis_url():
    """A throwaway redis-server on a Unix socket (no port, nothing saved to disk)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (Debian package redis-server; "
                    "scripts/setup.sh --test installs it)")
    pytest.importorskip("redis", reason="the redis package is missing: pip install -e '.[test]'")
    with tempfile.TemporaryDirectory(prefix="h7redis") as tmp:  # short: socket paths <= 107 B
        sock = Path(tmp) / "redis.sock"
        server = subprocess.Popen(
            [binary, "--port", "0", "--unixsocket", str(sock), "--unixsocketperm", "700",
             "--save", "", "--appendonly", "no", "--dir", tmp],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 10
            while not sock.exists():
                assert server.poll() is None, "redis-server exited at start-up"
                assert time.monotonic() < deadline, "redis-server did not open its socket"
                time.sleep(0.05)
            yield f"unix://{sock}"
        finally:
            server.terminate()
            server.wait(timeout=10)


@pytest.fixture
def redis_counter(redis_url) -> RedisCounter:
    counter = RedisCounter(redis_url)
    counter.client.flushdb()
    return counter


def test_redis_counter_counts_exactly_and_expires_its_keys(redis_counter):
    hits = [redis_counter.hit(scope="anon_burst", ident="::1", duration=60, now=T0 + s).current
            for s in (0, 10, 59.999)]
    assert hits == [1, 2, 3]
    assert redis_counter.hit(scope="anon_items", ident="::1", duration=60, now=T0).current == 1
    first = redis_counter.hit(scope="anon_burst", ident="::1", duration=60, now=T0 + 60)
    assert (first.current, first.previous, first.estimate()) == (1, 3, 4)
    later = redis_counter.hit(scope="anon_burst", ident="::1", duration=60, now=T0 + 90)
    assert (later.current, later.previous, later.estimate()) == (2, 3, 3.5)
    # Each key lives two windows after its last hit (EXPIRE), so nothing is left to prune.
    ttl = redis_counter.client.ttl(f"rate:anon_burst:::1:{T0 + 60}")
    assert 115 <= ttl <= 120


@pytest.mark.django_db
def test_redis_url_moves_the_counts_to_redis(api_client, rates, clock, settings, redis_url,
                                             redis_counter):
    settings.REDIS_URL = redis_url
    rates(anon_burst="2/min")
    statuses = [api_client.get(MARKETS).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert not RateCounter.objects.exists()
    assert int(redis_counter.client.get(f"rate:anon_burst:127.0.0.1:{T0}")) == 3


# --- parallel clients against a live server ------------------------------------------------

CLIENTS = 16
REQUESTS_EACH = 8
LIMIT = 30


def _fetch(url: str, start: threading.Barrier) -> tuple[int, str | None, dict]:
    start.wait()
    try:
        with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310 (loopback)
            return response.status, response.headers.get("Retry-After"), {}
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Retry-After"), json.loads(error.read())


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("backend", ["postgres", "redis"])
def test_parallel_clients_cannot_exceed_the_limit(live_server, rates, settings, request,
                                                  backend):
    if backend == "redis":
        settings.REDIS_URL = request.getfixturevalue("redis_url")
        RedisCounter(settings.REDIS_URL).client.flushdb()
    rates(anon_burst=f"{LIMIT}/min")
    url = f"{live_server.url}/ogcapi/"
    total = CLIENTS * REQUESTS_EACH
    # Each round starts all 16 together, so their reads and writes of the count overlap.
    barrier = threading.Barrier(CLIENTS)
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        results = list(pool.map(lambda _: _fetch(url, barrier), range(total)))
    ok = [r for r in results if r[0] == 200]
    refused = [r for r in results if r[0] != 200]
    assert {r[0] for r in refused} <= {429}
    assert len(ok) <= LIMIT + 2, f"{len(ok)} of {total} got through a limit of {LIMIT}"
    assert len(ok) >= LIMIT - 2, "the limit refused requests it had room for"
    assert all(r[1] and int(r[1]) >= 1 for r in refused), "every 429 carries Retry-After"
    assert all(set(r[2]) == {"detail", "errors"} for r in refused)


# --- the other 429: the sign-in lockout ----------------------------------------------------


@pytest.mark.django_db
def test_the_sign_in_lockout_429_says_retry_after_too(client, user_factory):
    user_factory("leaders", username="li")
    statuses = [client.post("/accounts/login/", {"username": "li", "password": f"wrong-{n}"},
                            REMOTE_ADDR="10.0.0.1").status_code for n in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    # AXES_COOLOFF_TIME: 15 minutes, the length the lockout page names.
    assert client.get("/accounts/login/").status_code == 200
    locked = client.post("/accounts/login/", {"username": "li", "password": "pw-for-tests-1"},
                         REMOTE_ADDR="10.0.0.1")
    assert (locked.status_code, locked["Retry-After"]) == (429, "900")


@pytest.mark.django_db
def test_redis_down_counts_in_postgresql_instead_of_failing(tmp_path):
    pytest.importorskip("redis", reason="the redis package is missing: pip install -e '.[test]'")
    # A socket nobody listens on: the real client's connection fails as when Redis is down.
    counter = RedisCounter(f"unix://{tmp_path}/no-redis.sock")
    hits = [counter.hit(scope="anon_burst", ident="10.9.9.9", duration=60, now=T0 + s).current
            for s in (0, 1)]
    assert hits == [1, 2]  # still counted, so the limits still hold
    assert RateCounter.objects.get(scope="anon_burst", ident="10.9.9.9", window_start=T0).hits == 2


@pytest.mark.django_db
def test_admins_see_the_counts_and_delete_them_to_lift_a_limit(client):
    RateCounter.objects.create(scope="anon_burst", ident="203.0.113.9", window_start=T0,
                               expires=T0 + 120, hits=42)
    client.force_login(User.objects.create_superuser("root", password="pw-for-tests-1"))
    page = client.get("/admin/geo/ratecounter/").content.decode()
    # T0 = 2027-01-15 08:00:00 UTC, 16:00:00 in Asia/Shanghai.
    assert "203.0.113.9" in page
    assert "2027-01-15 16:00:00" in page
    assert "限流计数" in page
    assert client.get("/admin/geo/ratecounter/add/").status_code == 403
    counter = RateCounter.objects.get()
    assert client.post(f"/admin/geo/ratecounter/{counter.pk}/delete/",
                       {"post": "yes"}).status_code == 302
    assert not RateCounter.objects.exists()
