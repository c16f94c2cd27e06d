"""Downloads of a layer, ``/api/v1/<layer>.<geojson|gpkg|zip|csv|xlsx>`` (thin views)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from geo.api import conditional
from geo.api.params import QueryParam, accept_any_of, openapi_parameters, validate_query
from geo.api.throttling import AnonBurstThrottle, AnonDownloadThrottle
from geo.exports import labels, streaming
from geo.exports.layers import LAYERS, get_layer
from geo.page_cache import clock_minute
from geo.roles import is_staff_reader

FORMATS = ("geojson", "gpkg", "zip", "csv", "xlsx")
CONTENT_TYPES = {
    "geojson": "application/geo+json; charset=utf-8",
    "gpkg": "application/geopackage+sqlite3",
    "zip": "application/zip",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _p(name: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, str, description=description)


def layer_params(layer: str, *, staff: bool) -> tuple[QueryParam, ...]:
    """The list filters of a layer for this reader, as its selectors validate them."""
    return LAYERS[layer].params(staff)


def layer_parameters(layer: str, *, staff: bool) -> list[OpenApiParameter]:
    """The OpenAPI parameters of ``layer_params`` (enums read from the database: call it per
    schema, not at import)."""
    return openapi_parameters(layer_params(layer, staff=staff))


def other_layers_params(layer: str, *, staff: bool) -> tuple[QueryParam, ...]:
    """The filters of the other layers that ``layer`` does not take: ignored by its download,
    but checked (a value no layer accepts is a 400, as the document's enums say)."""
    own = {p.name for p in layer_params(layer, staff=staff)}
    others = [layer_params(name, staff=staff) for name in LAYERS if name != layer]
    return tuple(p for p in accept_any_of(*others) if p.name not in own)


def filter_parameters(*, staff: bool) -> list[OpenApiParameter]:
    """Every layer's filters (a download takes the filters of the layer it names)."""
    return openapi_parameters(*(layer_params(layer, staff=staff) for layer in LAYERS))


# The files meant for people: headings in the active language, money also read as 亿元/万元.
PEOPLE_FORMATS = ("csv", "xlsx")
TABLE_MESSAGE = gettext_noop("table must be fields (the CSV's field table).")


def _people_options(params, fmt: str, *, foreign=()) -> tuple[str, bool]:
    """(headers mode, field table only) from ``?headers=`` and ``?table=``; 400 when bad,
    together with any bad value of the ``foreign`` (other layers') filters."""
    errors = {}
    try:
        validate_query(params, foreign)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    headers = labels.MACHINE
    try:
        # Checked for every format (the document's enum), used by the files for people.
        mode = labels.headers_mode(params)
    except ValueError:
        errors["headers"] = [_(labels.HEADERS_MESSAGE)]
    else:
        if fmt in PEOPLE_FORMATS:
            headers = mode
    table = params.get("table", "")
    if table and (table != "fields" or fmt != "csv"):
        errors["table"] = [_(TABLE_MESSAGE)]
    if errors:
        raise ValidationError(errors)
    return headers, bool(table)


def download_schema(*, staff: bool) -> dict:
    """The download's ``extend_schema`` arguments for this reader (geo.api.schema applies
    them per schema: the filters' enums come from the database)."""
    people = ("people", "machine")
    return {
        "operation_id": "layer_download",
        "summary": "Download a layer as GeoJSON, GeoPackage, Shapefile (zip), CSV or Excel",
        "description": (
            "Anonymous callers get published features with public fields only. GeoJSON is "
            "streamed (RFC 7946, WGS84, 6 decimals) with a top-level `data_as_of`; other "
            "formats carry a `data_as_of` column. CSV is UTF-8 with BOM with `lon`/`lat` of "
            "a point on the feature and a `wkt` column. The filters are those of the layer "
            "named (a filter of another layer is ignored); `table=fields` is for CSV only."
        ),
        "parameters": [
            OpenApiParameter("layer", str, OpenApiParameter.PATH, enum=list(LAYERS)),
            OpenApiParameter("fmt", str, OpenApiParameter.PATH, enum=list(FORMATS)),
            *filter_parameters(staff=staff),
            OpenApiParameter(
                "headers", {"type": "string", "enum": list(people)},
                description="CSV/Excel: people (default; headings in the active language, "
                "money also as 亿元/万元) or machine (the GeoJSON names); other formats "
                "have the machine names",
            ),
            OpenApiParameter(
                "table", {"type": "string", "enum": ["fields"]},
                description="CSV only: fields gives the field table of the CSV for people",
            ),
        ],
    }


def download_name(layer: str, fmt: str, as_of) -> str:
    """``projects-2026-11-30.gpkg``: the layer and the local (Asia/Shanghai) date."""
    return f"{layer}-{as_of.date().isoformat()}.{fmt}"


class LayerDownloadView(APIView):
    """Download a whole layer, with the map's filters, at the caller's permission level."""

    throttle_classes = [AnonBurstThrottle, AnonDownloadThrottle]
    renderer_classes = [JSONRenderer]  # for errors; files are written by the view itself

    def perform_content_negotiation(self, request, force=False):
        # "Accept: application/geo+json" or "text/csv" asks for the file itself, not a 406.
        return super().perform_content_negotiation(request, force=True)

    def get(self, request, layer: str, fmt: str):
        spec = get_layer(layer)
        if fmt not in FORMATS:
            raise NotFound(
                _("Unknown format %(fmt)s; choose one of: %(formats)s.")
                % {"fmt": fmt, "formats": ", ".join(FORMATS)}
            )
        staff = is_staff_reader(request.user)
        headers, fields_only = _people_options(
            request.query_params, fmt, foreign=other_layers_params(spec.name, staff=staff)
        )
        prepared = spec.prepare(request.query_params, staff=staff)
        queryset = prepared.queryset
        cache_control = "private, no-store" if staff else "public, max-age=60"
        tag = None
        if not spec.time_dependent(request.query_params):
            # The file's data_as_of says when it was written; an unchanged version means the
            # data is still as of now, so a 304 for an older copy is honest.
            tag = conditional.representation_etag(
                request,
                resource=f"{spec.name}.{fmt}.{headers}.{fields_only}.{get_language()}",
                sources=spec.sources,
                staff=staff,
                # A layer whose members read the clock (open now) changes by the minute.
                extra=[clock_minute()] if spec.per_minute(request.query_params) else (),
            )
            if response := conditional.not_modified(request, tag, cache_control=cache_control):
                return response
        properties = spec.properties(staff)
        as_of = timezone.localtime().replace(microsecond=0)
        if fmt == "geojson":
            response = StreamingHttpResponse(
                streaming.stream_collection(
                    queryset, geom=spec.geom, properties=properties, name=spec.name, as_of=as_of,
                    computed=prepared.computed, finish=prepared.finish,
                ),
                content_type=CONTENT_TYPES[fmt],
            )
        else:
            # geopandas/pyogrio load only for file formats (house style: heavy libraries at
            # the edge), so the GeoJSON stream and the map's requests never import them.
            from geo.exports import files

            table = files.load_table(
                queryset, geom=spec.geom, properties=properties, name=spec.name, as_of=as_of,
                computed=prepared.computed, finish=prepared.finish, columns=prepared.columns,
            )
            if fields_only:
                content = files.to_fields_csv(table)
            elif fmt in PEOPLE_FORMATS:
                content = files.WRITERS[fmt](table, headers=headers)
            else:
                content = files.WRITERS[fmt](table)
            response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
        name = download_name(spec.name, fmt, as_of)
        if fields_only:
            name = name.replace(".csv", "-fields.csv")
        elif fmt == "csv" and headers == labels.PEOPLE:
            # The CSV's field table is its own file (RFC 8288 "describedby").
            response["Link"] = f'<{request.path}?table=fields>; rel="describedby"'
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Vary"] = conditional.VARY
        response["Cache-Control"] = cache_control
        if tag:
            response["ETag"] = tag
        return response


FORMATS_PATTERN = r"^(?P<layer>[a-z_]{1,30})\.(?P<fmt>[A-Za-z0-9]{1,10})$"
