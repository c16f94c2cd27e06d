"""The audit trail: who, from which address and when, for every write; the admins' one view."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from geo.models import CityBoundary, ContextFeature, Department, District, Leader, StaffProfile
from geo.recent_changes import audited_models
from markets.models import CalendarException, Changeset, Closure, MarketZone
from markets.reports.models import Report
from sites.models import Blocker, LivelihoodWork, Milestone, ProgressReport, Project
from sites.orders.models import OrderAttachment, OrderReply, SupervisionOrder
from sites.services import blocker_add
from tests.conftest import DEMO_PASSWORD

AUDIT = "/admin/audit/"
PROXY = {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "6.6.6.6, 203.0.113.20"}


@pytest.fixture(autouse=True)
def behind_nginx(settings):
    """The portal behind one nginx on the same machine (README, "Behind nginx")."""
    settings.TRUSTED_PROXIES = "127.0.0.1/32"


@pytest.fixture
def admin_client(db) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root", password="pw-for-tests-1"))
    return client


@pytest.fixture
def urban(user_factory) -> User:
    return user_factory("urban_management")


@pytest.fixture
def zone_admin(user_factory) -> User:
    """An administrator: zone API writes go live only for administrators (issue 18)."""
    return user_factory(is_superuser=True, is_staff=True)


def _rows(html: str) -> list[dict[str, str]]:
    """The audit table's rows as {class: text}, tags stripped."""
    rows = []
    for body in re.findall(r'<tr class="audit-row">(.*?)</tr>', html, re.S):
        cells = re.findall(r'<td class="audit-(\w+)"[^>]*>(.*?)</td>', body, re.S)
        rows.append({name: " ".join(re.sub(r"<[^>]+>", " ", text).split())
                     for name, text in cells} | {"html": body})
    return rows


def test_every_history_model_keeps_the_address():
    assert set(audited_models()) == {
        Project, ProgressReport, Blocker, LivelihoodWork, Milestone, MarketZone, Closure,
        CalendarException, Changeset, Department, Leader, District, CityBoundary, StaffProfile,
        ContextFeature,  # main roads and the river (issue 16): reference data, audited too
        SupervisionOrder, OrderReply, OrderAttachment,  # issue 17: every step of an order
        Report,  # issue 18: public reports and their triage
    }
    for model in audited_models():
        field = model.history.model._meta.get_field("history_client_ip")
        assert field.null, model


# --- writes record user, address and time ------------------------------------------------------


@pytest.mark.django_db
def test_an_api_write_records_user_address_and_time(city, zone_factory, zone_admin):
    zone = zone_factory(name="新华路后备箱集市")
    client = APIClient()
    client.force_authenticate(zone_admin)
    before = timezone.now()
    response = client.patch(
        f"/api/v1/markets/{zone.pk}/",
        {"type": "Feature", "geometry": None, "properties": {"capacity": 30}, "reason": "扩容"},
        format="json", HTTP_IF_MATCH='"1"', **PROXY,
    )
    assert response.status_code == 200, response.json()
    record = zone.history.latest()
    assert (record.history_type, record.history_user, record.history_client_ip,
            record.history_change_reason) == ("~", zone_admin, "203.0.113.20", "扩容")
    assert before <= record.history_date <= timezone.now()


@pytest.mark.django_db
def test_a_page_write_records_user_address_and_time(project_factory, department, user_factory):
    project = project_factory(name="铝深加工项目", lead_department=department)
    staff = user_factory("department_staff", department=department)
    client = Client()
    client.force_login(staff)
    month = timezone.localdate().replace(day=1)
    before = timezone.now()
    response = client.post(f"/projects/{project.pk}/report/", {
        "month": f"{month:%Y-%m}", "stage": "construction", "completed_investment": "900",
        "percent_complete": "45", "actual_start": "2026-03-10", "note": "",
    }, **PROXY)
    assert response.status_code == 302
    report = ProgressReport.objects.get(project=project)
    # The report itself keeps who and when; both history rows (report, project) add the address.
    assert report.reporter == staff
    assert before <= report.reported_at <= timezone.now()
    for record in (report.history.latest(), project.history.latest()):
        assert (record.history_user, record.history_client_ip) == (staff, "203.0.113.20")
        assert before <= record.history_date <= timezone.now()


@pytest.mark.django_db
def test_a_peer_that_is_not_a_proxy_is_the_address(city, zone_factory, zone_admin):
    zone = zone_factory()
    client = APIClient()
    client.force_authenticate(zone_admin)
    response = client.patch(
        f"/api/v1/markets/{zone.pk}/",
        {"type": "Feature", "geometry": None, "properties": {"capacity": 30}, "reason": "扩容"},
        format="json", HTTP_IF_MATCH='"1"', REMOTE_ADDR="198.51.100.7",
        HTTP_X_FORWARDED_FOR="203.0.113.20",
    )
    assert response.status_code == 200
    assert zone.history.latest().history_client_ip == "198.51.100.7"


@pytest.mark.django_db
def test_a_write_outside_a_request_has_user_and_time_but_no_address(project_factory,
                                                                     user_factory):
    office = user_factory("project_office")
    blocker = blocker_add(project=project_factory(), kind="land", description="征地未完成",
                          raised_on=dt.date(2026, 11, 2), user=office)
    record = blocker.history.latest()
    assert (record.history_user, record.history_client_ip) == (office, None)
    assert record.history_date is not None


# --- the admins' view of the latest changes ----------------------------------------------------


@pytest.mark.django_db
def test_the_view_lists_a_write_with_who_where_when_and_why(admin_client, city, zone_factory,
                                                            zone_admin):
    zone = zone_factory(name="新华路后备箱集市")
    client = APIClient()
    client.force_authenticate(zone_admin)
    client.patch(f"/api/v1/markets/{zone.pk}/",
                 {"type": "Feature", "geometry": None, "properties": {"capacity": 30},
                  "reason": "扩容"}, format="json", HTTP_IF_MATCH='"1"', **PROXY)
    # 2026-12-01 16:30:05 UTC is 2026-12-02 00:30:05 in Asia/Shanghai (UTC+8): the next day.
    zone.history.filter(history_type="~").update(
        history_date=dt.datetime(2026, 12, 1, 16, 30, 5, tzinfo=dt.UTC))
    zone.history.filter(history_type="+").update(
        history_date=dt.datetime(2026, 12, 1, 16, 0, 0, tzinfo=dt.UTC))
    response = admin_client.get(AUDIT, {"model": "markets.marketzone"})
    assert response.status_code == 200
    rows = _rows(response.content.decode())
    assert [(row["when"], row["kind"], row["user"], row["address"], row["reason"])
            for row in rows] == [
        ("2026-12-02 00:30:05", "~ 已修改", zone_admin.username, "203.0.113.20", "扩容"),
        ("2026-12-02 00:00:00", "+ 创建", "—", "—", ""),
    ]
    assert rows[0]["record"] == "集市区域: 新华路后备箱集市 ( 历史 )"
    assert f'href="/admin/markets/marketzone/{zone.pk}/change/"' in rows[0]["html"]
    assert f'href="/admin/markets/marketzone/{zone.pk}/history/"' in rows[0]["html"]
    assert "共 2 条修改" in response.content.decode()


@pytest.mark.django_db
def test_a_deleted_row_links_to_its_history_only(admin_client, project_factory):
    project = project_factory(name="已撤销项目")
    pk = project.pk
    project.delete()
    row = _rows(admin_client.get(AUDIT).content.decode())[0]
    assert row["kind"].startswith("-")
    assert "已撤销项目" in row["record"]
    assert f"/admin/sites/project/{pk}/change/" not in row["html"]
    assert f'href="/admin/sites/project/{pk}/history/"' in row["html"]


@pytest.fixture
def many_changes(project_factory, city, zone_factory, urban, user_factory):
    """60 projects, their department and leader, the city, 2 zones (all by the shell, no user);
    3 zone changes by urban, 1 by another."""
    for _ in range(60):
        project_factory()
    other = user_factory("urban_management")
    zones = [zone_factory() for _ in range(2)]
    for user, zone, capacity in [(urban, zones[0], 10), (urban, zones[0], 11),
                                 (urban, zones[1], 12), (other, zones[1], 13)]:
        zone.capacity = capacity
        zone._history_user = user
        zone.save()
    return {"other": other}


@pytest.mark.django_db
def test_filters_and_pages(admin_client, many_changes, urban):
    # 60 projects + department + leader + city + 2 zones created + 4 zone changes = 69 changes.
    first = admin_client.get(AUDIT).content.decode()
    assert "共 69 条修改" in first
    assert len(_rows(first)) == 50
    assert "第 1 / 2 页" in first
    second = admin_client.get(AUDIT, {"page": 2}).content.decode()
    assert len(_rows(second)) == 19
    zones = _rows(admin_client.get(AUDIT, {"model": "markets.marketzone"}).content.decode())
    assert len(zones) == 6
    assert all(row["record"].startswith("集市区域") for row in zones)
    mine = _rows(admin_client.get(AUDIT, {"user": urban.username}).content.decode())
    assert [row["user"] for row in mine] == [urban.username] * 3
    both = admin_client.get(AUDIT, {"user": urban.username, "model": "sites.project"})
    assert _rows(both.content.decode()) == []
    assert "没有符合筛选条件的修改。" in both.content.decode()
    # The pager keeps the filters.
    assert 'href="?model=sites.project&amp;page=2"' in admin_client.get(
        AUDIT, {"model": "sites.project"}).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("query", [{"model": "auth.user"}, {"page": "zwei"}, {"page": "0"}])
def test_a_bad_filter_is_400(admin_client, query):
    response = admin_client.get(AUDIT, query)
    assert response.status_code == 400
    assert 'id="audit-errors"' in response.content.decode()
    assert 'class="audit-row"' not in response.content.decode()


@pytest.mark.django_db
def test_a_page_past_the_end_shows_the_last(admin_client, many_changes):
    html = admin_client.get(AUDIT, {"page": 9}).content.decode()
    assert "第 2 / 2 页" in html
    assert len(_rows(html)) == 19


@pytest.mark.django_db
def test_the_view_reads_a_page_in_a_fixed_number_of_queries(admin_client, many_changes,
                                              django_assert_num_queries):
    # Session and user for the admin, the count and the page (each one UNION over the 13
    # history tables), and the city's extent (geo.context_processors, on every page), whether
    # the page has 19 rows or 50.
    for query in ({}, {"page": 2}, {"model": "markets.marketzone"}, {"user": "nobody"}):
        with django_assert_num_queries(5):
            assert admin_client.get(AUDIT, query).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kind", "status"),
    [("anonymous", 302), ("office", 302), ("staff_not_superuser", 403)],
)
def test_only_admins_may_read_it(user_factory, kind, status):
    client = Client()
    if kind == "office":
        client.force_login(user_factory("project_office"))
    elif kind == "staff_not_superuser":
        client.force_login(user_factory("project_office", is_staff=True))
    response = client.get(AUDIT)
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith("/admin/login/")
    assert 'class="audit-row"' not in response.content.decode()


@pytest.mark.django_db
def test_the_admin_index_links_to_it_for_admins_only(admin_client, user_factory):
    assert f'href="{AUDIT}"' in admin_client.get("/admin/").content.decode()
    staff = Client()
    staff.force_login(user_factory("project_office", is_staff=True))
    assert f'href="{AUDIT}"' not in staff.get("/admin/").content.decode()


@pytest.mark.django_db
def test_a_report_is_named_by_its_project_and_month(admin_client, project_factory):
    project = project_factory(name="铝深加工项目")
    ProgressReport.objects.create(
        project=project, month=dt.date(2026, 11, 1), stage="construction",
        percent_complete=45, completed_investment=900, reported_at=timezone.now(),
    )
    rows = _rows(admin_client.get(AUDIT, {"model": "sites.progressreport"}).content.decode())
    assert [row["record"] for row in rows] == ["进度月报: 铝深加工项目 2026-11-01 ( 历史 )"]


@pytest.mark.django_db
def test_an_admin_write_to_reference_data_records_user_address_and_time(admin_client,
                                                                         department):
    before = timezone.now()
    response = admin_client.post(f"/admin/geo/department/{department.pk}/change/", {
        "code": department.code, "name": "发展和改革委员会", "name_en": department.name_en,
    }, **PROXY)
    assert response.status_code == 302
    record = department.history.latest()
    assert (record.history_type, record.name, record.history_user.username,
            record.history_client_ip) == ("~", "发展和改革委员会", "root", "203.0.113.20")
    assert before <= record.history_date <= timezone.now()
    history = admin_client.get(f"/admin/geo/department/{department.pk}/history/")
    assert "203.0.113.20" in history.content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_admin_journey_a_change_then_the_latest_changes(page, signin, demo_city):
    """The admin edits a holiday in /admin/ (behind nginx), then finds it on /admin/audit/."""
    page.set_viewport_size({"width": 1280, "height": 900})
    page.set_extra_http_headers({"X-Forwarded-For": "6.6.6.6, 203.0.113.77"})
    signin("admin", DEMO_PASSWORD)
    holiday = CalendarException.objects.order_by("date").first()
    page.goto(f"{page.base_url}/admin/markets/calendarexception/{holiday.pk}/change/")
    page.fill("#id_name", f"{holiday.name}（调整）")
    with page.expect_navigation():
        page.click("input[name=_save]")

    page.goto(f"{page.base_url}/admin/")
    with page.expect_navigation():
        page.click("#audit-link")
    assert page.url == f"{page.base_url}{AUDIT}"
    first = page.locator("#audit-table tbody tr.audit-row").first
    assert first.locator(".audit-kind").inner_text().startswith("~")
    assert first.locator(".audit-user").inner_text() == "admin"
    assert first.locator(".audit-address").inner_text() == "203.0.113.77"
    assert f"{holiday.name}（调整）" in first.locator(".audit-record").inner_text()
    page.screenshot(path="/tmp/h6-journey-audit.png", full_page=False)

    # Filtered by kind of record and user: the one change.
    page.select_option("#id_model", "markets.calendarexception")
    page.fill("#id_user", "admin")
    with page.expect_navigation():
        page.click("#audit-filters button[type=submit]")
    assert page.locator("#audit-table tbody tr.audit-row").count() == 1
    assert page.locator("#audit-summary").inner_text() == "共 1 条修改"
    page.screenshot(path="/tmp/h6-journey-audit-filtered.png", full_page=False)


@pytest.mark.django_db
def test_a_staff_profile_is_named_by_its_user(admin_client, user_factory, department):
    user_factory("department_staff", department=department, username="zhang")
    rows = _rows(admin_client.get(AUDIT, {"model": "geo.staffprofile"}).content.decode())
    assert [row["record"] for row in rows] == ["工作人员信息: zhang ( 历史 )"]
