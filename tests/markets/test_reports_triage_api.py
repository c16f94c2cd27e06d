"""Report triage through the API (issue 18): /api/v1/reports/<code>/assign/, handle/, unfounded/
with the /staff/reports/ page's permissions and the services' checks; personal data for staff
only. The list and its filters: test_reports.py."""

from __future__ import annotations

import pytest
from django.utils import translation

from markets.reports import services
from markets.reports.models import Report

STAFF_KEYS = {
    "code",
    "zone",
    "category",
    "category_label",
    "text",
    "state",
    "state_label",
    "created_at",
    "closed_at",
    "id",
    "point",
    "phone",
    "has_photo",
    "assignee",
    "assigned_at",
    "note",
    "due_at",
    "overdue",
}


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def zone(zone_factory, city):
    return zone_factory(name="大唐路夜市")


@pytest.fixture
def urban(user_factory):
    return user_factory("urban_management", username="chengguan")


@pytest.fixture
def report(zone):
    return services.report_create(zone=zone, category="litter", text="垃圾", phone="13800001111")


def step(api_client, report, name, body=None):
    return api_client.post(f"/api/v1/reports/{report.code}/{name}/", body or {}, format="json")


def history(report):
    return list(
        report.history.order_by("history_date").values_list(
            "state", "history_change_reason", "history_user__username"
        )
    )


def test_new_assigned_handled_through_the_api(api_client, report, urban, user_factory):
    user_factory("urban_management", username="zhangsan")
    api_client.force_authenticate(urban)
    response = step(api_client, report, "assign", {"assignee": "zhangsan"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == STAFF_KEYS
    assert (body["code"], body["state"], body["state_label"], body["assignee"]) == (
        report.code,
        "assigned",
        "Assigned",
        "zhangsan",
    )
    assert body["phone"] == "13800001111"  # staff see the personal data
    assert body["assigned_at"] is not None
    response = step(api_client, report, "handle", {"note": "已清理"})
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["state"], body["note"], body["closed_at"] is not None) == (
        "handled",
        "已清理",
        True,
    )
    assert history(report) == [
        ("new", "reported", None),
        ("assigned", "assigned to zhangsan", "chengguan"),
        ("handled", "handled", "chengguan"),
    ]
    # The public status by code still shows no personal data, to staff either.
    public = api_client.get(f"/api/v1/reports/{report.code}/").json()
    assert "phone" not in public
    assert public["state"] == "handled"


def test_typed_code_reaches_the_report(api_client, report, urban):
    api_client.force_authenticate(urban)
    typed = report.code.lower().replace("0", "o").replace("1", "l")
    response = api_client.post(
        f"/api/v1/reports/{typed}/unfounded/", {"note": "现场核查无此事"}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["state"] == "unfounded"
    assert Report.objects.get().note == "现场核查无此事"


@pytest.mark.parametrize(
    "role", [None, "project_office", "market_supervision", "leaders", "department_staff"]
)
@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("assign", {"assignee": "chengguan"}),
        ("handle", {}),
        ("unfounded", {"note": "无"}),
    ],
)
def test_only_urban_management_triages(api_client, report, urban, user_factory, role, name, body):
    if role:
        api_client.force_authenticate(user_factory(role))
    response = step(api_client, report, name, body)
    assert response.status_code == 403
    assert "13800001111" not in response.content.decode()
    assert Report.objects.get().state == "new"
    assert report.history.count() == 1


def test_admin_triages(api_client, report, urban, user_factory):
    api_client.force_authenticate(user_factory(None, is_superuser=True))
    assert step(api_client, report, "assign", {"assignee": "chengguan"}).status_code == 200


def test_anonymous_is_refused_with_the_session_or_a_bad_token(api_client, report):
    assert step(api_client, report, "assign", {"assignee": "x"}).status_code == 403
    api_client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert step(api_client, report, "handle").status_code in (401, 403)
    assert Report.objects.get().state == "new"


@pytest.mark.parametrize(
    ("start", "name", "body", "status", "field", "message"),
    [
        # Handled only after someone was assigned (as the page): a state conflict.
        (
            "new",
            "handle",
            {},
            409,
            "state",
            "Assign the report to someone before marking it handled.",
        ),
        (
            "handled",
            "assign",
            {"assignee": "chengguan"},
            409,
            "state",
            "This report is already closed (Handled); it cannot change.",
        ),
        (
            "unfounded",
            "unfounded",
            {"note": "x"},
            409,
            "state",
            "This report is already closed (Unfounded); it cannot change.",
        ),
        ("new", "unfounded", {"note": "   "}, 400, "note", "Say why the report is unfounded."),
        ("new", "unfounded", {}, 400, "note", "Say why the report is unfounded."),
        (
            "new",
            "assign",
            {"assignee": "leader1"},
            400,
            "assignee",
            "Reports are assigned to an active urban-management account.",
        ),
        (
            "new",
            "assign",
            {"assignee": "nobody"},
            400,
            "assignee",
            "Reports are assigned to an active urban-management account.",
        ),
        ("new", "assign", {}, 400, "assignee", None),
        ("assigned", "handle", {"note": "长" * 1001}, 400, "note", None),
        ("assigned", "handle", {"note": "a\x00b"}, 400, "note", None),
    ],
)
def test_refused_steps_are_4xx_and_change_nothing(
    api_client, report, urban, user_factory, start, name, body, status, field, message
):
    user_factory("leaders", username="leader1")
    Report.objects.filter(pk=report.pk).update(state=start, assignee=urban)
    api_client.force_authenticate(urban)
    before = Report.objects.values().get()
    response = step(api_client, report, name, body)
    assert response.status_code == status, response.json()
    payload = response.json()
    assert field in payload["errors"]
    if message:
        assert payload["detail"] == message
    assert Report.objects.values().get() == before
    assert report.history.count() == 1


def test_a_body_that_is_not_an_object_is_a_400(api_client, report, urban):
    api_client.force_authenticate(urban)
    response = api_client.post(
        f"/api/v1/reports/{report.code}/handle/", "[1, 2]", content_type="application/json"
    )
    assert response.status_code == 400
    response = api_client.post(
        f"/api/v1/reports/{report.code}/handle/", "{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert Report.objects.get().state == "new"


def test_unknown_code_is_a_404(api_client, urban):
    api_client.force_authenticate(urban)
    assert (
        api_client.post("/api/v1/reports/ZZZZZZZZZZ/handle/", {}, format="json").status_code == 404
    )
    assert (
        api_client.post(
            "/api/v1/reports/not-a-code/assign/", {"assignee": "chengguan"}, format="json"
        ).status_code
        == 404
    )


def test_list_then_triage_a_filtered_report(api_client, zone, urban):
    """The round trip a triage client makes: list new reports of a zone, move one, list again."""
    first = services.report_create(zone=zone, category="litter", text="一")
    second = services.report_create(zone=zone, category="noise", text="二")
    api_client.force_authenticate(urban)
    codes = lambda q: [r["code"] for r in api_client.get("/api/v1/reports/", q).json()]  # noqa: E731
    assert codes({"state": "new", "zone": zone.pk}) == [second.code, first.code]
    assert step(api_client, first, "assign", {"assignee": "chengguan"}).status_code == 200
    assert codes({"state": "new", "zone": zone.pk}) == [second.code]
    assert codes({"state": "assigned"}) == [first.code]


def test_triage_steps_are_in_the_openapi_document(api_client, db):
    document = api_client.get("/api/schema/?format=json").json()
    for name in ("assign", "handle", "unfounded"):
        operation = document["paths"][f"/api/v1/reports/{{code}}/{name}/"]["post"]
        assert {"200", "400", "403", "404", "409"} <= set(operation["responses"])
        assert {} not in operation["security"]  # staff only
    schemas = document["components"]["schemas"]
    assert schemas["AssignInput"]["required"] == ["assignee"]
    assert schemas["UnfoundedInput"]["required"] == ["note"]


def test_a_session_step_needs_the_csrf_token(report, urban):
    # A signed-in browser session (not a token) is refused without the CSRF token: a forging
    # page cannot move a report in a staff member's name.
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(urban)
    response = browser.post(
        f"/api/v1/reports/{report.code}/unfounded/",
        {"note": "伪造"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert Report.objects.get().state == "new"
