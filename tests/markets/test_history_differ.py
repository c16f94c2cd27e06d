"""One differ of a zone's versions (markets.selectors.zone_history) for both history views."""

from __future__ import annotations

import pytest
from django.test import Client

from markets import services
from tests.conftest import square


@pytest.mark.django_db
def test_rules_page_and_history_api_list_the_same_changes(zone_factory, user_factory):
    urban = user_factory("urban_management", username="li")
    zone = zone_factory(name="大唐路夜市", opening_hours="Mo-Su 18:00-22:00", capacity=80)
    services.zone_update(
        zone=zone, expected_version=zone.version, user=urban, reason="扩大范围",
        boundary=square(98.30, 39.80, size=0.002), fields={"capacity": 120},
    )
    zone.refresh_from_db()
    services.zone_update_rules(
        zone=zone, expected_version=zone.version, user=urban, reason="夏季延长",
        data={"opening_hours": "Mo-Su 18:00-23:00"},
    )
    client = Client()
    client.force_login(urban)
    api = client.get(f"/api/v1/markets/{zone.pk}/history/").json()["versions"]
    page = client.get(f"/staff/markets/{zone.pk}/rules/").context["history"]

    # Newest first: the hours, then the reshape with its capacity, then the creation.
    assert [[c["field"] for c in v["changes"]] for v in api] == [
        ["opening_hours"], ["boundary", "capacity"], [],
    ]
    assert [(row["version"], row["reason"], row["changed"]) for row in page] == [
        (v["version"], v["reason"], [c["field"] for c in v["changes"]]) for v in api
    ]
    assert [row["user"] for row in page[:2]] == ["li", "li"]
