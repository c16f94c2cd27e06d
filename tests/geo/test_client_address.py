"""TRUSTED_PROXIES: which address is the client's, for the lockout, throttles, logs and history."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.settings import api_settings
from rest_framework.test import APIRequestFactory

from geo.api.throttling import (
    AnonBurstThrottle,
    AnonDownloadThrottle,
    AnonItemsThrottle,
    ClientAddressThrottle,
)
from geo.client_address import ClientAddressLogFilter, client_ip, parse_trusted_proxies

ROOT = Path(__file__).resolve().parents[2]
CIDRS = "127.0.0.1/32,10.0.0.0/8"

# (TRUSTED_PROXIES, REMOTE_ADDR, X-Forwarded-For) -> the client's address, worked out by hand:
# nginx appends the address it received the request from to the right of X-Forwarded-For, so
# only the right-hand entries written by our own proxies can be believed.
CASES = [
    # No proxy named: the header is the client's to write, never read.
    ("", "10.1.2.3", "203.0.113.9", "10.1.2.3"),
    ("", "2001:db8::1", "203.0.113.9", "2001:db8::1"),
    ("", "::ffff:10.1.2.3", "", "10.1.2.3"),  # IPv4-mapped IPv6 is the IPv4 address
    ("", "", "203.0.113.9", ""),
    ("", "not-an-address", "", ""),
    # One hop: the right-most entry (nginx's $remote_addr); a made-up left part changes nothing.
    ("1", "127.0.0.1", "203.0.113.9", "203.0.113.9"),
    ("1", "127.0.0.1", "6.6.6.6, 7.7.7.7, 203.0.113.9", "203.0.113.9"),
    ("1", "127.0.0.1", "", "127.0.0.1"),  # straight to the app server: the peer
    ("1", "127.0.0.1", "unknown, 300.1.1.1, 203.0.113.9", "203.0.113.9"),
    ("1", "127.0.0.1", "203.0.113.9, garbage", "203.0.113.9"),  # malformed entries skipped
    ("1", "127.0.0.1", "2001:DB8:0:0::7", "2001:db8::7"),  # IPv6, in its canonical form
    ("1", "127.0.0.1", "not, an, address", "127.0.0.1"),
    ("1", "", "203.0.113.9", "203.0.113.9"),  # nginx over a unix socket: no peer address
    (CIDRS, "", "203.0.113.9", ""),  # ... which no CIDR can match: use a count there
    # Two hops: skip the inner proxy's entry (10.0.0.2), take the one before it.
    ("2", "127.0.0.1", "6.6.6.6, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
    # A count larger than the hops: the left-most entry, still written by one of our proxies.
    ("3", "127.0.0.1", "203.0.113.9, 10.0.0.2", "203.0.113.9"),
    ("5", "127.0.0.1", "203.0.113.9", "203.0.113.9"),
    # CIDRs: the peer must be one of them, then walk from the right past trusted addresses.
    (CIDRS, "127.0.0.1", "203.0.113.9", "203.0.113.9"),
    (CIDRS, "127.0.0.1", "6.6.6.6, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
    (CIDRS, "127.0.0.1", "6.6.6.6, 203.0.113.9, not-an-address, 10.9.9.9", "203.0.113.9"),
    (CIDRS, "198.51.100.7", "203.0.113.9", "198.51.100.7"),  # peer not a proxy: header ignored
    (CIDRS, "10.0.0.3", "203.0.113.9:8080, 203.0.113.10", "203.0.113.10"),  # port: malformed
    (CIDRS, "127.0.0.1", "10.0.0.5", "10.0.0.5"),  # an internal client: every hop is ours
    (CIDRS, "127.0.0.1", "", "127.0.0.1"),
    (CIDRS, "::ffff:127.0.0.1", "203.0.113.9", "203.0.113.9"),  # mapped peer matches 127/32
    ("::1/128,fd00::/8", "::1", "2001:db8::7, fd00::2", "2001:db8::7"),
    ("::1/128,fd00::/8", "::1", "203.0.113.9", "203.0.113.9"),
    ("::1/128,fd00::/8", "127.0.0.1", "203.0.113.9", "127.0.0.1"),
]


def _request(remote_addr: str, forwarded_for: str):
    meta = {"REMOTE_ADDR": remote_addr}
    if forwarded_for:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().get("/", **meta)


@pytest.mark.parametrize(("trusted", "remote_addr", "forwarded_for", "expected"), CASES)
def test_client_address(settings, trusted, remote_addr, forwarded_for, expected):
    settings.TRUSTED_PROXIES = trusted
    assert client_ip(_request(remote_addr, forwarded_for)) == expected


@pytest.mark.parametrize(
    "value",
    ["nginx", "-1", "11", "1.5", "10.0.0.1/8", "127.0.0.1/33", "127.0.0.1/32,,10.0.0.0/8",
     "127.0.0.1/32;10.0.0.0/8"],
)
def test_a_bad_setting_is_refused_with_the_fix(value):
    with pytest.raises(ImproperlyConfigured, match="TRUSTED_PROXIES must be empty"):
        parse_trusted_proxies(value)


@pytest.mark.parametrize(
    ("value", "count", "networks"),
    [("", 0, []), (" 1 ", 1, []), ("0", 0, []), ("127.0.0.1", 0, ["127.0.0.1/32"]),
     (" 127.0.0.1/32 , ::1/128 ", 0, ["127.0.0.1/32", "::1/128"])],
)
def test_good_settings(value, count, networks):
    proxies = parse_trusted_proxies(value)
    assert proxies.count == count
    assert [str(network) for network in proxies.networks] == networks


def test_the_portal_does_not_start_with_a_bad_setting():
    base = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, capture_output=True, text=True,
        env={**base, "DEBUG": "1", "TRUSTED_PROXIES": "10.0.0.1/8"}, timeout=120,
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured: TRUSTED_PROXIES must be empty" in result.stderr
    assert "'10.0.0.1/8' is not a CIDR" in result.stderr


# --- who uses it -------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("trusted", "remote_addr", "expected"),
    [("", "127.0.0.1", "127.0.0.1"), ("127.0.0.1/32", "127.0.0.1", "203.0.113.9"),
     ("127.0.0.1/32", "198.51.100.7", "198.51.100.7")],
)
def test_the_lockout_counts_the_client_address(client, settings, trusted, remote_addr, expected):
    settings.TRUSTED_PROXIES = trusted
    client.post("/accounts/login/", {"username": "x", "password": "y"}, REMOTE_ADDR=remote_addr,
                HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == [expected]


@pytest.mark.parametrize("throttle", [AnonBurstThrottle, AnonDownloadThrottle, AnonItemsThrottle])
@pytest.mark.parametrize(("trusted", "expected"), [("", "127.0.0.1"), ("1", "203.0.113.9")])
def test_the_throttles_count_the_client_address(settings, throttle, trusted, expected):
    settings.TRUSTED_PROXIES = trusted
    request = APIRequestFactory().get("/api/v1/projects.geojson", REMOTE_ADDR="127.0.0.1",
                                      HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert throttle().get_ident(request) == expected


def _views(resolver: URLResolver):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _views(pattern)
        elif isinstance(pattern, URLPattern):
            yield getattr(pattern.callback, "cls", None)


def test_no_throttle_reads_drf_num_proxies():
    # DRF's own get_ident believes X-Forwarded-For when NUM_PROXIES is unset: none may use it.
    assert api_settings.NUM_PROXIES is None
    throttles = set(api_settings.DEFAULT_THROTTLE_CLASSES)
    for view in filter(None, _views(get_resolver())):
        throttles.update(getattr(view, "throttle_classes", []))
    assert throttles >= {AnonBurstThrottle, AnonDownloadThrottle, AnonItemsThrottle}
    for throttle in throttles:
        assert throttle.get_ident is ClientAddressThrottle.get_ident, throttle


@pytest.mark.parametrize(("trusted", "expected"), [("", "127.0.0.1"), ("1", "203.0.113.9")])
def test_log_records_name_the_client_address(settings, trusted, expected):
    settings.TRUSTED_PROXIES = trusted
    request = _request("127.0.0.1", "6.6.6.6, 203.0.113.9")
    with_request = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Not Found",
                                     None, None)
    with_request.request = request
    without = logging.LogRecord("geo", logging.WARNING, __file__, 1, "hello", None, None)
    log_filter = ClientAddressLogFilter()
    assert log_filter.filter(with_request)
    assert log_filter.filter(without)
    assert (with_request.client_ip, without.client_ip) == (expected, "-")
    formatter = logging.Formatter("%(levelname)s %(name)s [%(client_ip)s] %(message)s")
    assert formatter.format(with_request) == f"WARNING django.request [{expected}] Not Found"


# --- the spoofed header against a running server (issue #12) ---------------------------------


@pytest.fixture
def download_limit_5(settings, monkeypatch):
    """The anonymous download limit at 5 a minute, counted from zero."""
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "anon_download": "5/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    # DRF's stock SimpleRateThrottle reads the rates once, at import (THROTTLE_RATES); set the
    # same dict it holds too, so the limit is 5 whichever way a throttle reads it.
    monkeypatch.setitem(AnonDownloadThrottle.THROTTLE_RATES, "anon_download", "5/min")
    cache.clear()
    yield
    cache.clear()


def _download(url: str, forwarded_for: str) -> tuple[int, str | None]:
    request = urllib.request.Request(url, headers={"X-Forwarded-For": forwarded_for})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (live_server)
            response.read()
            return response.status, response.headers.get("Retry-After")
    except urllib.error.HTTPError as error:
        error.read()
        return error.code, error.headers.get("Retry-After")


@pytest.mark.django_db(transaction=True)
def test_a_made_up_forwarded_for_does_not_reset_the_download_limit(
    live_server, download_limit_5, project_factory
):
    project_factory()
    url = f"{live_server.url}/api/v1/projects.geojson"
    # 100 whole-layer downloads, each claiming a different client (198.18.0.0/15 is for tests).
    answers = [_download(url, f"198.18.{n // 250}.{n % 250 + 1}") for n in range(100)]
    statuses = [status for status, _ in answers]
    assert statuses == [200] * 5 + [429] * 95
    # Every refusal says when to come back: whole seconds, at least one (RFC 9110 §10.2.3).
    retry_after = [value for status, value in answers if status == 429]
    assert all(value is not None and value.isdigit() and int(value) >= 1
               for value in retry_after), retry_after


@pytest.mark.django_db(transaction=True)
def test_behind_a_trusted_proxy_each_client_has_its_own_limit(
    live_server, download_limit_5, project_factory, settings
):
    # The live server's peer is 127.0.0.1, standing in for nginx; the header names the client.
    settings.TRUSTED_PROXIES = "127.0.0.1/32"
    project_factory()
    url = f"{live_server.url}/api/v1/projects.geojson"
    first = [_download(url, "6.6.6.6, 203.0.113.9")[0] for _ in range(6)]
    second = [_download(url, "203.0.113.10")[0] for _ in range(6)]
    assert first == [200] * 5 + [429]
    assert second == [200] * 5 + [429]
