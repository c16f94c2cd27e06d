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
