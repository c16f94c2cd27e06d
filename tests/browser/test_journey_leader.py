"""The leader's journey, from the login form: the dashboard, the red lights on the map and why,
the printable battle map downloaded and opened from disk with the network off."""

from __future__ import annotations

import re

import pytest

from tests.browser.offline import check_layout, offline_page, open_file
from tests.conftest import DEMO_PASSWORD

# fixtures/generate.py asserts the demo city's plan holds exactly 155 projects.
DEMO_PROJECTS = 155


@pytest.fixture
def file_page(browser):
    with offline_page(browser) as pg:
        yield pg


def _map_loaded(page) -> None:
    page.wait_for_selector("#map-status[data-loaded=true]", state="attached")


def _watch(popup, errors: list[str]) -> None:
    """Report the opened tab's console and page errors into the journey's error list."""
    popup.on("console", lambda msg: errors.append(f"popup console: {msg.text}")
             if msg.type == "error" else None)
    popup.on("pageerror", lambda exc: errors.append(f"popup page error: {exc}"))


def _download_battle_map(page) -> str:
    """Click the map's printable-battle-map link; return the HTML the new tab received."""
    link = page.locator("#battle-map-link")
    with page.context.expect_event(
        "response", lambda r: "/export/battle-map.html" in r.url
    ) as response_info, page.expect_popup() as popup_info:
        link.click()
    response = response_info.value
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/html")
    popup = popup_info.value
    _watch(popup, page.console_errors)
    # The tab shows the map as well as the file will (served here over http).
    popup.wait_for_function("() => window.battleMap && window.battleMap.count !== undefined")
    html = response.text()
    popup.close()
    return html


def _click_visible_feature(page, selector: str) -> None:
    """Click a drawn feature that nothing (filter panel, other markers) covers."""
    index = page.evaluate("""(selector) => {
        const paths = [...document.querySelectorAll(selector)];
        return paths.findIndex((p) => {
            const r = p.getBoundingClientRect();
            const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);
            return hit === p;
        });
    }""", selector)
    assert index >= 0, f"every {selector} is covered"
    page.locator(selector).nth(index).click()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_leader_journey(page, signin, demo_city, file_page, tmp_path):
    landed = signin("leader", DEMO_PASSWORD)
    assert landed == page.base_url + "/dashboard/"

    # The dashboard's red count links to the map filtered to red lights.
    page.wait_for_selector("#kpi-cards")
    red = int(page.inner_text("#light-link-red"))
    assert red > 0  # the demo city has red projects (its mid-year numbers were bad)
    page.screenshot(path="/tmp/h2-dashboard.png", full_page=True)
    with page.expect_navigation():
        page.click("#light-link-red")
    assert page.url == page.base_url + "/?light=red"
    _map_loaded(page)
    assert page.evaluate("window.portalMap.counts.projects") == red
    assert page.input_value("#filter-light") == "red"

    # A red project's popup says why it is red.
    _click_visible_feature(page, "#map path.portal-projects")
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    reasons = popup.locator(".light-reasons li[data-light=red]")
    assert reasons.count() >= 1
    assert reasons.first.inner_text().strip()
    page.wait_for_timeout(300)  # the popup's fade-in, for the screenshot
    page.screenshot(path="/tmp/h2-journey-map-red.png")
    page.keyboard.press("Escape")

    # The printable map of this view: the red projects, each drawn, from the file on disk.
    assert "light=red" in page.get_attribute("#battle-map-link", "href")
    html = _download_battle_map(page)
    open_file(file_page, html, tmp_path / "battle-map-red.html")
    assert file_page.evaluate("window.battleMap.counts.projects") == red
    assert file_page.locator("path.bm-projects").count() == red
    assert file_page.title() == "重点项目挂图作战图"
    heading = file_page.inner_text(".bm-title")
    assert re.search(r"数据截至 \d{4}年\d{1,2}月\d{1,2}日", heading)
    assert "筛选条件：状态灯：红灯" in heading  # a printed page says it is not the whole city
    check_layout(file_page)
    file_page.screenshot(path="/tmp/h2-journey-file-red.png")

    # Clear the filters: the printable map of the whole city draws all 155 projects.
    with page.expect_response(lambda r: "/api/v1/projects" in r.url):
        page.click(".map-filters button[type=reset]")
    page.wait_for_function(f"() => window.portalMap.counts.projects === {DEMO_PROJECTS}")
    assert "light=" not in (page.get_attribute("#battle-map-link", "href") or "")
    works = page.evaluate("window.portalMap.counts.livelihood")
    html = _download_battle_map(page)
    open_file(file_page, html, tmp_path / "battle-map.html")
    assert file_page.evaluate("window.battleMap.counts") == {
        "projects": DEMO_PROJECTS, "works": works}
    assert file_page.locator("path.bm-projects").count() == DEMO_PROJECTS
    check_layout(file_page)
    file_page.screenshot(path="/tmp/h2-journey-file-all.png")

    # Its popups carry the light's reason for staff.
    _click_visible_feature(file_page, "path.bm-projects")
    file_popup = file_page.locator(".leaflet-popup-content")
    file_popup.wait_for()
    assert file_popup.locator(".bm-reasons li").count() >= 1
