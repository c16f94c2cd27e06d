"""OGC API – Features Parts 1-3 (issue 13): service-desc, unknown parameters, HTML, CRS,
queryables, CQL2 filters, ETag/304."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import quote

import pytest
from django.test import override_settings

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
ITEMS = "/ogcapi/collections/projects/items"


@pytest.fixture
def city(project_factory, zone_factory):
    """Three published projects and one unpublished; two zones."""
    return {
        "a": project_factory(
            code="A1",
            name="甬金金融科技",
            stage="construction",
            planned_start=dt.date(2026, 3, 1),
            geom="POINT(98.28 39.79)",
        ),
        "b": project_factory(
            code="B2",
            name="索通盛源碳材料",
            stage="preparation",
            planned_start=dt.date(2026, 9, 1),
            geom="POINT(98.22 39.75)",
        ),
        "c": project_factory(
            code="C3",
            name="Zhongpeng Real Estate",
            stage="completed",
            planned_start=dt.date(2025, 5, 1),
            geom="POINT(98.33 39.82)",
        ),
        "hidden": project_factory(code="H9", name="未公开", published=False),
        "z1": zone_factory(name="大唐路夜市", kind="night_market"),
        "z2": zone_factory(name="悦西市美食街", kind="food_street"),
    }


def _names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return sorted(f["properties"]["name"] for f in response.json()["features"])


# --- Part 1 -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_landing_links_to_the_openapi_document(api_client):
    response = api_client.get("/ogcapi/")
    assert response["Content-Type"] == "application/json"
    links = {link["rel"]: link for link in response.json()["links"]}
    desc = links["service-desc"]
    assert desc["type"] == "application/vnd.oai.openapi+json;version=3.0"
    assert desc["href"] == "http://testserver/ogcapi/api"
    # The service-desc: the OGC part of the OpenAPI document, relative to its server /ogcapi.
    ogc = api_client.get("/ogcapi/api", HTTP_ACCEPT="application/json")
    assert ogc["Content-Type"] == "application/vnd.oai.openapi+json;version=3.0"
    document = ogc.json()
    assert document["openapi"].startswith("3.0")
    assert document["servers"] == [{"url": "http://testserver/ogcapi"}]
    assert sorted(document["paths"]) == [
        "/", "/collections", "/collections/{collectionId}",
        "/collections/{collectionId}/items", "/collections/{collectionId}/items/{fid}",
        "/collections/{collectionId}/queryables", "/conformance",
    ]
    names = [p["name"] for p in
             document["paths"]["/collections/{collectionId}/items"]["get"]["parameters"]]
    assert {"collectionId", "bbox", "crs", "filter", "stage", "code"} <= set(names)
    # The whole document (/api/schema/) holds the OGC paths too, under /ogcapi/.
    schema = api_client.get("/api/schema/?format=json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    for path in (
        "/ogcapi/",
        "/ogcapi/conformance",
        "/ogcapi/collections",
        "/ogcapi/collections/{collection}",
        "/ogcapi/collections/{collection}/queryables",
        "/ogcapi/collections/{collection}/items",
        "/ogcapi/collections/{collection}/items/{fid}",
    ):
        assert paths[path]["get"]["tags"] == ["ogcapi"], path
    params = {
        p["name"]: p for p in paths["/ogcapi/collections/{collection}/items"]["get"]["parameters"]
    }
    assert params["bbox"]["schema"] == {
        "type": "array",
        "minItems": 4,
        "maxItems": 4,
        "items": {"type": "number"},
    }
    assert params["bbox"]["style"] == "form"
    assert params["bbox"]["explode"] is False
    assert params["limit"]["schema"]["minimum"] == 1
    assert set(params["crs"]["schema"]["enum"]) == {
        CRS84,
        f"{EPSG}4326",
        f"{EPSG}4490",
        f"{EPSG}4542",
        f"{EPSG}3857",
    }
    assert set(params["filter-lang"]["schema"]["enum"]) == {"cql2-text", "cql2-json", "cql-text"}
    # Public: no security requirement on the OGC operations.
    assert "security" not in schema.json()
    for path in paths:
        if path.startswith("/ogcapi/"):
            assert paths[path]["get"].get("security", [{}]) == [{}], path


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/ogcapi/",
        "/ogcapi/conformance",
        "/ogcapi/collections",
        "/ogcapi/collections/projects",
        "/ogcapi/collections/projects/queryables",
        ITEMS,
        f"{ITEMS}/1",
    ],
)
def test_unknown_parameters_are_400_on_every_resource(api_client, url):
    response = api_client.get(url, {"ooga": "booga"})
    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == ["ooga"]
    assert body["detail"].startswith("未知的查询参数 ooga；本资源接受：")  # zh-hans by default


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/ogcapi/",
        "/ogcapi/conformance",
        "/ogcapi/collections",
        "/ogcapi/collections/markets",
        "/ogcapi/collections/markets/queryables",
        "/ogcapi/collections/markets/items",
    ],
)
def test_html_by_f_or_accept_and_json_by_default(api_client, city, url):
    html = api_client.get(url, {"f": "html"})
    assert html.status_code == 200
    assert html["Content-Type"] == "text/html; charset=utf-8"
    assert b"<h1>" in html.content
    browser = api_client.get(url, HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert browser["Content-Type"] == "text/html; charset=utf-8"
    assert "Accept" in browser["Vary"]
    plain = api_client.get(url, HTTP_ACCEPT="*/*")
    assert plain["Content-Type"].split(";")[0] in {
        "application/json",
        "application/geo+json",
        "application/schema+json",
    }
    assert (
        api_client.get(url, {"f": "json"}, HTTP_ACCEPT="text/html")["Content-Type"]
        == plain["Content-Type"]
    )
    bad = api_client.get(url, {"f": "xml"})
    assert bad.status_code == 400
    assert list(bad.json()["errors"]) == ["f"]


@pytest.mark.django_db
def test_items_html_has_a_map_with_local_leaflet(api_client, city):
    page = api_client.get(ITEMS, {"f": "html"}).content.decode()
    assert 'id="ogc-map"' in page
    assert '<script src="/static/vendor/leaflet-1.9.4/leaflet.js"></script>' in page
    assert "甬金金融科技" in page
    assert "未公开" not in page
    data = json.loads(
        page.split('<script id="ogc-features" type="application/json">')[1].split("</script>")[0]
    )
    assert sorted(f["properties"]["code"] for f in data) == ["A1", "B2", "C3"]
    item = api_client.get(f"{ITEMS}/{city['a'].pk}", {"f": "html"}).content.decode()
    assert "<h1>甬金金融科技</h1>" in item
    assert 'id="ogc-map"' in item


LEAFLET_JS = '<script src="/static/vendor/leaflet-1.9.4/leaflet.js"></script>'
LEAFLET_CSS = '<link rel="stylesheet" href="/static/vendor/leaflet-1.9.4/leaflet.css">'
MAP_MODULE = '<script type="module" src="/static/js/ogc_items.js"></script>'


@pytest.mark.django_db
def test_map_scripts_come_once_from_the_ogc_base_and_only_with_a_map(api_client, city):
    """The items and item pages share the base template's map block; other pages have no map."""
    for url in (ITEMS, f"{ITEMS}/{city['a'].pk}"):
        page = api_client.get(url, {"f": "html"}).content.decode()
        for tag in (LEAFLET_JS, LEAFLET_CSS, MAP_MODULE, 'id="ogc-features"'):
            assert page.count(tag) == 1, (url, tag)
        # In a projected CRS the page shows no map (the map draws CRS84 only), so no scripts.
        projected = api_client.get(url, {"f": "html", "crs": f"{EPSG}4542"}).content.decode()
        assert 'id="ogc-map"' not in projected
        assert LEAFLET_JS not in projected
        assert MAP_MODULE not in projected
    for url in ("/ogcapi/", "/ogcapi/collections", "/ogcapi/collections/projects"):
        page = api_client.get(url, {"f": "html"}).content.decode()
        assert LEAFLET_JS not in page
        assert MAP_MODULE not in page


# --- Part 2 -----------------------------------------------------------------------------------


# lon 98.28, lat 39.79 by hand:
#   EPSG:3857  x = 6378137 * rad(98.28) = 10940479.555; y = 6378137 * ln(tan(45° + 39.79°/2))
#              = 4835472.414
#   EPSG:4542  Gauss–Krüger CM 99E, k0 = 1, false easting 500 km, CGCS2000 ellipsoid (Snyder's
#              series): N = 4406460.176, E = 438328.195 (axis order north, east)
#   EPSG:4490  CGCS2000 coincides with WGS84 to centimetres; PROJ applies no shift.
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("crs", "expected"),
    [
        (CRS84, (98.28, 39.79)),
        (f"{EPSG}4326", (39.79, 98.28)),
        (f"{EPSG}4490", (39.79, 98.28)),
        (f"{EPSG}4542", (4406460.176, 438328.195)),
        (f"{EPSG}3857", (10940479.555, 4835472.414)),
    ],
)
def test_one_point_in_each_crs(api_client, city, crs, expected):
    one = api_client.get(f"{ITEMS}/{city['a'].pk}", {"crs": crs})
    assert one.status_code == 200
    assert one["Content-Crs"] == f"<{crs}>"
    assert one.json()["geometry"]["coordinates"] == pytest.approx(expected, abs=1e-3)
    listed = api_client.get(ITEMS, {"crs": crs, "code": "A1"})
    assert listed["Content-Crs"] == f"<{crs}>"
    [feature] = listed.json()["features"]
    assert feature["geometry"]["coordinates"] == pytest.approx(expected, abs=1e-3)


@pytest.mark.django_db
def test_collections_declare_crs_and_storage_crs(api_client):
    body = api_client.get("/ogcapi/collections/projects").json()
    assert body["storageCrs"] == CRS84
    assert body["crs"] == [CRS84, f"{EPSG}4326", f"{EPSG}4490", f"{EPSG}4542", f"{EPSG}3857"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("bbox", "crs", "names"),
    [
        ("98.25,39.77,98.30,39.80", CRS84, ["甬金金融科技"]),
        # lat,lon order for EPSG:4326: the same box
        ("39.77,98.25,39.80,98.30", f"{EPSG}4326", ["甬金金融科技"]),
        # lon,lat read as lat,lon would be out of range
        # 3857 box around (10940479.6, 4835472.4) +- 100 m
        ("10940379,4835372,10940579,4835572", f"{EPSG}3857", ["甬金金融科技"]),
        # 4542 north,east around (4406460.2, 438328.2) +- 100 m
        ("4406360,438228,4406560,438428", f"{EPSG}4542", ["甬金金融科技"]),
        (
            "39.70,98.20,39.85,98.40",
            f"{EPSG}4490",
            ["Zhongpeng Real Estate", "甬金金融科技", "索通盛源碳材料"],
        ),
    ],
)
def test_bbox_in_its_crs(api_client, city, bbox, crs, names):
    assert _names(api_client.get(ITEMS, {"bbox": bbox, "bbox-crs": crs})) == sorted(names)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["crs", "bbox-crs", "filter-crs"])
def test_unknown_crs_lists_the_supported_ones(api_client, name):
    response = api_client.get(
        ITEMS, {name: "http://www.opengis.net/def/crs/EPSG/0/4214", "bbox": "1,2,3,4"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    message = response.json()["errors"][name][0]
    assert message.startswith("Unsupported CRS http://www.opengis.net/def/crs/EPSG/0/4214")
    assert f"{EPSG}4542" in message
    assert CRS84 in message
    item = api_client.get(f"{ITEMS}/1", {"crs": "EPSG:4326"})
    assert item.status_code == 400


@pytest.mark.django_db
def test_bbox_out_of_range_for_its_crs(api_client):
    response = api_client.get(ITEMS, {"bbox": "98.25,39.77,98.30,39.80", "bbox-crs": f"{EPSG}4326"})
    assert response.status_code == 400  # 98.25 is no latitude
    assert "bbox" in response.json()["errors"]


# --- Part 3 -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_queryables_are_the_public_fields(api_client):
    response = api_client.get("/ogcapi/collections/projects/queryables")
    assert response["Content-Type"] == "application/schema+json"
    schema = response.json()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "http://testserver/ogcapi/collections/projects/queryables"
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    props = schema["properties"]
    assert list(props) == [
        "geometry",
        "code",
        "name",
        "category",
        "build_type",
        "stage",
        "planned_start",
        "planned_end",
        "actual_start",
        "actual_end",
        "percent_complete",
        "lead_department",
        "lead_department_code",
        "district",
        "updated_at",
    ]
    assert props["geometry"]["format"] == "geometry-any"
    assert props["stage"]["enum"] == [
        "preparation",
        "construction",
        "completed",
        "operating",
        "suspended",
    ]
    assert props["planned_start"] == {
        "title": props["planned_start"]["title"],
        "type": "string",
        "format": "date",
    }
    assert props["updated_at"]["format"] == "date-time"
    assert props["percent_complete"]["type"] == "number"
    # Staff-only fields are never queryable.
    assert not {"total_investment", "leader", "bond_status", "published"} & set(props)
    markets = api_client.get("/ogcapi/collections/markets/queryables").json()["properties"]
    assert markets["geometry"]["format"] == "geometry-multipolygon"
    assert markets["capacity"]["type"] == "integer"


FILTERS = [
    ("code = 'A1'", ["甬金金融科技"]),
    ("stage IN ('construction', 'completed')", ["Zhongpeng Real Estate", "甬金金融科技"]),
    ("stage <> 'construction'", ["Zhongpeng Real Estate", "索通盛源碳材料"]),
    ("name LIKE '%金融%'", ["甬金金融科技"]),
    ("CASEI(name) = casei('ZHONGPENG real estate')", ["Zhongpeng Real Estate"]),
    ("CASEI(name) LIKE casei('%real%')", ["Zhongpeng Real Estate"]),
    ("planned_start >= DATE('2026-03-01')", ["甬金金融科技", "索通盛源碳材料"]),
    (
        "planned_start < DATE('2026-01-01') OR code = 'B2'",
        ["Zhongpeng Real Estate", "索通盛源碳材料"],
    ),
    ("planned_start BETWEEN DATE('2026-01-01') AND DATE('2026-06-30')", ["甬金金融科技"]),
    ("NOT (code = 'A1') AND actual_end IS NULL", ["Zhongpeng Real Estate", "索通盛源碳材料"]),
    (
        "S_INTERSECTS(geometry, POLYGON((98.25 39.77, 98.30 39.77, 98.30 39.80, 98.25 39.80, "
        "98.25 39.77)))",
        ["甬金金融科技"],
    ),
    ("S_INTERSECTS(geometry, BBOX(98.30, 39.80, 98.40, 39.90))", ["Zhongpeng Real Estate"]),
    ("code = 'H9'", []),  # unpublished: not for the public, filter or no filter
]


@pytest.mark.django_db
@pytest.mark.parametrize(("text", "names"), FILTERS)
def test_cql2_text_filters(api_client, city, text, names):
    assert _names(api_client.get(ITEMS, {"filter": text})) == names


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("expression", "names"),
    [
        ({"op": "=", "args": [{"property": "code"}, "A1"]}, ["甬金金融科技"]),
        (
            {
                "op": "like",
                "args": [
                    {"op": "casei", "args": [{"property": "name"}]},
                    {"op": "casei", "args": ["zhong%"]},
                ],
            },
            ["Zhongpeng Real Estate"],
        ),
        (
            {"op": "in", "args": [{"property": "code"}, ["A1", "B2"]]},
            ["甬金金融科技", "索通盛源碳材料"],
        ),
        (
            {"op": "t_after", "args": [{"property": "planned_start"}, {"date": "2026-06-01"}]},
            ["索通盛源碳材料"],
        ),
        (
            {
                "op": "s_intersects",
                "args": [
                    {"property": "geometry"},
                    {"type": "Point", "coordinates": [98.22, 39.75]},
                ],
            },
            ["索通盛源碳材料"],
        ),
    ],
)
def test_cql2_json_filters(api_client, city, expression, names):
    response = api_client.get(ITEMS, {"filter": json.dumps(expression), "filter-lang": "cql2-json"})
    assert _names(response) == names


@pytest.mark.django_db
def test_filter_crs_reads_the_geometry_in_its_axis_order(api_client, city):
    # The same small box as above, written lat,lon for EPSG:4326.
    text = (
        "S_INTERSECTS(geometry, POLYGON((39.77 98.25, 39.77 98.30, 39.80 98.30, 39.80 98.25, "
        "39.77 98.25)))"
    )
    assert _names(api_client.get(ITEMS, {"filter": text, "filter-crs": f"{EPSG}4326"})) == [
        "甬金金融科技"
    ]


@pytest.mark.django_db
def test_queryables_as_plain_parameters(api_client, city):
    assert _names(api_client.get(ITEMS, {"code": "B2"})) == ["索通盛源碳材料"]
    assert _names(api_client.get(ITEMS, {"planned_start": "2025-05-01"})) == [
        "Zhongpeng Real Estate"
    ]
    # The layer's own list filters keep their meaning (comma-separated, as on /api/v1/).
    assert _names(api_client.get(ITEMS, {"stage": "construction,completed"})) == [
        "Zhongpeng Real Estate",
        "甬金金融科技",
    ]
    bad = api_client.get(ITEMS, {"planned_start": "tomorrow"})
    assert bad.status_code == 400
    assert list(bad.json()["errors"]) == ["planned_start"]
    zones = api_client.get("/ogcapi/collections/markets/items", {"capacity": "40"})
    assert _names(zones) == ["大唐路夜市", "悦西市美食街"]
    assert api_client.get("/ogcapi/collections/markets/items", {"capacity": "x"}).status_code == 400


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        (
            {"filter": "total_investment > 5"},
            "filter",
            "Property total_investment is not queryable: it is not public.",
        ),
        (
            {"filter": "nonsense = 'x'"},
            "filter",
            "Property nonsense is not queryable; queryables: ",
        ),
        ({"filter": "code = = 'A1'"}, "filter", "Syntax error in the filter at line 1, column 8."),
        (
            {"filter": '{"op": "=", "args": [', "filter-lang": "cql2-json"},
            "filter",
            "Syntax error in the filter at line 1, column 22.",
        ),
        (
            {"filter": "code = 'A1'", "filter-lang": "ecql"},
            "filter-lang",
            "Unknown filter-lang ecql; supported: cql2-text, cql2-json, cql-text.",
        ),
        ({"filter-lang": "ecql"}, "filter-lang", "Unknown filter-lang ecql"),
        ({"filter": "stage = 'flying'"}, "filter", "flying is not one of the values of stage"),
        (
            {"filter": "percent_complete = 'lots'"},
            "filter",
            '"lots" is not a valid value for percent_complete (number).',
        ),
        (
            {"filter": "percent_complete + 1 > 3"},
            "filter",
            "Arithmetic in filters is not supported.",
        ),
        (
            {"filter": "S_WITHIN(geometry, POINT(1 2))"},
            "filter",
            "Of the spatial functions only S_INTERSECTS is supported.",
        ),
        ({"filter": "code = 'a\x00'"}, "filter", "Query parameters cannot contain NUL characters."),
    ],
)
def test_bad_filters_are_400_naming_the_problem(api_client, city, params, field, message):
    response = api_client.get(ITEMS, params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == [field]
    assert errors[field][0].startswith(message), errors


@pytest.mark.django_db
def test_staff_only_property_is_refused_for_staff_too(staff_client, city):
    response = staff_client.get(ITEMS, {"filter": "bond_status = 'approved'"})
    assert response.status_code == 400
    assert "bond_status" in response.json()["errors"]["filter"][0]


@pytest.mark.django_db
def test_a_scanning_filter_on_a_large_table_needs_a_spatial_predicate(api_client, city):
    with override_settings(OGC_FILTER_SCAN_ROWS=-1):  # every table counts as large
        refused = api_client.get(
            ITEMS, {"filter": "name LIKE '%金融%'"}, HTTP_ACCEPT_LANGUAGE="en"
        )
        assert refused.status_code == 400
        assert "narrow the filter with bbox or S_INTERSECTS" in refused.json()["detail"]
        assert _names(
            api_client.get(ITEMS, {"filter": "name LIKE '%金融%'", "bbox": "98.2,39.7,98.4,39.9"})
        ) == ["甬金金融科技"]
        assert _names(
            api_client.get(
                ITEMS,
                {
                    "filter": "CASEI(name) LIKE '%real%' AND "
                    "S_INTERSECTS(geometry, BBOX(98.30, 39.80, 98.40, 39.90))"
                },
            )
        ) == ["Zhongpeng Real Estate"]
        # Plain comparisons use the column as it is: allowed.
        assert _names(api_client.get(ITEMS, {"filter": "code = 'A1'"})) == ["甬金金融科技"]


@pytest.mark.django_db
def test_datetime_selects_by_planned_interval(api_client, city):
    # planned: A 2026-03-01..2027-06-30, B 2026-09-01..2027-06-30, C 2025-05-01..2027-06-30
    assert _names(api_client.get(ITEMS, {"datetime": "../2026-04-01"})) == [
        "Zhongpeng Real Estate",
        "甬金金融科技",
    ]
    assert _names(api_client.get(ITEMS, {"datetime": "2025-06-01T00:00:00+08:00"})) == [
        "Zhongpeng Real Estate"
    ]
    assert api_client.get(ITEMS, {"datetime": "yesterday"}).status_code == 400


# --- ETag and 304 ---------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query", ["", "?filter=" + quote("code = 'A1'") + "&crs=" + quote(f"{EPSG}4542"), "?f=html"]
)
def test_items_and_item_answer_304_to_their_etag(api_client, city, query):
    for url in (
        ITEMS + query,
        f"{ITEMS}/{city['a'].pk}" + query.replace("filter=" + quote("code = 'A1'") + "&", ""),
    ):
        first = api_client.get(url)
        assert first.status_code == 200
        tag = first["ETag"]
        assert set(first["Vary"].replace(" ", "").split(",")) >= {
            "Cookie",
            "Authorization",
            "Accept-Language",
            "Accept",
        }
        again = api_client.get(url, HTTP_IF_NONE_MATCH=tag)
        assert again.status_code == 304
        assert again["ETag"] == tag
        assert "Accept" in again["Vary"]
        assert again["Content-Crs"] == first["Content-Crs"]


@pytest.mark.django_db
def test_etag_differs_by_format_and_changes_with_the_data(api_client, city):
    url = f"{ITEMS}/{city['a'].pk}"
    as_json = api_client.get(url)["ETag"]
    as_html = api_client.get(url, HTTP_ACCEPT="text/html")["ETag"]
    assert as_json != as_html
    city["a"].name = "甬金金融科技二期"
    city["a"].save()
    after = api_client.get(url, HTTP_IF_NONE_MATCH=as_json)
    assert after.status_code == 200
    assert after.json()["properties"]["name"] == "甬金金融科技二期"


@pytest.mark.django_db
def test_downloads_answer_304(api_client, city):
    first = api_client.get("/api/v1/projects.geojson")
    assert first.status_code == 200
    assert (
        api_client.get("/api/v1/projects.geojson", HTTP_IF_NONE_MATCH=first["ETag"]).status_code
        == 304
    )


@pytest.mark.django_db
def test_openapi_documents_the_ogc_error_bodies(api_client):
    paths = api_client.get("/api/schema/?format=json").json()["paths"]
    items = paths["/ogcapi/collections/{collection}/items"]["get"]["responses"]
    # 403: a wrong token is refused on public reads too; 503: the database unavailable.
    assert sorted(items) == ["200", "304", "400", "403", "404", "429", "503"]
    for code in ("400", "403", "404", "429", "503"):
        assert items[code]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/Error"
        }
    assert sorted(items["200"]["content"]) == ["application/geo+json", "text/html"]
    landing = paths["/ogcapi/"]["get"]["responses"]
    assert sorted(landing) == ["200", "400", "403", "429", "503"]
