"""Public pages kept per version for anonymous visitors (geo/page_cache.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.utils import timezone

from geo.page_cache import anonymous_page
from markets.models import Closure
from markets.schedule import TZ
from markets.selectors import ZONE_SOURCES


def _states(response) -> str:
    body = response.content.decode()
    return "open" if 'data-open-now="true"' in body else "closed"


@pytest.fixture
def clock(monkeypatch):
    def at(hour: int, minute: int, second: int = 0) -> None:
        moment = dt.datetime(2026, 6, 5, hour, minute, second, tzinfo=TZ)
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return at


@pytest.mark.django_db
def test_anonymous_page_is_rendered_once_a_minute(
    zone_factory, clock, django_assert_max_num_queries
):
    zone_factory(name="大唐路夜市", opening_hours="Mo-Su 18:00-19:31")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    clock(19, 30, 5)
    first = client.get("/markets/")
    assert _states(first) == "open"
    clock(19, 30, 50)
    with django_assert_max_num_queries(1):  # the data's version
        again = client.get("/markets/")
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert "geolocation=(self)" in again["Permissions-Policy"]  # the view's own header, kept
    clock(19, 31, 10)  # the same data, the next minute: the market has closed
    assert _states(client.get("/markets/")) == "closed"


@pytest.mark.django_db
def test_anonymous_page_follows_every_write(zone_factory, clock):
    zone = zone_factory(name="大唐路夜市", opening_hours="Mo-Su 18:00-22:00")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    clock(19, 30, 5)
    assert _states(client.get("/markets/")) == "open"
    Closure.objects.create(
        zone=zone,
        start=dt.datetime(2026, 6, 5, 19, 0, tzinfo=TZ),
        end=dt.datetime(2026, 6, 5, 23, 0, tzinfo=TZ),
        reason="暴雨预警",
    )
    clock(19, 30, 6)
    assert _states(client.get("/markets/")) == "closed"


@pytest.mark.django_db
def test_a_signed_in_user_neither_gets_nor_fills_the_anonymous_page(zone_factory, user_factory):
    zone_factory(name="大唐路夜市")
    staff = Client(HTTP_ACCEPT_LANGUAGE="en")
    staff.force_login(user_factory("urban_management", username="zhang"))
    public = Client(HTTP_ACCEPT_LANGUAGE="en")

    signed_in = staff.get("/markets/").content.decode()
    assert "zhang" in signed_in
    anonymous = public.get("/markets/").content.decode()
    assert "zhang" not in anonymous
    assert "zhang" in staff.get("/markets/").content.decode()
    assert "zhang" not in public.get("/markets/").content.decode()


@pytest.mark.django_db
def test_a_page_with_a_csrf_token_or_a_cookie_or_an_error_is_never_kept():
    calls = []

    @anonymous_page("test-form", ZONE_SOURCES)
    def form_page(request):
        calls.append("form")
        return HttpResponse(f'<input name="csrfmiddlewaretoken" value="{get_token(request)}">')

    @anonymous_page("test-cookie", ZONE_SOURCES)
    def cookie_page(request):
        calls.append("cookie")
        response = HttpResponse("hello")
        response.set_cookie("seen", "1")
        return response

    @anonymous_page("test-400", ZONE_SOURCES)
    def bad_page(request):
        calls.append("400")
        return HttpResponse("bad", status=400)

    @anonymous_page("test-plain", ZONE_SOURCES)
    def plain_page(request):
        calls.append("plain")
        return HttpResponse("same for all")

    for view in (form_page, cookie_page, bad_page, plain_page):
        for _ in range(2):
            request = RequestFactory().get("/x/")
            request.user = AnonymousUser()
            view(request)
    assert calls == ["form", "form", "cookie", "cookie", "400", "400", "plain"]


@pytest.mark.django_db
def test_the_market_page_is_kept_per_zone_and_follows_a_closure(zone_factory, clock,
                                                                django_assert_max_num_queries):
    zone = zone_factory(name="大唐路夜市", opening_hours="Mo-Su 18:00-22:00")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    clock(19, 30, 5)
    first = client.get(f"/markets/{zone.pk}/")
    assert first.status_code == 200
    assert "大唐路夜市" in first.content.decode()
    with django_assert_max_num_queries(1):  # the data's version
        again = client.get(f"/markets/{zone.pk}/")
    assert again.content == first.content
    assert client.get(f"/markets/{zone.pk}/?at=2026-06-05T23:00").content != first.content
    Closure.objects.create(
        zone=zone, start=dt.datetime(2026, 6, 5, 19, 0, tzinfo=TZ),
        end=dt.datetime(2026, 6, 5, 23, 0, tzinfo=TZ), reason="道路施工",
    )
    assert "道路施工" in client.get(f"/markets/{zone.pk}/").content.decode()
