"""Browser journeys of problem reports: a resident on a phone, urban management triaging.

The page fixture fails a test on any console or page error; a dialog (an alert() run from the
report's text) fails it too.
"""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from PIL import Image

from markets.reports.models import Report
from tests.conftest import DEMO_PASSWORD
from tests.markets.test_reports import jpeg_with_gps

SHOTS = "/tmp/shots/rep"
SCRIPT = '车辆堵住消防通道 <script>alert("x")</script><img src=x onerror=alert(1)>'


def _no_dialogs(page) -> list[str]:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    return dialogs


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_public_report_on_a_phone_from_the_market_page(page, zone_factory, city, tmp_path):
    zone = zone_factory(name="大唐路夜市")
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(jpeg_with_gps(size=(320, 240)))
    dialogs = _no_dialogs(page)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{page.base_url}/markets/{zone.pk}/")
    page.get_by_role("link", name="我要反馈", exact=True).click()
    page.wait_for_url(f"**/markets/{zone.pk}/report/")
    page.wait_for_selector("#report-map[data-ready=true]", state="attached")

    page.get_by_label("占道或堵塞消防通道").check()
    page.fill("#id_text", SCRIPT)
    assert page.inner_text("#text-count") == str(len(SCRIPT))
    # Tap the map at its centre, where the zone is (fitted to the map).
    page.locator("#report-map").click()
    assert page.inner_text("#point-status") == "已选定位置，再点一次可移动。"
    page.set_input_files("#id_photo", str(photo))
    page.fill("#id_phone", "13800001111")
    page.screenshot(path=f"{SHOTS}/test-form-phone.png", full_page=True)
    with page.expect_navigation():
        page.click("#report-submit")

    report = Report.objects.get()
    assert page.url.endswith(f"/reports/{report.code}/?new=1")
    assert page.inner_text("#report-code") == report.code
    # The script is text on the page, not an element, and ran nowhere.
    assert page.inner_text("#report-text") == SCRIPT
    assert page.locator("#report-text script, #report-text img").count() == 0
    assert "13800001111" not in page.content()
    page.screenshot(path=f"{SHOTS}/test-status-phone.png", full_page=True)

    # Stored: the point the tap gave (inside the zone), the phone, a JPEG without EXIF.
    assert zone.boundary.buffer(0.0005).contains(report.point)
    assert report.phone == "13800001111"
    with Image.open(io.BytesIO(bytes(report.photo))) as stored:
        assert dict(stored.getexif()) == {}

    # Later: open the status page by typing the code (lower case, as people do).
    page.goto(f"{page.base_url}/reports/")
    page.fill("#code", report.code.lower())
    with page.expect_navigation():
        page.get_by_role("button", name="查询").click()
    assert page.url.endswith(f"/reports/{report.code}/")
    assert page.inner_text("#report-state") == "新反馈"
    assert dialogs == []


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_urban_management_triages_reports_from_the_login_form(page, signin, demo_city):
    dialogs = _no_dialogs(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    landing = signin("urban", DEMO_PASSWORD)
    assert landing == page.base_url + "/staff/markets/"
    page.get_by_role("link", name="群众反馈", exact=True).click()
    page.wait_for_url("**/staff/reports/")
    page.wait_for_selector("#reports-map[data-ready=true]", state="attached")
    # The demo's five reports, all with a point; two open ones past 24 h are flagged.
    assert page.locator("#report-list li.report-item").count() == 5
    assert page.locator(".report-dot").count() == 5
    assert page.locator(".report-overdue-flag").count() == 2
    page.screenshot(path=f"{SHOTS}/test-staff-reports.png", full_page=True)

    urban = User.objects.get(username="urban")
    row = page.locator('li[data-code="DEM0000001"]')
    row.locator("select[name=assignee]").select_option(str(urban.pk))
    with page.expect_navigation():
        row.get_by_role("button", name="分派").click()
    assert page.inner_text("#report-done") == "反馈 DEM0000001 已更新。"
    row = page.locator('li[data-code="DEM0000001"]')
    assert row.get_attribute("data-state") == "assigned"
    row.locator("input[name=note]").fill("已联系车主挪车")
    with page.expect_navigation():
        row.get_by_role("button", name="标记为已处理").click()
    assert page.locator('li[data-code="DEM0000001"]').get_attribute("data-state") == "handled"

    # Unfounded needs a note: without one the page says why (a 400) and nothing changes.
    page.expected_console_errors.append("status of 400 (Bad Request)")
    row = page.locator('li[data-code="DEM0000002"]')
    with page.expect_navigation():
        row.get_by_role("button", name="标记为不属实").click()
    assert page.inner_text("#action-errors") == "请说明为什么不属实。"
    assert Report.objects.get(code="DEM0000002").state == "new"
    page.go_back()
    row = page.locator('li[data-code="DEM0000002"]')
    row.locator("input[name=note]").fill("现场核查无喇叭")
    with page.expect_navigation():
        row.get_by_role("button", name="标记为不属实").click()

    # Filter by state: the handled ones, the demo's and this one.
    page.select_option("#id_state", "handled")
    with page.expect_navigation():
        page.get_by_role("button", name="筛选").click()
    assert sorted(page.locator("li.report-item").evaluate_all(
        "items => items.map(i => i.dataset.code)")) == ["DEM0000001", "DEM0000004"]

    handled = Report.objects.get(code="DEM0000001")
    assert (handled.state, handled.assignee, handled.note) == ("handled", urban, "已联系车主挪车")
    assert list(handled.history.order_by("history_date").values_list(
        "state", "history_user__username"))[-2:] == [("assigned", "urban"), ("handled", "urban")]
    assert Report.objects.get(code="DEM0000002").state == "unfounded"
    assert dialogs == []
