"""/markets/ in Debian's Chromium: a fixed ``at``, "near me" with geolocation granted and denied,
the language switch, and nothing fetched off the machine."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.conftest import LOCAL_HOSTS, square

AT = "2026-06-05T19:00"  # a Friday evening
# The visitor stands 0.001° of latitude (≈ 111 m) south of the centre of zone 乙.
HERE = {"latitude": 39.8005 - 0.001, "longitude": 98.3305}


@pytest.fixture
def geo_page(browser, live_server, settings):
    """Make a page with geolocation granted (or not), blocking every off-machine request."""
    settings.BASEMAP = "none"
    contexts, outside = [], []

    def make(*, granted: bool):
        options = {"locale": "zh-CN", "timezone_id": "Asia/Shanghai"}
        if granted:
            options.update(permissions=["geolocation"], geolocation=HERE)
        context = browser.new_context(**options)

        def guard(route):
            parts = urlsplit(route.request.url)
            if parts.scheme in {"data", "blob", "about"} or parts.hostname in LOCAL_HOSTS:
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        context.route("**/*", guard)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.base_url = live_server.url
        return page

    yield make
    for context in contexts:
        context.close()
    assert outside == [], f"requests left the machine: {outside}"


@pytest.fixture
def three_zones(zone_factory):
    # Centres: 甲 (98.3005, 39.8005), 乙 (98.3305, 39.8005), 丙 (98.2105, 39.7505).
    zone_factory(name="甲", opening_hours="Mo-Su 18:00-22:00", boundary=square(98.30, 39.80))
    zone_factory(name="乙", opening_hours="Mo-Su 20:00-23:00", boundary=square(98.33, 39.80))
    zone_factory(name="丙", opening_hours="Mo-Su 18:00-21:00", boundary=square(98.21, 39.75))


def _names(page) -> list[str]:
    return page.eval_on_selector_all(".market-item", "els => els.map(e => e.dataset.name)")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_fixed_at_and_near_me_granted(geo_page, three_zones):
    page = geo_page(granted=True)
    page.goto(f"{page.base_url}/markets/?at={AT}")
    page.wait_for_selector("body[data-markets-ready=true]", state="attached")
    assert page.locator("h1").inner_text() == "夜间集市"
    by_name = _names(page)
    assert sorted(by_name) == ["丙", "乙", "甲"]
    open_now = page.eval_on_selector_all(
        ".market-item",
        "els => Object.fromEntries(els.map(e => [e.dataset.name, e.dataset.openNow]))",
    )
    assert open_now == {"甲": "true", "乙": "false", "丙": "true"}
    status = page.locator(".market-item[data-name='乙'] .status-text")
    assert status.inner_text() == "今天 20:00 开市"
    assert page.locator("#markets-map path.market-zone").count() == 3

    # Keyboard: focus "near me" and press Enter.
    page.focus("#near-me")
    page.keyboard.press("Enter")
    page.wait_for_selector("#market-list[data-order=distance]", state="attached")
    assert _names(page) == ["乙", "甲", "丙"]
    distances = page.eval_on_selector_all(
        ".market-item", "els => els.map(e => Number(e.dataset.distance))"
    )
    # 乙: 0.001° of latitude = 111.2 m → 110 m (rounded to 10 m). 甲: 0.03° of longitude at
    # 39.8°N ≈ 0.03 × 111.32 km × cos 39.8° ≈ 2,566 m east-west, 111 m north-south → ≈ 2,570 m.
    assert distances[0] == 110
    assert 2550 <= distances[1] <= 2590
    assert distances[2] > distances[1]
    # No roads in this database: the server's answer is the straight line, and says so.
    label = page.locator(".market-item[data-name='乙'] .market-distance").inner_text()
    assert label == "直线距离约 110 米"
    assert page.locator("#markets-status").inner_text() == "已按直线距离排序（暂无道路数据）。"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_near_me_denied_keeps_the_list(geo_page, three_zones):
    page = geo_page(granted=False)
    page.goto(f"{page.base_url}/markets/?at={AT}")
    page.wait_for_selector("body[data-markets-ready=true]", state="attached")
    before = _names(page)
    page.click("#near-me")
    page.wait_for_selector("#market-list[data-order=name]", state="attached")
    assert _names(page) == before
    assert page.locator("#markets-status").inner_text() == "无法获取您的位置，列表保持按名称排序。"
    assert page.locator(".market-distance:visible").count() == 0


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_language_switch_and_filters(geo_page, three_zones):
    page = geo_page(granted=False)
    page.goto(f"{page.base_url}/markets/?at={AT}")
    page.select_option("#language-select", "en")
    page.click(".lang-form button[type=submit]")
    page.wait_for_selector("h1:text('Night markets')")
    assert page.url.endswith(f"/markets/?at={AT}")
    assert page.locator(".market-item[data-name='乙'] .status-text").inner_text() == "opens 20:00"
    # Filter "open now" by keyboard-usable controls (labelled radio, then the submit button).
    page.get_by_label("Open now").check()
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**/markets/?*when=now*")
    assert sorted(_names(page)) == ["丙", "甲"]
    # The fixed instant survives the filter form (the datetime field carries it).
    assert "at=2026-06-05T19%3A00" in page.url


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("width", "side_by_side"), [(1280, True), (390, False)])
def test_list_and_map_side_by_side_on_a_laptop_stacked_on_a_phone(
    geo_page, three_zones, width, side_by_side
):
    page = geo_page(granted=False)
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(f"{page.base_url}/markets/?at={AT}")
    page.wait_for_selector("body[data-markets-ready=true]", state="attached")
    listing = page.locator(".markets-list-section").bounding_box()
    map_box = page.locator("#markets-map").bounding_box()
    if side_by_side:
        assert map_box["x"] >= listing["x"] + listing["width"] - 1
        assert abs(map_box["y"] - listing["y"]) < 5
    else:
        assert map_box["y"] >= listing["y"] + listing["height"] - 1
        assert map_box["width"] > 300


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_detail_page_links_and_map(geo_page, three_zones):
    from markets.models import MarketZone

    zone = MarketZone.objects.get(name="甲")
    page = geo_page(granted=False)
    page.goto(f"{page.base_url}/markets/{zone.pk}/?at={AT}")
    page.wait_for_function("() => window.marketDetail && window.marketDetail.ready")
    assert page.locator(".status-text").first.inner_text() == "营业中，至 22:00"
    assert page.locator("#market-map path.market-zone").count() == 1
    # Directions are plain links (nothing is loaded from Amap); a square's centre is its point.
    amap = page.locator("a.direction-amap").get_attribute("href")
    assert amap.startswith("https://uri.amap.com/marker?position=98.3005%2C39.8005&")
    assert "coordinate=wgs84" in amap
    assert page.locator("a.direction-geo").get_attribute("href") == "geo:39.8005,98.3005"
