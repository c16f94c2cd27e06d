"""Check incoming geometry before it is written: GeoJSON polygons inside the city, valid, small.

Every geometry write (API, editor, admin, bulk import) goes through ``polygon_from_geojson`` (for
GeoJSON objects) or ``check_polygon`` (for GEOS geometries). Structural checks run on the plain
Python data first, so that a huge or malformed payload is rejected before GEOS or PostGIS sees
it; validity comes from PostGIS (ST_IsValid/ST_IsValidReason), the same test as the column's
CHECK constraint.
"""

from __future__ import annotations

import json
import math
import re
from numbers import Real

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Polygon
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils.translation import gettext as _

from geo.crs import STORAGE_SRID

# A GeoJSON request body never needs more than a handful of levels (Feature > geometry >
# MultiPolygon coordinates = 6); anything deeper is refused before json.loads recurses.
MAX_JSON_DEPTH = 32
# Largest request body accepted by the geometry parsers: 5,000 vertices at full precision are
# about 250 kB; 4 MB leaves room for properties and pretty-printing.
MAX_JSON_BYTES = 4 * 1024 * 1024

# "POLYGON((...))", "SRID=4326;MULTIPOLYGON(...)", "POINT Z (...)": text a client might send.
_WKT = re.compile(
    r"^\s*(SRID=\d+\s*;\s*)?(POINT|LINESTRING|POLYGON|MULTI\w+|GEOMETRYCOLLECTION|TRIANGLE|TIN)\b",
    re.IGNORECASE,
)
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")
_DEPTH_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


def _fail(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


def json_depth(raw: bytes) -> int:
    """The deepest nesting of arrays/objects in JSON text (brackets inside strings ignored)."""
    depth = deepest = 0
    for match in _BRACKETS.finditer(_STRINGS.sub(b'""', raw)):
        depth += _DEPTH_STEP[match.group()[0]]
        deepest = max(deepest, depth)
    return deepest


def _reject_constant(name: str) -> float:
    raise ValueError(
        _("%(value)s is not a JSON number; send finite coordinates.") % {"value": name}
    )


def load_json(raw: bytes | str) -> object:
    """Parse JSON text, refusing huge bodies, deep nesting and NaN/Infinity without recursion."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8")
    if len(raw) > MAX_JSON_BYTES:
        raise _fail(
            _("The request is too large (more than %(max)d bytes); a boundary may have at most "
              "%(vertices)d vertices.")
            % {"max": MAX_JSON_BYTES, "vertices": settings.MARKET_MAX_VERTICES},
            "too_large",
        )
    if json_depth(raw) > MAX_JSON_DEPTH:
        raise _fail(
            _("The JSON is nested too deeply (more than %(max)d levels).")
            % {"max": MAX_JSON_DEPTH},
            "too_deep",
        )
    try:
        return json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        message = _("The request is not valid JSON: %(error)s") % {"error": exc}
        raise _fail(message, "json") from None


def city_boundary() -> GEOSGeometry:
    """The stored city boundary (union of CityBoundary rows), else settings.CITY_BBOX."""
    from geo.models import CityBoundary

    geoms = [row.geom for row in CityBoundary.objects.all()]
    if not geoms:
        poly = Polygon.from_bbox(settings.CITY_BBOX)
        poly.srid = STORAGE_SRID
        return poly
    union = geoms[0]
    for geom in geoms[1:]:
        union = union.union(geom)
    return union


def _position(value: object, where: str) -> tuple[float, float]:
    if not isinstance(value, list | tuple) or len(value) < 2:
        raise _fail(
            _("%(where)s: a position must be [longitude, latitude].") % {"where": where},
            "position",
        )
    if len(value) > 2:
        raise _fail(
            _("%(where)s: 3-D coordinates are not accepted; send [longitude, latitude] only.")
            % {"where": where},
            "three_d",
        )
    for number in value:
        if isinstance(number, bool) or not isinstance(number, Real):
            raise _fail(
                _("%(where)s: coordinates must be numbers.") % {"where": where}, "position"
            )
        if not math.isfinite(number):
            raise _fail(
                _("%(where)s: coordinates must be finite numbers (no NaN or Infinity).")
                % {"where": where},
                "not_finite",
            )
    return float(value[0]), float(value[1])


class _Counter:
    def __init__(self) -> None:
        self.vertices = 0

    def add(self, count: int) -> None:
        self.vertices += count
        if self.vertices > settings.MARKET_MAX_VERTICES:
            raise _fail(
                _("The boundary has more than %(max)d vertices; simplify it.")
                % {"max": settings.MARKET_MAX_VERTICES},
                "too_many_vertices",
            )


def _rings(value: object, where: str, counter: _Counter) -> list[list[tuple[float, float]]]:
    if not isinstance(value, list) or not value:
        raise _fail(_("%(where)s: the polygon has no coordinates.") % {"where": where}, "empty")
    rings = []
    for index, ring in enumerate(value):
        label = _("%(where)s, ring %(n)d") % {"where": where, "n": index + 1}
        if not isinstance(ring, list) or not ring:
            raise _fail(_("%(where)s: the ring is empty.") % {"where": label}, "empty")
        # Count before converting, so 200,000 vertices cost one len() and no parsing.
        counter.add(len(ring))
        points = [_position(p, label) for p in ring]
        if len(points) < 4:
            raise _fail(
                _("%(where)s: a ring needs at least 4 positions (3 corners and the first one "
                  "repeated); it has %(n)d.") % {"where": label, "n": len(points)},
                "ring_too_short",
            )
        if points[0] != points[-1]:
            raise _fail(
                _("%(where)s: the ring is not closed; its last position must repeat the first.")
                % {"where": label},
                "ring_not_closed",
            )
        rings.append(points)
    return rings


def polygon_from_geojson(value: object) -> MultiPolygon:
    """Check a GeoJSON Polygon/MultiPolygon geometry object; return it as a valid MultiPolygon."""
    return check_polygon(parse_polygon_geojson(value))


def parse_polygon_geojson(value: object) -> MultiPolygon:
    """The shape of a GeoJSON Polygon/MultiPolygon object, as a MultiPolygon; no database.

    A view reads the document with this; the service that saves the boundary validates it
    once with ``check_polygon`` (validity and the city boundary need the database).
    """
    if isinstance(value, str):
        if _WKT.match(value):
            raise _fail(
                _("WKT/EWKT text is not accepted; send a GeoJSON geometry object "
                  '({"type": "Polygon", "coordinates": [...]}).'),
                "not_geojson",
            )
        raise _fail(_("Send a GeoJSON geometry object, not text."), "not_geojson")
    if not isinstance(value, dict):
        raise _fail(_("Send a GeoJSON geometry object."), "not_geojson")
    kind = value.get("type")
    if kind not in ("Polygon", "MultiPolygon"):
        raise _fail(
            _("The boundary must be a Polygon or MultiPolygon, not %(type)s.")
            % {"type": kind if isinstance(kind, str) else _("an unknown type")},
            "geometry_type",
        )
    coords = value.get("coordinates")
    if not isinstance(coords, list) or not coords:
        raise _fail(_("The boundary has no coordinates."), "empty")
    counter = _Counter()
    if kind == "Polygon":
        parts = [_rings(coords, _("Polygon"), counter)]
    else:
        parts = [
            _rings(part, _("Part %(n)d") % {"n": i + 1}, counter) for i, part in enumerate(coords)
        ]
    return MultiPolygon(*[Polygon(*rings) for rings in parts], srid=STORAGE_SRID)


def _is_valid(geom: GEOSGeometry) -> tuple[bool, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_IsValid(g), ST_IsValidReason(g) FROM (SELECT ST_GeomFromEWKB(%s) g) t",
            [bytes(geom.ewkb)],
        )
        return cursor.fetchone()


def check_polygon(geom: GEOSGeometry) -> MultiPolygon:
    """Check a GEOS polygon geometry (type, 2-D, size, finite, valid, inside the city)."""
    if geom.geom_type == "Polygon":
        geom = MultiPolygon(geom, srid=geom.srid)
    if geom.geom_type != "MultiPolygon":
        raise _fail(
            _("The boundary must be a Polygon or MultiPolygon, not %(type)s.")
            % {"type": geom.geom_type},
            "geometry_type",
        )
    if geom.srid is None:
        geom.srid = STORAGE_SRID
    elif geom.srid != STORAGE_SRID:
        geom = geom.transform(STORAGE_SRID, clone=True)
    if geom.hasz:
        raise _fail(
            _("3-D coordinates are not accepted; send [longitude, latitude] only."), "three_d"
        )
    if geom.empty:
        raise _fail(_("The boundary has no coordinates."), "empty")
    if geom.num_coords > settings.MARKET_MAX_VERTICES:
        raise _fail(
            _("The boundary has more than %(max)d vertices; simplify it.")
            % {"max": settings.MARKET_MAX_VERTICES},
            "too_many_vertices",
        )
    if not all(math.isfinite(v) for v in geom.extent):
        raise _fail(
            _("Coordinates must be finite numbers (no NaN or Infinity)."), "not_finite"
        )
    city = city_boundary()
    # The envelope first: out-of-range degrees pass ST_IsValid but make no sense here, and the
    # exact containment test below needs a valid geometry.
    _check_inside_city(geom, city, exact=False)
    valid, reason = _is_valid(geom)
    if not valid:
        raise _fail(
            _("The boundary is not a valid polygon (%(reason)s). Remove self-intersections "
              "such as a bow-tie, or overlapping parts.") % {"reason": reason},
            "invalid",
        )
    _check_inside_city(geom, city, exact=True)
    return geom


def _check_inside_city(geom: MultiPolygon, city: GEOSGeometry, *, exact: bool) -> None:
    """Envelope against envelope (``exact=False``, safe on invalid input), else the real shape."""
    if exact:
        if city.contains(geom):
            return
        raise _fail(_("Part of the boundary lies outside the city boundary."), "outside_city")
    if city.envelope.contains(geom.envelope):
        return
    minx, miny, maxx, maxy = geom.extent
    swapped = Polygon.from_bbox((miny, minx, maxy, maxx))
    swapped.srid = STORAGE_SRID
    if city.envelope.intersects(swapped):
        raise _fail(
            _("The boundary lies outside the city; its coordinates look like [latitude, "
              "longitude]. GeoJSON positions are [longitude, latitude]."),
            "swapped_axes",
        )
    cminx, cminy, cmaxx, cmaxy = city.extent
    raise _fail(
        _("The boundary must lie inside the city (longitude %(minx).2f–%(maxx).2f, latitude "
          "%(miny).2f–%(maxy).2f).")
        % {"minx": cminx, "maxx": cmaxx, "miny": cminy, "maxy": cmaxy},
        "outside_city",
    )
