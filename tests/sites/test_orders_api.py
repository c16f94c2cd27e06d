"""/api/v1/orders/: shapes, filters, actions, and bad input that gets a 4xx and saves nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from sites.orders import services
from sites.orders.models import OrderAttachment, OrderReply, SupervisionOrder
from tests.sites.orders_fixtures import *  # noqa: F403  (fixtures: cast, clock, holiday_table)
from tests.sites.orders_fixtures import at
from tests.sites.orders_photos import jpeg_with_gps

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def client_for(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def issue(cast, user="leader", **body):
    body = {"project": cast["project"].pk, "subject": "加快征地",
            "requirement": "10月底前完成征地", **body}
    return client_for(cast[user]).post("/api/v1/orders/", body, format="json")


def test_issue_and_read_back(cast, clock, holiday_table):
    r = issue(cast, severity="urgent")
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["number"] == f"#{body['id']}"
    assert body["department"] == "fgw"
    assert body["department_name"] == "发改委"
    assert body["leader"] == "王副市长"  # a leader's account issues as the responsible leader
    # Sun 20 Sep (a make-up working day) + 5 working days: 21, 22, 23, 24, 28 Sep.
    assert body["deadline"] == "2026-09-28"
    assert body["state"] == "issued"
    assert body["colour"] == "green"
    assert body["overdue_days"] == 0
    assert body["actions"] == []  # the issuer cannot sign
    assert body["replies"] == []
    dept = client_for(cast["dept"])
    detail = dept.get(f"/api/v1/orders/{body['id']}/").json()
    assert detail["actions"] == ["sign"]
    assert set(detail) == set(body)


def test_list_filters(cast, clock, holiday_table):
    first = issue(cast, deadline="2026-09-21").json()["id"]
    other = cast["project"].__class__.objects.create(
        **{f.name: getattr(cast["project"], f.name) for f in cast["project"]._meta.fields
           if f.name not in ("id", "code", "updated_at")}, code="OTHER")
    second = issue(cast, project=other.pk, user="office").json()["id"]
    office = client_for(cast["office"])
    ids = lambda q: [o["id"] for o in office.get(f"/api/v1/orders/{q}").json()]  # noqa: E731
    assert sorted(ids("")) == sorted([first, second])
    assert ids(f"?project={other.pk}") == [second]
    assert ids("?department=zjj") == []
    assert sorted(ids("?department=fgw&state=issued")) == sorted([first, second])
    clock.set(at(2026, 9, 22))
    assert ids("?overdue=true") == [first]
    assert ids("?overdue=false") == [second]
    row = office.get("/api/v1/orders/?overdue=true").json()[0]
    assert row["colour"] == "red"
    assert row["overdue_days"] == 1
    assert "replies" not in row


@pytest.mark.parametrize("query", ["?state=open", "?overdue=maybe", "?project=x",
                                   "?department=nope", "?project=0"])
def test_bad_filters_are_400(cast, query):
    r = client_for(cast["office"]).get(f"/api/v1/orders/{query}")
    assert r.status_code == 400
    assert r.json()["detail"]


def test_anonymous_and_non_staff_are_refused(cast, user_factory):
    assert APIClient().get("/api/v1/orders/").status_code in (401, 403)
    assert client_for(user_factory()).get("/api/v1/orders/").status_code == 403


def test_the_journey_through_the_api(cast, clock):
    oid = issue(cast).json()["id"]
    dept = client_for(cast["dept"])
    assert dept.post(f"/api/v1/orders/{oid}/sign/").json()["state"] == "signed"
    photo = SimpleUploadedFile("现场.jpg", jpeg_with_gps(), content_type="image/jpeg")
    pdf = SimpleUploadedFile("方案.pdf", b"%PDF-1.4\n%fake\n", content_type="application/pdf")
    r = dept.post(f"/api/v1/orders/{oid}/reply/", {"text": "已进场", "files": [photo, pdf]},
                  format="multipart")
    assert r.status_code == 201, r.json()
    atts = r.json()["attachments"]
    assert [a["content_type"] for a in atts] == ["image/jpeg", "application/pdf"]
    assert atts[0]["lon"] == pytest.approx(98.28, abs=1e-4)
    assert atts[0]["lat"] == pytest.approx(39.79, abs=1e-4)
    assert atts[0]["taken_at"] == "2026-09-21T10:30:00+08:00"
    assert atts[1]["lon"] is None
    r = dept.post(f"/api/v1/orders/{oid}/submit/", {"text": "已完成"}, format="json")
    assert r.status_code == 201
    leader = client_for(cast["leader"])
    r = leader.post(f"/api/v1/orders/{oid}/send-back/", {"text": "缺验收单"}, format="json")
    assert r.json()["state"] == "returned"
    dept.post(f"/api/v1/orders/{oid}/reply/", {"text": "补验收单"}, format="json")
    r = leader.post(f"/api/v1/orders/{oid}/close/", {"text": "同意"}, format="json")
    assert r.status_code == 200
    body = r.json()
    assert body["state"] == "closed"
    assert [x["kind"] for x in body["replies"]] == ["reply", "submit", "send_back", "reply",
                                                     "close"]


def _nothing_saved(n_orders=0, n_replies=0):
    assert SupervisionOrder.objects.count() == n_orders
    assert OrderReply.objects.count() == n_replies
    assert OrderAttachment.objects.count() == 0


def test_order_to_a_department_that_does_not_lead(cast, clock):
    r = issue(cast, department=cast["other_dept"].pk)
    assert r.status_code == 400
    assert "department" in r.json()["errors"]
    _nothing_saved()


def test_past_deadline(cast, clock):
    r = issue(cast, deadline="2026-09-19")
    assert r.status_code == 400
    assert list(r.json()["errors"]) == ["deadline"]
    _nothing_saved()


def test_a_subject_that_does_not_exist_is_404(cast, clock):
    assert issue(cast, project=999999).status_code == 404
    assert issue(cast, department=999999).status_code == 404
    _nothing_saved()


@pytest.mark.parametrize("body", [{"project": None},
                                  {"severity": "mild"}, {"subject": ""}])
def test_bad_issue_bodies(cast, clock, body):
    assert issue(cast, **body).status_code == 400
    _nothing_saved()


def test_reply_by_another_department(cast, clock):
    order = services.order_issue(user=cast["leader"], project=cast["project"], subject="s",
                                 requirement="r")
    services.order_sign(order=order, user=cast["dept"])
    r = client_for(cast["other_dept_staff"]).post(
        f"/api/v1/orders/{order.pk}/reply/", {"text": "我来"}, format="json")
    assert r.status_code == 403
    _nothing_saved(1, 0)


def test_closure_by_the_addressee(cast, clock):
    order = services.order_issue(user=cast["leader"], project=cast["project"], subject="s",
                                 requirement="r")
    services.order_sign(order=order, user=cast["dept"])
    services.order_submit(order=order, user=cast["dept"], text="完成")
    r = client_for(cast["dept"]).post(f"/api/v1/orders/{order.pk}/close/", {}, format="json")
    assert r.status_code == 403
    order.refresh_from_db()
    assert order.state == "submitted"


@pytest.mark.parametrize(("name", "data"), [
    ("photo.jpg", b"MZ\x90\x00 not a photo at all"),  # an .exe named .jpg
    ("notes.pdf", b"just text"),
    ("broken.jpg", b"\xff\xd8\xff\xe0 truncated"),  # JPEG magic but no image
])
def test_attachment_not_an_image_or_pdf(cast, clock, name, data):
    order = services.order_issue(user=cast["leader"], project=cast["project"], subject="s",
                                 requirement="r")
    services.order_sign(order=order, user=cast["dept"])
    upload = SimpleUploadedFile(name, data, content_type="image/jpeg")
    r = client_for(cast["dept"]).post(f"/api/v1/orders/{order.pk}/reply/",
                                      {"text": "附件", "files": [upload]}, format="multipart")
    assert r.status_code == 400
    assert "files" in r.json()["errors"]
    _nothing_saved(1, 0)
    order.refresh_from_db()
    assert order.state == "signed"


def test_attachment_over_10_mb(cast, clock):
    order = services.order_issue(user=cast["leader"], project=cast["project"], subject="s",
                                 requirement="r")
    services.order_sign(order=order, user=cast["dept"])
    big = SimpleUploadedFile("big.pdf", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024),
                             content_type="application/pdf")
    r = client_for(cast["dept"]).post(f"/api/v1/orders/{order.pk}/reply/",
                                      {"text": "附件", "files": [big]}, format="multipart")
    assert r.status_code == 400
    assert "10 MB" in r.json()["detail"]
    _nothing_saved(1, 0)
