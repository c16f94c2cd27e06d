"""OGC API – Features Part 3: queryables and CQL2 filters, as Django ``Q`` on the layer's queryset.

The queryables of a layer are its *public* feature properties that are a plain column (or an
alias the layer's selector defines, such as a project's stage as of a month), plus the
geometry; types, enums and formats come from the model fields. Labels (translated) and computed
values are not queryable. pygeofilter parses ``cql2-text`` and ``cql2-json`` into an AST; the
small evaluator here turns the supported part of it into ``Q`` over those same columns, so a
filter narrows exactly the rows the selector would list (published rows only for the public),
and a property that is not queryable — a staff-only one included — is a 400 naming it.

Supported: Basic CQL2 (``= <> < <= > >=``, ``AND OR NOT``, ``IS NULL``, on strings, numbers,
booleans, dates and timestamps), ``LIKE`` (``%`` and ``_``), ``BETWEEN``, ``IN``, ``CASEI`` with
``=``, ``<>``, ``LIKE`` and ``IN``, and ``S_INTERSECTS`` with a WKT/GeoJSON geometry or
``BBOX(...)`` in ``filter-crs``. Arithmetic, other spatial and the temporal functions are
refused with a 400.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.geos import GEOSGeometry, Polygon
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connections
from django.db.models import (
    BooleanField,
    DateField,
    DateTimeField,
    DecimalField,
    FloatField,
    IntegerField,
    Q,
    QuerySet,
)
from django.utils import timezone
from django.utils.translation import gettext as _
from pygeofilter import ast, values

from geo import ogc_crs
from geo.exports.layers import Layer
from geo.geojson import LocalISO

CQL2_TEXT = "cql2-text"
CQL2_JSON = "cql2-json"
# The draft's name, which GDAL 3.6's OAPIF driver (Debian 12) sends: read as cql2-text.
CQL_TEXT_DRAFT = "cql-text"
FILTER_LANGS = (CQL2_TEXT, CQL2_JSON, CQL_TEXT_DRAFT)
GEOMETRY = "geometry"
# Past this many rows in a layer's table, LIKE/CASEI need a spatial predicate beside them.
SCAN_ROWS = 20_000

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions-plus",
]


@dataclass(frozen=True)
class Queryable:
    name: str
    path: str  # the ORM path on the layer's queryset
    schema: dict
    kind: str  # string, integer, number, boolean, date, date-time, geometry
    enum: tuple = field(default=())


def _field_for(model, path: str):
    """The model field at the end of ``path`` (``lead_department__name``), or None."""
    current = model
    found = None
    for part in path.split("__"):
        try:
            found = current._meta.get_field(part)
        except FieldDoesNotExist:
            return None
        if found.is_relation:
            current = found.related_model
    return found


def _kind(model_field) -> tuple[str, dict]:
    if isinstance(model_field, GeometryField):
        name = {
            "POINT": "point",
            "LINESTRING": "linestring",
            "POLYGON": "polygon",
            "MULTIPOLYGON": "multipolygon",
        }.get(model_field.geom_type.upper(), "any")
        return "geometry", {"format": f"geometry-{name}"}
    if isinstance(model_field, BooleanField):
        return "boolean", {"type": "boolean"}
    if isinstance(model_field, IntegerField):
        return "integer", {"type": "integer"}
    if isinstance(model_field, DecimalField | FloatField):
        return "number", {"type": "number"}
    if isinstance(model_field, DateTimeField):
        return "date-time", {"type": "string", "format": "date-time"}
    if isinstance(model_field, DateField):
        return "date", {"type": "string", "format": "date"}
    return "string", {"type": "string"}


def queryables(layer: Layer) -> dict[str, Queryable]:
    """The layer's queryables, by name, in the order of its public properties."""
    queryset = layer.queryset(layer.parse({}, False), False)
    model = queryset.model
    result: dict[str, Queryable] = {}
    geom_field = model._meta.get_field(layer.geom)
    kind, schema = _kind(geom_field)
    result[GEOMETRY] = Queryable(
        GEOMETRY,
        layer.geom,
        {
            "title": str(geom_field.verbose_name),
            **schema,
            "x-ogc-role": "primary-geometry",
        },
        kind,
    )
    for name, expression in layer.properties(False).items():
        if isinstance(expression, LocalISO):
            path = expression.source_expressions[0].name
        elif isinstance(expression, str):
            path = expression
        else:
            continue  # a label or a computed value
        # An alias of the selector (a project's stage as of a month): typed as the model's
        # field of the property's name.
        model_field = _field_for(model, path) or _field_for(model, name)
        if model_field is None:
            continue
        kind, schema = _kind(model_field)
        enum: tuple = ()
        if model_field.choices:
            enum = tuple(str(value) for value, _label in model_field.choices)
            schema["enum"] = list(enum)
        if kind == "string" and getattr(model_field, "max_length", None):
            schema["maxLength"] = model_field.max_length
        result[name] = Queryable(
            name, path, {"title": _title(model, path, model_field), **schema}, kind, enum
        )
    return result


def _title(model, path: str, model_field) -> str:
    """The field's verbose name; through a relation, the relation's (牵头单位, 牵头单位（编码）)."""
    if "__" not in path:
        return str(model_field.verbose_name)
    relation = _field_for(model, path.split("__")[0])
    if path.endswith("__name"):
        return str(relation.verbose_name)
    return f"{relation.verbose_name}（{model_field.verbose_name}）"


def queryables_schema(layer: Layer, url: str) -> dict:
    """The JSON Schema of ``/collections/{id}/queryables`` (OGC API – Features Part 3)."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": url,
        "type": "object",
        "title": str(layer.title),
        "properties": {q.name: q.schema for q in queryables(layer).values()},
        "additionalProperties": False,
    }


def _bad(message: str, code: str = "filter") -> ValidationError:
    return ValidationError({"filter": message}, code=code)


def parse(text: str, lang: str):
    """The AST of ``text`` in ``lang``; 400 with the position of a syntax error."""
    from lark.exceptions import LarkError, UnexpectedInput

    if lang not in FILTER_LANGS:
        raise ValidationError(
            {
                "filter-lang": _("Unknown filter-lang %(lang)s; supported: %(langs)s.")
                % {"lang": lang, "langs": ", ".join(FILTER_LANGS)}
            },
            code="filter_lang",
        )
    if lang in (CQL2_TEXT, CQL_TEXT_DRAFT):
        from pygeofilter.parsers.cql2_text import parse as parse_text

        try:
            return parse_text(text)
        except UnexpectedInput as exc:
            raise ValidationError(
                {
                    "filter": _("Syntax error in the filter at line %(line)s, column %(column)s.")
                    % {"line": exc.line, "column": exc.column}
                },
                code="filter_syntax",
            ) from None
        except (LarkError, ValueError, TypeError) as exc:
            raise _bad(_("The filter could not be read: %(error)s") % {"error": exc}) from None
    from pygeofilter.parsers.cql2_json import parse as parse_json

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            {
                "filter": _("Syntax error in the filter at line %(line)s, column %(column)s.")
                % {"line": exc.lineno, "column": exc.colno}
            },
            code="filter_syntax",
        ) from None
    try:
        return parse_json(data)
    except Exception:  # pygeofilter raises KeyError/ValueError/TypeError on unknown shapes
        raise _bad(_("The filter is not a CQL2 JSON expression this server understands.")) from None


_COMPARE = {
    ast.Equal: "exact",
    ast.LessThan: "lt",
    ast.LessEqual: "lte",
    ast.GreaterThan: "gt",
    ast.GreaterEqual: "gte",
}
_TEMPORAL = {ast.TimeAfter: "gt", ast.TimeBefore: "lt", ast.TimeEquals: "exact"}


class Translator:
    """Turns a pygeofilter AST into ``Q`` over a layer's queryables."""

    def __init__(self, layer: Layer, *, filter_crs: ogc_crs.Crs):
        self.layer = layer
        self.queryables = queryables(layer)
        self.staff_only = set(layer.properties(True)) - set(layer.properties(False))
        self.crs = filter_crs
        # A predicate no index serves (a function on the column, LIKE): see bounded().
        self.scans = False
        self.spatial = False

    # -- properties and values ---------------------------------------------------------------
    def queryable(self, node) -> Queryable:
        name = node.name
        if name in self.queryables:
            return self.queryables[name]
        if name in self.staff_only:
            message = _("Property %(name)s is not queryable: it is not public.")
        else:
            message = _("Property %(name)s is not queryable; queryables: %(names)s.")
        raise ValidationError(
            {"filter": message % {"name": name, "names": ", ".join(self.queryables)}},
            code="not_queryable",
        )

    def value(self, q: Queryable, raw):
        """``raw`` (a literal of the filter) as a value of ``q``'s type; 400 otherwise."""
        wrong = ValidationError(
            {
                "filter": _("%(value)s is not a valid value for %(name)s (%(kind)s).")
                % {
                    "value": json.dumps(raw, default=str, ensure_ascii=False),
                    "name": q.name,
                    "kind": q.kind,
                }
            },
            code="filter_value",
        )
        if q.kind == "geometry" or isinstance(raw, ast.Node | values.Geometry):
            raise wrong
        if q.kind in ("integer", "number"):
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                raise wrong
            if q.kind == "integer" and raw != int(raw):
                raise wrong
            return raw
        if q.kind == "boolean":
            if not isinstance(raw, bool):
                raise wrong
            return raw
        if q.kind == "date":
            if isinstance(raw, dt.datetime):
                return timezone.localtime(raw).date() if raw.tzinfo else raw.date()
            if isinstance(raw, dt.date):
                return raw
            if isinstance(raw, str):
                try:
                    return dt.date.fromisoformat(raw)
                except ValueError:
                    raise wrong from None
            raise wrong
        if q.kind == "date-time":
            if isinstance(raw, dt.datetime):
                return raw if raw.tzinfo else timezone.make_aware(raw)
            if isinstance(raw, dt.date):
                return timezone.make_aware(dt.datetime.combine(raw, dt.time()))
            raise wrong
        if not isinstance(raw, str):
            raise wrong
        if q.enum and raw not in q.enum:
            raise ValidationError(
                {
                    "filter": _("%(value)s is not one of the values of %(name)s: %(enum)s.")
                    % {"value": raw, "name": q.name, "enum": ", ".join(q.enum)}
                },
                code="filter_value",
            )
        return raw

    def side(self, node) -> tuple[Queryable, bool]:
        """(queryable, casei) of an expression naming a property: ``p`` or ``CASEI(p)``."""
        if isinstance(node, ast.Attribute):
            return self.queryable(node), False
        if (
            isinstance(node, ast.Function)
            and node.name == "lower"
            and len(node.arguments) == 1
            and isinstance(node.arguments[0], ast.Attribute)
        ):
            q = self.queryable(node.arguments[0])
            if q.kind != "string":
                raise _bad(_("CASEI applies to text, not to %(name)s.") % {"name": q.name})
            self.scans = True
            return q, True
        if isinstance(node, ast.Arithmetic):
            raise _bad(_("Arithmetic in filters is not supported."))
        if isinstance(node, ast.Function):
            raise _bad(_("The function %(name)s is not supported.") % {"name": node.name})
        raise _bad(_("A comparison needs a property on one side."))

    @staticmethod
    def literal(node):
        """A literal, with ``CASEI('x')`` read as 'x' (the comparison is case-insensitive)."""
        if isinstance(node, ast.Function) and node.name == "lower" and len(node.arguments) == 1:
            return node.arguments[0], True
        if isinstance(node, ast.Attribute | ast.Function | ast.Arithmetic):
            raise _bad(_("Comparing two properties is not supported."))
        return node, False

    # -- the tree ------------------------------------------------------------------------------
    def q(self, node) -> Q:  # noqa: C901 - one branch per node type reads best
        if isinstance(node, ast.And):
            return self.q(node.lhs) & self.q(node.rhs)
        if isinstance(node, ast.Or):
            return self.q(node.lhs) | self.q(node.rhs)
        if isinstance(node, ast.Not):
            return ~self.q(node.sub_node)
        if isinstance(node, ast.Include):
            return Q(pk__in=[]) if node.not_ else Q()
        if isinstance(node, bool):
            return Q() if node else Q(pk__in=[])
        if isinstance(node, ast.Comparison):
            return self.comparison(node)
        if isinstance(node, ast.Between):
            q, casei = self.side(node.lhs)
            if casei or q.kind in ("string", "boolean"):
                raise _bad(_("BETWEEN needs a number or a date."))
            low, high = self.value(q, node.low), self.value(q, node.high)
            result = Q(**{f"{q.path}__range": (low, high)})
            return ~result & Q(**{f"{q.path}__isnull": False}) if node.not_ else result
        if isinstance(node, ast.Like):
            return self.like(node)
        if isinstance(node, ast.In):
            q, casei = self.side(node.lhs)
            options = [self.literal(option) for option in node.sub_nodes]
            casei = casei or any(flag for _, flag in options)
            if casei:
                result = Q(pk__in=[])
                for option, _flag in options:
                    result |= Q(**{f"{q.path}__iexact": self.value(q, option)})
            else:
                result = Q(**{f"{q.path}__in": [self.value(q, o) for o, _ in options]})
            return ~result & Q(**{f"{q.path}__isnull": False}) if node.not_ else result
        if isinstance(node, ast.IsNull):
            q, _casei = self.side(node.lhs)
            return Q(**{f"{q.path}__isnull": not node.not_})
        if isinstance(node, ast.GeometryIntersects):
            return self.intersects(node)
        if isinstance(
            node,
            ast.SpatialComparisonPredicate | ast.SpatialDistancePredicate | ast.Relate | ast.BBox,
        ):
            raise _bad(_("Of the spatial functions only S_INTERSECTS is supported."))
        if isinstance(node, ast.TemporalPredicate):
            return self.temporal(node)
        raise _bad(
            _("This part of the filter is not supported: %(part)s.") % {"part": type(node).__name__}
        )

    def comparison(self, node) -> Q:
        lhs, rhs, op = node.lhs, node.rhs, type(node)
        if isinstance(lhs, ast.Arithmetic) or isinstance(rhs, ast.Arithmetic):
            raise _bad(_("Arithmetic in filters is not supported."))
        if not isinstance(lhs, ast.Attribute | ast.Function) or (
            isinstance(lhs, ast.Function)
            and not any(isinstance(a, ast.Attribute) for a in lhs.arguments)
        ):
            # literal op property: swap the sides (and the direction).
            lhs, rhs = rhs, lhs
            op = {
                ast.LessThan: ast.GreaterThan,
                ast.GreaterThan: ast.LessThan,
                ast.LessEqual: ast.GreaterEqual,
                ast.GreaterEqual: ast.LessEqual,
            }.get(op, op)
        q, casei = self.side(lhs)
        raw, literal_casei = self.literal(rhs)
        casei = casei or literal_casei
        value = self.value(q, raw)
        if q.kind == "geometry":
            raise _bad(_("Compare geometries with S_INTERSECTS."))
        if op is ast.NotEqual:
            if casei:
                return ~Q(**{f"{q.path}__iexact": value}) & Q(**{f"{q.path}__isnull": False})
            return Q(**{f"{q.path}__lt": value}) | Q(**{f"{q.path}__gt": value})
        lookup = _COMPARE[op]
        if casei:
            if lookup != "exact":
                raise _bad(_("CASEI works with =, <>, LIKE and IN."))
            lookup = "iexact"
        return Q(**{f"{q.path}__{lookup}": value})

    def like(self, node) -> Q:
        q, casei = self.side(node.lhs)
        pattern, literal_casei = self.literal(node.pattern)
        casei = casei or literal_casei or node.nocase
        if q.kind != "string" or not isinstance(pattern, str):
            raise _bad(_("LIKE compares text with a text pattern."))
        self.scans = True
        regex = "^"
        escaped = False
        for char in pattern:
            if escaped:
                regex += re.escape(char)
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == "%":
                regex += ".*"
            elif char == "_":
                regex += "."
            else:
                regex += re.escape(char)
        regex += "$"
        result = Q(**{f"{q.path}__{'iregex' if casei else 'regex'}": regex})
        return ~result & Q(**{f"{q.path}__isnull": False}) if node.not_ else result

    def geometry(self, node) -> GEOSGeometry:
        crs = self.crs
        if isinstance(node, ast.Function) and node.name == "bbox" and len(node.arguments) in (4,):
            numbers = node.arguments
            if not all(isinstance(n, int | float) and not isinstance(n, bool) for n in numbers):
                raise _bad(_("BBOX needs four numbers."))
            a1, b1, a2, b2 = numbers
            e1, n1, e2, n2 = (b1, a1, b2, a2) if crs.north_first else (a1, b1, a2, b2)
            geom = Polygon.from_bbox((e1, n1, e2, n2))
        elif isinstance(node, values.Envelope):
            geom = Polygon.from_bbox((node.x1, node.y1, node.x2, node.y2))
            if crs.north_first:
                geom = Polygon.from_bbox((node.y1, node.x1, node.y2, node.x2))
        elif isinstance(node, values.Geometry):
            shape = node.geometry
            if crs.north_first:
                shape = _flip(shape)
            try:
                geom = GEOSGeometry(json.dumps(shape))
            except Exception:  # GEOS/GDAL errors on a malformed shape
                raise _bad(_("The geometry in the filter is not valid.")) from None
        else:
            raise _bad(_("S_INTERSECTS needs the geometry property and a geometry."))
        geom.srid = crs.srid
        return geom

    def intersects(self, node) -> Q:
        lhs, rhs = node.lhs, node.rhs
        if not isinstance(lhs, ast.Attribute):
            lhs, rhs = rhs, lhs
        q, _casei = self.side(lhs)
        if q.kind != "geometry":
            raise _bad(_("S_INTERSECTS needs the geometry property and a geometry."))
        self.spatial = True
        return Q(**{f"{q.path}__intersects": self.geometry(rhs)})

    def temporal(self, node) -> Q:
        if type(node) not in _TEMPORAL:
            raise _bad(
                _(
                    "Of the temporal functions only T_AFTER, T_BEFORE and T_EQUALS on "
                    "instants are supported."
                )
            )
        q, casei = self.side(node.lhs)
        if q.kind not in ("date", "date-time") or casei:
            raise _bad(_("Temporal functions need a date property."))
        return Q(**{f"{q.path}__{_TEMPORAL[type(node)]}": self.value(q, node.rhs)})


def _flip(shape):
    """GeoJSON-like coordinates with their first two axes swapped."""

    def swap(coords):
        if coords and isinstance(coords[0], int | float):
            return [coords[1], coords[0], *coords[2:]]
        return [swap(c) for c in coords]

    if shape.get("type") == "GeometryCollection":
        return {**shape, "geometries": [_flip(g) for g in shape["geometries"]]}
    return {**shape, "coordinates": swap(shape["coordinates"])}


def table_rows(queryset: QuerySet) -> int:
    """The planner's estimate of the rows in the queryset's table (pg_class.reltuples)."""
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [queryset.model._meta.db_table],
        )
        row = cursor.fetchone()
    return max(int(row[0]), 0) if row else 0


def filter_q(
    layer: Layer,
    text: str,
    lang: str,
    *,
    filter_crs: ogc_crs.Crs,
    queryset: QuerySet,
    narrowed: bool,
) -> Q:
    """``Q`` for the CQL2 ``text``. A predicate no index serves (LIKE, CASEI) on a table past
    ``OGC_FILTER_SCAN_ROWS`` rows is refused unless a spatial predicate (``bbox`` or
    ``S_INTERSECTS``, served by the GiST index) narrows it; ``narrowed`` says bbox was given."""
    translator = Translator(layer, filter_crs=filter_crs)
    result = translator.q(parse(text, lang))
    if translator.scans and not (narrowed or translator.spatial):
        limit = getattr(settings, "OGC_FILTER_SCAN_ROWS", SCAN_ROWS)
        if table_rows(queryset) > limit:
            raise _bad(
                _(
                    "LIKE and CASEI read every row of this collection (more than %(limit)d): "
                    "narrow the filter with bbox or S_INTERSECTS."
                )
                % {"limit": limit},
                code="filter_scan",
            )
    return result


def parameter_q(layer: Layer, name: str, raw: str) -> Q:
    """``?name=value`` for a queryable that is not one of the layer's own list filters."""
    q = queryables(layer)[name]
    kinds = {
        "integer": int,
        "number": float,
        "boolean": lambda v: {"true": True, "false": False}[v],
        "date": dt.date.fromisoformat,
        "date-time": lambda v: dt.datetime.fromisoformat(v.replace("Z", "+00:00")),
    }
    try:
        value = kinds.get(q.kind, str)(raw)
    except (ValueError, KeyError):
        raise ValidationError(
            {
                name: _("%(value)s is not a valid value for %(name)s (%(kind)s).")
                % {"value": raw, "name": name, "kind": q.kind}
            },
            code="parameter_value",
        ) from None
    if q.kind == "geometry":
        raise ValidationError({name: _("Filter on the geometry with bbox.")})
    if q.enum and value not in q.enum:
        raise ValidationError(
            {
                name: _("%(value)s is not one of the values of %(name)s: %(enum)s.")
                % {"value": raw, "name": name, "enum": ", ".join(q.enum)}
            },
            code="parameter_value",
        )
    if q.kind == "date-time" and value.tzinfo is None:
        value = timezone.make_aware(value)
    return Q(**{q.path: value})
