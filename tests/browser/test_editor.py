"""The zone boundary editor in Debian's Chromium: draw with Geoman, save, conflicts across tabs."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.conf import settings as dj_settings
from django.contrib.gis.geos import GEOSGeometry
from django.test import Client

from markets.models import Changeset, MarketZone
from tests.conftest import LOCAL_HOSTS
from tests.markets.test_api_editing import metric_square


def _map_point(page, lat: float, lon: float) -> tuple[float, float]:
    """Page pixel coordinates of (lat, lon) on the editor map."""
    box = page.locator("#editor-map").bounding_box()
    x, y = page.evaluate(
        "([lat, lon]) => { const p = window.zoneEditor.map.latLngToContainerPoint([lat, lon]);"
        " return [p.x, p.y]; }",
        [lat, lon],
    )
    return box["x"] + x, box["y"] + y


def publish_drafts_of(user) -> None:
    """Submit ``user``'s draft changesets and have a second urban-management user publish them.

    Since issue 18 the editor saves into a draft; these tests check what the editor sends, so
    the review itself happens here (tests/browser/test_journey_changeset.py clicks through it).
    """
    from django.contrib.auth.models import Group, User

    from markets.changesets import services

    reviewer, created = User.objects.get_or_create(username="reviewer-for-editor-tests")
    if created:
        reviewer.groups.add(Group.objects.get_or_create(name="urban_management")[0])
    for draft in Changeset.objects.filter(author=user, state="draft"):
        services.changeset_submit(changeset=draft, user=user, comment=draft.comment or "编辑")
        services.changeset_approve(changeset=draft, user=reviewer)
        services.changeset_publish(changeset=draft, user=reviewer)


def _open_editor(page, url: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(page.base_url + url)
    page.wait_for_selector("#editor-map[data-ready=true]", state="attached")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_draw_a_new_zone_with_geoman_and_save(page, login, user_factory, city, department,
                                              zone_factory):
    zone_factory(name="旁边的集市", boundary=metric_square(-300, -300, 100))
    author = user_factory("urban_management")
    login(author)
    _open_editor(page, "/staff/markets/new/")
    page.evaluate("window.zoneEditor.map.setView([39.8005, 98.3005], 17, {animate: false})")

    # Geoman's polygon tool from its toolbar, then four clicks on the map and a click on the
    # first vertex to close the ring. At zoom 17 a 0.0008° step is about 68 m x 89 m.
    page.locator(".leaflet-pm-toolbar .leaflet-pm-icon-polygon").click()
    corners = [(39.8001, 98.3001), (39.8001, 98.3009), (39.8009, 98.3009), (39.8009, 98.3001)]
    for lat, lon in corners:
        page.mouse.click(*_map_point(page, lat, lon))
    page.mouse.click(*_map_point(page, *corners[0]))
    assert page.evaluate("window.zoneEditor.collectGeometry().coordinates.length") == 1

    page.get_by_label("名称").or_(page.get_by_label("Name")).fill("五一路跳蚤市场")
    page.locator("#f-kind").select_option("flea")
    page.locator("#f-capacity").fill("30")
    page.locator("#f-reason").fill("新设跳蚤市场")
    page.locator("#save-button").click()
    # Issue 18: the new zone waits in a draft changeset; the page links to it.
    page.wait_for_selector("#editor-status[data-draft]", state="attached")
    assert not MarketZone.objects.filter(name="五一路跳蚤市场").exists()
    assert page.locator("#draft-link").is_visible()
    assert page.url.endswith("/staff/markets/new/")
    publish_drafts_of(author)

    zone = MarketZone.objects.get(name="五一路跳蚤市场")
    assert zone.status == "proposed"
    assert zone.version == 1
    # 0.0008° of longitude x 0.0008° of latitude at 39.8°N: about 68.4 m x 88.8 m = 6,080 m².
    assert 5_800 < zone.boundary.transform(4542, clone=True).area < 6_300
    api = page.request.get(page.base_url + "/api/v1/markets/").json()
    assert "五一路跳蚤市场" in [f["properties"]["name"] for f in api["features"]]
    assert page.outside_requests == []


def _second_page(browser, live_server, user):
    """Another browser context (a second tab with its own session), off-machine requests blocked."""
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    outside: list[str] = []

    def guard(route):
        parts = urlsplit(route.request.url)
        if parts.scheme in {"data", "blob", "about"} or parts.hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", guard)
    client = Client()
    client.force_login(user)
    context.add_cookies([{"name": dj_settings.SESSION_COOKIE_NAME,
                          "value": client.cookies[dj_settings.SESSION_COOKIE_NAME].value,
                          "url": live_server.url}])
    pg = context.new_page()
    pg.base_url = live_server.url
    pg.set_default_timeout(15_000)
    return context, pg, outside


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_two_tabs_conflict(page, login, browser, live_server, user_factory, city, zone_factory):
    zone = zone_factory(name="大唐路夜市", boundary=metric_square(0, 0, 100))
    first_user = user_factory("urban_management")
    login(first_user)
    context2, page2, outside2 = _second_page(browser, live_server,
                                             user_factory("urban_management"))
    try:
        url = f"/staff/markets/{zone.pk}/edit/"
        _open_editor(page, url)
        _open_editor(page2, url)
        page.wait_for_selector("#editor-status[data-version='1']", state="attached")
        page2.wait_for_selector("#editor-status[data-version='1']", state="attached")

        # The live readout: 100 m x 100 m drawn in EPSG:4542 is 10,000 m² there; the page's
        # ellipsoidal estimate agrees to within 0.05 % (5 m²); 40 stalls = 250 m² per stall.
        area = page.evaluate("window.zoneEditor.areaM2(window.zoneEditor.collectGeometry())")
        assert area == pytest.approx(10_000, abs=5)
        # (The API sends 6 decimals, about 0.1 m, so the page's figure may be a few m² off.)
        per_stall = page.locator("#readout-per-stall").text_content()
        assert float(per_stall.split(" ")[0]) == pytest.approx(250, abs=0.2)

        # Tab 1: Geoman's edit mode, drag the first vertex 40 px to the south-west.
        page.locator(".leaflet-pm-toolbar .leaflet-pm-icon-edit").click()
        vertex = page.locator(".marker-icon:not(.marker-icon-middle)").first
        box = vertex.bounding_box()
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.mouse.down()
        page.mouse.move(x - 20, y + 20, steps=5)
        page.mouse.move(x - 40, y + 40, steps=5)
        page.mouse.up()
        page.locator(".leaflet-pm-toolbar .leaflet-pm-icon-edit").click()
        tab1_geometry = page.evaluate("JSON.stringify(window.zoneEditor.collectGeometry())")
        page.locator("#f-reason").fill("向西南扩展")
        page.locator("#save-button").click()
        # Tab 1's edit goes into its draft (issue 18); once that is published the zone is at 2.
        page.wait_for_selector("#editor-status[data-draft]", state="attached")
        zone.refresh_from_db()
        assert zone.version == 1
        publish_drafts_of(first_user)

        # Tab 2 (still at version 1) changes the capacity and saves: the conflict dialog opens.
        page2.locator("#f-capacity").fill("55")
        page2.locator("#f-reason").fill("调整摊位数")
        page2.locator("#save-button").click()
        page2.wait_for_selector("#conflict-dialog[open]")
        message = page2.locator("#conflict-message").text_content()
        assert first_user.username in message

        zone.refresh_from_db()
        assert zone.version == 2
        assert zone.capacity == 40
        saved = GEOSGeometry(tab1_geometry, srid=4326)
        assert zone.boundary.equals_exact(saved, tolerance=1e-9)
        assert not zone.boundary.equals_exact(metric_square(0, 0, 100), tolerance=1e-7)
        assert zone.history.count() == 2  # created + tab 1's change, nothing from tab 2

        # Reload keeps tab 2's shape as a ghost and moves it to version 2.
        page2.locator("#conflict-reload").click()
        page2.wait_for_selector("#editor-status[data-version='2']", state="attached")
        assert page2.evaluate("window.zoneEditor.ghost !== null")
        assert outside2 == []
    finally:
        context2.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_history_page_overlays_versions_and_restores(page, login, user_factory, city,
                                                     zone_factory):
    from markets import services

    user = user_factory("urban_management")
    zone = zone_factory(name="悦西市美食街", boundary=metric_square(0, 0, 100))
    original = bytes(zone.boundary.wkb)
    services.zone_update(zone=zone, expected_version=1, user=user, reason="缩小",
                         boundary=metric_square(0, 0, 60), fields={"capacity": 12})
    login(user)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{page.base_url}/staff/markets/{zone.pk}/history/")
    page.wait_for_selector("#history-map[data-ready=true]", state="attached")
    # Two versions listed, both drawn (A = version 1 in blue, B = version 2 dashed red).
    assert page.locator("#history-versions > li").count() == 2
    assert page.locator("#history-map path").count() == 2
    assert "capacity" in page.locator("#history-versions > li").first.text_content()

    page.on("dialog", lambda dialog: dialog.accept())
    page.locator("#f-reason").fill("恢复原边界")
    page.locator("#history-versions > li").nth(1).locator(".restore-version").click()
    # Restoring opens a new draft changeset (issue 18) and shows its review page.
    page.wait_for_url("**/staff/changesets/*/")
    draft = Changeset.objects.get(author=user)
    assert page.url.endswith(f"/staff/changesets/{draft.pk}/")
    zone.refresh_from_db()
    assert zone.version == 2
    publish_drafts_of(user)
    zone.refresh_from_db()
    assert bytes(zone.boundary.wkb) == original
    assert (zone.version, zone.capacity, zone.history.count()) == (3, 40, 3)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_retire_and_restore_from_the_editor(page, login, user_factory, city, zone_factory):
    zone = zone_factory(name="夜市甲", boundary=metric_square(0, 0, 100))
    author = user_factory("urban_management")
    login(author)
    _open_editor(page, f"/staff/markets/{zone.pk}/edit/")
    page.wait_for_selector("#editor-status[data-version='1']", state="attached")
    page.locator("#retire-button").click()  # no reason yet: refused in the page
    assert page.locator("#error-reason").is_visible()
    page.locator("#f-reason").fill("道路施工")
    page.locator("#retire-button").click()
    # The retirement waits in a draft (issue 18): the zone stays public until it is published.
    page.wait_for_selector("#editor-status[data-draft]", state="attached")
    zone.refresh_from_db()
    assert zone.status == "active"
    publish_drafts_of(author)
    zone.refresh_from_db()
    assert zone.status == "retired"
    public = page.request.get(page.base_url + "/markets/").text()
    assert "夜市甲" not in public

    page.reload()
    page.wait_for_selector("#editor-status[data-version='2']", state="attached")
    assert page.locator("#retired-notice").is_visible()
    assert page.locator("#save-button").is_disabled()
    page.locator("#f-reason").fill("施工结束")
    page.locator("#restore-button").click()
    # Bringing it back waits for review too: still retired and off the public list until then.
    page.wait_for_selector("#editor-status[data-draft]", state="attached")
    assert page.locator("#draft-notice").is_visible()
    zone.refresh_from_db()
    assert zone.status == "retired"
    assert "夜市甲" not in page.request.get(page.base_url + "/markets/").text()
    publish_drafts_of(author)
    zone.refresh_from_db()
    assert (zone.status, zone.version) == ("active", 3)
    assert "夜市甲" in page.request.get(page.base_url + "/markets/").text()
