"""OGC API – Features (Part 1: Core, GeoJSON; bbox; CRS84) over the three published layers.

Written as a few views rather than embedding pygeoapi: pygeoapi would be a second application
with its own YAML configuration, its own PostgreSQL provider and its own dependency stack, and
it would read the tables directly — bypassing the selectors that decide what the public may see
(published rows only, public fields only). Here every collection is a ``geo.exports.layers``
layer, so the items are the same rows and properties as the map, the API and the downloads, at
the caller's permission level. Only JSON is offered (``f=json``, the default).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.gis.db.models import Extent
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import Max, Min
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from geo.api import conditional
from geo.api.throttling import AnonBurstThrottle, AnonItemsThrottle
from geo.exports.layers import LAYERS, Layer, get_layer
from geo.exports.streaming import feature_rows_sql
from geo.geojson import dumps, features_sql
from geo.roles import is_staff_reader

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
]
JSON = "application/json"
GEOJSON = "application/geo+json"
DEFAULT_LIMIT = 100
MAX_OFFSET = 10**9  # far past any layer; keeps OFFSET inside PostgreSQL's bigint
# Temporal extents: the project plan's dates; the other layers carry none.
TEMPORAL_FIELDS = {"projects": ("planned_start", "planned_end")}


def _doc(operation_id: str, summary: str, media: str = JSON, parameters=None):
    return extend_schema(
        operation_id=operation_id, summary=summary, tags=["ogcapi"], parameters=parameters,
        responses={(200, media): OpenApiTypes.OBJECT},
    )


def _json(data: object, *, content_type: str = JSON) -> HttpResponse:
    return HttpResponse(dumps(data), content_type=f"{content_type}; charset=utf-8")


def parse_paging(params, *, default: int = DEFAULT_LIMIT) -> tuple[int, int]:
    """``limit`` (1..API_MAX_PAGE_SIZE), ``offset`` (0..MAX_OFFSET); else ValidationError."""
    maximum = settings.API_MAX_PAGE_SIZE
    errors: dict[str, str] = {}
    values = {"limit": default, "offset": 0}
    for name, low, high in (("limit", 1, maximum), ("offset", 0, MAX_OFFSET)):
        raw = params.get(name, "")
        if raw == "":
            continue
        try:
            value = int(raw)
        except ValueError:
            errors[name] = _("%(name)s must be a whole number.") % {"name": name}
            continue
        if not low <= value <= high:
            errors[name] = (
                _("%(name)s must be between %(low)d and %(high)d.")
                % {"name": name, "low": low, "high": high}
            )
            continue
        values[name] = value
    if errors:
        raise ValidationError(errors, code="paging")
    return values["limit"], values["offset"]


def _check_format(params) -> None:
    if params.get("f", "json") not in {"json", "geojson"}:
        raise ValidationError({"f": _("Only f=json is offered.")}, code="format")
    crs = params.get("bbox-crs", CRS84)
    if crs != CRS84:
        raise ValidationError({"bbox-crs": _("Only CRS84 is supported.")}, code="crs")


class OgcView(APIView):
    """JSON whatever the Accept header says (clients ask for geo+json, json or */*)."""

    renderer_classes = [JSONRenderer]

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)

    def base(self, request) -> str:
        return request.build_absolute_uri("/ogcapi").rstrip("/")


def _collection(layer: Layer, base: str, *, staff: bool) -> dict:
    queryset = layer.queryset(layer.parse({}, staff), staff)
    box = queryset.aggregate(box=Extent(layer.geom))["box"]
    extent: dict = {"spatial": {"bbox": [list(box)] if box else [], "crs": CRS84}}
    if layer.name in TEMPORAL_FIELDS:
        start, end = TEMPORAL_FIELDS[layer.name]
        span = queryset.aggregate(start=Min(start), end=Max(end))
        extent["temporal"] = {
            "interval": [[_date(span["start"]), _date(span["end"])]],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        }
    url = f"{base}/collections/{layer.name}"
    return {
        "id": layer.name,
        "title": str(layer.title),
        "description": str(layer.description),
        "itemType": "feature",
        "crs": [CRS84],
        "extent": extent,
        "links": [
            {"rel": "self", "type": JSON, "title": str(layer.title), "href": url},
            {"rel": "items", "type": GEOJSON, "title": str(layer.title), "href": f"{url}/items"},
            {"rel": "alternate", "type": GEOJSON, "title": "GeoJSON download",
             "href": base.rsplit("/ogcapi", 1)[0] + f"/api/v1/{layer.name}.geojson"},
        ],
    }


def _date(value) -> str | None:
    return f"{value.isoformat()}T00:00:00+08:00" if value else None


class LandingView(OgcView):
    @_doc("ogcapi_landing", "OGC API – Features landing page")
    def get(self, request):
        base = self.base(request)
        return _json({
            "title": _("City map portal: open data"),
            "description": _("Key projects, livelihood works and market zones as OGC API – "
                             "Features."),
            "links": [
                {"rel": "self", "type": JSON, "title": "this document", "href": f"{base}/"},
                {"rel": "conformance", "type": JSON, "title": "conformance",
                 "href": f"{base}/conformance"},
                {"rel": "data", "type": JSON, "title": "collections",
                 "href": f"{base}/collections"},
                {"rel": "service-doc", "type": "text/html", "title": "API documentation",
                 "href": request.build_absolute_uri("/api/docs/")},
            ],
        })


class ConformanceView(OgcView):
    @_doc("ogcapi_conformance", "Conformance classes")
    def get(self, request):
        return _json({"conformsTo": CONFORMANCE})


class CollectionsView(OgcView):
    @_doc("ogcapi_collections", "The three layers as collections")
    def get(self, request):
        base = self.base(request)
        staff = is_staff_reader(request.user)
        return _json({
            "links": [{"rel": "self", "type": JSON, "href": f"{base}/collections"}],
            "collections": [_collection(layer, base, staff=staff) for layer in LAYERS.values()],
        })


class CollectionView(OgcView):
    @_doc("ogcapi_collection", "One collection with its extent")
    def get(self, request, collection: str):
        layer = get_layer(collection)
        return _json(_collection(layer, self.base(request), staff=is_staff_reader(request.user)))


class ItemsView(OgcView):
    throttle_classes = [AnonBurstThrottle, AnonItemsThrottle]

    @_doc("ogcapi_items", "Features of a collection, a page at a time", GEOJSON, [
        OpenApiParameter("limit", int, description="1..API_MAX_PAGE_SIZE (default 100)"),
        OpenApiParameter("offset", int, description=">= 0"),
        OpenApiParameter("bbox", str, description="minx,miny,maxx,maxy (CRS84)"),
    ])
    def get(self, request, collection: str):
        layer = get_layer(collection)
        params = request.query_params
        _check_format(params)
        limit, offset = parse_paging(params)
        staff = is_staff_reader(request.user)
        queryset = layer.select(params, staff=staff)
        tag = None
        if not layer.time_dependent(params):
            # timeStamp says when the page was generated; with the data's version unchanged an
            # older copy is still current, so it is not part of the key. The links' host is.
            tag = conditional.representation_etag(
                request, resource=f"ogcapi/{layer.name}/items", sources=layer.sources,
                staff=staff, extra=[self.base(request)],
            )
            if response := conditional.not_modified(request, tag):
                return response
        matched = queryset.count()
        compiled = feature_rows_sql(
            queryset[offset:offset + limit], geom=layer.geom, properties=layer.properties(staff)
        )
        features, returned = "[]", 0
        if compiled is not None:
            rows_sql, sql_params = compiled
            with connections[queryset.db].cursor() as cursor:
                cursor.execute(
                    f"SELECT '[' || coalesce(string_agg(f.feature, ','), '') || ']', count(*) "
                    f"FROM ({rows_sql}) f",
                    sql_params,
                )
                features, returned = cursor.fetchone()
        url = f"{self.base(request)}/collections/{layer.name}/items"
        keep = {k: v for k, v in params.items() if k not in {"limit", "offset"}}

        def page(at: int) -> str:
            return f"{url}?{urlencode({**keep, 'limit': limit, 'offset': at})}"

        links = [{"rel": "self", "type": GEOJSON, "href": page(offset)},
                 {"rel": "collection", "type": JSON,
                  "href": f"{self.base(request)}/collections/{layer.name}"}]
        if offset + returned < matched:
            links.append({"rel": "next", "type": GEOJSON, "href": page(offset + limit)})
        if offset > 0:
            links.append({"rel": "prev", "type": GEOJSON, "href": page(max(offset - limit, 0))})
        head = {
            "type": "FeatureCollection",
            "timeStamp": timezone.now().replace(microsecond=0).isoformat().replace("+00:00", "Z"),
            "numberMatched": matched,
            "numberReturned": returned,
            "links": links,
        }
        response = HttpResponse(
            dumps(head)[:-1] + ',"features":' + features + "}",
            content_type=f"{GEOJSON}; charset=utf-8",
        )
        if tag:
            conditional.tag_headers(response, tag)
        return response


class ItemView(OgcView):
    @_doc("ogcapi_item", "One feature", GEOJSON)
    def get(self, request, collection: str, fid: str):
        layer = get_layer(collection)
        _check_format(request.query_params)
        if not (fid.isascii() and fid.isdigit() and int(fid) < 2**63):
            raise NotFound(_("No feature %(fid)s in %(collection)s.")
                           % {"fid": fid, "collection": collection})
        staff = is_staff_reader(request.user)
        queryset = layer.queryset(layer.parse({}, staff), staff).filter(pk=int(fid))
        # Any tag but "*" was issued for this id at this version, so the feature still exists.
        if request.headers.get("If-None-Match", "").strip() == conditional.ANY and not (
            queryset.exists()
        ):
            raise NotFound(_("No feature %(fid)s in %(collection)s.")
                           % {"fid": fid, "collection": collection})
        tag = conditional.representation_etag(
            request, resource=f"ogcapi/{layer.name}/items/{fid}", sources=layer.sources,
            staff=staff, extra=[self.base(request)],
        )
        if response := conditional.not_modified(request, tag):
            return response
        rows_sql, sql_params = features_sql(
            queryset, geom=layer.geom, properties=layer.properties(staff)
        )
        with connections[queryset.db].cursor() as cursor:
            cursor.execute(f"SELECT f.feature::text FROM ({rows_sql}) f", sql_params)
            row = cursor.fetchone()  # the id is a plain bigint here, so the SQL compiles
        if row is None:
            raise NotFound(_("No feature %(fid)s in %(collection)s.")
                           % {"fid": fid, "collection": collection})
        url = f"{self.base(request)}/collections/{collection}"
        links = [
            {"rel": "self", "type": GEOJSON, "href": f"{url}/items/{fid}"},
            {"rel": "collection", "type": JSON, "href": url},
        ]
        response = HttpResponse(
            row[0][:-1] + ',"links":' + dumps(links) + "}",
            content_type=f"{GEOJSON}; charset=utf-8",
        )
        conditional.tag_headers(response, tag)
        return response
