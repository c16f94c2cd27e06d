"""Detail pages read money, percentages and dates as people do (issue 16 item 3)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.test import Client


def _dd(html: str, cls: str) -> tuple[str, str | None]:
    """(text, data-wan) of the <dd class="cls">."""
    match = re.search(rf'<dd class="{cls}"(?: data-wan="([^"]*)")?>(.*?)</dd>', html, re.S)
    assert match, cls
    return re.sub(r"<[^>]+>", "", match.group(2)).strip(), match.group(1)


@pytest.mark.django_db
def test_project_money_in_yi_and_wan(project_factory, user_factory):
    project = project_factory(
        total_investment=Decimal("4742430.3"),  # 474.2 亿元
        planned_investment_year=Decimal("9994.9"),  # below 1 亿: 9,995 万元
        completed_investment_year=Decimal("5.25"),  # below 10 万元: one decimal, half up: 5.3
        percent_complete=Decimal("66.94"),
        bond_status="submitted",
        bond_requested=Decimal("120000"),
        bond_approved=Decimal("0"),
        stats_status="registered",
        stats_registered_on=dt.date(2026, 6, 3),
    )
    client = Client()
    client.force_login(user_factory("project_office"))
    html = client.get(f"/projects/{project.pk}/").content.decode()
    assert _dd(html, "total") == ("474.2 亿元", "4742430.3")
    assert _dd(html, "planned") == ("9,995 万元", "9994.9")
    assert _dd(html, "completed") == ("5.3 万元", "5.25")
    assert '<span class="percent">66.9%</span>' in html
    assert "12.0 亿元" in _dd(html, "bond")[0]
    assert "0 万元" in _dd(html, "bond")[0]
    assert "(2026年6月3日)" in html


@pytest.mark.django_db
def test_project_money_in_english(project_factory, user_factory):
    project = project_factory(total_investment=Decimal("4742430.3"))
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user_factory("project_office"))
    html = client.get(f"/projects/{project.pk}/").content.decode()
    assert _dd(html, "total")[0] == "47.4 billion yuan"


@pytest.mark.django_db
def test_livelihood_money_and_milestone_date(livelihood_factory, user_factory):
    work = livelihood_factory(
        total_investment=Decimal("56000"),
        milestones=[("开工", dt.date(2026, 12, 20), None)],
    )
    client = Client()
    client.force_login(user_factory("project_office"))
    html = client.get(f"/livelihood/{work.pk}/").content.decode()
    assert _dd(html, "total") == ("5.6 亿元", "56000.0")
    assert "(2026年12月20日)" in html


@pytest.mark.django_db
def test_milestone_table_says_planned_date_not_in_planning(livelihood_factory):
    # 计划中 means "in planning" (a status); the column holds the planned date.
    work = livelihood_factory(milestones=[("开工", dt.date(2026, 12, 20), None)])
    html = Client().get(f"/livelihood/{work.pk}/").content.decode()
    assert '<th scope="col">计划时间</th><th scope="col">实际时间</th>' in html
    assert '<th scope="col">计划中</th>' not in html



def _rows(html: str, table_id: str) -> list[list[str]]:
    """The body rows of <table id=table_id>, each as its cells' text."""
    table = re.search(rf'<table[^>]*id="{table_id}".*?<tbody>(.*?)</tbody>', html, re.S)
    assert table, table_id
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)
    cells = [re.findall(r"<td[^>]*>(.*?)</td>", row, re.S) for row in rows]
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in row] for row in cells]


@pytest.mark.django_db
def test_report_and_history_tables_read_money_months_and_times(project_factory, user_factory):
    from sites.services import progress_report_submit

    project = project_factory(
        stage="construction", actual_start=dt.date(2026, 3, 1), percent_complete=Decimal("10")
    )
    office = user_factory("project_office", username="office1")
    progress_report_submit(
        project=project,
        month=dt.date(2026, 4, 1),
        stage="construction",
        completed_investment=Decimal("125000"),  # 12.5 亿元
        percent_complete=Decimal("41"),
        user=office,
        note="主体封顶",
    )
    client = Client()
    client.force_login(office)
    html = client.get(f"/projects/{project.pk}/").content.decode()
    [report] = _rows(html, "reports-table")
    assert report[:5] == ["2026年4月", "在建", "12.5 亿元", "41.0%", "主体封顶"]
    assert re.fullmatch(r"office1 · 20\d\d年\d{1,2}月\d{1,2}日 \d\d:\d\d", report[5]), report[5]
    history = _rows(html, "history-table")
    assert history[0][4:] == ["12.5 亿元", "41.0%"]
    assert re.fullmatch(r"20\d\d年\d{1,2}月\d{1,2}日 \d\d:\d\d", history[0][0]), history[0][0]
