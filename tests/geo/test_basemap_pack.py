"""The basemap pack: load_basemap takes a PMTiles or MBTiles file, the portal serves its tiles at
/tiles/{z}/{x}/{y}.{ext}, and the maps fall back pack → Tianditu → context layers only."""

from __future__ import annotations

import io
import sqlite3
import urllib.error
import urllib.request

import pytest
from django.core.management import CommandError, call_command
from PIL import Image

from geo.basemap_pack import current_pack
from geo.demo import LoadResult, _load_context, _load_reference

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ATTRIBUTION = "© 示范市自然资源局 审图号：甘S（2026）001号"
# The tile under 瀚海区's label at zoom 12, by the web-mercator formulas (256 px tiles):
#   x = (98.27 + 180) / 360 * 2^12 = 3166.1            -> 3166
#   y = (1 - ln(tan 39.80° + sec 39.80°) / π) / 2 * 2^12 = 1553.6  -> 1553
TILE_12 = (12, 3166, 1553)


@pytest.fixture
def context(db, settings):
    settings.BASEMAP, settings.TIANDITU_KEY = "auto", ""
    result = LoadResult()
    _load_reference(result)
    _load_context(result)


@pytest.fixture
def demo_pmtiles(context, tmp_path):
    path = tmp_path / "demo.pmtiles"
    out = io.StringIO()
    call_command("make_demo_basemap", str(path), "--max-zoom", "12", stdout=out)
    # Zoom 11: the city's extent (98.205–98.355 E, 39.743–39.837 N) touches tiles x 1582–1583,
    # y 776–777 (4); zoom 12: x 3165–3166, y 1552–1554 (6).
    assert out.getvalue().strip() == f"wrote 10 tiles (zoom 11–12) to {path}"
    return path


def _load(path, *args) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("load_basemap", str(path), *args, stdout=out, stderr=err)
    return out.getvalue().strip() + err.getvalue().strip()


def test_pmtiles_pack_served_over_http(demo_pmtiles, live_server):
    said = _load(demo_pmtiles, "--attribution", ATTRIBUTION)
    assert said.startswith("loaded pmtiles basemap: png tiles, zoom 11–12, bounds 98.205, ")
    assert said.endswith(f"attribution: {ATTRIBUTION}")
    z, x, y = TILE_12
    with urllib.request.urlopen(f"{live_server.url}/tiles/{z}/{x}/{y}.png") as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "image/png"
        assert response.headers["Cache-Control"] == "public, max-age=86400"
        body = response.read()
    assert body.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(body))
    assert image.size == (256, 256)
    # Inside the city: the land colour, not the grey outside it.
    assert image.convert("RGB").getpixel((200, 60)) == (247, 245, 239)
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{live_server.url}/tiles/12/0/0.png")
    assert missing.value.code == 404


@pytest.mark.parametrize(
    ("url", "status", "detail"),
    [
        ("/tiles/12/0/0.png", 404, "The basemap pack has no tile 12/0/0."),
        ("/tiles/12/3166/1553.jpg", 404, "The basemap pack's tiles are .png."),
        ("/tiles/25/0/0.png", 400, "Zoom 25 is past the largest, 24."),
        ("/tiles/12/4096/0.png", 400, "At zoom 12 tile x and y run from 0 to 4095."),
        ("/tiles/12/0/4096.png", 400, "At zoom 12 tile x and y run from 0 to 4095."),
    ],
)
def test_tile_errors(client, demo_pmtiles, url, status, detail):
    _load(demo_pmtiles, "--attribution", ATTRIBUTION)
    response = client.get(url)
    assert response.status_code == status
    assert response.json() == {"detail": detail}


def test_malformed_tile_paths_are_not_found(client, context):
    assert client.get("/tiles/a/b/c.png").status_code == 404
    assert client.get("/tiles/-1/0/0.png").status_code == 404


def test_no_pack_no_tiles(client, context):
    response = client.get("/tiles/12/3166/1553.png")
    assert response.status_code == 404
    assert response.json() == {"detail": "No basemap pack is loaded (manage.py load_basemap)."}


def test_tile_revalidates_with_its_etag(client, demo_pmtiles):
    _load(demo_pmtiles, "--attribution", ATTRIBUTION)
    first = client.get("/tiles/12/3166/1553.png")
    assert (
        client.get("/tiles/12/3166/1553.png", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    )


def _mbtiles(path, fmt="png", tiles=((1, 0, 1, PNG_SIGNATURE + b"tile"),)):
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE metadata (name text, value text)")
        db.execute(
            "CREATE TABLE tiles (zoom_level integer, tile_column integer, "
            "tile_row integer, tile_data blob)"
        )
        db.executemany(
            "INSERT INTO metadata VALUES (?, ?)",
            [
                ("name", "测试"),
                ("format", fmt),
                ("minzoom", "1"),
                ("maxzoom", "1"),
                ("bounds", "98.2,39.74,98.36,39.84"),
                ("attribution", "© 测试 审图号：GS(2026)1号"),
            ],
        )
        db.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", tiles)
    db.close()
    return path


def test_mbtiles_rows_are_flipped(client, context, tmp_path):
    # MBTiles counts rows from the south (TMS): row 1 at zoom 1 is XYZ y = 2^1 - 1 - 1 = 0.
    said = _load(_mbtiles(tmp_path / "city.mbtiles"))
    assert said.endswith("attribution: © 测试 审图号：GS(2026)1号")
    response = client.get("/tiles/1/0/0.png")
    assert response.status_code == 200
    assert response.content == PNG_SIGNATURE + b"tile"
    assert client.get("/tiles/1/0/1.png").status_code == 404


def test_load_basemap_refusals(context, tmp_path):
    text = tmp_path / "notes.pmtiles"
    text.write_text("hello", encoding="utf-8")
    with pytest.raises(CommandError, match=r"Not an MBTiles \(SQLite\) or PMTiles file\."):
        _load(text)
    vector = _mbtiles(tmp_path / "vector.mbtiles", fmt="pbf")
    with pytest.raises(CommandError, match="the portal serves raster tiles only"):
        _load(vector)
    with pytest.raises(CommandError, match="cannot read|Cannot read"):
        _load(tmp_path / "missing.mbtiles")
    assert current_pack() is None


def test_pack_without_attribution_is_refused(demo_pmtiles, tmp_path):
    # The demo pack names itself; an MBTiles without one needs --attribution.
    path = _mbtiles(tmp_path / "anon.mbtiles")
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM metadata WHERE name = 'attribution'")
    db.close()
    with pytest.raises(CommandError, match="No attribution"):
        _load(path)
    assert "warning: the attribution names no approval number" in _load(
        path, "--attribution", "© 测试"
    )


def test_fallback_order_pack_tianditu_none(client, demo_pmtiles, settings):
    _load(demo_pmtiles, "--attribution", ATTRIBUTION)
    settings.TIANDITU_KEY = "test-key"
    config = client.get("/markets/").context["map_config"]
    assert config["basemap"] == "pack"
    assert config["pack"] == {
        "url": "/tiles/{z}/{x}/{y}.png",
        "attribution": ATTRIBUTION,
        "minZoom": 11,
        "maxZoom": 12,
        "bounds": config["pack"]["bounds"],
    }
    assert config["contextUrl"] == "/api/v1/context/"
    call_command("load_basemap", "--remove", stdout=io.StringIO())
    assert client.get("/markets/").context["map_config"]["basemap"] == "tianditu"
    settings.TIANDITU_KEY = ""
    config = client.get("/markets/").context["map_config"]
    assert (config["basemap"], config["pack"]) == ("none", None)
