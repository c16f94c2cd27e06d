"""OGC API – Features Part 2 (CRS by reference): the CRSs offered, their axis order, bboxes in them.

Storage is WGS84 (EPSG:4326, longitude/latitude in PostGIS's x/y). An answer in another CRS is
computed by PostGIS (``ST_Transform``); where the CRS's own axis order is not x=east, y=north
the coordinates are swapped (``ST_FlipCoordinates``), as OGC requires for EPSG URIs:

- CRS84: longitude, latitude (the default; RFC 7946 GeoJSON);
- EPSG:4326 and EPSG:4490 (CGCS2000): latitude, longitude;
- EPSG:4542 (CGCS2000 / 3-degree Gauss–Krüger CM 99E): northing (X), easting (Y);
- EPSG:3857 (web mercator): easting, northing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.contrib.gis.db.models import GeometryField
from django.contrib.gis.db.models.functions import Transform
from django.contrib.gis.geos import Polygon
from django.core.exceptions import ValidationError
from django.db.models import F, Func
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"


@dataclass(frozen=True)
class Crs:
    uri: str
    srid: int
    # True when the CRS's first axis is north (latitude or northing): PostGIS x/y are swapped.
    north_first: bool
    # Valid coordinate ranges of (east, north), for bbox checks.
    east: tuple[float, float]
    north: tuple[float, float]


_MERCATOR = 20037508.342789244
SUPPORTED: dict[str, Crs] = {
    crs.uri: crs
    for crs in (
        Crs(CRS84, 4326, False, (-180, 180), (-90, 90)),
        Crs(f"{EPSG}4326", 4326, True, (-180, 180), (-90, 90)),
        Crs(f"{EPSG}4490", 4490, True, (-180, 180), (-90, 90)),
        # CM 99E, false easting 500 km; any finite metres are accepted (ST_Transform copes).
        Crs(f"{EPSG}4542", 4542, True, (-math.inf, math.inf), (-math.inf, math.inf)),
        Crs(f"{EPSG}3857", 3857, False, (-_MERCATOR, _MERCATOR), (-_MERCATOR, _MERCATOR)),
    )
}
STORAGE = SUPPORTED[CRS84]


def parse_crs(value: str | None, name: str) -> Crs:
    """The CRS named by the URI in parameter ``name`` (CRS84 when absent); 400 listing the
    supported ones otherwise. ``[EPSG:4326]``-style safe CURIEs are accepted too."""
    if value is None or value == "":
        return STORAGE
    uri = value.strip()
    if uri.startswith("[") and uri.endswith("]"):
        authority, _sep, code = uri[1:-1].partition(":")
        uri = (
            CRS84
            if (authority, code) == ("OGC", "CRS84")
            else f"{EPSG}{code}"
            if authority == "EPSG"
            else uri
        )
    try:
        return SUPPORTED[uri]
    except KeyError:
        raise ValidationError(
            {
                name: _("Unsupported CRS %(crs)s; supported: %(supported)s.")
                % {"crs": value, "supported": ", ".join(SUPPORTED)}
            },
            code="crs",
        ) from None


def output_geometry(geom: str, crs: Crs):
    """``geom`` (a stored WGS84 column) in the coordinates and axis order of ``crs``."""
    expression = F(geom) if crs.srid == 4326 else Transform(geom, crs.srid)
    if crs.north_first:
        expression = Func(
            expression, function="ST_FlipCoordinates", output_field=GeometryField(srid=crs.srid)
        )
    return expression


def content_crs(crs: Crs) -> str:
    """The ``Content-Crs`` header value: the URI in angle brackets."""
    return f"<{crs.uri}>"


BBOX_MESSAGE = gettext_noop(
    "bbox must be four numbers in the order of the axes of bbox-crs (%(order)s)."
)


def axis_order(crs: Crs) -> str:
    if crs.srid in (4326, 4490):
        return "lat,lon,lat,lon" if crs.north_first else "lon,lat,lon,lat"
    return "north,east,north,east" if crs.north_first else "east,north,east,north"


def parse_bbox(value: str, crs: Crs) -> Polygon:
    """``bbox`` in ``crs``'s axis order as a polygon in that CRS (PostGIS transforms it to the
    column's SRID in the query, so the GiST index still serves). ValidationError when bad."""
    parts = value.split(",")
    message = _(BBOX_MESSAGE) % {"order": axis_order(crs)}
    if len(parts) != 4:
        raise ValidationError({"bbox": message}, code="bbox_format")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise ValidationError({"bbox": message}, code="bbox_format") from None
    if not all(math.isfinite(v) for v in numbers):
        raise ValidationError(
            {"bbox": _("bbox values must be finite numbers.")}, code="bbox_finite"
        )
    a1, b1, a2, b2 = numbers
    (e1, n1, e2, n2) = (b1, a1, b2, a2) if crs.north_first else (a1, b1, a2, b2)
    if not (
        crs.east[0] <= e1 <= crs.east[1]
        and crs.east[0] <= e2 <= crs.east[1]
        and crs.north[0] <= n1 <= crs.north[1]
        and crs.north[0] <= n2 <= crs.north[1]
    ):
        raise ValidationError(
            {"bbox": _("bbox is out of the range of its CRS.")}, code="bbox_range"
        )
    if e1 > e2 or n1 > n2:
        raise ValidationError(
            {
                "bbox": _("bbox minimum is greater than its maximum (order: %(order)s).")
                % {"order": axis_order(crs)}
            },
            code="bbox_order",
        )
    polygon = Polygon.from_bbox((e1, n1, e2, n2))
    polygon.srid = crs.srid
    return polygon
