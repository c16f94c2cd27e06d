"""Database failures: 503 with Retry-After and a {"detail"} body, idempotent requests retried
once, and a failed write leaves nothing behind.

Failures are real: PostgreSQL raises them from a trigger (``inject``), or a session ends itself
with pg_terminate_backend, as a restart would end it. A sequence counts the attempts (sequences
are not rolled back), so a test sees whether the portal tried again.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon
from django.db import connection, connections, transaction
from django.db.utils import load_backend
from django.test import RequestFactory
from django.utils import translation
from rest_framework.test import APIClient

from geo import db_errors
from geo.api.rate_counter import RateCounter
from markets.models import MarketZone
from sites.models import ProgressReport, Project


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


ACTIONS = {
    "conflict": "RAISE EXCEPTION 'injected failure' USING ERRCODE = '40001';",
    "deadlock": "RAISE EXCEPTION 'injected failure' USING ERRCODE = '40P01';",
    "disk_full": "RAISE EXCEPTION 'injected failure' USING ERRCODE = '53100';",
    # As a restart ends every session: the backend gets SIGTERM and exits at the next check.
    "terminate": "PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(5);",
}


@pytest.fixture
def inject(transactional_db):
    """``inject(table, action, times)``: the next ``times`` row writes to ``table`` fail.

    Returns a function giving the number of writes the trigger saw (the attempts)."""
    made: list[str] = []

    def install(table: str, action: str, times: int = 1000):
        name = f"inject_{len(made)}"
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE SEQUENCE {name}")
            cursor.execute(f"""
                CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                  IF nextval('{name}') <= {times} THEN {ACTIONS[action]} END IF;
                  RETURN NEW;
                END $$""")
            cursor.execute(
                f"CREATE TRIGGER {name} AFTER INSERT OR UPDATE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {name}()"
            )
        made.append((name, table))

        def attempts() -> int:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {name}")
                return cursor.fetchone()[0]

        return attempts

    yield install
    connection.close()  # a test may have left it terminated
    with connection.cursor() as cursor:
        for name, table in made:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")
            cursor.execute(f"DROP SEQUENCE IF EXISTS {name}")


# --- classification of real errors -------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sqlstate", "kind"),
    [
        ("40001", "conflict"),  # serialization_failure (and a standby's recovery conflict)
        ("40P01", "conflict"),  # deadlock_detected
        ("53100", "resources"),  # disk_full
        ("53300", "resources"),  # too_many_connections
        ("57014", "resources"),  # query_canceled (statement_timeout)
        ("57P01", "connection"),  # admin_shutdown: the server is restarting
        ("57P03", "connection"),  # cannot_connect_now: still starting up
        ("08006", "connection"),  # connection_failure
        ("25006", "connection"),  # read_only_sql_transaction: a write reached a standby
        ("23505", None),  # unique_violation: a bug or a validation gap, stays a 500
        ("22P02", None),  # invalid_text_representation
        ("42P01", None),  # undefined_table
    ],
)
def test_real_errors_are_classified_by_sqlstate(sqlstate, kind):
    with pytest.raises(Exception) as caught, transaction.atomic():  # noqa: PT011, SIM117
        with connection.cursor() as cursor:
            cursor.execute(f"DO $$ BEGIN RAISE EXCEPTION 'x' USING ERRCODE = '{sqlstate}'; END $$")
    failure = db_errors.classify(caught.value)
    assert (failure.kind if failure else None) == kind
    if failure:
        assert failure.sqlstate == sqlstate


@pytest.mark.django_db
def test_a_statement_timeout_is_resources():
    def sleep_past_the_timeout() -> None:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL statement_timeout = 10")
            cursor.execute("SELECT pg_sleep(2)")

    with pytest.raises(Exception) as caught:  # noqa: PT011
        sleep_past_the_timeout()
    assert db_errors.classify(caught.value).kind == "resources"


def test_a_refused_connection_is_a_connection_failure(tmp_path, django_db_blocker):
    conf = {**connections["default"].settings_dict, "HOST": str(tmp_path)}  # no server there
    wrapper = load_backend(conf["ENGINE"]).DatabaseWrapper(conf, alias="nowhere")
    with django_db_blocker.unblock(), pytest.raises(Exception) as caught:  # noqa: PT011
        wrapper.ensure_connection()
    failure = db_errors.classify(caught.value)
    assert failure.kind == "connection"
    assert failure.sqlstate is None


def test_other_exceptions_are_not_database_failures():
    assert db_errors.classify(ValueError("x")) is None
    assert db_errors.classify(KeyError("x")) is None


# --- reads: retried once, then 503 -------------------------------------------------------

RATE_TABLE = RateCounter._meta.db_table  # every anonymous API request counts a hit there


def test_a_read_that_fails_once_is_retried_and_answers(inject, city, zone_factory):
    zone_factory(name="新华路")
    attempts = inject(RATE_TABLE, "conflict", times=1)
    response = APIClient().get("/api/v1/markets/")
    assert response.status_code == 200, response.content
    assert [f["properties"]["name"] for f in response.json()["features"]] == ["新华路"]
    assert attempts() == 2  # the failed one and the repeat


@pytest.mark.parametrize(
    ("action", "retry_after", "code", "message"),
    [
        ("conflict", "1", "database_conflict", db_errors.CONFLICTED),
        ("terminate", "5", "database_connection", db_errors.UNAVAILABLE),
        ("disk_full", "60", "database_resources", db_errors.EXHAUSTED),
    ],
)
def test_a_read_that_keeps_failing_is_a_503_with_retry_after(
    inject, action, retry_after, code, message
):
    attempts = inject(RATE_TABLE, action)
    response = APIClient().get("/api/v1/markets/")
    assert response.status_code == 503
    assert response["Retry-After"] == retry_after
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": str(message), "errors": {}, "code": code}
    assert attempts() == 2  # tried twice, not more
    # The portal recovers by itself once the database does.
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {RATE_TABLE} DISABLE TRIGGER USER")
    try:
        assert APIClient().get("/api/v1/markets/").status_code == 200
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"ALTER TABLE {RATE_TABLE} ENABLE TRIGGER USER")


def test_a_connection_closed_between_requests_is_not_noticed(transactional_db, city):
    """A restart between two requests kills the worker's persistent connection; the health
    check (CONN_HEALTH_CHECKS) reconnects before the next request's first query."""
    client = APIClient()
    assert client.get("/api/v1/markets/").status_code == 200
    pid = connection.connection.info.backend_pid
    other = load_backend(connection.settings_dict["ENGINE"]).DatabaseWrapper(
        connection.settings_dict, alias="killer"
    )
    with other.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    other.close()
    assert client.get("/api/v1/markets/").status_code == 200
    assert connection.connection.info.backend_pid != pid


def test_the_503_page_for_a_browser_does_not_touch_the_database(db, django_assert_num_queries):
    request = RequestFactory().get("/markets/", HTTP_ACCEPT="text/html,application/xhtml+xml")
    failure = db_errors.Failure("connection", None, "server closed the connection")
    with django_assert_num_queries(0):
        response = db_errors.unavailable(request, failure)
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert str(db_errors.UNAVAILABLE) in body
    assert "503" in body


def test_the_503_page_is_in_chinese_by_default():
    request = RequestFactory().get("/markets/", HTTP_ACCEPT="text/html")
    with translation.override("zh-hans"):
        response = db_errors.unavailable(request, db_errors.Failure("connection", None, ""))
    assert "暂时无法访问" in response.content.decode()


# --- writes: whole or nothing ------------------------------------------------------------


def _square(lon: float, lat: float, size: float = 0.001) -> dict:
    poly = Polygon.from_bbox((lon, lat, lon + size, lat + size))
    return json.loads(MultiPolygon(poly, srid=4326).json)


def _zone_put(client: APIClient, zone: MarketZone, version: int):
    body = {
        "type": "Feature",
        "geometry": _square(98.3005, 39.8005),
        "properties": {"name": "改后的名字"},
        "reason": "边界调整",
    }
    return client.put(
        f"/api/v1/markets/{zone.pk}/", body, format="json", HTTP_IF_MATCH=f'"{version}"'
    )


def _zone_snapshot(pk: int) -> tuple:
    zone = MarketZone.objects.get(pk=pk)
    return (
        bytes(zone.boundary.ewkb),
        zone.version,
        zone.name,
        zone.history.count(),
        MarketZone.history.count(),
    )


@pytest.fixture
def live_client(user_factory) -> APIClient:
    """An administrator's client: zone API writes go live only for administrators (urban
    management's become draft changeset edits, tests/markets/test_api_proposals.py)."""
    client = APIClient()
    client.force_authenticate(user_factory(is_superuser=True, is_staff=True))
    return client


ZONE_HISTORY = MarketZone.history.model._meta.db_table


def test_a_zone_edit_whose_history_fails_writes_nothing_and_answers_503(
    inject, city, zone_factory, live_client
):
    zone = zone_factory(name="原名")
    before = _zone_snapshot(zone.pk)
    attempts = inject(ZONE_HISTORY, "conflict")  # the history row is the last write
    response = _zone_put(live_client, zone, 1)
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert set(response.json()) == {"detail", "errors", "code"}
    assert attempts() == 2  # PUT is idempotent: retried once
    assert _zone_snapshot(zone.pk) == before  # neither the row, nor its version, nor history


def test_a_zone_edit_that_conflicts_once_commits_whole_on_the_retry(
    inject, city, zone_factory, live_client
):
    zone = zone_factory(name="原名")
    attempts = inject(ZONE_HISTORY, "conflict", times=1)
    response = _zone_put(live_client, zone, 1)
    assert response.status_code == 200, response.content
    assert response["ETag"] == '"2"'
    assert attempts() == 2
    zone.refresh_from_db()
    assert (zone.name, zone.version) == ("改后的名字", 2)
    # One history row for the creation, one for the edit: the failed try left none.
    assert list(zone.history.order_by("history_id").values_list("version", "name")) == [
        (1, "原名"),
        (2, "改后的名字"),
    ]


def test_a_zone_edit_cut_off_by_a_restart_writes_nothing(inject, city, zone_factory, live_client):
    zone = zone_factory(name="原名")
    before = _zone_snapshot(zone.pk)
    attempts = inject(ZONE_HISTORY, "terminate", times=2)
    response = _zone_put(live_client, zone, 1)
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["detail"] == str(db_errors.UNAVAILABLE)
    connection.close()
    assert attempts() == 2
    assert _zone_snapshot(zone.pk) == before
    # The database is back: the same edit, sent again as the 503 asks, commits.
    response = _zone_put(live_client, zone, 1)
    assert response.status_code == 200, response.content
    assert _zone_snapshot(zone.pk)[1:] == (2, "改后的名字", 2, before[4] + 1)


def test_a_progress_report_is_not_repeated_after_a_failure(
    inject, api_client, project_factory, user_factory, department
):
    project = project_factory(lead_department=department)
    reporter = user_factory("department_staff", department=department)
    api_client.force_authenticate(reporter)
    before = (Project.history.count(), ProgressReport.history.count())
    # The project's history row is written after the report's: a late failure.
    attempts = inject(Project.history.model._meta.db_table, "conflict", times=1)
    response = api_client.post(
        f"/api/v1/projects/{project.pk}/reports/",
        {
            "month": "2026-05",
            "stage": "construction",
            "completed_investment": "1200.50",
            "percent_complete": "30.0",
            "actual_start": "2026-04-10",
            "note": "",
        },
        format="json",
    )
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert attempts() == 1  # POST is never repeated by the portal
    assert ProgressReport.objects.count() == 0
    project.refresh_from_db()
    assert (project.stage, project.completed_investment_year) == ("preparation", 0)
    assert (Project.history.count(), ProgressReport.history.count()) == before


PATCH_FAILURES = [
    # (injected failure, Retry-After, code)
    ("conflict", "1", "database_conflict"),
    ("deadlock", "1", "database_conflict"),
    ("disk_full", "60", "database_resources"),
    ("terminate", "5", "database_connection"),
]


@pytest.mark.parametrize(("action", "retry_after", "code"), PATCH_FAILURES)
def test_a_zone_patch_whose_history_fails_is_not_repeated_and_writes_nothing(
    inject, city, zone_factory, live_client, action, retry_after, code
):
    zone = zone_factory(name="原名", capacity=40)
    before = _zone_snapshot(zone.pk)
    attempts = inject(ZONE_HISTORY, action)
    response = live_client.patch(
        f"/api/v1/markets/{zone.pk}/",
        {"properties": {"capacity": 55, "notes": "扩容"}, "reason": "扩容"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert response.status_code == 503
    assert response["Retry-After"] == retry_after
    assert response.json()["code"] == code
    connection.close()
    assert attempts() == 1  # PATCH is not idempotent: the portal never repeats it
    assert _zone_snapshot(zone.pk) == before
    zone.refresh_from_db()
    assert (zone.capacity, zone.notes) == (40, "")


def test_a_progress_report_whose_own_history_fails_leaves_the_project_as_it_was(
    inject, api_client, project_factory, user_factory, department
):
    project = project_factory(lead_department=department)
    reporter = user_factory("department_staff", department=department)
    api_client.force_authenticate(reporter)
    before = (Project.history.count(), ProgressReport.history.count())
    # The report's history row is the first write after the report itself: an early failure.
    attempts = inject(ProgressReport.history.model._meta.db_table, "deadlock", times=1)
    body = {
        "month": "2026-05",
        "stage": "construction",
        "completed_investment": "1200.50",
        "percent_complete": "30.0",
        "actual_start": "2026-04-10",
        "note": "",
    }
    response = api_client.post(f"/api/v1/projects/{project.pk}/reports/", body, format="json")
    assert response.status_code == 503
    assert response["Retry-After"] == "1"
    assert attempts() == 1
    assert ProgressReport.objects.count() == 0
    assert (Project.history.count(), ProgressReport.history.count()) == before
    # Sent again, as the 503 asks: the trigger lets it through and it commits whole.
    response = api_client.post(f"/api/v1/projects/{project.pk}/reports/", body, format="json")
    assert response.status_code == 201, response.content
    project.refresh_from_db()
    assert project.stage == "construction"
    assert project.completed_investment_year == Decimal("1200.50")
    assert (Project.history.count(), ProgressReport.history.count()) == (
        before[0] + 1,
        before[1] + 1,
    )


def test_a_zone_edit_whose_answer_cannot_be_read_back_writes_nothing(
    transactional_db, city, zone_factory, live_client
):
    """The saved zone is read back for the answer; when that read fails (here it waits for a
    lock on the districts table, which the write itself never touches, past lock_timeout),
    the answer is a 503 — so the edit must not have been committed either."""
    zone = zone_factory(name="原名")
    before = _zone_snapshot(zone.pk)
    locker = load_backend(connection.settings_dict["ENGINE"]).DatabaseWrapper(
        connection.settings_dict, alias="locker"
    )
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '300ms'")
    try:
        locker.set_autocommit(False)
        with locker.cursor() as cursor:
            cursor.execute("LOCK TABLE geo_district IN ACCESS EXCLUSIVE MODE")
        response = live_client.patch(
            f"/api/v1/markets/{zone.pk}/",
            {"properties": {"name": "改后的名字"}, "reason": "改名"},
            format="json",
            HTTP_IF_MATCH='"1"',
        )
    finally:
        locker.rollback()
        locker.close()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")
    assert response.status_code == 503
    assert response.json()["code"] == "database_resources"
    assert _zone_snapshot(zone.pk) == before
