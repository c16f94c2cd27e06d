"""GeoJSON built in SQL: ``ST_AsGeoJSON`` per feature, ``json_agg`` for the collection.

Serialising features one by one in Python is 10-15x slower; here PostgreSQL writes the text and
Python only passes it on. Output follows RFC 7946: WGS84 lon/lat, no ``crs`` member, exterior
rings counter-clockwise (§3.1.6), 6 decimals (about 0.1 m at this latitude).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping

from django.db import connection
from django.db.models import Case, CharField, Expression, F, Func, QuerySet, TextField, Value, When
from django.db.models.functions import JSONObject

PRECISION = 6


class GeoJSONGeometry(Func):
    """``ST_AsGeoJSON`` of the counter-clockwise-forced geometry, as text (no crs, no bbox)."""

    output_field = TextField()

    def __init__(self, expression, precision: int = PRECISION):
        super().__init__(expression, Value(precision))

    def as_sql(self, compiler, connection, **extra_context):
        geom, geom_params = compiler.compile(self.source_expressions[0])
        prec, prec_params = compiler.compile(self.source_expressions[1])
        # ST_ForcePolygonCCW only on polygons: PostGIS 3.3 reverses line strings too.
        sql = (
            f"ST_AsGeoJSON(CASE WHEN ST_Dimension({geom}) = 2 THEN ST_ForcePolygonCCW({geom}) "
            f"ELSE {geom} END, {prec}, 0)"
        )
        return sql, (*geom_params, *geom_params, *geom_params, *prec_params)


class LocalISO(Func):
    """A timestamptz as ISO 8601 in Asia/Shanghai with its +08:00 offset (China has no DST)."""

    output_field = CharField()
    template = (
        "to_char(%(expressions)s AT TIME ZONE 'Asia/Shanghai', "
        "'YYYY-MM-DD\"T\"HH24:MI:SS\"+08:00\"')"
    )


def choice_label(field: str, choices: Iterable[tuple[str, object]]) -> Case:
    """The display label of a choice field, in the active language, computed in SQL."""
    return Case(
        *[When(**{field: value}, then=Value(str(label))) for value, label in choices],
        default=F(field),
        output_field=CharField(),
    )


def _feature_values(
    queryset: QuerySet, geom: str, properties: Mapping[str, Expression | str]
) -> QuerySet:
    props = {name: F(expr) if isinstance(expr, str) else expr for name, expr in properties.items()}
    return queryset.values("pk").annotate(
        _geometry=GeoJSONGeometry(geom), _properties=JSONObject(**props)
    ).values("pk", "_geometry", "_properties")


FEATURE_SQL = (
    "json_build_object('type', 'Feature', 'id', t.pk, "
    "'geometry', t._geometry::json, 'properties', t._properties)"
)


def features_sql(
    queryset: QuerySet, *, geom: str, properties: Mapping[str, Expression | str]
) -> tuple[str, tuple]:
    """SQL yielding one GeoJSON Feature (json) per row, in the queryset's order."""
    inner, params = _feature_values(queryset, geom, properties).query.sql_with_params()
    return f"SELECT {FEATURE_SQL} AS feature FROM ({inner}) t", params


def feature_collection(
    queryset: QuerySet,
    *,
    geom: str,
    properties: Mapping[str, Expression | str],
    members: Mapping[str, object] | None = None,
) -> str:
    """The whole FeatureCollection as JSON text, built by PostgreSQL in one query."""
    rows_sql, params = features_sql(queryset, geom=geom, properties=properties)
    extra = ""
    extra_params: list = []
    for key, value in (members or {}).items():
        extra += ", %s, %s::json"
        extra_params += [key, _json_literal(value)]
    sql = (
        "SELECT json_build_object('type', 'FeatureCollection'" + extra + ", 'features', "
        f"coalesce(json_agg(f.feature), '[]'::json))::text FROM ({rows_sql}) f"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, (*extra_params, *params))
        return cursor.fetchone()[0]


def feature(
    queryset: QuerySet, *, geom: str, properties: Mapping[str, Expression | str]
) -> str | None:
    """One Feature as JSON text, or None when the queryset is empty."""
    rows_sql, params = features_sql(queryset[:1], geom=geom, properties=properties)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT f.feature::text FROM ({rows_sql}) f", params)
        row = cursor.fetchone()
    return row[0] if row else None


def _json_literal(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def feature_dicts(
    queryset: QuerySet, *, geom: str, properties: Mapping[str, Expression | str]
) -> list[dict]:
    """Features as dicts, for layers whose properties Python completes (e.g. market hours)."""
    rows_sql, params = features_sql(queryset, geom=geom, properties=properties)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT f.feature::text FROM ({rows_sql}) f", params)
        return [json.loads(row[0]) for row in cursor.fetchall()]


def dumps(data: object) -> str:
    """JSON text with Chinese characters as they are (not \\u escapes)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
