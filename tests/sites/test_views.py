"""HTML pages: project and livelihood detail, report and blocker forms, dashboard, permissions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client

from sites.models import Blocker, ProgressReport

# Words only staff pages may contain (money, lights, blockers, leaders, history).
STAFF_MARKERS = ["Status light", "Completed this year", "Blockers", "王副市长", "Change history",
                 "investment-chart", "Submit report", "Total investment"]


def _client(user=None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["django_language"] = "en"
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def late_project(project_factory):
    # Planned start March 2026, still in preparation now (2026-11 or later): red, 3+ months.
    project = project_factory(name="索通盛源碳材料", planned_start=dt.date(2026, 3, 1),
                              total_investment=Decimal("88888"))
    Blocker.objects.create(project=project, kind="land", description="用地指标未落实",
                           raised_on=dt.date(2026, 4, 1))
    return project


@pytest.mark.django_db
def test_public_project_page_has_no_staff_field(late_project):
    response = _client().get(f"/projects/{late_project.pk}/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "索通盛源碳材料" in text
    assert "88888" not in text
    assert "用地指标未落实" not in text
    for marker in STAFF_MARKERS:
        assert marker not in text, marker


@pytest.mark.django_db
def test_staff_project_page_shows_light_reasons_and_forms(late_project, user_factory,
                                                          department):
    user = user_factory("department_staff", department=department)
    text = _client(user).get(f"/projects/{late_project.pk}/").content.decode()
    assert "light-red" in text
    assert "months behind planned start (2026-03)" in text
    assert "用地指标未落实" in text
    assert 'id="report-form"' in text


@pytest.mark.django_db
def test_leader_sees_but_cannot_report(late_project, user_factory):
    text = _client(user_factory("leaders")).get(f"/projects/{late_project.pk}/").content.decode()
    assert "light-red" in text
    assert 'id="report-form"' not in text


@pytest.mark.django_db
def test_unpublished_project_page_is_404_for_public(project_factory):
    project = project_factory(published=False)
    assert _client().get(f"/projects/{project.pk}/").status_code == 404


@pytest.mark.django_db
def test_report_form_saves_and_shows_in_history(late_project, user_factory, department):
    user = user_factory("department_staff", department=department)
    client = _client(user)
    response = client.post(f"/projects/{late_project.pk}/report/", {
        "month": "2026-06", "stage": "construction", "completed_investment": "1500",
        "percent_complete": "20", "actual_start": "2026-06-10", "note": ""})
    assert response.status_code == 302
    text = client.get(f"/projects/{late_project.pk}/").content.decode()
    assert "Progress report for 2026-06 saved." in text
    assert "progress report 2026-06" in text  # change history row
    late_project.refresh_from_db()
    assert late_project.stage == "construction"


@pytest.mark.django_db
def test_report_form_errors_are_400_and_nothing_saved(late_project, user_factory, department):
    user = user_factory("department_staff", department=department)
    response = _client(user).post(f"/projects/{late_project.pk}/report/", {
        "month": "2026-06", "stage": "completed", "completed_investment": "1500",
        "percent_complete": "100", "actual_start": "2026-06-10"})
    assert response.status_code == 400
    assert "needs the actual end date" in response.content.decode()
    assert ProgressReport.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "own", "status"), [
    (None, False, 403), ("department_staff", False, 403), ("leaders", False, 403),
    ("department_staff", True, 302), ("project_office", False, 302),
])
def test_report_form_permissions(late_project, user_factory, department, department_factory,
                                 role, own, status):
    other = department_factory()
    user = user_factory(role, department=department if own else other) if role else None
    response = _client(user).post(f"/projects/{late_project.pk}/report/", {
        "month": "2026-06", "stage": "preparation", "completed_investment": "0",
        "percent_complete": "0"})
    assert response.status_code == status


@pytest.mark.django_db
def test_blocker_add_and_resolve_through_the_page(late_project, user_factory):
    client = _client(user_factory("project_office"))
    response = client.post(f"/projects/{late_project.pk}/blockers/",
                           {"kind": "funding", "description": "资金缺口"})
    assert response.status_code == 302
    blocker = Blocker.objects.get(description="资金缺口")
    assert client.post(f"/blockers/{blocker.pk}/resolve/").status_code == 302
    blocker.refresh_from_db()
    assert blocker.resolved


@pytest.mark.django_db
def test_livelihood_page(livelihood_factory, user_factory):
    work = livelihood_factory(name="五一路小学教学楼", total_investment=Decimal("7777"),
                              milestones=[("主体封顶", dt.date(2026, 3, 1), None)])
    public = _client().get(f"/livelihood/{work.pk}/").content.decode()
    assert "五一路小学教学楼" in public
    assert "主体封顶" in public
    assert "7777" not in public
    assert "Milestone progress" not in public
    staff = _client(user_factory("leaders")).get(f"/livelihood/{work.pk}/").content.decode()
    assert "7777" in staff
    assert "ms-late" in staff


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "status"), [
    ("anonymous", 302), (None, 403), ("leaders", 200), ("department_staff", 200),
])
def test_dashboard_is_for_staff(user_factory, late_project, role, status):
    user = None if role == "anonymous" else user_factory(role)
    response = _client(user).get("/dashboard/?as_of=2026-06")
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith("/accounts/login/")
    if status == 200:
        text = response.content.decode()
        assert 'id="by-department"' in text
        assert 'id="by-leader"' in text
        assert "发改委" in text


@pytest.mark.django_db
def test_dashboard_money_reads_in_yi_and_wan(project_factory, user_factory):
    # Planned 40,000 + 30,000 万元 = 7.0 亿元; completed 25,000 + 4,000 = 29,000 万元 = 2.9 亿元;
    # rate 29,000 / 70,000 = 41.43% → "41.4%". The bond target is 10,000,000 万元 = 1,000 亿元.
    project_factory(planned_investment_year=Decimal("40000"),
                    completed_investment_year=Decimal("25000"), stage="construction")
    project_factory(planned_investment_year=Decimal("30000"),
                    completed_investment_year=Decimal("4000"), stage="construction")
    client = Client()
    client.force_login(user_factory("leaders"))
    text = client.get("/dashboard/").content.decode()
    assert "2.9 亿元 / 7.0 亿元" in text
    assert "41.4%" in text
    assert "0 万元 / 1,000.0 亿元" in text
    english = _client(user_factory("leaders")).get("/dashboard/").content.decode()
    assert "290.0 million yuan of 700.0 million yuan" in english
