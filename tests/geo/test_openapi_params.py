"""Query parameters declared once (geo/api/params.py): the same declaration validates the
request and writes the OpenAPI parameter; the document states security and errors per
operation (issues 11 and 13)."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from geo.api.params import BBOX_PATTERN, INSTANT_PATTERN, QueryParam, validate_query
from geo.filters import BBOX_FORMAT, parse_choices

pytestmark = pytest.mark.django_db


def _schema(client) -> dict:
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


def _param(schema: dict, path: str, name: str) -> dict:
    operation = schema["paths"][path]["get"]
    return next(p for p in operation["parameters"] if p["name"] == name)


def test_validate_query_reports_every_bad_parameter_at_once():
    declared = (
        QueryParam("a", lambda params: parse_choices(params, "a", ("x", "y")), kind="list"),
        QueryParam("b", lambda params: parse_choices(params, "b", ("z",)), kind="list"),
    )
    assert validate_query({"a": "x,y", "b": ""}, declared) == {"a": ["x", "y"], "b": []}
    with pytest.raises(ValidationError) as caught:
        validate_query({"a": "q", "b": "w"}, declared)
    assert set(caught.value.message_dict) == {"a", "b"}


def test_one_400_names_every_bad_filter(api_client):
    response = api_client.get("/api/v1/projects/?stage=nope&bbox=1,2&leader=x")
    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == ["bbox", "stage", "leader"]
    assert body["detail"] == BBOX_FORMAT


@pytest.mark.parametrize("bbox", ["1e1,0,20,1", "+98.2,39.7,98.3,39.8", "1_0,0,20,1"])
def test_a_bbox_float_reads_but_the_pattern_refuses_is_a_400(api_client, bbox):
    assert not re.fullmatch(BBOX_PATTERN, bbox)
    response = api_client.get("/api/v1/projects/", {"bbox": bbox})
    assert response.status_code == 400
    assert response.json()["errors"] == {"bbox": [BBOX_FORMAT]}


@pytest.mark.parametrize(
    ("value", "matches"),
    [
        ("98.2,39.7,98.3,39.8", True),
        ("-180,-90,180,90", True),
        ("180.5,0,181,1", False),
        ("0,91,1,92", False),
        ("1,2,3", False),
    ],
)
def test_bbox_pattern(value, matches):
    assert bool(re.fullmatch(BBOX_PATTERN, value)) is matches


@pytest.mark.parametrize(
    ("value", "matches"),
    [
        ("2026-06-05T20:00", True),
        ("2026-06-05T12:00Z", True),
        ("2026-06-05T12:00:00.5+08:00", True),
        ("1999-06-05T20:00", False),
        ("2026-13-05T20:00", False),
        ("2026-06-05", False),
    ],
)
def test_instant_pattern(value, matches):
    assert bool(re.fullmatch(INSTANT_PATTERN, value)) is matches


def test_document_states_enums_patterns_and_ranges(api_client, district):
    schema = _schema(api_client)
    stage = _param(schema, "/api/v1/projects/", "stage")
    assert (stage["style"], stage["explode"]) == ("form", False)
    assert stage["schema"] == {
        "type": "array",
        "items": {
            "type": "string",
            "enum": ["preparation", "construction", "completed", "operating", "suspended"],
        },
    }
    leader = _param(schema, "/api/v1/projects/", "leader")["schema"]
    assert leader == {
        "type": "array",
        "items": {"type": "integer", "minimum": 1, "maximum": 2**63 - 1},
    }
    # The district codes are read from the data when the document is written.
    assert _param(schema, "/api/v1/projects/", "district")["schema"]["items"]["enum"] == [
        district.code
    ]
    assert _param(schema, "/ogcapi/collections/{collection}/items", "district")["schema"]["items"][
        "enum"
    ] == [district.code]
    as_of = _param(schema, "/api/v1/projects/", "as_of")["schema"]["pattern"]
    today = timezone.localdate()
    this_month = f"{today.year}-{today.month:02d}"
    assert re.fullmatch(as_of, this_month)
    assert re.fullmatch(as_of, "2000-01")
    assert re.fullmatch(as_of, "")  # now
    next_month = f"{today.year + today.month // 12}-{today.month % 12 + 1:02d}"
    for refused in (next_month, "1999-12", f"{today.year}-13", "2026-6"):
        assert not re.fullmatch(as_of, refused), refused
    bbox = _param(schema, "/api/v1/markets/", "bbox")["schema"]
    assert bbox["pattern"] == f"^(?:{BBOX_PATTERN[1:-1]})?$"
    days = _param(schema, "/api/v1/markets/{id}/schedule/", "days")["schema"]
    assert days == {"type": "integer", "minimum": 1, "maximum": 31}


def test_zone_status_enum_is_the_callers(api_client, staff_client):
    public = _param(_schema(api_client), "/api/v1/markets/", "status")["schema"]["items"]
    staff = _param(_schema(staff_client), "/api/v1/markets/", "status")["schema"]["items"]
    assert public["enum"] == ["active", "suspended"]
    assert sorted(staff["enum"]) == ["active", "proposed", "retired", "suspended"]


def test_security_per_operation(api_client):
    paths = _schema(api_client)["paths"]
    public = [{"tokenAuth": []}, {"cookieAuth": []}, {}]
    staff = [{"tokenAuth": []}, {"cookieAuth": []}]
    assert paths["/api/v1/projects/"]["get"]["security"] == public
    # The OGC API takes no credentials at all (public only).
    assert paths["/ogcapi/collections/{collection}/items"]["get"]["security"] == [{}]
    assert paths["/api/v1/projects/{id}/reports/"]["get"]["security"] == staff
    assert paths["/api/v1/projects/{id}/reports/"]["post"]["security"] == staff
    assert paths["/api/v1/markets/"]["post"]["security"] == staff


def test_error_answers_per_operation(api_client):
    paths = _schema(api_client)["paths"]
    error = {"$ref": "#/components/schemas/Error"}
    detail = paths["/api/v1/projects/{id}/"]["get"]["responses"]
    assert sorted(detail) == ["200", "304", "400", "403", "404", "429", "503"]
    assert detail["404"]["content"]["application/json"]["schema"] == error
    reports = paths["/api/v1/projects/{id}/reports/"]["post"]["responses"]
    assert sorted(reports) == ["201", "400", "403", "404", "429", "503"]
    markets = paths["/api/v1/markets/"]["get"]["responses"]
    assert "304" not in markets  # never a 304: open_now is computed at request time


def test_reporter_and_resolved_on_are_nullable(api_client):
    schemas = _schema(api_client)["components"]["schemas"]
    assert schemas["ProgressReportOutput"]["properties"]["reporter"]["nullable"] is True
    assert schemas["BlockerOutput"]["properties"]["resolved_on"]["nullable"] is True


def test_an_unknown_api_path_is_a_json_404(api_client):
    response = api_client.get("/api/v1/nowhere/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail", "errors"}


def test_a_download_checks_the_filters_of_other_layers(api_client, project_factory):
    project_factory()
    # open_tonight is a markets filter: ignored by the projects download, but it must be one.
    assert api_client.get("/api/v1/projects.geojson?open_tonight=true").status_code == 200
    response = api_client.get("/api/v1/projects.geojson?open_tonight=maybe&headers=x")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"open_tonight", "headers"}


@pytest.mark.parametrize("layer", ["projects", "livelihood", "markets"])
def test_an_example_for_every_layer(api_client, layer):
    paths = _schema(api_client)["paths"]
    for path in (f"/api/v1/{layer}/", f"/api/v1/{layer}/{{id}}/"):
        content = paths[path]["get"]["responses"]["200"]["content"]["application/geo+json"]
        (example,) = content["examples"].values()
        value = example["value"]
        feature = value["features"][0] if "{id}" not in path else value
        assert feature["type"] == "Feature"
        assert feature["properties"]["name"]


@pytest.mark.parametrize("lang", ["cql2-text", "cql2-json", "cql-text"])
def test_a_known_filter_lang_without_a_filter_is_accepted(api_client, lang):
    response = api_client.get(f"/ogcapi/collections/projects/items?filter-lang={lang}")
    assert response.status_code == 200
    empty = api_client.get(f"/ogcapi/collections/projects/items?filter=&filter-lang={lang}")
    assert empty.status_code == 200
    assert api_client.get("/ogcapi/collections/projects/items?filter-lang=x").status_code == 400
