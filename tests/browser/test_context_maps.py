"""Maps people can read with no network (issue 16): the context layers under the features, the
legend's entries for every visual channel, the title with its date, and the city's own basemap
pack served by the portal. The page fixture blocks everything off this machine."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import call_command

from tests.conftest import DEMO_PASSWORD

# fixtures: city 1 + districts 4 + river 1 + main roads 8.
CONTEXT_FEATURES = "14"
# The districts' labels in the collection's order (by code: guancheng, hanhai, qixi, xingang).
DISTRICT_LABELS = ["关城区", "瀚海区", "祁西区", "新钢区"]
CANVAS_HAS_INK = """(canvas) => {
    const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted += 1;
    return painted;
}"""


def _context_drawn(page, map_selector: str) -> None:
    page.wait_for_selector(f"{map_selector}[data-context='{CONTEXT_FEATURES}']", state="attached")
    canvas = page.locator(f"{map_selector} .leaflet-context-pane canvas")
    assert canvas.count() == 1
    assert canvas.evaluate(CANVAS_HAS_INK) > 10_000  # the city's land fill alone covers more
    labels = page.locator(f"{map_selector} .context-label").all_text_contents()
    assert labels == DISTRICT_LABELS


@pytest.mark.browser
def test_staff_map_shows_context_legend_and_title_offline(page, signin, demo_city):
    signin("office", DEMO_PASSWORD)
    page.goto(page.base_url + "/")
    page.wait_for_selector("#map-status[data-loaded=true]", state="attached")
    _context_drawn(page, "#map")
    # The context lies under the features: its pane below the overlay pane.
    z = page.evaluate("""() => ['contextPane', 'projectsPane'].map(
        (name) => Number(window.portalMap.map.getPane(name).style.zIndex))""")
    assert z == [250, 430]

    legend = page.locator("#map .map-legend")
    keys = legend.locator("[data-legend]").evaluate_all(
        "(items) => items.map(i => i.dataset.legend)")
    # Fill = stage, outline = status light (staff), line = milestone progress, context layers.
    assert keys[:5] == ["projects-preparation", "projects-construction", "projects-completed",
                        "projects-operating", "projects-suspended"]
    assert [k for k in keys if k.startswith("projects-light-")] == [
        "projects-light-green", "projects-light-yellow", "projects-light-red"]
    assert [k for k in keys if k.startswith("livelihood-light-")] == [
        "livelihood-light-on_time", "livelihood-light-late", "livelihood-light-done"]
    assert keys[-4:] == ["context-city", "context-district", "context-river", "context-main_road"]
    # The demo city has open supervision orders (sites/orders/demo.py): the badge row explains
    # the number on their markers, between the lights and the context layers.
    assert keys.index("open-orders") < keys.index("context-city")
    assert legend.locator("[data-legend=open-orders]").inner_text().split()[0] == "3"
    # The light is told by a symbol and its name, not by colour alone.
    assert legend.locator("[data-legend=projects-light-red]").inner_text().split() == ["✕", "红灯"]
    assert legend.locator("[data-legend=context-river]").inner_text() == "河流"
    # And on the map by the ring's dash: red projects are dotted, yellow dashed, green solid.
    dashes = page.evaluate("""() => {
        const found = {};
        window.portalMap.layers.projects.eachLayer(function walk(layer) {
          if (layer.eachLayer) return layer.eachLayer(walk);
          const light = layer.feature?.properties?.light;
          if (light) found[light] = layer.options.dashArray ?? null;
        });
        return found;
    }""")
    assert dashes == {"green": None, "yellow": "6 3", "red": "2 3"}

    title = page.locator("#map .map-title")
    assert title.locator("strong").inner_text() == "重点项目、民生实事与夜间集市分布图"
    assert re.fullmatch(r"数据截至 2\d{3}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}",
                        title.locator(".map-as-of").inner_text())
    # A past month on the slider: the title says whose data it shows.
    page.goto(page.base_url + "/?as_of=2026-06")
    page.wait_for_selector("#map-status[data-loaded=true]", state="attached")
    assert page.locator("#map .map-as-of").inner_text() == "数据截至 2026年6月"


@pytest.mark.browser
def test_public_markets_map_draws_the_basemap_pack_offline(page, demo_city, settings, tmp_path):
    # The demo city's own pack, rendered here and loaded as a city would load its approved map.
    pack = tmp_path / "demo.pmtiles"
    call_command("make_demo_basemap", str(pack), "--max-zoom", "14", stdout=io.StringIO())
    call_command("load_basemap", str(pack), "--attribution", "© 示范市 审图号：演示",
                 stdout=io.StringIO(), stderr=io.StringIO())
    settings.BASEMAP = "auto"  # the page fixture pins "none"
    page.goto(page.base_url + "/markets/")
    page.wait_for_selector("#markets-map img.leaflet-tile-loaded", state="attached")
    # Loaded tiles (Leaflet blanks the ones it prunes with a data: GIF).
    sources = page.locator("#markets-map img.leaflet-tile-loaded").evaluate_all(
        "(tiles) => tiles.filter((t) => !t.src.startsWith('data:'))"
        ".map((t) => new URL(t.src).pathname)")
    assert sources
    assert all(re.fullmatch(r"/tiles/1[1-4]/\d+/\d+\.png", path) for path in sources), sources
    assert "审图号：演示" in page.locator("#markets-map .leaflet-control-attribution").inner_text()
    _context_drawn(page, "#markets-map")
    keys = page.locator("#markets-map .map-legend [data-legend]").evaluate_all(
        "(items) => items.map(i => i.dataset.legend)")
    assert keys == ["market-open", "market-closed", "context-city", "context-district",
                    "context-river", "context-main_road"]
    assert page.locator("#markets-map .map-title strong").inner_text() == "夜间集市"


@pytest.mark.browser
def test_unreachable_tianditu_falls_back_to_the_context_layers(page, demo_city, settings):
    # A key is configured but the network is down (a government network): every tile fails.
    settings.BASEMAP, settings.TIANDITU_KEY = "tianditu", "test-key"
    refused: list[str] = []

    def refuse(route):
        refused.append(route.request.url)
        route.abort()

    page.route(re.compile(r"^https://t[0-7]\.tianditu\.gov\.cn/"), refuse)
    page.expected_console_errors.append("net::ERR_FAILED")
    page.goto(page.base_url + "/markets/")
    page.wait_for_selector("#markets-map.no-basemap", state="attached")
    assert refused  # it did try the tiles
    assert page.locator("#markets-map img.leaflet-tile").count() == 0
    _context_drawn(page, "#markets-map")
    # The city has its land fill back: the canvas is painted over most of the city's extent.
    filled = page.evaluate("""() => {
        let city = null;
        window.marketsPage.map.portalContext.eachLayer(function find(item) {
          if (item.eachLayer) item.eachLayer(find);
          else if (item.feature?.properties?.layer === "city") city = item;
        });
        return city.options.fill;
    }""")
    assert filled is True
