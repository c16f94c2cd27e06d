"""Supervision orders from the login form: a leader issues an order from a red project's popup
on the map; the department signs for it and replies with a photo (EXIF GPS and time); the
leader closes it; the project's light reasons change."""

from __future__ import annotations

import pytest

from sites.orders.models import OrderAttachment, SupervisionOrder
from tests.browser.test_journey_department import _open_popup
from tests.conftest import DEMO_PASSWORD
from tests.sites.orders_photos import jpeg_with_gps

SHOTS = "/tmp/shots/ord"


def _sign_out(page):
    with page.expect_navigation():
        page.get_by_role("button", name="退出登录").click()


def _reason_codes(page) -> list[str]:
    return page.locator("ul.reasons li").evaluate_all("els => els.map(e => e.dataset.code)")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_leader_issues_department_replies_leader_closes(page, demo_city, signin, settings,
                                                        tmp_path):
    import pathlib

    pathlib.Path(SHOTS).mkdir(parents=True, exist_ok=True)
    settings.MEDIA_ROOT = tmp_path / "media"
    # 1. The leader, on the map: a red project of 工信局 without open orders.
    signin("leader", DEMO_PASSWORD)
    page.goto(page.base_url + "/")
    page.locator("#map-status[data-loaded='true']").wait_for(state="attached")
    pk = _open_popup(page, "projects", "p.light === 'red' && p.lead_department_code === 'gxj'"
                                       " && !(Number(p.open_orders) > 0)")
    popup = page.locator(".leaflet-popup")
    popup.wait_for()
    page.screenshot(path=f"{SHOTS}/map-popup.png")
    link = popup.locator("a.popup-order")
    assert link.inner_text() == "下发督办单"
    with page.expect_navigation():
        link.click()
    assert page.url == f"{page.base_url}/orders/new/?project={pk}"
    assert page.locator("#order-department").inner_text() == "工信局"
    page.fill("#id_subject", "督促尽快开工")
    page.fill("#id_requirement", "本月底前进场施工，上传现场照片。")
    page.select_option("#id_severity", "urgent")
    page.screenshot(path=f"{SHOTS}/issue.png", full_page=True)
    with page.expect_navigation():
        page.click("#order-form button[type=submit]")
    order = SupervisionOrder.objects.get(project_id=pk, subject="督促尽快开工")
    assert page.url == f"{page.base_url}/orders/{order.pk}/"
    assert page.locator("#order-state-label").inner_text() == "已下发"
    assert order.light_at_issue == "red"
    page.goto(f"{page.base_url}/projects/{pk}/")
    assert "orders_after_red" in _reason_codes(page)
    assert "亮红灯时下发的 1 张督办单尚未销号" in page.locator("ul.reasons").inner_text()
    _sign_out(page)

    # 2. The department: the header counts the order; sign for it and reply with a photo.
    signin("dept", DEMO_PASSWORD)
    count = page.locator("#nav-orders .nav-count")
    assert int(count.inner_text()) >= 1
    with page.expect_navigation():
        page.locator("#nav-orders").click()
    page.screenshot(path=f"{SHOTS}/inbox.png", full_page=True)
    with page.expect_navigation():
        page.locator(f"#section-to_sign tr[data-order='{order.pk}'] th a").click()
    with page.expect_navigation():
        page.click("#order-sign")
    assert page.locator("#order-state-label").inner_text() == "已签收"
    page.fill("#id_text", "已进场施工，附现场照片。")
    photo = tmp_path / "site.jpg"
    photo.write_bytes(jpeg_with_gps(lon=98.2861, lat=39.7912, taken="2026:09:21 10:30:00"))
    page.set_input_files("#id_files", str(photo))
    with page.expect_navigation():
        page.click("#order-reply")
    assert page.locator("#order-state-label").inner_text() == "推进中"
    replies = page.locator("#order-replies")
    assert "拍摄于 98.28610, 39.79120" in replies.inner_text()
    assert "2026-09-21 10:30" in replies.inner_text()
    page.locator("img.attachment-thumb").wait_for()
    assert page.locator("img.attachment-thumb").evaluate("img => img.naturalWidth") == 16
    att = OrderAttachment.objects.get(reply__order=order)
    assert (att.content_type, round(att.exif_lon, 4), round(att.exif_lat, 4)) == (
        "image/jpeg", 98.2861, 39.7912)
    assert page.locator("#order-close").count() == 0  # the addressee cannot close
    page.screenshot(path=f"{SHOTS}/detail-replied.png", full_page=True)
    _sign_out(page)

    # 3. The leader closes it; the light's reason about it is gone.
    signin("leader", DEMO_PASSWORD)
    page.goto(f"{page.base_url}/projects/{pk}/")
    with page.expect_navigation():
        page.locator(f"#project-orders tr[data-order='{order.pk}'] th a").click()
    page.fill("#id_text", "同意销号。")
    with page.expect_navigation():
        page.click("#order-close")
    assert page.locator("#order-state-label").inner_text() == "已销号"
    page.screenshot(path=f"{SHOTS}/detail-closed.png", full_page=True)
    order.refresh_from_db()
    assert order.state == "closed"
    page.goto(f"{page.base_url}/projects/{pk}/")
    assert "orders_after_red" not in _reason_codes(page)
    page.screenshot(path=f"{SHOTS}/project.png", full_page=True)
