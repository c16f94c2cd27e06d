"""Walking distance over the road network of the context layers (issue 16: "near me" by foot).

The walk from a point to a target is three legs: straight to the nearest point of a road (the
side streets a city's context layers leave out), along the roads, and straight from the road
point nearest the target to the target. The roads are the ``main_road`` context features
(geo.models.ContextFeature), noded where they cross with ``ST_Union`` and measured in the
metric CRS (EPSG:4542, metres); the shortest way along them is Dijkstra's over that graph.

Pure below ``road_network``: a ``Network`` is built from line strings in metres, so tests give
it a hand-drawn one. No pgRouting: one query reads the roads, and a city's main roads (a few
thousand vertices) route in milliseconds in Python.
"""

from __future__ import annotations

import heapq
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connections, router

from geo.models import ContextFeature, ContextKind

Point = tuple[float, float]  # (x, y) in metres, EPSG:4542 (x east, y north)

# Vertices closer than this are one node: ST_Union writes a crossing's node with the same
# coordinates in both roads, so 1 cm only absorbs the last digits of the transform.
NODE_TOLERANCE_M = 0.01
# A road's end this close to another road meets it (digitising slack; a side street is wider).
JOIN_TOLERANCE_M = 2.0


@dataclass(frozen=True)
class Attachment:
    """Where a point joins the network: on segment ``segment`` at ``point``, ``access`` away."""

    segment: int
    point: Point
    access: float  # metres, straight from the point to ``point``


@dataclass
class Network:
    """A road graph: nodes (metres), segments between them, and each node's neighbours."""

    nodes: list[Point] = field(default_factory=list)
    segments: list[tuple[int, int]] = field(default_factory=list)
    neighbours: dict[int, list[tuple[int, float]]] = field(default_factory=dict)
    _index: dict[tuple[int, int], int] = field(default_factory=dict, repr=False)

    @classmethod
    def from_lines(cls, lines: Iterable[Sequence[Point]]) -> Network:
        """The graph of line strings noded where they cross (as ST_Union writes them).

        A road's loose end within ``JOIN_TOLERANCE_M`` of another road is joined to it: a
        T-junction digitised a metre short is still a junction to a walker.
        """
        network = cls()
        for line in lines:
            ids = [network._node(point) for point in line]
            for a, b in zip(ids, ids[1:], strict=False):
                if a != b:
                    network._segment(a, b)
        network._join_loose_ends()
        return network

    def _join_loose_ends(self) -> None:
        ends = [node for node, links in self.neighbours.items() if len(links) == 1]
        for node in ends:
            point = self.nodes[node]
            best = None
            for index, (a, b) in enumerate(self.segments):
                if node in (a, b):
                    continue
                foot = _closest_on_segment(point, self.nodes[a], self.nodes[b])
                gap = math.dist(point, foot)
                if gap <= JOIN_TOLERANCE_M and (best is None or gap < best[0]):
                    best = (gap, index, foot)
            if best is not None:
                _gap, index, foot = best
                self._split(index, foot, node)

    def _split(self, index: int, foot: Point, end: int) -> None:
        """Cut segment ``index`` at ``foot`` and link the loose ``end`` to the cut."""
        a, b = self.segments[index]
        middle = self._node(foot)
        if middle not in (a, b):
            self._unlink(a, b)
            self.segments[index] = (a, middle)
            self._link(a, middle)
            self.segments.append((middle, b))
            self._link(middle, b)
        if middle != end:
            self._segment(middle, end)

    def _link(self, a: int, b: int) -> None:
        length = math.dist(self.nodes[a], self.nodes[b])
        self.neighbours[a].append((b, length))
        self.neighbours[b].append((a, length))

    def _unlink(self, a: int, b: int) -> None:
        self.neighbours[a] = [link for link in self.neighbours[a] if link[0] != b]
        self.neighbours[b] = [link for link in self.neighbours[b] if link[0] != a]

    def _node(self, point: Point) -> int:
        key = (round(point[0] / NODE_TOLERANCE_M), round(point[1] / NODE_TOLERANCE_M))
        found = self._index.get(key)
        if found is None:
            found = self._index[key] = len(self.nodes)
            self.nodes.append((float(point[0]), float(point[1])))
            self.neighbours[found] = []
        return found

    def _segment(self, a: int, b: int) -> None:
        self.segments.append((a, b))
        self._link(a, b)

    def __bool__(self) -> bool:
        return bool(self.segments)

    def attach(self, point: Point) -> Attachment | None:
        """The nearest point of the network to ``point``; None for an empty network."""
        best: Attachment | None = None
        for index, (a, b) in enumerate(self.segments):
            foot = _closest_on_segment(point, self.nodes[a], self.nodes[b])
            access = math.dist(point, foot)
            if best is None or access < best.access:
                best = Attachment(index, foot, access)
        return best

    def distances_from(self, start: Attachment) -> dict[int, float]:
        """Metres along the roads from ``start`` (its access leg included) to every node."""
        a, b = self.segments[start.segment]
        best = {
            a: start.access + math.dist(start.point, self.nodes[a]),
            b: start.access + math.dist(start.point, self.nodes[b]),
        }
        queue = [(metres, node) for node, metres in best.items()]
        heapq.heapify(queue)
        done: set[int] = set()
        while queue:
            metres, node = heapq.heappop(queue)
            if node in done:
                continue
            done.add(node)
            for other, length in self.neighbours[node]:
                through = metres + length
                if through < best.get(other, math.inf):
                    best[other] = through
                    heapq.heappush(queue, (through, other))
        return best

    def walk(self, start: Attachment, reached: dict[int, float], target: Point) -> float | None:
        """Metres of the walk to ``target``: ``reached`` is ``distances_from(start)``.

        None when the target's road is not connected to the start's.
        """
        end = self.attach(target)
        if end is None:
            return None
        c, d = self.segments[end.segment]
        along = min(
            reached.get(c, math.inf) + math.dist(self.nodes[c], end.point),
            reached.get(d, math.inf) + math.dist(self.nodes[d], end.point),
        )
        if end.segment == start.segment:  # both on one segment: no need to reach a node
            along = min(along, start.access + math.dist(start.point, end.point))
        if math.isinf(along):
            return None
        return along + end.access


def _closest_on_segment(point: Point, a: Point, b: Point) -> Point:
    dx, dy = b[0] - a[0], b[1] - a[1]
    length2 = dx * dx + dy * dy
    if length2 == 0:
        return a
    t = ((point[0] - a[0]) * dx + (point[1] - a[1]) * dy) / length2
    t = min(1.0, max(0.0, t))
    return (a[0] + t * dx, a[1] + t * dy)


# The roads noded where they cross (ST_Union of lines splits each at every crossing), in metres;
# ST_Dump gives one line string per piece. Noded in WGS84, where the data was drawn: a road that
# ends exactly on another does so there, and after the transform it may miss it by a micrometre
# (a transformed straight segment is no longer straight). Rivers are not walked along.
_ROADS_SQL = """
SELECT ST_AsGeoJSON(ST_Transform((ST_Dump(ST_Union(ST_Force2D(geom)))).geom, %(srid)s), 3)
  FROM geo_contextfeature
 WHERE kind = %(kind)s AND ST_Dimension(geom) = 1
"""


def road_network() -> Network:
    """The main roads of the context layers as a walking network (empty without roads)."""
    alias = router.db_for_read(ContextFeature) or "default"
    with connections[alias].cursor() as cursor:
        cursor.execute(_ROADS_SQL, {"srid": settings.METRIC_SRID, "kind": ContextKind.MAIN_ROAD})
        rows = cursor.fetchall()
    return Network.from_lines(
        [tuple(p) for p in json.loads(text)["coordinates"]] for (text,) in rows if text
    )


def metric_point(lon: float, lat: float) -> Point:
    """A WGS84 longitude and latitude in the network's metres (EPSG:4542), by PostGIS."""
    alias = router.db_for_read(ContextFeature) or "default"
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT ST_X(p), ST_Y(p)"
            " FROM ST_Transform(ST_SetSRID(ST_MakePoint(%s, %s), 4326), %s) p",
            [lon, lat, settings.METRIC_SRID],
        )
        x, y = cursor.fetchone()
    return (x, y)
