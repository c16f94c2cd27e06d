"""Urban management's zone API writes are proposals: 202 and a draft edit, nothing live (issue 18).

The same endpoints an administrator writes the live layer through (test_api_editing.py) keep
an urban-management user's write as an edit in their draft changeset. Every check a live write
makes still refuses bad input first (If-Match 428/412, a bad boundary or field 400) and then
nothing is drafted either; the public sees the change once another user approves and publishes.
"""

from __future__ import annotations

import json

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from markets.changesets.models import Changeset, ZoneEdit
from markets.models import MarketZone
from tests.markets.test_api_editing import feature, geojson_of, metric_square, snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def zone(city, zone_factory) -> MarketZone:
    return zone_factory(name="新华路后备箱集市", boundary=metric_square(0, 0, 100), capacity=40)


@pytest.fixture
def reviewer_client(user_factory) -> APIClient:
    client = APIClient()
    client.force_authenticate(user_factory("urban_management"))
    return client


def _url(zone: MarketZone) -> str:
    return f"/api/v1/markets/{zone.pk}/"


def _public_capacity(zone: MarketZone) -> int:
    response = APIClient().get(_url(zone))
    return json.loads(response.content)["properties"]["capacity"]


def test_a_patch_is_kept_as_a_draft_edit_and_the_public_sees_nothing(urban_client, urban, zone):
    before = snapshot(zone.pk)
    response = urban_client.patch(_url(zone), feature(None, "扩容", capacity=60), format="json",
                                  HTTP_IF_MATCH='"1"')
    assert response.status_code == 202, response.json()
    body = response.json()
    changeset = Changeset.objects.get()
    assert response["Location"] == f"/api/v1/changesets/{changeset.pk}/"
    assert (body["id"], body["state"], body["author"], body["comment"]) == (
        changeset.pk, "draft", urban.username, "扩容")
    assert [(e["kind"], e["zone"], e["base_version"], e["fields"], e["geometry"])
            for e in body["edits"]] == [("rules", zone.pk, 1, {"capacity": 60}, None)]
    assert body["edit"] == body["edits"][0]["id"]
    assert body["detail"] == (
        f"Saved in draft changeset #{changeset.pk}, not yet live: submit it for review "
        f"(/api/v1/changesets/{changeset.pk}/submit/); the public sees the change once another "
        "urban-management user or an administrator approves and publishes it."
    )
    assert snapshot(zone.pk) == before
    assert _public_capacity(zone) == 40


def test_the_draft_goes_live_after_review_and_publish(urban_client, reviewer_client, zone):
    urban_client.patch(_url(zone), feature(geojson_of(metric_square(0, 0, 120)), capacity=60),
                       format="json", HTTP_IF_MATCH='"1"')
    changeset = Changeset.objects.get()
    base = f"/api/v1/changesets/{changeset.pk}/"
    assert urban_client.post(f"{base}submit/", {"comment": "扩大新华路集市"},
                             format="json").status_code == 200
    own = urban_client.post(f"{base}approve/", {}, format="json")
    assert own.status_code == 403  # the author does not approve their own
    assert reviewer_client.post(f"{base}approve/", {}, format="json").status_code == 200
    assert _public_capacity(zone) == 40
    published = reviewer_client.post(f"{base}publish/", {}, format="json")
    assert published.status_code == 200, published.json()
    zone.refresh_from_db()
    assert (zone.version, zone.capacity) == (2, 60)
    assert abs(zone.boundary.transform(4542, clone=True).area - 120 * 120) < 1
    assert _public_capacity(zone) == 60


def test_a_second_write_extends_the_same_draft(urban_client, zone):
    urban_client.patch(_url(zone), feature(None, capacity=60), format="json", HTTP_IF_MATCH='"1"')
    response = urban_client.patch(_url(zone), feature(None, contact="张三 0937-1234567"),
                                  format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 202, response.json()
    assert Changeset.objects.count() == 1
    assert [(e["kind"], e["fields"]) for e in response.json()["edits"]] == [("update",
        {"capacity": 60, "contact": "张三 0937-1234567"})]


@pytest.mark.parametrize(("if_match", "code"), [(None, 428), ('"7"', 412), ('W/"1"', 412)])
def test_a_write_refused_by_if_match_drafts_nothing(urban_client, zone, if_match, code):
    headers = {"HTTP_IF_MATCH": if_match} if if_match else {}
    response = urban_client.patch(_url(zone), feature(None, capacity=60), format="json",
                                  **headers)
    assert response.status_code == code, response.json()
    assert (Changeset.objects.count(), ZoneEdit.objects.count()) == (0, 0)


def test_a_stale_version_names_who_saved_in_between(urban_client, live_client, zone):
    live_client.patch(_url(zone), feature(None, capacity=50), format="json", HTTP_IF_MATCH='"1"')
    response = urban_client.patch(_url(zone), feature(None, capacity=60), format="json",
                                  HTTP_IF_MATCH='"1"')
    assert response.status_code == 412
    assert response.json()["current_version"] == 2
    assert Changeset.objects.count() == 0


@pytest.mark.parametrize("body", [
    feature({"type": "Polygon", "coordinates": [[[98.3, 39.8], [98.31, 39.81], [98.31, 39.8],
                                                 [98.3, 39.81], [98.3, 39.8]]]}),
    feature(None, capacity=-3),
    feature(None, kind="carnival"),
    [1, 2],
])
def test_bad_input_is_a_400_and_drafts_nothing(urban_client, zone, body):
    response = urban_client.patch(_url(zone), body, format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 400, response.json()
    assert (Changeset.objects.count(), ZoneEdit.objects.count()) == (0, 0)


def test_a_new_zone_is_drafted_not_created(urban_client, zone, department):
    count = MarketZone.objects.count()
    response = urban_client.post("/api/v1/markets/", feature(
        geojson_of(metric_square(500, 500, 80)), "新设", name="东关夜市", kind="night_market",
        department=department.code), format="json")
    assert response.status_code == 202, response.json()
    [edit] = response.json()["edits"]
    assert (edit["kind"], edit["zone"], edit["zone_name"], edit["fields"]["department"]) == (
        "create", None, "东关夜市", department.pk)
    assert MarketZone.objects.count() == count


def test_a_new_zone_without_its_name_is_refused(urban_client, city, department):
    response = urban_client.post("/api/v1/markets/", feature(
        geojson_of(metric_square(500, 500, 80)), kind="trunk", department=department.code),
        format="json")
    assert response.status_code == 400
    assert "name" in response.json()["errors"]
    assert Changeset.objects.count() == 0


def test_hours_only_is_a_rules_edit(urban_client, zone):
    response = urban_client.patch(_url(zone), feature(
        None, status="suspended", status_reason="道路施工"), format="json", HTTP_IF_MATCH='"1"')
    assert response.status_code == 202, response.json()
    assert [e["kind"] for e in response.json()["edits"]] == ["rules"]


def test_a_delete_is_a_retirement_edit_and_the_zone_stays_public(urban_client, zone):
    response = urban_client.delete(_url(zone), {"reason": "撤点"}, format="json",
                                   HTTP_IF_MATCH='"1"')
    assert response.status_code == 202, response.json()
    assert [e["kind"] for e in response.json()["edits"]] == ["retire"]
    zone.refresh_from_db()
    assert zone.status == "active"
    assert APIClient().get(_url(zone)).status_code == 200


def test_restoring_a_retired_zone_is_a_reinstatement_edit(urban_client, live_client, zone):
    live_client.delete(_url(zone), {"reason": "撤点"}, format="json", HTTP_IF_MATCH='"1"')
    response = urban_client.post(f"{_url(zone)}restore/", {"reason": "恢复"}, format="json")
    assert response.status_code == 202, response.json()
    assert [e["kind"] for e in response.json()["edits"]] == ["reinstate"]
    zone.refresh_from_db()
    assert zone.status == "retired"


def test_restoring_a_version_opens_a_changeset_of_that_version(urban_client, live_client, zone):
    first = zone.history.get().history_id
    live_client.patch(_url(zone), feature(None, capacity=20), format="json", HTTP_IF_MATCH='"1"')
    stale = urban_client.post(f"{_url(zone)}history/{first}/restore/", {}, format="json",
                              HTTP_IF_MATCH='"1"')
    assert stale.status_code == 412
    response = urban_client.post(f"{_url(zone)}history/{first}/restore/", {}, format="json",
                                 HTTP_IF_MATCH='"2"')
    assert response.status_code == 202, response.json()
    [edit] = response.json()["edits"]
    assert (edit["kind"], edit["base_version"], edit["fields"]) == ("update", 2, {"capacity": 40})
    assert response.json()["comment"] == "Restore version 1 of “新华路后备箱集市”"
    zone.refresh_from_db()
    assert zone.capacity == 20


def test_the_message_is_chinese_by_default(urban_client, zone, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    with translation.override("zh-hans"):
        response = urban_client.patch(_url(zone), feature(None, capacity=60), format="json",
                                      HTTP_IF_MATCH='"1"', HTTP_ACCEPT_LANGUAGE="zh-hans")
    pk = Changeset.objects.get().pk
    assert response.json()["detail"].startswith(f"已保存到草稿变更单 #{pk}，尚未生效")
