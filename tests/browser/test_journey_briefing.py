"""A leader's briefing journey, from the login form: the dashboard's link opens this month's
briefing, whose figures are the stats', and the Word download opens with the same text."""

from __future__ import annotations

import datetime as dt
import io
import json

import docx
import pytest
from django.utils import timezone

from geo import numbers
from tests.conftest import DEMO_PASSWORD


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_leader_opens_the_briefing_and_downloads_the_docx(page, signin, demo_city, tmp_path):
    signin("leader", DEMO_PASSWORD)
    page.goto(page.base_url + "/dashboard/")
    month = timezone.localdate().strftime("%Y-%m")
    link = page.locator("#dashboard-briefing-link")
    assert link.get_attribute("href") == f"/briefing/?month={month}"
    with page.expect_navigation():
        link.click()
    title = page.locator(".briefing-title").inner_text()
    today = timezone.localdate()
    assert title == f"{today.year}年{today.month}月重点项目建设推进情况通报"

    # The current month's briefing is as of today: the stats with no as_of, as this signed-in
    # leader's browser reads them (the dashboard's figures).
    stats = json.loads(
        page.evaluate(
            "(url) => fetch(url, {headers: {Accept: 'application/json'}}).then((r) => r.text())",
            "/api/v1/stats/",
        )
    )
    overall = stats["overall"]
    expected = (
        f"年初{overall['projects']}个计划建设项目开复工率{numbers.percent(overall['start_rate'])}，"
        f"其中{overall['new_projects']}个新建项目"
    )
    assert overall["projects"] == 155  # the demo city's plan (fixtures/generate.py)
    assert expected in page.locator("#briefing-overall").inner_text()
    assert page.locator("#briefing-map").is_visible()

    with page.expect_download() as info:
        page.click("#briefing-docx")
    download = info.value
    assert download.suggested_filename == f"briefing-{month}.docx"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(path.read_bytes())).paragraphs)
    assert expected in text
    assert f"截至{numbers.date(dt.date.fromisoformat(stats['reference_date']))}" in text
