"""The changeset list and review pages: what each role sees, the buttons' answers, the history."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from markets.changesets import services
from markets.changesets.models import Changeset, EditKind
from tests.markets.test_api_editing import metric_square


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def client_for(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def urban(user_factory):
    return user_factory("urban_management", username="urban")


@pytest.fixture
def urban2(user_factory):
    return user_factory("urban_management", username="urban2")


@pytest.fixture
def zone(city, zone_factory):
    return zone_factory(name="新华路后备箱集市", boundary=metric_square(0, 0, 100))


@pytest.fixture
def submitted(zone, urban) -> Changeset:
    changeset = services.changeset_create(user=urban, comment="扩大新华路集市")
    services.changeset_add_edit(changeset=changeset, user=urban, kind=EditKind.UPDATE, zone=zone,
                                boundary=metric_square(0, 0, 120), fields={"capacity": 50})
    return services.changeset_submit(changeset=changeset, user=urban)


def test_review_page_shows_the_diff(submitted, urban2):
    page = client_for(urban2).get(f"/staff/changesets/{submitted.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    # 10,000 m² -> 14,400 m²: +4,400 m² (+44.0 %).
    assert "10000.0 m²" in text
    assert "14400.0 m²" in text
    assert "+4400.0 m² (+44.0 %)" in text
    assert 'data-field="capacity"' in text
    assert 'id="approve-button"' in text
    assert 'id="send-back-button"' in text
    config = page.context["changeset_config"]
    [edit] = config["edits"]
    assert edit["old"]["type"] == edit["new"]["type"] == "MultiPolygon"
    # The page's own config does not shadow the portal's map configuration (basemap, context
    # layers, the legend's words) that every map reads from #map-config.
    portal = page.context["map_config"]
    assert portal["contextUrl"] == "/api/v1/context/"
    assert str(portal["strings"]["legend"]) == "Legend"
    assert text.count('id="map-config"') == text.count('id="changeset-config"') == 1


def test_the_author_sees_no_approve_button_and_a_forged_post_is_403(submitted, urban):
    client = client_for(urban)
    text = client.get(f"/staff/changesets/{submitted.pk}/").content.decode()
    assert 'id="approve-button"' not in text
    response = client.post(f"/staff/changesets/{submitted.pk}/", {"action": "approve"})
    assert response.status_code == 403
    assert "so you cannot approve it" in response.content.decode()
    assert Changeset.objects.get(pk=submitted.pk).state == "submitted"


def test_approve_publish_and_the_zone_history_names_the_changeset(submitted, urban2, zone):
    client = client_for(urban2)
    url = f"/staff/changesets/{submitted.pk}/"
    assert client.post(url, {"action": "approve"})["Location"] == url + "?done=approve"
    assert client.post(url, {"action": "publish"})["Location"] == url + "?done=publish"
    history = client.get(f"/api/v1/markets/{zone.pk}/history/").json()["versions"]
    assert history[0]["version"] == 2
    assert history[0]["changeset"] == {"id": submitted.pk, "comment": "扩大新华路集市",
                                       "author": "urban", "reviewer": "urban2"}
    assert history[1]["changeset"] is None
    # Once published, the page still compares with the version the edit was drawn on.
    text = client.get(url).content.decode()
    assert "+4400.0 m² (+44.0 %)" in text
    assert 'data-field="capacity"' in text


def test_scheduling_in_the_past_on_the_page_is_400(submitted, urban2):
    client = client_for(urban2)
    url = f"/staff/changesets/{submitted.pk}/"
    client.post(url, {"action": "approve"})
    response = client.post(url, {"action": "schedule", "publish_at": "2020-01-01T10:00"})
    assert response.status_code == 400
    assert "has already passed" in response.content.decode()
    assert Changeset.objects.get(pk=submitted.pk).publish_at is None


@pytest.mark.parametrize(("role", "code"), [
    ("urban_management", 200), ("market_supervision", 200), ("project_office", 403),
    ("leaders", 403),
])
def test_pages_by_role(submitted, user_factory, role, code):
    client = client_for(user_factory(role))
    assert client.get("/staff/changesets/").status_code == code
    assert client.get(f"/staff/changesets/{submitted.pk}/").status_code == code


def test_list_shows_state_and_zone(submitted, urban2):
    text = client_for(urban2).get("/staff/changesets/?state=submitted").content.decode()
    assert f'data-changeset="{submitted.pk}" data-state="submitted"' in text
    assert "新华路后备箱集市" in text


def test_editor_page_names_the_users_draft(zone, urban):
    draft = services.changeset_create(user=urban, comment="")
    page = client_for(urban).get(f"/staff/markets/{zone.pk}/edit/")
    assert page.context["editor_config"]["draft"] == draft.pk


def test_review_page_of_a_reinstatement(zone, urban, urban2):
    from markets import services as zone_services

    zone_services.zone_retire(zone=zone, expected_version=1, user=urban, reason="道路施工")
    changeset = services.changeset_create(user=urban, comment="恢复新华路集市")
    services.changeset_add_edit(changeset=changeset, user=urban, kind=EditKind.REINSTATE,
                                zone=zone, base_version=2)
    services.changeset_submit(changeset=changeset, user=urban)
    page = client_for(urban2).get(f"/staff/changesets/{changeset.pk}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Reinstatement of a retired zone" in text
    assert "10000.0 m²" in text
    assert 'data-field="status"' in text
    assert 'id="approve-button"' in text
