"""Reading an uploaded vector file from bytes: format sniffing, zip safety, DBF encodings."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from shapely.geometry import Point, box

from geo import uploads

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
NAMES = ["新华路后备箱集市", "悦西市美食街"]


@pytest.fixture(autouse=True)
def english(settings):
    """Messages are asserted in English (the msgids), whatever catalogs are compiled."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def zipped(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def shapefile_members(tmp_path: Path, *, encoding: str, cpg: bool) -> dict[str, bytes]:
    """Two Chinese-named points written by pyogrio; without .cpg and language driver id."""
    frame = gpd.GeoDataFrame({"名称": NAMES}, geometry=[Point(98.3, 39.8), Point(98.31, 39.8)],
                             crs="EPSG:4326")
    frame.to_file(tmp_path / "zones.shp", engine="pyogrio", encoding=encoding)
    members = {}
    for path in sorted(tmp_path.glob("zones.*")):
        data = path.read_bytes()
        if path.suffix == ".cpg" and not cpg:
            continue
        if path.suffix == ".dbf" and not cpg:
            data = data[:29] + b"\x00" + data[30:]  # only the bytes themselves tell the encoding
        members[path.name] = data
    return members


@pytest.mark.parametrize(("data", "expected"), [
    (zipped({"a.csv": b"x"}), "zip"),
    (b"SQLite format 3\x00" + b"\x00" * 84, "gpkg"),
    (b'  {"type": "FeatureCollection"}', "json"),
    (PNG, None),
    (b"code,name\n", None),
])
def test_format_of_reads_the_bytes(data, expected):
    assert uploads.format_of(data) == expected


@pytest.mark.parametrize(("data", "kind"), [
    (PNG, "a PNG image"),
    (b"%PDF-1.7\n", "a PDF document"),
    (b"Rar!\x1a\x07\x00", "a RAR archive"),
    (b"abc\x00def", "binary data"),
])
def test_a_renamed_foreign_file_is_refused(data, kind):
    # The name (say "zones.gpkg") plays no part: only the first bytes are read.
    with pytest.raises(ValidationError) as caught:
        uploads.refuse_foreign(data, message="This is %(kind)s.")
    assert caught.value.code == "not_a_table"
    assert caught.value.messages == [f"This is {kind}."]


def test_text_is_not_foreign():
    assert uploads.refuse_foreign(b"code,name\nP1,x\n", message="%(kind)s") is None


@pytest.mark.parametrize("name", [
    "../x", "../../a.shp", "data/../../a.dbf", "..\\x.shp", "/etc/passwd", "C:/temp/a.shp",
    "/vsicurl/http://example.invalid/a.shp", "vsizip/a.shp",
])
def test_zip_with_unsafe_member_name_is_refused(name):
    with pytest.raises(ValidationError) as caught:
        uploads.open_zip(zipped({"a.shp": b"x", name: b"x"}))
    assert caught.value.code == "zip_member"
    assert name in caught.value.messages[0]


def test_zip_with_plain_folders_is_accepted():
    archive, members = uploads.open_zip(zipped({"数据/a.shp": b"x", "__MACOSX/._a.shp": b"y"}))
    assert [m.filename for m in members] == ["数据/a.shp", "__MACOSX/._a.shp"]
    assert uploads.member_bytes(archive, members[0]) == b"x"


def test_zip_bomb_is_refused_by_declared_size():
    # 60 MB of zeros deflate to about 60 kB; only the central directory says 60 MB.
    data = zipped({"a.shp": b"\0" * (60 * 2**20), "a.dbf": b"x"})
    assert len(data) < 100 * 1024
    with pytest.raises(ValidationError) as caught:
        uploads.open_zip(data)
    assert caught.value.code == "zip_size"
    assert caught.value.messages == ["The zip unpacks to more than 50 MB."]


def test_setting_lowers_the_size_limit(settings):
    settings.IMPORT_MAX_UNZIPPED_BYTES = 2**20
    with pytest.raises(ValidationError) as caught:
        uploads.open_zip(zipped({"a.csv": b"0" * (2 * 2**20)}))
    assert caught.value.code == "zip_size"
    assert caught.value.messages == ["The zip unpacks to more than 1 MB."]


def test_zip_with_too_many_members_is_refused():
    members = {f"f{n}.csv": b"x" for n in range(uploads.MAX_ZIP_MEMBERS + 1)}
    with pytest.raises(ValidationError) as caught:
        uploads.open_zip(zipped(members))
    assert caught.value.code == "zip_members"


def test_damaged_zip_is_refused():
    with pytest.raises(ValidationError) as caught:
        uploads.open_zip(b"PK\x03\x04 not really a zip")
    assert caught.value.code == "bad_zip"
    assert isinstance(caught.value.__cause__, zipfile.BadZipFile)


def test_member_bytes_with_a_bad_crc_is_refused():
    data = bytearray(zipped({"a.csv": b"hello world"}))
    # Stored deflated; flip a byte of the compressed stream (after the 30-byte header + name).
    data[30 + len("a.csv") + 2] ^= 0xFF
    archive, members = uploads.open_zip(bytes(data))
    with pytest.raises(ValidationError) as caught:
        uploads.member_bytes(archive, members[0])
    assert caught.value.code == "bad_zip"


def test_gbk_dbf_without_cpg_is_detected_and_read(tmp_path):
    members = shapefile_members(tmp_path, encoding="gbk", cpg=False)
    assert "zones.cpg" not in members
    assert uploads.dbf_encoding(members["zones.dbf"]) == "gb18030"
    archive, infos = uploads.open_zip(zipped(members))
    parts = {Path(i.filename).suffix: i for i in infos}
    frame, used = uploads.read_shapefile(archive, parts)
    assert used == "gb18030"
    assert list(frame["名称"]) == NAMES


def test_utf8_dbf_without_cpg_is_detected(tmp_path):
    members = shapefile_members(tmp_path, encoding="utf-8", cpg=False)
    assert uploads.dbf_encoding(members["zones.dbf"]) == "utf-8"


@pytest.mark.parametrize(("dbf_encoding", "cpg", "expected"), [
    ("utf-8", "UTF-8", "utf-8"),
    ("gbk", "UTF-8", "gb18030"),  # a .cpg claiming UTF-8 over GBK bytes is not believed
    ("gbk", "GBK", "gb18030"),
    ("utf-8", "1252", "1252"),  # an unusual code page is passed on as given
])
def test_cpg_is_used_when_present(tmp_path, dbf_encoding, cpg, expected):
    members = shapefile_members(tmp_path, encoding=dbf_encoding, cpg=False)
    assert uploads.dbf_encoding(members["zones.dbf"], cpg) == expected


def test_language_driver_936_means_gbk():
    header = bytearray(32)
    header[29] = uploads.LDID_CP936
    assert uploads.dbf_encoding(bytes(header)) == "gb18030"


def test_geopackage_is_read_from_bytes(tmp_path):
    frame = gpd.GeoDataFrame({"name": ["大唐路夜市"]}, geometry=[box(98.3, 39.8, 98.301, 39.801)],
                             crs="EPSG:4326")
    frame.to_file(tmp_path / "anything.gpkg", driver="GPKG", layer="zones")
    read = uploads.read_geopackage((tmp_path / "anything.gpkg").read_bytes())
    assert list(read["name"]) == ["大唐路夜市"]
    assert read.crs.to_epsg() == 4326


def test_unreadable_bytes_are_refused():
    with pytest.raises(ValidationError) as caught:
        uploads.read_vector(b"{ not json")
    assert caught.value.code == "unreadable"
    assert caught.value.messages[0].startswith("The file could not be read: ")


@pytest.mark.parametrize("name", ["../x.shp", "/vsicurl/x.shp", "a/b.shp"])
def test_staged_names_are_plain(name):
    with pytest.raises(ValueError, match="plain names"), uploads.staged({name: b"x"}):
        pass
