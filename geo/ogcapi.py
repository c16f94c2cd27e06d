"""OGC API – Features over the three published layers: Part 1 (Core, GeoJSON, HTML), Part 2 (CRS
by reference) and Part 3 (queryables, CQL2 filters).

Written as a few views rather than embedding pygeoapi: pygeoapi would be a second application
with its own YAML configuration, its own PostgreSQL provider and its own dependency stack, and
it would read the tables directly — bypassing the selectors that decide what the public may see
(published rows only, public fields only). Here every collection is a ``geo.exports.layers``
layer, so the items are the same rows and properties as the map, the API and the downloads, at
the caller's permission level; CRSs are ``geo.ogc_crs``, filters ``geo.ogc_filter``.

Every resource answers JSON (``f=json``, or an Accept header asking for JSON, GeoJSON or
anything) or HTML (``f=html`` or a browser's Accept); any other ``f`` and any query parameter
the resource does not define are a 400 with the JSON error body.
"""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.gis.db.models import Extent
from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import Max, Min, Q
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from geo import ogc_crs, ogc_filter
from geo.api import body_cache, conditional
from geo.api.exports import layer_params
from geo.api.throttling import AnonBurstThrottle, AnonItemsThrottle
from geo.exports.layers import LAYERS, Layer, get_layer
from geo.exports.streaming import feature_rows_sql
from geo.geojson import dumps, features_sql
from geo.page_cache import clock_minute
from geo.roles import is_staff_reader

CRS84 = ogc_crs.CRS84
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    *ogc_filter.CONFORMANCE,
]
JSON = "application/json"
GEOJSON = "application/geo+json"
HTML = "text/html"
SCHEMA_JSON = "application/schema+json"
OPENAPI = "application/vnd.oai.openapi+json;version=3.0"
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
DEFAULT_LIMIT = 100
MAX_OFFSET = 10**9  # far past any layer; keeps OFFSET inside PostgreSQL's bigint
# Temporal extents: the project plan's dates; the other layers carry none.
TEMPORAL_FIELDS = {"projects": ("planned_start", "planned_end")}
# What ``datetime`` selects on: a project's planned interval, the others' last update.
DATETIME_FIELDS = {
    "projects": ("planned_start", "planned_end"),
    "livelihood": ("updated_at",),
    "markets": ("updated_at",),
}
FORMATS = ("json", "html")
# Query parameters every resource takes; items and item add theirs.
COMMON_PARAMETERS = frozenset({"f"})
ITEM_PARAMETERS = COMMON_PARAMETERS | {"crs"}
ITEMS_OGC_PARAMETERS = ITEM_PARAMETERS | {
    "limit",
    "offset",
    "bbox",
    "bbox-crs",
    "datetime",
    "filter",
    "filter-lang",
    "filter-crs",
}
F_PARAMETER = OpenApiParameter(
    "f", str, enum=list(FORMATS), description="json (default) or html; or use the Accept header"
)


# Both are fixed by the layers' declarations: worked out once per process and layer, not per
# request (the queryables build the layer's queryset and its properties: ~1.3 ms a page).
_FILTERS: dict[str, frozenset[str]] = {}
_ITEMS_PARAMETERS: dict[str, frozenset[str]] = {}


def _layer_filters(layer: Layer) -> frozenset[str]:
    if layer.name not in _FILTERS:
        _FILTERS[layer.name] = frozenset(p.name for p in layer_params(layer.name, staff=True))
    return _FILTERS[layer.name]


def items_parameters(layer: Layer) -> frozenset[str]:
    """Every query parameter the items of ``layer`` take: OGC's, the layer's list filters (as
    on ``/api/v1/<layer>/``) and its queryables as plain parameters."""
    if layer.name not in _ITEMS_PARAMETERS:
        _ITEMS_PARAMETERS[layer.name] = frozenset(
            ITEMS_OGC_PARAMETERS
            | _layer_filters(layer)
            | (set(ogc_filter.queryables(layer)) - {ogc_filter.GEOMETRY})
        )
    return _ITEMS_PARAMETERS[layer.name]


def check_parameters(params, allowed) -> None:
    """400 naming every parameter the resource does not take, or holding a NUL character."""
    nul = sorted(name for name, value in params.items() if "\x00" in value or "\x00" in name)
    if nul:
        raise ValidationError(
            {
                name.replace("\x00", ""): _("This parameter contains a NUL character; remove it.")
                for name in nul
            },
            code="nul_character",
        )
    unknown = sorted(name for name in params if name not in allowed)
    if unknown:
        raise ValidationError(
            {
                name: _("Unknown query parameter %(name)s; this resource takes: %(allowed)s.")
                % {"name": name, "allowed": ", ".join(sorted(allowed))}
                for name in unknown
            },
            code="unknown_parameter",
        )


def negotiate(request) -> str:
    """``json`` or ``html``: ``f`` when given (else a 400), otherwise the Accept header."""
    wanted = request.query_params.get("f")
    if wanted is not None:
        if wanted in ("json", "geojson"):
            return "json"
        if wanted == "html":
            return "html"
        raise ValidationError(
            {"f": _("Unknown format %(f)s; choose json or html.") % {"f": wanted}}, code="format"
        )
    preferred = request._request.get_preferred_type([JSON, GEOJSON, SCHEMA_JSON, HTML])
    return "html" if preferred == HTML else "json"


def _doc(operation_id: str, summary: str, media: str = JSON, parameters=(), errors=(400,)):
    responses = {(200, media): OpenApiTypes.OBJECT, (200, HTML): OpenApiTypes.STR}
    from geo.api.schema import Error  # the portal's error body {"detail", "errors"}

    for code in errors:
        responses[code] = OpenApiResponse(
            Error,
            description={
                400: "A bad or unknown query parameter (JSON error body)",
                404: "No such collection or feature",
                429: "Too many requests from this address (Retry-After says when to retry)",
            }[code],
        )
    if media == GEOJSON:
        responses[304] = OpenApiResponse(description="Not modified (If-None-Match matched)")
    return extend_schema(
        operation_id=operation_id,
        summary=summary,
        tags=["ogcapi"],
        parameters=[F_PARAMETER, *parameters],
        responses=responses,
        auth=[],
    )


def _json(data: object, *, content_type: str = JSON) -> HttpResponse:
    # JSON is UTF-8 by definition (RFC 8259): no charset parameter, so clients that compare
    # the media type exactly (OGC test suites) see "application/json".
    return HttpResponse(dumps(data).encode("utf-8"), content_type=content_type)


def _html(request, template: str, context: dict) -> HttpResponse:
    response = render(request._request, f"ogc/{template}", context)
    response["Content-Type"] = "text/html; charset=utf-8"
    return response


def _minute_of(layer, params) -> list[str]:
    """The clock's minute, for a layer whose members say what holds now (a market's open now)."""
    return [clock_minute()] if layer.per_minute(params) else []


def _finished(prepared, features: str) -> str:
    """A JSON array of feature texts with the layer's Python members added (Prepared.finish)."""
    if prepared.layer.complete is None:
        return features
    return dumps(prepared.finish(json.loads(features)))


def _finish(response: HttpResponse) -> HttpResponse:
    patch_vary_headers(response, ("Accept",))
    return response


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
            errors[name] = _("%(name)s must be between %(low)d and %(high)d.") % {
                "name": name,
                "low": low,
                "high": high,
            }
            continue
        values[name] = value
    if errors:
        raise ValidationError(errors, code="paging")
    return values["limit"], values["offset"]


def _instant(text: str, *, end: bool) -> dt.datetime | None:
    """One end of ``datetime``: RFC 3339 date-time or a date (its start, or end if ``end``)."""
    if text in ("", ".."):
        return None
    try:
        if "T" in text or "t" in text:
            value = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
            return value if value.tzinfo else timezone.make_aware(value)
        day = dt.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            {
                "datetime": _(
                    "datetime must be an RFC 3339 date-time or date, or an interval "
                    "start/end with .. for an open end."
                )
            },
            code="datetime",
        ) from None
    moment = dt.datetime.combine(day, dt.time.max if end else dt.time.min)
    return timezone.make_aware(moment)


def datetime_q(layer: Layer, raw: str) -> Q:
    """Features whose time (a project's planned interval, else the last update) meets ``raw``."""
    if "/" in raw:
        first, _sep, last = raw.partition("/")
        start, stop = _instant(first, end=False), _instant(last, end=True)
    else:
        start = _instant(raw, end=False)
        stop = _instant(raw, end=True) if "T" not in raw.upper() else start
        if start is None:
            raise ValidationError({"datetime": _("datetime needs a date-time.")}, code="datetime")
    if start and stop and start > stop:
        raise ValidationError({"datetime": _("datetime starts after it ends.")}, code="datetime")
    fields = DATETIME_FIELDS[layer.name]
    begin, finish = fields[0], fields[-1]
    dated = len(fields) == 2  # dates (projects), not timestamps
    q = Q()
    if stop is not None:
        q &= Q(**{f"{begin}__lte": timezone.localtime(stop).date() if dated else stop})
    if start is not None:
        q &= Q(**{f"{finish}__gte": timezone.localtime(start).date() if dated else start})
    return q


class OgcView(APIView):
    """JSON or HTML whatever the Accept header says (errors are always JSON)."""

    renderer_classes = [JSONRenderer]
    allowed_parameters = COMMON_PARAMETERS

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)

    def base(self, request) -> str:
        return request.build_absolute_uri("/ogcapi").rstrip("/")

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if self.allowed_parameters is not None:
            check_parameters(request.query_params, self.allowed_parameters)

    def finalize_response(self, request, response, *args, **kwargs):
        return _finish(super().finalize_response(request, response, *args, **kwargs))


def _alternate(url: str, fmt: str, title: str, json_type: str = JSON) -> list[dict]:
    """The self link in ``fmt`` and the alternate in the other format."""
    join = "&" if "?" in url else "?"
    json_link = {"type": json_type, "title": f"{title} (JSON)", "href": f"{url}{join}f=json"}
    html_link = {"type": HTML, "title": f"{title} (HTML)", "href": f"{url}{join}f=html"}
    if fmt == "html":
        return [{"rel": "self", **html_link}, {"rel": "alternate", **json_link}]
    return [{"rel": "self", **json_link}, {"rel": "alternate", **html_link}]


def _collection(layer: Layer, base: str, *, staff: bool, fmt: str = "json") -> dict:
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
    title = str(layer.title)
    return {
        "id": layer.name,
        "title": title,
        "description": str(layer.description),
        "itemType": "feature",
        "crs": list(ogc_crs.SUPPORTED),
        "storageCrs": CRS84,
        "extent": extent,
        "links": [
            *_alternate(url, fmt, title),
            {"rel": "items", "type": GEOJSON, "title": title, "href": f"{url}/items"},
            {
                "rel": QUERYABLES_REL,
                "type": SCHEMA_JSON,
                "title": _("Queryables"),
                "href": f"{url}/queryables",
            },
            {
                "rel": "enclosure",
                "type": GEOJSON,
                "title": "GeoJSON download",
                "href": base.rsplit("/ogcapi", 1)[0] + f"/api/v1/{layer.name}.geojson",
            },
        ],
    }


def _date(value) -> str | None:
    return f"{value.isoformat()}T00:00:00+08:00" if value else None


class LandingView(OgcView):
    @_doc("ogcapi_landing", "OGC API – Features landing page")
    def get(self, request):
        fmt = negotiate(request)
        base = self.base(request)
        body = {
            "title": _("City map portal: open data"),
            "description": _(
                "Key projects, livelihood works and market zones as OGC API – Features."
            ),
            "links": [
                *_alternate(f"{base}/", fmt, _("This document")),
                {
                    "rel": "service-desc",
                    "type": OPENAPI,
                    "title": _("OpenAPI document"),
                    "href": f"{base}/api",
                },
                {
                    "rel": "service-doc",
                    "type": HTML,
                    "title": _("API documentation"),
                    "href": request.build_absolute_uri("/api/docs/"),
                },
                {
                    "rel": "conformance",
                    "type": JSON,
                    "title": _("Conformance classes"),
                    "href": f"{base}/conformance",
                },
                {
                    "rel": "data",
                    "type": JSON,
                    "title": _("Collections"),
                    "href": f"{base}/collections",
                },
            ],
        }
        if fmt == "html":
            return _html(request, "landing.html", {"doc": body, "base": base})
        return _json(body)


class ConformanceView(OgcView):
    @_doc("ogcapi_conformance", "Conformance classes")
    def get(self, request):
        if negotiate(request) == "html":
            return _html(
                request, "conformance.html", {"classes": CONFORMANCE, "base": self.base(request)}
            )
        return _json({"conformsTo": CONFORMANCE})


class CollectionsView(OgcView):
    @_doc("ogcapi_collections", "The three layers as collections")
    def get(self, request):
        fmt = negotiate(request)
        base = self.base(request)
        staff = is_staff_reader(request.user)
        body = {
            "links": _alternate(f"{base}/collections", fmt, _("Collections")),
            "crs": list(ogc_crs.SUPPORTED),
            "collections": [_collection(layer, base, staff=staff) for layer in LAYERS.values()],
        }
        if fmt == "html":
            return _html(request, "collections.html", {"doc": body, "base": base})
        return _json(body)


COLLECTION_PATH = OpenApiParameter("collection", str, OpenApiParameter.PATH, enum=list(LAYERS))


class CollectionView(OgcView):
    @_doc(
        "ogcapi_collection",
        "One collection with its extent and CRSs",
        parameters=[COLLECTION_PATH],
        errors=(400, 404),
    )
    def get(self, request, collection: str):
        layer = get_layer(collection)
        fmt = negotiate(request)
        base = self.base(request)
        body = _collection(layer, base, staff=is_staff_reader(request.user), fmt=fmt)
        if fmt == "html":
            return _html(
                request,
                "collection.html",
                {
                    "doc": body,
                    "base": base,
                    "queryables": ogc_filter.queryables_schema(layer, "")["properties"],
                },
            )
        return _json(body)


class QueryablesView(OgcView):
    @_doc(
        "ogcapi_queryables",
        "The properties a filter may use (JSON Schema)",
        SCHEMA_JSON,
        parameters=[COLLECTION_PATH],
        errors=(400, 404),
    )
    def get(self, request, collection: str):
        layer = get_layer(collection)
        fmt = negotiate(request)
        url = f"{self.base(request)}/collections/{layer.name}/queryables"
        body = ogc_filter.queryables_schema(layer, url)
        if fmt == "html":
            return _html(
                request,
                "queryables.html",
                {
                    "doc": body,
                    "base": self.base(request),
                    "layer": layer,
                },
            )
        return _json(body, content_type=SCHEMA_JSON)


def _items_parameters() -> list[OpenApiParameter]:
    maximum = settings.API_MAX_PAGE_SIZE
    crs_enum = list(ogc_crs.SUPPORTED)
    # Each layer's list filters and plain queryable parameters (the union; 400 on another
    # layer's names, as on /api/v1/).
    # Enums read from the data are left to geo.api.schema_hooks, which writes them per request.
    extra = {
        p.name: OpenApiParameter(p.name, str, description=p.description)
        if p.from_database else p.openapi()
        for name in LAYERS for p in layer_params(name, staff=True)
        if p.name != "bbox"
    }
    for layer in LAYERS.values():
        for name, q in ogc_filter.queryables(layer).items():
            if name != ogc_filter.GEOMETRY and name not in extra:
                extra[name] = OpenApiParameter(
                    name,
                    # As a plain parameter the value is compared, whatever its length.
                    {k: v for k, v in q.schema.items() if k not in ("title", "maxLength")},
                    description=f"queryable of {layer.name}: equal to this value",
                )
    return [
        COLLECTION_PATH,
        OpenApiParameter(
            "limit",
            {"type": "integer", "minimum": 1, "maximum": maximum, "default": DEFAULT_LIMIT},
            style="form",
            explode=False,
            description=f"1..{maximum} (default {DEFAULT_LIMIT})",
        ),
        OpenApiParameter(
            "offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET}, description=">= 0"
        ),
        OpenApiParameter(
            "bbox",
            # Four numbers: the server takes no 3D bbox (six numbers are a 400).
            {"type": "array", "minItems": 4, "maxItems": 4, "items": {"type": "number"}},
            style="form",
            explode=False,
            description="minx,miny,maxx,maxy in the axis order of bbox-crs",
        ),
        OpenApiParameter("bbox-crs", str, enum=crs_enum, description="default CRS84"),
        OpenApiParameter("crs", str, enum=crs_enum, description="CRS of the answer (CRS84)"),
        OpenApiParameter(
            "datetime",
            str,
            description=(
                "RFC 3339 date-time or date, or start/end (.. open): a project's planned "
                "interval, other layers' last update"
            ),
        ),
        OpenApiParameter("filter", str, description="CQL2 (see filter-lang) over the queryables"),
        OpenApiParameter(
            "filter-lang", str, enum=list(ogc_filter.FILTER_LANGS), description="default cql2-text"
        ),
        OpenApiParameter(
            "filter-crs", str, enum=crs_enum, description="CRS of geometries in the filter (CRS84)"
        ),
        *extra.values(),
    ]


class ItemsView(OgcView):
    throttle_classes = [AnonBurstThrottle, AnonItemsThrottle]
    allowed_parameters = None  # per layer: checked in get()

    @_doc(
        "ogcapi_items",
        "Features of a collection, a page at a time",
        GEOJSON,
        _items_parameters(),
        errors=(400, 404, 429),
    )
    def get(self, request, collection: str):
        layer = get_layer(collection)
        params = request.query_params
        check_parameters(params, items_parameters(layer))
        fmt = negotiate(request)
        limit, offset = parse_paging(params)
        crs = ogc_crs.parse_crs(params.get("crs"), "crs")
        bbox_crs = ogc_crs.parse_crs(params.get("bbox-crs"), "bbox-crs")
        filter_crs = ogc_crs.parse_crs(params.get("filter-crs"), "filter-crs")
        staff = is_staff_reader(request.user)
        # The layer's own list filters go to its selector as on /api/v1/; bbox too when it is
        # in CRS84, else it is read in its CRS here.
        own = _layer_filters(layer)
        layer_params = {k: v for k, v in params.items() if k in own}
        bbox = None
        if params.get("bbox") and bbox_crs is not ogc_crs.STORAGE:
            layer_params.pop("bbox", None)
            bbox = ogc_crs.parse_bbox(params["bbox"], bbox_crs)
        prepared = layer.prepare(layer_params, staff=staff)
        queryset = prepared.queryset
        if bbox is not None:
            queryset = queryset.filter(**{f"{layer.geom}__intersects": bbox})
        for name in sorted(set(params) - own - ITEMS_OGC_PARAMETERS):
            queryset = queryset.filter(ogc_filter.parameter_q(layer, name, params[name]))
        if params.get("datetime"):
            queryset = queryset.filter(datetime_q(layer, params["datetime"]))
        if params.get("filter"):  # ?filter= is no filter, as every empty parameter here
            queryset = queryset.filter(
                ogc_filter.filter_q(
                    layer,
                    params["filter"],
                    params.get("filter-lang") or ogc_filter.CQL2_TEXT,
                    filter_crs=filter_crs,
                    queryset=queryset,
                    narrowed=bool(params.get("bbox")),
                )
            )
        elif params.get("filter-lang") and params["filter-lang"] not in ogc_filter.FILTER_LANGS:
            # An unknown language is a 400; a known one without a filter has nothing to parse
            # ("TRUE" is no cql2-json document: every JSON filter-lang alone was a 400).
            ogc_filter.parse("TRUE", params["filter-lang"])
        tag = None
        if not layer.time_dependent(params):
            # timeStamp says when the page was generated; with the data's version unchanged an
            # older copy is still current, so it is not part of the key. The links' host is.
            tag = conditional.representation_etag(
                request,
                resource=f"ogcapi/{layer.name}/items",
                sources=layer.sources,
                staff=staff,
                extra=[self.base(request), fmt, _accept_key(request),
                       *_minute_of(layer, layer_params)],
            )
            if response := conditional.not_modified(request, tag):
                return _crs_header(response, crs)

        def page_rows() -> tuple[int, str, int]:
            matched = queryset.count()
            compiled = feature_rows_sql(
                queryset[offset : offset + limit],
                geom=ogc_crs.output_geometry(layer.geom, crs),
                properties=prepared.properties,
                computed=prepared.computed,
            )
            if compiled is None:
                return matched, "[]", 0
            rows_sql, sql_params = compiled
            with connections[queryset.db].cursor() as cursor:
                cursor.execute(
                    f"SELECT '[' || coalesce(string_agg(f.feature, ','), '') || ']', count(*) "
                    f"FROM ({rows_sql}) f",
                    sql_params,
                )
                features, returned = cursor.fetchone()
            return matched, _finished(prepared.narrowed(queryset), features), returned

        # The tag names everything the page's features and counts depend on (not timeStamp,
        # written below on each answer), so each worker queries them once per tag.
        matched, features, returned = (
            body_cache.value_for(tag, page_rows, size=lambda rows: len(rows[1]))
            if tag is not None
            else page_rows()
        )
        url = f"{self.base(request)}/collections/{layer.name}/items"
        keep = {k: v for k, v in params.items() if k not in {"limit", "offset", "f"}}

        def page(at: int, page_fmt: str = "json") -> str:
            fmt_param = {"f": "html"} if page_fmt == "html" else {}
            return f"{url}?{urlencode({**keep, 'limit': limit, 'offset': at, **fmt_param})}"

        json_self = {"type": GEOJSON, "title": "GeoJSON", "href": page(offset)}
        html_self = {"type": HTML, "title": "HTML", "href": page(offset, "html")}
        links = [
            {"rel": "self", **(html_self if fmt == "html" else json_self)},
            {"rel": "alternate", **(json_self if fmt == "html" else html_self)},
            {
                "rel": "collection",
                "type": JSON,
                "href": f"{self.base(request)}/collections/{layer.name}",
            },
        ]
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
        if fmt == "html":
            response = _html(
                request,
                "items.html",
                {
                    "base": self.base(request),
                    "layer": layer,
                    "head": head,
                    "crs": crs,
                    "features": json.loads(features),
                    "offset": offset,
                    "limit": limit,
                    "map_features": json.loads(features) if crs is ogc_crs.STORAGE else None,
                    "links": {link["rel"]: link["href"] for link in links},
                },
            )
        else:
            response = HttpResponse(
                dumps(head)[:-1] + ',"features":' + features + "}",
                content_type=f"{GEOJSON}; charset=utf-8",
            )
        response["Link"] = ", ".join(
            f'<{link["href"]}>; rel="{link["rel"]}"; type="{link["type"]}"'
            for link in [
                *links,
                {
                    "rel": QUERYABLES_REL,
                    "type": SCHEMA_JSON,
                    "href": f"{self.base(request)}/collections/{layer.name}/queryables",
                },
            ]
        )
        if tag:
            conditional.tag_headers(response, tag)
        return _crs_header(response, crs)


def _accept_key(request) -> str:
    """Part of the ETag: the Accept header decides the format when ``f`` is absent."""
    return "" if "f" in request.query_params else request.headers.get("Accept", "")


def _crs_header(response: HttpResponse, crs: ogc_crs.Crs) -> HttpResponse:
    response["Content-Crs"] = ogc_crs.content_crs(crs)
    return response


class ItemView(OgcView):
    allowed_parameters = ITEM_PARAMETERS

    @_doc(
        "ogcapi_item",
        "One feature",
        GEOJSON,
        [
            COLLECTION_PATH,
            OpenApiParameter("fid", {"type": "integer", "minimum": 1}, OpenApiParameter.PATH),
            OpenApiParameter(
                "crs", str, enum=list(ogc_crs.SUPPORTED), description="CRS of the answer (CRS84)"
            ),
        ],
        errors=(400, 404),
    )
    def get(self, request, collection: str, fid: str):
        layer = get_layer(collection)
        fmt = negotiate(request)
        crs = ogc_crs.parse_crs(request.query_params.get("crs"), "crs")
        if not (fid.isascii() and fid.isdigit() and int(fid) < 2**63):
            raise NotFound(
                _("No feature %(fid)s in %(collection)s.") % {"fid": fid, "collection": collection}
            )
        staff = is_staff_reader(request.user)
        prepared = layer.prepare({}, staff=staff)
        queryset = prepared.queryset.filter(pk=int(fid))
        # Any tag but "*" was issued for this id at this version, so the feature still exists.
        if request.headers.get("If-None-Match", "").strip() == conditional.ANY and not (
            queryset.exists()
        ):
            raise NotFound(
                _("No feature %(fid)s in %(collection)s.") % {"fid": fid, "collection": collection}
            )
        tag = conditional.representation_etag(
            request,
            resource=f"ogcapi/{layer.name}/items/{fid}",
            sources=layer.sources,
            staff=staff,
            extra=[self.base(request), fmt, _accept_key(request), *_minute_of(layer, {})],
        )
        if response := conditional.not_modified(request, tag):
            return _crs_header(response, crs)
        rows_sql, sql_params = features_sql(
            queryset,
            geom=ogc_crs.output_geometry(layer.geom, crs),
            properties=prepared.properties,
            computed=prepared.computed,
        )
        with connections[queryset.db].cursor() as cursor:
            cursor.execute(f"SELECT f.feature::text FROM ({rows_sql}) f", sql_params)
            row = cursor.fetchone()  # the id is a plain bigint here, so the SQL compiles
        if row is None:
            raise NotFound(
                _("No feature %(fid)s in %(collection)s.") % {"fid": fid, "collection": collection}
            )
        text = _finished(prepared, f"[{row[0]}]")[1:-1]
        url = f"{self.base(request)}/collections/{collection}"
        query = {"crs": crs.uri} if crs is not ogc_crs.STORAGE else {}
        links = [
            *_alternate(
                f"{url}/items/{fid}" + (f"?{urlencode(query)}" if query else ""),
                fmt,
                _("This feature"),
                GEOJSON,
            ),
            {"rel": "collection", "type": JSON, "href": url},
        ]
        if fmt == "html":
            feature = json.loads(text)
            response = _html(
                request,
                "item.html",
                {
                    "base": self.base(request),
                    "layer": layer,
                    "feature": feature,
                    "crs": crs,
                    "map_features": [feature] if crs is ogc_crs.STORAGE else None,
                    "links": {link["rel"]: link["href"] for link in links},
                },
            )
        else:
            response = HttpResponse(
                text[:-1] + ',"links":' + dumps(links) + "}",
                content_type=f"{GEOJSON}; charset=utf-8",
            )
        conditional.tag_headers(response, tag)
        return _crs_header(response, crs)
