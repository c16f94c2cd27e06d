"""OGC API – Features at /ogcapi/: landing, conformance, collections, paging, GDAL's OAPIF."""

from __future__ import annotations

import json
import os
import re
import subprocess

import pytest
from django.contrib.gis.geos import GEOSGeometry

from geo.api.throttling import AnonDownloadThrottle, AnonItemsThrottle
from sites.selectors import project_properties

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"


@pytest.fixture
def many(project_factory, livelihood_factory, zone_factory):
    """7 published projects (+1 unpublished), 5 livelihood works, 3 zones (+1 proposed)."""
    for i in range(7):
        project_factory(name=f"项目{i}", geom=f"POINT({98.21 + i * 0.01} 39.75)")
    project_factory(name="未公开", published=False)
    for i in range(5):
        livelihood_factory(name=f"民生{i}",
                           geom=GEOSGeometry(f"POINT({98.22 + i * 0.01} 39.76)", srid=4326))
    for i in range(3):
        zone_factory(name=f"夜市{i}")
    zone_factory(name="草案", status="proposed")


@pytest.mark.django_db
def test_landing_and_conformance(api_client):
    body = api_client.get("/ogcapi/").json()
    rels = {link["rel"]: link["href"] for link in body["links"]}
    assert rels["conformance"] == "http://testserver/ogcapi/conformance"
    assert rels["data"] == "http://testserver/ogcapi/collections"
    conformance = api_client.get("/ogcapi/conformance").json()["conformsTo"]
    # Issue 13 adds HTML, OpenAPI 3.0, CRS (Part 2) and filtering (Part 3) to these two.
    assert conformance[:2] == [
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    ]


@pytest.mark.django_db
def test_collections_have_extents(api_client, many):
    body = api_client.get("/ogcapi/collections", HTTP_ACCEPT_LANGUAGE="en").json()
    by_id = {c["id"]: c for c in body["collections"]}
    assert list(by_id) == ["projects", "livelihood", "markets"]
    # Published projects are points at lon 98.21..98.27, lat 39.75 (the unpublished one at
    # 98.28, 39.79 is not part of the public extent).
    [[minx, miny, maxx, maxy]] = by_id["projects"]["extent"]["spatial"]["bbox"]
    assert (minx, miny, maxx, maxy) == pytest.approx((98.21, 39.75, 98.27, 39.75))
    assert by_id["projects"]["extent"]["spatial"]["crs"] == CRS84
    # factory plan: planned_start 2026-03-01, planned_end 2027-06-30
    assert by_id["projects"]["extent"]["temporal"]["interval"] == [
        ["2026-03-01T00:00:00+08:00", "2027-06-30T00:00:00+08:00"]
    ]
    items = [link for link in by_id["markets"]["links"] if link["rel"] == "items"]
    assert items == [{"rel": "items", "type": "application/geo+json", "title": "Market zones",
                      "href": "http://testserver/ogcapi/collections/markets/items"}]
    one = api_client.get("/ogcapi/collections/markets", HTTP_ACCEPT_LANGUAGE="en").json()
    assert one == by_id["markets"]


@pytest.mark.django_db
@pytest.mark.parametrize(("collection", "expected", "limit"), [
    ("projects", 7, 3), ("livelihood", 5, 2), ("markets", 3, 1), ("projects", 7, 7),
    ("projects", 7, 100),
])
def test_paging_to_the_end_returns_every_feature_once(
    api_client, many, collection, expected, limit
):
    url = f"/ogcapi/collections/{collection}/items?limit={limit}"
    seen: list[int] = []
    pages = 0
    while url:
        response = api_client.get(url)
        assert response["Content-Type"] == "application/geo+json; charset=utf-8"
        body = response.json()
        assert body["numberMatched"] == expected
        assert body["numberReturned"] == len(body["features"]) <= limit
        seen += [f["id"] for f in body["features"]]
        nxt = [link["href"] for link in body["links"] if link["rel"] == "next"]
        url = nxt[0].removeprefix("http://testserver") if nxt else None
        pages += 1
    assert len(seen) == len(set(seen)) == expected
    assert pages == -(-expected // limit)  # ceil


@pytest.mark.django_db
def test_items_links_keep_filters_and_offer_prev(api_client, many):
    body = api_client.get(
        "/ogcapi/collections/projects/items?limit=2&offset=2&bbox=98.2,39.7,98.3,39.8"
    ).json()
    links = {link["rel"]: link["href"] for link in body["links"]}
    base = "http://testserver/ogcapi/collections/projects/items?bbox=98.2%2C39.7%2C98.3%2C39.8"
    assert links["next"] == base + "&limit=2&offset=4"
    assert links["prev"] == base + "&limit=2&offset=0"
    assert [f["properties"]["name"] for f in body["features"]] == ["项目2", "项目3"]


@pytest.mark.django_db
def test_items_bbox_filters(api_client, many):
    # Projects sit at lon 98.21 + 0.01*i: the box 98.205..98.235 holds i = 0, 1, 2.
    body = api_client.get("/ogcapi/collections/projects/items?bbox=98.205,39.7,98.235,39.8").json()
    assert body["numberMatched"] == 3


@pytest.mark.django_db
def test_anonymous_items_hold_public_fields_only(api_client, many):
    staff_only = set(project_properties(staff=True)) - set(project_properties(staff=False))
    body = api_client.get("/ogcapi/collections/projects/items?limit=100").json()
    assert body["numberMatched"] == 7
    for feature in body["features"]:
        assert not staff_only & set(feature["properties"])


@pytest.mark.django_db
def test_staff_see_unpublished_items(staff_client, many):
    body = staff_client.get("/ogcapi/collections/projects/items").json()
    assert body["numberMatched"] == 8


@pytest.mark.django_db
def test_single_item(api_client, project_factory):
    project = project_factory(name="甬金金融科技", geom="POINT(98.281234567 39.791234567)")
    hidden = project_factory(published=False)
    response = api_client.get(f"/ogcapi/collections/projects/items/{project.pk}")
    body = response.json()
    assert body["id"] == project.pk
    assert body["geometry"] == {"type": "Point", "coordinates": [98.281235, 39.791235]}
    assert "甬金金融科技".encode() in response.content
    # Issue 13: an alternate (HTML) link beside self and collection.
    assert {link["rel"] for link in body["links"]} == {"self", "alternate", "collection"}
    missing = api_client.get(f"/ogcapi/collections/projects/items/{hidden.pk}")
    assert missing.status_code == 404
    assert missing.json()["detail"]


@pytest.mark.django_db
@pytest.mark.parametrize(("url", "status", "field"), [
    ("/ogcapi/collections/roads", 404, None),
    ("/ogcapi/collections/roads/items", 404, None),
    ("/ogcapi/collections/projects/items/abc", 404, None),
    ("/ogcapi/collections/projects/items?limit=-1", 400, "limit"),
    ("/ogcapi/collections/projects/items?limit=0", 400, "limit"),
    ("/ogcapi/collections/projects/items?limit=5001", 400, "limit"),
    ("/ogcapi/collections/projects/items?limit=1e9", 400, "limit"),
    ("/ogcapi/collections/projects/items?offset=-5", 400, "offset"),
    ("/ogcapi/collections/projects/items?offset=99999999999999999999999", 400, "offset"),
    ("/ogcapi/collections/projects/items/99999999999999999999999", 404, None),
    ("/ogcapi/collections/projects/items?bbox=nan,1,2,3", 400, "bbox"),
    ("/ogcapi/collections/projects/items?bbox=1,2,3", 400, "bbox"),
    ("/ogcapi/collections/projects/items?stage=flying", 400, "stage"),
    ("/ogcapi/collections/projects/items?q=%00", 400, "q"),
    # Issue 13: f=html is offered now; other formats and unknown CRSs stay 400s.
    ("/ogcapi/collections/projects/items?f=xml", 400, "f"),
    ("/ogcapi/collections/projects/items?bbox-crs=EPSG:3857", 400, "bbox-crs"),
])
def test_bad_requests(api_client, url, status, field):
    response = api_client.get(url)
    assert response.status_code == status
    body = response.json()
    assert body["detail"]
    if field:
        assert field in body["errors"]


@pytest.mark.django_db
def test_anonymous_item_pages_are_throttled(api_client, staff_client, many, monkeypatch):
    monkeypatch.setattr(AnonItemsThrottle, "rate", "2/min", raising=False)
    monkeypatch.setattr(AnonDownloadThrottle, "rate", "1/min", raising=False)
    statuses = [api_client.get("/ogcapi/collections/markets/items").status_code
                for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert "detail" in api_client.get("/ogcapi/collections/markets/items").json()
    # Downloads count apart from item pages.
    assert [api_client.get("/api/v1/markets.csv").status_code for _ in range(2)] == [200, 429]
    # Staff are not limited.
    assert staff_client.get("/ogcapi/collections/markets/items").status_code == 200
    assert staff_client.get("/api/v1/markets.csv").status_code == 200


def _ogrinfo(*args: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in {"GDAL_DATA", "PROJ_DATA", "PROJ_LIB"}}
    result = subprocess.run(["/usr/bin/ogrinfo", "-ro", *args], capture_output=True, env=env,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode("utf-8")


@pytest.mark.django_db(transaction=True)
def test_gdal_oapif_driver_reads_the_collections(live_server, many):
    output = _ogrinfo("-so", f"OAPIF:{live_server.url}/ogcapi")
    assert re.findall(r"^\d+: (\w+)", output, re.M) == ["projects", "livelihood", "markets"]
    # Page size 2 makes GDAL follow the next links to the end of the 7 projects.
    features = _ogrinfo("-oo", "PAGE_SIZE=2", f"OAPIF:{live_server.url}/ogcapi", "projects")
    names = re.findall(r"^  name \(String\) = (.+)$", features, re.M)
    assert sorted(names) == [f"项目{i}" for i in range(7)]
    assert json.dumps("项目0", ensure_ascii=False).strip('"') in features


@pytest.mark.django_db
def test_open_now_filter_that_matches_nothing(api_client, zone_factory):
    # Open 01:00-02:00 only: at 20:00 local time nothing is open, so the list is empty.
    zone_factory(name="深夜集市", opening_hours="Mo-Su 01:00-02:00")
    query = "open_now=true&at=2026-07-03T20:00"
    body = api_client.get(f"/ogcapi/collections/markets/items?{query}").json()
    assert (body["numberMatched"], body["features"]) == (0, [])
    all_open = api_client.get("/ogcapi/collections/markets/items?open_now=false&at="
                              "2026-07-03T20:00").json()
    assert [f["properties"]["name"] for f in all_open["features"]] == ["深夜集市"]
    download = api_client.get(f"/api/v1/markets.geojson?{query}")
    assert json.loads(b"".join(download.streaming_content))["features"] == []
    assert api_client.get(f"/api/v1/markets.csv?{query}").status_code == 200
