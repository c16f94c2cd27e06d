"""Cache-Control and Vary (geo/cache_headers.py): public copies of anonymous answers only."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from geo.cache_headers import LAYERS, MARKETS, freshness_for

MARKETS_PUBLIC = "public, max-age=30, stale-while-revalidate=30"
LAYERS_PUBLIC = "public, max-age=60, stale-while-revalidate=60"
PERSONAL = "private, no-store"


@pytest.fixture
def public_urls(project_factory, livelihood_factory, zone_factory, city):
    """(url, the Cache-Control an anonymous visitor gets) for every public page and API."""
    project = project_factory(name="甲项目")
    work = livelihood_factory(name="背街小巷")
    zone = zone_factory(name="新华路夜市")
    return [
        ("/", LAYERS_PUBLIC),
        ("/markets/", MARKETS_PUBLIC),
        (f"/markets/{zone.pk}/", MARKETS_PUBLIC),
        ("/api/v1/markets/", MARKETS_PUBLIC),
        (f"/api/v1/markets/{zone.pk}/", MARKETS_PUBLIC),
        ("/api/v1/markets/?at=2026-06-05T19:00", MARKETS_PUBLIC),
        ("/api/v1/projects/", LAYERS_PUBLIC),
        (f"/api/v1/projects/{project.pk}/", LAYERS_PUBLIC),
        ("/api/v1/livelihood/", LAYERS_PUBLIC),
        (f"/api/v1/livelihood/{work.pk}/", LAYERS_PUBLIC),
        ("/api/v1/stats/", LAYERS_PUBLIC),
        ("/ogcapi/", LAYERS_PUBLIC),
        ("/ogcapi/collections/projects/items?limit=10", LAYERS_PUBLIC),
        ("/ogcapi/collections/markets/items", MARKETS_PUBLIC),
    ]


def _vary(response) -> set[str]:
    return {part.strip() for part in response.get("Vary", "").split(",") if part.strip()}


@pytest.mark.django_db
def test_anonymous_answers_are_public_with_vary(public_urls):
    client = Client()
    for url, expected in public_urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == expected, url
        assert {"Cookie", "Accept-Language"} <= _vary(response), url
        # The same for everyone: no cookie is set (no CSRF token in the language form).
        assert not response.cookies, (url, list(response.cookies))
        assert "csrfmiddlewaretoken" not in response.content.decode(), url


@pytest.mark.django_db
def test_head_is_public_too(public_urls):
    response = Client().head("/markets/")
    assert response.status_code == 200
    assert response["Cache-Control"] == MARKETS_PUBLIC


@pytest.mark.django_db
def test_signed_in_staff_answers_are_private_no_store(public_urls, user_factory):
    client = Client()
    client.force_login(user_factory("urban_management"))
    for url, _public in public_urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == PERSONAL, url


@pytest.mark.django_db
def test_token_answers_are_private_no_store(public_urls, user_factory):
    token = Token.objects.create(user=user_factory("project_office"))
    client = Client(HTTP_AUTHORIZATION=f"Token {token.key}")
    for url, _public in public_urls:
        if not url.startswith(("/api/", "/ogcapi/")):
            continue  # tokens authenticate the API only
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == PERSONAL, url


@pytest.mark.django_db
def test_a_session_cookie_alone_makes_the_answer_private(public_urls):
    # An expired or made-up session is anonymous to Django, but nginx bypasses its cache for
    # any session cookie: the answer must not be marked shareable either.
    client = Client()
    client.cookies["sessionid"] = "not-a-session"
    response = client.get("/api/v1/markets/")
    assert response.status_code == 200
    assert response["Cache-Control"] == PERSONAL


@pytest.mark.django_db
def test_an_unknown_authorization_header_is_never_public(public_urls):
    response = Client(HTTP_AUTHORIZATION="Token nope").get("/api/v1/markets/")
    assert response.status_code == 403  # DRF: session authentication first, so no challenge
    assert response["Cache-Control"] == PERSONAL


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/accounts/login/", "/dashboard/", "/staff/markets/"])
def test_pages_that_are_not_public_are_never_marked_public(url):
    response = Client().get(url)
    assert "public" not in response.get("Cache-Control", "")


@pytest.mark.django_db
def test_the_login_form_sets_a_cookie_and_is_private():
    response = Client().get("/accounts/login/")
    assert response.status_code == 200
    assert "csrftoken" in response.cookies
    cache_control = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= cache_control


@pytest.mark.django_db
def test_downloads_keep_their_own_cache_control(public_urls):
    response = Client().get("/api/v1/projects.csv")
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=60"


@pytest.mark.django_db
def test_errors_and_writes_are_not_marked_public(public_urls):
    bad = Client().get("/api/v1/projects/?bbox=1,2,3")
    assert bad.status_code == 400
    assert "Cache-Control" not in bad
    post = Client().post("/api/v1/projects/", {}, content_type="application/json")
    assert post.status_code in (401, 403, 405)
    assert "public" not in post.get("Cache-Control", "")


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/markets/", MARKETS),
        ("/markets/12/", MARKETS),
        ("/markets/12/edit/", None),
        ("/api/v1/markets/12/history/", None),
        ("/api/v1/markets/12/reports/", None),
        ("/api/v1/reports/ABCD1234/", None),
        ("/api/v1/projects/3/history/", None),
        ("/api/v1/markets.geojson", MARKETS),
        ("/api/v1/projects/", LAYERS),
        ("/api/v1/stats/", LAYERS),
        ("/api/v1/stats/extra", None),
        ("/ogcapi/collections/markets/items", MARKETS),
        ("/ogcapi/collections/projects/items", LAYERS),
        ("/staff/markets/", None),
        ("/dashboard/", None),
        ("/", LAYERS),
    ],
)
def test_freshness_by_path(path, expected):
    assert freshness_for(path) == expected


def test_market_answers_are_kept_at_most_a_minute():
    # Market status changes on the minute (issue 14): a copy older than 60 s could be wrong.
    assert MARKETS.max_age + MARKETS.stale_while_revalidate <= 60


@pytest.mark.django_db
def test_market_bodies_say_when_they_were_computed(zone_factory):
    zone = zone_factory(name="新华路夜市")
    client = Client()
    listing = client.get("/api/v1/markets/?at=2026-06-05T19:00").json()
    assert listing["features"][0]["properties"]["evaluated_at"] == "2026-06-05T19:00:00+08:00"
    detail = client.get(f"/api/v1/markets/{zone.pk}/?at=2026-06-05T19:00").json()
    assert detail["properties"]["evaluated_at"] == "2026-06-05T19:00:00+08:00"
    page = client.get("/markets/?at=2026-06-05T19:00").content.decode()
    assert "2026年6月5日 19:00" in page  # in prose (issue 16); the body keeps ISO 8601


@pytest.mark.django_db
def test_staff_edit_is_on_the_public_answer_at_once(zone_factory, user_factory):
    # No copy is kept inside the application: the next anonymous request sees the edit (the
    # nginx test bounds the edge copy by max-age).
    zone = zone_factory(name="新华路夜市", contact="0937-1111111")
    anonymous = Client()
    assert anonymous.get(f"/api/v1/markets/{zone.pk}/").json()["properties"]["contact"] == (
        "0937-1111111"
    )
    zone.contact = "0937-2222222"
    zone.save()
    assert anonymous.get(f"/api/v1/markets/{zone.pk}/").json()["properties"]["contact"] == (
        "0937-2222222"
    )


@pytest.mark.django_db
def test_visitors_switch_language_without_a_csrf_token():
    # The public pages carry no token (to be cacheable), so the switch must work without one.
    client = Client(enforce_csrf_checks=True)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/markets/"})
    assert response.status_code == 302
    assert response["Location"] == "/markets/"
    assert response.cookies["django_language"].value == "en"
    assert client.get("/markets/")["Content-Language"] == "en"
