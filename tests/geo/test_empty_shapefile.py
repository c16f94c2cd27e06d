"""An empty Shapefile download (a filter that matches nothing) is a valid, openable layer."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest

OGRINFO = "/usr/bin/ogrinfo"  # Debian's gdal-bin: a reader independent of the wheels' GDAL


def _unzip(content: bytes, folder: Path) -> dict[str, Path]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        archive.extractall(folder)
        return {name: folder / name for name in archive.namelist()}


def _fields_csv(path: Path) -> dict[str, str]:
    rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0] == ["dbf_name", "full_name"]
    return {dbf: full for dbf, full in rows[1:]}


def _ogrinfo(path: Path) -> str:
    return subprocess.run([OGRINFO, "-so", "-al", str(path)], capture_output=True, text=True,
                          check=True).stdout


@pytest.fixture
def empty_department(department_factory, livelihood_factory):
    """One work of 发改委 (the factories' department); 工信局 has none."""
    livelihood_factory(name="城市燃气管道老化更新")
    return department_factory(code="gxj", name="工信局")


@pytest.mark.django_db
@pytest.mark.skipif(not Path(OGRINFO).exists(), reason="Debian's gdal-bin is not installed")
@pytest.mark.parametrize("staff", [False, True])
def test_empty_livelihood_shapefile_opens_with_every_field(
        api_client, staff_client, empty_department, tmp_path, staff):
    client = staff_client if staff else api_client
    response = client.get("/api/v1/livelihood.zip", {"department": "gxj"})
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    files = _unzip(content, tmp_path)
    # The livelihood layer holds points, lines and areas: one empty shapefile for each, each
    # with its five parts, beside fields.csv and readme.txt.
    expected = {f"livelihood_{family}.{part}" for family in ("points", "lines", "polygons")
                for part in ("shp", "shx", "dbf", "prj", "cpg")}
    assert set(files) == expected | {"fields.csv", "readme.txt"}
    mapping = _fields_csv(files["fields.csv"])
    assert ("leader" in mapping.values()) is staff  # staff fields for staff only
    for family, ogr_type in (("points", "Point"), ("lines", "Line String"),
                             ("polygons", "Polygon")):
        shp = files[f"livelihood_{family}.shp"]
        info = _ogrinfo(shp)
        assert "Feature Count: 0" in info
        assert f"Geometry: {ogr_type}" in info
        assert 'ID["EPSG",4326]' in info  # the .prj says WGS84
        fields = dict(re.findall(r"^(\w+): (\w+) \(", info, re.M))
        assert list(fields) == list(mapping)  # every column, in the layer's order
        # Types as a filled download has them: numbers stay numbers, text is text.
        assert fields["percent_co"] == "Real"
        assert fields["code"] == "String"
        assert fields["lon"] == fields["lat"] == "Real"
        frame = gpd.read_file(shp)
        assert len(frame) == 0
        assert [c for c in frame.columns if c != "geometry"] == list(mapping)
        assert frame.crs.to_epsg() == 4326
        assert files[f"livelihood_{family}.cpg"].read_text().strip().upper() == "UTF-8"


@pytest.mark.django_db
@pytest.mark.skipif(not Path(OGRINFO).exists(), reason="Debian's gdal-bin is not installed")
def test_empty_market_shapefile_is_one_polygon_layer(api_client, zone_factory, tmp_path):
    zone_factory(name="大唐路夜市", kind="night_market")
    response = api_client.get("/api/v1/markets.zip", {"kind": "flea"})
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    files = _unzip(content, tmp_path)
    # Zones are multipolygons only: no empty point or line file beside the polygons.
    assert sorted(n for n in files if n.endswith(".shp")) == ["markets_polygons.shp"]
    info = _ogrinfo(files["markets_polygons.shp"])
    assert "Feature Count: 0" in info
    assert "Geometry: Polygon" in info
    assert re.search(r"^capacity: Integer", info, re.M)
    assert len(gpd.read_file(files["markets_polygons.shp"])) == 0


@pytest.mark.django_db
def test_a_filled_shapefile_is_unchanged(api_client, livelihood_factory, tmp_path):
    livelihood_factory(name="五一路改造")
    content = api_client.get("/api/v1/livelihood.zip").content
    files = _unzip(content, tmp_path)
    # Only the family that has features is written.
    assert sorted(n for n in files if n.endswith(".shp")) == ["livelihood_lines.shp"]
    assert len(gpd.read_file(files["livelihood_lines.shp"])) == 1
