"""GeoJSON built in SQL: PostgreSQL writes every Feature (``ST_AsGeoJSON`` + one ``format()``);
a collection is those rows joined as bytes.

Serialising features one by one in Python is 10-15x slower; here PostgreSQL writes the text and
Python only passes it on. Output follows RFC 7946: WGS84 lon/lat, no ``crs`` member, exterior
rings counter-clockwise (§3.1.6), 6 decimals (about 0.1 m at this latitude).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import psycopg2.extensions
from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    DecimalField,
    Expression,
    F,
    Field,
    Func,
    IntegerField,
    QuerySet,
    TextField,
    Value,
    When,
)

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


class JSONText(Func):
    """An expression whose value is JSON text already: features write it as it is."""

    template = "%(expressions)s"
    output_field = TextField()


def choice_label(field: str, choices: Iterable[tuple[str, object]]) -> JSONText:
    """The display label of a choice field in the active language, as JSON text (an unknown
    value shows its code). Quoted here, once, not escaped again for every row."""
    return JSONText(Case(
        *[When(**{field: value}, then=Value(json.dumps(str(label), ensure_ascii=False)))
          for value, label in choices],
        default=Func(F(field), template="to_json(%(expressions)s)::text"),
        output_field=TextField(),
    ))


@dataclass(frozen=True)
class Computed:
    """Feature properties written from helper columns of the inner query.

    ``columns`` are selected by the inner query (``t.<name>``) but not output themselves;
    each member is ``(key, sql, params)`` with ``sql`` over those columns yielding JSON text.
    Lets a layer evaluate an expensive value once per row and use it in several members.
    """

    columns: Mapping[str, Expression]
    members: Sequence[tuple[str, str, Sequence]]


# format() takes at most 100 arguments (FUNC_MAX_ARGS); longer objects are written in chunks.
_FORMAT_ARGS = 90


def json_text_sql(ref: str, field: Field, expression: object = None) -> str:
    """SQL writing column ``ref`` (of model field type ``field``, computed by ``expression``)
    as JSON text, never NULL.

    JSONText is written as it is, LocalISO quoted (digits and separators only), integers and
    booleans directly, numerics directly unless NaN or infinite (which JSON cannot hold:
    to_json quotes them), everything else (text, dates, json) by to_json, which escapes and
    formats as json_build_object does.
    """
    if isinstance(expression, JSONText):
        return f"coalesce({ref}, 'null')"
    if isinstance(expression, LocalISO):
        return f"coalesce('\"' || {ref} || '\"', 'null')"
    if isinstance(field, BooleanField):
        return f"CASE WHEN {ref} THEN 'true' WHEN NOT {ref} THEN 'false' ELSE 'null' END"
    if isinstance(field, IntegerField):
        return f"coalesce({ref}::text, 'null')"
    if isinstance(field, DecimalField):
        return (
            f"CASE WHEN {ref} IS NULL THEN 'null' "
            f"WHEN {ref} < 'Infinity' AND {ref} > '-Infinity' THEN {ref}::text "
            f"ELSE to_json({ref})::text END"
        )
    return f"coalesce(to_json({ref})::text, 'null')"


def _format_sql(parts: Sequence[tuple[str, str, Sequence]], tail: str) -> tuple[str, list]:
    """SQL concatenating ``literal + value`` for each ``(literal, value_sql, params)``, then
    ``tail``: one format() call per chunk of arguments, so the text is written once instead of
    copied by each ``||``. The templates go as parameters (a literal %% would meet the
    driver's own %-formatting)."""
    chunks = [parts[i:i + _FORMAT_ARGS] for i in range(0, len(parts), _FORMAT_ARGS)] or [[]]
    sqls, params = [], []
    for n, chunk in enumerate(chunks):
        template = "".join(lit.replace("%", "%%") + "%s" for lit, _, _ in chunk)
        if n == len(chunks) - 1:
            template += tail.replace("%", "%%")
        sqls.append("format(%s" + "".join(f", {sql}" for _, sql, _ in chunk) + ")")
        params.append(template)
        for _, _, p in chunk:
            params.extend(p)
    return " || ".join(sqls), params


def features_sql(
    queryset: QuerySet,
    *,
    geom: str,
    properties: Mapping[str, Expression | str],
    computed: Computed | None = None,
) -> tuple[str, tuple]:
    """SQL yielding one GeoJSON Feature (text) per row, in the queryset's order.

    The inner query selects each property as a column; the outer writes the feature with
    format() over their JSON texts. The geometry (GeoJSON text from ST_AsGeoJSON) is never
    parsed again, and no per-row json_build_object looks up the type of every argument: about
    half the cost on large layers.
    """
    columns = {
        f"_p{i}": F(e) if isinstance(e, str) else e for i, e in enumerate(properties.values())
    }
    helpers = dict(computed.columns) if computed else {}
    qs = queryset.values("pk").annotate(
        _geometry=GeoJSONGeometry(geom), **columns, **helpers
    ).values("pk", "_geometry", *columns, *helpers)
    annotations = qs.query.annotations
    parts: list[tuple[str, str, Sequence]] = [
        ('{"type":"Feature","id":', "t.pk::text", ()),
        (',"geometry":', "coalesce(t._geometry, 'null')", ()),
    ]
    members = [
        (key, json_text_sql(f"t._p{i}", annotations[f"_p{i}"].output_field, expr), ())
        for i, (key, expr) in enumerate(properties.items())
    ] + list(computed.members if computed else ())
    for n, (key, sql, params) in enumerate(members):
        lead = ',"properties":{' if n == 0 else ","
        parts.append((f"{lead}{json.dumps(key, ensure_ascii=False)}:", sql, params))
    tail = "}}" if members else ',"properties":{}}'
    feature, feature_params = _format_sql(parts, tail)
    inner, inner_params = qs.query.sql_with_params()
    # OFFSET 0 keeps PostgreSQL from pulling the subquery up and pasting each column's
    # expression into every member that reads it.
    fence = "" if qs.query.is_sliced else " OFFSET 0"  # a LIMIT is a fence already
    return (
        f"SELECT {feature} AS feature FROM ({inner}{fence}) t",
        (*feature_params, *inner_params),
    )


def feature_collection(
    queryset: QuerySet,
    *,
    geom: str,
    properties: Mapping[str, Expression | str],
    members: Mapping[str, object] | None = None,
    computed: Computed | None = None,
) -> bytes:
    """The whole FeatureCollection as UTF-8 JSON, its features written by PostgreSQL.

    The rows arrive as bytes (no decoding into Python strings) and are joined once here:
    cheaper than string_agg, which copies the growing text on the server at every doubling.
    """
    head = dumps({"type": "FeatureCollection", **(members or {})})[:-1] + ',"features":['
    try:
        rows_sql, params = features_sql(
            queryset, geom=geom, properties=properties, computed=computed
        )
    except EmptyResultSet:  # a queryset Django knows is empty (pk__in=[]) compiles no SQL
        return head.encode() + b"]}"
    # connections[queryset.db]: the router's choice (the read replica for anonymous reads).
    with connections[queryset.db].cursor() as cursor:
        raw = cursor.cursor  # the driver's cursor, to read text columns as bytes
        psycopg2.extensions.register_type(psycopg2.extensions.BYTES, raw)
        cursor.execute(rows_sql, params)
        rows = [row[0] for row in raw.fetchall()]
    if not rows:
        return head.encode() + b"]}"
    # Head and tail ride on the first and last feature: the body is copied once, by join.
    rows[0] = head.encode() + rows[0]
    rows[-1] += b"]}"
    return b",".join(rows)


def feature(
    queryset: QuerySet,
    *,
    geom: str,
    properties: Mapping[str, Expression | str],
    computed: Computed | None = None,
) -> str | None:
    """One Feature as JSON text, or None when the queryset is empty."""
    try:
        rows_sql, params = features_sql(
            queryset[:1], geom=geom, properties=properties, computed=computed
        )
    except EmptyResultSet:
        return None
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"SELECT f.feature::text FROM ({rows_sql}) f", params)
        row = cursor.fetchone()
    return row[0] if row else None


def feature_dicts(
    queryset: QuerySet,
    *,
    geom: str,
    properties: Mapping[str, Expression | str],
    computed: Computed | None = None,
) -> list[dict]:
    """Features as dicts, for layers whose properties Python completes (e.g. market hours)."""
    try:
        rows_sql, params = features_sql(
            queryset, geom=geom, properties=properties, computed=computed
        )
    except EmptyResultSet:
        return []
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"SELECT f.feature::text FROM ({rows_sql}) f", params)
        return [json.loads(row[0]) for row in cursor.fetchall()]


def dumps(data: object) -> str:
    """JSON text with Chinese characters as they are (not \\u escapes)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
