"""GCJ-02 <-> WGS84: the published forward formula and its iterated inverse."""

from __future__ import annotations

import pytest

from geo.gcj02 import gcj02_to_wgs84, in_china, wgs84_to_gcj02

# 1e-6° is about 0.11 m of latitude and 0.09 m of longitude at 39.8°N.
TOLERANCE = 1e-6


@pytest.mark.parametrize(("wgs", "gcj", "within"), [
    # Tiananmen, the brief's reference pair (given to 5 decimals), and the coordtransform
    # package's README example (116.404, 39.915), given to full precision.
    ((116.397, 39.908), (116.40324, 39.90940), 5e-6),
    ((116.404, 39.915), (116.41024449916938, 39.91640428150164), 1e-9),
    # The demo city (lon 98.20-98.36): the shift is about +0.00058° lon and +0.00082° lat,
    # some 50 m east and 90 m north.
    ((98.28, 39.79), (98.2805848, 39.7908225), 1e-7),
])
def test_forward_matches_reference_values(wgs, gcj, within):
    lon, lat = wgs84_to_gcj02(*wgs)
    assert abs(lon - gcj[0]) < within
    assert abs(lat - gcj[1]) < within


@pytest.mark.parametrize("wgs", [
    (116.397, 39.908), (98.20, 39.74), (98.36, 39.84), (121.4737, 31.2304),  # Shanghai
    (87.6168, 43.8256), (126.642, 45.756), (113.2644, 23.1291), (91.1409, 29.6456),
])
def test_round_trip_returns_the_point_within_tolerance(wgs):
    back = gcj02_to_wgs84(*wgs84_to_gcj02(*wgs))
    assert abs(back[0] - wgs[0]) < TOLERANCE
    assert abs(back[1] - wgs[1]) < TOLERANCE


def test_inverse_of_the_reference_pair():
    lon, lat = gcj02_to_wgs84(116.41024449916938, 39.91640428150164)
    assert abs(lon - 116.404) < TOLERANCE
    assert abs(lat - 39.915) < TOLERANCE


@pytest.mark.parametrize("point", [(2.3522, 48.8566), (-74.006, 40.7128), (151.2093, -33.8688)])
def test_outside_china_nothing_moves(point):
    assert not in_china(*point)
    assert wgs84_to_gcj02(*point) == point
    assert gcj02_to_wgs84(*point) == point
