"""The printable battle map: self-contained (no outside host), filtered, public vs staff."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.test import Client

# Leaflet's SVG code names the SVG XML namespace; an identifier, never fetched.
ALLOWED = {"http://www.w3.org/2000/svg"}


@pytest.fixture
def projects(project_factory, department_factory, livelihood_factory):
    other = department_factory(code="jtj", name="交通局")
    late = project_factory(name="甬金金融科技", planned_start=dt.date(2026, 3, 1),
                           total_investment=Decimal("65432.10"))
    project_factory(name="中鹏房地产", lead_department=other)
    livelihood_factory(name="城市燃气管道老化更新")
    return late


def _get(client, query=""):
    response = client.get(f"/export/battle-map.html{query}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    return response.content.decode()


@pytest.mark.django_db
def test_export_is_self_contained(projects):
    text = _get(Client())
    urls = set(re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^\s\"'<>)]*", text, re.I))
    assert urls <= ALLOWED, urls - ALLOWED
    assert "L.map(" in text or "L.map (" in text
    assert "甬金金融科技" in text
    assert "城市燃气管道老化更新" in text


@pytest.mark.django_db
def test_export_public_has_no_staff_fields(projects):
    text = _get(Client(HTTP_ACCEPT_LANGUAGE="en"))
    assert "65432" not in text
    assert "months behind planned start" not in text
    assert "王副市长" not in text


@pytest.mark.django_db
def test_export_staff_has_lights_and_reasons(projects, user_factory):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user_factory("leaders"))
    text = _get(client, "?as_of=2026-06")
    assert "3 months behind planned start (2026-03)" in text
    assert "王副市长" in text


@pytest.mark.django_db
def test_export_takes_the_filters(projects):
    text = _get(Client(), "?department=jtj")
    assert "中鹏房地产" in text
    assert "甬金金融科技" not in text


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["?as_of=2026-13", "?department=nosuch", "?stage=x"])
def test_export_bad_filters_are_400(query):
    assert Client().get(f"/export/battle-map.html{query}").status_code == 400


@pytest.mark.django_db
def test_export_light_filter_is_staff_only():
    assert Client().get("/export/battle-map.html?light=red").status_code == 403
