"""Downloads of every layer in every format: round trips through geopandas and ogrinfo."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import subprocess
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import shapely
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Polygon

from geo.exports.files import dbf_names
from markets.selectors import zone_properties
from sites.selectors import livelihood_properties, project_properties

LAYERS = ("projects", "livelihood", "markets")
FORMATS = ("geojson", "gpkg", "zip", "csv", "xlsx")
OGRINFO = "/usr/bin/ogrinfo"
PROPERTIES = {
    "projects": project_properties,
    "livelihood": livelihood_properties,
    "markets": zone_properties,
}


def staff_only(layer: str) -> set[str]:
    make = PROPERTIES[layer]
    return set(make(staff=True)) - set(make(staff=False))


@pytest.fixture
def layers(project_factory, livelihood_factory, zone_factory):
    """Two published and one unpublished feature per layer, with Chinese text, mixed types."""
    project_factory(name="甬金金融科技项目", geom="POINT(98.281234567 39.791234567)")
    project_factory(
        name="索通盛源碳材料项目, \"二期\"",
        geom="POLYGON((98.30 39.80, 98.31 39.80, 98.31 39.81, 98.30 39.81, 98.30 39.80))",
        stage="construction", bond_status="candidate", bond_requested=5000,
    )
    project_factory(name="未公开项目", published=False)
    livelihood_factory(name="市中医院门诊楼", category="medical",
                       geom=GEOSGeometry("POINT(98.26 39.77)", srid=4326))
    livelihood_factory(name="五一路道路提升改造")  # a line
    livelihood_factory(
        name="老旧小区改造", category="old_community",
        geom=GEOSGeometry(
            "MULTIPOLYGON(((98.22 39.75, 98.23 39.75, 98.23 39.76, 98.22 39.76, 98.22 39.75)),"
            "((98.24 39.75, 98.25 39.75, 98.25 39.76, 98.24 39.75)))", srid=4326),
    )
    livelihood_factory(name="未公开民生", published=False)
    zone_factory(name="大唐路夜市", kind="night_market")
    zone_factory(name="悦西市美食街", kind="food_street",
                 boundary=MultiPolygon(Polygon.from_bbox((98.32, 39.82, 98.325, 39.825)),
                                       srid=4326))
    zone_factory(name="草案集市", status="proposed")


def geojson_of(client, layer: str) -> dict:
    response = client.get(f"/api/v1/{layer}.geojson")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/geo+json; charset=utf-8"
    return json.loads(b"".join(response.streaming_content))


def norm(value):
    """Compare values across formats: CSV text, shapefile numbers, GeoPackage NULLs."""
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return None
    if str(value) == "NaT":  # a null in a column GDAL read as datetimes (a zone's next change)
        return None
    if hasattr(value, "isoformat"):  # GDAL's GeoJSON reader recognises dates and datetimes
        text = value.isoformat()
        return text.removesuffix("T00:00:00")
    if hasattr(value, "tolist") and getattr(value, "ndim", 0):  # GDAL reads JSON lists
        value = value.tolist()
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool) or value in ("true", "false"):
        return int(value in (True, "true"))
    if isinstance(value, int | float) or hasattr(value, "dtype"):
        return round(float(value), 6)
    if isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value):
        return round(float(value), 6)
    return value


def read_back(fmt: str, path: Path, layer: str) -> list[tuple[dict, object]]:
    """(properties, geometry) of every feature, read with geopandas/pyogrio."""
    if fmt in ("geojson", "gpkg"):
        frames = [gpd.read_file(path, layer=layer if fmt == "gpkg" else None)]
    elif fmt == "zip":
        folder = path.parent / "unzipped"
        with zipfile.ZipFile(path) as archive:
            archive.extractall(folder)
        mapping = dict(csv.reader(io.StringIO((folder / "fields.csv").read_text("utf-8-sig"))))
        frames = [gpd.read_file(shp).rename(columns=mapping)
                  for shp in sorted(folder.glob("*.shp"))]
    else:
        frame = pyogrio.read_dataframe(
            path, layer=layer if fmt == "xlsx" else None, read_geometry=False
        )
        frame["geometry"] = shapely.from_wkt(frame.pop("wkt"))
        frames = [frame]
    rows = []
    for frame in frames:
        for record in frame.to_dict("records"):
            geometry = record.pop("geometry")
            rows.append((record, geometry))
    return rows


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("layer", LAYERS)
@pytest.mark.parametrize("as_staff", [False, True])
def test_round_trip_through_geopandas(
    api_client, staff_client, layers, tmp_path, layer, fmt, as_staff
):
    client = staff_client if as_staff else api_client
    expected = {f["properties"]["name"]: f for f in geojson_of(client, layer)["features"]}
    # Issue 16: CSV and Excel are for people by default; the round trip reads machine names.
    response = client.get(f"/api/v1/{layer}.{fmt}", {"headers": "machine"})
    assert response.status_code == 200, response.content[:300]
    content = b"".join(response.streaming_content) if fmt == "geojson" else response.content
    path = tmp_path / f"download.{fmt}"
    path.write_bytes(content)
    rows = read_back(fmt, path, layer)
    assert len(rows) == len(expected) == (3 if as_staff else 2) + (layer == "livelihood")
    for props, geometry in rows:
        want = expected[props["name"]]
        for key, value in want["properties"].items():
            got, want_value = norm(props[key]), norm(value)
            if fmt == "zip" and isinstance(want_value, str) and len(want_value.encode()) > 254:
                # dBase text fields hold 254 bytes; the full text is in the other formats.
                assert want_value.startswith(got), key
                assert len(got.encode()) >= 254 - 3, key
                continue
            assert got == want_value, (key, props[key], value)
        assert "data_as_of" in props or fmt == "geojson"
        # Coordinates are written with 6 decimals; any vertex moving more than 1e-6° fails.
        shape = shapely.geometry.shape(want["geometry"])
        assert shapely.hausdorff_distance(shape, geometry) < 1e-6, (shape, geometry)
        if not as_staff:
            assert not staff_only(layer) & set(props)


def _clean_env() -> dict:
    # Debian's ogrinfo with its own data files, not those of the wheels this process uses.
    return {k: v for k, v in os.environ.items() if k not in {"GDAL_DATA", "PROJ_DATA", "PROJ_LIB"}}


def ogrinfo(*args: str) -> str:
    result = subprocess.run(
        [OGRINFO, "-ro", *args], capture_output=True, check=True, env=_clean_env(), timeout=60,
    )
    return result.stdout.decode("utf-8")


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("layer", LAYERS)
def test_round_trip_through_ogrinfo(api_client, staff_client, layers, tmp_path, layer, fmt):
    features = geojson_of(staff_client, layer)["features"]
    response = staff_client.get(f"/api/v1/{layer}.{fmt}", {"headers": "machine"})
    content = b"".join(response.streaming_content) if fmt == "geojson" else response.content
    path = tmp_path / f"download.{fmt}"
    path.write_bytes(content)
    if fmt == "zip":
        with zipfile.ZipFile(path) as archive:
            archive.extractall(tmp_path)
        sources = sorted(str(p) for p in tmp_path.glob("*.shp"))
        names = dbf_names([*features[0]["properties"], "data_as_of", "lon", "lat"])
    else:
        sources = [str(path)]
        names = {key: key for key in features[0]["properties"]}
    options = ["-oo", "GEOM_POSSIBLE_NAMES=wkt"] if fmt == "csv" else []
    count, text = 0, ""
    for source in sources:
        layers_arg = [layer] if fmt in ("gpkg", "xlsx") else []
        # -al lists every layer; naming one (GeoPackage, Excel) skips the metadata table.
        flags = [*options, *([] if layers_arg else ["-al"])]
        output = ogrinfo(*flags, source, *layers_arg)
        count += sum(int(n) for n in re.findall(r"Feature Count: (\d+)", output))
        text += output
    assert count == len(features)
    for feature in features:
        assert feature["properties"]["name"] in text  # Chinese text intact
    for key, short in names.items():
        assert re.search(rf"^{re.escape(short)}: ", text, re.M), key
    if fmt != "geojson":
        assert re.search(r"^data_as_of: String", text, re.M)


def test_dbf_names_are_unique_and_short():
    names = dbf_names(["lead_department", "lead_department_code", "planned_investment_year",
                       "planned_investment_x", "name"])
    assert names == {
        "lead_department": "lead_depar",
        "lead_department_code": "lead_dep_1",
        "planned_investment_year": "planned_in",
        "planned_investment_x": "planned__1",
        "name": "name",
    }


@pytest.mark.django_db
def test_geojson_is_rfc7946_streamed_with_data_as_of(api_client, layers):
    response = api_client.get("/api/v1/livelihood.geojson")
    assert response.streaming
    raw = b"".join(response.streaming_content)
    body = json.loads(raw)
    assert "crs" not in body
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", body["data_as_of"])
    assert "老旧小区改造".encode() in raw  # not \u escapes
    [area] = [f for f in body["features"] if f["geometry"]["type"] == "MultiPolygon"]
    # RFC 7946 §3.1.6: the exterior ring is counter-clockwise (positive signed area).
    for polygon in area["geometry"]["coordinates"]:
        assert shapely.LinearRing(polygon[0]).is_ccw


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [
        ("geojson", "application/geo+json; charset=utf-8"),
        ("gpkg", "application/geopackage+sqlite3"),
        ("zip", "application/zip"),
        ("csv", "text/csv; charset=utf-8"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
)
def test_file_name_carries_layer_and_date(api_client, layers, fmt, content_type):
    response = api_client.get(f"/api/v1/markets.{fmt}")
    assert response["Content-Type"] == content_type
    assert re.fullmatch(
        rf'attachment; filename="markets-\d{{4}}-\d\d-\d\d\.{fmt}"',
        response["Content-Disposition"],
    )


@pytest.mark.django_db
def test_csv_has_bom_wkt_and_point_on_surface(api_client, layers):
    content = api_client.get("/api/v1/markets.csv?headers=machine").content
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    row = next(r for r in rows if r["name"] == "悦西市美食街")
    # The zone is the square 98.32..98.325 x 39.82..39.825; its point on surface lies inside.
    assert 98.32 < float(row["lon"]) < 98.325
    assert 39.82 < float(row["lat"]) < 39.825
    assert row["wkt"].startswith("MULTIPOLYGON (((98.32")


@pytest.mark.django_db
def test_shapefile_zip_one_file_per_geometry_type_with_cpg(api_client, layers):
    content = api_client.get("/api/v1/livelihood.zip").content
    names = set(zipfile.ZipFile(io.BytesIO(content)).namelist())
    for family in ("points", "lines", "polygons"):
        parts = {f"livelihood_{family}.{ext}" for ext in ("shp", "shx", "dbf", "prj", "cpg")}
        assert parts <= names
    assert {"fields.csv", "readme.txt"} <= names
    cpg = zipfile.ZipFile(io.BytesIO(content)).read("livelihood_lines.cpg")
    assert cpg.strip() == b"UTF-8"


@pytest.mark.django_db
def test_gpkg_has_metadata_table(api_client, layers, tmp_path):
    path = tmp_path / "x.gpkg"
    path.write_bytes(api_client.get("/api/v1/projects.gpkg").content)
    meta = pyogrio.read_dataframe(path, layer="metadata")
    values = dict(zip(meta["key"], meta["value"], strict=True))
    assert values["layer"] == "projects"
    assert values["features"] == "2"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", values["data_as_of"])


@pytest.mark.django_db
def test_xlsx_sheets_and_formula_text(api_client, project_factory, tmp_path):
    project_factory(name="=1+1 项目")
    path = tmp_path / "x.xlsx"
    path.write_bytes(api_client.get("/api/v1/projects.xlsx?headers=machine").content)
    from openpyxl import load_workbook

    book = load_workbook(path)
    assert book.sheetnames == ["projects", "metadata"]
    sheet = book["projects"]
    header = [c.value for c in sheet[1]]
    assert header[-4:] == ["data_as_of", "lon", "lat", "wkt"]
    name = sheet.cell(row=2, column=header.index("name") + 1)
    assert name.value == "=1+1 项目"
    assert name.data_type == "s"  # text, not a formula


@pytest.mark.django_db
def test_filters_apply_to_downloads(api_client, layers):
    body = json.loads(b"".join(
        api_client.get("/api/v1/projects.geojson?stage=construction").streaming_content
    ))
    assert [f["properties"]["name"] for f in body["features"]] == ["索通盛源碳材料项目, \"二期\""]
    url = "/api/v1/livelihood.csv?category=medical&headers=machine"
    rows = pd.read_csv(io.BytesIO(api_client.get(url).content), encoding="utf-8-sig")
    assert list(rows["name"]) == ["市中医院门诊楼"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url", "status", "field"),
    [
        ("/api/v1/projects.shp", 404, None),
        ("/api/v1/projects.kml", 404, None),
        ("/api/v1/roads.geojson", 404, None),
        ("/api/v1/projects.gpkg?stage=dreaming", 400, "stage"),
        ("/api/v1/livelihood.csv?bbox=nan,39.7,98.3,39.8", 400, "bbox"),
        ("/api/v1/markets.xlsx?bbox=98.3,39.8", 400, "bbox"),
        ("/api/v1/markets.zip?kind=casino", 400, "kind"),
        ("/api/v1/projects.geojson?department=nope", 400, "department"),
        ("/api/v1/projects.csv?q=%00", 400, "q"),
        ("/api/v1/projects.gpkg?department=a%00b", 400, "department"),
        ("/api/v1/markets.geojson?kind=%00", 400, "kind"),
    ],
)
def test_bad_requests_are_4xx_with_a_message(api_client, layers, url, status, field):
    response = api_client.get(url)
    assert response.status_code == status
    body = response.json()
    assert body["detail"]
    if field:
        assert field in body["errors"]
    if "kml" in url:
        assert "geojson, gpkg, zip, csv, xlsx" in body["detail"]


@pytest.mark.django_db
@pytest.mark.django_db
@pytest.mark.parametrize("accept", ["application/geo+json", "text/csv", "application/zip"])
def test_any_accept_header_gets_the_file(api_client, layers, accept):
    response = api_client.get("/api/v1/markets.geojson", HTTP_ACCEPT=accept)
    assert response.status_code == 200
    bad = api_client.get("/api/v1/markets.geojson?kind=x", HTTP_ACCEPT=accept)
    assert bad.status_code == 400
    assert bad["Content-Type"] == "application/json"


@pytest.mark.django_db
def test_empty_layer_downloads(api_client, tmp_path, db):
    for fmt in FORMATS:
        response = api_client.get(f"/api/v1/projects.{fmt}")
        assert response.status_code == 200, fmt


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_map_export_menu_links_carry_the_filters(page, live_server, project_factory):
    project_factory(name="索通盛源碳材料项目", stage="construction")
    project_factory(name="甬金金融科技项目")
    page.goto(f"{live_server.url}/")
    page.locator("#map-status[data-loaded='true']").wait_for(state="attached")
    menu = page.locator(".export-menu")
    menu.locator("summary").click()
    csv_link = menu.locator("a[data-layer='projects'][data-format='csv']")
    assert csv_link.get_attribute("href") == "/api/v1/projects.csv"
    # Filter the map as the page's filter controls do; the links follow.
    page.evaluate("window.portalMap.reload({projects: {stage: 'construction'}})")
    page.wait_for_function(
        "() => document.querySelector(\"a[data-layer='projects'][data-format='csv']\")"
        ".getAttribute('href').includes('stage=construction')"
    )
    with page.expect_download() as info:
        csv_link.click()
    download = info.value
    assert re.fullmatch(r"projects-\d{4}-\d\d-\d\d\.csv", download.suggested_filename)
    text = Path(download.path()).read_bytes().decode("utf-8-sig")
    assert "索通盛源碳材料项目" in text
    assert "甬金金融科技项目" not in text
    # "Only the area in view" adds the map's bbox to every link.
    menu.locator("input[name='export-in-view']").check()
    href = menu.locator("a[data-layer='markets'][data-format='gpkg']").get_attribute("href")
    assert re.fullmatch(r"/api/v1/markets\.gpkg\?bbox=[-\d.]+%2C[-\d.]+%2C[-\d.]+%2C[-\d.]+", href)


@pytest.mark.django_db
@pytest.mark.parametrize("layer", ["projects", "livelihood"])
def test_light_filters_are_for_staff(api_client, staff_client, layers, layer):
    light = "red" if layer == "projects" else "late"
    response = api_client.get(f"/api/v1/{layer}.csv?light={light}")
    assert response.status_code == 403
    assert response.json()["detail"]
    assert staff_client.get(f"/api/v1/{layer}.csv?light={light}").status_code == 200
