"""/healthz and /readyz: JSON, cheap, never cached or throttled; readiness says why not."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from django.db import connection
from django.test import Client, RequestFactory

from geo import health


def test_healthz_answers_without_the_database(client, django_assert_num_queries, db):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response["Cache-Control"] == "no-store"
    assert client.head("/healthz").status_code == 200
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_readyz_reports_the_database_migrations_and_replica(client, django_assert_num_queries):
    health._migrations_on_disk()  # read from disk once per process, not per request
    with django_assert_num_queries(1):
        response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"] == {"reachable": True}
    assert body["migrations"] == {"applied": True, "missing": []}
    assert body["replica"] == {"configured": False}
    assert isinstance(body["took_ms"], float)
    assert response["Cache-Control"] == "no-store"


@pytest.mark.django_db
def test_readyz_is_not_ready_while_a_migration_is_missing(client):
    with connection.cursor() as cursor:  # rolled back with the test
        cursor.execute(
            "DELETE FROM django_migrations WHERE app = 'markets' AND name = '0001_initial'"
        )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["migrations"] == {
        "applied": False,
        "missing": ["markets.0001_initial"],
    }
    assert response.json()["status"] == "unavailable"


def test_readyz_is_not_ready_when_the_database_is_unreachable(tmp_path, django_db_blocker):
    settings_dict = connection.settings_dict
    host = settings_dict["HOST"]
    with django_db_blocker.unblock():
        connection.close()
        settings_dict["HOST"] = str(tmp_path)  # no server listens there
        try:
            response = health.readyz(RequestFactory().get("/readyz"))
        finally:
            settings_dict["HOST"] = host
            connection.close()
    assert response.status_code == 503
    assert response["Cache-Control"] == "no-store"
    body = json.loads(response.content)
    assert body["status"] == "unavailable"
    assert body["database"]["reachable"] is False
    assert body["database"]["error"]  # the driver's first line, for the operator


@pytest.mark.django_db
def test_probes_are_never_throttled(settings):
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], anon_burst="2/min")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    client = Client()
    assert [client.get("/api/v1/markets/").status_code for _ in range(3)] == [200, 200, 429]
    assert {client.get(path).status_code for path in ["/healthz", "/readyz"] * 10} == {200}


def test_probes_are_exempt_from_the_https_redirect():
    """Production redirects HTTP to HTTPS; probes call gunicorn directly, over HTTP."""
    code = (
        "from django.conf import settings; import django; django.setup(); "
        "print(settings.SECURE_SSL_REDIRECT, settings.SECURE_REDIRECT_EXEMPT)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={
            **os.environ,
            "DEBUG": "0",
            "SECRET_KEY": "x" * 60,
            "DJANGO_SETTINGS_MODULE": "geo.settings",
        },
    )
    assert result.stdout.strip() == "True ['^healthz$', '^readyz$']"
