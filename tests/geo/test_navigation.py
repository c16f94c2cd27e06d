"""The header offers each role the staff pages it may use, and nobody else."""

from __future__ import annotations

import pytest

LINKS = {
    "dashboard": 'href="/dashboard/"',
    "rules": 'href="/staff/markets/rules/"',
    "zone_list": '<a href="/staff/markets/"',
    "new_zone": 'href="/staff/markets/new/"',
    "import_sites": 'href="/staff/import/"',
}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        (None, set()),
        ("leaders", {"dashboard"}),
        ("department_staff", {"dashboard"}),
        ("project_office", {"dashboard", "import_sites"}),
        ("urban_management", {"dashboard", "rules", "zone_list", "new_zone"}),
        ("market_supervision", {"dashboard", "rules", "zone_list"}),
    ],
)
def test_staff_links_by_role(client, user_factory, role, expected):
    if role:
        client.force_login(user_factory(role))
    html = client.get("/markets/").content.decode()
    shown = {name for name, href in LINKS.items() if href in html}
    assert shown == expected
