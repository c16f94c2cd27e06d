"""Reading an uploaded vector file from bytes: format sniffing, zip safety, DBF encodings."""

from __future__ import annotations

import html
import io
import stat
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from shapely.geometry import Point, box

from geo import uploads
from markets import importers as markets_importers
from markets.models import MarketZone
from sites import importers as sites_importers
from sites.models import Project

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


# --- each attack through the real import pages: a 400 with the message, nothing written --------

SITES_IMPORT = "/staff/import/"
ZONES_IMPORT = "/staff/markets/import/"
ZEROS_60_MB = b"\0" * (60 * 2**20)  # deflates to ~60 kB


def symlinked(name: str, target: bytes) -> bytes:
    """A zip whose member ``name`` is a Unix symbolic link to ``target`` (as `zip -y` stores)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        info = zipfile.ZipInfo(name)
        info.create_system = 3  # Unix: the high 16 bits of external_attr are st_mode
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, target)
        archive.writestr("a.dbf", b"x")
    return buffer.getvalue()


@pytest.fixture
def existing_rows(project_factory, zone_factory):
    """One project and one zone, to show that a refused upload changes neither."""
    project_factory(code="P-KEEP", name="保留项目")
    zone_factory(name="保留集市")

    def snapshot():
        projects = Project.objects.values_list("code", "name", "percent_complete", "updated_at")
        return (sorted(projects),
                sorted(MarketZone.objects.values_list("name", "version")),
                Project.history.count(), MarketZone.history.count())

    return snapshot


def _post(client, path: str, data: bytes, name: str, **fields):
    upload = SimpleUploadedFile(name, data, content_type="application/octet-stream")
    return client.post(path, {"file": upload, **fields})


def _refused(response) -> str:
    assert response.status_code == 400
    return html.unescape(response.content.decode())


def _attacks() -> list:
    # Messages as callables: formatted in the test, under its language (English).
    shp = {"a.shx": b"x", "a.dbf": b"x"}
    return [
        pytest.param(zipped({"a.shp": ZEROS_60_MB, **shp}), "zones.zip",
                     lambda: sites_importers.ZIP_TOO_LARGE % {"max": 50, "members": 200},
                     lambda: uploads.ZIP_SIZE % {"max": 50}, id="zip-bomb-declared-size"),
        pytest.param(zipped({"a.shp": b"\0" * (3 * 2**20), **shp}), "zones.zip",
                     lambda: uploads.ZIP_RATIO % {"name": "a.shp", "ratio": 200},
                     lambda: uploads.ZIP_RATIO % {"name": "a.shp", "ratio": 200},
                     id="zip-bomb-ratio"),
        pytest.param(zipped({f"f{n}.csv": b"x" for n in range(201)}), "zones.zip",
                     lambda: sites_importers.ZIP_TOO_LARGE % {"max": 50, "members": 200},
                     lambda: uploads.ZIP_MEMBERS % {"max": 200}, id="zip-too-many-members"),
        pytest.param(zipped({"../a.shp": b"x", **shp}), "zones.zip",
                     lambda: uploads.ZIP_MEMBER % {"name": "../a.shp"},
                     lambda: uploads.ZIP_MEMBER % {"name": "../a.shp"}, id="path-traversal"),
        pytest.param(zipped({"/etc/a.shp": b"x", **shp}), "zones.zip",
                     lambda: uploads.ZIP_MEMBER % {"name": "/etc/a.shp"},
                     lambda: uploads.ZIP_MEMBER % {"name": "/etc/a.shp"}, id="absolute-path"),
        pytest.param(symlinked("a.shp", b"/etc/passwd"), "zones.zip",
                     lambda: uploads.ZIP_SYMLINK % {"name": "a.shp"},
                     lambda: uploads.ZIP_SYMLINK % {"name": "a.shp"}, id="symlink"),
        pytest.param(PNG, "zones.gpkg",
                     lambda: sites_importers.NOT_A_TABLE % {"kind": "a PNG image"},
                     lambda: markets_importers.NOT_A_ZONE_FILE % {"kind": "a PNG image"},
                     id="png-named-gpkg"),
        pytest.param(b"<!DOCTYPE html>\n<html><body>login</body></html>", "zones.xlsx",
                     lambda: sites_importers.NOT_A_TABLE % {"kind": "an HTML page"},
                     lambda: markets_importers.NOT_A_ZONE_FILE % {"kind": "an HTML page"},
                     id="html-named-xlsx"),
        pytest.param(zipped({"a.csv": b"code\nP1\n"}), "zones.geojson",
                     lambda: uploads.EXTENSION_MISMATCH % {
                         "name": "zones.geojson", "kind": "a zip archive", "expected": "GeoJSON"},
                     lambda: uploads.EXTENSION_MISMATCH % {
                         "name": "zones.geojson", "kind": "a zip archive", "expected": "GeoJSON"},
                     id="zip-named-geojson"),
        pytest.param(b'{"type": "FeatureCollection", "features": []}', "zones.gpkg",
                     lambda: uploads.EXTENSION_MISMATCH % {
                         "name": "zones.gpkg", "kind": "JSON text", "expected": "a GeoPackage"},
                     lambda: uploads.EXTENSION_MISMATCH % {
                         "name": "zones.gpkg", "kind": "JSON text", "expected": "a GeoPackage"},
                     id="geojson-named-gpkg"),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "name", "sites_message", "zones_message"), _attacks())
def test_attack_is_refused_by_the_project_import(client, user_factory, existing_rows, data, name,
                                                 sites_message, zones_message):
    client.force_login(user_factory("project_office"))
    before = existing_rows()
    page = _refused(_post(client, SITES_IMPORT, data, name, layer="projects", action="check"))
    assert str(sites_message()) in page
    assert 'name="token"' not in page  # nothing kept for a commit
    assert existing_rows() == before


@pytest.mark.django_db
@pytest.mark.parametrize("action", ["dry_run", "apply"])
@pytest.mark.parametrize(("data", "name", "sites_message", "zones_message"), _attacks())
def test_attack_is_refused_by_the_zone_import(client, user_factory, existing_rows, data, name,
                                              sites_message, zones_message, action):
    client.force_login(user_factory("urban_management"))
    before = existing_rows()
    page = _refused(_post(client, ZONES_IMPORT, data, name, action=action, encoding="auto"))
    assert str(zones_message()) in page
    assert "zone_import" not in client.session  # not kept for "apply"
    assert existing_rows() == before


@pytest.mark.django_db
def test_the_unzipped_limit_follows_the_setting(client, user_factory, existing_rows, settings):
    settings.IMPORT_MAX_UNZIPPED_BYTES = 2**20
    # 2 MB of digits deflate ~500:1 too, but the size check comes first and names the limit.
    data = zipped({"a.shp": b"0" * (2 * 2**20), "a.shx": b"x", "a.dbf": b"x"})
    before = existing_rows()
    client.force_login(user_factory("urban_management"))
    page = _refused(_post(client, ZONES_IMPORT, data, "zones.zip", action="dry_run"))
    assert "The zip unpacks to more than 1 MB." in page
    client.force_login(user_factory("project_office"))
    page = _refused(_post(client, SITES_IMPORT, data, "zones.zip", layer="projects"))
    assert str(sites_importers.ZIP_TOO_LARGE % {"max": 1, "members": 200}) in page
    assert existing_rows() == before


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "path", "message"), [
    ("project_office", SITES_IMPORT, "The file is larger than 1 MB; split it into smaller files."),
    ("urban_management", ZONES_IMPORT, "The file is larger than 1 MB."),
])
def test_a_file_over_the_size_limit_is_refused(client, user_factory, existing_rows, settings,
                                               role, path, message):
    settings.IMPORT_MAX_UPLOAD_BYTES = 2**20
    client.force_login(user_factory(role))
    before = existing_rows()
    # One byte over: valid GeoJSON text padded with spaces, so only the size is wrong.
    body = b'{"type": "FeatureCollection", "features": []}'
    data = body + b" " * (2**20 + 1 - len(body))
    page = _refused(_post(client, path, data, "zones.geojson", layer="projects",
                          action="dry_run"))
    assert message in page
    assert existing_rows() == before


@pytest.mark.django_db
def test_refusals_are_in_chinese_by_default(client, user_factory, existing_rows, settings):
    settings.LANGUAGE_CODE = "zh-hans"
    client.force_login(user_factory("urban_management"))
    with translation.override("zh-hans"):
        expected = str(uploads.ZIP_SYMLINK % {"name": "a.shp"})
    assert "符号链接" in expected
    page = _refused(_post(client, ZONES_IMPORT, symlinked("a.shp", b"/etc/passwd"), "z.zip",
                          action="dry_run"))
    assert expected in page


@pytest.mark.parametrize(("data", "name"), [
    (b"code,name\nP1,x\n", "projects.csv"),
    (b"\xef\xbb\xbf" + b'{"type": "FeatureCollection", "features": []}', "zones.geojson"),
    (zipped({"xl/workbook.xml": b"<workbook/>"}), "projects.xlsx"),
    (zipped({"a.shp": b"x"}), "ZONES.ZIP"),
    (b"SQLite format 3\x00" + b"\x00" * 84, "zones.gpkg"),
    (zipped({"a.shp": b"x"}), "no-extension"),
])
def test_matching_extensions_pass(data, name):
    assert uploads.check_extension(data, name) is None


def test_small_members_pass_at_any_ratio_and_symlinks_are_told_apart():
    # 900 kB of zeros (~1000:1) is below RATIO_CHECK_FROM_BYTES: harmless, and accepted.
    _archive, members = uploads.open_zip(zipped({"a.dbf": b"\0" * (900 * 1024)}))
    assert members[0].file_size == 900 * 1024
    with zipfile.ZipFile(io.BytesIO(symlinked("a.shp", b"/x"))) as archive:
        assert [uploads.is_symlink(i) for i in archive.infolist()] == [True, False]
