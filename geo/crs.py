"""The CRS policy: store WGS84 (EPSG:4326), measure in CGCS2000 / 3-degree GK CM 99E (EPSG:4542)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry

STORAGE_SRID = 4326


def to_metric(geom: GEOSGeometry) -> GEOSGeometry:
    """Return a copy of ``geom`` in the metric CRS (metres)."""
    copy = geom.clone()
    if copy.srid is None:
        copy.srid = STORAGE_SRID
    copy.transform(settings.METRIC_SRID)
    return copy


def area_m2(geom: GEOSGeometry) -> float:
    """Area of ``geom`` in square metres."""
    return to_metric(geom).area


def length_m(geom: GEOSGeometry) -> float:
    """Length of ``geom`` in metres."""
    return to_metric(geom).length
