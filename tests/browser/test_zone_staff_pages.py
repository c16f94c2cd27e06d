"""The staff zone list, the zone import after a rejected dry run and the detail page's staff
links, at desktop and phone widths, in Debian's Chromium (force_login: not a journey)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import square

SHOTS = "/tmp/h4"
SIZES = [(1280, 900), (390, 844)]


WIDER = """(limit) => [...document.querySelectorAll("body *")]
    .filter((el) => el.getBoundingClientRect().right > limit + 0.5)
    .slice(0, 5)
    .map((el) => `${el.tagName}#${el.id}.${el.className} ${el.getBoundingClientRect().right}`)"""


def _no_sideways_scroll(page) -> None:
    width = page.viewport_size["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.evaluate(
        WIDER, width
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("width", "height"), SIZES)
def test_staff_list_filter_and_links(page, login, user_factory, city, zone_factory, width,
                                     height):
    zone_factory(name="大唐路夜市街", kind="night_market", boundary=square(98.26, 39.79))
    zone_factory(name="拟设集市", status="proposed", boundary=square(98.27, 39.79))
    retired = zone_factory(name="已撤销的跳蚤市场", kind="flea", status="retired",
                           boundary=square(98.28, 39.79))
    login(user_factory("urban_management"))
    page.set_viewport_size({"width": width, "height": height})
    page.goto(page.base_url + "/staff/markets/")
    assert page.locator("#staff-zones tr[data-zone]").count() == 2
    _no_sideways_scroll(page)
    page.screenshot(path=f"{SHOTS}/staff-list-{width}.png", full_page=True)

    page.get_by_label("状态").select_option(label="已撤销")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url("**/staff/markets/?status=retired")
    row = page.locator("#staff-zones tr[data-zone]")
    assert row.count() == 1
    # Restore is reachable by clicking: the retired zone's editor offers the restore button.
    row.get_by_role("link", name="编辑边界").click()
    page.wait_for_url(f"**/staff/markets/{retired.pk}/edit/")
    page.wait_for_selector("#editor-status[data-version='1']", state="attached")
    assert page.locator("#restore-button").is_visible()
    assert page.locator("#f-status").input_value() == "retired"
    page.screenshot(path=f"{SHOTS}/editor-retired-{width}.png", full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("width", "height"), SIZES)
def test_import_page_after_a_rejected_dry_run(page, login, user_factory, city, department,
                                              tmp_path, width, height):
    login(user_factory("urban_management", department=department))
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"name": "大唐路夜市", "kind": "night_market"},
         "geometry": json.loads(square(98.30, 39.80)[0].json)},
        # Outside the city: rejected.
        {"type": "Feature", "properties": {"name": "城外集市", "kind": "flea"},
         "geometry": json.loads(square(100.0, 39.80)[0].json)},
    ]}
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    page.set_viewport_size({"width": width, "height": height})
    page.goto(page.base_url + "/staff/markets/import/")
    page.locator("#import-file").set_input_files(str(path))
    # The load event, not only the report's element: measured before the stylesheet applied,
    # the unstyled page was 400 px wide (seen once in CI).
    with page.expect_navigation(wait_until="load"):
        page.get_by_role("button", name="试运行").click()
    page.wait_for_selector("#import-report")
    assert page.locator("#import-report tr[data-action=rejected]").count() == 1
    assert page.get_by_role("button", name="应用").count() == 0
    blocked = page.locator("#import-blocked")
    assert blocked.is_visible()
    assert "zones.geojson 不能应用：有 1 行被拒绝" in blocked.text_content()
    _no_sideways_scroll(page)
    page.screenshot(path=f"{SHOTS}/import-rejected-{width}.png", full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("width", "height"), SIZES)
def test_detail_page_staff_links_for_urban_management(page, login, user_factory, city,
                                                      zone_factory, width, height):
    zone = zone_factory(name="悦西市美食街", kind="food_street")
    login(user_factory("urban_management"))
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{page.base_url}/markets/{zone.pk}/")
    links = page.locator("#staff-links a")
    assert links.all_text_contents() == ["编辑边界", "历史记录", "编辑规则"]
    _no_sideways_scroll(page)
    page.screenshot(path=f"{SHOTS}/detail-staff-links-{width}.png")
    page.get_by_role("link", name="历史记录").click()
    page.wait_for_url(f"**/staff/markets/{zone.pk}/history/")
    page.wait_for_selector("#history-map[data-ready=true]", state="attached")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_long_account_name_does_not_widen_a_phone_page(page, login, user_factory, city):
    # The header's name, "change password" and "log out" sat on one line that could not wrap:
    # a long account name pushed the page wider than a phone.
    name = "urban_management_of_the_suzhou_district_office_2026"
    login(user_factory("urban_management", username=name))
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/staff/markets/import/", "/staff/markets/", "/markets/"):
        page.goto(page.base_url + path)
        assert page.locator(".user-name").is_visible()
        _no_sideways_scroll(page)
    page.screenshot(path=f"{SHOTS}/long-account-name-390.png", full_page=True)
