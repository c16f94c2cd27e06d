"""``/api/v1/markets/walking/?near=lon,lat``: every public market by walking distance."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from geo.api.params import QueryParam, validate_query
from geo.api.schema import Error
from markets import walking

# "lon,lat" in WGS84 degrees, plain decimals (as bbox: no exponent, no spaces).
_LON = r"-?(?:180(?:\.0+)?|(?:1[0-7]\d|\d{1,2})(?:\.\d+)?)"
_LAT = r"-?(?:90(?:\.0+)?|[0-8]?\d(?:\.\d+)?)"
NEAR_PATTERN = rf"^{_LON},{_LAT}$"
NEAR_FORMAT = "near must be lon,lat in WGS84 degrees (longitude -180..180, latitude -90..90)."


def _parse_near(params: Mapping[str, str]) -> tuple[float, float]:
    raw = params.get("near", "")
    if not raw:
        raise ValidationError({"near": _("near is required: lon,lat of the visitor.")})
    if not re.fullmatch(NEAR_PATTERN, raw):
        raise ValidationError({"near": _(NEAR_FORMAT)}, code="near_format")
    lon, lat = (float(part) for part in raw.split(","))
    if not (math.isfinite(lon) and math.isfinite(lat)):  # the pattern admits none, kept as a guard
        raise ValidationError({"near": _(NEAR_FORMAT)}, code="near_format")
    return lon, lat


NEAR = QueryParam(
    "near",
    _parse_near,
    "the visitor's position, lon,lat in WGS84 degrees",
    pattern=NEAR_PATTERN,
)

WALK_SCHEMA = {
    "type": "object",
    "required": ["near", "metres_per_minute", "markets"],
    "properties": {
        "near": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2},
        "metres_per_minute": {"type": "integer"},
        "markets": {
            "type": "array",
            "items": {
                "type": "object",
                "required": [
                    "id",
                    "name",
                    "metres",
                    "minutes",
                    "straight_metres",
                    "route",
                    "text",
                ],
                "properties": {
                    "id": {"type": "integer"},
                    "name": {"type": "string"},
                    "metres": {"type": "integer", "minimum": 0},
                    "minutes": {"type": "integer", "minimum": 1},
                    "straight_metres": {"type": "integer", "minimum": 0},
                    "route": {"type": "string", "enum": [walking.ROADS, walking.STRAIGHT]},
                    "text": {"type": "string"},
                },
            },
        },
    },
}


class WalkingDistanceView(APIView):
    """Every public market by walking distance from ``near`` (roads, else the straight line)."""

    @extend_schema(
        summary="Public markets by walking distance",
        tags=["markets"],
        parameters=[
            OpenApiParameter(
                "near",
                {"type": "string", "pattern": NEAR_PATTERN},
                OpenApiParameter.QUERY,
                required=True,
                description=NEAR.description,
            )
        ],
        responses={
            (200, "application/json"): OpenApiResponse(WALK_SCHEMA),
            400: OpenApiResponse(Error, description="near missing or not lon,lat"),
        },
    )
    def get(self, request):
        lon, lat = validate_query(request.query_params, [NEAR])["near"]
        walks = walking.walks_from(lon, lat)
        return Response(
            {
                "near": [lon, lat],
                "metres_per_minute": walking.WALKING_M_PER_MIN,
                "markets": [w.as_dict() for w in walks],
            }
        )
