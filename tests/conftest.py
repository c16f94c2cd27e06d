"""Shared fixtures: factories for every layer, users per role, a blocked-network browser."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import threading
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group, User
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Point, Polygon
from rest_framework.test import APIClient

from geo.models import CityBoundary, Department, District, Leader, StaffProfile
from geo.roles import ALL_ROLES
from markets.models import MarketZone
from sites.models import LivelihoodWork, Milestone, Project

# Playwright's sync API runs an event loop in the test thread; the ORM is still used
# synchronously there (fixtures), which is safe in tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

_seq = itertools.count(1)


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """Hash test passwords with MD5: PBKDF2's deliberate slowness costs ~1 s per user."""
    from django.conf import settings as dj_settings

    dj_settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_basemap_pack(settings, tmp_path_factory):
    """No basemap pack unless a test loads one: var/basemap/ of a dev checkout stays out."""
    settings.BASEMAP_PACK_DIR = tmp_path_factory.mktemp("basemap")


@pytest.fixture(autouse=True)
def _no_publish_on_read(settings):
    """Scheduled changesets are published by their tests, not by any read (query counts)."""
    settings.CHANGESETS_PUBLISH_ON_READ_SECONDS = 0


@pytest.fixture(autouse=True)
def _no_remembered_bodies():
    """Each test renders its layers afresh (geo/api/body_cache.py keeps them per process)."""
    from django.core.cache import caches

    caches["bodies"].clear()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language (Chinese). Django's test client leaves the
    language of the last request it made active in the test's thread, so without this a test
    that formats text after another test asked for English would read English."""
    from django.utils import translation

    translation.deactivate()
    yield
    translation.deactivate()


@pytest.fixture(autouse=True, scope="session")
def _reads_from_the_primary():
    """The suite reads the primary even when a standby runs (make prod); tests of the router
    set up their own replica (tests/geo/test_db_routing.py)."""
    from django.conf import settings as dj_settings

    dj_settings.READ_REPLICA = None

# The demo frame (DOMAIN.md): lon 98.20-98.36, lat 39.74-39.84.
CITY = Polygon.from_bbox((98.20, 39.74, 98.36, 39.84))
CITY.srid = 4326


def square(lon: float, lat: float, size: float = 0.001) -> MultiPolygon:
    """An axis-aligned square MultiPolygon (WGS84) with its south-west corner at (lon, lat)."""
    poly = Polygon.from_bbox((lon, lat, lon + size, lat + size))
    return MultiPolygon(poly, srid=4326)


@pytest.fixture
def city(db) -> CityBoundary:
    return CityBoundary.objects.create(name="示范市", geom=MultiPolygon(CITY.clone(), srid=4326))


@pytest.fixture
def department_factory(db):
    def make(**kw) -> Department:
        n = next(_seq)
        kw.setdefault("code", f"dept-{n}")
        kw.setdefault("name", f"部门{n}")
        return Department.objects.create(**kw)

    return make


@pytest.fixture
def department(department_factory) -> Department:
    return department_factory(code="fgw", name="发改委", name_en="Development and Reform")


@pytest.fixture
def leader(db) -> Leader:
    return Leader.objects.create(name="王副市长", title="副市长")


@pytest.fixture
def district(db) -> District:
    return District.objects.create(
        code="d1", name="城区", geom=MultiPolygon(CITY.clone(), srid=4326)
    )


@pytest.fixture
def project_factory(department, leader):
    def make(**kw) -> Project:
        n = next(_seq)
        defaults = {
            "code": f"P{n:04d}",
            "name": f"测试项目{n}",
            "plan_year": 2026,
            "category": "industry",
            "build_type": "new",
            "stage": "preparation",
            "planned_start": dt.date(2026, 3, 1),
            "planned_end": dt.date(2027, 6, 30),
            "total_investment": Decimal("10000"),
            "planned_investment_year": Decimal("4000"),
            "completed_investment_year": Decimal("0"),
            "lead_department": department,
            "leader": leader,
            "geom": Point(98.28, 39.79, srid=4326),
        }
        defaults.update(kw)
        if isinstance(defaults["geom"], str):
            defaults["geom"] = GEOSGeometry(defaults["geom"], srid=4326)
        return Project.objects.create(**defaults)

    return make


@pytest.fixture
def livelihood_factory(department, leader):
    def make(milestones: list[tuple[str, dt.date, dt.date | None]] | None = None, **kw):
        n = next(_seq)
        defaults = {
            "code": f"L{n:04d}",
            "name": f"民生实事{n}",
            "programme": "municipal",
            "category": "road",
            "status": "in_progress",
            "lead_department": department,
            "leader": leader,
            "geom": GEOSGeometry("LINESTRING(98.25 39.78, 98.27 39.78)", srid=4326),
        }
        defaults.update(kw)
        work = LivelihoodWork.objects.create(**defaults)
        for seq, (name, planned, actual) in enumerate(milestones or [], start=1):
            Milestone.objects.create(
                work=work, seq=seq, name=name, planned_date=planned, actual_date=actual
            )
        return work

    return make


@pytest.fixture
def zone_factory(department):
    def make(**kw) -> MarketZone:
        n = next(_seq)
        defaults = {
            "name": f"集市{n}",
            "kind": "trunk",
            "status": "active",
            "boundary": square(98.30, 39.80),
            "department": department,
            "capacity": 40,
            "opening_hours": "Mo-Su 18:00-22:00",
            "permitted_goods": ["日用百货"],
            "prohibited_goods": ["油烟类餐饮"],
            "duties": ["摊走地净"],
        }
        defaults.update(kw)
        return MarketZone.objects.create(**defaults)

    return make


@pytest.fixture
def user_factory(db):
    def make(role: str | None = None, department: Department | None = None, **kw) -> User:
        n = next(_seq)
        kw.setdefault("username", f"{role or 'user'}{n}")
        user = User.objects.create_user(password="pw-for-tests-1", **kw)
        if role:
            assert role in ALL_ROLES, role
            # get_or_create: transactional (browser) tests flush the migration-made groups.
            user.groups.add(Group.objects.get_or_create(name=role)[0])
        if department is not None:
            StaffProfile.objects.create(user=user, department=department)
        return user

    return make


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def staff_client(user_factory) -> APIClient:
    """An API client logged in as project-office staff (sees every field)."""
    client = APIClient()
    client.force_authenticate(user_factory("project_office"))
    return client


# --- browser --------------------------------------------------------------------------------

LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path="/usr/bin/chromium",
            headless=True,
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server, settings):
    """A fresh page whose every request off this machine is blocked and recorded.

    No basemap (tiles would leave the machine); teardown asserts nothing tried to leave.
    """
    settings.BASEMAP = "none"
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    outside: list[str] = []

    def guard(route):
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in {"data", "blob", "about"} or parts.hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", guard)
    pg = context.new_page()
    pg.outside_requests = outside
    pg.base_url = live_server.url
    pg.set_default_timeout(15_000)
    # Every console error and uncaught page error fails the test. A test that provokes an
    # expected one (a refused fetch logs "Failed to load resource: … 403") lists a substring
    # of it in ``page.expected_console_errors``.
    errors: list[str] = []
    pg.expected_console_errors = []
    pg.on("console", lambda msg: errors.append(f"console: {msg.text}")
          if msg.type == "error" else None)
    pg.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    pg.console_errors = errors
    yield pg
    context.close()
    _drain_live_server()
    assert outside == [], f"requests left the machine: {outside}"
    unexpected = [e for e in errors
                  if not any(s in e for s in pg.expected_console_errors)]
    assert unexpected == [], f"console or page errors: {unexpected}"


def _drain_live_server(timeout: float = 10.0) -> None:
    """Wait until the live server has answered what the closed browser had in flight.

    A request thread still finishing when the test's database access ends (a map's context
    layers fetched just before the test's last step) fails in Django's close_old_connections
    with "Database access not allowed", and the test errors in teardown one run in many.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any("process_request_thread" in t.name for t in threading.enumerate()):
            return
        time.sleep(0.05)


@pytest.fixture
def login(page, live_server):
    """Log ``user`` into the browser page by planting a Django session cookie."""
    from django.conf import settings as dj_settings
    from django.test import Client

    def do(user: User) -> None:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[dj_settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [{"name": dj_settings.SESSION_COOKIE_NAME, "value": cookie.value,
              "url": live_server.url}]
        )

    return do


DEMO_PASSWORD = "demo-pass-2026"  # the README's password of every demo account


@pytest.fixture
def signin(page):
    """Sign in as a person does: open the login form, type the credentials, submit.

    Returns the page's URL after the redirect (where the role lands). Journey tests use this,
    never ``force_login``; other browser tests may keep the ``login`` fixture.
    """

    def do(username: str, password: str = "pw-for-tests-1", *, next_url: str = "") -> str:
        url = page.base_url + "/accounts/login/"
        if next_url:
            url += "?next=" + next_url
        page.goto(url)
        page.fill("#id_username", username)
        page.fill("#id_password", password)
        with page.expect_navigation():
            page.click("#login-form button[type=submit]")
        return page.url

    return do


@pytest.fixture
def demo_city(transactional_db, settings):
    """The README's demo city and accounts (password DEMO_PASSWORD), for journey tests."""
    import io

    from django.core.management import call_command

    settings.DEBUG = True
    call_command("load_demo", stdout=io.StringIO())
    settings.DEBUG = False


# Where tests/browser/test_screenshots.py leaves its images and their contact sheet.
SHOTS = Path(__file__).resolve().parents[1] / "var" / "screenshots"
_SESSION_STARTED = time.time()


def pytest_terminal_summary(terminalreporter):
    """Say where this run's screenshots are, for review."""
    sheet = SHOTS / "index.html"
    if sheet.exists() and sheet.stat().st_mtime >= _SESSION_STARTED:
        count = len(list(SHOTS.glob("*.png")))
        terminalreporter.write_line(f"screenshots for review: {sheet} ({count} images)")
