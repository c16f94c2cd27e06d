"""The zone editor page as the server renders it: the status select, the links and buttons."""

from __future__ import annotations

import json
import re

import pytest
from django.utils import translation

from markets.staff_views import SELF_INTERSECTION, SELF_INTERSECTION_EDIT


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def _options(html: str) -> list[tuple[str, bool]]:
    select = re.search(r'<select id="f-status".*?</select>', html, re.S).group(0)
    return [(value, bool(disabled)) for value, disabled in
            re.findall(r'<option value="(\w+)"( disabled)?>', select)]


def test_status_select_can_show_retired_but_not_choose_it(client, user_factory, zone_factory):
    zone = zone_factory(status="retired")
    client.force_login(user_factory("urban_management"))
    html = client.get(f"/staff/markets/{zone.pk}/edit/").content.decode()
    # editor.js sets the select to the zone's status; "retired" must exist for a retired zone
    # (else the select shows blank), disabled because only the retire button sets it.
    assert _options(html) == [
        ("proposed", False), ("active", False), ("suspended", False), ("retired", True),
    ]


def test_new_zone_page_has_hidden_links_and_buttons_for_after_the_create(client, user_factory):
    client.force_login(user_factory("urban_management"))
    html = client.get("/staff/markets/new/").content.decode()
    assert re.search(r'<span id="zone-links" hidden>', html)
    assert re.search(r'<button[^>]*id="retire-button" hidden>', html)
    assert re.search(r'<button[^>]*id="restore-button" hidden>', html)
    assert 'href="/staff/markets/"' in html  # back to the zone list
    config = json.loads(re.search(
        r'<script id="editor-config" type="application/json">(.*?)</script>', html, re.S
    ).group(1))
    assert config["historyUrlPattern"] == "/staff/markets/{id}/history/"
    assert config["rulesUrlPattern"] == "/staff/markets/{id}/rules/"
    assert config["strings"]["editTitle"] == "Edit %(name)s"
    assert config["strings"]["selfIntersection"] == SELF_INTERSECTION
    assert config["strings"]["selfIntersectionEdit"] == SELF_INTERSECTION_EDIT


def test_existing_zone_page_links_history_and_rules(client, user_factory, zone_factory):
    zone = zone_factory()
    client.force_login(user_factory("urban_management"))
    html = client.get(f"/staff/markets/{zone.pk}/edit/").content.decode()
    assert '<span id="zone-links">' in html
    assert f'href="/staff/markets/{zone.pk}/history/"' in html
    assert f'href="/staff/markets/{zone.pk}/rules/"' in html


def test_editor_strings_are_chinese_for_chinese_users(client, user_factory):
    client.force_login(user_factory("urban_management"))
    with translation.override("zh-hans"):
        html = client.get("/staff/markets/new/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    config = json.loads(re.search(
        r'<script id="editor-config" type="application/json">(.*?)</script>', html, re.S
    ).group(1))
    assert config["strings"]["selfIntersection"].startswith("边界不能自相交")
    assert config["strings"]["editTitle"] == "编辑 %(name)s"
