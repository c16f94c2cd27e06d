"""The dashboard's light counts link to the map filtered to that light, keeping its filters."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.test import Client


@pytest.fixture
def leader_client(user_factory) -> Client:
    client = Client()
    client.force_login(user_factory("leaders"))
    return client


def _light_link(text: str, light: str) -> tuple[str, str]:
    match = re.search(rf'<a class="light-link" id="light-link-{light}"[^>]*'
                      rf'href="([^"]*)"[^>]*>(\d+)</a>', text)
    assert match, f"no link for {light}"
    return html.unescape(match[1]), match[2]


@pytest.mark.django_db
def test_light_counts_link_to_the_filtered_map(leader_client, project_factory):
    # As of June 2026: planned March, not started -> red (3 months late); planned August and
    # nothing planned this year -> green.
    project_factory(planned_start=dt.date(2026, 3, 1), planned_investment_year=0)
    project_factory(planned_start=dt.date(2026, 8, 1), planned_investment_year=0)
    text = leader_client.get("/dashboard/?as_of=2026-06&department=fgw").content.decode()
    assert _light_link(text, "red") == ("/?light=red&department=fgw&as_of=2026-06", "1")
    assert _light_link(text, "green") == ("/?light=green&department=fgw&as_of=2026-06", "1")
    assert _light_link(text, "yellow") == ("/?light=yellow&department=fgw&as_of=2026-06", "0")


@pytest.mark.django_db
def test_light_link_replaces_the_dashboards_light(leader_client, project_factory):
    project_factory()
    text = leader_client.get("/dashboard/?light=green").content.decode()
    href, _count = _light_link(text, "red")
    assert href == "/?light=red"
