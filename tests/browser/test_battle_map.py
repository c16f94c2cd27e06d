"""The battle map in Debian's Chromium: filters in the URL, light reasons in popups, reporting."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.gis.geos import Point


def _loaded(page):
    # A reload sets data-loaded=false, then true once every layer has answered.
    return page.wait_for_selector("#map-status[data-loaded=true]", state="attached")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_filter_by_department_updates_map_and_url(page, project_factory, department_factory):
    other = department_factory(code="jtj", name="交通局")
    project_factory(name="发改委项目", geom=Point(98.22, 39.76, srid=4326))
    project_factory(name="交通局项目", lead_department=other,
                    geom=Point(98.33, 39.82, srid=4326))

    page.goto(page.base_url + "/")
    _loaded(page)
    assert page.evaluate("window.portalMap.counts.projects") == 2
    page.select_option("#filter-department", "jtj")
    page.wait_for_function("() => window.portalMap.counts.projects === 1")
    assert "department=jtj" in page.url
    assert "department=jtj" in page.get_attribute("#battle-map-link", "href")

    # The shared URL restores the filtered view.
    page.goto(page.base_url + "/?department=jtj")
    page.wait_for_function(
        "() => window.portalMap && window.portalMap.params?.projects?.department")
    _loaded(page)
    assert page.evaluate("window.portalMap.counts.projects") == 1
    assert page.input_value("#filter-department") == "jtj"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_popup_shows_a_lights_reason(page, login, project_factory, user_factory):
    # Planned start March 2026, never started: as of June 2026, 3 months late -> red.
    project_factory(name="甬金金融科技", planned_start=dt.date(2026, 3, 1),
                    planned_investment_year=0, geom=Point(98.28, 39.79, srid=4326))
    login(user_factory("leaders"))

    page.goto(page.base_url + "/?as_of=2026-06")
    page.wait_for_function("() => window.portalMap && window.portalMap.params?.projects?.as_of")
    _loaded(page)
    assert page.input_value("#filter-month") == "5"  # Jan..Jun: the sixth step
    page.locator("#map path.portal-projects").first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    reason = popup.locator(".light-reasons li[data-code=start_delay]")
    assert reason.get_attribute("data-light") == "red"
    # The page is Chinese by default: the reason reads in Chinese.
    assert reason.inner_text().strip() == "较计划开工（2026-03）滞后 3 个月"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_public_popup_has_no_light(page, project_factory):
    project_factory(name="中鹏房地产", planned_start=dt.date(2026, 3, 1),
                    geom=Point(98.28, 39.79, srid=4326))
    page.goto(page.base_url + "/")
    _loaded(page)
    assert page.locator("#filter-light").count() == 0
    page.locator("#map path.portal-projects").first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "中鹏房地产" in popup.inner_text()
    assert popup.locator(".popup-light").count() == 0


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_submit_a_progress_report_and_see_the_map_change(page, login, project_factory,
                                                        user_factory, department):
    project = project_factory(name="索通盛源碳材料", geom=Point(98.28, 39.79, srid=4326))
    login(user_factory("department_staff", department=department))

    page.goto(page.base_url + "/?stage=construction")
    page.wait_for_function("() => window.portalMap && window.portalMap.params?.projects?.stage")
    _loaded(page)
    assert page.evaluate("window.portalMap.counts.projects") == 0

    page.goto(f"{page.base_url}/projects/{project.pk}/")
    page.fill("#id_month", "2026-06")
    page.select_option("#id_stage", "construction")
    page.fill("#id_completed_investment", "1500")
    page.fill("#id_percent_complete", "25")
    page.fill("#id_actual_start", "2026-06-10")
    page.click("#report-form button[type=submit]")
    page.wait_for_selector(".message-success")
    assert "1,500 万元" in page.inner_text("#reports-table")

    page.goto(page.base_url + "/?stage=construction")
    page.wait_for_function("() => window.portalMap && window.portalMap.params?.projects?.stage")
    _loaded(page)
    assert page.evaluate("window.portalMap.counts.projects") == 1
    page.locator("#map path.portal-projects").first.click()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "1,500 万元 / 4,000 万元 (37.5%)" in popup.inner_text()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_detail_page_map_and_chart_and_dashboard_sorting(page, login, project_factory,
                                                        user_factory, department_factory):
    other = department_factory(code="jtj", name="交通局")
    project = project_factory(name="市一院传染病区", stage="construction",
                              actual_start=dt.date(2026, 3, 5))
    project_factory(lead_department=other)
    project_factory(lead_department=other)
    login(user_factory("leaders"))

    page.goto(f"{page.base_url}/projects/{project.pk}/")
    page.wait_for_selector("#detail-map[data-ready=true]")
    page.wait_for_selector("#investment-chart[data-ready=true]")

    page.goto(page.base_url + "/dashboard/")
    page.wait_for_selector("#by-department[data-sortable=ready]")
    first = "#by-department tbody tr:first-child th"
    assert page.inner_text(first) == "发改委"  # by code: fgw before jtj
    header = page.locator("#by-department thead th").nth(1).locator("button")
    header.click()  # projects ascending: 发改委 (1) first
    header.click()  # descending: 交通局 (2) first
    assert page.inner_text(first) == "交通局"
    assert page.get_attribute("#by-department thead th:nth-child(2)", "aria-sort") == "descending"
