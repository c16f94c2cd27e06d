"""The context layers under every map: /api/v1/context/ from the demo city's fixtures, and
``import_context`` for a real city's files."""

from __future__ import annotations

import io
import json
import zipfile

import geopandas
import pytest
from django.contrib.gis.geos import GEOSGeometry
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from pyproj import Transformer
from shapely.geometry import LineString, Point, shape

from geo.context_import import context_import
from geo.demo import LoadResult, _load_context, _load_reference
from geo.models import ContextFeature, ContextKind, District

URL = "/api/v1/context/"
# fixtures/context.geojson and reference.json; districts by code, roads by code point of name
# (五 U+4E94 < 人 U+4EBA < 大 U+5927 < 新 U+65B0 < 祁 U+7941 < 胜 U+80DC < 迎 U+8FCE < 钢 U+94A2).
EXPECTED = [
    ("city", "示范市"),
    ("district", "关城区"),
    ("district", "瀚海区"),
    ("district", "祁西区"),
    ("district", "新钢区"),
    ("river", "清水河"),
    ("main_road", "五一路"),
    ("main_road", "人民路"),
    ("main_road", "大唐路"),
    ("main_road", "新华路"),
    ("main_road", "祁连大道"),
    ("main_road", "胜利路"),
    ("main_road", "迎宾大道"),
    ("main_road", "钢城路"),
]


@pytest.fixture
def demo_context(db):
    result = LoadResult()
    _load_reference(result)
    _load_context(result)
    return result


def _coordinates(geometry: dict):
    def walk(value):
        if isinstance(value[0], int | float):
            yield value
        else:
            for item in value:
                yield from walk(item)

    return list(walk(geometry["coordinates"]))


def test_context_collection_shape(client, demo_context, django_assert_num_queries):
    with django_assert_num_queries(1):  # one SQL statement writes the whole collection
        response = client.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json; charset=utf-8"
    body = json.loads(response.content)
    assert set(body) == {"type", "features"}
    assert body["type"] == "FeatureCollection"
    features = body["features"]
    assert [(f["properties"]["layer"], f["properties"]["name"]) for f in features] == EXPECTED
    assert [f["properties"].get("code") for f in features if f["properties"]["layer"] ==
            "district"] == ["guancheng", "hanhai", "qixi", "xingang"]
    types = {f["properties"]["layer"]: f["geometry"]["type"] for f in features}
    assert types == {"city": "MultiPolygon", "district": "MultiPolygon",
                     "river": "MultiLineString", "main_road": "MultiLineString"}
    for feature in features:
        props = feature["properties"]
        expected = {"city": {"layer", "name"}, "district": {"layer", "name", "code", "label"}}
        assert set(props) == expected.get(props["layer"], {"layer", "name", "label"})
        # 5 decimals (~1 m): no coordinate carries more.
        for lon, lat in _coordinates(feature["geometry"]):
            assert round(lon, 5) == lon
            assert round(lat, 5) == lat
            assert 98.20 <= lon <= 98.36
            assert 39.74 <= lat <= 39.84


def test_district_labels_lie_inside_their_district(client, demo_context):
    features = json.loads(client.get(URL).content)["features"]
    districts = {d.code: d.geom for d in District.objects.all()}
    for feature in features:
        if feature["properties"]["layer"] == "district":
            lon, lat = feature["properties"]["label"]
            assert districts[feature["properties"]["code"]].contains(
                GEOSGeometry(f"POINT({lon} {lat})", srid=4326))
        elif feature["properties"]["layer"] in ("main_road", "river"):
            # A vertex of the stored line, rounded to 5 decimals: within 1e-5° of it.
            lon, lat = feature["properties"]["label"]
            stored = ContextFeature.objects.get(name=feature["properties"]["name"]).geom
            assert stored.distance(GEOSGeometry(f"POINT({lon} {lat})", srid=4326)) < 1e-5


def test_context_is_simplified_but_keeps_the_shape(client, demo_context):
    # The river is drawn smooth (Chaikin, 3 rounds: 8 points -> 59); served simplified by 5e-5°
    # it keeps fewer vertices, and stays within the tolerance of the stored line.
    features = json.loads(client.get(URL).content)["features"]
    [river] = [f for f in features if f["properties"]["layer"] == "river"]
    stored = ContextFeature.objects.get(kind=ContextKind.RIVER)
    served = shape(river["geometry"])
    assert len(_coordinates(river["geometry"])) < stored.geom.num_coords
    assert served.hausdorff_distance(shape(json.loads(stored.geom.geojson))) < 6e-5


def test_context_is_public_cacheable_and_revalidates(client, demo_context):
    response = client.get(URL)
    assert response["Cache-Control"] == "public, max-age=300"
    assert "Cookie" not in response["Vary"]  # the same body for everyone, signed in or not
    etag = response["ETag"]
    again = client.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert client.head(URL).status_code == 200
    assert client.post(URL).status_code == 405


def test_context_empty_database(client, db):
    body = json.loads(client.get(URL).content)
    assert body == {"type": "FeatureCollection", "features": []}


# --- import_context ---------------------------------------------------------------------------

to_metres = Transformer.from_crs(4326, 4542, always_xy=True).transform


def _gpkg(frame: geopandas.GeoDataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_file(buffer, driver="GPKG", layer="roads")
    return buffer.getvalue()


def test_import_roads_from_a_metric_geopackage(db):
    # Two roads drawn in EPSG:4542 metres; stored back in WGS84 within 1e-7° (~1 cm).
    a = [to_metres(98.25, 39.80), to_metres(98.27, 39.80)]
    b = [to_metres(98.26, 39.78), to_metres(98.26, 39.82)]
    frame = geopandas.GeoDataFrame(
        {"名称": ["建设路", "长城路"]}, geometry=[LineString(a), LineString(b)], crs=4542)
    result = context_import(data=_gpkg(frame), layer="main_roads")
    assert (result.created, result.updated, result.unchanged) == (["建设路", "长城路"], [], [])
    road = ContextFeature.objects.get(name="建设路")
    assert road.kind == "main_road"
    assert road.geom.geom_type == "MultiLineString"
    (start, end), = road.geom.coords
    assert start == pytest.approx((98.25, 39.80), abs=1e-7)
    assert end == pytest.approx((98.27, 39.80), abs=1e-7)
    assert road.history.count() == 1
    # The same file again writes nothing.
    again = context_import(data=_gpkg(frame), layer="main_roads")
    assert (again.created, again.updated, again.unchanged) == ([], [], ["建设路", "长城路"])
    assert road.history.count() == 1


def test_import_refuses_the_whole_file_for_one_bad_feature(db):
    frame = geopandas.GeoDataFrame(
        {"name": ["建设路", "广场"]},
        geometry=[LineString([(98.25, 39.8), (98.27, 39.8)]), Point(98.26, 39.79)], crs=4326)
    with pytest.raises(ValidationError) as refused:
        context_import(data=_gpkg(frame), layer="main_roads")
    assert refused.value.messages == ["feature 2 (广场): a Point, not a line"]
    assert ContextFeature.objects.count() == 0


def test_import_districts_from_a_zipped_shapefile_with_replace(demo_context, tmp_path):
    # One district re-issued (guancheng, new name), one new; --replace would delete the other
    # three, which nothing points at in this test.
    guancheng = District.objects.get(code="guancheng")
    frame = geopandas.GeoDataFrame(
        {"code": ["guancheng", "xinqu"], "name": ["关城新区", "新区"]},
        geometry=[shape(json.loads(guancheng.geom.geojson)),
                  Point(98.30, 39.80).buffer(0.005)], crs=4326)
    frame.to_file(tmp_path / "districts.shp", encoding="utf-8")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        for part in tmp_path.iterdir():
            zipped.write(part, part.name)
    result = context_import(data=archive.getvalue(), layer="districts", replace=True)
    assert result.created == ["新区"]
    assert result.updated == ["关城新区"]
    assert sorted(result.deleted) == sorted(["瀚海区", "祁西区", "新钢区"])
    assert dict(District.objects.values_list("code", "name")) == {
        "guancheng": "关城新区", "xinqu": "新区"}


def test_import_context_command(demo_context, tmp_path, capsys):
    path = tmp_path / "river.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"name": "清水河"},
        "geometry": {"type": "LineString", "coordinates": [[98.21, 39.78], [98.35, 39.77]]}}]}),
        encoding="utf-8")
    out = io.StringIO()
    call_command("import_context", str(path), "--layer", "river", stdout=out)
    assert out.getvalue().strip() == "river: 0 created, 1 updated, 0 unchanged, 0 deleted"
    assert ContextFeature.objects.get(kind="river").geom.coords == (
        ((98.21, 39.78), (98.35, 39.77)),)
    with pytest.raises(CommandError, match="cannot read"):
        call_command("import_context", str(tmp_path / "missing.gpkg"), "--layer", "river")
