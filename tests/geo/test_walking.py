"""Walking over a road graph (geo/walking.py): a hand-drawn network in metres, no database."""

from __future__ import annotations

import math

import pytest

from geo.walking import Network

# A U of roads (metres, x east, y north): the south road y = 0 and the north road y = 400, both
# from x = -100 to x = 1000, joined only at their east ends by x = 1000. A walker between them
# cannot cut across (a river, a wall: nothing mapped to walk on).
SOUTH = [(-100.0, 0.0), (1000.0, 0.0)]
NORTH = [(-100.0, 400.0), (1000.0, 400.0)]
EAST = [(1000.0, 0.0), (1000.0, 400.0)]
ORIGIN = (0.0, 10.0)  # 10 m north of the south road
ACROSS = (0.0, 390.0)  # 10 m south of the north road, straight across from the origin
ALONG = (600.0, 10.0)  # 10 m north of the south road, 600 m east


@pytest.fixture
def network() -> Network:
    return Network.from_lines([SOUTH, NORTH, EAST])


def _walk(network: Network, target) -> float | None:
    start = network.attach(ORIGIN)
    return network.walk(start, network.distances_from(start), target)


def test_the_order_flips_between_straight_line_and_walking(network):
    # Straight: across 380 m, along sqrt(600² + 0²) = 600 m -> across is nearer.
    assert math.dist(ORIGIN, ACROSS) == 380
    assert math.dist(ORIGIN, ALONG) == 600
    # Walking: across = 10 (to the south road) + 1000 (east) + 400 (north) + 1000 (west)
    # + 10 (down to the market) = 2420 m; along = 10 + 600 + 10 = 620 m -> along is nearer.
    assert _walk(network, ACROSS) == pytest.approx(2420)
    assert _walk(network, ALONG) == pytest.approx(620)


def test_attach_takes_the_nearest_point_of_any_segment(network):
    start = network.attach((500.0, 390.0))
    # 10 m from the north road, 390 m from the south road, 500 m from the east one.
    assert start.point == (500.0, 400.0)
    assert start.access == pytest.approx(10)
    # Past the end of a road: its end point, measured diagonally (3-4-5 triangle).
    end = network.attach((-130.0, -40.0))
    assert end.point == (-100.0, 0.0)
    assert end.access == pytest.approx(50)


def test_both_on_one_segment_walk_straight_along_it(network):
    # Origin and target both join the south road: 10 + 300 + 10, no detour through a node.
    assert _walk(network, (300.0, -10.0)) == pytest.approx(320)


def test_crossing_roads_are_joined_only_where_a_node_is_shared():
    # Two roads crossing at (0, 0): noded (the shared vertex, as ST_Union writes them), a
    # walker turns there; a target beside the second road's top is 10 + 100 + 100 + 5 = 215 m.
    noded = Network.from_lines(
        [[(-100.0, 0.0), (0.0, 0.0), (100.0, 0.0)], [(0.0, -100.0), (0.0, 0.0), (0.0, 100.0)]]
    )
    start = noded.attach((-100.0, 10.0))
    assert noded.walk(start, noded.distances_from(start), (5.0, 100.0)) == pytest.approx(215)
    # Not noded: the second road is another component; no walk, the caller takes the line.
    apart = Network.from_lines([[(-100.0, 0.0), (100.0, 0.0)], [(0.0, 50.0), (0.0, 100.0)]])
    start = apart.attach((-100.0, 10.0))
    assert apart.walk(start, apart.distances_from(start), (5.0, 100.0)) is None


def test_an_empty_network_attaches_nothing():
    empty = Network.from_lines([])
    assert not empty
    assert empty.attach(ORIGIN) is None


def test_nodes_closer_than_a_centimetre_are_one():
    # The transform's last digits: (1000, 0) and (1000.004, 0.003) are one node.
    network = Network.from_lines([[(0.0, 0.0), (1000.0, 0.0)], [(1000.004, 0.003), (1000.0, 50.0)]])
    assert len(network.nodes) == 3


def test_a_road_ending_just_short_of_another_meets_it():
    # A T-junction digitised 1.5 m short (under JOIN_TOLERANCE_M = 2 m): the stem is joined at
    # (0, 0); from beside the stem's top to beside the bar's east end: 10 + 98.5 + 1.5 + 100 + 10.
    network = Network.from_lines([[(-100.0, 0.0), (100.0, 0.0)], [(0.0, 1.5), (0.0, 100.0)]])
    start = network.attach((10.0, 100.0))
    reached = network.distances_from(start)
    assert network.walk(start, reached, (100.0, -10.0)) == pytest.approx(10 + 98.5 + 1.5 + 100 + 10)
    # 3 m short is a gap, not a junction.
    apart = Network.from_lines([[(-100.0, 0.0), (100.0, 0.0)], [(0.0, 3.0), (0.0, 100.0)]])
    start = apart.attach((10.0, 100.0))
    assert apart.walk(start, apart.distances_from(start), (100.0, -10.0)) is None
