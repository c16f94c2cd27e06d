"""Department staff's work: their project list, report links, and refusals of other departments'."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from sites.models import ProgressReport, Project

LIST = "/staff/projects/"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _month(offset: int = 0) -> dt.date:
    """The first day of this month (offset 0) or of a month before it (Asia/Shanghai)."""
    first = timezone.localdate().replace(day=1)
    for _ in range(offset):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return first


@pytest.fixture
def two_departments(department_factory, project_factory, user_factory):
    """工信局 (gxj) leads two projects, 住建局 (zjj) one; one report on the first, last month."""
    gxj = department_factory(code="gxj", name="工信局")
    zjj = department_factory(code="zjj", name="住建局")
    own_a = project_factory(name="铝深加工项目", lead_department=gxj, stage="construction",
                            actual_start=dt.date(2026, 3, 10), percent_complete=Decimal("40.0"))
    own_b = project_factory(name="储能装备项目", lead_department=gxj)
    foreign = project_factory(name="老旧小区改造项目", lead_department=zjj)
    ProgressReport.objects.create(
        project=own_a, month=_month(1), stage="construction", percent_complete=Decimal("40.0"),
        completed_investment=Decimal("800"), reported_at=timezone.now(),
    )
    return {
        "gxj": gxj, "zjj": zjj, "own_a": own_a, "own_b": own_b, "foreign": foreign,
        "dept": user_factory("department_staff", department=gxj),
    }


def _rows(html: str) -> dict[int, str]:
    return {int(pk): body for pk, body in re.findall(
        r'<tr data-project="(\d+)"[^>]*>(.*?)</tr>', html, re.S)}


@pytest.mark.django_db
def test_department_staff_see_their_own_department_with_report_links(two_departments):
    d = two_departments
    response = _client(d["dept"]).get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    rows = _rows(html)
    # Only 工信局's two projects, in code order; 住建局's is not listed.
    assert list(rows) == sorted([d["own_a"].pk, d["own_b"].pk],
                                key=lambda pk: Project.objects.get(pk=pk).code)
    assert "工信局牵头的项目" in html
    first = rows[d["own_a"].pk]
    assert "在建" in first
    assert "40.0%" in first
    assert f'<time datetime="{_month(1):%Y-%m}">' in first  # the last reported month
    assert f'href="/projects/{d["own_a"].pk}/#report-form"' in first
    assert "填报进度" in first
    assert "尚未填报" in rows[d["own_b"].pk]
    # The light column holds one of the three lights, labelled in Chinese.
    assert re.search(r'light-chip light-(green|yellow|red)">.*?(绿灯|黄灯|红灯|绿|黄|红)', first,
                     re.S)


@pytest.mark.django_db
def test_project_office_sees_every_department_and_filters(two_departments, user_factory):
    d = two_departments
    client = _client(user_factory("project_office"))
    everything = _rows(client.get(LIST).content.decode())
    assert set(everything) == {d["own_a"].pk, d["own_b"].pk, d["foreign"].pk}
    only = client.get(LIST, {"department": "zjj"})
    assert only.status_code == 200
    assert list(_rows(only.content.decode())) == [d["foreign"].pk]
    bad = client.get(LIST, {"department": "nope"})
    assert bad.status_code == 400
    assert "未知的部门代码：nope。" in bad.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "status", "report_links"), [
    ("leaders", 200, False),
    ("urban_management", 403, None),
    ("market_supervision", 403, None),
])
def test_who_may_open_the_list(two_departments, user_factory, role, status, report_links):
    response = _client(user_factory(role)).get(LIST)
    assert response.status_code == status
    if status == 200:
        assert len(_rows(response.content.decode())) == 3
        assert ("report-link" in response.content.decode()) is report_links
    else:
        assert "此列表供部门填报人员、项目办和领导使用。" in response.content.decode()


@pytest.mark.django_db
def test_anonymous_is_sent_to_login_and_a_user_without_department_is_told(db, user_factory):
    response = Client().get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/staff/projects/")
    page = _client(user_factory("department_staff")).get(LIST)
    assert page.status_code == 200
    assert 'id="no-department"' in page.content.decode()


@pytest.mark.django_db
def test_header_links_department_staff_to_their_list(two_departments):
    html = _client(two_departments["dept"]).get("/").content.decode()
    assert '<a href="/staff/projects/"' in html
    assert "项目填报" in html


# --- the report form and its refusals -----------------------------------------------------


def _report(**kw) -> dict:
    data = {"month": f"{_month(0):%Y-%m}", "stage": "construction",
            "completed_investment": "900", "percent_complete": "45",
            "actual_start": "2026-03-10", "note": ""}
    data.update(kw)
    return data


def _snapshot(project: Project) -> tuple:
    return (ProgressReport.objects.count(), project.history.count(),
            Project.objects.values().get(pk=project.pk))


@pytest.mark.django_db
@pytest.mark.parametrize("data", [_report(), _report(percent_complete="150")])
def test_a_report_on_another_departments_project_is_403_and_nothing_is_saved(
        two_departments, data):
    d = two_departments
    before = _snapshot(d["foreign"])
    response = _client(d["dept"]).post(f"/projects/{d['foreign'].pk}/report/", data)
    # Refused before the form is read: valid or not, the answer is the same 403 with a reason.
    assert response.status_code == 403
    html = response.content.decode()
    assert "只能填报本单位牵头的项目；该项目的牵头单位是住建局。" in html
    assert _snapshot(d["foreign"]) == before


@pytest.mark.django_db
def test_the_foreign_project_page_offers_no_report_link_or_form(two_departments):
    d = two_departments
    client = _client(d["dept"])
    foreign = client.get(f"/projects/{d['foreign'].pk}/").content.decode()
    assert 'id="report-form"' not in foreign
    assert 'id="report-link"' not in foreign
    own = client.get(f"/projects/{d['own_a'].pk}/").content.decode()
    assert 'id="report-link"' in own
    assert 'href="#report-form"' in own
    assert f'action="/projects/{d["own_a"].pk}/report/"' in own


@pytest.mark.django_db
def test_own_report_is_saved(two_departments):
    d = two_departments
    response = _client(d["dept"]).post(f"/projects/{d['own_a'].pk}/report/", _report())
    assert response.status_code == 302
    assert response["Location"] == f"/projects/{d['own_a'].pk}/"
    report = ProgressReport.objects.get(project=d["own_a"], month=_month(0))
    assert report.completed_investment == Decimal("900")
    assert report.reporter == d["dept"]


@pytest.mark.django_db
def test_a_refused_report_shows_a_banner_and_the_form_with_the_typed_values(two_departments):
    d = two_departments
    before = _snapshot(d["own_a"])
    response = _client(d["dept"]).post(
        f"/projects/{d['own_a'].pk}/report/",
        _report(percent_complete="150", note="本月设备安装"),
    )
    assert response.status_code == 400
    html = response.content.decode()
    # The banner at the top of the page, in Chinese.
    banner = html.index("进度报告未保存：请在下方填报表中修改标出的项目。")
    assert banner < html.index("<h1")
    # The form is marked refused (its script focuses the first invalid field), lists the
    # errors with links to the fields, and keeps what was typed.
    assert 'data-refused="true"' in html
    assert 'id="report-errors"' in html
    assert 'href="#id_percent_complete"' in html
    assert "形象进度必须在 0 到 100% 之间。" in html
    assert 'value="150"' in html
    assert "本月设备安装" in html
    assert _snapshot(d["own_a"]) == before


@pytest.mark.django_db
def test_get_on_the_report_url_goes_to_the_form(two_departments):
    d = two_departments
    response = _client(d["dept"]).get(f"/projects/{d['own_a'].pk}/report/")
    assert response.status_code == 302
    assert response["Location"] == f"/projects/{d['own_a'].pk}/#report-form"
    assert Client().put(f"/projects/{d['own_a'].pk}/report/").status_code == 405


@pytest.mark.django_db
def test_a_blocker_on_another_departments_project_is_403(two_departments):
    d = two_departments
    response = _client(d["dept"]).post(f"/projects/{d['foreign'].pk}/blockers/",
                                       {"kind": "land", "description": "用地未批"})
    assert response.status_code == 403
    assert d["foreign"].blockers.count() == 0


# --- as_of on the detail pages ------------------------------------------------------------


@pytest.mark.django_db
def test_project_page_honours_as_of_and_leads_back_to_the_map_view(
        two_departments, user_factory):
    d = two_departments
    client = _client(user_factory("leaders"))
    # Now: the project's current figures (40.0 %, construction). As of a month before the
    # only report (two months ago): no report yet, so preparation and 0 % (lights.with_state).
    earlier = _month(2)
    now = client.get(f"/projects/{d['own_a'].pk}/").content.decode()
    assert '<span class="percent">40.0%</span>' in now
    assert 'id="as-of-note"' not in now
    query = f"as_of={earlier:%Y-%m}&stage=construction&bogus=1"
    then = client.get(f"/projects/{d['own_a'].pk}/?{query}")
    assert then.status_code == 200
    html = then.content.decode()
    assert '<span class="percent">0.0%</span>' in html or '<span class="percent">0%</span>' in html
    assert '<dd class="stage">前期</dd>' in html
    assert f"截至 {earlier.year}年{earlier.month}月" in html
    # The breadcrumb leads back to the map with the same view (unknown keys dropped).
    assert 'id="back-to-map"' in html
    assert f'href="/?stage=construction&amp;as_of={earlier:%Y-%m}"' in html
    # As of the report's month: its figures.
    at_report = client.get(f"/projects/{d['own_a'].pk}/?as_of={_month(1):%Y-%m}").content
    assert '<span class="percent">40.0%</span>' in at_report.decode()


@pytest.mark.django_db
def test_a_bad_as_of_is_400_with_the_current_state(two_departments, user_factory):
    d = two_departments
    response = _client(user_factory("leaders")).get(f"/projects/{d['own_a'].pk}/?as_of=2026-13")
    assert response.status_code == 400
    html = response.content.decode()
    assert "as_of" in html
    assert 'id="as-of-note"' not in html
    assert '<span class="percent">40.0%</span>' in html


@pytest.mark.django_db
def test_livelihood_page_honours_as_of(livelihood_factory, user_factory):
    # One milestone planned 1 March 2026, reached 20 May 2026. As of 2026-04 (ref 30 April) it
    # was late; as of 2026-05 (ref 31 May) done.
    work = livelihood_factory(milestones=[("开工", dt.date(2026, 3, 1), dt.date(2026, 5, 20))])
    client = _client(user_factory("leaders"))
    april = client.get(f"/livelihood/{work.pk}/?as_of=2026-04").content.decode()
    may = client.get(f"/livelihood/{work.pk}/?as_of=2026-05").content.decode()
    assert 'class="milestone-light ms-late"' in april
    assert 'class="milestone-light ms-done"' in may
    assert "截至 2026年4月底" in april


@pytest.mark.django_db
def test_dashboard_links_back_to_the_map_with_its_filters(db, user_factory, department):
    client = _client(user_factory("leaders"))
    html = client.get("/dashboard/", {"as_of": "2026-06", "department": "fgw"}).content.decode()
    assert 'id="dashboard-map-link" ' not in html  # attribute order: href first
    link = re.search(r'<a href="([^"]*)" id="dashboard-map-link">', html)
    assert link
    assert link.group(1) == "/?department=fgw&amp;as_of=2026-06"
    # The month form keeps the other filters.
    assert '<input type="hidden" name="department" value="fgw">' in html


@pytest.mark.django_db
def test_a_project_not_yet_placed_is_listed_and_reported_on(two_departments, project_factory):
    d = two_departments
    unplaced = project_factory(name="待落图项目", lead_department=d["gxj"], geom=None)
    client = _client(d["dept"])
    rows = _rows(client.get(LIST).content.decode())
    assert f'href="/projects/{unplaced.pk}/#report-form"' in rows[unplaced.pk]
    page = client.get(f"/projects/{unplaced.pk}/")
    assert page.status_code == 200
    assert 'id="report-form"' in page.content.decode()
