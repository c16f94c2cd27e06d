"""The context drawn under every map: the city boundary, the districts with their names, the main
roads and the river, as one small GeoJSON FeatureCollection (``/api/v1/context/``).

A government network usually has no internet, so no basemap: without these the maps are
coloured dots on a grey field. They are reference data (``geo.models``), loaded from the
fixtures for the demo city and with ``manage.py import_context`` for a real one.

The collection is built in SQL in one statement. Geometries are simplified with
``ST_SimplifyPreserveTopology`` by ``CONTEXT_SIMPLIFY_DEGREES`` (5e-5° ≈ 4 m east-west and
5.5 m north-south at 39.8° N: below a pixel up to zoom 15) and written with 5 decimals (≈1 m),
so a real city's survey-grade boundary (tens of thousands of vertices) stays a few hundred kB.
Features come in drawing order, bottom first: city, districts, river, roads. Each but the city
carries ``label``, a [lon, lat] point for its name: ``ST_PointOnSurface``, inside a district
(never outside a concave one, as a centroid may be), on a road or river (one of its vertices).
"""

from __future__ import annotations

from django.conf import settings
from django.db import connections, router

from geo.models import ContextFeature

PRECISION = 5
LAYERS = ("city", "district", "river", "main_road")

_SQL = """
WITH items AS (
    SELECT 0 AS layer_order, 'city' AS layer, NULL::text AS code, name, geom, id
      FROM geo_cityboundary
    UNION ALL
    SELECT 1, 'district', code, name, geom, id FROM geo_district
    UNION ALL
    SELECT CASE kind WHEN 'river' THEN 2 ELSE 3 END, kind, NULL, name, geom, id
      FROM geo_contextfeature
)
SELECT coalesce(json_agg(json_build_object(
    'type', 'Feature',
    'geometry', ST_AsGeoJSON(
        -- ST_ForcePolygonCCW only on areas (RFC 7946 §3.1.6): PostGIS 3.3 reverses lines too.
        -- ST_Multi: simplifying a one-part multi may give a single part; keep the stored type.
        CASE WHEN ST_Dimension(geom) = 2
             THEN ST_ForcePolygonCCW(ST_Multi(ST_SimplifyPreserveTopology(geom, %(tolerance)s)))
             ELSE ST_Multi(ST_SimplifyPreserveTopology(geom, %(tolerance)s)) END,
        %(precision)s, 0)::json,
    'properties', json_strip_nulls(json_build_object(
        'layer', layer,
        'name', name,
        'code', code,
        'label', CASE WHEN layer <> 'city' THEN json_build_array(
            round(ST_X(ST_PointOnSurface(geom))::numeric, %(precision)s),
            round(ST_Y(ST_PointOnSurface(geom))::numeric, %(precision)s)) END
    ))
) ORDER BY layer_order, coalesce(code, name) COLLATE "C", id), '[]'::json)::text
FROM items
"""


def context_geojson() -> bytes:
    """The context layers as a GeoJSON FeatureCollection (UTF-8 bytes)."""
    alias = router.db_for_read(ContextFeature) or "default"
    with connections[alias].cursor() as cursor:
        cursor.execute(
            _SQL,
            {"tolerance": settings.CONTEXT_SIMPLIFY_DEGREES, "precision": PRECISION},
        )
        (features,) = cursor.fetchone()
    return ('{"type":"FeatureCollection","features":' + features + "}").encode("utf-8")
