"""Monthly progress reports and blockers: permissions, validation, atomicity, history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from sites.models import Blocker, ProgressReport, Project

URL = "/api/v1/projects/{}/reports/"


@pytest.fixture
def dept_b(department_factory):
    return department_factory(code="jtj", name="交通局")


def _client(api_client, user):
    api_client.force_authenticate(user)
    return api_client


def _good(**kw) -> dict:
    data = {"month": "2026-05", "stage": "construction", "completed_investment": "1200.50",
            "percent_complete": "30.0", "actual_start": "2026-04-10", "note": ""}
    data.update(kw)
    return data


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "own_department", "status"),
    [
        ("department_staff", True, 201),
        ("department_staff", False, 403),  # department A cannot report for B
        ("project_office", False, 201),  # project office reports for any
        ("leaders", False, 403),
        ("market_supervision", False, 403),
        (None, False, 403),  # logged in without a role
        ("anonymous", False, 403),
    ],
)
def test_who_may_report(api_client, project_factory, user_factory, department, dept_b,
                        role, own_department, status):
    project = project_factory(lead_department=department)
    if role != "anonymous":
        user = user_factory(role, department=department if own_department else dept_b)
        api_client.force_authenticate(user)
    response = api_client.post(URL.format(project.pk), _good(), format="json")
    assert response.status_code == status, response.content
    if status == 403:
        assert set(response.json()) == {"detail", "errors"}
        assert ProgressReport.objects.count() == 0


@pytest.mark.django_db
def test_report_updates_current_figures_and_keeps_history(api_client, project_factory,
                                                          user_factory, department):
    project = project_factory(lead_department=department)
    user = user_factory("department_staff", department=department)
    response = _client(api_client, user).post(URL.format(project.pk), _good(), format="json")
    assert response.status_code == 201
    body = response.json()
    assert {k: body[k] for k in ("month", "stage", "completed_investment", "percent_complete",
                                 "reporter")} == {
        "month": "2026-05", "stage": "construction", "completed_investment": 1200.5,
        "percent_complete": 30.0, "reporter": user.username}
    project.refresh_from_db()
    assert (project.stage, project.completed_investment_year, project.percent_complete,
            project.actual_start) == ("construction", Decimal("1200.50"), Decimal("30.0"),
                                      dt.date(2026, 4, 10))
    latest = project.history.first()
    assert latest.history_user == user
    assert latest.history_change_reason == "progress report 2026-05"
    report = ProgressReport.objects.get()
    assert report.history.first().history_user == user


@pytest.mark.django_db
def test_earlier_month_does_not_overwrite_current_figures(api_client, project_factory,
                                                          user_factory):
    project = project_factory()
    client = _client(api_client, user_factory("project_office"))
    assert client.post(URL.format(project.pk), _good(month="2026-06",
                       completed_investment="2000"), format="json").status_code == 201
    assert client.post(URL.format(project.pk), _good(month="2026-05",
                       completed_investment="1500"), format="json").status_code == 201
    project.refresh_from_db()
    assert project.completed_investment_year == Decimal("2000")


def _tomorrow() -> str:
    return (timezone.localdate() + dt.timedelta(days=1)).isoformat()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "field", "code_hint"),
    [
        (_good(completed_investment="-1"), "completed_investment", "negative"),
        (_good(percent_complete="100.1"), "percent_complete", "100"),
        (_good(percent_complete="-5"), "percent_complete", "100"),
        (_good(month="2026-13"), "month", "YYYY-MM"),
        (_good(month="2025-12"), "month", "2026"),
        (_good(stage="finished"), "stage", ""),
        (_good(actual_start=None), "actual_start", "actual start"),
        (_good(stage="completed", actual_end=None), "actual_end", "actual end"),
        (_good(stage="preparation"), "actual_start", "preparation"),
        (_good(actual_start="2025-12-31"), "actual_start", "2026"),  # new project, plan 2026
        (_good(stage="completed", actual_start="2026-04-10", actual_end="2026-04-01"),
         "actual_end", "before"),
        (_good(actual_end="2026-05-01"), "actual_end", "completed"),
        ("future", "actual_start", "future"),
        (_good(completed_investment="abc"), "completed_investment", ""),
    ],
)
def test_bad_reports_are_400_and_nothing_is_saved(api_client, project_factory, user_factory,
                                                  data, field, code_hint):
    if data == "future":
        data = _good(actual_start=_tomorrow())
    project = project_factory()
    before = Project.objects.values().get(pk=project.pk)
    history_before = project.history.count()
    client = _client(api_client, user_factory("project_office"))
    # The hints are English words: ask for English (the messages are translated now).
    response = client.post(URL.format(project.pk), data, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert field in body["errors"], body
    assert code_hint.lower() in " ".join(body["errors"][field]).lower()
    assert ProgressReport.objects.count() == 0
    assert Project.objects.values().get(pk=project.pk) == before
    assert project.history.count() == history_before


@pytest.mark.django_db
def test_lower_cumulative_investment_needs_a_note(api_client, project_factory, user_factory):
    project = project_factory()
    client = _client(api_client, user_factory("project_office"))
    client.post(URL.format(project.pk), _good(month="2026-05", completed_investment="1500"),
                format="json")
    lower = _good(month="2026-06", completed_investment="1400")
    response = client.post(URL.format(project.pk), lower, format="json")
    assert response.status_code == 400
    assert "1500" in response.json()["errors"]["completed_investment"][0]
    assert ProgressReport.objects.count() == 1
    project.refresh_from_db()
    assert project.completed_investment_year == Decimal("1500")
    lower["note"] = "审计核减 100 万元"
    assert client.post(URL.format(project.pk), lower, format="json").status_code == 201
    project.refresh_from_db()
    assert project.completed_investment_year == Decimal("1400")


@pytest.mark.django_db
def test_report_for_missing_project_is_404(api_client, user_factory):
    client = _client(api_client, user_factory("project_office"))
    assert client.post(URL.format(999999), _good(), format="json").status_code == 404


@pytest.mark.django_db
def test_reports_listing_is_staff_only(api_client, project_factory, user_factory):
    project = project_factory()
    ProgressReport.objects.create(project=project, month=dt.date(2026, 5, 1),
                                  stage="construction", completed_investment=10,
                                  percent_complete=5, reported_at=timezone.now())
    assert api_client.get(URL.format(project.pk)).status_code == 403
    client = _client(api_client, user_factory("leaders"))
    [row] = client.get(URL.format(project.pk)).json()
    assert (row["month"], row["stage"], row["completed_investment"]) == (
        "2026-05", "construction", 10.0)


@pytest.mark.django_db
def test_blockers_add_and_resolve(api_client, project_factory, user_factory, department,
                                  dept_b):
    project = project_factory(lead_department=department)
    url = f"/api/v1/projects/{project.pk}/blockers/"
    other = _client(api_client, user_factory("department_staff", department=dept_b))
    assert other.post(url, {"kind": "land", "description": "用地"}, format="json"
                      ).status_code == 403
    own = _client(api_client, user_factory("department_staff", department=department))
    response = own.post(url, {"kind": "land", "description": "用地指标未落实",
                              "raised_on": "2026-05-01"}, format="json")
    assert response.status_code == 201
    blocker_id = response.json()["id"]
    assert own.post(url, {"kind": "nosuch", "description": "x"}, format="json"
                    ).status_code == 400
    resolve = f"/api/v1/blockers/{blocker_id}/resolve/"
    assert own.post(resolve, {"resolved_on": "2026-04-01"}, format="json").status_code == 400
    response = own.post(resolve, {"resolved_on": "2026-05-20"}, format="json")
    assert response.status_code == 200
    assert response.json()["resolved"] is True
    assert own.post(resolve, {}, format="json").status_code == 400  # already resolved
    blocker = Blocker.objects.get()
    assert [h.history_change_reason for h in blocker.history.order_by("history_id")] == [
        "blocker raised", "blocker resolved"]
