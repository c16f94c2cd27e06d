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
@pytest.mark.parametrize("query", ["?as_of=2026-13", "?department=nosuch", "?stage=x",
                                   "?programme=x", "?milestone_light=red"])
def test_export_bad_filters_are_400(query):
    assert Client().get(f"/export/battle-map.html{query}").status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["?light=red", "?milestone_light=late"])
def test_export_light_filter_is_staff_only(query):
    assert Client().get(f"/export/battle-map.html{query}").status_code == 403


@pytest.mark.django_db
@pytest.mark.parametrize(("query", "shown"), [
    ("?programme=municipal", True),
    ("?programme=provincial", False),
    # No milestones, not completed: on time (sites.selectors.with_milestone_light).
    ("?milestone_light=on_time", True),
    ("?milestone_light=late", False),
])
def test_export_takes_the_works_filters_of_the_map_page(projects, user_factory, query, shown):
    # The map page's export link carries the works' filters under the page's names.
    client = Client()
    client.force_login(user_factory("leaders"))
    text = _get(client, query)
    assert ("城市燃气管道老化更新" in text) is shown
    assert "甬金金融科技" in text  # the projects' layer does not take these filters


def _title(text: str) -> str:
    match = re.search(r"<title>(.*?)</title>", text, re.S)
    assert match, "no <title>"
    return match[1].strip()


@pytest.mark.django_db
@pytest.mark.parametrize("staff", [False, True])
def test_export_names_no_outside_host(projects, user_factory, staff):
    client = Client()
    if staff:
        client.force_login(user_factory("leaders"))
    text = _get(client)
    assert set(re.findall(r"https?://[^\s\"'<>)]*", text, re.I)) <= ALLOWED
    # Nothing is loaded from anywhere: every script and style is inline.
    assert not re.search(r"<script[^>]*\ssrc=", text, re.I)
    assert not re.search(r"<link[^>]*\shref=", text, re.I)
    # folium's popups need jQuery; this file draws with plain Leaflet.
    assert "$(`" not in text
    assert "L.geoJSON(" in text


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "title", "as_of"), [
    ("zh-hans", "重点项目挂图作战图", "数据截至 2026年6月30日"),
    ("en", "Key projects battle map", "data as of 30 June 2026"),
])
def test_export_title_and_heading_in_the_ui_language(projects, language, title, as_of):
    text = _get(Client(HTTP_ACCEPT_LANGUAGE=language), "?as_of=2026-06")
    assert _title(text) == title
    assert f"<h1>{title}</h1>" in text
    # 2 projects and 1 work in the fixture; June's data is as of its last day.
    assert as_of in text
    assert f"<html lang='{language}'>" in text


@pytest.mark.django_db
def test_export_chinese_by_default(projects):
    assert _title(_get(Client())) == "重点项目挂图作战图"


@pytest.mark.django_db
def test_export_legend_per_audience(projects, user_factory):
    public = _get(Client(HTTP_ACCEPT_LANGUAGE="en"))
    assert "Key projects: stage" in public
    assert "Key projects: status light" not in public
    assert "milestone progress" not in public
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user_factory("leaders"))
    staff = _get(client)
    assert "Key projects: status light" in staff
    assert "Livelihood works: milestone progress" in staff
    # The scale bar is metric only.
    assert "imperial: false" in staff


@pytest.mark.django_db
def test_export_states_its_filters(projects):
    text = _get(Client(HTTP_ACCEPT_LANGUAGE="en"),
                "?department=jtj&stage=preparation&programme=provincial")
    assert ("Filters: Lead department: 交通局 · Stage: Preparation · "
            "Programme: Provincial practical matter") in text
    chinese = _get(Client(), "?department=jtj")
    assert "筛选条件：牵头单位：交通局" in chinese
    assert "Filters:" not in _get(Client(HTTP_ACCEPT_LANGUAGE="en"))


@pytest.mark.django_db
def test_export_counts_unplaced_projects_off_the_map(projects, project_factory):
    project_factory(name="待落图项目", geom=None)
    text = _get(Client(HTTP_ACCEPT_LANGUAGE="en"))
    assert "Key projects: 2 · livelihood works: 1" in text
    assert "not yet placed (not on the map): 1" in text
    assert "待落图项目" not in text


@pytest.mark.django_db
def test_export_escapes_the_search_text(projects):
    # The search is echoed in the heading's filter line; names go into popups and JSON.
    text = _get(Client(), "?q=" + "</script><b id=x>甬金")
    assert "</script><b id=x>" not in text
    assert "&lt;/script&gt;&lt;b id=x&gt;甬金" in text


@pytest.mark.django_db
def test_export_escapes_names_in_popups_and_data(projects, project_factory):
    project_factory(name="<img src=x onerror=alert(1)></script>")
    text = _get(Client())
    assert "<img src=x" not in text
    assert "</script>\"" not in text
    assert "\\u003cimg" not in text  # not even as data a tooltip would set as HTML
    # The popup HTML is escaped, then carried in a JSON string with "<" written \u003c.
    assert "&lt;img src=x onerror=alert(1)&gt;" in text


@pytest.mark.django_db
def test_head_is_answered_like_get():
    # RFC 9110 §9.3.2: HEAD is GET without the body (a link checker or a proxy asks it).
    client = Client()
    assert client.head("/export/battle-map.html").status_code == 200
    assert client.head("/dashboard/").status_code == 302  # to the login page, as GET
    assert client.post("/export/battle-map.html").status_code == 405


@pytest.mark.django_db
def test_a_light_is_not_told_by_colour_alone(projects, user_factory):
    # The late project (planned start 2026-03, nothing reported by 2026-06) is red: its dot has
    # the dotted outline, and the legend pairs each colour with an outline style and a symbol.
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user_factory("leaders"))
    # The legend sits in a script string, its "<" escaped as \u003c.
    text = _get(client, "?as_of=2026-06").replace("\\u003c", "<")
    rows = re.findall(
        r"<li><span class='bm-swatch bm-lit' style='background:(#[0-9a-f]{6});"
        r"border-style:(\w+)'></span><span class='bm-symbol' style='color:#[0-9a-f]{6}' "
        r"aria-hidden='true'>(.)</span>([^<]+)</li>",
        text,
    )
    assert rows == [
        ("#188038", "solid", "✓", "Green"),
        ("#f9ab00", "dashed", "!", "Yellow"),
        ("#b3261e", "dotted", "✕", "Red"),
    ]
    assert re.search(r'"dash": "1\.5 2\.5"', text)
    # Livelihood works likewise: a ring per milestone progress, with its outline and symbol.
    works = re.findall(
        r"<li><span class='bm-swatch bm-ring bm-lit' style='border-color:(#[0-9a-f]{6});"
        r"background:#fff;border-style:(\w+)'></span><span class='bm-symbol' "
        r"style='color:#[0-9a-f]{6}' aria-hidden='true'>(.)</span>([^<]+)</li>",
        text,
    )
    assert works == [
        ("#188038", "solid", "✓", "On time"),
        ("#f9ab00", "dashed", "!", "Late"),
        ("#1a62c9", "dotted", "◆", "Done"),
    ]
    # The public map colours by stage: no light outlines there.
    assert '"dash"' not in _get(Client(HTTP_ACCEPT_LANGUAGE="en"))


def _feature_rows(text: str) -> list[list[str]]:
    table = re.search(r"<details class='bm-features'>.*?</details>", text, re.S).group(0)
    rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
    return [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row) for row in rows]


@pytest.mark.django_db
def test_export_lists_its_features_in_a_table_that_follows_the_filters(projects, user_factory):
    public = _feature_rows(_get(Client(HTTP_ACCEPT_LANGUAGE="en")))
    assert public[0] == ["Name", "Layer", "Stage or status", "Lead department"]
    assert sorted(row[:2] for row in public[1:]) == [
        ["中鹏房地产", "Key projects"],
        ["城市燃气管道老化更新", "Livelihood works"],
        ["甬金金融科技", "Key projects"],
    ]
    staff = Client(HTTP_ACCEPT_LANGUAGE="en")
    staff.force_login(user_factory("leaders"))
    rows = _feature_rows(_get(staff, "?department=jtj&as_of=2026-06"))
    assert rows[0][-1] == "Status light"
    assert [row[0] for row in rows[1:] if row[1] == "Key projects"] == ["中鹏房地产"]
    assert all(row[-1] in {"Green", "Yellow", "Red", "No light"} for row in rows[1:]), rows
