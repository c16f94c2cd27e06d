"""The printable battle map opened as a leader opens it: a downloaded file, file://, offline."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import GEOSGeometry, Point
from django.test import Client

from tests.browser.offline import check_layout, offline_page, open_file


def legend_lines(page) -> list[str]:
    return [line.strip() for line in page.inner_text(".bm-legend").split("\n") if line.strip()]


@pytest.fixture
def file_page(browser):
    with offline_page(browser) as pg:
        yield pg


@pytest.fixture
def city_sites(project_factory, livelihood_factory, department_factory):
    """Two points (one red), one area, a road; one project of another department.

    No investment planned this year, so only the start rule can change a light (as of 2026-06:
    the March start is 3 months late -> red; the August and September starts are not due:
    green).
    """
    other = department_factory(code="jtj", name="交通局")
    # Planned start March 2026, never started: as of June 2026, 3 months late -> red.
    project_factory(name="甬金金融科技", planned_start=dt.date(2026, 3, 1),
                    planned_investment_year=0, geom=Point(98.24, 39.77, srid=4326))
    project_factory(name="索通盛源碳材料", planned_start=dt.date(2026, 8, 1),
                    planned_investment_year=0, geom=Point(98.32, 39.81, srid=4326))
    project_factory(name="中鹏房地产", lead_department=other, planned_start=dt.date(2026, 9, 1),
                    planned_investment_year=0,
                    geom=GEOSGeometry(
                        "MULTIPOLYGON(((98.28 39.79,98.29 39.79,98.29 39.80,98.28 39.79)))",
                        srid=4326))
    livelihood_factory(name="城市燃气管道老化更新")


def _export(client: Client, query: str = "") -> str:
    response = client.get(f"/export/battle-map.html{query}")
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.browser
@pytest.mark.django_db
@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 800},
                                      {"width": 390, "height": 844}])
def test_staff_file_draws_every_feature_offline(file_page, city_sites, user_factory, tmp_path,
                                                viewport):
    page = file_page
    client = Client()
    client.force_login(user_factory("leaders"))
    page.set_viewport_size(viewport)
    open_file(page, _export(client, "?as_of=2026-06"), tmp_path / "battle-map.html")

    # 3 projects + 1 livelihood work, each one Leaflet layer and one SVG path.
    assert page.evaluate("window.battleMap.counts") == {"projects": 3, "works": 1}
    assert page.evaluate("window.battleMap.count") == 4
    assert page.get_attribute(".folium-map", "data-drawn") == "4"
    assert page.locator("path.bm-projects").count() == 3
    assert page.locator("path.bm-works").count() == 1
    assert page.title() == "重点项目挂图作战图"
    assert page.inner_text(".bm-title h1") == "重点项目挂图作战图"
    assert "数据截至 2026年6月30日" in page.inner_text(".bm-title")
    # Each colour explained: projects by their light (with its symbol: never colour alone),
    # livelihood works by milestone progress (with the live map's symbols as well).
    assert legend_lines(page) == [
        "重点项目：状态灯", "✓绿灯", "!黄灯", "✕红灯", "民生项目：节点进度", "✓按期", "!滞后",
        "◆已完成"]
    check_layout(page)
    if viewport["width"] == 390:
        page.screenshot(path="/tmp/h2-printmap-staff-390.png")
    else:
        page.screenshot(path="/tmp/h2-printmap-staff.png")

    # The red project's popup says why it is red, in Chinese.
    page.locator("path.bm-projects[fill='#b3261e']").click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "甬金金融科技" in popup.inner_text()
    reason = popup.locator(".bm-reasons li[data-code=start_delay]")
    assert reason.get_attribute("data-light") == "red"
    assert reason.inner_text().strip() == "较计划开工（2026-03）滞后 3 个月"
    # Leaflet pans the map until the whole popup is on screen, on a phone too.
    page.wait_for_function("""() => {
        const r = document.querySelector(".leaflet-popup").getBoundingClientRect();
        return r.left >= 0 && r.top >= 0 && r.right <= innerWidth && r.bottom <= innerHeight;
    }""")
    page.wait_for_timeout(300)  # the fade-in
    if viewport["width"] == 390:
        page.screenshot(path="/tmp/h2-printmap-staff-popup-390.png")


@pytest.mark.browser
@pytest.mark.django_db
def test_public_file_draws_the_filtered_view_in_english(file_page, city_sites, tmp_path):
    page = file_page
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    open_file(page, _export(client, "?department=jtj"), tmp_path / "battle-map.html")

    # The department filter keeps 中鹏房地产 (an area); the road belongs to 发改委.
    assert page.evaluate("window.battleMap.counts") == {"projects": 1, "works": 0}
    assert page.locator("path.bm-projects").count() == 1
    assert page.title() == "Key projects battle map"
    assert "Filters: Lead department: 交通局" in page.inner_text(".bm-title")
    legend = page.inner_text(".bm-legend")
    assert "Key projects: stage" in legend
    assert "light" not in legend.lower()
    check_layout(page)
    page.screenshot(path="/tmp/h2-printmap-public-en.png")
    page.locator("path.bm-projects").click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "中鹏房地产" in popup.inner_text()
    assert popup.locator(".bm-reasons").count() == 0
    assert "Status light" not in popup.inner_text()


@pytest.mark.browser
@pytest.mark.django_db
def test_public_file_in_chinese_on_a_phone(file_page, city_sites, tmp_path):
    page = file_page
    page.set_viewport_size({"width": 390, "height": 844})
    open_file(page, _export(Client()), tmp_path / "battle-map.html")
    assert page.evaluate("window.battleMap.count") == 4
    assert page.title() == "重点项目挂图作战图"
    assert legend_lines(page) == [
        "重点项目：建设阶段", "前期", "在建", "竣工", "投运", "暂停", "民生项目"]
    check_layout(page)
    page.screenshot(path="/tmp/h2-printmap-public-390.png")
    # Hovering names the feature (text, not HTML).
    page.locator("path.bm-projects").first.hover()  # the first by code
    assert page.inner_text(".leaflet-tooltip") == "甬金金融科技"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_map_export_link_carries_both_layers_filters(page, login, city_sites, user_factory):
    login(user_factory("leaders"))
    page.goto(page.base_url + "/?light=red&programme=municipal&milestone_light=late")
    page.wait_for_selector("#map-status[data-loaded=true]", state="attached")
    href = page.get_attribute("#battle-map-link", "href")
    assert href.startswith("/export/battle-map.html?")
    for pair in ("light=red", "programme=municipal", "milestone_light=late"):
        assert pair in href, href
