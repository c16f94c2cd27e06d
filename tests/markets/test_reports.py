"""Public problem reports (issue 18 part 5): shapes, bad input, the limit, the state machine and
its permissions, EXIF stripping, the phone's retention. Browser journeys: test_reports_browser.py.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone, translation
from PIL import ExifTags, Image

from markets.reports import services
from markets.reports.models import CODE_ALPHABET, Report, ReportState
from markets.reports.photos import PHOTO_NOT_IMAGE, PHOTO_TOO_LARGE
from markets.reports.selectors import normalise_code
from markets.reports.throttling import ReportThrottle

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Inside the demo frame (lon 98.20-98.36, lat 39.74-39.84), and one 0.5 degrees east of it.
INSIDE = "98.301,39.801"
OUTSIDE = "98.86,39.80"


@pytest.fixture(autouse=True)
def _english(settings):
    # The messages compared below are the English ones: the test process and, for requests
    # that send no Accept-Language, the portal's default language (Chinese otherwise).
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fixed_window(monkeypatch):
    """The limit's clock at the start of a minute window, so 20 posts never straddle two."""
    monkeypatch.setattr(ReportThrottle, "timer", lambda self: 1_800_000_000.0)


@pytest.fixture
def zone(zone_factory, city):
    return zone_factory(name="大唐路夜市")


def jpeg_with_gps(size=(64, 48)) -> bytes:
    """A JPEG whose EXIF names a camera and a GPS position (as a phone writes it)."""
    image = Image.new("RGB", size, (200, 30, 30))
    exif = image.getexif()
    exif[ExifTags.Base.Make] = "TestPhone"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (39.0, 47.0, 24.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (98.0, 16.0, 48.0)
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def upload(data: bytes, name: str = "photo.jpg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def post_api(api_client, zone, body=None, **extra):
    body = body or {"category": "litter", "text": "收摊后垃圾没有清理"}
    return api_client.post(f"/api/v1/markets/{zone.pk}/reports/", body, format="json", **extra)


# --- codes --------------------------------------------------------------------------------


def test_ticket_code_is_ten_crockford_characters_and_typing_mistakes_are_forgiven(zone):
    report = services.report_create(zone=zone, category="litter", text="垃圾")
    assert re.fullmatch(f"[{CODE_ALPHABET}]{{10}}", report.code)
    typed = report.code.lower().replace("0", "o").replace("1", "l")
    assert normalise_code(typed) == report.code
    assert normalise_code(report.code[:5] + "-" + report.code[5:]) == report.code
    assert normalise_code("SHORT") is None
    assert normalise_code("UUUUUUUUUU") is None  # U is not in Crockford's alphabet


# --- API shapes ----------------------------------------------------------------------------


def test_api_post_answers_the_public_shape_and_saves_everything(api_client, zone):
    response = post_api(api_client, zone, {
        "category": "blocked_road", "text": " 车辆堵住消防通道 ", "point": INSIDE,
        "phone": "138 0000 1111",
    })
    assert response.status_code == 201, response.json()
    body = response.json()
    report = Report.objects.get()
    assert body == {
        "code": report.code,
        "zone": {"id": zone.pk, "name": "大唐路夜市"},
        "category": "blocked_road",
        "category_label": "Blocked road or fire lane",
        "text": "车辆堵住消防通道",
        "state": "new",
        "state_label": "New",
        "created_at": timezone.localtime(report.created_at).isoformat(),
        "closed_at": None,
    }
    assert "phone" not in body
    assert "point" not in body
    assert report.phone == "138 0000 1111"
    assert (report.point.x, report.point.y) == (98.301, 39.801)
    assert report.history.get().history_change_reason == "reported"


def test_public_status_by_code_has_no_personal_data(api_client, zone):
    report = services.report_create(
        zone=zone, category="noise", text="喇叭", phone="13800001111", point=None
    )
    body = api_client.get(f"/api/v1/reports/{report.code.lower()}/").json()
    assert set(body) == {"code", "zone", "category", "category_label", "text", "state",
                         "state_label", "created_at", "closed_at"}
    assert "13800001111" not in str(body)
    assert api_client.get("/api/v1/reports/ZZZZZZZZZZ/").status_code == 404
    assert api_client.get("/api/v1/reports/not-a-code/").status_code == 404


def test_staff_list_shape_and_filters(api_client, zone_factory, zone, user_factory):
    other = zone_factory(name="关城广场", boundary=zone.boundary.clone())
    now = timezone.now()
    old = services.report_create(zone=zone, category="litter", text="旧", phone="13800001111",
                                 point=services.Point(98.301, 39.801),
                                 now=now - dt.timedelta(hours=25))
    fresh = services.report_create(zone=other, category="noise", text="新", now=now)
    urban = user_factory("urban_management")
    api_client.force_authenticate(urban)
    rows = api_client.get("/api/v1/reports/").json()
    assert [r["code"] for r in rows] == [fresh.code, old.code]  # newest first
    assert rows[1] == {
        "code": old.code,
        "zone": {"id": zone.pk, "name": "大唐路夜市"},
        "category": "litter", "category_label": "Litter", "text": "旧",
        "state": "new", "state_label": "New",
        "created_at": timezone.localtime(old.created_at).isoformat(), "closed_at": None,
        "id": old.pk,
        "point": {"type": "Point", "coordinates": [98.301, 39.801]},
        "phone": "13800001111", "has_photo": False, "assignee": None, "assigned_at": None,
        "note": "",
        # 24 h (REPORT_RESPONSE_HOURS) after it was made, 25 h ago: due an hour ago.
        "due_at": timezone.localtime(old.created_at + dt.timedelta(hours=24)).isoformat(),
        "overdue": True,
    }
    assert rows[0]["overdue"] is False
    codes = lambda q: [r["code"] for r in api_client.get("/api/v1/reports/", q).json()]  # noqa: E731
    assert codes({"overdue": "true"}) == [old.code]
    assert codes({"overdue": "false"}) == [fresh.code]
    assert codes({"zone": other.pk}) == [fresh.code]
    assert codes({"state": "assigned"}) == []
    assert codes({"state": "new,assigned"}) == [fresh.code, old.code]
    bad = api_client.get("/api/v1/reports/", {"state": "closed", "overdue": "maybe"})
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"state", "overdue"}


@pytest.mark.parametrize("role", [None, "project_office", "market_supervision", "leaders",
                                  "department_staff"])
def test_staff_list_is_for_urban_management_only(api_client, user_factory, role):
    if role:
        api_client.force_authenticate(user_factory(role))
    assert api_client.get("/api/v1/reports/").status_code == 403


# --- bad input: refused, nothing saved ------------------------------------------------------


@pytest.mark.parametrize(("body", "field"), [
    ({"category": "fire", "text": "x"}, "category"),
    ({"category": "litter", "text": ""}, "text"),
    ({"category": "litter", "text": "   "}, "text"),
    ({"category": "litter", "text": "长" * 501}, "text"),
    ({"category": "litter", "text": "a\x00b"}, "text"),
    ({"category": "litter", "text": "x", "point": OUTSIDE}, "point"),
    ({"category": "litter", "text": "x", "point": "98.3"}, "point"),
    ({"category": "litter", "text": "x", "phone": "call me"}, "phone"),
])
def test_api_bad_input_is_a_400_naming_the_field(api_client, zone, body, field):
    response = post_api(api_client, zone, body)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert Report.objects.count() == 0


def test_api_report_on_a_draft_or_missing_zone_is_a_404(api_client, zone_factory, city):
    draft = zone_factory(status="proposed")
    assert post_api(api_client, draft).status_code == 404
    assert api_client.post("/api/v1/markets/999999/reports/", {}, format="json").status_code == 404
    assert Report.objects.count() == 0


def test_script_in_the_text_is_stored_as_text_and_shown_escaped(client, zone):
    script = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    report = services.report_create(zone=zone, category="other", text=script)
    assert Report.objects.get().text == script  # stored as typed: plain text
    html = client.get(f"/reports/{report.code}/").content.decode()
    assert "<script>alert" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_photo_that_is_not_an_image_is_refused(api_client, zone):
    response = api_client.post(
        f"/api/v1/markets/{zone.pk}/reports/",
        {"category": "litter", "text": "x", "photo": upload(b"%PDF-1.4 not a photo", "a.jpg")},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["errors"]["photo"] == [PHOTO_NOT_IMAGE]
    assert Report.objects.count() == 0


def test_photo_over_5_mb_is_refused(api_client, zone):
    big = jpeg_with_gps() + b"\0" * (5 * 1024 * 1024)  # a real JPEG padded past 5 MB
    response = api_client.post(
        f"/api/v1/markets/{zone.pk}/reports/",
        {"category": "litter", "text": "x", "photo": upload(big)}, format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["errors"]["photo"] == [PHOTO_TOO_LARGE]
    assert Report.objects.count() == 0


def test_body_over_the_cap_is_a_413_before_parsing(api_client, zone):
    huge = b"\xff\xd8" + b"\0" * (6 * 1024 * 1024)
    response = api_client.post(
        f"/api/v1/markets/{zone.pk}/reports/",
        {"category": "litter", "text": "x", "photo": upload(huge)}, format="multipart",
    )
    assert response.status_code == 413
    assert Report.objects.count() == 0


def test_gps_exif_is_stripped_from_the_stored_photo(api_client, zone):
    original = jpeg_with_gps()
    with Image.open(io.BytesIO(original)) as before:  # the test photo does carry a position
        assert before.getexif().get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitudeRef] == "N"
    response = api_client.post(
        f"/api/v1/markets/{zone.pk}/reports/",
        {"category": "litter", "text": "x", "photo": upload(original)}, format="multipart",
    )
    assert response.status_code == 201, response.json()
    stored = bytes(Report.objects.get().photo)
    with Image.open(io.BytesIO(stored)) as after:
        assert after.format == "JPEG"
        assert after.size == (64, 48)
        assert dict(after.getexif()) == {}
        assert after.getexif().get_ifd(ExifTags.IFD.GPSInfo) == {}
        assert "exif" not in after.info
    assert b"Exif" not in stored
    assert b"TestPhone" not in stored


# --- the limit -----------------------------------------------------------------------------


def test_21st_report_in_a_minute_is_a_429_and_not_saved(api_client, zone):
    for n in range(20):
        assert post_api(api_client, zone).status_code == 201, n
    refused = post_api(api_client, zone)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert Report.objects.count() == 20
    # Another client is not affected.
    assert post_api(api_client, zone, REMOTE_ADDR="10.9.9.9").status_code == 201


def test_the_form_and_the_api_share_one_limit(api_client, client, zone):
    for _n in range(10):
        assert post_api(api_client, zone).status_code == 201
    for _n in range(10):
        response = client.post(f"/markets/{zone.pk}/report/",
                               {"category": "litter", "text": "垃圾"})
        assert response.status_code == 302
    refused = client.post(f"/markets/{zone.pk}/report/", {"category": "litter", "text": "垃圾"})
    assert refused.status_code == 429
    assert refused["Retry-After"]
    assert 'id="report-refused"' in refused.content.decode()
    assert post_api(api_client, zone).status_code == 429
    assert Report.objects.count() == 20


# --- the HTML form -------------------------------------------------------------------------


def test_form_post_redirects_to_the_status_page_with_the_code(client, zone):
    response = client.post(f"/markets/{zone.pk}/report/", {
        "category": "noise", "text": "十一点后还有喇叭", "point": INSIDE, "phone": "13800001111",
        "photo": upload(jpeg_with_gps()),
    })
    report = Report.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/reports/{report.code}/?new=1"
    page = client.get(response["Location"]).content.decode()
    assert f'<p class="report-code" id="report-code">{report.code}</p>' in page
    assert "13800001111" not in page
    assert report.photo is not None


def test_honeypot_filled_is_refused_and_nothing_saved(client, zone):
    response = client.post(f"/markets/{zone.pk}/report/", {
        "category": "litter", "text": "buy cheap", "website": "http://spam.example",
    })
    assert response.status_code == 400
    assert "Leave the last field empty" in response.content.decode()
    assert Report.objects.count() == 0


def test_form_needs_the_csrf_token(zone):
    strict = Client(enforce_csrf_checks=True)
    response = strict.post(f"/markets/{zone.pk}/report/", {"category": "litter", "text": "x"})
    assert response.status_code == 403
    assert Report.objects.count() == 0


@pytest.mark.parametrize(("data", "field"), [
    ({"category": "litter", "text": "x", "point": OUTSIDE}, "point"),
    ({"category": "litter", "text": "长" * 501}, "text"),
])
def test_form_bad_input_is_a_400_with_the_message(client, zone, data, field):
    response = client.post(f"/markets/{zone.pk}/report/", data)
    assert response.status_code == 400
    assert Report.objects.count() == 0
    html = response.content.decode()
    if field == "point":
        assert services.POINT_OUTSIDE_CITY in html


def test_market_page_links_to_the_form_and_stays_a_public_copy(client, zone):
    response = client.get(f"/markets/{zone.pk}/")
    html = response.content.decode()
    assert f'href="/markets/{zone.pk}/report/"' in html
    assert "csrfmiddlewaretoken" not in html
    assert response["Cache-Control"].startswith("public")
    assert "private" in client.get(f"/markets/{zone.pk}/report/")["Cache-Control"]


# --- the state machine and who may move it -------------------------------------------------


@pytest.fixture
def urban(user_factory):
    return user_factory("urban_management", username="chengguan")


def test_new_assigned_handled_with_history(zone, urban, user_factory):
    other = user_factory("urban_management", username="zhangsan")
    report = services.report_create(zone=zone, category="litter", text="垃圾")
    report = services.report_assign(report=report, assignee=other, user=urban)
    assert (report.state, report.assignee, report.assigned_at is not None) == (
        ReportState.ASSIGNED, other, True)
    report = services.report_handle(report=report, user=other, note="已清理")
    assert (report.state, report.note, report.closed_at is not None) == (
        ReportState.HANDLED, "已清理", True)
    history = list(report.history.order_by("history_date").values_list(
        "state", "history_change_reason", "history_user__username"))
    assert history == [
        ("new", "reported", None),
        ("assigned", "assigned to zhangsan", "chengguan"),
        ("handled", "handled", "zhangsan"),
    ]
    # The history tables never hold the phone (the purge could not reach it there).
    assert "phone" not in {f.name for f in Report.history.model._meta.get_fields()}


@pytest.mark.parametrize(("start", "action", "error_field"), [
    ("new", "handle", "state"),  # handled only after someone was assigned
    ("handled", "assign", "state"),
    ("handled", "unfounded", "state"),
    ("unfounded", "handle", "state"),
    ("new", "unfounded-without-note", "note"),
])
def test_refused_transitions_change_nothing(zone, urban, start, action, error_field):
    report = services.report_create(zone=zone, category="litter", text="垃圾")
    Report.objects.filter(pk=report.pk).update(state=start, assignee=urban)
    report.refresh_from_db()
    before = report.history.count()
    calls = {
        "handle": lambda: services.report_handle(report=report, user=urban),
        "assign": lambda: services.report_assign(report=report, assignee=urban, user=urban),
        "unfounded": lambda: services.report_mark_unfounded(report=report, user=urban, note="x"),
        "unfounded-without-note": lambda: services.report_mark_unfounded(
            report=report, user=urban, note="  "),
    }
    with pytest.raises(services.ValidationError) as exc:
        calls[action]()
    assert error_field in exc.value.message_dict
    report.refresh_from_db()
    assert report.state == start
    assert report.history.count() == before


def test_assignee_must_be_urban_management(zone, urban, user_factory):
    report = services.report_create(zone=zone, category="litter", text="垃圾")
    with pytest.raises(services.ValidationError):
        services.report_assign(report=report, assignee=user_factory("leaders"), user=urban)
    assert Report.objects.get().state == "new"


@pytest.mark.parametrize(("role", "status"), [
    ("urban_management", 302),
    ("project_office", 403),
    ("market_supervision", 403),
    ("leaders", 403),
    ("department_staff", 403),
    (None, 403),
])
def test_triage_permission_matrix(client, zone, user_factory, urban, role, status):
    report = services.report_create(zone=zone, category="litter", text="垃圾")
    client.force_login(user_factory(role))
    assert client.get("/staff/reports/").status_code == (200 if status == 302 else 403)
    response = client.post(f"/staff/reports/{report.pk}/",
                           {"action": "assign", "assignee": urban.pk})
    assert response.status_code == status
    assert Report.objects.get().state == ("assigned" if status == 302 else "new")


def test_anonymous_is_sent_to_the_login_form(client, zone):
    response = client.get("/staff/reports/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/staff/reports/")


def test_staff_page_flags_overdue_and_counts_per_zone(client, zone, urban):
    now = timezone.now()
    services.report_create(
        zone=zone, category="litter", text="旧", now=now - dt.timedelta(hours=30)
    )
    services.report_create(zone=zone, category="noise", text="新", now=now)
    done = services.report_create(zone=zone, category="other", text="完", now=now)
    services.report_mark_unfounded(report=done, user=urban, note="无此事")
    client.force_login(urban)
    html = client.get("/staff/reports/").content.decode()
    assert html.count("report-overdue-flag") == 1
    counts = re.search(rf'<tr data-zone="{zone.pk}">.*?</tr>', html, re.S).group(0)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>",
                                                                  counts, re.S)]
    assert cells == ["大唐路夜市", "2", "1", "3"]  # open, overdue, all
    staff_list = client.get("/staff/markets/").content.decode()
    row = re.search(rf'<tr data-zone="{zone.pk}".*?</tr>', staff_list, re.S).group(0)
    cell = re.search(r'class="zone-reports">(.*?)</td>', row, re.S).group(1)
    assert re.sub(r"<[^>]+>", "", cell).split() == ["2", "1", "overdue"]


def test_staff_photo_is_for_urban_management_only(client, zone, urban, user_factory):
    report = services.report_create(zone=zone, category="litter", text="x",
                                    photo=jpeg_with_gps())
    assert client.get(f"/staff/reports/{report.pk}/photo.jpg").status_code == 302
    client.force_login(user_factory("leaders"))
    assert client.get(f"/staff/reports/{report.pk}/photo.jpg").status_code == 403
    client.force_login(urban)
    photo = client.get(f"/staff/reports/{report.pk}/photo.jpg")
    assert photo["Content-Type"] == "image/jpeg"
    assert photo.content.startswith(b"\xff\xd8")


# --- privacy: the phone's retention ---------------------------------------------------------


def test_purge_command_deletes_phones_past_the_retention_with_a_fixed_clock(
    zone, settings, monkeypatch
):
    settings.REPORT_PERSONAL_DATA_DAYS = 30
    fixed = dt.datetime(2026, 12, 3, 12, 0, tzinfo=SHANGHAI)
    old = services.report_create(zone=zone, category="litter", text="旧", phone="13800000001",
                                 now=fixed - dt.timedelta(days=30, seconds=1))
    edge = services.report_create(zone=zone, category="litter", text="边", phone="13800000002",
                                  now=fixed - dt.timedelta(days=30))
    monkeypatch.setattr(timezone, "now", lambda: fixed)
    out = io.StringIO()
    call_command("purge_report_personal_data", stdout=out)
    assert out.getvalue().strip() == (
        "Deleted the phone number of 1 report(s) older than 30 days."
    )
    old.refresh_from_db()
    edge.refresh_from_db()
    assert (old.phone, old.personal_data_purged_at) == ("", fixed)
    assert old.text == "旧"
    assert old.state == "new"
    assert edge.phone == "13800000002"  # exactly 30 days old: kept until it is older
    assert not Report.history.filter(code=old.code).exclude(text="旧").exists()
