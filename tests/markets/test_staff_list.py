"""The staff zone list (/staff/markets/) and the staff links on the detail page and rules list."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.utils import translation

from markets.models import MarketZone


@pytest.fixture(autouse=True)
def english(settings):
    """Labels are asserted in English (the msgids), whatever catalogs are compiled."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def _links(html: str, zone: MarketZone) -> set[str]:
    """The staff link classes in zone ``zone``'s row of the list."""
    row = re.search(rf'<tr data-zone="{zone.pk}".*?</tr>', html, re.S)
    assert row, f"zone {zone.pk} not listed"
    return set(re.findall(r'class="link-(\w+)"', row.group(0)))


def _listed(html: str) -> list[str]:
    return re.findall(r'<tr data-zone="\d+" data-status="(\w+)"', html)


@pytest.fixture
def zones(zone_factory, city):
    """One zone per status, each a 0.001° square 0.002° apart (no overlaps)."""
    from tests.conftest import square

    return {
        status: zone_factory(name=f"{status}集市", status=status,
                             boundary=square(98.30 + 0.002 * i, 39.80))
        for i, status in enumerate(["proposed", "active", "suspended", "retired"])
    }


def _user(user_factory, role: str) -> User:
    if role == "admin":
        return User.objects.create_superuser("boss", password="pw-for-tests-1")
    return user_factory(role)


# Who may open the list, and which links each zone row offers them.
@pytest.mark.parametrize(("role", "links"), [
    ("urban_management", {"edit", "history", "rules"}),
    ("admin", {"edit", "history", "rules"}),
    ("market_supervision", {"rules"}),
])
def test_staff_list_links_per_role(client, user_factory, zones, role, links):
    client.force_login(_user(user_factory, role))
    response = client.get("/staff/markets/")
    assert response.status_code == 200
    html = response.content.decode()
    # Retired zones stay out of the default ("in use") view, as on the map.
    assert sorted(_listed(html)) == ["active", "proposed", "suspended"]
    for zone in (zones["proposed"], zones["active"], zones["suspended"]):
        assert _links(html, zone) == links
    assert ("/edit/" in html) == ("edit" in links)
    assert ('href="/staff/markets/new/"' in html) == ("edit" in links)


@pytest.mark.parametrize("role", ["leaders", "project_office", "department_staff"])
def test_staff_list_refuses_other_roles(client, user_factory, zones, role):
    client.force_login(user_factory(role))
    assert client.get("/staff/markets/").status_code == 403
    assert client.get("/staff/markets/?status=retired").status_code == 403


def test_staff_list_sends_anonymous_to_login(client, zones):
    response = client.get("/staff/markets/?status=retired")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/staff/markets/")


@pytest.mark.parametrize(("status", "listed"), [
    ("", ["active", "proposed", "suspended"]),
    ("retired", ["retired"]),
    ("proposed", ["proposed"]),
    ("all", ["active", "proposed", "retired", "suspended"]),
])
def test_status_filter_includes_retired_and_drafts(client, user_factory, zones, status, listed):
    client.force_login(user_factory("urban_management"))
    response = client.get("/staff/markets/", {"status": status})
    assert response.status_code == 200
    html = response.content.decode()
    assert sorted(_listed(html)) == listed
    if status == "retired":
        # Restore is one click away: the retired zone's editor (its restore button) and history.
        assert _links(html, zones["retired"]) == {"edit", "history", "rules"}
        assert '<option value="retired" selected>' in html


def test_staff_list_shows_the_columns(client, user_factory, zones):
    urban = user_factory("urban_management", username="chengguan1")
    zone = zones["active"]
    MarketZone.objects.filter(pk=zone.pk).update(version=3, updated_by=urban)
    client.force_login(urban)
    html = client.get("/staff/markets/").content.decode()
    row = re.search(rf'<tr data-zone="{zone.pk}".*?</tr>', html, re.S).group(0)
    cells = [re.sub(r"<[^>]+>", "", c).strip()
             for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
    assert cells[0] == "active集市"
    assert cells[1] == "Trunk market"
    assert cells[2] == "Active"
    assert cells[3] == "—"  # no district
    assert cells[4] == "3"
    assert cells[5].endswith("· chengguan1")
    # Public zones link to their public page; drafts have none.
    assert f'href="/markets/{zone.pk}/"' in row
    assert f'href="/markets/{zones["proposed"].pk}/"' not in html


def test_unknown_status_is_a_400_with_the_default_list(client, user_factory, zones):
    client.force_login(user_factory("market_supervision"))
    response = client.get("/staff/markets/", {"status": "deleted"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="staff-list-error"' in html
    assert "deleted" in html
    assert sorted(_listed(html)) == ["active", "proposed", "suspended"]


def test_list_query_count_does_not_grow_with_zones(client, user_factory, zones,
                                                   django_assert_max_num_queries):
    client.force_login(user_factory("urban_management"))
    # Session, user, groups, zones (with district, department and updated_by joined) and the
    # header's context: a bounded handful, not one query per zone.
    with django_assert_max_num_queries(8):
        assert client.get("/staff/markets/?status=all").status_code == 200


@pytest.mark.parametrize(("role", "expected"), [
    ("urban_management", {"edit", "history", "rules"}),
    ("market_supervision", {"rules"}),
    ("leaders", set()),
    (None, set()),
])
def test_public_detail_staff_links(client, user_factory, zones, role, expected):
    zone = zones["active"]
    if role:
        client.force_login(user_factory(role))
    html = client.get(f"/markets/{zone.pk}/").content.decode()
    found = set()
    if f'href="/staff/markets/{zone.pk}/edit/"' in html:
        found.add("edit")
    if f'href="/staff/markets/{zone.pk}/history/"' in html:
        found.add("history")
    if f'href="/staff/markets/{zone.pk}/rules/"' in html:
        found.add("rules")
    assert found == expected


@pytest.mark.parametrize(("role", "expected"), [
    ("urban_management", {"edit", "history"}),
    ("market_supervision", set()),
])
def test_rules_index_links(client, user_factory, zones, role, expected):
    client.force_login(user_factory(role))
    html = client.get("/staff/markets/rules/").content.decode()
    assert _links(html, zones["active"]) == expected
    assert 'href="/staff/markets/?status=retired"' in html


@pytest.mark.parametrize(("role", "shown"), [
    ("urban_management", True),
    ("market_supervision", True),
    ("leaders", False),
    ("project_office", False),
    (None, False),
])
def test_header_links_to_the_zone_list(client, user_factory, city, role, shown):
    if role:
        client.force_login(user_factory(role))
    html = client.get("/markets/").content.decode()
    assert ('<a href="/staff/markets/"' in html) == shown
