"""Exact HTTP semantics (issue #12, item 4): ETag / If-None-Match / If-Match, JSON errors."""

from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import path
from django.utils import timezone, translation
from django.views import View
from rest_framework.test import APIClient
from rest_framework.views import APIView

from geo import urls as portal_urls
from geo.api.exports import LayerDownloadView
from geo.ogcapi import ItemsView
from markets.api.editing import IF_MATCH_FORMAT, IF_MATCH_WEAK
from markets.models import MarketZone
from sites import services as site_services

# --- a URL conf with views that raise or only allow GET, for the 405/500 rows ---------------


def _raises(request):
    raise RuntimeError("deliberate failure for the 500 handler")


class _GetOnly(View):
    def get(self, request):
        return HttpResponse("ok")


urlpatterns = [
    path("api/v1/test-raises/", _raises),
    path("ogcapi/test-raises", _raises),
    path("test-raises/", _raises),
    path("api/v1/test-get-only/", _GetOnly.as_view()),
    path("ogcapi/test-get-only", _GetOnly.as_view()),
    *portal_urls.urlpatterns,
]
handler404 = portal_urls.handler404
handler500 = portal_urls.handler500


# --- fixtures ------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def english(settings):
    """Messages are asserted in English (the msgids)."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def layers(project_factory, livelihood_factory, zone_factory, city):
    """Two published projects (+1 unpublished), one livelihood work, one zone."""
    projects = [project_factory(name="甲项目"), project_factory(name="乙项目"),
                project_factory(name="未公开", published=False)]
    work = livelihood_factory(name="背街小巷")
    zone = zone_factory(name="新华路夜市", version=3)
    return {"project": projects[0], "work": work, "zone": zone}


@pytest.fixture
def live_client(user_factory) -> APIClient:
    """An administrator's client: zone API writes go live only for administrators (urban
    management's become draft changeset edits, tests/markets/test_api_proposals.py)."""
    client = APIClient()
    client.force_authenticate(user_factory(is_superuser=True, is_staff=True))
    return client


def stable_urls(layers) -> list[str]:
    project, work, zone = layers["project"].pk, layers["work"].pk, layers["zone"].pk
    return [
        "/api/v1/projects/",
        "/api/v1/projects/?stage=preparation&bbox=98,39,99,40",
        f"/api/v1/projects/{project}/",
        "/api/v1/livelihood/",
        f"/api/v1/livelihood/{work}/",
        "/api/v1/projects.geojson",
        "/api/v1/projects.gpkg",
        "/api/v1/projects.zip",
        "/api/v1/projects.csv",
        "/api/v1/projects.xlsx",
        "/api/v1/livelihood.geojson",
        "/api/v1/markets.geojson",
        "/api/v1/markets.csv",
        "/ogcapi/collections/projects/items",
        "/ogcapi/collections/markets/items?limit=5",
        f"/ogcapi/collections/projects/items/{project}",
        f"/ogcapi/collections/markets/items/{zone}",
    ]


STABLE_NAMES = [
    "projects", "projects-filtered", "project", "livelihood", "work", "projects.geojson",
    "projects.gpkg", "projects.zip", "projects.csv", "projects.xlsx", "livelihood.geojson",
    "markets.geojson", "markets.csv", "ogc-projects", "ogc-markets", "ogc-project",
    "ogc-zone",
]


# --- If-None-Match → 304 on the stable representations ---------------------------------------


# (If-None-Match built from the 200's ETag, expected status); RFC 9110 §13.1.2: weak comparison.
NONE_MATCH_CASES = [
    (lambda tag: tag, 304),
    (lambda tag: f"W/{tag}", 304),
    (lambda tag: "*", 304),
    (lambda tag: f'"elsewhere", {tag}', 304),
    (lambda tag: '"elsewhere"', 200),
    (lambda tag: tag.strip('"'), 200),  # unquoted: malformed, so the condition is ignored
]
NONE_MATCH_IDS = ["same", "weak", "star", "list", "other", "malformed"]


@pytest.mark.django_db
@pytest.mark.parametrize("index", range(len(STABLE_NAMES)), ids=STABLE_NAMES)
@pytest.mark.parametrize(("header", "expected"), NONE_MATCH_CASES, ids=NONE_MATCH_IDS)
def test_if_none_match_on_stable_endpoints(api_client, layers, index, header, expected):
    url = stable_urls(layers)[index]
    first = api_client.get(url)
    assert first.status_code == 200, url
    tag = first["ETag"]
    assert re.fullmatch(r'"[0-9a-f]+"', tag)  # strong
    again = api_client.get(url, HTTP_IF_NONE_MATCH=header(tag))
    assert again.status_code == expected, url
    assert again["ETag"] == tag
    assert again["Vary"] == first["Vary"]
    assert {"Cookie", "Authorization", "Accept-Language"} <= set(again["Vary"].split(", "))
    if expected == 304:
        assert again.content == b""
        if re.search(r"\.[a-z]+$", url.split("?")[0]):  # downloads keep their caching
            assert again["Cache-Control"] == "public, max-age=60"


@pytest.fixture
def no_throttles(monkeypatch):
    """Throttles count in the database on their own; the budget pinned here is the ETag's."""
    for view in (APIView, LayerDownloadView, ItemsView):
        monkeypatch.setattr(view, "throttle_classes", [])


@pytest.mark.django_db
@pytest.mark.parametrize("index", range(len(STABLE_NAMES)), ids=STABLE_NAMES)
def test_a_304_runs_only_the_version_query(
    api_client, layers, no_throttles, django_assert_num_queries, index
):
    url = stable_urls(layers)[index]
    tag = api_client.get(url)["ETag"]
    with django_assert_num_queries(1):  # geo.api.conditional.data_version: one SELECT
        assert api_client.get(url, HTTP_IF_NONE_MATCH=tag).status_code == 304


@pytest.mark.django_db
def test_the_query_string_is_normalised_but_part_of_the_key(api_client, layers):
    one = api_client.get("/api/v1/projects/?stage=preparation&category=industry")["ETag"]
    same = api_client.get("/api/v1/projects/?category=industry&stage=preparation")["ETag"]
    other = api_client.get("/api/v1/projects/?stage=construction")["ETag"]
    assert one == same != other


@pytest.mark.django_db
def test_formats_have_their_own_tags(api_client, layers):
    tags = {api_client.get(f"/api/v1/projects.{fmt}")["ETag"]
            for fmt in ("geojson", "gpkg", "zip", "csv", "xlsx")}
    assert len(tags) == 5


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/api/v1/projects/", "/api/v1/projects.geojson",
                                 "/ogcapi/collections/projects/items"])
def test_staff_tag_differs_from_the_anonymous_one(api_client, staff_client, layers, url):
    public = api_client.get(url)
    staff = staff_client.get(url)
    assert public["ETag"] != staff["ETag"]
    # Each audience's copy is only current for that audience.
    assert api_client.get(url, HTTP_IF_NONE_MATCH=staff["ETag"]).status_code == 200
    assert staff_client.get(url, HTTP_IF_NONE_MATCH=public["ETag"]).status_code == 200
    assert staff_client.get(url, HTTP_IF_NONE_MATCH=staff["ETag"]).status_code == 304


@pytest.mark.django_db
def test_language_is_part_of_the_key(api_client, layers):
    english = api_client.get("/api/v1/projects/", HTTP_ACCEPT_LANGUAGE="en")
    chinese = api_client.get("/api/v1/projects/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert english["ETag"] != chinese["ETag"]
    again = api_client.get("/api/v1/projects/", HTTP_ACCEPT_LANGUAGE="zh-hans",
                           HTTP_IF_NONE_MATCH=english["ETag"])
    assert again.status_code == 200


@pytest.mark.django_db
def test_a_progress_report_changes_the_projects_tags(api_client, layers, user_factory):
    project = layers["project"]
    urls = ["/api/v1/projects/", f"/api/v1/projects/{project.pk}/", "/api/v1/projects.csv",
            f"/ogcapi/collections/projects/items/{project.pk}"]
    before = {url: api_client.get(url)["ETag"] for url in urls}
    reporter = user_factory("department_staff", department=project.lead_department)
    site_services.progress_report_submit(
        project=project, month=timezone.localdate().replace(day=1), stage="construction",
        completed_investment=Decimal("500"), percent_complete=Decimal("12"), user=reporter,
        actual_start=dt.date(2026, 3, 1),
    )
    for url in urls:
        response = api_client.get(url, HTTP_IF_NONE_MATCH=before[url])
        assert response.status_code == 200, url
        assert response["ETag"] != before[url]
    feature = json.loads(api_client.get(f"/api/v1/projects/{project.pk}/").content)
    assert float(feature["properties"]["percent_complete"]) == 12
    # The livelihood layer reads none of the tables written.
    work_tag = api_client.get("/api/v1/livelihood/")["ETag"]
    assert api_client.get("/api/v1/livelihood/", HTTP_IF_NONE_MATCH=work_tag).status_code == 304


@pytest.mark.django_db
def test_a_zone_edit_changes_the_zone_layers_tags(api_client, live_client, layers):
    zone = layers["zone"]
    urls = ["/api/v1/markets.geojson", "/ogcapi/collections/markets/items",
            f"/ogcapi/collections/markets/items/{zone.pk}"]
    before = {url: api_client.get(url)["ETag"] for url in urls}
    edited = live_client.patch(f"/api/v1/markets/{zone.pk}/",
                                {"properties": {"capacity": 55}, "reason": "扩容"},
                                format="json", HTTP_IF_MATCH='"3"')
    assert edited.status_code == 200
    for url in urls:
        response = api_client.get(url, HTTP_IF_NONE_MATCH=before[url])
        assert response.status_code == 200, url
        assert response["ETag"] != before[url]


@pytest.mark.django_db
def test_an_unpublished_feature_is_still_a_404(api_client, layers, project_factory):
    hidden = project_factory(published=False)
    for url in (f"/api/v1/projects/{hidden.pk}/",
                f"/ogcapi/collections/projects/items/{hidden.pk}"):
        assert api_client.get(url, HTTP_IF_NONE_MATCH="*").status_code == 404, url
        assert api_client.get(url).status_code == 404, url


@pytest.mark.django_db
@pytest.mark.parametrize("url", [
    "/api/v1/markets/",
    "/api/v1/markets/?open_now=true",
    "markets-detail",
    "/api/v1/markets.geojson?open_now=true",  # evaluated at the request's moment
    "/ogcapi/collections/markets/items?open_tonight=true",
])
def test_market_hours_never_answer_304(api_client, layers, url):
    # DESIGN.md: open_now changes with time; the detail's ETag is the zone's version.
    if url == "markets-detail":
        url = f"/api/v1/markets/{layers['zone'].pk}/"
    first = api_client.get(url)
    assert first.status_code == 200
    for header in (first.get("ETag") or '"3"', "*"):
        assert api_client.get(url, HTTP_IF_NONE_MATCH=header).status_code == 200, header


@pytest.mark.django_db
def test_market_detail_etag_is_its_version(api_client, layers):
    assert api_client.get(f"/api/v1/markets/{layers['zone'].pk}/")["ETag"] == '"3"'


# --- If-Match on zone writes (RFC 9110 §13.1.1) -----------------------------------------------


# (If-Match, expected status, message in errors.if_match or None); the zone is at version 3.
IF_MATCH_CASES = [
    ('"3"', 200, None),
    ('"2"', 412, None),  # stale: the service's message names the current version
    ("*", 200, None),
    ('"1", "3"', 200, None),
    ('"1","2"', 412, None),
    ('W/"3"', 412, IF_MATCH_WEAK),
    ('W/"3", "3"', 200, None),  # one strong tag in the list matches
    ("3", 412, IF_MATCH_FORMAT),  # unquoted: not an entity tag
    ('"three"', 412, IF_MATCH_FORMAT),
    ('"3', 412, IF_MATCH_FORMAT),
    (None, 428, None),
]
IF_MATCH_IDS = ["matching", "stale", "star", "list-match", "list-stale", "weak",
                "weak-and-strong", "unquoted", "not-a-version", "unterminated", "missing"]


def _zone_state(pk: int) -> tuple:
    zone = MarketZone.objects.get(pk=pk)
    return zone.version, zone.status, zone.capacity, MarketZone.history.filter(id=pk).count()


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["patch", "delete"])
@pytest.mark.parametrize(("if_match", "expected", "message"), IF_MATCH_CASES, ids=IF_MATCH_IDS)
def test_if_match_on_zone_writes(live_client, layers, method, if_match, expected, message):
    zone = layers["zone"]
    before = _zone_state(zone.pk)
    headers = {} if if_match is None else {"HTTP_IF_MATCH": if_match}
    body = ({"properties": {"capacity": 60}, "reason": "扩容"} if method == "patch"
            else {"reason": "撤销"})
    response = getattr(live_client, method)(f"/api/v1/markets/{zone.pk}/", body,
                                             format="json", **headers)
    assert response.status_code == expected, response.content
    if expected == 200:
        assert response["ETag"] == '"4"'
        assert _zone_state(zone.pk)[0] == 4
        return
    assert _zone_state(zone.pk) == before  # a refused write changes nothing
    data = response.json()
    assert set(data) >= {"detail", "errors"}
    assert "if_match" in data["errors"]
    if message is not None:
        assert data["detail"] == message
        assert data["errors"]["if_match"] == [message]
    if if_match in ('"2"', '"1","2"'):
        assert data["current_version"] == 3


@pytest.mark.django_db
def test_if_match_star_on_a_missing_zone_is_404(live_client, layers):
    response = live_client.patch("/api/v1/markets/999999/", {"properties": {"capacity": 1}},
                                  format="json", HTTP_IF_MATCH="*")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "errors": {}}


# --- JSON errors under /api/ and /ogcapi/, HTML elsewhere -------------------------------------


ERROR_CASES = [
    ("get", "/api/v1/no-such-thing/", 404, "Not found."),
    ("get", "/api/nothing-here", 404, "Not found."),
    ("get", "/ogcapi/no-such-thing", 404, "Not found."),
    ("get", "/ogcapi/collections/no-such-layer/items", 404, "Not found."),
    ("post", "/ogcapi/conformance", 405, 'Method "POST" not allowed.'),
    ("delete", "/api/v1/projects/", 405, 'Method "DELETE" not allowed.'),
    ("post", "/api/v1/test-get-only/", 405, 'Method "POST" not allowed.'),
    ("post", "/ogcapi/test-get-only", 405, 'Method "POST" not allowed.'),
    ("get", "/api/v1/test-raises/", 500, "A server error occurred."),
    ("get", "/ogcapi/test-raises", 500, "A server error occurred."),
]


@pytest.mark.django_db
@pytest.mark.urls(__name__)
@pytest.mark.parametrize(("method", "url", "status", "detail"), ERROR_CASES,
                         ids=[f"{m}-{u}" for m, u, _s, _d in ERROR_CASES])
def test_api_errors_are_json(method, url, status, detail):
    client = Client(raise_request_exception=False)
    response = getattr(client, method)(url)
    assert response.status_code == status
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": detail, "errors": {}}
    if status == 405:
        assert "GET" in response["Allow"]


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_the_500_handler_does_not_touch_the_database(django_assert_num_queries):
    client = Client(raise_request_exception=False)
    with django_assert_num_queries(0):
        assert client.get("/api/v1/test-raises/").status_code == 500
        assert client.get("/test-raises/").status_code == 500


@pytest.mark.django_db
@pytest.mark.urls(__name__)
@pytest.mark.parametrize(("url", "status", "heading"), [
    ("/no-such-page/", 404, "Page not found"),
    ("/apix/", 404, "Page not found"),  # only the /api/ prefix, not every path starting "api"
    ("/test-raises/", 500, "Server error"),
])
def test_other_paths_keep_the_portal_html_pages(url, status, heading):
    response = Client(raise_request_exception=False).get(url)
    assert response.status_code == status
    assert response["Content-Type"].startswith("text/html")
    assert heading in response.content.decode()


@pytest.mark.django_db
def test_if_match_refusals_speak_chinese(live_client, layers):
    url = f"/api/v1/markets/{layers['zone'].pk}/"
    body = {"properties": {"capacity": 60}, "reason": "扩容"}
    weak = live_client.patch(url, body, format="json", HTTP_IF_MATCH='W/"3"',
                              HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert weak.status_code == 412
    assert weak.json()["detail"] == (
        '弱 ETag（W/"3"）不能用于写入校验；请发送该区域的 ETag，例如 "3"。'
    )
    malformed = live_client.patch(url, body, format="json", HTTP_IF_MATCH="3",
                                   HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert malformed.json()["detail"] == "If-Match 必须是该区域的 ETag，即版本号，例如 \"3\"。"
    missing = live_client.patch(url, body, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert missing.status_code == 428
    assert missing.json()["detail"] == (
        f"请在 If-Match 中发送您编辑的版本号（GET {url} 返回的 ETag）。"
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_error_pages_in_a_browser(page):
    """A person who mistypes a portal address gets the portal's page; an API address, JSON."""
    page.expected_console_errors.append("404")
    response = page.goto(f"{page.base_url}/no-such-page/")
    assert response.status == 404
    assert page.locator("#error-heading").inner_text() == "页面不存在"
    page.screenshot(path="/tmp/h8-html-404.png", full_page=True)
    response = page.goto(f"{page.base_url}/api/v1/no-such-thing/")
    assert response.status == 404
    assert response.headers["content-type"].startswith("application/json")
    assert json.loads(page.locator("body").inner_text()) == {"detail": "未找到。", "errors": {}}
    page.screenshot(path="/tmp/h8-api-404.png")
