"""The printable battle map names its main roads and river in Chinese, as the web maps do
(issue 16): opened from disk, offline, with the demo city's context layers."""

from __future__ import annotations

import pytest
from django.test import Client

from geo.demo import LoadResult, _load_context, _load_reference
from tests.browser.offline import check_layout, offline_page, open_file

# fixtures/context.geojson: 8 main roads and 1 river.
ROADS = ["五一路", "人民路", "大唐路", "新华路", "祁连大道", "胜利路", "迎宾大道", "钢城路"]


@pytest.fixture
def context(db):
    result = LoadResult()
    _load_reference(result)
    _load_context(result)


@pytest.mark.browser
@pytest.mark.django_db
@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 800}, {"width": 390, "height": 844}]
)
def test_roads_and_river_are_labelled_by_name(browser, context, tmp_path, viewport):
    html = Client().get("/export/battle-map.html").content.decode()
    with offline_page(browser, viewport=viewport) as page:
        open_file(page, html, tmp_path / "battle-map.html")
        page.wait_for_function("() => window.battleMap && window.battleMap.context > 0")
        page.wait_for_selector(".bm-road-label", state="attached")  # placed after the fit
        roads = page.locator(".bm-road-label").all_text_contents()
        if viewport["width"] >= 1024:
            assert sorted(roads) == sorted(ROADS)
            assert page.locator(".bm-river-label").all_text_contents() == ["清水河"]
        else:  # the whole city in 390 px: names that find no free place are left out
            assert set(roads) <= set(ROADS)
            assert len(roads) >= 4
        # The district names stay as they were (large, bold), in their own class.
        districts = page.locator(".bm-context-label:not(.bm-context-line-label)")
        assert sorted(districts.all_text_contents()) == sorted(
            ["关城区", "瀚海区", "祁西区", "新钢区"]
        )
        # A road's name is smaller than a district's: the eye reads districts first.
        sizes = page.evaluate("""() => [
            '.bm-road-label span', '.bm-context-label:not(.bm-context-line-label) span'
        ].map((s) => parseFloat(getComputedStyle(document.querySelector(s)).fontSize))""")
        assert sizes == [12, 14]
        # Labels are for the eye: the pane is hidden from screen readers (the legend has text).
        assert page.locator(".leaflet-bmContextLabels-pane").get_attribute("aria-hidden") == "true"
        # No name lies on another (two roads leaving one crossing used to share a point).
        overlapping = page.evaluate("""() => {
            const boxes = [...document.querySelectorAll('.bm-context-label span')]
                .map((n) => [n.textContent, n.getBoundingClientRect()]);
            const hits = [];
            boxes.forEach(([a, p], i) => boxes.slice(i + 1).forEach(([b, q]) => {
                if (p.left < q.right && q.left < p.right && p.top < q.bottom && q.top < p.bottom)
                    hits.push([a, b]);
            }));
            return hits;
        }""")
        assert overlapping == []
        check_layout(page)
        page.screenshot(path=f"/tmp/shots/map/printmap-labels-{viewport['width']}.png")
