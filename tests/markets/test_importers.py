"""Bulk import of zone boundaries: formats, GBK shapefiles, dry run versus apply, bad archives."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from shapely.geometry import box

from markets import importers
from markets.changesets import services as changeset_services
from markets.changesets.models import Changeset
from markets.models import MarketZone


@pytest.fixture(autouse=True)
def english(settings):
    """Messages are asserted in English (the msgids), whatever catalogs are compiled."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield

# Two 0.001° squares (about 85 m x 111 m) inside the demo city, well apart.
A = box(98.300, 39.800, 98.301, 39.801)
B = box(98.310, 39.800, 98.311, 39.801)
BOWTIE_WKT = "POLYGON((98.32 39.80, 98.321 39.801, 98.321 39.80, 98.32 39.801, 98.32 39.80))"


def frame(rows: list[dict]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        [{k: v for k, v in r.items() if k != "geometry"} for r in rows],
        geometry=[r["geometry"] for r in rows], crs=4326,
    )


def shapefile_zip(tmp_path: Path, gdf: gpd.GeoDataFrame, *, encoding: str, cpg: bool) -> bytes:
    gdf.to_file(tmp_path / "zones.shp", encoding=encoding)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in tmp_path.iterdir():
            if path.suffix == ".cpg" and not cpg:
                continue
            archive.write(path, path.name)
    return buffer.getvalue()


def geojson_bytes(gdf: gpd.GeoDataFrame) -> bytes:
    return gdf.to_json().encode("utf-8")


def state() -> tuple:
    return (
        sorted(MarketZone.objects.values_list("name", "version")),
        MarketZone.history.count(),
    )


@pytest.fixture
def urban(user_factory, department):
    return user_factory("urban_management", department=department)


def test_gbk_shapefile_without_cpg_is_read_as_chinese(tmp_path, city, urban):
    gdf = frame([{"名称": "新华路后备箱集市", "类型": "trunk", "摊位数": 40, "geometry": A},
                 {"名称": "悦西市美食街", "类型": "food_street", "摊位数": 60, "geometry": B}])
    data = shapefile_zip(tmp_path, gdf, encoding="gbk", cpg=False)
    before = state()
    report = importers.import_zones(data=data, filename="zones.zip", user=urban, apply=False)
    assert report.encoding == "gb18030"
    assert [(r.name, r.action) for r in report.rows] == [
        ("新华路后备箱集市", "created"), ("悦西市美食街", "created")]
    assert not report.applied
    assert state() == before  # a dry run writes nothing

    report = importers.import_zones(data=data, filename="zones.zip", user=urban, apply=True)
    assert report.applied
    zone = MarketZone.objects.get(name="悦西市美食街")
    assert (zone.kind, zone.capacity, zone.version, zone.updated_by) == (
        "food_street", 60, 1, urban)
    assert zone.history.get().history_change_reason == "Bulk import from zones.zip"


@pytest.mark.parametrize("chosen", ["gbk", "gb18030"])
def test_encoding_chosen_by_the_user(tmp_path, city, urban, chosen):
    gdf = frame([{"name": "五一路跳蚤市场", "kind": "flea", "geometry": A}])
    data = shapefile_zip(tmp_path, gdf, encoding="gbk", cpg=False)
    report = importers.import_zones(data=data, filename="z.zip", user=urban, apply=False,
                                    encoding=chosen)
    assert report.rows[0].name == "五一路跳蚤市场"


def test_utf8_shapefile_with_cpg(tmp_path, city, urban):
    gdf = frame([{"name": "大唐路夜市", "kind": "night_market", "geometry": A}])
    data = shapefile_zip(tmp_path, gdf, encoding="utf-8", cpg=True)
    report = importers.import_zones(data=data, filename="z.zip", user=urban, apply=False)
    assert (report.encoding, report.rows[0].name) == ("utf-8", "大唐路夜市")


def test_geopackage(tmp_path, city, urban):
    gdf = frame([{"name": "大唐路夜市", "kind": "night_market", "geometry": A}])
    gdf.to_file(tmp_path / "z.gpkg", driver="GPKG")
    report = importers.import_zones(data=(tmp_path / "z.gpkg").read_bytes(),
                                    filename="upload.gpkg", user=urban, apply=True)
    assert report.applied
    assert MarketZone.objects.filter(name="大唐路夜市").exists()


def multipolygon(shape) -> MultiPolygon:
    return MultiPolygon(GEOSGeometry(shape.wkt, srid=4326), srid=4326)


def test_matched_by_name_changes_and_rejects_with_reasons(city, urban, zone_factory):
    zone_factory(name="新华路后备箱集市", boundary=multipolygon(A))
    gdf = frame([
        {"name": "新华路后备箱集市", "kind": "trunk", "capacity": 12, "geometry": A},
        {"name": "坏边界", "kind": "flea", "geometry": shapely.from_wkt(BOWTIE_WKT)},
        {"name": "城外", "kind": "flea", "geometry": box(100.0, 39.8, 100.001, 39.801)},
        {"name": "", "kind": "flea", "geometry": B},
    ])
    before = state()
    report = importers.import_zones(data=geojson_bytes(gdf), filename="z.geojson", user=urban,
                                    apply=True)
    assert [r.action for r in report.rows] == ["changed", "rejected", "rejected", "rejected"]
    assert "Self-intersection" in report.rows[1].messages[0]
    assert "inside the city" in report.rows[2].messages[0]
    assert "name" in report.rows[3].messages[0]
    assert not report.applied  # all or nothing
    assert state() == before


def test_unchanged_rows_are_reported(city, urban, zone_factory):
    zone_factory(name="原样", capacity=40, boundary=multipolygon(A))
    gdf = frame([{"name": "原样", "capacity": 40, "geometry": A}])
    report = importers.import_zones(data=geojson_bytes(gdf), filename="z.geojson", user=urban,
                                    apply=False)
    assert report.rows[0].action == "unchanged"


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(("data", "filename", "code"), [
    (_zip({"a.shp": b"x", "a.shx": b"x", "a.dbf": b"x", "run.sh": b"rm -rf /"}), "z.zip",
     "zip_member"),
    (_zip({"../../a.shp": b"x", "a.shx": b"x", "a.dbf": b"x", "b.shp": b"x"}), "z.zip",
     "zip_member"),
    # 60 MB of zeros compresses to about 60 kB: refused by the declared size, never unpacked.
    (_zip({"a.shp": b"\0" * (60 * 1024 * 1024), "a.shx": b"x", "a.dbf": b"x"}), "z.zip",
     "zip_size"),
    (_zip({"a.shp": b"x"}), "z.zip", "zip_incomplete"),
    (b"PK\x03\x04 not really a zip", "z.zip", "bad_zip"),
    (b'{"type": "FeatureCollection"}', "/vsicurl/http://example.invalid/x.geojson", "vsi"),
    (b"hello", "notes.txt", "format"),
    (b"{ not json", "z.geojson", "unreadable"),
])
def test_bad_files_are_refused(city, urban, data, filename, code):
    before = state()
    with pytest.raises(ValidationError) as caught:
        importers.import_zones(data=data, filename=filename, user=urban, apply=True)
    assert caught.value.code == code
    assert state() == before


def test_command_dry_run_then_apply(tmp_path, city, urban, department):
    gdf = frame([{"名称": "五一路跳蚤市场", "类型": "跳蚤市场", "geometry": A}])
    path = tmp_path / "zones.geojson"
    path.write_bytes(geojson_bytes(gdf))
    out = io.StringIO()
    call_command("import_zones", str(path), "--department", "fgw", stdout=out)
    assert "created    五一路跳蚤市场" in out.getvalue()
    assert "Dry run, nothing written" in out.getvalue()
    assert not MarketZone.objects.exists()
    out = io.StringIO()
    call_command("import_zones", str(path), "--department", "fgw", "--apply",
                 "--user", urban.username, stdout=out)
    assert "Applied." in out.getvalue()
    assert MarketZone.objects.get().kind == "flea"


def test_command_refuses_apply_with_rejections(tmp_path, city):
    gdf = frame([{"name": "城外", "kind": "flea", "geometry": box(100.0, 39.8, 100.001, 39.8)}])
    path = tmp_path / "z.geojson"
    path.write_bytes(geojson_bytes(gdf))
    with pytest.raises(CommandError, match="Nothing applied"):
        call_command("import_zones", str(path), "--apply", stdout=io.StringIO())


def test_staff_page_dry_run_then_apply(client, city, urban, user_factory):
    gdf = frame([{"name": "大唐路夜市", "kind": "night_market", "geometry": A}])
    client.force_login(urban)
    upload = io.BytesIO(geojson_bytes(gdf))
    upload.name = "zones.geojson"
    response = client.post("/staff/markets/import/", {"file": upload, "action": "dry_run"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-action="created"' in html
    assert "大唐路夜市" in html
    assert not MarketZone.objects.exists()
    response = client.post("/staff/markets/import/", {"action": "apply", "reason": "年度核定"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="import-applied"' in html
    # Applied from the staff page, the rows are a draft changeset: nothing is live yet (issue 18).
    assert not MarketZone.objects.exists()
    changeset = Changeset.objects.get()
    assert (changeset.author, changeset.comment, changeset.state) == (urban, "年度核定", "draft")
    assert [(e.kind, e.fields["name"], e.fields["kind"]) for e in changeset.edits.all()] == [
        ("create", "大唐路夜市", "night_market")]
    assert f'href="/staff/changesets/{changeset.pk}/">#{changeset.pk}</a>' in html
    # Submitted, approved by another urban-management user and published, the zone is live.
    changeset_services.changeset_submit(changeset=changeset, user=urban)
    reviewer = user_factory("urban_management")
    changeset_services.changeset_approve(changeset=changeset, user=reviewer)
    changeset_services.changeset_publish(changeset=changeset, user=reviewer)
    zone = MarketZone.objects.get()
    assert zone.name == "大唐路夜市"
    assert zone.history.get().history_change_reason == f"#{changeset.pk} 年度核定"


def test_staff_page_drafts_a_change_of_a_known_zone_on_its_version(client, city, urban,
                                                                    zone_factory):
    zone = zone_factory(name="大唐路夜市", capacity=40)
    gdf = frame([{"name": "大唐路夜市", "kind": "night_market", "capacity": 55, "geometry": A}])
    client.force_login(urban)
    client.post("/staff/markets/import/", {"file": _upload(gdf), "action": "dry_run"})
    response = client.post("/staff/markets/import/", {"action": "apply"})
    assert response.status_code == 200, response.content.decode()
    [edit] = Changeset.objects.get().edits.all()
    assert (edit.kind, edit.zone_id, edit.base_version, edit.fields["capacity"]) == (
        "update", zone.pk, 1, 55)
    assert edit.boundary is not None
    zone.refresh_from_db()
    assert (zone.version, zone.capacity) == (1, 40)


def test_staff_page_apply_of_an_unchanged_file_drafts_nothing(client, city, urban, zone_factory):
    zone = zone_factory(name="大唐路夜市", kind="night_market")
    gdf = gpd.GeoDataFrame([{"name": "大唐路夜市"}],
                           geometry=[shapely.from_wkb(bytes(zone.boundary.wkb))], crs=4326)
    client.force_login(urban)
    response = client.post("/staff/markets/import/", {"file": _upload(gdf), "action": "apply"})
    assert response.status_code == 400
    assert "Nothing to apply: every row equals its zone" in response.content.decode()
    assert not Changeset.objects.exists()


@pytest.mark.parametrize("role", [None, "market_supervision", "project_office"])
def test_staff_pages_are_for_urban_management(client, user_factory, zone_factory, city, role):
    zone = zone_factory()
    if role:
        client.force_login(user_factory(role))
    for url in ("/staff/markets/import/", "/staff/markets/new/",
                f"/staff/markets/{zone.pk}/edit/", f"/staff/markets/{zone.pk}/history/"):
        response = client.get(url)
        assert response.status_code == (302 if role is None else 403), url


def _upload(gdf: gpd.GeoDataFrame, name: str = "zones.geojson") -> io.BytesIO:
    upload = io.BytesIO(geojson_bytes(gdf))
    upload.name = name
    return upload


def test_staff_page_withholds_apply_after_a_rejected_row(client, city, urban):
    # One good row and one outside the city: the dry run rejects one of two.
    gdf = frame([
        {"name": "大唐路夜市", "kind": "night_market", "geometry": A},
        {"name": "城外", "kind": "flea", "geometry": box(100.0, 39.8, 100.001, 39.801)},
    ])
    client.force_login(urban)
    response = client.post("/staff/markets/import/", {"file": _upload(gdf), "action": "dry_run"})
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('data-action="rejected"') == 1
    assert 'id="import-apply"' not in html
    assert 'value="apply"' not in html
    assert 'id="import-blocked"' in html
    assert "zones.geojson cannot be applied: 1 row was rejected." in html
    # A hand-made "apply" for the kept file is refused too, and writes nothing.
    before = state()
    response = client.post("/staff/markets/import/", {"action": "apply", "reason": "强行"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="import-error"' in html
    assert "Not applied: 1 row(s) were rejected, so nothing was written." in html
    assert 'id="import-applied"' not in html
    assert 'id="import-apply"' not in html
    assert state() == before


def test_staff_page_refuses_apply_of_a_fresh_file_with_a_rejected_row(client, city, urban):
    gdf = frame([{"name": "坏边界", "kind": "flea", "geometry": shapely.from_wkt(BOWTIE_WKT)}])
    client.force_login(urban)
    before = state()
    response = client.post("/staff/markets/import/", {"file": _upload(gdf), "action": "apply"})
    assert response.status_code == 400
    assert "Not applied: 1 row(s) were rejected" in response.content.decode()
    assert state() == before


def test_staff_page_offers_apply_again_after_a_clean_dry_run(client, city, urban):
    bad = frame([{"name": "城外", "kind": "flea", "geometry": box(100.0, 39.8, 100.001, 39.801)}])
    good = frame([{"name": "大唐路夜市", "kind": "night_market", "geometry": A}])
    client.force_login(urban)
    client.post("/staff/markets/import/", {"file": _upload(bad), "action": "dry_run"})
    response = client.post("/staff/markets/import/", {"file": _upload(good), "action": "dry_run"})
    html = response.content.decode()
    assert 'id="import-apply"' in html
    assert 'id="import-blocked"' not in html
    response = client.post("/staff/markets/import/", {"action": "apply"})
    assert response.status_code == 200
    assert not MarketZone.objects.exists()
    assert [e.fields["name"] for e in Changeset.objects.get().edits.all()] == ["大唐路夜市"]


def test_staff_page_forgets_an_unreadable_file(client, city, urban):
    client.force_login(urban)
    upload = io.BytesIO(b"{ not json")
    upload.name = "z.geojson"
    response = client.post("/staff/markets/import/", {"file": upload, "action": "dry_run"})
    assert response.status_code == 400
    assert 'id="import-apply"' not in response.content.decode()
    response = client.post("/staff/markets/import/", {"action": "apply"})
    assert response.status_code == 400
    assert "Choose a file to import." in response.content.decode()
