"""/api/schema/ describes the layer endpoints; /api/docs/ shows it from local files only."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def schema(api_client) -> dict:
    response = api_client.get("/api/schema/?format=json")
    assert response.status_code == 200
    return response.json()


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "operation"), [
    ("/api/v1/projects/", "projects_list"),
    ("/api/v1/projects/{id}/", "projects_retrieve"),
    ("/api/v1/livelihood/", "livelihood_list"),
    ("/api/v1/livelihood/{id}/", "livelihood_retrieve"),
    ("/api/v1/markets/", "markets_list"),
    ("/api/v1/markets/{id}/", "markets_retrieve"),
    ("/api/v1/{layer}.{fmt}", "layer_download"),
    ("/ogcapi/collections/{collection}/items", "ogcapi_items"),
    ("/ogcapi/collections/{collection}/items/{fid}", "ogcapi_item"),
])
def test_layer_endpoints_are_described(schema, path, operation):
    assert schema["paths"][path]["get"]["operationId"] == operation


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "present", "absent"), [
    ("/api/v1/projects/", {"bbox", "stage", "build_type", "light", "as_of"}, {"kind"}),
    ("/api/v1/livelihood/", {"bbox", "programme", "status"}, {"stage", "kind"}),
    ("/api/v1/markets/", {"bbox", "kind", "status", "open_now", "at"}, {"stage", "programme"}),
])
def test_list_filters_per_layer(schema, path, present, absent):
    names = {p["name"] for p in schema["paths"][path]["get"]["parameters"]}
    assert present <= names
    assert not absent & names


@pytest.mark.django_db
def test_list_answers_geojson_and_errors(schema):
    responses = schema["paths"]["/api/v1/projects/"]["get"]["responses"]
    assert list(responses["200"]["content"]) == ["application/geo+json"]
    assert responses["200"]["content"]["application/geo+json"]["schema"] == {
        "$ref": "#/components/schemas/FeatureCollection"
    }
    error = schema["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"detail", "errors"}


@pytest.mark.django_db
def test_download_path_parameters_are_enumerated(schema):
    params = {p["name"]: p for p in schema["paths"]["/api/v1/{layer}.{fmt}"]["get"]["parameters"]}
    assert set(params["layer"]["schema"]["enum"]) == {"projects", "livelihood", "markets"}
    assert set(params["fmt"]["schema"]["enum"]) == {"geojson", "gpkg", "zip", "csv", "xlsx"}


@pytest.mark.django_db
def test_docs_page_uses_local_assets_only(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any("swagger-ui-bundle.js" in s for s in sources)
    assert all(s.startswith("/") for s in sources), sources
    # Its start-up script is a file of its own (no inline script, for the CSP).
    assert "<script>" not in html
    assert '<script src="/api/docs/?script="></script>' in html
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "validatorUrl" in script.content.decode()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_docs_render_in_the_browser_without_leaving_the_machine(page, live_server):
    page.goto(f"{live_server.url}/api/docs/")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "City map portal API" in page.locator(".swagger-ui .info .title").inner_text()
    page.get_by_text("/api/v1/{layer}.{fmt}").first.wait_for()
