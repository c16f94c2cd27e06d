"""Walking distance from a visitor to each public market, in metres, minutes and words.

"Near me" on /markets/ sorts by this (static/js/markets.js); offline the page falls back to the
straight line and says so. The walk is geo.walking's: straight to the nearest main road, along
the roads, straight from the road to the market's point (``ST_PointOnSurface``, the point the
directions links use). Where no road joins the two (no roads loaded, or roads not connected),
the answer is the straight line, marked ``route: "straight"``.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

from django.conf import settings
from django.contrib.gis.db.models.functions import PointOnSurface, Transform
from django.utils.translation import gettext as _

from geo import walking
from markets.selectors import visible_zones

# 80 m a minute (4.8 km/h): an unhurried adult's pace, so 1.2 km reads "about 15 minutes".
WALKING_M_PER_MIN = 80
ROADS, STRAIGHT = "roads", "straight"


@dataclass(frozen=True)
class Walk:
    id: int
    name: str
    metres: int  # rounded to 10 m
    minutes: int
    straight_metres: int  # the straight line, rounded to 10 m
    route: str  # ROADS, or STRAIGHT where no road joins the two
    text: str

    def as_dict(self) -> dict:
        return asdict(self)


def _round10(metres: float) -> int:
    return int(round(metres / 10) * 10)


def minutes(metres: float) -> int:
    """Minutes on foot at WALKING_M_PER_MIN, at least 1."""
    return max(1, round(metres / WALKING_M_PER_MIN))


def distance_text(metres: float) -> str:
    """ "350 米" below a kilometre (to 10 m), "1.2 公里" from one up (one decimal)."""
    if metres < 1000:
        return _("%(n)s m") % {"n": f"{_round10(metres):,}"}
    return _("%(n)s km") % {"n": f"{metres / 1000:,.1f}"}


def walk_text(metres: float, route: str) -> str:
    """ "步行约 1.2 公里 / 约 15 分钟"; "直线距离约 1.2 公里" when no road joins the two."""
    if route == STRAIGHT:
        return _("%(distance)s in a straight line") % {"distance": distance_text(metres)}
    return _("about %(distance)s on foot, about %(minutes)s min") % {
        "distance": distance_text(metres),
        "minutes": minutes(metres),
    }


# Roads are walked only from a point this close to the city (degrees around CITY_BBOX, about
# 85 km east-west and 110 km north-south at 39.8° N); from further away the straight line is
# the honest answer, and the metric CRS (a 3° zone) is not stretched far from its meridian.
ROADS_WITHIN_DEGREES = 1.0
EARTH_RADIUS_M = 6371008.8  # mean Earth radius (IUGG), as static/js/markets.js


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle metres between two WGS84 points (what the page shows offline)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def near_the_city(lon: float, lat: float) -> bool:
    minx, miny, maxx, maxy = settings.CITY_BBOX
    margin = ROADS_WITHIN_DEGREES
    return minx - margin <= lon <= maxx + margin and miny - margin <= lat <= maxy + margin


def walks_from(lon: float, lat: float) -> list[Walk]:
    """Every public market with its walk from (lon, lat), nearest first (then by name)."""
    start = network = reached = None
    if near_the_city(lon, lat):
        network = walking.road_network()
        origin = walking.metric_point(lon, lat)
        start = network.attach(origin)
        reached = network.distances_from(start) if start is not None else {}
    zones = (
        visible_zones(staff=False)
        .annotate(
            point=PointOnSurface("boundary"),
            metric=Transform(PointOnSurface("boundary"), settings.METRIC_SRID),
        )
        .values_list("id", "name", "point", "metric")
    )
    walks = []
    for pk, name, point, metric in zones:
        straight = haversine_m(lon, lat, point.x, point.y)
        along = None
        if start is not None:
            along = network.walk(start, reached, (metric.x, metric.y))
        route = ROADS if along is not None else STRAIGHT
        # Never shorter than the straight line (the two CRSs differ by ~5e-5 here).
        metres = max(along, straight) if along is not None else straight
        walks.append(
            Walk(
                id=pk,
                name=name,
                metres=_round10(metres),
                minutes=minutes(metres),
                straight_metres=_round10(straight),
                route=route,
                text=walk_text(metres, route),
            )
        )
    walks.sort(key=lambda w: (w.metres, w.name))
    return walks
