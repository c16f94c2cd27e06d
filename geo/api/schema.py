"""The OpenAPI description of the layer endpoints and its docs page at ``/api/docs/``.

The layer list/detail views answer with GeoJSON text built in SQL (no serializer), so their
schema is declared through drf-spectacular view extensions made by the helpers here; each app
names its own views (``sites.api.openapi``, ``markets.api.openapi``) and the views themselves
stay as their apps wrote them. Swagger UI is served from
drf-spectacular-sidecar's static files (settings ``SWAGGER_UI_DIST = "SIDECAR"``): nothing loads
from another host.
"""

from __future__ import annotations

import json
from contextvars import ContextVar

from drf_spectacular.extensions import OpenApiViewExtension
from drf_spectacular.renderers import OpenApiJsonRenderer
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import serializers

from geo.api.exports import download_schema, layer_parameters
from geo.api.schema_examples import detail_example, list_example
from geo.roles import is_staff_reader

# Whether the document being written is for a staff reader: the filters' enums are the ones
# the server applies to that caller (anonymous status filters know fewer zone statuses).
_STAFF_SCHEMA: ContextVar[bool] = ContextVar("staff_schema", default=False)

GEOJSON_TYPE = "application/geo+json"

FeatureCollection = inline_serializer(
    name="FeatureCollection",
    fields={
        "type": serializers.ChoiceField(choices=["FeatureCollection"]),
        "features": serializers.ListField(child=serializers.DictField()),
    },
)
Feature = inline_serializer(
    name="Feature",
    fields={
        "type": serializers.ChoiceField(choices=["Feature"]),
        "id": serializers.IntegerField(),
        "geometry": serializers.DictField(help_text="RFC 7946 geometry, WGS84 lon/lat"),
        "properties": serializers.DictField(),
    },
)
Error = inline_serializer(
    name="Error",
    fields={"detail": serializers.CharField(), "errors": serializers.DictField()},
)

LIST_RESPONSES = {
    (200, GEOJSON_TYPE): OpenApiResponse(
        FeatureCollection,
        description="RFC 7946 FeatureCollection; anonymous callers get public fields only.",
    ),
    400: OpenApiResponse(Error, description="An unknown filter value or a malformed bbox"),
}
DETAIL_RESPONSES = {
    (200, GEOJSON_TYPE): OpenApiResponse(Feature, description="One feature, with an ETag"),
    404: OpenApiResponse(Error, description="No such (published) feature"),
}


def _with_example(responses: dict, example) -> dict:
    """``responses`` with ``example`` on its GeoJSON 200."""
    ok = responses[(200, GEOJSON_TYPE)]
    return {**responses, (200, GEOJSON_TYPE): OpenApiResponse(
        ok.response, description=ok.description, examples=[example]
    )}


def list_extension(target: str, summary: str, tag: str) -> type[OpenApiViewExtension]:
    """Describe a layer's list view: its filters, a FeatureCollection, its 400s."""
    class ListSchema(OpenApiViewExtension):
        target_class = target
        match_subclasses = False

        def view_replacement(self):
            class Fixed(self.target_class):
                @extend_schema(
                    operation_id=f"{tag}_list", summary=summary, tags=[tag],
                    parameters=layer_parameters(tag, staff=_STAFF_SCHEMA.get()),
                    responses=_with_example(LIST_RESPONSES, list_example(tag)),
                )
                def get(self, request, *args, **kwargs):
                    return super().get(request, *args, **kwargs)

            return Fixed

    ListSchema.__name__ = f"{target.rsplit('.', 1)[-1]}Schema"
    return ListSchema


def detail_extension(target: str, summary: str, tag: str) -> type[OpenApiViewExtension]:
    class DetailSchema(OpenApiViewExtension):
        target_class = target
        match_subclasses = False

        def view_replacement(self):
            class Fixed(self.target_class):
                @extend_schema(
                    operation_id=f"{tag}_retrieve", summary=summary, tags=[tag],
                    responses=_with_example(DETAIL_RESPONSES, detail_example(tag)),
                )
                def get(self, request, *args, **kwargs):
                    return super().get(request, *args, **kwargs)

            return Fixed

    DetailSchema.__name__ = f"{target.rsplit('.', 1)[-1]}Schema"
    return DetailSchema


def plain_json_extension(
    target: str, summary: str, tag: str, parameters=()
) -> type[OpenApiViewExtension]:
    """A JSON answer for a view whose ``get`` has no schema of its own (none is overridden)."""

    class PlainSchema(OpenApiViewExtension):
        target_class = target
        match_subclasses = False

        def view_replacement(self):
            if hasattr(self.target_class.get, "_spectacular_annotation"):
                return self.target_class

            class Fixed(self.target_class):
                @extend_schema(summary=summary, tags=[tag], parameters=list(parameters), responses={
                    (200, "application/json"): OpenApiTypes.OBJECT,
                    400: OpenApiResponse(Error, description="A bad parameter"),
                })
                def get(self, request, *args, **kwargs):
                    return super().get(request, *args, **kwargs)

            return Fixed

    PlainSchema.__name__ = f"{target.rsplit('.', 1)[-1]}Schema"
    return PlainSchema


def _download_extension() -> type[OpenApiViewExtension]:
    class DownloadSchema(OpenApiViewExtension):
        target_class = "geo.api.exports.LayerDownloadView"
        match_subclasses = False

        def view_replacement(self):
            class Fixed(self.target_class):
                @extend_schema(
                    **download_schema(staff=_STAFF_SCHEMA.get()),
                    responses={
                        (200, GEOJSON_TYPE): OpenApiTypes.OBJECT,
                        **{(200, media): OpenApiTypes.BINARY for media in DOWNLOAD_TYPES},
                        400: OpenApiResponse(Error, description="A bad filter or option"),
                        404: OpenApiResponse(Error, description="An unknown layer or format"),
                    },
                )
                def get(self, request, *args, **kwargs):
                    return super().get(request, *args, **kwargs)

            return Fixed

    return DownloadSchema


# The file downloads' media types besides GeoJSON (geo.api.exports.CONTENT_TYPES).
DOWNLOAD_TYPES = (
    "application/geopackage+sqlite3", "application/zip", "text/csv",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)

# Registered on import (geo.urls imports this module for the docs view). Each app describes its
# own endpoints with the helpers above (sites.api.openapi, markets.api.openapi, loaded at ready()).
EXTENSIONS = [_download_extension()]


class PortalSchemaView(SpectacularAPIView):
    """``/api/schema/``: the document for the caller (staff see the values staff may send)."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        token = _STAFF_SCHEMA.set(is_staff_reader(request.user))
        try:
            return super().get(request, *args, **kwargs)
        finally:
            _STAFF_SCHEMA.reset(token)


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI for ``/api/schema/``, from local static files.

    The split view serves its start-up script at ``?script`` instead of inline, so the page runs
    under the portal's CSP (``script-src 'self'``, no inline script). The page is the portal's
    own (``geo/api_docs.html``): its language, a main landmark and colours that pass WCAG AA.
    """

    template_name = "geo/api_docs.html"


class OgcOpenApiRenderer(OpenApiJsonRenderer):
    """The OpenAPI document as OGC API – Features names it in ``service-desc`` links."""

    media_type = "application/vnd.oai.openapi+json;version=3.0"


class OgcOpenApiView(PortalSchemaView):
    """``/ogcapi/api``: the OGC API part of the OpenAPI document (``/api/schema/`` has it too),
    its paths relative to a ``servers`` entry at ``/ogcapi`` as OGC clients expect, as JSON
    with the media type of the landing page's ``service-desc`` link whatever the Accept header
    says. GDAL's OAPIF driver reads it for the items' query parameters (and refuses other
    media types); the OGC test suites validate it as OpenAPI 3.0."""

    renderer_classes = [OgcOpenApiRenderer]

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        if response.status_code != 200:
            return response
        prefix = "/ogcapi"
        whole = response.data
        paths = {}
        for path, item in whole["paths"].items():
            if not path.startswith(f"{prefix}/"):
                continue
            # OGC's name for the path parameter (GDAL's OAPIF driver looks the items path up
            # as /collections/{collectionId}/items).
            path = path[len(prefix):].replace("{collection}", "{collectionId}")
            item = json.loads(json.dumps(item))
            for operation in item.values():
                for parameter in operation.get("parameters", []):
                    if parameter.get("in") == "path" and parameter["name"] == "collection":
                        parameter["name"] = "collectionId"
            paths[path] = item
        response.data = {
            **whole,
            "servers": [{"url": request.build_absolute_uri(prefix)}],
            "paths": paths,
        }
        return response
