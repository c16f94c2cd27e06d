"""Projects not yet placed (待落图): in every download with a null geometry, off the map layer."""

from __future__ import annotations

import io
import json
import subprocess
import zipfile

import geopandas as gpd
import pyogrio
import pytest

OGRINFO = "/usr/bin/ogrinfo"


@pytest.fixture
def two_projects(project_factory):
    placed = project_factory(name="已落图项目", geom="POINT(98.28 39.79)")
    unplaced = project_factory(name="待落图项目", geom=None)
    return placed, unplaced


def _download(client, fmt: str) -> bytes:
    # Machine names (issue 16: CSV and Excel for people carry headings, see test_exports_people).
    response = client.get(f"/api/v1/projects.{fmt}", {"headers": "machine"})
    assert response.status_code == 200, response.content[:300]
    return b"".join(response.streaming_content) if fmt == "geojson" else response.content


def _ogrinfo_count(path, layer: str | None = None) -> int:
    """Feature count as GDAL's own command-line reader reports it (exit status 0 required)."""
    args = [OGRINFO, "-ro", "-so", "-al", str(path)] if layer is None else \
        [OGRINFO, "-ro", "-so", str(path), layer]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return sum(int(line.split(":")[1]) for line in out.splitlines()
               if line.startswith("Feature Count:"))


@pytest.mark.django_db
def test_map_layer_leaves_unplaced_projects_out(api_client, two_projects):
    collection = api_client.get("/api/v1/projects/").json()
    assert [f["properties"]["name"] for f in collection["features"]] == ["已落图项目"]


@pytest.mark.django_db
def test_stats_count_unplaced_projects(api_client, two_projects):
    assert api_client.get("/api/v1/stats/").json()["overall"]["projects"] == 2


@pytest.mark.django_db
def test_single_feature_of_an_unplaced_project_has_null_geometry(api_client, two_projects):
    _placed, unplaced = two_projects
    feature = api_client.get(f"/api/v1/projects/{unplaced.pk}/").json()
    # RFC 7946 §3.2: an unlocated feature has "geometry": null.
    assert feature["geometry"] is None
    assert feature["properties"]["name"] == "待落图项目"


@pytest.mark.django_db
def test_geojson_download_keeps_the_row_with_a_null_geometry(staff_client, two_projects):
    collection = json.loads(_download(staff_client, "geojson"))
    geometries = {f["properties"]["name"]: f["geometry"] for f in collection["features"]}
    assert geometries == {"已落图项目": {"type": "Point", "coordinates": [98.28, 39.79]},
                          "待落图项目": None}


@pytest.mark.django_db
def test_geopackage_with_a_null_geometry_opens(staff_client, two_projects, tmp_path):
    path = tmp_path / "projects.gpkg"
    path.write_bytes(_download(staff_client, "gpkg"))
    assert _ogrinfo_count(path, "projects") == 2
    frame = gpd.read_file(path, layer="projects")
    shapes = dict(zip(frame["name"], frame.geometry, strict=True))
    assert shapes["待落图项目"] is None
    assert (shapes["已落图项目"].x, shapes["已落图项目"].y) == (98.28, 39.79)
    assert frame.set_index("name")[["lon", "lat"]].isna().loc["待落图项目"].tolist() == [
        True, True]


@pytest.mark.django_db
def test_shapefile_with_a_null_geometry_opens(staff_client, two_projects, tmp_path):
    with zipfile.ZipFile(io.BytesIO(_download(staff_client, "zip"))) as archive:
        archive.extractall(tmp_path)
    shp = tmp_path / "projects_points.shp"
    assert _ogrinfo_count(shp) == 2
    frame = gpd.read_file(shp)
    shapes = dict(zip(frame["name"], frame.geometry, strict=True))
    assert shapes["待落图项目"] is None
    assert (shapes["已落图项目"].x, shapes["已落图项目"].y) == (98.28, 39.79)


@pytest.mark.django_db
def test_only_unplaced_projects_still_make_a_shapefile(staff_client, project_factory, tmp_path):
    project_factory(name="待落图项目", geom=None)
    with zipfile.ZipFile(io.BytesIO(_download(staff_client, "zip"))) as archive:
        archive.extractall(tmp_path)
    shp = tmp_path / "projects_points.shp"
    assert _ogrinfo_count(shp) == 1
    assert gpd.read_file(shp).geometry.isna().tolist() == [True]


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_tables_leave_wkt_and_lon_lat_empty(staff_client, two_projects, tmp_path, fmt):
    path = tmp_path / f"projects.{fmt}"
    path.write_bytes(_download(staff_client, fmt))
    frame = pyogrio.read_dataframe(path, layer="projects" if fmt == "xlsx" else None,
                                   read_geometry=False)
    by_name = frame.set_index("name")
    # An empty cell reads back as NULL (xlsx) or "" (CSV): either way, no location.
    assert by_name.loc["待落图项目", ["wkt", "lon", "lat"]].replace("", None).isna().all()
    assert by_name.loc["已落图项目", "wkt"] == "POINT (98.28 39.79)"


@pytest.mark.django_db
def test_ogc_api_items_carry_the_unplaced_project_with_null_geometry(api_client, two_projects):
    response = api_client.get("/ogcapi/collections/projects/items?f=json")
    assert response.status_code == 200
    geometries = {f["properties"]["name"]: f["geometry"]
                  for f in json.loads(response.content)["features"]}
    assert geometries["待落图项目"] is None
    assert geometries["已落图项目"]["type"] == "Point"
    # A bbox query asks where: an unplaced project is nowhere, so it is not in it.
    boxed = api_client.get("/ogcapi/collections/projects/items?f=json&bbox=98.2,39.7,98.4,39.9")
    assert [f["properties"]["name"] for f in json.loads(boxed.content)["features"]] == [
        "已落图项目"]


@pytest.mark.django_db
def test_printable_map_draws_only_placed_projects(client, user_factory, two_projects):
    client.force_login(user_factory("project_office"))
    response = client.get("/export/battle-map.html")
    assert response.status_code == 200
    html = response.content.decode()
    assert "已落图项目" in html
    assert "待落图项目" not in html
