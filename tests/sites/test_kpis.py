"""KPI figures against a small hand-computed city, overall and by department / leader."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from geo.models import Leader
from sites.models import ProgressReport

PUBLIC_KEYS = {"projects", "started", "new_projects", "new_started", "not_started_new",
               "not_started_continuing", "start_rate", "new_start_rate"}
STAFF_KEYS = PUBLIC_KEYS | {
    "planned_investment", "completed_investment", "completion_rate", "time_progress_gap",
    "behind_time_progress", "started_unregistered", "light_green", "light_yellow", "light_red",
    "bond_bank_total", "bond_approved_amount", "bond_submitted", "bond_approved",
    "bond_approval_rate",
}


def report(project, month: str, stage: str, money: int, percent: int = 0) -> ProgressReport:
    y, m = (int(x) for x in month.split("-"))
    return ProgressReport.objects.create(
        project=project, month=dt.date(y, m, 1), stage=stage,
        completed_investment=Decimal(money), percent_complete=Decimal(percent),
        reported_at=timezone.now(),
    )


@pytest.fixture
def small_city(project_factory, department_factory, department):
    """Four projects in two departments under two leaders; reports up to July 2026."""
    other = department_factory(code="gxj", name="工信局")
    li = Leader.objects.create(name="李副市长", title="副市长")
    p1 = project_factory(build_type="new", planned_investment_year=1000,
                         bond_status="candidate", bond_requested=6_000_000)
    p2 = project_factory(build_type="new", planned_investment_year=1000,
                         bond_status="submitted", bond_requested=500_000)
    p3 = project_factory(build_type="continuing", planned_investment_year=2000,
                         lead_department=other, leader=li, actual_start=dt.date(2025, 5, 1),
                         stats_status="registered", stats_registered_on=dt.date(2025, 6, 1),
                         bond_status="approved", bond_requested=3_000_000,
                         bond_approved=2_500_000)
    p4 = project_factory(build_type="continuing", planned_investment_year=1000,
                         lead_department=other, leader=li,
                         bond_status="rejected", bond_requested=1_000_000)
    report(p1, "2026-05", "construction", 300)
    report(p3, "2026-06", "completed", 1500)
    report(p3, "2026-07", "operating", 2000)  # after as_of=2026-06: ignored
    report(p4, "2026-04", "preparation", 0)
    return p1, p2, p3, p4


@pytest.mark.django_db
def test_stats_as_of_june_by_hand(staff_client, small_city):
    body = staff_client.get("/api/v1/stats/?as_of=2026-06").json()
    # 30 June 2026 is day 181 of 365: 49.589 % -> 49.6
    assert body["as_of"] == "2026-06"
    assert body["reference_date"] == "2026-06-30"
    assert body["year_elapsed_percent"] == 49.6
    overall = body["overall"]
    assert set(overall) == STAFF_KEYS | {"bond_bank_target_share"}
    assert {k: overall[k] for k in PUBLIC_KEYS} == {
        "projects": 4,
        "started": 2,  # P1 construction (May report), P3 completed (June report)
        "start_rate": 50.0,
        "new_projects": 2, "new_started": 1, "new_start_rate": 50.0,
        "not_started_new": 1,  # P2: no report -> preparation
        "not_started_continuing": 1,  # P4: April report says preparation
    }
    # Planned 1000+1000+2000+1000 = 5000; completed 300+0+1500+0 = 1800 -> 36.0 %
    assert overall["planned_investment"] == 5000.0
    assert overall["completed_investment"] == 1800.0
    assert overall["completion_rate"] == 36.0
    assert overall["time_progress_gap"] == -13.6  # 36.0 - 49.6
    # P1 30 % (-19.6), P2 0 %, P4 0 % are >= 10 points behind; P3 75 % is ahead
    assert overall["behind_time_progress"] == 3
    assert overall["started_unregistered"] == 1  # P1; P3 registered in 2025
    # Bank = candidate 6,000,000 + submitted 500,000 + approved 3,000,000 (rejected left out)
    assert overall["bond_bank_total"] == 9_500_000.0
    assert body["bond_bank_target"] == 10_000_000.0
    assert overall["bond_bank_target_share"] == 95.0
    assert overall["bond_approved_amount"] == 2_500_000.0
    assert (overall["bond_submitted"], overall["bond_approved"]) == (3, 1)
    assert overall["bond_approval_rate"] == 33.3  # 1 of submitted/approved/rejected 3
    assert overall["light_green"] + overall["light_yellow"] + overall["light_red"] == 4

    fgw, gxj = body["by_department"]
    assert (fgw["code"], fgw["name"], gxj["code"]) == ("fgw", "发改委", "gxj")
    # fgw: P1, P2: 300 / 2000 = 15.0 %, gap 15.0 - 49.6 = -34.6
    assert (fgw["projects"], fgw["started"], fgw["start_rate"]) == (2, 1, 50.0)
    assert (fgw["completion_rate"], fgw["time_progress_gap"]) == (15.0, -34.6)
    # gxj: P3, P4: 1500 / 3000 = 50.0 %, gap +0.4
    assert (gxj["completion_rate"], gxj["time_progress_gap"]) == (50.0, 0.4)
    assert gxj["new_start_rate"] is None  # no new projects: nothing to divide by
    li, wang = body["by_leader"]
    assert (li["name"], li["projects"], wang["name"], wang["projects"]) == (
        "李副市长", 2, "王副市长", 2)


@pytest.mark.django_db
def test_stats_now_uses_current_figures(staff_client, small_city):
    body = staff_client.get("/api/v1/stats/").json()
    # No as_of: the project rows' current stages (the fixture set none: all preparation).
    assert body["as_of"] is None
    assert body["overall"]["started"] == 0


@pytest.mark.django_db
def test_stats_take_the_map_filters(staff_client, small_city):
    body = staff_client.get("/api/v1/stats/?as_of=2026-06&department=gxj&build_type=continuing")
    overall = body.json()["overall"]
    assert (overall["projects"], overall["started"], overall["start_rate"]) == (2, 1, 50.0)


@pytest.mark.django_db
def test_public_stats_have_counts_but_no_money(api_client, small_city, project_factory):
    project_factory(published=False, stage="construction", actual_start=dt.date(2026, 3, 1))
    body = api_client.get("/api/v1/stats/?as_of=2026-06").json()
    assert set(body) == {"as_of", "reference_date", "year_elapsed_percent", "overall",
                         "by_department"}
    assert set(body["overall"]) == PUBLIC_KEYS
    assert body["overall"]["projects"] == 4  # the unpublished one is not counted
    for row in body["by_department"]:
        assert set(row) == PUBLIC_KEYS | {"code", "name"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    ["as_of=2026-13", "as_of=2026-6", "as_of=june", "as_of=2026-06-01", "as_of=2999-01",
     "stage=nosuch", "light=blue"],
)
def test_bad_stats_queries_are_400(staff_client, query):
    response = staff_client.get(f"/api/v1/stats/?{query}")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert body["detail"]


@pytest.mark.django_db
def test_anonymous_cannot_filter_by_light(api_client):
    response = api_client.get("/api/v1/stats/?light=red")
    assert response.status_code == 403
    assert set(response.json()) == {"detail", "errors"}


@pytest.mark.django_db
def test_stats_query_count_is_fixed(staff_client, small_city, django_assert_max_num_queries):
    # session/user + groups, then 3 aggregate queries (overall, by department, by leader)
    with django_assert_max_num_queries(6):
        assert staff_client.get("/api/v1/stats/?as_of=2026-06").status_code == 200


@pytest.mark.django_db
def test_stats_answer_304_until_a_report_changes_the_figures(staff_client, small_city):
    p1 = small_city[0]
    first = staff_client.get("/api/v1/stats/?as_of=2026-06")
    assert first.status_code == 200
    assert first["Content-Type"] == "application/json"
    tag = first["ETag"]
    assert first.json()["overall"]["completed_investment"] == 1800.0

    again = staff_client.get("/api/v1/stats/?as_of=2026-06", HTTP_IF_NONE_MATCH=tag)
    assert again.status_code == 304
    # Another query, another audience: other tags.
    assert staff_client.get("/api/v1/stats/?as_of=2026-05")["ETag"] != tag

    report(p1, "2026-06", "construction", 500)
    changed = staff_client.get("/api/v1/stats/?as_of=2026-06", HTTP_IF_NONE_MATCH=tag)
    assert changed.status_code == 200
    assert changed["ETag"] != tag
    assert changed.json()["overall"]["completed_investment"] == 2000.0


@pytest.mark.django_db
def test_public_and_staff_stats_never_share_a_body(api_client, staff_client, small_city):
    staff = staff_client.get("/api/v1/stats/?as_of=2026-06")
    public = api_client.get("/api/v1/stats/?as_of=2026-06")
    assert staff["ETag"] != public["ETag"]
    assert "completed_investment" in staff.json()["overall"]
    assert "completed_investment" not in public.json()["overall"]
    # The staff body, now held by this worker, is not what a later anonymous request gets.
    assert "completed_investment" not in api_client.get("/api/v1/stats/?as_of=2026-06").json()[
        "overall"]
