"""Geometry input validation: every rejection has a code and a message saying what to fix."""

from __future__ import annotations

import time

import pytest
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Polygon
from django.core.exceptions import ValidationError
from django.utils import translation

from geo.validation import check_polygon, json_depth, load_json, polygon_from_geojson


@pytest.fixture(autouse=True)
def english(settings):
    """Messages are asserted in English (the msgids), whatever catalogs are compiled."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


SQUARE = [[98.300, 39.800], [98.301, 39.800], [98.301, 39.801], [98.300, 39.801],
          [98.300, 39.800]]


def polygon(*rings) -> dict:
    return {"type": "Polygon", "coordinates": list(rings)}


@pytest.mark.parametrize(("value", "code"), [
    ("POLYGON((98.3 39.8, 98.301 39.8, 98.301 39.801, 98.3 39.8))", "not_geojson"),
    ("SRID=4326;MULTIPOLYGON(((98.3 39.8, 98.301 39.8, 98.301 39.801, 98.3 39.8)))",
     "not_geojson"),
    ("polygon z ((1 2 3, 4 5 6, 7 8 9, 1 2 3))", "not_geojson"),
    (["not", "an", "object"], "not_geojson"),
    ({"type": "Point", "coordinates": [98.3, 39.8]}, "geometry_type"),
    ({"type": "LineString", "coordinates": SQUARE}, "geometry_type"),
    ({"type": "Polygon"}, "empty"),
    (polygon(), "empty"),
    (polygon([]), "empty"),
    ({"type": "MultiPolygon", "coordinates": [[]]}, "empty"),
    (polygon(SQUARE[:2] + SQUARE[:1]), "ring_too_short"),
    (polygon(SQUARE[:-1]), "ring_not_closed"),
    (polygon([[*p, 0.0] for p in SQUARE]), "three_d"),
    (polygon([[98.3], *SQUARE[1:]]), "position"),
    (polygon([["98.3", "39.8"], *SQUARE[1:]]), "position"),
    (polygon([[True, 39.8], *SQUARE[1:]]), "position"),
    (polygon([SQUARE[0], [float("nan"), 39.8], *SQUARE[2:]]), "not_finite"),
    (polygon([SQUARE[0], [float("inf"), 39.8], *SQUARE[2:]]), "not_finite"),
    (polygon([[lat, lon] for lon, lat in SQUARE]), "swapped_axes"),
    (polygon([[lon + 2, lat] for lon, lat in SQUARE]), "outside_city"),
    # Bow-tie: the edges (0,0)-(1,1) and (1,0)-(0,1) cross at the centre.
    (polygon([[98.300, 39.800], [98.301, 39.801], [98.301, 39.800], [98.300, 39.801],
              [98.300, 39.800]]), "invalid"),
])
def test_rejected(city, value, code):
    with pytest.raises(ValidationError) as caught:
        polygon_from_geojson(value)
    assert caught.value.code == code
    assert caught.value.messages[0]


def test_bow_tie_message_carries_postgis_reason(city):
    with pytest.raises(ValidationError, match=r"Self-intersection\[98\.3005 39\.8005\]"):
        polygon_from_geojson(polygon([[98.300, 39.800], [98.301, 39.801], [98.301, 39.800],
                                      [98.300, 39.801], [98.300, 39.800]]))


def test_polygon_becomes_multipolygon(city):
    geom = polygon_from_geojson(polygon(SQUARE))
    assert geom.geom_type == "MultiPolygon"
    assert geom.srid == 4326
    assert geom.num_coords == 5


def test_partly_outside_a_concave_city_is_caught_exactly(db):
    from geo.models import CityBoundary

    # An L-shaped city: the square's envelope is inside the city's envelope, but the square
    # sits in the notch (98.30-98.36, 39.80-39.84), which is not city.
    city = GEOSGeometry("POLYGON((98.20 39.74, 98.36 39.74, 98.36 39.80, 98.30 39.80, 98.30 39.84,"
                        " 98.20 39.84, 98.20 39.74))", srid=4326)
    CityBoundary.objects.create(name="L", geom=MultiPolygon(city, srid=4326))
    inside_notch = [[lon + 0.01, lat + 0.01] for lon, lat in SQUARE]
    with pytest.raises(ValidationError) as caught:
        polygon_from_geojson(polygon(inside_notch))
    assert caught.value.code == "outside_city"


def test_without_stored_boundary_the_settings_bbox_is_used(db):
    assert polygon_from_geojson(polygon(SQUARE)).num_coords == 5
    with pytest.raises(ValidationError):
        polygon_from_geojson(polygon([[lon + 1, lat] for lon, lat in SQUARE]))


def test_200000_vertices_are_refused_cheaply(city):
    ring = [[98.30 + 0.001 * i / 200_000, 39.80] for i in range(200_000)]
    ring += [[98.301, 39.801], ring[0]]
    started = time.perf_counter()
    with pytest.raises(ValidationError) as caught:
        polygon_from_geojson(polygon(ring))
    assert caught.value.code == "too_many_vertices"
    # Counted with len() before any position is read or any GEOS object is built.
    assert time.perf_counter() - started < 0.05


def test_vertex_limit_counts_every_ring(city, settings):
    settings.MARKET_MAX_VERTICES = 9
    hole = [[98.3002, 39.8002], [98.3004, 39.8002], [98.3004, 39.8004], [98.3002, 39.8002]]
    assert polygon_from_geojson(polygon(SQUARE, hole)).num_coords == 9  # 5 + 4: at the limit
    with pytest.raises(ValidationError) as caught:
        polygon_from_geojson(polygon(SQUARE, [*hole[:3], [98.3003, 39.8004], hole[0]]))
    assert caught.value.code == "too_many_vertices"


def test_check_polygon_refuses_3d_and_other_types(city):
    with pytest.raises(ValidationError) as caught:
        check_polygon(GEOSGeometry("POLYGON Z ((98.3 39.8 1, 98.301 39.8 1, 98.301 39.801 1, "
                                   "98.3 39.8 1))", srid=4326))
    assert caught.value.code == "three_d"
    with pytest.raises(ValidationError) as caught:
        check_polygon(GEOSGeometry("POINT(98.3 39.8)", srid=4326))
    assert caught.value.code == "geometry_type"


def test_check_polygon_transforms_other_srids(city):
    square = Polygon.from_bbox((98.300, 39.800, 98.301, 39.801))
    square.srid = 4326
    metric = square.transform(4542, clone=True)
    assert check_polygon(metric).srid == 4326


@pytest.mark.parametrize(("text", "code"), [
    ('{"a":' + "[" * 5000 + "]" * 5000 + "}", "too_deep"),
    ("[" * 100_000, "too_deep"),
    ('{"x": NaN}', "json"),
    ('{"x": -Infinity}', "json"),
    ("{", "json"),
    (b"\xff\xfe", "json"),
    ("x" * (4 * 1024 * 1024 + 1), "too_large"),
])
def test_load_json_refuses_without_recursion(text, code):
    with pytest.raises(ValidationError) as caught:
        load_json(text)
    assert caught.value.code == code


def test_json_depth_ignores_brackets_in_strings():
    assert json_depth(b'{"name": "[[[[{{{{", "a": [[1]]}') == 3
    assert load_json('{"name": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["}')["name"].startswith("[")
