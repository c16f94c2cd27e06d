"""The map's feature list (issue 16 item 6): reached by keyboard, follows the filters."""

from __future__ import annotations

import pytest

from tests.conftest import square


@pytest.fixture
def sites(project_factory, livelihood_factory, zone_factory):
    project_factory(name="甬金金融科技项目", stage="construction")
    project_factory(name="索通盛源碳材料项目", stage="preparation", geom="POINT(98.30 39.80)")
    livelihood_factory(name="五一路道路提升改造")
    zone_factory(name="大唐路夜市", boundary=square(98.31, 39.81))


def _rows(page) -> list[tuple[str, str]]:
    return [
        tuple(row)
        for row in page.eval_on_selector_all(
            "#feature-list tbody tr",
            "rows => rows.map(r => [r.querySelector('th').textContent, r.cells[1].textContent])",
        )
    ]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_feature_list_by_keyboard_and_filters(page, sites):
    page.goto(page.base_url + "/")
    page.wait_for_selector("#map-status[data-loaded=true]", state="attached")
    summary = page.locator("#feature-list summary")
    assert summary.inner_text() == "要素列表 （4）"
    # Keyboard only: Tab until the list's summary has the focus, open it with Enter.
    for _step in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.matches('#feature-list summary')"):
            break
    else:
        pytest.fail("the feature list is not reachable with Tab")
    page.keyboard.press("Enter")
    assert page.locator("#feature-list").get_attribute("open") == ""
    assert _rows(page) == [
        ("甬金金融科技项目", "重点项目"),
        ("索通盛源碳材料项目", "重点项目"),
        ("五一路道路提升改造", "民生项目"),
        ("大唐路夜市", "集市区域"),
    ]
    # The next Tab reaches the first feature's link, which leads to its page.
    page.keyboard.press("Tab")
    href = page.evaluate("() => document.activeElement.getAttribute('href')")
    assert href.startswith("/projects/")

    # A filter in the address (as the filter panel writes it): the list follows.
    page.goto(page.base_url + "/?stage=construction")
    page.wait_for_selector("#map-status[data-loaded=true]", state="attached")
    page.wait_for_function(
        "() => document.querySelector('#feature-list')?.dataset.count !== undefined"
    )
    names = [name for name, _layer in _rows(page)]
    assert "甬金金融科技项目" in names
    assert "索通盛源碳材料项目" not in names
