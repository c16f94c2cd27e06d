"""Schemathesis hooks (SCHEMATHESIS_HOOKS) for what OpenAPI 3.0 cannot say between parameters.

Each drops a generated *positive* case that the document describes as valid parameter by
parameter but that the server refuses for a rule across parameters, stated in the document's
descriptions. Negative cases are all kept: they must be refused.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from zoneinfo import ZoneInfo

import schemathesis

# The query parameters each OGC collection's items take (geo.ogcapi.items_parameters), written
# by the test: one items operation documents the union, and another layer's name is a 400.
OGC_ITEMS = json.loads(os.environ.get("OGC_ITEMS_PARAMETERS", "{}"))

# A download takes the filters of the layer it names; these names mean different things (and
# take different values) in different layers.
_PER_LAYER = ("status", "category", "light")


# An order's deadline before today (Asia/Shanghai) is a 400; tomorrow keeps a margin.
_TOMORROW = (dt.datetime.now(ZoneInfo("Asia/Shanghai")).date() + dt.timedelta(days=1)).isoformat()


def _positive(case) -> bool:
    meta = getattr(case, "meta", None)
    return meta is not None and meta.generation.mode.is_positive


def _numbers(text: str) -> list[float] | None:
    try:
        return [float(v) for v in text.split(",")]
    except (TypeError, ValueError):
        return None


# The demo city's frame (settings.CITY_BBOX), which the test's city boundary is.
_CITY = (98.20, 39.74, 98.36, 39.84)


# Where a report's point is accepted: within REPORT_MAX_DISTANCE_M (300 m) of its zone, so
# inside the test zone's box (written by the test) grown by 0.002° (~170 m east, ~220 m north).
_ZONE_BOX = json.loads(os.environ.get("REPORT_ZONE_BBOX", "null")) or _CITY
_NEAR = 0.002


def _near_zone(point) -> bool:
    if point is None:
        return True
    numbers = _numbers(point) if isinstance(point, str) else None
    minx, miny, maxx, maxy = _ZONE_BOX
    return bool(numbers) and len(numbers) == 2 and (
        minx - _NEAR <= numbers[0] <= maxx + _NEAR and miny - _NEAR <= numbers[1] <= maxy + _NEAR
    )


@schemathesis.hook
def filter_case(context, case) -> bool:
    if not _positive(case):
        return True
    query = case.query or {}
    bbox = query.get("bbox")
    box = _numbers(bbox) if isinstance(bbox, str) else None
    # "minx,miny,maxx,maxy": a minimum above its maximum is a 400 (described).
    if box and len(box) == 4 and (box[0] > box[2] or box[1] > box[3]):
        return False
    if case.operation.path == "/api/v1/{layer}.{fmt}":
        path = case.path_parameters or {}
        if any(query.get(name) not in (None, "", []) for name in _PER_LAYER):
            return False
        if query.get("table") and path.get("fmt") != "csv":  # CSV only (described)
            return False
    if case.operation.path == "/ogcapi/collections/{collection}/items" and "bbox" in query:
        # The bbox's range depends on bbox-crs (described); keep CRS84 boxes inside it.
        box = query["bbox"] if isinstance(query["bbox"], list) else None
        if query.get("bbox-crs") not in (None, "http://www.opengis.net/def/crs/OGC/1.3/CRS84"):
            return False
        if (
            not box
            or len(box) != 4
            or not (-180 <= box[0] <= box[2] <= 180 and -90 <= box[1] <= box[3] <= 90)
        ):
            return False
    if case.operation.path == "/api/v1/markets/{id}/reports/":
        body = case.body if isinstance(case.body, dict) else {}
        # The photo must be a real image and the point inside the city and near the zone
        # (described): random bytes and random coordinates are 400s.
        if body.get("photo") is not None or not _near_zone(body.get("point")):
            return False
    if case.operation.path == "/api/v1/orders/" and case.method.upper() == "POST":
        # Rules across fields and the data (described): exactly one of project and work; a
        # blocker of that project; the lead department; a deadline not before today.
        body = case.body if isinstance(case.body, dict) else {}
        subjects = [body.get(name) for name in ("project", "work")]
        if sum(value is not None for value in subjects) != 1:
            return False
        if body.get("blocker") is not None or body.get("department") is not None:
            return False
        deadline = body.get("deadline")
        if isinstance(deadline, str) and deadline <= _TOMORROW:
            return False
    if case.operation.path == "/ogcapi/collections/{collection}/items":
        if query.get("filter"):  # CQL2 text or JSON (described): a random string is a 400
            return False
        accepted = OGC_ITEMS.get((case.path_parameters or {}).get("collection"))
        if accepted is not None and not set(query) <= set(accepted):
            return False
        if any(query.get(name) not in (None, "", []) for name in _PER_LAYER):
            return False
    return True
