"""Parse list filters from query parameters; bad values raise ValidationError (HTTP 400)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from django.contrib.gis.geos import Polygon
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

BBOX_FORMAT = "bbox must be four numbers minx,miny,maxx,maxy (WGS84 longitude/latitude)."


def parse_bbox(value: str) -> tuple[float, float, float, float]:
    """Parse ``minx,miny,maxx,maxy`` (always in that order) in WGS84 degrees."""
    parts = value.split(",")
    if len(parts) != 4:
        raise ValidationError({"bbox": _(BBOX_FORMAT)}, code="bbox_format")
    try:
        minx, miny, maxx, maxy = (float(p) for p in parts)
    except ValueError:
        raise ValidationError({"bbox": _(BBOX_FORMAT)}, code="bbox_format") from None
    if not all(math.isfinite(v) for v in (minx, miny, maxx, maxy)):
        raise ValidationError({"bbox": _("bbox values must be finite numbers.")},
                              code="bbox_finite")
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= 90
            and -90 <= maxy <= 90):
        raise ValidationError(
            {"bbox": _("bbox is out of range: longitude -180..180, latitude -90..90.")},
            code="bbox_range",
        )
    if minx > maxx or miny > maxy:
        raise ValidationError(
            {"bbox": _("bbox minimum is greater than its maximum (order: minx,miny,maxx,maxy).")},
            code="bbox_order",
        )
    return minx, miny, maxx, maxy


def bbox_polygon(bbox: tuple[float, float, float, float]) -> Polygon:
    poly = Polygon.from_bbox(bbox)
    poly.srid = 4326
    return poly


def parse_choices(params: Mapping[str, str], name: str, allowed: Iterable[str]) -> list[str]:
    """Comma-separated values of ``name``, each one of ``allowed``; [] when absent."""
    raw = params.get(name, "")
    if raw == "":
        return []
    allowed = list(allowed)
    values = [v.strip() for v in raw.split(",") if v.strip()]
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ValidationError(
            {name: _("Unknown value %(value)s for %(name)s; expected one of: %(allowed)s.")
             % {"value": ", ".join(unknown), "name": name, "allowed": ", ".join(allowed)}},
            code="unknown_value",
        )
    return values


def parse_ids(params: Mapping[str, str], name: str) -> list[int]:
    """Comma-separated positive integer ids (or codes resolved by the caller)."""
    raw = params.get(name, "")
    if raw == "":
        return []
    try:
        ids = [int(v) for v in raw.split(",") if v.strip()]
    except ValueError:
        raise ValidationError(
            {name: _("%(name)s must be comma-separated ids.") % {"name": name}}, code="ids"
        ) from None
    if any(i <= 0 or i >= 2**63 for i in ids):  # PostgreSQL bigint
        raise ValidationError(
            {name: _("%(name)s must be positive ids.") % {"name": name}}, code="ids"
        )
    return ids
