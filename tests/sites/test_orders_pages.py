"""The order pages: the header's inbox count, issuing from a project, the detail page's
actions and reply form with a photo, and refusals that save nothing."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from sites.orders import services
from sites.orders.models import OrderAttachment, SupervisionOrder
from tests.sites.orders_fixtures import *  # noqa: F403  (fixtures: cast, clock, holiday_table)
from tests.sites.orders_photos import jpeg_with_gps

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def nav_count(html: str) -> str | None:
    m = re.search(r'id="nav-orders"[^>]*>[^<]*(?:<span class="nav-count"[^>]*>(\d+)</span>)?',
                  html)
    assert m, "no inbox link in the header"
    return m.group(1)


def test_issue_from_the_project_page_and_the_header_counts(cast, clock):
    leader, dept = client_for(cast["leader"]), client_for(cast["dept"])
    page = leader.get(f"/projects/{cast['project'].pk}/").content.decode()
    assert f'href="/orders/new/?project={cast["project"].pk}"' in page
    assert nav_count(dept.get("/orders/").content.decode()) is None
    r = leader.post("/orders/new/", {"project": cast["project"].pk, "subject": "加快征地",
                                      "requirement": "月底前完成", "severity": "urgent"})
    order = SupervisionOrder.objects.get()
    assert r.status_code == 302
    assert r["Location"] == f"/orders/{order.pk}/"
    inbox = dept.get("/orders/").content.decode()
    assert nav_count(inbox) == "1"
    assert f"#{order.pk} 加快征地" in inbox or f"#{order.pk} 加快征地" in inbox.replace("\n", "")
    assert 'id="section-to_sign"' in inbox


def test_refused_issue_re_renders_with_the_reason(cast, clock):
    r = client_for(cast["leader"]).post("/orders/new/", {
        "project": cast["project"].pk, "subject": "s", "requirement": "r",
        "severity": "general", "deadline": "2026-09-01"})
    assert r.status_code == 400
    assert not SupervisionOrder.objects.exists()
    assert client_for(cast["dept"]).get(
        f"/orders/new/?project={cast['project'].pk}").status_code == 403


def test_sign_reply_with_a_photo_and_close(cast, clock):
    order = services.order_issue(user=cast["leader"], project=cast["project"], subject="s",
                                 requirement="r")
    dept = client_for(cast["dept"])
    detail = dept.get(f"/orders/{order.pk}/").content.decode()
    assert 'id="order-sign"' in detail
    assert 'id="order-close"' not in detail
    assert dept.post(f"/orders/{order.pk}/sign/").status_code == 302
    photo = SimpleUploadedFile("site.jpg", jpeg_with_gps(), content_type="image/jpeg")
    r = dept.post(f"/orders/{order.pk}/reply/", {"text": "已进场", "files": [photo]})
    assert r.status_code == 302
    att = OrderAttachment.objects.get()
    page = dept.get(f"/orders/{order.pk}/").content.decode()
    assert f'src="/orders/attachments/{att.pk}/"' in page
    assert "98.28000" in page
    assert "39.79000" in page
    got = dept.get(f"/orders/attachments/{att.pk}/")
    assert got["Content-Type"] == "image/jpeg"
    assert b"".join(got.streaming_content) == jpeg_with_gps()
    # The addressee cannot close; the issuer can.
    assert dept.post(f"/orders/{order.pk}/close/").status_code == 403
    r = client_for(cast["leader"]).post(f"/orders/{order.pk}/close/", {"text": "同意"})
    assert r.status_code == 302
    order.refresh_from_db()
    assert order.state == "closed"


def test_a_fake_photo_is_refused_on_the_page(cast, clock):
    order = services.order_issue(user=cast["leader"], project=cast["project"], subject="s",
                                 requirement="r")
    services.order_sign(order=order, user=cast["dept"])
    fake = SimpleUploadedFile("site.jpg", b"<html>not a photo</html>", content_type="image/jpeg")
    r = client_for(cast["dept"]).post(f"/orders/{order.pk}/reply/", {"text": "x",
                                                                     "files": [fake]})
    assert r.status_code == 400
    assert not OrderAttachment.objects.exists()
    order.refresh_from_db()
    assert order.state == "signed"


def test_pages_are_for_staff(cast, user_factory):
    assert Client().get("/orders/").status_code in (302, 403)
    assert client_for(user_factory()).get("/orders/").status_code == 403
