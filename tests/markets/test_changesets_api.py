"""/api/v1/changesets/: the journey over HTTP, refusals with their status, the public layer."""

from __future__ import annotations

import json

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from markets.changesets.models import Changeset
from markets.models import MarketZone
from tests.markets.test_api_editing import geojson_of, metric_square


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def urban(user_factory):
    return user_factory("urban_management", username="urban")


@pytest.fixture
def urban2(user_factory):
    return user_factory("urban_management", username="urban2")


@pytest.fixture
def zone(city, zone_factory) -> MarketZone:
    return zone_factory(name="新华路后备箱集市", boundary=metric_square(0, 0, 100))


@pytest.fixture
def other_zone(zone_factory) -> MarketZone:
    return zone_factory(name="大唐路夜市", boundary=metric_square(300, 0, 100))


def public_capacities() -> dict[str, int]:
    body = json.loads(APIClient().get("/api/v1/markets/").content)
    return {f["properties"]["name"]: f["properties"]["capacity"] for f in body["features"]}


def draft_two_edits(urban, zone, other_zone) -> int:
    response = client_for(urban).post("/api/v1/changesets/", {
        "comment": "两处扩容",
        "edits": [
            {"type": "Feature", "zone": zone.pk, "base_version": 1,
             "properties": {"capacity": 60}, "geometry": geojson_of(metric_square(0, 0, 120))},
            {"type": "Feature", "zone": other_zone.pk, "kind": "rules",
             "properties": {"opening_hours": "Fr-Su 18:00-23:00"}},
        ],
    }, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert response["Location"] == f"/api/v1/changesets/{body['id']}/"
    assert [(e["kind"], e["zone"], e["base_version"], e["fields"]) for e in body["edits"]] == [
        ("update", zone.pk, 1, {"capacity": 60}),
        ("rules", other_zone.pk, 1, {"opening_hours": "Fr-Su 18:00-23:00"}),
    ]
    return body["id"]


def test_public_layer_changes_only_at_publish_and_all_at_once(zone, other_zone, urban, urban2):
    before = public_capacities()
    pk = draft_two_edits(urban, zone, other_zone)
    author, reviewer = client_for(urban), client_for(urban2)
    assert author.post(f"/api/v1/changesets/{pk}/submit/", {}, format="json").status_code == 200
    assert public_capacities() == before
    response = reviewer.post(f"/api/v1/changesets/{pk}/approve/", {}, format="json")
    assert (response.status_code, response.json()["state"]) == (200, "approved")
    assert public_capacities() == before
    response = reviewer.post(f"/api/v1/changesets/{pk}/publish/", {}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["state"], body["author"], body["reviewer"], body["publisher"]) == (
        "published", "urban", "urban2", "urban2")
    assert [e["result_version"] for e in body["edits"]] == [2, 2]
    assert public_capacities() == {"新华路后备箱集市": 60, "大唐路夜市": 40}
    detail = json.loads(APIClient().get(f"/api/v1/markets/{zone.pk}/").content)
    assert detail["properties"]["area_m2"] == pytest.approx(14_400, abs=0.5)


def test_approving_your_own_is_403_with_a_message(zone, other_zone, urban):
    pk = draft_two_edits(urban, zone, other_zone)
    author = client_for(urban)
    author.post(f"/api/v1/changesets/{pk}/submit/", {}, format="json")
    response = author.post(f"/api/v1/changesets/{pk}/approve/", {}, format="json")
    assert response.status_code == 403
    assert response.json()["detail"] == (
        f"You wrote changeset #{pk}, so you cannot approve it: another urban-management user "
        "or an administrator reviews it.")
    assert Changeset.objects.get(pk=pk).state == "submitted"


def test_publishing_a_sent_back_one_is_409(zone, other_zone, urban, urban2):
    pk = draft_two_edits(urban, zone, other_zone)
    client_for(urban).post(f"/api/v1/changesets/{pk}/submit/", {}, format="json")
    reviewer = client_for(urban2)
    response = reviewer.post(f"/api/v1/changesets/{pk}/send-back/", {}, format="json")
    assert (response.status_code, list(response.json()["errors"])) == (400, ["reason"])
    response = reviewer.post(f"/api/v1/changesets/{pk}/send-back/", {"reason": "容量偏大"},
                             format="json")
    assert (response.status_code, response.json()["review_note"]) == (200, "容量偏大")
    response = reviewer.post(f"/api/v1/changesets/{pk}/publish/", {}, format="json")
    assert response.status_code == 409
    assert "was sent back (容量偏大)" in response.json()["detail"]
    zone.refresh_from_db()
    assert zone.version == 1


@pytest.mark.parametrize(("publish_at", "message"), [
    ("2020-07-01T00:00:00+08:00", "has already passed"),
    ("2099-07-01T00:00:00", "with its offset"),
    ("next week", "with its offset"),
])
def test_bad_schedules_are_400(zone, other_zone, urban, urban2, publish_at, message):
    pk = draft_two_edits(urban, zone, other_zone)
    client_for(urban).post(f"/api/v1/changesets/{pk}/submit/", {}, format="json")
    reviewer = client_for(urban2)
    reviewer.post(f"/api/v1/changesets/{pk}/approve/", {}, format="json")
    response = reviewer.post(f"/api/v1/changesets/{pk}/publish/", {"publish_at": publish_at},
                             format="json")
    assert response.status_code == 400
    assert message in response.json()["errors"]["publish_at"][0]
    changeset = Changeset.objects.get(pk=pk)
    assert (changeset.state, changeset.publish_at) == ("approved", None)


def test_schedule_then_early_publish_is_409(zone, other_zone, urban, urban2):
    pk = draft_two_edits(urban, zone, other_zone)
    client_for(urban).post(f"/api/v1/changesets/{pk}/submit/", {}, format="json")
    reviewer = client_for(urban2)
    reviewer.post(f"/api/v1/changesets/{pk}/approve/", {}, format="json")
    response = reviewer.post(f"/api/v1/changesets/{pk}/publish/",
                             {"publish_at": "2099-07-01T00:00:00+08:00"}, format="json")
    assert (response.status_code, response.json()["publish_at"]) == (
        200, "2099-07-01T00:00:00+08:00")
    response = reviewer.post(f"/api/v1/changesets/{pk}/publish/", {}, format="json")
    assert response.status_code == 409
    assert "is scheduled for 2099-07-01T00:00+08:00" in response.json()["detail"]


def test_stale_base_is_409_naming_the_zone(zone, other_zone, urban, urban2):
    pk = draft_two_edits(urban, zone, other_zone)
    client_for(urban).post(f"/api/v1/changesets/{pk}/submit/", {}, format="json")
    reviewer = client_for(urban2)
    reviewer.post(f"/api/v1/changesets/{pk}/approve/", {}, format="json")
    MarketZone.objects.filter(pk=zone.pk).update(version=5)
    response = reviewer.post(f"/api/v1/changesets/{pk}/publish/", {}, format="json")
    assert response.status_code == 409
    detail = response.json()["detail"]
    assert detail.startswith(f"Zone “新华路后备箱集市” (id {zone.pk}) was changed")
    other_zone.refresh_from_db()
    assert other_zone.version == 1


def test_adding_an_edit_on_a_stale_version_is_412(zone, urban):
    pk = client_for(urban).post("/api/v1/changesets/", {"comment": "x"},
                                format="json").json()["id"]
    MarketZone.objects.filter(pk=zone.pk).update(version=3)
    response = client_for(urban).post(f"/api/v1/changesets/{pk}/edits/", {
        "type": "Feature", "zone": zone.pk, "base_version": 1,
        "properties": {"capacity": 50}}, format="json")
    assert (response.status_code, response.json()["current_version"]) == (412, 3)
    assert Changeset.objects.get(pk=pk).edits.count() == 0


# Who reaches the changeset API at all: zone staff yes, everyone else 403.
@pytest.mark.parametrize(("role", "code"), [
    ("urban_management", 200), ("market_supervision", 200), ("project_office", 403),
    ("leaders", 403), ("department_staff", 403), (None, 403),
])
def test_list_permission_matrix(user_factory, role, code):
    client = client_for(user_factory(role)) if role else APIClient()
    response = client.get("/api/v1/changesets/")
    assert response.status_code in ((401, 403) if code == 403 else (code,))


@pytest.mark.parametrize("body", [
    [], "x", {"comment": 5}, {"edits": "x"}, {"edits": [{"zone": "a"}]},
    {"edits": [{"zone": 999999}]}, {"edits": [{"kind": "explode"}]},
    {"edits": [{"kind": "create", "properties": {"name": "新区"}}]},
    {"comment": "x" * 501},
])
def test_bad_bodies_are_4xx_and_create_nothing(urban, body):
    response = client_for(urban).post("/api/v1/changesets/", body, format="json")
    assert 400 <= response.status_code < 500, response.content
    assert "detail" in response.json()
    assert Changeset.objects.count() == 0


def test_submit_names_the_other_changeset(zone, other_zone, urban, urban2):
    first = draft_two_edits(urban, zone, other_zone)
    second = client_for(urban2).post("/api/v1/changesets/", {"comment": "又改一次", "edits": [
        {"type": "Feature", "zone": zone.pk, "properties": {"capacity": 30}}]},
        format="json").json()["id"]
    response = client_for(urban2).post(f"/api/v1/changesets/{second}/submit/", {}, format="json")
    assert response.status_code == 409
    assert f"changeset #{first} (“两处扩容”, draft, by urban)" in response.json()["detail"]


def test_preview_shows_the_zones_as_published(zone, other_zone, urban):
    pk = draft_two_edits(urban, zone, other_zone)
    body = client_for(urban).get(f"/api/v1/changesets/{pk}/preview/").json()
    capacities = {f["properties"]["name"]: f["properties"]["capacity"] for f in body["features"]}
    assert capacities == {"新华路后备箱集市": 60, "大唐路夜市": 40}
    assert public_capacities() == {"新华路后备箱集市": 40, "大唐路夜市": 40}
