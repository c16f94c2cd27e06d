"""The OpenAPI description of this app's GeoJSON and hours endpoints (imported at ``ready()``)."""

from __future__ import annotations

from geo.api.params import openapi_parameters
from geo.api.schema import detail_extension, list_extension, plain_json_extension
from markets.hours import schedule_params

EXTENSIONS = [
    list_extension("markets.api.views.ZoneListView", "Market zones (GeoJSON)", "markets"),
    detail_extension("markets.api.views.ZoneDetailView", "One market zone", "markets"),
    # The mounted views add writes to those two; their GET is the same.
    list_extension("markets.api.editing.ZoneCollectionView", "Market zones (GeoJSON)", "markets"),
    detail_extension("markets.api.editing.ZoneItemView", "One market zone", "markets"),
    plain_json_extension(
        "markets.api.views.ZoneScheduleView",
        "A zone's opening intervals day by day",
        "markets",
        openapi_parameters(schedule_params()),
    ),
    plain_json_extension(
        "markets.api.views.HoursPreviewView",
        "Preview an opening_hours rule (staff)",
        "markets",
        openapi_parameters(schedule_params()),
    ),
]
