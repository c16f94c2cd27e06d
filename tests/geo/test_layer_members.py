"""Every format carries what the map's API list carries (issue 11: one declaration per layer).

The staff downloads and the OGC API items used to lack the members the API list adds besides
the selected fields: a project's and a work's light with its reasons and order counts (SQL,
``Layer.computed``) and a zone's hours in words and open-now state (Python, ``Layer.complete``).
The public never gets a zone's raw OSM rule in any format (issue 16).
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon

from geo.exports.layers import get_layer

pytestmark = pytest.mark.django_db

AT = "2026-07-03T20:00"  # a Friday evening in summer: the zones below are open
HOURS = ("open_now", "open_tonight", "status_text", "next_change", "hours_text", "season_text",
         "next_change_text", "evaluated_at")
LIGHTS = ("light", "light_label", "light_reasons", "open_blockers", "open_orders",
          "overdue_orders")
WORK_LIGHTS = ("light", "light_label", "light_reasons", "open_orders", "overdue_orders")


@pytest.fixture
def features(project_factory, livelihood_factory, zone_factory):
    project_factory(name="铝深加工项目", stage="construction")
    livelihood_factory(name="五一路道路提升改造")
    zone_factory(name="大唐路夜市", opening_hours="Jul-Oct Mo-Su 18:00-22:00")
    zone_factory(name="悦西市美食街", opening_hours="Mo-Su 17:00-23:30",
                 boundary=MultiPolygon(Polygon.from_bbox((98.32, 39.82, 98.325, 39.825)),
                                       srid=4326))


def _api(client, layer: str, **query) -> dict[str, dict]:
    body = client.get(f"/api/v1/{layer}/", query).json()
    return {f["properties"]["name"]: f["properties"] for f in body["features"]}


def _download(client, layer: str, **query) -> dict[str, dict]:
    response = client.get(f"/api/v1/{layer}.geojson", query)
    assert response.status_code == 200
    body = json.loads(b"".join(response.streaming_content))
    return {f["properties"]["name"]: f["properties"] for f in body["features"]}


def _ogc(client, layer: str, **query) -> dict[str, dict]:
    response = client.get(f"/ogcapi/collections/{layer}/items", {"f": "json", **query})
    assert response.status_code == 200, response.content[:300]
    return {f["properties"]["name"]: f["properties"] for f in response.json()["features"]}


@pytest.mark.parametrize(("layer", "members"), [("projects", LIGHTS),
                                                ("livelihood", WORK_LIGHTS)])
def test_staff_files_and_items_carry_the_light_as_the_api_list(staff_client, api_client,
                                                               features, layer, members):
    api = _api(staff_client, layer)
    [name] = api
    assert set(members) <= set(api[name])
    for got in (_download(staff_client, layer), _ogc(staff_client, layer)):
        assert {m: got[name][m] for m in members} == {m: api[name][m] for m in members}
    # The public sees no light anywhere.
    for got in (_api(api_client, layer), _download(api_client, layer), _ogc(api_client, layer)):
        assert not set(LIGHTS) & set(got[name])


@pytest.mark.parametrize("client_name", ["api_client", "staff_client"])
def test_zone_hours_in_every_format_as_the_api_list(request, features, client_name):
    client = request.getfixturevalue(client_name)
    api = _api(client, "markets", at=AT)
    assert api["大唐路夜市"]["open_now"] is True
    for got in (_download(client, "markets", at=AT), _ogc(client, "markets", at=AT)):
        for name in api:
            assert {m: got[name][m] for m in HOURS} == {m: api[name][m] for m in HOURS}, name
    staff = client_name == "staff_client"
    for got in (api, _download(client, "markets", at=AT), _ogc(client, "markets", at=AT)):
        # The raw rule is staff-only; the public reads it in words.
        assert ("opening_hours" in got["大唐路夜市"]) is staff
    assert api["大唐路夜市"]["hours_text"] == ["每天 18:00–22:00（7–10月）"]


def test_the_public_csv_has_the_hours_in_words_and_no_raw_rule(api_client, features):
    response = api_client.get("/api/v1/markets.csv", {"at": AT, "headers": "machine"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert "opening_hours" not in rows[0]
    by_name = {row["name"]: row for row in rows}
    assert by_name["大唐路夜市"]["hours_text"] == '["每天 18:00–22:00（7–10月）"]'
    assert by_name["大唐路夜市"]["open_now"] == "true"
    staff_only = {"opening_hours"} | set(LIGHTS)
    assert not staff_only & set(rows[0])


def test_one_ogc_item_carries_the_hours(api_client, features):
    listed = api_client.get("/api/v1/markets/").json()["features"]
    zone = next(f for f in listed if f["properties"]["name"] == "大唐路夜市")
    body = api_client.get(f"/ogcapi/collections/markets/items/{zone['id']}",
                          {"f": "json"}).json()
    assert body["properties"]["hours_text"] == ["每天 18:00–22:00（7–10月）"]
    assert body["properties"]["status_text"] == zone["properties"]["status_text"]
    assert "opening_hours" not in body["properties"]
    assert [link["rel"] for link in body["links"]][:1] == ["self"]


def test_an_empty_file_has_the_same_columns(staff_client, features):
    full = staff_client.get("/api/v1/markets.csv", {"headers": "machine"}).content
    empty = staff_client.get("/api/v1/markets.csv", {"headers": "machine",
                                                     "kind": "flea"}).content
    header = next(csv.reader(io.StringIO(full.decode("utf-8-sig"))))
    assert next(csv.reader(io.StringIO(empty.decode("utf-8-sig")))) == header
    assert set(HOURS) <= set(header)


def test_the_markets_layer_declares_what_it_adds():
    layer = get_layer("markets")
    assert set(layer.members(False)) == set(HOURS)
    assert layer.hidden(False) == ("opening_hours",)
    assert layer.hidden(True) == ()
    assert layer.per_minute({}) is True
    assert layer.per_minute({"at": AT}) is False


def test_people_files_read_the_light_reasons_as_text(staff_client, project_factory):
    import datetime as dt

    from django.utils import timezone

    # Started 200 days ago and not registered in the statistics: the light gives a reason.
    project_factory(name="铝深加工项目", stage="construction",
                    actual_start=timezone.localdate() - dt.timedelta(days=200))
    api = _api(staff_client, "projects")["铝深加工项目"]
    texts = [reason["text"] for reason in api["light_reasons"]]
    assert texts
    response = staff_client.get("/api/v1/projects.csv")  # for people: Chinese headings
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0]["状态灯原因"] == "；".join(texts)
    assert rows[0]["状态灯"] == api["light_label"]
    machine = staff_client.get("/api/v1/projects.csv", {"headers": "machine"})
    [row] = csv.DictReader(io.StringIO(machine.content.decode("utf-8-sig")))
    assert json.loads(row["light_reasons"]) == api["light_reasons"]


def test_a_zone_file_opens_in_gdal_with_its_status_as_text(api_client, zone_factory, tmp_path):
    """Every zone opens at 18:00: GDAL types a GeoJSON field from its values, and a column of
    "18:00 开市" alone read as a Time (18:00:00, the words lost) in QGIS and geopandas."""
    import pyogrio

    for name, x in (("大唐路夜市", 98.30), ("悦西市美食街", 98.32)):
        zone_factory(name=name, opening_hours="Mo-Su 18:00-22:00",
                     boundary=MultiPolygon(Polygon.from_bbox((x, 39.8, x + 0.005, 39.805)),
                                           srid=4326))
    response = api_client.get("/api/v1/markets.geojson", {"at": "2026-07-01T12:00"})
    path = tmp_path / "markets.geojson"
    path.write_bytes(b"".join(response.streaming_content))
    frame = pyogrio.read_dataframe(path)
    assert list(frame["status_text"]) == ["今天 18:00 开市", "今天 18:00 开市"]
    assert list(frame["next_change_text"]) == ["开市后营业至 22:00", "开市后营业至 22:00"]
